//! `tcpkit ss`: what `ss -tano` would have printed on each endpoint at an
//! instant, from the inferred states and retransmission trains; `--every N`
//! prints one table per host every N seconds, like the loop an expert runs
//! beside tcpdump.

use super::output::Output;
use super::{CliError, stories};
use std::collections::BTreeMap;
use std::path::PathBuf;
use tcpkit_core::analysis::story::ss::{SsLine, ss_at};
use tcpkit_core::text::ss_table;

/// Arguments of `tcpkit ss`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture file (pcap or pcapng).
    pub capture: PathBuf,
    /// Seconds from the first packet (`2.5`), or an absolute Unix time (`1795471320.8`).
    #[arg(long)]
    pub at: f64,
    /// Print a table every this many seconds from `--at` to the end of the capture.
    #[arg(long)]
    pub every: Option<f64>,
}

/// Absolute Unix times are told from offsets by size (after 2001-09-09).
const ABSOLUTE_FROM: f64 = 1e9;
/// Most tables `--every` prints.
const MAX_TABLES: u64 = 100_000;

/// Runs `tcpkit ss`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    if !args.at.is_finite() || args.every.is_some_and(|e| !(e.is_finite() && e > 0.0)) {
        return Err(CliError::Input(
            "--at and --every must be finite, --every positive".into(),
        ));
    }
    let l = stories::load_path(&args.capture, true)?;
    let Some(t0) = l.first_ts_ns else {
        return Ok(());
    };
    let end = l.last_ts_ns.unwrap_or(t0);
    let start = if args.at >= ABSOLUTE_FROM {
        (args.at * 1e9).round() as i64
    } else {
        t0.saturating_add((args.at * 1e9).round() as i64)
    };
    let mut s = String::with_capacity(4096);
    let mut k = 0u64;
    loop {
        let t = match args.every {
            Some(e) => start.saturating_add((k as f64 * e * 1e9).round() as i64),
            None => start,
        };
        let mut hosts: BTreeMap<String, Vec<SsLine>> = BTreeMap::new();
        for f in &l.flows {
            if f.first_ts_ns > t {
                continue;
            }
            for line in ss_at(f, t) {
                hosts
                    .entry(line.local.ip.to_string())
                    .or_default()
                    .push(line);
            }
        }
        for (host, lines) in &hosts {
            ss_table(&mut s, host, t.saturating_sub(t0), lines);
        }
        if hosts.is_empty() {
            s.push_str(&format!(
                "# t=+{:.3} s: no TCP sockets\n",
                t.saturating_sub(t0) as f64 / 1e9
            ));
        }
        out.write(s.as_bytes())?;
        s.clear();
        k += 1;
        if args.every.is_none() || t > end || k >= MAX_TABLES || out.is_closed() {
            return Ok(());
        }
    }
}

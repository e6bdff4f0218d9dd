//! `tcpkit flows`: one line (or, with `--json`, one JSON object) per connection.

use super::output::Output;
use super::story_text::{dur, endpoint};
use super::{CliError, stories};
use std::fmt::Write as _;
use std::path::PathBuf;

/// Arguments of `tcpkit flows`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per connection (one per line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// The capture file (pcap or pcapng).
    pub capture: PathBuf,
}

/// Runs `tcpkit flows`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let l = stories::load_path(&args.capture, true)?;
    let t0 = l.first_ts_ns.unwrap_or(0);
    let mut line = String::with_capacity(1024);
    for f in &l.flows {
        line.clear();
        if args.json {
            line = serde_json::to_string(f).map_err(|e| CliError::Input(format!("JSON: {e}")))?;
        } else {
            let _ = write!(
                line,
                "{:>5} {} -> {} {:<20} +{:.6}s {} pkts {}/{} bytes {}/{} retx {}/{} close {}{}",
                f.conn.0,
                endpoint(f.client),
                endpoint(f.server),
                format!("{:?}", f.handshake.outcome).to_lowercase(),
                f.first_ts_ns.saturating_sub(t0) as f64 / 1e9,
                dur(f.last_ts_ns.saturating_sub(f.first_ts_ns) as f64 / 1e9),
                f.packets.c2s,
                f.packets.s2c,
                f.bytes.c2s,
                f.bytes.s2c,
                f.retransmissions.c2s,
                f.retransmissions.s2c,
                match (f.close.first_fin_by, f.close.rst_by) {
                    (_, Some(r)) => format!("RST by {}", r.as_str()),
                    (Some(s), None) => format!("FIN first by {}", s.as_str()),
                    (None, None) => "-".into(),
                },
                if f.evicted {
                    " (evicted: continues in a later line with the same number if it spoke again)"
                } else {
                    ""
                }
            );
        }
        line.push('\n');
        out.write(line.as_bytes())?;
        if out.is_closed() {
            break;
        }
    }
    Ok(())
}

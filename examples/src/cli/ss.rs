//! `tcpkit ss`: what `ss -tano` would have printed on each endpoint at an
//! instant, from the inferred states and retransmission trains; `--every N`
//! prints one table per host every N seconds, like the loop an expert runs
//! beside tcpdump.
//!
//! Memory: no story is kept. As each connection finishes, its lines for the
//! instants asked for are computed and kept (what will be printed, nothing
//! more); past 121 s after its last segment a connection's line no longer
//! changes (TIME_WAIT and the FIN_WAIT2 timer have run out, no train is
//! within `TCP_RTO_MAX`), so one line stands for every later instant. An
//! instant's table is printed as soon as it is complete: when every
//! connection open then has been handed out
//! ([`Analysis::open_since_ns`](tcpkit_core::Analysis::open_since_ns)); the
//! lines kept are those of the instants not yet printed.

use super::CliError;
use super::input::{self, Outcome};
use super::output::Output;
use std::collections::BTreeMap;
use std::path::PathBuf;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::analysis::Connection;
use tcpkit_core::analysis::story::ss::{SsLine, ss_at};
use tcpkit_core::text::ss_table;

/// Arguments of `tcpkit ss`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture file (pcap or pcapng); `-` reads standard input.
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
/// After this long past its last segment, a connection's line is constant
/// (TIME_WAIT's 60 s, and the 120 s a train's timer is looked back).
const STABLE_AFTER_NS: i64 = 121_000_000_000;

/// Lines by host, each with its connection number (for the order).
type Tables = BTreeMap<String, Vec<(u64, SsLine)>>;

/// The instants asked for and the lines gathered for them.
struct Gather {
    start: i64,
    every: Option<f64>,
    /// Lines of instant `k`.
    at: BTreeMap<u64, Tables>,
    /// From instant `k` on, these lines at every instant.
    tails: Vec<(u64, u64, Vec<SsLine>)>,
}

impl Gather {
    /// The instants of `args`, the first packet at `t0`.
    fn new(args: &Args, t0: i64) -> Self {
        Self {
            start: if args.at >= ABSOLUTE_FROM {
                (args.at * 1e9).round() as i64
            } else {
                t0.saturating_add((args.at * 1e9).round() as i64)
            },
            every: args.every,
            at: BTreeMap::new(),
            tails: Vec::new(),
        }
    }

    fn tick(&self, k: u64) -> i64 {
        match self.every {
            Some(e) => self
                .start
                .saturating_add((k as f64 * e * 1e9).round() as i64),
            None => self.start,
        }
    }

    fn add(&mut self, f: &Connection) {
        let conn = f.conn.0;
        let Some(e) = self.every else {
            if f.first_ts_ns <= self.start {
                put(self.at.entry(0).or_default(), conn, ss_at(f, self.start));
            }
            return;
        };
        // The first instant at or after the connection's first segment.
        let skip = (f.first_ts_ns.saturating_sub(self.start) as f64 / (e * 1e9)).floor();
        let mut k = if skip > 1.0 { skip as u64 - 1 } else { 0 };
        let stable = f.last_ts_ns.saturating_add(STABLE_AFTER_NS);
        while k < MAX_TABLES {
            let t = self.tick(k);
            if t >= f.first_ts_ns {
                let lines = ss_at(f, t);
                if t >= stable {
                    if !lines.is_empty() {
                        self.tails.push((k, conn, lines));
                    }
                    return;
                }
                put(self.at.entry(k).or_default(), conn, lines);
            }
            k += 1;
        }
    }
}

fn put(tables: &mut Tables, conn: u64, lines: Vec<SsLine>) {
    for line in lines {
        tables
            .entry(line.local.ip.to_string())
            .or_default()
            .push((conn, line));
    }
}

impl Gather {
    /// Writes the table of instant `k` (`t0`: the first packet's time).
    fn table(&mut self, k: u64, t0: i64, s: &mut String) {
        let t = self.tick(k);
        let mut hosts = self.at.remove(&k).unwrap_or_default();
        for (from, conn, lines) in &self.tails {
            if *from <= k {
                put(&mut hosts, *conn, lines.clone());
            }
        }
        for (host, lines) in &mut hosts {
            // Connection-number order, each connection's lines as ss_at gives them.
            lines.sort_by_key(|(c, _)| *c);
            let lines: Vec<SsLine> = lines.iter().map(|(_, l)| *l).collect();
            ss_table(s, host, t.saturating_sub(t0), &lines);
        }
        if hosts.is_empty() {
            s.push_str(&format!(
                "# t=+{:.3} s: no TCP sockets\n",
                t.saturating_sub(t0) as f64 / 1e9
            ));
        }
    }
}

/// Runs `tcpkit ss`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    if !args.at.is_finite() || args.every.is_some_and(|e| !(e.is_finite() && e > 0.0)) {
        return Err(CliError::Input(
            "--at and --every must be finite, --every positive".into(),
        ));
    }
    let mut a = input::open(&args.capture, AnalyzerConfig::default())?.segments(false);
    let mut damage = None;
    let mut g: Option<Gather> = None;
    let mut s = String::with_capacity(4096);
    // The next instant to print.
    let mut k = 0u64;
    while let Some(ev) = input::next(&mut a) {
        let rec = match ev {
            Outcome::Connection(c) => c,
            Outcome::Report(_) => continue,
            Outcome::Damage(e) => {
                damage.get_or_insert(e);
                continue;
            }
        };
        let (true, Some(t0), Some(now)) = (rec.story.is_some(), a.first_ts_ns(), a.last_ts_ns())
        else {
            continue;
        };
        let g = g.get_or_insert_with(|| Gather::new(args, t0));
        g.add(&rec);
        // The instants before every connection still open began (and before
        // the capture time read) are complete: print them now.
        let done = a.open_since_ns().map_or(now, |o| o.min(now));
        let last = if args.every.is_some() { MAX_TABLES } else { 1 };
        while k < last && g.tick(k) < done && !out.is_closed() {
            g.table(k, t0, &mut s);
            out.write(s.as_bytes())?;
            s.clear();
            k += 1;
        }
    }
    let (Some(t0), Some(end)) = (a.first_ts_ns(), a.last_ts_ns()) else {
        return damage.map_or(Ok(()), Err);
    };
    let mut g = g.unwrap_or_else(|| Gather::new(args, t0));
    // The rest, as far as the end of the capture (one instant past it; the
    // instants printed so far all came before it).
    if args.every.is_some() || k == 0 {
        loop {
            let t = g.tick(k);
            g.table(k, t0, &mut s);
            out.write(s.as_bytes())?;
            s.clear();
            k += 1;
            if args.every.is_none() || t > end || k >= MAX_TABLES || out.is_closed() {
                break;
            }
        }
    }
    out.flush()?;
    damage.map_or(Ok(()), Err)
}

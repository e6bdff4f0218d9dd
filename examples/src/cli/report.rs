//! `tcpkit report`: each connection's story in words and numbers, printed as
//! each connection finishes, then the capture-wide findings; `--json` prints
//! the capture-wide part as one object. With no capture it reports on the
//! demo capture shipped with the command; `-` reads standard input.

use super::CliError;
use super::input::{self, Outcome};
use super::output::Output;
use std::path::PathBuf;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::text::{connection_block, report_block};

/// Arguments of `tcpkit report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture-wide part as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// Threads: with N of 2 or more, N threads each read the capture (a
    /// capture file is mapped into memory once for all: do not rewrite it
    /// meanwhile) and analyse their share of the connections, split by
    /// 4-tuple; the same bytes as with 1 (while the memory budget, split
    /// between them, evicts nothing).
    #[arg(short = 'j', long, default_value_t = 1)]
    pub threads: usize,
    /// The capture file (pcap or pcapng); `-` reads standard input; the demo
    /// capture when absent.
    pub capture: Option<PathBuf>,
}

/// Runs `tcpkit report`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let cfg = AnalyzerConfig {
        threads: args.threads,
        ..AnalyzerConfig::default()
    };
    let a = match &args.capture {
        Some(p) => input::open(p, cfg)?,
        None => input::demo(cfg)?,
    }
    .segments(false);
    let mut s = String::with_capacity(4096);
    if args.capture.is_none() && !args.json {
        s.push_str("(the demo capture: the lab's handshake-close, taken on the server)\n\n");
    }
    let mut damage = None;
    for (ev, t0) in input::outcomes(a) {
        match ev {
            Outcome::Damage(e) => {
                damage.get_or_insert(e);
            }
            Outcome::Connection(rec) => {
                if !args.json && rec.story.is_some() {
                    connection_block(&mut s, &rec, t0);
                    s.push('\n');
                }
            }
            Outcome::Report(r) => {
                if args.json {
                    // Writing into a String cannot fail.
                    let _ = tcpkit_core::schema::json::write_report(&mut s, &r);
                    s.push('\n');
                } else {
                    report_block(&mut s, &r);
                }
            }
        }
        out.write(s.as_bytes())?;
        s.clear();
        if out.is_closed() {
            break;
        }
    }
    out.flush()?;
    damage.map_or(Ok(()), Err)
}

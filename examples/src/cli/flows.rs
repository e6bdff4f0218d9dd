//! `tcpkit flows`: one line (or, with `--json`, one JSON object) per
//! connection, printed as each connection finishes (see [`tcpkit_core::Analysis`]
//! for the order).

use super::CliError;
use super::input::{self, Outcome};
use super::output::Output;
use std::fmt::Write;
use std::path::PathBuf;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::wire::LineBuf;

/// Arguments of `tcpkit flows`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per connection (one per line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// Threads: with N of 2 or more, N threads each read the capture (a
    /// capture file is mapped into memory once for all: do not rewrite it
    /// meanwhile) and analyse their share of the connections, split by
    /// 4-tuple; the same bytes as with 1 (while the memory budget, split
    /// between them, evicts nothing).
    #[arg(short = 'j', long, default_value_t = 1)]
    pub threads: usize,
    /// The capture file (pcap or pcapng); `-` reads standard input.
    pub capture: PathBuf,
}

/// Runs `tcpkit flows`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let cfg = AnalyzerConfig {
        threads: args.threads,
        ..AnalyzerConfig::default()
    };
    let a = input::open(&args.capture, cfg)?.segments(false);
    let mut damage = None;
    let mut line = String::with_capacity(1024);
    let mut json = LineBuf::with_capacity(4096);
    for (ev, t0) in input::outcomes(a) {
        let rec = match ev {
            Outcome::Connection(c) => c,
            Outcome::Report(_) => continue,
            Outcome::Damage(e) => {
                damage.get_or_insert(e);
                continue;
            }
        };
        if rec.story.is_none() {
            continue;
        }
        let f = &*rec;
        if args.json {
            json.clear();
            // Writing into a LineBuf cannot fail.
            let _ = tcpkit_core::schema::json::write_connection_to(&mut json, f);
            let _ = json.write_char('\n');
            out.write(json.as_bytes())?;
        } else {
            line.clear();
            tcpkit_core::text::flows_line(&mut line, f, t0);
            line.push('\n');
            out.write(line.as_bytes())?;
        }
        if out.is_closed() {
            break;
        }
    }
    out.flush()?;
    damage.map_or(Ok(()), Err)
}

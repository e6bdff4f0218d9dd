//! `tcpkit flows`: one line (or, with `--json`, one JSON object) per
//! connection, printed as each connection finishes (see [`tcpkit_core::Analysis`]
//! for the order).

use super::CliError;
use super::input::{self, Outcome};
use super::output::Output;
use std::path::PathBuf;
use tcpkit_core::analysis::AnalyzerConfig;

/// Arguments of `tcpkit flows`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per connection (one per line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// The capture file (pcap or pcapng); `-` reads standard input.
    pub capture: PathBuf,
}

/// Runs `tcpkit flows`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let mut a = input::open(&args.capture, AnalyzerConfig::default())?.segments(false);
    let mut damage = None;
    let mut line = String::with_capacity(1024);
    while let Some(ev) = input::next(&mut a) {
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
        let t0 = a.first_ts_ns().unwrap_or(0);
        line.clear();
        if args.json {
            // Writing into a String cannot fail.
            let _ = tcpkit_core::schema::json::write_connection(&mut line, f);
        } else {
            tcpkit_core::text::flows_line(&mut line, f, t0);
        }
        line.push('\n');
        out.write(line.as_bytes())?;
        if out.is_closed() {
            break;
        }
    }
    out.flush()?;
    damage.map_or(Ok(()), Err)
}

//! `tcpkit flows`: one line (or, with `--json`, one JSON object) per
//! connection, printed as each connection finishes (see [`tcpkit_core::Analysis`]
//! for the order).

use super::CliError;
use super::input::{self, Outcome};
use super::output::Output;
use super::story_text::{dur, endpoint};
use std::fmt::Write as _;
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
    let mut a = input::open(&args.capture, AnalyzerConfig::default())?;
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
        let Some(f) = rec.story.as_deref() else {
            continue;
        };
        let t0 = a.first_ts_ns().unwrap_or(0);
        line.clear();
        if args.json {
            line = serde_json::to_string(f).map_err(|e| CliError::Input(format!("JSON: {e}")))?;
        } else {
            let _ = write!(
                line,
                "{:>5} {} -> {} {:<20} +{:.6}s {} pkts {}/{} bytes {}/{} retx {}/{} close {}",
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
                }
            );
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

//! `tcpkit flows`: one line (or, with `--json`, one JSON object) per connection.

use super::output::Output;
use super::{CliError, stories};
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
            tcpkit_core::text::flows_line(&mut line, f, t0);
        }
        line.push('\n');
        out.write(line.as_bytes())?;
        if out.is_closed() {
            break;
        }
    }
    Ok(())
}

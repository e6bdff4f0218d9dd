//! `tcpkit report`: each connection's story in words and numbers, then the
//! capture-wide findings; `--json` prints the capture-wide part as one object.
//! With no capture it reports on the demo capture shipped with the command.

use super::output::Output;
use super::{CliError, stories};
use std::path::PathBuf;
use tcpkit_core::text::{connection_block, report_block};

/// Arguments of `tcpkit report`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture-wide part as one JSON object.
    #[arg(long)]
    pub json: bool,
    /// The capture file (pcap or pcapng); the demo capture when absent.
    pub capture: Option<PathBuf>,
}

/// Runs `tcpkit report`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let l = match &args.capture {
        Some(p) => stories::load_path(p, !args.json)?,
        None => stories::load_demo(!args.json)?,
    };
    if args.json {
        let mut s =
            serde_json::to_string(&l.report).map_err(|e| CliError::Input(format!("JSON: {e}")))?;
        s.push('\n');
        return out.write(s.as_bytes());
    }
    let t0 = l.first_ts_ns.unwrap_or(0);
    let mut s = String::with_capacity(4096);
    if args.capture.is_none() {
        s.push_str("(the demo capture: the lab's handshake-close, taken on the server)\n\n");
    }
    for f in &l.flows {
        connection_block(&mut s, f, t0);
        s.push('\n');
        out.write(s.as_bytes())?;
        s.clear();
        if out.is_closed() {
            return Ok(());
        }
    }
    report_block(&mut s, &l.report);
    out.write(s.as_bytes())
}

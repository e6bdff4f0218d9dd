//! `tcpkit stream CAPTURE CONN [--dir c2s|s2c]`: the reassembled bytes of one
//! direction of one connection on stdout; where bytes are missing (gaps) on
//! stderr, never glued silently.

use super::CliError;
use super::input::Capture;
use super::output::Output;
use std::io;
use std::path::PathBuf;
use tcpkit_core::flow::Direction;
use tcpkit_core::reassembly::{ConnSelector, Follower, ReassemblyConfig};

/// Arguments of `tcpkit stream`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture file (pcap or pcapng).
    pub capture: PathBuf,
    /// The connection number (as `tcpkit flows` and tshark's `tcp.stream` count).
    pub conn: u64,
    /// Which direction: client to server or server to client.
    #[arg(long = "dir", value_enum, default_value = "c2s")]
    pub dir: Dir,
    /// List every gap on stderr (default: the first 10 and a total).
    #[arg(long)]
    pub all_gaps: bool,
}

/// Gaps listed on stderr unless `--all-gaps`.
const GAPS_LISTED: usize = 10;

/// A direction on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Dir {
    /// Client to server (the side that sent the first SYN).
    C2s,
    /// Server to client.
    S2c,
}

/// `io::Write` over the command's output (a closed pipe ends quietly).
struct Sink<'a>(&'a mut Output);

impl io::Write for Sink<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(io::Error::other)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(io::Error::other)
    }
}

/// Runs `tcpkit stream`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let mut cap = Capture::open(&args.capture)?;
    let dir = match args.dir {
        Dir::C2s => Direction::ClientToServer,
        Dir::S2c => Direction::ServerToClient,
    };
    let mut follower = Follower::new(
        ConnSelector::Index(args.conn),
        dir,
        ReassemblyConfig::default(),
    );
    let write_err = |e: io::Error| CliError::Input(format!("writing the stream: {e}"));
    while let Some(packet) = cap.next_packet() {
        match packet {
            Ok(p) => follower
                .push_packet(&p, &mut Sink(out))
                .map_err(write_err)?,
            Err(e) => {
                // Everything before the damage is out; then the error.
                out.flush()?;
                return Err(e);
            }
        }
    }
    let summary = follower
        .finish(&mut Sink(out))
        .map_err(|e| CliError::Input(format!("{}: {e}", cap.name)))?;
    let shown = if args.all_gaps {
        summary.gaps.len()
    } else {
        GAPS_LISTED
    };
    for gap in summary.gaps.iter().take(shown) {
        eprintln!("tcpkit: gap: {gap}");
    }
    if summary.gaps.len() > shown {
        let missing: u64 = summary.gaps.iter().map(|g| g.len).sum();
        eprintln!(
            "tcpkit: {} gaps in all, {missing} bytes missing ({} bytes written); --all-gaps lists them",
            summary.gaps.len(),
            summary.bytes_written
        );
    }
    Ok(())
}

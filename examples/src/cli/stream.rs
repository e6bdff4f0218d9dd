//! `tcpkit stream CAPTURE CONN [--dir c2s|s2c]`: the reassembled bytes of one
//! direction of one connection on stdout; where bytes are missing (gaps) on
//! stderr, never glued silently.

use super::CliError;
use super::input;
use super::output::Output;
use std::io;
use std::path::PathBuf;
use tcpkit_core::Event;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::flow::Direction;
use tcpkit_core::reassembly::{ConnSelector, Follower, ReassemblyConfig};

/// Arguments of `tcpkit stream`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The capture file (pcap or pcapng); `-` reads standard input.
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
    // Stories off: the analysis only numbers the connections.
    let cfg = AnalyzerConfig {
        story: false,
        ..AnalyzerConfig::default()
    };
    let mut a = input::open(&args.capture, cfg)?;
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
    // On damage: what the capture held before it is written (with the gaps
    // listed), then the error.
    let mut damage = None;
    while let Some(ev) = a.next_event() {
        match ev {
            Ok(Event::Segment(row)) => {
                follower.push_row(&row, &mut Sink(out)).map_err(write_err)?
            }
            Ok(_) => {}
            Err(e) => damage = Some(input::input(e)),
        }
    }
    follower.note_input(a.counts());
    let summary = match follower.finish(&mut Sink(out)) {
        Ok(s) => s,
        Err(e) => return Err(damage.unwrap_or(CliError::Input(format!("{}: {e}", a.name())))),
    };
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
            "tcpkit: {} in all, {} missing ({} written); --all-gaps lists them",
            tcpkit_core::text::count(summary.gaps.len() as u64, "gap"),
            tcpkit_core::text::count(missing, "byte"),
            tcpkit_core::text::count(summary.bytes_written, "byte")
        );
    }
    out.flush()?;
    damage.map_or(Ok(()), Err)
}

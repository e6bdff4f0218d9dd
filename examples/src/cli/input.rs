//! Opening a capture for a command: through [`Analysis`], the one driver
//! (`-` reads standard input), and turning its errors into one-line messages.

use super::CliError;
use std::path::Path;
use tcpkit_core::analysis::{AnalyzerConfig, Connection};
use tcpkit_core::report::Report;
use tcpkit_core::{Analysis, Event};

/// The lab's handshake-close capture, shipped with the command (`tcpkit report`
/// with no argument).
pub const DEMO: &[u8] = include_bytes!("../../data/demo.pcap");

/// Opens the capture at `path` (`-`: standard input) for analysis with `cfg`;
/// an unreadable file or a header libpcap would refuse is an error naming the
/// file and the reason.
pub fn open(path: &Path, cfg: AnalyzerConfig) -> Result<Analysis, CliError> {
    Analysis::open(path, cfg).map_err(input)
}

/// The demo capture shipped with the command.
pub fn demo(cfg: AnalyzerConfig) -> Result<Analysis, CliError> {
    Analysis::from_bytes(DEMO, cfg).map_err(input)
}

/// A core error as the command reports it (it names the input, the frame and
/// byte offset, and the reason).
pub fn input(e: tcpkit_core::Error) -> CliError {
    CliError::Input(e.to_string())
}

/// What the story commands take from the analysis (segments skipped).
#[derive(Debug)]
pub enum Outcome {
    /// A finished connection.
    Connection(Box<Connection>),
    /// The capture-wide report (last).
    Report(Box<Report>),
    /// The input is damaged (named, with frame, byte offset and reason):
    /// what follows is what the analysis had not yet handed out.
    Damage(CliError),
}

/// The next connection or report of `a` (its segments skipped), `None` at the end.
pub fn next(a: &mut Analysis) -> Option<Outcome> {
    loop {
        return Some(match a.next_event()? {
            Ok(Event::Segment(_)) => continue,
            Ok(Event::Connection(c)) => Outcome::Connection(c),
            Ok(Event::Report(r)) => Outcome::Report(r),
            Err(e) => Outcome::Damage(input(e)),
        });
    }
}

/// The outcomes of an analysis, in order, each with the capture's first
/// time (`Analysis::first_ts_ns`, 0 before any packet; it never changes once
/// set), for the text outputs' relative times. The analysis's threads
/// (`AnalyzerConfig::threads`) are the core's: the same outcomes in the same
/// order whatever their number.
#[derive(Debug)]
pub struct Outcomes {
    a: Box<Analysis>,
}

/// The outcomes of `a` (see [`Outcomes`]).
pub fn outcomes(a: Analysis) -> Outcomes {
    Outcomes { a: Box::new(a) }
}

impl Iterator for Outcomes {
    type Item = (Outcome, i64);

    fn next(&mut self) -> Option<Self::Item> {
        let o = next(&mut self.a)?;
        Some((o, self.a.first_ts_ns().unwrap_or(0)))
    }
}

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

/// Outcomes handed from the analysis thread to the writer in batches of this
/// many (fewer at the end and when the analysis waits on its input).
const BATCH: usize = 64;
/// Batches in flight between the two threads at most (bounded memory).
const IN_FLIGHT: usize = 4;

/// The outcomes of an analysis, in order, each with the capture's first
/// time (`Analysis::first_ts_ns`, 0 before any packet; it never changes once
/// set), for the text outputs' relative times.
///
/// With `threads` 1 the analysis runs on the caller's thread. With 2 or more,
/// it runs on a thread of its own and hands its outcomes over in batches
/// through a bounded channel while the caller formats and writes the previous
/// ones: the same outcomes in the same order (one producer, one FIFO), so the
/// output is the same bytes. Dropping the iterator stops the analysis thread
/// at its next hand-over.
#[derive(Debug)]
pub struct Outcomes {
    inner: Inner,
}

#[derive(Debug)]
enum Inner {
    Here(Box<Analysis>),
    Thread {
        rx: std::sync::mpsc::Receiver<Vec<(Outcome, i64)>>,
        batch: std::vec::IntoIter<(Outcome, i64)>,
    },
}

/// Runs `a` with `threads` threads (see [`Outcomes`]).
pub fn outcomes(a: Analysis, threads: usize) -> Outcomes {
    if threads <= 1 {
        return Outcomes {
            inner: Inner::Here(Box::new(a)),
        };
    }
    let (tx, rx) = std::sync::mpsc::sync_channel(IN_FLIGHT);
    std::thread::spawn(move || {
        let mut a = a;
        let mut batch = Vec::with_capacity(BATCH);
        while let Some(o) = next(&mut a) {
            batch.push((o, a.first_ts_ns().unwrap_or(0)));
            if batch.len() >= BATCH
                && tx
                    .send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))
                    .is_err()
            {
                return;
            }
        }
        let _ = tx.send(batch);
    });
    Outcomes {
        inner: Inner::Thread {
            rx,
            batch: Vec::new().into_iter(),
        },
    }
}

impl Iterator for Outcomes {
    type Item = (Outcome, i64);

    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.inner {
            Inner::Here(a) => {
                let o = next(a)?;
                Some((o, a.first_ts_ns().unwrap_or(0)))
            }
            Inner::Thread { rx, batch } => loop {
                if let Some(o) = batch.next() {
                    return Some(o);
                }
                // Disconnected: the analysis thread has sent everything.
                *batch = rx.recv().ok()?.into_iter();
            },
        }
    }
}

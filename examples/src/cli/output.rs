//! Buffered standard output that goes quiet when the reader goes away.
//!
//! `tcpkit segments big.pcap | head` must stop without an error message: a
//! broken pipe (EPIPE) marks the output closed, and every later write is
//! dropped so the command can wind down (and still report input errors).

use super::CliError;
use std::io::{self, BufWriter, ErrorKind, IsTerminal, Write};

/// Where a command writes its results.
pub struct Output {
    inner: BufWriter<Box<dyn Write>>,
    closed: bool,
    terminal: bool,
}

impl std::fmt::Debug for Output {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Output")
            .field("closed", &self.closed)
            .finish()
    }
}

impl Output {
    /// Standard output, with a 64 KiB buffer: written through its own
    /// descriptor (a duplicate of 1), not `io::stdout()`, whose line
    /// buffering searches every buffer written for its last newline (4 % of
    /// `segments --arrow`'s instructions, callgrind); nothing else here
    /// writes to standard output.
    pub fn stdout() -> Self {
        let stdout = io::stdout();
        let terminal = stdout.is_terminal();
        #[cfg(unix)]
        let w: Box<dyn Write> = match std::os::fd::AsFd::as_fd(&stdout).try_clone_to_owned() {
            Ok(fd) => Box::new(std::fs::File::from(fd)),
            Err(_) => Box::new(stdout.lock()),
        };
        #[cfg(not(unix))]
        let w: Box<dyn Write> = Box::new(stdout.lock());
        Self {
            terminal,
            ..Self::new(w)
        }
    }

    /// Any writer (tests).
    pub fn new(w: Box<dyn Write>) -> Self {
        Self {
            inner: BufWriter::with_capacity(1 << 16, w),
            closed: false,
            terminal: false,
        }
    }

    /// A terminal reads the output (binary output is refused there).
    pub fn is_terminal(&self) -> bool {
        self.terminal
    }

    /// The reader closed the pipe: nothing more will be written.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Writes bytes; a broken pipe closes the output quietly.
    pub fn write(&mut self, b: &[u8]) -> Result<(), CliError> {
        if self.closed {
            return Ok(());
        }
        match self.inner.write_all(b) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(CliError::Output(e)),
        }
    }

    /// Flushes what is buffered (before reporting an error, so that every
    /// line before the damage is out).
    pub fn flush(&mut self) -> Result<(), CliError> {
        if self.closed {
            return Ok(());
        }
        match self.inner.flush() {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            Err(e) => Err(CliError::Output(e)),
        }
    }

    /// Final flush.
    pub fn finish(&mut self) -> Result<(), CliError> {
        self.flush()
    }
}

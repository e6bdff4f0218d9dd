//! `--arrow`: the rows of `--json` as one Arrow IPC stream on standard
//! output (the IPC streaming format, `application/vnd.apache.arrow.stream`),
//! in record batches of [`DEFAULT_BATCH_SIZE`] rows built by the core's batch
//! builders: the same schema, columns and values as the Python package's
//! tables (`tcpkit.analyze(...).segments` / `.connections`), from the same
//! column declarations as the JSON.
//!
//! `pyarrow.ipc.open_stream` and `polars.read_ipc_stream` read it (the
//! Python tests do). On a damaged capture the stream holds every row before
//! the damage and is closed properly, then the command reports the damage
//! and exits 1, as with `--json`.

use super::CliError;
use super::output::Output;
use arrow_ipc::writer::StreamWriter;
use std::io::{self, Write};
use tcpkit_core::arrow::{ArrowError, RecordBatch, SchemaRef};

pub use tcpkit_core::arrow::DEFAULT_BATCH_SIZE;

/// An Arrow IPC stream being written to the command's output.
pub struct ArrowOut<'a> {
    writer: StreamWriter<OutputWriter<'a>>,
}

impl std::fmt::Debug for ArrowOut<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ArrowOut").finish_non_exhaustive()
    }
}

impl<'a> ArrowOut<'a> {
    /// Starts a stream of batches of `schema` on `out` (its schema message is
    /// written at once). Refused when `out` is a terminal: the stream is
    /// binary.
    pub fn start(out: &'a mut Output, schema: &SchemaRef) -> Result<Self, CliError> {
        refuse_terminal(out.is_terminal())?;
        let writer = StreamWriter::try_new(OutputWriter(out), schema).map_err(error)?;
        Ok(Self { writer })
    }

    /// Writes one batch (`None`: nothing to write).
    pub fn write(&mut self, batch: Option<RecordBatch>) -> Result<(), CliError> {
        match batch {
            Some(b) => self.writer.write(&b).map_err(error),
            None => Ok(()),
        }
    }

    /// The reader of the output has gone (a broken pipe): stop.
    pub fn is_closed(&self) -> bool {
        self.writer.get_ref().0.is_closed()
    }

    /// Writes `last` and the end-of-stream marker, and flushes.
    pub fn finish(mut self, last: Option<RecordBatch>) -> Result<(), CliError> {
        self.write(last)?;
        self.writer.finish().map_err(error)?;
        self.writer.get_mut().0.flush()
    }
}

/// The error of `--arrow` on a terminal (`terminal`: the output is one).
fn refuse_terminal(terminal: bool) -> Result<(), CliError> {
    if terminal {
        return Err(CliError::Input(
            "--arrow writes a binary Arrow IPC stream: redirect standard output to a file or a pipe"
                .into(),
        ));
    }
    Ok(())
}

/// A batch builder's error (a bug: the rows are built from the declarations)
/// or the stream's (writing the output) as the command's.
pub fn error(e: ArrowError) -> CliError {
    match e {
        ArrowError::IoError(_, e) => CliError::Output(e),
        e => CliError::Output(io::Error::other(e.to_string())),
    }
}

/// [`Output`] as an `io::Write` for the IPC writer (a broken pipe closes
/// the output quietly, as for the text).
struct OutputWriter<'a>(&'a mut Output);

impl Write for OutputWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.write(buf).map_err(into_io)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.flush().map_err(into_io)
    }
}

fn into_io(e: CliError) -> io::Error {
    match e {
        CliError::Output(e) => e,
        e => io::Error::other(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::refuse_terminal;

    /// A terminal is refused with a message that says what to do; a file or
    /// a pipe is not.
    #[test]
    fn a_terminal_is_refused() {
        let e = refuse_terminal(true).expect_err("refused");
        assert!(e.to_string().contains("redirect standard output"), "{e}");
        assert!(refuse_terminal(false).is_ok());
    }
}

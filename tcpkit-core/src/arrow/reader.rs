//! `RecordBatchReader`s over an [`Analysis`]: its segments, its connections.

use super::{ConnectionBatchBuilder, DEFAULT_BATCH_SIZE, SegmentBatchBuilder};
use crate::driver::{Analysis, Event};
use crate::error::Error;
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};

/// A driver error as an Arrow error (the reader's item type).
fn external(e: Error) -> ArrowError {
    ArrowError::ExternalError(Box::new(e))
}

/// The analysed segments of an [`Analysis`] as Arrow batches
/// ([`segments_reader`]).
#[derive(Debug)]
pub struct SegmentsReader {
    analysis: Analysis,
    builder: SegmentBatchBuilder,
    schema: SchemaRef,
    /// A capture error met, to yield after the rows before it.
    error: Option<Error>,
    done: bool,
}

/// The analysed TCP segments of `analysis`, `batch_size` rows per batch (0:
/// [`DEFAULT_BATCH_SIZE`]), one row per segment that `tcpkit segments --json`
/// prints (a segment whose header is too short to analyse has none).
/// Stories are not needed for segment rows: open the analysis with
/// `AnalyzerConfig { story: false, .. }` to skip them. On a damaged capture,
/// every segment before the damage comes first, then the error. The
/// analysis yields segment rows from now on
/// ([`Analysis::segments`](crate::Analysis::segments)).
pub fn segments_reader(analysis: Analysis, batch_size: usize) -> SegmentsReader {
    let analysis = analysis.segments(true);
    let builder = SegmentBatchBuilder::new(if batch_size == 0 {
        DEFAULT_BATCH_SIZE
    } else {
        batch_size
    });
    SegmentsReader {
        analysis,
        schema: builder.schema(),
        builder,
        error: None,
        done: false,
    }
}

impl Iterator for SegmentsReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.error.take() {
            return Some(Err(external(e)));
        }
        while !self.done {
            match self.analysis.next_event() {
                // By reference: the row is large, moving it costs.
                Some(Ok(Event::Segment(ref row))) => {
                    let Some(f) = &row.facts else {
                        continue;
                    };
                    match self
                        .builder
                        .push(row.packet.frame, row.packet.ts_ns, &row.segment, f)
                    {
                        Ok(Some(batch)) => return Some(Ok(batch)),
                        Ok(None) => {}
                        Err(e) => return Some(Err(e)),
                    }
                }
                Some(Ok(_)) => {}
                // No segment comes after damage (only connections).
                Some(Err(e)) => {
                    self.error = Some(e);
                    self.done = true;
                }
                None => self.done = true,
            }
        }
        match self.builder.finish() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => self.error.take().map(|e| Err(external(e))),
            Err(e) => Some(Err(e)),
        }
    }
}

impl RecordBatchReader for SegmentsReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// The connections of an [`Analysis`] as Arrow batches ([`connections_reader`]).
#[derive(Debug)]
pub struct ConnectionsReader {
    analysis: Analysis,
    builder: ConnectionBatchBuilder,
    schema: SchemaRef,
    error: Option<Error>,
    done: bool,
}

/// The connections of `analysis` in the order it hands them out (as
/// `tcpkit flows` prints them), `batch_size` rows per batch (0:
/// [`DEFAULT_BATCH_SIZE`]). The story's columns are null when the analysis
/// runs with `AnalyzerConfig { story: false, .. }`. On a
/// damaged capture, every connection seen before the damage comes first,
/// then the error. The analysis yields no segment rows from now on (so that
/// [`AnalyzerConfig::threads`](crate::analysis::AnalyzerConfig::threads)
/// applies).
pub fn connections_reader(analysis: Analysis, batch_size: usize) -> ConnectionsReader {
    let analysis = analysis.segments(false);
    let builder = ConnectionBatchBuilder::new(if batch_size == 0 {
        DEFAULT_BATCH_SIZE
    } else {
        batch_size
    });
    ConnectionsReader {
        analysis,
        schema: builder.schema(),
        builder,
        error: None,
        done: false,
    }
}

impl Iterator for ConnectionsReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        while !self.done {
            match self.analysis.next_event() {
                Some(Ok(Event::Connection(rec))) => match self.builder.push(&rec) {
                    Ok(Some(batch)) => return Some(Ok(batch)),
                    Ok(None) => {}
                    Err(e) => return Some(Err(e)),
                },
                Some(Ok(_)) => {}
                // The connections before the damage still come.
                Some(Err(e)) => {
                    self.error.get_or_insert(e);
                }
                None => self.done = true,
            }
        }
        match self.builder.finish() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => self.error.take().map(|e| Err(external(e))),
            Err(e) => Some(Err(e)),
        }
    }
}

impl RecordBatchReader for ConnectionsReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

//! `RecordBatchReader`s over a capture file: its segments, its connections.

use super::{ConnectionBatchBuilder, DEFAULT_BATCH_SIZE, SegmentBatchBuilder};
use crate::analysis::story::{self, ConnectionStory};
use crate::analysis::{Analyzer, AnalyzerConfig, SegmentFacts};
use crate::capture::{PacketSource, StreamReader};
use crate::error::{CaptureError, Error};
use crate::wire::{self, Segment};
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use std::fs::File;
use std::path::Path;

/// Reads a capture and analyses its segments, one at a time.
///
/// The one small stand-in for the driver (`tcpkit_core::Analysis`) until it
/// lands: decode, skip what is not an analysable TCP segment, observe.
#[derive(Debug)]
struct Source {
    packets: StreamReader<File>,
    analyzer: Analyzer,
}

impl Source {
    fn open(path: &Path, cfg: AnalyzerConfig) -> Result<Self, Error> {
        Ok(Self {
            packets: crate::capture::open(path)?,
            analyzer: Analyzer::new(cfg),
        })
    }

    /// Reads up to the next analysable segment and hands it, with its facts,
    /// to `each`; finished connections go to `done`. `None` at the end.
    fn next<R>(
        &mut self,
        each: impl FnOnce(u64, i64, &Segment<'_>, &SegmentFacts) -> R,
        mut done: impl FnMut(ConnectionStory),
    ) -> Option<Result<R, CaptureError>> {
        loop {
            let p = match self.packets.next_packet()? {
                Ok(p) => p,
                Err(e) => return Some(Err(e)),
            };
            let Ok(Some(seg)) = wire::decode(&p) else {
                continue;
            };
            if !seg.analysable() {
                continue;
            }
            let f = self.analyzer.observe(p.frame, p.ts_ns, &seg);
            while let Some(rec) = self.analyzer.pop_finished() {
                if let Some(s) = rec.story {
                    done(*s);
                }
            }
            return Some(Ok(each(p.frame, p.ts_ns, &seg, &f)));
        }
    }
}

/// The segments of a capture as Arrow batches ([`segments_reader`]).
#[derive(Debug)]
pub struct SegmentsReader {
    src: Source,
    builder: SegmentBatchBuilder,
    schema: SchemaRef,
    /// A capture error met, to yield after the rows before it.
    error: Option<CaptureError>,
    done: bool,
}

/// The analysed TCP segments of the capture at `path`, `batch_size` rows per
/// batch (0: [`DEFAULT_BATCH_SIZE`]); the stories are not built. On a damaged
/// capture, every segment before the damage comes first, then the error.
pub fn segments_reader(
    path: impl AsRef<Path>,
    cfg: AnalyzerConfig,
    batch_size: usize,
) -> Result<SegmentsReader, Error> {
    let cfg = AnalyzerConfig {
        story: false,
        ..cfg
    };
    let builder = SegmentBatchBuilder::new(if batch_size == 0 {
        DEFAULT_BATCH_SIZE
    } else {
        batch_size
    });
    Ok(SegmentsReader {
        src: Source::open(path.as_ref(), cfg)?,
        schema: builder.schema(),
        builder,
        error: None,
        done: false,
    })
}

impl Iterator for SegmentsReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        if let Some(e) = self.error.take() {
            self.done = true;
            return Some(Err(ArrowError::ExternalError(Box::new(e))));
        }
        let b = &mut self.builder;
        loop {
            match self
                .src
                .next(|fr, ts, seg, f| b.push(fr, ts, seg, f), |_| {})
            {
                Some(Ok(Ok(Some(batch)))) => return Some(Ok(batch)),
                Some(Ok(Ok(None))) => {}
                Some(Ok(Err(e))) => {
                    self.done = true;
                    return Some(Err(e));
                }
                Some(Err(e)) => {
                    self.error = Some(e);
                    break;
                }
                None => {
                    self.done = true;
                    break;
                }
            }
        }
        match b.finish() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => self.next(),
            Err(e) => Some(Err(e)),
        }
    }
}

impl RecordBatchReader for SegmentsReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// The connections of a capture as Arrow batches ([`connections_reader`]).
#[derive(Debug)]
pub struct ConnectionsReader {
    stories: std::vec::IntoIter<ConnectionStory>,
    builder: ConnectionBatchBuilder,
    schema: SchemaRef,
    error: Option<CaptureError>,
}

/// The connections of the capture at `path` (in connection-number order,
/// cross-checked as `tcpkit flows` prints them), `batch_size` rows per batch
/// (0: [`DEFAULT_BATCH_SIZE`]). On a damaged capture, every connection seen
/// before the damage comes first, then the error.
///
/// Until the streaming driver lands this reads the whole capture first.
pub fn connections_reader(
    path: impl AsRef<Path>,
    cfg: AnalyzerConfig,
    batch_size: usize,
) -> Result<ConnectionsReader, Error> {
    let cfg = AnalyzerConfig { story: true, ..cfg };
    let mut src = Source::open(path.as_ref(), cfg)?;
    let mut stories = Vec::new();
    let mut error = None;
    loop {
        match src.next(|_, _, _, _| (), |s| stories.push(s)) {
            Some(Ok(())) => {}
            Some(Err(e)) => {
                error = Some(e);
                break;
            }
            None => break,
        }
    }
    for rec in src.analyzer.finish().connections {
        if let Some(s) = rec.story {
            stories.push(*s);
        }
    }
    stories.sort_by_key(|s| s.conn);
    story::cross_check(&mut stories);
    let builder = ConnectionBatchBuilder::new(if batch_size == 0 {
        DEFAULT_BATCH_SIZE
    } else {
        batch_size
    });
    Ok(ConnectionsReader {
        stories: stories.into_iter(),
        schema: builder.schema(),
        builder,
        error,
    })
}

impl Iterator for ConnectionsReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        for s in self.stories.by_ref() {
            match self.builder.push(&s) {
                Ok(Some(batch)) => return Some(Ok(batch)),
                Ok(None) => {}
                Err(e) => return Some(Err(e)),
            }
        }
        match self.builder.finish() {
            Ok(Some(batch)) => Some(Ok(batch)),
            Ok(None) => self
                .error
                .take()
                .map(|e| Err(ArrowError::ExternalError(Box::new(e)))),
            Err(e) => Some(Err(e)),
        }
    }
}

impl RecordBatchReader for ConnectionsReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

//! Arrow `RecordBatch`es of segments and connections (cargo feature `arrow`).
//!
//! The Arrow schema and the column builders come from the column
//! declarations of [`crate::schema`], the same ones `tcpkit segments --json`
//! and `tcpkit flows --json` are written from: a column's name, type,
//! nullability and doc (as the field metadata `doc`) are declared once.
//! Times are `Timestamp(Nanosecond, "UTC")`, spans `Duration(Nanosecond)`,
//! TCP options a list of structs.
//!
//! From a capture file to Arrow batches of its segments:
//!
//! ```
//! use tcpkit_core::Analysis;
//! use tcpkit_core::analysis::AnalyzerConfig;
//! use tcpkit_core::arrow::{self, RecordBatchReader};
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/captures/lab/handshake-close/capture.pcap");
//!
//! let no_stories = AnalyzerConfig { story: false, ..AnalyzerConfig::default() };
//! let segments = arrow::segments_reader(Analysis::open(path, no_stories)?, 8192);
//! let schema = segments.schema(); // frame, ts_ns, src, ..., options, conn, seq, ...
//! for batch in segments {
//!     let batch = batch?;
//!     assert_eq!(batch.schema(), schema);
//!     println!("{} segments", batch.num_rows());
//! }
//! // The connections, one row each, with their story:
//! let flows = arrow::connections_reader(Analysis::open(path, AnalyzerConfig::default())?, 0);
//! let n: usize = flows.map(|b| b.map(|b| b.num_rows())).sum::<Result<_, _>>()?;
//! assert_eq!(n, 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The capture-wide report's findings and listeners are tables too
//! ([`findings_batch`], [`listeners_batch`]), from [`crate::schema::report`].
//!
//! A reader is `Send` and can be handed to C or Python as an Arrow C stream:
//! `arrow_array::ffi_stream::FFI_ArrowArrayStream::new(Box::new(reader))`.

mod builder;
mod reader;

pub use arrow_array::{RecordBatch, RecordBatchReader};
pub use arrow_schema::{ArrowError, Schema, SchemaRef};
pub use builder::{ConnectionBatchBuilder, RowBuilder, SegmentBatchBuilder};
pub use reader::{ConnectionsReader, SegmentsReader, connections_reader, segments_reader};

use crate::report::Report;
use crate::schema::{self, Field, Type};
use arrow_schema::{DataType, TimeUnit};
use std::collections::HashMap;
use std::sync::Arc;

/// The batch size the readers use when given 0.
pub const DEFAULT_BATCH_SIZE: usize = 8192;

/// The Arrow type of a declared type.
pub fn data_type(ty: Type) -> DataType {
    match ty {
        Type::Bool => DataType::Boolean,
        Type::UInt8 => DataType::UInt8,
        Type::UInt16 => DataType::UInt16,
        Type::UInt32 => DataType::UInt32,
        Type::UInt64 => DataType::UInt64,
        Type::Int64 => DataType::Int64,
        Type::Float64 => DataType::Float64,
        Type::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        Type::Duration => DataType::Duration(TimeUnit::Nanosecond),
        Type::Utf8 => DataType::Utf8,
        Type::Binary => DataType::Binary,
        Type::Struct(fields) | Type::Tuple(fields) => DataType::Struct(arrow_fields(fields)),
        Type::List(item) => DataType::List(Arc::new(arrow_field(item))),
    }
}

/// The Arrow field of a declared field (its doc as the metadata `doc`).
pub fn arrow_field(f: &Field) -> arrow_schema::Field {
    arrow_schema::Field::new(f.name, data_type(f.ty), f.nullable)
        .with_metadata(HashMap::from([("doc".to_owned(), f.doc.to_owned())]))
}

/// The Arrow fields of declared fields.
pub fn arrow_fields(fields: &[&Field]) -> arrow_schema::Fields {
    fields.iter().map(|f| arrow_field(f)).collect()
}

/// The schema of a row type: its row field's struct fields, as columns.
pub fn schema_of(row: &'static Field) -> SchemaRef {
    Arc::new(Schema::new(arrow_fields(row.children())))
}

/// The schema of the segment batches ([`schema::segment::COLUMNS`]).
pub fn segment_schema() -> SchemaRef {
    schema_of(&schema::segment::SEGMENT)
}

/// The schema of the connection batches ([`schema::connection`]).
pub fn connection_schema() -> SchemaRef {
    schema_of(&schema::connection::CONNECTION)
}

/// The schema of [`findings_batch`] ([`schema::report::FINDING`]).
pub fn finding_schema() -> SchemaRef {
    schema_of(&schema::report::FINDING)
}

/// The schema of [`listeners_batch`] ([`schema::report::LISTENER`]).
pub fn listener_schema() -> SchemaRef {
    schema_of(&schema::report::LISTENER)
}

/// The findings of a report, one row each (`code`, then every code's
/// numbers: null where the code has none), in the report's order.
pub fn findings_batch(report: &Report) -> Result<RecordBatch, ArrowError> {
    let mut b = RowBuilder::new(&schema::report::FINDING, report.findings.len());
    for f in &report.findings {
        schema::report::visit_finding(&mut b, f);
    }
    b.finish()
}

/// The listeners of a report, one row each, by address.
pub fn listeners_batch(report: &Report) -> Result<RecordBatch, ArrowError> {
    let mut b = RowBuilder::new(&schema::report::LISTENER, report.listeners.len());
    for l in &report.listeners {
        schema::report::visit_listener(&mut b, l);
    }
    b.finish()
}

#[cfg(test)]
mod tests;

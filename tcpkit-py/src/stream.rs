//! `tcpkit.stream()`: the segments or connections of a capture as Arrow
//! batches made while they are read (the core's `segments_reader` /
//! `connections_reader` behind an Arrow C stream), one batch in memory at a
//! time, for captures whose whole table does not fit.

use crate::analysis::{config, open};
use crate::table::{schema_capsule, stream_capsule};
use arrow_array::RecordBatchReader;
use arrow_schema::SchemaRef;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyCapsule, PyDict};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tcpkit_core::arrow::{connections_reader, segments_reader};

type Reader = Box<dyn RecordBatchReader + Send>;

/// A one-shot stream of Arrow batches (the Arrow PyCapsule interface): read
/// it once, e.g. with `pyarrow.RecordBatchReader.from_stream(s)`.
#[pyclass(frozen, module = "tcpkit", name = "BatchStream")]
pub struct BatchStream {
    kind: &'static str,
    schema: SchemaRef,
    reader: Mutex<Option<Reader>>,
}

impl std::fmt::Debug for BatchStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BatchStream")
            .field("kind", &self.kind)
            .finish_non_exhaustive()
    }
}

#[pymethods]
impl BatchStream {
    /// The Arrow schema, as an `arrow_schema` PyCapsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &self.schema)
    }

    /// The batches, as an `arrow_array_stream` PyCapsule: the capture is read
    /// and analysed as the consumer asks for batches. Once only.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = self
            .reader
            .lock()
            .map_err(|_| PyRuntimeError::new_err("poisoned"))?
            .take()
            .ok_or_else(|| {
                PyValueError::new_err("this stream was read already: call tcpkit.stream() again")
            })?;
        stream_capsule(py, reader)
    }

    fn __repr__(&self) -> String {
        format!("<tcpkit.BatchStream of {}>", self.kind)
    }
}

/// `tcpkit.stream` (see `python/tcpkit/_analysis.py`).
#[pyfunction]
#[pyo3(signature = (source, *, table="segments", batch_size=0, options=None))]
pub fn _stream(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    table: &str,
    batch_size: usize,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<BatchStream> {
    let o = config(options)?;
    if options.is_some_and(|d| d.contains("segments").unwrap_or(false)) {
        return Err(PyTypeError::new_err(
            "stream() takes no 'segments' option: table=\"segments\" or \"connections\" says which rows",
        ));
    }
    let mut cfg = o.cfg;
    let kind = match table {
        "segments" => "segments",
        "connections" => "connections",
        _ => {
            return Err(PyValueError::new_err(format!(
                "table must be \"segments\" or \"connections\", not {table:?}"
            )));
        }
    };
    o.check_threads(kind == "segments", false)?;
    // Segment rows need no stories (unless asked for).
    if kind == "segments" && options.is_none_or(|o| !o.contains("story").unwrap_or(false)) {
        cfg.story = false;
    }
    let a = open(py, source, cfg, &Arc::new(AtomicU64::new(0)))?;
    let reader: Reader = if kind == "segments" {
        Box::new(segments_reader(a, batch_size))
    } else {
        Box::new(connections_reader(a, batch_size))
    };
    Ok(BatchStream {
        kind,
        schema: reader.schema(),
        reader: Mutex::new(Some(reader)),
    })
}

//! A table of Arrow record batches, handed to Python through the Arrow
//! PyCapsule interface (`__arrow_c_stream__`, `__arrow_c_schema__`): pyarrow,
//! polars, pandas (through pyarrow) and duckdb read it without a Python object
//! per row, and without tcpkit importing any of them.

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchIterator, RecordBatchReader};
use arrow_schema::SchemaRef;
use arrow_schema::ffi::FFI_ArrowSchema;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;

/// `schema` as an `arrow_schema` PyCapsule (`__arrow_c_schema__`).
pub(crate) fn schema_capsule<'py>(
    py: Python<'py>,
    schema: &SchemaRef,
) -> PyResult<Bound<'py, PyCapsule>> {
    let schema = FFI_ArrowSchema::try_from(schema.as_ref())
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    PyCapsule::new_with_value(py, schema, c"arrow_schema")
}

/// `reader`'s batches as an `arrow_array_stream` PyCapsule
/// (`__arrow_c_stream__`): the consumer pulls them through the C stream.
pub(crate) fn stream_capsule<'py>(
    py: Python<'py>,
    reader: Box<dyn RecordBatchReader + Send>,
) -> PyResult<Bound<'py, PyCapsule>> {
    PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(reader), c"arrow_array_stream")
}

/// Columns of one kind of row (segments or connections), as Arrow batches.
///
/// Read it with any library of the Arrow PyCapsule interface:
/// `pyarrow.table(t)`, `polars.DataFrame(t)`, `duckdb.sql("select * from t")`,
/// or `t.to_pandas()` / `t.to_polars()` / `t.to_arrow()`. It can be read any
/// number of times; the batches are shared, not copied.
#[pyclass(frozen, module = "tcpkit", name = "Table")]
#[derive(Debug)]
pub struct Table {
    kind: &'static str,
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
}

impl Table {
    /// A table of `kind` rows ("segments", "connections") from its batches.
    pub fn new(kind: &'static str, schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self {
            kind,
            schema,
            batches,
        }
    }

    fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }
}

#[pymethods]
impl Table {
    /// The Arrow schema, as an `arrow_schema` PyCapsule.
    fn __arrow_c_schema__<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyCapsule>> {
        schema_capsule(py, &self.schema)
    }

    /// The rows, as an `arrow_array_stream` PyCapsule. `requested_schema` is
    /// ignored (the interface allows it): the columns come as the schema says.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let batches = self.batches.clone().into_iter().map(Ok);
        stream_capsule(
            py,
            Box::new(RecordBatchIterator::new(batches, self.schema.clone())),
        )
    }

    /// The number of rows.
    #[getter]
    fn num_rows(&self) -> usize {
        self.rows()
    }

    fn __len__(&self) -> usize {
        self.rows()
    }

    /// The column names, in order.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// A `pyarrow.Table` (needs pyarrow).
    fn to_arrow<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("pyarrow")?.call_method1("table", (slf,))
    }

    /// A `pandas.DataFrame` (needs pandas and pyarrow), with no Python object
    /// per row: timestamps as `datetime64[ns, UTC]`, durations as
    /// `timedelta64[ns]`, numbers as NumPy columns (copies); strings, lists,
    /// structs and integers with nulls Arrow-backed (`pd.ArrowDtype`, sharing
    /// the table's memory). `zero_copy=True`: every column Arrow-backed, no
    /// copy at all (see `tcpkit._convert.to_pandas`).
    #[pyo3(signature = (*, zero_copy=false))]
    fn to_pandas<'py>(slf: &Bound<'py, Self>, zero_copy: bool) -> PyResult<Bound<'py, PyAny>> {
        slf.py()
            .import("tcpkit._convert")?
            .call_method1("to_pandas", (slf, zero_copy))
    }

    /// A `polars.DataFrame` (needs polars).
    fn to_polars<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyAny>> {
        slf.py().import("polars")?.call_method1("DataFrame", (slf,))
    }

    fn __repr__(&self) -> String {
        format!(
            "<tcpkit.Table of {}: {} rows, {} columns>",
            self.kind,
            self.rows(),
            self.schema.fields().len()
        )
    }
}

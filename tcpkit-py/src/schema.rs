//! The core's column declarations ([`tcpkit_core::schema`]) as Python values,
//! for the typed record classes of `tcpkit._records` (generated from them by
//! `tcpkit-py/scripts/gen_records.py`, checked by the tests).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};
use tcpkit_core::schema::{Field, Type, connection, report, segment};

/// The type name of a declared type.
fn type_name(ty: Type) -> &'static str {
    match ty {
        Type::Bool => "bool",
        Type::UInt8 => "uint8",
        Type::UInt16 => "uint16",
        Type::UInt32 => "uint32",
        Type::UInt64 => "uint64",
        Type::Int64 => "int64",
        Type::Float64 => "float64",
        Type::Timestamp => "timestamp",
        Type::Duration => "duration",
        Type::Utf8 => "utf8",
        Type::Binary => "binary",
        Type::Struct(_) => "struct",
        Type::Tuple(_) => "tuple",
        Type::List(_) => "list",
        _ => "unknown",
    }
}

/// `(name, type, nullable, doc, key, children)`: `key` tells struct and
/// tuple declarations apart (the same key: the same list of fields), 0 for
/// other types; `children` are a struct's or tuple's fields, or a list's item.
fn describe<'py>(py: Python<'py>, f: &'static Field) -> PyResult<Bound<'py, PyTuple>> {
    let (key, children): (usize, Vec<&'static Field>) = match f.ty {
        Type::Struct(c) | Type::Tuple(c) => (c.as_ptr() as usize, c.to_vec()),
        Type::List(item) => (0, vec![item]),
        _ => (0, Vec::new()),
    };
    let kids = PyList::empty(py);
    for c in children {
        kids.append(describe(py, c)?)?;
    }
    (f.name, type_name(f.ty), f.nullable, f.doc, key, kids).into_pyobject(py)
}

/// The declaration of a row type: `segment`, `connection`, `report`,
/// `listener` or `finding`.
#[pyfunction]
pub fn _schema<'py>(py: Python<'py>, row: &str) -> PyResult<Bound<'py, PyTuple>> {
    let f: &'static Field = match row {
        "segment" => &segment::SEGMENT,
        "connection" => &connection::CONNECTION,
        "report" => &report::REPORT,
        "listener" => &report::LISTENER,
        "finding" => &report::FINDING,
        _ => return Err(PyValueError::new_err(format!("no row type {row:?}"))),
    };
    describe(py, f)
}

//! Python values of one row, from the core's schema ([`tcpkit_core::schema`]):
//! a [`Sink`] that builds a `dict` per struct, a `list` per list, a `tuple`
//! per tuple. Integers stay integers (times and durations as nanoseconds, as
//! in the core), so no precision is lost; the Arrow tables carry the same
//! values typed as timestamps and durations.

use pyo3::IntoPyObjectExt;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};
use std::net::IpAddr;
use tcpkit_core::schema::{Field, Sink, Type};
use tcpkit_core::wire::write_addr;

enum Open<'py> {
    Struct(&'static Field, Bound<'py, PyDict>),
    List(&'static Field, Bound<'py, PyList>),
}

/// Builds the Python value of one visited row.
pub struct PySink<'py> {
    py: Python<'py>,
    stack: Vec<Open<'py>>,
    row: Option<Bound<'py, PyAny>>,
    err: Option<PyErr>,
}

impl<'py> PySink<'py> {
    /// An empty sink; hand it to a `visit` function, then call [`Self::finish`].
    pub fn new(py: Python<'py>) -> Self {
        Self {
            py,
            stack: Vec::new(),
            row: None,
            err: None,
        }
    }

    /// The row (a `dict`), or the first error met.
    pub fn finish(self) -> PyResult<Bound<'py, PyAny>> {
        if let Some(e) = self.err {
            return Err(e);
        }
        self.row
            .ok_or_else(|| pyo3::exceptions::PyRuntimeError::new_err("no row was visited"))
    }

    fn put(&mut self, f: &'static Field, v: Bound<'py, PyAny>) {
        let r = match self.stack.last() {
            Some(Open::Struct(_, d)) => d.set_item(f.name, v),
            Some(Open::List(_, l)) => l.append(v),
            None => {
                self.row = Some(v);
                Ok(())
            }
        };
        if let Err(e) = r {
            self.err.get_or_insert(e);
        }
    }

    fn value<T: IntoPyObject<'py>>(&mut self, f: &'static Field, v: T) {
        match v.into_bound_py_any(self.py) {
            Ok(v) => self.put(f, v),
            Err(e) => {
                self.err.get_or_insert(e);
            }
        }
    }
}

impl Sink for PySink<'_> {
    fn null(&mut self, f: &'static Field) {
        self.put(f, self.py.None().into_bound(self.py));
    }
    fn bool(&mut self, f: &'static Field, v: bool) {
        self.value(f, v);
    }
    fn u64(&mut self, f: &'static Field, v: u64) {
        self.value(f, v);
    }
    fn i64(&mut self, f: &'static Field, v: i64) {
        self.value(f, v);
    }
    fn f64(&mut self, f: &'static Field, v: f64) {
        self.value(f, v);
    }
    fn str(&mut self, f: &'static Field, v: &str) {
        self.value(f, v);
    }
    fn addr(&mut self, f: &'static Field, v: &IpAddr) {
        let mut s = String::new();
        // Writing into a String cannot fail.
        let _ = write_addr(&mut s, v);
        self.value(f, s);
    }
    fn bytes(&mut self, f: &'static Field, v: &[u8]) {
        let b = PyBytes::new(self.py, v).into_any();
        self.put(f, b);
    }
    fn begin(&mut self, f: &'static Field) {
        let open = match f.ty {
            Type::List(_) => Open::List(f, PyList::empty(self.py)),
            _ => Open::Struct(f, PyDict::new(self.py)),
        };
        self.stack.push(open);
    }
    fn end(&mut self) {
        let Some(open) = self.stack.pop() else {
            return;
        };
        match open {
            Open::List(f, l) => self.put(f, l.into_any()),
            Open::Struct(f, d) => {
                // A field not visited (absent) reads as None, as in Arrow.
                for c in f.children() {
                    match d.contains(c.name) {
                        Ok(false) => {
                            if let Err(e) = d.set_item(c.name, self.py.None()) {
                                self.err.get_or_insert(e);
                            }
                        }
                        Ok(true) => {}
                        Err(e) => {
                            self.err.get_or_insert(e);
                        }
                    }
                }
                let v = if matches!(f.ty, Type::Tuple(_)) {
                    let items: Vec<_> = d.values().iter().collect();
                    match PyTuple::new(self.py, items) {
                        Ok(t) => t.into_any(),
                        Err(e) => {
                            self.err.get_or_insert(e);
                            return;
                        }
                    }
                } else {
                    d.into_any()
                };
                self.put(f, v);
            }
        }
    }
}

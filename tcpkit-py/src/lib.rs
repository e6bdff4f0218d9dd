//! Python bindings of tcpkit: the extension module `tcpkit._tcpkit`.
//!
//! This crate only converts: the analysis is `tcpkit_core`'s, the command is
//! `tcpkit_cli`'s. The Python API around it lives in `python/tcpkit/`.

mod analysis;
mod cli;
mod errors;
mod schema;
mod sink;
mod stream;
mod table;

use pyo3::prelude::*;

/// The extension module `tcpkit._tcpkit` (private; import `tcpkit`).
#[pymodule]
#[pyo3(name = "_tcpkit")]
fn tcpkit_module(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_function(wrap_pyfunction!(cli::run_cli, m)?)?;
    m.add_class::<table::Table>()?;
    m.add_class::<analysis::Results>()?;
    m.add_class::<analysis::Live>()?;
    m.add_function(wrap_pyfunction!(analysis::_analyze, m)?)?;
    m.add_function(wrap_pyfunction!(analysis::_check, m)?)?;
    m.add_function(wrap_pyfunction!(schema::_schema, m)?)?;
    m.add_function(wrap_pyfunction!(stream::_stream, m)?)?;
    m.add_class::<stream::BatchStream>()?;
    m.add("CaptureError", m.py().get_type::<errors::CaptureError>())?;
    Ok(())
}

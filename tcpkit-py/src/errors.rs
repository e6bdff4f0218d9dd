//! The core's errors as Python exceptions.
//!
//! - a file that does not exist: `FileNotFoundError` (other I/O: `OSError`,
//!   with the errno);
//! - a capture that cannot be read (further): `tcpkit.CaptureError`, a
//!   `ValueError` whose message is the command's error line and whose
//!   attributes `file`, `offset`, `frame`, `reason` say where and why.

use pyo3::exceptions::{PyFileNotFoundError, PyOSError, PyValueError};
use pyo3::prelude::*;
use tcpkit_core::Error;

pyo3::create_exception!(
    tcpkit,
    CaptureError,
    PyValueError,
    "A capture that cannot be read (further): `file`, byte `offset`, `frame` (1-based, None \
     when the damage is not in a packet record) and `reason`."
);

/// The Python exception for `e`, from reading the input `name`.
pub fn to_pyerr(py: Python<'_>, e: &Error) -> PyErr {
    let (name, inner) = match e {
        Error::Input { name, source } => (Some(name.as_str()), source.as_ref()),
        other => (None, other),
    };
    if let Error::Io(io) = inner {
        let errno = io.raw_os_error().unwrap_or(0);
        let args = (errno, io.to_string(), name.map(str::to_owned));
        return match io.kind() {
            std::io::ErrorKind::NotFound => PyFileNotFoundError::new_err(args),
            _ => PyOSError::new_err(args),
        };
    }
    let err = CaptureError::new_err(e.to_string());
    let value = err.value(py);
    let set = || -> PyResult<()> {
        value.setattr("file", name)?;
        match e.capture() {
            Some(c) => {
                value.setattr("offset", c.offset)?;
                value.setattr("frame", c.frame)?;
                value.setattr("reason", c.kind.to_string())?;
            }
            None => {
                value.setattr("offset", py.None())?;
                value.setattr("frame", py.None())?;
                value.setattr("reason", inner.to_string())?;
            }
        }
        Ok(())
    };
    match set() {
        Ok(()) => err,
        Err(e) => e,
    }
}

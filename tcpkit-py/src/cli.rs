//! `python -m tcpkit ...`: the `tcpkit` command itself, run in-process.

use pyo3::prelude::*;
use std::ffi::OsString;
use std::io::Write;

/// Runs the `tcpkit` command on `argv` (`argv[0]` is the program name) and
/// returns its exit status. It writes to this process's file descriptors 1
/// and 2, exactly as the `tcpkit` binary does; flush Python's own
/// `sys.stdout`/`sys.stderr` before calling. The GIL is released meanwhile.
#[pyfunction]
#[pyo3(name = "run_cli")]
pub fn run_cli(py: Python<'_>, argv: Vec<OsString>) -> u8 {
    py.detach(|| {
        let code = tcpkit_cli::cli::run_with_args(argv);
        // Rust's stdout is line-buffered and, inside an extension module, never
        // flushed at exit: push out a last line without a newline (`stream`).
        let _ = std::io::stdout().flush();
        code
    })
}

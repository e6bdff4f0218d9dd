//! Python bindings of tcpkit (PyO3 module `tcpkit._tcpkit`).
//!
//! Placeholder: the bindings arrive with the Python issue. They will only
//! convert what `tcpkit_core` produced (Arrow batches of segment facts,
//! connection summaries); no analysis lives here.

/// The tcpkit-core version these bindings are built against.
pub fn core_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

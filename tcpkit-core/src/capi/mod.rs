//! The C ABI (cargo feature `capi`): `#include "tcpkit.h"`.
//!
//! Written only against the public Rust API of this crate: no analysis here,
//! only handles, argument checks and conversions. The header
//! `include/tcpkit.h` is generated from this module by cbindgen
//! (`tcpkit-core/cbindgen.toml`); `include/README.md` tells how to build,
//! link and use it.
//!
//! Conventions (rustls-ffi's):
//! - every name starts with `tcpkit_` (`TCPKIT_` for constants);
//! - handles are opaque and come in pairs: `tcpkit_X_new`/`_open` and
//!   `tcpkit_X_free`; `_free(NULL)` does nothing;
//! - every fallible function returns a `tcpkit_status` and writes its
//!   out-parameters only when it returns `TCPKIT_STATUS_OK`; on an error it
//!   also records a message (file, frame, byte offset, reason) readable with
//!   `tcpkit_last_error_message` and `tcpkit_last_error_details` on the
//!   same thread;
//! - every pointer is checked for NULL, caller input is never `assert!`ed, and
//!   a Rust panic never crosses into C: it becomes `TCPKIT_STATUS_PANIC`;
//! - borrowed strings are `tcpkit_str` (pointer and length, NUL-terminated
//!   as well); each function says how long they stay valid.
//!
//! The functions are `unsafe extern "C"`: what makes a call sound (valid
//! pointers, lifetimes) is in each function's `# Safety` section.

#![allow(non_camel_case_types)]

mod analyzer;
mod arrow;
mod connection;
mod error;
mod options;
mod report;
mod util;

pub use analyzer::*;
pub use arrow::*;
pub use connection::*;
pub use error::{
    tcpkit_error_details, tcpkit_last_error_details, tcpkit_last_error_message, tcpkit_status,
    tcpkit_status_name,
};
pub use options::*;
pub use report::*;
pub use util::{tcpkit_str, tcpkit_version};

//! Arrow C streams (`struct ArrowArrayStream`) of an analyzer's segments or
//! connections, from the core's `RecordBatchReader`s.

use super::analyzer::tcpkit_analyzer;
use super::error::{boundary, tcpkit_status};
use super::util::{arg_mut, check_out};
use crate::arrow::{RecordBatchReader, connections_reader, segments_reader};
use crate::driver::Analysis;
use arrow_array::ffi_stream::FFI_ArrowArrayStream;

/// Moves the analysis of `a` into a stream made by `reader`, written to
/// `*out`.
///
/// # Safety
/// As the public functions': `a` NULL or a live analyzer used by no other
/// thread, `out` NULL or valid for writing one `ArrowArrayStream`.
unsafe fn stream<R: RecordBatchReader + Send + 'static>(
    a: *mut tcpkit_analyzer,
    out: *mut FFI_ArrowArrayStream,
    reader: impl FnOnce(Analysis) -> R,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let a = unsafe { arg_mut(a, "analyzer") }?;
        check_out(out, "out")?;
        let stream = FFI_ArrowArrayStream::new(Box::new(reader(a.take()?)));
        // SAFETY: `out` is not NULL and writable by the caller's contract;
        // `write` does not drop what it held (an uninitialised or released
        // stream, per the C stream interface).
        unsafe { out.write(stream) };
        Ok(tcpkit_status::Ok)
    })
}

/// The analysed TCP segments of `a`'s capture as an Arrow C stream (the
/// columns of `tcpkit segments --json`, one row per segment),
/// `batch_size` rows per batch (0: 8192).
///
/// The analysis moves into the stream: the capture is read as batches are
/// asked for, and `a` is spent (free it with `tcpkit_analyzer_free`; other
/// calls on it return `TCPKIT_STATUS_STATE`). Call it on a fresh analyzer
/// (what was read before is not in the stream). On success `*out` is a
/// stream the caller owns: release it with `out->release(out)`. Damage met
/// on the way ends the stream with an error (`get_next` returns non-zero,
/// `get_last_error` says the frame and byte offset) after the rows before it.
///
/// Returns `TCPKIT_STATUS_STATE` for an analyzer fed by
/// `tcpkit_analyzer_push` or already spent.
///
/// # Safety
/// `a` is NULL or a live analyzer used by no other thread; `out` is NULL or
/// valid for writing one `struct ArrowArrayStream` (its old content is not
/// released).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_arrow_segments(
    a: *mut tcpkit_analyzer,
    batch_size: usize,
    out: *mut FFI_ArrowArrayStream,
) -> tcpkit_status {
    // SAFETY: the caller's contract, passed on.
    unsafe { stream(a, out, |an| segments_reader(an, batch_size)) }
}

/// The connections of `a`'s capture as an Arrow C stream (the fields of
/// `tcpkit flows --json`, nested parts as structs and lists), one row per
/// connection as they finish; otherwise as `tcpkit_analyzer_arrow_segments`.
///
/// # Safety
/// As `tcpkit_analyzer_arrow_segments`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_arrow_connections(
    a: *mut tcpkit_analyzer,
    batch_size: usize,
    out: *mut FFI_ArrowArrayStream,
) -> tcpkit_status {
    // SAFETY: the caller's contract, passed on.
    unsafe { stream(a, out, |an| connections_reader(an, batch_size)) }
}

//! `tcpkit_options`: the analyzer's settings, [`AnalyzerConfig`] field by field.

use super::error::{boundary, tcpkit_status};
use super::util::{arg_mut, check_out, free_box, write_out};
use crate::analysis::AnalyzerConfig;

/// The analyzer's settings: the fields of the Rust `AnalyzerConfig`, with
/// the same names and defaults, one setter each
/// (`tcpkit_options_set_<field>`). Made by [`tcpkit_options_new`], freed by
/// [`tcpkit_options_free`]; functions that take one copy it, so it can be
/// freed or reused right after.
#[derive(Debug, Default)]
pub struct tcpkit_options {
    pub(crate) cfg: AnalyzerConfig,
}

/// Makes a `tcpkit_options` holding the defaults (those of `AnalyzerConfig`)
/// and writes it to `*out`; free it with [`tcpkit_options_free`].
///
/// # Safety
/// `out` is NULL or valid for writing one pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_new(out: *mut *mut tcpkit_options) -> tcpkit_status {
    boundary(|| {
        check_out(out, "out")?;
        let p = Box::into_raw(Box::<tcpkit_options>::default());
        // SAFETY: `out` is not NULL and writable by the caller's contract.
        unsafe { write_out(out, p, "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// Frees options made by [`tcpkit_options_new`]; NULL does nothing.
///
/// # Safety
/// `opts` is NULL or a `tcpkit_options` from [`tcpkit_options_new`] not freed
/// yet; it is not used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_free(opts: *mut tcpkit_options) {
    super::error::boundary_or((), || {
        // SAFETY: the caller's contract: NULL or a live box from `_new`.
        unsafe { free_box(opts) }
    })
}

/// One setter per field: naming every field here (no `..`) makes a field
/// added to `AnalyzerConfig` a compile error until it has its setter below.
#[allow(dead_code)]
fn every_field_has_a_setter(c: AnalyzerConfig) {
    let AnalyzerConfig {
        linger_ns: _,
        closed_linger_ns: _,
        idle_timeout_ns: _,
        memory_budget: _,
        max_unacked: _,
        story: _,
        threads: _,
    } = c;
}

/// Applies `f` to the configuration behind `opts`.
///
/// # Safety
/// As the setters': `opts` is NULL or a live `tcpkit_options` used by no other
/// thread.
unsafe fn set(opts: *mut tcpkit_options, f: impl FnOnce(&mut AnalyzerConfig)) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        f(&mut unsafe { arg_mut(opts, "opts") }?.cfg);
        Ok(tcpkit_status::Ok)
    })
}

/// The settings an optional `const tcpkit_options *` stands for: its
/// configuration, or the defaults when it is NULL.
///
/// # Safety
/// `opts` is NULL or points to a live `tcpkit_options`.
pub(crate) unsafe fn config_or_default(opts: *const tcpkit_options) -> AnalyzerConfig {
    // SAFETY: the caller's contract.
    unsafe { opts.as_ref() }.map_or_else(AnalyzerConfig::default, |o| o.cfg)
}

/// `linger_ns`: a finished connection (both FINs or a RST) is handed out
/// at the latest this long after it finished, and its 4-tuple is
/// remembered as long (port reuse, late segments). Default 120 s.
///
/// Returns `TCPKIT_STATUS_NULL_ARGUMENT` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`, not used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_set_linger_ns(
    opts: *mut tcpkit_options,
    v: u64,
) -> tcpkit_status {
    // SAFETY: the caller's contract is `set`'s.
    unsafe { set(opts, |c| c.linger_ns = v) }
}

/// `closed_linger_ns`: a connection whose close is complete is handed
/// out once quiet as long as a late retransmission could still come (three
/// RTOs bounded from its RTTs, at least 1 s), at most this long, and at
/// least three times its last retransmission interval. Default 10 s.
///
/// Returns `TCPKIT_STATUS_NULL_ARGUMENT` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`, not used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_set_closed_linger_ns(
    opts: *mut tcpkit_options,
    v: u64,
) -> tcpkit_status {
    // SAFETY: the caller's contract is `set`'s.
    unsafe { set(opts, |c| c.closed_linger_ns = v) }
}

/// `idle_timeout_ns`: a connection with no segment for this long is
/// handed out; 0 means never (the default, like tshark).
///
/// Returns `TCPKIT_STATUS_NULL_ARGUMENT` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`, not used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_set_idle_timeout_ns(
    opts: *mut tcpkit_options,
    v: u64,
) -> tcpkit_status {
    // SAFETY: the caller's contract is `set`'s.
    unsafe { set(opts, |c| c.idle_timeout_ns = (v > 0).then_some(v)) }
}

/// `memory_budget`: bytes of connection state the analyzer aims to stay
/// within; past it the least recently active connections are evicted, each
/// keeping a compact entry so that it resumes under its own number. Default
/// 256 MiB.
///
/// Returns `TCPKIT_STATUS_NULL_ARGUMENT` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`, not used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_set_memory_budget(
    opts: *mut tcpkit_options,
    v: usize,
) -> tcpkit_status {
    // SAFETY: the caller's contract is `set`'s.
    unsafe { set(opts, |c| c.memory_budget = v) }
}

/// `max_unacked`: unacknowledged segments remembered per direction
/// (tshark's `TCP_MAX_UNACKED_SEGMENTS`). Default 10,000.
///
/// Returns `TCPKIT_STATUS_NULL_ARGUMENT` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`, not used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_set_max_unacked(
    opts: *mut tcpkit_options,
    v: usize,
) -> tcpkit_status {
    // SAFETY: the caller's contract is `set`'s.
    unsafe { set(opts, |c| c.max_unacked = v) }
}

/// `story`: build each connection's story and the capture-wide report
/// (default true); false computes only the counters, which is cheaper.
///
/// Returns `TCPKIT_STATUS_NULL_ARGUMENT` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`, not used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_set_story(
    opts: *mut tcpkit_options,
    v: bool,
) -> tcpkit_status {
    // SAFETY: the caller's contract is `set`'s.
    unsafe { set(opts, |c| c.story = v) }
}

/// `threads`: with 2 or more, a capture the analyzer reads itself
/// (`tcpkit_analyzer_open`, `tcpkit_analyzer_from_fd`,
/// `tcpkit_analyzer_from_bytes`; not `tcpkit_analyzer_push`) is analysed by
/// that many threads, each reading every packet of the capture and
/// analysing the connections whose 4-tuple falls to it, for
/// `tcpkit_analyzer_next_connection` and `tcpkit_analyzer_arrow_connections`
/// (the segment stream runs on the caller's thread). The same connections,
/// numbers and order as one thread, while no thread reaches its share of
/// `memory_budget` (split between them). Default 1; 0 counts as 1.
///
/// Returns `TCPKIT_STATUS_NULL_ARGUMENT` when `opts` is NULL.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`, not used by another thread
/// during the call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_options_set_threads(
    opts: *mut tcpkit_options,
    v: usize,
) -> tcpkit_status {
    // SAFETY: the caller's contract is `set`'s.
    unsafe { set(opts, |c| c.threads = v) }
}

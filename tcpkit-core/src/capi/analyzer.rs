//! `tcpkit_analyzer`: [`Analysis`] behind a handle: a capture from a path, a
//! buffer or a file descriptor, or packets pushed one by one.

use super::connection::tcpkit_connection;
use super::error::{Failure, boundary, boundary_or, tcpkit_status};
use super::options::{config_or_default, tcpkit_options};
use super::report::tcpkit_report;
use super::util::{arg_bytes, arg_cstr, arg_mut, check_out, free_box, write_out};
use crate::analysis::AnalyzerConfig;
use crate::capture::{LinkType, Packet};
use crate::driver::{Analysis, Event};
use core::ffi::c_char;

/// An analysis under way: reads its capture (or takes pushed packets) and
/// hands out finished connections, then the capture-wide report.
///
/// Made by `tcpkit_analyzer_open`, `tcpkit_analyzer_from_bytes`,
/// `tcpkit_analyzer_from_fd` or `tcpkit_analyzer_new` (packets pushed);
/// freed by `tcpkit_analyzer_free`. One thread at a time (it may move
/// between threads).
#[derive(Debug)]
pub struct tcpkit_analyzer {
    /// `None` once moved into an Arrow stream.
    analysis: Option<Analysis>,
    /// Packets come from `tcpkit_analyzer_push`.
    live: bool,
    /// `tcpkit_analyzer_finish` was called.
    finished: bool,
    /// Packets pushed so far (the frame number of the last one).
    pushed: u64,
    /// The analysis yields no segment rows (connections are asked for, so
    /// that `threads` applies).
    rows_off: bool,
    /// The capture-wide report, once the input is over.
    report: Option<tcpkit_report>,
}

impl tcpkit_analyzer {
    /// The analysis, unless it was moved into an Arrow stream.
    pub(crate) fn analysis(&mut self) -> Result<&mut Analysis, Failure> {
        self.analysis
            .as_mut()
            .ok_or_else(|| Failure::state("the analyzer was moved into an Arrow stream"))
    }

    /// The analysis, without segment rows from now on (they are skipped
    /// anyway when connections are asked for; without them the analysis may
    /// run on threads, `AnalyzerConfig::threads`).
    fn connections_only(&mut self) -> Result<&mut Analysis, Failure> {
        if !self.rows_off {
            self.analysis = self.analysis.take().map(|a| a.segments(false));
            self.rows_off = true;
        }
        self.analysis()
    }

    /// Moves the analysis out (into an Arrow stream): files and buffers only.
    pub(crate) fn take(&mut self) -> Result<Analysis, Failure> {
        if self.live {
            return Err(Failure::state(
                "an analyzer fed by tcpkit_analyzer_push has no end to stream to",
            ));
        }
        self.analysis()?;
        self.analysis
            .take()
            .ok_or_else(|| Failure::state("the analyzer was moved into an Arrow stream"))
    }

    fn boxed(analysis: Analysis, live: bool) -> *mut Self {
        Box::into_raw(Box::new(Self {
            analysis: Some(analysis),
            live,
            finished: false,
            pushed: 0,
            rows_off: false,
            report: None,
        }))
    }
}

/// Makes the handle of `make(cfg)` and writes it to `*out`.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`; `out_a` NULL or writable.
unsafe fn make(
    opts: *const tcpkit_options,
    out_a: *mut *mut tcpkit_analyzer,
    make: impl FnOnce(AnalyzerConfig) -> Result<(Analysis, bool), Failure>,
) -> tcpkit_status {
    boundary(|| {
        check_out(out_a, "out")?;
        // SAFETY: the caller's contract.
        let cfg = unsafe { config_or_default(opts) };
        let (analysis, live) = make(cfg)?;
        // SAFETY: `out_a` checked not NULL; writable by the caller's contract.
        unsafe { write_out(out_a, tcpkit_analyzer::boxed(analysis, live), "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// Opens the capture file (pcap or pcapng) at `path`, a NUL-terminated path;
/// `"-"` reads standard input. It is read as connections are asked for, with
/// bounded memory. `opts` NULL: the defaults.
///
/// Returns `TCPKIT_STATUS_IO` when the file cannot be opened,
/// `TCPKIT_STATUS_FORMAT` when it is not a capture (a capture damaged later
/// is reported by `tcpkit_analyzer_next_connection`). On success `*out`
/// holds a new analyzer, to free with `tcpkit_analyzer_free`.
///
/// # Safety
/// `path` is NULL or a NUL-terminated string, read during the call only;
/// `opts` is NULL or a live `tcpkit_options`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_open(
    path: *const c_char,
    opts: *const tcpkit_options,
    out: *mut *mut tcpkit_analyzer,
) -> tcpkit_status {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        make(opts, out, |cfg| {
            // SAFETY: NULL or NUL-terminated by the caller's contract.
            let path = arg_cstr(path, "path")?;
            let path = path_of(path.to_bytes());
            Analysis::open(path, cfg)
                .map(|a| (a, false))
                .map_err(|e| Failure::from_core(&e))
        })
    }
}

#[cfg(unix)]
fn path_of(bytes: &[u8]) -> &std::path::Path {
    use std::os::unix::ffi::OsStrExt;
    std::path::Path::new(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_of(bytes: &[u8]) -> std::path::PathBuf {
    std::path::PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}

/// Reads a capture held in memory: the `len` bytes at `data` are copied, so
/// the buffer may be freed or reused as soon as this returns.
///
/// Returns `TCPKIT_STATUS_FORMAT` when the bytes do not start as a capture
/// (damage further on is reported by `tcpkit_analyzer_next_connection`).
///
/// # Safety
/// `data` is NULL (only when `len` is 0) or points to `len` readable bytes,
/// read during the call only; `opts` is NULL or a live `tcpkit_options`;
/// `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_from_bytes(
    data: *const u8,
    len: usize,
    opts: *const tcpkit_options,
    out: *mut *mut tcpkit_analyzer,
) -> tcpkit_status {
    // SAFETY: the caller's contract, passed on.
    unsafe {
        make(opts, out, |cfg| {
            // SAFETY: `len` readable bytes at `data`, by the caller's contract.
            let bytes = arg_bytes(data, len, "data")?.to_vec();
            Analysis::from_bytes(bytes, cfg)
                .map(|a| (a, false))
                .map_err(|e| Failure::from_core(&e))
        })
    }
}

/// Reads a capture from the open file descriptor `fd` (a pipe from
/// `tcpdump -w -`, a socket, a file), to its end. The descriptor is
/// duplicated: the caller keeps `fd` and closes it when it likes.
///
/// Returns `TCPKIT_STATUS_INVALID_ARGUMENT` for a negative `fd`,
/// `TCPKIT_STATUS_IO` when it cannot be duplicated or read,
/// `TCPKIT_STATUS_FORMAT` when what it gives is not a capture. POSIX only.
///
/// # Safety
/// `fd` is an open file descriptor or negative; `opts` is NULL or a live
/// `tcpkit_options`; `out` is NULL or writable.
#[cfg(unix)]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_from_fd(
    fd: i32,
    opts: *const tcpkit_options,
    out: *mut *mut tcpkit_analyzer,
) -> tcpkit_status {
    use std::os::fd::BorrowedFd;
    // SAFETY: the caller's contract, passed on.
    unsafe {
        make(opts, out, |cfg| {
            if fd < 0 {
                return Err(Failure::invalid(format!(
                    "fd {fd} is not a file descriptor"
                )));
            }
            // SAFETY: `fd` is not negative and, by the caller's contract,
            // open for the duration of this call; it is only duplicated.
            let borrowed = BorrowedFd::borrow_raw(fd);
            let name = format!("fd {fd}");
            let owned = borrowed
                .try_clone_to_owned()
                .map_err(|e| Failure::from_core(&crate::Error::from(e).named(&name)))?;
            Analysis::from_reader(std::fs::File::from(owned), &name, cfg)
                .map(|a| (a, false))
                .map_err(|e| Failure::from_core(&e))
        })
    }
}

/// Makes an analyzer fed with packets by `tcpkit_analyzer_push` (a live
/// capture: a libpcap callback), ended by `tcpkit_analyzer_finish`.
///
/// # Safety
/// `opts` is NULL or a live `tcpkit_options`; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_new(
    opts: *const tcpkit_options,
    out: *mut *mut tcpkit_analyzer,
) -> tcpkit_status {
    // SAFETY: the caller's contract, passed on.
    unsafe { make(opts, out, |cfg| Ok((Analysis::live(cfg), true))) }
}

/// Gives the analyzer one packet captured whole: its capture time `ts_ns`
/// (nanoseconds since the epoch), its link type (a `LINKTYPE_` value of
/// pcap files: 1 Ethernet, 101 raw IP, 113 Linux cooked, 276 Linux cooked
/// v2...), and its `len` bytes at `data`, copied. Frames are numbered from 1
/// in push order. A packet that is not TCP, or cannot be decoded, is skipped
/// as in a capture file. Take the connections it finishes with
/// `tcpkit_analyzer_next_connection` before the next push (they queue
/// otherwise). A packet cut by a snapshot length: `tcpkit_analyzer_push_packet`.
///
/// Returns `TCPKIT_STATUS_STATE` after `tcpkit_analyzer_finish` or on an
/// analyzer that reads a capture, `TCPKIT_STATUS_INVALID_ARGUMENT` for a
/// link type above 65535.
///
/// # Safety
/// `a` is NULL or a live analyzer used by no other thread; `data` is NULL
/// (only when `len` is 0) or points to `len` readable bytes, read during the
/// call only.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_push(
    a: *mut tcpkit_analyzer,
    ts_ns: i64,
    link_type: u32,
    data: *const u8,
    len: usize,
) -> tcpkit_status {
    // SAFETY: the caller's contract, passed on.
    unsafe { push(a, ts_ns, link_type, data, len, None) }
}

/// As `tcpkit_analyzer_push`, for a packet of `orig_len` bytes on the wire of
/// which the first `caplen` were captured (libpcap's `pcap_pkthdr` `len` and
/// `caplen`): sequence numbers and byte counts then follow the headers, not
/// the bytes at hand.
///
/// # Safety
/// As `tcpkit_analyzer_push`, with `caplen` for `len`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_push_packet(
    a: *mut tcpkit_analyzer,
    ts_ns: i64,
    link_type: u32,
    data: *const u8,
    caplen: usize,
    orig_len: u32,
) -> tcpkit_status {
    // SAFETY: the caller's contract, passed on.
    unsafe { push(a, ts_ns, link_type, data, caplen, Some(orig_len)) }
}

/// One pushed packet.
///
/// # Safety
/// As `tcpkit_analyzer_push`'s.
unsafe fn push(
    a: *mut tcpkit_analyzer,
    ts_ns: i64,
    link_type: u32,
    data: *const u8,
    len: usize,
    orig_len: Option<u32>,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let a = unsafe { arg_mut(a, "analyzer") }?;
        // SAFETY: `len` readable bytes at `data`, by the caller's contract.
        let data = unsafe { arg_bytes(data, len, "data") }?;
        if !a.live {
            return Err(Failure::state(
                "push to an analyzer that reads a capture (make it with tcpkit_analyzer_new)",
            ));
        }
        if a.finished {
            return Err(Failure::state("push after tcpkit_analyzer_finish"));
        }
        let link = u16::try_from(link_type)
            .map_err(|_| Failure::invalid(format!("link type {link_type} is above 65535")))?;
        let packet = Packet {
            frame: a.pushed + 1,
            ts_ns,
            link_type: LinkType(link),
            orig_len: orig_len.unwrap_or_else(|| u32::try_from(len).unwrap_or(u32::MAX)),
            data,
            interface: 0,
        };
        a.analysis()?
            .push_packet(&packet)
            .map_err(|e| Failure::from_core(&e))?;
        a.pushed += 1;
        Ok(tcpkit_status::Ok)
    })
}

/// Says that no more packets will be pushed: the connections still open
/// are handed out next, then the report. Calling it again does nothing; on
/// an analyzer that reads a capture it does nothing.
///
/// # Safety
/// `a` is NULL or a live analyzer used by no other thread.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_finish(a: *mut tcpkit_analyzer) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let a = unsafe { arg_mut(a, "analyzer") }?;
        a.analysis()?.finish_input();
        a.finished = true;
        Ok(tcpkit_status::Ok)
    })
}

/// The next finished connection, written to `*out` (a new handle, to free
/// with `tcpkit_connection_free`). Connections come as they finish, in a
/// deterministic order (the time they are handed out, then their number); at
/// the end of the input the rest in number order.
///
/// Returns `TCPKIT_STATUS_OK`; `TCPKIT_STATUS_END` when there are no more
/// (the report is then ready: `tcpkit_analyzer_report`);
/// `TCPKIT_STATUS_PENDING` when a pushed analyzer needs more packets (or
/// `tcpkit_analyzer_finish`). A damaged or cut capture returns
/// `TCPKIT_STATUS_FORMAT` (or `TCPKIT_STATUS_IO`) once, with the frame and
/// byte offset in the message; calling on then gives the connections still
/// open, then `TCPKIT_STATUS_END`: nothing before the damage is lost.
///
/// # Safety
/// `a` is NULL or a live analyzer used by no other thread; `out` is NULL or
/// writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_next_connection(
    a: *mut tcpkit_analyzer,
    out: *mut *mut tcpkit_connection,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let a = unsafe { arg_mut(a, "analyzer") }?;
        check_out(out, "out")?;
        let waiting = a.live && !a.finished;
        loop {
            // Owned, so that the lending borrow of the analysis ends here.
            let conn = match a.connections_only()?.next_event() {
                None if waiting => return Ok(tcpkit_status::Pending),
                None => return Ok(tcpkit_status::End),
                Some(Err(e)) => return Err(Failure::from_core(&e)),
                Some(Ok(Event::Segment(_))) => continue,
                Some(Ok(Event::Report(r))) => {
                    a.report = Some(tcpkit_report::new(*r));
                    continue;
                }
                Some(Ok(Event::Connection(c))) => c,
            };
            let t0 = a.analysis()?.first_ts_ns().unwrap_or(conn.first_ts_ns);
            let c = Box::into_raw(Box::new(tcpkit_connection::new(conn, t0)));
            // SAFETY: `out` checked not NULL; writable by the caller's contract.
            unsafe { write_out(out, c, "out") }?;
            return Ok(tcpkit_status::Ok);
        }
    })
}

/// The capture-wide report (findings per listener and host, counters),
/// written to `*out` once `tcpkit_analyzer_next_connection` has returned
/// `TCPKIT_STATUS_END`. It belongs to the analyzer: valid until
/// `tcpkit_analyzer_free`, not to be freed.
///
/// Returns `TCPKIT_STATUS_STATE` before the end of the connections.
///
/// # Safety
/// `a` is NULL or a live analyzer; `out` is NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_report(
    a: *const tcpkit_analyzer,
    out: *mut *const tcpkit_report,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let a = unsafe { super::util::arg_ref(a, "analyzer") }?;
        check_out(out, "out")?;
        let r = a.report.as_ref().ok_or_else(|| {
            Failure::state("the report comes after the last connection (TCPKIT_STATUS_END)")
        })?;
        // SAFETY: `out` checked not NULL; writable by contract.
        unsafe { write_out(out, r as *const tcpkit_report, "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// Frees an analyzer (its file or buffer, its report); NULL does nothing.
/// Connections taken from it are independent and freed on their own.
///
/// # Safety
/// `a` is NULL or an analyzer not freed yet; neither it nor its report is
/// used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_analyzer_free(a: *mut tcpkit_analyzer) {
    // SAFETY: the caller's contract: NULL or a live box from a constructor.
    boundary_or((), || unsafe { free_box(a) })
}

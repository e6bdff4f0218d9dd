//! Status codes, the thread-local last error, and the panic boundary.

use super::util::tcpkit_str;
use crate::error::{CaptureErrorKind, Error};
use std::cell::RefCell;
use std::ffi::CString;
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What a tcpkit function did. Every fallible function returns one; only
/// `TCPKIT_STATUS_OK` means its out-parameters were written. Any status from
/// `TCPKIT_STATUS_NULL_ARGUMENT` on is an error and has a message
/// (`tcpkit_last_error_message`).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tcpkit_status {
    /// Success; the out-parameters are written.
    Ok = 0,
    /// No more items: the iteration is over (not an error).
    End = 1,
    /// Nothing ready yet: push more packets, or finish the input (not an
    /// error; only analyzers fed with `tcpkit_analyzer_push` say it).
    Pending = 2,
    /// A pointer argument that must not be NULL was NULL.
    NullArgument = 100,
    /// An argument has a value the function does not accept (a path that is
    /// not a file, an unknown link type, a zero batch size...).
    InvalidArgument = 101,
    /// Reading the input failed (the operating system's error).
    Io = 102,
    /// The input is not a capture tcpkit reads, or it is damaged or cut
    /// short; the message says where (frame, byte offset) and why.
    Format = 103,
    /// The call does not fit the handle's state (a push after
    /// `tcpkit_analyzer_finish`, a push to an analyzer that reads a file).
    State = 104,
    /// A bug in tcpkit: a Rust panic was caught at the boundary. The handle
    /// it happened on should be freed, not used further.
    Panic = 199,
}

impl tcpkit_status {
    fn name(self) -> &'static core::ffi::CStr {
        match self {
            Self::Ok => c"TCPKIT_STATUS_OK",
            Self::End => c"TCPKIT_STATUS_END",
            Self::Pending => c"TCPKIT_STATUS_PENDING",
            Self::NullArgument => c"TCPKIT_STATUS_NULL_ARGUMENT",
            Self::InvalidArgument => c"TCPKIT_STATUS_INVALID_ARGUMENT",
            Self::Io => c"TCPKIT_STATUS_IO",
            Self::Format => c"TCPKIT_STATUS_FORMAT",
            Self::State => c"TCPKIT_STATUS_STATE",
            Self::Panic => c"TCPKIT_STATUS_PANIC",
        }
    }
}

/// Where and why the last call on this thread failed.
///
/// `message` is the whole line (`file: frame F, byte offset O: reason`);
/// the other fields are its parts, for a program that branches on them.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_error_details {
    /// The status the failing call returned.
    pub status: tcpkit_status,
    /// The whole message.
    pub message: tcpkit_str,
    /// The input's name (a path, `<memory>`, `<fd N>`), empty when the error
    /// is not about an input.
    pub file: tcpkit_str,
    /// Byte offset in the input of the structure at fault, -1 when unknown.
    pub byte_offset: i64,
    /// 1-based number of the frame (packet record) at fault, 0 when unknown.
    pub frame: u64,
    /// The reason alone (the message without the file and position).
    pub reason: tcpkit_str,
}

/// A failure on its way to C: becomes the thread's last error and a status.
#[derive(Debug)]
pub(crate) struct Failure {
    status: tcpkit_status,
    reason: String,
    file: Option<String>,
    byte_offset: Option<u64>,
    frame: Option<u64>,
}

impl Failure {
    pub(crate) fn new(status: tcpkit_status, reason: impl Into<String>) -> Self {
        Self {
            status,
            reason: reason.into(),
            file: None,
            byte_offset: None,
            frame: None,
        }
    }

    /// A NULL pointer passed as `arg`.
    pub(crate) fn null(arg: &str) -> Self {
        Self::new(tcpkit_status::NullArgument, format!("{arg} is NULL"))
    }

    pub(crate) fn invalid(reason: impl Into<String>) -> Self {
        Self::new(tcpkit_status::InvalidArgument, reason)
    }

    pub(crate) fn state(reason: impl Into<String>) -> Self {
        Self::new(tcpkit_status::State, reason)
    }

    /// A core error: the input's name (when the error carries it), the
    /// frame, byte offset and reason (when the capture is at fault).
    pub(crate) fn from_core(e: &Error) -> Self {
        let (file, inner) = match e {
            Error::Input { name, source } => (Some(name.clone()), &**source),
            other => (None, other),
        };
        let mut f = match inner.capture() {
            Some(c) => {
                let status = match c.kind {
                    CaptureErrorKind::Io { .. } => tcpkit_status::Io,
                    _ => tcpkit_status::Format,
                };
                Self {
                    byte_offset: Some(c.offset),
                    frame: c.frame,
                    ..Self::new(status, c.kind.to_string())
                }
            }
            None => {
                let status = match inner {
                    Error::Io(_) => tcpkit_status::Io,
                    _ => tcpkit_status::Format,
                };
                Self::new(status, inner.to_string())
            }
        };
        f.file = file;
        f
    }

    fn message(&self) -> String {
        let mut m = String::new();
        if let Some(file) = &self.file {
            m.push_str(file);
            m.push_str(": ");
        }
        if let Some(frame) = self.frame {
            m.push_str(&format!("frame {frame}, "));
        }
        if let Some(o) = self.byte_offset {
            m.push_str(&format!("byte offset {o}: "));
        }
        m.push_str(&self.reason);
        m
    }

    /// Records `self` as this thread's last error; returns its status.
    pub(crate) fn record(self) -> tcpkit_status {
        let status = self.status;
        let last = LastError {
            message: c_string(self.message()),
            file: c_string(self.file.unwrap_or_default()),
            reason: c_string(self.reason),
            byte_offset: self
                .byte_offset
                .map_or(-1, |o| i64::try_from(o).unwrap_or(i64::MAX)),
            frame: self.frame.unwrap_or(0),
            status,
        };
        LAST_ERROR.with(|l| *l.borrow_mut() = Some(last));
        status
    }
}

/// `s` as a C string; an interior NUL (from a file name) becomes `?`.
pub(crate) fn c_string(s: String) -> CString {
    CString::new(s).unwrap_or_else(|e| {
        let bytes: Vec<u8> = e
            .into_vec()
            .into_iter()
            .map(|b| if b == 0 { b'?' } else { b })
            .collect();
        CString::new(bytes).unwrap_or_default()
    })
}

#[derive(Debug)]
struct LastError {
    status: tcpkit_status,
    message: CString,
    file: CString,
    reason: CString,
    byte_offset: i64,
    frame: u64,
}

thread_local! {
    /// This thread's last error (libgit2's and errno's model).
    static LAST_ERROR: RefCell<Option<LastError>> = const { RefCell::new(None) };
}

/// What a panic says, when it says it as a string.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let what = payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned());
    format!("internal error (a bug in tcpkit, please report it): {what}")
}

/// The panic boundary of a function returning a status: runs `f`, records a
/// failure or a panic as the last error.
pub(crate) fn boundary(f: impl FnOnce() -> Result<tcpkit_status, Failure>) -> tcpkit_status {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(status)) => status,
        Ok(Err(failure)) => failure.record(),
        Err(payload) => Failure::new(tcpkit_status::Panic, panic_message(&*payload)).record(),
    }
}

/// The panic boundary of a function that cannot fail (a `_free`, a getter):
/// a panic is recorded as the last error and `fallback` returned.
pub(crate) fn boundary_or<T>(fallback: T, f: impl FnOnce() -> T) -> T {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        Failure::new(tcpkit_status::Panic, panic_message(&*payload)).record();
        fallback
    })
}

/// The message of the last failed call on this thread: the input, frame,
/// byte offset and reason (`capture.pcap: frame 12, byte offset 883: record
/// cut short: 58 bytes needed, 48 present`); empty (length 0) when no call
/// has failed on this thread.
///
/// Calls that succeed leave it alone. The string is NUL-terminated and stays
/// valid until the next failing tcpkit call on this thread.
#[unsafe(no_mangle)]
pub extern "C" fn tcpkit_last_error_message() -> tcpkit_str {
    boundary_or(tcpkit_str::EMPTY, || {
        LAST_ERROR.with(|l| {
            l.borrow()
                .as_ref()
                .map_or(tcpkit_str::EMPTY, |e| tcpkit_str::borrow_c(&e.message))
        })
    })
}

/// Writes the parts of the last error on this thread to `*out`.
///
/// Returns `TCPKIT_STATUS_END` when no call has failed on this thread,
/// `TCPKIT_STATUS_NULL_ARGUMENT` when `out` is NULL. The strings in `*out`
/// stay valid until the next failing tcpkit call on this thread.
///
/// # Safety
/// `out` is NULL or points to writable memory for one `tcpkit_error_details`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_last_error_details(
    out: *mut tcpkit_error_details,
) -> tcpkit_status {
    // Not through `boundary`: a NULL `out` must not replace the error asked for.
    catch_unwind(AssertUnwindSafe(|| {
        if out.is_null() {
            return tcpkit_status::NullArgument;
        }
        LAST_ERROR.with(|l| match l.borrow().as_ref() {
            None => tcpkit_status::End,
            Some(e) => {
                let d = tcpkit_error_details {
                    status: e.status,
                    message: tcpkit_str::borrow_c(&e.message),
                    file: tcpkit_str::borrow_c(&e.file),
                    byte_offset: e.byte_offset,
                    frame: e.frame,
                    reason: tcpkit_str::borrow_c(&e.reason),
                };
                // SAFETY: `out` is not NULL and, by the caller's contract,
                // points to writable memory for one `tcpkit_error_details`.
                unsafe { out.write(d) };
                tcpkit_status::Ok
            }
        })
    }))
    .unwrap_or(tcpkit_status::Panic)
}

/// The name of a status as a NUL-terminated string
/// (`"TCPKIT_STATUS_FORMAT"`), `"TCPKIT_STATUS_UNKNOWN"` for a value that is
/// none of them. Static: valid for the life of the program.
#[unsafe(no_mangle)]
pub extern "C" fn tcpkit_status_name(status: u32) -> tcpkit_str {
    boundary_or(tcpkit_str::EMPTY, || {
        let known = [
            tcpkit_status::Ok,
            tcpkit_status::End,
            tcpkit_status::Pending,
            tcpkit_status::NullArgument,
            tcpkit_status::InvalidArgument,
            tcpkit_status::Io,
            tcpkit_status::Format,
            tcpkit_status::State,
            tcpkit_status::Panic,
        ];
        let name = known
            .into_iter()
            .find(|s| *s as u32 == status)
            .map_or(c"TCPKIT_STATUS_UNKNOWN", tcpkit_status::name);
        tcpkit_str::borrow_c(name)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::ffi::CStr;

    /// `tcpkit_last_error_details` into a fresh value: its status, and the
    /// details when it wrote them.
    fn details() -> (tcpkit_status, Option<tcpkit_error_details>) {
        let mut d = core::mem::MaybeUninit::<tcpkit_error_details>::uninit();
        // SAFETY: `d` is writable.
        let st = unsafe { tcpkit_last_error_details(d.as_mut_ptr()) };
        // SAFETY: written when the status says OK.
        (
            st,
            (st == tcpkit_status::Ok).then(|| unsafe { d.assume_init() }),
        )
    }

    fn last_message() -> String {
        let m = tcpkit_last_error_message();
        // SAFETY: `tcpkit_str`s are NUL-terminated and this one is valid
        // until the next failing call on this thread.
        unsafe { CStr::from_ptr(m.data) }
            .to_str()
            .unwrap()
            .to_owned()
    }

    #[test]
    fn a_panic_becomes_a_status_and_a_message() {
        let s = boundary(|| panic!("boom"));
        assert_eq!(s, tcpkit_status::Panic);
        assert!(last_message().contains("boom"), "{}", last_message());
        assert_eq!(boundary_or(7, || panic!("bang")), 7);
        assert!(last_message().contains("bang"));
    }

    #[test]
    fn details_are_written_only_when_there_is_an_error() {
        // A thread of its own: no error yet.
        std::thread::spawn(|| {
            assert_eq!(details().0, tcpkit_status::End);
            assert_eq!(tcpkit_last_error_message().len, 0);
            Failure::null("path").record();
            let (st, d) = details();
            assert_eq!(st, tcpkit_status::Ok);
            let d = d.unwrap();
            assert_eq!(d.status, tcpkit_status::NullArgument);
            assert_eq!((d.byte_offset, d.frame, d.file.len), (-1, 0, 0));
            assert_eq!(last_message(), "path is NULL");
            // SAFETY: NULL is allowed.
            let st = unsafe { tcpkit_last_error_details(core::ptr::null_mut()) };
            assert_eq!(st, tcpkit_status::NullArgument);
        })
        .join()
        .unwrap();
    }

    #[test]
    fn a_capture_error_names_the_file_frame_and_offset() {
        use crate::error::CaptureError;
        let e = Error::Capture(CaptureError {
            offset: 883,
            frame: Some(12),
            kind: CaptureErrorKind::RecordTruncated {
                needed: 58,
                available: 48,
            },
        })
        .named("cut.pcap");
        assert_eq!(Failure::from_core(&e).record(), tcpkit_status::Format);
        // The line the README documents for the command, without "tcpkit: ".
        assert_eq!(
            last_message(),
            "cut.pcap: frame 12, byte offset 883: record cut short: 58 bytes needed, 48 present"
        );
        let d = details().1.unwrap();
        assert_eq!(
            (d.byte_offset, d.frame, d.file.len),
            (883, 12, "cut.pcap".len())
        );
        let io = Error::from(std::io::Error::from(std::io::ErrorKind::NotFound)).named("x.pcap");
        assert_eq!(Failure::from_core(&io).record(), tcpkit_status::Io);
        assert!(last_message().starts_with("x.pcap: "), "{}", last_message());
    }

    #[test]
    fn status_names() {
        for (v, name) in [
            (0, "TCPKIT_STATUS_OK"),
            (103, "TCPKIT_STATUS_FORMAT"),
            (7, "TCPKIT_STATUS_UNKNOWN"),
        ] {
            let s = tcpkit_status_name(v);
            // SAFETY: static NUL-terminated strings.
            assert_eq!(unsafe { CStr::from_ptr(s.data) }.to_str().unwrap(), name);
            assert_eq!(s.len, name.len());
        }
    }

    #[test]
    fn an_interior_nul_does_not_lose_the_message() {
        assert_eq!(c_string("a\0b".into()).to_str().unwrap(), "a?b");
    }
}

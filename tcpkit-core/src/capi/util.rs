//! Borrowed strings, argument checks, handles.

use super::error::{Failure, boundary_or};
use core::ffi::{CStr, c_char};

/// A borrowed string: `len` bytes of UTF-8 at `data`, followed by a NUL (so
/// `data` is also a C string). `data` is never NULL. Who owns the bytes and
/// how long they stay valid is said by the function that returns it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_str {
    /// The first byte; never NULL.
    pub data: *const c_char,
    /// The number of bytes before the terminating NUL.
    pub len: usize,
}

impl tcpkit_str {
    /// The empty string (static).
    pub(crate) const EMPTY: Self = Self {
        data: c"".as_ptr(),
        len: 0,
    };

    /// Borrows `s`: valid while `s` is.
    pub(crate) fn borrow_c(s: &CStr) -> Self {
        Self {
            data: s.as_ptr(),
            len: s.count_bytes(),
        }
    }
}

/// The library's version (`"0.1.0"`): static, valid for the life of the
/// program.
#[unsafe(no_mangle)]
pub extern "C" fn tcpkit_version() -> tcpkit_str {
    boundary_or(tcpkit_str::EMPTY, || {
        const V: &CStr =
            match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
                Ok(v) => v,
                Err(_) => c"",
            };
        tcpkit_str::borrow_c(V)
    })
}

/// `*p` for an argument named `name`, or a NULL-argument failure.
///
/// # Safety
/// `p` is NULL or valid for reads of a `T` for `'a`, and not written through
/// another pointer meanwhile.
pub(crate) unsafe fn arg_ref<'a, T>(p: *const T, name: &str) -> Result<&'a T, Failure> {
    // SAFETY: the caller's contract; `as_ref` checks for NULL.
    unsafe { p.as_ref() }.ok_or_else(|| Failure::null(name))
}

/// `*p` for a mutable argument named `name`, or a NULL-argument failure.
///
/// # Safety
/// `p` is NULL or valid for reads and writes of a `T` for `'a`, and not used
/// through another pointer meanwhile.
pub(crate) unsafe fn arg_mut<'a, T>(p: *mut T, name: &str) -> Result<&'a mut T, Failure> {
    // SAFETY: the caller's contract; `as_mut` checks for NULL.
    unsafe { p.as_mut() }.ok_or_else(|| Failure::null(name))
}

/// The `len` bytes at `data`; NULL is accepted when `len` is 0.
///
/// # Safety
/// When `len > 0`, `data` is NULL or valid for reads of `len` bytes for `'a`.
pub(crate) unsafe fn arg_bytes<'a>(
    data: *const u8,
    len: usize,
    name: &str,
) -> Result<&'a [u8], Failure> {
    if len == 0 {
        return Ok(&[]);
    }
    if data.is_null() {
        return Err(Failure::null(name));
    }
    if len > isize::MAX as usize {
        return Err(Failure::invalid(format!(
            "{name}: length {len} is too large"
        )));
    }
    // SAFETY: `data` is not NULL, `len` fits `isize`, and the caller promises
    // `len` readable bytes at `data` for `'a`.
    Ok(unsafe { core::slice::from_raw_parts(data, len) })
}

/// The NUL-terminated string at `p`.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for `'a`.
pub(crate) unsafe fn arg_cstr<'a>(p: *const c_char, name: &str) -> Result<&'a CStr, Failure> {
    if p.is_null() {
        return Err(Failure::null(name));
    }
    // SAFETY: not NULL, and NUL-terminated by the caller's contract.
    Ok(unsafe { CStr::from_ptr(p) })
}

/// Checks that the out-parameter `p` is not NULL (before any work is done).
pub(crate) fn check_out<T>(p: *mut T, name: &str) -> Result<(), Failure> {
    if p.is_null() {
        Err(Failure::null(name))
    } else {
        Ok(())
    }
}

/// Writes `v` to the out-parameter `p`.
///
/// # Safety
/// `p` is NULL or valid for writes of a `T` (its old value is not dropped).
pub(crate) unsafe fn write_out<T>(p: *mut T, v: T, name: &str) -> Result<(), Failure> {
    check_out(p, name)?;
    // SAFETY: not NULL, writable by the caller's contract.
    unsafe { p.write(v) };
    Ok(())
}

/// Frees a handle made by `Box::into_raw`; NULL does nothing.
///
/// # Safety
/// `p` is NULL or came from `Box::into_raw` of a `Box<T>` not freed yet.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    if !p.is_null() {
        // SAFETY: the caller's contract: a live `Box<T>` given up to C.
        drop(unsafe { Box::from_raw(p) });
    }
}

/// A static name (`"ESTABLISHED"`) as a NUL-terminated `tcpkit_str`, valid
/// for the life of the program: each name is copied once, on first use, and
/// kept (the names are few: those of the core's enums).
pub(crate) fn intern(s: &'static str) -> tcpkit_str {
    use std::collections::BTreeMap;
    use std::sync::{Mutex, PoisonError};
    static NAMES: Mutex<BTreeMap<&'static str, &'static CStr>> = Mutex::new(BTreeMap::new());
    let mut names = NAMES.lock().unwrap_or_else(PoisonError::into_inner);
    let c = *names
        .entry(s)
        .or_insert_with(|| Box::leak(super::error::c_string(s.to_owned()).into_boxed_c_str()));
    tcpkit_str::borrow_c(c)
}

//! Memory-mapped capture files (cargo feature `mmap`).
//!
//! The one place outside `capi/` where `unsafe` is allowed.
#![allow(unsafe_code)]

use std::fs::File;
use std::path::Path;

use memmap2::Mmap;

use super::SliceReader;
use crate::error::{CaptureError, Error};

/// A capture file mapped into memory; read it with [`reader`](Self::reader).
///
/// Zero-copy over the whole file, with no buffer at all: the fastest input
/// when the file is on a local disk.
#[derive(Debug)]
pub struct MmapCapture {
    map: Mmap,
}

impl MmapCapture {
    /// Maps the file at `path` read-only.
    ///
    /// **Precondition:** nothing may modify or truncate the file while it is
    /// mapped (as long as this value lives). tcpkit cannot enforce it: if
    /// another process rewrites the file, the bytes behind a `&[u8]` change,
    /// which is undefined behaviour in Rust, and an access past a truncated
    /// end raises SIGBUS. Map only finished captures; read a file that is
    /// still being written with `capture::open` (streaming) instead.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let file = File::open(path)?;
        // SAFETY: `Mmap::map` is sound only while the file is not modified
        // for the lifetime of the map; that is this function's documented
        // precondition, which the caller upholds (not something the map or
        // the reader's length checks can guarantee).
        let map = unsafe { Mmap::map(&file)? };
        Ok(Self { map })
    }

    /// The mapped bytes.
    pub fn as_bytes(&self) -> &[u8] {
        &self.map
    }

    /// A zero-copy reader over the mapped file.
    pub fn reader(&self) -> Result<SliceReader<'_>, CaptureError> {
        SliceReader::new(&self.map)
    }
}

impl AsRef<[u8]> for MmapCapture {
    fn as_ref(&self) -> &[u8] {
        &self.map
    }
}

/// Maps a capture file; see [`MmapCapture`].
pub fn open_mmap(path: impl AsRef<Path>) -> Result<MmapCapture, Error> {
    MmapCapture::open(path)
}

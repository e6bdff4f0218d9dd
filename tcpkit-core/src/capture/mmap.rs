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
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        let file = File::open(path)?;
        // SAFETY: the map is read-only and private to this value; the only
        // hazard is another process truncating or rewriting the file while it
        // is mapped, which can change the bytes under us (still memory-safe for
        // reads of `u8`, as the reader only ever reads bytes and checks every
        // length) or raise SIGBUS on access past a truncated end. Captures are
        // normally finished files; callers who read a file still being written
        // should use `capture::open` (streaming) instead.
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

/// Maps a capture file; see [`MmapCapture`].
pub fn open_mmap(path: impl AsRef<Path>) -> Result<MmapCapture, Error> {
    MmapCapture::open(path)
}

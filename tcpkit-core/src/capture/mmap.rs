//! Memory-mapped capture files (cargo feature `mmap`).
//!
//! The one place outside `capi/` where `unsafe` is allowed.
#![allow(unsafe_code)]

use std::fs::File;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

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
    /// The bytes before this were released ([`Self::release_before`]).
    released: AtomicUsize,
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
        Ok(Self {
            map,
            released: AtomicUsize::new(0),
        })
    }

    /// Tells the kernel the file will be read once, front to back (more
    /// read-ahead); only a hint.
    pub fn advise_sequential(&self) {
        #[cfg(unix)]
        let _ = self.map.advise(memmap2::Advice::Sequential);
    }

    /// Unmaps the memory pages before byte `offset` (rounded down to 4 KiB;
    /// on systems with larger pages, up to the page's end) from this
    /// process's resident memory, keeping the file's bytes in place: a later
    /// read of them maps them again from the file. For readers that are past
    /// `offset` for good, so that resident memory does not grow with the
    /// file; only a hint (an error is ignored).
    pub fn release_before(&self, offset: usize) {
        #[cfg(unix)]
        self.release_pages(offset);
        #[cfg(not(unix))]
        let _ = offset;
    }

    #[cfg(unix)]
    fn release_pages(&self, offset: usize) {
        const PAGE: usize = 4096;
        let end = offset.min(self.map.len()) / PAGE * PAGE;
        let start = self.released.fetch_max(end, Ordering::Relaxed);
        if end <= start {
            return;
        }
        // SAFETY: the map is a read-only shared mapping of a file: dropping
        // its pages (MADV_DONTNEED) frees no memory that a `&[u8]` of it
        // still owns; a later access faults the same file bytes back in (the
        // precondition of `open`, nothing modifies the file, still holds).
        // The range lies in the map, between 4 KiB boundaries (the map
        // starts at a page).
        let _ = unsafe {
            self.map
                .unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start)
        };
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

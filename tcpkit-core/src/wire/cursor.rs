//! The decoder's position in a packet: captured bytes, on-wire length, offset.

use crate::error::DecodeError;

/// Captured bytes from some layer on, with how many bytes that layer spans on
/// the wire (`wire >= data.len()` unless a length field says less), and the
/// offset of `data` in the packet (for error messages).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Cursor<'a> {
    /// Captured bytes of this layer (and everything inside it).
    pub data: &'a [u8],
    /// Length on the wire: from the capture's `orig_len`, then narrowed by
    /// each length field met on the way in (IP total length, UDP length, ...).
    pub wire: usize,
    /// Offset of `data` in the packet.
    pub off: usize,
}

impl<'a> Cursor<'a> {
    /// The whole packet.
    pub fn new(data: &'a [u8], orig_len: u32) -> Self {
        let orig = usize::try_from(orig_len).unwrap_or(usize::MAX);
        Self {
            data,
            wire: orig.max(data.len()),
            off: 0,
        }
    }

    /// Byte `i` (0 when not captured: callers check `need` first).
    #[inline]
    pub fn u8(&self, i: usize) -> u8 {
        self.data.get(i).copied().unwrap_or(0)
    }

    /// Big-endian u16 at `i` (0 when not captured).
    #[inline]
    pub fn u16(&self, i: usize) -> u16 {
        match self.data.get(i..i.saturating_add(2)) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        }
    }

    /// Big-endian u32 at `i` (0 when not captured).
    #[inline]
    pub fn u32(&self, i: usize) -> u32 {
        match self.data.get(i..i.saturating_add(4)) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// Fails unless `n` bytes of `layer` were captured.
    #[inline]
    pub fn need(&self, n: usize, layer: &'static str) -> Result<(), DecodeError> {
        if self.data.len() < n {
            return Err(DecodeError::Truncated {
                layer,
                offset: self.off + self.data.len(),
            });
        }
        Ok(())
    }

    /// The bytes after a header of `n` bytes of `layer` (which must be captured).
    #[inline]
    pub fn skip(self, n: usize, layer: &'static str) -> Result<Self, DecodeError> {
        match self.data.get(n..) {
            Some(data) => Ok(Self {
                data,
                wire: self.wire.saturating_sub(n),
                off: self.off + n,
            }),
            None => Err(DecodeError::Truncated {
                layer,
                offset: self.off + self.data.len(),
            }),
        }
    }

    /// Narrows this layer to `len` bytes (a length field); the captured bytes
    /// past it (padding, trailers) are dropped. A length field larger than
    /// what was on the wire is clamped to the wire length, as tshark and
    /// tcpdump do (`kday4.pcap` frame 10: IPv4 total length 820 in a 66-byte
    /// frame; both report TCP length 0).
    #[inline]
    pub fn limit(self, len: usize) -> Self {
        Self {
            data: self.data.get(..len).unwrap_or(self.data),
            wire: len.min(self.wire),
            off: self.off,
        }
    }
}

//! Capture files: pcap and pcapng readers.
//!
//! Every reader yields [`Packet`]s in file order. A reader that meets damage
//! yields every complete record before it, then one [`CaptureError`] naming the
//! byte offset (and frame number) and the reason, then nothing.
//!
//! PLACEHOLDER: a minimal classic-pcap slice reader so that the other modules can
//! be built and tested; the real nom-based pcap + pcapng readers (streaming,
//! mmap) replace it.

use crate::error::{CaptureError, CaptureErrorKind};

/// A link-layer header type (LINKTYPE_* of the tcpdump.org registry), without
/// the FCS bits of the pcap header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct LinkType(pub u16);

impl LinkType {
    /// BSD loopback, 4-byte address family in host byte order.
    pub const NULL: Self = Self(0);
    /// Ethernet II / 802.3.
    pub const ETHERNET: Self = Self(1);
    /// PPP (RFC 1661), 2-byte protocol, optionally after 0xff 0x03.
    pub const PPP: Self = Self(9);
    /// Raw IPv4 or IPv6 (version nibble decides).
    pub const RAW: Self = Self(101);
    /// OpenBSD loopback, 4-byte address family in network byte order.
    pub const LOOP: Self = Self(108);
    /// Linux cooked capture v1 (16-byte header).
    pub const LINUX_SLL: Self = Self(113);
    /// ARCNET as Linux captures it.
    pub const ARCNET_LINUX: Self = Self(129);
    /// Juniper Ethernet.
    pub const JUNIPER_ETHER: Self = Self(178);
    /// Raw IPv4.
    pub const IPV4: Self = Self(228);
    /// Raw IPv6.
    pub const IPV6: Self = Self(229);
    /// IP over InfiniBand.
    pub const IPOIB: Self = Self(242);
    /// Linux cooked capture v2 (20-byte header; `tcpdump -i any`).
    pub const LINUX_SLL2: Self = Self(276);
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// 1-based record number in the file, counting every packet record.
    pub frame: u64,
    /// Capture time, nanoseconds since the Unix epoch.
    pub ts_ns: i64,
    /// How to decode `data`.
    pub link_type: LinkType,
    /// Length of the packet on the wire (may exceed `data.len()`: snaplen).
    pub orig_len: u32,
    /// The captured bytes.
    pub data: &'a [u8],
    /// Interface index (pcapng; always 0 for pcap).
    pub interface: u32,
}

/// Reads a classic pcap held in a byte slice. (PLACEHOLDER, see module docs.)
#[derive(Debug)]
pub struct SliceReader<'a> {
    buf: &'a [u8],
    pos: usize,
    frame: u64,
    big_endian: bool,
    nanos: bool,
    link_type: LinkType,
    done: bool,
}

impl<'a> SliceReader<'a> {
    /// Checks the file header and positions the reader at the first record.
    pub fn new(buf: &'a [u8]) -> Result<Self, CaptureError> {
        let err = |kind| CaptureError {
            offset: 0,
            frame: None,
            kind,
        };
        if buf.len() < 24 {
            return Err(err(CaptureErrorKind::HeaderTruncated {
                needed: 24,
                available: buf.len() as u64,
            }));
        }
        let magic = u32::from_le_bytes([buf[0], buf[1], buf[2], buf[3]]);
        let (big_endian, nanos) = match magic {
            0xa1b2_c3d4 => (false, false),
            0xd4c3_b2a1 => (true, false),
            0xa1b2_3c4d => (false, true),
            0x4d3c_b2a1 => (true, true),
            m => return Err(err(CaptureErrorKind::UnknownMagic(m))),
        };
        let mut r = Self {
            buf,
            pos: 24,
            frame: 0,
            big_endian,
            nanos,
            link_type: LinkType(0),
            done: false,
        };
        r.link_type = LinkType((r.u32_at(20) & 0xffff) as u16);
        Ok(r)
    }

    fn u32_at(&self, at: usize) -> u32 {
        let b = [
            self.buf[at],
            self.buf[at + 1],
            self.buf[at + 2],
            self.buf[at + 3],
        ];
        if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        }
    }
}

impl<'a> Iterator for SliceReader<'a> {
    type Item = Result<Packet<'a>, CaptureError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.pos == self.buf.len() {
            return None;
        }
        let frame = self.frame + 1;
        let err = |kind| CaptureError {
            offset: self.pos as u64,
            frame: Some(frame),
            kind,
        };
        let avail = (self.buf.len() - self.pos) as u64;
        if avail < 16 {
            self.done = true;
            return Some(Err(err(CaptureErrorKind::RecordTruncated {
                needed: 16,
                available: avail,
            })));
        }
        let secs = self.u32_at(self.pos);
        let frac = self.u32_at(self.pos + 4);
        let caplen = self.u32_at(self.pos + 8) as usize;
        let orig_len = self.u32_at(self.pos + 12);
        if (caplen as u64) + 16 > avail {
            self.done = true;
            return Some(Err(err(CaptureErrorKind::RecordTruncated {
                needed: caplen as u64 + 16,
                available: avail,
            })));
        }
        let start = self.pos + 16;
        let data = &self.buf[start..start + caplen];
        self.pos = start + caplen;
        self.frame = frame;
        let frac_ns = if self.nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        Some(Ok(Packet {
            frame,
            ts_ns: i64::from(secs) * 1_000_000_000 + frac_ns,
            link_type: self.link_type,
            orig_len,
            data,
            interface: 0,
        }))
    }
}

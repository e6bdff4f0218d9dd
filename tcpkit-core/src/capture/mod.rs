//! Capture files: pcap and pcapng readers.
//!
//! Every reader yields [`Packet`]s in file order. A reader that meets damage
//! yields every complete record before it, then one [`CaptureError`] naming the
//! byte offset (and frame number) and the reason, then nothing.
//!
//! Three ways in, one decoder behind them:
//!
//! - [`SliceReader`]: over a byte slice, zero-copy (`Iterator`).
//! - [`StreamReader`]: over any [`std::io::Read`], with a bounded buffer that
//!   grows only to the largest record the format allows (see
//!   [`StreamReader`]); a 50 GB file needs no more memory than a small one.
//! - `MmapCapture` (cargo feature `mmap`): a memory-mapped file read through a
//!   [`SliceReader`].
//!
//! Both readers implement [`PacketSource`], so a driver can be generic.
//!
//! The acceptance rules follow libpcap (`sf-pcap.c`, `sf-pcapng.c`), which is
//! what tcpdump reads with:
//!
//! - pcap: magics `0xa1b2c3d4` (µs), `0xa1b23c4d` (ns) and `0xa1b2cd34`
//!   (Kuznetzov's modified format, 24-byte record headers), each in both byte
//!   orders; versions 2.0 to 2.4 and 543.0 (`caplen`/`len` swapped before 2.3
//!   and in 543.0, possibly in 2.3); reserved link-type bits `0x03FF0000` must
//!   be zero; a record's captured length may not exceed
//!   `max_snaplen_for_dlt` (262144, more for D-Bus, EBHSCR, USBPcap); a record
//!   longer than the file's snapshot length is cut to it, as libpcap does.
//! - pcapng: section versions 1.0 and 1.2 (later sections: major 1); block
//!   length at least 12, a multiple of 4, equal in header and trailer; section
//!   header block at most 1 MiB, other blocks at most 16 MiB or the largest
//!   packet of the link type plus 128 KiB of options; `if_tsresol` 10^-n with
//!   n <= 19 or 2^-n with n <= 63, default 10^-6; `if_tsoffset` in seconds;
//!   packet blocks must name a described interface and carry no more than its
//!   snapshot length. Unlike libpcap, interfaces of one file may have different
//!   link types, and sections may change byte order (the pcapng specification
//!   allows both).

mod decoder;
#[cfg(feature = "mmap")]
mod mmap;
mod pcap;
mod pcapng;
mod slice;
mod stream;

use std::path::Path;

use crate::error::{CaptureError, Error};

#[cfg(feature = "mmap")]
pub use mmap::{MmapCapture, open_mmap};
pub use slice::{BytesReader, SliceReader};
pub use stream::StreamReader;

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
    /// D-Bus messages (libpcap allows 128 MiB packets).
    pub const DBUS: Self = Self(231);
    /// IP over InfiniBand.
    pub const IPOIB: Self = Self(242);
    /// USB packets as USBPcap writes them (libpcap allows 1 MiB packets).
    pub const USBPCAP: Self = Self(249);
    /// Linux cooked capture v2 (20-byte header; `tcpdump -i any`).
    pub const LINUX_SLL2: Self = Self(276);
    /// Elektrobit high-speed capture and replay (libpcap allows 8 MiB packets).
    pub const EBHSCR: Self = Self(279);

    /// The largest captured length libpcap accepts for this link type
    /// (`max_snaplen_for_dlt` in libpcap's `pcap-int.h`/`pcap.c`): 128 MiB for
    /// D-Bus, 8 MiB for EBHSCR, 1 MiB for USBPcap, 262144 otherwise.
    pub const fn max_snaplen(self) -> u32 {
        match self.0 {
            231 => 128 * 1024 * 1024,
            279 => 8 * 1024 * 1024,
            249 => 1024 * 1024,
            _ => 262_144,
        }
    }

    /// A snapshot length as libpcap uses it (`pcapint_adjust_snapshot`): 0 or
    /// anything above [`max_snaplen`](Self::max_snaplen) means that maximum.
    pub const fn adjust_snaplen(self, snaplen: u32) -> u32 {
        let max = self.max_snaplen();
        if snaplen == 0 || snaplen > max {
            max
        } else {
            snaplen
        }
    }
}

/// One captured packet, borrowed from the reader's buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<'a> {
    /// 1-based record number in the file, counting every packet record
    /// (pcap record; pcapng enhanced, simple or obsolete packet block).
    pub frame: u64,
    /// Capture time, nanoseconds since the Unix epoch (after `if_tsresol` and
    /// `if_tsoffset`; pcapng times beyond the `i64` range saturate).
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

/// Anything that yields packets one at a time: [`SliceReader`],
/// [`StreamReader`].
///
/// The packet borrows from the source until the next call.
pub trait PacketSource {
    /// The next packet, an error (after which the source yields `None`), or
    /// `None` at the end of the input.
    fn next_packet(&mut self) -> Option<Result<Packet<'_>, CaptureError>>;
}

/// Which container a capture uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileFormat {
    /// Classic libpcap savefile.
    Pcap {
        /// Header version, major part (2, or 543 for DG/UX tcpdump).
        version_major: u16,
        /// Header version, minor part.
        version_minor: u16,
        /// Nanosecond timestamps (magic `0xa1b23c4d`) rather than microseconds.
        nanos: bool,
        /// Kuznetzov's modified format (magic `0xa1b2cd34`, 24-byte record
        /// headers).
        modified: bool,
    },
    /// pcapng; the version is that of the current section.
    Pcapng {
        /// Section version, major part (1).
        version_major: u16,
        /// Section version, minor part (0 or 2).
        version_minor: u16,
    },
}

/// The container and byte order of a capture (for pcapng: of the current
/// section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Format {
    /// pcap or pcapng, with version details.
    pub file: FileFormat,
    /// Multi-byte fields are big-endian.
    pub big_endian: bool,
}

/// Timestamp unit of an interface: 10^-n or 2^-n seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TsResolution {
    /// Units of 10^-n seconds (n <= 19).
    Decimal(u8),
    /// Units of 2^-n seconds (n <= 63).
    Binary(u8),
}

impl TsResolution {
    /// Microseconds, the pcapng default and the classic pcap unit.
    pub const MICROS: Self = Self::Decimal(6);
    /// Nanoseconds.
    pub const NANOS: Self = Self::Decimal(9);

    /// Timestamp units per second.
    pub const fn units_per_second(self) -> u64 {
        match self {
            Self::Decimal(n) => 10u64.pow(n as u32),
            Self::Binary(n) => 1u64 << n,
        }
    }
}

/// What a capture says about one interface (pcapng IDB; for pcap, the file
/// header).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Interface {
    /// Link-layer header type of its packets.
    pub link_type: LinkType,
    /// Snapshot length as written (0: none given).
    pub snaplen: u32,
    /// Length of the frame check sequence at the end of each packet, in bits,
    /// when the file says (pcap: the FCS bits of the link-type field, in
    /// 16-bit words; pcapng: `if_fcslen`, in bits).
    pub fcs_bits: Option<u16>,
    /// Timestamp unit.
    pub tsresol: TsResolution,
    /// Seconds added to every timestamp (`if_tsoffset`).
    pub tsoffset: i64,
}

/// Opens a capture file for streaming (bounded memory, any size).
///
/// Errors: [`Error::Io`] when the file cannot be opened or read,
/// [`Error::Capture`] when its header is not a capture header libpcap accepts.
pub fn open(path: impl AsRef<Path>) -> Result<StreamReader<std::fs::File>, Error> {
    let file = std::fs::File::open(path)?;
    Ok(StreamReader::new(file)?)
}

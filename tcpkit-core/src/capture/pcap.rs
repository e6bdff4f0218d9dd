//! Classic pcap (libpcap savefile) header and records.
//!
//! File header (24 bytes): magic, version major/minor (u16), thiszone,
//! sigfigs, snaplen, link-type field. Record header: seconds, fraction
//! (µs or ns by magic), captured length, original length; Kuznetzov's
//! modified format adds 8 bytes (ifindex, protocol, packet type, padding).
//!
//! Rules checked, as libpcap's `pcap_check_header` / `pcap_next_packet`
//! (`sf-pcap.c`) apply them:
//! - versions 2.0-2.4 and 543.0 only ("unsupported pcap savefile version");
//! - link-type field: bits 0-15 link type, `0x03FF0000` reserved and must be
//!   zero ("savefile linktype reserved field not zero"), `0x04000000` set when
//!   bits 28-31 give the FCS length in 16-bit words (`LT_FCS_LENGTH_PRESENT`,
//!   `LT_FCS_LENGTH` in `pcap/pcap.h`);
//! - a captured length above the link type's maximum is refused; one above the
//!   (adjusted) snapshot length is cut to it;
//! - before 2.3 (and in 543.0) `caplen` and `len` are stored swapped; in 2.3
//!   they are swapped when `caplen > len`.

use nom::number::Endianness;
use nom::number::complete::{i32 as nom_i32, u16 as nom_u16, u32 as nom_u32};
use nom::{IResult, Parser};

use super::decoder::{Fault, RawPacket, Step};
use super::{FileFormat, Format, Interface, LinkType, TsResolution};
use crate::error::CaptureErrorKind;

const MAGIC_MICRO: u32 = 0xa1b2_c3d4;
const MAGIC_NANO: u32 = 0xa1b2_3c4d;
const MAGIC_MODIFIED: u32 = 0xa1b2_cd34;

/// `LT_RESERVED1` of libpcap's `pcap/pcap.h`.
const LT_RESERVED1: u32 = 0x03FF_0000;
/// `LT_FCS_LENGTH_PRESENT`.
const LT_FCS_LENGTH_PRESENT: u32 = 0x0400_0000;

/// How `caplen` and `len` are stored (libpcap's `lengths_swapped`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lengths {
    Normal,
    Swapped,
    MaybeSwapped,
}

/// The parsed 24-byte file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PcapHeader {
    pub magic: u32,
    pub big_endian: bool,
    pub version_major: u16,
    pub version_minor: u16,
    pub thiszone: i32,
    pub sigfigs: u32,
    pub snaplen: u32,
    pub linktype_field: u32,
}

/// Reads the magic in either byte order; returns (magic, big_endian).
fn magic(raw: [u8; 4]) -> Option<(u32, bool)> {
    let le = u32::from_le_bytes(raw);
    for m in [MAGIC_MICRO, MAGIC_NANO, MAGIC_MODIFIED] {
        if le == m {
            return Some((m, false));
        }
        if le.swap_bytes() == m {
            return Some((m, true));
        }
    }
    None
}

/// Parses the file header after the magic, in the file's byte order.
fn header_fields(
    e: Endianness,
) -> impl Fn(&[u8]) -> IResult<&[u8], (u16, u16, i32, u32, u32, u32), ()> {
    move |i| {
        (
            nom_u16(e),
            nom_u16(e),
            nom_i32(e),
            nom_u32(e),
            nom_u32(e),
            nom_u32(e),
        )
            .parse(i)
    }
}

impl PcapHeader {
    /// Parses a file header; `Ok(None)` when fewer than 24 bytes are given.
    pub fn parse(buf: &[u8]) -> Result<Option<Self>, CaptureErrorKind> {
        let Some(raw) = buf.first_chunk::<4>() else {
            return Ok(None);
        };
        let Some((magic, big_endian)) = magic(*raw) else {
            return Err(CaptureErrorKind::UnknownMagic(u32::from_be_bytes(*raw)));
        };
        let Some(rest) = buf.get(4..PcapDecoder::HEADER_LEN) else {
            return Ok(None);
        };
        let e = if big_endian {
            Endianness::Big
        } else {
            Endianness::Little
        };
        let (_, (version_major, version_minor, thiszone, sigfigs, snaplen, linktype_field)) =
            header_fields(e)(rest)
                .map_err(|_| CaptureErrorKind::Other("pcap header parse".into()))?;
        Ok(Some(Self {
            magic,
            big_endian,
            version_major,
            version_minor,
            thiszone,
            sigfigs,
            snaplen,
            linktype_field,
        }))
    }
}

/// Reader state for a classic pcap file.
#[derive(Debug, Clone)]
pub(crate) struct PcapDecoder {
    header: PcapHeader,
    big_endian: bool,
    nanos: bool,
    record_header: usize,
    lengths: Lengths,
    /// Adjusted snapshot length: longer records are cut to it.
    snapshot: u32,
    /// Largest captured length accepted.
    max_caplen: u32,
    iface: Interface,
}

impl PcapDecoder {
    /// File header length.
    pub const HEADER_LEN: usize = 24;

    /// Checks the file header; `Ok(None)` when it is not complete yet.
    pub fn from_header(buf: &[u8]) -> Result<Option<Self>, CaptureErrorKind> {
        let Some(h) = PcapHeader::parse(buf)? else {
            return Ok(None);
        };
        let version_ok = (h.version_major == 2 && h.version_minor <= 4)
            || (h.version_major == 543 && h.version_minor == 0);
        if !version_ok {
            return Err(CaptureErrorKind::UnsupportedPcapVersion {
                major: h.version_major,
                minor: h.version_minor,
            });
        }
        let reserved = h.linktype_field & LT_RESERVED1;
        if reserved != 0 {
            return Err(CaptureErrorKind::LinkTypeReservedBits(reserved));
        }
        let link_type = LinkType((h.linktype_field & 0xffff) as u16);
        let fcs_bits = (h.linktype_field & LT_FCS_LENGTH_PRESENT != 0)
            .then(|| ((h.linktype_field >> 28) as u16) * 16);
        let lengths = match (h.version_major, h.version_minor) {
            (2, 0..=2) | (543, _) => Lengths::Swapped,
            (2, 3) => Lengths::MaybeSwapped,
            _ => Lengths::Normal,
        };
        let modified = h.magic == MAGIC_MODIFIED;
        let mut snapshot = link_type.adjust_snaplen(h.snaplen);
        if modified && link_type == LinkType::ETHERNET {
            // libpcap: a modified-format capture may have been taken in cooked
            // mode with a faked 14-byte Ethernet header added.
            snapshot = snapshot.saturating_add(14).min(i32::MAX as u32);
        }
        let nanos = h.magic == MAGIC_NANO;
        Ok(Some(Self {
            header: h,
            big_endian: h.big_endian,
            nanos,
            record_header: if modified { 24 } else { 16 },
            lengths,
            snapshot,
            max_caplen: link_type.max_snaplen(),
            iface: Interface {
                link_type,
                snaplen: h.snaplen,
                fcs_bits,
                tsresol: if nanos {
                    TsResolution::NANOS
                } else {
                    TsResolution::MICROS
                },
                tsoffset: 0,
            },
        }))
    }

    /// The one interface of a pcap file.
    pub fn interface(&self) -> &Interface {
        &self.iface
    }

    /// Container details.
    pub fn format(&self) -> Format {
        Format {
            file: FileFormat::Pcap {
                version_major: self.header.version_major,
                version_minor: self.header.version_minor,
                nanos: self.nanos,
                modified: self.header.magic == MAGIC_MODIFIED,
            },
            big_endian: self.big_endian,
        }
    }

    /// Largest record: header plus the maximum captured length.
    pub fn max_record(&self) -> usize {
        self.record_header + self.max_caplen as usize
    }

    #[inline]
    fn u32_at(&self, b: &[u8; 16], at: usize) -> u32 {
        let v = [b[at], b[at + 1], b[at + 2], b[at + 3]];
        if self.big_endian {
            u32::from_be_bytes(v)
        } else {
            u32::from_le_bytes(v)
        }
    }

    /// Decodes the record at the start of `buf`.
    ///
    /// The hot path: a fixed 16-byte header read with constant indices into a
    /// `[u8; 16]` (no bounds checks), no allocation.
    #[inline]
    pub fn step(&mut self, buf: &[u8]) -> Result<Step, Fault> {
        let Some(h) = buf.first_chunk::<16>() else {
            return Ok(Step::Need {
                total: self.record_header,
                packet: true,
            });
        };
        if buf.len() < self.record_header {
            return Ok(Step::Need {
                total: self.record_header,
                packet: true,
            });
        }
        let secs = self.u32_at(h, 0);
        let frac = self.u32_at(h, 4);
        let mut caplen = self.u32_at(h, 8);
        let mut orig_len = self.u32_at(h, 12);
        match self.lengths {
            Lengths::Normal => {}
            Lengths::MaybeSwapped if caplen <= orig_len => {}
            Lengths::MaybeSwapped | Lengths::Swapped => std::mem::swap(&mut caplen, &mut orig_len),
        }
        if caplen > self.max_caplen {
            return Err(Fault::packet(CaptureErrorKind::CaplenTooLarge {
                caplen: u64::from(caplen),
                limit: u64::from(self.max_caplen),
            }));
        }
        let total = self.record_header + caplen as usize;
        if buf.len() < total {
            return Ok(Step::Need {
                total,
                packet: true,
            });
        }
        let frac_ns = if self.nanos {
            i64::from(frac)
        } else {
            i64::from(frac) * 1000
        };
        Ok(Step::Packet(RawPacket {
            consumed: total,
            data_start: self.record_header,
            data_len: caplen.min(self.snapshot) as usize,
            // Seconds are unsigned in the savefile (libpcap's pcap_timeval);
            // u32::MAX * 10^9 + 2^32 * 1000 fits in an i64.
            ts_ns: i64::from(secs) * 1_000_000_000 + frac_ns,
            link_type: self.iface.link_type,
            orig_len,
            interface: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    #[test]
    fn header_little_endian_micro() {
        // magic a1b2c3d4 LE, v2.4, zone 0, sigfigs 0, snaplen 65535, Ethernet.
        let h = hex!("d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000");
        let d = PcapDecoder::from_header(&h).unwrap().unwrap();
        assert!(!d.big_endian && !d.nanos);
        assert_eq!(d.iface.link_type, LinkType::ETHERNET);
        assert_eq!(d.iface.snaplen, 65535);
        assert_eq!(d.iface.fcs_bits, None);
    }

    #[test]
    fn header_big_endian_nano_with_fcs() {
        // magic a1b23c4d BE, v2.4, snaplen 262144, link type field 0x24000001:
        // FCS present, 2 words (32 bits), Ethernet.
        let h = hex!("a1b23c4d 0002 0004 00000000 00000000 00040000 24000001");
        let d = PcapDecoder::from_header(&h).unwrap().unwrap();
        assert!(d.big_endian && d.nanos);
        assert_eq!(d.iface.fcs_bits, Some(32));
        assert_eq!(d.iface.link_type, LinkType::ETHERNET);
    }

    #[test]
    fn reserved_bits_refused() {
        let h = hex!("d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01001000");
        assert_eq!(
            PcapDecoder::from_header(&h).unwrap_err(),
            CaptureErrorKind::LinkTypeReservedBits(0x0010_0000)
        );
    }

    #[test]
    fn record_header_vector() {
        let h = hex!("d4c3b2a1 0200 0400 00000000 00000000 ffff0000 01000000");
        let mut d = PcapDecoder::from_header(&h).unwrap().unwrap();
        // ts 1.000002 s, caplen 2, len 60, then 2 data bytes.
        let rec = hex!("01000000 02000000 02000000 3c000000 abcd");
        let Step::Packet(p) = d.step(&rec).unwrap() else {
            panic!("no packet")
        };
        assert_eq!(p.consumed, 18);
        assert_eq!((p.data_start, p.data_len), (16, 2));
        assert_eq!(p.ts_ns, 1_000_002_000);
        assert_eq!(p.orig_len, 60);
        // One byte short: asks for the whole record.
        assert!(matches!(
            d.step(&rec[..17]).unwrap(),
            Step::Need {
                total: 18,
                packet: true
            }
        ));
    }

    #[test]
    fn old_version_swaps_lengths() {
        // v2.2: len stored where caplen is (libpcap swaps them back).
        let h = hex!("d4c3b2a1 0200 0200 00000000 00000000 ffff0000 01000000");
        let mut d = PcapDecoder::from_header(&h).unwrap().unwrap();
        let rec = hex!("01000000 00000000 3c000000 02000000 abcd");
        let Step::Packet(p) = d.step(&rec).unwrap() else {
            panic!("no packet")
        };
        assert_eq!((p.data_len, p.orig_len), (2, 60));
    }

    #[test]
    fn caplen_above_snaplen_is_cut_and_above_max_refused() {
        let h = hex!("d4c3b2a1 0200 0400 00000000 00000000 02000000 01000000");
        let mut d = PcapDecoder::from_header(&h).unwrap().unwrap();
        let rec = hex!("01000000 00000000 03000000 03000000 aabbcc");
        let Step::Packet(p) = d.step(&rec).unwrap() else {
            panic!("no packet")
        };
        assert_eq!((p.consumed, p.data_len), (19, 2));
        let big = hex!("01000000 00000000 01000400 01000400");
        assert_eq!(
            d.step(&big).unwrap_err().kind,
            CaptureErrorKind::CaplenTooLarge {
                caplen: 262_145,
                limit: 262_144
            }
        );
    }
}

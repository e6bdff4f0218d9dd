//! pcapng blocks (draft-ietf-opsawg-pcapng): section header, interface
//! description, enhanced / simple / obsolete packet blocks; any other block is
//! checked for length and skipped.
//!
//! Every block: type (u32), total length (u32), body, total length again.
//! A section header block (type 0x0A0D0D0A, a byte palindrome) gives the byte
//! order of its section through its byte-order magic 0x1A2B3C4D, and starts a
//! new set of interfaces (numbered from 0 in IDB order).
//!
//! Checks, as libpcap's `read_block`, `process_idb_options` and
//! `pcap_ng_next_packet` (`sf-pcapng.c`) make them: total length >= 12 and a
//! multiple of 4; trailer equal to header ("block total length in header %u and
//! trailer %u don't match"); SHB at most 1 MiB (`BT_SHB_INSANE_MAX`); other
//! blocks at most 16 MiB (`INITIAL_MAX_BLOCKSIZE`) or, when an interface's link
//! type allows bigger packets, that maximum + 20 + 128 KiB + 12
//! (`MAX_BLOCKSIZE_FOR_SNAPLEN`); versions 1.0 and 1.2 for the first section,
//! major version 1 for later ones; `if_tsresol` of length 1, at most 10^-19 or
//! 2^-63; `if_tsoffset` of length 8; neither repeated; a packet block names a
//! known interface and its captured length fits in the block and does not
//! exceed the interface's adjusted snapshot length. A simple packet block's
//! captured length is min(original length, snapshot length of interface 0).

use nom::bytes::complete::take;
use nom::number::Endianness;
use nom::number::complete::{i64 as nom_i64, u16 as nom_u16, u32 as nom_u32};
use nom::{IResult, Parser};

use super::decoder::{Fault, RawPacket, Step};
use super::{FileFormat, Format, Interface, LinkType, TsResolution};
use crate::error::CaptureErrorKind;

/// Section header block type.
pub(crate) const BT_SHB: u32 = 0x0A0D_0D0A;
/// Interface description block type.
pub(crate) const BT_IDB: u32 = 1;
/// Obsolete packet block type.
pub(crate) const BT_PB: u32 = 2;
/// Simple packet block type.
pub(crate) const BT_SPB: u32 = 3;
/// Enhanced packet block type.
pub(crate) const BT_EPB: u32 = 6;
/// Byte-order magic of a section header block.
const BYTE_ORDER_MAGIC: u32 = 0x1A2B_3C4D;
/// libpcap's `BT_SHB_INSANE_MAX`.
const SHB_MAX: u32 = 1024 * 1024;
/// libpcap's `INITIAL_MAX_BLOCKSIZE`.
const INITIAL_MAX_BLOCK: u32 = 16 * 1024 * 1024;
/// Most interfaces kept per section (libpcap's own bound is 2^31; ours keeps
/// memory bounded for hostile files: 64 Ki interfaces are ~2.5 MB).
const MAX_INTERFACES: u32 = 65_536;

const OPT_ENDOFOPT: u16 = 0;
const IF_TSRESOL: u16 = 9;
const IF_FCSLEN: u16 = 13;
const IF_TSOFFSET: u16 = 14;

/// libpcap's `MAX_BLOCKSIZE_FOR_SNAPLEN`: block header, EPB fixed part, the
/// packet, 128 KiB of options, trailer.
const fn max_block_for_snaplen(snaplen: u32) -> u32 {
    8 + 20 + snaplen + 131_072 + 4
}

/// How to turn a timestamp count into nanoseconds, chosen per interface so
/// that the common units avoid a run-time division.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scale {
    Micros,
    Nanos,
    Other(u64),
}

/// An interface with the reader's derived values.
#[derive(Debug, Clone, Copy)]
struct Iface {
    info: Interface,
    /// Adjusted snapshot length (libpcap's `pcapint_adjust_snapshot`).
    snapshot: u32,
    scale: Scale,
}

/// Reader state for a pcapng file.
#[derive(Debug, Clone)]
pub(crate) struct PcapngDecoder {
    big_endian: bool,
    sections: u64,
    version: (u16, u16),
    ifaces: Vec<Iface>,
    infos: Vec<Interface>,
    max_block: u32,
}

fn endian(big: bool) -> Endianness {
    if big {
        Endianness::Big
    } else {
        Endianness::Little
    }
}

#[inline]
fn read_u32(b: [u8; 4], big: bool) -> u32 {
    if big {
        u32::from_be_bytes(b)
    } else {
        u32::from_le_bytes(b)
    }
}

/// nom result over bytes, with no error detail (the caller knows the context).
type Res<'a, T> = IResult<&'a [u8], T, ()>;

/// An option: code, length, value.
type Opt<'a> = (u16, u16, &'a [u8]);

/// One option: code, length, value (padding skipped).
fn option(e: Endianness) -> impl Fn(&[u8]) -> Res<'_, Opt<'_>> {
    move |i| {
        let (i, (code, len)) = (nom_u16(e), nom_u16(e)).parse(i)?;
        let padded = (usize::from(len) + 3) & !3;
        let (i, value) = take(padded).parse(i)?;
        Ok((
            i,
            (code, len, value.get(..usize::from(len)).unwrap_or(value)),
        ))
    }
}

/// Iterates over the options of a block body, stopping at `opt_endofopt`.
fn for_each_option(
    mut opts: &[u8],
    big: bool,
    mut f: impl FnMut(u16, u16, &[u8]) -> Result<(), CaptureErrorKind>,
) -> Result<(), CaptureErrorKind> {
    let e = endian(big);
    while !opts.is_empty() {
        let Ok((rest, (code, len, value))) = option(e)(opts) else {
            // Header or value cut by the end of the block.
            let u16_at = |at: usize| {
                opts.get(at..at + 2).map_or(0, |b| {
                    if big {
                        u16::from_be_bytes([b[0], b[1]])
                    } else {
                        u16::from_le_bytes([b[0], b[1]])
                    }
                })
            };
            let (code, len) = (u16_at(0), u16_at(2));
            return Err(CaptureErrorKind::OptionOverrun { code, len });
        };
        if code == OPT_ENDOFOPT {
            if len != 0 {
                return Err(CaptureErrorKind::BadOptionLength {
                    code,
                    len,
                    expected: 0,
                });
            }
            return Ok(());
        }
        f(code, len, value)?;
        opts = rest;
    }
    Ok(())
}

/// Converts a timestamp count to nanoseconds since the epoch, saturating.
#[inline]
fn ts_ns(t: u64, scale: Scale, offset_s: i64) -> i64 {
    let (secs, frac_ns) = match scale {
        Scale::Micros => (t / 1_000_000, (t % 1_000_000) * 1000),
        Scale::Nanos => (t / 1_000_000_000, t % 1_000_000_000),
        Scale::Other(per_sec) => {
            let frac = u128::from(t % per_sec) * 1_000_000_000 / u128::from(per_sec);
            // frac < 10^9, so it fits.
            (t / per_sec, frac as u64)
        }
    };
    let ns = (i128::from(secs) + i128::from(offset_s)) * 1_000_000_000 + i128::from(frac_ns);
    ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

impl PcapngDecoder {
    /// A decoder before the first section header block.
    pub fn new() -> Self {
        Self {
            big_endian: false,
            sections: 0,
            version: (1, 0),
            ifaces: Vec::new(),
            infos: Vec::new(),
            max_block: INITIAL_MAX_BLOCK,
        }
    }

    /// Interfaces of the current section.
    pub fn interfaces(&self) -> &[Interface] {
        &self.infos
    }

    /// Container details of the current section.
    pub fn format(&self) -> Format {
        Format {
            file: FileFormat::Pcapng {
                version_major: self.version.0,
                version_minor: self.version.1,
            },
            big_endian: self.big_endian,
        }
    }

    /// Largest block this decoder accepts now.
    pub fn max_record(&self) -> usize {
        self.max_block.max(SHB_MAX) as usize
    }

    /// Decodes the block at the start of `buf`.
    pub fn step(&mut self, buf: &[u8]) -> Result<Step, Fault> {
        let Some(head) = buf.first_chunk::<8>() else {
            // Cut inside the block header: a packet block if its type says so.
            let packet = buf
                .first_chunk::<4>()
                .is_some_and(|t| matches!(read_u32(*t, self.big_endian), BT_EPB | BT_SPB | BT_PB));
            return Ok(Step::Need { total: 8, packet });
        };
        let [t0, t1, t2, t3, l0, l1, l2, l3] = *head;
        let raw_type = [t0, t1, t2, t3];
        let raw_len = [l0, l1, l2, l3];
        let (block_type, len, limit, big) = if u32::from_le_bytes(raw_type) == BT_SHB {
            // The section header block's own byte-order magic decides.
            let Some(bom) = buf.get(8..12).and_then(|b| b.first_chunk::<4>()) else {
                return Ok(Step::Need {
                    total: 12,
                    packet: false,
                });
            };
            let big = match u32::from_le_bytes(*bom) {
                BYTE_ORDER_MAGIC => false,
                m if m.swap_bytes() == BYTE_ORDER_MAGIC => true,
                m => {
                    return Err(Fault::other(CaptureErrorKind::BadByteOrderMagic(
                        m.swap_bytes(),
                    )));
                }
            };
            (BT_SHB, read_u32(raw_len, big), SHB_MAX, big)
        } else {
            let big = self.big_endian;
            (
                read_u32(raw_type, big),
                read_u32(raw_len, big),
                self.max_block,
                big,
            )
        };
        let packet = matches!(block_type, BT_EPB | BT_SPB | BT_PB);
        let fault = |kind| Fault { kind, packet };
        if len < 12 || len % 4 != 0 {
            return Err(fault(CaptureErrorKind::BadBlockLength(len)));
        }
        if len > limit {
            return Err(fault(CaptureErrorKind::BlockTooLarge { len, limit }));
        }
        let total = len as usize;
        let Some(block) = buf.get(..total) else {
            return Ok(Step::Need { total, packet });
        };
        let (body, trailer) = block[8..].split_at(total - 12);
        let trailer_len = read_u32([trailer[0], trailer[1], trailer[2], trailer[3]], big);
        if trailer_len != len {
            return Err(fault(CaptureErrorKind::BlockLengthMismatch {
                header: len,
                trailer: trailer_len,
            }));
        }
        match block_type {
            BT_SHB => {
                self.section(body, big).map_err(Fault::other)?;
                Ok(Step::Skip(total))
            }
            BT_IDB => {
                self.interface(body).map_err(Fault::other)?;
                Ok(Step::Skip(total))
            }
            BT_EPB | BT_PB => self.packet_block(block_type, body).map_err(Fault::packet),
            BT_SPB => self.simple_packet(body).map_err(Fault::packet),
            _ => Ok(Step::Skip(total)),
        }
    }

    /// A section header block body: byte-order magic, version, section length,
    /// options (not interpreted, as in libpcap).
    fn section(&mut self, body: &[u8], big: bool) -> Result<(), CaptureErrorKind> {
        let e = endian(big);
        let fixed: IResult<&[u8], (u32, u16, u16, i64), ()> =
            (nom_u32(e), nom_u16(e), nom_u16(e), nom_i64(e)).parse(body);
        let Ok((_, (_bom, major, minor, _section_len))) = fixed else {
            return Err(CaptureErrorKind::BlockTooShort { block_type: BT_SHB });
        };
        let ok = if self.sections == 0 {
            major == 1 && (minor == 0 || minor == 2)
        } else {
            major == 1
        };
        if !ok {
            return Err(CaptureErrorKind::UnsupportedPcapngVersion { major, minor });
        }
        self.big_endian = big;
        self.version = (major, minor);
        self.sections += 1;
        self.ifaces.clear();
        self.infos.clear();
        Ok(())
    }

    /// An interface description block body: link type, reserved, snaplen,
    /// options.
    fn interface(&mut self, body: &[u8]) -> Result<(), CaptureErrorKind> {
        let big = self.big_endian;
        let e = endian(big);
        let fixed: IResult<&[u8], (u16, u16, u32), ()> =
            (nom_u16(e), nom_u16(e), nom_u32(e)).parse(body);
        let Ok((opts, (link, _reserved, snaplen))) = fixed else {
            return Err(CaptureErrorKind::BlockTooShort { block_type: BT_IDB });
        };
        if self.ifaces.len() >= MAX_INTERFACES as usize {
            return Err(CaptureErrorKind::TooManyInterfaces(MAX_INTERFACES));
        }
        let link_type = LinkType(link);
        let mut tsresol = None;
        let mut tsoffset = None;
        let mut fcs_bits = None;
        for_each_option(opts, big, |code, len, value| {
            match code {
                IF_TSRESOL => {
                    let [v] = value else {
                        return Err(CaptureErrorKind::BadOptionLength {
                            code,
                            len,
                            expected: 1,
                        });
                    };
                    if tsresol.is_some() {
                        return Err(CaptureErrorKind::DuplicateOption(code));
                    }
                    let r = if v & 0x80 != 0 {
                        if v & 0x7f > 63 {
                            return Err(CaptureErrorKind::TsresolTooHigh(*v));
                        }
                        TsResolution::Binary(v & 0x7f)
                    } else {
                        if *v > 19 {
                            return Err(CaptureErrorKind::TsresolTooHigh(*v));
                        }
                        TsResolution::Decimal(*v)
                    };
                    tsresol = Some(r);
                }
                IF_TSOFFSET => {
                    let Some(raw) = value.first_chunk::<8>().filter(|_| len == 8) else {
                        return Err(CaptureErrorKind::BadOptionLength {
                            code,
                            len,
                            expected: 8,
                        });
                    };
                    if tsoffset.is_some() {
                        return Err(CaptureErrorKind::DuplicateOption(code));
                    }
                    tsoffset = Some(if big {
                        i64::from_be_bytes(*raw)
                    } else {
                        i64::from_le_bytes(*raw)
                    });
                }
                IF_FCSLEN => {
                    // Informational; a malformed one is ignored (libpcap does
                    // not read it at all).
                    if let [v] = value {
                        fcs_bits = Some(u16::from(*v));
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        let tsresol = tsresol.unwrap_or(TsResolution::MICROS);
        let scale = match tsresol {
            TsResolution::MICROS => Scale::Micros,
            TsResolution::NANOS => Scale::Nanos,
            r => Scale::Other(r.units_per_second()),
        };
        let info = Interface {
            link_type,
            snaplen,
            fcs_bits,
            tsresol,
            tsoffset: tsoffset.unwrap_or(0),
        };
        self.max_block = self
            .max_block
            .max(max_block_for_snaplen(link_type.max_snaplen()));
        self.ifaces.push(Iface {
            info,
            snapshot: link_type.adjust_snaplen(snaplen),
            scale,
        });
        self.infos.push(info);
        Ok(())
    }

    /// Enhanced (type 6) or obsolete (type 2) packet block body.
    #[inline(always)]
    fn packet_block(&self, block_type: u32, body: &[u8]) -> Result<Step, CaptureErrorKind> {
        // The per-packet path reads its 20 fixed bytes directly (as the pcap
        // record header): nom's runtime-endianness parsers cost ~3x here.
        let big = self.big_endian;
        let Some(f) = body.first_chunk::<20>() else {
            return Err(CaptureErrorKind::BlockTooShort { block_type });
        };
        let w = |i: usize| read_u32([f[i], f[i + 1], f[i + 2], f[i + 3]], big);
        let interface = if block_type == BT_EPB {
            w(0)
        } else {
            // Obsolete packet block: interface id (u16), drops count (u16).
            let id = [f[0], f[1]];
            u32::from(if big {
                u16::from_be_bytes(id)
            } else {
                u16::from_le_bytes(id)
            })
        };
        let (ts_hi, ts_lo, caplen, orig_len) = (w(4), w(8), w(12), w(16));
        let data = &body[20..];
        let Some(iface) = self.ifaces.get(interface as usize) else {
            return Err(CaptureErrorKind::UnknownInterface(interface));
        };
        if caplen as usize > data.len() {
            return Err(CaptureErrorKind::BlockTooShort { block_type });
        }
        if caplen > iface.snapshot {
            return Err(CaptureErrorKind::CaplenAboveSnaplen {
                caplen,
                snaplen: iface.snapshot,
            });
        }
        let t = (u64::from(ts_hi) << 32) | u64::from(ts_lo);
        Ok(Step::Packet(RawPacket {
            consumed: body.len() + 12,
            data_start: 8 + (body.len() - data.len()),
            data_len: caplen as usize,
            ts_ns: ts_ns(t, iface.scale, iface.info.tsoffset),
            link_type: iface.info.link_type,
            orig_len,
            interface,
        }))
    }

    /// Simple packet block body: original length, data. No timestamp: 0.
    fn simple_packet(&self, body: &[u8]) -> Result<Step, CaptureErrorKind> {
        let e = endian(self.big_endian);
        let fixed: IResult<&[u8], u32, ()> = nom_u32(e).parse(body);
        let Ok((data, orig_len)) = fixed else {
            return Err(CaptureErrorKind::BlockTooShort { block_type: BT_SPB });
        };
        let Some(iface) = self.ifaces.first() else {
            return Err(CaptureErrorKind::UnknownInterface(0));
        };
        let caplen = orig_len.min(iface.snapshot);
        if caplen as usize > data.len() {
            return Err(CaptureErrorKind::BlockTooShort { block_type: BT_SPB });
        }
        Ok(Step::Packet(RawPacket {
            consumed: body.len() + 12,
            data_start: 12,
            data_len: caplen as usize,
            ts_ns: 0,
            link_type: iface.info.link_type,
            orig_len,
            interface: 0,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hex_literal::hex;

    fn ready(shb: &[u8]) -> PcapngDecoder {
        let mut d = PcapngDecoder::new();
        assert!(matches!(d.step(shb).unwrap(), Step::Skip(n) if n == shb.len()));
        d
    }

    const SHB_LE: [u8; 28] = hex!("0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000");
    const SHB_BE: [u8; 28] = hex!("0a0d0d0a 0000001c 1a2b3c4d 0001 0000 ffffffffffffffff 0000001c");

    #[test]
    fn shb_both_byte_orders() {
        assert!(!ready(&SHB_LE).big_endian);
        assert!(ready(&SHB_BE).big_endian);
    }

    #[test]
    fn shb_version_and_trailer() {
        let mut v = SHB_LE;
        v[14] = 1; // version 1.1
        assert_eq!(
            PcapngDecoder::new().step(&v).unwrap_err().kind,
            CaptureErrorKind::UnsupportedPcapngVersion { major: 1, minor: 1 }
        );
        let mut t = SHB_LE;
        t[24] = 0x20;
        assert_eq!(
            PcapngDecoder::new().step(&t).unwrap_err().kind,
            CaptureErrorKind::BlockLengthMismatch {
                header: 28,
                trailer: 32
            }
        );
    }

    #[test]
    fn idb_with_tsresol_and_tsoffset_then_epb() {
        let mut d = ready(&SHB_LE);
        // IDB: Ethernet, snaplen 65535, if_tsresol 9 (ns), if_tsoffset 100 s,
        // end of options.
        let idb = hex!(
            "01000000 2c000000 0100 0000 ffff0000"
            "0900 0100 09000000"
            "0e00 0800 6400000000000000"
            "0000 0000"
            "2c000000"
        );
        assert!(matches!(d.step(&idb).unwrap(), Step::Skip(44)));
        assert_eq!(d.interfaces()[0].tsresol, TsResolution::NANOS);
        assert_eq!(d.interfaces()[0].tsoffset, 100);
        // EPB: interface 0, ts = 1_500_000_000 ns (hi 0, lo 0x59682f00),
        // caplen 3, len 60, data aabbcc + 1 pad.
        let epb = hex!(
            "06000000 24000000 00000000 00000000 002f6859 03000000 3c000000 aabbcc00 24000000"
        );
        let Step::Packet(p) = d.step(&epb).unwrap() else {
            panic!("no packet")
        };
        assert_eq!(p.consumed, 36);
        assert_eq!((p.data_start, p.data_len), (28, 3));
        assert_eq!(p.orig_len, 60);
        // 100 s offset + 1.5 s.
        assert_eq!(p.ts_ns, 101_500_000_000);
    }

    #[test]
    fn spb_and_obsolete_pb() {
        let mut d = ready(&SHB_LE);
        // IDB: raw IP (101), snaplen 4, no options.
        let idb = hex!("01000000 14000000 6500 0000 04000000 14000000");
        d.step(&idb).unwrap();
        // SPB: original length 6, 8 bytes of data room: caplen = min(6, 4) = 4.
        let spb = hex!("03000000 18000000 06000000 45000000 11220000 18000000");
        let Step::Packet(p) = d.step(&spb).unwrap() else {
            panic!("no packet")
        };
        assert_eq!((p.data_start, p.data_len, p.orig_len), (12, 4, 6));
        assert_eq!(p.ts_ns, 0);
        // Obsolete packet block: if 0, drops 0, ts 2 µs, caplen 2, len 2.
        let pb = hex!(
            "02000000 24000000 0000 0000 00000000 02000000 02000000 02000000 4500 0000 24000000"
        );
        let Step::Packet(p) = d.step(&pb).unwrap() else {
            panic!("no packet")
        };
        assert_eq!((p.data_start, p.data_len, p.ts_ns), (28, 2, 2000));
    }

    #[test]
    fn unknown_block_skipped_and_bad_lengths() {
        let mut d = ready(&SHB_LE);
        let nrb = hex!("04000000 10000000 00000000 10000000");
        assert!(matches!(d.step(&nrb).unwrap(), Step::Skip(16)));
        let odd = hex!("04000000 0d000000 00000000 0d000000");
        assert_eq!(
            d.step(&odd).unwrap_err().kind,
            CaptureErrorKind::BadBlockLength(13)
        );
        let short = hex!("04000000 08000000");
        assert_eq!(
            d.step(&short).unwrap_err().kind,
            CaptureErrorKind::BadBlockLength(8)
        );
    }

    #[test]
    fn epb_errors() {
        let mut d = ready(&SHB_LE);
        let epb = hex!(
            "06000000 24000000 00000000 00000000 00000000 03000000 3c000000 aabbcc00 24000000"
        );
        assert_eq!(
            d.step(&epb).unwrap_err().kind,
            CaptureErrorKind::UnknownInterface(0)
        );
        let idb = hex!("01000000 14000000 0100 0000 02000000 14000000");
        d.step(&idb).unwrap();
        assert_eq!(
            d.step(&epb).unwrap_err().kind,
            CaptureErrorKind::CaplenAboveSnaplen {
                caplen: 3,
                snaplen: 2
            }
        );
    }

    #[test]
    fn binary_resolution() {
        // 2^-10 s units: 1536 units = 1.5 s.
        let per_sec = TsResolution::Binary(10).units_per_second();
        assert_eq!(ts_ns(1536, Scale::Other(per_sec), 0), 1_500_000_000);
        // 1 unit = 976562.5 ns, truncated.
        assert_eq!(ts_ns(1, Scale::Other(per_sec), 0), 976_562);
        // Saturation instead of overflow.
        assert_eq!(ts_ns(u64::MAX, Scale::Other(1), 0), i64::MAX);
    }
}

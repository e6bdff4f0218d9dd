//! pcapng files built by the test-only writer, with expected values reasoned
//! by hand from the pcapng specification (draft-ietf-opsawg-pcapng):
//! sections, interfaces, resolutions, offsets, block kinds.

mod capture_support;

use capture_support::{NgWriter, Trickle, read_slice, read_stream};
use tcpkit_core::capture::{
    FileFormat, LinkType, PacketSource, SliceReader, StreamReader, TsResolution,
};
use tcpkit_core::error::CaptureErrorKind;

const IF_TSRESOL: u16 = 9;
const IF_FCSLEN: u16 = 13;
const IF_TSOFFSET: u16 = 14;

/// Two sections; the second big-endian. Section 1: Ethernet at ns resolution
/// and raw IP at 2^-10 s with a 1000 s offset; an unknown block; EPBs on both;
/// an obsolete packet block. Section 2 (interfaces reset): SLL2 at µs; an SPB.
fn build() -> Vec<u8> {
    let mut w = NgWriter::new();
    w.shb(false);
    let ns = w.opt(IF_TSRESOL, &[9]);
    let fcs = w.opt(IF_FCSLEN, &[32]);
    w.idb(1, 65535, &[ns, fcs]);
    let bin = w.opt(IF_TSRESOL, &[0x80 | 10]);
    let off = w.opt(IF_TSOFFSET, &1000i64.to_le_bytes());
    w.idb(101, 0, &[bin, off]);
    w.block(0x0BAD_F00D, &[1, 2, 3, 4, 5, 6, 7, 8]); // unknown: skipped
    // if 0: 1_700_000_000.123456789 s in ns units.
    w.epb(0, 1_700_000_000_123_456_789, &[0xaa; 14], 60);
    // if 1: 3 * 1024 + 512 units of 2^-10 s = 3.5 s, + 1000 s offset.
    w.epb(1, 3 * 1024 + 512, &[0x45, 0, 0, 20], 20);
    // obsolete packet block on if 0: 42 ns.
    w.opb(0, 42, &[0xbb; 3], 3);
    w.shb(true);
    w.idb(276, 8, &[]);
    // SPB: original 10 bytes, snaplen 8 -> 8 bytes captured, no timestamp.
    w.spb(10, &[1, 2, 3, 4, 5, 6, 7, 8]);
    w.out
}

#[test]
fn multi_section_multi_interface() {
    let file = build();
    let (pkts, err) = read_slice(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pkts.len(), 4);

    assert_eq!(pkts[0].frame, 1);
    assert_eq!(pkts[0].ts_ns, 1_700_000_000_123_456_789);
    assert_eq!(pkts[0].link_type, 1);
    assert_eq!((pkts[0].data.len(), pkts[0].orig_len), (14, 60));

    assert_eq!(pkts[1].frame, 2);
    assert_eq!(pkts[1].ts_ns, 1_003_500_000_000);
    assert_eq!((pkts[1].link_type, pkts[1].interface), (101, 1));
    assert_eq!(pkts[1].data, vec![0x45, 0, 0, 20]);

    assert_eq!(pkts[2].frame, 3);
    assert_eq!((pkts[2].ts_ns, pkts[2].data.len()), (42, 3));

    assert_eq!(pkts[3].frame, 4);
    assert_eq!((pkts[3].ts_ns, pkts[3].link_type), (0, 276));
    assert_eq!((pkts[3].data.len(), pkts[3].orig_len), (8, 10));

    // Stream reader, fed 1-7 bytes at a time, agrees.
    let (sp, se) = read_stream(Trickle { data: &file, n: 0 });
    assert!(se.is_none());
    assert_eq!(sp, pkts);
}

#[test]
fn accessors_follow_the_current_section() {
    let file = build();
    let mut r = SliceReader::new(&file).unwrap();
    assert!(matches!(
        r.format().file,
        FileFormat::Pcapng { version_major: 1, version_minor: 0 }
    ));
    assert!(!r.format().big_endian);
    r.next().unwrap().unwrap();
    let ifs = r.interfaces();
    assert_eq!(ifs.len(), 2);
    assert_eq!(ifs[0].link_type, LinkType::ETHERNET);
    assert_eq!(ifs[0].tsresol, TsResolution::NANOS);
    assert_eq!(ifs[0].fcs_bits, Some(32));
    assert_eq!(ifs[1].tsresol, TsResolution::Binary(10));
    assert_eq!(ifs[1].tsoffset, 1000);
    assert_eq!(r.snaplen(), Some(65535));
    for _ in 0..3 {
        r.next().unwrap().unwrap();
    }
    assert!(r.format().big_endian);
    assert_eq!(r.interfaces().len(), 1);
    assert_eq!(r.interfaces()[0].link_type, LinkType::LINUX_SLL2);
    assert_eq!(r.interfaces()[0].tsresol, TsResolution::MICROS);

    let mut s = StreamReader::new(&file[..]).unwrap();
    assert_eq!(s.interfaces().len(), 0, "IDBs come after the SHB");
    s.next_packet().unwrap().unwrap();
    assert_eq!(s.interfaces().len(), 2);
}

#[test]
fn interfaces_reset_per_section() {
    let mut w = NgWriter::new();
    w.shb(false).idb(1, 0, &[]).idb(1, 0, &[]);
    w.epb(1, 0, &[0; 4], 4);
    w.shb(false).idb(1, 0, &[]);
    let second_epb_at = w.out.len();
    w.epb(1, 0, &[0; 4], 4);
    let (pkts, err) = read_slice(&w.out);
    assert_eq!(pkts.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.kind, CaptureErrorKind::UnknownInterface(1));
    assert_eq!((err.offset, err.frame), (second_epb_at as u64, Some(2)));
}

#[test]
fn packet_before_any_interface_is_refused() {
    let mut w = NgWriter::new();
    w.shb(false).spb(4, &[0; 4]);
    let err = read_slice(&w.out).1.unwrap();
    assert_eq!(err.kind, CaptureErrorKind::UnknownInterface(0));
    assert_eq!((err.offset, err.frame), (28, Some(1)));
}

#[test]
fn default_resolution_is_microseconds() {
    let mut w = NgWriter::new();
    w.shb(true).idb(1, 0, &[]);
    w.epb(0, 2_500_000, &[1], 1); // 2.5 s in µs
    let (pkts, err) = read_slice(&w.out);
    assert!(err.is_none());
    assert_eq!(pkts[0].ts_ns, 2_500_000_000);
}

#[test]
fn bad_options_are_refused() {
    for (opt, kind) in [
        (
            (IF_TSRESOL, vec![9u8, 9]),
            CaptureErrorKind::BadOptionLength { code: 9, len: 2, expected: 1 },
        ),
        ((IF_TSRESOL, vec![20]), CaptureErrorKind::TsresolTooHigh(20)),
        ((IF_TSRESOL, vec![0x80 | 64]), CaptureErrorKind::TsresolTooHigh(0xc0)),
        (
            (IF_TSOFFSET, vec![0; 4]),
            CaptureErrorKind::BadOptionLength { code: 14, len: 4, expected: 8 },
        ),
    ] {
        let mut w = NgWriter::new();
        w.shb(false);
        let o = w.opt(opt.0, &opt.1);
        w.idb(1, 0, &[o]);
        let err = read_slice(&w.out).1.unwrap();
        assert_eq!(err.kind, kind);
        assert_eq!((err.offset, err.frame), (28, None));
    }
    // Repeated if_tsresol.
    let mut w = NgWriter::new();
    w.shb(false);
    let o = w.opt(IF_TSRESOL, &[9]);
    w.idb(1, 0, &[o.clone(), o]);
    assert_eq!(
        read_slice(&w.out).1.unwrap().kind,
        CaptureErrorKind::DuplicateOption(9)
    );
    // An option running past its block.
    let mut w = NgWriter::new();
    w.shb(false);
    let mut body = vec![1, 0, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&[9, 0, 100, 0]); // if_tsresol claiming 100 bytes
    w.block(1, &body);
    assert_eq!(
        read_slice(&w.out).1.unwrap().kind,
        CaptureErrorKind::OptionOverrun { code: 9, len: 100 }
    );
}

#[test]
fn block_length_checks() {
    let mut w = NgWriter::new();
    w.shb(false).idb(1, 0, &[]);
    let at = w.out.len();
    w.epb(0, 0, &[1, 2, 3, 4], 4);
    let good = w.out.clone();
    // Trailer disagrees with header.
    let mut bad = good.clone();
    let last = bad.len() - 4;
    bad[last] = 0x40;
    let err = read_slice(&bad).1.unwrap();
    assert_eq!(
        err.kind,
        CaptureErrorKind::BlockLengthMismatch { header: 36, trailer: 64 }
    );
    assert_eq!((err.offset, err.frame), (at as u64, Some(1)));
    // Length not a multiple of 4.
    let mut bad = good.clone();
    bad[at + 4] = 37;
    assert_eq!(
        read_slice(&bad).1.unwrap().kind,
        CaptureErrorKind::BadBlockLength(37)
    );
    // Captured length beyond the block.
    let mut bad = good.clone();
    bad[at + 20] = 40;
    assert_eq!(
        read_slice(&bad).1.unwrap().kind,
        CaptureErrorKind::BlockTooShort { block_type: 6 }
    );
    // A huge block is refused before it is read (16 MiB limit).
    let mut bad = good;
    bad[at + 4..at + 8].copy_from_slice(&0x7fff_fff0u32.to_le_bytes());
    assert!(matches!(
        read_slice(&bad).1.unwrap().kind,
        CaptureErrorKind::BlockTooLarge { len: 0x7fff_fff0, .. }
    ));
}

#[test]
fn big_endian_section_vectors() {
    // Hand-written big-endian file: SHB v1.2, IDB (Ethernet, snaplen 0,
    // if_tsresol 3 = ms), EPB at 1500 ms with 2 bytes.
    let file = hex_literal::hex!(
        "0a0d0d0a 0000001c 1a2b3c4d 0001 0002 ffffffffffffffff 0000001c"
        "00000001 0000001c 0001 0000 00000000 0009 0001 03000000 0000001c"
        "00000006 00000024 00000000 00000000 000005dc 00000002 00000002 abcd0000 00000024"
    );
    let (pkts, err) = read_slice(&file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(pkts.len(), 1);
    assert_eq!(pkts[0].ts_ns, 1_500_000_000);
    assert_eq!(pkts[0].data, vec![0xab, 0xcd]);
}

//! Regression tests for the `capture_read` fuzz target (tcpkit-core/fuzz).
//!
//! Fuzzing so far (cargo-fuzz 0.13.2 / libFuzzer, `RUSTC_BOOTSTRAP=1`, two runs
//! of 300 s and 240 s seeded with the tcpdump and libpcap corpora) found no
//! crash, hang, slice/stream disagreement or out-of-memory; any future crash
//! input goes here as a named test. Until then, these are the hostile shapes the
//! fuzzer is meant to reach, checked by hand: huge claimed lengths, arithmetic
//! at the edges, unbounded counts.

mod capture_support;

use capture_support::{NgWriter, Trickle, read_slice, read_stream};
use tcpkit_core::capture::{PacketSource, StreamReader};
use tcpkit_core::error::CaptureErrorKind;

/// Slice and stream readers agree on `bytes`; returns the slice result.
fn both(bytes: &[u8]) -> (Vec<capture_support::Owned>, Option<CaptureErrorKind>) {
    let (p, e) = read_slice(bytes);
    let (sp, se) = read_stream(Trickle { data: bytes, n: 0 });
    assert_eq!(p, sp);
    let (e, se) = (
        e.map(|e| (e.offset, e.frame, e.kind)),
        se.map(|e| (e.offset, e.frame, e.kind)),
    );
    assert_eq!(e, se);
    (p, e.map(|e| e.2))
}

#[test]
fn shb_claiming_4_gib_is_refused_without_allocating() {
    let f = hex_literal::hex!("0a0d0d0a fcffffff 4d3c2b1a 0100 0000 ffffffffffffffff");
    let (_, e) = both(&f);
    assert_eq!(
        e,
        Some(CaptureErrorKind::BlockTooLarge {
            len: 0xffff_fffc,
            limit: 1 << 20
        })
    );
}

#[test]
fn pcap_caplen_u32_max() {
    let mut f = capture_support::pcap_file(false, 65535, 1, &[]);
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    f.extend_from_slice(&u32::MAX.to_le_bytes());
    let (_, e) = both(&f);
    assert!(matches!(
        e,
        Some(CaptureErrorKind::CaplenTooLarge {
            caplen: 0xffff_ffff,
            ..
        })
    ));
}

#[test]
fn epb_caplen_near_u32_max_does_not_overflow() {
    let mut w = NgWriter::new();
    w.shb(false).idb(1, 0, &[]);
    let at = w.out.len();
    w.epb(0, 0, &[0; 8], 8);
    w.out[at + 20..at + 24].copy_from_slice(&0xffff_fff0u32.to_le_bytes());
    let (_, e) = both(&w.out);
    assert_eq!(e, Some(CaptureErrorKind::BlockTooShort { block_type: 6 }));
}

#[test]
fn too_many_interfaces_is_bounded() {
    let mut w = NgWriter::new();
    w.shb(false);
    for _ in 0..65_537 {
        w.idb(1, 0, &[]);
    }
    let (_, e) = both(&w.out);
    assert_eq!(e, Some(CaptureErrorKind::TooManyInterfaces(65_536)));
}

#[test]
fn extreme_timestamps_saturate() {
    let mut w = NgWriter::new();
    w.shb(false);
    let r = w.opt(9, &[0x80 | 63]);
    let o = w.opt(14, &i64::MAX.to_le_bytes());
    w.idb(1, 0, &[r, o]);
    let r = w.opt(9, &[0]); // 1 s units
    let o = w.opt(14, &i64::MIN.to_le_bytes());
    w.idb(1, 0, &[r, o]);
    w.epb(0, u64::MAX, &[1], 1);
    w.epb(1, 0, &[1], 1);
    w.epb(1, u64::MAX, &[1], 1);
    let (p, e) = both(&w.out);
    assert!(e.is_none());
    assert_eq!(p[0].ts_ns, i64::MAX);
    assert_eq!(p[1].ts_ns, i64::MIN);
    // (2^64 - 1 - 2^63) s * 1e9 still exceeds i64: saturates high.
    assert_eq!(p[2].ts_ns, i64::MAX);
}

#[test]
fn option_length_ffff_in_short_block() {
    let mut w = NgWriter::new();
    w.shb(true);
    let mut body = vec![0, 1, 0, 0, 0, 0, 0, 0];
    body.extend_from_slice(&[0, 9, 0xff, 0xff]);
    w.block(1, &body);
    let (_, e) = both(&w.out);
    assert_eq!(
        e,
        Some(CaptureErrorKind::OptionOverrun {
            code: 9,
            len: 0xffff
        })
    );
}

#[test]
fn minimal_shb_of_12_bytes() {
    let f = hex_literal::hex!("0a0d0d0a 0c000000 4d3c2b1a");
    // Needs 12 bytes, has them, but the body is too short for the fixed part:
    // the trailer is the byte-order magic here, so the lengths disagree first.
    let (_, e) = both(&f);
    assert!(matches!(
        e,
        Some(CaptureErrorKind::BlockLengthMismatch { header: 12, .. })
    ));
    let f = hex_literal::hex!("0a0d0d0a 10000000 4d3c2b1a 10000000");
    let (_, e) = both(&f);
    assert_eq!(
        e,
        Some(CaptureErrorKind::BlockTooShort {
            block_type: 0x0a0d_0d0a
        })
    );
}

#[test]
fn stream_reader_stops_after_error() {
    let f = hex_literal::hex!(
        "0a0d0d0a 1c000000 4d3c2b1a 0100 0000 ffffffffffffffff 1c000000 06000000 0d000000"
    );
    let mut r = StreamReader::new(&f[..]).unwrap();
    assert!(r.next_packet().unwrap().is_err());
    assert!(r.next_packet().is_none());
    assert!(r.next_packet().is_none());
}

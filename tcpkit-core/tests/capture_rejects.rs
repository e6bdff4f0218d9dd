//! Every file of testdata/corpus/libpcap is refused, with libpcap's reason
//! (REJECTS.tsv holds the error libpcap itself reports).

mod capture_support;

use capture_support::{Trickle, read_slice, read_stream, testdata};
use tcpkit_core::error::CaptureErrorKind;

fn rejects() -> Vec<(String, String)> {
    let tsv = std::fs::read_to_string(testdata().join("corpus/libpcap/REJECTS.tsv")).unwrap();
    let rows: Vec<_> = tsv
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let (f, why) = l.split_once('\t').expect("two columns");
            (f.to_owned(), why.to_owned())
        })
        .collect();
    assert_eq!(rows.len(), 6, "REJECTS.tsv rows");
    rows
}

#[test]
fn every_libpcap_reject_is_refused_with_libpcaps_reason() {
    for (file, libpcap_reason) in rejects() {
        let bytes = std::fs::read(testdata().join("corpus/libpcap").join(&file)).unwrap();
        let (packets, err) = read_slice(&bytes);
        let err = err.unwrap_or_else(|| panic!("{file}: accepted"));
        assert!(packets.is_empty(), "{file}: garbage packets yielded");
        let ours = err.to_string();
        if file == "shb-option-too-long.pcapng" {
            // libpcap does not check the trailer of the *first* section header
            // block (pcap_ng_check_header reads it without read_block), so it
            // trips on the next block (header 32, trailer 0x30303030). We check
            // every block, so we stop one block earlier, at the SHB itself
            // (length 52, trailer 0x30303030): same reason, different block.
            assert_eq!(err.offset, 0, "{file}");
            assert_eq!(
                err.kind,
                CaptureErrorKind::BlockLengthMismatch {
                    header: 52,
                    trailer: 808_464_432
                }
            );
            assert!(
                ours.contains("block total length in header")
                    && ours.contains("trailer 808464432 don't match"),
                "{file}: {ours}"
            );
        } else {
            assert!(
                ours.contains(&libpcap_reason),
                "{file}: ours {ours:?}, libpcap {libpcap_reason:?}"
            );
            assert_eq!(err.offset, 0, "{file}: the file header is at fault");
        }
        // The stream reader refuses it the same way, even when fed bytewise.
        let (sp, se) = read_stream(Trickle { data: &bytes, n: 0 });
        assert!(sp.is_empty());
        assert_eq!(se.map(|e| e.to_string()), Some(ours), "{file}: stream");
    }
}

#[test]
fn other_garbage_is_refused() {
    // Not a capture at all.
    let (_, e) = read_slice(b"GET / HTTP/1.1\r\n\r\n");
    assert!(matches!(e.unwrap().kind, CaptureErrorKind::UnknownMagic(_)));
    // Empty and short files.
    let (_, e) = read_slice(b"");
    assert!(matches!(
        e.unwrap().kind,
        CaptureErrorKind::HeaderTruncated {
            needed: 4,
            available: 0
        }
    ));
    let (_, e) = read_slice(&[0xd4, 0xc3, 0xb2, 0xa1, 2, 0]);
    assert!(matches!(
        e.unwrap().kind,
        CaptureErrorKind::HeaderTruncated {
            needed: 24,
            available: 6
        }
    ));
    // pcapng magic with a bad byte-order magic.
    let (_, e) = read_slice(&[0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 1, 2, 3, 4]);
    assert!(matches!(
        e.unwrap().kind,
        CaptureErrorKind::BadByteOrderMagic(_)
    ));
    // pcap version 2.4 accepted, 543.0 (DG/UX) accepted, 3.0 refused.
    for (maj, min, ok) in [
        (2u16, 4u16, true),
        (543, 0, true),
        (2, 5, false),
        (3, 0, false),
    ] {
        let mut h = vec![0xd4, 0xc3, 0xb2, 0xa1];
        h.extend_from_slice(&maj.to_le_bytes());
        h.extend_from_slice(&min.to_le_bytes());
        h.extend_from_slice(&[0; 8]);
        h.extend_from_slice(&65535u32.to_le_bytes());
        h.extend_from_slice(&1u32.to_le_bytes());
        assert_eq!(read_slice(&h).1.is_none(), ok, "version {maj}.{min}");
    }
}

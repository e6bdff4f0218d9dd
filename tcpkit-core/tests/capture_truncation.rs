//! Real captures cut at many offsets: no panic; every complete record before
//! the cut is yielded; then one error naming the cut record's offset (and its
//! frame number), unless the cut falls on a record boundary.

mod capture_support;

use capture_support::{all_captures, read_slice, read_stream};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::error::CaptureErrorKind;

/// End offsets of every packet record, from a full read.
fn packet_ends(bytes: &[u8]) -> Vec<u64> {
    let mut r = SliceReader::new(bytes).unwrap();
    let mut ends = Vec::new();
    while let Some(p) = r.next() {
        p.unwrap();
        ends.push(r.offset());
    }
    ends
}

fn check_cuts(bytes: &[u8], name: &str, cuts: impl Iterator<Item = usize>) -> usize {
    let is_pcapng = bytes.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]);
    let ends = packet_ends(bytes);
    let (full, _) = read_slice(bytes);
    let mut checked = 0;
    for cut in cuts {
        let part = &bytes[..cut];
        let (pkts, err) = read_slice(part);
        let complete = ends.iter().filter(|&&e| e <= cut as u64).count();
        let header_len = if is_pcapng { 0 } else { 24 };
        if cut < header_len
            || (is_pcapng && pkts.is_empty() && err.as_ref().is_some_and(|e| e.offset == 0))
        {
            // The file header itself is cut: refused at offset 0.
            let e = err.unwrap_or_else(|| panic!("{name} cut {cut}: header cut accepted"));
            assert_eq!(e.offset, 0);
            assert!(pkts.is_empty());
            if !is_pcapng {
                assert!(matches!(e.kind, CaptureErrorKind::HeaderTruncated { .. }));
            }
            continue;
        }
        assert_eq!(
            pkts.len(),
            complete,
            "{name} cut {cut}: complete records yielded"
        );
        assert_eq!(pkts[..], full[..complete], "{name} cut {cut}: same packets");
        let last_end = if complete == 0 {
            header_len as u64
        } else {
            ends[complete - 1]
        };
        match &err {
            None => {
                // Only a cut at a record boundary ends cleanly.
                if !is_pcapng {
                    assert_eq!(cut as u64, last_end, "{name} cut {cut}: silent loss");
                }
            }
            Some(e) => {
                assert!(
                    matches!(e.kind, CaptureErrorKind::RecordTruncated { .. }),
                    "{name} cut {cut}: {e}"
                );
                assert!(
                    e.offset >= last_end && e.offset < cut as u64,
                    "{name} cut {cut}: offset {}",
                    e.offset
                );
                if !is_pcapng {
                    assert_eq!(e.offset, last_end, "{name} cut {cut}");
                    assert_eq!(e.frame, Some(complete as u64 + 1), "{name} cut {cut}");
                } else if let Some(f) = e.frame {
                    // A cut packet block is the next frame.
                    assert_eq!(f, complete as u64 + 1, "{name} cut {cut}");
                    let t = &bytes[e.offset as usize..e.offset as usize + 4];
                    let le = u32::from_le_bytes(t.try_into().unwrap());
                    let be = u32::from_be_bytes(t.try_into().unwrap());
                    assert!(
                        [2, 3, 6].contains(&le) || [2, 3, 6].contains(&be),
                        "{name} cut {cut}"
                    );
                }
                if let CaptureErrorKind::RecordTruncated { needed, available } = e.kind {
                    assert_eq!(available, cut as u64 - e.offset);
                    assert!(needed > available);
                }
            }
        }
        // The stream reader behaves the same at every cut.
        let (sp, se) = read_stream(part);
        assert_eq!(sp, pkts, "{name} cut {cut}: stream packets");
        assert_eq!(
            se.map(|e| (e.offset, e.frame, e.kind)),
            err.map(|e| (e.offset, e.frame, e.kind)),
            "{name} cut {cut}: stream error"
        );
        checked += 1;
    }
    checked
}

#[test]
fn every_offset_of_small_captures() {
    let mut checked = 0;
    let mut files = 0;
    for path in all_captures() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() > 6000 {
            continue;
        }
        files += 1;
        checked += check_cuts(&bytes, &path.display().to_string(), 0..bytes.len());
    }
    assert!(files >= 40, "{files} small captures");
    assert!(checked > 100_000, "{checked} cuts checked");
}

#[test]
fn sampled_offsets_of_large_captures() {
    let mut files = 0;
    for path in all_captures() {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.len() <= 6000 {
            continue;
        }
        files += 1;
        // ~300 cuts per file: a prime stride plus the first 200 bytes.
        let stride = (bytes.len() / 300).max(1) | 1;
        let cuts = (0..200).chain((200..bytes.len()).step_by(stride));
        check_cuts(&bytes, &path.display().to_string(), cuts);
    }
    assert!(files >= 10, "{files} large captures");
}

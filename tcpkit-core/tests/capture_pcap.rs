//! Classic pcap: the six magics (µs, ns, Kuznetzov-modified; each in both byte
//! orders) give the same packets; header accessors.

mod capture_support;

use capture_support::{read_slice, read_stream};
use tcpkit_core::capture::{FileFormat, LinkType, SliceReader, TsResolution};

/// Builds a pcap with `magic` written in the chosen byte order. Records:
/// (seconds, fraction in the file's unit, data, original length).
fn build(magic: u32, big: bool, recs: &[(u32, u32, &[u8], u32)]) -> Vec<u8> {
    let u32b = |v: u32| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let u16b = |v: u16| {
        if big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    };
    let mut f = Vec::new();
    f.extend_from_slice(&u32b(magic));
    f.extend_from_slice(&u16b(2));
    f.extend_from_slice(&u16b(4));
    f.extend_from_slice(&[0; 8]);
    f.extend_from_slice(&u32b(1500));
    f.extend_from_slice(&u32b(113)); // Linux cooked
    for (s, frac, data, orig) in recs {
        f.extend_from_slice(&u32b(*s));
        f.extend_from_slice(&u32b(*frac));
        f.extend_from_slice(&u32b(data.len() as u32));
        f.extend_from_slice(&u32b(*orig));
        if magic == 0xa1b2_cd34 {
            // ifindex, protocol, packet type, padding.
            f.extend_from_slice(&[0, 0, 0, 2, 0x08, 0x00, 4, 0]);
        }
        f.extend_from_slice(data);
    }
    f
}

#[test]
fn all_magics_and_byte_orders_agree() {
    let a = [0x11u8; 20];
    let b = [0x22u8; 7];
    for (magic, unit_ns) in [
        (0xa1b2_c3d4u32, 1000i64),
        (0xa1b2_3c4d, 1),
        (0xa1b2_cd34, 1000),
    ] {
        for big in [false, true] {
            let frac = |ns: i64| (ns / unit_ns) as u32;
            let file = build(
                magic,
                big,
                &[
                    (1_600_000_000, frac(250_000_000), &a, 60),
                    (1_600_000_001, frac(999_999_000), &b, 7),
                ],
            );
            let (p, e) = read_slice(&file);
            assert!(e.is_none(), "{magic:#x} big={big}: {e:?}");
            assert_eq!(p.len(), 2);
            assert_eq!(p[0].ts_ns, 1_600_000_000_250_000_000);
            assert_eq!(p[1].ts_ns, 1_600_000_001_999_999_000);
            assert_eq!((p[0].data.as_slice(), p[0].orig_len), (&a[..], 60));
            assert_eq!((p[1].data.as_slice(), p[1].orig_len), (&b[..], 7));
            assert!(p.iter().all(|p| p.link_type == 113 && p.interface == 0));
            assert_eq!((p[0].frame, p[1].frame), (1, 2));
            assert_eq!(read_stream(&file[..]).0, p);

            let r = SliceReader::new(&file).unwrap();
            let fmt = r.format();
            assert_eq!(fmt.big_endian, big);
            assert_eq!(
                fmt.file,
                FileFormat::Pcap {
                    version_major: 2,
                    version_minor: 4,
                    nanos: magic == 0xa1b2_3c4d,
                    modified: magic == 0xa1b2_cd34,
                }
            );
            assert_eq!(r.snaplen(), Some(1500));
            let i = r.interfaces()[0];
            assert_eq!(i.link_type, LinkType::LINUX_SLL);
            assert_eq!(
                i.tsresol,
                if magic == 0xa1b2_3c4d {
                    TsResolution::NANOS
                } else {
                    TsResolution::MICROS
                }
            );
        }
    }
}

#[test]
fn lab_capture_header_facts() {
    // tcpdump -i any writes SLL2 (276); the manifest of this scenario says so.
    let path = capture_support::testdata().join("captures/lab/any-interface-sll2");
    let file = std::fs::read_dir(&path)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .unwrap();
    let bytes = std::fs::read(&file).unwrap();
    let (pkts, err) = read_slice(&bytes);
    assert!(err.is_none());
    assert!(!pkts.is_empty());
    assert!(pkts.iter().all(|p| p.link_type == LinkType::LINUX_SLL2.0));
}

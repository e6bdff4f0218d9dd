//! The stream reader gives exactly what the slice reader gives, whatever the
//! read sizes, with a buffer that never grows with the file.

mod capture_support;

use std::io::Read;

use capture_support::{Trickle, all_captures, drain, pcap_file, read_slice, read_stream};
use tcpkit_core::capture::{PacketSource, StreamReader, open};
use tcpkit_core::error::CaptureErrorKind;

#[test]
fn stream_equals_slice_on_every_capture() {
    for path in all_captures() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let (sp, se) = read_slice(&bytes);
        assert!(se.is_none(), "{name}: {se:?}");
        let (tp, te) = read_stream(Trickle { data: &bytes, n: 0 });
        assert!(te.is_none(), "{name}: trickle {te:?}");
        assert_eq!(tp, sp, "{name}: trickle");
        let (fp, fe) = read_stream(std::fs::File::open(&path).unwrap());
        assert!(fe.is_none(), "{name}: file {fe:?}");
        assert_eq!(fp, sp, "{name}: file");
        // `open` is the same thing.
        let (op, _) = drain(&mut open(&path).unwrap());
        assert_eq!(op.len(), sp.len());
    }
}

#[test]
fn buffer_is_bounded_by_the_largest_record_not_the_file() {
    // 40 000 records of 1000 bytes: a 40 MB file.
    let data = vec![0x5a; 1000];
    let records: Vec<_> = (0..40_000u32).map(|i| (i, 0, &data[..], 1000)).collect();
    let file = pcap_file(false, 65535, 1, &records);
    let mut r = StreamReader::new(&file[..]).unwrap();
    let mut n = 0;
    while let Some(p) = r.next_packet() {
        assert_eq!(p.unwrap().data.len(), 1000);
        n += 1;
        assert!(r.buffer_len() <= 256 * 1024, "buffer {}", r.buffer_len());
    }
    assert_eq!(n, 40_000);

    // One record of the largest size libpcap allows (262144) grows the buffer
    // to just that record; one byte more is refused before any allocation.
    let big = vec![1u8; 262_144];
    let file = pcap_file(false, 0, 1, &[(0, 0, &big[..], 262_144)]);
    let mut r = StreamReader::new(&file[..]).unwrap();
    assert_eq!(r.next_packet().unwrap().unwrap().data.len(), 262_144);
    assert!(r.buffer_len() <= 262_144 + 16, "buffer {}", r.buffer_len());
    assert!(r.buffer_len() <= r.max_buffer_len());
    let mut hdr = pcap_file(false, 0, 1, &[]);
    hdr.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 0]);
    hdr.extend_from_slice(&262_145u32.to_le_bytes());
    hdr.extend_from_slice(&262_145u32.to_le_bytes());
    let mut r = StreamReader::new(&hdr[..]).unwrap();
    let e = r.next_packet().unwrap().unwrap_err();
    assert_eq!(
        e.kind,
        CaptureErrorKind::CaplenTooLarge {
            caplen: 262_145,
            limit: 262_144
        }
    );
    assert_eq!((e.offset, e.frame), (24, Some(1)));
    assert!(r.buffer_len() <= 256 * 1024);
}

/// A reader that fails after `ok` bytes.
struct Failing<'a> {
    data: &'a [u8],
    ok: usize,
}

impl Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.ok == 0 {
            return Err(std::io::Error::other("disk on fire"));
        }
        let k = buf.len().min(self.ok).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        self.ok -= k;
        Ok(k)
    }
}

#[test]
fn io_errors_name_the_offset_and_frame() {
    let recs = [(1, 0, &[1u8, 2, 3][..], 3), (2, 0, &[4u8, 5, 6][..], 3)];
    let file = pcap_file(false, 65535, 1, &recs);
    // Fails in the middle of the second record (starts at 24 + 19 = 43).
    let (pkts, err) = read_stream(Failing {
        data: &file,
        ok: 50,
    });
    assert_eq!(pkts.len(), 1);
    let err = err.unwrap();
    assert!(matches!(
        err.kind,
        CaptureErrorKind::Io {
            kind: std::io::ErrorKind::Other,
            ..
        }
    ));
    assert_eq!((err.offset, err.frame), (43, Some(2)));
    assert!(err.to_string().contains("disk on fire"), "{err}");
}

#[test]
fn interrupted_reads_are_retried() {
    struct Interrupting<'a>(&'a [u8], bool);
    impl Read for Interrupting<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.1 = !self.1;
            if self.1 {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let k = buf.len().min(self.0.len()).min(5);
            buf[..k].copy_from_slice(&self.0[..k]);
            self.0 = &self.0[k..];
            Ok(k)
        }
    }
    let file = pcap_file(true, 65535, 1, &[(1, 7, &[9u8; 30][..], 30)]);
    let (pkts, err) = read_stream(Interrupting(&file, false));
    assert!(err.is_none());
    assert_eq!(pkts[0].ts_ns, 1_000_000_007);
}

#[test]
fn a_claimed_length_alone_does_not_allocate() {
    // A pcapng block header claiming 15 MiB, followed by 2 MiB of bytes: the
    // buffer grows with the bytes present (doubling), not to the claim.
    let mut w = capture_support::NgWriter::new();
    w.shb(false);
    let mut file = w.out;
    let at = file.len() as u64;
    file.extend_from_slice(&0x0BAD_F00Du32.to_le_bytes());
    file.extend_from_slice(&(15u32 << 20).to_le_bytes());
    file.resize(file.len() + (2 << 20), 0);
    let mut r = StreamReader::new(&file[..]).unwrap();
    let e = r.next_packet().unwrap().unwrap_err();
    assert_eq!(e.offset, at);
    assert!(
        matches!(e.kind, CaptureErrorKind::RecordTruncated { needed, .. } if needed == 15 << 20)
    );
    assert!(r.buffer_len() <= 4 << 20, "buffer {}", r.buffer_len());
    assert!(r.max_buffer_len() >= 16 << 20);
}

//! Helpers shared by the capture_* integration tests: where the test data
//! is, a tiny test-only pcap/pcapng writer, and owned copies of packets.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use tcpkit_core::capture::{Packet, PacketSource, SliceReader, StreamReader};
use tcpkit_core::error::CaptureError;

/// The repository's `testdata/` (oracle captures and corpora, see testdata/README.md): fail loudly.
pub fn testdata() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    assert!(
        p.join("corpus").is_dir(),
        "test data not found at {} (testdata/ of the repository)",
        p.display()
    );
    p
}

/// Every capture of corpus/tcpdump and captures/lab, sorted.
pub fn all_captures() -> Vec<PathBuf> {
    let root = testdata();
    let mut out = Vec::new();
    for entry in std::fs::read_dir(root.join("corpus/tcpdump")).unwrap() {
        let p = entry.unwrap().path();
        if is_capture(&p) {
            out.push(p);
        }
    }
    for dir in std::fs::read_dir(root.join("captures/lab")).unwrap() {
        let dir = dir.unwrap().path();
        if !dir.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&dir).unwrap() {
            let p = entry.unwrap().path();
            if is_capture(&p) {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(
        out.len() > 100,
        "expected the whole corpus, found {}",
        out.len()
    );
    out
}

fn is_capture(p: &Path) -> bool {
    matches!(
        p.extension().and_then(|e| e.to_str()),
        Some("pcap" | "pcapng")
    )
}

/// A packet copied out of a reader.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Owned {
    pub frame: u64,
    pub ts_ns: i64,
    pub link_type: u16,
    pub orig_len: u32,
    pub data: Vec<u8>,
    pub interface: u32,
}

impl From<Packet<'_>> for Owned {
    fn from(p: Packet<'_>) -> Self {
        Self {
            frame: p.frame,
            ts_ns: p.ts_ns,
            link_type: p.link_type.0,
            orig_len: p.orig_len,
            data: p.data.to_vec(),
            interface: p.interface,
        }
    }
}

/// Everything a reader yields: packets, then the error if any.
pub fn drain(src: &mut impl PacketSource) -> (Vec<Owned>, Option<CaptureError>) {
    let mut out = Vec::new();
    while let Some(r) = src.next_packet() {
        match r {
            Ok(p) => out.push(p.into()),
            Err(e) => {
                assert!(
                    src.next_packet().is_none(),
                    "a reader must stop after an error"
                );
                return (out, Some(e));
            }
        }
    }
    (out, None)
}

/// Reads a whole byte slice with the slice reader; a header error is returned
/// as the error with no packets.
pub fn read_slice(bytes: &[u8]) -> (Vec<Owned>, Option<CaptureError>) {
    match SliceReader::new(bytes) {
        Ok(mut r) => drain(&mut r),
        Err(e) => (Vec::new(), Some(e)),
    }
}

/// Same with the stream reader over any `Read`.
pub fn read_stream(r: impl std::io::Read) -> (Vec<Owned>, Option<CaptureError>) {
    match StreamReader::new(r) {
        Ok(mut r) => drain(&mut r),
        Err(e) => (Vec::new(), Some(e)),
    }
}

/// A `Read` that hands out 1 to 7 bytes per call, in a fixed pattern.
pub struct Trickle<'a> {
    pub data: &'a [u8],
    pub n: usize,
}

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.n = self.n.wrapping_add(1);
        let want = 1 + (self.n * 5) % 7;
        let k = want.min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

/// Test-only pcapng writer: blocks in one byte order per section.
#[derive(Debug, Default)]
pub struct NgWriter {
    pub out: Vec<u8>,
    big: bool,
}

impl NgWriter {
    pub fn new() -> Self {
        Self::default()
    }
    fn u16(&self, v: u16) -> [u8; 2] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    fn u32(&self, v: u32) -> [u8; 4] {
        if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        }
    }
    /// Appends a block of `block_type` with `body` (padded to 4 bytes).
    pub fn block(&mut self, block_type: u32, body: &[u8]) -> &mut Self {
        let padded = (body.len() + 3) & !3;
        let total = (12 + padded) as u32;
        let (t, l) = (self.u32(block_type), self.u32(total));
        self.out.extend_from_slice(&t);
        self.out.extend_from_slice(&l);
        self.out.extend_from_slice(body);
        self.out.resize(self.out.len() + padded - body.len(), 0);
        self.out.extend_from_slice(&l);
        self
    }
    /// An option (code, value), padded, in the current byte order.
    pub fn opt(&self, code: u16, value: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(&self.u16(code));
        v.extend_from_slice(&self.u16(value.len() as u16));
        v.extend_from_slice(value);
        v.resize((v.len() + 3) & !3, 0);
        v
    }
    /// Section header block (version 1.0), switching to `big` byte order.
    pub fn shb(&mut self, big: bool) -> &mut Self {
        self.big = big;
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32(0x1A2B_3C4D));
        body.extend_from_slice(&self.u16(1));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&[0xff; 8]); // section length unknown
        self.block(0x0A0D_0D0A, &body)
    }
    /// Interface description block; `opts` already encoded (see `opt`).
    pub fn idb(&mut self, link: u16, snaplen: u32, opts: &[Vec<u8>]) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u16(link));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&self.u32(snaplen));
        for o in opts {
            body.extend_from_slice(o);
        }
        if !opts.is_empty() {
            body.extend_from_slice(&[0; 4]); // opt_endofopt
        }
        self.block(1, &body)
    }
    /// Enhanced packet block.
    pub fn epb(&mut self, iface: u32, ts: u64, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32(iface));
        body.extend_from_slice(&self.u32((ts >> 32) as u32));
        body.extend_from_slice(&self.u32(ts as u32));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(&self.u32(orig_len));
        body.extend_from_slice(data);
        self.block(6, &body)
    }
    /// Obsolete packet block (type 2).
    pub fn opb(&mut self, iface: u16, ts: u64, data: &[u8], orig_len: u32) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u16(iface));
        body.extend_from_slice(&self.u16(0));
        body.extend_from_slice(&self.u32((ts >> 32) as u32));
        body.extend_from_slice(&self.u32(ts as u32));
        body.extend_from_slice(&self.u32(data.len() as u32));
        body.extend_from_slice(&self.u32(orig_len));
        body.extend_from_slice(data);
        self.block(2, &body)
    }
    /// Simple packet block.
    pub fn spb(&mut self, orig_len: u32, data: &[u8]) -> &mut Self {
        let mut body = Vec::new();
        body.extend_from_slice(&self.u32(orig_len));
        body.extend_from_slice(data);
        self.block(3, &body)
    }
}

/// Test-only classic pcap writer (little-endian, µs unless `nanos`).
pub fn pcap_file(
    nanos: bool,
    snaplen: u32,
    link: u32,
    records: &[(u32, u32, &[u8], u32)],
) -> Vec<u8> {
    let mut v = Vec::new();
    let magic: u32 = if nanos { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    v.extend_from_slice(&magic.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&[0; 8]);
    v.extend_from_slice(&snaplen.to_le_bytes());
    v.extend_from_slice(&link.to_le_bytes());
    for (s, f, data, orig) in records {
        v.extend_from_slice(&s.to_le_bytes());
        v.extend_from_slice(&f.to_le_bytes());
        v.extend_from_slice(&(data.len() as u32).to_le_bytes());
        v.extend_from_slice(&orig.to_le_bytes());
        v.extend_from_slice(data);
    }
    v
}

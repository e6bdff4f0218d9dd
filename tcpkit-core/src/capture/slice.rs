//! Zero-copy reader over a byte slice.

use super::decoder::{Decoder, Fault, Start, Step};
use super::{Format, Interface, Packet, PacketSource};
use crate::error::{CaptureError, CaptureErrorKind};

/// Reads a pcap or pcapng capture held in a byte slice; packets borrow from it.
///
/// ```
/// use tcpkit_core::capture::SliceReader;
/// // A pcap header (µs, little-endian, v2.4, snaplen 65535, Ethernet) and one
/// // record of 2 bytes at t = 1.000002 s.
/// let file = [
///     0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
///     1, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0, 60, 0, 0, 0, 0xab, 0xcd,
/// ];
/// let mut reader = SliceReader::new(&file).unwrap();
/// let p = reader.next().unwrap().unwrap();
/// assert_eq!((p.frame, p.ts_ns, p.orig_len, p.data), (1, 1_000_002_000, 60, &[0xab, 0xcd][..]));
/// assert!(reader.next().is_none());
/// ```
#[derive(Debug, Clone)]
pub struct SliceReader<'a> {
    buf: &'a [u8],
    pos: usize,
    frame: u64,
    dec: Decoder,
    done: bool,
}

impl<'a> SliceReader<'a> {
    /// Detects pcap (any of its magics, either byte order) or pcapng, checks
    /// the file header (pcapng: the first section header block) and positions
    /// the reader at the first record.
    pub fn new(buf: &'a [u8]) -> Result<Self, CaptureError> {
        let err = |kind| CaptureError {
            offset: 0,
            frame: None,
            kind,
        };
        match Decoder::start(buf).map_err(err)? {
            Start::Ready(dec, pos) => Ok(Self {
                buf,
                pos,
                frame: 0,
                dec,
                done: false,
            }),
            Start::Need(needed) => Err(err(CaptureErrorKind::HeaderTruncated {
                needed: needed as u64,
                available: buf.len() as u64,
            })),
        }
    }

    /// Container, version and byte order (pcapng: of the current section).
    pub fn format(&self) -> Format {
        self.dec.format()
    }

    /// Interfaces of the current section (pcap: the one of the file header).
    pub fn interfaces(&self) -> &[Interface] {
        self.dec.interfaces()
    }

    /// Snapshot length of interface 0 as written (pcap: the file header's).
    pub fn snaplen(&self) -> Option<u32> {
        self.interfaces().first().map(|i| i.snaplen)
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// Packets yielded so far.
    pub fn frames(&self) -> u64 {
        self.frame
    }

    fn fail(&mut self, fault: Fault) -> CaptureError {
        self.done = true;
        CaptureError {
            offset: self.pos as u64,
            frame: fault.packet.then_some(self.frame + 1),
            kind: fault.kind,
        }
    }
}

impl<'a> Iterator for SliceReader<'a> {
    type Item = Result<Packet<'a>, CaptureError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.done {
                return None;
            }
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            if rest.is_empty() {
                self.done = true;
                return None;
            }
            match self.dec.step(rest) {
                Ok(Step::Packet(p)) => {
                    let data = rest
                        .get(p.data_start..p.data_start + p.data_len)
                        .unwrap_or_default();
                    self.pos += p.consumed;
                    self.frame += 1;
                    return Some(Ok(Packet {
                        frame: self.frame,
                        ts_ns: p.ts_ns,
                        link_type: p.link_type,
                        orig_len: p.orig_len,
                        data,
                        interface: p.interface,
                    }));
                }
                Ok(Step::Skip(n)) => self.pos += n,
                Ok(Step::Need { total, packet }) => {
                    let kind = CaptureErrorKind::RecordTruncated {
                        needed: total as u64,
                        available: rest.len() as u64,
                    };
                    return Some(Err(self.fail(Fault { kind, packet })));
                }
                Err(fault) => return Some(Err(self.fail(fault))),
            }
        }
    }
}

impl PacketSource for SliceReader<'_> {
    #[inline]
    fn next_packet(&mut self) -> Option<Result<Packet<'_>, CaptureError>> {
        self.next()
    }
}

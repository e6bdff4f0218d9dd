//! Zero-copy reader over a byte slice.

use super::decoder::{Decoder, Fault, RawPacket, Start, Step};
use super::stream::packet_at;
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
}

/// Finds the next packet record of `buf` from `*pos` on (the reader state
/// shared by [`SliceReader`] and [`BytesReader`]): its record start and
/// description, an error (then `*done`), or `None` at the end.
#[inline(always)]
fn step(
    buf: &[u8],
    pos: &mut usize,
    frame: &mut u64,
    dec: &mut Decoder,
    done: &mut bool,
) -> Option<Result<(usize, RawPacket), CaptureError>> {
    loop {
        if *done {
            return None;
        }
        let rest = buf.get(*pos..).unwrap_or_default();
        if rest.is_empty() {
            *done = true;
            return None;
        }
        match dec.step(rest) {
            Ok(Step::Packet(p)) => {
                let rec = *pos;
                *pos += p.consumed;
                *frame += 1;
                return Some(Ok((rec, p)));
            }
            Ok(Step::Skip(n)) => *pos += n,
            Ok(Step::Need { total, packet }) => {
                let kind = CaptureErrorKind::RecordTruncated {
                    needed: total as u64,
                    available: rest.len() as u64,
                };
                return Some(Err(fail(*pos, *frame, done, Fault { kind, packet })));
            }
            Err(fault) => return Some(Err(fail(*pos, *frame, done, fault))),
        }
    }
}

fn fail(pos: usize, frame: u64, done: &mut bool, fault: Fault) -> CaptureError {
    *done = true;
    CaptureError {
        offset: pos as u64,
        frame: fault.packet.then_some(frame + 1),
        kind: fault.kind,
    }
}

impl<'a> Iterator for SliceReader<'a> {
    type Item = Result<Packet<'a>, CaptureError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let buf = self.buf;
        let r = step(
            buf,
            &mut self.pos,
            &mut self.frame,
            &mut self.dec,
            &mut self.done,
        )?;
        Some(r.map(|(rec, raw)| packet_at(buf.get(rec..).unwrap_or_default(), &raw, self.frame)))
    }
}

/// Reads a pcap or pcapng capture from bytes it owns (a `Vec<u8>`, an
/// `Arc<[u8]>`, a memory map): what [`SliceReader`] does, without a lifetime,
/// so that it can be kept in a struct or moved to another thread. Packets
/// borrow from it until the next call.
#[derive(Debug, Clone)]
pub struct BytesReader<B> {
    bytes: B,
    pos: usize,
    frame: u64,
    dec: Decoder,
    done: bool,
    last: Option<(usize, RawPacket)>,
}

impl<B: AsRef<[u8]>> BytesReader<B> {
    /// Checks the file header, as [`SliceReader::new`].
    pub fn new(bytes: B) -> Result<Self, CaptureError> {
        let r = SliceReader::new(bytes.as_ref())?;
        let (pos, dec) = (r.pos, r.dec);
        Ok(Self {
            bytes,
            pos,
            frame: 0,
            dec,
            done: false,
            last: None,
        })
    }

    /// Interfaces of the current section (pcap: the one of the file header).
    pub fn interfaces(&self) -> &[Interface] {
        self.dec.interfaces()
    }

    /// Byte offset of the next record.
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// The packet the last call to [`next_packet`](PacketSource::next_packet)
    /// yielded, again (`None` after an error or the end).
    pub fn current(&self) -> Option<Packet<'_>> {
        let (rec, raw) = self.last?;
        let buf = self.bytes.as_ref().get(rec..).unwrap_or_default();
        Some(packet_at(buf, &raw, self.frame))
    }
}

impl<B: AsRef<[u8]>> PacketSource for BytesReader<B> {
    // Inlined into each thread worker's loop, as the stream reader is into
    // the driver's: the packet is then not read back from the stack (without
    // it the workers measured no faster than the design before them).
    #[inline(always)]
    fn next_packet(&mut self) -> Option<Result<Packet<'_>, CaptureError>> {
        self.last = None;
        let buf = self.bytes.as_ref();
        let r = step(
            buf,
            &mut self.pos,
            &mut self.frame,
            &mut self.dec,
            &mut self.done,
        )?;
        Some(r.map(|(rec, raw)| {
            self.last = Some((rec, raw));
            packet_at(buf.get(rec..).unwrap_or_default(), &raw, self.frame)
        }))
    }
}

impl PacketSource for SliceReader<'_> {
    #[inline]
    fn next_packet(&mut self) -> Option<Result<Packet<'_>, CaptureError>> {
        self.next()
    }
}

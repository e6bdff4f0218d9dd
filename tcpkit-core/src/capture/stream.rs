//! Streaming reader over any `io::Read`, with a bounded buffer.

use std::io::{ErrorKind, Read};

use super::decoder::{Decoder, Fault, RawPacket, Start, Step};
use super::{Format, Interface, Packet, PacketSource};
use crate::error::{CaptureError, CaptureErrorKind};

/// Initial buffer size; reads are made in chunks of up to this size.
const INITIAL_BUFFER: usize = 256 * 1024;

/// Reads a pcap or pcapng capture from any [`Read`] (file, pipe, socket,
/// decompressor) through one buffer.
///
/// Memory: the buffer starts at 256 KiB and grows only when one record is
/// bigger, up to the largest record the format accepts (pcap: 24 + the link
/// type's maximum captured length, 262144 for ordinary link types; pcapng:
/// 16 MiB, more only for link types whose packets libpcap allows to be bigger,
/// at most 128 MiB + 128 KiB for D-Bus). It never depends on the file's size.
///
/// I/O errors: reported as [`CaptureErrorKind::Io`] with the byte offset of the
/// record being read (and its frame number when it is a packet record), like
/// any other fault; `Interrupted` reads are retried. After an error the reader
/// yields `None`.
///
/// Packets borrow from the reader's buffer until the next call to
/// [`next_packet`](PacketSource::next_packet).
#[derive(Debug)]
pub struct StreamReader<R> {
    inner: R,
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    start: usize,
    /// End of valid bytes in `buf`.
    end: usize,
    /// File offset of `buf[0]`.
    base: u64,
    eof: bool,
    frame: u64,
    dec: Decoder,
    done: bool,
    /// The packet yielded last (record start in `buf`, its description, its
    /// frame number), for [`StreamReader::current`].
    last: Option<(usize, RawPacket, u64)>,
}

/// Reads into `buf[*end..]` once (retrying `Interrupted`); returns bytes read.
fn fill<R: Read>(inner: &mut R, buf: &mut [u8], end: &mut usize) -> std::io::Result<usize> {
    loop {
        match inner.read(buf.get_mut(*end..).unwrap_or_default()) {
            Ok(n) => {
                *end += n;
                return Ok(n);
            }
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        }
    }
}

fn io_kind(e: &std::io::Error) -> CaptureErrorKind {
    CaptureErrorKind::Io {
        kind: e.kind(),
        message: e.to_string(),
    }
}

impl<R: Read> StreamReader<R> {
    /// Reads and checks the file header (pcapng: the first section header
    /// block).
    pub fn new(mut inner: R) -> Result<Self, CaptureError> {
        let err = |kind| CaptureError {
            offset: 0,
            frame: None,
            kind,
        };
        let mut buf = vec![0u8; INITIAL_BUFFER];
        let mut end = 0;
        let mut eof = false;
        loop {
            match Decoder::start(buf.get(..end).unwrap_or_default()).map_err(err)? {
                Start::Ready(dec, pos) => {
                    return Ok(Self {
                        inner,
                        buf,
                        start: pos,
                        end,
                        base: 0,
                        eof,
                        frame: 0,
                        dec,
                        done: false,
                        last: None,
                    });
                }
                Start::Need(needed) => {
                    if eof {
                        return Err(err(CaptureErrorKind::HeaderTruncated {
                            needed: needed as u64,
                            available: end as u64,
                        }));
                    }
                    if end == buf.len() {
                        // Bounded: a section header block is at most 1 MiB.
                        buf.resize(buf.len().saturating_mul(2).min(needed), 0);
                    }
                    if fill(&mut inner, &mut buf, &mut end).map_err(|e| err(io_kind(&e)))? == 0 {
                        eof = true;
                    }
                }
            }
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
        self.base + self.start as u64
    }

    /// Packets yielded so far.
    pub fn frames(&self) -> u64 {
        self.frame
    }

    /// Current buffer capacity in bytes (for tests of the memory bound).
    pub fn buffer_len(&self) -> usize {
        self.buf.len()
    }

    /// The largest the buffer may grow to, given the interfaces seen so far
    /// (pcap: 24 + the link type's largest record; pcapng: 16 MiB unless an
    /// interface's link type allows bigger packets).
    pub fn max_buffer_len(&self) -> usize {
        self.dec.max_record().max(INITIAL_BUFFER)
    }

    /// The packet the last call to [`next_packet`](PacketSource::next_packet)
    /// yielded, again (`None` after an error or the end).
    pub fn current(&self) -> Option<Packet<'_>> {
        let (rec, raw, frame) = self.last?;
        Some(packet_at(
            self.buf.get(rec..).unwrap_or_default(),
            &raw,
            frame,
        ))
    }

    /// Gives back the inner reader.
    pub fn into_inner(self) -> R {
        self.inner
    }

    fn fail(&mut self, fault: Fault) -> CaptureError {
        self.done = true;
        CaptureError {
            offset: self.offset(),
            frame: fault.packet.then_some(self.frame + 1),
            kind: fault.kind,
        }
    }

    /// Makes room to read more of a record of `total` bytes that starts at
    /// `start`, when the buffer is full: first by moving the unconsumed bytes
    /// to the front, then by doubling the buffer, never beyond `total`. The
    /// buffer thus grows with bytes actually present, not with a length a
    /// (possibly damaged) header claims.
    fn make_room(&mut self, total: usize) {
        if self.end < self.buf.len() {
            return;
        }
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            // Here end - start < total, so the new size exceeds end. `total` is
            // bounded: the decoder refuses records above its limits before
            // asking for them.
            let grown = self.buf.len().saturating_mul(2).min(total);
            self.buf.resize(grown, 0);
        }
    }
}

impl<R: Read> PacketSource for StreamReader<R> {
    // Inlined into the driver's loop, as `wire::decode_tcp` is: the packet
    // is then not read back from the stack.
    #[inline(always)]
    fn next_packet(&mut self) -> Option<Result<Packet<'_>, CaptureError>> {
        self.last = None;
        let raw = loop {
            if self.done {
                return None;
            }
            let avail = self.buf.get(self.start..self.end).unwrap_or_default();
            if avail.is_empty() && self.eof {
                self.done = true;
                return None;
            }
            match self.dec.step(avail) {
                Ok(Step::Packet(p)) => break p,
                Ok(Step::Skip(n)) => self.start += n,
                Ok(Step::Need { total, packet }) => {
                    if self.eof {
                        let kind = CaptureErrorKind::RecordTruncated {
                            needed: total as u64,
                            available: avail.len() as u64,
                        };
                        return Some(Err(self.fail(Fault { kind, packet })));
                    }
                    self.make_room(total);
                    match fill(&mut self.inner, &mut self.buf, &mut self.end) {
                        Ok(0) => {
                            self.eof = true;
                            if self.start == self.end {
                                // Clean end at a record boundary.
                                self.done = true;
                                return None;
                            }
                        }
                        Ok(_) => {}
                        Err(e) => {
                            let kind = io_kind(&e);
                            return Some(Err(self.fail(Fault { kind, packet })));
                        }
                    }
                }
                Err(fault) => return Some(Err(self.fail(fault))),
            }
        };
        let rec = self.start;
        self.start += raw.consumed;
        self.frame += 1;
        self.last = Some((rec, raw, self.frame));
        let buf = self.buf.get(rec..).unwrap_or_default();
        Some(Ok(packet_at(buf, &raw, self.frame)))
    }
}

/// The packet `raw` describes, in `rec` (its record and what follows).
pub(crate) fn packet_at<'a>(rec: &'a [u8], raw: &RawPacket, frame: u64) -> Packet<'a> {
    let data = rec
        .get(raw.data_start..raw.data_start + raw.data_len)
        .unwrap_or_default();
    Packet {
        frame,
        ts_ns: raw.ts_ns,
        link_type: raw.link_type,
        orig_len: raw.orig_len,
        data,
        interface: raw.interface,
    }
}

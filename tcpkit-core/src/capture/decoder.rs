//! The format state machine shared by the slice and stream readers.
//!
//! The decoder never owns bytes: it is handed the input from the current
//! record on (as much as is available) and answers with a [`Step`] expressed
//! in offsets, so that the slice reader can borrow from its slice and the
//! stream reader from its buffer.

use super::pcap::PcapDecoder;
use super::pcapng::PcapngDecoder;
use super::{Format, Interface, LinkType};
use crate::error::CaptureErrorKind;

/// A packet found at the start of the input, described by offsets into it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RawPacket {
    /// Bytes of the whole record.
    pub consumed: usize,
    /// Where the packet bytes start in the record.
    pub data_start: usize,
    /// How many packet bytes to hand out.
    pub data_len: usize,
    pub ts_ns: i64,
    pub link_type: LinkType,
    pub orig_len: u32,
    pub interface: u32,
}

/// What the decoder made of the input at the current position.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Step {
    /// A packet record.
    Packet(RawPacket),
    /// A record that holds no packet (pcapng SHB, IDB, unknown...), already
    /// taken into account; skip this many bytes.
    Skip(usize),
    /// At least `total` bytes from the current position are needed to decide.
    /// `packet` tells whether the record is (or may be) a packet record, for the
    /// frame number of a truncation error.
    Need { total: usize, packet: bool },
}

/// A refusal: what is wrong and whether it concerns a packet record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Fault {
    pub kind: CaptureErrorKind,
    pub packet: bool,
}

impl Fault {
    pub fn packet(kind: CaptureErrorKind) -> Self {
        Self { kind, packet: true }
    }
    pub fn other(kind: CaptureErrorKind) -> Self {
        Self {
            kind,
            packet: false,
        }
    }
}

/// pcap or pcapng decoder.
#[derive(Debug, Clone)]
pub(crate) enum Decoder {
    Pcap(PcapDecoder),
    Pcapng(PcapngDecoder),
}

/// pcapng's section header block type, also the file's magic.
pub(crate) const PCAPNG_MAGIC: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

/// The outcome of reading the start of a file.
#[derive(Debug)]
pub(crate) enum Start {
    /// A decoder positioned after `consumed` bytes of file header.
    Ready(Decoder, usize),
    /// This many bytes are needed to read the header.
    Need(usize),
}

impl Decoder {
    /// Detects the format from the first bytes and reads the file header (for
    /// pcapng, the first section header block).
    pub fn start(buf: &[u8]) -> Result<Start, CaptureErrorKind> {
        let Some(magic) = buf.first_chunk::<4>() else {
            return Ok(Start::Need(4));
        };
        if *magic == PCAPNG_MAGIC {
            let mut dec = PcapngDecoder::new();
            match dec.step(buf).map_err(|f| f.kind)? {
                Step::Skip(n) => Ok(Start::Ready(Decoder::Pcapng(dec), n)),
                Step::Need { total, .. } => Ok(Start::Need(total)),
                // The first block is a section header block by construction.
                Step::Packet(_) => Err(CaptureErrorKind::Other(
                    "first block is not a section header block".into(),
                )),
            }
        } else {
            match PcapDecoder::from_header(buf)? {
                Some(dec) => Ok(Start::Ready(Decoder::Pcap(dec), PcapDecoder::HEADER_LEN)),
                None => Ok(Start::Need(PcapDecoder::HEADER_LEN)),
            }
        }
    }

    /// Decodes the record at the start of `buf`.
    #[inline]
    pub fn step(&mut self, buf: &[u8]) -> Result<Step, Fault> {
        match self {
            Decoder::Pcap(d) => d.step(buf),
            Decoder::Pcapng(d) => d.step(buf),
        }
    }

    /// Container, version and byte order.
    pub fn format(&self) -> Format {
        match self {
            Decoder::Pcap(d) => d.format(),
            Decoder::Pcapng(d) => d.format(),
        }
    }

    /// Interfaces of the current section (pcap: the one the header describes).
    pub fn interfaces(&self) -> &[Interface] {
        match self {
            Decoder::Pcap(d) => std::slice::from_ref(d.interface()),
            Decoder::Pcapng(d) => d.interfaces(),
        }
    }

    /// The largest record this decoder may ask for, given what it has seen.
    pub fn max_record(&self) -> usize {
        match self {
            Decoder::Pcap(d) => d.max_record(),
            Decoder::Pcapng(d) => d.max_record(),
        }
    }
}

//! Errors. Each one says where (byte offset, frame number) and why.

use std::io;

/// Any error tcpkit-core returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The capture file cannot be read further.
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Reading the input failed.
    #[error("I/O error: {0}")]
    Io(#[from] io::Error),
}

/// Why a capture file cannot be read (further).
///
/// `offset` is the byte offset in the file of the record or header at fault;
/// `frame` is the 1-based number of the record it would have been, when the
/// fault is in a packet record. Everything before `offset` has been yielded.
#[derive(Debug, thiserror::Error)]
#[error("{}byte offset {offset}: {kind}", frame.map(|f| format!("frame {f}, ")).unwrap_or_default())]
pub struct CaptureError {
    /// Byte offset in the input of the structure at fault.
    pub offset: u64,
    /// 1-based frame number the faulty record would have had, when known.
    pub frame: Option<u64>,
    /// What is wrong.
    pub kind: CaptureErrorKind,
}

/// What is wrong with a capture file.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum CaptureErrorKind {
    /// The file starts with no known magic number.
    #[error("not a pcap or pcapng file (magic {0:#010x})")]
    UnknownMagic(u32),
    /// The file is shorter than its file header.
    #[error("file header cut short: {needed} bytes needed, {available} present")]
    HeaderTruncated { needed: u64, available: u64 },
    /// pcap version other than 2.4 (libpcap also accepts 2.2 and 2.3).
    #[error("unsupported pcap savefile version {major}.{minor}")]
    UnsupportedPcapVersion { major: u16, minor: u16 },
    /// pcapng section version other than 1.0.
    #[error("unsupported pcapng savefile version {major}.{minor}")]
    UnsupportedPcapngVersion { major: u16, minor: u16 },
    /// The reserved bits of the pcap link-type field are not zero.
    #[error("savefile linktype reserved field not zero ({0:#010x})")]
    LinkTypeReservedBits(u32),
    /// A record is cut by the end of the input.
    #[error("record cut short: {needed} bytes needed, {available} present")]
    RecordTruncated { needed: u64, available: u64 },
    /// A record claims more captured bytes than allowed.
    #[error("captured length {caplen} larger than the limit {limit}")]
    CaplenTooLarge { caplen: u64, limit: u64 },
    /// pcapng block total length in header and trailer disagree.
    #[error("block total length in header {header} and trailer {trailer} don't match")]
    BlockLengthMismatch { header: u32, trailer: u32 },
    /// pcapng block total length not a multiple of 4 or too small.
    #[error("invalid block total length {0}")]
    BadBlockLength(u32),
    /// A pcapng option runs past the end of its block.
    #[error("option {code} of length {len} runs past the end of its block")]
    OptionOverrun { code: u16, len: u16 },
    /// A packet block names an interface no IDB described.
    #[error("packet refers to interface {0}, which has no interface description block")]
    UnknownInterface(u32),
    /// A packet block appears before any section header block.
    #[error("block of type {0:#010x} before any section header block")]
    NoSection(u32),
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}

/// Why a packet could not be decoded down to a TCP segment.
///
/// Decoding errors are per packet: the capture goes on after them.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone, Copy)]
#[non_exhaustive]
pub enum DecodeError {
    /// The link-layer header is cut short.
    #[error("{layer} header cut short at byte {offset}")]
    Truncated { layer: &'static str, offset: usize },
    /// A header field has an impossible value.
    #[error("{layer}: {reason}")]
    Malformed {
        layer: &'static str,
        reason: &'static str,
    },
    /// The link type is not one tcpkit decodes.
    #[error("unsupported link type {0}")]
    UnsupportedLinkType(u32),
}

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
    /// An input, named as the user gave it (a path, `stdin`), could not be
    /// opened or read further: `name: reason` (the reason names the frame
    /// and byte offset when the capture is damaged).
    #[error("{name}: {source}")]
    Input {
        /// The input's name.
        name: String,
        /// What went wrong.
        source: Box<Error>,
    },
}

impl Error {
    /// The capture error behind this error, if it is one (with its byte
    /// offset, frame and reason).
    pub fn capture(&self) -> Option<&CaptureError> {
        match self {
            Error::Capture(e) => Some(e),
            Error::Input { source, .. } => source.capture(),
            Error::Io(_) => None,
        }
    }

    /// This error with the input's name in front.
    pub fn named(self, name: &str) -> Self {
        Error::Input {
            name: name.to_string(),
            source: Box::new(self),
        }
    }
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
///
/// Where libpcap refuses the same thing, the message carries libpcap's reason
/// (the wording of `sf-pcap.c` / `sf-pcapng.c`), so that a user comparing with
/// `tcpdump -r` sees the same cause.
#[derive(Debug, thiserror::Error, PartialEq, Eq, Clone)]
#[non_exhaustive]
pub enum CaptureErrorKind {
    /// The file starts with no known magic number.
    #[error("not a pcap or pcapng file (magic {0:#010x})")]
    UnknownMagic(u32),
    /// The file is shorter than its file header.
    #[error("file header cut short: {needed} bytes needed, {available} present")]
    HeaderTruncated { needed: u64, available: u64 },
    /// pcap version other than 2.0-2.4 or 543.0 (the versions libpcap reads).
    #[error("unsupported pcap savefile version {major}.{minor}")]
    UnsupportedPcapVersion { major: u16, minor: u16 },
    /// pcapng section version other than 1.0 or 1.2 (the versions libpcap reads).
    #[error("unsupported pcapng savefile version {major}.{minor}")]
    UnsupportedPcapngVersion { major: u16, minor: u16 },
    /// The reserved bits (`0x03FF0000`) of the pcap link-type field are not zero.
    /// The value is the reserved bits alone, as libpcap prints them.
    #[error("savefile linktype reserved field not zero ({0:#010x})")]
    LinkTypeReservedBits(u32),
    /// A record is cut by the end of the input.
    #[error("record cut short: {needed} bytes needed, {available} present")]
    RecordTruncated { needed: u64, available: u64 },
    /// A record claims more captured bytes than libpcap accepts for its link
    /// type (`max_snaplen_for_dlt`: 262144 for most link types).
    #[error("invalid packet capture length {caplen}, bigger than maximum of {limit}")]
    CaplenTooLarge { caplen: u64, limit: u64 },
    /// A pcapng packet block claims more captured bytes than its interface's
    /// snapshot length (libpcap refuses this in pcapng files).
    #[error("invalid packet capture length {caplen}, bigger than snaplen of {snaplen}")]
    CaplenAboveSnaplen { caplen: u32, snaplen: u32 },
    /// pcapng block total length in header and trailer disagree.
    #[error("block total length in header {header} and trailer {trailer} don't match")]
    BlockLengthMismatch { header: u32, trailer: u32 },
    /// pcapng block total length not a multiple of 4 or shorter than 12.
    #[error("invalid block total length {0}")]
    BadBlockLength(u32),
    /// pcapng block larger than this reader buffers (libpcap's limits: 1 MiB
    /// for a section header block, 16 MiB or the link type's largest packet
    /// plus 128 KiB of options for any other block).
    #[error("pcapng block size {len} > maximum {limit}")]
    BlockTooLarge { len: u32, limit: u32 },
    /// A pcapng block's body is shorter than its fixed fields (or than the
    /// captured length it announces).
    #[error("block of type {block_type} in pcapng dump file is too short")]
    BlockTooShort { block_type: u32 },
    /// A pcapng option runs past the end of its block.
    #[error("option {code} of length {len} runs past the end of its block")]
    OptionOverrun { code: u16, len: u16 },
    /// A pcapng option the reader interprets has a length other than the
    /// specified one (`if_tsresol` 1, `if_tsoffset` 8, `if_fcslen` 1,
    /// `opt_endofopt` 0).
    #[error("Interface Description Block has option {code} with length {len} != {expected}")]
    BadOptionLength { code: u16, len: u16, expected: u16 },
    /// An interface description block repeats `if_tsresol` or `if_tsoffset`.
    #[error("Interface Description Block has more than one option {0}")]
    DuplicateOption(u16),
    /// `if_tsresol` finer than a 64-bit counter can hold (10^-n, n > 19, or
    /// 2^-n, n > 63).
    #[error("Interface Description Block if_tsresol option value {0:#04x} is too high")]
    TsresolTooHigh(u8),
    /// A section header block whose byte-order magic is neither 0x1A2B3C4D
    /// nor its byte swap.
    #[error("section header block with bad byte order magic {0:#010x}")]
    BadByteOrderMagic(u32),
    /// A section describes more interfaces than this reader keeps.
    #[error("more than {0} interfaces in one section")]
    TooManyInterfaces(u32),
    /// A packet block names an interface no IDB described.
    #[error(
        "a packet arrived on interface {0}, but there's no Interface Description Block for that interface"
    )]
    UnknownInterface(u32),
    /// A packet block appears before any section header block.
    #[error("block of type {0:#010x} before any section header block")]
    NoSection(u32),
    /// Reading the input failed (stream reader). The offset is where the
    /// record being read starts.
    #[error("error reading capture: {message} ({kind:?})")]
    Io {
        kind: std::io::ErrorKind,
        message: String,
    },
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

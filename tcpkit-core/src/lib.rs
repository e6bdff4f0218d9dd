//! # tcpkit-core
//!
//! Reads packet captures (pcap, pcapng) and explains every TCP connection in them.
//!
//! Data flows one way, in one pass:
//!
//! ```text
//! bytes -> capture::{SliceReader, StreamReader} -> Packet<'a>
//!       -> wire::decode -> Segment<'a>
//!       -> analysis::Analyzer::observe -> SegmentFacts          (per segment, tshark's analysis)
//!          analysis::Analyzer::pop_finished -> ConnectionRecord  (per finished connection,
//!                                              with its analysis::story::ConnectionStory)
//!          analysis::Analyzer::finish -> the rest + report::Report (capture-wide findings)
//! reassembly::StreamReassembler / Follower: one direction's bytes, gaps reported
//! ```
//!
//! Decoding borrows from the input (zero-copy); nothing allocates per packet in
//! [`capture`] and [`wire`]. Memory is bounded by the connections alive at once.
//! The core never prints: it returns plain structs that the command, the Python
//! package and the C ABI render.

pub mod analysis;
pub mod capture;
// The C ABI: the one module besides the mmap reader allowed `unsafe` (each
// block says why it is sound in a `// SAFETY:` comment).
#[cfg(feature = "capi")]
#[allow(unsafe_code)]
pub mod capi;
pub mod error;
pub mod flow;
pub mod reassembly;
pub mod report;
pub mod wire;

pub use error::{CaptureError, DecodeError, Error};

//! # tcpkit-core
//!
//! Reads packet captures (pcap, pcapng) and explains every TCP connection in them.
//!
//! Data flows one way, in one pass:
//!
//! ```text
//! bytes -> capture::{SliceReader, StreamReader} -> Packet<'a>
//!       -> wire::decode -> Segment<'a>
//!       -> analysis::Analyzer::observe -> SegmentFacts    (per segment, tshark's analysis)
//!          analysis::Analyzer::pop_finished -> Connection (per finished connection: counters,
//!                                              and its analysis::story::Story when built)
//!          analysis::Analyzer::finish -> the rest + report::Report (capture-wide findings)
//! reassembly::StreamReassembler / Follower: one direction's bytes, gaps reported
//! text: words for people (tcpdump lines, Connection::explain, Report::explain)
//! ```
//!
//! Decoding borrows from the input (zero-copy); nothing allocates per packet in
//! [`capture`] and [`wire`]. Memory is bounded by the connections alive at once.
//! Results are codes and numbers (times in integer nanoseconds); only [`text`]
//! builds English, on request, for the command, the Python package and the C ABI.

pub mod analysis;
pub mod capture;
pub mod error;
pub mod flow;
pub mod reassembly;
pub mod report;
pub mod text;
pub mod wire;

pub use error::{CaptureError, DecodeError, Error};

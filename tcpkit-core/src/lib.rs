//! # tcpkit-core
//!
//! Reads packet captures (pcap, pcapng) and explains every TCP connection in them.
//!
//! Data flows one way, in one pass:
//!
//! ```text
//! bytes -> capture::Reader -> Packet<'a> -> wire::decode -> Segment<'a>
//!       -> analysis::Analyzer::observe -> SegmentFacts (per segment)
//!                                      -> ConnectionSummary (per finished connection)
//! ```
//!
//! Decoding borrows from the input (zero-copy); nothing allocates per packet in
//! [`capture`] and [`wire`]. Memory is bounded by the connections alive at once.
//! The core never prints: it returns plain structs that the command, the Python
//! package and the C ABI render.

pub mod analysis;
pub mod capture;
pub mod error;
pub mod flow;
pub mod reassembly;
pub mod report;
pub mod wire;

pub use error::{CaptureError, DecodeError, Error};

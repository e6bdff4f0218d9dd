//! # tcpkit-core
//!
//! Reads packet captures (pcap, pcapng) and explains every TCP connection in them.
//!
//! From a path to each connection's story, with [`Analysis`], the one driver:
//!
//! ```
//! use tcpkit_core::{Analysis, Event, analysis::AnalyzerConfig};
//! # let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/demo.pcap");
//! let mut analysis = Analysis::open(path, AnalyzerConfig::default())?; // "-": stdin
//! while let Some(event) = analysis.next_event() {
//!     match event? {
//!         Event::Segment(row) => { let _facts = row.facts; } // each segment, as read
//!         Event::Connection(c) => {                           // each connection, as it finishes:
//!             println!("{:?}", c.handshake.outcome);          // codes and numbers (ns) ...
//!             print!("{}", c.explain(analysis.first_ts_ns().unwrap_or(0))); // ... words on request
//!         }
//!         Event::Report(r) => println!("{} connections", r.connections), // last
//!     }
//! }
//! # Ok::<(), tcpkit_core::Error>(())
//! ```
//!
//! The same as Arrow `RecordBatch`es (feature `arrow`; see `arrow`'s module doc):
//!
//! ```ignore
//! let no_stories = AnalyzerConfig { story: false, ..AnalyzerConfig::default() };
//! for batch in tcpkit_core::arrow::segments_reader(Analysis::open(path, no_stories)?, 8192) {
//!     let batch = batch?; // frame, ts_ns, src, ..., options, conn, seq, ack, ...
//! }
//! let flows = tcpkit_core::arrow::connections_reader(Analysis::open(path, AnalyzerConfig::default())?, 0);
//! ```
//!
//! The columns of a segment and of a connection are declared once, in
//! [`schema`]; `tcpkit segments --json` / `flows --json` ([`schema::json`]) and
//! the Arrow batches are both written from them.
//!
//! Data flows one way, in one pass:
//!
//! ```text
//! source: path | "-" | io::Read | bytes | mmap | push(ts, link type, bytes)
//!   -> capture::{StreamReader, BytesReader, SliceReader} -> Packet<'a>
//!   -> wire::decode -> Segment<'a>      (Segment::analysable: decided once, for everyone)
//!   -> analysis::Analyzer::observe -> SegmentFacts (per segment, tshark's analysis)
//!      and the story of each connection (analysis::story)
//!   -> report::Diagnostics -> report::Report (capture-wide findings)
//!   Analysis (driver) drives it all and yields Event::Segment, Event::Connection, Event::Report
//!   (a Connection: counters always, its analysis::story::Story when built)
//!   -> schema (the columns, declared once) -> schema::json | arrow (feature "arrow")
//! text: words for people (tcpdump lines, Connection::explain, Report::explain)
//! reassembly::Follower: one direction's bytes, gaps reported (numbered by Analysis)
//! ```
//!
//! Layering, one direction only: `capture -> wire -> flow -> analysis ->
//! report -> driver -> {schema, arrow, text}`; no module imports one to its right.
//!
//! Decoding borrows from the input (zero-copy); nothing allocates per packet in
//! [`capture`] and [`wire`]. Memory is bounded by the connections alive at once.
//! Results are codes and numbers (times in integer nanoseconds); only [`text`]
//! builds English, on request, for the command, the Python package and the C ABI.

pub mod analysis;
#[cfg(feature = "arrow")]
pub mod arrow;
pub mod capture;
// The C ABI: the one module besides the mmap reader allowed `unsafe` (each
// block says why it is sound in a `// SAFETY:` comment).
#[cfg(feature = "capi")]
#[allow(unsafe_code)]
pub mod capi;
pub mod driver;
pub mod error;
pub mod flow;
pub mod reassembly;
pub mod report;
pub mod schema;
pub mod text;
pub mod wire;

pub use driver::{Analysis, Event, InputCounts, SegmentRow};
pub use error::{CaptureError, DecodeError, Error};

//! Byte-stream reassembly: each direction of a connection as the application saw it.
//!
//! [`StreamReassembler`] takes one direction's segments in capture order and
//! yields [`StreamEvent`]s in stream order: [`Chunk`]s of bytes (borrowed from
//! the packet when they arrived in order, owned when they had to wait),
//! [`Gap`]s for bytes the capture does not hold, and one final `End`.
//!
//! Policies, in one place:
//!
//! - **Offsets**: `u64`, 0 = first byte after the SYN (or the first sequence
//!   number seen when the capture missed the SYN); exact across the 2^32
//!   sequence wrap and past 4 GiB.
//! - **Overlaps** (retransmissions, repacketisation): the first copy wins, as
//!   in Linux; [`OverlapPolicy::LastWins`] lets later copies replace bytes still
//!   buffered. Copies that differ are counted ([`StreamStats::conflicts`],
//!   [`StreamStats::first_conflict_offset`]); bytes already delivered are
//!   compared only when [`ReassemblyConfig::history_bytes`] keeps them.
//! - **Gaps** are reported, never glued: [`GapReason::Truncated`] (snaplen)
//!   at once, [`GapReason::NotCaptured`] as soon as the receiver acknowledged
//!   past the hole ([`StreamReassembler::ack`]), at RST or at end of capture,
//!   [`GapReason::DroppedOverBudget`] when a memory cap made the reassembler
//!   stop waiting. A FIN does not flush: a retransmission may still fill a
//!   hole before it (it often does, after the FIN).
//! - **Memory**: per direction ([`ReassemblyConfig::max_buffered_bytes`]) and
//!   shared ([`ReassemblyBudget`]); past a cap the oldest hole is given up,
//!   so buffered data drains instead of new data being refused.
//!
//! Lifetimes: [`StreamReassembler::push`] returns an iterator tied to the
//! pushed packet; consume it before the next packet (what a dropped iterator
//! had left is copied into the buffer, never lost). The reassembler itself
//! borrows nothing, so it works the same with a mapped file (every packet
//! borrowable for the whole run) and with a streaming reader that lends each
//! packet only until the next.
//!
//! ```
//! use tcpkit_core::reassembly::{StreamEvent, StreamReassembler};
//! # use tcpkit_core::wire::{IpInfo, Options, Segment, SeqNumber, TcpFlags};
//! # fn seg(seq: u32, flags: u16, payload: &[u8]) -> Segment<'_> {
//! #     let a = std::net::IpAddr::from([10, 0, 0, 1]);
//! #     Segment { ip: IpInfo { src: a, dst: a, version: 4, tos: 0, ttl: 64, id: 0, frag: 0,
//! #         flow_label: 0, total_len: 40 + payload.len() as u32 }, sport: 1, dport: 2,
//! #         seq: SeqNumber(seq), ack: SeqNumber(0), flags: TcpFlags(flags), window: 0,
//! #         checksum: 0, urgent: 0, header_len: 20, header_captured: 20,
//! #         options: Options::new(&[]), payload, payload_len: payload.len() as u32,
//! #         truncated: false }
//! # }
//! let mut r = StreamReassembler::default();
//! let mut text = Vec::new();
//! let packets: [(u16, u32, &[u8]); 4] = [
//!     (TcpFlags::SYN, 1000, b""),
//!     (TcpFlags::ACK, 1006, b"world"),  // arrives first: waits (copied)
//!     (TcpFlags::ACK, 1001, b"hello"),  // fills the hole: borrowed, then the waiting bytes
//!     (TcpFlags::ACK | TcpFlags::FIN, 1011, b""),
//! ];
//! for (frame, (flags, seq, payload)) in packets.into_iter().enumerate() {
//!     for event in r.push(frame as u64 + 1, &seg(seq, flags, payload)) {
//!         match event {
//!             StreamEvent::Data(chunk) => text.extend_from_slice(&chunk.data),
//!             StreamEvent::Gap(gap) => panic!("{gap:?}"),
//!             StreamEvent::End { offset, .. } => assert_eq!(offset, 10),
//!         }
//!     }
//! }
//! assert_eq!(text, b"helloworld");
//! ```
//!
//! [`follow`] is the one-call convenience behind `tcpkit stream`: one
//! direction of one connection of a capture, written to an [`std::io::Write`].

mod budget;
mod connection;
pub mod follow;
mod stream;

pub use budget::ReassemblyBudget;
pub use connection::ConnectionStreams;
pub use follow::{
    ConnSelector, FollowError, FollowSummary, Follower, follow_capture, follow_packets,
    follow_source,
};
pub use stream::{
    Chunk, ChunkData, EndReason, Gap, GapReason, OverlapPolicy, RANGE_OVERHEAD, Ready,
    ReassemblyConfig, StreamEvent, StreamReassembler, StreamStats,
};

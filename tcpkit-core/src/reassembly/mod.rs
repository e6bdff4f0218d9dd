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
//!   at once, [`GapReason::NotCaptured`] at RST or end of capture,
//!   [`GapReason::DroppedOverBudget`] when a memory cap made the reassembler
//!   stop waiting. A FIN does not flush: a retransmission may still fill a
//!   hole before it (it often does, after the FIN).
//! - **Memory**: per direction ([`ReassemblyConfig::max_buffered_bytes`]) and
//!   shared ([`ReassemblyBudget`]); past a cap the oldest hole is given up,
//!   so buffered data drains instead of new data being refused.
//!
//! [`follow`] is the one-call convenience behind `tcpkit stream`: one
//! direction of one connection of a capture, written to an [`std::io::Write`].

mod budget;
pub mod follow;
mod stream;

pub use budget::ReassemblyBudget;
pub use follow::{ConnSelector, FollowError, FollowSummary, Follower, follow_capture};
pub use stream::{
    Chunk, ChunkData, EndReason, Gap, GapReason, OverlapPolicy, RANGE_OVERHEAD, Ready,
    ReassemblyConfig, StreamEvent, StreamReassembler, StreamStats,
};

//! Connection analysis: per-segment facts (tshark-compatible) and, per
//! connection, its story (handshake, states, retransmissions, RTT/RTO, close).
//!
//! [`Analyzer`] is the engine: push segments in capture order, get one
//! [`SegmentFacts`] back for each, and collect finished connections. Programs
//! use [`Analysis`](crate::Analysis), the driver that runs it over a capture
//! (and feeds the capture-wide report, which this module does not know).
//!
//! Layering: the per-segment analysis (connection table, relative sequence
//! numbers, window scaling, tshark's analysis flags, ack RTT) produces
//! [`SegmentFacts`]; the per-connection story consumes `(Segment, SegmentFacts)`
//! pairs and never re-derives what the facts already say.

mod analyzer;
mod connection;
mod half;
mod record;
mod renumber;
pub mod roles;
pub mod story;
mod window;

pub use analyzer::{
    Analyzer, AnalyzerConfig, AnalyzerStats, Finished, LISTENERS_KEPT, LIVE_BYTES, ListenerMap,
    RESUMABLE_BYTES, STORY_BYTES, TOMB_BYTES,
};
pub use record::{Connection, EndReason, FrameRun, Handshake, Outcome, SynOptions, Tally};
pub use renumber::Renumber;
pub use roles::RoleEvidence;

use crate::flow::{ConnId, Direction};

/// tshark's `tcp.analysis.*` flags of one segment, as a bit set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AnalysisFlags(pub u32);

macro_rules! analysis_flags {
    ($($(#[$doc:meta])* $name:ident = $bit:expr, $text:literal;)*) => {
        impl AnalysisFlags {
            $($(#[$doc])* pub const $name: u32 = 1 << $bit;)*

            /// Every flag with its tshark field name (`tcp.analysis.<name>`).
            pub const NAMES: &'static [(u32, &'static str)] = &[$((1 << $bit, $text)),*];
        }
    };
}

analysis_flags! {
    /// tcp.analysis.retransmission
    RETRANSMISSION = 0, "retransmission";
    /// tcp.analysis.fast_retransmission
    FAST_RETRANSMISSION = 1, "fast_retransmission";
    /// tcp.analysis.spurious_retransmission
    SPURIOUS_RETRANSMISSION = 2, "spurious_retransmission";
    /// tcp.analysis.out_of_order
    OUT_OF_ORDER = 3, "out_of_order";
    /// tcp.analysis.lost_segment ("previous segment not captured")
    LOST_SEGMENT = 4, "lost_segment";
    /// tcp.analysis.ack_lost_segment ("ACKed segment that wasn't captured")
    ACK_LOST_SEGMENT = 5, "ack_lost_segment";
    /// tcp.analysis.duplicate_ack
    DUPLICATE_ACK = 6, "duplicate_ack";
    /// tcp.analysis.zero_window
    ZERO_WINDOW = 7, "zero_window";
    /// tcp.analysis.zero_window_probe
    ZERO_WINDOW_PROBE = 8, "zero_window_probe";
    /// tcp.analysis.zero_window_probe_ack
    ZERO_WINDOW_PROBE_ACK = 9, "zero_window_probe_ack";
    /// tcp.analysis.window_full
    WINDOW_FULL = 10, "window_full";
    /// tcp.analysis.window_update
    WINDOW_UPDATE = 11, "window_update";
    /// tcp.analysis.keep_alive
    KEEP_ALIVE = 12, "keep_alive";
    /// tcp.analysis.keep_alive_ack
    KEEP_ALIVE_ACK = 13, "keep_alive_ack";
    /// tcp.analysis.reused_ports (a SYN reusing a closed connection's 4-tuple)
    REUSED_PORTS = 14, "reused_ports";
    /// Not a tshark flag: a zero-length segment one byte before the next
    /// sequence number sent while the peer advertises a zero window. tshark
    /// calls it a keep-alive (and so does this bit set); it is Linux's persist
    /// timer probing the window (`tcp_xmit_probe_skb` sends `snd_una - 1`,
    /// RFC 9293 3.8.6.1 "zero-window probing").
    PERSIST_PROBE = 15, "persist_probe";
}

impl AnalysisFlags {
    /// Is every bit of `mask` set?
    #[inline]
    pub fn has(self, mask: u32) -> bool {
        self.0 & mask == mask
    }

    /// Sets the bits of `mask`.
    #[inline]
    pub fn set(&mut self, mask: u32) {
        self.0 |= mask;
    }

    /// The names of the flags set, in [`AnalysisFlags::NAMES`] order.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .iter()
            .filter(move |(bit, _)| self.0 & bit != 0)
            .map(|(_, n)| *n)
    }
}

/// tshark's window scale factor semantics (`tcp.window_size_scalefactor`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum WindowScale {
    /// The handshake was not seen: the factor is unknown (tshark: -1).
    #[default]
    Unknown,
    /// Not both SYN and SYN-ACK carried the option: no scaling (tshark: -2).
    NotUsed,
    /// The shift count in force (the multiplier is `1 << shift`).
    Shift(u8),
}

impl WindowScale {
    /// tshark's number: -1 unknown, -2 not used, else the multiplier.
    pub fn tshark_value(self) -> i64 {
        match self {
            Self::Unknown => -1,
            Self::NotUsed => -2,
            Self::Shift(s) => 1i64 << s,
        }
    }
}

/// What the per-segment analysis found about one segment. Plain data, no borrows.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SegmentFacts {
    /// The connection (tshark's `tcp.stream`).
    pub conn: ConnId,
    /// Direction within the connection.
    pub dir: Direction,
    /// This segment opened a new connection number.
    pub new_conn: bool,
    /// Relative sequence number (ISN as base when the SYN was seen), exact beyond 4 GiB.
    pub seq: u64,
    /// Relative acknowledgment number; without the ACK flag, the raw field (as tshark shows it).
    pub ack: u64,
    /// The raw number the peer's sequence space counts from (its ISN, or one
    /// before its first sequence number seen); relative SACK edges use it, see
    /// [`SegmentFacts::ack_space_rel`].
    pub ack_base: u32,
    /// The acknowledgment number lies before that base (a connection
    /// captured mid-stream, whose first ACK seen was not the highest): `ack`
    /// is then the 32-bit difference, as tshark shows it.
    pub ack_before_base: bool,
    /// Relative sequence number after this segment (seq + len, + 1 for SYN/FIN).
    pub next_seq: u64,
    /// The window scale in force for this segment (not applied to SYNs); `None`
    /// on SYN segments, where tshark leaves the factor empty.
    pub scale: Option<WindowScale>,
    /// The window in bytes (raw field shifted when the scale is known).
    pub win_scaled: u64,
    /// tshark's analysis flags.
    pub flags: AnalysisFlags,
    /// Duplicate-ACK number (tshark's `tcp.analysis.duplicate_ack_num`), 0 if none.
    pub dup_ack_num: u32,
    /// The frame this duplicate ACK duplicates (`tcp.analysis.duplicate_ack_frame`).
    pub dup_ack_of: Option<u64>,
    /// Time from the segment this ACK covers to this ACK (`tcp.analysis.ack_rtt`), ns.
    pub ack_rtt_ns: Option<u64>,
    /// The frame whose ACK this is (`tcp.analysis.acks_frame`).
    pub acks_frame: Option<u64>,
    /// Karn's rule (RFC 6298, 3): the acknowledged range was transmitted more
    /// than once, so `ack_rtt_ns` (which tshark measures from the first
    /// transmission) is not a valid RTT sample.
    pub ack_rtt_ambiguous: bool,
    /// SYN to first handshake ACK (`tcp.analysis.initial_rtt`), ns.
    pub irtt_ns: Option<u64>,
    /// Bytes sent and not yet acknowledged (`tcp.analysis.bytes_in_flight`).
    pub bytes_in_flight: Option<u64>,
}

impl SegmentFacts {
    /// A raw number of the acknowledgment space (a SACK edge) made relative
    /// like [`SegmentFacts::ack`]: unwrapped around the position of this
    /// segment's raw acknowledgment number `seg_ack`, so exact beyond 4 GiB;
    /// before the base it is the 32-bit difference, as tshark shows it
    /// (`sack_le - base_seq` in a `guint32`). An acknowledgment number before
    /// the base counts from its true (negative) position, so that an edge
    /// past the base reads as tshark reads it, not 2^32 higher.
    pub fn ack_space_rel(
        &self,
        raw: crate::wire::SeqNumber,
        seg_ack: crate::wire::SeqNumber,
    ) -> u64 {
        let ack_pos = if self.ack_before_base {
            self.ack as i64 - (1i64 << 32)
        } else {
            self.ack as i64
        };
        let v = ack_pos + i64::from(raw.diff(seg_ack));
        if self.ack != 0 && v >= 0 {
            v as u64
        } else {
            u64::from(raw.0.wrapping_sub(self.ack_base))
        }
    }
}

//! The state tshark keeps per direction of a connection (its `tcp_flow_t` and
//! `tcp_analyze_seq_flow_info_t`), plus the 64-bit relative sequence tracking.

use super::window::Scale;
use std::collections::VecDeque;

/// One transmitted, not yet acknowledged range (tshark's `tcp_unacked_t`),
/// in 24 bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Unacked {
    /// Frame that sent it (low 63 bits) and, in the top bit, whether the
    /// segment was classified as a retransmission (Karn's rule).
    frame_retx: u64,
    /// When.
    pub ts: i64,
    /// First sequence number not yet acknowledged (raw).
    pub seq: u32,
    /// Sequence number after it (raw; SYN and FIN count one).
    pub nextseq: u32,
}

const RETX_BIT: u64 = 1 << 63;

impl Unacked {
    /// A range sent by `frame` (frame numbers stay far below 2^63).
    #[inline]
    pub fn new(frame: u64, ts: i64, seq: u32, nextseq: u32, retrans: bool) -> Self {
        Self {
            frame_retx: (frame & !RETX_BIT) | if retrans { RETX_BIT } else { 0 },
            ts,
            seq,
            nextseq,
        }
    }

    /// The frame that sent it.
    #[inline]
    pub fn frame(&self) -> u64 {
        self.frame_retx & !RETX_BIT
    }

    /// The segment was classified as a retransmission.
    #[inline]
    pub fn retrans(&self) -> bool {
        self.frame_retx & RETX_BIT != 0
    }
}

/// Per-direction analysis state. Sequence numbers are raw 32-bit values
/// compared modulo 2^32, as tshark does; `hi_rel` follows the 64-bit position.
#[derive(Debug)]
pub(crate) struct Half {
    pub base: u32,
    pub base_set: bool,
    pub win_scale: Scale,
    /// Last raw window field sent (u32::MAX before any, as tshark initialises it).
    pub window: u32,
    pub nextseq: u32,
    pub nextseq_set: bool,
    pub nextseq_time: i64,
    pub maxseqtobeacked: u32,
    pub maxseq_set: bool,
    pub lastack: u32,
    pub lastack_set: bool,
    pub lastack_time: i64,
    pub lastnondupack: u64,
    pub dupacknum: u32,
    pub lastsegmentflags: u32,
    pub valid_bif: bool,
    pub unacked: VecDeque<Unacked>,
    /// The fold of `unacked` in list order into (lowest `seq`, highest
    /// `nextseq`), raw, compared modulo 2^32 as the bytes-in-flight scan does:
    /// kept up to date by [`Half::push_unacked`] and the ACK pass, so bytes in
    /// flight cost O(1) per segment instead of a walk of the whole list.
    /// Meaningless while `unacked` is empty.
    pub span: (u32, u32),
    /// Highest relative sequence position reached, 64-bit (sent data or acknowledged by the peer).
    pub hi_rel: u64,
    /// Bytes covered by the SACK blocks of the last segment this side sent
    /// (tshark subtracts them from the peer's bytes in flight).
    pub sacked: u32,
    /// This side sent a FIN; `fin_next` is the sequence number after it (raw).
    pub fin_sent: bool,
    pub fin_next: u32,
    /// The peer acknowledged this side's FIN.
    pub fin_acked: bool,
}

impl Default for Half {
    fn default() -> Self {
        Self {
            base: 0,
            base_set: false,
            win_scale: Scale::Unknown,
            window: u32::MAX,
            nextseq: 0,
            nextseq_set: false,
            nextseq_time: 0,
            maxseqtobeacked: 0,
            maxseq_set: false,
            lastack: 0,
            lastack_set: false,
            lastack_time: 0,
            lastnondupack: 0,
            dupacknum: 0,
            lastsegmentflags: 0,
            valid_bif: false,
            unacked: VecDeque::new(),
            span: (0, 0),
            hi_rel: 0,
            sacked: 0,
            fin_sent: false,
            fin_next: 0,
            fin_acked: false,
        }
    }
}

/// Capacity of the unacked list a recycled slot keeps.
pub(crate) const KEEP_UNACKED: usize = 64;

impl Half {
    /// Frees the unacked list's buffer if the list is empty (a closed
    /// connection lingering needs none).
    pub fn release_if_empty(&mut self) {
        if self.unacked.is_empty() && self.unacked.capacity() > 0 {
            self.unacked = VecDeque::new();
        }
    }

    /// Back to the initial state, keeping the unacked buffer's allocation
    /// unless it grew large (a bulk transfer's): a recycled slot holds at most
    /// [`KEEP_UNACKED`] entries' worth.
    pub fn reset(&mut self) {
        let mut unacked = std::mem::take(&mut self.unacked);
        unacked.clear();
        if unacked.capacity() > KEEP_UNACKED {
            unacked.shrink_to(KEEP_UNACKED);
        }
        *self = Self {
            unacked,
            ..Self::default()
        };
    }

    /// Appends a transmitted range and folds it into [`Half::span`].
    #[inline]
    pub fn push_unacked(&mut self, u: Unacked) {
        self.span = if self.unacked.is_empty() {
            (u.seq, u.nextseq)
        } else {
            fold_span(self.span, &u)
        };
        self.unacked.push_back(u);
    }

    /// The relative position of raw sequence number `raw` in this direction's
    /// space, unwrapped to 64 bits around the highest position seen so far.
    /// A number before the base (possible when the base is a guess from a
    /// midstream segment) is given as tshark gives it: the 32-bit difference.
    #[inline]
    pub fn rel(&self, raw: u32) -> u64 {
        let r32 = raw.wrapping_sub(self.base);
        let d = i64::from(r32.wrapping_sub(self.hi_rel as u32) as i32);
        let v = self.hi_rel as i64 + d;
        if v < 0 { u64::from(r32) } else { v as u64 }
    }

    /// Raises the 64-bit high-water mark to `raw` if it lies ahead of it.
    #[inline]
    pub fn advance(&mut self, raw: u32) {
        let r = self.rel(raw);
        if r > self.hi_rel && r - self.hi_rel < (1 << 31) {
            self.hi_rel = r;
        }
    }
}

/// One step of the bytes-in-flight fold: the lower start and the higher end,
/// compared modulo 2^32. The comparisons do not depend on the base the
/// numbers are made relative to (`(a - b) - (c - b) = a - c`), so raw numbers
/// give the same answer as relative ones.
#[inline]
pub(crate) fn fold_span((first, last): (u32, u32), u: &Unacked) -> (u32, u32) {
    use crate::wire::SeqNumber;
    let first = if SeqNumber(u.seq).before(SeqNumber(first)) {
        u.seq
    } else {
        first
    };
    let last = if SeqNumber(u.nextseq).after(SeqNumber(last)) {
        u.nextseq
    } else {
        last
    };
    (first, last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_numbers_run_past_4_gib() {
        // ISN near the top of the space: the base wraps within the first 2^32 too.
        let mut h = Half {
            base: 0xffff_ff00,
            base_set: true,
            ..Half::default()
        };
        let mut raw = h.base.wrapping_add(1);
        let mut expect: u64 = 1;
        // Move 5 GiB in 1 MiB steps: every step is an exact +2^20.
        for _ in 0..(5 * 1024) {
            assert_eq!(h.rel(raw), expect);
            raw = raw.wrapping_add(1 << 20);
            expect += 1 << 20;
            h.advance(raw);
        }
        assert_eq!(h.hi_rel, 1 + 5 * (1u64 << 30));
        // A retransmission 1 MiB back is 1 MiB back, not 4 GiB ahead.
        assert_eq!(h.rel(raw.wrapping_sub(1 << 20)), expect - (1 << 20));
    }

    #[test]
    fn before_the_base_reads_as_tshark_does() {
        let h = Half {
            base: 1000,
            base_set: true,
            ..Half::default()
        };
        assert_eq!(h.rel(999), u64::from(u32::MAX));
    }
}

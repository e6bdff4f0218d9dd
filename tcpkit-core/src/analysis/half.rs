//! The state tshark keeps per direction of a connection (its `tcp_flow_t` and
//! `tcp_analyze_seq_flow_info_t`), plus the 64-bit relative sequence tracking.

use super::window::Scale;
use crate::wire::SeqNumber;
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
    /// Every entry of `unacked` starts at or after the end of the one before
    /// it, and the whole list lies within 2^30 bytes: then an ACK only ever
    /// removes or trims entries at the front (see [`Half::acknowledge`]).
    pub ordered: bool,
    /// An acknowledgment number known to change nothing in `unacked`: the
    /// last one the whole walk of an unordered list took, while every range
    /// pushed since lies at or after it (see `Half::acknowledge_listed`).
    settled: Option<u32>,
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
            valid_bif: true,
            unacked: VecDeque::new(),
            span: (0, 0),
            ordered: true,
            settled: None,
            hi_rel: 0,
            sacked: 0,
            fin_sent: false,
            fin_next: 0,
            fin_acked: false,
        }
    }
}

/// What an ACK acknowledged ([`Half::acknowledge`]).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Acked {
    /// The frame whose range ends at the acknowledgment number (tshark's `acks_frame`).
    pub acks_frame: Option<u64>,
    /// Time from that frame to the ACK (tshark's `ack_rtt`), ns.
    pub ack_rtt_ns: Option<u64>,
    /// Karn's rule: the range was sent more than once, or was a retransmission.
    pub ambiguous: bool,
}

/// An ordered list spans less than this (see [`Half::ordered`]).
const ORDERED_SPAN: u32 = 1 << 30;

/// Does range `u` lie within [`ORDERED_SPAN`] bytes from `front` (the
/// list's first start), without wrapping? A range's end alone can come back
/// near `front` after a wrap (a range of 2^31 bytes or more), so its start is
/// tested too.
#[inline]
fn within_ordered_span(front: u32, u: &Unacked) -> bool {
    let (start, end) = (u.seq.wrapping_sub(front), u.nextseq.wrapping_sub(front));
    start <= end && end < ORDERED_SPAN
}

/// Does range `u` lie at or after acknowledgment number `ack`, so that an
/// ACK of `ack` leaves it as it is ([`Half::acknowledge`]: it neither ends at
/// `ack` nor contains it, nor lies below it)?
#[inline]
fn at_or_after(ack: u32, u: &Unacked) -> bool {
    let a = SeqNumber(ack);
    !a.after(SeqNumber(u.seq)) && SeqNumber(u.nextseq).after(a)
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
        if self.settled.is_some_and(|a| !at_or_after(a, &u)) {
            self.settled = None;
        }
        match (self.unacked.front(), self.unacked.back()) {
            (Some(front), Some(back)) => {
                self.span = fold_span(self.span, &u);
                self.ordered = self.ordered
                    && !SeqNumber(u.seq).before(SeqNumber(back.nextseq))
                    && within_ordered_span(front.seq, &u);
            }
            _ => {
                self.span = (u.seq, u.nextseq);
                self.ordered = within_ordered_span(u.seq, &u);
            }
        }
        self.unacked.push_back(u);
    }

    /// Removes what acknowledgment number `ack` (raw, received at `ts`)
    /// covers from this side's unacknowledged list: a range ending exactly at
    /// `ack` is acknowledged (the first such one gives the ACK's RTT, as
    /// tshark reports it), a range `ack` falls into is trimmed to start at
    /// it, a range wholly below it is dropped. [`Half::span`] follows.
    ///
    /// On an [`ordered`](Half::ordered) list with `ack` within 2^30 of its
    /// start, every comparison is an exact integer comparison and only the
    /// front can change: the walk stops at the first range `ack` does not
    /// reach past, so an ACK costs what it removes, not the window.
    #[inline]
    pub fn acknowledge(&mut self, ack: u32, ts: i64) -> Acked {
        // Often nothing is outstanding (the peer sends little): no call.
        // Nor for the same number again (duplicate ACKs) with nothing pushed
        // below it since: it would find nothing to remove or trim.
        if self.unacked.is_empty() || self.settled == Some(ack) {
            return Acked::default();
        }
        self.acknowledge_listed(ack, ts)
    }

    /// [`acknowledge`](Self::acknowledge) with ranges outstanding.
    ///
    /// After the whole walk, every range left lies [`at_or_after`] `ack` (a
    /// range `ack` fell into is trimmed to start there; one below or ending
    /// at it is gone), so the same number again, the duplicate ACKs of a
    /// loss recovery, would change nothing: it becomes [`Half::settled`] and
    /// is not walked again. Except when a range is trimmed to 2^31 bytes or
    /// more: its end is then not after `ack` modulo 2^32, and the same ACK
    /// would drop it. (The front-only walk keeps nothing: a repeated number
    /// costs it one comparison, and a push none.)
    fn acknowledge_listed(&mut self, ack: u32, ts: i64) -> Acked {
        let mut out = Acked::default();
        let Some(front) = self.unacked.front() else {
            return out;
        };
        self.settled = None;
        let a = SeqNumber(ack);
        let near = i64::from(a.diff(SeqNumber(front.seq))).abs() <= i64::from(ORDERED_SPAN);
        if self.ordered && near {
            while let Some(u) = self.unacked.front_mut() {
                let (useq, unext) = (SeqNumber(u.seq), SeqNumber(u.nextseq));
                if ack == u.nextseq {
                    // At most one range ends at `ack` in an ordered list.
                    out.ambiguous = u.retrans();
                    out.acks_frame = Some(u.frame());
                    out.ack_rtt_ns = Some(ts.saturating_sub(u.ts).max(0) as u64);
                    self.unacked.pop_front();
                    // Every later range starts at or after `ack`: untouched.
                    break;
                } else if a.after(useq) && !a.after(unext) {
                    u.seq = ack;
                    break;
                } else if unext.after(a) {
                    break;
                }
                self.unacked.pop_front();
            }
            if let (Some(f), Some(b)) = (self.unacked.front(), self.unacked.back()) {
                self.span = (f.seq, b.nextseq);
            }
            return out;
        }
        let mut matched = false;
        // The span of what is kept, folded in list order (see `Half::span`),
        // and whether what is kept is ordered.
        let mut span: Option<(u32, u32)> = None;
        let mut ordered = true;
        let mut prev_next: Option<u32> = None;
        let mut first_seq: Option<u32> = None;
        let mut stable = true;
        self.unacked.retain_mut(|u| {
            let useq = SeqNumber(u.seq);
            let unext = SeqNumber(u.nextseq);
            let keep = if ack == u.nextseq {
                // Karn (RFC 6298, 3): a range sent twice (or a retransmission)
                // gives no valid sample.
                out.ambiguous |= matched || u.retrans();
                if !matched {
                    matched = true;
                    out.acks_frame = Some(u.frame());
                    out.ack_rtt_ns = Some(ts.saturating_sub(u.ts).max(0) as u64);
                }
                false
            } else if a.after(useq) && !a.after(unext) {
                u.seq = ack;
                // Now starting at `ack`: left as it is by `ack` again unless
                // it ends 2^31 or more past it.
                stable &= at_or_after(ack, u);
                true
            } else {
                // Kept while not yet covered; a range wholly below the ack is dropped.
                unext.after(a)
            };
            if keep {
                span = Some(match span {
                    None => (u.seq, u.nextseq),
                    Some(sp) => fold_span(sp, u),
                });
                ordered &= prev_next.is_none_or(|p| !useq.before(SeqNumber(p)))
                    && within_ordered_span(*first_seq.get_or_insert(u.seq), u);
                prev_next = Some(u.nextseq);
            }
            keep
        });
        if let Some(sp) = span {
            self.span = sp;
            self.ordered = ordered;
        } else {
            self.ordered = true;
        }
        self.settled = stable.then_some(ack);
        out
    }

    /// The relative position of raw sequence number `raw` in this direction's
    /// space, unwrapped to 64 bits around the highest position seen so far.
    /// A number before the base (possible when the base is a guess from a
    /// midstream segment) is given as tshark gives it: the 32-bit difference.
    #[inline]
    pub fn rel(&self, raw: u32) -> u64 {
        let v = self.pos(raw);
        if v < 0 {
            u64::from(raw.wrapping_sub(self.base))
        } else {
            v as u64
        }
    }

    /// The signed position of raw sequence number `raw` relative to the base,
    /// unwrapped around the highest position seen so far: negative before the
    /// base (where [`Half::rel`] gives the 32-bit difference).
    #[inline]
    pub fn pos(&self, raw: u32) -> i64 {
        let r32 = raw.wrapping_sub(self.base);
        let d = i64::from(r32.wrapping_sub(self.hi_rel as u32) as i32);
        self.hi_rel as i64 + d
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
    use proptest::prelude::*;

    /// Steps of a random exchange: send `len` bytes at `off` from the highest
    /// end so far (negative: a retransmission), or acknowledge `off` past the
    /// lowest start (anywhere, even far off), or the last number acknowledged
    /// again (`again`: a duplicate ACK, as during loss recovery).
    fn step() -> impl Strategy<Value = (bool, i32, u16, bool)> {
        (
            any::<bool>(),
            prop_oneof![-3000i32..3000, any::<i32>()],
            1u16..1500,
            any::<bool>(),
        )
    }

    proptest! {
        /// What `acknowledge` gives (its shortcuts: the front-only walk of an
        /// ordered list, no walk for a number already taken with nothing
        /// pushed below it since) is what the whole walk gives: same RTT
        /// match, same list, same span.
        #[test]
        fn the_shortcuts_are_the_full_walk(base in any::<u32>(), steps in prop::collection::vec(step(), 1..300)) {
            let mut fast = Half::default();
            let mut slow = Half::default();
            let mut hi = base;
            let mut last_ack = None;
            for (i, &(send, off, len, again)) in steps.iter().enumerate() {
                if send {
                    let seq = hi.wrapping_add(off.clamp(-3000, 0) as u32);
                    let u = Unacked::new(i as u64, i as i64, seq, seq.wrapping_add(u32::from(len)), off < 0);
                    if SeqNumber(u.nextseq).after(SeqNumber(hi)) {
                        hi = u.nextseq;
                    }
                    fast.push_unacked(u);
                    slow.push_unacked(u);
                } else {
                    let ack = match last_ack {
                        Some(a) if again => a,
                        _ => fast.unacked.front().map_or(base, |f| f.seq).wrapping_add(off as u32),
                    };
                    last_ack = Some(ack);
                    let was_ordered = fast.ordered;
                    // The slow side always walks the whole list.
                    slow.ordered = false;
                    slow.settled = None;
                    let (a, b) = (fast.acknowledge(ack, 1000), slow.acknowledge(ack, 1000));
                    prop_assert_eq!((a.acks_frame, a.ack_rtt_ns, a.ambiguous), (b.acks_frame, b.ack_rtt_ns, b.ambiguous), "ordered {}", was_ordered);
                    let fl: Vec<_> = fast.unacked.iter().map(|u| (u.seq, u.nextseq, u.frame())).collect();
                    let sl: Vec<_> = slow.unacked.iter().map(|u| (u.seq, u.nextseq, u.frame())).collect();
                    prop_assert_eq!(fl, sl);
                    if !fast.unacked.is_empty() {
                        prop_assert_eq!(fast.span, slow.span);
                        prop_assert_eq!(fast.span, walked(&fast));
                    }
                }
            }
        }
    }

    /// A duplicate ACK during loss recovery: the list is out of order (a
    /// retransmission behind later data), the same number comes again, and
    /// a range pushed below it in between (a retransmission of data it
    /// already covers) must still be dropped by it: the shortcut is not
    /// taken then.
    #[test]
    fn a_repeated_ack_still_drops_a_range_pushed_below_it() {
        let mut h = Half::default();
        h.push_unacked(Unacked::new(1, 0, 1000, 2000, false));
        h.push_unacked(Unacked::new(2, 0, 2000, 3000, false));
        h.push_unacked(Unacked::new(3, 0, 1000, 2000, true));
        assert!(!h.ordered);
        // 1000..2000 twice: both end at 2000, Karn's rule makes it ambiguous.
        let first = h.acknowledge(2000, 10);
        assert_eq!(first.acks_frame, Some(1));
        assert!(first.ambiguous);
        assert_eq!(h.unacked.len(), 1);
        // Nothing left below 2000: the same ACK again changes nothing.
        let dup = h.acknowledge(2000, 20);
        assert_eq!(dup.acks_frame, None);
        assert_eq!(h.unacked.len(), 1);
        // A late retransmission of 1500..2000, below the ACK: the next
        // duplicate drops it and matches it (it ends at 2000).
        h.push_unacked(Unacked::new(4, 30, 1500, 2000, true));
        let again = h.acknowledge(2000, 40);
        assert_eq!(again.acks_frame, Some(4));
        assert_eq!(again.ack_rtt_ns, Some(10));
        assert_eq!(h.unacked.len(), 1);
        assert_eq!(h.span, (2000, 3000));
    }

    /// A range of 2^31 + 100 bytes at 0 (never ordered), acknowledged at
    /// 100: `ack` falls into it (100 - (2^31 + 100) is -2^31, not after), so
    /// it is trimmed to start at 100, and its end is now exactly 2^31 past
    /// the ACK: neither after nor before it modulo 2^32. The same ACK again
    /// drops it (a range whose end is not after the ACK is covered), as the
    /// whole walk does, so the repeated number is not taken as settled.
    #[test]
    fn a_range_trimmed_to_half_the_space_is_dropped_by_the_same_ack() {
        let mut h = Half::default();
        h.push_unacked(Unacked::new(1, 0, 0, (1 << 31) + 100, false));
        assert!(!h.ordered);
        h.acknowledge(100, 0);
        assert_eq!(h.unacked.len(), 1);
        assert_eq!(h.unacked[0].seq, 100);
        h.acknowledge(100, 0);
        assert!(h.unacked.is_empty());
    }

    /// The list's span as a walk of it gives it (what bytes in flight read).
    fn walked(h: &Half) -> (u32, u32) {
        let f = h.unacked[0];
        h.unacked.iter().fold((f.seq, f.nextseq), fold_span)
    }

    /// A range whose end wraps past 2^32 back to near the list's start (the
    /// case `analysis_robust` found: 18,406,813 bytes at 0, then 2,147,482,525
    /// bytes at 2,147,484,771, which end at 2^32 = 0): its end alone lies
    /// "within 2^30" of the start, but the list is not ordered, and the span
    /// stays the walk of the list through the next ACK and send.
    #[test]
    fn a_range_wrapping_to_the_start_is_not_ordered() {
        let mut h = Half::default();
        h.push_unacked(Unacked::new(1, 0, 0, 18_406_813, false));
        assert!(h.ordered);
        h.push_unacked(Unacked::new(2, 0, 2_147_484_771, 0, false));
        assert!(!h.ordered);
        assert_eq!(h.span, walked(&h));
        h.acknowledge(0, 0);
        h.push_unacked(Unacked::new(3, 0, 0, 1, false));
        assert_eq!(h.span, walked(&h));
    }

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

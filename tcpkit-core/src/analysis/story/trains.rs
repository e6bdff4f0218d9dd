//! Retransmission trains: every segment sent more than once, and which timer sent it.
//!
//! Memory is bounded per connection: at most [`MAX_TRAINS`] trains of at most
//! [`MAX_SENDS`] listed sends each, and a ring of the last [`ORIG_RING`]
//! original data sends per direction to find the first send of a retransmission.

use super::fixed::{Filler, SpillList};
use super::types::{Train, TrainKind, Verdict};
use crate::flow::Direction;

/// Trains kept per connection; later ones are counted in `dropped`.
pub const MAX_TRAINS: usize = 512;
/// Sends listed per train; later ones are counted in `more`.
pub const MAX_SENDS: usize = 64;
/// Original data sends remembered per direction.
pub const ORIG_RING: usize = 256;

/// Linux's RTO floor (`TCP_RTO_MIN`, `tcp_rto_min`): 200 ms.
pub const LINUX_RTO_MIN_NS: u64 = 200_000_000;
/// The same in seconds, for the interval shapes.
const LINUX_RTO_MIN_S: f64 = 0.2;

impl Filler for Orig {
    const FILLER: Self = Orig {
        start: 0,
        end: 0,
        frame: 0,
        ts: 0,
    };
}

#[derive(Debug, Clone, Copy)]
struct Orig {
    start: u64,
    end: u64,
    frame: u64,
    ts: i64,
}

#[derive(Debug, Clone)]
pub(crate) struct TrainAcc {
    pub dir: Direction,
    pub kind: TrainKind,
    /// Key: the relative sequence number identifying the sent thing (FIN: its own number).
    key: u64,
    /// Reported relative sequence number (first byte of the first send).
    pub seq: u64,
    pub frames: Vec<u64>,
    pub ts: Vec<i64>,
    pub more: u32,
    /// The first retransmission was flagged a fast retransmission.
    pub first_fast: bool,
    /// The first retransmission re-sent the highest segment sent so far.
    pub first_tail: bool,
    /// The first retransmission was flagged spurious.
    pub first_spurious: bool,
    /// Kept even with one captured send (a flagged retransmission whose original was not captured).
    pub flagged: bool,
    /// Duplicate ACKs the peer had sent for this sequence number before the
    /// first send flagged a fast retransmission (tshark's `duplicate_ack_num`
    /// of the last one); `None` when no send was flagged fast.
    pub dup_acks: Option<u32>,
}

impl TrainAcc {
    fn push(&mut self, frame: u64, ts: i64) {
        if self.frames.len() < MAX_SENDS {
            self.frames.push(frame);
            self.ts.push(ts);
        } else {
            self.more = self.more.saturating_add(1);
        }
    }

    /// Remembers the duplicate ACKs before the first send flagged fast.
    fn note_fast(&mut self, f: RetxFlags) {
        if f.fast && self.dup_acks.is_none() {
            self.dup_acks = Some(f.dup_acks);
        }
    }

    /// Sends seen, listed or not.
    pub fn sends(&self) -> u64 {
        self.frames.len() as u64 + u64::from(self.more)
    }
}

/// Retransmission details of one segment, as the per-segment analysis flagged it.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct RetxFlags {
    pub retx: bool,
    pub fast: bool,
    pub spurious: bool,
    /// The segment ends at the highest sequence number sent so far in its direction.
    pub tail: bool,
    /// Flagged fast: the peer's duplicate ACKs of this sequence number seen before it.
    pub dup_acks: u32,
}

/// The trains of one connection, being built.
#[derive(Debug, Clone, Default)]
pub(crate) struct Trains {
    pub list: Vec<TrainAcc>,
    /// Per direction, the greatest key of its trains in `list` (`None`:
    /// none): a send with a greater key starts no train's list walk (most
    /// retransmissions of a lossy transfer are of data further on).
    max_key: [Option<u64>; 2],
    pub dropped: u32,
    orig: [SpillList<Orig, { super::RING_IN_PLACE }>; 2],
    orig_pos: [usize; 2],
}

impl Trains {
    /// Frees the spare capacity of the original-send rings and the train
    /// list (each train's sends are few), down to their length or `keep`
    /// entries if more.
    pub fn shrink_to(&mut self, keep: usize) {
        self.list.shrink_to(keep);
        for ring in &mut self.orig {
            ring.shrink_to(keep);
        }
    }

    fn find(&mut self, dir: Direction, kind: TrainKind, key: u64) -> Option<&mut TrainAcc> {
        if self.max_key[dir.index()].is_none_or(|max| key > max) {
            return None;
        }
        self.list
            .iter_mut()
            .rev()
            .find(|t| t.dir == dir && t.kind == kind && t.key == key)
    }

    fn create(&mut self, acc: TrainAcc) -> Option<&mut TrainAcc> {
        if self.list.len() >= MAX_TRAINS {
            self.dropped = self.dropped.saturating_add(1);
            return None;
        }
        let max = &mut self.max_key[acc.dir.index()];
        *max = Some(max.map_or(acc.key, |m| m.max(acc.key)));
        self.list.push(acc);
        self.list.last_mut()
    }

    fn new_acc(dir: Direction, kind: TrainKind, key: u64, seq: u64) -> TrainAcc {
        TrainAcc {
            dir,
            kind,
            key,
            seq,
            frames: Vec::new(),
            ts: Vec::new(),
            more: 0,
            first_fast: false,
            first_tail: false,
            first_spurious: false,
            flagged: false,
            dup_acks: None,
        }
    }

    /// A send of something identified by `(dir, kind, key)` that is repeated
    /// whole (SYN, SYN-ACK, FIN, RST, probes): the first send opens the train.
    #[allow(clippy::too_many_arguments)]
    pub fn repeatable(
        &mut self,
        dir: Direction,
        kind: TrainKind,
        key: u64,
        seq: u64,
        frame: u64,
        ts: i64,
        f: RetxFlags,
    ) {
        if let Some(t) = self.find(dir, kind, key) {
            if t.frames.len() == 1 && t.more == 0 {
                t.first_fast = f.fast;
                t.first_tail = f.tail;
                t.first_spurious = f.spurious;
            }
            t.note_fast(f);
            t.push(frame, ts);
            return;
        }
        if let Some(t) = self.create(Self::new_acc(dir, kind, key, seq)) {
            t.push(frame, ts);
        }
    }

    /// A re-send of something whose first send (`first`: frame, time) the caller
    /// kept: the train is opened only now, so single sends cost nothing here.
    #[allow(clippy::too_many_arguments)]
    pub fn resend(
        &mut self,
        dir: Direction,
        kind: TrainKind,
        key: u64,
        seq: u64,
        first: (u64, i64),
        frame: u64,
        ts: i64,
        f: RetxFlags,
    ) {
        if let Some(t) = self.find(dir, kind, key) {
            t.note_fast(f);
            t.push(frame, ts);
            return;
        }
        let mut acc = Self::new_acc(dir, kind, key, seq);
        acc.first_fast = f.fast;
        acc.first_tail = f.tail;
        acc.first_spurious = f.spurious;
        acc.note_fast(f);
        acc.push(first.0, first.1);
        acc.push(frame, ts);
        self.create(acc);
    }

    /// A data segment `[start, end)` (relative sequence numbers). Inline:
    /// most are original sends, remembered in a ring.
    #[inline]
    pub fn data(
        &mut self,
        dir: Direction,
        start: u64,
        end: u64,
        frame: u64,
        ts: i64,
        f: RetxFlags,
    ) {
        let d = dir.index();
        if !f.retx {
            let o = Orig {
                start,
                end,
                frame,
                ts,
            };
            super::remember(&mut self.orig[d], &mut self.orig_pos[d], ORIG_RING, o);
            return;
        }
        self.retransmitted(dir, start, frame, ts, f);
    }

    /// [`data`](Self::data) sent again: its train, opened with the first
    /// send remembered that holds `start`.
    #[inline(never)]
    fn retransmitted(&mut self, dir: Direction, start: u64, frame: u64, ts: i64, f: RetxFlags) {
        let d = dir.index();
        if let Some(t) = self.find(dir, TrainKind::Data, start) {
            t.note_fast(f);
            t.push(frame, ts);
            return;
        }
        let orig = self.orig[d]
            .iter()
            .filter(|o| o.start <= start && start < o.end)
            .max_by_key(|o| o.ts)
            .copied();
        let mut acc = Self::new_acc(dir, TrainKind::Data, start, start);
        acc.flagged = true;
        acc.first_fast = f.fast;
        acc.first_tail = f.tail;
        acc.first_spurious = f.spurious;
        acc.note_fast(f);
        if let Some(o) = orig {
            acc.push(o.frame, o.ts);
        }
        acc.push(frame, ts);
        self.create(acc);
    }

    /// The finished trains (those with at least two sends, or flagged
    /// retransmissions), taken out of the list.
    pub fn finish(&mut self) -> Vec<Train> {
        self.max_key = [None; 2];
        std::mem::take(&mut self.list)
            .into_iter()
            .filter(|t| t.sends() >= 2 || t.flagged)
            .map(|t| {
                let verdict = classify(&t, &intervals_s(&t.ts));
                Train {
                    dir: t.dir,
                    kind: t.kind,
                    seq: t.seq,
                    frames: t.frames,
                    ts_ns: t.ts,
                    verdict,
                    more: t.more,
                    dup_acks: t.dup_acks,
                }
            })
            .collect()
    }
}

/// Nanoseconds to seconds.
pub fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// Seconds between consecutive times (ns), for the shapes below.
pub(crate) fn intervals_s(ts: &[i64]) -> Vec<f64> {
    ts.windows(2)
        .map(|w| secs(w[1].saturating_sub(w[0])))
        .collect()
}

/// `b` is about equal to `a` (timer jitter of a few jiffies included).
pub fn about_equal(a: f64, b: f64) -> bool {
    a > 0.0 && (0.8..=1.25).contains(&(b / a))
}

/// `b` is about twice `a`, or both sit at Linux's 120 s RTO ceiling.
pub fn about_double(a: f64, b: f64) -> bool {
    a > 0.0 && ((1.6..=2.5).contains(&(b / a)) || (a >= 60.0 && b >= 100.0 && about_equal(a, b)))
}

/// The shape of a run of intervals (no prefix).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    None,
    Timeout,
    /// Each interval about twice the previous from the first, whatever the
    /// base; possibly flat at the end (the stack's ceiling on the RTO).
    Exponential,
    /// `k` equal intervals, then doubling (and possibly the ceiling).
    LinearThenExponential(usize),
    /// A first interval shorter than the second, then doubling: the
    /// retransmission timer was already running when the original was sent
    /// (RFC 6298 5.1: started by an earlier segment; 5.3: restarted by the
    /// last ACK), so the first timeout came less than one RTO after it.
    EarlyThenExponential,
    Linear,
    Irregular,
}

/// Each interval about twice the previous, then optionally flat (the ceiling,
/// which one step may reach less than doubled: `min(2 RTO, max)`); at least
/// one doubling. Whatever the base and the ceiling: Linux 200 ms .. 120 s,
/// Windows from 300 ms, BSD up to 64 s.
fn doubling_then_cap(iv: &[f64]) -> bool {
    let (mut doubled, mut capped) = (false, false);
    for w in iv.windows(2) {
        let (a, b) = (w[0], w[1]);
        if !capped && about_double(a, b) {
            doubled = true;
        } else if doubled && !capped && a > 0.0 && (0.8..1.6).contains(&(b / a)) {
            capped = true;
        } else if capped && about_equal(a, b) {
        } else {
            return false;
        }
    }
    doubled
}

pub(crate) fn shape(iv: &[f64]) -> Shape {
    match iv {
        [] => Shape::None,
        [x] => {
            if *x >= LINUX_RTO_MIN_S * 0.95 {
                Shape::Timeout
            } else {
                Shape::Irregular
            }
        }
        [first, ..] if *first <= 0.0 || !first.is_finite() => Shape::Irregular,
        [first, second, rest @ ..] => {
            let k = iv.iter().take_while(|x| about_equal(*first, **x)).count();
            let doubling = doubling_then_cap(iv.get(k.saturating_sub(1)..).unwrap_or(&[]));
            if k == iv.len() {
                Shape::Linear
            } else if k == 1 && doubling {
                Shape::Exponential
            } else if doubling {
                Shape::LinearThenExponential(k)
            } else if *first < second * 0.8 && !rest.is_empty() && doubling_then_cap(&iv[1..]) {
                Shape::EarlyThenExponential
            } else {
                Shape::Irregular
            }
        }
    }
}

/// Does the train start with a tail loss probe? Only data and FIN segments are
/// probed (RFC 8985 7.2: "the last segment"), earlier than an RTO would fire, and
/// Linux then arms the RTO afresh, so the next interval is about the same.
pub(crate) fn starts_with_tlp(t: &TrainAcc, iv: &[f64]) -> bool {
    matches!(t.kind, TrainKind::Data | TrainKind::Fin)
        && t.first_tail
        && !t.first_fast
        && match iv {
            [first, rest @ ..] => {
                *first < LINUX_RTO_MIN_S * 0.95
                    || rest.first().is_some_and(|n| about_equal(*first, *n))
            }
            [] => false,
        }
}

fn classify(t: &TrainAcc, iv: &[f64]) -> Verdict {
    if t.frames.len() < 2 {
        // A retransmission whose original was not captured: tshark's flag
        // still tells what sent it.
        return if t.first_fast {
            Verdict::FastRetransmit
        } else {
            Verdict::Single
        };
    }
    if t.first_spurious {
        return Verdict::Spurious;
    }
    let rest = iv.get(1..).unwrap_or(&[]);
    let then_timeouts = |fast: Verdict, fast_then: Verdict| match shape(rest) {
        Shape::Exponential | Shape::Timeout => fast_then,
        _ => fast,
    };
    if t.first_fast {
        return then_timeouts(
            Verdict::FastRetransmit,
            Verdict::FastRetransmitThenExponentialBackoff,
        );
    }
    // A later send was flagged fast (re-sent once in loss recovery, then on
    // duplicate ACKs): the per-segment facts call it a fast retransmission.
    if t.dup_acks.is_some() {
        return Verdict::FastRetransmit;
    }
    if starts_with_tlp(t, iv) {
        return match shape(rest) {
            Shape::None => Verdict::TailLossProbe,
            Shape::Timeout => Verdict::TailLossProbeThenTimeout,
            Shape::Exponential => Verdict::TailLossProbeThenExponentialBackoff,
            _ => Verdict::TailLossProbe,
        };
    }
    // Re-sent faster than any RTO (Linux floor 200 ms) and not the tail, not
    // flagged fast: ACK-driven loss recovery beyond the first hole (SACK,
    // RFC 6675; NewReno partial ACKs, RFC 6582; RACK, RFC 8985).
    if matches!(t.kind, TrainKind::Data) && iv.first().is_some_and(|x| *x < LINUX_RTO_MIN_S * 0.95)
    {
        return then_timeouts(
            Verdict::LossRecovery,
            Verdict::LossRecoveryThenExponentialBackoff,
        );
    }
    match shape(iv) {
        Shape::None => Verdict::Single,
        Shape::Timeout => Verdict::Timeout,
        Shape::Exponential | Shape::EarlyThenExponential => Verdict::ExponentialBackoff,
        Shape::LinearThenExponential(_) => Verdict::LinearThenExponentialBackoff,
        Shape::Linear => Verdict::Linear,
        Shape::Irregular => Verdict::Irregular,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: i64 = 1_000_000_000;

    #[test]
    fn linux_syn_train_is_linear_then_exponential() {
        // Linux 6.5+ defaults: 1 s five times (initial RTO + 4 linear), then 2, 4, 8, 16, 32 s.
        let iv = [1.0, 1.02, 1.02, 1.02, 1.03, 2.01, 4.16, 8.19, 16.13, 33.79];
        assert_eq!(shape(&iv), Shape::LinearThenExponential(5));
        // Older kernels: 1, 2, 4 ... from the start.
        assert_eq!(shape(&[1.0, 2.0, 4.0, 8.0]), Shape::Exponential);
        assert_eq!(shape(&[75.0, 75.0, 75.0]), Shape::Linear);
        assert_eq!(shape(&[0.3]), Shape::Timeout);
        assert_eq!(shape(&[0.01]), Shape::Irregular);
        assert_eq!(shape(&[1.0, 3.0, 3.1, 0.5]), Shape::Irregular);
    }

    #[test]
    fn backoff_is_doubling_whatever_the_base_and_the_ceiling() {
        // Windows: "the retransmission time-out is doubled with each successive
        // retransmission" from TcpInitialRTT 3 s (SYNs) or the measured RTO
        // (data, >= 300 ms): 3, 6 s and 0.6, 1.2, 2.4 s double like Linux's
        // 0.2, 0.4, 0.8.
        assert_eq!(shape(&[3.0, 6.0]), Shape::Exponential);
        assert_eq!(shape(&[0.6, 1.2, 2.4, 4.8]), Shape::Exponential);
        // The Windows 2000 train: the first retransmission 0.21 s after
        // the original, less than one RTO (the timer was started by an earlier
        // segment or ACK, RFC 6298 5.1 / 5.3), then doubling from 0.6 s.
        assert_eq!(
            shape(&[0.21, 0.60, 1.20, 2.40, 4.80]),
            Shape::EarlyThenExponential
        );
        // One doubling is not enough to call a short first interval early.
        assert_eq!(shape(&[0.21, 0.60]), Shape::Irregular);
        // FreeBSD's tcp_syn_backoff[] = { 1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64, 64, 64 }:
        // five equal, doubling, then flat at 64 s (the table's ceiling).
        let bsd = [
            1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 64.0,
        ];
        assert_eq!(shape(&bsd), Shape::LinearThenExponential(5));
        // Data RTOs capped at 64 s (FreeBSD TCPTV_REXMTMAX), reached less than
        // doubled (min(2 x 48, 64)), and Linux's 120 s TCP_RTO_MAX.
        assert_eq!(shape(&[12.0, 24.0, 48.0, 64.0, 64.0]), Shape::Exponential);
        assert_eq!(shape(&[30.0, 60.0, 120.0, 120.0]), Shape::Exponential);
        // Equal, then a rise that is no doubling, then equal: no timer we know.
        assert_eq!(shape(&[1.0, 1.0, 1.3, 1.3]), Shape::Irregular);
    }

    #[test]
    fn fin_train_with_loss_probe_then_backoff() {
        // A lone FIN in flight, RTT tiny: Linux's probe timeout is 2*SRTT + 200 ms
        // (one packet out), then the RTO (200 ms floor) is re-armed and doubles:
        // sends at 0, 0.206, 0.414, 0.842, 1.674, 3.338 s.
        let mut tr = Trains::default();
        let times_us: [i64; 6] = [0, 206_057, 414_075, 842_071, 1_674_086, 3_338_067];
        for (i, t) in times_us.iter().enumerate() {
            let f = RetxFlags {
                retx: i > 0,
                tail: true,
                ..Default::default()
            };
            tr.repeatable(
                Direction::ServerToClient,
                TrainKind::Fin,
                17,
                17,
                10 + i as u64,
                t * 1000,
                f,
            );
        }
        let out = tr.finish();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].verdict, Verdict::TailLossProbeThenExponentialBackoff);
        assert_eq!(out[0].frames, vec![10, 11, 12, 13, 14, 15]);
        assert_eq!(out[0].offsets_ns().last(), Some(3_338_067_000));
    }

    #[test]
    fn data_retransmission_finds_its_original() {
        let mut tr = Trains::default();
        let c2s = Direction::ClientToServer;
        tr.data(c2s, 1, 1001, 5, 0, RetxFlags::default());
        tr.data(c2s, 1001, 2001, 6, S / 100, RetxFlags::default());
        // 1001 re-sent after 210 ms and 420 ms more: RTO with backoff.
        let f = RetxFlags {
            retx: true,
            ..Default::default()
        };
        tr.data(c2s, 1001, 2001, 9, S / 100 + 210 * S / 1000, f);
        tr.data(c2s, 1001, 2001, 12, S / 100 + 630 * S / 1000, f);
        let out = tr.finish();
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].seq, 1001);
        assert_eq!(out[0].frames, vec![6, 9, 12]);
        assert_eq!(out[0].verdict, Verdict::ExponentialBackoff);
    }

    #[test]
    fn quick_non_tail_retransmission_is_ack_driven() {
        // 1001..2001 re-sent 300 µs after the original while 2001..3001 was already
        // out (not the tail), not flagged fast by tshark: faster than any RTO, so
        // ACK-driven recovery (SACK / RACK), not a timer.
        let mut tr = Trains::default();
        let c2s = Direction::ClientToServer;
        tr.data(c2s, 1001, 2001, 6, 0, RetxFlags::default());
        tr.data(c2s, 2001, 3001, 7, 10_000, RetxFlags::default());
        let f = RetxFlags {
            retx: true,
            ..Default::default()
        };
        tr.data(c2s, 1001, 2001, 9, 300_000, f);
        let out = tr.finish();
        assert_eq!(out[0].verdict, Verdict::LossRecovery);
    }

    #[test]
    fn sends_are_capped() {
        let mut tr = Trains::default();
        for i in 0..(MAX_SENDS as u64 + 10) {
            tr.repeatable(
                Direction::ClientToServer,
                TrainKind::Rst,
                5,
                5,
                i,
                i as i64 * S,
                RetxFlags::default(),
            );
        }
        let out = tr.finish();
        assert_eq!(out[0].frames.len(), MAX_SENDS);
        assert_eq!(out[0].more, 10);
    }

    #[test]
    fn a_retransmission_finds_its_train_whatever_came_after() {
        // Data retransmitted at 3000, then at 1000 (below it), then each
        // again; and the peer's data at 5000, whose key is above both: the
        // repeats join their own trains, per direction.
        let retx = RetxFlags {
            retx: true,
            fast: false,
            spurious: false,
            tail: false,
            dup_acks: 0,
        };
        let mut tr = Trains::default();
        let c2s = Direction::ClientToServer;
        let s2c = Direction::ServerToClient;
        tr.data(c2s, 3000, 4000, 10, S, retx);
        tr.data(c2s, 1000, 2000, 11, 2 * S, retx);
        tr.data(s2c, 5000, 6000, 12, 3 * S, retx);
        tr.data(c2s, 1000, 2000, 13, 4 * S, retx);
        tr.data(c2s, 3000, 4000, 14, 5 * S, retx);
        tr.data(s2c, 5000, 6000, 15, 6 * S, retx);
        // A key above every train of its direction, and one no train has.
        tr.data(c2s, 4500, 5000, 16, 7 * S, retx);
        tr.data(s2c, 4000, 5000, 17, 8 * S, retx);
        let frames = |dir: Direction, seq: u64| {
            tr.list
                .iter()
                .filter(|t| t.dir == dir && t.seq == seq)
                .map(|t| t.frames.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(frames(c2s, 3000), [vec![10, 14]]);
        assert_eq!(frames(c2s, 1000), [vec![11, 13]]);
        assert_eq!(frames(s2c, 5000), [vec![12, 15]]);
        assert_eq!(frames(c2s, 4500), [vec![16]]);
        assert_eq!(frames(s2c, 4000), [vec![17]]);
        assert_eq!(tr.list.len(), 5);
    }
}

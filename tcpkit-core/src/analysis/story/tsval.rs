//! The TSvals one side sent with data, SYN or FIN, and when: what a later
//! timestamp echo of the peer is matched against for an RTT sample (RFC 7323
//! 4.1: "the sender [...] can use the TSecr of the ACK to compute an RTT").
//!
//! Each TSval is remembered once (its first send), in a ring of the last
//! [`TS_RING`] distinct ones. A sender's TSvals mostly grow, and an echo
//! mostly names one of the last few sent, so both questions are answered
//! without a walk of the ring in the common case: a TSval above every one
//! remembered is new, and the ring is searched from the newest TSval back
//! (a TSval sent again, an echo, is most often the newest). The answers are the walk's: the
//! entries are distinct, so the one found is the one.

use super::fixed::{Filler, SpillList};
use super::{RING_IN_PLACE, remember};

/// TSvals remembered per direction for timestamp-echo RTT samples.
pub(super) const TS_RING: usize = 32;

impl Filler for (u32, i64) {
    const FILLER: Self = (0, 0);
}

/// One side's TSvals sent (distinct) and their first send's capture time.
#[derive(Debug, Clone, Default)]
pub(super) struct TsSent {
    /// The last [`TS_RING`] distinct TSvals remembered: in order while the
    /// ring fills, then overwritten from `pos` (the oldest) on.
    ring: SpillList<(u32, i64), RING_IN_PLACE>,
    pos: usize,
    /// The greatest TSval ever remembered: every TSval in the ring is at
    /// most this.
    max: Option<u32>,
}

impl TsSent {
    /// Remembers `tsval` sent at `ts_ns` unless it is in the ring already.
    #[inline]
    pub fn remember(&mut self, tsval: u32, ts_ns: i64) {
        // Above every TSval ever remembered: not in the ring; else looked
        // for from the newest (the last one remembered is found first).
        let known = self
            .max
            .is_some_and(|max| tsval <= max && self.sent_at(tsval).is_some());
        if !known {
            remember(&mut self.ring, &mut self.pos, TS_RING, (tsval, ts_ns));
            self.max = Some(self.max.map_or(tsval, |m| m.max(tsval)));
        }
    }

    /// When `echoed` was sent, if it is in the ring (newest first).
    #[inline]
    pub fn sent_at(&self, echoed: u32) -> Option<i64> {
        let ring = self.ring.as_slice();
        let hit = |e: &&(u32, i64)| e.0 == echoed;
        let found = if ring.len() < TS_RING {
            // Filling: the newest last.
            ring.iter().rev().find(hit)
        } else {
            // Full: the newest just before `pos`, the oldest at it.
            let (older, newer) = ring.split_at(self.pos.min(ring.len()));
            older
                .iter()
                .rev()
                .find(hit)
                .or_else(|| newer.iter().rev().find(hit))
        };
        found.map(|&(_, t)| t)
    }

    /// Frees the ring's spare heap room, down to its entries or `keep`.
    pub fn shrink_to(&mut self, keep: usize) {
        self.ring.shrink_to(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain walk the fast paths stand for: remembered iff not in the
    /// ring, the echo's entry found anywhere in it.
    #[derive(Default)]
    struct Walk {
        ring: SpillList<(u32, i64), RING_IN_PLACE>,
        pos: usize,
    }

    impl Walk {
        fn remember(&mut self, v: u32, t: i64) {
            if !self.ring.iter().any(|&(x, _)| x == v) {
                remember(&mut self.ring, &mut self.pos, TS_RING, (v, t));
            }
        }
        fn sent_at(&self, e: u32) -> Option<i64> {
            self.ring.iter().find(|&&(v, _)| v == e).map(|&(_, t)| t)
        }
    }

    /// TSvals as senders make them: growing by steps of 0-2 (several
    /// segments a millisecond), a step back now and then (a retransmission
    /// carrying an old TSval, another stack's clock), and a wrap of the
    /// 32-bit clock (RFC 7323 5.2).
    fn tsvals() -> Vec<u32> {
        let mut v = Vec::new();
        let mut x: u32 = u32::MAX - 150;
        let mut seed: u32 = 12345;
        for i in 0..600 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let r = seed >> 16;
            if i % 37 == 0 {
                v.push(x.wrapping_sub(r % 40));
            } else {
                x = x.wrapping_add(r % 3);
                v.push(x);
            }
        }
        v
    }

    #[test]
    fn answers_what_the_walk_of_the_ring_answers() {
        let (mut fast, mut walk) = (TsSent::default(), Walk::default());
        for (i, v) in tsvals().into_iter().enumerate() {
            let t = i as i64 * 1_000;
            fast.remember(v, t);
            walk.remember(v, t);
            assert_eq!(
                fast.ring.as_slice(),
                walk.ring.as_slice(),
                "after TSval {v}"
            );
            // Echoes of the recent TSvals, of old ones fallen out of the
            // ring, and of ones never sent.
            for back in [0u32, 1, 3, 17, 40, 200] {
                let e = v.wrapping_sub(back);
                assert_eq!(fast.sent_at(e), walk.sent_at(e), "echo {e}");
            }
        }
    }

    #[test]
    fn an_echo_finds_the_first_send_of_its_tsval() {
        let mut s = TsSent::default();
        s.remember(100, 1);
        s.remember(100, 2); // the same TSval again: the first send counts
        s.remember(101, 3);
        assert_eq!(s.sent_at(100), Some(1));
        assert_eq!(s.sent_at(101), Some(3));
        assert_eq!(s.sent_at(99), None);
    }
}

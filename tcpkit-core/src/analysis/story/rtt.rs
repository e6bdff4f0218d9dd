//! RTT samples per direction and an RFC 6298 estimator replayed over them.
//!
//! RFC 6298 2.2: "When the first RTT measurement R is made, the host MUST set
//! SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max (G, K*RTTVAR) where K = 4."
//! 2.3: "RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|,
//! SRTT <- (1 - alpha) * SRTT + alpha * R'" with alpha = 1/8, beta = 1/4.
//! 2.4 asks for a 1 s minimum RTO ("Whenever RTO is computed, if it is less
//! than 1 second, then the RTO SHOULD be rounded up to 1 second"), which no
//! common stack follows: the bounds applied are those of the sender's stack
//! ([`RtoRule`]).

use super::fixed::SpillList;
use super::types::RttSummary;

/// Samples kept exactly; beyond this a uniform subsample (every 2^k-th) is kept.
pub const MAX_SAMPLES: usize = 1024;
/// Samples kept in place before the list moves to the heap: a short
/// connection's ACKs give a few a direction.
const KEPT_IN_PLACE: usize = 8;
/// Linux's RTO floor, s (`TCP_RTO_MIN`, `HZ / 5`).
pub const RTO_MIN_S: f64 = 0.2;
/// Linux's RTO ceiling, s (`TCP_RTO_MAX`, `120 * HZ`).
pub const RTO_MAX_S: f64 = 120.0;
/// FreeBSD's and macOS's slop added to every computed RTO, s
/// (`tcp_rexmit_slop`: `TCPTV_CPU_VAR` / `TCPTV_REXMTSLOP`, `hz / 5`).
pub const BSD_RTO_SLOP_S: f64 = 0.2;
/// FreeBSD's and macOS's RTO floor, s (`TCPTV_MIN` / `TCPTV_REXMTMIN`, `hz / 33`).
pub const BSD_RTO_MIN_S: f64 = 0.030;
/// FreeBSD's and macOS's RTO ceiling, s (`TCPTV_REXMTMAX`, `64 * hz`).
pub const BSD_RTO_MAX_S: f64 = 64.0;

/// How the sender's stack bounds the RFC 6298 value (SRTT + 4 RTTVAR), chosen
/// from its stack guess ([`Story::stack`](super::Story::stack)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum RtoRule {
    /// Linux (`net/ipv4/tcp_input.c` `tcp_set_rto`, `include/net/tcp.h`):
    /// clamped to [`TCP_RTO_MIN` 200 ms, `TCP_RTO_MAX` 120 s].
    Linux,
    /// The sender's stack is unknown; Linux's bounds are applied (the
    /// capture-wide majority of what tcpkit is run on, and the lab's).
    #[default]
    LinuxAssumed,
    /// FreeBSD and macOS (`sys/netinet/tcp_timer.h` `TCPT_RANGESET`: "(tv) =
    /// (value) + tcp_rexmit_slop", then clamped to [30 ms, 64 s]): 200 ms of
    /// slop on top of the value, so the RTO never falls below about 230 ms.
    BsdApple,
    /// Windows: SRTT + 4 RTTVAR as RFC 6298 computes it, unbounded. Its floor
    /// (`MinRtoMs` of the `Set-NetTCPSetting` profiles) is a setting the
    /// capture does not show.
    Unbounded,
}

impl RtoRule {
    /// The rule for a sender whose stack reads as `stack`.
    pub fn of(stack: Option<super::stack::Stack>) -> Self {
        use super::stack::Stack;
        match stack {
            Some(Stack::Linux) => Self::Linux,
            Some(Stack::BsdApple) => Self::BsdApple,
            Some(Stack::Windows) => Self::Unbounded,
            Some(Stack::Unknown) | None => Self::LinuxAssumed,
        }
    }

    /// The name in JSON and Arrow (`rto_rule`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linux => "linux",
            Self::LinuxAssumed => "linux_assumed",
            Self::BsdApple => "bsd_apple",
            Self::Unbounded => "unbounded",
        }
    }

    /// The RTO, s, from RFC 6298's unbounded value `r`, s.
    pub fn apply(self, r: f64) -> f64 {
        match self {
            Self::Linux | Self::LinuxAssumed => r.clamp(RTO_MIN_S, RTO_MAX_S),
            Self::BsdApple => (r + BSD_RTO_SLOP_S).clamp(BSD_RTO_MIN_S, BSD_RTO_MAX_S),
            Self::Unbounded => r,
        }
    }

    /// The RTO sits at the stack's floor (Linux's 200 ms).
    pub fn at_floor(self, rto_s: f64) -> bool {
        matches!(self, Self::Linux | Self::LinuxAssumed) && rto_s <= RTO_MIN_S
    }
}

/// The RFC 6298 estimator.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Rfc6298 {
    /// Smoothed RTT, s (`None` before the first sample).
    pub srtt: Option<f64>,
    /// RTT variation, s.
    pub rttvar: f64,
}

impl Rfc6298 {
    /// Feeds one sample `r` (seconds).
    pub fn sample(&mut self, r: f64) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2.0;
            }
            Some(s) => {
                self.rttvar = 0.75 * self.rttvar + 0.25 * (s - r).abs();
                self.srtt = Some(0.875 * s + 0.125 * r);
            }
        }
    }

    /// SRTT + 4 RTTVAR without any floor, s.
    pub fn rto_unfloored(&self) -> Option<f64> {
        self.srtt.map(|s| s + 4.0 * self.rttvar)
    }

    /// The RTO as the sender's stack bounds it, s.
    pub fn rto(&self, rule: RtoRule) -> Option<f64> {
        self.rto_unfloored().map(|r| rule.apply(r))
    }
}

/// The median (the mean of the middle two, rounded half up, for an even
/// count) and the nearest-rank 95th percentile (the smallest value with at
/// least 95 % of samples at or below it) of `v`, found by selection, not a
/// sort: `v` is left partly ordered.
fn median_and_p95(v: &mut [u64]) -> (Option<u64>, Option<u64>) {
    let n = v.len();
    if n == 0 {
        return (None, None);
    }
    let p95_at = (n * 95).div_ceil(100).max(1) - 1;
    // The sorted list's element n / 2, what is below it, what is above it.
    let (below, &mut mid, above) = v.select_nth_unstable(n / 2);
    let median = if n % 2 == 1 {
        mid
    } else {
        // The element before n / 2 is the largest of those below it.
        let a = below.iter().copied().max().unwrap_or(mid);
        a / 2 + mid / 2 + (a % 2 + mid % 2).div_ceil(2)
    };
    // p95_at >= n / 2 for every n >= 1.
    let p95 = match p95_at.checked_sub(n / 2 + 1) {
        None => mid,
        Some(k) => *above.select_nth_unstable(k).1,
    };
    (Some(median), Some(p95))
}

/// Seconds to whole nanoseconds (negative and NaN: 0).
fn ns(s: f64) -> u64 {
    (s * 1e9).round() as u64
}

/// Accumulates one direction's samples with bounded memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct RttAcc {
    /// The samples kept (every `stride`-th): in place while there are few,
    /// as for most connections.
    kept: SpillList<u64, KEPT_IN_PLACE>,
    stride: u64,
    count: u64,
    min: Option<u64>,
    max: Option<u64>,
    pub est: Rfc6298,
}

impl RttAcc {
    /// Frees the kept samples' spare capacity, down to their count or
    /// `keep` if more.
    pub fn shrink_to(&mut self, keep: usize) {
        self.kept.shrink_to(keep);
    }

    pub fn add(&mut self, ns: u64) {
        if self.stride == 0 {
            self.stride = 1;
        }
        if self.count.is_multiple_of(self.stride) {
            if self.kept.len() >= MAX_SAMPLES {
                let mut i = 0;
                self.kept.retain(|_| {
                    i += 1;
                    i % 2 == 1
                });
                self.stride = self.stride.saturating_mul(2);
            }
            if self.count.is_multiple_of(self.stride) {
                self.kept.push(ns);
            }
        }
        self.count += 1;
        self.min = Some(self.min.map_or(ns, |m| m.min(ns)));
        self.max = Some(self.max.map_or(ns, |m| m.max(ns)));
        self.est.sample(ns as f64 / 1e9);
    }

    /// The statistics, the RFC 6298 replay bounded by `rule` (the kept
    /// samples are reordered where they are: the accumulator is done).
    pub fn summary(&mut self, rule: RtoRule) -> RttSummary {
        let (median, p95) = median_and_p95(self.kept.as_mut_slice());
        RttSummary {
            samples: self.count,
            min_ns: self.min,
            median_ns: median,
            p95_ns: p95,
            max_ns: self.max,
            srtt_ns: self.est.srtt.map(ns),
            rttvar_ns: self.est.srtt.map(|_| ns(self.est.rttvar)),
            rto_ns: self.est.rto(rule).map(ns),
            rto_rule: rule,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc6298_by_hand() {
        // R1 = 100 ms: SRTT 100, RTTVAR 50, RTO 100 + 200 = 300 ms.
        let mut e = Rfc6298::default();
        e.sample(0.1);
        assert!((e.rto(RtoRule::Linux).unwrap() - 0.3).abs() < 1e-12);
        // R2 = 200 ms: RTTVAR = 0.75*50 + 0.25*|100-200| = 62.5; SRTT = 87.5 + 25 = 112.5;
        // RTO = 112.5 + 250 = 362.5 ms.
        e.sample(0.2);
        assert!((e.srtt.unwrap() - 0.1125).abs() < 1e-12);
        assert!((e.rttvar - 0.0625).abs() < 1e-12);
        assert!((e.rto(RtoRule::Linux).unwrap() - 0.3625).abs() < 1e-12);
    }

    #[test]
    fn tiny_rtts_hit_the_linux_floor() {
        let mut e = Rfc6298::default();
        for _ in 0..10 {
            e.sample(30e-6);
        }
        assert!(e.rto_unfloored().unwrap() < 0.001);
        assert_eq!(e.rto(RtoRule::Linux), Some(RTO_MIN_S));
        assert_eq!(e.rto(RtoRule::LinuxAssumed), Some(RTO_MIN_S));
        // Windows: RFC 6298's value itself, 30 us + 4 * 15 us = 90 us.
        assert!((e.rto(RtoRule::Unbounded).unwrap() - e.rto_unfloored().unwrap()).abs() < 1e-15);
    }

    #[test]
    fn bsd_adds_its_slop_and_caps_at_64_s() {
        // R = 10 ms: SRTT 10, RTTVAR 5, SRTT + 4 RTTVAR = 30 ms; FreeBSD and
        // macOS add tcp_rexmit_slop (200 ms): 230 ms, above the 30 ms floor.
        let mut e = Rfc6298::default();
        e.sample(0.010);
        assert!((e.rto(RtoRule::BsdApple).unwrap() - 0.230).abs() < 1e-12);
        // Linux clamps the same 30 ms to its 200 ms floor.
        assert!((e.rto(RtoRule::Linux).unwrap() - 0.200).abs() < 1e-12);
        // R = 40 s: 40 + 4 * 20 = 120 s, + 0.2: capped at TCPTV_REXMTMAX, 64 s
        // (Linux's TCP_RTO_MAX is 120 s).
        let mut e = Rfc6298::default();
        e.sample(40.0);
        assert_eq!(e.rto(RtoRule::BsdApple), Some(BSD_RTO_MAX_S));
        assert_eq!(e.rto(RtoRule::Linux), Some(RTO_MAX_S));
    }

    #[test]
    fn median_and_p95_by_selection_are_those_of_the_sorted_list() {
        // The oracle: the sorted list, read at the positions the definitions name.
        fn by_sorting(v: &[u64]) -> (Option<u64>, Option<u64>) {
            let mut s = v.to_vec();
            s.sort_unstable();
            let n = s.len();
            if n == 0 {
                return (None, None);
            }
            let median = if n % 2 == 1 {
                s[n / 2]
            } else {
                let (a, b) = (s[n / 2 - 1], s[n / 2]);
                a / 2 + b / 2 + (a % 2 + b % 2).div_ceil(2)
            };
            (Some(median), Some(s[(n * 95).div_ceil(100).max(1) - 1]))
        }
        // A fixed pseudo-random sequence with repeats (xorshift).
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        for n in 0..=70 {
            let v: Vec<u64> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x % 50
                        + if x.is_multiple_of(7) {
                            u64::MAX - 100
                        } else {
                            0
                        }
                })
                .collect();
            let mut w = v.clone();
            assert_eq!(median_and_p95(&mut w), by_sorting(&v), "n = {n}");
        }
    }

    #[test]
    fn stats_and_bounded_memory() {
        let mut a = RttAcc::default();
        for ms in 1..=100u64 {
            a.add(ms * 1_000_000);
        }
        let s = a.summary(RtoRule::Linux);
        assert_eq!(s.samples, 100);
        assert_eq!(s.min_ns, Some(1_000_000));
        assert_eq!(s.max_ns, Some(100_000_000));
        // Median of 1..=100 ms is 50.5 ms; nearest-rank p95 is the 95th value, 95 ms.
        assert_eq!(s.median_ns, Some(50_500_000));
        assert_eq!(s.p95_ns, Some(95_000_000));
        let mut b = RttAcc::default();
        for i in 0..(10 * MAX_SAMPLES as u64) {
            b.add(i);
        }
        assert!(b.kept.len() <= MAX_SAMPLES);
        assert_eq!(b.summary(RtoRule::Linux).samples, 10 * MAX_SAMPLES as u64);
    }
}

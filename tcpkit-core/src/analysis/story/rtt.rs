//! RTT samples per direction and an RFC 6298 estimator replayed over them.
//!
//! RFC 6298 2.2: "When the first RTT measurement R is made, the host MUST set
//! SRTT <- R, RTTVAR <- R/2, RTO <- SRTT + max (G, K*RTTVAR) where K = 4."
//! 2.3: "RTTVAR <- (1 - beta) * RTTVAR + beta * |SRTT - R'|,
//! SRTT <- (1 - alpha) * SRTT + alpha * R'" with alpha = 1/8, beta = 1/4.
//! 2.4 asks for a 1 s minimum RTO; Linux uses 200 ms (`TCP_RTO_MIN`), which is
//! what is applied here, and caps the RTO at 120 s (`TCP_RTO_MAX`).

use super::types::RttSummary;

/// Samples kept exactly; beyond this a uniform subsample (every 2^k-th) is kept.
pub const MAX_SAMPLES: usize = 1024;
/// Linux's RTO floor, s.
pub const RTO_MIN_S: f64 = 0.2;
/// Linux's RTO ceiling, s.
pub const RTO_MAX_S: f64 = 120.0;

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

    /// The RTO with Linux's floor and ceiling, s.
    pub fn rto(&self) -> Option<f64> {
        self.rto_unfloored().map(|r| r.clamp(RTO_MIN_S, RTO_MAX_S))
    }
}

/// Seconds to whole nanoseconds (negative and NaN: 0).
fn ns(s: f64) -> u64 {
    (s * 1e9).round() as u64
}

/// Accumulates one direction's samples with bounded memory.
#[derive(Debug, Clone, Default)]
pub(crate) struct RttAcc {
    kept: Vec<u64>,
    stride: u64,
    count: u64,
    min: Option<u64>,
    max: Option<u64>,
    pub est: Rfc6298,
}

impl RttAcc {
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

    pub fn summary(&self) -> RttSummary {
        let mut v = self.kept.clone();
        v.sort_unstable();
        let median = match v.len() {
            0 => None,
            n if n % 2 == 1 => v.get(n / 2).copied(),
            // The mean of the middle two, rounded half up.
            n => match (v.get(n / 2 - 1), v.get(n / 2)) {
                (Some(&a), Some(&b)) => Some(a / 2 + b / 2 + (a % 2 + b % 2).div_ceil(2)),
                _ => None,
            },
        };
        // Nearest rank: the smallest value with at least 95 % of samples at or below it.
        let p95 = if v.is_empty() {
            None
        } else {
            let rank = (v.len() * 95).div_ceil(100).max(1);
            v.get(rank - 1).copied()
        };
        RttSummary {
            samples: self.count,
            min_ns: self.min,
            median_ns: median,
            p95_ns: p95,
            max_ns: self.max,
            srtt_ns: self.est.srtt.map(ns),
            rttvar_ns: self.est.srtt.map(|_| ns(self.est.rttvar)),
            rto_ns: self.est.rto().map(ns),
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
        assert!((e.rto().unwrap() - 0.3).abs() < 1e-12);
        // R2 = 200 ms: RTTVAR = 0.75*50 + 0.25*|100-200| = 62.5; SRTT = 87.5 + 25 = 112.5;
        // RTO = 112.5 + 250 = 362.5 ms.
        e.sample(0.2);
        assert!((e.srtt.unwrap() - 0.1125).abs() < 1e-12);
        assert!((e.rttvar - 0.0625).abs() < 1e-12);
        assert!((e.rto().unwrap() - 0.3625).abs() < 1e-12);
    }

    #[test]
    fn tiny_rtts_hit_the_linux_floor() {
        let mut e = Rfc6298::default();
        for _ in 0..10 {
            e.sample(30e-6);
        }
        assert!(e.rto_unfloored().unwrap() < 0.001);
        assert_eq!(e.rto(), Some(RTO_MIN_S));
    }

    #[test]
    fn stats_and_bounded_memory() {
        let mut a = RttAcc::default();
        for ms in 1..=100u64 {
            a.add(ms * 1_000_000);
        }
        let s = a.summary();
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
        assert_eq!(b.summary().samples, 10 * MAX_SAMPLES as u64);
    }
}

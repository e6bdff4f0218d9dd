//! Kernel settings a capture reveals, only when its trains support them.
//!
//! Rules (Linux; other stacks space their retransmissions differently and get
//! no inference beyond the initial RTO). They apply to a side whose stack
//! ([`Story::stack`]) reads as Linux, or is unknown while the schedule fits
//! Linux's rules (then a [`Caveat::StackAssumedLinux`] says so); a side that
//! reads as Windows or FreeBSD / macOS gets none of Linux's settings:
//! * SYN train, no answer: the first interval is the initial RTO (Linux
//!   `TCP_TIMEOUT_INIT`, 1 s since 3.1; RFC 6298 2.1). Linux >= 6.5 keeps the
//!   RTO constant for the first `tcp_syn_linear_timeouts` retransmissions, so
//!   `k` equal intervals followed by doubling mean `tcp_syn_linear_timeouts = k - 1`;
//!   doubling from the start means 0 (or a kernel before 6.5). A SYN_SENT
//!   socket sends `1 + tcp_syn_linear_timeouts + tcp_syn_retries` SYNs
//!   (`tcp_write_timeout`: retransmits >= retries + linear gives up), so the
//!   retries follow from the count, provided the last SYN seen was the last sent.
//! * SYN-ACK train, unanswered, not provoked by retransmitted SYNs: doubling
//!   from 1 s, `1 + tcp_synack_retries` SYN-ACKs (no linear phase for SYN_RECV).
//! * Data / FIN trains whose first timeout is ~200 ms while the RFC 6298
//!   estimator over the RTT samples gives far less: the RTO floor (Linux
//!   `TCP_RTO_MIN` / `tcp_rto_min`, 200 ms).

use super::stack::{Stack, backoff_fits};
use super::trains::{Shape, intervals_s, secs, shape};
use super::types::{
    Caveat, Inferred, Outcome, Setting, Side, Story, TcpState, Train, TrainKind, Verdict,
};
use crate::analysis::Connection;
use crate::flow::Direction;

/// Rounds a measured timeout (s) to ns: to 0.1 s from 0.5 s up (Linux timers
/// fire a few jiffies late), else to 10 ms.
fn round2(x: f64) -> u64 {
    if x >= 0.5 {
        ((x * 10.0).round() as u64).saturating_mul(100_000_000)
    } else {
        ((x * 100.0).round().max(0.0) as u64).saturating_mul(10_000_000)
    }
}

/// The interval after which the next send of `iv`'s train would have been due.
fn next_due(iv: &[f64], linear_left: bool) -> Option<f64> {
    let last = *iv.last()?;
    Some(if linear_left {
        last
    } else {
        (last * 2.0).min(120.0)
    })
}

/// Whether silence after the last send is proven (the capture went on past the
/// next due send) and the caveat if it is not.
fn silence(t: &Train, iv: &[f64], capture_last_ts_ns: i64, setting: Setting) -> Option<Caveat> {
    let last = *t.ts_ns.last()?;
    let due = next_due(iv, false)?;
    let after_ns = capture_last_ts_ns.saturating_sub(last);
    if secs(after_ns) >= due {
        None
    } else {
        Some(Caveat::LastSendAssumed {
            setting,
            kind: t.kind,
            frame: t.frames.last().copied().unwrap_or(0),
            after_ns: after_ns.max(0) as u64,
            due_ns: (due * 1e9).round() as u64,
        })
    }
}

pub(crate) fn infer(
    rec: &Connection,
    s: &Story,
    syn_after_syn_ack: bool,
    unfloored_rto: [Option<f64>; 2],
    capture_last_ts_ns: i64,
) -> Inferred {
    let mut inf = Inferred::default();
    let stack_of = |side: Side| {
        s.stack
            .get(side)
            .as_ref()
            .map_or(Stack::Unknown, |g| g.stack)
    };
    // Linux's rules apply to this side (and the caveat when that is assumed).
    let linux = |inf: &mut Inferred, side: Side, iv: &[f64]| match stack_of(side) {
        Stack::Linux => true,
        Stack::Unknown if iv.is_empty() || backoff_fits(Stack::Linux, iv) => {
            let c = Caveat::StackAssumedLinux {
                side,
                bsd_fits_too: backoff_fits(Stack::BsdApple, iv),
            };
            if !inf.caveats.contains(&c) {
                inf.caveats.push(c);
            }
            true
        }
        _ => false,
    };
    let find = |kind: TrainKind, dir: Direction| {
        s.trains
            .iter()
            .find(|t| t.kind == kind && t.dir == dir && t.frames.len() >= 2 && t.more == 0)
    };
    // SYN retransmissions.
    if let Some(t) = find(TrainKind::Syn, Direction::ClientToServer) {
        let iv = &intervals_s(&t.ts_ns);
        if (matches!(
            shape(iv),
            Shape::Exponential | Shape::LinearThenExponential(_) | Shape::Linear
        ) || iv.len() == 1)
            && let Some(&first) = iv.first()
        {
            inf.initial_rto_ns = Some(round2(first));
        }
        let linear = match shape(iv) {
            Shape::Exponential => Some(0),
            Shape::LinearThenExponential(k) => Some((k as u32).saturating_sub(1)),
            _ => None,
        };
        if let Some(l) = linear
            && linux(&mut inf, Side::Client, iv)
        {
            inf.tcp_syn_linear_timeouts = Some(l);
            if l == 0 {
                inf.caveats.push(Caveat::SynLinearTimeoutsZero);
            }
            if rec.handshake.outcome == Outcome::NoAnswer {
                let sends = t.frames.len() as u32;
                inf.tcp_syn_retries = Some(sends.saturating_sub(1).saturating_sub(l));
                if let Some(c) = silence(t, iv, capture_last_ts_ns, Setting::TcpSynRetries) {
                    inf.caveats.push(c);
                }
            }
        }
    }
    // SYN-ACK retransmissions, timer-driven only.
    if let Some(t) = find(TrainKind::SynAck, Direction::ServerToClient) {
        let iv = &intervals_s(&t.ts_ns);
        let timer = matches!(shape(iv), Shape::Exponential) || (iv.len() == 1 && iv[0] >= 0.9);
        if timer && !syn_after_syn_ack {
            if inf.initial_rto_ns.is_none() {
                inf.initial_rto_ns = iv.first().map(|x| round2(*x));
            }
            if rec.handshake.outcome == Outcome::SynAckUnanswered
                && linux(&mut inf, Side::Server, iv)
            {
                inf.tcp_synack_retries = Some(t.frames.len() as u32 - 1);
                if let Some(c) = silence(t, iv, capture_last_ts_ns, Setting::TcpSynackRetries) {
                    inf.caveats.push(c);
                }
            }
        }
    }
    // FIN_WAIT2 ended before a RST the side sent in answer to the peer's FIN.
    for side in [Side::Client, Side::Server] {
        let st = s.states.get(side);
        let fw2 = st
            .iter()
            .find(|x| x.state == TcpState::FinWait2)
            .map(|x| x.t_ns);
        let closed_by_own_rst = st.last().is_some_and(|x| x.state == TcpState::Closed)
            && s.close.rst_by == Some(side)
            && !st.iter().any(|x| x.state == TcpState::TimeWait);
        if let (Some(t), true) = (fw2, closed_by_own_rst)
            && let Some(rst) = s.rst_ts_ns
        {
            inf.tcp_fin_timeout_max_ns = Some(round2(secs(rst.saturating_sub(t))));
            inf.caveats.push(Caveat::FinTimeoutBound { side });
        }
    }
    // The RTO floor.
    for t in &s.trains {
        if !matches!(t.kind, TrainKind::Data | TrainKind::Fin) {
            continue;
        }
        let first_rto = match t.verdict {
            Verdict::TailLossProbeThenExponentialBackoff | Verdict::TailLossProbeThenTimeout => {
                t.intervals_ns().nth(1)
            }
            Verdict::ExponentialBackoff | Verdict::Timeout => t.intervals_ns().next(),
            _ => None,
        };
        let Some(x) = first_rto.map(secs) else {
            continue;
        };
        let est = unfloored_rto[t.dir.index()]
            .or_else(|| rec.handshake.irtt_ns.map(|r| 3.0 * r as f64 / 1e9));
        if (0.19..=0.25).contains(&x)
            && est.is_some_and(|e| e < 0.1)
            && linux(&mut inf, Side::sender(t.dir), &[])
        {
            inf.rto_min_ns = Some(super::trains::LINUX_RTO_MIN_NS);
            break;
        }
    }
    inf
}

/// The times (last SYN, next SYN due) between which a close by the same
/// client host withdraws `tcp_syn_retries`: a SYN train that stopped while its
/// client host closed other connections may have stopped because the
/// application closed the connecting socket (Linux drops a SYN_SENT socket on
/// `close()` without sending anything), not because the retries ran out.
/// `None` when nothing was inferred.
pub(crate) fn syn_retries_window(s: &Story) -> Option<(i64, i64)> {
    s.inferred.tcp_syn_retries?;
    let t = s
        .trains
        .iter()
        .find(|t| t.kind == TrainKind::Syn && t.dir == Direction::ClientToServer)?;
    let (&last, due) = (t.ts_ns.last()?, next_due(&intervals_s(&t.ts_ns), false)?);
    Some((last, last.saturating_add((due * 1e9) as i64)))
}

/// Withdraws `tcp_syn_retries`: the client host closed another connection
/// `after_ns` after the last SYN.
pub(crate) fn withdraw_syn_retries(s: &mut Story, after_ns: i64) {
    s.inferred.tcp_syn_retries = None;
    s.inferred.caveats.retain(|c| {
        !matches!(
            c,
            Caveat::LastSendAssumed {
                setting: Setting::TcpSynRetries,
                ..
            }
        )
    });
    s.inferred.caveats.push(Caveat::SynRetriesWithdrawn {
        after_ns: after_ns.max(0) as u64,
    });
}

/// Keep-alive settings from one side's probes (Linux `tcp_keepalive_timer`): after
/// `keepalive_time` idle (counted from the last segment received) a probe; while
/// unanswered, one every `keepalive_intvl`; after `keepalive_probes` unanswered
/// probes and one more interval, a RST. Per-socket options (TCP_KEEPIDLE,
/// TCP_KEEPINTVL, TCP_KEEPCNT) override the sysctls.
pub(crate) fn keepalive(
    inf: &mut Inferred,
    after_answered: Option<i64>,
    after_unanswered: Option<i64>,
    gave_up: Option<(u32, i64)>,
) {
    if let Some(t) = after_answered {
        inf.keepalive_time_ns.get_or_insert(round2(secs(t)));
    }
    let intvl = after_unanswered.or(gave_up.map(|g| g.1));
    if let Some(t) = intvl {
        inf.keepalive_intvl_ns.get_or_insert(round2(secs(t)));
    }
    if let Some((n, wait)) = gave_up {
        // The RST follows the last probe by one interval: the probes ran out.
        if after_unanswered.is_none_or(|iv| super::trains::about_equal(secs(iv), secs(wait))) {
            inf.keepalive_probes.get_or_insert(n);
        }
    }
}

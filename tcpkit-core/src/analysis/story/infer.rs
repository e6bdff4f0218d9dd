//! Kernel settings a capture reveals, only when its trains support them.
//!
//! Rules (Linux; other stacks space their retransmissions differently and get
//! no inference beyond the initial RTO):
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

use super::trains::{Shape, secs, shape};
use super::types::{ConnectionStory, Inferred, Outcome, Side, TcpState, Train, TrainKind, Verdict};
use crate::flow::Direction;

/// Rounds a measured timeout: to 0.1 s from 0.5 s up (Linux timers fire a few
/// jiffies late), else to 10 ms.
fn round2(x: f64) -> f64 {
    if x >= 0.5 {
        (x * 10.0).round() / 10.0
    } else {
        (x * 100.0).round() / 100.0
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
/// next due send) and the caveat sentence if it is not.
fn silence(t: &Train, iv: &[f64], capture_last_ts_ns: i64, what: &str) -> Option<String> {
    let last = *t.ts_ns.last()?;
    let due = next_due(iv, false)?;
    let after = secs(capture_last_ts_ns.saturating_sub(last));
    if after >= due {
        None
    } else {
        Some(format!(
            "{what} assumes the last {} seen (frame {}) was the last one sent: the capture ends {:.1} s after it, \
             before another would have been due ({:.0} s)",
            match t.kind {
                TrainKind::Syn => "SYN",
                TrainKind::SynAck => "SYN-ACK",
                _ => "segment",
            },
            t.frames.last().copied().unwrap_or(0),
            after.max(0.0),
            due
        ))
    }
}

pub(crate) fn infer(
    s: &ConnectionStory,
    syn_after_syn_ack: bool,
    unfloored_rto: [Option<f64>; 2],
    capture_last_ts_ns: i64,
) -> Inferred {
    let mut inf = Inferred::default();
    let find = |kind: TrainKind, dir: Direction| {
        s.trains
            .iter()
            .find(|t| t.kind == kind && t.dir == dir && t.frames.len() >= 2 && t.more == 0)
    };
    // SYN retransmissions.
    if let Some(t) = find(TrainKind::Syn, Direction::ClientToServer) {
        let iv = &t.intervals_s;
        if matches!(
            shape(iv),
            Shape::Exponential | Shape::LinearThenExponential(_) | Shape::Linear
        ) || iv.len() == 1
        {
            if let Some(&first) = iv.first() {
                inf.initial_rto_s = Some(round2(first));
            }
        }
        let linear = match shape(iv) {
            Shape::Exponential => Some(0),
            Shape::LinearThenExponential(k) => Some((k as u32).saturating_sub(1)),
            _ => None,
        };
        if let Some(l) = linear {
            inf.tcp_syn_linear_timeouts = Some(l);
            if l == 0 {
                inf.caveats.push(
                    "tcp_syn_linear_timeouts=0: the SYN backoff doubles from the first retransmission, \
                     as Linux before 6.5 (which has no such setting) always does"
                        .into(),
                );
            }
            if s.handshake.outcome == Outcome::NoAnswer {
                let sends = t.frames.len() as u32;
                inf.tcp_syn_retries = Some(sends.saturating_sub(1).saturating_sub(l));
                if let Some(c) = silence(t, iv, capture_last_ts_ns, "tcp_syn_retries") {
                    inf.caveats.push(c);
                }
            }
        }
    }
    // SYN-ACK retransmissions, timer-driven only.
    if let Some(t) = find(TrainKind::SynAck, Direction::ServerToClient) {
        let iv = &t.intervals_s;
        let timer = matches!(shape(iv), Shape::Exponential) || (iv.len() == 1 && iv[0] >= 0.9);
        if timer && !syn_after_syn_ack {
            if inf.initial_rto_s.is_none() {
                inf.initial_rto_s = iv.first().map(|x| round2(*x));
            }
            if s.handshake.outcome == Outcome::SynAckUnanswered {
                inf.tcp_synack_retries = Some(t.frames.len() as u32 - 1);
                if let Some(c) = silence(t, iv, capture_last_ts_ns, "tcp_synack_retries") {
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
        if let (Some(t), true) = (fw2, closed_by_own_rst) {
            if let Some(rst) = s.rst_ts_ns {
                inf.tcp_fin_timeout_max_s = Some(round2(secs(rst.saturating_sub(t))));
                inf.caveats.push(format!(
                    "tcp_fin_timeout_max_s: the {} sat in FIN_WAIT2 and answered the peer's later segment with a RST, \
                     so its orphaned socket was dropped within that time (if the application had still held it, \
                     FIN_WAIT2 would have lasted)",
                    side.as_str()
                ));
            }
        }
    }
    // The RTO floor.
    for t in &s.trains {
        if !matches!(t.kind, TrainKind::Data | TrainKind::Fin) {
            continue;
        }
        let first_rto = match t.verdict {
            Verdict::TailLossProbeThenExponentialBackoff | Verdict::TailLossProbeThenTimeout => {
                t.intervals_s.get(1).copied()
            }
            Verdict::ExponentialBackoff | Verdict::Timeout => t.intervals_s.first().copied(),
            _ => None,
        };
        let Some(x) = first_rto else { continue };
        let est = unfloored_rto[t.dir.index()].or_else(|| s.handshake.irtt.map(|r| 3.0 * r));
        if (0.19..=0.25).contains(&x) && est.is_some_and(|e| e < 0.1) {
            inf.rto_min_s = Some(0.2);
            break;
        }
    }
    inf
}

/// Capture-wide second look at `tcp_syn_retries`: a SYN train that stopped while
/// the same client host closed other connections (a FIN or RST from it after the
/// last SYN, before the next SYN was due) may have stopped because the
/// application closed the connecting socket (Linux drops a SYN_SENT socket on
/// `close()` without sending anything), not because the retries ran out: the
/// inference is withdrawn. Returns whether anything changed.
pub(crate) fn withdraw_syn_retries_if_app_closed(
    s: &mut ConnectionStory,
    others: &[(std::net::IpAddr, i64)],
) -> bool {
    let Some((last, until)) = syn_retries_window(s) else {
        return false;
    };
    let Some(&(_, when)) = others
        .iter()
        .find(|(ip, at)| *ip == s.client.ip && *at > last && *at < until)
    else {
        return false;
    };
    withdraw_syn_retries(s, when.saturating_sub(last));
    true
}

/// The times (last SYN, next SYN due) between which a close by the client
/// host withdraws `tcp_syn_retries` (see [`withdraw_syn_retries_if_app_closed`]);
/// `None` when nothing was inferred.
pub(crate) fn syn_retries_window(s: &ConnectionStory) -> Option<(i64, i64)> {
    s.inferred.tcp_syn_retries?;
    let t = s
        .trains
        .iter()
        .find(|t| t.kind == TrainKind::Syn && t.dir == Direction::ClientToServer)?;
    let (&last, due) = (t.ts_ns.last()?, next_due(&t.intervals_s, false)?);
    Some((last, last.saturating_add((due * 1e9) as i64)))
}

/// Withdraws `tcp_syn_retries`: the client host closed another connection
/// `after_ns` after the last SYN.
pub(crate) fn withdraw_syn_retries(s: &mut ConnectionStory, after_ns: i64) {
    s.inferred.tcp_syn_retries = None;
    s.inferred
        .caveats
        .retain(|c| !c.starts_with("tcp_syn_retries assumes"));
    s.inferred.caveats.push(format!(
        "tcp_syn_retries not inferred: the client host closed another connection {:.1} s after the last SYN, \
         before the next SYN was due, so its application may have closed this connecting socket too",
        secs(after_ns)
    ));
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
        inf.keepalive_time_s.get_or_insert(round2(secs(t)));
    }
    let intvl = after_unanswered.or(gave_up.map(|g| g.1));
    if let Some(t) = intvl {
        inf.keepalive_intvl_s.get_or_insert(round2(secs(t)));
    }
    if let Some((n, wait)) = gave_up {
        // The RST follows the last probe by one interval: the probes ran out.
        if after_unanswered.is_none_or(|iv| super::trains::about_equal(secs(iv), secs(wait))) {
            inf.keepalive_probes.get_or_insert(n);
        }
    }
}

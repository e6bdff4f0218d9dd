//! What is worth saying about a connection, as an expert would pick it: codes
//! with their numbers, in the order they are told. [`crate::text`] words them.
//!
//! A note adds to the record's fields; it does not repeat them: the
//! handshake's RTT, the options, the RTT summaries, who closed first and the
//! states are fields (and lines of the connection's text) already.

use super::types::{Note, Outcome, Side, Story, TcpState, TrainKind, Verdict};
use crate::analysis::Connection;
use crate::flow::Direction;

/// The TIME_WAIT length Linux keeps (`TCP_TIMEWAIT_LEN`), ns.
const TIME_WAIT_NS: i64 = super::ss::TIME_WAIT_NS;

/// The notes of a finished story.
pub(crate) fn notes(rec: &Connection, s: &Story) -> Vec<Note> {
    // Sized for a short connection's notes: one allocation, no growth.
    let mut n = Vec::with_capacity(8);
    let hs = &rec.handshake;
    let train_of = |kind: TrainKind, dir: Direction| {
        s.trains.iter().position(|t| t.kind == kind && t.dir == dir)
    };
    match hs.outcome {
        Outcome::Established => {
            // Worth saying only when it is off: it caps the window at 64 KiB.
            let scaling =
                rec.scale_shift(Side::Client).is_some() && rec.scale_shift(Side::Server).is_some();
            if rec.options.client.is_some() && rec.options.server.is_some() && !scaling {
                n.push(Note::Options {
                    window_scaling: false,
                });
            }
        }
        Outcome::NoAnswer => {
            let train = train_of(TrainKind::Syn, Direction::ClientToServer);
            n.push(Note::SynNoAnswer {
                syns: u64::from(hs.syn.count),
                span_ns: train.map_or(0, |i| s.trains[i].span_ns().max(0) as u64),
                train,
                linear_timeouts: s.inferred.tcp_syn_linear_timeouts,
                syn_retries: s.inferred.tcp_syn_retries,
            });
        }
        Outcome::Refused => n.push(Note::Refused {
            port: rec.server.port,
        }),
        Outcome::SynAckUnanswered => n.push(Note::SynAckUnanswered {
            syn_acks: u64::from(hs.syn_ack.count),
            train: train_of(TrainKind::SynAck, Direction::ServerToClient),
            synack_retries: s.inferred.tcp_synack_retries,
        }),
        Outcome::Reset => n.push(Note::HandshakeReset),
        Outcome::Midstream => n.push(Note::Midstream),
        Outcome::Resumed => n.push(Note::Resumed),
    }
    // Each side's stack, where the story applies its rules: its SYN or
    // SYN-ACK backoff, or the RTO floor.
    for side in [Side::Client, Side::Server] {
        let backoff = s.stack.get(side).as_ref().is_some_and(|g| {
            g.evidence
                .iter()
                .any(|c| matches!(c, super::stack::Clue::SynBackoff { .. }))
        });
        let floor = s.inferred.rto_min_ns.is_some()
            && s.trains.iter().any(|t| {
                t.dir == side.sends() && matches!(t.kind, TrainKind::Data | TrainKind::Fin)
            });
        if (backoff || floor) && s.stack.get(side).is_some() {
            n.push(Note::Stack { side });
        }
    }
    // Retransmissions of data and FINs, probes, zero windows.
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let side = Side::sender(dir);
        let count = *rec.retransmissions.get(dir);
        let data = || {
            s.trains
                .iter()
                .enumerate()
                .filter(move |(_, t)| t.dir == dir && t.kind == TrainKind::Data)
        };
        let trains = data().count() as u64;
        if count > 0 && trains > 0 {
            let of = |vs: [Verdict; 2]| data().filter(|(_, t)| vs.contains(&t.verdict)).count();
            let fast = of([
                Verdict::FastRetransmit,
                Verdict::FastRetransmitThenExponentialBackoff,
            ]) as u64;
            let recovery = of([
                Verdict::LossRecovery,
                Verdict::LossRecoveryThenExponentialBackoff,
            ]) as u64;
            let timeouts = data()
                .filter(|(_, t)| {
                    matches!(
                        t.verdict,
                        Verdict::Timeout
                            | Verdict::ExponentialBackoff
                            | Verdict::TailLossProbeThenTimeout
                            | Verdict::TailLossProbeThenExponentialBackoff
                    )
                })
                .count() as u64;
            // The last of the longest, as `max_by_key` picks it.
            let longest = data()
                .max_by_key(|(_, t)| t.frames.len())
                .filter(|(_, t)| t.frames.len() > 2)
                .map(|(i, _)| i);
            n.push(Note::DataRetransmissions {
                side,
                segments: count,
                trains,
                fast,
                recovery,
                timeouts,
                longest,
            });
        }
        let repeated = |kind: TrainKind| {
            s.trains
                .iter()
                .enumerate()
                .filter(move |(_, t)| t.dir == dir && t.kind == kind && t.frames.len() > 1)
                .map(|(i, _)| i)
        };
        n.extend(repeated(TrainKind::Fin).map(|train| Note::FinResent { side, train }));
        n.extend(repeated(TrainKind::Probe).map(|train| Note::ZeroWindowProbes { side, train }));
        n.extend(repeated(TrainKind::Keepalive).map(|train| Note::KeepaliveProbes { side, train }));
        let zw = *rec.zero_window.get(dir);
        if zw > 0 {
            n.push(Note::ZeroWindow { side, count: zw });
        }
    }
    let inf = &s.inferred;
    if inf.keepalive_time_ns.is_some() || inf.keepalive_probes.is_some() {
        n.push(Note::Keepalive);
    }
    if let Some(f) = inf.rto_min_ns {
        n.push(Note::RtoFloor { rto_min_ns: f });
    }
    // The close.
    let cl = &s.close;
    let reached = |side: Side, st: TcpState| s.states.get(side).iter().any(|x| x.state == st);
    if cl.simultaneous {
        n.push(Note::SimultaneousClose {
            time_wait_both: reached(Side::Client, TcpState::TimeWait)
                && reached(Side::Server, TcpState::TimeWait),
        });
    }
    if let (Some(r), true) = (cl.rst_by, hs.outcome != Outcome::Refused) {
        let own_fin = s
            .trains
            .iter()
            .any(|t| t.kind == TrainKind::Fin && t.dir == r.sends())
            || cl.first_fin_by == Some(r)
            || (cl.first_fin_by.is_some() && reached(r, TcpState::FinWait1));
        let rst_t = s.rst_ts_ns.unwrap_or(rec.last_ts_ns);
        let fin_t = s
            .states
            .get(r)
            .iter()
            .find(|x| x.state == TcpState::FinWait1)
            .map(|x| x.t_ns);
        match (own_fin, fin_t) {
            (true, Some(f)) => n.push(Note::RstAfterOwnFin {
                side: r,
                after_ns: rst_t.saturating_sub(f).max(0) as u64,
            }),
            _ => n.push(Note::Reset { side: r }),
        }
    }
    if rec.evicted {
        n.push(Note::Evicted);
    }
    for side in [Side::Client, Side::Server] {
        if let Some(tw) = s
            .states
            .get(side)
            .iter()
            .find(|x| x.state == TcpState::TimeWait)
            && rec.last_ts_ns.saturating_sub(tw.t_ns) < TIME_WAIT_NS
        {
            n.push(Note::TimeWait {
                side,
                since_first_ns: tw.t_ns.saturating_sub(rec.first_ts_ns).max(0) as u64,
            });
        }
    }
    n
}

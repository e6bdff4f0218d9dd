//! Endpoint state machines (RFC 9293 3.3.2, Figure 5) replayed from what the
//! capture shows.
//!
//! A segment a side *sends* moves it at once (its SYN, SYN-ACK, FIN, RST).
//! A segment a side *receives* moves it when the capture proves the receipt:
//! the handshake ACK and any RST are taken as delivered when seen; a FIN only
//! when the receiver acknowledges it (a FIN seen at the capture point may still
//! be in flight, or be dropped, and a side that sends its own FIN without
//! acknowledging the peer's had not received it: simultaneous close). An ACK
//! of a side's FIN counts only if the side did not retransmit that FIN after it
//! (a retransmission proves the ACK never arrived).

use super::types::{Side, StateChange, States, TcpState};

/// One side's FIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FinInfo {
    /// First send (ns) and frame.
    pub t: i64,
    pub frame: u64,
    /// Relative sequence number of the first byte of the FIN's segment.
    pub seq: u64,
    /// Relative sequence number after the FIN (what an ACK of it carries).
    pub end: u64,
    /// The first FIN acknowledged the peer's FIN.
    pub acked_peer_fin: bool,
    /// Last (re)transmission time.
    pub last_t: i64,
}

/// The peer's acknowledgment of a side's FIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FinAck {
    pub t: i64,
    pub frame: u64,
    /// The acknowledging segment was the peer's own FIN.
    pub on_fin: bool,
}

/// What the state replay needs, per side (index = [`Side::index`]).
#[derive(Debug, Clone, Default)]
pub(crate) struct Events {
    pub syn_t: Option<i64>,
    pub syn_ack_t: Option<i64>,
    pub established_t: Option<i64>,
    /// Midstream: both sides assumed ESTABLISHED from the first segment.
    pub midstream_t: Option<i64>,
    pub fin: [Option<FinInfo>; 2],
    /// First segment by which the side acknowledged the peer's FIN (never reset).
    pub acked_peer_fin: [Option<i64>; 2],
    /// Effective acknowledgment of the side's FIN by the peer.
    pub fin_acked: [Option<FinAck>; 2],
    /// The latest acknowledgment of the side's FIN that a later retransmission of
    /// that FIN showed not yet received (it may have arrived after it).
    pub fin_acked_stale: [Option<FinAck>; 2],
    /// The side's FIN was queued behind data a zero window held back when it
    /// acknowledged the peer's FIN: its close may predate the peer's FIN.
    pub fin_queued: [bool; 2],
    pub rst: [Option<i64>; 2],
}

fn push(v: &mut States, state: TcpState, t_ns: i64) {
    if v.last().is_some_and(|l| l.state == state) {
        return;
    }
    let fits = v.push(StateChange { state, t_ns });
    debug_assert!(fits, "an endpoint goes through at most 5 states");
}

/// The state sequence of `side`.
pub(crate) fn replay(ev: &Events, side: Side) -> States {
    use TcpState::*;
    let me = side.index();
    let peer = side.peer().index();
    let mut v = States::new();
    // Opening.
    match side {
        Side::Client => {
            if let Some(t) = ev.syn_t {
                push(&mut v, SynSent, t);
            }
        }
        Side::Server => {
            if let Some(t) = ev.syn_ack_t {
                push(&mut v, SynRecv, t);
            }
        }
    }
    let open = if let Some(t) = ev.established_t {
        push(&mut v, Established, t);
        true
    } else if let Some(t) = ev.midstream_t {
        push(&mut v, Established, t);
        true
    } else {
        false
    };
    // Closing (only from a synchronized state).
    if open {
        let fin = ev.fin[me];
        let acked_peer = ev.acked_peer_fin[me];
        // An ACK the side had not received when it last re-sent its FIN may still have
        // arrived after that: no later than the retransmission as far as the capture knows.
        let acked_mine = ev.fin_acked[me].or_else(|| {
            let stale = ev.fin_acked_stale[me]?;
            Some(FinAck {
                t: stale.t.max(fin?.last_t),
                ..stale
            })
        });
        let active = match (fin, acked_peer) {
            (Some(f), Some(a)) => a > f.t || (a == f.t && !f.acked_peer_fin) || ev.fin_queued[me],
            (Some(_), None) => true,
            (None, _) => false,
        };
        if let (true, Some(f)) = (active, fin) {
            let t1 = if ev.fin_queued[me] {
                acked_peer.map_or(f.t, |a| a.min(f.t))
            } else {
                f.t
            };
            push(&mut v, FinWait1, t1);
            match (acked_mine, acked_peer) {
                (Some(m), Some(a)) if m.on_fin => push(&mut v, TimeWait, a.max(m.t)),
                (Some(m), Some(a)) if m.t <= a => {
                    push(&mut v, FinWait2, m.t);
                    push(&mut v, TimeWait, a);
                }
                (Some(m), Some(a)) => {
                    push(&mut v, Closing, a);
                    push(&mut v, TimeWait, m.t);
                }
                (Some(m), None) if !m.on_fin => push(&mut v, FinWait2, m.t),
                (None, Some(a)) => push(&mut v, Closing, a),
                _ => {}
            }
        } else if let Some(a) = acked_peer {
            push(&mut v, CloseWait, a);
            if let Some(f) = fin {
                push(&mut v, LastAck, f.t.max(a));
                if let Some(m) = acked_mine {
                    push(&mut v, Closed, m.t);
                }
            }
        }
    }
    // A RST closes whatever is open (RFC 9293 3.10.7.4), except TIME-WAIT, which
    // this replay keeps (Linux with tcp_rfc1337=0 would drop it: see docs/story.md).
    let rst = match (ev.rst[me], ev.rst[peer]) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    if let Some(t) = rst
        && !v.is_empty()
    {
        v.retain(|s| s.t_ns <= t);
        let last = v.last().map(|s| s.state);
        if !matches!(last, Some(TimeWait) | Some(Closed)) {
            push(&mut v, Closed, t);
        }
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;
    use TcpState::*;

    fn states(v: &[StateChange]) -> Vec<TcpState> {
        v.iter().map(|s| s.state).collect()
    }

    fn fin(t: i64, end: u64, acked_peer_fin: bool) -> Option<FinInfo> {
        Some(FinInfo {
            t,
            frame: t as u64,
            seq: end.saturating_sub(1),
            end,
            acked_peer_fin,
            last_t: t,
        })
    }

    fn ack(t: i64, on_fin: bool) -> Option<FinAck> {
        Some(FinAck {
            t,
            frame: t as u64,
            on_fin,
        })
    }

    fn opened() -> Events {
        Events {
            syn_t: Some(1),
            syn_ack_t: Some(2),
            established_t: Some(3),
            ..Default::default()
        }
    }

    #[test]
    fn the_longest_replays_fit_the_room() {
        // Every branch of the replay pushes at most five states (an opening
        // one, ESTABLISHED, three of the close; a RST's CLOSED replaces what
        // came after it): `States` has room for six. The longest each way:
        // t=10 client FIN, t=11 its ACK, t=20 server RST (client: FIN_WAIT2
        // then CLOSED by the RST; server: CLOSE_WAIT, then CLOSED).
        let mut e = opened();
        e.fin[0] = fin(10, 14, false);
        e.fin_acked[0] = ack(11, false);
        e.acked_peer_fin[1] = Some(11);
        e.rst[1] = Some(20);
        let client = replay(&e, Side::Client);
        assert_eq!(
            states(&client),
            [SynSent, Established, FinWait1, FinWait2, Closed]
        );
        assert!(client.len() < States::CAPACITY);
        assert_eq!(
            states(&replay(&e, Side::Server)),
            [SynRecv, Established, CloseWait, Closed]
        );
    }

    #[test]
    fn three_packet_close() {
        // t=10 client FIN; t=11 server FIN+ACK (acks the client's FIN); t=12 client ACK.
        let mut e = opened();
        e.fin[0] = fin(10, 14, false);
        e.fin[1] = fin(11, 2, true);
        e.acked_peer_fin[1] = Some(11);
        e.fin_acked[0] = ack(11, true);
        e.acked_peer_fin[0] = Some(12);
        e.fin_acked[1] = ack(12, false);
        // Client: FIN_WAIT1, then the FIN+ACK takes it straight to TIME_WAIT.
        assert_eq!(
            states(&replay(&e, Side::Client)),
            [SynSent, Established, FinWait1, TimeWait]
        );
        // Server: CLOSE_WAIT and LAST_ACK at once (its FIN rides on the ACK), then CLOSED.
        assert_eq!(
            states(&replay(&e, Side::Server)),
            [SynRecv, Established, CloseWait, LastAck, Closed]
        );
    }

    #[test]
    fn four_packet_close_server_first() {
        // t=10 server FIN; t=11 client ACK; t=20 client FIN; t=21 server ACK.
        let mut e = opened();
        e.fin[1] = fin(10, 30, false);
        e.acked_peer_fin[0] = Some(11);
        e.fin_acked[1] = ack(11, false);
        e.fin[0] = fin(20, 14, true);
        e.acked_peer_fin[1] = Some(21);
        e.fin_acked[0] = ack(21, false);
        assert_eq!(
            states(&replay(&e, Side::Server)),
            [SynRecv, Established, FinWait1, FinWait2, TimeWait]
        );
        assert_eq!(
            states(&replay(&e, Side::Client)),
            [SynSent, Established, CloseWait, LastAck, Closed]
        );
    }

    #[test]
    fn simultaneous_close_goes_through_closing() {
        // Server FIN at 10; client FIN at 15 not acknowledging it; server acks the
        // client's FIN at 16 (its own FIN still unacknowledged): server CLOSING; the
        // client acks the server's FIN at 17 before its own FIN is acknowledged (the
        // server's ACK at 16 was dropped, the client re-sent its FIN at 18): client
        // CLOSING; the server's ACK at 19 after that retransmission: client TIME_WAIT.
        let mut e = opened();
        e.fin[1] = fin(10, 18, false);
        e.fin[0] = fin(15, 15, false);
        e.acked_peer_fin[1] = Some(16);
        e.acked_peer_fin[0] = Some(17);
        e.fin_acked[1] = ack(17, false);
        e.fin_acked[0] = ack(19, false);
        assert_eq!(
            states(&replay(&e, Side::Client)),
            [SynSent, Established, FinWait1, Closing, TimeWait]
        );
        assert_eq!(
            states(&replay(&e, Side::Server)),
            [SynRecv, Established, FinWait1, Closing, TimeWait]
        );
    }

    #[test]
    fn rst_closes_and_refused_server_has_no_states() {
        // Refused: SYN at 1, RST from the "server" at 2: the client goes SYN_SENT ->
        // CLOSED; the server never had a socket.
        let e = Events {
            syn_t: Some(1),
            rst: [None, Some(2)],
            ..Default::default()
        };
        assert_eq!(states(&replay(&e, Side::Client)), [SynSent, Closed]);
        assert!(replay(&e, Side::Server).is_empty());
        // FIN_WAIT1 whose FIN is never acknowledged, then the client's RST.
        let mut e = opened();
        e.fin[0] = fin(10, 14, false);
        e.fin[1] = fin(20, 1, false);
        e.rst[0] = Some(21);
        assert_eq!(
            states(&replay(&e, Side::Client)),
            [SynSent, Established, FinWait1, Closed]
        );
        // The server sent its FIN without having received the client's: FIN_WAIT1.
        assert_eq!(
            states(&replay(&e, Side::Server)),
            [SynRecv, Established, FinWait1, Closed]
        );
    }

    #[test]
    fn half_close_left_open() {
        // Client FIN at 10 acknowledged at 11; the server never closes: FIN_WAIT2 vs CLOSE_WAIT.
        let mut e = opened();
        e.fin[0] = fin(10, 14, false);
        e.acked_peer_fin[1] = Some(11);
        e.fin_acked[0] = ack(11, false);
        assert_eq!(
            states(&replay(&e, Side::Client)),
            [SynSent, Established, FinWait1, FinWait2]
        );
        assert_eq!(
            states(&replay(&e, Side::Server)),
            [SynRecv, Established, CloseWait]
        );
    }
}

//! Hand-built segment sequences with the expected story reasoned in each test.

use super::testutil::*;
use super::*;
use crate::analysis::AnalysisFlags;
use crate::flow::ConnId;
use crate::wire::TcpFlags;

#[test]
fn syn_sent_timeout_linux_6_5_defaults() {
    // The brief's example: 11 SYNs at 0,1,2,3,4,5,7,11,19,35,67 s. Intervals 1 s five
    // times (initial RTO + 4 linear retransmissions) then 2,4,8,16,32: Linux >= 6.5 with
    // tcp_syn_linear_timeouts=4; 11 = 1 + 4 + tcp_syn_retries, so tcp_syn_retries=6.
    let mut c = Conn::new();
    let times = [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67];
    for t in times {
        c.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    }
    // The capture went on 70 s after the last SYN: longer than the 64 s a 12th would need.
    let st = c.finish(137 * S);
    assert_eq!(st.handshake.outcome, Outcome::NoAnswer);
    assert_eq!(st.handshake.syn.count, 11);
    let t = &st.s().trains[0];
    assert_eq!((t.kind, t.dir), (TrainKind::Syn, C2S));
    assert_eq!(t.verdict, Verdict::LinearThenExponentialBackoff);
    assert_eq!(t.offsets_ns().last(), Some(67 * S));
    assert_eq!(st.s().inferred.tcp_syn_linear_timeouts, Some(4));
    assert_eq!(st.s().inferred.tcp_syn_retries, Some(6));
    assert_eq!(st.s().inferred.initial_rto_ns, Some(1_000_000_000));
    assert!(
        st.s().inferred.caveats.is_empty(),
        "{:?}",
        st.s().inferred.caveats
    );
    assert_eq!(states(&st.s().states.client), [TcpState::SynSent]);
    assert!(st.s().states.server.is_empty());
    assert_eq!(st.options.client.and_then(|o| o.mss), Some(8460));
    assert!(
        matches!(
            st.s().notes[0],
            Note::SynNoAnswer {
                syns: 11,
                linear_timeouts: Some(4),
                syn_retries: Some(6),
                ..
            }
        ),
        "{:?}",
        st.s().notes[0]
    );
    // The sentence says what the numbers say.
    let said = &crate::text::notes(&st)[0];
    assert!(said.contains("11 SYNs"), "{said}");
    assert!(said.contains("tcp_syn_retries=6"), "{said}");
}

#[test]
fn syn_retries_inference_says_what_it_assumes() {
    // Same train but the capture stops 5 s after the last SYN: the count is still
    // reported (the SYN count of the defaults) with a caveat naming the assumption.
    let mut c = Conn::new();
    for t in [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67] {
        c.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    }
    let st = c.finish(72 * S);
    assert_eq!(st.s().inferred.tcp_syn_retries, Some(6));
    assert_eq!(st.s().inferred.caveats.len(), 1);
    assert!(matches!(
        st.s().inferred.caveats[0],
        Caveat::LastSendAssumed {
            setting: Setting::TcpSynRetries,
            frame: 11,
            // The capture ends 5 s after the last SYN; the next was due 64 s after it.
            after_ns: 5_000_000_000,
            due_ns: 64_000_000_000,
            ..
        }
    ));
}

#[test]
fn pre_6_5_kernel_doubles_from_the_start() {
    // Linux < 6.5, tcp_syn_retries=6: 7 SYNs at 0,1,3,7,15,31,63 s.
    let mut c = Conn::new();
    for t in [0, 1, 3, 7, 15, 31, 63] {
        c.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    }
    let st = c.finish(200 * S);
    assert_eq!(st.s().trains[0].verdict, Verdict::ExponentialBackoff);
    assert_eq!(st.s().inferred.tcp_syn_linear_timeouts, Some(0));
    assert_eq!(st.s().inferred.tcp_syn_retries, Some(6));
}

#[test]
fn syn_answered_late_gives_no_retries() {
    // Three SYNs (0, 1, 2 s: still linear) then a SYN-ACK: the retries setting is not
    // revealed, nor the linear count (no doubling seen).
    let mut c = Conn::new();
    for t in [0, 1, 2] {
        c.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    }
    c.seg(2 * S + MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(2 * S + 2 * MS, C2S, A, 1, 1, 0, &[]);
    let st = c.finish(3 * S);
    assert_eq!(st.handshake.outcome, Outcome::Established);
    assert_eq!(st.s().inferred.tcp_syn_retries, None);
    assert_eq!(st.s().inferred.tcp_syn_linear_timeouts, None);
    assert_eq!(st.s().inferred.initial_rto_ns, Some(1_000_000_000));
}

#[test]
fn syn_ack_retries() {
    // One nmap SYN, 6 SYN-ACKs at 0,1,3,7,15,31 s (doubling from 1 s): 1 + 5 retries.
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &MSS_ONLY);
    for t in [0, 1, 3, 7, 15, 31] {
        c.seg(t * S + MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    }
    let st = c.finish(100 * S);
    assert_eq!(st.handshake.outcome, Outcome::SynAckUnanswered);
    assert_eq!(st.handshake.syn_ack.count, 6);
    assert_eq!(st.s().inferred.tcp_synack_retries, Some(5));
    assert_eq!(states(&st.s().states.server), [TcpState::SynRecv]);
    // nmap's SYN had no window scale: scaling is off for both.
    assert_eq!(st.window_scale.client, None);
    assert_eq!(st.s().implied_mtu.client, Some(1500));
    let t = st
        .s()
        .trains
        .iter()
        .find(|t| t.kind == TrainKind::SynAck)
        .unwrap();
    assert_eq!(t.verdict, Verdict::ExponentialBackoff);
}

#[test]
fn syn_acks_answering_retransmitted_syns_reveal_nothing() {
    // The server re-sends its SYN-ACK because the client's SYNs keep coming: not a timer.
    let mut c = Conn::new();
    for t in [0, 1, 3] {
        c.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
        c.seg(t * S + MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    }
    let st = c.finish(100 * S);
    assert_eq!(st.s().inferred.tcp_synack_retries, None);
}

/// Handshake, 13 bytes from the client, three-packet close started by the client.
fn handshake_close() -> Connection {
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(12_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(25_000, C2S, A, 1, 1, 0, &[]);
    c.seg(MS, C2S, A | TcpFlags::PSH, 1, 1, 13, &[]);
    c.seg(MS + 10_000, S2C, A, 1, 14, 0, &[]);
    c.seg(2 * MS, C2S, F | A, 14, 1, 0, &[]);
    c.seg(2 * MS + 20_000, S2C, F | A, 1, 15, 0, &[]);
    c.seg(2 * MS + 40_000, C2S, A, 15, 2, 0, &[]);
    c.finish(2 * MS + 40_000)
}

#[test]
fn three_packet_close() {
    let st = handshake_close();
    assert_eq!(st.handshake.outcome, Outcome::Established);
    assert_eq!(st.handshake.ack_frame, Some(3));
    // No irtt from the facts: first SYN to the third packet, 25 µs.
    assert_eq!(st.handshake.irtt_ns, Some(25_000));
    assert_eq!(st.window_scale.client, Some(10));
    assert_eq!(st.bytes.c2s, 13);
    assert_eq!(st.bytes.s2c, 0);
    assert_eq!(st.packets.c2s, 5);
    assert_eq!(st.s().close.first_fin_by, Some(Side::Client));
    assert!(st.s().close.piggybacked);
    assert!(!st.s().close.simultaneous);
    assert_eq!(st.s().close.rst_by, None);
    assert_eq!(st.s().close.duration_ns, Some(40_000));
    use TcpState::*;
    assert_eq!(
        states(&st.s().states.client),
        [SynSent, Established, FinWait1, TimeWait]
    );
    assert_eq!(
        states(&st.s().states.server),
        [SynRecv, Established, CloseWait, LastAck, Closed]
    );
    assert!(st.s().trains.is_empty());
    // ss one second later: only the client's TIME_WAIT, 59 s left.
    let lines = ss::ss_at(&st, S);
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].state, TimeWait);
    assert_eq!(lines[0].timer.kind, ss::TimerKind::Timewait);
    // TIME_WAIT from 2.04 ms: 60 s - (1 s - 2.04 ms) left.
    assert_eq!(lines[0].timer.remaining_ns, Some(59_002_040_000));
    // ... and gone after 60 s.
    assert!(ss::ss_at(&st, 63 * S).is_empty());
}

#[test]
fn refused_and_reset() {
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(30_000, S2C, R | A, 0, 1, 0, &[]);
    let st = c.finish(S);
    assert_eq!(st.handshake.outcome, Outcome::Refused);
    assert_eq!(st.s().close.rst_by, Some(Side::Server));
    assert_eq!(
        states(&st.s().states.client),
        [TcpState::SynSent, TcpState::Closed]
    );
    assert!(st.s().states.server.is_empty());

    // SYN-ACK answered by the client's RST: reset.
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &MSS_ONLY);
    c.seg(30_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(60_000, C2S, R, 1, 0, 0, &[]);
    let st = c.finish(S);
    assert_eq!(st.handshake.outcome, Outcome::Reset);
    assert_eq!(
        states(&st.s().states.server),
        [TcpState::SynRecv, TcpState::Closed]
    );
}

#[test]
fn simultaneous_close_with_dropped_acks() {
    // Server FIN (seq 17) sent at 10 ms and re-sent at 220 ms; the client's FIN (seq 14)
    // crosses it at 300 ms without acknowledging it (ack 17, not 18); the server acks the
    // client's FIN (ack 15) at 301 ms; the client acks the server's FIN (ack 18) at
    // 302 ms. Both sent a FIN before acknowledging the other's: both go FIN_WAIT1 ->
    // CLOSING -> TIME_WAIT. Pure ACKs are dropped on both hosts: the client re-sends its
    // FIN at 400 ms (so the server's ACK at 301 ms never reached it; the one at 401 ms
    // counts) and the server re-sends its FIN at 500 ms (the client's ACK at 501 ms counts).
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(10_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(20_000, C2S, A, 1, 1, 0, &[]);
    c.seg(MS, C2S, A, 1, 1, 13, &[]);
    c.seg(2 * MS, S2C, A, 1, 14, 16, &[]);
    c.seg(3 * MS, C2S, A, 14, 17, 0, &[]);
    let retx = AnalysisFlags::RETRANSMISSION;
    c.seg(10 * MS, S2C, F | A, 17, 14, 0, &[]);
    c.seg_flagged(220 * MS, S2C, F | A, 17, 14, 0, &[], retx);
    c.seg(300 * MS, C2S, F | A, 14, 17, 0, &[]);
    c.seg(301 * MS, S2C, A, 18, 15, 0, &[]);
    c.seg(302 * MS, C2S, A, 15, 18, 0, &[]);
    c.seg_flagged(400 * MS, C2S, F | A, 14, 18, 0, &[], retx);
    c.seg(401 * MS, S2C, A, 18, 15, 0, &[]);
    c.seg_flagged(500 * MS, S2C, F | A, 17, 15, 0, &[], retx);
    c.seg(501 * MS, C2S, A, 15, 18, 0, &[]);
    let st = c.finish(600 * MS);
    assert!(st.s().close.simultaneous);
    assert_eq!(st.s().close.first_fin_by, Some(Side::Server));
    assert!(!st.s().close.piggybacked);
    use TcpState::*;
    let want = [SynSent, Established, FinWait1, Closing, TimeWait];
    assert_eq!(states(&st.s().states.client), want);
    assert_eq!(states(&st.s().states.server)[1..], want[1..]);
    let tw = st.s().states.server.last().unwrap();
    assert_eq!(tw.t_ns, 501 * MS);
    let fin = st
        .s()
        .trains
        .iter()
        .find(|t| t.kind == TrainKind::Fin && t.dir == S2C)
        .unwrap();
    assert_eq!(fin.frames.len(), 3);
    assert_eq!(
        fin.offsets_ns().collect::<Vec<_>>(),
        [0, 210 * MS, 490 * MS]
    );
    // ss at 250 ms: the server in FIN_WAIT1 with its timer on, next send 250 ms away, 1 retransmission so far.
    let l = ss::ss_at(&st, 250 * MS);
    let srv = l.iter().find(|x| x.side == Side::Server).unwrap();
    assert_eq!(srv.state, FinWait1);
    assert_eq!(srv.timer.kind, ss::TimerKind::On);
    assert_eq!(srv.timer.retrans, 1);
    assert_eq!(srv.timer.remaining_ns, Some(250_000_000));
}

#[test]
fn server_closes_first_and_client_half_close_left_open() {
    // Server FIN at 1 s, the client ACKs but never closes (CLOSE_WAIT forever).
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(10_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(20_000, C2S, A, 1, 1, 0, &[]);
    c.seg(S, S2C, F | A, 1, 1, 0, &[]);
    c.seg(S + 10_000, C2S, A, 1, 2, 0, &[]);
    let st = c.finish(20 * S);
    assert_eq!(st.s().close.first_fin_by, Some(Side::Server));
    assert!(st.s().close.half_close_left_open);
    use TcpState::*;
    assert_eq!(
        states(&st.s().states.server),
        [SynRecv, Established, FinWait1, FinWait2]
    );
    assert_eq!(
        states(&st.s().states.client),
        [SynSent, Established, CloseWait]
    );
}

#[test]
fn data_rto_train_and_rtt() {
    // Data 1..1001 sent at 0, re-sent at 210 ms and 630 ms (RTO, doubling), then acked.
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(10_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(20_000, C2S, A, 1, 1, 0, &[]);
    let retx = AnalysisFlags::RETRANSMISSION;
    c.seg(MS, C2S, A, 1, 1, 1000, &[]);
    c.seg_flagged(211 * MS, C2S, A, 1, 1, 1000, &[], retx);
    c.seg_flagged(631 * MS, C2S, A, 1, 1, 1000, &[], retx);
    c.seg(632 * MS, S2C, A, 1, 1001, 0, &[]);
    let st = c.finish(S);
    assert_eq!(st.retransmissions.c2s, 2);
    assert_eq!(st.bytes.c2s, 1000);
    let t = &st.s().trains[0];
    assert_eq!((t.kind, t.seq, t.frames.len()), (TrainKind::Data, 1, 3));
    // The original is the tail but a 210 ms wait followed by 420 ms is a timeout doubling.
    assert_eq!(t.verdict, Verdict::ExponentialBackoff);
    // RTO floor: first timeout 210 ms while the handshake RTT is 20 µs.
    assert_eq!(st.s().inferred.rto_min_ns, Some(200_000_000));
}

#[test]
fn fin_queued_behind_a_zero_window_is_an_active_close() {
    // The client's FIN arrives while it advertises a zero window; the server, with data
    // queued it cannot send, acks the FIN (ack 1001) at once; when the window reopens it
    // sends the queued data with its FIN on the last segment. Its FIN was queued behind
    // data the zero window held back: Linux (tcp_close on unsent data) was in FIN_WAIT1
    // already and goes CLOSING on the client's FIN, then TIME_WAIT on the final ACK,
    // which is what ss showed in the lab's small-transfer scenario.
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(10_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(20_000, C2S, A, 1, 1, 0, &[]);
    c.seg(MS, C2S, A, 1, 1, 1000, &[]);
    c.seg(2 * MS, S2C, A, 1, 1001, 500, &[]);
    c.win = 0;
    c.seg(3 * MS, C2S, F | A, 1001, 501, 0, &[]);
    c.win = 100;
    c.seg(3 * MS + 3_000, S2C, A, 501, 1002, 0, &[]);
    c.seg(9 * MS, C2S, A, 1002, 501, 0, &[]);
    c.seg(9 * MS + 30_000, S2C, F | A, 501, 1002, 700, &[]);
    c.seg(9 * MS + 60_000, C2S, A, 1002, 1202, 0, &[]);
    let st = c.finish(S);
    use TcpState::*;
    assert_eq!(
        states(&st.s().states.server),
        [SynRecv, Established, FinWait1, Closing, TimeWait]
    );
    assert_eq!(
        states(&st.s().states.client),
        [SynSent, Established, FinWait1, FinWait2, TimeWait]
    );
    // Without the zero window, the same exchange is a passive close.
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(10_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(20_000, C2S, A, 1, 1, 0, &[]);
    c.seg(3 * MS, C2S, F | A, 1, 1, 0, &[]);
    c.seg(3 * MS + 3_000, S2C, A, 1, 2, 0, &[]);
    c.seg(9 * MS + 30_000, S2C, F | A, 1, 2, 700, &[]);
    c.seg(9 * MS + 60_000, C2S, A, 2, 702, 0, &[]);
    let st = c.finish(S);
    assert_eq!(
        states(&st.s().states.server),
        [SynRecv, Established, CloseWait, LastAck, Closed]
    );
}

#[test]
fn fin_ack_seen_before_the_last_retransmission_counts_from_it() {
    // Client FIN at 0.1 s acked by the server at 0.101 s, but the client re-sends its FIN
    // at 0.3 s (the ACK had not reached it) and the capture shows no later ACK: the
    // client may have got that ACK after its retransmission, no earlier than 0.3 s.
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(10_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(20_000, C2S, A, 1, 1, 0, &[]);
    c.seg(100 * MS, C2S, F | A, 1, 1, 0, &[]);
    c.seg(101 * MS, S2C, A, 1, 2, 0, &[]);
    c.seg_flagged(
        300 * MS,
        C2S,
        F | A,
        1,
        1,
        0,
        &[],
        AnalysisFlags::RETRANSMISSION,
    );
    let st = c.finish(S);
    let fw2 = st.s().states.client.last().unwrap();
    assert_eq!((fw2.state, fw2.t_ns), (TcpState::FinWait2, 300 * MS));
}

mod fuzz {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// No sequence of segments (any flags, numbers, analysis flags, clock jumps)
        /// makes the story panic, and the results stay within their bounds.
        #[test]
        fn never_panics(segs in proptest::collection::vec(
            (any::<i64>(), any::<bool>(), 0u16..0x200, any::<u64>(), any::<u64>(), 0u32..70_000, any::<u32>(),
             proptest::option::of(any::<u64>())),
            0..200),
            at in any::<i64>())
        {
            let mut b = StoryBuilder::new();
            let mut tally = crate::analysis::Tally::new();
            let opts = LINUX_SYN_OPTS;
            for (i, (ts, c2s, flags, seq, ack, len, an, rtt)) in segs.into_iter().enumerate() {
                let mut c = Conn::new();
                // Reuse the helper's segment shape, feeding our own builder.
                let dir = if c2s { C2S } else { S2C };
                c.frame = i as u64;
                let seg_opts: &[u8] = if flags & SY != 0 { &opts } else { &[] };
                let (seg, mut facts) = c.parts(dir, flags, seq, ack, len, seg_opts, an);
                facts.ack_rtt_ns = rtt;
                facts.acks_frame = rtt.map(|_| i as u64 / 2);
                b.observe(i as u64, ts, &seg, &facts);
                tally.observe(i as u64, ts, &seg, &facts);
            }
            let st = tally.finish_with_story(
                ConnId(7),
                crate::analysis::EndReason::EndOfCapture,
                Some(b),
                at,
            );
            prop_assert!(st.s().trains.len() <= MAX_TRAINS);
            prop_assert!(st.s().trains.iter().all(|t| t.frames.len() <= MAX_SENDS));
            let _ = ss::ss_at(&st, at);
            let mut d = crate::report::Diagnostics::new();
            d.add(&st);
            let _ = d.finish();
        }
    }
}

#[test]
fn rst_after_fin_wait2_bounds_tcp_fin_timeout() {
    // The client closes at 1 s (FIN acked at once: FIN_WAIT2 from 1.001 s); the server
    // closes at 16 s and the client answers with a RST: its orphaned FIN_WAIT2 socket
    // was gone, so tcp_fin_timeout < 16.001 - 1.001 = 15 s.
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(10_000, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(20_000, C2S, A, 1, 1, 0, &[]);
    c.seg(S, C2S, F | A, 1, 1, 0, &[]);
    c.seg(S + MS, S2C, A, 1, 2, 0, &[]);
    c.seg(16 * S, S2C, F | A, 1, 2, 0, &[]);
    c.seg(16 * S + MS, C2S, R, 2, 0, 0, &[]);
    let st = c.finish(17 * S);
    use TcpState::*;
    assert_eq!(
        states(&st.s().states.client),
        [SynSent, Established, FinWait1, FinWait2, Closed]
    );
    assert_eq!(st.s().inferred.tcp_fin_timeout_max_ns, Some(15_000_000_000));
    assert_eq!(st.s().close.rst_by, Some(Side::Client));
}

#[test]
fn cross_check_withdraws_syn_retries_when_the_host_was_closing() {
    // Connection A: SYNs at 0,1,2,3,4,5,7 s (4 linear, then doubling), nothing after.
    // Alone it would give tcp_syn_retries = 6 - 4 = 2. But the same client host closes
    // connection B at 9 s, before A's next SYN was due (7 + 4 = 11 s): A's train may
    // have stopped because the application closed its socket.
    let mut a = Conn::new();
    for t in [0, 1, 2, 3, 4, 5, 7] {
        a.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    }
    let mut b = Conn::new();
    b.cport = 50000;
    b.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    b.seg(MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    b.seg(2 * MS, C2S, A, 1, 1, 0, &[]);
    b.seg(9 * S, C2S, F | A, 1, 1, 0, &[]);
    let mut v = vec![a.finish(10 * S), b.finish(10 * S)];
    assert_eq!(v[0].s().inferred.tcp_syn_retries, Some(2));
    cross_check(&mut v);
    assert_eq!(v[0].s().inferred.tcp_syn_retries, None);
    assert_eq!(v[0].s().inferred.tcp_syn_linear_timeouts, Some(4));
    // Closing after the next SYN was due proves nothing about A: kept.
    let mut a = Conn::new();
    for t in [0, 1, 2, 3, 4, 5, 7] {
        a.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    }
    let mut b = Conn::new();
    b.cport = 50000;
    b.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    b.seg(MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    b.seg(2 * MS, C2S, A, 1, 1, 0, &[]);
    b.seg(12 * S, C2S, F | A, 1, 1, 0, &[]);
    let mut v = vec![a.finish(13 * S), b.finish(13 * S)];
    cross_check(&mut v);
    assert_eq!(v[0].s().inferred.tcp_syn_retries, Some(2));
}

#[test]
fn keepalive_probes_reveal_time_interval_and_count() {
    // Idle after the handshake and 10 bytes: probes (seq one below SND.NXT) at 10 s and
    // 20 s are answered; from 30 s the server is silent: probes at 30, 33, 36 s, then
    // the client's RST at 39 s. Linux: keepalive_time 10 s, keepalive_intvl 3 s,
    // keepalive_probes 3 (the RST comes one interval after the third unanswered probe).
    let mut c = Conn::new();
    c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
    c.seg(MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
    c.seg(2 * MS, C2S, A, 1, 1, 0, &[]);
    c.seg(3 * MS, C2S, A, 1, 1, 10, &[]);
    c.seg(4 * MS, S2C, A, 1, 11, 0, &[]);
    let ka = AnalysisFlags::KEEP_ALIVE;
    let ka_ack = AnalysisFlags::KEEP_ALIVE_ACK;
    c.seg_flagged(10 * S + 4 * MS, C2S, A, 10, 1, 0, &[], ka);
    c.seg_flagged(10 * S + 5 * MS, S2C, A, 1, 11, 0, &[], ka_ack);
    c.seg_flagged(20 * S + 5 * MS, C2S, A, 10, 1, 0, &[], ka);
    c.seg_flagged(20 * S + 6 * MS, S2C, A, 1, 11, 0, &[], ka_ack);
    for t in [30, 33, 36] {
        c.seg_flagged(t * S + 6 * MS, C2S, A, 10, 1, 0, &[], ka);
    }
    c.seg(39 * S + 6 * MS, C2S, R | A, 11, 1, 0, &[]);
    let st = c.finish(40 * S);
    assert_eq!(st.s().inferred.keepalive_time_ns, Some(10_000_000_000));
    assert_eq!(st.s().inferred.keepalive_intvl_ns, Some(3_000_000_000));
    assert_eq!(st.s().inferred.keepalive_probes, Some(3));
    let t = st
        .s()
        .trains
        .iter()
        .find(|t| t.kind == TrainKind::Keepalive)
        .unwrap();
    assert_eq!(t.frames.len(), 5);
    assert_eq!(st.s().close.rst_by, Some(Side::Client));
}

#[test]
fn window_scaling_off_is_worth_a_note_and_in_force_is_not() {
    // RFC 7323 2.2: scaling is in force only when both SYNs carry the option.
    // An nmap-like SYN (MSS only) against a Linux SYN-ACK: off, each window
    // at most 65,535 bytes: the note says so and why. Both Linux SYNs: in
    // force, which the options line already shows: no note.
    for (client_opts, off) in [(&MSS_ONLY[..], true), (&LINUX_SYN_OPTS[..], false)] {
        let mut c = Conn::new();
        c.seg(0, C2S, SY, 0, 0, 0, client_opts);
        c.seg(MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
        c.seg(2 * MS, C2S, A, 1, 1, 0, &[]);
        let r = c.finish(S);
        let noted = r.s().notes.contains(&Note::Options {
            window_scaling: false,
        });
        assert_eq!(noted, off);
        if off {
            let said = crate::text::notes(&r);
            assert!(
                said[0].starts_with(
                    "Window scaling is off (the client's SYN did not carry the option)"
                ),
                "{said:?}"
            );
        }
    }
}

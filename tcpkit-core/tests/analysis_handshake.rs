//! Hand-built handshakes: connection numbering, client/server, relative
//! numbers, window scaling and the initial RTT, with the expected answers
//! reasoned from tshark's rules (packet-tcp.c) and RFC 7323.

mod analysis_common;
use analysis_common::*;
use tcpkit_core::analysis::{AnalysisFlags, EndReason, WindowScale};
use tcpkit_core::flow::Direction;

#[test]
fn handshake_relative_numbers_scaling_and_irtt() {
    let mut r = Run::new();
    let isn_c = 1000;
    let isn_s = 5000;
    // SYN at 0 µs with wscale 7; SYN-ACK at 100 µs with wscale 2; ACK at 250 µs.
    let f1 = r.feed(0, &seg(C, S, isn_c, 0, SYN, 64240, 0).opts(&syn_opts(7)));
    assert_eq!(
        (f1.conn.0, f1.dir, f1.new_conn),
        (0, Direction::ClientToServer, true)
    );
    assert_eq!(f1.seq, 0, "ISN is the base: the SYN is relative 0");
    assert_eq!(f1.scale, None, "SYNs are never scaled");
    assert_eq!(f1.win_scaled, 64240);
    let f2 = r.feed(
        100,
        &seg(S, C, isn_s, isn_c + 1, SYN | ACK, 65160, 0).opts(&syn_opts(2)),
    );
    assert_eq!((f2.conn.0, f2.dir), (0, Direction::ServerToClient));
    assert_eq!((f2.seq, f2.ack), (0, 1));
    assert_eq!(f2.acks_frame, Some(1));
    assert_eq!(
        f2.ack_rtt_ns,
        Some(100_000),
        "SYN-ACK acknowledges the SYN 100 µs later"
    );
    assert_eq!(f2.irtt_ns, None);
    // First ACK: irtt = 250 µs (from the most recent SYN), client window scaled by 2^7.
    let f3 = r.feed(250, &seg(C, S, isn_c + 1, isn_s + 1, ACK, 502, 0));
    assert_eq!((f3.seq, f3.ack), (1, 1));
    assert_eq!(f3.scale, Some(WindowScale::Shift(7)));
    assert_eq!(f3.scale.unwrap().tshark_value(), 128);
    assert_eq!(f3.win_scaled, 502 * 128);
    assert_eq!(f3.irtt_ns, Some(250_000));
    assert_eq!(f3.ack_rtt_ns, Some(150_000));
    // Data from the server is scaled by its own shift (2).
    let f4 = r.feed(300, &seg(S, C, isn_s + 1, isn_c + 1, ACK | PSH, 1000, 10));
    assert_eq!(f4.win_scaled, 4000);
    assert_eq!(f4.next_seq, 11);
    assert_eq!(
        f4.irtt_ns,
        Some(250_000),
        "irtt is shown on every later segment"
    );
    assert_eq!(f4.bytes_in_flight, Some(10));
}

#[test]
fn retransmitted_syn_keeps_the_connection_and_irtt_uses_the_latest_syn() {
    let mut r = Run::new();
    r.feed(0, &seg(C, S, 77, 0, SYN, 1000, 0).opts(&syn_opts(7)));
    let f = r.feed(
        1_000_000,
        &seg(C, S, 77, 0, SYN, 1000, 0).opts(&syn_opts(7)),
    );
    assert_eq!(f.conn.0, 0, "same ISN: same connection");
    assert!(
        f.flags.has(AnalysisFlags::RETRANSMISSION),
        "a SYN at an old sequence number is a retransmission"
    );
    r.feed(
        1_000_200,
        &seg(S, C, 9, 78, SYN | ACK, 1000, 0).opts(&syn_opts(7)),
    );
    let f = r.feed(1_000_300, &seg(C, S, 78, 10, ACK, 1000, 0));
    assert_eq!(
        f.irtt_ns,
        Some(300_000),
        "from the second SYN, not the first"
    );
}

#[test]
fn window_scale_not_used_unless_both_sides_send_it() {
    let mut r = Run::new();
    r.feed(0, &seg(C, S, 1, 0, SYN, 1000, 0).opts(&syn_opts(7)));
    // SYN-ACK without the option: neither side scales (tshark -2).
    r.feed(
        10,
        &seg(S, C, 100, 2, SYN | ACK, 1000, 0).opts(&[2, 4, 5, 0xb4]),
    );
    let f = r.feed(20, &seg(C, S, 2, 101, ACK, 1000, 0));
    assert_eq!(f.scale, Some(WindowScale::NotUsed));
    assert_eq!(f.scale.unwrap().tshark_value(), -2);
    assert_eq!(f.win_scaled, 1000);
}

#[test]
fn midstream_scale_is_unknown_and_bases_are_guessed() {
    let mut r = Run::new();
    // No SYN: the first sender is the client, its base is seq - 1, the peer's ack - 1.
    let f = r.feed(0, &seg(S, C, 7000, 3000, ACK, 200, 100));
    assert_eq!((f.seq, f.ack, f.dir), (1, 1, Direction::ClientToServer));
    assert_eq!(f.scale, Some(WindowScale::Unknown));
    assert_eq!(f.scale.unwrap().tshark_value(), -1);
    assert_eq!(f.win_scaled, 200, "no factor is assumed");
    let f = r.feed(10, &seg(C, S, 3000, 7100, ACK, 300, 0));
    assert_eq!((f.seq, f.ack, f.dir), (1, 101, Direction::ServerToClient));
    let done = r.an.finish();
    let c = &done.connections[0];
    assert!(c.midstream);
    // The segments keep the analysis' orientation (the first sender's), the
    // record the guessed roles: port 80 is a service port, 40000 is not, so
    // the first sender is the server.
    assert_eq!((c.client.port, c.server.port), (C.1, S.1));
    assert_eq!(c.roles, tcpkit_core::analysis::RoleEvidence::ServicePort);
    assert_eq!((c.bytes.c2s, c.bytes.s2c), (0, 100));
}

/// Connection 0 from C to S: SYN (ISN 100), SYN-ACK (ISN 900), ACK, then
/// FIN, FIN-ACK, ACK, a segment every µs from 0 to 5.
fn handshake_and_close(r: &mut Run) {
    r.feed(0, &seg(C, S, 100, 0, SYN, 1000, 0));
    r.feed(1, &seg(S, C, 900, 101, SYN | ACK, 1000, 0));
    r.feed(2, &seg(C, S, 101, 901, ACK, 1000, 0));
    r.feed(3, &seg(C, S, 101, 901, ACK | FIN, 1000, 0));
    r.feed(4, &seg(S, C, 901, 102, ACK | FIN, 1000, 0));
    r.feed(5, &seg(C, S, 102, 902, ACK, 1000, 0));
}

#[test]
fn port_reuse_opens_the_next_connection() {
    let mut r = Run::new();
    handshake_and_close(&mut r);
    // Same 4-tuple, a SYN with another ISN: tshark's tcp.stream 1.
    let f = r.feed(10, &seg(C, S, 5555, 0, SYN, 1000, 0));
    assert_eq!((f.conn.0, f.new_conn, f.seq), (1, true, 0));
    assert!(f.flags.has(AnalysisFlags::REUSED_PORTS));
    let old =
        r.an.pop_finished()
            .expect("the old connection is handed out");
    assert_eq!((old.conn.0, old.end), (0, EndReason::PortReused));
    assert_eq!(
        (old.handshake.syn.count, old.handshake.syn.first),
        (1, Some(1))
    );
    assert_eq!(old.handshake.syn_ack.first, Some(2));
    assert_eq!(old.handshake.ack_frame, Some(3));
    assert_eq!(old.fin_frame.c2s, Some(4));
    assert_eq!(old.fin_frame.s2c, Some(5));
    assert_eq!(old.handshake.irtt_ns, Some(2_000));
    // The server's answer belongs to the new connection too.
    let f = r.feed(11, &seg(S, C, 77, 5556, SYN | ACK, 1000, 0));
    assert_eq!((f.conn.0, f.seq, f.ack), (1, 0, 1));
}

#[test]
fn a_closed_connection_is_handed_out_when_due_not_at_the_next_sweep() {
    // Times in µs. A whole handshake and close, each segment answered 1 µs
    // later: every ACK RTT is 1 µs, so the RTO bound of both sides is
    // 5 * (1 + 1) µs + 300 ms (Connection::closed_quiet_ns), three of them
    // 900.03 ms, below the 1-s floor: the connection, closed at its last
    // segment (5 µs), is due once the clock passes 1,000,005 µs.
    let mut r = Run::new();
    handshake_and_close(&mut r);
    // Another host's SYN (connection 1; its repeat, same ISN, is the same
    // connection) moves the clock: the sweep of idle connections runs (once
    // a second of capture time, from the first segment: at 1,000,000 µs),
    // but the closed connection is not due yet.
    const D: (&str, u16) = ("10.0.0.3", 40001);
    r.feed(1_000_004, &seg(D, S, 7, 0, SYN, 1000, 0));
    assert!(r.an.pop_finished().is_none(), "not due before 1,000,005 µs");
    r.feed(1_000_006, &seg(D, S, 7, 0, SYN, 1000, 0));
    let old = r.an.pop_finished().expect("due: handed out at once");
    assert_eq!((old.conn.0, old.end), (0, EndReason::Closed));
    // Half a second later, before the next sweep (2,000,000 µs), a SYN on the
    // same 4-tuple opens the next connection: the old one was handed out as
    // closed, not ended by the reuse, and its 4-tuple, remembered, still
    // flags the new SYN as tshark does (tcp.analysis.reused_ports).
    let f = r.feed(1_500_000, &seg(C, S, 5555, 0, SYN, 1000, 0));
    assert_eq!((f.conn.0, f.new_conn, f.seq), (2, true, 0));
    assert!(f.flags.has(AnalysisFlags::REUSED_PORTS));
    assert!(r.an.pop_finished().is_none());
}

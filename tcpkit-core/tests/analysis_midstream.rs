//! Two per-segment rules that only show on captures begun mid-stream or with
//! segments missing: SACK edges around the sequence base, and tshark 4.0.17's
//! "ACKed unseen segment" flagged once per loss. Each expected value is
//! reasoned in the test from tshark's rule (`epan/dissectors/packet-tcp.c`).
//! The same segments, written to a pcap and read by tshark 4.0.17 (Debian
//! 12's 4.0.17-0+deb12u3, the oracle's version), give the same answers.

mod analysis_common;
use analysis_common::*;
use tcpkit_core::analysis::{AnalysisFlags as F, SegmentFacts};
use tcpkit_core::wire::SeqNumber;

/// A SACK option (after two NOPs) with the given raw blocks.
fn sack(blocks: &[(u32, u32)]) -> Vec<u8> {
    let mut b = vec![1, 1, 5, 2 + 8 * blocks.len() as u8];
    for &(l, r) in blocks {
        b.extend_from_slice(&l.to_be_bytes());
        b.extend_from_slice(&r.to_be_bytes());
    }
    b
}

/// The relative edges of a segment's SACK blocks, as `segments --json` prints them.
fn rel_edges(f: &SegmentFacts, ack: u32, blocks: &[(u32, u32)]) -> Vec<(u64, u64)> {
    blocks
        .iter()
        .map(|&(l, r)| {
            (
                f.ack_space_rel(SeqNumber(l), SeqNumber(ack)),
                f.ack_space_rel(SeqNumber(r), SeqNumber(ack)),
            )
        })
        .collect()
}

const X: u32 = 1_000_000; // the server's sequence numbers
const A: u32 = 5_000; // the client's

#[test]
fn sack_edges_past_the_base_read_as_tshark_when_the_ack_is_before_it() {
    let mut r = Run::new();
    // Frame 1: the capture starts with the server's segment X+1000..X+1100
    // (X..X+1000 was lost before the capture point). Its base is one before
    // its first sequence number: X+999 (tshark: `base_seq = seq - 1`).
    r.feed(0, &seg(S, C, X + 1000, A, ACK, 1000, 100));
    // Frame 2: the client still acknowledges X and SACKs the segment it holds.
    let blocks = [(X + 1000, X + 1100)];
    let f = r.feed(10_000, &seg(C, S, A, X, ACK, 1000, 0).opts(&sack(&blocks)));
    // tshark: ack = X - (X+999) in a guint32 = 2^32 - 999; each edge is
    // `edge - base_seq` in a guint32: 1 and 101. The edges lie past the
    // base while the ack lies before it; neither may read 2^32 higher.
    assert_eq!(f.ack, (1u64 << 32) - 999);
    assert!(f.ack_before_base);
    assert_eq!(rel_edges(&f, X, &blocks), vec![(1, 101)]);
    // An edge before the base as well (a D-SACK of bytes below X+999):
    // 2^32 - 49 and 2^32 - 9, the 32-bit differences tshark prints.
    let dsack = [(X + 950, X + 990)];
    let g = r.feed(20_000, &seg(C, S, A, X, ACK, 1000, 0).opts(&sack(&dsack)));
    assert_eq!(
        rel_edges(&g, X, &dsack),
        vec![((1u64 << 32) - 49, (1u64 << 32) - 9)]
    );
    // Once the ack passes the base the edges count from it as before:
    // ack X+1100 -> 101, a block X+1200..X+1300 -> 201..301.
    let later = [(X + 1200, X + 1300)];
    let h = r.feed(
        30_000,
        &seg(C, S, A, X + 1100, ACK, 1000, 0).opts(&sack(&later)),
    );
    assert_eq!(h.ack, 101);
    assert!(!h.ack_before_base);
    assert_eq!(rel_edges(&h, X + 1100, &later), vec![(201, 301)]);
}

/// Frame 1: the server sends X..X+100 (base X-1, the client's base A-1).
fn server_first(r: &mut Run) {
    r.feed(0, &seg(S, C, X, A, ACK, 1000, 100));
}

#[test]
fn an_unseen_segment_acknowledged_again_is_flagged_once() {
    // packet-tcp.c (4.0.17): an ACK beyond the peer's `maxseqtobeacked`
    // (its in-order edge, here X+100 = its nextseq) is flagged only if the
    // peer's `dupacknum` is 0, which it then sets to -1: a repeat is not
    // flagged until the peer's ACK number moves (which resets it to 0).
    let mut r = Run::new();
    server_first(&mut r);
    // Frame 2: the client acknowledges X+300: X+100..X+300 was not captured.
    let a = r.feed(10_000, &seg(C, S, A, X + 300, ACK, 1000, 0));
    assert!(a.flags.has(F::ACK_LOST_SEGMENT));
    // Frames 3 and 4: data carrying the same ACK, then a pure duplicate
    // ACK: not flagged again (the peer's count is -1, not 0).
    let b = r.feed(20_000, &seg(C, S, A, X + 300, ACK, 1000, 50));
    assert!(!b.flags.has(F::ACK_LOST_SEGMENT), "{:?}", b.flags);
    let c = r.feed(30_000, &seg(C, S, A + 50, X + 300, ACK, 1000, 50));
    assert!(!c.flags.has(F::ACK_LOST_SEGMENT));
    // Frame 5: the server acknowledges the client's data (a new ACK number:
    // its count back to 0). Frame 6: the client's next segment still ACKs
    // beyond the server's edge: flagged again, once.
    r.feed(40_000, &seg(S, C, X + 100, A + 100, ACK, 1000, 0));
    let d = r.feed(50_000, &seg(C, S, A + 100, X + 300, ACK, 1000, 50));
    assert!(d.flags.has(F::ACK_LOST_SEGMENT));
    let e = r.feed(60_000, &seg(C, S, A + 150, X + 300, ACK, 1000, 50));
    assert!(!e.flags.has(F::ACK_LOST_SEGMENT));
}

#[test]
fn an_unseen_ack_after_the_peers_duplicate_acks_is_not_flagged_and_restarts_their_count() {
    let mut r = Run::new();
    r.feed(0, &seg(C, S, A, X, ACK, 1000, 50)); // frame 1: client data A..A+50
    r.feed(1_000, &seg(S, C, X, A + 50, ACK, 1000, 100)); // frame 2: server data
    // Frames 3, 4: the server's duplicate ACKs #1 and #2 (same seq, ack, window).
    assert_eq!(
        r.feed(2_000, &seg(S, C, X + 100, A + 50, ACK, 1000, 0))
            .dup_ack_num,
        1
    );
    assert_eq!(
        r.feed(3_000, &seg(S, C, X + 100, A + 50, ACK, 1000, 0))
            .dup_ack_num,
        2
    );
    // Frame 5: the client ACKs X+300, beyond the server's edge X+100; the
    // server's count is 2, not 0: not flagged; the count becomes -1.
    let a = r.feed(4_000, &seg(C, S, A + 50, X + 300, ACK, 1000, 0));
    assert!(!a.flags.has(F::ACK_LOST_SEGMENT));
    // Frame 6: the server's next duplicate ACK is #1 (tshark: `case -1:
    // dupacknum = 1`), not #3.
    let d = r.feed(5_000, &seg(S, C, X + 100, A + 50, ACK, 1000, 0));
    assert!(d.flags.has(F::DUPLICATE_ACK));
    assert_eq!(d.dup_ack_num, 1);
}

#[test]
fn the_noted_loss_counts_as_two_duplicate_acks_for_a_fast_retransmission() {
    // The -1 lives in a guint32: 0xffffffff passes the fast retransmission
    // test `rev->dupacknum >= 2`.
    let mut r = Run::new();
    r.feed(0, &seg(C, S, A, X, ACK, 1000, 50)); // frame 1: client A..A+50
    r.feed(1_000, &seg(S, C, X, A, ACK, 1000, 100)); // frame 2: server, ack A
    // Frame 3: the client ACKs X+300 (unseen): flagged, the server's count -1.
    assert!(
        r.feed(2_000, &seg(C, S, A + 50, X + 300, ACK, 1000, 0))
            .flags
            .has(F::ACK_LOST_SEGMENT)
    );
    // Frame 4, 5 ms after frame 1 (past the 3 ms out-of-order threshold, no
    // initial RTT known) and 4 ms after the server's last ACK (A, which is
    // this segment's sequence number; under 20 ms): fast retransmission.
    let rt = r.feed(5_000, &seg(C, S, A, X + 300, ACK, 1000, 50));
    assert!(
        rt.flags.has(F::FAST_RETRANSMISSION | F::RETRANSMISSION),
        "{:?}",
        rt.flags
    );
}

#[test]
fn captured_bytes_beyond_the_in_order_edge_move_it_up_and_each_such_ack_is_flagged() {
    // A hole in the server's data: its in-order edge stays at the end of
    // what came before the hole while its highest sequence number moves on.
    // An ACK beyond the edge with bytes captured beyond it: flagged, and the
    // edge moves up to the highest sequence number (the "jump"). Here the
    // numbers wrap: edge W+100 = 0xffffff64, highest W+400 = 0x90; the test
    // is modulo 2^32 (0xffffff64 lies before 0x90).
    const W: u32 = 0xffff_ff00;
    let mut r = Run::new();
    r.feed(0, &seg(S, C, W, A, ACK, 1000, 100));
    let lost = r.feed(1_000, &seg(S, C, W.wrapping_add(300), A, ACK, 1000, 100));
    assert!(lost.flags.has(F::LOST_SEGMENT));
    // The client ACKs W+500 (beyond everything): edge 0xffffff64 before 0x90,
    // so flagged and the edge becomes 0x90.
    let a = r.feed(2_000, &seg(C, S, A, W.wrapping_add(500), ACK, 1000, 0));
    assert!(a.flags.has(F::ACK_LOST_SEGMENT));
    // Same ACK again: now nothing lies beyond the edge (0x90 = highest), so
    // the count decides: 0, flagged, and set to -1; the next repeat is not.
    let b = r.feed(3_000, &seg(C, S, A, W.wrapping_add(500), ACK, 1000, 10));
    assert!(b.flags.has(F::ACK_LOST_SEGMENT));
    let c = r.feed(
        4_000,
        &seg(C, S, A + 10, W.wrapping_add(500), ACK, 1000, 10),
    );
    assert!(!c.flags.has(F::ACK_LOST_SEGMENT));
}

#[test]
fn acks_of_data_captured_after_a_hole_are_flagged_as_the_edge_moves() {
    // The pattern of the corpus's of13_ericsson.pcapng stream 13 (a loopback
    // capture that missed segments both ways), where tshark 4.0.17 flags
    // every ACK that reaches past the in-order edge into data captured after
    // a hole, even with no segment from the peer in between.
    let mut r = Run::new();
    r.feed(0, &seg(S, C, X, A, ACK, 1000, 100)); // server X..X+100, edge X+100
    r.feed(1_000, &seg(S, C, X + 300, A, ACK, 1000, 100)); // hole; highest X+400
    r.feed(2_000, &seg(S, C, X + 600, A, ACK, 1000, 100)); // hole; highest X+700
    // ACK X+400: beyond the edge X+100, bytes beyond it were captured:
    // flagged, the edge moves to X+700.
    let a = r.feed(3_000, &seg(C, S, A, X + 400, ACK, 1000, 0));
    assert!(a.flags.has(F::ACK_LOST_SEGMENT));
    // ACK X+700: not beyond the edge any more: not flagged.
    let b = r.feed(4_000, &seg(C, S, A, X + 700, ACK, 1000, 0));
    assert!(!b.flags.has(F::ACK_LOST_SEGMENT));
    // The server sends X+900.. after another hole (edge X+700 unchanged,
    // highest X+1000); the client ACKs X+1000: flagged again, with no ACK
    // from the server in between (its duplicate-ACK count plays no part).
    r.feed(5_000, &seg(S, C, X + 900, A, ACK, 1000, 100));
    let c = r.feed(6_000, &seg(C, S, A, X + 1000, ACK, 1000, 0));
    assert!(c.flags.has(F::ACK_LOST_SEGMENT));
}

//! Reassembly of synthetic streams: random segmentation, duplication,
//! reordering, conflicting copies, truncation, loss and memory caps; sequence
//! wraparound and offsets past 4 GiB. Expected values come from the known
//! original byte stream (and, for overlaps, from simulating "first copy" /
//! "last copy" per byte).

use proptest::prelude::*;
use std::net::{IpAddr, Ipv4Addr};
use tcpkit_core::reassembly::{
    ChunkData, EndReason, Gap, GapReason, OverlapPolicy, ReassemblyBudget, ReassemblyConfig,
    StreamEvent, StreamReassembler,
};
use tcpkit_core::wire::{IpInfo, Options, Segment, SeqNumber, TcpFlags};

const SYN: u16 = TcpFlags::SYN;
const FIN: u16 = TcpFlags::FIN | TcpFlags::ACK;
const ACK: u16 = TcpFlags::ACK;
const RST: u16 = TcpFlags::RST;

fn seg(seq: u32, flags: u16, payload: &[u8], wire_len: u32) -> Segment<'_> {
    let a = IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1));
    Segment {
        ip: IpInfo {
            src: a,
            dst: a,
            version: 4,
            tos: 0,
            ttl: 64,
            id: 0,
            frag: 0,
            flow_label: 0,
            total_len: 40 + wire_len,
        },
        sport: 1,
        dport: 2,
        seq: SeqNumber(seq),
        ack: SeqNumber(0),
        flags: TcpFlags(flags),
        window: 0,
        checksum: 0,
        urgent: 0,
        header_len: 20,
        header_captured: 20,
        options: Options::new(&[]),
        payload,
        payload_len: wire_len,
        truncated: (payload.len() as u32) < wire_len,
    }
}

/// What a run produced, with the stream-order invariants checked on the way.
#[derive(Debug, Default)]
struct Out {
    /// Bytes at their offsets; `None` where a gap was reported.
    bytes: Vec<Option<u8>>,
    gaps: Vec<Gap>,
    end: Option<(u64, EndReason)>,
    borrowed_chunks: usize,
    owned_chunks: usize,
}

impl Out {
    fn take(&mut self, ev: StreamEvent<'_>) {
        assert!(self.end.is_none(), "event after End: {ev:?}");
        let pos = self.bytes.len() as u64;
        match ev {
            StreamEvent::Data(c) => {
                assert_eq!(c.offset, pos, "data out of order");
                assert!(!c.data.is_empty(), "empty chunk");
                match c.data {
                    ChunkData::Borrowed(_) => self.borrowed_chunks += 1,
                    ChunkData::Owned(_) => self.owned_chunks += 1,
                }
                self.bytes.extend(c.data.iter().map(|&b| Some(b)));
            }
            StreamEvent::Gap(g) => {
                assert_eq!(g.offset, pos, "gap out of order");
                assert!(g.len > 0, "empty gap");
                self.bytes.extend((0..g.len).map(|_| None));
                self.gaps.push(g);
            }
            StreamEvent::End { offset, reason } => {
                assert_eq!(offset, pos, "end offset");
                self.end = Some((offset, reason));
            }
        }
    }

    fn data(&self) -> Vec<u8> {
        self.bytes.iter().flatten().copied().collect()
    }
}

/// One planned segment: stream range and the bytes to carry.
#[derive(Debug, Clone)]
struct Plan {
    off: usize,
    data: Vec<u8>,
    /// Captured bytes (a prefix of `data`); `data.len()` is the wire length.
    captured: usize,
}

fn feed(r: &mut StreamReassembler, isn: u32, plans: &[Plan], fin_at: Option<usize>, out: &mut Out) {
    for ev in r.push(1, &seg(isn, SYN, &[], 0)) {
        out.take(ev);
    }
    for (i, p) in plans.iter().enumerate() {
        let s = seg(
            isn.wrapping_add(1).wrapping_add(p.off as u32),
            ACK,
            &p.data[..p.captured],
            p.data.len() as u32,
        );
        for ev in r.push(i as u64 + 2, &s) {
            out.take(ev);
        }
        if fin_at == Some(i) {
            let n = plans
                .iter()
                .map(|p| p.off + p.data.len())
                .max()
                .unwrap_or(0);
            for ev in r.push(
                9999,
                &seg(isn.wrapping_add(1).wrapping_add(n as u32), FIN, &[], 0),
            ) {
                out.take(ev);
            }
        }
    }
    for ev in r.finish() {
        out.take(ev);
    }
}

/// A stream, its segmentation into consecutive pieces, extra copies of random
/// ranges (repacketised retransmissions), and an arrival order.
/// (ISN, stream, cut points, extra copies (offset, len, mutation), shuffle seed).
type Scenario = (u32, Vec<u8>, Vec<usize>, Vec<(usize, usize, u8)>, u64);

fn scenario() -> impl Strategy<Value = Scenario> {
    (any::<u32>(), prop::collection::vec(any::<u8>(), 1..2000)).prop_flat_map(|(isn, stream)| {
        let n = stream.len();
        (
            Just(isn),
            Just(stream),
            prop::collection::vec(1..n.max(2), 0..12),
            prop::collection::vec((0..n, 1..400usize, any::<u8>()), 0..8),
            any::<u64>(),
        )
    })
}

fn plans_of(
    stream: &[u8],
    cuts: &[usize],
    extra: &[(usize, usize, u8)],
    mutate: bool,
    seed: u64,
) -> Vec<Plan> {
    let n = stream.len();
    let mut cuts: Vec<usize> = cuts.iter().copied().filter(|&c| c < n).collect();
    cuts.push(0);
    cuts.push(n);
    cuts.sort_unstable();
    cuts.dedup();
    let mut plans: Vec<Plan> = cuts
        .windows(2)
        .map(|w| Plan {
            off: w[0],
            data: stream[w[0]..w[1]].to_vec(),
            captured: w[1] - w[0],
        })
        .collect();
    for &(a, len, x) in extra.iter().filter(|e| e.0 < n) {
        let b = (a + len).min(n);
        let mut data = stream[a..b].to_vec();
        if mutate {
            for (i, d) in data.iter_mut().enumerate() {
                if (i + x as usize).is_multiple_of(3) {
                    *d ^= x | 1;
                }
            }
        }
        let captured = data.len();
        plans.push(Plan {
            off: a,
            data,
            captured,
        });
    }
    // Deterministic shuffle from the seed (Fisher-Yates with an LCG).
    let mut s = seed | 1;
    for i in (1..plans.len()).rev() {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let j = (s >> 33) as usize % (i + 1);
        plans.swap(i, j);
    }
    plans
}

/// Per byte: the value of the first (or last) copy to arrive.
fn simulate(n: usize, plans: &[Plan], last: bool) -> Vec<u8> {
    let mut v: Vec<Option<u8>> = vec![None; n];
    for p in plans {
        for (i, &b) in p.data.iter().enumerate() {
            let slot = &mut v[p.off + i];
            if last || slot.is_none() {
                *slot = Some(b);
            }
        }
    }
    v.into_iter()
        .map(|b| b.expect("every byte carried"))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Identical duplicates, any segmentation, any order: the original stream.
    #[test]
    fn reorder_and_duplicate_give_the_original((isn, stream, cuts, extra, seed) in scenario(), fin_pos in any::<prop::sample::Index>()) {
        let plans = plans_of(&stream, &cuts, &extra, false, seed);
        let fin_at = Some(fin_pos.index(plans.len()));
        let mut r = StreamReassembler::default();
        let mut out = Out::default();
        feed(&mut r, isn, &plans, fin_at, &mut out);
        prop_assert_eq!(out.data(), stream.clone());
        prop_assert!(out.gaps.is_empty());
        prop_assert_eq!(out.end, Some((stream.len() as u64, EndReason::Fin)));
        prop_assert_eq!(r.stats().conflicts, 0);
        prop_assert_eq!(r.buffered_bytes(), 0);
        let carried: usize = plans.iter().map(|p| p.data.len()).sum();
        let st = r.stats();
        prop_assert_eq!(st.delivered_bytes, stream.len() as u64);
        prop_assert_eq!(st.duplicate_bytes + st.overlap_bytes, (carried - stream.len()) as u64);
    }

    /// Differing copies, first copy wins: output is the first copy of each
    /// byte, and a conflict is reported exactly when a later copy differed,
    /// at the lowest offset where one did.
    #[test]
    fn differing_overlaps_first_wins_and_are_reported((isn, stream, cuts, extra, seed) in scenario()) {
        let plans = plans_of(&stream, &cuts, &extra, true, seed);
        let cfg = ReassemblyConfig { history_bytes: usize::MAX, ..ReassemblyConfig::default() };
        let mut r = StreamReassembler::new(cfg);
        let mut out = Out::default();
        feed(&mut r, isn, &plans, Some(plans.len() - 1), &mut out);
        let first = simulate(stream.len(), &plans, false);
        prop_assert_eq!(out.data(), first.clone());
        let mut lowest = None;
        for p in &plans {
            for (i, &b) in p.data.iter().enumerate() {
                if b != first[p.off + i] {
                    lowest = Some(lowest.map_or(p.off + i, |l: usize| l.min(p.off + i)));
                }
            }
        }
        prop_assert_eq!(r.stats().first_conflict_offset, lowest.map(|l| l as u64));
        prop_assert_eq!(r.stats().conflicts > 0, lowest.is_some());
    }

    /// Last copy wins for bytes still buffered: hold back the segment that
    /// carries byte 0 so that everything else waits, then every byte is its
    /// last copy.
    #[test]
    fn last_wins_replaces_buffered_bytes((isn, stream, cuts, extra, seed) in scenario()) {
        // The opener [0, c) arrives last and alone; everything else (the
        // segmentation of the rest, with differing extra copies) waits.
        let c = 1 + (seed % stream.len() as u64) as usize;
        let mut plans = plans_of(&stream[c..], &cuts, &extra, true, seed);
        for p in &mut plans {
            p.off += c;
        }
        plans.push(Plan { off: 0, data: stream[..c].to_vec(), captured: c });
        let cfg = ReassemblyConfig { overlap: OverlapPolicy::LastWins, ..ReassemblyConfig::default() };
        let mut r = StreamReassembler::new(cfg);
        let mut out = Out::default();
        feed(&mut r, isn, &plans, Some(plans.len() - 1), &mut out);
        let n = plans.iter().map(|p| p.off + p.data.len()).max().unwrap();
        prop_assert_eq!(out.data(), simulate(n, &plans, true));
        prop_assert!(out.gaps.is_empty());
    }

    /// Loss, snaplen truncation and small caps: the output is always the
    /// original at every delivered offset, data + gaps cover the stream up to
    /// the FIN exactly, and buffering stays within cap + one segment.
    #[test]
    fn loss_truncation_and_caps_never_invent_bytes(
        (isn, stream, cuts, extra, seed) in scenario(),
        lost in prop::collection::vec(any::<bool>(), 16),
        trunc in prop::collection::vec(0..64usize, 16),
        cap in prop_oneof![Just(0usize), 0..3000usize, Just(usize::MAX)],
    ) {
        let mut plans = plans_of(&stream, &cuts, &extra, false, seed);
        let mut any_lost = false;
        let mut any_trunc = false;
        for (i, p) in plans.iter_mut().enumerate() {
            if trunc[i % 16] < p.captured && i % 3 == 0 {
                p.captured = trunc[i % 16];
                any_trunc = true;
            }
        }
        let before = plans.len();
        let mut i = 0;
        plans.retain(|_| { i += 1; !(lost[i % 16] && i % 2 == 0) });
        any_lost |= plans.len() < before;
        let budget = ReassemblyBudget::new(cap);
        let cfg = ReassemblyConfig { max_buffered_bytes: cap, ..ReassemblyConfig::default() };
        let mut r = StreamReassembler::with_budget(cfg, budget.clone());
        let mut out = Out::default();
        for ev in r.push(1, &seg(isn, SYN, &[], 0)) { out.take(ev); }
        let mut peak_seg = 0;
        for (i, p) in plans.iter().enumerate() {
            let s = seg(isn.wrapping_add(1 + p.off as u32), ACK, &p.data[..p.captured], p.data.len() as u32);
            for ev in r.push(i as u64 + 2, &s) { out.take(ev); }
            peak_seg = peak_seg.max(p.captured);
            if cap != usize::MAX {
                prop_assert!(r.buffered_bytes() <= cap + 2 * (peak_seg + tcpkit_core::reassembly::RANGE_OVERHEAD) * 2);
            }
        }
        let n = stream.len();
        for ev in r.push(9999, &seg(isn.wrapping_add(1 + n as u32), FIN, &[], 0)) { out.take(ev); }
        for ev in r.finish() { out.take(ev); }
        prop_assert_eq!(out.bytes.len(), n);
        prop_assert_eq!(out.end, Some((n as u64, EndReason::Fin)));
        for (i, b) in out.bytes.iter().enumerate() {
            if let Some(b) = b { prop_assert_eq!(*b, stream[i], "byte {}", i); }
        }
        let st = r.stats();
        prop_assert_eq!(st.delivered_bytes + st.gap_bytes, n as u64);
        if !any_lost && !any_trunc && cap == usize::MAX {
            prop_assert!(out.gaps.is_empty());
        }
        if !any_trunc {
            prop_assert!(out.gaps.iter().all(|g| g.reason != GapReason::Truncated));
        }
        if cap == usize::MAX {
            prop_assert!(out.gaps.iter().all(|g| g.reason != GapReason::DroppedOverBudget));
        }
        prop_assert_eq!(budget.used(), 0);
        drop(r);
        prop_assert_eq!(budget.used(), 0);
    }

    /// Arbitrary segments (any seq, flags, lengths) never panic, and the
    /// events stay contiguous from offset 0.
    #[test]
    fn arbitrary_segments_keep_the_invariants(
        segs in prop::collection::vec((any::<u32>(), 0u16..0x200, prop::collection::vec(any::<u8>(), 0..64), 0u32..70000), 0..40),
        cap in 0usize..5000,
    ) {
        let mut r = StreamReassembler::new(ReassemblyConfig { max_buffered_bytes: cap, history_bytes: 100, ..ReassemblyConfig::default() });
        let mut out = Out::default();
        for (i, (seq, flags, data, wire)) in segs.iter().enumerate() {
            for ev in r.push(i as u64, &seg(*seq, *flags, data, *wire)) {
                // Don't materialise huge gaps byte by byte.
                match ev {
                    StreamEvent::Data(c) => prop_assert!(c.offset >= out.gaps.iter().map(|g| g.offset + g.len).max().unwrap_or(0)),
                    StreamEvent::Gap(g) => out.gaps.push(g),
                    StreamEvent::End { .. } => {}
                }
            }
            prop_assert!(r.buffered_bytes() <= cap + 2 * (64 + 2 * tcpkit_core::reassembly::RANGE_OVERHEAD));
        }
        let mut last_end = None;
        for ev in r.finish() {
            if let StreamEvent::End { offset, .. } = ev { last_end = Some(offset); }
        }
        prop_assert!(r.is_ended());
        prop_assert_eq!(last_end.or(Some(r.next_offset())), Some(r.next_offset()));
        prop_assert_eq!(r.buffered_bytes(), 0);
    }
}

#[test]
fn in_order_chunks_borrow_from_the_packet() {
    let payload: Vec<u8> = (0..=255).collect();
    let mut r = StreamReassembler::default();
    assert_eq!(r.push(1, &seg(100, SYN, &[], 0)).count(), 0);
    let s = seg(101, ACK, &payload, 256);
    let evs: Vec<_> = r.push(2, &s).collect();
    assert_eq!(evs.len(), 1);
    match &evs[0] {
        StreamEvent::Data(c) => {
            assert_eq!(c.offset, 0);
            assert_eq!(c.frame, 2);
            match c.data {
                ChunkData::Borrowed(b) => assert!(std::ptr::eq(b, payload.as_slice())),
                ChunkData::Owned(_) => panic!("in-order data was copied"),
            }
        }
        e => panic!("{e:?}"),
    }
    assert_eq!(r.stats().peak_buffered_bytes, 0);
}

#[test]
fn out_of_order_data_waits_and_comes_out_owned() {
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    assert_eq!(r.push(2, &seg(1 + 3, ACK, b"def", 3)).count(), 0);
    assert_eq!(
        r.buffered_bytes(),
        3 + tcpkit_core::reassembly::RANGE_OVERHEAD
    );
    let evs: Vec<_> = r.push(3, &seg(1, ACK, b"abc", 3)).collect();
    assert_eq!(evs.len(), 2);
    assert!(
        matches!(&evs[0], StreamEvent::Data(c) if c.offset == 0 && matches!(c.data, ChunkData::Borrowed(b"abc")))
    );
    assert!(
        matches!(&evs[1], StreamEvent::Data(c) if c.offset == 3 && c.frame == 2 && matches!(&c.data, ChunkData::Owned(v) if v == b"def"))
    );
    assert_eq!(r.buffered_bytes(), 0);
}

#[test]
fn dropping_the_iterator_keeps_the_bytes() {
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    {
        let data = b"hello".to_vec();
        drop(r.push(2, &seg(1, ACK, &data, 5)));
    } // the packet is gone; its bytes were copied
    let evs: Vec<_> = r.push(3, &seg(6, ACK, b"!", 1)).collect();
    let got: Vec<u8> = evs
        .iter()
        .flat_map(|e| match e {
            StreamEvent::Data(c) => c.data.to_vec(),
            _ => vec![],
        })
        .collect();
    assert_eq!(got, b"hello!");
}

#[test]
fn stream_across_the_sequence_wrap() {
    // ISN 2^32 - 1000: offset 0 is seq 2^32 - 999, and offset 999 is seq 0.
    let isn = u32::MAX - 999;
    let stream: Vec<u8> = (0..5000u32).map(|i| (i * 7 % 251) as u8).collect();
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(isn, SYN, &[], 0)).count();
    let mut out = Out::default();
    // Ten 500-byte segments, odd ones first.
    for k in (1..10).step_by(2).chain((0..10).step_by(2)) {
        let off = k * 500;
        let s = seg(
            isn.wrapping_add(1 + off as u32),
            ACK,
            &stream[off..off + 500],
            500,
        );
        for ev in r.push(k as u64, &s) {
            out.take(ev);
        }
    }
    assert_eq!(out.data(), stream);
    assert_eq!(r.next_offset(), 5000);
    assert_eq!(r.base_seq(), Some(SeqNumber(u32::MAX - 998)));
}

#[test]
fn offsets_stay_exact_beyond_4_gib() {
    // 65600 segments of 65535 wire bytes with nothing captured (a snaplen that
    // cut every payload): 4_299_096_000 bytes of truncation gaps, no memory.
    let isn = 0x8000_0000u32;
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(isn, SYN, &[], 0)).count();
    let mut seq = isn.wrapping_add(1);
    let mut gaps = 0u64;
    let mut pos = 0u64;
    for i in 0..65_600u64 {
        for ev in r.push(i + 2, &seg(seq, ACK, &[], 65_535)) {
            match ev {
                StreamEvent::Gap(g) => {
                    assert_eq!((g.offset, g.reason), (pos, GapReason::Truncated));
                    pos += g.len;
                    gaps += g.len;
                }
                e => panic!("{e:?}"),
            }
        }
        seq = seq.wrapping_add(65_535);
    }
    let at = 65_600u64 * 65_535;
    assert!(at > 1 << 32);
    assert_eq!(gaps, at);
    // Now real bytes, out of order across the boundary of the next 2^31.
    let evs: Vec<_> = r
        .push(70_000, &seg(seq.wrapping_add(3), ACK, b"def", 3))
        .collect();
    assert!(evs.is_empty());
    let evs: Vec<_> = r.push(70_001, &seg(seq, ACK, b"abc", 3)).collect();
    let offs: Vec<u64> = evs
        .iter()
        .map(|e| match e {
            StreamEvent::Data(c) => c.offset,
            e => panic!("{e:?}"),
        })
        .collect();
    assert_eq!(offs, vec![at, at + 3]);
    // A FIN there ends the stream at exactly that length.
    let evs: Vec<_> = r
        .push(70_002, &seg(seq.wrapping_add(6), FIN, &[], 0))
        .collect();
    assert_eq!(
        evs,
        vec![StreamEvent::End {
            offset: at + 6,
            reason: EndReason::Fin
        }]
    );
}

#[test]
fn rst_flushes_after_a_gap_marker() {
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    let _ = r.push(2, &seg(1, ACK, b"ab", 2)).count();
    assert_eq!(r.push(3, &seg(1 + 5, ACK, b"fg", 2)).count(), 0);
    let evs: Vec<_> = r.push(4, &seg(1 + 7, RST, &[], 0)).collect();
    assert_eq!(evs.len(), 3, "{evs:?}");
    assert_eq!(
        evs[0],
        StreamEvent::Gap(Gap {
            offset: 2,
            len: 3,
            reason: GapReason::NotCaptured
        })
    );
    assert!(matches!(&evs[1], StreamEvent::Data(c) if c.offset == 5 && c.data.as_slice() == b"fg"));
    assert_eq!(
        evs[2],
        StreamEvent::End {
            offset: 7,
            reason: EndReason::Rst
        }
    );
    // Late data after the reset is counted, not delivered: a late copy of
    // the gap, and bytes past the end.
    assert_eq!(r.push(5, &seg(3, ACK, b"cde", 3)).count(), 0);
    assert_eq!(r.stats().duplicate_bytes, 3);
    assert_eq!(r.push(6, &seg(8, ACK, b"hi", 2)).count(), 0);
    assert_eq!(r.stats().after_end_bytes, 2);
}

#[test]
fn fin_does_not_flush_a_hole_a_retransmission_fills_later() {
    // As in small-transfer-full-payload frames 105/106/108: the FIN arrives
    // before the retransmission of the segment in front of it.
    let mut r = StreamReassembler::default();
    let mut out = Out::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    for ev in r.push(2, &seg(1 + 4, FIN, b"ef", 2)) {
        out.take(ev);
    }
    assert!(out.bytes.is_empty() && r.fin_offset() == Some(6));
    for ev in r.push(3, &seg(1, ACK, b"abcd", 4)) {
        out.take(ev);
    }
    assert_eq!(out.data(), b"abcdef");
    assert_eq!(out.end, Some((6, EndReason::Fin)));
}

#[test]
fn over_budget_stops_waiting_and_says_so() {
    // Cap 0: an out-of-order segment cannot wait, the hole before it is given
    // up; the late copy of the hole is then a duplicate.
    let budget = ReassemblyBudget::new(1 << 20);
    let cfg = ReassemblyConfig {
        max_buffered_bytes: 0,
        ..ReassemblyConfig::default()
    };
    let mut r = StreamReassembler::with_budget(cfg, budget.clone());
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    let evs: Vec<_> = r.push(2, &seg(1 + 10, ACK, b"xyz", 3)).collect();
    assert_eq!(
        evs[0],
        StreamEvent::Gap(Gap {
            offset: 0,
            len: 10,
            reason: GapReason::DroppedOverBudget
        })
    );
    assert!(matches!(&evs[1], StreamEvent::Data(c) if c.offset == 10));
    assert_eq!(r.push(3, &seg(1, ACK, b"0123456789", 10)).count(), 0);
    assert_eq!(r.stats().duplicate_bytes, 10);
    assert_eq!(budget.used(), 0);
}

#[test]
fn shared_budget_is_charged_and_released() {
    let budget = ReassemblyBudget::new(100);
    let cfg = ReassemblyConfig::default();
    let mut a = StreamReassembler::with_budget(cfg.clone(), budget.clone());
    let mut b = StreamReassembler::with_budget(cfg, budget.clone());
    let _ = a.push(1, &seg(0, SYN, &[], 0)).count();
    let _ = b.push(1, &seg(0, SYN, &[], 0)).count();
    assert_eq!(a.push(2, &seg(1 + 10, ACK, &[7; 30], 30)).count(), 0);
    assert_eq!(budget.used(), 30 + tcpkit_core::reassembly::RANGE_OVERHEAD);
    // b's out-of-order segment pushes the total over 100: b gives up its hole.
    let evs: Vec<_> = b.push(2, &seg(1 + 5, ACK, &[1; 20], 20)).collect();
    assert!(matches!(
        evs[0],
        StreamEvent::Gap(Gap {
            offset: 0,
            len: 5,
            reason: GapReason::DroppedOverBudget
        })
    ));
    assert_eq!(budget.used(), 30 + tcpkit_core::reassembly::RANGE_OVERHEAD);
    drop(a);
    assert_eq!(budget.used(), 0);
}

#[test]
fn snaplen_cut_segment_gives_its_bytes_then_a_gap() {
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    let evs: Vec<_> = r.push(2, &seg(1, ACK, b"abcd", 1000)).collect();
    assert_eq!(evs.len(), 2);
    assert!(matches!(&evs[0], StreamEvent::Data(c) if c.data.as_slice() == b"abcd"));
    assert_eq!(
        evs[1],
        StreamEvent::Gap(Gap {
            offset: 4,
            len: 996,
            reason: GapReason::Truncated
        })
    );
    // Out of order and truncated: the known-missing range waits with the data.
    assert_eq!(r.push(3, &seg(1 + 2000, ACK, b"zz", 100)).count(), 0);
    let evs: Vec<_> = r
        .push(4, &seg(1 + 1000, ACK, &[b'q'; 1000], 1000))
        .collect();
    assert_eq!(evs.len(), 3, "{evs:?}");
    assert_eq!(
        evs[2],
        StreamEvent::Gap(Gap {
            offset: 2002,
            len: 98,
            reason: GapReason::Truncated
        })
    );
}

#[test]
fn capture_without_the_syn_starts_at_the_first_segment() {
    let mut r = StreamReassembler::default();
    let mut out = Out::default();
    for ev in r.push(1, &seg(5000, ACK, b"mid", 3)) {
        out.take(ev);
    }
    for ev in r.finish() {
        out.take(ev);
    }
    assert_eq!(out.data(), b"mid");
    assert_eq!(out.end, Some((3, EndReason::CaptureEnd)));
}

#[test]
fn bytes_buffered_past_a_later_fin_are_dropped() {
    let mut r = StreamReassembler::default();
    let mut out = Out::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    // "cdefgh" at offset 2 waits; then a FIN says the stream ends at 5.
    assert_eq!(r.push(2, &seg(1 + 2, ACK, b"cdefgh", 6)).count(), 0);
    assert_eq!(r.push(3, &seg(1 + 5, FIN, &[], 0)).count(), 0);
    assert_eq!(
        r.buffered_bytes(),
        3 + tcpkit_core::reassembly::RANGE_OVERHEAD
    );
    for ev in r.push(4, &seg(1, ACK, b"ab", 2)) {
        out.take(ev);
    }
    assert_eq!(out.data(), b"abcde");
    assert_eq!(out.end, Some((5, EndReason::Fin)));
    assert_eq!(r.stats().after_end_bytes, 3);
}

#[test]
fn connection_streams_keep_directions_apart_and_share_the_budget() {
    use tcpkit_core::flow::Direction::{ClientToServer as C2S, ServerToClient as S2C};
    use tcpkit_core::reassembly::ConnectionStreams;
    let budget = ReassemblyBudget::new(1 << 20);
    let mut c = ConnectionStreams::new(ReassemblyConfig::default(), Some(budget.clone()));
    let _ = c.push(1, C2S, &seg(100, SYN, &[], 0)).count();
    let _ = c.push(2, S2C, &seg(7000, SYN | ACK, &[], 0)).count();
    assert_eq!(c.push(3, S2C, &seg(7001 + 2, ACK, b"cd", 2)).count(), 0);
    let evs: Vec<_> = c.push(4, C2S, &seg(101, ACK, b"ab", 2)).collect();
    assert!(matches!(&evs[..], [StreamEvent::Data(ch)] if ch.data.as_slice() == b"ab"));
    assert_eq!(budget.used(), 2 + tcpkit_core::reassembly::RANGE_OVERHEAD);
    assert_eq!(c.get(S2C).next_offset(), 0);
    assert_eq!(c.get(C2S).next_offset(), 2);
    drop(c);
    assert_eq!(budget.used(), 0);
}

#[test]
fn gaps_read_well() {
    let g = Gap {
        offset: 62,
        len: 8386,
        reason: GapReason::Truncated,
    };
    assert_eq!(
        g.to_string(),
        "bytes 62..8448 (8386) missing: cut off by the capture's snaplen"
    );
    assert_eq!(GapReason::DroppedOverBudget.as_str(), "dropped_over_budget");
}

#[test]
fn an_acknowledged_hole_is_not_captured_and_not_waited_for() {
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    let _ = r.push(2, &seg(1, ACK, b"01234", 5)).count();
    // Bytes 5..10 never captured; 10..15 wait.
    assert_eq!(r.push(3, &seg(1 + 10, ACK, b"abcde", 5)).count(), 0);
    // The receiver acknowledges 7 (it got 5..7): the hole up to 7 is given up,
    // 7..10 still awaited.
    let evs: Vec<_> = r.ack(SeqNumber(1 + 7)).collect();
    assert_eq!(
        evs,
        vec![StreamEvent::Gap(Gap {
            offset: 5,
            len: 2,
            reason: GapReason::NotCaptured
        })]
    );
    // Acknowledging everything: the rest of the hole, then the held data.
    let evs: Vec<_> = r.ack(SeqNumber(1 + 15)).collect();
    assert_eq!(evs.len(), 2);
    assert_eq!(
        evs[0],
        StreamEvent::Gap(Gap {
            offset: 7,
            len: 3,
            reason: GapReason::NotCaptured
        })
    );
    assert!(
        matches!(&evs[1], StreamEvent::Data(c) if c.offset == 10 && c.data.as_slice() == b"abcde")
    );
    // An acknowledgment far past anything sent reports nothing, and does not
    // make later holes look acknowledged.
    assert_eq!(r.ack(SeqNumber(1 + 1_000_000)).count(), 0);
    assert_eq!(r.next_offset(), 15);
    assert_eq!(r.push(4, &seg(1 + 20, ACK, b"later", 5)).count(), 0);
    let evs: Vec<_> = r.push(5, &seg(1 + 15, ACK, b"!!!!!", 5)).collect();
    assert_eq!(evs.len(), 2, "{evs:?}");
}

#[test]
fn rst_payload_is_not_stream_data_and_a_stray_rst_is_ignored() {
    let mut r = StreamReassembler::default();
    let _ = r.push(1, &seg(0, SYN, &[], 0)).count();
    let _ = r.push(2, &seg(1, ACK, b"ab", 2)).count();
    // A RST far outside what was sent does not end the stream.
    let evs: Vec<_> = r.push(3, &seg(1 + 100_000, RST, &[], 0)).collect();
    assert!(evs.is_empty(), "{evs:?}");
    assert!(!r.is_ended());
    // A RST at the next byte, carrying a diagnostic text, ends it; the text
    // is not delivered.
    let evs: Vec<_> = r.push(4, &seg(1 + 2, RST | ACK, b"bye", 3)).collect();
    assert_eq!(
        evs,
        vec![StreamEvent::End {
            offset: 2,
            reason: EndReason::Rst
        }]
    );
    assert_eq!(r.stats().delivered_bytes, 2);
}

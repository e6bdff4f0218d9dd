//! The memory budget: 70,000 connections that go idle, are evicted, and
//! speak again an hour later are still 70,000 connections, each continuing
//! under its own number with its own window scale and relative sequence
//! numbers (issue 8). The capture is built here, packet by packet, so every
//! expected value follows from how it was built.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;
use tcpkit_core::analysis::story::{Note, Side};
use tcpkit_core::analysis::{
    AnalysisFlags, AnalyzerConfig, Connection, EndReason, Outcome, RESUMABLE_BYTES, SegmentFacts,
    WindowScale,
};
use tcpkit_core::report::Finding;
use tcpkit_core::{Analysis, Event};

const N: u32 = 70_000;
const SERVER: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
const SYN: u8 = 0x02;
const ACK: u8 = 0x10;
const PSH: u8 = 0x08;
/// Capture start and the hour of silence.
const T0_NS: i64 = 1_700_000_000_000_000_000;
const HOUR_NS: i64 = 3_600_000_000_000;

/// Client `i`: 10.0.0.0 + i, port 40000 + i % 20000.
fn client(i: u32) -> (Ipv4Addr, u16) {
    (Ipv4Addr::from(0x0a00_0000 + i), 40000 + (i % 20_000) as u16)
}
/// Initial sequence numbers (spread over the whole space, wrapping included).
fn isn_c(i: u32) -> u32 {
    i.wrapping_mul(0x9e37_79b9)
}
fn isn_s(i: u32) -> u32 {
    !isn_c(i)
}
/// Window scale shifts announced in the SYN and the SYN-ACK (0..=14, mixed).
fn shift_c(i: u32) -> u8 {
    (i % 15) as u8
}
fn shift_s(i: u32) -> u8 {
    ((i / 15) % 15) as u8
}
/// Raw window fields of the segments an hour later.
fn win_c(i: u32) -> u16 {
    100 + (i % 400) as u16
}
fn win_s(i: u32) -> u16 {
    200 + (i % 300) as u16
}

/// A minimal classic pcap (µs, LINKTYPE_IPV4) written into a Vec.
struct Pcap(Vec<u8>);

impl Pcap {
    fn new() -> Self {
        let mut v = Vec::with_capacity(64 << 20);
        v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
        v.extend_from_slice(&2u16.to_le_bytes());
        v.extend_from_slice(&4u16.to_le_bytes());
        v.extend_from_slice(&[0; 8]);
        v.extend_from_slice(&65535u32.to_le_bytes());
        v.extend_from_slice(&228u32.to_le_bytes());
        Self(v)
    }

    /// One IPv4/TCP packet at `t_ns` (µs precision) from client `i` (`c2s`) or to it.
    #[allow(clippy::too_many_arguments)]
    fn tcp(
        &mut self,
        t_ns: i64,
        i: u32,
        c2s: bool,
        seq: u32,
        ack: u32,
        flags: u8,
        win: u16,
        wscale: Option<u8>,
        len: usize,
    ) {
        let (cip, cport) = client(i);
        let (src, dst, sport, dport) = if c2s {
            (cip, SERVER, cport, 80)
        } else {
            (SERVER, cip, 80, cport)
        };
        // mss 1460, sackOK, nop, wscale: 12 bytes of options on a SYN.
        let opts: &[u8] = match wscale {
            Some(s) => &[2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, s, 1, 1],
            None => &[],
        };
        let tcp_len = 20 + opts.len();
        let total = 20 + tcp_len + len;
        let mut p = Vec::with_capacity(total);
        p.extend_from_slice(&[0x45, 0]);
        p.extend_from_slice(&(total as u16).to_be_bytes());
        p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
        p.extend_from_slice(&src.octets());
        p.extend_from_slice(&dst.octets());
        p.extend_from_slice(&sport.to_be_bytes());
        p.extend_from_slice(&dport.to_be_bytes());
        p.extend_from_slice(&seq.to_be_bytes());
        p.extend_from_slice(&ack.to_be_bytes());
        p.push(((tcp_len / 4) as u8) << 4);
        p.push(flags);
        p.extend_from_slice(&win.to_be_bytes());
        p.extend_from_slice(&[0, 0, 0, 0]);
        p.extend_from_slice(opts);
        p.resize(total, b'x');
        let us = t_ns / 1000;
        self.0
            .extend_from_slice(&((us / 1_000_000) as u32).to_le_bytes());
        self.0
            .extend_from_slice(&((us % 1_000_000) as u32).to_le_bytes());
        self.0.extend_from_slice(&(total as u32).to_le_bytes());
        self.0.extend_from_slice(&(total as u32).to_le_bytes());
        self.0.extend_from_slice(&p);
    }
}

/// The capture: every client does its handshake and sends 100 bytes (not
/// acknowledged), 10 µs apart; an hour later each sends 50 bytes more and
/// the server acknowledges all 150.
fn capture() -> Vec<u8> {
    let mut w = Pcap::new();
    for i in 0..N {
        let t = T0_NS + i64::from(i) * 10_000;
        let (c, s) = (isn_c(i), isn_s(i));
        w.tcp(t, i, true, c, 0, SYN, 64240, Some(shift_c(i)), 0);
        w.tcp(
            t + 1_000,
            i,
            false,
            s,
            c.wrapping_add(1),
            SYN | ACK,
            65160,
            Some(shift_s(i)),
            0,
        );
        w.tcp(
            t + 2_000,
            i,
            true,
            c.wrapping_add(1),
            s.wrapping_add(1),
            ACK,
            501,
            None,
            0,
        );
        let (seq, ack) = (c.wrapping_add(1), s.wrapping_add(1));
        w.tcp(t + 3_000, i, true, seq, ack, ACK | PSH, 501, None, 100);
    }
    for i in 0..N {
        let t = T0_NS + HOUR_NS + i64::from(i) * 10_000;
        let (c, s) = (isn_c(i), isn_s(i));
        let (seq, ack) = (c.wrapping_add(101), s.wrapping_add(1));
        w.tcp(t, i, true, seq, ack, ACK | PSH, win_c(i), None, 50);
        w.tcp(
            t + 4_000,
            i,
            false,
            ack,
            c.wrapping_add(151),
            ACK,
            win_s(i),
            None,
            0,
        );
    }
    w.0
}

/// What the test keeps of a record (the stories are checked as they come
/// and dropped: 70,000 connections' worth would be hundreds of MB).
#[derive(Debug, Clone, Copy)]
struct Part {
    evicted: bool,
    resumed_frame: Option<u64>,
    first_frame: u64,
    last_frame: u64,
    end: EndReason,
    syns: u32,
}

/// Checks one record of connection `conn` as it is handed out.
fn part(r: Connection) -> (u64, Part) {
    let i = r.conn.0 as u32;
    assert_eq!(r.client.port, client(i).1, "conn {i}");
    // Every part keeps the scales negotiated in the first part's handshake.
    assert_eq!(
        (r.window_scale.client, r.window_scale.server),
        (Some(shift_c(i)), Some(shift_s(i)))
    );
    assert_eq!(
        r.window_scale_factor(Side::Client),
        WindowScale::Shift(shift_c(i))
    );
    assert_eq!(r.evicted, r.end == EndReason::Evicted);
    assert!(!r.midstream);
    let story = r.story.as_ref().expect("stories on");
    // The story says where the part ends and where it began.
    assert_eq!(story.notes.contains(&Note::Evicted), r.evicted);
    assert_eq!(
        story.notes.contains(&Note::Resumed),
        r.resumed_frame.is_some()
    );
    if r.resumed_frame.is_some() {
        assert_eq!(r.handshake.outcome, Outcome::Resumed);
    } else {
        assert_eq!(r.handshake.outcome, Outcome::Established);
    }
    (
        r.conn.0,
        Part {
            evicted: r.evicted,
            resumed_frame: r.resumed_frame,
            first_frame: r.first_frame,
            last_frame: r.last_frame,
            end: r.end,
            syns: r.handshake.syn.count,
        },
    )
}

#[test]
fn seventy_thousand_idle_connections_speak_again_an_hour_later() {
    let bytes = capture();
    // Room for 70,000 evicted connections (each entry keeps its one
    // unacknowledged 100-byte range: 24 bytes more) in the half of the budget
    // they may use, and for 17,500 live ones beyond: at most about 37,000
    // live connections at once, not 70,000.
    let mut cfg = AnalyzerConfig::default();
    cfg.memory_budget =
        2 * N as usize * (RESUMABLE_BYTES + 24) + cfg.budget_for_live(N as usize / 4);
    let max_live = cfg.memory_budget / cfg.live_bytes();
    assert!(
        max_live < N as usize,
        "the budget holds {max_live} live connections"
    );
    let mut a = Analysis::from_bytes(bytes, cfg).expect("pcap");
    let mut parts: BTreeMap<u64, Vec<Part>> = BTreeMap::new();
    // Facts of the segments an hour later: (client's, server's), with the client's frame.
    let mut later: Vec<(u64, SegmentFacts, SegmentFacts)> = Vec::new();
    let mut pending: Option<(u64, SegmentFacts)> = None;
    let mut report = None;
    let mut k = 0;
    while let Some(ev) = a.next_event() {
        match ev.expect("no damage") {
            Event::Segment(row) => {
                let f = row.facts.expect("analysed");
                if k >= 4 * N {
                    if k % 2 == 0 {
                        pending = Some((row.packet.frame, f));
                    } else {
                        let (frame, c) = pending.take().expect("the client's segment first");
                        later.push((frame, c, f));
                    }
                }
                k += 1;
            }
            Event::Connection(r) => {
                let (conn, p) = part(*r);
                parts.entry(conn).or_default().push(p);
            }
            Event::Report(r) => report = Some(r),
        }
    }
    let stats = a.stats();
    eprintln!("{stats:?}");

    // 70,000 connections, numbered 0..70,000 in order of their SYNs.
    assert_eq!(stats.connections, u64::from(N));
    assert_eq!((stats.reopened, stats.forgotten), (0, 0));
    // At most `max_live` were live at once, so at least N - max_live were
    // evicted before their later segment, and each of those resumed.
    assert!(stats.peak_live as usize <= max_live);
    assert!(stats.evicted >= u64::from(N) - max_live as u64, "{stats:?}");
    assert!(stats.resumed >= u64::from(N) - max_live as u64, "{stats:?}");
    assert_eq!(parts.len(), N as usize);
    assert_eq!(parts.keys().next_back(), Some(&u64::from(N - 1)));
    let all = || parts.values().flatten();
    let evicted = all().filter(|r| r.evicted).count() as u64;
    let resumed = all().filter(|r| r.resumed_frame.is_some()).count() as u64;
    assert_eq!((evicted, resumed), (stats.evicted, stats.resumed));
    for (&conn, ps) in &mut parts {
        let i = conn as u32;
        ps.sort_by_key(|r| r.resumed_frame);
        // Connection i's SYN is frame 4i + 1: every part says so.
        assert!(ps.iter().all(|r| r.first_frame == 4 * u64::from(i) + 1));
        // Each part but the last ends at an eviction; each but the first resumed.
        let (last, earlier) = ps.split_last().expect("a record");
        // The last part ends with the server's ACK an hour later (frame
        // 4N + 2i + 2), at the end of the capture or evicted after it.
        assert_eq!(last.last_frame, 4 * u64::from(N) + 2 * u64::from(i) + 2);
        assert!(
            last.end == EndReason::EndOfCapture || last.evicted,
            "conn {conn}"
        );
        assert!(earlier.iter().all(|r| r.evicted), "conn {conn}");
        assert_eq!(ps[0].resumed_frame, None);
        assert!(ps[1..].iter().all(|r| r.resumed_frame.is_some()));
        // The first part saw the SYN; a resumed part saw none.
        assert_eq!(ps[0].syns, 1);
        assert!(ps[1..].iter().all(|r| r.syns == 0));
    }
    // The segments an hour later, as one unbroken analysis (tshark) gives them.
    assert_eq!(later.len(), N as usize);
    for (i, (frame, c, s)) in later.iter().enumerate() {
        let i = i as u32;
        assert_eq!((c.conn.0, s.conn.0), (u64::from(i), u64::from(i)));
        assert!(!c.new_conn && !s.new_conn);
        // Client: 50 bytes after the 100 of the first hour: relative seq 101,
        // ack 1 (the server's SYN); its window scaled by its own shift; the
        // 100 bytes never acknowledged are still in flight: 150.
        assert_eq!((c.seq, c.ack, c.next_seq), (101, 1, 151));
        assert_eq!(c.scale, Some(WindowScale::Shift(shift_c(i))));
        assert_eq!(c.win_scaled, u64::from(win_c(i)) << shift_c(i));
        assert_eq!(c.bytes_in_flight, Some(150));
        assert_eq!(c.flags, AnalysisFlags(0));
        // Server: acknowledges all 150 bytes; the ACK ends the 50-byte
        // segment, 4 µs after it.
        assert_eq!((s.seq, s.ack), (1, 151));
        assert_eq!(s.scale, Some(WindowScale::Shift(shift_s(i))));
        assert_eq!(s.win_scaled, u64::from(win_s(i)) << shift_s(i));
        assert_eq!(s.flags, AnalysisFlags(0));
        assert_eq!(s.acks_frame, Some(*frame));
        assert_eq!(s.ack_rtt_ns, Some(4_000));
    }
    // The capture-wide report counts 70,000 connections and explains the evictions.
    let report = report.expect("stories on");
    assert_eq!(report.connections, u64::from(N));
    assert_eq!(
        (report.evicted, report.resumed, report.forgotten),
        (stats.evicted, stats.resumed, 0)
    );
    assert!(report.findings.contains(&Finding::MemoryBudget {
        evicted: stats.evicted,
        resumed: stats.resumed,
        forgotten: 0
    }));
}

#[test]
fn forgotten_entries_are_counted_and_reopen() {
    // A budget with room for 100 live connections and about 340 compact
    // entries: 1,000 connections evicted, most of their entries forgotten.
    // An hour later they speak again, the last one first (its entry is the
    // newest): the first few hundred continue, the rest open new numbers.
    let bytes = {
        let mut w = Pcap::new();
        for i in 0..1_000 {
            let t = T0_NS + i64::from(i) * 10_000;
            let (c, s) = (isn_c(i), isn_s(i));
            w.tcp(t, i, true, c, 0, SYN, 64240, Some(7), 0);
            w.tcp(
                t + 1_000,
                i,
                false,
                s,
                c.wrapping_add(1),
                SYN | ACK,
                65160,
                Some(7),
                0,
            );
            w.tcp(
                t + 2_000,
                i,
                true,
                c.wrapping_add(1),
                s.wrapping_add(1),
                ACK,
                501,
                None,
                0,
            );
        }
        for (k, i) in (0..1_000).rev().enumerate() {
            let t = T0_NS + HOUR_NS + k as i64 * 10_000;
            let (c, s) = (isn_c(i), isn_s(i));
            w.tcp(
                t,
                i,
                true,
                c.wrapping_add(1),
                s.wrapping_add(1),
                ACK,
                501,
                None,
                10,
            );
        }
        w.0
    };
    let mut cfg = AnalyzerConfig::default();
    cfg.memory_budget = cfg.budget_for_live(100);
    let mut a = Analysis::from_bytes(bytes, cfg).expect("pcap");
    let (mut reopened, mut continued) = (0u64, 0u64);
    let mut report = None;
    let mut k = 0u64;
    while let Some(ev) = a.next_event() {
        let f = match ev.expect("no damage") {
            Event::Segment(row) => row.facts.expect("analysed"),
            Event::Connection(_) => continue,
            Event::Report(r) => {
                report = Some(r);
                continue;
            }
        };
        k += 1;
        if k > 3_000 {
            if f.new_conn {
                // Its entry forgotten: a new number, mid-stream, scale unknown.
                assert_eq!(f.scale, Some(WindowScale::Unknown));
                reopened += 1;
            } else {
                assert_eq!(f.conn.0, 999 - (k - 3_001));
                assert_eq!(f.scale, Some(WindowScale::Shift(7)));
                continued += 1;
            }
        }
    }
    let st = a.stats();
    // Each of the 1,000 speaks once more: under its own number (resumed, or
    // never evicted) or, its entry forgotten, under a new one.
    assert_eq!(reopened + continued, 1_000);
    assert!(reopened > 0 && st.resumed > 0, "{st:?}");
    assert!(st.resumed <= continued);
    assert!(st.forgotten >= reopened, "{st:?}");
    assert_eq!(st.connections, 1_000 + reopened);
    let report = report.expect("stories on");
    assert_eq!(report.forgotten, st.forgotten);
    assert_eq!(report.connections, st.connections);
    assert!(report.findings.contains(&Finding::MemoryBudget {
        evicted: st.evicted,
        resumed: st.resumed,
        forgotten: st.forgotten
    }));
    let text: Vec<String> = report
        .findings
        .iter()
        .map(tcpkit_core::text::finding)
        .collect();
    assert!(text.iter().any(|t| t.contains("forgotten")), "{text:?}");
}

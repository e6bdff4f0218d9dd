//! Per-segment facts from tshark.tsv (the oracle the per-segment analysis must
//! match), so that the story can be tested over the lab without it.

use super::*;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use tcpkit_core::analysis::story::StoryBuilder;
use tcpkit_core::analysis::{AnalysisFlags, Connection, EndReason, SegmentFacts, Tally};
use tcpkit_core::capture::{self, PacketSource};
use tcpkit_core::flow::{ConnId, Direction};
use tcpkit_core::report::{Diagnostics, Report};
use tcpkit_core::wire;

fn num<T: std::str::FromStr>(row: &HashMap<String, String>, k: &str) -> Option<T> {
    row.get(k)?.split(',').next()?.parse().ok()
}

fn flag(row: &HashMap<String, String>, k: &str) -> bool {
    row.get(k).is_some_and(|v| !v.is_empty())
}

const FLAGS: &[(u32, &str)] = &[
    (AnalysisFlags::RETRANSMISSION, "tcp.analysis.retransmission"),
    (
        AnalysisFlags::FAST_RETRANSMISSION,
        "tcp.analysis.fast_retransmission",
    ),
    (
        AnalysisFlags::SPURIOUS_RETRANSMISSION,
        "tcp.analysis.spurious_retransmission",
    ),
    (AnalysisFlags::OUT_OF_ORDER, "tcp.analysis.out_of_order"),
    (AnalysisFlags::LOST_SEGMENT, "tcp.analysis.lost_segment"),
    (
        AnalysisFlags::ACK_LOST_SEGMENT,
        "tcp.analysis.ack_lost_segment",
    ),
    (AnalysisFlags::DUPLICATE_ACK, "tcp.analysis.duplicate_ack"),
    (AnalysisFlags::ZERO_WINDOW, "tcp.analysis.zero_window"),
    (
        AnalysisFlags::ZERO_WINDOW_PROBE,
        "tcp.analysis.zero_window_probe",
    ),
    (AnalysisFlags::WINDOW_FULL, "tcp.analysis.window_full"),
    (AnalysisFlags::WINDOW_UPDATE, "tcp.analysis.window_update"),
    (AnalysisFlags::KEEP_ALIVE, "tcp.analysis.keep_alive"),
    (AnalysisFlags::KEEP_ALIVE_ACK, "tcp.analysis.keep_alive_ack"),
];

/// Runs the story over one capture with tshark's per-segment facts.
pub fn stories_from_tshark(dir: &Path) -> (Vec<Connection>, Report) {
    let rows = load_tsv(&dir.join("tshark.tsv"));
    let by_frame: HashMap<u64, &HashMap<String, String>> = rows
        .iter()
        .filter_map(|r| Some((num::<u64>(r, "frame.number")?, r)))
        .collect();
    let mut reader = capture::open(capture_of(dir)).unwrap();
    let mut builders: BTreeMap<u64, (Tally, StoryBuilder)> = BTreeMap::new();
    let mut clients: HashMap<u64, (String, u16)> = HashMap::new();
    let mut last_ts = i64::MIN;
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        last_ts = last_ts.max(p.ts_ns);
        let Ok(Some(seg)) = wire::decode(&p) else {
            continue;
        };
        let Some(row) = by_frame.get(&p.frame) else {
            continue;
        };
        let Some(stream) = num::<u64>(row, "tcp.stream") else {
            continue;
        };
        let src = (seg.ip.src.to_string(), seg.sport);
        // The client: the sender of the stream's first SYN, else of its first segment.
        let client = clients.entry(stream).or_insert_with(|| {
            if seg.flags.syn() && seg.flags.ack() {
                (seg.ip.dst.to_string(), seg.dport)
            } else {
                src.clone()
            }
        });
        let dir = if *client == src {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        };
        let seq: u64 = num(row, "tcp.seq").unwrap_or(0);
        let len = u64::from(seg.payload_len);
        let syn_fin = u64::from(seg.flags.syn()) + u64::from(seg.flags.fin());
        let mut flags = AnalysisFlags::default();
        for (bit, k) in FLAGS {
            if flag(row, k) {
                flags.set(*bit);
            }
        }
        let ns = |k: &str| num::<f64>(row, k).map(|s| (s * 1e9).round() as u64);
        let facts = SegmentFacts {
            conn: ConnId(stream),
            dir,
            new_conn: false,
            seq,
            ack_base: 0,
            ack_before_base: false,
            ack: if seg.flags.ack() {
                num(row, "tcp.ack").unwrap_or(0)
            } else {
                0
            },
            next_seq: seq + len + syn_fin,
            scale: None,
            win_scaled: num(row, "tcp.window_size").unwrap_or(0),
            flags,
            dup_ack_num: num(row, "tcp.analysis.duplicate_ack_num").unwrap_or(0),
            dup_ack_of: None,
            ack_rtt_ns: ns("tcp.analysis.ack_rtt"),
            acks_frame: None,
            ack_rtt_ambiguous: false,
            irtt_ns: ns("tcp.analysis.initial_rtt"),
            bytes_in_flight: num(row, "tcp.analysis.bytes_in_flight"),
        };
        let (tally, story) = builders
            .entry(stream)
            .or_insert_with(|| (Tally::new(), StoryBuilder::new()));
        tally.observe(p.frame, p.ts_ns, &seg, &facts);
        story.observe(p.frame, p.ts_ns, &seg, &facts);
    }
    let mut flows: Vec<Connection> = builders
        .into_iter()
        .map(|(n, (t, b))| {
            t.finish_with_story(ConnId(n), EndReason::EndOfCapture, Some(b), last_ts)
        })
        .collect();
    tcpkit_core::analysis::story::cross_check(&mut flows);
    let mut d = Diagnostics::new();
    for f in &flows {
        d.add(f);
    }
    (flows, d.finish())
}

//! The story layer alone, over every lab scenario: segments from our capture
//! reader and decoder, per-segment facts taken from tshark.tsv (tshark 4.0's own
//! relative numbers, analysis flags, ack_rtt and initial_rtt), so that a miss here
//! is the story's fault, not the per-segment analysis'. Every manifest fact that
//! `tools/lab_facts.py` checks, and every socket's states in ss.log, must come out.

mod story_support;

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use story_support::*;
use tcpkit_core::analysis::story::{ConnectionStory, StoryBuilder};
use tcpkit_core::analysis::{AnalysisFlags, SegmentFacts};
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
pub fn stories_from_tshark(dir: &Path) -> (Vec<ConnectionStory>, Report) {
    let rows = load_tsv(&dir.join("tshark.tsv"));
    let by_frame: HashMap<u64, &HashMap<String, String>> = rows
        .iter()
        .filter_map(|r| Some((num::<u64>(r, "frame.number")?, r)))
        .collect();
    let mut reader = capture::open(capture_of(dir)).unwrap();
    let mut builders: BTreeMap<u64, StoryBuilder> = BTreeMap::new();
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
            irtt_ns: ns("tcp.analysis.initial_rtt"),
            bytes_in_flight: num(row, "tcp.analysis.bytes_in_flight"),
        };
        builders
            .entry(stream)
            .or_insert_with(|| StoryBuilder::new(ConnId(stream)))
            .observe(p.frame, p.ts_ns, &seg, &facts);
    }
    let flows: Vec<ConnectionStory> = builders.into_values().map(|b| b.finish(last_ts)).collect();
    let mut d = Diagnostics::new();
    for f in &flows {
        d.add(f);
    }
    (flows, d.finish())
}

#[test]
fn every_lab_fact_with_tshark_segment_facts() {
    let mut total = 0;
    let mut failed = Vec::new();
    for dir in scenarios() {
        let (flows, report) = stories_from_tshark(&dir);
        let c = check_scenario(&dir, &flows, &report);
        total += c.results.len();
        for m in c.misses() {
            failed.push(format!(
                "{}: {} [{}]",
                dir.file_name().unwrap().to_string_lossy(),
                m.what,
                m.detail
            ));
        }
    }
    assert!(total > 150, "only {total} facts checked");
    assert!(
        failed.is_empty(),
        "{} of {total} facts missed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// The JSON names of `tcpkit flows --json` and `tcpkit report --json` (issue 4's contract).
#[cfg(feature = "serde")]
#[test]
fn json_field_names_follow_the_contract() {
    let dir = lab_root().join("simultaneous-close");
    let (flows, report) = stories_from_tshark(&dir);
    let v = serde_json::to_value(&flows[0]).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    for k in [
        "conn", "client", "server", "midstream", "first_ts_ns", "last_ts_ns", "packets", "bytes", "handshake",
        "options", "implied_mtu", "window_scale", "retransmissions", "trains", "rtt", "close", "states",
        "inferred", "notes",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(keys(&v["client"]), ["ip", "port"]);
    assert_eq!(v["client"]["ip"], "198.18.7.15");
    assert_eq!(v["conn"], 0);
    assert_eq!(keys(&v["packets"]), ["c2s", "s2c"]);
    assert_eq!(keys(&v["handshake"]), ["ack_frame", "irtt", "outcome", "syn_ack_frames", "syn_frames"]);
    assert_eq!(v["handshake"]["outcome"], "established");
    assert_eq!(
        keys(&v["options"]["client"]),
        ["mptcp", "mss", "sack_perm", "tfo", "timestamps", "wscale"]
    );
    assert_eq!(keys(&v["window_scale"]), ["client", "server"]);
    let t = &v["trains"][0];
    assert_eq!(
        keys(t),
        ["dir", "frames", "intervals_s", "kind", "seq", "times_s", "verdict"]
    );
    assert!(t["dir"] == "c2s" || t["dir"] == "s2c");
    assert_eq!(t["kind"], "fin");
    assert_eq!(
        keys(&v["rtt"]["c2s"]),
        ["max", "median", "min", "p95", "rto", "rttvar", "samples", "srtt"]
    );
    assert_eq!(
        keys(&v["close"]),
        ["duration_s", "first_fin_by", "half_close_left_open", "piggybacked", "rst_by", "simultaneous"]
    );
    assert_eq!(v["close"]["first_fin_by"], "server");
    assert_eq!(keys(&v["states"]["client"][0]), ["state", "t_ns"]);
    assert_eq!(v["states"]["client"][1]["state"], "ESTABLISHED");
    assert!(v["notes"].as_array().unwrap().iter().all(|n| n.is_string()));
    let r = serde_json::to_value(&report).unwrap();
    assert_eq!(keys(&r), ["connections", "findings", "listeners"]);
    assert_eq!(
        keys(&r["listeners"][0]),
        [
            "answered", "backlog_estimate", "clients", "established", "findings", "ip", "max_half_open",
            "port", "refused", "syns", "unanswered"
        ]
    );
    if std::env::var_os("TCPKIT_DUMP").is_some() {
        for name in ["simultaneous-close", "syn-sent-timeout", "bulk-loss-sack", "zero-window", "accept-queue-overflow"] {
            let (flows, report) = stories_from_tshark(&lab_root().join(name));
            let f = flows.iter().max_by_key(|f| f.packets.c2s + f.packets.s2c).unwrap();
            println!("== {name}\n{}", serde_json::to_string_pretty(f).unwrap());
            println!("{}", serde_json::to_string_pretty(&report).unwrap());
        }
    }
}

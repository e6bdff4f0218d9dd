//! `tcpkit segments --json`: the analysis fields of every segment against
//! tshark's own view of the same capture (the `tshark.tsv` beside it; every
//! expected value is read from that file), and the segments that cannot be
//! analysed.

mod common;

use serde_json::Value;
use std::collections::{HashMap, HashSet};

/// The analysis flags tshark's TSV has a column for.
const FLAGS: [&str; 13] = [
    "retransmission",
    "fast_retransmission",
    "spurious_retransmission",
    "out_of_order",
    "lost_segment",
    "ack_lost_segment",
    "duplicate_ack",
    "zero_window",
    "zero_window_probe",
    "window_full",
    "window_update",
    "keep_alive",
    "keep_alive_ack",
];

fn json_lines(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect()
}

fn u(s: &str) -> u64 {
    s.parse().unwrap_or_else(|_| panic!("number in tsv: {s:?}"))
}

/// Seconds within 2 µs (the yardstick's tolerance; tshark prints 9 decimals).
fn near(ours: &Value, theirs: &str) -> bool {
    let t: f64 = theirs.parse().expect("seconds in tsv");
    ours.as_f64().is_some_and(|o| (o - t).abs() < 2e-6)
}

/// bulk-loss-sack: 3,080 segments of a bulk transfer with loss, SACK,
/// retransmissions and duplicate ACKs. Every segment's analysis fields agree
/// with tshark; the capture exercises each kind of field (counted below so the
/// test cannot pass vacuously).
#[test]
fn bulk_loss_sack_fields_match_tshark() {
    let lab = common::testdata().join("captures/lab/bulk-loss-sack");
    let rows = common::read_tsv(&lab.join("tshark.tsv"));
    let rows: HashMap<u64, &HashMap<String, String>> = rows
        .iter()
        .filter(|r| !r["tcp.srcport"].is_empty())
        .map(|r| (u(&r["frame.number"]), r))
        .collect();
    let cap = lab.join("capture.pcap");
    let out = common::run(&["segments".as_ref(), "--json".as_ref(), cap.as_os_str()]);
    assert!(out.status.success());
    let segs = json_lines(&out.stdout);
    assert_eq!(segs.len(), rows.len(), "one object per tshark TCP row");
    let mut seen = HashMap::<&str, u64>::new();
    for v in &segs {
        let frame = v["frame"].as_u64().expect("frame");
        let r = rows[&frame];
        let ctx = format!("frame {frame}");
        assert_eq!(v["conn"], u(&r["tcp.stream"]), "{ctx}");
        assert_eq!(v["seq"], u(&r["tcp.seq"]), "{ctx}");
        // tshark's ack column is the relative number; without the ACK flag the
        // raw field, which is what ours holds too.
        assert_eq!(v["ack"], u(&r["tcp.ack"]), "{ctx}");
        assert_eq!(v["win_scaled"], u(&r["tcp.window_size"]), "{ctx}");
        match r["tcp.window_size_scalefactor"].as_str() {
            "" => assert_eq!(v["scale"], Value::Null, "{ctx}"),
            s => assert_eq!(v["scale"], s.parse::<i64>().expect("scale"), "{ctx}"),
        }
        let ours: HashSet<&str> = v["analysis"]
            .as_array()
            .expect("analysis list")
            .iter()
            .filter_map(Value::as_str)
            .filter(|f| FLAGS.contains(f))
            .collect();
        let theirs: HashSet<&str> = FLAGS
            .iter()
            .copied()
            .filter(|f| !r[&format!("tcp.analysis.{f}")].is_empty())
            .collect();
        assert_eq!(ours, theirs, "{ctx}");
        for f in &theirs {
            *seen.entry(f).or_default() += 1;
        }
        match r["tcp.analysis.duplicate_ack_num"].as_str() {
            "" => assert_eq!(v["dup_ack_num"], Value::Null, "{ctx}"),
            n => {
                assert_eq!(v["dup_ack_num"], u(n), "{ctx}");
                assert!(v["dup_ack_frame"].as_u64().is_some(), "{ctx}");
            }
        }
        match r["tcp.analysis.ack_rtt"].as_str() {
            "" => {}
            t => {
                assert!(near(&v["ack_rtt"], t), "{ctx}: {} vs {t}", v["ack_rtt"]);
                assert!(v["acks_frame"].as_u64().is_some_and(|f| f < frame));
                *seen.entry("ack_rtt").or_default() += 1;
            }
        }
        match r["tcp.analysis.initial_rtt"].as_str() {
            "" => {}
            t => assert!(near(&v["irtt"], t), "{ctx}"),
        }
        match r["tcp.analysis.bytes_in_flight"].as_str() {
            "" => assert_eq!(v["bytes_in_flight"], Value::Null, "{ctx}"),
            n => assert_eq!(v["bytes_in_flight"], u(n), "{ctx}"),
        }
        // SACK blocks relative as tshark shows them; the raw edges beside.
        let sack = v["options"]
            .as_array()
            .expect("options")
            .iter()
            .find(|o| o["kind"] == "sack");
        let le: Vec<u64> = r["tcp.options.sack_le"]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(u)
            .collect();
        let re: Vec<u64> = r["tcp.options.sack_re"]
            .split(',')
            .filter(|s| !s.is_empty())
            .map(u)
            .collect();
        match sack {
            None => assert!(le.is_empty(), "{ctx}"),
            Some(s) => {
                let want: Vec<Value> = le
                    .iter()
                    .zip(&re)
                    .map(|(l, r)| Value::from(vec![*l, *r]))
                    .collect();
                assert_eq!(s["blocks"], Value::from(want), "{ctx}");
                // Raw edge minus relative edge is the same base for every edge.
                let base = |b: &Value, i: usize| b[0][i].as_u64().unwrap_or(0);
                let (raw, rel) = (&s["blocks_raw"], &s["blocks"]);
                let d = base(raw, 0).wrapping_sub(base(rel, 0)) & 0xffff_ffff;
                assert_eq!(base(raw, 1).wrapping_sub(base(rel, 1)) & 0xffff_ffff, d);
                *seen.entry("sack").or_default() += 1;
            }
        }
    }
    // The capture holds every kind of field checked above (counts from tshark.tsv).
    for k in [
        "sack",
        "retransmission",
        "duplicate_ack",
        "ack_rtt",
        "window_full",
    ] {
        assert!(
            seen.get(k).copied().unwrap_or(0) > 0,
            "no {k} in the capture"
        );
    }
}

/// tcp_header_heapoverflow.pcap: one TCP segment cut by the snaplen 12 bytes
/// into its header (before the data offset). tshark shows its ports and no
/// `tcp.stream` (it stops dissecting); `--json` writes no object for it, the
/// text line is still printed as tcpdump does, and `--stats` counts it.
#[test]
fn header_shorter_than_20_bytes_is_not_analysed() {
    let corpus = common::testdata().join("corpus/tcpdump");
    let cap = corpus.join("tcp_header_heapoverflow.pcap");
    let rows = common::read_tsv(&corpus.join("tcp_header_heapoverflow.pcap.tshark.tsv"));
    assert_eq!(rows.len(), 1);
    assert!(!rows[0]["tcp.srcport"].is_empty() && rows[0]["tcp.stream"].is_empty());
    let out = common::run(&[
        "segments".as_ref(),
        "--json".as_ref(),
        "--stats".as_ref(),
        cap.as_os_str(),
    ]);
    assert!(out.status.success());
    assert!(out.stdout.is_empty(), "no object");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("1 TCP segment,") && err.contains("1 header too short"),
        "{err}"
    );
    let out = common::run(&["segments".as_ref(), cap.as_os_str()]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 1);
}

/// `--count` and `--analyze-only` print the counts; checked against tshark's
/// rows of the same capture (segments, connections, retransmissions).
#[test]
fn count_modes_match_tshark_totals() {
    let lab = common::testdata().join("captures/lab/bulk-loss-sack");
    let rows = common::read_tsv(&lab.join("tshark.tsv"));
    let tcp: Vec<_> = rows
        .iter()
        .filter(|r| !r["tcp.srcport"].is_empty())
        .collect();
    let conns: HashSet<&str> = tcp.iter().map(|r| r["tcp.stream"].as_str()).collect();
    let retrans = tcp
        .iter()
        .filter(|r| !r["tcp.analysis.retransmission"].is_empty())
        .count();
    let cap = lab.join("capture.pcap");
    let field = |line: &str, k: &str| -> u64 {
        let mut it = line.split_whitespace();
        while let Some(w) = it.next() {
            if w == k {
                return it.next().map(u).unwrap_or(0);
            }
        }
        0
    };
    let out = common::run(&["segments".as_ref(), "--count".as_ref(), cap.as_os_str()]);
    assert!(out.status.success());
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(line.lines().count(), 1);
    assert_eq!(field(&line, "packets"), rows.len() as u64, "{line}");
    assert_eq!(field(&line, "tcp"), tcp.len() as u64, "{line}");
    let out = common::run(&[
        "segments".as_ref(),
        "--analyze-only".as_ref(),
        cap.as_os_str(),
    ]);
    assert!(out.status.success());
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(field(&line, "tcp"), tcp.len() as u64, "{line}");
    assert_eq!(field(&line, "connections"), conns.len() as u64, "{line}");
    assert_eq!(field(&line, "retransmission"), retrans as u64, "{line}");
}

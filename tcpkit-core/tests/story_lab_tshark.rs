//! The story layer alone, over every lab scenario: segments from our capture
//! reader and decoder, per-segment facts taken from tshark.tsv (tshark 4.0's own
//! relative numbers, analysis flags, ack_rtt and initial_rtt), so that a miss here
//! is the story's fault, not the per-segment analysis'. Every manifest fact that
//! `tools/lab_facts.py` checks, and every socket's states in ss.log, must come out.

mod story_support;

use story_support::tshark_facts::stories_from_tshark;
use story_support::*;

#[test]
fn every_lab_fact_with_tshark_segment_facts() {
    assert_every_lab_fact(stories_from_tshark);
}

/// The JSON names of `tcpkit flows --json` and `tcpkit report --json` (issue 4's
/// contract, read by `tools/lab_facts.py`; issue 8: one record, instants in integer
/// ns, notes and findings as codes), both written from `tcpkit_core::schema`.
#[test]
fn json_field_names_follow_the_contract() {
    use tcpkit_core::schema::json::{write_connection, write_report};
    let dir = lab_root().join("simultaneous-close");
    let (flows, report) = stories_from_tshark(&dir);
    let mut line = String::new();
    write_connection(&mut line, &flows[0]).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    let keys = |v: &serde_json::Value| -> Vec<String> {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    for k in [
        "conn",
        "client",
        "server",
        "midstream",
        "first_ts_ns",
        "last_ts_ns",
        "packets",
        "bytes",
        "handshake",
        "options",
        "implied_mtu",
        "window_scale",
        "retransmissions",
        "zero_window",
        "first_frame",
        "last_frame",
        "fin_frame",
        "rst_frame",
        "end",
        "trains",
        "rtt",
        "close",
        "states",
        "inferred",
        "notes",
        "evicted",
        "resumed_frame",
    ] {
        assert!(v.get(k).is_some(), "missing {k}");
    }
    assert_eq!(keys(&v["client"]), ["ip", "port"]);
    assert_eq!(v["client"]["ip"], "198.18.7.15");
    assert_eq!(v["conn"], 0);
    assert_eq!(keys(&v["packets"]), ["c2s", "s2c"]);
    // lab_facts.py reads handshake.irtt, handshake.syn.count, trains[].times_s.
    assert_eq!(
        keys(&v["handshake"]),
        [
            "ack_frame",
            "ack_ts_ns",
            "irtt",
            "outcome",
            "syn",
            "syn_ack",
            "syn_ack_frames",
            "syn_frames"
        ]
    );
    assert_eq!(v["handshake"]["outcome"], "established");
    assert_eq!(
        keys(&v["options"]["client"]),
        ["mptcp", "mss", "sack_perm", "tfo", "timestamps", "wscale"]
    );
    assert_eq!(keys(&v["window_scale"]), ["client", "server"]);
    let t = &v["trains"][0];
    assert_eq!(
        keys(t),
        [
            "dir",
            "frames",
            "intervals_s",
            "kind",
            "seq",
            "times_s",
            "ts_ns",
            "verdict"
        ]
    );
    assert!(t["dir"] == "c2s" || t["dir"] == "s2c");
    assert_eq!(t["kind"], "fin");
    assert_eq!(
        keys(&v["rtt"]["c2s"]),
        [
            "max", "median", "min", "p95", "rto", "rto_rule", "rttvar", "samples", "srtt"
        ]
    );
    assert_eq!(
        keys(&v["close"]),
        [
            "duration_s",
            "first_fin_by",
            "half_close_left_open",
            "piggybacked",
            "rst_by",
            "simultaneous"
        ]
    );
    assert_eq!(v["close"]["first_fin_by"], "server");
    assert_eq!(keys(&v["states"]["client"][0]), ["state", "t_ns"]);
    assert_eq!(v["states"]["client"][1]["state"], "ESTABLISHED");
    assert!(
        v["notes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["code"].is_string())
    );
    let mut line = String::new();
    write_report(&mut line, &report).unwrap();
    let r: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        keys(&r),
        [
            "connections",
            "evicted",
            "findings",
            "forgotten",
            "listeners",
            "resumed"
        ]
    );
    assert_eq!(
        (&r["evicted"], &r["resumed"], &r["forgotten"]),
        (&0.into(), &0.into(), &0.into())
    );
    assert_eq!(
        keys(&r["listeners"][0]),
        [
            "answered",
            "backlog_estimate",
            "clients",
            "cookie_answers",
            "cookie_connections",
            "established",
            "findings",
            "ip",
            "max_half_open",
            "port",
            "queued_answers",
            "refused",
            "syns",
            "unanswered"
        ]
    );
    if std::env::var_os("TCPKIT_DUMP").is_some() {
        for name in [
            "simultaneous-close",
            "syn-sent-timeout",
            "bulk-loss-sack",
            "zero-window",
            "accept-queue-overflow",
        ] {
            let (flows, report) = stories_from_tshark(&lab_root().join(name));
            let f = flows
                .iter()
                .max_by_key(|f| f.packets.c2s + f.packets.s2c)
                .unwrap();
            let (mut a, mut b) = (String::new(), String::new());
            write_connection(&mut a, f).unwrap();
            write_report(&mut b, &report).unwrap();
            println!("== {name}\n{a}\n{b}");
        }
    }
}

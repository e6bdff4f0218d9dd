//! `tcpkit flows`, `tcpkit report` and `tcpkit ss` as a user runs them, checked
//! against the lab's oracles (manifest.json, ss.log).

mod common;

use serde_json::Value;
use std::path::{Path, PathBuf};

fn lab(name: &str) -> PathBuf {
    common::testdata().join("captures/lab").join(name)
}

fn capture(dir: &Path) -> PathBuf {
    ["capture.pcap", "capture.pcapng"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
        .expect("capture")
}

fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

fn stdout(args: &[&std::ffi::OsStr]) -> String {
    let o = common::run(args);
    assert!(
        o.status.success() && !common::panicked(&o),
        "tcpkit {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).unwrap()
}

#[test]
fn flows_json_one_object_per_connection_of_every_lab_capture() {
    for e in std::fs::read_dir(common::testdata().join("captures/lab")).unwrap() {
        let dir = e.unwrap().path();
        if !dir.join("manifest.json").is_file() {
            continue;
        }
        let m = manifest(&dir);
        let out = stdout(&[
            "flows".as_ref(),
            "--json".as_ref(),
            capture(&dir).as_os_str(),
        ]);
        let mut flows: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        // Handed out as they end (a clean close before a connection that
        // lingers longer): compared in number order.
        flows.sort_by_key(|f| f["conn"].as_u64());
        let streams = m["analysis"]["streams"].as_array().unwrap();
        assert_eq!(flows.len(), streams.len(), "{}", dir.display());
        for (f, s) in flows.iter().zip(streams) {
            // tshark's stream numbers, endpoints and SYN counts.
            assert_eq!(f["conn"], s["stream"]);
            let client = format!(
                "{}:{}",
                f["client"]["ip"].as_str().unwrap(),
                f["client"]["port"]
            );
            let want = s["client"].as_str().unwrap().replace(['[', ']'], "");
            assert_eq!(client, want, "{}", dir.display());
            assert_eq!(
                f["handshake"]["syn"]["count"].as_u64().unwrap(),
                s["handshake"]["syn_count"].as_u64().unwrap()
            );
        }
    }
}

#[test]
fn report_json_finds_the_syn_flood() {
    let dir = lab("syn-flood-small-backlog");
    let m = manifest(&dir);
    let out = stdout(&[
        "report".as_ref(),
        "--json".as_ref(),
        capture(&dir).as_os_str(),
    ]);
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["connections"], m["facts"]["streams"]["value"]);
    let l = &r["listeners"][0];
    assert_eq!(l["clients"], m["facts"]["distinct_client_ports"]["value"]);
    assert_eq!(
        l["answered"],
        m["facts"]["streams_answered_with_synack"]["value"]
    );
    assert_eq!(
        l["max_half_open"],
        m["facts"]["server_max_simultaneous_by_state"]["value"]["SYN-RECV"]
    );
    assert!(
        l["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "syn_flood")
    );
    assert!(
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["code"] == "syn_flood")
    );
}

/// The wording of `tcpkit report` (the demo capture, which is the lab's
/// handshake-close, byte for byte); every number in it comes from the lab's
/// manifest (tshark.tsv and ss.log facts), not from our own output.
#[test]
fn report_with_no_capture_tells_the_demo_story() {
    let dir = lab("handshake-close");
    assert_eq!(
        std::fs::read(capture(&dir)).unwrap(),
        std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo.pcap")).unwrap(),
        "the demo capture is the lab's handshake-close"
    );
    let m = manifest(&dir);
    let f = &m["facts"];
    let s = &m["analysis"]["streams"][0];
    let out = stdout(&["report".as_ref()]);
    let head = format!(
        "Connection {}: {} -> {}  opened (3-way handshake)",
        s["stream"],
        s["client"].as_str().unwrap(),
        s["server"].as_str().unwrap()
    );
    assert_eq!(f["handshake_complete"]["value"], true);
    assert!(out.contains(&head), "{head}\n{out}");
    let o = &f["client_syn_options"]["value"];
    let opts = format!(
        "client mss {}, wscale {}{}{}",
        o["mss"],
        o["wscale_shift"],
        if o["sack_permitted"] == true {
            ", SACK"
        } else {
            ""
        },
        if o["timestamps"] == true { ", TS" } else { "" }
    );
    assert!(out.contains(&opts), "{opts}\n{out}");
    // tshark's window_size_effective of the third packet.
    let win = format!(
        "window after the handshake: client {} bytes",
        f["third_packet_window"]["value"]["window_size_effective"]
    );
    assert!(out.contains(&win), "{win}\n{out}");
    // tshark's initial_rtt (25 µs) in the block's units.
    let irtt = f["handshake_rtt_s"]["value"].as_f64().unwrap();
    let said = format!("initial RTT {:.0} µs", irtt * 1e6);
    assert!(out.contains(&said), "{said}\n{out}");
    let first = f["first_fin_by"]["value"].as_str().unwrap();
    // The header says how it opened and ended: the first FIN's sender, and
    // the second FIN riding on the ACK of the first (three packets).
    assert_eq!(f["second_fin_acks_first_fin"]["value"], true);
    assert!(
        out.contains(&format!(
            "opened (3-way handshake), closed by {first} FIN (three-packet close)"
        )),
        "{out}"
    );
    // ss.log saw the client in TIME-WAIT.
    let client_states = f["client_states"]["value"].as_object().unwrap();
    assert!(
        client_states
            .values()
            .any(|v| v.as_array().unwrap().iter().any(|x| x == "TIME-WAIT"))
    );
    assert!(out.contains("The client is in TIME_WAIT"), "{out}");
    assert!(out.contains("Findings: none"), "{out}");
}

#[test]
fn ss_at_an_ss_log_sample() {
    // ss.log's first client sample: TIME-WAIT with "timer:(timewait,59sec,0)".
    let dir = lab("handshake-close");
    let log = std::fs::read_to_string(dir.join("ss.log")).unwrap();
    let mut t = None;
    let mut ns = "";
    for line in log.lines() {
        if let Some(rest) = line.strip_prefix("# t=") {
            let (a, b) = rest.split_once(" ns=").unwrap();
            t = Some(a.to_string());
            ns = if b == "client" { "client" } else { "server" };
        } else if ns == "client" && line.starts_with("TIME-WAIT") {
            assert!(line.contains("timer:(timewait,59sec,0)"), "{line}");
            break;
        }
    }
    let t = t.unwrap();
    // The absolute time form.
    let out = stdout(&[
        "ss".as_ref(),
        capture(&dir).as_os_str(),
        "--at".as_ref(),
        t.as_ref(),
    ]);
    let tw = out
        .lines()
        .find(|l| l.starts_with("TIME-WAIT"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(tw.contains("198.18.1.15:45188"), "{tw}");
    assert!(tw.contains("timer:(timewait,59sec,0)"), "{tw}");
    // --every: one table per second while the capture lasts (10 ms: 1 table), then stops.
    let out = stdout(&[
        "ss".as_ref(),
        capture(&dir).as_os_str(),
        "--at".as_ref(),
        "0".as_ref(),
        "--every".as_ref(),
        "0.002".as_ref(),
    ]);
    assert!(out.matches("# t=").count() >= 5, "{out}");
    assert!(out.contains("ESTAB"), "{out}");
}

#[test]
fn story_commands_fail_cleanly() {
    for args in [
        vec!["flows", "--json", "/nonexistent.pcap"],
        vec!["report", "/nonexistent.pcap"],
        vec!["ss", "/nonexistent.pcap", "--at", "1"],
    ] {
        let o = common::run(&args);
        assert_eq!(o.status.code(), Some(1), "{args:?}");
        assert!(!common::panicked(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("/nonexistent.pcap"), "{err}");
    }
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo.pcap");
    let o = common::run(&[
        "ss".as_ref(),
        demo.as_os_str(),
        "--at".as_ref(),
        "NaN".as_ref(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!common::panicked(&o));
}

/// `tcpkit report` prints exactly what the library's `explain()` returns:
/// each connection's block (times from the capture's first packet) and a
/// blank line, in the order the driver hands them out, then the report's.
#[test]
fn report_prints_what_explain_returns() {
    use tcpkit_core::{Analysis, Event, analysis::AnalyzerConfig};
    for name in ["handshake-close", "syn-sent-timeout", "bulk-loss-sack"] {
        let cap = capture(&lab(name));
        let mut a = Analysis::open(&cap, AnalyzerConfig::default()).unwrap();
        let mut want = String::new();
        while let Some(ev) = a.next_event() {
            match ev.unwrap() {
                Event::Segment(_) => {}
                Event::Connection(c) => {
                    want += &c.explain(a.first_ts_ns().unwrap());
                    want.push('\n');
                }
                Event::Report(r) => want += &r.explain(),
            }
        }
        assert_eq!(
            stdout(&["report".as_ref(), cap.as_os_str()]),
            want,
            "{name}"
        );
    }
}

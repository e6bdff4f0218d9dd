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
        let flows: Vec<Value> = out
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
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
                f["handshake"]["syn_frames"].as_array().unwrap().len() as u64,
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

#[test]
fn report_with_no_capture_tells_the_demo_story() {
    let out = stdout(&["report".as_ref()]);
    // The demo is the lab's handshake-close: options, piggybacked close, client TIME_WAIT.
    assert!(
        out.contains("Connection 0: 198.18.1.15:45188 -> 198.18.1.12:9527  established"),
        "{out}"
    );
    assert!(
        out.contains("client mss 8460, wscale 10, SACK, TS"),
        "{out}"
    );
    assert!(
        out.contains("window after the handshake: client 59392 bytes"),
        "{out}"
    );
    assert!(out.contains("second FIN piggybacked"), "{out}");
    assert!(out.contains("TIME_WAIT"), "{out}");
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

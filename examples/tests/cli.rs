//! The command's behaviour: output against the oracles of the demo capture,
//! errors, exit codes, a closed pipe.

mod common;

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn demo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/demo.pcap")
}

/// The demo capture is the lab's handshake-close capture; tcpdump's own `-v`
/// output of it (`tcpdump.txt`, with `-tt` epoch timestamps) is the oracle:
/// our one-line form is tcpdump's IP header line, a space, and its TCP line
/// (checksum remark included).
#[test]
fn demo_text_matches_tcpdump_v() {
    let lab = common::testdata().join("captures/lab/handshake-close");
    assert_eq!(
        std::fs::read(lab.join("capture.pcap")).expect("lab capture"),
        std::fs::read(demo()).expect("demo capture"),
        "examples/data/demo.pcap is a copy of the lab's handshake-close capture"
    );
    let txt = std::fs::read_to_string(lab.join("tcpdump.txt")).expect("tcpdump.txt");
    let mut want: HashMap<String, String> = HashMap::new();
    let mut lines = txt.lines().peekable();
    while let Some(l) = lines.next() {
        let Some((ts, rest)) = l.split_once(' ') else {
            continue;
        };
        if rest.starts_with("IP (") && lines.peek().is_some_and(|n| n.starts_with("    ")) {
            let tcp = lines.next().unwrap_or_default().trim_start();
            want.insert(ts.to_owned(), format!("{rest} {tcp}"));
        }
    }
    assert_eq!(want.len(), 8, "tcpdump.txt holds 8 TCP segments");
    let out = common::run(&["segments".as_ref(), "-v".as_ref(), demo().as_os_str()]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let mut n = 0;
    for line in stdout.lines() {
        // "    3  2026-11-23 22:01:15.054323 IP (...": frame, date, time, rest.
        let mut it = line.split_whitespace();
        let (_frame, _date, time) = (it.next(), it.next(), it.next().unwrap_or(""));
        let rest = line.split_once(time).map_or("", |x| x.1).trim_start();
        let frac = time.rsplit('.').next().unwrap_or("");
        let key = want
            .keys()
            .find(|k| k.ends_with(&format!(".{frac}")))
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            Some(rest),
            want.get(&key).map(String::as_str),
            "line {line}"
        );
        n += 1;
    }
    assert_eq!(n, 8);
}

/// `--json` against tshark's view of the same capture (`tshark.tsv`).
#[test]
fn demo_json_matches_tshark_fields() {
    let lab = common::testdata().join("captures/lab/handshake-close");
    let rows = common::read_tsv(&lab.join("tshark.tsv"));
    let rows: HashMap<u64, _> = rows
        .iter()
        .filter(|r| !r["tcp.srcport"].is_empty())
        .map(|r| (r["frame.number"].parse::<u64>().expect("frame"), r))
        .collect();
    let out = common::run(&["segments".as_ref(), "--json".as_ref(), demo().as_os_str()]);
    assert!(out.status.success());
    let mut seen = 0;
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("one JSON object per line");
        let frame = v["frame"].as_u64().expect("frame");
        let r = rows[&frame];
        let num = |k: &str| r[k].parse::<u64>().expect(k);
        assert_eq!(v["src"], r["ip.src"].as_str());
        assert_eq!(v["dst"], r["ip.dst"].as_str());
        assert_eq!(v["sport"], num("tcp.srcport"));
        assert_eq!(v["dport"], num("tcp.dstport"));
        assert_eq!(v["seq_raw"], num("tcp.seq_raw"));
        assert_eq!(v["ack_raw"], num("tcp.ack_raw"));
        assert_eq!(v["len"], num("tcp.len"));
        assert_eq!(v["hdr_len"], num("tcp.hdr_len"));
        assert_eq!(v["win"], num("tcp.window_size_value"));
        assert_eq!(v["truncated"], false);
        let ts_us = r["frame.time_epoch"].replace('.', "")[..16]
            .parse::<i64>()
            .expect("ts");
        assert_eq!(v["ts_ns"].as_i64().map(|t| t / 1000), Some(ts_us));
        let opts = v["options"].as_array().expect("options");
        let mss = opts.iter().find(|o| o["kind"] == "mss");
        match r["tcp.options.mss_val"].as_str() {
            "" => assert!(mss.is_none()),
            m => assert_eq!(
                mss.map(|o| o["value"].clone()),
                Some(m.parse::<u64>().expect("mss").into())
            ),
        }
        let ts = opts
            .iter()
            .find(|o| o["kind"] == "ts")
            .expect("every segment has timestamps");
        assert_eq!(ts["val"], num("tcp.options.timestamp.tsval"));
        seen += 1;
    }
    assert_eq!(seen, rows.len());
}

/// A capture cut inside a record: every segment before it is printed, then one
/// line on stderr naming the file, the frame, the byte offset and the reason.
#[test]
fn cut_capture_prints_what_precedes_then_one_error_line() {
    let data = std::fs::read(demo()).expect("demo");
    let tmp = std::env::temp_dir().join(format!("tcpkit-cli-{}.pcap", std::process::id()));
    std::fs::write(&tmp, &data[..data.len() - 10]).expect("write");
    let out = common::run(&["segments".as_ref(), tmp.as_os_str()]);
    let _ = std::fs::remove_file(&tmp);
    assert_eq!(out.status.code(), Some(1));
    // 12 records: 2 ARP, 8 TCP (frames 3-10), 2 more; the last one is cut.
    assert_eq!(String::from_utf8_lossy(&out.stdout).lines().count(), 8);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("tcpkit: ") && err.contains("frame 12, byte offset 883: "),
        "{err}"
    );
    assert!(err.contains("cut short"), "{err}");
}

#[test]
fn usage_and_missing_file_errors() {
    let out = common::run(&["segments"]);
    assert_eq!(out.status.code(), Some(2));
    let out = common::run(&["segments", "/nonexistent/x.pcap"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1);
    assert!(err.starts_with("tcpkit: /nonexistent/x.pcap: "), "{err}");
    // tcpdump's flag spellings are accepted (-vvvv is in the corpus' tests).
    let out = common::run(&[
        "segments".as_ref(),
        "-vvvv".as_ref(),
        "-S".as_ref(),
        demo().as_os_str(),
    ]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("seq 3240789092, ack 554405060"));
}

/// `tcpkit segments big.pcap | head -1`: the reader goes away; the command
/// stops quietly with status 0.
#[test]
fn closed_pipe_is_quiet() {
    let big = common::testdata().join("captures/lab/small-transfer-full-payload/capture.pcap");
    let mut child = Command::new(common::bin())
        .args(["segments".as_ref(), "-vv".as_ref(), big.as_os_str()])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("read a line");
    // The reader is dropped here: the pipe closes.
    let out = child.wait_with_output().expect("wait");
    assert!(first.contains("Flags ["), "{first}");
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

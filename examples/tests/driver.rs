//! Every command reads through the one driver (`tcpkit_core::Analysis`):
//! connection numbers agree between commands, standard input works, and a
//! capture cut in the middle gives everything before the cut, then the error.

mod common;
#[path = "../../tcpkit-core/tests/synthetic/mod.rs"]
mod synthetic;

use serde_json::Value;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

fn conns(out: &Output) -> BTreeSet<u64> {
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("one JSON object per line");
            v["conn"].as_u64().expect("conn")
        })
        .collect()
}

/// The set of `tcp.stream` numbers tshark gives frames `< before` (all with
/// `u64::MAX`).
fn tshark_streams(tsv: &Path, before: u64) -> BTreeSet<u64> {
    common::read_tsv(tsv)
        .iter()
        .filter(|r| r["frame.number"].parse::<u64>().unwrap() < before)
        .filter_map(|r| r["tcp.stream"].parse().ok())
        .collect()
}

#[test]
fn segments_and_flows_number_connections_alike_on_every_capture() {
    let mut compared = 0;
    for cap in common::captures() {
        let seg = common::run(&["segments".as_ref(), "--json".as_ref(), cap.as_os_str()]);
        let flows = common::run(&["flows".as_ref(), "--json".as_ref(), cap.as_os_str()]);
        assert!(
            !common::panicked(&seg) && !common::panicked(&flows),
            "{}",
            cap.display()
        );
        // A damaged capture fails both alike, after the same connections.
        assert_eq!(seg.status.code(), flows.status.code(), "{}", cap.display());
        let (a, b) = (conns(&seg), conns(&flows));
        assert_eq!(a, b, "{}", cap.display());
        // Numbers are dense from 0: a connection is numbered when it opens.
        assert!(a.iter().copied().eq(0..a.len() as u64), "{}", cap.display());
        compared += 1;
    }
    assert!(compared > 100);
}

/// tshark stops at a TCP header under 20 bytes and gives it no `tcp.stream`
/// (its tshark.tsv: ports, no stream): no command numbers a connection.
#[test]
fn a_header_under_20_bytes_opens_no_connection_in_any_command() {
    let cap = common::testdata().join("corpus/tcpdump/tcp_header_heapoverflow.pcap");
    let tsv = common::testdata().join("corpus/tcpdump/tcp_header_heapoverflow.pcap.tshark.tsv");
    assert!(tshark_streams(&tsv, u64::MAX).is_empty());
    let flows = common::run(&["flows".as_ref(), "--json".as_ref(), cap.as_os_str()]);
    assert!(flows.status.success());
    assert!(conns(&flows).is_empty(), "flows lists no connection");
    let seg = common::run(&[
        "segments".as_ref(),
        "--analyze-only".as_ref(),
        cap.as_os_str(),
    ]);
    let line = String::from_utf8_lossy(&seg.stdout).into_owned();
    assert!(line.contains(" connections 0 "), "{line}");
    let report = common::run(&["report".as_ref(), "--json".as_ref(), cap.as_os_str()]);
    let v: Value = serde_json::from_slice(&report.stdout).unwrap();
    assert_eq!(v["connections"], 0);
}

fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(common::bin())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || {
        // The command may stop reading early (a damaged capture): ignore EPIPE.
        let _ = stdin.write_all(&input);
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    out
}

#[test]
fn standard_input_gives_what_the_file_gives() {
    let lab = common::testdata().join("captures/lab");
    for sc in [
        "many-short-connections",
        "bulk-loss-sack",
        "pcapng-dumpcap",
        "syn-sent-timeout",
    ] {
        let cap = common::lab_capture(&lab.join(sc)).unwrap();
        let bytes = std::fs::read(&cap).unwrap();
        let c = cap.to_str().unwrap();
        for cmd in [
            &["report", c][..],
            &["report", "--json", c],
            &["flows", "--json", c],
            &["segments", c],
            &["ss", c, "--at", "1"],
        ] {
            let file = common::run(cmd);
            let mut piped: Vec<&str> = cmd.to_vec();
            *piped.iter_mut().find(|a| **a == c).unwrap() = "-";
            let pipe = with_stdin(&piped, &bytes);
            assert!(file.status.success(), "{cmd:?}");
            assert!(
                pipe.status.success(),
                "{piped:?}: {}",
                String::from_utf8_lossy(&pipe.stderr)
            );
            assert!(!file.stdout.is_empty(), "{cmd:?}");
            assert_eq!(file.stdout, pipe.stdout, "{cmd:?}");
        }
    }
}

/// The offset of the record of frame `frame` (1-based) of a classic pcap
/// file with 16-byte record headers.
fn record_offset(pcap: &[u8], frame: u64) -> usize {
    let le = pcap[..4] == [0xd4, 0xc3, 0xb2, 0xa1] || pcap[..4] == [0x4d, 0x3c, 0xb2, 0xa1];
    let mut off = 24;
    for _ in 1..frame {
        let b: [u8; 4] = pcap[off + 8..off + 12].try_into().unwrap();
        let caplen = if le {
            u32::from_le_bytes(b)
        } else {
            u32::from_be_bytes(b)
        };
        off += 16 + caplen as usize;
    }
    off
}

/// A capture cut in the middle of a record: every command prints what the
/// capture holds before the cut (the same as for the capture ending cleanly
/// before that record; for `flows`, tshark's connections of those frames),
/// then one line naming the file, the frame and the byte offset, exit 1.
#[test]
fn a_capture_cut_in_the_middle_gives_everything_before_the_cut() {
    let lab = common::testdata().join("captures/lab/many-short-connections");
    let full = std::fs::read(lab.join("capture.pcap")).unwrap();
    let frames = common::read_tsv(&lab.join("tshark.tsv")).len() as u64;
    let cut_frame = frames / 2;
    let at = record_offset(&full, cut_frame);
    let dir = std::env::temp_dir().join(format!("tcpkit-driver-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cut = dir.join("cut.pcap");
    let clean = dir.join("clean.pcap");
    // Cut 10 bytes into the record of `cut_frame` (inside its header).
    std::fs::write(&cut, &full[..at + 10]).unwrap();
    std::fs::write(&clean, &full[..at]).unwrap();
    let want = tshark_streams(&lab.join("tshark.tsv"), cut_frame);
    assert!(want.len() >= 2, "connections before the cut");
    let (cs, ls) = (cut.to_str().unwrap(), clean.to_str().unwrap());
    let flows = common::run(&["flows", "--json", cs]);
    assert_eq!(conns(&flows), want);
    for cmd in [
        &["flows", "--json", "X"][..],
        &["flows", "X"],
        &["report", "X"],
        &["report", "--json", "X"],
        &["ss", "X", "--at", "0", "--every", "0.5"],
        &["stream", "X", "0"],
        &["stream", "X", "1", "--dir", "s2c"],
        &["segments", "--json", "X"],
    ] {
        let on = |p: &str| -> Vec<String> {
            cmd.iter()
                .map(|a| {
                    if *a == "X" {
                        p.to_owned()
                    } else {
                        (*a).to_owned()
                    }
                })
                .collect()
        };
        let damaged = common::run(&on(cs));
        let whole = common::run(&on(ls));
        assert_eq!(damaged.status.code(), Some(1), "{cmd:?}");
        assert!(whole.status.success(), "{cmd:?}");
        assert!(!damaged.stdout.is_empty(), "{cmd:?}");
        assert_eq!(damaged.stdout, whole.stdout, "{cmd:?}");
        let err = String::from_utf8_lossy(&damaged.stderr);
        assert_eq!(err.lines().count(), 1, "{cmd:?}: {err}");
        assert!(
            err.contains(cs) && err.contains(&format!("frame {cut_frame}, byte offset {at}")),
            "{cmd:?}: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--threads 2` (a reader thread, two analysers by 4-tuple, the merge on
/// the main thread) prints the same bytes, errors and exit status as one
/// thread, on every capture, and `-j 2` and `-j 3` on a synthetic capture
/// of 3,000 interleaved connections (`tcpkit-core/tests/synthetic`).
#[test]
fn threads_give_the_same_bytes() {
    let dir = std::env::temp_dir().join(format!("tcpkit-cli-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let many = dir.join("many.pcap");
    std::fs::write(&many, synthetic::many_connections(3000)).unwrap();
    let mut most = 0;
    let mut all = common::captures();
    all.push(many.clone());
    for p in all {
        for cmd in [
            &["flows", "--json"][..],
            &["flows", "--arrow"],
            &["flows"],
            &["report", "--json"],
            &["report"],
        ] {
            let run = |j: &str| {
                let mut args: Vec<&std::ffi::OsStr> = cmd.iter().map(|s| s.as_ref()).collect();
                args.extend([std::ffi::OsStr::new("-j"), j.as_ref(), p.as_os_str()]);
                common::run(&args)
            };
            let one = run("1");
            let js: &[&str] = if p == many { &["2", "3"] } else { &["2"] };
            for j in js {
                let two = run(j);
                assert_eq!(
                    one.status.code(),
                    two.status.code(),
                    "{cmd:?} -j {j} {}",
                    p.display()
                );
                assert!(
                    one.stdout == two.stdout,
                    "{cmd:?} -j {j} {}: stdout differs",
                    p.display()
                );
                assert_eq!(
                    String::from_utf8_lossy(&one.stderr),
                    String::from_utf8_lossy(&two.stderr),
                    "{cmd:?} -j {j} {}",
                    p.display()
                );
            }
            if cmd == ["flows", "--json"] {
                most = most.max(one.stdout.iter().filter(|&&b| b == b'\n').count());
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert!(most > 3000, "the synthetic capture's connections: {most}");
}

//! Bad input, at the command level (as `../shared/tools/robustness.py`):
//! libpcap's reject files are refused with one line and a non-zero exit; no
//! capture of the corpus or the lab makes the command panic; a capture cut at
//! any offset still yields every segment wholly before the cut.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

fn frames_json(stdout: &[u8]) -> BTreeSet<u64> {
    String::from_utf8_lossy(stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v.get("frame").and_then(serde_json::Value::as_u64))
        .collect()
}

#[test]
fn libpcap_rejects_are_refused_with_one_line() {
    let dir = common::testdata().join("corpus/libpcap");
    let rejects = common::read_tsv(&dir.join("REJECTS.tsv"));
    assert!(!rejects.is_empty());
    for row in rejects {
        let f = dir.join(&row["file"]);
        let out = common::run(&["segments".as_ref(), "--json".as_ref(), f.as_os_str()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!common::panicked(&out), "panic on {}", f.display());
        assert_eq!(out.status.code(), Some(1), "{} accepted", f.display());
        assert_eq!(
            err.lines().count(),
            1,
            "not one line for {}: {err}",
            f.display()
        );
        assert!(
            err.starts_with("tcpkit: ") && err.contains(&row["file"]),
            "{err}"
        );
    }
}

fn all_captures() -> Vec<PathBuf> {
    let sh = common::testdata();
    let mut caps = Vec::new();
    for d in [sh.join("corpus/tcpdump")] {
        for e in std::fs::read_dir(d).expect("corpus") {
            let p = e.expect("entry").path();
            let n = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            if (n.ends_with(".pcap") || n.ends_with(".pcapng")) && p.is_file() {
                caps.push(p);
            }
        }
    }
    for e in std::fs::read_dir(sh.join("captures/lab")).expect("lab") {
        let dir = e.expect("entry").path();
        for f in ["capture.pcap", "capture.pcapng", "capture-client.pcap"] {
            if dir.join(f).is_file() {
                caps.push(dir.join(f));
            }
        }
    }
    caps.sort();
    caps
}

#[test]
fn no_capture_makes_it_panic() {
    let caps = all_captures();
    assert!(caps.len() > 100, "only {} captures found", caps.len());
    for c in caps {
        for args in [&["segments", "--json"][..], &["segments", "-vv"][..]] {
            let mut a: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_ref()).collect();
            a.push(c.as_os_str());
            let out = common::run(&a);
            assert!(!common::panicked(&out), "panic on {}", c.display());
            let err = String::from_utf8_lossy(&out.stderr);
            assert!(err.lines().count() <= 1, "{}: {err}", c.display());
        }
    }
}

/// Number of complete pcap records before byte `off` (as robustness.py).
fn frames_before(data: &[u8], off: usize) -> u64 {
    if off < 24 {
        return 0;
    }
    let big = matches!(
        data.get(..4),
        Some([0xa1, 0xb2, 0xc3, 0xd4]) | Some([0xa1, 0xb2, 0x3c, 0x4d])
    );
    let (mut pos, mut n) = (24usize, 0u64);
    while pos + 16 <= off {
        let b = [data[pos + 8], data[pos + 9], data[pos + 10], data[pos + 11]];
        let incl = if big {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        } as usize;
        if pos + 16 + incl > off {
            break;
        }
        pos += 16 + incl;
        n += 1;
    }
    n
}

fn check_cuts(capture: &Path, tmp: &Path) {
    let data = std::fs::read(capture).expect("read capture");
    let full = common::run(&["segments".as_ref(), "--json".as_ref(), capture.as_os_str()]);
    assert!(full.status.success(), "{}", capture.display());
    let all = frames_json(&full.stdout);
    assert!(!all.is_empty(), "no segments in {}", capture.display());
    // Offsets: header edges, then a spread over the file (deterministic).
    let mut offs: BTreeSet<usize> = [1, 23, 24, 25, 40].into_iter().collect();
    let step = (data.len() / 37).max(1);
    offs.extend((1..data.len()).step_by(step).map(|o| o + o % 7));
    let cut = tmp.join("cut.pcap");
    for off in offs.into_iter().filter(|&o| o < data.len()) {
        std::fs::write(&cut, &data[..off]).expect("write cut");
        let out = common::run(&["segments".as_ref(), "--json".as_ref(), cut.as_os_str()]);
        assert!(!common::panicked(&out), "panic at cut {off}");
        let complete = frames_before(&data, off);
        let got = frames_json(&out.stdout);
        let lost: Vec<_> = all
            .iter()
            .filter(|f| **f <= complete && !got.contains(f))
            .collect();
        assert!(
            lost.is_empty(),
            "{} cut at {off}: lost {lost:?}",
            capture.display()
        );
        let err = String::from_utf8_lossy(&out.stderr);
        if off < data.len() && !out.status.success() {
            assert_eq!(err.lines().count(), 1, "cut at {off}: {err}");
            assert!(err.contains("cut.pcap") && err.contains("offset"), "{err}");
        }
    }
}

#[test]
fn truncations_keep_every_segment_before_the_cut() {
    let tmp = std::env::temp_dir().join(format!("tcpkit-cuts-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).expect("tmp dir");
    let lab = common::testdata().join("captures/lab");
    for s in [
        "handshake-close",
        "rst-refused-and-abort",
        "simultaneous-close",
        "zero-window",
    ] {
        let c = lab.join(s).join("capture.pcap");
        if c.is_file() {
            check_cuts(&c, &tmp);
        }
    }
    let _ = std::fs::remove_dir_all(&tmp);
}

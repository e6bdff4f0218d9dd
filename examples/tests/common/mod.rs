//! Helpers shared by the command's integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The built `tcpkit` binary.
pub fn bin() -> &'static str {
    env!("CARGO_BIN_EXE_tcpkit")
}

/// The repository's `testdata/` (the oracles, see testdata/README.md).
pub fn testdata() -> PathBuf {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    assert!(
        p.join("corpus").is_dir(),
        "the oracles are expected in {} (testdata/ of the repository)",
        p.display()
    );
    p
}

/// Runs `tcpkit ARGS`.
pub fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(bin()).args(args).output().expect("run tcpkit")
}

/// A process panicked (exit 101 or Rust's panic message).
pub fn panicked(o: &Output) -> bool {
    o.status.code() == Some(101) || String::from_utf8_lossy(&o.stderr).contains("panicked at")
}

/// Reads a TSV written without quoting (header row first).
pub fn read_tsv(path: &std::path::Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(path).expect("read tsv");
    let mut lines = text.lines();
    let head: Vec<String> = lines
        .next()
        .unwrap_or("")
        .split('\t')
        .map(str::to_owned)
        .collect();
    lines
        .map(|l| {
            head.iter()
                .cloned()
                .zip(l.split('\t').map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Every capture of the test data that has a header a reader accepts
/// (lab captures and the tcpdump corpus).
pub fn captures() -> Vec<PathBuf> {
    let td = testdata();
    let mut v = Vec::new();
    for sc in std::fs::read_dir(td.join("captures/lab"))
        .unwrap()
        .flatten()
    {
        v.extend(lab_capture(&sc.path()));
    }
    for f in std::fs::read_dir(td.join("corpus/tcpdump"))
        .unwrap()
        .flatten()
    {
        let p = f.path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if name.ends_with(".pcap") || name.ends_with(".pcapng") {
            v.push(p);
        }
    }
    v.sort();
    assert!(v.len() > 100, "the lab captures and the tcpdump corpus");
    v
}

/// The capture of a lab scenario (pcap or pcapng).
pub fn lab_capture(dir: &Path) -> Option<PathBuf> {
    ["capture.pcap", "capture.pcapng"]
        .iter()
        .map(|n| dir.join(n))
        .find(|p| p.is_file())
}

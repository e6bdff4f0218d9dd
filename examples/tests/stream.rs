//! `tcpkit stream`: the reassembled bytes of one direction, checked against the
//! sha256 the lab's sending programs logged (manifest.json
//! `facts.reassembled_payload`), and gaps reported on stderr, never invented.

mod common;

use common::{panicked, run, testdata};
use sha2::{Digest, Sha256};

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn every_lab_payload_reassembles_byte_exact() {
    let lab = testdata().join("captures/lab");
    let mut checked = 0;
    for sc in std::fs::read_dir(&lab).unwrap().flatten() {
        let manifest = sc.path().join("manifest.json");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let m: serde_json::Value = serde_json::from_str(&text).unwrap();
        let rp = &m["facts"]["reassembled_payload"]["value"];
        if rp.is_null() {
            continue;
        }
        let cap = ["capture.pcap", "capture.pcapng"]
            .iter()
            .map(|n| sc.path().join(n))
            .find(|p| p.exists())
            .unwrap();
        for dir in ["c2s", "s2c"] {
            let o = run(&[
                "stream".as_ref(),
                cap.as_os_str(),
                "0".as_ref(),
                "--dir".as_ref(),
                dir.as_ref(),
            ]);
            assert!(
                o.status.success(),
                "{}: {}",
                cap.display(),
                String::from_utf8_lossy(&o.stderr)
            );
            assert_eq!(
                o.stdout.len() as u64,
                rp[format!("{dir}_bytes")].as_u64().unwrap()
            );
            assert_eq!(
                hex(&Sha256::digest(&o.stdout)),
                rp[format!("{dir}_sha256")].as_str().unwrap(),
                "{} {dir}",
                cap.display()
            );
            assert!(
                o.stderr.is_empty(),
                "no gap expected: {}",
                String::from_utf8_lossy(&o.stderr)
            );
            checked += 1;
        }
    }
    assert!(checked >= 8, "only {checked} directions had a payload hash");
}

#[test]
fn snaplen_cut_payload_is_reported_as_gaps() {
    // bulk-loss-sack was captured with snaplen 128: 128 - 14 (Ethernet) - 20 (IPv4)
    // - 32 (TCP with timestamps) = 62 payload bytes of each 8448-byte segment are
    // in the file. The manifest's c2s stream is 20262144 bytes.
    let cap = testdata().join("captures/lab/bulk-loss-sack/capture.pcap");
    let o = run(&["stream".as_ref(), cap.as_os_str(), "0".as_ref()]);
    assert!(o.status.success() && !panicked(&o));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.lines()
            .next()
            .unwrap()
            .contains("bytes 62..8448 (8386) missing"),
        "{err}"
    );
    let total = err.lines().last().unwrap();
    let written = o.stdout.len() as u64;
    assert!(
        total.contains(&format!("{} bytes missing", 20_262_144 - written)),
        "{total}"
    );
}

#[test]
fn unknown_connection_is_a_one_line_error() {
    let cap = testdata().join("captures/lab/handshake-close/capture.pcap");
    let o = run(&["stream".as_ref(), cap.as_os_str(), "7".as_ref()]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("connection 7 not found"), "{err}");
}

//! Ground truth beats tshark: in captures/lab/zero-window the client's Linux
//! kernel probes the server's zero window with zero-length segments one byte
//! before its next sequence number (`tcp_xmit_probe_skb`, seq = snd_una - 1).
//! tshark calls them keep-alives; the kernel's own `ss` samples (ss.log) show
//! the persist timer running at the time, never a keepalive timer. We keep
//! tshark's `keep_alive` flag (what a user comparing with Wireshark expects)
//! and add `persist_probe`, the truth.

use std::path::Path;
use tcpkit_core::analysis::{AnalysisFlags as F, Analyzer, AnalyzerConfig};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::wire;

fn dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab/zero-window")
}

/// (epoch seconds, namespace, sample text) of every ss.log sample.
fn ss_samples(text: &str) -> Vec<(f64, String, String)> {
    let mut out: Vec<(f64, String, String)> = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# t=") {
            let mut it = rest.split_whitespace();
            let t = it.next().and_then(|v| v.parse().ok()).unwrap_or(f64::NAN);
            let ns = it
                .next()
                .unwrap_or("")
                .trim_start_matches("ns=")
                .to_string();
            out.push((t, ns, String::new()));
        } else if let Some(last) = out.last_mut() {
            last.2.push_str(line);
            last.2.push('\n');
        }
    }
    out
}

#[test]
fn linux_persist_probes_are_keep_alives_to_tshark_and_persist_probes_to_us() {
    let d = dir();
    let (Ok(tsv), Ok(ss), Ok(cap)) = (
        std::fs::read_to_string(d.join("tshark.tsv")),
        std::fs::read_to_string(d.join("ss.log")),
        std::fs::read(d.join("capture.pcap")),
    ) else {
        eprintln!("zero-window scenario not available");
        return;
    };
    // tshark's keep-alives, with their times.
    let mut lines = tsv.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let col = |n: &str| head.iter().position(|h| *h == n).expect("column");
    let (c_frame, c_time, c_ka) = (
        col("frame.number"),
        col("frame.time_epoch"),
        col("tcp.analysis.keep_alive"),
    );
    let keep_alives: Vec<(u64, f64)> = lines
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .filter(|r| r.get(c_ka).is_some_and(|v| !v.is_empty()))
        .map(|r| (r[c_frame].parse().unwrap(), r[c_time].parse().unwrap()))
        .collect();
    assert_eq!(keep_alives.len(), 4, "the manifest's four probes");

    // The kernel's view: around each one, the client's socket runs the persist timer.
    let samples = ss_samples(&ss);
    for &(frame, t) in &keep_alives {
        let client: Vec<_> = samples.iter().filter(|s| s.1 == "client").collect();
        let before = client
            .iter()
            .rev()
            .find(|s| s.0 <= t)
            .expect("a sample before");
        let after = client.iter().find(|s| s.0 > t).expect("a sample after");
        for s in [before, after] {
            assert!(
                s.2.contains("timer:(persist"),
                "frame {frame}: client sample at {} shows no persist timer",
                s.0
            );
            assert!(!s.2.contains("timer:(keepalive"), "frame {frame}");
        }
    }

    // Ours: keep_alive as tshark says, plus persist_probe.
    let mut an = Analyzer::new(AnalyzerConfig::default());
    let mut seen = 0;
    for pkt in SliceReader::new(&cap).expect("classic pcap") {
        let pkt = pkt.expect("intact capture");
        let Ok(Some(seg)) = wire::decode(&pkt) else {
            continue;
        };
        let f = an.observe(pkt.frame, pkt.ts_ns, &seg);
        let tshark_ka = keep_alives.iter().any(|k| k.0 == pkt.frame);
        assert_eq!(f.flags.has(F::KEEP_ALIVE), tshark_ka, "frame {}", pkt.frame);
        assert_eq!(
            f.flags.has(F::PERSIST_PROBE),
            tshark_ka,
            "frame {}",
            pkt.frame
        );
        seen += usize::from(tshark_ka);
    }
    assert_eq!(seen, 4);
}

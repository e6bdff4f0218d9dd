//! `Analysis::open_many`: a capture rotated into several files (as `tcpdump
//! -C` writes them: each piece a pcap file with its own header, the packets
//! in order) gives what the whole file gives: the same segment rows (frame
//! numbers going on across the files), the same connections (a connection
//! spanning two files is one) and the same report.

use std::path::{Path, PathBuf};
use tcpkit_core::analysis::{AnalyzerConfig, Connection, SegmentFacts};
use tcpkit_core::capture::{PacketSource, SliceReader};
use tcpkit_core::report::Report;
use tcpkit_core::{Analysis, Event};

fn lab_captures() -> Vec<PathBuf> {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab");
    let mut v: Vec<PathBuf> = std::fs::read_dir(lab)
        .unwrap()
        .flatten()
        .filter_map(|d| {
            ["capture.pcap", "capture.pcapng"]
                .iter()
                .map(|n| d.path().join(n))
                .find(|p| p.is_file())
        })
        .collect();
    v.sort();
    assert!(v.len() >= 15);
    v
}

/// One packet as a pcap writer needs it.
struct Rec {
    ts_ns: i64,
    link: u16,
    orig_len: u32,
    data: Vec<u8>,
}

fn packets(bytes: &[u8]) -> Vec<Rec> {
    let mut r = SliceReader::new(bytes).unwrap();
    let mut v = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        v.push(Rec {
            ts_ns: p.ts_ns,
            link: p.link_type.0,
            orig_len: p.orig_len,
            data: p.data.to_vec(),
        });
    }
    v
}

/// A nanosecond pcap file of `recs` (all of one link type).
fn pcap(recs: &[Rec]) -> Vec<u8> {
    let link = recs.first().map_or(1, |r| r.link);
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_3c4du32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&262_144u32.to_le_bytes());
    out.extend_from_slice(&u32::from(link).to_le_bytes());
    for r in recs {
        assert_eq!(r.link, link);
        let (s, ns) = (
            r.ts_ns.div_euclid(1_000_000_000),
            r.ts_ns.rem_euclid(1_000_000_000),
        );
        out.extend_from_slice(&u32::try_from(s).unwrap().to_le_bytes());
        out.extend_from_slice(&u32::try_from(ns).unwrap().to_le_bytes());
        out.extend_from_slice(&u32::try_from(r.data.len()).unwrap().to_le_bytes());
        out.extend_from_slice(&r.orig_len.to_le_bytes());
        out.extend_from_slice(&r.data);
    }
    out
}

/// Pieces cut before each packet index in `cuts` and wherever the link type
/// changes (a pcap file has one).
fn split(recs: &[Rec], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for i in 1..=recs.len() {
        if i == recs.len() || cuts.contains(&i) || recs[i].link != recs[i - 1].link {
            pieces.push(pcap(&recs[start..i]));
            start = i;
        }
    }
    pieces
}

#[derive(Debug, PartialEq)]
struct Out {
    rows: Vec<(u64, i64, Option<SegmentFacts>)>,
    connections: Vec<Connection>,
    report: Option<Report>,
    errors: usize,
}

fn run(mut a: Analysis) -> Out {
    let mut o = Out {
        rows: Vec::new(),
        connections: Vec::new(),
        report: None,
        errors: 0,
    };
    while let Some(ev) = a.next_event() {
        match ev {
            Err(_) => o.errors += 1,
            Ok(Event::Segment(r)) => o.rows.push((r.packet.frame, r.packet.ts_ns, r.facts)),
            Ok(Event::Connection(c)) => o.connections.push(*c),
            Ok(Event::Report(r)) => o.report = Some(*r),
        }
    }
    o
}

#[test]
fn rotated_pieces_give_the_whole_capture() {
    let dir = std::env::temp_dir().join(format!("tcpkit-rotated-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut spanning = 0;
    for path in lab_captures() {
        let bytes = std::fs::read(&path).unwrap();
        let recs = packets(&bytes);
        let n = recs.len();
        let whole = run(Analysis::from_bytes(bytes.clone(), AnalyzerConfig::default()).unwrap());
        assert_eq!(whole.errors, 0, "{}", path.display());
        for cuts in [
            vec![1],
            vec![n / 2],
            vec![n / 3, 2 * n / 3, 2 * n / 3 + 1],
            (1..n).step_by(7).collect(),
        ] {
            let pieces = split(&recs, &cuts);
            // Written as `tcpdump -C` names them (capture.pcap, .pcap1, ...),
            // handed over in reverse: read in the order of their first
            // packet's time when those increase strictly, else as given.
            let firsts: Vec<i64> = {
                let mut start = 0;
                let mut v = Vec::new();
                for p in &pieces {
                    v.push(recs[start].ts_ns);
                    start += packets(p).len();
                }
                v
            };
            let increasing = firsts.windows(2).all(|w| w[0] < w[1]);
            let mut files = Vec::new();
            for (i, p) in pieces.iter().enumerate() {
                let f = dir.join(if i == 0 {
                    "capture.pcap".to_string()
                } else {
                    format!("capture.pcap{i}")
                });
                std::fs::write(&f, p).unwrap();
                files.push(f);
            }
            if increasing {
                files.reverse();
            }
            let got = run(Analysis::open_many(&files, AnalyzerConfig::default()).unwrap());
            assert_eq!(got, whole, "{} cut at {cuts:?}", path.display());
            let mem: Vec<(String, Vec<u8>)> = files
                .iter()
                .map(|f| (f.display().to_string(), std::fs::read(f).unwrap()))
                .collect();
            let got = run(Analysis::from_many_bytes(mem, AnalyzerConfig::default()).unwrap());
            assert_eq!(got, whole, "{} cut at {cuts:?} (bytes)", path.display());
            // A connection with segments on both sides of a cut.
            if let [c] = cuts.as_slice() {
                let cut_frame = u64::try_from(*c).unwrap();
                spanning += whole
                    .connections
                    .iter()
                    .filter(|k| k.first_frame <= cut_frame && k.last_frame > cut_frame)
                    .count();
            }
            for f in &files {
                std::fs::remove_file(f).unwrap();
            }
        }
    }
    assert!(
        spanning > 0,
        "no connection spans a cut: the test would not see a split one"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn damage_names_the_file_and_the_frame_across_files() {
    let path = &lab_captures()[0];
    let recs = packets(&std::fs::read(path).unwrap());
    let pieces = split(&recs, &[2]);
    let dir = std::env::temp_dir().join(format!("tcpkit-rotated-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let a = dir.join("a.pcap");
    let b = dir.join("b.pcap");
    std::fs::write(&a, &pieces[0]).unwrap();
    // The second file cut in its second record: 24-byte header, first
    // record whole, then 5 bytes of the next record's header.
    let first_len = 16 + recs[2].data.len();
    std::fs::write(&b, &pieces[1][..24 + first_len + 5]).unwrap();
    let mut an = Analysis::open_many([&a, &b], AnalyzerConfig::default()).unwrap();
    let mut err = None;
    let mut report = false;
    while let Some(ev) = an.next_event() {
        match ev {
            Err(e) => err = Some(e.to_string()),
            Ok(Event::Report(_)) => report = true,
            Ok(_) => {}
        }
    }
    // Frames 1 and 2 in a.pcap, 3 in b.pcap: the cut record is frame 4.
    let err = err.expect("an error");
    assert!(err.contains("b.pcap") && err.contains("frame 4"), "{err}");
    assert!(report);
    std::fs::remove_dir_all(&dir).unwrap();
}

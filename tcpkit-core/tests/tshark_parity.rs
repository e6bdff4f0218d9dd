//! Per-segment parity with tshark 4.0's TCP analysis, on every capture of
//! testdata/captures/lab and testdata/corpus/tcpdump, joined on frame number
//! with the `tshark*.tsv` beside it. Fields and comparison rules are those of
//! shared/tools/tshark_parity.py: conn, seq, ack (when tshark shows the A
//! flag), len, calculated window and scale factor (when tshark prints them),
//! MSS, window shift, SACK-permitted, timestamps, SACK blocks, the set of
//! analysis flags, ack_rtt and initial_rtt (within 2 µs).
//!
//! Every tshark row counts: a capture our readers cannot read yet counts all
//! its rows as disagreeing. The 99.5 % bar is asserted over all rows once every
//! capture is readable; until then over the readable captures, and the honest
//! overall figure is printed.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use tcpkit_core::analysis::{AnalysisFlags, AnalyzerConfig};
use tcpkit_core::wire::TcpOption;
use tcpkit_core::{Analysis, Event};

const FLAGS: [&str; 13] = [
    "retransmission",
    "fast_retransmission",
    "spurious_retransmission",
    "out_of_order",
    "lost_segment",
    "ack_lost_segment",
    "duplicate_ack",
    "zero_window",
    "zero_window_probe",
    "window_full",
    "window_update",
    "keep_alive",
    "keep_alive_ack",
];

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata")
}

fn pairs() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let lab = testdata().join("captures/lab");
    let mut scen: Vec<PathBuf> = std::fs::read_dir(&lab)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    scen.sort();
    for sc in scen.iter().filter(|p| p.is_dir()) {
        let mut caps: Vec<PathBuf> = std::fs::read_dir(sc)
            .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        caps.sort();
        for cap in caps {
            let name = cap.file_name().and_then(|n| n.to_str()).unwrap_or("");
            let stem = name
                .strip_suffix(".pcapng")
                .or_else(|| name.strip_suffix(".pcap"));
            if let Some(suffix) = stem.and_then(|s| s.strip_prefix("capture")) {
                let tsv = sc.join(format!("tshark{suffix}.tsv"));
                if tsv.exists() {
                    out.push((cap, tsv));
                }
            }
        }
    }
    let corpus = testdata().join("corpus/tcpdump");
    let mut tsvs: Vec<PathBuf> = std::fs::read_dir(&corpus)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    tsvs.sort();
    for tsv in tsvs {
        let name = tsv.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if let Some(cap) = name.strip_suffix(".tshark.tsv") {
            let cap = corpus.join(cap);
            if cap.exists() {
                out.push((cap, tsv));
            }
        }
    }
    out
}

fn read_tsv(p: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read(p).expect("oracle tsv readable");
    let text = String::from_utf8_lossy(&text);
    let mut lines = text.lines();
    let Some(head) = lines.next() else {
        return Vec::new();
    };
    let head: Vec<&str> = head.split('\t').collect();
    lines
        .map(|l| {
            head.iter()
                .zip(l.split('\t'))
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect::<HashMap<_, _>>()
        })
        .filter(|r| r.get("tcp.srcport").is_some_and(|v| !v.is_empty()))
        .collect()
}

/// What we say about one segment, in the terms of the comparison.
#[derive(Debug, Default, Clone)]
struct Ours {
    conn: u64,
    seq: u64,
    ack: u64,
    len: u64,
    win_scaled: u64,
    scale: Option<i64>,
    mss: Option<u64>,
    wshift: Option<u64>,
    sack_perm: bool,
    ts: Option<(u64, u64)>,
    sack: Option<Vec<(u64, u64)>>,
    flags: Vec<&'static str>,
    ack_rtt: Option<f64>,
    irtt: Option<f64>,
    dup_ack_num: u32,
    bytes_in_flight: Option<u64>,
}

/// Runs the analyzer over a capture. `None`: the capture cannot be read (yet).
fn analyse(cap: &Path) -> Option<HashMap<u64, Ours>> {
    let bytes = std::fs::read(cap).ok()?;
    let mut a = Analysis::from_bytes(bytes, AnalyzerConfig::default()).ok()?;
    let mut out = HashMap::new();
    while let Some(ev) = a.next_event() {
        let Ok(Event::Segment(row)) = ev else {
            continue;
        };
        let (pkt, seg) = (row.packet, row.segment);
        let Some(f) = row.facts else {
            continue;
        };
        let mut o = Ours {
            conn: f.conn.0,
            seq: f.seq,
            ack: f.ack,
            len: u64::from(seg.payload_len),
            win_scaled: f.win_scaled,
            scale: f.scale.map(|s| s.tshark_value()),
            flags: f.flags.names().collect(),
            ack_rtt: f.ack_rtt_ns.map(|n| n as f64 / 1e9),
            irtt: f.irtt_ns.map(|n| n as f64 / 1e9),
            dup_ack_num: f.dup_ack_num,
            bytes_in_flight: f.bytes_in_flight,
            ..Ours::default()
        };
        for opt in seg.options.iter() {
            match opt {
                Ok(TcpOption::Mss(v)) if o.mss.is_none() => o.mss = Some(u64::from(v)),
                Ok(TcpOption::WindowScale(s)) if o.wshift.is_none() => {
                    o.wshift = Some(u64::from(s))
                }
                Ok(TcpOption::SackPermitted) => o.sack_perm = true,
                Ok(TcpOption::Timestamps { val, ecr }) if o.ts.is_none() => {
                    o.ts = Some((u64::from(val), u64::from(ecr)))
                }
                Ok(TcpOption::Sack(b)) if o.sack.is_none() => {
                    o.sack = Some(
                        b.iter()
                            .map(|(l, r)| {
                                (f.ack_space_rel(l, seg.ack), f.ack_space_rel(r, seg.ack))
                            })
                            .collect(),
                    )
                }
                Ok(_) => {}
                Err(_) => break,
            }
        }
        out.insert(pkt.frame, o);
    }
    Some(out)
}

fn first_int(s: &str) -> Option<u64> {
    s.split(',').next().and_then(|v| v.trim().parse().ok())
}

fn ints(s: &str) -> Vec<u64> {
    s.split(',').filter_map(|v| v.trim().parse().ok()).collect()
}

#[derive(Default)]
struct Tally {
    agree: BTreeMap<&'static str, u64>,
    total: BTreeMap<&'static str, u64>,
    flags: BTreeMap<&'static str, [u64; 3]>, // both, ours only, tshark only
}

impl Tally {
    fn check<T: PartialEq>(&mut self, name: &'static str, ours: T, theirs: T) -> bool {
        *self.total.entry(name).or_default() += 1;
        let ok = ours == theirs;
        if ok {
            *self.agree.entry(name).or_default() += 1;
        }
        ok
    }
}

fn compare(row: &HashMap<String, String>, o: &Ours, t: &mut Tally) -> bool {
    let g = |k: &str| row.get(k).map(String::as_str).unwrap_or("");
    let mut ok = true;
    ok &= t.check("conn", Some(o.conn), first_int(g("tcp.stream")));
    ok &= t.check("seq", o.seq, first_int(g("tcp.seq")).unwrap_or(0));
    if g("tcp.flags.str").replace('·', "").contains('A') {
        ok &= t.check("ack", o.ack, first_int(g("tcp.ack")).unwrap_or(0));
    }
    ok &= t.check("len", o.len, first_int(g("tcp.len")).unwrap_or(0));
    if !g("tcp.window_size").is_empty() {
        ok &= t.check(
            "win_scaled",
            Some(o.win_scaled),
            first_int(g("tcp.window_size")),
        );
    }
    if !g("tcp.window_size_scalefactor").is_empty() {
        let theirs: Option<i64> = g("tcp.window_size_scalefactor").parse().ok();
        ok &= t.check("scale", o.scale, theirs);
    }
    ok &= t.check("opt.mss", o.mss, first_int(g("tcp.options.mss_val")));
    ok &= t.check(
        "opt.wscale",
        o.wshift,
        first_int(g("tcp.options.wscale.shift")),
    );
    ok &= t.check(
        "opt.sack_perm",
        o.sack_perm,
        !g("tcp.options.sack_perm").is_empty(),
    );
    let theirs_ts = first_int(g("tcp.options.timestamp.tsval"))
        .zip(first_int(g("tcp.options.timestamp.tsecr")));
    ok &= t.check("opt.ts", o.ts, theirs_ts);
    let le = ints(g("tcp.options.sack_le"));
    let re = ints(g("tcp.options.sack_re"));
    let theirs_sack: Vec<(u64, u64)> = le.into_iter().zip(re).collect();
    let theirs_sack = (!theirs_sack.is_empty()).then_some(theirs_sack);
    ok &= t.check("opt.sack", o.sack.clone(), theirs_sack);
    let mut ours_f: Vec<&str> = o
        .flags
        .iter()
        .copied()
        .filter(|f| FLAGS.contains(f))
        .collect();
    ours_f.sort_unstable();
    let mut theirs_f: Vec<&str> = FLAGS
        .iter()
        .copied()
        .filter(|f| !g(&format!("tcp.analysis.{f}")).is_empty())
        .collect();
    theirs_f.sort_unstable();
    for f in FLAGS {
        let (a, b) = (ours_f.contains(&f), theirs_f.contains(&f));
        let e = t.flags.entry(f).or_default();
        match (a, b) {
            (true, true) => e[0] += 1,
            (true, false) => e[1] += 1,
            (false, true) => e[2] += 1,
            _ => {}
        }
    }
    ok &= t.check("analysis", ours_f, theirs_f);
    let near = |ours: Option<f64>, theirs: &str| -> bool {
        let th: Option<f64> = theirs.split(',').next().and_then(|v| v.parse().ok());
        matches!((ours, th), (Some(a), Some(b)) if (a - b).abs() < 2e-6)
    };
    if !g("tcp.analysis.ack_rtt").is_empty() {
        ok &= t.check("ack_rtt", near(o.ack_rtt, g("tcp.analysis.ack_rtt")), true);
    }
    if !g("tcp.analysis.initial_rtt").is_empty() {
        ok &= t.check("irtt", near(o.irtt, g("tcp.analysis.initial_rtt")), true);
    }
    // Beyond the yardstick (reported, not part of the bar): the duplicate-ACK
    // number and bytes in flight.
    if row.contains_key("tcp.analysis.duplicate_ack_num") {
        t.check(
            "x.dup_ack_num",
            Some(u64::from(o.dup_ack_num)).filter(|&n| n > 0),
            first_int(g("tcp.analysis.duplicate_ack_num")),
        );
    }
    if row.contains_key("tcp.analysis.bytes_in_flight") {
        t.check(
            "x.bytes_in_flight",
            o.bytes_in_flight,
            first_int(g("tcp.analysis.bytes_in_flight")),
        );
    }
    if std::env::var_os("TCPKIT_PARITY_DUP").is_some()
        && Some(u64::from(o.dup_ack_num)).filter(|&n| n > 0)
            != first_int(g("tcp.analysis.duplicate_ack_num"))
    {
        println!(
            "DUP frame {} tshark {} ours {} {:?}",
            g("frame.number"),
            g("tcp.analysis.duplicate_ack_num"),
            o.dup_ack_num,
            o.flags
        );
    }
    ok
}

#[test]
fn tshark_parity() {
    let pairs = pairs();
    if pairs.is_empty() {
        eprintln!("no oracle captures under {}", testdata().display());
        return;
    }
    let mut t = Tally::default();
    let (mut frames, mut frames_ok) = (0u64, 0u64);
    let (mut readable_frames, mut readable_ok) = (0u64, 0u64);
    let mut unreadable = Vec::new();
    let mut worst = Vec::new();
    for (cap, tsv) in &pairs {
        let rows = read_tsv(tsv);
        let name = format!(
            "{}/{}",
            cap.parent()
                .and_then(|p| p.file_name())
                .and_then(|n| n.to_str())
                .unwrap_or(""),
            cap.file_name().and_then(|n| n.to_str()).unwrap_or("")
        );
        let ours = analyse(cap);
        if ours.is_none() {
            unreadable.push((name.clone(), rows.len()));
        }
        let mut bad = 0;
        for row in &rows {
            frames += 1;
            let seg = ours.as_ref().and_then(|m| {
                row.get("frame.number")
                    .and_then(|f| f.parse::<u64>().ok())
                    .and_then(|f| m.get(&f))
            });
            let present = t.check("present", seg.is_some(), true);
            let good = match seg {
                Some(o) => compare(row, o, &mut t) && present,
                None => false,
            };
            if !good && seg.is_some() && std::env::var_os("TCPKIT_PARITY_VERBOSE").is_some() {
                let g = |k: &str| row.get(k).map(String::as_str).unwrap_or("").to_string();
                let theirs: Vec<String> = FLAGS
                    .iter()
                    .filter(|f| !g(&format!("tcp.analysis.{f}")).is_empty())
                    .map(|f| f.to_string())
                    .collect();
                println!(
                    "DIFF {name} frame {} tshark: stream {} seq {} ack {} len {} win {} scale {} {:?} rtt {} irtt {} | ours {:?}",
                    g("frame.number"),
                    g("tcp.stream"),
                    g("tcp.seq"),
                    g("tcp.ack"),
                    g("tcp.len"),
                    g("tcp.window_size"),
                    g("tcp.window_size_scalefactor"),
                    theirs,
                    g("tcp.analysis.ack_rtt"),
                    g("tcp.analysis.initial_rtt"),
                    seg
                );
            }
            if let Some(o) = seg
                && std::env::var_os("TCPKIT_PARITY_BIF").is_some()
                && o.bytes_in_flight.map(|b| b.to_string()).unwrap_or_default()
                    != row
                        .get("tcp.analysis.bytes_in_flight")
                        .cloned()
                        .unwrap_or_default()
            {
                println!(
                    "BIF {name} frame {} tshark {:?} ours {:?} seq {} len {} flags {:?}",
                    row.get("frame.number").cloned().unwrap_or_default(),
                    row.get("tcp.analysis.bytes_in_flight"),
                    o.bytes_in_flight,
                    o.seq,
                    o.len,
                    o.flags
                );
            }
            if ours.is_some() {
                readable_frames += 1;
                readable_ok += u64::from(good);
            }
            if good {
                frames_ok += 1;
            } else {
                bad += 1;
            }
        }
        if bad > 0 && ours.is_some() {
            worst.push((bad, rows.len(), name));
        }
    }
    for (name, total) in &t.total {
        let a = t.agree.get(name).copied().unwrap_or(0);
        println!(
            "{name:18} {:7.2}%  of {total}",
            100.0 * a as f64 / *total as f64
        );
    }
    for (f, [both, ours, theirs]) in &t.flags {
        if both + ours + theirs > 0 {
            println!(
                "flag {f:24} tshark={:5} ours={:5} both={both:5}",
                both + theirs,
                both + ours
            );
        }
    }
    worst.sort_by(|a, b| b.cmp(a));
    for (bad, n, name) in worst.iter().take(15) {
        println!("  {bad:5}/{n:<5} segments differ in {name}");
    }
    let unreadable_rows: usize = unreadable.iter().map(|u| u.1).sum();
    println!(
        "not yet readable: {} captures, {unreadable_rows} tshark rows",
        unreadable.len()
    );
    for (name, n) in &unreadable {
        println!("  not readable: {name} ({n} rows)");
    }
    let pct = 100.0 * frames_ok as f64 / frames.max(1) as f64;
    let rpct = 100.0 * readable_ok as f64 / readable_frames.max(1) as f64;
    println!(
        "tshark parity: {pct:.2}% of {frames} TCP segments agree on every field; \
         {rpct:.2}% of the {readable_frames} in readable captures"
    );
    let _ = AnalysisFlags::NAMES;
    if unreadable.is_empty() {
        assert!(pct >= 99.5, "tshark parity {pct:.2}% < 99.5%");
    } else {
        assert!(
            rpct >= 99.5,
            "tshark parity over readable captures {rpct:.2}% < 99.5%"
        );
    }
}

/// The corpus's shared `*.tshark.tsv` were written without some tcp.analysis
/// fields, so the test above reads those flags as "not set". The same tshark
/// (4.0.17, same preference) was asked for exactly them by
/// `scripts/gen-tshark-extra.sh` (tests/data/corpus-tshark-extra.tsv); here
/// every corpus TCP frame is checked against that supplement.
#[test]
fn tshark_supplement_for_the_corpus() {
    const EXTRA: [&str; 6] = [
        "lost_segment",
        "ack_lost_segment",
        "zero_window_probe",
        "zero_window_probe_ack",
        "window_full",
        "keep_alive_ack",
    ];
    // Fuzzed frames (bogus frame or IP lengths far beyond the 64-232 captured
    // bytes, malformed options or upper layers) on which tshark prints no
    // bytes in flight although it numbers the stream and the length; which of
    // its checks stops it could not be pinned down from these alone. tcpkit
    // reports the span of the data it was told about.
    const NO_BIF_IN_TSHARK: [(&str, u64); 7] = [
        ("beep-oobr.pcap", 2),
        ("bgp-bgp_capabilities_print-oobr-1.pcap", 1),
        ("bgp-bgp_capabilities_print-oobr-2.pcap", 1),
        ("bgp_pmsi_tunnel-oobr.pcap", 1),
        ("heapoverflow-tcp_print.pcap", 1),
        ("rpki-rtr-oobr.pcap", 1),
        ("tcp-auth-heapoverflow.pcap", 1),
    ];
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/corpus-tshark-extra.tsv");
    let text = std::fs::read_to_string(&path).expect("supplementary oracle");
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap_or("").split('\t').collect();
    let mut by_capture: BTreeMap<String, Vec<HashMap<&str, &str>>> = BTreeMap::new();
    for l in lines {
        let row: HashMap<&str, &str> = head.iter().copied().zip(l.split('\t')).collect();
        by_capture
            .entry(row["capture"].to_string())
            .or_default()
            .push(row);
    }
    assert!(
        by_capture.len() >= 100,
        "the whole corpus: {}",
        by_capture.len()
    );
    let corpus = testdata().join("corpus/tcpdump");
    let (mut rows, mut flagged, mut differ) = (0, 0, Vec::new());
    for (cap, expected) in &by_capture {
        let ours = analyse(&corpus.join(cap)).unwrap_or_default();
        for row in expected {
            // tshark numbered no stream: it stopped before its analysis (see
            // docs/differences-from-tshark.md); nothing to compare.
            if row["tcp.stream"].is_empty() {
                continue;
            }
            rows += 1;
            let frame: u64 = row["frame.number"].parse().expect("frame number");
            let o = ours.get(&frame).cloned().unwrap_or_default();
            for f in EXTRA {
                let theirs = !row[format!("tcp.analysis.{f}").as_str()].is_empty();
                flagged += usize::from(theirs);
                if theirs != o.flags.contains(&f) {
                    differ.push(format!("{cap} frame {frame}: {f}: tshark {theirs}"));
                }
            }
            let theirs = first_int(row["tcp.analysis.duplicate_ack_num"]).unwrap_or(0);
            if theirs != u64::from(o.dup_ack_num) {
                differ.push(format!(
                    "{cap} frame {frame}: dup_ack_num {theirs} vs {}",
                    o.dup_ack_num
                ));
            }
            let theirs = first_int(row["tcp.analysis.bytes_in_flight"]);
            if theirs != o.bytes_in_flight && !NO_BIF_IN_TSHARK.contains(&(cap.as_str(), frame)) {
                differ.push(format!(
                    "{cap} frame {frame}: bytes_in_flight {theirs:?} vs {:?}",
                    o.bytes_in_flight
                ));
            }
        }
    }
    for d in &differ {
        println!("{d}");
    }
    assert!(
        rows > 1600 && flagged >= 43,
        "{rows} rows, {flagged} flags set by tshark"
    );
    assert!(
        differ.is_empty(),
        "{} differences from tshark's supplement",
        differ.len()
    );
}

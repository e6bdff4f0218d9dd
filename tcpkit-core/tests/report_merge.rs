//! Ready to shard (issue 8): every lab capture, its connections split into
//! two parts by 4-tuple, each part analysed by its own Analyzer (told every
//! packet's time), numbered after the fact by first frame and merged, gives
//! what one Analyzer of the whole capture gives: the same per-segment facts,
//! the same connection records and the same capture-wide report (the one
//! `Analysis`, the driver, gives).
//!
//! `Analysis` has no sharded form yet, so each part is driven here by the
//! steps the driver takes for its report (analysable segments observed,
//! finished records' stories added to `Diagnostics`, eviction counts, finish);
//! the whole capture's report from these steps is checked against the
//! driver's own.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig, Connection, Renumber, SegmentFacts};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::flow::{ConnId, Endpoint, FlowKey};
use tcpkit_core::report::{Diagnostics, Report};
use tcpkit_core::wire;
use tcpkit_core::{Analysis, Event};

fn lab_captures() -> Vec<PathBuf> {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&lab).expect("testdata/captures/lab") {
        let dir = dir.expect("entry").path();
        if !dir.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&dir).expect("lab dir") {
            let p = f.expect("entry").path();
            if matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng")
            ) {
                out.push(p);
            }
        }
    }
    out.sort();
    assert!(out.len() >= 15, "lab captures: {}", out.len());
    out
}

/// What one analyzer handed out: records, report, and each frame's facts.
struct Run {
    an: Analyzer,
    diagnostics: Diagnostics,
    records: Vec<Connection>,
    facts: Vec<(u64, SegmentFacts)>,
}

impl Run {
    fn new() -> Self {
        Self {
            an: Analyzer::new(AnalyzerConfig::default()),
            diagnostics: Diagnostics::new(),
            records: Vec::new(),
            facts: Vec::new(),
        }
    }

    fn take(diagnostics: &mut Diagnostics, records: &mut Vec<Connection>, r: Connection) {
        if r.story.is_some() {
            diagnostics.add(&r);
        }
        records.push(r);
    }

    fn drain(&mut self) {
        while let Some(r) = self.an.pop_finished() {
            Self::take(&mut self.diagnostics, &mut self.records, r);
        }
    }

    fn finish(self) -> (Vec<Connection>, Report, Vec<(u64, SegmentFacts)>) {
        let Run {
            an,
            mut diagnostics,
            mut records,
            facts,
        } = self;
        let fin = an.finish();
        for r in fin.connections {
            Self::take(&mut diagnostics, &mut records, r);
        }
        diagnostics.count_evictions(&fin.stats);
        (records, diagnostics.finish(), facts)
    }
}

/// The driver's report of a capture.
fn driver_report(bytes: &[u8]) -> Report {
    let mut a = Analysis::from_bytes(bytes.to_vec(), AnalyzerConfig::default()).expect("capture");
    let mut report = None;
    while let Some(ev) = a.next_event() {
        if let Event::Report(r) = ev.expect("no damage") {
            report = Some(*r);
        }
    }
    report.expect("a report")
}

/// Which part a segment's connection goes to: a hash of its 4-tuple.
fn part(src: Endpoint, dst: Endpoint) -> usize {
    let (key, _) = FlowKey::new(src, dst);
    let mut h = DefaultHasher::new();
    key.hash(&mut h);
    (h.finish() % 2) as usize
}

/// Each record (and its facts) given the whole capture's numbers.
fn renumber(
    records: &mut [Connection],
    facts: &mut [(u64, SegmentFacts)],
    report: &mut Report,
    numbers: &Renumber,
) {
    let map: HashMap<ConnId, ConnId> = records
        .iter()
        .map(|r| (r.conn, numbers.get(r.first_frame).expect("numbered")))
        .collect();
    for r in records.iter_mut() {
        r.renumber(map[&r.conn]);
    }
    for (_, f) in facts.iter_mut() {
        f.conn = map[&f.conn];
    }
    report.renumber(|c| map[&c]);
}

#[test]
fn two_parts_by_four_tuple_merge_into_the_whole() {
    let mut split_somewhere = false;
    // A listener whose connections went to both parts: its figures (distinct
    // clients, most half-open at once, the accept-queue estimate) are derived
    // again from both parts' inputs.
    let mut listener_in_both = false;
    for path in lab_captures() {
        let bytes = std::fs::read(&path).expect("read");
        let mut whole = Run::new();
        let mut parts = [Run::new(), Run::new()];
        for p in SliceReader::new(&bytes)
            .expect("capture")
            .map_while(Result::ok)
        {
            let Ok(Some(seg)) = wire::decode(&p) else {
                continue;
            };
            if !seg.analysable() {
                continue;
            }
            let f = whole.an.observe(p.frame, p.ts_ns, &seg);
            whole.facts.push((p.frame, f));
            whole.drain();
            let (src, dst) = Endpoint::of(&seg);
            let k = part(src, dst);
            let f = parts[k].an.observe(p.frame, p.ts_ns, &seg);
            parts[k].facts.push((p.frame, f));
            parts[1 - k].an.advance(p.ts_ns);
            for r in &mut parts {
                r.drain();
            }
        }
        let (mut w_records, w_report, w_facts) = whole.finish();
        assert_eq!(w_report, driver_report(&bytes), "{path:?}");
        let [a, b] = parts;
        let (mut a_records, mut a_report, mut a_facts) = a.finish();
        let (mut b_records, mut b_report, mut b_facts) = b.finish();
        split_somewhere |= !a_records.is_empty() && !b_records.is_empty();
        let numbers =
            Renumber::by_first_frame(a_records.iter().chain(&b_records).map(|r| r.first_frame));
        assert_eq!(numbers.len(), w_report.connections as usize, "{path:?}");
        renumber(&mut a_records, &mut a_facts, &mut a_report, &numbers);
        renumber(&mut b_records, &mut b_facts, &mut b_report, &numbers);

        listener_in_both |= a_report.listeners.iter().any(|l| {
            b_report
                .listeners
                .iter()
                .any(|m| (m.ip, m.port) == (l.ip, l.port))
        });
        a_report.merge(b_report);
        assert_eq!(a_report, w_report, "{path:?}");

        let mut records = a_records;
        records.extend(b_records);
        records.sort_by_key(|r| (r.conn, r.resumed_frame));
        w_records.sort_by_key(|r| (r.conn, r.resumed_frame));
        assert_eq!(records.len(), w_records.len(), "{path:?}");
        for (r, w) in records.iter().zip(&w_records) {
            assert_eq!(r, w, "{path:?}");
        }

        let mut facts = a_facts;
        facts.extend(b_facts);
        facts.sort_by_key(|(frame, _)| *frame);
        assert_eq!(facts, w_facts, "{path:?}");
    }
    assert!(split_somewhere && listener_in_both);
}

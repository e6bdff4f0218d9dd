//! Fuzz target: the push form of the analysis (`Analysis::live`, what
//! `tcpkit.Analyzer.push` and the C ABI's `tcpkit_analyzer_push` call) over
//! arbitrary packets of any link type and any clock (backwards too), with
//! every event drained after each push as those callers do, and the rows put
//! into the Arrow batch builders their tables are made of.
//!
//! The input is a list of packets, each: a link-type selector byte, a clock
//! step byte (signed, in milliseconds: the clock may go back), a wire-length
//! byte (0: as captured, pushed with `push`; else `push_packet`, with this
//! many 97-byte steps added to its wire length and, when it is odd, the step
//! byte for its frame number: frame numbers need not increase), a length
//! byte, then that many data bytes.
//!
//! Checks beyond "no panic": nothing comes before `finish_input` once the
//! events are drained; every connection number is handed out once, or again
//! only for the part after an eviction (the earlier part `evicted`, the later
//! `resumed_frame` set), the numbers are exactly 0..connections; one report; a push after
//! `finish_input` is refused; the builders never fail, and hold one row per
//! analysed segment and per connection record.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::arrow::{ConnectionBatchBuilder, SegmentBatchBuilder};
use tcpkit_core::capture::{LinkType, Packet};
use tcpkit_core::{Analysis, Event};

/// Drains the events ready now into the builders and the checks.
#[derive(Default)]
struct Drain {
    segments: Option<SegmentBatchBuilder>,
    connections: Option<ConnectionBatchBuilder>,
    segment_rows: usize,
    connection_rows: usize,
    analysed: usize,
    numbers: common::Numbers,
    records: usize,
    reports: usize,
}

impl Drain {
    fn new() -> Self {
        // Small batches, so that batches end (and start) often.
        Self {
            segments: Some(SegmentBatchBuilder::new(7)),
            connections: Some(ConnectionBatchBuilder::new(3)),
            ..Self::default()
        }
    }

    fn drain(&mut self, a: &mut Analysis) {
        while let Some(ev) = a.next_event() {
            match ev {
                Ok(Event::Segment(row)) => {
                    let Some(facts) = &row.facts else { continue };
                    self.analysed += 1;
                    let b = self.segments.as_mut().expect("open");
                    let batch = b
                        .push(row.packet.frame, row.packet.ts_ns, &row.segment, facts)
                        .expect("a segment row always fits its schema");
                    self.segment_rows += batch.map_or(0, |b| b.num_rows());
                }
                Ok(Event::Connection(rec)) => {
                    self.records += 1;
                    self.numbers.handed(&rec);
                    let b = self.connections.as_mut().expect("open");
                    let batch = b
                        .push(&rec)
                        .expect("a connection row always fits its schema");
                    self.connection_rows += batch.map_or(0, |b| b.num_rows());
                }
                Ok(Event::Report(r)) => {
                    self.reports += 1;
                    let _ = r.explain();
                }
                Err(_) => {}
            }
        }
    }
}

fuzz_target!(|input: &[u8]| {
    let mut a = Analysis::live(AnalyzerConfig {
        linger_ns: 1_000_000,
        idle_timeout_ns: Some(1_000_000_000),
        memory_budget: AnalyzerConfig::default().budget_for_live(4),
        ..AnalyzerConfig::default()
    });
    let mut d = Drain::new();
    let (mut rest, mut ts_ns, mut frame) = (input, 1_700_000_000_000_000_000_i64, 0);
    while let [sel, step, cut, len, tail @ ..] = rest {
        let data = &tail[..usize::from(*len).min(tail.len())];
        rest = &tail[data.len()..];
        let link = common::link(*sel);
        ts_ns += i64::from(*step as i8) * 1_000_000;
        frame += 1;
        let captured = u32::try_from(data.len()).expect("at most 255 bytes");
        let pushed = if *cut == 0 {
            a.push(ts_ns, link, data)
        } else {
            // The caller's frame numbers: as `push` numbers them (even cut
            // bytes), or any (odd: the step byte, so they repeat and go back).
            a.push_packet(&Packet {
                frame: if cut % 2 == 0 {
                    frame
                } else {
                    u64::from(*step)
                },
                ts_ns,
                link_type: link,
                orig_len: captured + u32::from(*cut) * 97,
                data,
                interface: 0,
            })
        };
        assert!(pushed.is_ok(), "a push before finish_input is taken");
        d.drain(&mut a);
        // Drained: nothing more comes until more packets or the end.
        assert!(a.next_event().is_none(), "an event after the drain");
    }
    a.finish_input();
    d.drain(&mut a);
    assert!(
        a.push(ts_ns, LinkType::RAW, &[]).is_err(),
        "push after finish_input"
    );
    assert_eq!(d.reports, 1, "one report");
    d.numbers.check(a.stats().connections);
    let last = d
        .segments
        .take()
        .expect("open")
        .finish()
        .expect("segment rows");
    d.segment_rows += last.map_or(0, |b| b.num_rows());
    let last = d
        .connections
        .take()
        .expect("open")
        .finish()
        .expect("connection rows");
    d.connection_rows += last.map_or(0, |b| b.num_rows());
    assert_eq!(d.segment_rows, d.analysed, "one row per analysed segment");
    assert_eq!(
        d.connection_rows, d.records,
        "one row per connection record"
    );
});

//! Fuzz target: the whole pipeline over arbitrary bytes taken as a capture:
//! `Analysis` (read, decode, the per-segment analysis with the connection
//! stories, the streaming cross-check and the capture-wide report, with a tiny
//! table, a short linger and an idle timeout so eviction and expiry run too),
//! and the stream follower of connection 0 fed by its rows.
//!
//! Checks beyond "no panic": every connection number is handed out once, or
//! again only for the part after an eviction (the earlier part `evicted`, the
//! later `resumed_frame` set); the numbers handed out are exactly
//! 0..connections; one report.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tcpkit_core::analysis::{AnalyzerConfig, story};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::flow::Direction;
use tcpkit_core::reassembly::{ConnSelector, Follower, ReassemblyConfig};
use tcpkit_core::{Analysis, Event};

fuzz_target!(|data: &[u8]| {
    if SliceReader::new(data).is_err() {
        return;
    }
    let Ok(mut a) = Analysis::from_bytes(
        data.to_vec(),
        AnalyzerConfig {
            linger_ns: 1_000_000,
            idle_timeout_ns: Some(1_000_000_000),
            memory_budget: AnalyzerConfig::default().budget_for_live(4),
            ..AnalyzerConfig::default()
        },
    ) else {
        return;
    };
    let mut follow = Follower::new(
        ConnSelector::Index(0),
        Direction::ClientToServer,
        ReassemblyConfig::default(),
    );
    let mut sink = std::io::sink();
    let mut numbers = common::Numbers::default();
    let mut stories = Vec::new();
    let mut reports = 0;
    while let Some(ev) = a.next_event() {
        match ev {
            Ok(Event::Segment(row)) => follow
                .push_row(&row, &mut sink)
                .expect("a sink never fails"),
            Ok(Event::Connection(rec)) => {
                numbers.handed(&rec);
                stories.push(*rec);
            }
            Ok(Event::Report(r)) => {
                reports += 1;
                // The words never panic either.
                let _ = r.explain();
            }
            Err(_) => {}
        }
    }
    assert_eq!(reports, 1, "one report");
    numbers.check(a.stats().connections);
    stories.sort_by_key(|s| s.conn);
    story::cross_check(&mut stories);
    for s in &stories {
        let _ = story::ss::ss_at(s, s.last_ts_ns);
        let _ = s.explain(0);
    }
    let _ = follow.finish(&mut sink);
});

//! Fuzz target: the whole pipeline over arbitrary bytes taken as a capture:
//! read, decode, the per-segment analysis with the connection stories and the
//! capture-wide report (with a tiny table, a short linger and an idle timeout so
//! eviction and expiry run too), and the stream follower of connection 0.
//!
//! Checks beyond "no panic": every connection number is handed out exactly
//! once, and the numbers handed out are exactly 0..connections.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig, story};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::flow::Direction;
use tcpkit_core::reassembly::{ConnSelector, Follower, ReassemblyConfig};
use tcpkit_core::wire;

fuzz_target!(|data: &[u8]| {
    let Ok(reader) = SliceReader::new(data) else {
        return;
    };
    let mut an = Analyzer::new(AnalyzerConfig {
        linger_ns: 1_000_000,
        idle_timeout_ns: Some(1_000_000_000),
        memory_budget: AnalyzerConfig::default().budget_for_live(4),
        ..AnalyzerConfig::default()
    });
    let mut follow = Follower::new(
        ConnSelector::Index(0),
        Direction::ClientToServer,
        ReassemblyConfig::default(),
    );
    let mut sink = std::io::sink();
    let mut handed = BTreeSet::new();
    let mut stories = Vec::new();
    for packet in reader {
        let Ok(packet) = packet else { break };
        follow.push_packet(&packet, &mut sink).expect("a sink never fails");
        if let Ok(Some(seg)) = wire::decode(&packet) {
            an.observe(packet.frame, packet.ts_ns, &seg);
        }
        while let Some(rec) = an.pop_finished() {
            assert!(handed.insert(rec.conn.0), "connection handed out twice");
            stories.extend(rec.story.map(|s| *s));
        }
    }
    let finished = an.finish();
    for rec in finished.connections {
        assert!(handed.insert(rec.conn.0), "connection handed out twice");
        stories.extend(rec.story.map(|s| *s));
    }
    assert_eq!(handed.len() as u64, finished.stats.connections);
    assert!(handed.iter().copied().eq(0..finished.stats.connections));
    stories.sort_by_key(|s| s.conn);
    story::cross_check(&mut stories);
    for s in &stories {
        let _ = story::ss::ss_at(s, s.last_ts_ns);
    }
    let _ = follow.finish(&mut sink);
});

//! Arbitrary segment sequences never panic the analyzer, and the table never
//! holds more connections than its cap; every connection opened is handed out
//! exactly once (popped while running, or at the end).

mod analysis_common;
use analysis_common::*;
use proptest::prelude::*;
use std::collections::BTreeMap;
use tcpkit_core::analysis::AnalyzerConfig;

const HOSTS: [(&str, u16); 4] = [
    ("10.0.0.1", 80),
    ("10.0.0.2", 40000),
    ("10.0.0.2", 40001),
    ("fd00::1", 443),
];

fn any_seg() -> impl Strategy<Value = (usize, usize, u32, u32, u16, u16, u32, i64, Vec<u8>)> {
    (
        0..HOSTS.len(),
        0..HOSTS.len(),
        prop_oneof![any::<u32>(), 0u32..4000, (u32::MAX - 4000)..=u32::MAX],
        prop_oneof![any::<u32>(), 0u32..4000],
        0u16..0x200,
        prop_oneof![Just(0u16), any::<u16>()],
        prop_oneof![Just(0u32), 0u32..3000, any::<u32>()],
        prop_oneof![
            0i64..5_000,
            -1_000_000i64..0,
            any::<i32>().prop_map(i64::from)
        ],
        prop::collection::vec(any::<u8>(), 0..40),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn never_panics_and_stays_bounded(segs in prop::collection::vec(any_seg(), 1..200)) {
        let cfg = AnalyzerConfig {
            linger_ns: 1_000_000,
            closed_linger_ns: 500_000,
            idle_timeout_ns: Some(50_000_000),
            // Room for 3 live connections at most (less once evicted ones keep entries).
            memory_budget: AnalyzerConfig::default().budget_for_live(3),
            max_unacked: 16,
            // The stories are built too: random segments must not upset them.
            story: true,
            threads: 1,
        };
        let mut r = Run::with(cfg);
        let mut t = 0i64;
        // Connection number -> its last record ended at an eviction: a number
        // comes out again only as the resumed part of an evicted connection.
        let mut handed = BTreeMap::new();
        for (a, b, seq, ack, flags, win, len, dt, opts) in segs {
            let (a, b) = (HOSTS[a], HOSTS[b]);
            if a.0.contains(':') != b.0.contains(':') {
                continue;
            }
            t = t.saturating_add(dt);
            let f = r.feed(t, &seg(a, b, seq, ack, flags, win, len).opts(&opts));
            prop_assert!(f.seq <= u64::from(u32::MAX) + (1u64 << 40));
            prop_assert!(r.an.live() <= 3);
            while let Some(rec) = r.an.pop_finished() {
                let again = handed.insert(rec.conn.0, rec.evicted);
                prop_assert!(again.is_none_or(|evicted| evicted && rec.resumed_frame.is_some()), "handed out twice");
            }
        }
        let st = r.an.stats();
        let fin = r.an.finish();
        for rec in &fin.connections {
            let again = handed.insert(rec.conn.0, rec.evicted);
            prop_assert!(again.is_none_or(|evicted| evicted && rec.resumed_frame.is_some()), "handed out twice");
        }
        prop_assert_eq!(handed.len() as u64, st.connections);
    }
}

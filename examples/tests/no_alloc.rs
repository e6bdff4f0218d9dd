//! The hot path allocates nothing per packet or segment: reading, decoding,
//! analysing and writing the JSON object of every segment, counted by a
//! allocation-counter (which counts the allocations of the measuring thread).

use tcpkit_core::analysis::{AnalysisFlags, Analyzer, AnalyzerConfig};
use tcpkit_core::capture::{Packet, SliceReader};
use tcpkit_core::schema::json;
use tcpkit_core::wire;

mod common;

/// Counts of one pass over a capture.
#[derive(Debug, Default)]
struct Pass {
    segments: u64,
    connections: u64,
    retransmissions: u64,
    decode_allocs: u64,
    pipeline_allocs: u64,
}

/// Decodes every packet (counting decode's allocations alone), then reads,
/// decodes, analyses (with or without the stories) and writes each segment's
/// JSON object into one reused buffer, counting everything.
fn pass(bytes: &[u8], story: bool) -> Pass {
    let mut p = Pass::default();
    let packets: Vec<Packet<'_>> = SliceReader::new(bytes)
        .expect("readable capture")
        .map(|r| r.expect("undamaged capture"))
        .collect();
    p.decode_allocs = allocation_counter::measure(|| {
        for pkt in &packets {
            std::hint::black_box(wire::decode(pkt).ok());
        }
    })
    .count_total;
    let mut an = Analyzer::new(AnalyzerConfig {
        story,
        ..AnalyzerConfig::default()
    });
    let mut buf = String::with_capacity(4096);
    p.pipeline_allocs = allocation_counter::measure(|| {
        for pkt in &packets {
            let Ok(Some(seg)) = wire::decode(pkt) else {
                continue;
            };
            p.segments += 1;
            let f = an.observe(pkt.frame, pkt.ts_ns, &seg);
            p.connections += u64::from(f.new_conn);
            p.retransmissions += u64::from(f.flags.has(AnalysisFlags::RETRANSMISSION));
            while an.pop_finished().is_some() {}
            buf.clear();
            json::write_segment(&mut buf, pkt.frame, pkt.ts_ns, &seg, &f)
                .expect("writing to a String");
        }
    })
    .count_total;
    p
}

/// Decoding allocates nothing at all; the whole pipeline allocates only when a
/// connection's state grows (a new slab slot, the first entry or a doubling of
/// a direction's unacknowledged-segment list), never per segment: a bulk
/// transfer of 3,078 segments in one connection, and 200 short connections of
/// 10 segments each, stay within 3 allocations per connection plus the
/// table's growth (32, for log2-many doublings of its slab and hash map).
#[test]
fn no_allocation_per_segment() {
    let lab = common::testdata().join("captures/lab");
    for scenario in ["bulk-loss-sack", "many-short-connections"] {
        let bytes = std::fs::read(lab.join(scenario).join("capture.pcap")).expect("capture");
        let p = pass(&bytes, false);
        assert!(
            p.segments >= 5 * p.connections.max(200),
            "{scenario}: {p:?}"
        );
        assert_eq!(p.decode_allocs, 0, "{scenario}: decode allocated: {p:?}");
        assert!(
            p.pipeline_allocs <= 3 * p.connections + 32,
            "{scenario}: {} allocations for {} segments ({p:?})",
            p.pipeline_allocs,
            p.segments
        );
        eprintln!("{scenario}: {p:?}");
    }
}

/// With the stories on, a connection's story allocates as it grows (its state
/// timeline, retransmission trains, RTT samples kept for the median and p95),
/// amortised by doubling: a handful of allocations per connection and a few
/// more per doubling, never one per segment.
#[test]
fn stories_allocate_per_connection_not_per_segment() {
    let lab = common::testdata().join("captures/lab");
    for scenario in ["bulk-loss-sack", "many-short-connections"] {
        let bytes = std::fs::read(lab.join(scenario).join("capture.pcap")).expect("capture");
        let p = pass(&bytes, true);
        eprintln!("{scenario} with stories: {p:?}");
        // A story's fixed cost (its box, state timeline, RTT and train lists,
        // notes at the end) is a few allocations; each retransmission may open
        // or extend a train. 16 per connection and 4 per retransmission bound
        // that with room; a per-segment allocation would break it at once in
        // bulk-loss-sack (3,078 segments, one connection, 52 retransmissions).
        assert!(
            p.pipeline_allocs <= 16 * p.connections + 4 * p.retransmissions + 64,
            "{scenario}: {} allocations for {} segments ({p:?})",
            p.pipeline_allocs,
            p.segments
        );
    }
}

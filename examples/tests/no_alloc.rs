//! The hot path allocates nothing per packet or segment: reading, decoding,
//! analysing (all through `Analysis`, the driver) and writing the JSON object of every segment, counted by a
//! allocation-counter (which counts the allocations of the measuring thread).

use tcpkit_core::analysis::{AnalysisFlags, AnalyzerConfig};
use tcpkit_core::capture::{Packet, SliceReader};
use tcpkit_core::schema::json;
use tcpkit_core::wire;
use tcpkit_core::{Analysis, Event};

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
    // The whole driver, as the command runs it (its input held in memory).
    let mut a = Analysis::from_bytes(
        bytes.to_vec(),
        AnalyzerConfig {
            story,
            ..AnalyzerConfig::default()
        },
    )
    .expect("readable capture");
    let mut buf = String::with_capacity(4096);
    // Counted per call that yields a segment (these include the hand-out of
    // the connections that close early in the capture: a segment's clock
    // tick builds their records); the calls that yield a connection or the
    // report are not the hot path.
    let mut input_over = false;
    while !input_over {
        let mut segment = false;
        let n = allocation_counter::measure(|| match a.next_event() {
            Some(Ok(Event::Segment(row))) => {
                segment = true;
                let Some(f) = row.facts else {
                    return;
                };
                p.segments += 1;
                p.connections += u64::from(f.new_conn);
                p.retransmissions += u64::from(f.flags.has(AnalysisFlags::RETRANSMISSION));
                buf.clear();
                let (pkt, seg) = (row.packet, row.segment);
                json::write_segment(&mut buf, pkt.frame, pkt.ts_ns, &seg, &f)
                    .expect("writing to a String");
            }
            Some(Ok(_)) => {}
            _ => input_over = true,
        })
        .count_total;
        if segment {
            p.pipeline_allocs += n;
        }
    }
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
        // that with room; when the connection closes, its story's growing
        // lists give back their spare capacity (StoryBuilder::shrink_to_fit:
        // the train list, and per direction the original-send ring, the TSval
        // and retransmitted-frame rings and the RTT samples: at most 9
        // reallocations, those with spare capacity). A per-segment allocation would
        // break it at once in bulk-loss-sack (3,078 segments, one connection,
        // 52 retransmissions) and many-short-connections (10 segments each).
        assert!(
            p.pipeline_allocs <= (16 + 9) * p.connections + 4 * p.retransmissions + 64,
            "{scenario}: {} allocations for {} segments ({p:?})",
            p.pipeline_allocs,
            p.segments
        );
    }
}

//! The hot path allocates nothing per packet or segment: reading, decoding,
//! analysing and writing the JSON object of every segment, counted by a
//! global allocator that counts every allocation of this test binary.
//!
//! The one test runs alone in this binary (its own process), so no other
//! thread allocates while it counts.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicU64, Ordering};
use tcpkit_cli::cli::json;
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::wire;

mod common;

struct Counting;

static ALLOCS: AtomicU64 = AtomicU64::new(0);

// SAFETY: every call is forwarded unchanged to the system allocator; the
// counter is a relaxed atomic, which does not allocate.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        // SAFETY: same contract as the caller's.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as the caller's.
        unsafe { System.realloc(p, l, n) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocs() -> u64 {
    ALLOCS.load(Ordering::Relaxed)
}

/// Counts of one pass over a capture.
#[derive(Debug, Default)]
struct Pass {
    segments: u64,
    connections: u64,
    decode_allocs: u64,
    pipeline_allocs: u64,
}

/// Reads, decodes (counting decode's allocations alone), analyses and writes
/// each segment's JSON object into one reused buffer.
fn pass(bytes: &[u8]) -> Pass {
    let mut p = Pass::default();
    let mut an = Analyzer::new(AnalyzerConfig::default());
    let mut buf = String::with_capacity(4096);
    let reader = SliceReader::new(bytes).expect("readable capture");
    let start = allocs();
    for pkt in reader {
        let pkt = pkt.expect("undamaged capture");
        let before = allocs();
        let seg = wire::decode(&pkt);
        p.decode_allocs += allocs() - before;
        let Ok(Some(seg)) = seg else { continue };
        p.segments += 1;
        let f = an.observe(pkt.frame, pkt.ts_ns, &seg);
        p.connections += u64::from(f.new_conn);
        while an.pop_finished().is_some() {}
        buf.clear();
        json::write_segment(&mut buf, pkt.frame, pkt.ts_ns, &seg, Some(&f), |_| Ok(()))
            .expect("writing to a String");
    }
    p.pipeline_allocs = allocs() - start;
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
    let lab = common::shared().join("captures/lab");
    for scenario in ["bulk-loss-sack", "many-short-connections"] {
        let bytes = std::fs::read(lab.join(scenario).join("capture.pcap")).expect("capture");
        let p = pass(&bytes);
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

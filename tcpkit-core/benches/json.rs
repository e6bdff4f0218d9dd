//! The JSON writers: `segments --json` (one object per segment) and
//! `flows --json` (one object per connection), each written into a reused
//! [`LineBuf`] as the CLI does, and into a `String` through `fmt::Write`
//! (the generic path the Python and C bindings take). The rows are made
//! beforehand (decode + analysis are not measured here: see `analyze`).
//!
//! `cargo bench -p tcpkit-core --bench json`; throughput is in rows
//! (elements) per second.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig, Connection, SegmentFacts};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::schema::json;
use tcpkit_core::wire::{self, LineBuf, Segment};
use tcpkit_core::{Analysis, Event};

/// Every analysable segment of `bytes` with its facts.
fn segments(bytes: &[u8]) -> Vec<(u64, i64, Segment<'_>, SegmentFacts)> {
    let mut an = Analyzer::new(AnalyzerConfig::default());
    let mut rows = Vec::new();
    for p in SliceReader::new(bytes).expect("pcap") {
        let Ok(p) = p else { break };
        let Ok(Some(seg)) = wire::decode(&p) else {
            continue;
        };
        if !seg.analysable() {
            continue;
        }
        let f = an.observe(p.frame, p.ts_ns, &seg);
        while an.pop_finished().is_some() {}
        rows.push((p.frame, p.ts_ns, seg, f));
    }
    rows
}

/// Every connection of `bytes`, with its story.
fn connections(bytes: &[u8]) -> Vec<Connection> {
    let mut a = Analysis::from_bytes(bytes.to_vec(), AnalyzerConfig::default())
        .expect("pcap")
        .segments(false);
    let mut out = Vec::new();
    while let Some(ev) = a.next_event() {
        if let Ok(Event::Connection(c)) = ev {
            out.push(*c);
        }
    }
    out
}

fn bench(c: &mut Criterion) {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab");
    let inputs = [
        (
            "lab-bulk-loss-sack",
            std::fs::read(lab.join("bulk-loss-sack/capture.pcap")).expect("lab capture"),
        ),
        (
            "lab-many-short-connections",
            std::fs::read(lab.join("many-short-connections/capture.pcap")).expect("lab capture"),
        ),
    ];
    let mut g = c.benchmark_group("json");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(3));
    g.warm_up_time(std::time::Duration::from_millis(500));
    for (name, bytes) in &inputs {
        let rows = segments(bytes);
        g.throughput(Throughput::Elements(rows.len() as u64));
        let mut buf = LineBuf::with_capacity(1024);
        g.bench_function(format!("segments/linebuf/{name}"), |b| {
            b.iter(|| {
                let mut n = 0;
                for (frame, ts, seg, f) in &rows {
                    buf.clear();
                    let _ = json::write_segment_to(&mut buf, *frame, *ts, seg, f);
                    n += buf.len();
                }
                black_box(n)
            })
        });
        let mut s = String::with_capacity(1024);
        g.bench_function(format!("segments/string/{name}"), |b| {
            b.iter(|| {
                let mut n = 0;
                for (frame, ts, seg, f) in &rows {
                    s.clear();
                    let _ = json::write_segment(&mut s, *frame, *ts, seg, f);
                    n += s.len();
                }
                black_box(n)
            })
        });
        let conns = connections(bytes);
        g.throughput(Throughput::Elements(conns.len() as u64));
        g.bench_function(format!("connections/linebuf/{name}"), |b| {
            b.iter(|| {
                let mut n = 0;
                for c in &conns {
                    buf.clear();
                    let _ = json::write_connection_to(&mut buf, c);
                    n += buf.len();
                }
                black_box(n)
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

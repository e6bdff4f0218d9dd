//! What `tcpkit.analyze()` does in the core, without Python: every segment row
//! and connection of a capture into Arrow batches, held. For profiling the
//! batch builders (`valgrind --tool=callgrind`): with `--no-rows` the same
//! analysis with the events dropped, so the difference is the builders' cost;
//! with `--no-story` the analysis without stories (as `segments --json`, and
//! as the pass of `tcpkit.analyze(p).segments`).
//!
//! `cargo run --release -p tcpkit-examples --example segment_batches -- CAPTURE [--no-rows] [--no-story]`

use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::arrow::{ConnectionBatchBuilder, SegmentBatchBuilder};
use tcpkit_core::{Analysis, Event};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: segment_batches CAPTURE [--no-rows] [--no-story]")?;
    let flags: Vec<String> = args.collect();
    let rows = !flags.iter().any(|f| f == "--no-rows");
    let story = !flags.iter().any(|f| f == "--no-story");
    let cfg = AnalyzerConfig {
        story,
        ..AnalyzerConfig::default()
    };
    let mut a = Analysis::open(&path, cfg)?;
    // Each table one batch, as `tcpkit.analyze()` builds them (`batch_size=0`).
    let mut segments = SegmentBatchBuilder::new(usize::MAX);
    let mut connections = ConnectionBatchBuilder::new(usize::MAX);
    let mut batches = Vec::new();
    let mut seen = 0_u64;
    while let Some(event) = a.next_event() {
        match event? {
            Event::Segment(row) => {
                let Some(facts) = &row.facts else { continue };
                seen += 1;
                if rows
                    && let Some(b) =
                        segments.push(row.packet.frame, row.packet.ts_ns, &row.segment, facts)?
                {
                    batches.push(b);
                }
            }
            Event::Connection(c) => {
                if let Some(b) = connections.push(&c)? {
                    batches.push(b);
                }
            }
            Event::Report(_) => {}
        }
    }
    batches.extend(segments.finish()?);
    batches.extend(connections.finish()?);
    // (No byte count: the columns of nulls share one buffer, which
    // `get_array_memory_size` would count once per column; see the RSS.)
    println!(
        "{seen} segments; {} batches, {} rows",
        batches.len(),
        batches.iter().map(|b| b.num_rows()).sum::<usize>(),
    );
    Ok(())
}

//! The library's one driver, from Rust: push every segment into an `Analyzer`,
//! collect each connection's story as it finishes, and the capture-wide report.
//!
//! `cargo run -p tcpkit-examples --example connection_stories [CAPTURE]`

use tcpkit_core::analysis::{Analyzer, AnalyzerConfig};
use tcpkit_core::capture::{self, PacketSource};
use tcpkit_core::wire;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo.pcap").to_owned());
    // Streaming: memory stays bounded whatever the size of the file.
    let mut reader = capture::open(&path)?;
    let mut analyzer = Analyzer::new(AnalyzerConfig::default());
    let mut stories = Vec::new();
    while let Some(packet) = reader.next_packet() {
        let packet = packet?;
        if let Ok(Some(segment)) = wire::decode(&packet) {
            // Per-segment facts (tshark's analysis) come back at once ...
            let facts = analyzer.observe(packet.frame, packet.ts_ns, &segment);
            if facts.flags.0 != 0 {
                let names: Vec<_> = facts.flags.names().collect();
                println!("frame {}: {}", packet.frame, names.join(", "));
            }
            // ... and connections that are over are handed out as you go.
            while let Some(record) = analyzer.pop_finished() {
                stories.extend(record.story.map(|s| *s));
            }
        }
    }
    let finished = analyzer.finish();
    stories.extend(
        finished
            .connections
            .into_iter()
            .filter_map(|r| r.story.map(|s| *s)),
    );
    for story in &stories {
        println!(
            "connection {}: {}:{} -> {}:{}, {:?}",
            story.conn.0,
            story.client.ip,
            story.client.port,
            story.server.ip,
            story.server.port,
            story.handshake.outcome
        );
        for note in &story.notes {
            println!("  {note}");
        }
    }
    if let Some(report) = finished.report {
        println!(
            "{} connections, {} findings",
            report.connections,
            report.findings.len()
        );
    }
    Ok(())
}

//! The library's one driver, from Rust: `Analysis` reads the capture and
//! yields each segment's facts, each connection's story as it finishes, and
//! the capture-wide report.
//!
//! `cargo run -p tcpkit-examples --example connection_stories [CAPTURE]`

use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::{Analysis, Event};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo.pcap").to_owned());
    // Streaming: memory stays bounded whatever the size of the file ("-": stdin).
    let mut analysis = Analysis::open(&path, AnalyzerConfig::default())?;
    while let Some(event) = analysis.next_event() {
        match event? {
            // Per-segment facts (tshark's analysis) come as the capture is read ...
            Event::Segment(row) => {
                if let Some(facts) = row.facts.filter(|f| f.flags.0 != 0) {
                    let names: Vec<_> = facts.flags.names().collect();
                    println!("frame {}: {}", row.packet.frame, names.join(", "));
                }
            }
            // ... connections that are over as they finish ...
            Event::Connection(record) => {
                let Some(story) = record.story else { continue };
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
            // ... and the capture-wide report last.
            Event::Report(report) => println!(
                "{} connections, {} findings",
                report.connections,
                report.findings.len()
            ),
        }
    }
    Ok(())
}

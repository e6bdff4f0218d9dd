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
            Event::Connection(c) => {
                // Codes and numbers to branch on ...
                println!("connection {}: {:?}", c.conn.0, c.handshake.outcome);
                // ... and the words `tcpkit report` prints, on request.
                let t0 = analysis.first_ts_ns().unwrap_or(0);
                print!("{}", c.explain(t0));
            }
            // ... and the capture-wide report last.
            Event::Report(report) => print!("{}", report.explain()),
        }
    }
    Ok(())
}

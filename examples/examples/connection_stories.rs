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
    let mut connections = Vec::new();
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
            connections.extend(std::iter::from_fn(|| analyzer.pop_finished()));
        }
    }
    let finished = analyzer.finish();
    connections.extend(finished.connections);
    connections.sort_by_key(|c| c.conn);
    let t0 = connections.first().map_or(0, |c| c.first_ts_ns);
    for c in &connections {
        // Codes and numbers to branch on ...
        println!("connection {}: {:?}", c.conn.0, c.handshake.outcome);
        // ... and the words `tcpkit report` prints, on request.
        print!("{}", c.explain(t0));
    }
    if let Some(report) = finished.report {
        print!("{}", report.explain());
    }
    Ok(())
}

//! The README's library example: print every TCP segment of a capture the
//! way tcpdump does. `cargo run -p tcpkit-examples --example print_segments [CAPTURE]`

use tcpkit_core::capture::SliceReader;
use tcpkit_core::text::{RenderOptions, Renderer};
use tcpkit_core::wire;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/data/demo.pcap").to_owned());
    let bytes = std::fs::read(path)?;
    let mut renderer = Renderer::new(RenderOptions::default());
    let mut line = String::new();
    for packet in SliceReader::new(&bytes)? {
        let packet = packet?;
        if let Ok(Some(segment)) = wire::decode(&packet) {
            line.clear();
            renderer.write_segment(&mut line, &segment)?;
            println!("{} {}", packet.frame, line);
        }
    }
    Ok(())
}

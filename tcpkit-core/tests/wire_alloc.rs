//! `wire::decode` and the option iterator allocate nothing: every frame of
//! the corpora is decoded and its options walked under allocation-counter's
//! counting global allocator, and the count must not move.

use std::fs;
use std::path::Path;
use tcpkit_core::capture::SliceReader;
use tcpkit_core::wire;

#[test]
fn decoding_allocates_nothing() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus/tcpdump");
    let mut files: Vec<Vec<u8>> = Vec::new();
    for e in fs::read_dir(corpus).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pcap") {
            files.push(fs::read(p).unwrap());
        }
    }
    let mut packets = Vec::new();
    for f in &files {
        if let Ok(r) = SliceReader::new(f) {
            packets.extend(r.map_while(Result::ok));
        }
    }
    assert!(packets.len() > 1000);
    let mut segments = 0usize;
    let counted = allocation_counter::measure(|| {
        for p in &packets {
            if let Ok(Some(s)) = wire::decode(p) {
                segments += 1;
                for o in s.options.iter() {
                    if let Ok(wire::TcpOption::Sack(b)) = o {
                        for e in b.iter() {
                            std::hint::black_box(e);
                        }
                    }
                    std::hint::black_box(o.ok());
                }
                std::hint::black_box(s.options.after_eol());
            }
            // The layer recording is on the stack too.
            let mut layers = wire::Encapsulation::new();
            if let Ok(Some(s)) = wire::decode_layers(p, &mut layers) {
                std::hint::black_box((s, layers.len()));
            }
        }
    });
    assert!(segments > 1000);
    assert_eq!(counted.count_total, 0, "allocations while decoding");
}

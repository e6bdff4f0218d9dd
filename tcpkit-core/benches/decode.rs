//! Decoding speed: `wire::decode` + walking every option (and
//! `wire::decode_layers`, which also records the layers walked), over the packets of
//! lab captures (Ethernet: bulk-loss-sack, many-short-connections; Linux
//! cooked v2: any-interface-sll2), reported per packet. For reference, the
//! same packets through etherparse's `LaxSlicedPacket` (Ethernet only), the
//! whole-packet lax slicer the design card measured at 81 ns/packet.
//!
//! Run: `cargo bench -p tcpkit-core --bench decode`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::path::Path;
use tcpkit_core::capture::{Packet, SliceReader};
use tcpkit_core::wire;

const LAB: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/captures/lab");

fn load(name: &str) -> Vec<u8> {
    std::fs::read(Path::new(LAB).join(name).join("capture.pcap")).expect("lab capture")
}

fn packets(bytes: &[u8]) -> Vec<Packet<'_>> {
    SliceReader::new(bytes)
        .expect("pcap")
        .map_while(Result::ok)
        .collect()
}

/// What a consumer does with a packet: decode, then look at every option.
fn decode_all(pkts: &[Packet<'_>]) -> u64 {
    let mut acc = 0u64;
    for p in pkts {
        if let Ok(Some(s)) = wire::decode(p) {
            acc = acc.wrapping_add(u64::from(s.seq.0) ^ u64::from(s.payload_len));
            for o in s.options.iter().flatten() {
                if let wire::TcpOption::Timestamps { val, .. } = o {
                    acc = acc.wrapping_add(u64::from(val));
                }
            }
        }
    }
    acc
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("decode");
    for name in [
        "bulk-loss-sack",
        "many-short-connections",
        "any-interface-sll2",
    ] {
        let bytes = load(name);
        let pkts = packets(&bytes);
        g.throughput(Throughput::Elements(pkts.len() as u64));
        g.bench_function(format!("tcpkit/{name}"), |b| {
            b.iter(|| decode_all(black_box(&pkts)))
        });
        g.bench_function(format!("tcpkit-no-options/{name}"), |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for p in black_box(&pkts) {
                    if let Ok(Some(s)) = wire::decode(p) {
                        acc = acc.wrapping_add(u64::from(s.seq.0));
                    }
                }
                acc
            })
        });
        g.bench_function(format!("tcpkit-layers/{name}"), |b| {
            b.iter(|| {
                let mut acc = 0u64;
                for p in black_box(&pkts) {
                    let mut layers = wire::Encapsulation::new();
                    if let Ok(Some(s)) = wire::decode_layers(p, &mut layers) {
                        acc = acc.wrapping_add(u64::from(s.seq.0) ^ layers.len() as u64);
                    }
                }
                acc
            })
        });
        if name != "any-interface-sll2" {
            g.bench_function(format!("etherparse-lax/{name}"), |b| {
                b.iter(|| {
                    let mut acc = 0u64;
                    for p in black_box(&pkts) {
                        if let Ok(s) = etherparse::LaxSlicedPacket::from_ethernet(p.data)
                            && let Some(etherparse::TransportSlice::Tcp(t)) = s.transport
                        {
                            acc = acc.wrapping_add(u64::from(t.sequence_number()));
                            for o in t.options_iterator().flatten() {
                                if let etherparse::TcpOptionElement::Timestamp(val, _) = o {
                                    acc = acc.wrapping_add(u64::from(val));
                                }
                            }
                        }
                    }
                    acc
                })
            });
        }
    }
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(std::time::Duration::from_secs(1))
        .measurement_time(std::time::Duration::from_secs(3))
        .sample_size(20);
    targets = bench
}
criterion_main!(benches);

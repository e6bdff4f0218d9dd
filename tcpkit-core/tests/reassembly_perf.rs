//! A quick cost probe (ignored by default; run with
//! `cargo test --release -p tcpkit-core --test reassembly_perf -- --ignored --nocapture`).
//! It measures, it asserts nothing about time.

use std::hint::black_box;
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;
use tcpkit_core::reassembly::{StreamEvent, StreamReassembler};
use tcpkit_core::wire::{IpInfo, Options, Segment, SeqNumber, TcpFlags};

fn seg(seq: u32, payload: &[u8]) -> Segment<'_> {
    let a = IpAddr::V4(Ipv4Addr::new(198, 18, 0, 1));
    Segment {
        ip: IpInfo {
            src: a,
            dst: a,
            version: 4,
            tos: 0,
            ttl: 64,
            id: 0,
            frag: 0,
            flow_label: 0,
            total_len: 40 + payload.len() as u32,
        },
        sport: 1,
        dport: 2,
        seq: SeqNumber(seq),
        ack: SeqNumber(0),
        flags: TcpFlags(TcpFlags::ACK),
        window: 0,
        checksum: 0,
        urgent: 0,
        header_len: 20,
        header_captured: 20,
        options: Options::new(&[]),
        payload,
        payload_len: payload.len() as u32,
        truncated: false,
    }
}

fn run(n: u32, swap_every: u32) -> (f64, u64) {
    let payload = vec![0x5au8; 1448];
    // Segments built up front, in arrival order: only the reassembly is timed.
    let mut segs = Vec::with_capacity(n as usize + 1);
    let mut syn = seg(0, &[]);
    syn.flags = TcpFlags(TcpFlags::SYN);
    segs.push(syn);
    let mut i = 0;
    while i < n {
        // Every `swap_every`-th pair arrives swapped (out of order).
        let order: &[u32] = if swap_every > 0 && i % swap_every == 0 && i + 1 < n {
            &[1, 0]
        } else {
            &[0]
        };
        for &k in order {
            segs.push(seg(1u32.wrapping_add((i + k).wrapping_mul(1448)), &payload));
        }
        i += order.len() as u32;
    }
    let rounds = 10;
    let mut bytes = 0u64;
    let t = Instant::now();
    for _ in 0..rounds {
        let mut r = StreamReassembler::default();
        for (frame, s) in segs.iter().enumerate() {
            for ev in r.push(frame as u64, s) {
                if let StreamEvent::Data(c) = ev {
                    bytes += black_box(c.data.len()) as u64;
                }
            }
        }
    }
    let ns = t.elapsed().as_nanos() as f64 / f64::from(n * rounds);
    (ns, bytes / u64::from(rounds))
}

#[test]
#[ignore = "measurement, run by hand in release mode"]
fn cost_per_segment() {
    for (name, swap) in [
        ("in order", 0),
        ("1 pair in 10 swapped", 10),
        ("every pair swapped", 2),
    ] {
        let (ns, bytes) = run(200_000, swap);
        assert_eq!(bytes, 200_000 * 1448);
        println!("{name}: {ns:.1} ns per segment");
    }
}

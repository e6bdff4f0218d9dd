//! Capture reading speed: walking every record (the baseline figure in
//! ../shared/reference/perf-baseline.md is ~20 ns per record for a minimal
//! mmap walk).
//!
//! `cargo bench -p tcpkit-core --bench capture` ; throughput is reported in
//! packets (elements) per second, i.e. ns/packet = 1e9 / elem/s.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tcpkit_core::capture::{PacketSource, SliceReader, StreamReader};

/// A synthetic pcap like the benchmark capture: snaplen 128, Ethernet,
/// 200 000 records of 66 to 128 captured bytes (~23 MB).
fn synthetic() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    v.extend_from_slice(&128u32.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    let payload = [0x42u8; 128];
    for i in 0..200_000u32 {
        let caplen = 66 + (i * 7919) % 63;
        v.extend_from_slice(&(1_700_000_000 + i / 1000).to_le_bytes());
        v.extend_from_slice(&((i % 1000) * 1000).to_le_bytes());
        v.extend_from_slice(&caplen.to_le_bytes());
        v.extend_from_slice(&1500u32.to_le_bytes());
        v.extend_from_slice(&payload[..caplen as usize]);
    }
    v
}

/// The same 200 000 packets as a pcapng file: one SHB, one IDB (µs), EPBs.
fn synthetic_ng() -> Vec<u8> {
    fn block(v: &mut Vec<u8>, t: u32, body: &[u8]) {
        let padded = (body.len() + 3) & !3;
        let total = (12 + padded) as u32;
        v.extend_from_slice(&t.to_le_bytes());
        v.extend_from_slice(&total.to_le_bytes());
        v.extend_from_slice(body);
        v.resize(v.len() + padded - body.len(), 0);
        v.extend_from_slice(&total.to_le_bytes());
    }
    let mut v = Vec::new();
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend_from_slice(&[1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    block(&mut v, 0x0A0D_0D0A, &shb);
    block(&mut v, 1, &[1, 0, 0, 0, 128, 0, 0, 0]);
    let payload = [0x42u8; 128];
    let mut body = Vec::with_capacity(256);
    for i in 0..200_000u32 {
        let caplen = 66 + (i * 7919) % 63;
        let ts = 1_700_000_000_000_000u64 + u64::from(i) * 1000;
        body.clear();
        body.extend_from_slice(&0u32.to_le_bytes());
        body.extend_from_slice(&((ts >> 32) as u32).to_le_bytes());
        body.extend_from_slice(&(ts as u32).to_le_bytes());
        body.extend_from_slice(&caplen.to_le_bytes());
        body.extend_from_slice(&1500u32.to_le_bytes());
        body.extend_from_slice(&payload[..caplen as usize]);
        block(&mut v, 6, &body);
    }
    v
}

fn count(bytes: &[u8]) -> u64 {
    SliceReader::new(bytes).unwrap().count() as u64
}

fn walk_slice(bytes: &[u8]) -> u64 {
    let mut sum = 0u64;
    for p in SliceReader::new(bytes).unwrap() {
        let p = p.unwrap();
        sum = sum.wrapping_add(p.data.len() as u64 ^ p.ts_ns as u64);
    }
    sum
}

fn walk_stream(bytes: &[u8]) -> u64 {
    let mut sum = 0u64;
    let mut r = StreamReader::new(bytes).unwrap();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        sum = sum.wrapping_add(p.data.len() as u64 ^ p.ts_ns as u64);
    }
    sum
}

fn bench(c: &mut Criterion) {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab");
    let inputs = [
        (
            "lab-small-transfer-full-payload",
            std::fs::read(lab.join("small-transfer-full-payload/capture.pcap")).unwrap(),
        ),
        (
            "lab-pcapng-dumpcap",
            std::fs::read(lab.join("pcapng-dumpcap/capture.pcapng")).unwrap(),
        ),
        ("synthetic-200k", synthetic()),
        ("synthetic-ng-200k", synthetic_ng()),
    ];
    let mut g = c.benchmark_group("capture");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(3));
    g.warm_up_time(std::time::Duration::from_millis(500));
    for (name, bytes) in &inputs {
        g.throughput(Throughput::Elements(count(bytes)));
        g.bench_function(format!("slice/{name}"), |b| {
            b.iter(|| walk_slice(black_box(bytes)))
        });
        g.bench_function(format!("stream/{name}"), |b| {
            b.iter(|| walk_stream(black_box(bytes)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

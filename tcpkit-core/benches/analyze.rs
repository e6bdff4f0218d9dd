//! Full per-segment analysis speed: read + decode + [`Analyzer::observe`]
//! over a capture held in memory (two lab captures, and a synthetic capture
//! of many short connections interleaved, which stresses the connection
//! table). The target is 10 M segments/s (100 ns per segment) on one
//! core; ../shared/reference/perf-baseline.md measured 38 ns per packet for a
//! minimal read + parse + flow-table pass.
//!
//! The same passes through the driver ([`Analysis`], what the command, the
//! Python package and the C ABI run) sit beside the direct loops: `driver/`
//! yields a row per segment (as `segments --json` and the segments table),
//! `driver-conns/` the connections only (as `flows --json`); the difference
//! to `analyze+story/` is the driver's own cost per packet.
//!
//! `cargo bench -p tcpkit-core --bench analyze`; throughput is in packets
//! (elements) per second, i.e. ns/packet = 1e9 / elem/s.

use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig};
use tcpkit_core::capture::SliceReader;
use tcpkit_core::wire;
use tcpkit_core::{Analysis, Event};

/// One Ethernet/IPv4/TCP frame with the timestamps option (and SYN options on
/// SYNs), `len` payload bytes.
#[allow(clippy::too_many_arguments)]
fn frame(
    out: &mut Vec<u8>,
    src: [u8; 4],
    dst: [u8; 4],
    sport: u16,
    dport: u16,
    seq: u32,
    ack: u32,
    flags: u8,
    len: u16,
) {
    let syn = flags & 0x02 != 0;
    let opts: &[u8] = if syn {
        // mss 1460, sackOK, TS, nop, wscale 7
        &[
            2, 4, 5, 180, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
        ]
    } else {
        &[1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 1]
    };
    let tcp_len = 20 + opts.len() as u16;
    out.extend_from_slice(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x08, 0x00]);
    out.extend_from_slice(&[0x45, 0]);
    out.extend_from_slice(&(20 + tcp_len + len).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    out.extend_from_slice(&src);
    out.extend_from_slice(&dst);
    out.extend_from_slice(&sport.to_be_bytes());
    out.extend_from_slice(&dport.to_be_bytes());
    out.extend_from_slice(&seq.to_be_bytes());
    out.extend_from_slice(&ack.to_be_bytes());
    out.push(((tcp_len / 4) as u8) << 4);
    out.push(flags);
    out.extend_from_slice(&[0x01, 0xf5, 0, 0, 0, 0]);
    out.extend_from_slice(opts);
    out.resize(out.len() + usize::from(len), 0x61);
}

/// A pcap of `conns` short connections (handshake, a request, a response,
/// both FINs: 9 segments each), `active` of them interleaved at a time, 1 µs
/// apart. Snaplen 128 like the benchmark capture (payloads are cut).
fn synthetic(conns: u32, active: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    v.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    v.extend_from_slice(&128u32.to_le_bytes());
    v.extend_from_slice(&1u32.to_le_bytes());
    let server = [198, 19, 0, 1];
    let mut t: u64 = 0;
    let mut f = Vec::with_capacity(2048);
    for block in 0..conns.div_ceil(active) {
        for step in 0..9u8 {
            for j in 0..active {
                let i = block * active + j;
                if i >= conns {
                    break;
                }
                let client = [198, 19, 1 + (i >> 16) as u8, (i >> 8) as u8];
                let cport = 1024 + (i & 0xff) as u16 * 200 + (block % 200) as u16;
                let (c, s) = (
                    1_000_000u32.wrapping_mul(i),
                    7_000_000u32.wrapping_mul(i) ^ 1,
                );
                // (from client?, seq, ack, flags, len)
                let (up, seq, ack, flags, len) = match step {
                    0 => (true, c, 0, 0x02, 0),
                    1 => (false, s, c + 1, 0x12, 0),
                    2 => (true, c + 1, s + 1, 0x10, 0),
                    3 => (true, c + 1, s + 1, 0x18, 100),
                    4 => (false, s + 1, c + 101, 0x10, 0),
                    5 => (false, s + 1, c + 101, 0x18, 1000),
                    6 => (true, c + 101, s + 1001, 0x11, 0),
                    7 => (false, s + 1001, c + 102, 0x11, 0),
                    _ => (true, c + 102, s + 1002, 0x10, 0),
                };
                f.clear();
                if up {
                    frame(&mut f, client, server, cport, 80, seq, ack, flags, len);
                } else {
                    frame(&mut f, server, client, 80, cport, seq, ack, flags, len);
                }
                let cap = f.len().min(128);
                t += 1;
                v.extend_from_slice(&((1_700_000_000 + t / 1_000_000) as u32).to_le_bytes());
                v.extend_from_slice(&((t % 1_000_000) as u32).to_le_bytes());
                v.extend_from_slice(&(cap as u32).to_le_bytes());
                v.extend_from_slice(&(f.len() as u32).to_le_bytes());
                v.extend_from_slice(&f[..cap]);
            }
        }
    }
    v
}

/// Read + decode + analyse every packet (`story`: and build each
/// connection's story); returns a checksum of the facts.
fn analyse(bytes: &[u8], story: bool) -> u64 {
    let mut an = Analyzer::new(AnalyzerConfig {
        story,
        ..AnalyzerConfig::default()
    });
    let mut sum = 0u64;
    for p in SliceReader::new(bytes).expect("pcap") {
        let Ok(p) = p else { break };
        let Ok(Some(seg)) = wire::decode(&p) else {
            continue;
        };
        let f = an.observe(p.frame, p.ts_ns, &seg);
        sum = sum.wrapping_add(f.seq ^ u64::from(f.flags.0) ^ f.conn.0);
        while an.pop_finished().is_some() {}
    }
    sum.wrapping_add(an.finish().stats.connections)
}

/// [`analyse`] with stories through the driver: every segment row (`rows`)
/// or the connections only; returns a checksum of the facts and records.
fn drive(bytes: &Arc<[u8]>, rows: bool) -> u64 {
    let mut a = Analysis::from_bytes(Arc::clone(bytes), AnalyzerConfig::default())
        .expect("pcap")
        .segments(rows)
        .report(false);
    let mut sum = 0u64;
    while let Some(ev) = a.next_event() {
        match ev {
            Ok(Event::Segment(row)) => {
                if let Some(f) = &row.facts {
                    sum = sum.wrapping_add(f.seq ^ u64::from(f.flags.0) ^ f.conn.0);
                }
            }
            Ok(Event::Connection(c)) => sum = sum.wrapping_add(c.conn.0 ^ c.packets.c2s),
            Ok(Event::Report(_)) | Err(_) => {}
        }
    }
    sum
}

/// Read + decode only (the floor under the analysis).
fn decode(bytes: &[u8]) -> u64 {
    let mut sum = 0u64;
    for p in SliceReader::new(bytes).expect("pcap") {
        let Ok(p) = p else { break };
        if let Ok(Some(seg)) = wire::decode(&p) {
            sum = sum.wrapping_add(u64::from(seg.seq.0));
        }
    }
    sum
}

fn bench(c: &mut Criterion) {
    let lab = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab");
    let inputs = [
        (
            "lab-bulk-loss-sack",
            std::fs::read(lab.join("bulk-loss-sack/capture.pcap")).expect("lab capture"),
        ),
        (
            "lab-many-short-connections",
            std::fs::read(lab.join("many-short-connections/capture.pcap")).expect("lab capture"),
        ),
        // 20,000 connections, 1,000 open at a time: 180,000 segments.
        ("synthetic-20k-conns", synthetic(20_000, 1_000)),
    ];
    // The synthetic capture is what it claims: every segment decodes, and the
    // analysis sees 20,000 connections and no retransmission or loss.
    let syn = &inputs[2].1;
    let mut an = Analyzer::new(AnalyzerConfig::default());
    let mut flagged = 0;
    for p in SliceReader::new(syn).expect("pcap") {
        let p = p.expect("record");
        let seg = wire::decode(&p).expect("decodes").expect("TCP");
        flagged += u32::from(an.observe(p.frame, p.ts_ns, &seg).flags.0 != 0);
    }
    let st = an.finish().stats;
    assert_eq!((st.segments, st.connections, flagged), (180_000, 20_000, 0));
    let mut g = c.benchmark_group("analyze");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(3));
    g.warm_up_time(std::time::Duration::from_millis(500));
    for (name, bytes) in &inputs {
        let n = SliceReader::new(bytes).expect("pcap").count() as u64;
        g.throughput(Throughput::Elements(n));
        g.bench_function(format!("decode/{name}"), |b| {
            b.iter(|| decode(black_box(bytes)))
        });
        g.bench_function(format!("analyze/{name}"), |b| {
            b.iter(|| analyse(black_box(bytes), false))
        });
        g.bench_function(format!("analyze+story/{name}"), |b| {
            b.iter(|| analyse(black_box(bytes), true))
        });
        let shared: Arc<[u8]> = Arc::from(bytes.as_slice());
        g.bench_function(format!("driver/{name}"), |b| {
            b.iter(|| drive(black_box(&shared), true))
        });
        g.bench_function(format!("driver-conns/{name}"), |b| {
            b.iter(|| drive(black_box(&shared), false))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! A synthetic capture of many interleaved connections (pcap, raw IPv4,
//! nanosecond times), written here so that no capture is committed: the
//! input of the tests that compare the threaded analysis with one thread.
//!
//! Thousands of connections from 53 client hosts to five servers,
//! opened 20 ms apart over about a minute and a half, each of one of these
//! kinds (chosen by a fixed pseudo-random sequence): a SYN train never
//! answered (SYNs at 0, 1, 2, 3, 4, 5 and 7 s: the cross-check's case), a SYN
//! answered by a RST, a full exchange closed by FINs, a client FIN a few
//! seconds in (a close the cross-check looks for), a RST after data, a port
//! reuse (the same 4-tuple again with another ISN after the close), a
//! connection left open to the end, and a retransmission. A few packets
//! carry a time 3 ms earlier than the one before (capture time going back).

const S: i64 = 1_000_000_000;
const MS: i64 = 1_000_000;

/// An IPv4 + TCP packet (20 + 20 bytes, `len` bytes of payload).
fn tcp(
    src: ([u8; 4], u16),
    dst: ([u8; 4], u16),
    seq: u32,
    ack: u32,
    flags: u8,
    len: u16,
) -> Vec<u8> {
    let total = 40 + len;
    let mut p = vec![0x45, 0];
    p.extend_from_slice(&total.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0]);
    p.extend_from_slice(&src.0);
    p.extend_from_slice(&dst.0);
    p.extend_from_slice(&src.1.to_be_bytes());
    p.extend_from_slice(&dst.1.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&ack.to_be_bytes());
    p.extend_from_slice(&[0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.resize(usize::from(total), 0x61);
    p
}

const SYN: u8 = 0x02;
const RST: u8 = 0x04;
const ACK: u8 = 0x10;
const FIN_ACK: u8 = 0x11;
const SYN_ACK: u8 = 0x12;
const PSH_ACK: u8 = 0x18;

/// `n` connections, as the bytes of a pcap file.
pub fn many_connections(n: u32) -> Vec<u8> {
    let mut rng: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut pkts: Vec<(i64, Vec<u8>)> = Vec::new();
    for i in 0..n {
        let c = [10, 1, (i % 53) as u8, 1];
        let s = [192, 0, 2, 1 + (i % 5) as u8];
        let cport = 1024 + (i * 7919 % 60_000) as u16;
        let sport = if i % 2 == 0 { 80 } else { 443 };
        let (cl, sv) = ((c, cport), (s, sport));
        let t0 = i64::from(i) * 20 * MS + (next() % 10) as i64 * MS;
        let rtt = (1 + next() % 40) as i64 * MS;
        let (isn, sisn) = (next() as u32, next() as u32);
        let mut at = |t: i64, p: Vec<u8>| pkts.push((t0 + t, p));
        let open = |at: &mut dyn FnMut(i64, Vec<u8>), isn: u32, sisn: u32| {
            at(0, tcp(cl, sv, isn, 0, SYN, 0));
            at(rtt, tcp(sv, cl, sisn, isn + 1, SYN_ACK, 0));
            at(rtt + MS / 10, tcp(cl, sv, isn + 1, sisn + 1, ACK, 0));
        };
        match next() % 9 {
            0 => {
                for t in [0, 1, 2, 3, 4, 5, 7] {
                    at(t * S, tcp(cl, sv, isn, 0, SYN, 0));
                }
            }
            1 => {
                at(0, tcp(cl, sv, isn, 0, SYN, 0));
                at(rtt, tcp(sv, cl, 0, isn + 1, RST | ACK, 0));
            }
            2 | 3 => {
                let close = if next() % 2 == 0 {
                    2 * rtt
                } else {
                    (2 + (next() % 10) as i64) * S
                };
                open(&mut at, isn, sisn);
                at(rtt + MS, tcp(cl, sv, isn + 1, sisn + 1, PSH_ACK, 100));
                at(
                    2 * rtt + MS,
                    tcp(sv, cl, sisn + 1, isn + 101, PSH_ACK, 1000),
                );
                at(
                    close + 2 * rtt + 2 * MS,
                    tcp(cl, sv, isn + 101, sisn + 1001, FIN_ACK, 0),
                );
                at(
                    close + 3 * rtt + 2 * MS,
                    tcp(sv, cl, sisn + 1001, isn + 102, FIN_ACK, 0),
                );
                at(
                    close + 4 * rtt + 2 * MS,
                    tcp(cl, sv, isn + 102, sisn + 1002, ACK, 0),
                );
            }
            4 => {
                open(&mut at, isn, sisn);
                at(rtt + MS, tcp(cl, sv, isn + 1, sisn + 1, PSH_ACK, 200));
                at(2 * rtt + MS, tcp(cl, sv, isn + 201, sisn + 1, RST | ACK, 0));
            }
            5 => {
                open(&mut at, isn, sisn);
                at(rtt + MS, tcp(cl, sv, isn + 1, sisn + 1, FIN_ACK, 0));
                at(2 * rtt + MS, tcp(sv, cl, sisn + 1, isn + 2, FIN_ACK, 0));
                at(3 * rtt + MS, tcp(cl, sv, isn + 2, sisn + 2, ACK, 0));
                // The same 4-tuple again, 2 s later, with another ISN.
                let (isn2, sisn2) = (isn.wrapping_add(1 << 30), sisn.wrapping_add(1 << 29));
                let mut later = |t: i64, p: Vec<u8>| at(2 * S + t, p);
                open(&mut later, isn2, sisn2);
                later(rtt + MS, tcp(sv, cl, sisn2 + 1, isn2 + 1, PSH_ACK, 300));
                later(
                    2 * rtt + MS,
                    tcp(cl, sv, isn2 + 1, sisn2 + 301, RST | ACK, 0),
                );
            }
            6 => {
                open(&mut at, isn, sisn);
                at(rtt + MS, tcp(cl, sv, isn + 1, sisn + 1, PSH_ACK, 50));
            }
            _ => {
                open(&mut at, isn, sisn);
                at(rtt + MS, tcp(cl, sv, isn + 1, sisn + 1, PSH_ACK, 500));
                // Lost on the way: sent again after 200 ms, then acknowledged.
                at(rtt + 201 * MS, tcp(cl, sv, isn + 1, sisn + 1, PSH_ACK, 500));
                at(2 * rtt + 201 * MS, tcp(sv, cl, sisn + 1, isn + 501, ACK, 0));
                at(
                    2 * rtt + 300 * MS,
                    tcp(cl, sv, isn + 501, sisn + 1, FIN_ACK, 0),
                );
                at(3 * rtt + 300 * MS, tcp(sv, cl, sisn + 1, isn + 502, RST, 0));
            }
        }
    }
    pkts.sort_by_key(|p| p.0);
    for (k, p) in pkts.iter_mut().enumerate() {
        if k % 499 == 498 {
            p.0 -= 3 * MS;
        }
    }
    let mut f = Vec::new();
    // pcap, nanosecond times, snaplen 65535, LINKTYPE_RAW (101).
    f.extend_from_slice(&0xa1b2_3c4d_u32.to_le_bytes());
    f.extend_from_slice(&[2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    f.extend_from_slice(&65535u32.to_le_bytes());
    f.extend_from_slice(&101u32.to_le_bytes());
    for (t, p) in &pkts {
        f.extend_from_slice(&((t / S) as u32).to_le_bytes());
        f.extend_from_slice(&((t % S) as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(&(p.len() as u32).to_le_bytes());
        f.extend_from_slice(p);
    }
    f
}

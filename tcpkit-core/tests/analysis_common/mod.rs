//! Shared builder of hand-made segments for the analysis tests (included with `mod`).

#![allow(dead_code)]

use std::net::IpAddr;
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig, SegmentFacts};
use tcpkit_core::wire::{IpInfo, Options, Segment, SeqNumber, TcpFlags};

pub const C: (&str, u16) = ("10.0.0.2", 40000);
pub const S: (&str, u16) = ("10.0.0.1", 80);

pub const SYN: u16 = TcpFlags::SYN;
pub const ACK: u16 = TcpFlags::ACK;
pub const FIN: u16 = TcpFlags::FIN;
pub const RST: u16 = TcpFlags::RST;
pub const PSH: u16 = TcpFlags::PSH;

/// One segment to feed: from (ip, port) to (ip, port), raw seq/ack, flags, window, payload length, option bytes.
#[derive(Clone)]
pub struct Seg {
    pub from: (&'static str, u16),
    pub to: (&'static str, u16),
    pub seq: u32,
    pub ack: u32,
    pub flags: u16,
    pub win: u16,
    pub len: u32,
    pub opts: Vec<u8>,
}

pub fn seg(
    from: (&'static str, u16),
    to: (&'static str, u16),
    seq: u32,
    ack: u32,
    flags: u16,
    win: u16,
    len: u32,
) -> Seg {
    Seg {
        from,
        to,
        seq,
        ack,
        flags,
        win,
        len,
        opts: Vec::new(),
    }
}

impl Seg {
    pub fn opts(mut self, b: &[u8]) -> Self {
        self.opts = b.to_vec();
        self
    }
}

/// Feeds segments at the given times (µs); returns the facts of each.
pub struct Run {
    pub an: Analyzer,
    pub frame: u64,
}

impl Run {
    pub fn new() -> Self {
        Self::with(AnalyzerConfig::default())
    }
    pub fn with(cfg: AnalyzerConfig) -> Self {
        Self {
            an: Analyzer::new(cfg),
            frame: 0,
        }
    }
    pub fn feed(&mut self, t_us: i64, s: &Seg) -> SegmentFacts {
        self.frame += 1;
        let src: IpAddr = s.from.0.parse().unwrap();
        let dst: IpAddr = s.to.0.parse().unwrap();
        let seg = Segment {
            ip: IpInfo {
                src,
                dst,
                version: if src.is_ipv4() { 4 } else { 6 },
                tos: 0,
                ttl: 64,
                id: 0,
                frag: 0,
                flow_label: 0,
                total_len: 40 + s.len,
            },
            sport: s.from.1,
            dport: s.to.1,
            seq: SeqNumber(s.seq),
            ack: SeqNumber(s.ack),
            flags: TcpFlags(s.flags),
            window: s.win,
            checksum: 0,
            urgent: 0,
            header_len: 20 + s.opts.len() as u8,
            header_captured: 20 + s.opts.len() as u8,
            options: Options::new(&s.opts),
            payload: &[],
            payload_len: s.len,
            truncated: true,
        };
        self.an.observe(self.frame, t_us * 1000, &seg)
    }
}

/// SYN options: mss 1460, sackOK, wscale `shift`.
pub fn syn_opts(shift: u8) -> Vec<u8> {
    vec![2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, shift]
}

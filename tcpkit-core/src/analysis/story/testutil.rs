//! Hand-built segments for the story's and the report's unit tests.
#![allow(clippy::too_many_arguments)]

use super::*;
use crate::analysis::{AnalysisFlags, SegmentFacts};
use crate::flow::{ConnId, Direction};
use crate::wire::{IpInfo, Options, SeqNumber, TcpFlags};
use std::net::{IpAddr, Ipv4Addr};

pub(crate) const C2S: Direction = Direction::ClientToServer;
pub(crate) const S2C: Direction = Direction::ServerToClient;
pub(crate) const S: i64 = 1_000_000_000;
pub(crate) const MS: i64 = 1_000_000;
pub(crate) const CISN: u32 = 1000;
pub(crate) const SISN: u32 = 50_000;
/// mss 8460, sackOK, TS val 1 ecr 0, nop, wscale 10 (a Linux SYN).
pub(crate) const LINUX_SYN_OPTS: [u8; 20] = [
    2, 4, 0x21, 0x0c, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 10,
];
/// macOS (p0f `mss,nop,ws,nop,nop,ts,sok,eol+1`): mss 1460, nop, wscale 6,
/// nop, nop, TS val 1 ecr 0, sackOK, eol (padded to 24 bytes).
pub(crate) const MACOS_SYN_OPTS: [u8; 24] = [
    2, 4, 0x05, 0xb4, 1, 3, 3, 6, 1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 4, 2, 0, 0,
];
/// Windows 7 and later (p0f `mss,nop,ws,nop,nop,sok`): mss 1460, nop,
/// wscale 8, nop, nop, sackOK.
pub(crate) const WINDOWS_SYN_OPTS: [u8; 12] = [2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2];
/// mss 1460 only (an nmap SYN).
pub(crate) const MSS_ONLY: [u8; 4] = [2, 4, 0x05, 0xb4];

pub(crate) const F: u16 = TcpFlags::FIN;
pub(crate) const SY: u16 = TcpFlags::SYN;
pub(crate) const R: u16 = TcpFlags::RST;
pub(crate) const A: u16 = TcpFlags::ACK;

pub(crate) struct Conn {
    pub(crate) b: StoryBuilder,
    pub(crate) t: crate::analysis::Tally,
    pub(crate) frame: u64,
    /// The raw window field of the next segments.
    pub(crate) win: u16,
    /// The client's port.
    pub(crate) cport: u16,
    /// The IP TTL of the next segments.
    pub(crate) ttl: u8,
    /// tshark's `duplicate_ack_num` of the next segments (0: not a duplicate ACK).
    pub(crate) dup: u32,
}

impl Conn {
    pub(crate) fn new() -> Self {
        Self {
            b: StoryBuilder::new(),
            t: crate::analysis::Tally::new(),
            frame: 0,
            win: 100,
            cport: 43970,
            ttl: 64,
            dup: 0,
        }
    }

    /// One segment: `seq`/`ack` relative (0 = the sender's / peer's ISN).
    pub(crate) fn seg(
        &mut self,
        t: i64,
        dir: Direction,
        flags: u16,
        seq: u64,
        ack: u64,
        len: u32,
        opts: &[u8],
    ) -> u64 {
        self.seg_flagged(t, dir, flags, seq, ack, len, opts, 0)
    }

    pub(crate) fn seg_flagged(
        &mut self,
        t: i64,
        dir: Direction,
        flags: u16,
        seq: u64,
        ack: u64,
        len: u32,
        opts: &[u8],
        analysis: u32,
    ) -> u64 {
        self.frame += 1;
        let (seg, facts) = self.parts(dir, flags, seq, ack, len, opts, analysis);
        self.b.observe(self.frame, t, &seg, &facts);
        self.t.observe(self.frame, t, &seg, &facts);
        self.frame
    }

    /// The segment and its facts (`seq`/`ack` relative: 0 = the sender's / peer's ISN).
    pub(crate) fn parts<'a>(
        &self,
        dir: Direction,
        flags: u16,
        seq: u64,
        ack: u64,
        len: u32,
        opts: &'a [u8],
        analysis: u32,
    ) -> (Segment<'a>, SegmentFacts) {
        let c = IpAddr::V4(Ipv4Addr::new(198, 18, 2, 15));
        let s = IpAddr::V4(Ipv4Addr::new(198, 18, 2, 12));
        let (src, dst, sport, dport, isn, peer_isn) = match dir {
            Direction::ClientToServer => (c, s, self.cport, 9527, CISN, SISN),
            Direction::ServerToClient => (s, c, 9527, self.cport, SISN, CISN),
        };
        let seg = Segment {
            ip: IpInfo {
                src,
                dst,
                version: 4,
                tos: 0,
                ttl: self.ttl,
                id: 0,
                frag: 0,
                flow_label: 0,
                total_len: 40u32.saturating_add(len),
            },
            sport,
            dport,
            seq: SeqNumber(isn.wrapping_add(seq as u32)),
            ack: SeqNumber(if flags & A != 0 {
                peer_isn.wrapping_add(ack as u32)
            } else {
                0
            }),
            flags: TcpFlags(flags),
            window: self.win,
            checksum: 0,
            urgent: 0,
            header_len: 20 + opts.len() as u8,
            header_captured: 20 + opts.len() as u8,
            options: Options::new(opts),
            payload: &[],
            payload_len: len,
            truncated: len > 0,
        };
        let syn_fin =
            u64::from(flags & (SY | F) != 0) + u64::from(flags & SY != 0 && flags & F != 0);
        let facts = SegmentFacts {
            conn: ConnId(0),
            dir,
            new_conn: self.frame == 1,
            seq,
            ack_base: 0,
            ack_before_base: false,
            ack: if flags & A != 0 { ack } else { 0 },
            next_seq: seq.saturating_add(u64::from(len)).saturating_add(syn_fin),
            scale: None,
            win_scaled: 100,
            flags: AnalysisFlags(analysis),
            dup_ack_num: self.dup,
            dup_ack_of: None,
            ack_rtt_ns: None,
            acks_frame: None,
            ack_rtt_ambiguous: false,
            irtt_ns: None,
            bytes_in_flight: None,
        };
        (seg, facts)
    }

    /// The record with its story.
    pub(crate) fn finish(self, capture_last: i64) -> Connection {
        self.t.finish_with_story(
            ConnId(0),
            crate::analysis::EndReason::EndOfCapture,
            Some(self.b),
            capture_last,
        )
    }
}

pub(crate) fn states(v: &[StateChange]) -> Vec<TcpState> {
    v.iter().map(|s| s.state).collect()
}

/// The story of a record built by [`Conn::finish`].
pub(crate) trait HasStory {
    fn s(&self) -> &Story;
}

impl HasStory for Connection {
    fn s(&self) -> &Story {
        self.story.as_deref().expect("built with a story")
    }
}

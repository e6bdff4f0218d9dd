//! The story of each connection: endpoint states, handshake verdict,
//! retransmission trains, RTT/RTO, close analysis, inferred kernel settings
//! and plain-sentence notes.
//!
//! A [`StoryBuilder`] per connection consumes `(frame, ts_ns, &Segment,
//! &SegmentFacts)` in capture order and never re-derives what the per-segment
//! facts already say (relative numbers, retransmission flags, ack RTT).
//! Memory per connection is bounded (trains, sends per train, RTT samples
//! and the original-send ring are capped). [`StoryBuilder::finish`] returns a
//! [`ConnectionStory`]; [`ss::ss_at`] tells what `ss -tano` would have shown.
//!
//! Everything is inferred *at the capture point*: see `docs/story.md` for what
//! a capture taken on the server (or the client) can and cannot know.

mod infer;
mod notes;
pub mod rtt;
pub mod ss;
mod states;
pub mod syncookie;
mod trains;
mod types;

pub use trains::{LINUX_RTO_MIN_S, MAX_SENDS, MAX_TRAINS};
pub use types::*;

use super::{AnalysisFlags, SegmentFacts};
use crate::flow::{ConnId, Direction, Endpoint};
use crate::wire::{Segment, TcpOption};
use states::{Events, FinAck, FinInfo};
use trains::{RetxFlags, Trains};

/// Frames listed per handshake list (SYNs, SYN-ACKs); a connection cannot grow it beyond.
pub const MAX_HANDSHAKE_FRAMES: usize = 256;
/// TSvals remembered per direction for timestamp-echo RTT samples.
const TS_RING: usize = 32;
/// Retransmitted frames remembered per direction for Karn's rule.
const RETX_RING: usize = 64;

/// Keep-alive probes of one side: which were answered, and how they were spaced.
#[derive(Debug, Clone, Copy, Default)]
struct KeepaliveTrack {
    last_probe: Option<i64>,
    /// The peer sent something since the last probe.
    answered: bool,
    /// Interval from an answered probe to the next probe, ns.
    after_answered: Option<i64>,
    /// Interval between two unanswered probes, ns.
    after_unanswered: Option<i64>,
    /// Unanswered probes in a row so far.
    run: u32,
    /// Unanswered probes in a row when the side sent its RST, and the wait after the last.
    gave_up: Option<(u32, i64)>,
}

/// Builds the story of one connection from its segments, in capture order.
#[derive(Debug, Clone)]
pub struct StoryBuilder {
    conn: ConnId,
    ends: Option<(Endpoint, Endpoint)>,
    ipv6: bool,
    first_ts: i64,
    last_ts: i64,
    seen: bool,
    first_is_syn: bool,
    packets: [u64; 2],
    bytes: [u64; 2],
    high: [Option<u64>; 2],
    syns: Vec<(u64, i64)>,
    syn_acks: Vec<(u64, i64)>,
    syn_ack_next: Option<u64>,
    ack: Option<(u64, i64)>,
    irtt_ns: Option<u64>,
    syn_after_syn_ack: bool,
    options: [Option<SynOptions>; 2],
    retrans: [u64; 2],
    zero_window: [u64; 2],
    peer_zero: [bool; 2],
    trains: Trains,
    rtt: [rtt::RttAcc; 2],
    ts_sent: [Vec<(u32, i64)>; 2],
    ts_pos: [usize; 2],
    retx_frames: [Vec<u64>; 2],
    retx_pos: [usize; 2],
    acked: [u64; 2],
    events: Events,
    first_close_t: Option<i64>,
    server_busy: Option<i64>,
    zero_at_fin_ack: [bool; 2],
    last_len: [u64; 2],
    retx_pending: [Option<(u64, u64)>; 2],
    eff_window: [Option<u64>; 2],
    syn_count: u64,
    syn_ack_count: u64,
    keepalive: [KeepaliveTrack; 2],
    syn_ack_evidence: syncookie::SynAckEvidence,
}

impl StoryBuilder {
    /// A builder for connection `conn`.
    pub fn new(conn: ConnId) -> Self {
        Self {
            conn,
            ends: None,
            ipv6: false,
            first_ts: 0,
            last_ts: 0,
            seen: false,
            first_is_syn: false,
            packets: [0; 2],
            bytes: [0; 2],
            high: [None; 2],
            syns: Vec::new(),
            syn_acks: Vec::new(),
            syn_ack_next: None,
            ack: None,
            irtt_ns: None,
            syn_after_syn_ack: false,
            options: [None; 2],
            retrans: [0; 2],
            zero_window: [0; 2],
            peer_zero: [false; 2],
            trains: Trains::default(),
            rtt: Default::default(),
            ts_sent: Default::default(),
            ts_pos: [0; 2],
            retx_frames: Default::default(),
            retx_pos: [0; 2],
            acked: [0; 2],
            events: Events::default(),
            first_close_t: None,
            server_busy: None,
            zero_at_fin_ack: [false; 2],
            last_len: [0; 2],
            retx_pending: [None; 2],
            eff_window: [None; 2],
            syn_count: 0,
            syn_ack_count: 0,
            keepalive: [KeepaliveTrack::default(); 2],
            syn_ack_evidence: syncookie::SynAckEvidence::default(),
        }
    }

    /// Feeds the next segment of this connection (capture order).
    pub fn observe(&mut self, frame: u64, ts_ns: i64, seg: &Segment<'_>, facts: &SegmentFacts) {
        let dir = facts.dir;
        let d = dir.index();
        let r = dir.reverse().index();
        let fl = seg.flags;
        if !self.seen {
            self.seen = true;
            self.first_ts = ts_ns;
            self.first_is_syn = fl.syn();
            let src = Endpoint {
                ip: seg.ip.src,
                port: seg.sport,
            };
            let dst = Endpoint {
                ip: seg.ip.dst,
                port: seg.dport,
            };
            self.ends = Some(match dir {
                Direction::ClientToServer => (src, dst),
                Direction::ServerToClient => (dst, src),
            });
            self.ipv6 = seg.ip.version == 6;
        }
        self.last_ts = self.last_ts.max(ts_ns);
        if dir == Direction::ServerToClient {
            self.syn_ack_evidence.observe_server(ts_ns, seg);
        }
        self.packets[d] += 1;
        let len = u64::from(seg.payload_len);
        let end = facts.seq.saturating_add(len);
        match self.high[d] {
            None => {
                self.bytes[d] += len;
                self.high[d] = Some(end);
            }
            Some(h) if end > h => {
                self.bytes[d] += end - h.max(facts.seq);
                self.high[d] = Some(end);
            }
            _ => {}
        }
        let tail = self.high[d] == Some(end) && len > 0 || fl.fin();
        let af = facts.flags;
        let retx = af.has(AnalysisFlags::RETRANSMISSION)
            || af.has(AnalysisFlags::FAST_RETRANSMISSION)
            || af.has(AnalysisFlags::SPURIOUS_RETRANSMISSION);
        if retx {
            self.retrans[d] += 1;
            remember(
                &mut self.retx_frames[d],
                &mut self.retx_pos[d],
                RETX_RING,
                frame,
            );
        }
        let rflags = RetxFlags {
            retx,
            fast: af.has(AnalysisFlags::FAST_RETRANSMISSION),
            spurious: af.has(AnalysisFlags::SPURIOUS_RETRANSMISSION),
            tail,
        };
        if af.has(AnalysisFlags::ZERO_WINDOW) {
            self.zero_window[d] += 1;
        }
        if !fl.syn() && !fl.rst() {
            self.peer_zero[d] = seg.window == 0;
        }
        if self.keepalive[r].last_probe.is_some() && !af.has(AnalysisFlags::KEEP_ALIVE) {
            self.keepalive[r].answered = true;
        }
        if facts.irtt_ns.is_some() && self.irtt_ns.is_none() {
            self.irtt_ns = facts.irtt_ns;
        }
        let mut tsval = None;
        // Handshake.
        if fl.syn() {
            let opts = SynOptions::of(seg);
            if !fl.ack() {
                if self.syns.len() < MAX_HANDSHAKE_FRAMES {
                    self.syns.push((frame, ts_ns));
                }
                if !self.syn_acks.is_empty() {
                    self.syn_after_syn_ack = true;
                }
                self.options[0].get_or_insert(opts);
                self.events.syn_t.get_or_insert(ts_ns);
                if let (Some(&first), true) = (self.syns.first(), self.syn_count > 0) {
                    self.trains
                        .resend(dir, TrainKind::Syn, 0, 0, first, frame, ts_ns, rflags);
                }
                self.syn_count += 1;
            } else {
                if self.syn_acks.len() < MAX_HANDSHAKE_FRAMES {
                    self.syn_acks.push((frame, ts_ns));
                }
                self.options[1].get_or_insert(opts);
                self.syn_ack_next.get_or_insert(facts.next_seq);
                self.events.syn_ack_t.get_or_insert(ts_ns);
                if let (Some(&first), true) = (self.syn_acks.first(), self.syn_ack_count > 0) {
                    self.trains
                        .resend(dir, TrainKind::SynAck, 0, 0, first, frame, ts_ns, rflags);
                }
                self.syn_ack_count += 1;
            }
        } else if dir == Direction::ClientToServer
            && self.ack.is_none()
            && fl.ack()
            && !fl.rst()
            && self.syn_ack_next.is_some_and(|n| facts.ack >= n)
        {
            self.ack = Some((frame, ts_ns));
            self.events.established_t = Some(ts_ns);
            self.eff_window[0] = Some(facts.win_scaled);
        } else if dir == Direction::ServerToClient
            && self.ack.is_some()
            && self.eff_window[1].is_none()
            && !fl.rst()
        {
            self.eff_window[1] = Some(facts.win_scaled);
        }
        for o in seg.options.iter().flatten() {
            if let TcpOption::Timestamps { val, ecr } = o {
                tsval = Some(val);
                // RTT from the echo (RFC 7323 4.1), on ACKs of new data only.
                if fl.ack() && facts.ack > self.acked[d] && ecr != 0 && facts.ack_rtt_ns.is_none() {
                    if let Some(&(_, t)) = self.ts_sent[r].iter().find(|(v, _)| *v == ecr) {
                        if ts_ns >= t {
                            self.rtt[r].add(ts_ns.abs_diff(t));
                        }
                    }
                }
            }
        }
        // RTT from the ACK (Karn: not when the acknowledged frame was retransmitted).
        // Karn: an ACK covering retransmitted data gives no sample.
        let covers_retx =
            fl.ack() && self.retx_pending[r].is_some_and(|(start, _)| facts.ack > start);
        if let Some(rtt) = facts.ack_rtt_ns {
            let acked_retx = facts
                .acks_frame
                .is_some_and(|of| self.retx_frames[r].contains(&of));
            if !acked_retx && !covers_retx && !facts.ack_rtt_ambiguous {
                self.rtt[r].add(rtt);
            }
        }
        if fl.ack() {
            if let Some((_, end)) = self.retx_pending[r] {
                if facts.ack >= end {
                    self.retx_pending[r] = None;
                }
            }
        }
        if retx && len > 0 {
            self.retx_pending[d] = Some(match self.retx_pending[d] {
                Some((a, b)) => (a.min(facts.seq), b.max(end)),
                None => (facts.seq, end),
            });
        }
        if fl.ack() && facts.ack > self.acked[d] {
            self.acked[d] = facts.ack;
        }
        if let Some(v) = tsval {
            if (len > 0 || fl.syn() || fl.fin()) && !self.ts_sent[d].iter().any(|(x, _)| *x == v) {
                remember(
                    &mut self.ts_sent[d],
                    &mut self.ts_pos[d],
                    TS_RING,
                    (v, ts_ns),
                );
            }
        }
        // Close: acknowledgments of FINs first, then this segment's own FIN / RST.
        let me = Side::sender(dir).index();
        let peer = 1 - me;
        if fl.ack() {
            if let Some(pf) = self.events.fin[peer] {
                if facts.ack >= pf.end {
                    if self.events.acked_peer_fin[me].is_none() {
                        self.events.acked_peer_fin[me] = Some(ts_ns);
                        // The peer's window was closed: this side could not send what it had queued.
                        self.zero_at_fin_ack[me] = self.peer_zero[r] && !fl.fin();
                    }
                    if self.events.fin_acked[peer].is_none() {
                        self.events.fin_acked[peer] = Some(FinAck {
                            t: ts_ns,
                            frame,
                            on_fin: fl.fin(),
                        });
                    }
                }
            }
        }
        if fl.fin() && !fl.syn() {
            let fin_end = facts.next_seq;
            match &mut self.events.fin[me] {
                None => {
                    let acked_peer_fin =
                        fl.ack() && self.events.fin[peer].is_some_and(|pf| facts.ack >= pf.end);
                    self.events.fin_queued[me] =
                        self.zero_at_fin_ack[me] && (len > 0 || self.last_len[d] > 0);
                    self.events.fin[me] = Some(FinInfo {
                        t: ts_ns,
                        frame,
                        seq: facts.seq,
                        end: fin_end,
                        acked_peer_fin,
                        last_t: ts_ns,
                    });
                    self.first_close_t.get_or_insert(ts_ns);
                }
                Some(f) => {
                    f.last_t = ts_ns;
                    let (first, seq, same) = ((f.frame, f.t), f.seq, f.end == fin_end);
                    // Re-sent after the peer's ACK: that ACK had not reached this side.
                    if let Some(a) = self.events.fin_acked[me].filter(|a| a.t <= ts_ns) {
                        self.events.fin_acked_stale[me] = Some(a);
                        self.events.fin_acked[me] = None;
                    }
                    if same {
                        self.trains.resend(
                            dir,
                            TrainKind::Fin,
                            fin_end,
                            seq,
                            first,
                            frame,
                            ts_ns,
                            rflags,
                        );
                    } else {
                        self.trains.repeatable(
                            dir,
                            TrainKind::Fin,
                            fin_end,
                            facts.seq,
                            frame,
                            ts_ns,
                            rflags,
                        );
                    }
                }
            }
        } else if fl.rst() {
            let k = &mut self.keepalive[d];
            if let (Some(prev), false, None) = (k.last_probe, k.answered, k.gave_up) {
                k.gave_up = Some((k.run + 1, ts_ns.saturating_sub(prev)));
            }
            self.events.rst[me].get_or_insert(ts_ns);
            self.first_close_t.get_or_insert(ts_ns);
            self.trains.repeatable(
                dir,
                TrainKind::Rst,
                facts.seq,
                facts.seq,
                frame,
                ts_ns,
                rflags,
            );
        } else if af.has(AnalysisFlags::KEEP_ALIVE) || af.has(AnalysisFlags::ZERO_WINDOW_PROBE) {
            let probe = af.has(AnalysisFlags::ZERO_WINDOW_PROBE) || self.peer_zero[r];
            let kind = if probe {
                TrainKind::Probe
            } else {
                TrainKind::Keepalive
            };
            self.trains
                .repeatable(dir, kind, facts.seq, facts.seq, frame, ts_ns, rflags);
            if !probe {
                let k = &mut self.keepalive[d];
                if let Some(prev) = k.last_probe {
                    let iv = ts_ns.saturating_sub(prev);
                    if k.answered {
                        k.after_answered = Some(iv);
                        k.run = 0;
                    } else {
                        k.after_unanswered = Some(iv);
                        k.run += 1;
                    }
                }
                k.last_probe = Some(ts_ns);
                k.answered = false;
            }
        } else if len > 0 && !fl.syn() {
            self.trains.data(dir, facts.seq, end, frame, ts_ns, rflags);
        }
        if !fl.fin() {
            self.last_len[d] = len;
        }
        if dir == Direction::ServerToClient
            && self.server_busy.is_none()
            && (len > 0 || fl.fin() || fl.rst())
        {
            self.server_busy = Some(ts_ns);
        }
    }

    /// Finishes the story. `capture_last_ts_ns`: the time of the capture's last
    /// packet (any connection, any protocol), which bounds what silence proves.
    pub fn finish(self, capture_last_ts_ns: i64) -> ConnectionStory {
        let (client, server) = self.ends.unwrap_or((
            Endpoint {
                ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                port: 0,
            },
            Endpoint {
                ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                port: 0,
            },
        ));
        let midstream = self.syns.is_empty() && self.syn_acks.is_empty();
        let mut events = self.events.clone();
        if midstream && self.seen {
            events.midstream_t = Some(self.first_ts);
        }
        let rst_client = events.rst[0];
        let rst_server = events.rst[1];
        let outcome = if midstream {
            Outcome::Midstream
        } else if self.ack.is_some() {
            Outcome::Established
        } else if !self.syn_acks.is_empty() {
            if rst_client.is_some() || rst_server.is_some() {
                Outcome::Reset
            } else {
                Outcome::SynAckUnanswered
            }
        } else if rst_server.is_some() {
            Outcome::Refused
        } else {
            Outcome::NoAnswer
        };
        let irtt = self.irtt_ns.map(|n| n as f64 / 1e9).or_else(|| {
            let (_, a) = self.ack?;
            let (_, s) = *self.syns.last()?;
            Some(trains::secs(a.saturating_sub(s)))
        });
        let handshake = Handshake {
            syn_frames: self.syns.iter().map(|x| x.0).collect(),
            syn_ack_frames: self.syn_acks.iter().map(|x| x.0).collect(),
            ack_frame: self.ack.map(|x| x.0),
            irtt,
            outcome,
            syn_ts_ns: self.syns.iter().map(|x| x.1).collect(),
            syn_ack_ts_ns: self.syn_acks.iter().map(|x| x.1).collect(),
            ack_ts_ns: self.ack.map(|x| x.1),
        };
        let hdr = if self.ipv6 { 60 } else { 40 };
        let implied = |o: &Option<SynOptions>| o.and_then(|o| o.mss).map(|m| u32::from(m) + hdr);
        let window_scale = match (self.options[0], self.options[1]) {
            (Some(c), Some(s)) => match (c.wscale, s.wscale) {
                (Some(a), Some(b)) => PerSide {
                    client: Some(a.min(14)),
                    server: Some(b.min(14)),
                },
                _ => PerSide::default(),
            },
            _ => PerSide::default(),
        };
        let states = PerSide {
            client: states::replay(&events, Side::Client),
            server: states::replay(&events, Side::Server),
        };
        let close = close_of(&events, self.first_close_t, self.last_ts, &states);
        let trains = self.trains.finish();
        let rtt = PerDir::from_array([self.rtt[0].summary(), self.rtt[1].summary()]);
        let unfloored = [
            self.rtt[0].est.rto_unfloored(),
            self.rtt[1].est.rto_unfloored(),
        ];
        let rst_ts_ns = match (rst_client, rst_server) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut story = ConnectionStory {
            conn: self.conn,
            client,
            server,
            midstream,
            first_ts_ns: self.first_ts,
            last_ts_ns: self.last_ts,
            packets: PerDir::from_array(self.packets),
            bytes: PerDir::from_array(self.bytes),
            handshake,
            options: PerSide::from_array(self.options),
            implied_mtu: PerSide {
                client: implied(&self.options[0]),
                server: implied(&self.options[1]),
            },
            window_scale,
            effective_window: PerSide::from_array(self.eff_window),
            retransmissions: PerDir::from_array(self.retrans),
            trains,
            rtt,
            close,
            states,
            inferred: Inferred::default(),
            zero_window: PerDir::from_array(self.zero_window),
            notes: Vec::new(),
            server_busy_ns: self.server_busy,
            rst_ts_ns,
            syn_ack_evidence: self.syn_ack_evidence,
        };
        story.inferred = infer::infer(
            &story,
            self.syn_after_syn_ack,
            unfloored,
            capture_last_ts_ns,
        );
        for k in &self.keepalive {
            infer::keepalive(
                &mut story.inferred,
                k.after_answered,
                k.after_unanswered,
                k.gave_up,
            );
        }
        story.notes = notes::notes(&story);
        story
    }
}

/// Capture-wide corrections once every story is finished (they need other
/// connections): a SYN train that ended while its client host was closing other
/// connections does not reveal `tcp_syn_retries` (see `docs/story.md`).
pub fn cross_check(stories: &mut [ConnectionStory]) {
    // When each client host closed something: its first FIN_WAIT1 / LAST_ACK / CLOSED.
    let closes: Vec<(std::net::IpAddr, i64)> = stories
        .iter()
        .filter_map(|s| {
            s.states
                .client
                .iter()
                .find(|x| {
                    matches!(
                        x.state,
                        TcpState::FinWait1 | TcpState::LastAck | TcpState::Closed
                    )
                })
                .map(|x| (s.client.ip, x.t_ns))
        })
        .collect();
    if closes.is_empty() {
        return;
    }
    for s in stories.iter_mut() {
        if infer::withdraw_syn_retries_if_app_closed(s, &closes) {
            s.notes = notes::notes(s);
        }
    }
}

fn remember<T>(ring: &mut Vec<T>, pos: &mut usize, cap: usize, x: T) {
    if ring.len() < cap {
        ring.push(x);
    } else if let Some(slot) = ring.get_mut(*pos % cap) {
        *slot = x;
        *pos = (*pos + 1) % cap;
    }
}

fn close_of(
    ev: &Events,
    first_close_t: Option<i64>,
    last_ts: i64,
    states: &PerSide<Vec<StateChange>>,
) -> Close {
    let first_fin_by = match (ev.fin[0], ev.fin[1]) {
        (Some(c), Some(s)) => Some(if c.t <= s.t {
            Side::Client
        } else {
            Side::Server
        }),
        (Some(_), None) => Some(Side::Client),
        (None, Some(_)) => Some(Side::Server),
        (None, None) => None,
    };
    let rst_by = match (ev.rst[0], ev.rst[1]) {
        (Some(c), Some(s)) => Some(if c <= s { Side::Client } else { Side::Server }),
        (Some(_), None) => Some(Side::Client),
        (None, Some(_)) => Some(Side::Server),
        (None, None) => None,
    };
    let piggybacked = match first_fin_by {
        Some(first) => {
            let second = first.peer().index();
            ev.fin[second]
                .is_some_and(|f| f.acked_peer_fin && ev.acked_peer_fin[second] == Some(f.t))
        }
        None => false,
    };
    let went_through = |v: &[StateChange], s: TcpState| v.iter().any(|x| x.state == s);
    // Both sent a FIN before receiving the other's, and one at least received the
    // other's FIN while its own was unacknowledged (CLOSING): a FIN that never
    // arrived (the peer reset instead) does not make a simultaneous close.
    let simultaneous = ev.fin[0].is_some()
        && ev.fin[1].is_some()
        && went_through(&states.client, TcpState::FinWait1)
        && went_through(&states.server, TcpState::FinWait1)
        && (went_through(&states.client, TcpState::Closing)
            || went_through(&states.server, TcpState::Closing));
    let half_close_left_open = (ev.fin[0].is_some() != ev.fin[1].is_some())
        && (ev.fin_acked[0].is_some() || ev.fin_acked[1].is_some())
        && ev.rst[0].is_none()
        && ev.rst[1].is_none();
    Close {
        first_fin_by,
        rst_by,
        piggybacked,
        simultaneous,
        duration_s: first_close_t.map(|t| trains::secs(last_ts.saturating_sub(t))),
        half_close_left_open,
    }
}

#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

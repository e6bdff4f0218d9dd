//! The story of each connection: endpoint states, retransmission trains,
//! RTT/RTO, close analysis, inferred kernel settings and notes (codes with
//! their numbers; [`crate::text`] words them).
//!
//! A [`StoryBuilder`] per connection consumes `(frame, ts_ns, &Segment,
//! &SegmentFacts)` in capture order and never re-derives what the per-segment
//! facts already say (relative numbers, retransmission flags, ack RTT).
//! Memory per connection is bounded (trains, sends per train, RTT samples
//! and the original-send ring are capped). [`StoryBuilder::finish`] returns the
//! [`Story`] of a [`Connection`] whose counters the [`Tally`](super::Tally)
//! filled; [`ss::ss_at`] tells what `ss -tano` would have shown.
//!
//! Everything is inferred *at the capture point*: see `docs/story.md` for what
//! a capture taken on the server (or the client) can and cannot know.

pub mod fixed;
mod infer;
mod notes;
mod rtt;
pub mod ss;
pub mod stack;
mod states;
pub mod syncookie;
mod trains;
mod tsval;
mod types;

pub use rtt::RtoRule;
pub use trains::{LINUX_RTO_MIN_NS, MAX_SENDS, MAX_TRAINS};
pub use types::*;

pub(crate) use trains::about_equal;

use super::record::SegmentOptions;
use super::{AnalysisFlags, Connection, SegmentFacts};
use crate::flow::Direction;
use crate::wire::{Segment, TcpOption};
use fixed::{Filler, SpillList};
use states::{Events, FinAck, FinInfo};
use trains::{RetxFlags, Trains};
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

/// What few connections need: keep-alive probes, duplicate ACKs and
/// retransmitted data awaiting its ACK (boxed apart: 304 bytes that most
/// stories would carry empty).
#[derive(Debug, Clone, Default)]
struct Rare {
    keepalive: [KeepaliveTrack; 2],
    /// Per direction of the ACKs: the last duplicate ACK (its ack number,
    /// tshark's `duplicate_ack_num`) while that ack number stands.
    dup_ack: [Option<(u64, u32)>; 2],
    /// Per direction: the range of data retransmitted and not yet
    /// acknowledged (Karn's rule).
    retx_pending: [Option<(u64, u64)>; 2],
}

/// Builds the story of one connection from its segments, in capture order.
#[derive(Debug, Clone)]
pub struct StoryBuilder {
    high: [Option<u64>; 2],
    first_syn: Option<(u64, i64)>,
    first_syn_ack: Option<(u64, i64)>,
    syn_ack_next: Option<u64>,
    ack: Option<(u64, i64)>,
    syn_after_syn_ack: bool,
    /// [`shrink_once`](Self::shrink_once) ran.
    shrunk: bool,
    peer_zero: [bool; 2],
    trains: Trains,
    rtt: [rtt::RttAcc; 2],
    ts_sent: [tsval::TsSent; 2],
    retx_frames: [SpillList<u64, 2>; 2],
    retx_pos: [usize; 2],
    /// The greatest frame ever kept in `retx_frames` (0: none; frames count
    /// from 1): a frame after it is not there, without a walk of the ring.
    retx_newest: [u64; 2],
    acked: [u64; 2],
    events: Events,
    first_close_t: Option<i64>,
    server_busy: Option<i64>,
    zero_at_fin_ack: [bool; 2],
    last_len: [u64; 2],
    eff_window: [Option<u64>; 2],
    syn_count: u64,
    syn_ack_count: u64,
    syn_ack_evidence: syncookie::SynAckEvidence,
    /// When the client first sent payload, FIN or RST (the server's is
    /// `server_busy`): for a record whose roles are mirrored.
    client_busy: Option<i64>,
    /// The first SYN's and SYN-ACK's prints, for the stack guess.
    syn_print: [Option<stack::SynPrint>; 2],
    /// Keep-alives, duplicate ACKs, retransmissions: allocated at the first.
    rare: Option<Box<Rare>>,
}

impl Default for StoryBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl StoryBuilder {
    /// A builder for one connection.
    pub fn new() -> Self {
        Self {
            high: [None; 2],
            first_syn: None,
            first_syn_ack: None,
            syn_ack_next: None,
            ack: None,
            syn_after_syn_ack: false,
            shrunk: false,
            peer_zero: [false; 2],
            trains: Trains::default(),
            rtt: Default::default(),
            ts_sent: Default::default(),
            retx_frames: Default::default(),
            retx_pos: [0; 2],
            retx_newest: [0; 2],
            acked: [0; 2],
            events: Events::default(),
            first_close_t: None,
            server_busy: None,
            zero_at_fin_ack: [false; 2],
            last_len: [0; 2],
            eff_window: [None; 2],
            syn_count: 0,
            syn_ack_count: 0,
            syn_ack_evidence: syncookie::SynAckEvidence::default(),
            client_busy: None,
            syn_print: [None, None],
            rare: None,
        }
    }

    /// The rarely needed part, allocated at its first use.
    fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// The first time only (a closed connection's later segments, if any,
    /// are few): frees the spare capacity of the lists on the heap, down to
    /// the room a ring gets when it moves there (twice the entries it held
    /// in place: giving back less would cost a reallocation for a few dozen
    /// bytes).
    #[inline]
    pub fn shrink_once(&mut self) {
        if !self.shrunk {
            self.shrunk = true;
            self.shrink_to(2 * RING_IN_PLACE);
        }
    }

    /// Frees the spare capacity of the growing lists and rings (original
    /// sends, trains, TSvals, retransmitted frames, RTT samples): for a
    /// closed connection lingering, which will see few segments if any.
    /// Nothing is forgotten (a late segment finds everything it would have).
    pub fn shrink_to_fit(&mut self) {
        self.shrink_to(0);
    }

    /// Shrinks every growing list and ring to its length, or `keep` entries
    /// if more.
    #[cold]
    #[inline(never)]
    fn shrink_to(&mut self, keep: usize) {
        self.trains.shrink_to(keep);
        for d in 0..2 {
            self.ts_sent[d].shrink_to(keep);
            self.retx_frames[d].shrink_to(keep);
            self.rtt[d].shrink_to(keep);
        }
    }

    /// An RTT sample of direction `r` from a timestamp echo `ecr` received at
    /// `ts_ns`, when the segment may give one (`samples`) and the echoed
    /// TSval is one `r`'s side sent. Inline: it is on every segment's path
    /// (a closure called from two places was not).
    #[inline(always)]
    fn echo_rtt(&mut self, r: usize, samples: bool, ecr: u32, ts_ns: i64) {
        if samples
            && ecr != 0
            && let Some(t) = self.ts_sent[r].sent_at(ecr)
            && ts_ns >= t
        {
            self.rtt[r].add(ts_ns.abs_diff(t));
        }
    }

    /// When the client (the analysis' orientation) first sent payload, FIN
    /// or RST.
    pub(crate) fn client_busy_ts_ns(&self) -> Option<i64> {
        self.client_busy
    }

    /// Feeds the next segment of this connection (capture order).
    pub fn observe(&mut self, frame: u64, ts_ns: i64, seg: &Segment<'_>, facts: &SegmentFacts) {
        self.observe_with(frame, ts_ns, seg, facts, &SegmentOptions::of(seg.options));
    }

    /// [`observe`](Self::observe) with the segment's options already read.
    pub(crate) fn observe_with(
        &mut self,
        frame: u64,
        ts_ns: i64,
        seg: &Segment<'_>,
        facts: &SegmentFacts,
        opts: &SegmentOptions,
    ) {
        let dir = facts.dir;
        let d = dir.index();
        let r = dir.reverse().index();
        let fl = seg.flags;
        if dir == Direction::ServerToClient {
            self.syn_ack_evidence.observe_server(ts_ns, seg);
        }
        let len = u64::from(seg.payload_len);
        let end = facts.seq.saturating_add(len);
        if self.high[d].is_none_or(|h| end > h) {
            self.high[d] = Some(end);
        }
        let tail = self.high[d] == Some(end) && len > 0 || fl.fin();
        let af = facts.flags;
        let retx = af.has(AnalysisFlags::RETRANSMISSION)
            || af.has(AnalysisFlags::FAST_RETRANSMISSION)
            || af.has(AnalysisFlags::SPURIOUS_RETRANSMISSION);
        if retx {
            remember(
                &mut self.retx_frames[d],
                &mut self.retx_pos[d],
                RETX_RING,
                frame,
            );
            self.retx_newest[d] = self.retx_newest[d].max(frame);
        }
        let fast = af.has(AnalysisFlags::FAST_RETRANSMISSION);
        // tshark's fast retransmission: >= 2 duplicate ACKs of this sequence
        // number from the peer, the last within 20 ms (packet-tcp.c).
        let dup_acks = match self.rare.as_ref().and_then(|x| x.dup_ack[r]) {
            Some((ack, n)) if fast && ack == facts.seq => n,
            _ => 0,
        };
        let rflags = RetxFlags {
            retx,
            fast,
            spurious: af.has(AnalysisFlags::SPURIOUS_RETRANSMISSION),
            tail,
            dup_acks,
        };
        if fl.ack() {
            if facts.dup_ack_num > 0 {
                self.rare_mut().dup_ack[d] = Some((facts.ack, facts.dup_ack_num));
            } else if let Some(x) = self.rare.as_mut()
                && x.dup_ack[d].is_some_and(|(a, _)| a != facts.ack)
            {
                x.dup_ack[d] = None;
            }
        }
        if !fl.syn() && !fl.rst() {
            self.peer_zero[d] = seg.window == 0;
        }
        if let Some(x) = self.rare.as_mut()
            && x.keepalive[r].last_probe.is_some()
            && !af.has(AnalysisFlags::KEEP_ALIVE)
        {
            x.keepalive[r].answered = true;
        }
        let mut tsval = None;
        // Handshake.
        if fl.syn() {
            let side = usize::from(fl.ack());
            if self.syn_print[side].is_none() {
                self.syn_print[side] = Some(stack::SynPrint::of(seg));
            }
            if !fl.ack() {
                let first = *self.first_syn.get_or_insert((frame, ts_ns));
                if self.first_syn_ack.is_some() {
                    self.syn_after_syn_ack = true;
                }
                self.events.syn_t.get_or_insert(ts_ns);
                if self.syn_count > 0 {
                    self.trains
                        .resend(dir, TrainKind::Syn, 0, 0, first, frame, ts_ns, rflags);
                }
                self.syn_count += 1;
            } else {
                let first = *self.first_syn_ack.get_or_insert((frame, ts_ns));
                self.syn_ack_next.get_or_insert(facts.next_seq);
                self.events.syn_ack_t.get_or_insert(ts_ns);
                if self.syn_ack_count > 0 {
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
        // RTT from the echo (RFC 7323 4.1), on ACKs of new data only.
        let echo_samples = fl.ack() && facts.ack > self.acked[d] && facts.ack_rtt_ns.is_none();
        if opts.several_timestamps {
            for o in seg.options.iter().flatten() {
                if let TcpOption::Timestamps { val, ecr } = o {
                    tsval = Some(val);
                    self.echo_rtt(r, echo_samples, ecr, ts_ns);
                }
            }
        } else if let Some((val, ecr)) = opts.timestamps {
            tsval = Some(val);
            self.echo_rtt(r, echo_samples, ecr, ts_ns);
        }
        // RTT from the ACK (Karn: not when the acknowledged frame was retransmitted).
        // Karn: an ACK covering retransmitted data gives no sample.
        let pending = self.rare.as_ref().and_then(|x| x.retx_pending[r]);
        let covers_retx = fl.ack() && pending.is_some_and(|(start, _)| facts.ack > start);
        if let Some(rtt) = facts.ack_rtt_ns {
            let acked_retx = facts
                .acks_frame
                .is_some_and(|of| of <= self.retx_newest[r] && self.retx_frames[r].contains(&of));
            if !acked_retx && !covers_retx && !facts.ack_rtt_ambiguous {
                self.rtt[r].add(rtt);
            }
        }
        if fl.ack()
            && let Some((_, end)) = pending
            && facts.ack >= end
            && let Some(x) = self.rare.as_mut()
        {
            x.retx_pending[r] = None;
        }
        if retx && len > 0 {
            let p = &mut self.rare_mut().retx_pending[d];
            *p = Some(match *p {
                Some((a, b)) => (a.min(facts.seq), b.max(end)),
                None => (facts.seq, end),
            });
        }
        if fl.ack() && facts.ack > self.acked[d] {
            self.acked[d] = facts.ack;
        }
        if let Some(v) = tsval
            && (len > 0 || fl.syn() || fl.fin())
        {
            self.ts_sent[d].remember(v, ts_ns);
        }
        // Close: acknowledgments of FINs first, then this segment's own FIN / RST.
        let me = Side::sender(dir).index();
        let peer = 1 - me;
        if fl.ack()
            && let Some(pf) = self.events.fin[peer]
            && facts.ack >= pf.end
        {
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
            if let Some(x) = self.rare.as_mut() {
                let k = &mut x.keepalive[d];
                if let (Some(prev), false, None) = (k.last_probe, k.answered, k.gave_up) {
                    k.gave_up = Some((k.run + 1, ts_ns.saturating_sub(prev)));
                }
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
                let k = &mut self.rare_mut().keepalive[d];
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
        if dir == Direction::ClientToServer
            && self.client_busy.is_none()
            && (len > 0 || fl.fin() || fl.rst())
        {
            self.client_busy = Some(ts_ns);
        }
    }

    /// Finishes the story of `rec`, whose counters a [`Tally`](super::Tally)
    /// filled from the same segments. `capture_last_ts_ns`: the time of the
    /// capture's last packet (any connection, any protocol), which bounds what
    /// silence proves.
    pub fn finish(mut self, rec: &Connection, capture_last_ts_ns: i64) -> Story {
        self.finish_in_place(rec, capture_last_ts_ns)
    }

    /// As [`finish`](Self::finish), where the builder lies (boxed in its
    /// connection), so that it is not moved whole (1,640 bytes, cold by the
    /// time its connection is handed out): what the story keeps is taken out
    /// of it, the rest read where it is; the builder is spent.
    pub(crate) fn finish_in_place(&mut self, rec: &Connection, capture_last_ts_ns: i64) -> Story {
        let mut events = std::mem::take(&mut self.events);
        if rec.midstream && rec.packets.c2s + rec.packets.s2c > 0 {
            events.midstream_t = Some(rec.first_ts_ns);
        }
        // A part after an eviction starts where its first segment is, in
        // the states the earlier part left (from ESTABLISHED, as mid-stream).
        if let (Some(t), None) = (rec.resumed_ts_ns, events.midstream_t) {
            events.midstream_t = Some(t);
        }
        let (rst_client, rst_server) = (events.rst[0], events.rst[1]);
        let hdr = if rec.client.ip.is_ipv6() { 60 } else { 40 };
        let implied = |o: &Option<SynOptions>| o.and_then(|o| o.mss).map(|m| u32::from(m) + hdr);
        let states = PerSide {
            client: states::replay(&events, Side::Client),
            server: states::replay(&events, Side::Server),
        };
        let close = close_of(&events, self.first_close_t, rec.last_ts_ns, &states);
        let trains = self.trains.finish();
        let stack = stack_guesses(
            std::mem::take(&mut self.syn_print),
            self.syn_after_syn_ack,
            &trains,
        );
        // Each direction's RTO is its sender's: the client's for c2s data.
        let rule = |g: &Option<stack::StackGuess>| RtoRule::of(g.as_ref().map(|g| g.stack));
        let unfloored = [
            self.rtt[0].est.rto_unfloored(),
            self.rtt[1].est.rto_unfloored(),
        ];
        let [c2s, s2c] = &mut self.rtt;
        let rtt = PerDir::from_array([
            c2s.summary(rule(&stack.client)),
            s2c.summary(rule(&stack.server)),
        ]);
        let rst_ts_ns = match (rst_client, rst_server) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let mut story = Story {
            stack,
            implied_mtu: PerSide {
                client: implied(&rec.options.client),
                server: implied(&rec.options.server),
            },
            effective_window: PerSide::from_array(self.eff_window),
            trains,
            rtt,
            close,
            states,
            inferred: Inferred::default(),
            notes: Vec::new(),
            server_busy_ts_ns: self.server_busy,
            rst_ts_ns,
            syn_ack_evidence: self.syn_ack_evidence,
        };
        story.inferred = infer::infer(
            rec,
            &story,
            self.syn_after_syn_ack,
            unfloored,
            capture_last_ts_ns,
        );
        let keepalive = self.rare.as_ref().map(|r| r.keepalive).unwrap_or_default();
        for k in &keepalive {
            infer::keepalive(
                &mut story.inferred,
                k.after_answered,
                k.after_unanswered,
                k.gave_up,
            );
        }
        story.notes = notes::notes(rec, &story);
        story
    }
}

/// Each side's stack: its SYN (client) or SYN-ACK (server) print, and the
/// backoff of its SYN or (timer-driven) SYN-ACK train.
fn stack_guesses(
    syn_print: [Option<stack::SynPrint>; 2],
    syn_after_syn_ack: bool,
    trains: &[Train],
) -> PerSide<Option<stack::StackGuess>> {
    // Timer-driven only: a re-send sooner than any stack's RTO floor is a
    // duplicate, not a backoff.
    let backoff = |kind: TrainKind| {
        trains
            .iter()
            .find(|t| t.kind == kind && t.more == 0)
            .map(|t| trains::intervals_s(&t.ts_ns))
            .filter(|iv| {
                iv.iter()
                    .all(|x| *x >= trains::LINUX_RTO_MIN_NS as f64 / 1e9 * 0.95)
            })
    };
    let [client_print, server_print] = syn_print;
    let client = client_print.map(|p| {
        let mut g = stack::guess(p);
        if let Some(iv) = backoff(TrainKind::Syn) {
            stack::add_backoff(&mut g, &iv);
        }
        g
    });
    let server = server_print.map(|p| {
        let mut g = stack::guess(p);
        // SYN-ACKs answering retransmitted SYNs are not timer-driven.
        if let (Some(iv), false) = (backoff(TrainKind::SynAck), syn_after_syn_ack) {
            stack::add_backoff(&mut g, &iv);
        }
        g
    });
    PerSide { client, server }
}

/// Capture-wide corrections once every story is finished (they need other
/// connections): a SYN train that ended while its client host was closing other
/// connections does not reveal `tcp_syn_retries` (see `docs/story.md`).
///
/// This is the batch form over a slice of connections; [`Analysis`](crate::Analysis)
/// does the same as connections finish, on bounded per-host state, with
/// [`client_close_ns`], [`syn_retries_window`] and [`withdraw_syn_retries`].
pub fn cross_check(conns: &mut [Connection]) {
    let closes: Vec<(std::net::IpAddr, i64)> = conns
        .iter()
        .filter_map(|c| client_close_ns(c).map(|t| (c.client.ip, t)))
        .collect();
    if closes.is_empty() {
        return;
    }
    for c in conns.iter_mut() {
        let Some((last, until)) = syn_retries_window(c) else {
            continue;
        };
        if let Some(&(_, when)) = closes
            .iter()
            .find(|(ip, at)| *ip == c.client.ip && *at > last && *at < until)
        {
            withdraw_syn_retries(c, when);
        }
    }
}

/// When the client of this connection closed it, as far as [`cross_check`]
/// is concerned: its first FIN_WAIT1, LAST_ACK or CLOSED state (`None`
/// without a story).
pub fn client_close_ns(c: &Connection) -> Option<i64> {
    c.story
        .as_deref()?
        .states
        .client
        .iter()
        .find(|x| {
            matches!(
                x.state,
                TcpState::FinWait1 | TcpState::LastAck | TcpState::Closed
            )
        })
        .map(|x| x.t_ns)
}

/// `(last SYN, next SYN due)`: a close by the same client host strictly
/// between these times withdraws the story's `tcp_syn_retries` (the
/// application may have closed the connecting socket); `None` when the story
/// inferred no `tcp_syn_retries` (or there is no story).
pub fn syn_retries_window(c: &Connection) -> Option<(i64, i64)> {
    infer::syn_retries_window(c.story.as_deref()?)
}

/// Withdraws the story's `tcp_syn_retries` (with a caveat and new notes):
/// its client host closed a connection at `close_ns`, inside
/// [`syn_retries_window`].
pub fn withdraw_syn_retries(c: &mut Connection, close_ns: i64) {
    let Some((last, _)) = syn_retries_window(c) else {
        return;
    };
    if let Some(mut s) = c.story.take() {
        infer::withdraw_syn_retries(&mut s, close_ns.saturating_sub(last));
        s.notes = notes::notes(c, &s);
        c.story = Some(s);
    }
}

/// The notes of a finished story (again, after a change of the record).
pub(crate) fn notes_of(rec: &Connection, s: &Story) -> Vec<Note> {
    notes::notes(rec, s)
}

/// Mirrors a finished story (the client becomes the server): trains, RTT,
/// windows, MTUs, states, the close and the caveats' sides. The notes are
/// derived again by the caller ([`notes_of`]), from the mirrored record.
/// `client_busy_ts_ns` becomes `server_busy_ts_ns`.
pub(crate) fn mirror(s: &mut Story, client_busy_ts_ns: Option<i64>) {
    std::mem::swap(&mut s.implied_mtu.client, &mut s.implied_mtu.server);
    std::mem::swap(
        &mut s.effective_window.client,
        &mut s.effective_window.server,
    );
    for t in &mut s.trains {
        t.dir = t.dir.reverse();
    }
    std::mem::swap(&mut s.rtt.c2s, &mut s.rtt.s2c);
    std::mem::swap(&mut s.states.client, &mut s.states.server);
    let c = &mut s.close;
    c.first_fin_by = c.first_fin_by.map(Side::peer);
    c.rst_by = c.rst_by.map(Side::peer);
    for cv in &mut s.inferred.caveats {
        if let Caveat::FinTimeoutBound { side } = cv {
            *side = side.peer();
        }
    }
    s.server_busy_ts_ns = client_busy_ts_ns;
}

/// Entries of a ring (TSvals sent, original sends) kept in place before it
/// moves to the heap (with room for twice as many): a short connection
/// sends a few a direction. Eight in place took more cache misses than
/// the allocations they saved (a larger builder).
const RING_IN_PLACE: usize = 4;

/// Keeps `x` in `ring` of at most `cap` entries, overwriting the oldest
/// (at `pos`) once it is full.
fn remember<T: Filler, const N: usize>(
    ring: &mut SpillList<T, N>,
    pos: &mut usize,
    cap: usize,
    x: T,
) {
    if ring.len() < cap {
        ring.push(x);
    } else if let Some(slot) = ring.as_mut_slice().get_mut(*pos % cap) {
        *slot = x;
        *pos = (*pos + 1) % cap;
    }
}

fn close_of(
    ev: &Events,
    first_close_t: Option<i64>,
    last_ts: i64,
    states: &PerSide<States>,
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
        duration_ns: first_close_t.map(|t| last_ts.saturating_sub(t).max(0) as u64),
        half_close_left_open,
    }
}

#[cfg(test)]
mod stack_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod testutil;

//! One connection: both directions' state and tshark's per-segment rules; the
//! record ([`Connection`](super::Connection)) handed out when it ends.
//!
//! The rules of [`Connection::observe`] follow Wireshark's
//! `tcp_analyze_sequence_number()` (packet-tcp.c) in its order of decisions;
//! each step's comment names the tshark flag it decides.

use super::half::{Acked, Half, Unacked};
use super::record::{EndReason, Resumed, SegmentOptions, Tally};
use super::story::StoryBuilder;
use super::window::{self, Scale};
use super::{AnalysisFlags as F, SegmentFacts};
use crate::flow::{ConnId, Direction, Endpoint, Slot};
use crate::wire::{Segment, TcpFlags};

/// The state of one connection.
#[derive(Debug)]
pub(crate) struct Connection {
    pub id: ConnId,
    /// Endpoint a lower in the flow key is the client.
    pub client_is_lo: bool,
    pub halves: [Half; 2],
    /// The record's counters.
    pub tally: Tally,
    /// Time of the most recent SYN (tshark's `ts_mru_syn`), 0 = none.
    mru_syn: i64,
    mru_syn_set: bool,
    /// tshark's `ts_first_rtt`; 0 = not (yet) known, as in tshark.
    irtt: u64,
    pub last_ts: i64,
    /// When the connection became finished (both FINs or a RST).
    pub finished_at: Option<i64>,
    /// Time from the sender's previous segment to the latest retransmission, ns.
    pub retx_gap: i64,
    /// Per direction, the longest ACK RTT (tshark's `ack_rtt`) of the ACKs
    /// sent that way: the round trip between the capture point and that
    /// ACK's sender (see [`Connection::closed_quiet_ns`]).
    ack_rtt_max: [Option<u64>; 2],
    /// Time of this connection's pending hand-out check in the analyzer's
    /// heap (`i64::MAX`: none).
    pub due_at: i64,
    /// Cap on each direction's unacked list (tshark: 10000).
    pub max_unacked: usize,
    /// The story being built (fed by `Analyzer::observe` with every segment
    /// and its facts; finished into the record). `None` when stories are off.
    pub story: Option<Box<StoryBuilder>>,
}

impl Default for Connection {
    fn default() -> Self {
        Self {
            id: ConnId(0),
            client_is_lo: true,
            halves: [Half::default(), Half::default()],
            tally: Tally::default(),
            mru_syn: 0,
            mru_syn_set: false,
            irtt: 0,
            last_ts: 0,
            finished_at: None,
            retx_gap: 0,
            ack_rtt_max: [None; 2],
            due_at: i64::MAX,
            max_unacked: 10_000,
            story: None,
        }
    }
}

impl Slot for Connection {
    fn recycle(&mut self) {
        for h in &mut self.halves {
            h.reset();
        }
    }
}

/// A direction's duplicate-ACK count after the peer acknowledged data this
/// direction was not seen to send (packet-tcp.c: `dupacknum = -1` in a
/// `guint32`). It passes the peer's fast retransmission test (`>= 2`), and the
/// next duplicate ACK is number 1. Established with tshark 4.0.17 (Debian 12's
/// 4.0.17-0+deb12u3, the oracle's version) on hand-made captures and checked
/// on every lab and corpus capture; `tests/analysis_midstream.rs` has the cases.
const ACK_LOST_NOTED: u32 = u32::MAX;

/// The most a common stack adds to RFC 6298's SRTT + 4 RTTVAR as its floor,
/// ns: Windows' `MinRto` (300 ms; Linux's `TCP_RTO_MIN` and the FreeBSD /
/// macOS slop are 200 ms). See [`Connection::closed_quiet_ns`].
pub(crate) const RTO_SLACK_NS: i64 = 300_000_000;
/// RTOs a closed connection waits for a late retransmission: 1 + 2 (the
/// first, and the second after a doubling, RFC 6298 5.5).
pub(crate) const LATE_RTOS: i64 = 3;
/// The least wait of a closed connection whose RTOs the capture bounds, ns.
pub(crate) const CLOSED_QUIET_FLOOR_NS: i64 = 1_000_000_000;

/// What is kept of a connection evicted under the memory budget
/// ([`Connection::evict`], [`Connection::resume`]): about 350 bytes (see
/// [`RESUMABLE_BYTES`](super::analyzer::RESUMABLE_BYTES)) instead of a live connection's kilobytes.
#[derive(Debug)]
pub(crate) struct Resumable {
    pub id: ConnId,
    pub client_is_lo: bool,
    pub halves: [Half; 2],
    irtt: u64,
    mru_syn: i64,
    mru_syn_set: bool,
    pub last_ts: i64,
    finished_at: Option<i64>,
    retx_gap: i64,
    /// What the record of the part after the eviction takes from the earlier part.
    pub earlier: Resumed,
}

impl Resumable {
    /// Would this segment open a new connection on the 4-tuple ([`Connection::is_reuse`])?
    pub fn is_reuse(&self, src_is_lo: bool, seg: &Segment<'_>) -> bool {
        let d = usize::from(src_is_lo != self.client_is_lo);
        let h = &self.halves[d];
        seg.flags.syn() && h.base_set && seg.seq.0 != h.base
    }

    /// Unacknowledged ranges kept (each 24 bytes of heap).
    pub fn unacked(&self) -> usize {
        self.halves[0].unacked.len() + self.halves[1].unacked.len()
    }
}

/// Where and when a connection starts (for [`Connection::start`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Opening {
    pub id: ConnId,
    /// The first segment's source is the key's lower endpoint.
    pub src_is_lo: bool,
    pub ts: i64,
    /// Cap on each direction's unacked list.
    pub max_unacked: usize,
}

/// Whether a segment opened its connection's number (for [`Connection::observe`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Opened {
    /// No: the connection was numbered before.
    No,
    /// A new number.
    New,
    /// A new number on the 4-tuple of an earlier connection (tshark's
    /// `reused_ports`).
    OnReusedPorts,
}

impl Connection {
    /// Starts a new connection in a recycled slot with `seg` as its first segment.
    pub fn start(&mut self, o: Opening, seg: &Segment<'_>) {
        let Opening {
            id,
            src_is_lo,
            ts,
            max_unacked,
        } = o;
        for h in &mut self.halves {
            h.reset();
        }
        // A SYN-ACK's receiver is the client; otherwise the first sender is.
        let synack = seg.flags.syn() && seg.flags.ack();
        let client_is_lo = if synack { !src_is_lo } else { src_is_lo };
        let halves = std::mem::take(&mut self.halves);
        *self = Self {
            id,
            client_is_lo,
            halves,
            last_ts: ts,
            max_unacked,
            ..Self::default()
        };
    }

    /// The direction of a segment whose source is the key's lower endpoint iff `src_is_lo`.
    #[inline]
    pub fn direction(&self, src_is_lo: bool) -> Direction {
        if src_is_lo == self.client_is_lo {
            Direction::ClientToServer
        } else {
            Direction::ServerToClient
        }
    }

    /// Would this segment open a new connection on the same 4-tuple (tshark's
    /// port-reuse rule: a SYN, or SYN-ACK, whose sequence number differs from
    /// the base already known for its direction)?
    pub fn is_reuse(&self, dir: Direction, seg: &Segment<'_>) -> bool {
        let h = &self.halves[dir.index()];
        seg.flags.syn() && h.base_set && seg.seq.0 != h.base
    }

    /// Is the close complete, so that only a retransmission of what was
    /// already sent can still come (a late FIN whose final ACK was lost after
    /// the capture point, or data the peer sent before it saw the RST)?
    /// Both FINs acknowledged, or a RST. A RST on a connection whose SYNs
    /// got no answer at all counts only when the server sent it: when the
    /// client gave up, the story's unanswered-SYN verdict depends on how long
    /// the capture went on after the last SYN, known only at its end.
    pub fn is_closed(&self) -> bool {
        let fins = self.halves[0].fin_acked && self.halves[1].fin_acked;
        let t = &self.tally;
        let server_rst = t.rst_frame(Direction::ServerToClient).is_some();
        let rst = t.rst_frame(Direction::ClientToServer).is_some() || server_rst;
        let no_syn = t.syns() == 0 && t.syn_acks() == 0;
        fins || (rst && (t.syn_acks() > 0 || server_rst || no_syn))
    }

    /// Should a finished connection be handed out at capture time `now`:
    /// finished longer than the linger time, or closed and silent longer than
    /// [`closed_quiet_ns`](Self::closed_quiet_ns)? See
    /// [`AnalyzerConfig`](super::AnalyzerConfig).
    pub fn hand_out_due(&self, now: i64, cfg: &super::AnalyzerConfig) -> bool {
        let Some(at) = self.finished_at else {
            return false;
        };
        let linger = i64::try_from(cfg.linger_ns).unwrap_or(i64::MAX);
        now.saturating_sub(at) > linger
            || (self.is_closed() && now.saturating_sub(self.last_ts) > self.closed_quiet_ns(cfg))
    }

    /// The time after which [`Connection::hand_out_due`] may first hold, as
    /// things stand (`closed`: [`Connection::is_closed`]).
    pub fn hand_out_at(&self, closed: bool, cfg: &super::AnalyzerConfig) -> i64 {
        let linger = i64::try_from(cfg.linger_ns).unwrap_or(i64::MAX);
        let mut at = self.finished_at.unwrap_or(i64::MAX).saturating_add(linger);
        if closed {
            at = at.min(self.last_ts.saturating_add(self.closed_quiet_ns(cfg)));
        }
        at
    }

    /// How long a closed connection ([`Connection::is_closed`]) stays after
    /// its last segment for a late one, ns: what its sides' retransmission
    /// timers allow, at most [`closed_linger_ns`](super::AnalyzerConfig::closed_linger_ns),
    /// and at least three times the interval before its latest
    /// retransmission.
    ///
    /// Once both FINs are acknowledged (RFC 9293 3.6), or a RST came with
    /// nothing unacknowledged, a side can only send again if the ACK that
    /// closed it was lost after the capture point: then it retransmits its
    /// FIN (or data) one RTO after its previous send, the RTO doubling at
    /// each further one (RFC 6298 5.5), and the peer answers (an ACK from
    /// TIME_WAIT, a RST from a socket already gone, RFC 9293 3.10.7.1). The
    /// capture bounds that RTO when it saw the handshake with one SYN and one
    /// SYN-ACK (each side then had a valid RTT sample from it: Linux falls
    /// back to a 3-s RTO after a retransmitted SYN without one,
    /// `tcp_init_metrics`, RFC 6298 5.7) and an ACK RTT towards each host:
    /// every RTT sample of either sender spans at most the two longest of
    /// those, M, so its RFC 6298 estimator (2.2, 2.3) has SRTT <= M and
    /// RTTVAR <= M, and the RTO is at most 5 M plus the largest floor a
    /// common stack adds ([`RTO_SLACK_NS`]: Linux `tcp_set_rto` srtt +
    /// max(mdev, `TCP_RTO_MIN` 200 ms) with mdev <= 4 M, FreeBSD / macOS
    /// 200 ms of slop, Windows' `MinRto` 300 ms). The wait is
    /// [`LATE_RTOS`] such RTOs (the first retransmission and, if that one is
    /// lost before the capture point, the second), at least
    /// [`CLOSED_QUIET_FLOOR_NS`]. Otherwise (a handshake not seen whole or
    /// retransmitted, a RST with data in flight) the whole closed linger.
    pub fn closed_quiet_ns(&self, cfg: &super::AnalyzerConfig) -> i64 {
        let cap = i64::try_from(cfg.closed_linger_ns).unwrap_or(i64::MAX);
        let quiet = match self.rto_bound_ns() {
            Some(rto) => rto
                .saturating_mul(LATE_RTOS)
                .max(CLOSED_QUIET_FLOOR_NS)
                .min(cap),
            None => cap,
        };
        quiet.max(self.retx_gap.saturating_mul(3))
    }

    /// An upper bound of both sides' RTO when the capture shows one and
    /// nothing but a retransmission can follow the close (see
    /// [`closed_quiet_ns`](Self::closed_quiet_ns)), ns.
    fn rto_bound_ns(&self) -> Option<i64> {
        let t = &self.tally;
        if t.syns() != 1 || t.syn_acks() != 1 {
            return None;
        }
        let [h0, h1] = &self.halves;
        let fins = h0.fin_acked && h1.fin_acked;
        let nothing_in_flight = h0.unacked.is_empty() && h1.unacked.is_empty();
        if !(fins || nothing_in_flight) {
            return None;
        }
        let [Some(a), Some(b)] = self.ack_rtt_max else {
            return None;
        };
        let m = i64::try_from(a.saturating_add(b)).unwrap_or(i64::MAX);
        Some(m.saturating_mul(5).saturating_add(RTO_SLACK_NS))
    }

    /// Is the connection over (both FINs, or a RST)?
    pub fn is_finished(&self) -> bool {
        self.finished_at.is_some()
    }

    /// The record handed out; finishes the story (`now`: the capture's
    /// latest time; `listens`: the endpoints seen answering a SYN, for the
    /// roles of a connection captured mid-stream).
    pub fn record(
        &mut self,
        end: EndReason,
        now: i64,
        listens: impl Fn(&Endpoint) -> bool,
    ) -> super::Connection {
        let mut story = self.story.take();
        self.tally
            .finish_in_capture(self.id, end, story.as_deref_mut(), now, listens)
    }

    /// The compact entry kept when the connection is evicted (after its
    /// record was taken): everything tshark's per-segment rules read (both
    /// sides' [`Half`], with the unacknowledged ranges still outstanding), the
    /// initial RTT, and the connection's identity (from `rec`, the record
    /// just handed out); not the counters or the story, which went out with
    /// the record.
    pub fn evict(&mut self, rec: &super::Connection) -> Resumable {
        let mut halves = std::mem::take(&mut self.halves);
        for h in &mut halves {
            if h.unacked.is_empty() {
                h.unacked = std::collections::VecDeque::new();
            } else {
                h.unacked.shrink_to_fit();
            }
        }
        Resumable {
            id: self.id,
            client_is_lo: self.client_is_lo,
            halves,
            irtt: self.irtt,
            mru_syn: self.mru_syn,
            mru_syn_set: self.mru_syn_set,
            last_ts: self.last_ts,
            finished_at: self.finished_at,
            retx_gap: self.retx_gap,
            earlier: {
                // The record may be mirrored (roles guessed mid-stream); the
                // later part's tally counts in the analysis' orientation.
                let swapped = self.tally.client().is_some_and(|c| c != rec.client);
                let ws = [rec.window_scale.client, rec.window_scale.server];
                Resumed {
                    first_frame: rec.first_frame,
                    first_ts_ns: rec.first_ts_ns,
                    midstream: rec.midstream,
                    window_scale: if swapped { [ws[1], ws[0]] } else { ws },
                    roles: (rec.roles, swapped),
                }
            },
        }
    }

    /// Continues an evicted connection in a recycled slot (its next segment
    /// is the first of a new part: a new tally, a new story).
    pub fn resume(&mut self, r: Resumable, max_unacked: usize) {
        *self = Self {
            id: r.id,
            client_is_lo: r.client_is_lo,
            halves: r.halves,
            tally: Tally::resumed(r.earlier),
            irtt: r.irtt,
            mru_syn: r.mru_syn,
            mru_syn_set: r.mru_syn_set,
            last_ts: r.last_ts,
            finished_at: r.finished_at,
            retx_gap: r.retx_gap,
            max_unacked,
            ..Self::default()
        };
    }

    /// Analyses one segment travelling in `dir` (`opts`: its options):
    /// tshark's rules, in tshark's order. Inlined into its one caller,
    /// [`Analyzer::observe`](super::Analyzer::observe): 1 % fewer
    /// instructions than a call (callgrind, short flows).
    #[inline(always)]
    pub fn observe(
        &mut self,
        dir: Direction,
        frame: u64,
        ts: i64,
        seg: &Segment<'_>,
        opts: &SegmentOptions,
        opened: Opened,
    ) -> SegmentFacts {
        let fl = seg.flags;
        let syn = fl.syn();
        let is_ack = fl.ack();
        let seq = seg.seq.0;
        let ack = seg.ack.0;
        let seglen = seg.payload_len;
        let window = u32::from(seg.window);
        self.last_ts = self.last_ts.max(ts);

        let (fwd, rev) = {
            let [a, b] = &mut self.halves;
            if dir == Direction::ClientToServer {
                (a, b)
            } else {
                (b, a)
            }
        };

        // The window is computed before this segment's own options are read;
        // a SYN's window is never scaled (RFC 7323, 2.2).
        let (scale, win_scaled) = if syn {
            (None, u64::from(window))
        } else {
            (
                Some(fwd.win_scale.public()),
                u64::from(window) << fwd.win_scale.shift(),
            )
        };

        // Options: apply the window scale handshake rules.
        if let Some(s) = opts.syn.wscale {
            fwd.win_scale = Scale::Shift(s.min(14));
        }
        if syn {
            window::verify(is_ack, &mut fwd.win_scale, &mut rev.win_scale);
        }

        // Base sequence numbers: the ISN when the SYN is seen, else one before
        // the first sequence number; the peer's from the first ACK (ack - 1).
        if !fwd.base_set {
            fwd.base = if syn { seq } else { seq.wrapping_sub(1) };
            fwd.base_set = true;
        }
        if !rev.base_set && is_ack {
            rev.base = ack.wrapping_sub(1);
            rev.base_set = true;
        }
        if is_ack {
            rev.valid_bif = true;
        }

        let mut f = 0u32;
        let mut dup_ack_num = 0;
        let mut dup_ack_of = None;
        let no_sfr = !fl.has(TcpFlags::SYN) && !fl.fin() && !fl.rst();
        let rev_window = rev.window;

        'fwd: {
            // zero_window_probe: 1 byte at the next expected sequence number
            // while the peer's window is 0.
            if seglen == 1 && fwd.nextseq_set && seq == fwd.nextseq && rev_window == 0 {
                f |= F::ZERO_WINDOW_PROBE;
                break 'fwd;
            }
            // zero_window: window 0 on a segment without SYN/FIN/RST.
            if window == 0 && no_sfr {
                f |= F::ZERO_WINDOW;
            }
            // lost_segment: starts beyond the next expected sequence number.
            if fwd.nextseq_set && seg.seq.after(crate::wire::SeqNumber(fwd.nextseq)) && !fl.rst() {
                f |= F::LOST_SEGMENT;
                fwd.valid_bif = false;
            }
            // keep_alive: 0 or 1 byte starting one before the next expected number.
            if seglen <= 1 && fwd.nextseq_set && seq == fwd.nextseq.wrapping_sub(1) && no_sfr {
                f |= F::KEEP_ALIVE;
                // Not tshark: Linux's persist timer probes a zero window with
                // exactly this segment (tcp_xmit_probe_skb: seq = snd_una - 1).
                if rev_window == 0 {
                    f |= F::PERSIST_PROBE;
                }
            }
            let same_pos =
                fwd.nextseq_set && seq == fwd.nextseq && fwd.lastack_set && ack == fwd.lastack;
            // window_update: no data, same seq/ack, a new non-zero window.
            if seglen == 0 && window != 0 && window != fwd.window && same_pos && no_sfr {
                f |= F::WINDOW_UPDATE;
            }
            // window_full: data reaching exactly the right edge of the peer's window.
            if seglen > 0 && rev.win_scale != Scale::Unknown && rev_window != u32::MAX && no_sfr {
                let edge = rev
                    .lastack
                    .wrapping_add(rev_window.wrapping_shl(rev.win_scale.shift()));
                if seq.wrapping_add(seglen) == edge {
                    f |= F::WINDOW_FULL;
                }
            }
            // keep_alive_ack: repeats the last ACK after a keep-alive from the peer.
            if seglen == 0
                && window != 0
                && window == fwd.window
                && same_pos
                && rev.lastsegmentflags & F::KEEP_ALIVE != 0
                && no_sfr
            {
                f |= F::KEEP_ALIVE_ACK;
                break 'fwd;
            }
            // zero_window_probe_ack: repeats a zero window after a probe from the peer.
            if seglen == 0
                && window == 0
                && window == fwd.window
                && fwd.nextseq_set
                && seq == fwd.nextseq
                && (ack == fwd.lastack || ack == fwd.lastack.wrapping_add(1))
                && rev.lastsegmentflags & F::ZERO_WINDOW_PROBE != 0
                && no_sfr
            {
                f |= F::ZERO_WINDOW_PROBE_ACK;
                break 'fwd;
            }
            // duplicate_ack: no data, same window, same seq/ack as before.
            if seglen == 0 && window != 0 && window == fwd.window && same_pos && no_sfr {
                // After an ACK of unseen data from the peer (below) the count
                // restarts at 1 (tshark: `case -1: dupacknum = 1`).
                fwd.dupacknum = if fwd.dupacknum == ACK_LOST_NOTED {
                    1
                } else {
                    fwd.dupacknum + 1
                };
                f |= F::DUPLICATE_ACK;
                dup_ack_num = fwd.dupacknum;
                dup_ack_of = Some(fwd.lastnondupack);
            }
        }

        // A new ACK number resets the duplicate-ACK count.
        if !fwd.lastack_set || ack != fwd.lastack {
            fwd.lastnondupack = frame;
            fwd.dupacknum = 0;
        }

        // ack_lost_segment: ACKs beyond what the peer was seen to send in
        // order (its `maxseqtobeacked`). tshark 4.0.17 flags it once per loss:
        // if the peer's segments were captured beyond that edge (a hole
        // before them), the edge moves up to the peer's highest sequence
        // number and the ACK is flagged; if nothing was captured beyond it,
        // the ACK is flagged only while the peer's duplicate-ACK count is 0,
        // and that count is set to -1 (see `ACK_LOST_NOTED`), so that a repeat
        // of the ACK (pure or with data) is not flagged again until the
        // peer's own ACK number moves.
        if is_ack && rev.maxseq_set && seg.ack.after(crate::wire::SeqNumber(rev.maxseqtobeacked)) {
            if crate::wire::SeqNumber(rev.maxseqtobeacked)
                .before(crate::wire::SeqNumber(rev.nextseq))
            {
                rev.maxseqtobeacked = rev.nextseq;
                f |= F::ACK_LOST_SEGMENT;
            } else {
                if rev.dupacknum == 0 {
                    f |= F::ACK_LOST_SEGMENT;
                }
                rev.dupacknum = ACK_LOST_NOTED;
            }
        }

        // Retransmission family: data (or SYN/FIN) not advancing the sequence number.
        let mut retrans = false;
        if (seglen > 0 || fl.syn() || fl.fin()) && f & F::KEEP_ALIVE == 0 {
            let not_advanced =
                fwd.nextseq_set && seg.seq.before(crate::wire::SeqNumber(fwd.nextseq));
            if not_advanced {
                retrans = true;
                let t_ack = ts.saturating_sub(rev.lastack_time);
                let t_next = ts.saturating_sub(fwd.nextseq_time);
                let ooo_thres = if self.irtt != 0 {
                    self.irtt as i64
                } else {
                    3_000_000
                };
                if rev.dupacknum >= 2 && rev.lastack_set && rev.lastack == seq && t_ack < 20_000_000
                {
                    f |= F::FAST_RETRANSMISSION | F::RETRANSMISSION;
                } else if t_next < ooo_thres
                    && fwd.nextseq
                        != seq
                            .wrapping_add(seglen)
                            .wrapping_add(u32::from(fl.syn() || fl.fin()))
                {
                    f |= F::OUT_OF_ORDER;
                    retrans = false;
                } else if seglen > 0
                    && rev.lastack_set
                    && !crate::wire::SeqNumber(seq.wrapping_add(seglen))
                        .after(crate::wire::SeqNumber(rev.lastack))
                {
                    f |= F::SPURIOUS_RETRANSMISSION | F::RETRANSMISSION;
                } else {
                    f |= F::RETRANSMISSION;
                }
            }
        }
        if retrans {
            // The sender's retransmission interval: with the RTO's doubling
            // (RFC 6298 5.5) the next one, if any, comes about twice as late.
            if fwd.lastack_set {
                self.retx_gap = ts.saturating_sub(fwd.lastack_time).max(0);
            }
        }

        // Remember the segment until it is acknowledged.
        let mut nextseq = seq.wrapping_add(seglen);
        if fl.syn() || fl.fin() {
            nextseq = nextseq.wrapping_add(1);
        }
        if (seglen > 0 || fl.syn() || fl.fin()) && fwd.unacked.len() < self.max_unacked {
            fwd.push_unacked(Unacked::new(frame, ts, seq, nextseq, retrans));
        }
        // The highest sequence number sent (a zero-window probe does not count).
        let zwp = f & F::ZERO_WINDOW_PROBE != 0;
        if (!fwd.nextseq_set
            || crate::wire::SeqNumber(nextseq).after(crate::wire::SeqNumber(fwd.nextseq)))
            && !zwp
        {
            fwd.nextseq = nextseq;
            fwd.nextseq_set = true;
            fwd.nextseq_time = ts;
        }
        // The highest in-order sequence number, for ack_lost_segment.
        if (!fwd.maxseq_set || seq == fwd.maxseqtobeacked) && !zwp {
            fwd.maxseqtobeacked = fwd.nextseq;
            fwd.maxseq_set = true;
        }
        fwd.advance(nextseq);
        if is_ack {
            rev.advance(ack);
        }

        // Remember ack and window for window updates, dup ACKs, retransmissions.
        fwd.window = window;
        fwd.lastack = ack;
        fwd.lastack_set = true;
        fwd.lastack_time = ts;
        fwd.lastsegmentflags = f;
        fwd.sacked = opts.sacked;

        // Drop what this ACK covers from the peer's list; an exact match gives the RTT
        // (the earliest transmission of that range, as tshark reports it).
        let Acked {
            acks_frame,
            ack_rtt_ns,
            ambiguous,
        } = if is_ack {
            rev.acknowledge(ack, ts)
        } else {
            Acked::default()
        };
        if let Some(r) = ack_rtt_ns {
            let m = &mut self.ack_rtt_max[dir.index()];
            *m = Some(m.map_or(r, |x| x.max(r)));
        }
        // Bytes in flight after this segment: the span of this direction's unacked list.
        let mut bytes_in_flight = None;
        if seglen != 0 && fwd.valid_bif && !fwd.unacked.is_empty() {
            // The lowest start and highest end of the unacked ranges, folded
            // in list order as they were added and acknowledged (`Half::span`).
            debug_assert_eq!(
                fwd.span,
                fwd.unacked
                    .iter()
                    .fold((fwd.unacked[0].seq, fwd.unacked[0].nextseq), |sp, u| {
                        super::half::fold_span(sp, u)
                    }),
                "the incremental span is a walk of the list"
            );
            let first = fwd.span.0.wrapping_sub(fwd.base);
            let last = fwd.span.1.wrapping_sub(fwd.base);
            // Minus what the peer's last segment SACKed (tshark 4.0 does not
            // clip the blocks to the unacknowledged range).
            // Neither a SYN's nor a FIN's sequence slot counts as a byte in
            // flight (tshark 4.0: a SYN carrying 4708 bytes has 4708 in flight,
            // corpus bgp-ub.pcap frame 1).
            let inf = last
                .wrapping_sub(first)
                .wrapping_sub(rev.sacked)
                .wrapping_sub(u32::from(fl.fin()))
                .wrapping_sub(u32::from(fl.syn()));
            if inf > 0 && inf < 2_000_000_000 {
                bytes_in_flight = Some(u64::from(inf));
            }
        }

        // Initial RTT: most recent SYN to the first ACK without SYN.
        if syn && !is_ack {
            self.mru_syn = ts;
            self.mru_syn_set = true;
        }
        if is_ack && !syn && self.irtt == 0 && self.mru_syn_set {
            self.irtt = ts.saturating_sub(self.mru_syn).max(0) as u64;
        }

        // Closing: remember each FIN and whether the peer acknowledged it.
        if fl.fin() && !fwd.fin_sent {
            fwd.fin_sent = true;
            fwd.fin_next = nextseq;
        }
        if is_ack
            && rev.fin_sent
            && !crate::wire::SeqNumber(ack).before(crate::wire::SeqNumber(rev.fin_next))
        {
            rev.fin_acked = true;
        }

        let (fwd, rev) = {
            let [a, b] = &self.halves;
            if dir == Direction::ClientToServer {
                (a, b)
            } else {
                (b, a)
            }
        };
        let rel_seq = fwd.rel(seq);
        // Without the ACK flag the field is shown raw, as tshark does.
        let rel_ack = if is_ack { rev.rel(ack) } else { u64::from(ack) };
        let ack_before_base = is_ack && rev.pos(ack) < 0;
        let mut next = rel_seq + u64::from(seglen);
        if fl.syn() || fl.fin() {
            next += 1;
        }
        let facts = SegmentFacts {
            conn: self.id,
            dir,
            new_conn: opened != Opened::No,
            seq: rel_seq,
            ack: rel_ack,
            ack_base: rev.base,
            ack_before_base,
            next_seq: next,
            scale,
            win_scaled,
            flags: super::AnalysisFlags(if opened == Opened::OnReusedPorts {
                f | F::REUSED_PORTS
            } else {
                f
            }),
            dup_ack_num,
            dup_ack_of,
            ack_rtt_ns,
            acks_frame,
            ack_rtt_ambiguous: ambiguous,
            irtt_ns: (self.irtt != 0).then_some(self.irtt),
            bytes_in_flight,
        };
        self.tally.observe_with(frame, ts, seg, &facts, opts);
        let t = &self.tally;
        if self.finished_at.is_none()
            && (fl.rst()
                || (t.fin_frame(Direction::ClientToServer).is_some()
                    && t.fin_frame(Direction::ServerToClient).is_some()))
        {
            self.finished_at = Some(ts);
        }
        facts
    }
}

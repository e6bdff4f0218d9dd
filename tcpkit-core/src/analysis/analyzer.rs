//! The engine: segments in, [`SegmentFacts`] and finished connections out
//! ([`Analysis`](crate::Analysis) drives it over a capture).

use super::SegmentFacts;
use super::connection::{Connection as State, Opening};
use super::story::StoryBuilder;
use super::{Connection, EndReason};
use crate::flow::{ConnId, Endpoint, FastHashBuilder, FlowKey, Table};
use crate::wire::Segment;
use std::cmp::Reverse;
use std::collections::VecDeque;
use std::collections::{BinaryHeap, HashMap};

/// Limits of the analysis. Times are in capture time (the packets' timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyzerConfig {
    /// A finished connection (both FINs or a RST) is handed out at the
    /// latest this long after it finished, so that late retransmissions
    /// still find it. Default 120 s (Linux's `TCP_RTO_MAX`: no retransmission
    /// of a segment comes later than that after the previous one). It is also
    /// how long the 4-tuple of a connection handed out is remembered, to flag
    /// a port reuse and to count a late segment that comes after all.
    pub linger_ns: u64,
    /// A connection whose close is complete (both FINs acknowledged, or a
    /// RST) is handed out as soon as it has been quiet (no segment) this
    /// long, and three times as long as the interval before its latest
    /// retransmission. Only retransmissions can still come then (a FIN whose
    /// final ACK was lost after the capture point, data sent before the RST
    /// arrived), each one RTO after the previous send, and the RTO doubles at
    /// each retransmission (RFC 6298 5.5). Default 10 s: above RFC 6298's
    /// 3-s fallback RTO after a lost SYN (5.7) with room for the RTT. A
    /// segment that comes later all the same opens a new connection number
    /// (tshark would give it the old one) and is counted in
    /// [`AnalyzerStats::reopened`].
    pub closed_linger_ns: u64,
    /// A connection with no segment for this long is handed out. `None`:
    /// never, like tshark (default: a later segment of an expired connection
    /// would open a new connection number, which tshark never does).
    pub idle_timeout_ns: Option<u64>,
    /// At most this many connections are tracked at once; past it the least
    /// recently active sixteenth is evicted (and counted). Default 65,536
    /// (about 40 MB of connection state).
    pub max_connections: usize,
    /// Cap on the unacknowledged segments remembered per direction (tshark's
    /// `TCP_MAX_UNACKED_SEGMENTS`, 10,000).
    pub max_unacked: usize,
    /// Build each connection's story ([`Connection::story`]) and (in
    /// [`Analysis`](crate::Analysis)) the capture-wide report (default on).
    /// Off, only the per-segment facts and the counters of the record are
    /// computed, which is cheaper.
    pub story: bool,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            linger_ns: 120_000_000_000,
            closed_linger_ns: 10_000_000_000,
            idle_timeout_ns: None,
            max_connections: 65_536,
            max_unacked: 10_000,
            story: true,
        }
    }
}

/// Counters of the whole run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct AnalyzerStats {
    /// Segments observed.
    pub segments: u64,
    /// Connections opened (the next connection number).
    pub connections: u64,
    /// Connections handed out because they were idle too long.
    pub idle_expired: u64,
    /// Connections evicted because the table was full.
    pub evicted: u64,
    /// Most connections tracked at once.
    pub peak_live: u64,
    /// Segments that opened a new connection number on the 4-tuple of a
    /// connection already handed out without being a port reuse (a SYN with
    /// another ISN): tshark would have given them the old number. 0 unless
    /// the linger times or the connection cap were too small for the capture.
    pub reopened: u64,
}

/// What is remembered of a connection handed out: enough to flag a port
/// reuse (tshark's rule needs each side's base sequence number) and to
/// notice a late segment of it.
#[derive(Debug, Clone, Copy)]
struct Tomb {
    /// Remembered until then (capture time).
    until: i64,
    /// Base sequence number of the key's lower and higher endpoint, if known.
    base: [Option<u32>; 2],
}

/// What is left at the end of the capture.
#[derive(Debug)]
pub struct Finished {
    /// Every connection not yet handed out, in connection-number order.
    pub connections: Vec<Connection>,
    /// Counters of the run.
    pub stats: AnalyzerStats,
}

/// The per-segment analysis and the connection table. Feed it only
/// segments that [`Segment::analysable`] accepts ([`Analysis`](crate::Analysis)
/// does; it is the one driver, use it rather than this).
///
/// Push segments in capture order with [`Analyzer::observe`]; take the
/// connections that are over with [`Analyzer::pop_finished`] as you go (memory
/// stays bounded by the connections alive at once), and the rest with
/// [`Analyzer::finish`].
#[derive(Debug)]
pub struct Analyzer {
    cfg: AnalyzerConfig,
    table: Table<State>,
    ready: VecDeque<Connection>,
    next_id: u64,
    now: i64,
    next_sweep: i64,
    stats: AnalyzerStats,
    scratch: Vec<(i64, u32)>,
    /// 4-tuples of connections handed out, for [`AnalyzerConfig::linger_ns`].
    tombs: HashMap<FlowKey, Tomb, FastHashBuilder>,
    /// Finished connections by the earliest time they may be handed out:
    /// `(time, connection number, slot)`, checked again when due (an entry
    /// whose connection is gone or got later segments is stale).
    due: BinaryHeap<Reverse<(i64, u64, u32)>>,
    sweeps: u64,
}

const SWEEP_EVERY_NS: i64 = 1_000_000_000;

impl Analyzer {
    /// A new analyzer.
    pub fn new(cfg: AnalyzerConfig) -> Self {
        Self {
            cfg: AnalyzerConfig {
                max_connections: cfg.max_connections.max(1),
                ..cfg
            },
            table: Table::new(),
            ready: VecDeque::new(),
            next_id: 0,
            now: i64::MIN,
            next_sweep: i64::MIN,
            stats: AnalyzerStats::default(),
            scratch: Vec::new(),
            tombs: HashMap::with_hasher(FastHashBuilder::default()),
            due: BinaryHeap::new(),
            sweeps: 0,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> AnalyzerStats {
        self.stats
    }

    /// Connections tracked now.
    pub fn live(&self) -> usize {
        self.table.len()
    }

    /// Analyses one TCP segment (frame number and capture time as the reader gave them).
    pub fn observe(&mut self, frame: u64, ts_ns: i64, seg: &Segment<'_>) -> SegmentFacts {
        self.stats.segments += 1;
        if ts_ns > self.now {
            self.now = ts_ns;
        }
        if self.now >= self.next_sweep {
            self.sweep();
            self.next_sweep = self.now.saturating_add(SWEEP_EVERY_NS);
        }
        let (src, dst) = Endpoint::of(seg);
        let (key, src_is_lo) = FlowKey::new(src, dst);
        let mut reused = false;
        let slot = match self.table.find(&key) {
            Some(slot) => {
                let reuse = self.table.get(slot).is_some_and(|c| {
                    let dir = c.direction(src_is_lo);
                    c.is_reuse(dir, seg)
                });
                if reuse {
                    self.retire(slot, EndReason::PortReused);
                    reused = true;
                    None
                } else {
                    Some(slot)
                }
            }
            None => None,
        };
        let (slot, new_conn) = match slot {
            Some(s) => (s, false),
            None => {
                if !reused
                    && let Some(t) = self.tombs.remove(&key)
                    && t.until > self.now
                {
                    // The 4-tuple of a connection already handed out: a port
                    // reuse by tshark's rule (see `State::is_reuse`), or
                    // a late segment that tshark would give the old number.
                    let side = usize::from(!src_is_lo);
                    if seg.flags.syn() && t.base[side].is_some_and(|b| b != seg.seq.0) {
                        reused = true;
                    } else {
                        self.stats.reopened += 1;
                    }
                }
                if self.table.len() >= self.cfg.max_connections {
                    self.make_room();
                }
                let s = self.table.insert(key);
                let id = ConnId(self.next_id);
                self.next_id += 1;
                self.stats.connections = self.next_id;
                self.stats.peak_live = self.stats.peak_live.max(self.table.len() as u64);
                let max_unacked = self.cfg.max_unacked;
                if let Some(c) = self.table.get_mut(s) {
                    let o = Opening {
                        id,
                        src_is_lo,
                        ts: ts_ns,
                        max_unacked,
                    };
                    c.start(o, seg);
                    if self.cfg.story {
                        c.story = Some(Box::new(StoryBuilder::new()));
                    }
                }
                (s, true)
            }
        };
        let conn = self
            .table
            .get_mut(slot)
            .expect("a slot returned by the table is valid");
        let dir = conn.direction(src_is_lo);
        let mut facts = conn.observe(dir, frame, ts_ns, seg, new_conn);
        if conn.finished_at.is_some() {
            let closed = conn.is_closed();
            if closed {
                // Nothing is left to acknowledge: the lists' buffers can go.
                for h in &mut conn.halves {
                    h.release_if_empty();
                }
            }
            // Due for a check when it finished, and sooner whenever a
            // segment brings that time forward (closing completes, a shorter
            // retransmission interval); a later time is found by the check
            // already pending, which then schedules the next.
            let at = conn.hand_out_at(closed, &self.cfg);
            if at < conn.due_at {
                conn.due_at = at;
                self.due.push(Reverse((at, conn.id.0, slot)));
            }
        }
        if reused {
            facts.flags.set(super::AnalysisFlags::REUSED_PORTS);
        }
        if let Some(story) = conn.story.as_mut() {
            story.observe(frame, ts_ns, seg, &facts);
        }
        facts
    }

    /// The next connection that is over (closed and lingered, idle, evicted or
    /// replaced by port reuse), if any.
    pub fn pop_finished(&mut self) -> Option<Connection> {
        self.ready.pop_front()
    }

    /// Ends the analysis: every connection still tracked, in number order.
    pub fn finish(mut self) -> Finished {
        // The live connections in number order: sorting (number, slot) pairs
        // instead of the records, which are large, and building the result
        // in place (one allocation of the final size).
        let mut slots: Vec<(ConnId, u32)> = self
            .table
            .live_slots()
            .filter_map(|s| self.table.get(s).map(|c| (c.id, s)))
            .collect();
        slots.sort_unstable();
        let mut connections: Vec<Connection> = Vec::with_capacity(self.ready.len() + slots.len());
        connections.extend(self.ready.drain(..));
        // Records handed out but not taken are older than every live
        // connection only when they were taken in order; sort only then.
        if !connections.is_sorted_by_key(|r| r.conn) {
            connections.sort_by_key(|r| r.conn);
        }
        let merge_from =
            connections.partition_point(|r| slots.first().is_none_or(|f| r.conn < f.0));
        let now = self.now;
        for (_, s) in slots {
            if let Some(c) = self.table.get_mut(s) {
                let end = if c.is_finished() {
                    EndReason::Closed
                } else {
                    EndReason::EndOfCapture
                };
                connections.push(c.record(end, now));
            }
            self.table.remove(s);
        }
        if merge_from < connections.len() && !connections.is_sorted_by_key(|r| r.conn) {
            connections.sort_by_key(|r| r.conn);
        }
        Finished {
            connections,
            stats: self.stats,
        }
    }

    fn retire(&mut self, slot: u32, end: EndReason) {
        let now = self.now;
        let key = self.table.key(slot).copied();
        if let Some(c) = self.table.get_mut(slot) {
            // Remember the 4-tuple as long as the connection would have
            // lingered (a port reuse replaces it at once).
            let until = c
                .finished_at
                .unwrap_or(now)
                .saturating_add(i64::try_from(self.cfg.linger_ns).unwrap_or(i64::MAX));
            if let (Some(key), false, true) = (key, end == EndReason::PortReused, until > now) {
                let lo = usize::from(!c.client_is_lo);
                let base = |i: usize| c.halves[i].base_set.then_some(c.halves[i].base);
                if self.tombs.len() >= self.cfg.max_connections.saturating_mul(4) {
                    forget_oldest_half(&mut self.tombs, &mut self.scratch);
                }
                self.tombs.insert(
                    key,
                    Tomb {
                        until,
                        base: [base(lo), base(1 - lo)],
                    },
                );
            }
            self.ready.push_back(c.record(end, now));
        }
        self.table.remove(slot);
    }

    /// Hands out connections closed longer than the linger times, or idle too
    /// long, and forgets the 4-tuples remembered long enough.
    fn sweep(&mut self) {
        let now = self.now;
        self.sweeps += 1;
        // A remembered 4-tuple is checked against its time when found; the
        // memory is trimmed now and then.
        if self.sweeps % 16 == 0 {
            self.tombs.retain(|_, t| t.until > now);
        }
        self.scratch.clear();
        while let Some(&Reverse((at, id, s))) = self.due.peek() {
            if at >= now {
                break;
            }
            self.due.pop();
            let live = self.table.is_live(s);
            let Some(c) = self.table.get_mut(s).filter(|c| c.id.0 == id && live) else {
                continue;
            };
            if c.hand_out_due(now, &self.cfg) {
                self.scratch.push((0, s));
            } else if c.due_at == at {
                // Its pending check (not one a sooner one replaced): the next.
                let next = c.hand_out_at(c.is_closed(), &self.cfg);
                c.due_at = next;
                self.due.push(Reverse((next, id, s)));
            }
        }
        if let Some(idle) = self.cfg.idle_timeout_ns {
            let idle = i64::try_from(idle).unwrap_or(i64::MAX);
            for s in self.table.live_slots() {
                if let Some(c) = self.table.get(s)
                    && !c.hand_out_due(now, &self.cfg)
                    && now.saturating_sub(c.last_ts) > idle
                {
                    self.scratch.push((1, s));
                }
            }
        }
        // In slot order, each once (a connection may have had several entries due).
        self.scratch.sort_unstable_by_key(|&(why, s)| (s, why));
        self.scratch.dedup_by_key(|&mut (_, s)| s);
        let scratch = std::mem::take(&mut self.scratch);
        for &(why, s) in &scratch {
            if why == 0 {
                self.retire(s, EndReason::Closed);
            } else {
                self.stats.idle_expired += 1;
                self.retire(s, EndReason::Idle);
            }
        }
        self.scratch = scratch;
    }

    /// The table is full: hand out closed connections, then evict the least
    /// recently active sixteenth of the table (amortised O(1) per new connection).
    fn make_room(&mut self) {
        self.sweep();
        if self.table.len() < self.cfg.max_connections {
            return;
        }
        self.scratch.clear();
        for s in self.table.live_slots() {
            if let Some(c) = self.table.get(s) {
                self.scratch.push((c.last_ts, s));
            }
        }
        let n = (self.cfg.max_connections / 16)
            .max(1)
            .min(self.scratch.len());
        if n < self.scratch.len() {
            self.scratch.select_nth_unstable(n - 1);
        }
        let victims: Vec<u32> = self.scratch[..n].iter().map(|&(_, s)| s).collect();
        for s in victims {
            self.stats.evicted += 1;
            self.retire(s, EndReason::Evicted);
        }
    }
}

/// The 4-tuple memory is full (four times the connection cap): forget the
/// half that would be forgotten soonest.
fn forget_oldest_half(
    tombs: &mut HashMap<FlowKey, Tomb, FastHashBuilder>,
    scratch: &mut Vec<(i64, u32)>,
) {
    scratch.clear();
    scratch.extend(tombs.values().map(|t| (t.until, 0)));
    let mid = scratch.len() / 2;
    if mid == 0 {
        tombs.clear();
        return;
    }
    let (_, &mut (cut, _), _) = scratch.select_nth_unstable(mid);
    tombs.retain(|_, t| t.until > cut);
    scratch.clear();
}

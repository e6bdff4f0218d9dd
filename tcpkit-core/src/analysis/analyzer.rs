//! The engine: segments in, [`SegmentFacts`] and finished connections out
//! ([`Analysis`](crate::Analysis) drives it over a capture).

use super::SegmentFacts;
use super::connection::{Connection as State, Opened, Opening, Resumable};
use super::record::SegmentOptions;
use super::story::StoryBuilder;
use super::{Connection, EndReason};
use crate::flow::{ConnId, Endpoint, FastHashBuilder, FlowKey, FlowKeyV4, Table};
use crate::wire::{Segment, TcpFlags};
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
    /// RST) is handed out once it has been quiet (no segment) for as long as
    /// a late retransmission could still come, at most this long, and at
    /// least three times the interval before its latest retransmission. Only
    /// retransmissions can still come then (a FIN whose final ACK was lost
    /// after the capture point, data sent before the RST arrived), each one
    /// RTO after the previous send, and the RTO doubles at each
    /// retransmission (RFC 6298 5.5). When the capture bounds both sides'
    /// RTO (a handshake of one SYN and one SYN-ACK, an ACK RTT towards each
    /// host, nothing unacknowledged at a RST) the wait is three such RTOs,
    /// at least 1 s (`Connection::closed_quiet_ns` in the source gives the
    /// kernel rules); otherwise this whole time. Default 10 s: above RFC
    /// 6298's 3-s fallback RTO after a lost SYN (5.7) with room for the RTT.
    /// A segment that comes later all the same opens a new connection number
    /// (tshark would give it the old one) and is counted in
    /// [`AnalyzerStats::reopened`].
    ///
    /// Memory: a closed connection waiting here costs about 2.6 KB with its
    /// story, so a capture with many short connections holds seconds' worth
    /// of them.
    pub closed_linger_ns: u64,
    /// A connection with no segment for this long is handed out. `None`:
    /// never, like tshark (default: a later segment of an expired connection
    /// would open a new connection number, which tshark never does).
    pub idle_timeout_ns: Option<u64>,
    /// Memory the connection state may use, in bytes (default 256 MiB).
    ///
    /// The cost is estimated, not measured as the run goes: a live connection
    /// counts [`LIVE_BYTES`] (its slot, its table entry and the buffers of a
    /// small unacknowledged list), plus [`STORY_BYTES`] when stories are on;
    /// an evicted connection's compact entry [`RESUMABLE_BYTES`] plus 24
    /// bytes per unacknowledged range it still holds; a remembered 4-tuple of
    /// a connection handed out (see [`linger_ns`](Self::linger_ns))
    /// [`TOMB_BYTES`]. The figures are measured (heap and table, with
    /// allocation-counter, in this module's tests) on connections that did a
    /// handshake and one data segment; a connection in a bulk transfer holds
    /// more (up to [`max_unacked`](Self::max_unacked) ranges of 24 bytes per
    /// direction), so the budget is a target, not a hard cap.
    ///
    /// When a new connection would not fit, closed connections due are handed
    /// out first, then the least recently active sixteenth of the live ones is
    /// evicted: each is handed out ([`Connection::evicted`]) and leaves a
    /// compact entry (its number, both sides' base sequence numbers, window
    /// scales, next and acknowledged sequence numbers, unacknowledged ranges:
    /// everything tshark's per-segment rules read) so that when it speaks
    /// again it continues under its own number
    /// ([`Connection::resumed_frame`], [`AnalyzerStats::resumed`]).
    /// Compact entries may take at most half the budget and remembered
    /// 4-tuples an eighth; beyond, the oldest compact entries are forgotten
    /// ([`AnalyzerStats::forgotten`]: such a connection, if it speaks again,
    /// opens a new number and is counted in [`AnalyzerStats::reopened`]).
    /// At least one connection is always tracked.
    ///
    /// With stories on (3,328 bytes a live connection), the default holds
    /// about 80,000 live connections, or 299,000 evicted ones and 40,000
    /// live ones; without, 209,000 live connections.
    pub memory_budget: usize,
    /// Cap on the unacknowledged segments remembered per direction (tshark's
    /// `TCP_MAX_UNACKED_SEGMENTS`, 10,000).
    pub max_unacked: usize,
    /// Build each connection's story ([`Connection::story`]) and (in
    /// [`Analysis`](crate::Analysis)) the capture-wide report (default on).
    /// Off, only the per-segment facts and the counters of the record are
    /// computed, which is cheaper.
    pub story: bool,
    /// Threads of [`Analysis`](crate::Analysis) (default 1; 0 counts as 1).
    /// With `n` of 2 or more, and when the analysis yields connections and
    /// no segment rows ([`Analysis::segments`](crate::Analysis::segments)
    /// off) from a capture it reads itself (not the push form), `n` workers
    /// each read and decode every packet of the capture and analyse the
    /// connections whose 4-tuple hashes to them, and the caller's thread
    /// merges: the same
    /// connections, numbers, order and report as one thread whenever no
    /// analyser reaches its share of [`memory_budget`](Self::memory_budget)
    /// (each gets `memory_budget / n`; one analyser with the whole budget
    /// would then not have reached it either, the estimate being a sum over
    /// connections). When one does ([`AnalyzerStats::evicted`] or
    /// [`AnalyzerStats::forgotten`] above 0), it evicts at other points than
    /// one analyser would, and the records may differ. With the `mmap`
    /// feature, a regular file given to [`Analysis::open`](crate::Analysis::open)
    /// is then mapped into memory for the workers (the precondition of
    /// `capture::MmapCapture`: nothing rewrites the file meanwhile). The
    /// [`Analyzer`] itself ignores this field.
    pub threads: usize,
}

/// Estimated bytes of one live connection without its story (see
/// [`AnalyzerConfig::memory_budget`]). Measured after a handshake, 100 bytes
/// and their ACK: 1,166 to 1,237 bytes (the slab slot with the record's
/// counters, 888; the table's key and hash map entry, 87 to 157 as the map
/// fills; two unacknowledged-range buffers of four, 192).
pub const LIVE_BYTES: usize = 1_280;
/// Estimated bytes of one connection's story under construction. Measured
/// as [`LIVE_BYTES`]: 1,640 bytes, the builder alone (its first RTT
/// samples, TSvals and original sends are kept in place); its lists and rings are capped and grow with
/// retransmission trains and RTT samples, so the estimate leaves room.
pub const STORY_BYTES: usize = 2_048;
/// Estimated bytes of an evicted connection's compact entry, without its
/// unacknowledged ranges (24 bytes each). Measured as [`LIVE_BYTES`]: at
/// most 455 bytes (the entry, 344, boxed; its key and hash map entry, 56 to
/// 111 as the map fills).
pub const RESUMABLE_BYTES: usize = 464;
/// Estimated bytes of a remembered 4-tuple of a connection handed out (a
/// hash map entry of 64 bytes, at the map's worst fill: an IPv6 one; an
/// IPv4 one takes half, 32 bytes, so this is an upper bound).
pub const TOMB_BYTES: usize = 148;
/// Heap bytes of one unacknowledged range kept in a compact entry.
const UNACKED_BYTES: usize = 24;

impl AnalyzerConfig {
    /// The estimated bytes of one live connection under this configuration
    /// ([`LIVE_BYTES`], plus [`STORY_BYTES`] with stories on).
    pub fn live_bytes(&self) -> usize {
        LIVE_BYTES + if self.story { STORY_BYTES } else { 0 }
    }

    /// A budget that holds `n` live connections and no more (for tests and
    /// for callers who think in connections).
    pub fn budget_for_live(&self, n: usize) -> usize {
        n.saturating_mul(self.live_bytes())
    }
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            linger_ns: 120_000_000_000,
            closed_linger_ns: 10_000_000_000,
            idle_timeout_ns: None,
            memory_budget: 256 << 20,
            max_unacked: 10_000,
            story: true,
            threads: 1,
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
    /// Connections evicted under the memory budget (each was handed out
    /// with [`Connection::evicted`] and left a compact entry).
    pub evicted: u64,
    /// Evicted connections that spoke again and continued under their own
    /// number (each is handed out again with [`Connection::resumed_frame`]).
    pub resumed: u64,
    /// Compact entries of evicted connections dropped (the budget's half for
    /// them was full, or they were idle longer than the idle timeout): such a
    /// connection, if it speaks again, opens a new number.
    pub forgotten: u64,
    /// Most compact entries of evicted connections kept at once.
    pub peak_resumable: u64,
    /// Most connections tracked at once.
    pub peak_live: u64,
    /// Segments that opened a new connection number on the 4-tuple of a
    /// connection already handed out without being a port reuse (a SYN with
    /// another ISN): tshark would have given them the old number. 0 unless
    /// the linger times or the memory budget were too small for the capture.
    pub reopened: u64,
}

/// What is remembered of a connection handed out: enough to flag a port
/// reuse (tshark's rule needs each side's base sequence number) and to
/// notice a late segment of it. Packed to 4-byte alignment: 20 bytes, so that
/// an IPv4 entry of [`Tombs`] is 32.
#[derive(Debug, Clone, Copy)]
#[repr(C, packed(4))]
struct Tomb {
    /// Remembered until then (capture time).
    until: i64,
    /// Base sequence number of the key's lower and higher endpoint, valid
    /// where `known` has bit 0 (lower) or bit 1 (higher).
    base: [u32; 2],
    known: u8,
}

impl Tomb {
    fn new(until: i64, base: [Option<u32>; 2]) -> Self {
        Self {
            until,
            base: base.map(|b| b.unwrap_or(0)),
            known: u8::from(base[0].is_some()) | (u8::from(base[1].is_some()) << 1),
        }
    }

    /// Base sequence number of the key's lower (`side` 0) or higher (1) endpoint.
    fn base(&self, side: usize) -> Option<u32> {
        let base = self.base;
        ((self.known >> side) & 1 == 1).then_some(base[side & 1])
    }
}

/// The 4-tuples of connections handed out (see [`AnalyzerConfig::linger_ns`]):
/// IPv4 ones under a 12-byte key (32-byte entries instead of 64).
#[derive(Debug, Default)]
struct Tombs {
    v4: HashMap<FlowKeyV4, Tomb, FastHashBuilder>,
    v6: HashMap<FlowKey, Tomb, FastHashBuilder>,
}

impl Tombs {
    fn len(&self) -> usize {
        self.v4.len() + self.v6.len()
    }

    fn insert(&mut self, key: FlowKey, t: Tomb) {
        match key.v4() {
            Some(k) => self.v4.insert(k, t),
            None => self.v6.insert(key, t),
        };
    }

    fn remove(&mut self, key: &FlowKey) -> Option<Tomb> {
        match key.v4() {
            Some(k) => self.v4.remove(&k),
            None => self.v6.remove(key),
        }
    }

    /// Keeps the 4-tuples remembered later than `t`.
    fn keep_after(&mut self, t: i64) {
        self.v4.retain(|_, x| x.until > t);
        self.v6.retain(|_, x| x.until > t);
    }

    /// The memory for them is full (an eighth of the memory budget): forgets
    /// the half that would be forgotten soonest.
    fn forget_oldest_half(&mut self, scratch: &mut Vec<(i64, u32)>) {
        scratch.clear();
        scratch.extend(
            self.v4
                .values()
                .chain(self.v6.values())
                .map(|t| (t.until, 0)),
        );
        let mid = scratch.len() / 2;
        if mid == 0 {
            self.v4.clear();
            self.v6.clear();
            return;
        }
        let (_, &mut (cut, _), _) = scratch.select_nth_unstable(mid);
        self.keep_after(cut);
        scratch.clear();
    }
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
    tombs: Tombs,
    /// Compact entries of evicted connections (boxed: a map of 48-byte
    /// entries wastes less in its empty buckets than one of 360-byte entries).
    resumables: HashMap<FlowKey, Box<Resumable>, FastHashBuilder>,
    /// Their estimated bytes.
    resumable_bytes: usize,
    /// Finished connections by the earliest time they may be handed out:
    /// `(time, connection number, slot)`, checked again when due (an entry
    /// whose connection is gone or got later segments is stale).
    due: BinaryHeap<Reverse<(i64, u64, u32)>>,
    sweeps: u64,
    /// Endpoints seen sending a SYN-ACK (listening), up to [`LISTENERS_KEPT`]:
    /// evidence for the roles of connections captured mid-stream.
    listeners: ListenerMap,
    /// The last frame whose SYN-ACK counts as seen by a hand-out now.
    listen_upto: u64,
}

/// Endpoints seen sending a SYN-ACK, each with the frame of its first, in
/// frame order until [`LISTENERS_KEPT`] of them.
pub type ListenerMap = HashMap<Endpoint, u64, FastHashBuilder>;

/// Remembers `src` as listening at `frame` if its segment (`flags`) is a
/// SYN-ACK.
fn note_listener(map: &mut ListenerMap, flags: TcpFlags, src: Endpoint, frame: u64) {
    if flags.syn() && flags.ack() && map.len() < LISTENERS_KEPT {
        map.entry(src).or_insert(frame);
    }
}

/// Listening endpoints remembered for the roles of mid-stream connections
/// (about 2 MiB at most).
pub const LISTENERS_KEPT: usize = 1 << 16;

/// Capture time between two sweeps of the idle connections (and trims of
/// the remembered 4-tuples); a closed connection is handed out as soon as
/// it is due, not at the next sweep.
const SWEEP_EVERY_NS: i64 = 1_000_000_000;

/// Records the queue of finished connections keeps room for once it is empty
/// ([`Analyzer::pop_finished`]), as the driver's hand-out queues do.
const READY_KEPT: usize = 4096;

/// Stale entries of the hand-out heap tolerated beyond one per live
/// connection before they are dropped (see `Analyzer::drop_stale_due`).
const STALE_DUE_SLACK: usize = 1024;

/// The analysis clock moves to `ts_ns` (`now`: the latest capture time of a
/// segment observed; time never goes back): `true` when the sweep of idle
/// connections (every second of capture time) runs now.
fn clock_tick(now: &mut i64, next_sweep: &mut i64, ts_ns: i64) -> bool {
    if ts_ns > *now {
        *now = ts_ns;
    }
    let due = *now >= *next_sweep;
    if due {
        *next_sweep = now.saturating_add(SWEEP_EVERY_NS);
    }
    due
}

impl Analyzer {
    /// A new analyzer.
    pub fn new(cfg: AnalyzerConfig) -> Self {
        Self {
            cfg,
            table: Table::new(),
            ready: VecDeque::new(),
            next_id: 0,
            now: i64::MIN,
            next_sweep: i64::MIN,
            stats: AnalyzerStats::default(),
            scratch: Vec::new(),
            tombs: Tombs::default(),
            resumables: HashMap::with_hasher(FastHashBuilder::default()),
            resumable_bytes: 0,
            due: BinaryHeap::new(),
            sweeps: 0,
            listeners: HashMap::with_hasher(FastHashBuilder::default()),
            listen_upto: 0,
        }
    }

    /// A segment analysed by another analyzer (the capture split by
    /// connection, each part's analyzer told every segment, as the threaded
    /// driver's workers are): the clock moves (connections due are handed
    /// out as one analyzer of the whole would) and a SYN-ACK counts as
    /// listener evidence, as in [`observe`](Self::observe); nothing else.
    /// The segment is told by its source and flags (all this needs of it).
    pub fn pass(&mut self, frame: u64, ts_ns: i64, src: Endpoint, flags: TcpFlags) {
        self.at_frame(frame);
        self.advance(ts_ns);
        note_listener(&mut self.listeners, flags, src, frame);
        self.listen_upto = frame;
    }

    /// The next item is at `frame`: hand-outs before it is observed count
    /// the SYN-ACKs of the frames before it.
    fn at_frame(&mut self, frame: u64) {
        self.listen_upto = frame.saturating_sub(1);
    }

    /// Hands `c`'s record out with the listener evidence as of now.
    fn record_of(
        listeners: &ListenerMap,
        upto: u64,
        c: &mut State,
        end: EndReason,
        now: i64,
    ) -> Connection {
        c.record(end, now, |e| listeners.get(e).is_some_and(|&f| f <= upto))
    }

    /// Counters so far.
    pub fn stats(&self) -> AnalyzerStats {
        self.stats
    }

    /// Connections tracked now.
    pub fn live(&self) -> usize {
        self.table.len()
    }

    /// Compact entries of evicted connections kept now.
    pub fn resumable(&self) -> usize {
        self.resumables.len()
    }

    /// The estimated bytes in use (see [`AnalyzerConfig::memory_budget`]).
    pub fn memory_estimate(&self) -> usize {
        self.table.len() * self.cfg.live_bytes()
            + self.resumable_bytes
            + self.tombs.len() * TOMB_BYTES
    }

    /// Moves the capture clock to `ts_ns` without a segment: connections due
    /// are handed out as if a segment had come then. For a packet analysed
    /// elsewhere (another part of a capture split by connection: each part's
    /// analyzer, told every packet's time, hands out and ends its connections
    /// exactly as one analyzer of the whole would), or a live capture's
    /// quiet moments.
    pub fn advance(&mut self, ts_ns: i64) {
        if clock_tick(&mut self.now, &mut self.next_sweep, ts_ns) {
            self.sweep();
        } else if self
            .due
            .peek()
            .is_some_and(|&Reverse((at, _, _))| at < self.now)
        {
            self.hand_out_due();
        }
    }

    /// Analyses one TCP segment (frame number and capture time as the reader gave them).
    pub fn observe(&mut self, frame: u64, ts_ns: i64, seg: &Segment<'_>) -> SegmentFacts {
        self.stats.segments += 1;
        self.at_frame(frame);
        self.advance(ts_ns);
        let (src, dst) = Endpoint::of(seg);
        note_listener(&mut self.listeners, seg.flags, src, frame);
        self.listen_upto = frame;
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
        let resume = match slot {
            Some(_) => None,
            None => self.resumables.remove(&key),
        };
        let resume = resume.and_then(|r| {
            self.resumable_bytes = self.resumable_bytes.saturating_sub(resumable_cost(&r));
            // A new SYN on an evicted connection's 4-tuple: a port reuse (the
            // old connection was handed out at its eviction).
            if r.is_reuse(src_is_lo, seg) {
                reused = true;
                None
            } else {
                Some(r)
            }
        });
        let (slot, new_conn) = match (slot, resume) {
            (Some(s), _) => (s, false),
            (None, Some(r)) => {
                if self.memory_estimate() + self.cfg.live_bytes() > self.cfg.memory_budget {
                    self.make_room();
                }
                let s = self.table.insert(key);
                self.stats.resumed += 1;
                self.stats.peak_live = self.stats.peak_live.max(self.table.len() as u64);
                if let Some(c) = self.table.get_mut(s) {
                    c.resume(*r, self.cfg.max_unacked);
                    if self.cfg.story {
                        c.story = Some(Box::new(StoryBuilder::new()));
                    }
                }
                (s, false)
            }
            (None, None) => {
                if !reused
                    && let Some(t) = self.tombs.remove(&key)
                    && t.until > self.now
                {
                    // The 4-tuple of a connection already handed out: a port
                    // reuse by tshark's rule (see `State::is_reuse`), or
                    // a late segment that tshark would give the old number.
                    let side = usize::from(!src_is_lo);
                    if seg.flags.syn() && t.base(side).is_some_and(|b| b != seg.seq.0) {
                        reused = true;
                    } else {
                        self.stats.reopened += 1;
                    }
                }
                if self.memory_estimate() + self.cfg.live_bytes() > self.cfg.memory_budget {
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
        let opts = SegmentOptions::of(seg.options);
        // A port reuse always opens a new number: the old connection left
        // the table, or its evicted entry was dropped.
        debug_assert!(new_conn || !reused, "a port reuse opens a new number");
        let opened = match (new_conn, reused) {
            (false, _) => Opened::No,
            (true, false) => Opened::New,
            (true, true) => Opened::OnReusedPorts,
        };
        let facts = conn.observe(dir, frame, ts_ns, seg, &opts, opened);
        let mut pushed = false;
        let mut closed = false;
        if conn.finished_at.is_some() {
            closed = conn.is_closed();
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
                pushed = true;
            }
        }
        if let Some(story) = conn.story.as_mut() {
            story.observe_with(frame, ts_ns, seg, &facts, &opts);
            if closed {
                // Lingering for late retransmissions only: no spare capacity.
                story.shrink_once();
            }
        }
        if pushed {
            self.drop_stale_due();
        }
        facts
    }

    /// The next connection that is over (closed and lingered, idle, evicted or
    /// replaced by port reuse), if any. Once the queue is empty again it
    /// keeps room for 4,096 records at most: a burst (a sweep that
    /// hands out thousands at once) leaves no buffer of its size behind.
    pub fn pop_finished(&mut self) -> Option<Connection> {
        let rec = self.ready.pop_front()?;
        if self.ready.is_empty() && self.ready.capacity() > READY_KEPT {
            self.ready.shrink_to(READY_KEPT);
        }
        Some(rec)
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
                connections.push(Self::record_of(&self.listeners, u64::MAX, c, end, now));
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
            let keep_tomb = !matches!(end, EndReason::PortReused | EndReason::Evicted);
            if let (Some(key), true, true) = (key, keep_tomb, until > now) {
                let lo = usize::from(!c.client_is_lo);
                let base = |i: usize| c.halves[i].base_set.then_some(c.halves[i].base);
                if self
                    .tombs
                    .len()
                    .saturating_add(1)
                    .saturating_mul(TOMB_BYTES)
                    > self.cfg.memory_budget / 8
                {
                    self.tombs.forget_oldest_half(&mut self.scratch);
                }
                self.tombs
                    .insert(key, Tomb::new(until, [base(lo), base(1 - lo)]));
            }
            let rec = Self::record_of(&self.listeners, self.listen_upto, c, end, now);
            if let (Some(key), EndReason::Evicted) = (key, end) {
                let r = Box::new(c.evict(&rec));
                self.keep_resumable(key, r);
            }
            self.ready.push_back(rec);
        }
        self.table.remove(slot);
    }

    /// Keeps an evicted connection's compact entry, forgetting the oldest
    /// quarter of them first when they would take more than half the budget.
    fn keep_resumable(&mut self, key: FlowKey, r: Box<Resumable>) {
        let cost = resumable_cost(&r);
        if self.resumable_bytes.saturating_add(cost) > self.cfg.memory_budget / 2
            && !self.resumables.is_empty()
        {
            self.forget_resumables(self.resumables.len().div_ceil(4));
        }
        self.resumable_bytes += cost;
        if let Some(old) = self.resumables.insert(key, r) {
            self.resumable_bytes = self.resumable_bytes.saturating_sub(resumable_cost(&old));
            self.stats.forgotten += 1;
        }
        self.stats.peak_resumable = self.stats.peak_resumable.max(self.resumables.len() as u64);
    }

    /// Forgets the `n` least recently active compact entries (by last
    /// segment, then connection number: a total order, so exactly `n`).
    fn forget_resumables(&mut self, n: usize) {
        let mut order: Vec<(i64, u64)> = self
            .resumables
            .values()
            .map(|r| (r.last_ts, r.id.0))
            .collect();
        let n = n.min(order.len());
        if n == 0 {
            return;
        }
        let (_, &mut cut, _) = order.select_nth_unstable(n - 1);
        let mut freed = 0;
        self.resumables.retain(|_, r| {
            let keep = (r.last_ts, r.id.0) > cut;
            if !keep {
                freed += resumable_cost(r);
            }
            keep
        });
        self.resumable_bytes = self.resumable_bytes.saturating_sub(freed);
        self.stats.forgotten += n as u64;
    }

    /// Hands out connections closed longer than the linger times, or idle too
    /// long, and forgets the 4-tuples remembered long enough.
    fn sweep(&mut self) {
        let now = self.now;
        self.sweeps += 1;
        // A remembered 4-tuple is checked against its time when found; the
        // memory is trimmed now and then.
        if self.sweeps.is_multiple_of(16) {
            self.tombs.keep_after(now);
            // Compact entries idle longer than the idle timeout go, as a live
            // connection would.
            if let Some(idle) = self.cfg.idle_timeout_ns {
                let idle = i64::try_from(idle).unwrap_or(i64::MAX);
                let (mut gone, mut freed) = (0, 0);
                self.resumables.retain(|_, r| {
                    let keep = now.saturating_sub(r.last_ts) <= idle;
                    if !keep {
                        gone += 1;
                        freed += resumable_cost(r);
                    }
                    keep
                });
                self.stats.forgotten += gone;
                self.resumable_bytes = self.resumable_bytes.saturating_sub(freed);
            }
        }
        self.scratch.clear();
        self.collect_due();
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
        self.retire_collected();
    }

    /// Hands out the connections due now (the sweep's first part alone,
    /// between two sweeps): each as soon as the clock passes its time, so
    /// that what it holds is freed while still in the cache, a few at a
    /// time, rather than a second's worth at once.
    #[cold]
    #[inline(never)]
    fn hand_out_due(&mut self) {
        self.scratch.clear();
        self.collect_due();
        self.retire_collected();
    }

    /// Adds to `scratch` (why 0) the connections of `due` whose time has
    /// passed and whose hand-out is due; schedules the next check of those
    /// not due after all (they got later segments).
    fn collect_due(&mut self) {
        let now = self.now;
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
    }

    /// Retires the connections collected in `scratch` (why 0: closed and
    /// due, 1: idle).
    fn retire_collected(&mut self) {
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

    /// Drops the stale entries of `due` once they outnumber the live
    /// connections (at most one entry per connection is pending: the one at
    /// its `due_at`; the others were replaced by a sooner one, or their
    /// connection is gone), so that the heap stays within twice the live
    /// connections, amortised O(1) per push. What the sweeps hand out is
    /// unchanged: a stale entry is earlier than its connection's pending one
    /// (or equal), and a connection is due only after its pending time, so a
    /// stale entry's check never finds a connection due that its pending
    /// entry would not find due in the same sweep.
    #[inline]
    fn drop_stale_due(&mut self) {
        if self.due.len() > 2 * self.table.len() + STALE_DUE_SLACK {
            self.retain_pending_due();
        }
    }

    #[cold]
    #[inline(never)]
    fn retain_pending_due(&mut self) {
        let table = &self.table;
        self.due.retain(|&Reverse((at, id, s))| {
            table.is_live(s) && table.get(s).is_some_and(|c| c.id.0 == id && c.due_at == at)
        });
    }

    /// A new connection would not fit in the memory budget: hand out closed
    /// connections due, then evict the least recently active sixteenth of the
    /// live connections (amortised O(1) per new connection).
    fn make_room(&mut self) {
        self.sweep();
        let live_bytes = self.cfg.live_bytes();
        if self.memory_estimate() + live_bytes <= self.cfg.memory_budget || self.table.is_empty() {
            return;
        }
        self.scratch.clear();
        for s in self.table.live_slots() {
            if let Some(c) = self.table.get(s) {
                self.scratch.push((c.last_ts, s));
            }
        }
        let n = (self.cfg.memory_budget / live_bytes / 16)
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

/// Estimated bytes of a compact entry.
fn resumable_cost(r: &Resumable) -> usize {
    RESUMABLE_BYTES + r.unacked() * UNACKED_BYTES
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{IpInfo, Options, SeqNumber, TcpFlags};
    use std::net::{IpAddr, Ipv4Addr};

    /// SYN options: mss 1460, sackOK, wscale 7.
    const SYN_OPTS: [u8; 10] = [2, 4, 0x05, 0xb4, 4, 2, 1, 3, 3, 7];

    /// A segment from client `i` (10.x.y.z:40000) to 192.0.2.1:80, or back.
    fn seg(
        i: u32,
        c2s: bool,
        seq: u32,
        ack: u32,
        flags: u16,
        len: u32,
        opts: &[u8],
    ) -> Segment<'_> {
        let client = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
        let server = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
        let (src, dst, sport, dport) = if c2s {
            (client, server, 40000, 80)
        } else {
            (server, client, 80, 40000)
        };
        Segment {
            ip: IpInfo {
                src,
                dst,
                version: 4,
                tos: 0,
                ttl: 64,
                id: 0,
                frag: 0,
                flow_label: 0,
                total_len: 40 + len,
            },
            sport,
            dport,
            seq: SeqNumber(seq),
            ack: SeqNumber(ack),
            flags: TcpFlags(flags),
            window: 1000,
            checksum: 0,
            urgent: 0,
            header_len: 20 + opts.len() as u8,
            header_captured: 20 + opts.len() as u8,
            options: Options::new(opts),
            payload: &[],
            payload_len: len,
            truncated: true,
        }
    }

    /// Connection `i`: handshake, 100 bytes from the client, the server's
    /// ACK (nothing left unacknowledged), at `t` ns.
    fn open(an: &mut Analyzer, frame: &mut u64, i: u32, t: i64) {
        const A: u16 = TcpFlags::ACK;
        let segs = [
            seg(i, true, 1000, 0, TcpFlags::SYN, 0, &SYN_OPTS),
            seg(i, false, 5000, 1001, TcpFlags::SYN | A, 0, &SYN_OPTS),
            seg(i, true, 1001, 5001, A, 0, &[]),
            seg(i, true, 1001, 5001, A | TcpFlags::PSH, 100, &[]),
            seg(i, false, 5001, 1101, A, 0, &[]),
        ];
        for s in &segs {
            *frame += 1;
            an.observe(*frame, t, s);
        }
    }

    /// Heap bytes per connection kept by `n` connections opened in a
    /// running analyzer (table, slab, map, unacked buffers, story).
    fn live_heap(story: bool, n: u32) -> usize {
        let mut an = Analyzer::new(AnalyzerConfig {
            story,
            ..AnalyzerConfig::default()
        });
        let mut frame = 0;
        // Warm up: the first connection's one-off allocations.
        open(&mut an, &mut frame, 1_000_000, 0);
        let info = allocation_counter::measure(|| {
            for i in 0..n {
                open(&mut an, &mut frame, i, 1_000 + i64::from(i));
            }
        });
        assert_eq!(an.live(), n as usize + 1);
        info.bytes_current as usize / n as usize
    }

    /// The memory budget's estimates are at least the measured heap of a
    /// connection that did a handshake and one data segment, live (with and
    /// without its story) and evicted, at the table's worst fill (just after
    /// the hash map grew) and best (just before). The figures are those of
    /// [`AnalyzerConfig::memory_budget`]'s documentation (printed with
    /// `--nocapture`).
    #[test]
    fn mid_stream_roles_from_a_listener_elsewhere() {
        // Connection 0 opens with a handshake: 192.0.2.1:80 answers the SYN
        // with a SYN-ACK, so it listens. Connection 1, from another client, is
        // captured mid-stream and its first segment comes from 192.0.2.1:80:
        // that endpoint is the server, by the listener evidence (the
        // strongest, before the ports).
        let mut an = Analyzer::new(AnalyzerConfig::default());
        let mut frame = 0;
        open(&mut an, &mut frame, 0, 0);
        for (c2s, flags, len) in [(false, TcpFlags::ACK, 100), (true, TcpFlags::ACK, 0)] {
            frame += 1;
            an.observe(frame, 10, &seg(1, c2s, 7000, 9000, flags, len, &[]));
        }
        let fin = an.finish();
        let c = &fin.connections[1];
        assert!(c.midstream);
        assert_eq!(c.roles, crate::analysis::RoleEvidence::Listener);
        assert_eq!(c.server.port, 80);
        assert_eq!(c.client.ip, IpAddr::V4(Ipv4Addr::from(0x0a00_0001)));
        assert_eq!((c.bytes.c2s, c.bytes.s2c), (0, 100));
        assert_eq!(
            fin.connections[0].roles,
            crate::analysis::RoleEvidence::Handshake
        );
    }

    const MS: i64 = 1_000_000;

    /// Connection 0 opens and closes cleanly (client FIN first) with the
    /// server `srv` ms and the client `cli` ms away from the capture point
    /// (round trips), starting at 0 and closing at 1 s; returns the time of
    /// its last segment, ns.
    fn clean_close(an: &mut Analyzer, frame: &mut u64, srv: i64, cli: i64) -> i64 {
        const A: u16 = TcpFlags::ACK;
        const F: u16 = TcpFlags::FIN | TcpFlags::ACK;
        let t = 1_000;
        let segs = [
            (0, seg(0, true, 1000, 0, TcpFlags::SYN, 0, &SYN_OPTS)),
            (
                srv,
                seg(0, false, 5000, 1001, TcpFlags::SYN | A, 0, &SYN_OPTS),
            ),
            (srv + cli, seg(0, true, 1001, 5001, A, 0, &[])),
            (
                srv + cli,
                seg(0, true, 1001, 5001, A | TcpFlags::PSH, 100, &[]),
            ),
            (2 * srv + cli, seg(0, false, 5001, 1101, A, 0, &[])),
            (t, seg(0, true, 1101, 5001, F, 0, &[])),
            (t + srv, seg(0, false, 5001, 1102, F, 0, &[])),
            (t + srv + cli, seg(0, true, 1102, 5002, A, 0, &[])),
        ];
        for (ms, s) in &segs {
            *frame += 1;
            an.observe(*frame, ms * MS, s);
        }
        (t + srv + cli) * MS
    }

    /// A burst of connections handed out at once (all idle past the timeout
    /// at one sweep) leaves the queue room for `READY_KEPT` at most once
    /// they are taken, not room for the burst.
    #[test]
    fn a_burst_handed_out_leaves_no_buffer_of_its_size() {
        let mut an = Analyzer::new(AnalyzerConfig {
            idle_timeout_ns: Some(MS as u64),
            story: false,
            ..AnalyzerConfig::default()
        });
        let mut frame = 0;
        let n = 2 * READY_KEPT as u32;
        for i in 0..n {
            open(&mut an, &mut frame, i, 0);
        }
        an.advance(10_000 * MS);
        assert!(an.ready.len() >= n as usize, "{}", an.ready.len());
        let mut taken = 0;
        while an.pop_finished().is_some() {
            taken += 1;
        }
        assert!(taken >= n);
        assert!(an.ready.capacity() <= READY_KEPT, "{}", an.ready.capacity());
    }

    /// The server 100 ms and the client 200 ms from the capture point: every
    /// RTT sample of either side is at most M = 300 ms, its RTO at most
    /// 5 x 300 + 300 = 1,800 ms, and the closed connection waits 3 x 1,800
    /// = 5,400 ms after its last segment (the client's ACK at 1.3 s).
    /// Suppose that ACK is lost after the capture point. A Linux server
    /// with one RTT sample of 300 ms (`tcp_rtt_estimator`: srtt 300,
    /// mdev 600; RTO 300 + max(600, 200) = 900 ms) re-sends its FIN (sent at
    /// 1.1 s) at 2.0 s; that one is lost before the capture point too, the
    /// next comes 1,800 ms later (doubled): at 3.8 s, 2.5 s after the last
    /// segment (a fixed 2-s wait would have handed the connection out). It
    /// belongs to connection 0, as tshark numbers it, and so does the
    /// client's ACK from TIME_WAIT.
    #[test]
    fn late_fin_retransmission_within_the_adaptive_wait_stays_in_its_connection() {
        const A: u16 = TcpFlags::ACK;
        const F: u16 = TcpFlags::FIN | TcpFlags::ACK;
        let mut an = Analyzer::new(AnalyzerConfig::default());
        let mut frame = 0;
        let last = clean_close(&mut an, &mut frame, 100, 200);
        assert_eq!(last, 1_300 * MS);
        let retx = an.observe(frame + 1, 3_800 * MS, &seg(0, false, 5001, 1102, F, 0, &[]));
        let ack = an.observe(frame + 2, 4_000 * MS, &seg(0, true, 1102, 5002, A, 0, &[]));
        assert_eq!((retx.conn, ack.conn), (ConnId(0), ConnId(0)));
        assert!(retx.flags.has(super::super::AnalysisFlags::RETRANSMISSION));
        assert!(an.pop_finished().is_none());
        let fin = an.finish();
        assert_eq!(fin.connections.len(), 1);
        assert_eq!(fin.stats.reopened, 0);
    }

    /// Both hosts 1 ms from the capture point: RTO at most 5 x 2 + 300 =
    /// 310 ms, three of them 930 ms, so the 1-s floor: the connection closed
    /// at 1.002 s is handed out as soon as the clock passes 2.002 s, not
    /// after the 10-s closed linger.
    #[test]
    fn clean_close_at_a_small_rto_is_handed_out_early() {
        let mut an = Analyzer::new(AnalyzerConfig::default());
        let mut frame = 0;
        let last = clean_close(&mut an, &mut frame, 1, 1);
        an.advance(last + 900 * MS);
        assert!(an.pop_finished().is_none(), "not before the floor");
        an.advance(last + 2_100 * MS);
        an.advance(last + 3_200 * MS);
        let c = an.pop_finished().expect("handed out within about 2 s");
        assert_eq!((c.conn, c.end), (ConnId(0), EndReason::Closed));
    }

    /// A RST with data in flight: the client's 100 bytes are not acknowledged
    /// when the server resets, so the client may still re-send them (if the
    /// RST was lost after the capture point) at an RTO the capture does not
    /// bound: the whole closed linger (10 s).
    #[test]
    fn reset_with_data_in_flight_keeps_the_closed_linger() {
        const A: u16 = TcpFlags::ACK;
        let mut an = Analyzer::new(AnalyzerConfig::default());
        let mut frame = 0;
        for (ms, s) in [
            (0, seg(0, true, 1000, 0, TcpFlags::SYN, 0, &SYN_OPTS)),
            (
                1,
                seg(0, false, 5000, 1001, TcpFlags::SYN | A, 0, &SYN_OPTS),
            ),
            (2, seg(0, true, 1001, 5001, A, 0, &[])),
            (3, seg(0, true, 1001, 5001, A | TcpFlags::PSH, 100, &[])),
            (3, seg(0, false, 5001, 1001, TcpFlags::RST | A, 0, &[])),
        ] {
            frame += 1;
            an.observe(frame, ms * MS, &s);
        }
        an.advance(9_000 * MS);
        assert!(an.pop_finished().is_none());
        an.advance(10_500 * MS);
        an.advance(11_600 * MS);
        assert_eq!(an.pop_finished().map(|c| c.end), Some(EndReason::Closed));
    }

    /// Each connection below leaves a stale hand-out entry: its first check
    /// is due 120 s after both FINs (not yet closed), then the final ACK
    /// closes it and a check 1 s after it replaces that one (its RTTs are 0:
    /// the closed wait's floor, see `State::closed_quiet_ns`). One
    /// connection every 50 ms, so at most about 40 live at once (closed for
    /// 1 to 2 s) and 2,400 stale entries within 120 s: more than the
    /// 2 x 40 + 1,024 tolerated, so they are dropped as they come; every
    /// connection is still handed out closed, before the end.
    #[test]
    fn stale_hand_out_entries_do_not_pile_up() {
        const A: u16 = TcpFlags::ACK;
        const F: u16 = TcpFlags::FIN | TcpFlags::ACK;
        let mut an = Analyzer::new(AnalyzerConfig::default());
        let mut frame = 0;
        let n = 6_000u32;
        let mut out = Vec::new();
        for i in 0..n {
            let t = i64::from(i) * 50_000_000;
            open(&mut an, &mut frame, i, t);
            for s in [
                seg(i, true, 1101, 5001, F, 0, &[]),
                seg(i, false, 5001, 1102, F, 0, &[]),
                seg(i, true, 1102, 5002, A, 0, &[]),
            ] {
                frame += 1;
                an.observe(frame, t, &s);
            }
            assert!(an.due.len() <= 2 * an.live() + STALE_DUE_SLACK + 1);
            out.extend(std::iter::from_fn(|| an.pop_finished()));
        }
        // Handed out by the 1-s sweeps once quiet 1 s: all but those of
        // the last 2 s (40), which come at the end (the bound of a 10-s
        // wait, 220, holds a fortiori).
        assert!(out.len() >= (n - 221) as usize, "{}", out.len());
        assert!(out.iter().all(|c| c.end == EndReason::Closed));
        let fin = an.finish();
        assert_eq!(out.len() + fin.connections.len(), n as usize);
    }

    #[test]
    fn per_connection_estimates_cover_the_measured_heap() {
        // The hash map doubles past 7/8 of a power of two: 1,793 and 3,584
        // entries are just after and just before a growth.
        let bare = [live_heap(false, 1_793), live_heap(false, 3_583)];
        let full = [live_heap(true, 1_793), live_heap(true, 3_583)];
        let story = [full[0] - bare[0], full[1] - bare[1]];
        // Evicted: every connection's compact entry, after its record was
        // taken; measured as the growth of a map of entries.
        let n = 1_793u32;
        let mut an = Analyzer::new(AnalyzerConfig::default());
        let mut frame = 0;
        for i in 0..n {
            open(&mut an, &mut frame, i, i64::from(i));
        }
        let slots: Vec<u32> = an.table.live_slots().collect();
        let mut entries = Vec::new();
        for &s in &slots {
            let key = *an.table.key(s).expect("live");
            let c = an.table.get_mut(s).expect("live");
            let rec = c.record(EndReason::Evicted, 0, |_| false);
            entries.push((key, c.evict(&rec)));
        }
        let mut map: HashMap<FlowKey, Box<Resumable>, FastHashBuilder> =
            HashMap::with_hasher(FastHashBuilder::default());
        let info = allocation_counter::measure(|| {
            map.extend(entries.drain(..).map(|(k, r)| (k, Box::new(r))));
        });
        let resumable = info.bytes_current as usize / n as usize;
        eprintln!(
            "live without story {bare:?} B, story {story:?} B, evicted {resumable} B \
             (size_of Connection {}, Half {}, StoryBuilder {}, Resumable {}, FlowKey {})",
            std::mem::size_of::<State>(),
            std::mem::size_of::<super::super::half::Half>(),
            std::mem::size_of::<StoryBuilder>(),
            std::mem::size_of::<Resumable>(),
            std::mem::size_of::<FlowKey>(),
        );
        assert!(bare.iter().all(|&b| b <= LIVE_BYTES), "{bare:?}");
        assert!(story.iter().all(|&b| b <= STORY_BYTES), "{story:?}");
        assert!(resumable <= RESUMABLE_BYTES, "{resumable}");
        // Estimates within a factor of two of what they estimate.
        assert!(LIVE_BYTES <= 2 * bare[1] && STORY_BYTES <= 2 * story[1]);
        assert!(RESUMABLE_BYTES <= 2 * resumable);
    }
}

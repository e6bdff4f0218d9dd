//! The driver: segments in, [`SegmentFacts`] and finished connections out.

use super::SegmentFacts;
use super::connection::{Connection, ConnectionRecord, EndReason, Opening};
use super::story::StoryBuilder;
use crate::flow::{ConnId, Endpoint, FlowKey, Table};
use crate::report::{Diagnostics, Report};
use crate::wire::Segment;
use std::collections::VecDeque;

/// Limits of the analysis. Times are in capture time (the packets' timestamps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AnalyzerConfig {
    /// A closed connection (both FINs or a RST) is handed out this long after
    /// it closed, so that late retransmissions still find it. Default 120 s.
    pub linger_ns: u64,
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
    /// Build each connection's story ([`ConnectionRecord::story`]) and the
    /// capture-wide [`Report`] (default on). Off, only the per-segment facts
    /// and the counters of the record are computed, which is cheaper.
    pub story: bool,
}

impl Default for AnalyzerConfig {
    fn default() -> Self {
        Self {
            linger_ns: 120_000_000_000,
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
}

/// What is left at the end of the capture.
#[derive(Debug)]
pub struct Finished {
    /// Every connection not yet handed out, in connection-number order.
    pub connections: Vec<ConnectionRecord>,
    /// Counters of the run.
    pub stats: AnalyzerStats,
    /// Capture-wide findings over every connection handed out during the run
    /// (when [`AnalyzerConfig::story`] is on).
    pub report: Option<Report>,
}

/// The one driver of the per-segment analysis.
///
/// Push segments in capture order with [`Analyzer::observe`]; take the
/// connections that are over with [`Analyzer::pop_finished`] as you go (memory
/// stays bounded by the connections alive at once), and the rest with
/// [`Analyzer::finish`].
#[derive(Debug)]
pub struct Analyzer {
    cfg: AnalyzerConfig,
    table: Table<Connection>,
    ready: VecDeque<ConnectionRecord>,
    next_id: u64,
    now: i64,
    next_sweep: i64,
    stats: AnalyzerStats,
    scratch: Vec<(i64, u32)>,
    diagnostics: Option<Diagnostics>,
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
            diagnostics: cfg.story.then(Diagnostics::new),
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
                        src,
                        dst,
                        frame,
                        ts: ts_ns,
                        max_unacked,
                    };
                    c.start(o, seg);
                    if self.cfg.story {
                        c.story = Some(Box::new(StoryBuilder::new(id)));
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
    pub fn pop_finished(&mut self) -> Option<ConnectionRecord> {
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
        let mut connections: Vec<ConnectionRecord> =
            Vec::with_capacity(self.ready.len() + slots.len());
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
                let record = c.record(end, now);
                if let (Some(d), Some(story)) = (self.diagnostics.as_mut(), record.story.as_ref()) {
                    d.add(story);
                }
                connections.push(record);
            }
            self.table.remove(s);
        }
        if merge_from < connections.len() && !connections.is_sorted_by_key(|r| r.conn) {
            connections.sort_by_key(|r| r.conn);
        }
        Finished {
            connections,
            stats: self.stats,
            report: self.diagnostics.map(Diagnostics::finish),
        }
    }

    fn retire(&mut self, slot: u32, end: EndReason) {
        let now = self.now;
        if let Some(c) = self.table.get_mut(slot) {
            let record = c.record(end, now);
            if let (Some(d), Some(story)) = (self.diagnostics.as_mut(), record.story.as_ref()) {
                d.add(story);
            }
            self.ready.push_back(record);
        }
        self.table.remove(slot);
    }

    /// Hands out connections closed longer than the linger time, or idle too long.
    fn sweep(&mut self) {
        let now = self.now;
        let linger = i64::try_from(self.cfg.linger_ns).unwrap_or(i64::MAX);
        let idle = self
            .cfg
            .idle_timeout_ns
            .map(|t| i64::try_from(t).unwrap_or(i64::MAX));
        self.scratch.clear();
        for s in self.table.live_slots() {
            let Some(c) = self.table.get(s) else { continue };
            if let Some(at) = c.finished_at
                && now.saturating_sub(at) > linger
            {
                self.scratch.push((0, s));
            } else if let Some(idle) = idle
                && now.saturating_sub(c.last_ts) > idle
            {
                self.scratch.push((1, s));
            }
        }
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

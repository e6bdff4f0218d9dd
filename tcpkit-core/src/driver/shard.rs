//! The threaded form of [`Analysis`] ([`AnalyzerConfig::threads`] of 2 or
//! more): one reader thread, `n` analyser threads, the merge on the caller's
//! thread.
//!
//! ```text
//! reader: read, decode, count, keep the analysis clock
//!   -> chunks of packets, each packet to the analyser its 4-tuple hashes to
//! analyser i: Analyzer::observe (+ the sweeps of the whole capture's clock)
//!   -> per chunk: marks (frame: handed out, opened, resumed, SYN seen) + records
//! caller (merge): the chunk's analysable frames in order, each shard's marks
//!   of that frame, then the one-thread hand-out (cross-check, report, order)
//! ```
//!
//! Why the output is the one thread's, byte for byte:
//! - Everything an [`Analyzer`] keeps is per 4-tuple (connections, remembered
//!   4-tuples, compact entries), so the analyser that gets every segment of
//!   a 4-tuple computes what one analyser of the whole would, given the same
//!   clock. The reader keeps the whole capture's clock ([`clock_tick`]) and
//!   sends each packet with it; when the clock sweeps (every second of
//!   capture time) every other analyser gets a tick at that frame, so every
//!   analyser hands out its connections due at the frame one analyser would.
//!   At the end every analyser is told the final clock.
//! - The connection numbers: one analyser numbers connections by their first
//!   frame ([`Renumber`](crate::analysis::Renumber)); the merge goes through
//!   the frames in order and gives the next number to each connection opened.
//! - The cross-check ([`crate::analysis::story::cross_check`]) compares connections of a
//!   client host whatever their 4-tuple: it runs in the merge, after the
//!   numbering, fed with what each analyser saw of SYNs and their answers.
//! - The order: connections handed out at a frame are handed out there, the
//!   merge doing exactly what one thread does after each segment. A chunk is
//!   merged only when every analyser has returned it (the watermark: each
//!   analyser has handed out everything up to the chunk's last frame).
//!
//! Where it may differ: the memory budget. Each analyser gets
//! `memory_budget / n`, so evictions (and the forgetting of compact entries
//! and remembered 4-tuples) happen at other points than with one analyser of
//! the whole budget; while nothing is evicted or forgotten
//! ([`AnalyzerStats::evicted`], [`AnalyzerStats::forgotten`] 0, and fewer
//! remembered 4-tuples than an eighth of a share holds), the output is the
//! same. [`AnalyzerStats::peak_resumable`] is then the sum of the analysers'
//! peaks (0 without evictions); [`AnalyzerStats::peak_live`] is counted in
//! the merge, as one analyser counts it.
//!
//! Memory: bounded channels (a few chunks in flight per thread), chunks of
//! [`CHUNK_FRAMES`] segments (each decoded, with its option bytes; the
//! payload's bytes are not copied: the analysis reads only its length),
//! whose buffers go back to the reader (and the merge's buffers back to the
//! analysers) through free lists: nothing is allocated per packet.

use super::{Analysis, InputCounts, Live, Phase, Source, SynSeen, other};
use crate::analysis::{
    Analyzer, AnalyzerConfig, AnalyzerStats, Connection, Finished, ListenerMap, clock_tick,
    note_listener,
};
use crate::error::Error;
use crate::flow::{ConnId, Endpoint, FastHashBuilder, FlowKey};
use crate::wire::{self, Segment};
use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::mpsc::{Receiver, Sender, SyncSender, channel, sync_channel};
use std::sync::{Arc, RwLock};

/// Analysable segments in a chunk at most.
const CHUNK_FRAMES: usize = 2048;
/// Chunks in flight on each channel at most.
const IN_FLIGHT: usize = 4;

/// One segment for an analyser, or a tick of the clock.
#[derive(Debug, Clone, Copy)]
struct Item {
    frame: u64,
    ts_ns: i64,
    /// The whole capture's analysis clock at this frame.
    now: i64,
    /// The decoded segment without its bytes: its options are in the
    /// batch's `data` (`opts_at`, `opts_len`, as declared `declared`); the
    /// payload's bytes stay with the reader (the analysis reads only
    /// `payload_len`).
    seg: Segment<'static>,
    opts_at: u32,
    opts_len: u8,
    declared: u8,
    /// A tick: the clock moves, no segment.
    tick: bool,
}

/// A chunk's segments for one analyser.
#[derive(Debug, Default)]
struct Batch {
    /// The segments' option bytes.
    data: Vec<u8>,
    items: Vec<Item>,
    /// The last batch: the analyser finishes after it.
    last: bool,
}

/// What an analyser did at a frame.
#[derive(Debug, Clone, Copy)]
enum What {
    /// Handed out a connection (the next of the chunk's records).
    HandedOut,
    /// Opened a connection (its number in the analyser).
    Opened { local: u64, ts_ns: i64 },
    /// Took an evicted connection back.
    Resumed,
    /// Saw what the cross-check needs.
    Seen {
        local: u64,
        seen: SynSeen,
        ts_ns: i64,
    },
}

#[derive(Debug, Clone, Copy)]
struct Mark {
    frame: u64,
    what: What,
}

/// An analyser's work on a chunk, in frame order.
#[derive(Debug, Default)]
struct ShardOut {
    marks: Vec<Mark>,
    records: Vec<Connection>,
    /// After the last chunk: the connections left and the counters.
    end: Option<Finished>,
}

/// A chunk as the reader saw it.
#[derive(Debug, Default)]
struct Frames {
    /// The chunk's analysable frames, each with the latest capture time read
    /// up to it (any protocol: the one-thread hand-out's clock).
    frames: Vec<(u64, i64)>,
    counts: InputCounts,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    /// The last chunk: `Some(None)` at the end of the input, `Some(Some(e))`
    /// at damage.
    end: Option<Option<Error>>,
}

/// The analyser of a key's hash, out of `n` (the high bits of a multiply:
/// not the low bits the analysers' own tables index by).
fn shard_of(hash: u64, n: usize) -> usize {
    let mixed = hash.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((u128::from(mixed) * n as u128) >> 64) as usize
}

fn stopped() -> Error {
    Error::Capture(other("an analysis thread stopped"))
}

/// The reader thread.
struct Reader {
    source: Source,
    name: String,
    to: Vec<SyncSender<Batch>>,
    frames_to: SyncSender<Frames>,
    free: Receiver<Batch>,
    free_frames: Receiver<Vec<(u64, i64)>>,
    batches: Vec<Batch>,
    frames: Vec<(u64, i64)>,
    /// The last tick of the clock (any segment's item, marked as a tick,
    /// once there is one).
    tick: Option<Item>,
    counts: InputCounts,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    now: i64,
    next_sweep: i64,
    hasher: FastHashBuilder,
    /// The listener evidence every analyser reads (filled here, in frame
    /// order: the reader is the one thread that sees every segment).
    listeners: Arc<RwLock<ListenerMap>>,
}

impl Reader {
    fn run(mut self) {
        let end = loop {
            match self.source.advance() {
                // Not live: the end of the input.
                None => break None,
                Some(Err(e)) => {
                    let name = self.source.file().unwrap_or(&self.name);
                    break Some(Error::from(e).named(name));
                }
                Some(Ok(())) => {}
            }
            self.take();
            if self.frames.len() >= CHUNK_FRAMES && !self.flush(None) {
                return;
            }
        };
        if let Some(t) = self.tick {
            // The final clock (no sweep is due at it: one ran where it was).
            let tick = Item {
                frame: self.frames.last().map_or(t.frame, |f| f.0),
                ts_ns: self.now,
                now: self.now,
                ..t
            };
            for b in &mut self.batches {
                b.items.push(tick);
            }
        }
        self.flush(Some(end));
    }

    /// Decodes the current packet and gives it to its analyser (as
    /// `Analysis::take_packet` does on one thread).
    fn take(&mut self) {
        let Some(p) = self.source.current() else {
            return;
        };
        self.counts.packets += 1;
        self.first_ts.get_or_insert(p.ts_ns);
        let last = self.last_ts.map_or(p.ts_ns, |l| l.max(p.ts_ns));
        self.last_ts = Some(last);
        let seg = match wire::decode(&p) {
            Ok(Some(s)) => s,
            Ok(None) => {
                self.counts.not_tcp += 1;
                return;
            }
            Err(e) => {
                self.counts.undecodable += 1;
                self.counts.first_undecodable.get_or_insert((p.frame, e));
                return;
            }
        };
        self.counts.tcp += 1;
        if !seg.analysable() {
            self.counts.short_header += 1;
            return;
        }
        let sweep = clock_tick(&mut self.now, &mut self.next_sweep, p.ts_ns);
        let (src, dst) = Endpoint::of(&seg);
        if seg.flags.syn() && seg.flags.ack() {
            let mut m = self
                .listeners
                .write()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            note_listener(&mut m, &seg, src, p.frame);
        }
        let (key, _) = FlowKey::new(src, dst);
        let s = shard_of(self.hasher.hash_one(key), self.batches.len());
        let now = self.now;
        let opts = seg.options.bytes();
        let frame = p.frame;
        let Some(b) = self.batches.get_mut(s) else {
            return;
        };
        let at = b.data.len();
        b.data.extend_from_slice(opts);
        b.items.push(Item {
            frame,
            ts_ns: p.ts_ns,
            now,
            seg: Segment {
                options: wire::Options::default(),
                payload: &[],
                ..seg
            },
            opts_at: u32::try_from(at).unwrap_or(u32::MAX),
            opts_len: u8::try_from(opts.len()).unwrap_or(u8::MAX),
            declared: u8::try_from(seg.options.declared_len()).unwrap_or(u8::MAX),
            tick: false,
        });
        if (sweep || self.tick.is_none())
            && let Some(&it) = b.items.last()
        {
            let tick = Item {
                ts_ns: now,
                opts_len: 0,
                tick: true,
                ..it
            };
            self.tick = Some(tick);
            if sweep {
                for (i, b) in self.batches.iter_mut().enumerate() {
                    if i != s {
                        b.items.push(tick);
                    }
                }
            }
        }
        self.frames.push((frame, last));
    }

    /// Sends the chunk (`end`: the last); `false` when the merge is gone.
    fn flush(&mut self, end: Option<Option<Error>>) -> bool {
        let last = end.is_some();
        for i in 0..self.batches.len() {
            let fresh = match self.free.try_recv() {
                Ok(mut b) => {
                    b.data.clear();
                    b.items.clear();
                    b.last = false;
                    b
                }
                Err(_) => Batch::default(),
            };
            let mut b = std::mem::replace(&mut self.batches[i], fresh);
            b.last = last;
            if self.to[i].send(b).is_err() {
                return false;
            }
        }
        let fresh = match self.free_frames.try_recv() {
            Ok(mut v) => {
                v.clear();
                v
            }
            Err(_) => Vec::with_capacity(CHUNK_FRAMES),
        };
        let msg = Frames {
            frames: std::mem::replace(&mut self.frames, fresh),
            counts: self.counts,
            first_ts: self.first_ts,
            last_ts: self.last_ts,
            end,
        };
        self.frames_to.send(msg).is_ok()
    }
}

/// An analyser thread: its segments in frame order, the clock's ticks, and
/// what it did at each frame back to the merge.
fn analyse(
    cfg: AnalyzerConfig,
    listeners: Arc<RwLock<ListenerMap>>,
    rx: Receiver<Batch>,
    tx: SyncSender<ShardOut>,
    free: Sender<Batch>,
    free_outs: Receiver<ShardOut>,
) {
    let mut an = Analyzer::with_shared_listeners(cfg, listeners);
    while let Ok(batch) = rx.recv() {
        let mut out = free_outs.try_recv().unwrap_or_default();
        out.marks.clear();
        for it in &batch.items {
            step(&mut an, &batch.data, it, &mut out, cfg.story);
        }
        let last = batch.last;
        let _ = free.send(batch);
        if last {
            out.end = Some(an.finish());
            let _ = tx.send(out);
            return;
        }
        if tx.send(out).is_err() {
            return;
        }
    }
}

fn step(an: &mut Analyzer, data: &[u8], it: &Item, out: &mut ShardOut, story: bool) {
    an.at_frame(it.frame);
    an.advance(it.now);
    let mut opened = None;
    let mut seen = None;
    if !it.tick {
        let at = it.opts_at as usize;
        let opts = data
            .get(at..at + usize::from(it.opts_len))
            .unwrap_or_default();
        let seg = Segment {
            options: wire::Options::with_declared(opts, it.declared),
            ..it.seg
        };
        {
            let resumed = an.stats().resumed;
            let facts = an.observe(it.frame, it.ts_ns, &seg);
            opened = if facts.new_conn {
                Some(What::Opened {
                    local: facts.conn.0,
                    ts_ns: it.ts_ns,
                })
            } else if an.stats().resumed != resumed {
                Some(What::Resumed)
            } else {
                None
            };
            if story {
                seen = SynSeen::of(&seg, &facts).map(|s| What::Seen {
                    local: facts.conn.0,
                    seen: s,
                    ts_ns: it.ts_ns,
                });
            }
        }
    }
    let frame = it.frame;
    while let Some(rec) = an.pop_finished() {
        out.marks.push(Mark {
            frame,
            what: What::HandedOut,
        });
        out.records.push(rec);
    }
    for what in [opened, seen].into_iter().flatten() {
        out.marks.push(Mark { frame, what });
    }
}

/// The merge's side of the threads (see the module documentation).
#[derive(Debug)]
pub(super) struct Shards {
    frames_rx: Receiver<Frames>,
    outs: Vec<Receiver<ShardOut>>,
    out_free: Vec<Sender<ShardOut>>,
    frames_free: Sender<Vec<(u64, i64)>>,
    /// Per analyser: its numbers of the connections not yet handed out for
    /// good, and theirs in the whole capture.
    numbers: Vec<HashMap<u64, u64, FastHashBuilder>>,
    /// The next connection number.
    next: u64,
    /// Connections tracked now over all analysers, and the most at once.
    live: u64,
    peak_live: u64,
    segments: u64,
    /// Each analyser's end.
    finished: Vec<(usize, Finished)>,
    /// The input ended (`Some(e)`: damage) with the chunk merged last.
    end: Option<Option<Error>>,
    chunk: Vec<ShardOut>,
    pos: Vec<usize>,
}

/// Starts the threads of `a` (its source moves to the reader); `false`
/// (nothing changed) when a thread cannot be started.
pub(super) fn start(a: &mut Analysis) -> bool {
    let n = a.cfg.threads;
    let cfg = AnalyzerConfig {
        memory_budget: a.cfg.memory_budget / n,
        ..a.cfg
    };
    let (free_tx, free_rx) = channel();
    let (frames_free_tx, frames_free_rx) = channel();
    let (frames_tx, frames_rx) = sync_channel(IN_FLIGHT);
    let listeners: Arc<RwLock<ListenerMap>> = Arc::default();
    let mut to = Vec::with_capacity(n);
    let mut outs = Vec::with_capacity(n);
    let mut out_free = Vec::with_capacity(n);
    for i in 0..n {
        let (btx, brx) = sync_channel(IN_FLIGHT);
        let (otx, orx) = sync_channel(IN_FLIGHT);
        let (oftx, ofrx) = channel();
        let free = free_tx.clone();
        let shared = Arc::clone(&listeners);
        let spawned = std::thread::Builder::new()
            .name(format!("tcpkit-analyser-{i}"))
            .spawn(move || analyse(cfg, shared, brx, otx, free, ofrx));
        if spawned.is_err() {
            // The threads started end when their channels close.
            return false;
        }
        to.push(btx);
        outs.push(orx);
        out_free.push(oftx);
    }
    let placeholder = Source::Live(Live {
        ended: true,
        ..Live::default()
    });
    let reader = Reader {
        source: std::mem::replace(&mut a.source, placeholder),
        name: a.name.clone(),
        to,
        frames_to: frames_tx,
        free: free_rx,
        free_frames: frames_free_rx,
        batches: (0..n).map(|_| Batch::default()).collect(),
        frames: Vec::with_capacity(CHUNK_FRAMES),
        tick: None,
        counts: a.counts,
        first_ts: a.first_ts,
        last_ts: a.last_ts,
        now: i64::MIN,
        next_sweep: i64::MIN,
        hasher: FastHashBuilder::default(),
        listeners,
    };
    let mut shards = Shards {
        frames_rx,
        outs,
        out_free,
        frames_free: frames_free_tx,
        numbers: (0..n).map(|_| HashMap::default()).collect(),
        next: 0,
        live: 0,
        peak_live: 0,
        segments: 0,
        finished: Vec::with_capacity(n),
        end: None,
        chunk: Vec::with_capacity(n),
        pos: vec![0; n],
    };
    let spawned = std::thread::Builder::new()
        .name("tcpkit-reader".into())
        .spawn(move || reader.run());
    if let Err(e) = spawned {
        // The source went with the thread that did not start.
        shards.end = Some(Some(Error::Capture(other(&format!(
            "cannot start the reader thread: {e}"
        )))));
    }
    a.analyzer = None;
    a.shards = Some(Box::new(shards));
    true
}

/// Gives a record of analyser `s` its number in the whole capture (an
/// evicted connection keeps it for its later record).
fn renumber(numbers: &mut HashMap<u64, u64, FastHashBuilder>, mut rec: Connection) -> Connection {
    let local = rec.conn.0;
    let global = if rec.evicted {
        numbers.get(&local).copied()
    } else {
        numbers.remove(&local)
    };
    if let Some(g) = global {
        rec.renumber(ConnId(g));
    }
    rec
}

impl Shards {
    /// Merges the next chunk into `a` (its connections handed out to
    /// `a.out`); at the end (after the last chunk's connections are taken),
    /// moves `a` to its end and gives the damage, if any.
    pub(super) fn pump(&mut self, a: &mut Analysis) -> Option<Error> {
        if let Some(end) = self.end.take() {
            a.phase = Phase::Ending;
            return end;
        }
        let Ok(msg) = self.frames_rx.recv() else {
            a.phase = Phase::Ending;
            return Some(stopped());
        };
        self.chunk.clear();
        for rx in &self.outs {
            let Ok(o) = rx.recv() else {
                a.phase = Phase::Ending;
                return Some(stopped());
            };
            self.chunk.push(o);
        }
        a.counts = msg.counts;
        a.first_ts = msg.first_ts;
        a.last_ts = msg.last_ts;
        let mut kept: Vec<Vec<Connection>> = self
            .chunk
            .iter_mut()
            .map(|o| std::mem::take(&mut o.records))
            .collect();
        let mut records: Vec<std::vec::Drain<'_, Connection>> =
            kept.iter_mut().map(|v| v.drain(..)).collect();
        self.pos.iter_mut().for_each(|p| *p = 0);
        for &(frame, last_ts) in &msg.frames {
            let (mut gone, mut came) = (0u64, 0u64);
            for (s, o) in self.chunk.iter().enumerate() {
                while let Some(m) = o.marks.get(self.pos[s]).filter(|m| m.frame == frame) {
                    self.pos[s] += 1;
                    match m.what {
                        What::HandedOut => {
                            if let Some(rec) = records[s].next() {
                                gone += 1;
                                a.batch.push(renumber(&mut self.numbers[s], rec));
                            }
                        }
                        What::Opened { local, ts_ns } => {
                            let g = self.next;
                            self.next += 1;
                            self.numbers[s].insert(local, g);
                            a.open.insert((ts_ns, g));
                            came += 1;
                        }
                        What::Resumed => came += 1,
                        What::Seen { local, seen, ts_ns } => {
                            if let Some(&g) = self.numbers[s].get(&local) {
                                a.checks.seen(g, seen, ts_ns);
                            }
                        }
                    }
                }
            }
            // As one analyser counts: the connections handed out at a
            // segment leave before the one it opens comes.
            self.live = self.live.saturating_sub(gone) + came;
            if came > 0 {
                self.peak_live = self.peak_live.max(self.live);
            }
            self.segments += 1;
            a.hand_out(Some(last_ts));
        }
        // Nothing is handed out after the chunk's last frame (the final
        // clock sweeps nothing); were it otherwise, it goes out at the end.
        for (s, it) in records.iter_mut().enumerate() {
            for rec in it {
                a.batch.push(renumber(&mut self.numbers[s], rec));
            }
        }
        drop(records);
        a.stats.segments = self.segments;
        a.stats.connections = self.next;
        a.stats.peak_live = self.peak_live;
        for ((s, mut o), records) in self.chunk.drain(..).enumerate().zip(kept) {
            if let Some(fin) = o.end.take() {
                self.finished.push((s, fin));
            }
            o.marks.clear();
            // Emptied, its room kept.
            o.records = records;
            if let Some(tx) = self.out_free.get(s) {
                let _ = tx.send(o);
            }
        }
        let _ = self.frames_free.send(msg.frames);
        if let Some(end) = msg.end {
            self.end = Some(if self.finished.len() == self.outs.len() {
                end
            } else {
                Some(end.unwrap_or_else(stopped))
            });
        }
        None
    }

    /// The end of the input: the connections every analyser still had
    /// (numbered) into `batch`, and the counters of the whole run.
    pub(super) fn finish(&mut self, batch: &mut Vec<Connection>) -> AnalyzerStats {
        let mut st = AnalyzerStats::default();
        for (s, fin) in self.finished.drain(..) {
            let f = fin.stats;
            st.segments += f.segments;
            st.connections += f.connections;
            st.idle_expired += f.idle_expired;
            st.evicted += f.evicted;
            st.resumed += f.resumed;
            st.forgotten += f.forgotten;
            st.peak_resumable += f.peak_resumable;
            st.reopened += f.reopened;
            if let Some(numbers) = self.numbers.get_mut(s) {
                for rec in fin.connections {
                    batch.push(renumber(numbers, rec));
                }
            }
        }
        st.peak_live = self.peak_live;
        st
    }
}

//! The threaded form of [`Analysis`] ([`AnalyzerConfig::threads`] of 2 or
//! more): `n` workers, each analysing its share of the connections over the
//! whole capture, and the merge on the caller's thread.
//!
//! ```text
//! worker i (of n), over every packet record of the input, in order: counts
//!   it and walks it to its TCP header (wire::decode_tcp); a segment of one
//!   of its 4-tuples (shard_of) it reads whole and analyses
//!   (Analyzer::observe), any other it passes (Analyzer::pass: the
//!   capture's clock and listener evidence)
//!   -> per CHUNK_PACKETS records: marks (frame: opened, resumed, SYN seen,
//!      handed out) + records
//! caller (merge): the chunk's marks of all workers in frame order, then
//!   the one-thread hand-out (numbers, cross-check, report, order)
//! ```
//!
//! Every worker reads the whole input itself. A regular file opened by path
//! ([`Analysis::open`]) is mapped into memory once (cargo feature `mmap`, see
//! [`crate::capture::MmapCapture`] for its precondition) and each worker has
//! its own reader of the one map; the merge releases the pages all workers
//! are past, so that resident memory does not grow with the file. Without
//! the feature, or when mapping fails, each worker opens and reads the file
//! itself. Any other input is read by one more thread, the feeder, which
//! hands the packets' bytes, in blocks, to every worker. Each worker thus
//! walks every record to its TCP header: the reading and decoding of one
//! thread, done `n` times. On two cores that costs less than one worker
//! decoding each chunk for all and the others reading what it wrote from the
//! other core's cache (`BENCHMARKS.md`, fourteenth session: about a tenth
//! less wall time and 17 MiB less memory at `-j 2`): the workers share
//! nothing but the map's pages, which nobody writes. The price grows with
//! `n`: the reading and decoding every worker repeats is about a seventh of
//! one thread's work, which bounds `n` workers to about `7n / (n + 6)` times
//! one thread (1.75 at 2, 2.8 at 4, 4 at 8); the design before it, which
//! decoded each chunk once for all (commit 750718f), bounds many cores
//! higher, at the cost measured here on two.
//!
//! Why the output is the one thread's, byte for byte:
//! - Everything an [`Analyzer`] keeps is per 4-tuple (connections, remembered
//!   4-tuples, compact entries), so the worker that observes every segment of
//!   a 4-tuple computes what one analyser of the whole would, given the same
//!   clock and listener evidence: each worker passes the other segments to
//!   its analyser ([`Analyzer::pass`]), which keeps both as one analyser does.
//! - The connection numbers: one analyser numbers connections by their first
//!   frame ([`Renumber`](crate::analysis::Renumber)); the merge goes through
//!   the marks in frame order and gives the next number to each connection
//!   opened.
//! - The cross-check ([`crate::analysis::story::cross_check`]) compares
//!   connections of a client host whatever their 4-tuple: it runs in the
//!   merge, after the numbering, fed with what each worker saw of SYNs and
//!   their answers.
//! - The order: connections handed out at a frame are handed out there. One
//!   thread also releases held stories at every segment; between two frames
//!   with marks nothing else changes, so the merge releases, before a frame
//!   with marks, what one thread released up to the segment before it (each
//!   mark carries that segment's clock and its own).
//!
//! Where it may differ: the memory budget. Each worker's analyser gets
//! `memory_budget / n`, so evictions (and the forgetting of compact entries
//! and remembered 4-tuples) happen at other points than with one analyser of
//! the whole budget; while nothing is evicted or forgotten
//! ([`AnalyzerStats::evicted`], [`AnalyzerStats::forgotten`] 0, and fewer
//! remembered 4-tuples than an eighth of a share holds), the output is the
//! same. [`AnalyzerStats::peak_resumable`] is then the sum of the analysers'
//! peaks (0 without evictions); [`AnalyzerStats::peak_live`] is counted in
//! the merge, as one analyser counts it.
//!
//! Memory: bounded channels (a few chunks' marks and records in flight per
//! worker, a few blocks of the feeder's); each worker keeps its own listener
//! evidence (at most [`crate::analysis::LISTENERS_KEPT`] endpoints). No
//! thread outlives the analysis: dropping it closes the channels and joins
//! the threads.

use super::{Analysis, InputCounts, Live, Phase, Source, SynSeen, count_packet, other};
use crate::analysis::{Analyzer, AnalyzerConfig, AnalyzerStats, Connection, Finished};
#[cfg(feature = "mmap")]
use crate::capture::{BytesReader, MmapCapture, PacketSource};
use crate::capture::{LinkType, Packet, StreamReader};
use crate::error::Error;
use crate::flow::{ConnId, Endpoint, FastHashBuilder};
use std::collections::HashMap;
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Packet records in a chunk: what a worker hands the merge at a time (8
/// under `cfg(fuzzing)`, so that the fuzzer's small inputs cross many
/// chunks).
const CHUNK_PACKETS: u64 = if cfg!(fuzzing) { 8 } else { 1 << 13 };
/// Chunks (and the feeder's blocks) in flight on each channel to the merge
/// (from the feeder) at most.
const IN_FLIGHT: usize = 4;
/// Bytes of packet data in a feeder's block (about).
const BLOCK_BYTES: usize = 1 << 20;

/// What a worker's analyser did at a frame.
#[derive(Debug, Clone, Copy)]
enum What {
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
    /// Handed out a connection (the next of the chunk's records).
    HandedOut,
}

#[derive(Debug, Clone, Copy)]
struct Mark {
    frame: u64,
    /// The capture time one thread hands out with at the segment before
    /// this frame's (`None`: none before) and at this one.
    before: Option<i64>,
    now: i64,
    what: What,
}

/// The end of a worker's input.
#[derive(Debug)]
struct End {
    finished: Finished,
    /// The damage that ended the input (each worker meets it; the feeder's
    /// goes to one).
    error: Option<Error>,
    /// The capture time one thread handed out with at the last segment.
    last_now: Option<i64>,
}

/// What a worker's analyser did over a chunk of packet records (marks and
/// records in frame order), with the input's counts and times so far.
#[derive(Debug, Default)]
struct ShardOut {
    /// Where the worker's reader is in the file: it reads nothing before.
    offset: u64,
    marks: Vec<Mark>,
    records: Vec<Connection>,
    counts: InputCounts,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    /// After the last chunk.
    end: Option<End>,
}

/// The worker, out of `n`, of the 4-tuple of a segment from `src` to `dst`
/// (the same both ways): a hash of each endpoint, summed, its high bits
/// (not the low bits the analysers' own tables index by).
fn shard_of(src: &Endpoint, dst: &Endpoint, n: usize) -> usize {
    fn endpoint(e: &Endpoint) -> u64 {
        let ip = match e.ip {
            IpAddr::V4(a) => u64::from(u32::from(a)),
            IpAddr::V6(a) => {
                let v = u128::from(a);
                (v as u64) ^ ((v >> 64) as u64).rotate_left(17)
            }
        };
        ((ip << 16) ^ u64::from(e.port)).wrapping_mul(0xff51_afd7_ed55_8ccd)
    }
    let h = endpoint(src).wrapping_add(endpoint(dst));
    let mixed = (h ^ (h >> 31)).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    ((u128::from(mixed) * n as u128) >> 64) as usize
}

fn stopped() -> Error {
    Error::Capture(other("an analysis thread stopped"))
}

/// A packet of a feeder's block: its bytes are `data[at..at + len]`.
#[derive(Debug, Clone, Copy)]
struct Fed {
    frame: u64,
    ts_ns: i64,
    link_type: LinkType,
    orig_len: u32,
    interface: u32,
    at: usize,
    len: usize,
}

/// Packets the feeder read, for every worker.
#[derive(Debug, Default)]
struct Block {
    packets: Vec<Fed>,
    data: Vec<u8>,
    /// The last block: the damage that ended the input, for the first
    /// worker to take it.
    end: Option<Mutex<Option<Error>>>,
}

/// Where a worker's packets come from: every packet record of the input.
enum Input {
    /// Its own reader of the capture file.
    Own { source: Box<Source>, name: String },
    /// Its own reader of the capture file mapped for all workers.
    #[cfg(feature = "mmap")]
    Mapped {
        reader: BytesReader<Mapped>,
        name: String,
    },
    /// The feeder's blocks.
    Fed {
        rx: Receiver<Arc<Block>>,
        block: Arc<Block>,
        next: usize,
    },
}

impl Input {
    /// The next packet; `Ok(None)` at the end of the input. Inlined into the
    /// worker's loop, as the one-thread reader is into the driver's.
    #[inline(always)]
    fn next(&mut self) -> Result<Option<Packet<'_>>, Error> {
        match self {
            Input::Own { source, name } => {
                loop {
                    match source.advance() {
                        None => return Ok(None),
                        Some(Ok(())) if source.current().is_some() => break,
                        Some(Ok(())) => {}
                        Some(Err(e)) => {
                            return Err(Error::from(e).named(source.file().unwrap_or(name)));
                        }
                    }
                }
                Ok(source.current())
            }
            #[cfg(feature = "mmap")]
            Input::Mapped { reader, name } => match reader.next_packet() {
                None => Ok(None),
                Some(Ok(p)) => Ok(Some(p)),
                Some(Err(e)) => Err(Error::from(e).named(name)),
            },
            Input::Fed { rx, block, next } => {
                while *next >= block.packets.len() {
                    if let Some(end) = &block.end {
                        let e = end
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .take();
                        return e.map_or(Ok(None), Err);
                    }
                    *block = rx.recv().map_err(|_| stopped())?;
                    *next = 0;
                }
                let Some(&f) = block.packets.get(*next) else {
                    return Ok(None);
                };
                *next += 1;
                Ok(Some(Packet {
                    frame: f.frame,
                    ts_ns: f.ts_ns,
                    link_type: f.link_type,
                    orig_len: f.orig_len,
                    data: block.data.get(f.at..f.at + f.len).unwrap_or_default(),
                    interface: f.interface,
                }))
            }
        }
    }

    /// Where the reader is in its file (0 for the feeder's blocks).
    fn offset(&self) -> u64 {
        match self {
            Input::Own { source, .. } => source.offset(),
            #[cfg(feature = "mmap")]
            Input::Mapped { reader, .. } => reader.offset(),
            Input::Fed { .. } => 0,
        }
    }
}

/// The feeder thread: reads `source`, hands every packet to every worker.
fn feed(mut source: Source, name: String, to: Vec<SyncSender<Arc<Block>>>) {
    let mut block = Block::default();
    let error = loop {
        match source.advance() {
            None => break None,
            Some(Err(e)) => break Some(source.damage(&name, e)),
            Some(Ok(())) => {}
        }
        let Some(p) = source.current() else {
            continue;
        };
        block.packets.push(Fed {
            frame: p.frame,
            ts_ns: p.ts_ns,
            link_type: p.link_type,
            orig_len: p.orig_len,
            interface: p.interface,
            at: block.data.len(),
            len: p.data.len(),
        });
        block.data.extend_from_slice(p.data);
        if block.data.len() >= BLOCK_BYTES {
            let full = Arc::new(std::mem::replace(
                &mut block,
                Block {
                    packets: Vec::with_capacity(BLOCK_BYTES / 64),
                    data: Vec::with_capacity(BLOCK_BYTES + (1 << 16)),
                    end: None,
                },
            ));
            if to.iter().any(|tx| tx.send(Arc::clone(&full)).is_err()) {
                return;
            }
        }
    };
    block.end = Some(Mutex::new(error));
    let last = Arc::new(block);
    for tx in &to {
        let _ = tx.send(Arc::clone(&last));
    }
}

/// Worker `me` of `n`: reads every packet record of `input`, analyses the
/// segments of its share of the 4-tuples and passes the others (see the
/// module documentation), and sends what its analyser did to the merge,
/// `CHUNK_PACKETS` records at a time.
fn work(me: usize, n: usize, cfg: AnalyzerConfig, mut input: Input, tx: SyncSender<ShardOut>) {
    let mut an = Analyzer::new(cfg);
    let mut out = ShardOut::default();
    // The capture time one thread hands out with at the last segment.
    let mut last_now: Option<i64> = None;
    let mut error = None;
    loop {
        let mut last = false;
        for _ in 0..CHUNK_PACKETS {
            let p = match input.next() {
                Ok(Some(p)) => p,
                Ok(None) => {
                    last = true;
                    break;
                }
                Err(e) => {
                    last = true;
                    error = Some(e);
                    break;
                }
            };
            let Some(tcp) = count_packet(&mut out.counts, &mut out.first_ts, &mut out.last_ts, &p)
            else {
                continue;
            };
            if !tcp.analysable() {
                out.counts.short_header += 1;
                continue;
            }
            let now = out.last_ts.unwrap_or(p.ts_ns);
            let (frame, ts_ns) = (p.frame, p.ts_ns);
            let mark = |what| Mark {
                frame,
                before: last_now,
                now,
                what,
            };
            let ((src_ip, dst_ip), (sport, dport)) = (tcp.addrs(), tcp.ports());
            let src = Endpoint {
                ip: src_ip,
                port: sport,
            };
            let dst = Endpoint {
                ip: dst_ip,
                port: dport,
            };
            if shard_of(&src, &dst, n) == me {
                let seg = tcp.segment();
                let resumed = an.stats().resumed;
                let facts = an.observe(frame, ts_ns, &seg);
                if facts.new_conn {
                    out.marks.push(mark(What::Opened {
                        local: facts.conn.0,
                        ts_ns,
                    }));
                } else if an.stats().resumed != resumed {
                    out.marks.push(mark(What::Resumed));
                }
                if cfg.story
                    && let Some(seen) = SynSeen::of(&seg, &facts)
                {
                    out.marks.push(mark(What::Seen {
                        local: facts.conn.0,
                        seen,
                        ts_ns,
                    }));
                }
            } else {
                an.pass(frame, ts_ns, src, tcp.flags());
            }
            while let Some(rec) = an.pop_finished() {
                out.marks.push(mark(What::HandedOut));
                out.records.push(rec);
            }
            last_now = Some(now);
        }
        // The pages before this worker's reader are done with, for it.
        out.offset = input.offset();
        if last {
            break;
        }
        let next = ShardOut {
            offset: 0,
            marks: Vec::with_capacity(out.marks.capacity()),
            records: Vec::with_capacity(out.records.capacity()),
            counts: out.counts,
            first_ts: out.first_ts,
            last_ts: out.last_ts,
            end: None,
        };
        if tx.send(std::mem::replace(&mut out, next)).is_err() {
            return;
        }
    }
    out.end = Some(End {
        finished: an.finish(),
        error,
        last_now,
    });
    let _ = tx.send(out);
}

/// The merge's side of the threads (see the module documentation).
#[derive(Debug)]
pub(super) struct Shards {
    outs: Vec<Receiver<ShardOut>>,
    /// Per worker: its numbers of the connections not yet handed out for
    /// good, and theirs in the whole capture.
    numbers: Vec<HashMap<u64, u64, FastHashBuilder>>,
    /// The next connection number.
    next: u64,
    /// Connections tracked now over all workers, and the most at once.
    live: u64,
    peak_live: u64,
    /// Each worker's end.
    finished: Vec<(usize, Finished)>,
    /// The input ended (`Some(e)`: damage) with the chunk merged last.
    end: Option<Option<Error>>,
    /// The chunk being merged, and where each worker's marks are.
    chunk: Vec<ShardOut>,
    pos: Vec<usize>,
    /// The capture file mapped for every worker: the merge releases the
    /// pages all of them are past.
    #[cfg(feature = "mmap")]
    map: Option<Arc<MmapCapture>>,
    /// The workers and the feeder, joined when the merge is dropped.
    threads: Vec<JoinHandle<()>>,
}

impl Drop for Shards {
    /// Waits for the threads: closing the channels ends a worker at its next
    /// chunk (and the feeder when the workers are gone), so that no thread
    /// of the analysis outlives it.
    fn drop(&mut self) {
        self.outs.clear();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// Starts the threads of `a` (its source moves to the feeder, unless each
/// worker opens the file itself); `false` (nothing changed) when a thread
/// cannot be started.
pub(super) fn start(a: &mut Analysis) -> bool {
    let n = a.cfg.threads;
    let cfg = AnalyzerConfig {
        memory_budget: a.cfg.memory_budget / n,
        ..a.cfg
    };
    // The file mapped once for all workers, or else each worker's own
    // reader of it, when there is one.
    #[cfg(feature = "mmap")]
    let map = a
        .path
        .as_ref()
        .and_then(|p| MmapCapture::open(p).ok())
        .map(Arc::new);
    #[cfg(feature = "mmap")]
    let mapped = map.as_ref().and_then(|m| read_each(m, n, &a.name));
    #[cfg(not(feature = "mmap"))]
    let mapped: Option<Vec<Input>> = None;
    let own = mapped.or_else(|| {
        let sources = open_each(a.path.as_ref()?, n)?;
        Some(
            sources
                .into_iter()
                .map(|source| Input::Own {
                    source: Box::new(source),
                    name: a.name.clone(),
                })
                .collect(),
        )
    });
    let mut inputs = Vec::with_capacity(n);
    let mut feeds = Vec::new();
    match own {
        Some(own) => inputs = own,
        None => {
            for _ in 0..n {
                let (tx, rx) = sync_channel(IN_FLIGHT);
                feeds.push(tx);
                inputs.push(Input::Fed {
                    rx,
                    block: Arc::default(),
                    next: 0,
                });
            }
        }
    }
    let mut outs = Vec::with_capacity(n);
    let mut threads = Vec::with_capacity(n + 1);
    for (i, input) in inputs.into_iter().enumerate() {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let spawned = std::thread::Builder::new()
            .name(format!("tcpkit-worker-{i}"))
            .spawn(move || work(i, n, cfg, input, tx));
        match spawned {
            Ok(t) => threads.push(t),
            // The threads started end when their channels close.
            Err(_) => return false,
        }
        outs.push(rx);
    }
    let mut shards = Shards {
        outs,
        numbers: (0..n).map(|_| HashMap::default()).collect(),
        next: 0,
        live: 0,
        peak_live: 0,
        finished: Vec::with_capacity(n),
        end: None,
        chunk: Vec::with_capacity(n),
        pos: vec![0; n],
        #[cfg(feature = "mmap")]
        map,
        threads,
    };
    if !feeds.is_empty() {
        let placeholder = Source::Live(Live {
            ended: true,
            ..Live::default()
        });
        let source = std::mem::replace(&mut a.source, placeholder);
        let name = a.name.clone();
        let spawned = std::thread::Builder::new()
            .name("tcpkit-feeder".into())
            .spawn(move || feed(source, name, feeds));
        match spawned {
            Ok(t) => shards.threads.push(t),
            // The source went with the thread that did not start.
            Err(e) => {
                shards.end = Some(Some(Error::Capture(other(&format!(
                    "cannot start the feeder thread: {e}"
                )))));
            }
        }
    }
    a.analyzer = None;
    a.shards = Some(Box::new(shards));
    true
}

/// `n` readers of the capture file at `path` (`None`: it cannot be opened
/// again, the feeder reads it).
fn open_each(path: &Path, n: usize) -> Option<Vec<Source>> {
    (0..n)
        .map(|_| {
            let file = std::fs::File::open(path).ok()?;
            let reader = StreamReader::new(Box::new(file) as Box<dyn Read + Send>).ok()?;
            Some(Source::Stream(reader))
        })
        .collect()
}

/// The bytes of a capture file mapped for every worker.
#[cfg(feature = "mmap")]
#[derive(Clone)]
struct Mapped(Arc<MmapCapture>);

#[cfg(feature = "mmap")]
impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// `n` readers of the mapped capture file `map`, each from its start
/// (`None`: its header is damaged; the readers of the file then say so).
#[cfg(feature = "mmap")]
fn read_each(map: &Arc<MmapCapture>, n: usize, name: &str) -> Option<Vec<Input>> {
    map.advise_sequential();
    let reader = BytesReader::new(Mapped(Arc::clone(map))).ok()?;
    Some(
        (0..n)
            .map(|_| Input::Mapped {
                reader: reader.clone(),
                name: name.to_string(),
            })
            .collect(),
    )
}

/// Gives a record of worker `s` its number in the whole capture (an
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
        self.chunk.clear();
        for rx in &self.outs {
            let Ok(o) = rx.recv() else {
                a.phase = Phase::Ending;
                return Some(stopped());
            };
            self.chunk.push(o);
        }
        if let Some(o) = self.chunk.first() {
            a.counts = o.counts;
            a.first_ts = o.first_ts;
            a.last_ts = o.last_ts;
        }
        #[cfg(feature = "mmap")]
        if let (Some(map), Some(past)) = (&self.map, self.chunk.iter().map(|o| o.offset).min()) {
            map.release_before(usize::try_from(past).unwrap_or(usize::MAX));
        }
        let mut kept: Vec<Vec<Connection>> = self
            .chunk
            .iter_mut()
            .map(|o| std::mem::take(&mut o.records))
            .collect();
        let mut records: Vec<std::vec::Drain<'_, Connection>> =
            kept.iter_mut().map(|v| v.drain(..)).collect();
        self.pos.iter_mut().for_each(|p| *p = 0);
        loop {
            // The next frame with marks, and its clocks.
            let head = self
                .chunk
                .iter()
                .zip(&self.pos)
                .filter_map(|(o, &p)| o.marks.get(p))
                .min_by_key(|m| m.frame)
                .copied();
            let Some(head) = head else {
                break;
            };
            // What one thread released at the segments since the last frame
            // with marks.
            if let Some(before) = head.before {
                a.hand_out(Some(before));
            }
            let (mut gone, mut came) = (0u64, 0u64);
            for (s, o) in self.chunk.iter().enumerate() {
                while let Some(m) = o.marks.get(self.pos[s]).filter(|m| m.frame == head.frame) {
                    self.pos[s] += 1;
                    match m.what {
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
                        What::HandedOut => {
                            if let Some(rec) = records[s].next() {
                                gone += 1;
                                a.batch.push(Box::new(renumber(&mut self.numbers[s], rec)));
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
            a.hand_out(Some(head.now));
        }
        drop(records);
        a.stats.segments = a.counts.tcp - a.counts.short_header;
        a.stats.connections = self.next;
        a.stats.peak_live = self.peak_live;
        let mut ended = 0;
        let mut error = None;
        for (s, o) in self.chunk.iter_mut().enumerate() {
            if let Some(end) = o.end.take() {
                ended += 1;
                error = error.or(end.error);
                if let Some(now) = end.last_now.filter(|_| s == 0) {
                    // What one thread released at the last segment.
                    a.hand_out(Some(now));
                }
                self.finished.push((s, end.finished));
            }
        }
        drop(kept);
        if ended > 0 {
            self.end = Some(if ended == self.outs.len() {
                error
            } else {
                Some(error.unwrap_or_else(stopped))
            });
        }
        None
    }

    /// The end of the input: the connections every worker still had
    /// (numbered) into `batch`, and the counters of the whole run.
    // Boxed as `Analysis` keeps them (see its `batch`).
    #[allow(clippy::vec_box)]
    pub(super) fn finish(&mut self, batch: &mut Vec<Box<Connection>>) -> AnalyzerStats {
        let mut st = AnalyzerStats::default();
        // Each worker's connections come in its number order, which is the
        // order of their numbers in the whole capture: merged, the batch is
        // in number order already (the hand-out's sort then only checks it).
        let mut parts = Vec::with_capacity(self.finished.len());
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
                let part: Vec<Connection> = fin
                    .connections
                    .into_iter()
                    .map(|rec| renumber(numbers, rec))
                    .collect();
                parts.push(part.into_iter().peekable());
            }
        }
        batch.reserve(parts.iter().map(ExactSizeIterator::len).sum());
        loop {
            let first = parts
                .iter_mut()
                .enumerate()
                .filter_map(|(i, p)| p.peek().map(|r| ((r.conn, r.resumed_frame), i)))
                .min();
            let Some(rec) = first.and_then(|(_, i)| parts.get_mut(i)?.next()) else {
                break;
            };
            batch.push(Box::new(rec));
        }
        st.peak_live = self.peak_live;
        st
    }
}

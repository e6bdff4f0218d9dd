//! The threaded form of [`Analysis`] ([`AnalyzerConfig::threads`] of 2 or
//! more): `n` workers, each analysing its share of the connections over the
//! whole capture, and the merge on the caller's thread.
//!
//! ```text
//! chunk k (CHUNK_PACKETS packet records): worker k % n reads it, counts
//!   its packets and walks each to its TCP header (wire::decode_tcp), once
//!   for all workers: per analysable segment a head (frame, time, source,
//!   flags, the worker of its 4-tuple) and, for that worker, where its TCP
//!   bytes lie (ranges of the mapped file, no copy)
//! worker i, over every chunk in order: Analyzer::observe its own segments
//!   (read whole only there), Analyzer::pass the others' (the capture's
//!   clock and listener evidence)
//!   -> per chunk: marks (frame: opened, resumed, SYN seen, handed out)
//!      + records
//! caller (merge): the chunk's marks of all workers in frame order, then
//!   the one-thread hand-out (numbers, cross-check, report, order)
//! ```
//!
//! A worker reads its own chunks up to `LEAD` chunks ahead of the one it
//! analyses, so that the others find them ready. Where its next chunk
//! starts, a worker of the map learns from the worker of the chunk before
//! (`Starts`: the reader as it is after that chunk), and steps over records
//! ([`crate::capture::BytesReader::skip_packet`]) only when that worker is
//! behind; a worker of another input steps over every other worker's chunk.
//! While it analyses, a worker asks for the headers of its segments a few
//! ahead ([`crate::capture::MmapCapture::prefetch`]): the worker that read
//! their chunk touched them long before, maybe on the other core. A chunk's
//! buffers go back to the worker that made them once every worker is done
//! with it (allocated, reused and freed on one thread).
//!
//! Each worker has a reader of the input. A regular file opened by path
//! ([`Analysis::open`]) is mapped into memory once (cargo feature `mmap`, see
//! [`crate::capture::MmapCapture`] for its precondition) and every worker
//! reads the one map; the merge releases the pages all workers are past, so
//! that resident memory does not grow with the file. Without the feature, or
//! when mapping fails, each worker opens and reads the file itself (and a
//! chunk carries a copy of its packets' bytes). Any other input is read by
//! one more thread, the feeder, which hands the packets' bytes, in blocks,
//! to every worker. The merge waits for each worker's chunk, a worker for
//! the other workers' chunks of the capture.
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
//! Memory: bounded channels (a few chunks in flight per worker, a few blocks
//! of the feeder's; a worker's chunks at most `LEAD` ahead of the slowest
//! worker's); each worker keeps its own listener evidence (at most
//! [`crate::analysis::LISTENERS_KEPT`] endpoints). No thread outlives the
//! analysis: dropping it closes the channels and joins the threads.

use super::{Analysis, InputCounts, Live, Phase, Source, SynSeen, count_packet, other};
use crate::analysis::{Analyzer, AnalyzerConfig, AnalyzerStats, Connection, Finished};
#[cfg(feature = "mmap")]
use crate::capture::{BytesReader, MmapCapture, PacketSource};
use crate::capture::{LinkType, Packet, StreamReader};
use crate::error::Error;
use crate::flow::{ConnId, Endpoint, FastHashBuilder};
use crate::wire::{DetachedTcp, Segment, TcpFlags};
#[cfg(feature = "mmap")]
use std::collections::BTreeMap;
use std::collections::{HashMap, VecDeque};
use std::io::Read;
use std::net::IpAddr;
use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// Packet records in a chunk: read and decoded by one worker for all, and
/// what a worker hands the merge at a time (8 under `cfg(fuzzing)`, so
/// that the fuzzer's small inputs cross many chunks).
const CHUNK_PACKETS: u64 = if cfg!(fuzzing) { 8 } else { 1 << 13 };
/// Chunks a worker reads ahead of the one it analyses.
const LEAD: u64 = 3;
/// Chunks (and the feeder's blocks) in flight on each channel to the merge
/// (from the feeder) at most.
const IN_FLIGHT: usize = 4;
/// Bytes of packet data in a feeder's block (about).
const BLOCK_BYTES: usize = 1 << 20;
/// A worker asks for the first bytes of a packet this many of its segments
/// before it analyses it ...
const PREFETCH_AHEAD: usize = 8;
/// ... that many: two cache lines, the link, IP and TCP headers most often.
const PREFETCHED: usize = 128;

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
    /// The damage that ended the input (one worker has it).
    error: Option<Error>,
    /// The capture time one thread handed out with at the last segment.
    last_now: Option<i64>,
}

/// A worker's chunk, in frame order.
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

/// Where a worker's packets come from.
enum Input {
    /// Its own reader of the capture file.
    Own { source: Box<Source>, name: String },
    /// Its own reader of the capture file mapped for all workers, moved to
    /// the start of each of its chunks ([`Starts`]).
    #[cfg(feature = "mmap")]
    Mapped {
        reader: BytesReader<Mapped>,
        name: String,
        starts: Arc<Mutex<Starts>>,
        /// This worker.
        me: usize,
    },
    /// The feeder's blocks.
    Fed {
        rx: Receiver<Arc<Block>>,
        block: Arc<Block>,
        next: usize,
    },
}

impl Input {
    /// The next packet; `Ok(None)` at the end of the input.
    #[inline]
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
            Input::Mapped { reader, name, .. } => match reader.next_packet() {
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

    /// Makes ready to read chunk `k` (this worker's) next: `false` when the
    /// input ended before it. A reader of the map moves to where chunk `k`
    /// starts ([`Starts`]); any other reader is there already.
    fn go_to_chunk(&mut self, k: u64) -> bool {
        #[cfg(feature = "mmap")]
        if let Input::Mapped {
            reader, starts, me, ..
        } = self
        {
            let Some(start) = claim(starts, *me, k) else {
                return false;
            };
            *reader = start;
            return true;
        }
        let _ = k;
        true
    }

    /// Chunk `k` was read (`last`: the input ended in it): a reader of the
    /// map tells the worker of chunk `k + 1` where it starts.
    fn chunk_read(&self, k: u64, last: bool) {
        #[cfg(feature = "mmap")]
        if let Input::Mapped { reader, starts, .. } = self {
            starts
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .publish(k, (!last).then(|| reader.clone()));
        }
        let _ = (k, last);
    }

    /// Steps over the next chunk, another worker's: `Ok(false)` when the
    /// input ended in it, the damage that ended it. Nothing to do for a
    /// reader of the map, which learns where its chunks start
    /// ([`Input::go_to_chunk`]).
    fn step_over_chunk(&mut self) -> Result<bool, Error> {
        #[cfg(feature = "mmap")]
        if let Input::Mapped { .. } = self {
            return Ok(true);
        }
        for _ in 0..CHUNK_PACKETS {
            if self.next()?.is_none() {
                return Ok(false);
            }
        }
        Ok(true)
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

/// An analysable segment of a chunk: what every worker needs of it (the
/// clock, the listener evidence, whose it is).
#[derive(Debug, Clone, Copy)]
struct Head {
    frame: u64,
    ts_ns: i64,
    /// The latest capture time of the chunk's packets up to this one.
    now: i64,
    src: Endpoint,
    flags: TcpFlags,
    /// The worker that analyses it.
    owner: u32,
}

/// A segment of a chunk for the worker that analyses it: found, not yet
/// read; its packet's bytes a range of the mapped file (or of the chunk's
/// copy).
#[derive(Debug, Clone, Copy)]
struct Ours {
    at: usize,
    len: usize,
    tcp: DetachedTcp,
}

impl Ours {
    /// The segment, borrowing from `bytes`.
    fn segment<'a>(&self, bytes: &'a [u8]) -> Option<Segment<'a>> {
        let data = bytes.get(self.at..self.at.checked_add(self.len)?)?;
        Some(self.tcp.attach(data)?.segment())
    }
}

/// `CHUNK_PACKETS` packet records (fewer at the end of the input), read
/// and decoded by one worker for all: chunk `k` by worker `k % n`.
#[derive(Debug, Default)]
struct Chunk {
    /// Its analysable segments, in frame order.
    heads: Vec<Head>,
    /// Per worker, the segments it analyses, in frame order.
    ours: Vec<Vec<Ours>>,
    /// The packets' bytes, when the input is not a file mapped for all.
    copied: Vec<u8>,
    /// What became of its packets ([`count_packet`]), its first and latest
    /// capture time.
    counts: InputCounts,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    /// Where the reader was after it.
    end_offset: u64,
    /// The input ends with it (at its end or at damage).
    last: bool,
}

impl Chunk {
    /// An empty chunk for `n` workers, reusing `old`'s buffers.
    fn reuse(old: Option<Chunk>, n: usize) -> Chunk {
        let mut c = old.unwrap_or_default();
        c.heads.clear();
        c.ours.resize_with(n, Vec::new);
        c.ours.iter_mut().for_each(Vec::clear);
        c.copied.clear();
        Chunk {
            counts: InputCounts::default(),
            first_ts: None,
            last_ts: None,
            end_offset: 0,
            last: false,
            ..c
        }
    }
}

/// Reads and decodes the next chunk of `input` into `c` (empty) for `n`
/// workers; the damage that ended it, if any.
fn produce(input: &mut Input, n: usize, map: Option<&[u8]>, c: &mut Chunk) -> Option<Error> {
    let mut error = None;
    for _ in 0..CHUNK_PACKETS {
        let p = match input.next() {
            Ok(Some(p)) => p,
            Ok(None) => {
                c.last = true;
                break;
            }
            Err(e) => {
                c.last = true;
                error = Some(e);
                break;
            }
        };
        let Some(tcp) = count_packet(&mut c.counts, &mut c.first_ts, &mut c.last_ts, &p) else {
            continue;
        };
        if !tcp.analysable() {
            c.counts.short_header += 1;
            continue;
        }
        let ((src_ip, dst_ip), (sport, dport)) = (tcp.addrs(), tcp.ports());
        let src = Endpoint {
            ip: src_ip,
            port: sport,
        };
        let dst = Endpoint {
            ip: dst_ip,
            port: dport,
        };
        let owner = shard_of(&src, &dst, n);
        // (Always: a segment's bytes are a part of its packet's.)
        let Some(detached) = tcp.detach(p.data) else {
            continue;
        };
        // The packet's bytes in the map, else copied.
        let in_map = map.and_then(|m| {
            let at = (p.data.as_ptr() as usize).checked_sub(m.as_ptr() as usize)?;
            (at.checked_add(p.data.len())? <= m.len()).then_some(at)
        });
        let at = in_map.unwrap_or_else(|| {
            c.copied.extend_from_slice(p.data);
            c.copied.len() - p.data.len()
        });
        let Some(ours) = c.ours.get_mut(owner) else {
            continue;
        };
        ours.push(Ours {
            at,
            len: p.data.len(),
            tcp: detached,
        });
        c.heads.push(Head {
            frame: p.frame,
            ts_ns: p.ts_ns,
            now: c.last_ts.unwrap_or(p.ts_ns),
            src,
            flags: tcp.flags(),
            owner: owner as u32,
        });
    }
    c.end_offset = input.offset();
    error
}

/// A worker's side of the chunks: its own, read ahead, and the other
/// workers' channels.
struct Exchange {
    me: usize,
    n: usize,
    /// The next chunk to read or step over, and whether the input ended.
    next: u64,
    ended: bool,
    /// Its chunks read, not yet analysed.
    own: VecDeque<Arc<Chunk>>,
    /// Its chunks analysed, for their buffers once the others are done
    /// with them too (so that a chunk's memory is reused, and freed, by the
    /// thread that allocated it).
    done: VecDeque<Arc<Chunk>>,
    /// The damage that ended the input, when its reader met it.
    error: Option<Error>,
    to: Vec<Option<SyncSender<Arc<Chunk>>>>,
    from: Vec<Option<Receiver<Arc<Chunk>>>>,
}

impl Exchange {
    /// Chunk `k` (`None`: a thread stopped); reads its own chunks up to
    /// `k + LEAD` first, so that the others find them ready.
    fn take(&mut self, k: u64, input: &mut Input, map: Option<&[u8]>) -> Option<Arc<Chunk>> {
        while !self.ended && self.next <= k + LEAD {
            if self.next % self.n as u64 == self.me as u64 {
                // The buffers of a chunk every worker is done with.
                let free = self.done.front().is_some_and(|c| Arc::strong_count(c) == 1);
                let old = if free {
                    self.done.pop_front().and_then(Arc::into_inner)
                } else {
                    None
                };
                if !input.go_to_chunk(self.next) {
                    // The input ended in an earlier chunk: every worker
                    // stops at that one.
                    self.ended = true;
                    break;
                }
                let mut c = Chunk::reuse(old, self.n);
                let error = produce(input, self.n, map, &mut c);
                input.chunk_read(self.next, c.last);
                self.ended = c.last;
                self.error = self.error.take().or(error);
                let c = Arc::new(c);
                for tx in self.to.iter().flatten() {
                    tx.send(Arc::clone(&c)).ok()?;
                }
                self.own.push_back(c);
            } else {
                match input.step_over_chunk() {
                    Ok(more) => self.ended = !more,
                    Err(e) => {
                        self.ended = true;
                        self.error = self.error.take().or(Some(e));
                    }
                }
            }
            self.next += 1;
        }
        let owner = (k % self.n as u64) as usize;
        if owner == self.me {
            let c = self.own.pop_front()?;
            // Kept for its buffers (a few, the oldest first).
            if self.done.len() > usize::try_from(LEAD).unwrap_or(0) {
                self.done.pop_front();
            }
            self.done.push_back(Arc::clone(&c));
            Some(c)
        } else {
            self.from.get(owner)?.as_ref()?.recv().ok()
        }
    }
}

/// A worker: analyses the connections of share `me` of `n` over every
/// chunk in order (reading and decoding its own chunks for all), and sends
/// what its analyser did to the merge, chunk by chunk.
fn work(
    mut x: Exchange,
    cfg: AnalyzerConfig,
    mut input: Input,
    map: Option<Mapped>,
    tx: SyncSender<ShardOut>,
) {
    let me = x.me;
    let mapped = map.as_ref().map(Mapped::as_ref);
    let mut an = Analyzer::new(cfg);
    let mut out = ShardOut::default();
    // The capture time one thread hands out with at the last segment.
    let mut last_now: Option<i64> = None;
    for k in 0.. {
        let Some(chunk) = x.take(k, &mut input, mapped) else {
            return;
        };
        let bytes = mapped.unwrap_or(&chunk.copied);
        let mine = chunk.ours.get(me).map_or(&[][..], Vec::as_slice);
        // The headers of the segments a few ahead of the one analysed are
        // brought into the cache meanwhile (the worker that read their chunk
        // touched them long ago, maybe on the other core).
        let ahead = |i: usize| {
            if let (Some(m), Some(o)) = (&map, mine.get(i)) {
                m.prefetch(o.at, PREFETCHED);
            }
        };
        (0..PREFETCH_AHEAD).for_each(ahead);
        let mut ours = mine.iter().enumerate();
        for h in &chunk.heads {
            let now = out.last_ts.map_or(h.now, |t| t.max(h.now));
            let mark = |what| Mark {
                frame: h.frame,
                before: last_now,
                now,
                what,
            };
            if h.owner as usize == me {
                let Some(seg) = ours.next().and_then(|(i, o)| {
                    ahead(i + PREFETCH_AHEAD);
                    o.segment(bytes)
                }) else {
                    continue;
                };
                let resumed = an.stats().resumed;
                let facts = an.observe(h.frame, h.ts_ns, &seg);
                if facts.new_conn {
                    out.marks.push(mark(What::Opened {
                        local: facts.conn.0,
                        ts_ns: h.ts_ns,
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
                        ts_ns: h.ts_ns,
                    }));
                }
            } else {
                an.pass(h.frame, h.ts_ns, h.src, h.flags);
            }
            while let Some(rec) = an.pop_finished() {
                out.marks.push(mark(What::HandedOut));
                out.records.push(rec);
            }
            last_now = Some(now);
        }
        out.counts.add(&chunk.counts);
        if out.first_ts.is_none() {
            out.first_ts = chunk.first_ts;
        }
        out.last_ts = out.last_ts.max(chunk.last_ts);
        // The pages before both this worker's reader and the chunk are done
        // with, for this worker.
        out.offset = chunk.end_offset.min(input.offset());
        if chunk.last {
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
        error: x.error.take(),
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
    // The bytes the workers' chunks point into.
    #[cfg(feature = "mmap")]
    let shared = map
        .as_ref()
        .filter(|_| mapped.is_some())
        .map(|m| Mapped(Arc::clone(m)));
    #[cfg(not(feature = "mmap"))]
    let shared: Option<Mapped> = None;
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
    for (i, (input, x)) in inputs.into_iter().zip(exchanges(n)).enumerate() {
        let (tx, rx) = sync_channel(IN_FLIGHT);
        let map = shared.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("tcpkit-worker-{i}"))
            .spawn(move || work(x, cfg, input, map, tx));
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

/// The `n` workers' ends of the channels that carry each one's chunks to
/// every other.
fn exchanges(n: usize) -> Vec<Exchange> {
    let mut xs: Vec<Exchange> = (0..n)
        .map(|me| Exchange {
            me,
            n,
            next: 0,
            ended: false,
            own: VecDeque::new(),
            done: VecDeque::new(),
            error: None,
            to: (0..n).map(|_| None).collect(),
            from: (0..n).map(|_| None).collect(),
        })
        .collect();
    // A worker analyses chunk k only when it has every chunk before it, and
    // reads its own at most LEAD ahead: no worker is ever more than about
    // 2 LEAD / n of another's chunks ahead of it, so sends never block.
    let room = usize::try_from(2 * LEAD).unwrap_or(usize::MAX) + 2;
    for p in 0..n {
        for c in (0..n).filter(|&c| c != p) {
            let (tx, rx) = sync_channel(room);
            xs[p].to[c] = Some(tx);
            xs[c].from[p] = Some(rx);
        }
    }
    xs
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

/// No file is mapped without the `mmap` feature.
#[cfg(not(feature = "mmap"))]
#[derive(Clone)]
enum Mapped {}

#[cfg(not(feature = "mmap"))]
impl Mapped {
    fn prefetch(&self, _at: usize, _len: usize) {
        match *self {}
    }
}

#[cfg(feature = "mmap")]
impl Mapped {
    fn prefetch(&self, at: usize, len: usize) {
        self.0.prefetch(at, len);
    }
}

#[cfg(not(feature = "mmap"))]
impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        match *self {}
    }
}

#[cfg(feature = "mmap")]
impl AsRef<[u8]> for Mapped {
    fn as_ref(&self) -> &[u8] {
        self.0.as_bytes()
    }
}

/// Where the chunks of a file mapped for all workers start: the worker that
/// reads chunk `k` leaves its reader, as it is after the chunk, for the
/// worker of chunk `k + 1`, so that a worker seldom steps over the records of
/// chunks it does not read (its first touch of them would be a cache miss a
/// record). A worker that finds its chunk's start not yet left (the worker
/// before it is behind) does not wait: it steps over the chunks from the
/// latest start left, as every worker once stepped over every other's.
#[cfg(feature = "mmap")]
struct Starts {
    /// Readers at the start of chunks, by chunk: the latest at or before
    /// the chunk each worker claims next, and every one after it.
    found: BTreeMap<u64, BytesReader<Mapped>>,
    /// Per worker, the chunk it claims next (`k`, then `k + n`, ...).
    wanted: Vec<u64>,
    /// The input ended in this chunk: there is none after it.
    last: Option<u64>,
}

#[cfg(feature = "mmap")]
impl Starts {
    fn new(first: BytesReader<Mapped>, workers: usize) -> Self {
        Self {
            found: BTreeMap::from([(0, first)]),
            wanted: (0..workers as u64).collect(),
            last: None,
        }
    }

    /// Chunk `k` was read: `next` is a reader at the start of chunk `k + 1`
    /// (`None`: the input ended in chunk `k`).
    fn publish(&mut self, k: u64, next: Option<BytesReader<Mapped>>) {
        match next {
            Some(r) => {
                self.found.insert(k + 1, r);
            }
            None => self.last = Some(self.last.map_or(k, |l| l.min(k))),
        }
    }

    /// Worker `me` claims chunk `k`: the latest start left at or before it
    /// (`None`: the input ended before chunk `k`). The starts no worker can
    /// want any more are dropped.
    fn claim(&mut self, me: usize, k: u64) -> Option<(u64, BytesReader<Mapped>)> {
        if self.last.is_some_and(|l| k > l) {
            return None;
        }
        let latest = self
            .found
            .range(..=k)
            .next_back()
            .map(|(c, r)| (*c, r.clone()));
        let n = self.wanted.len() as u64;
        if let Some(w) = self.wanted.get_mut(me) {
            *w = k + n;
        }
        let soonest = self.wanted.iter().copied().min().unwrap_or(k);
        if let Some(&from) = self.found.range(..=soonest).next_back().map(|(c, _)| c) {
            self.found = self.found.split_off(&from);
        }
        latest
    }
}

/// A reader at the start of chunk `k` for worker `me` (`None`: the input
/// ends before it), from the latest start left at or before it and stepping
/// over the chunks in between, if any (outside the lock).
#[cfg(feature = "mmap")]
fn claim(starts: &Mutex<Starts>, me: usize, k: u64) -> Option<BytesReader<Mapped>> {
    let (mut at, mut reader) = starts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .claim(me, k)?;
    while at < k {
        for _ in 0..CHUNK_PACKETS {
            // The end, or damage, which the worker of that chunk meets and
            // reports: no chunk `k`.
            if !matches!(reader.skip_packet(), Some(Ok(()))) {
                return None;
            }
        }
        at += 1;
    }
    Some(reader)
}

/// `n` readers of the mapped capture file `map`, sharing where its chunks
/// start (`None`: its header is damaged; the readers of the file then say
/// so).
#[cfg(feature = "mmap")]
fn read_each(map: &Arc<MmapCapture>, n: usize, name: &str) -> Option<Vec<Input>> {
    map.advise_sequential();
    let reader = BytesReader::new(Mapped(Arc::clone(map))).ok()?;
    let starts = Arc::new(Mutex::new(Starts::new(reader.clone(), n)));
    Some(
        (0..n)
            .map(|me| Input::Mapped {
                reader: reader.clone(),
                name: name.to_string(),
                starts: Arc::clone(&starts),
                me,
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

#[cfg(all(test, feature = "mmap"))]
mod tests {
    use super::*;

    /// A pcap file of `records` records of 60 bytes (nothing in them: the
    /// walk reads only the record headers), cut `cut` bytes short.
    fn capture(records: usize, cut: usize) -> Arc<MmapCapture> {
        let mut b = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
        b.extend([0; 8]);
        b.extend(65_535u32.to_le_bytes());
        b.extend(1u32.to_le_bytes());
        for i in 0..records {
            b.extend((i as u32).to_le_bytes());
            b.extend(0u32.to_le_bytes());
            b.extend(60u32.to_le_bytes());
            b.extend(60u32.to_le_bytes());
            b.extend([0; 60]);
        }
        b.truncate(b.len() - cut);
        let dir = std::env::temp_dir().join(format!("tcpkit-starts-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{records}-{cut}.pcap"));
        std::fs::write(&path, &b).unwrap();
        let map = Arc::new(MmapCapture::open(&path).unwrap());
        std::fs::remove_file(&path).unwrap();
        map
    }

    fn reader(map: &Arc<MmapCapture>) -> BytesReader<Mapped> {
        BytesReader::new(Mapped(Arc::clone(map))).unwrap()
    }

    /// Where chunk `k` starts, by stepping over every record before it.
    fn walked(map: &Arc<MmapCapture>, k: u64) -> u64 {
        let mut r = reader(map);
        for _ in 0..k * CHUNK_PACKETS {
            r.skip_packet().unwrap().unwrap();
        }
        r.offset()
    }

    /// A start left by the worker of the chunk before is taken as it is; a
    /// start not yet left is found by stepping over the chunks from the
    /// latest one left; after the chunk the input ended in, there is none.
    #[test]
    fn a_chunk_starts_where_the_records_before_it_end() {
        let chunk = CHUNK_PACKETS as usize;
        let map = capture(3 * chunk + chunk / 2, 0);
        let starts = Mutex::new(Starts::new(reader(&map), 2));
        let at = |k: u64| claim(&starts, (k % 2) as usize, k).map(|r| r.offset());
        assert_eq!(at(0), Some(walked(&map, 0)));
        // Nothing left yet for chunks 1 and 2: stepped over from chunk 0.
        assert_eq!(at(1), Some(walked(&map, 1)));
        assert_eq!(at(2), Some(walked(&map, 2)));
        // Chunk 2's worker leaves where chunk 3 starts: taken as it is (a
        // reader put elsewhere on purpose shows it was not walked again).
        let mut elsewhere = reader(&map);
        elsewhere.skip_packet().unwrap().unwrap();
        let marked = elsewhere.offset();
        starts.lock().unwrap().publish(2, Some(elsewhere));
        assert_eq!(at(3), Some(marked));
        // Chunk 3 is the last (half a chunk): none after it.
        starts.lock().unwrap().publish(3, None);
        assert_eq!(at(4), None);
        assert_eq!(at(9), None);
    }

    /// The starts a worker behind the others will want are kept however
    /// many the others leave; those no worker can want are dropped.
    #[test]
    fn a_worker_behind_finds_its_start() {
        let chunk = CHUNK_PACKETS as usize;
        let map = capture(6 * chunk, 0);
        let mut starts = Starts::new(reader(&map), 2);
        // Worker 0 reads chunks 0, 2, 4 and leaves the start after each (the
        // readers' positions do not matter here); worker 1 reads nothing, so
        // worker 0 finds the start after its own chunk before.
        for k in [0, 2, 4] {
            let (at, _) = starts.claim(0, k).unwrap();
            assert_eq!(at, k.saturating_sub(1));
            starts.publish(k, Some(reader(&map)));
        }
        // Worker 1 still wants chunk 1: its start is kept.
        assert!(starts.found.contains_key(&1));
        assert_eq!(starts.claim(1, 1).map(|(at, _)| at), Some(1));
        // Now both want chunk 3 or later: the starts before 3 are gone.
        assert_eq!(starts.claim(1, 3).map(|(at, _)| at), Some(3));
        assert!(
            starts.found.keys().all(|&c| c >= 3),
            "{:?}",
            starts.found.keys()
        );
    }

    /// When the records end (cut inside one) before chunk `k`, stepping over
    /// finds no chunk `k`: the worker of the damaged chunk reports it.
    #[test]
    fn no_chunk_starts_past_the_end_or_damage() {
        let chunk = CHUNK_PACKETS as usize;
        for (records, cut) in [(chunk + 10, 0), (chunk + 10, 7), (2 * chunk, 7)] {
            let map = capture(records, cut);
            let starts = Mutex::new(Starts::new(reader(&map), 3));
            assert!(claim(&starts, 1, 1).is_some(), "{records} {cut}");
            assert!(claim(&starts, 2, 2).is_none(), "{records} {cut}");
        }
        // Exactly two chunks: chunk 2 starts at the end, and is empty.
        let map = capture(2 * chunk, 0);
        let starts = Mutex::new(Starts::new(reader(&map), 2));
        let mut r = claim(&starts, 0, 2).unwrap();
        assert!(r.skip_packet().is_none());
    }
}

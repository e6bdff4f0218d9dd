//! [`Analysis`]: the one driver from a capture to segment rows, finished
//! connections and the capture-wide report.
//!
//! ```text
//! source (path | "-" | io::Read | bytes | mmap | push)
//!   -> capture reader -> Packet -> wire::decode -> Segment
//!   -> Segment::analysable? -> Analyzer::observe -> SegmentFacts   => Event::Segment
//!   -> Analyzer::pop_finished / finish -> Connection (+ story)
//!   -> cross-check on per-host state, report::Diagnostics          => Event::Connection
//!   -> end of input (or damage)                                     => Event::Report, once
//! ```
//!
//! Order of the connections: as they are handed out, by capture time, and
//! among those handed out by the same segment by connection number; at the end
//! of the input (or after damage) the rest in connection-number order.
//!
//! Cross-connection check (see [`story::cross_check`]): a story whose SYN train
//! reveals `tcp_syn_retries` is withdrawn that inference when its client host
//! closed a connection between its last SYN and the next SYN due. The driver
//! keeps, per client host, the close times of the connections handed out
//! that fall within 120 s (the longest a next SYN can be due) after the last
//! SYN of a connection of that host whose SYNs are still unanswered (no other
//! close can matter), and holds a story
//! with that inference until capture time is [`AnalyzerConfig::linger_ns`] past
//! its next SYN due (so that a connection closing in the window has been
//! handed out), or the end of the input. Memory stays bounded by the live
//! connections; a connection that closed in the window but is handed out
//! later than that (a half-closed one left open) is not seen, which the batch
//! [`story::cross_check`] over all stories would have seen.
//!
//! Threads ([`AnalyzerConfig::threads`] of 2 or more, for a consumer of
//! connections of an input the analysis reads itself): `n` workers each
//! read and decode every packet of the capture (a regular file opened by
//! path is mapped once for all, with the `mmap` feature, or else opened by
//! each; any other input is read once and its packets handed to every
//! worker), and each analyses its share of the connections by 4-tuple; the
//! caller's thread
//! merges, numbering, cross-checking and handing out exactly as above (see
//! `driver/shard.rs` for why the events are the same; the memory budget is
//! split between the workers). [`Analysis::interfaces`] is then empty unless
//! the input is a file opened by path.

use crate::analysis::story;
use crate::analysis::{Analyzer, AnalyzerConfig, AnalyzerStats, Connection, SegmentFacts};
use crate::capture::{
    BytesReader, Interface, LinkType, Packet, PacketSource, SliceReader, StreamReader,
};
use crate::error::{CaptureError, CaptureErrorKind, DecodeError, Error};
use crate::flow::{Direction, FastHashBuilder};
use crate::report::{Diagnostics, Report};
use crate::wire::{self, Segment};
use std::cmp::Reverse;
use std::collections::{BTreeSet, BinaryHeap, HashMap, VecDeque};
use std::io::Read;
use std::net::IpAddr;
use std::path::{Path, PathBuf};

mod shard;

/// One TCP segment as it was read: the packet, the decoded segment (both
/// borrowed from the reader's buffer until the next event) and what the
/// analysis found.
#[derive(Debug, Clone, Copy)]
pub struct SegmentRow<'a> {
    /// The packet (frame number, capture time, link type, lengths, bytes).
    pub packet: Packet<'a>,
    /// The decoded TCP segment.
    pub segment: Segment<'a>,
    /// The per-segment analysis; `None` when the segment cannot be analysed
    /// ([`Segment::analysable`]: its header is under 20 bytes) or the
    /// analysis is off ([`Analysis::analyse`]).
    pub facts: Option<SegmentFacts>,
}

/// What [`Analysis::next_event`] yields.
// The segment row is the hot path: boxing it would allocate per segment.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub enum Event<'a> {
    /// A TCP segment, in capture order.
    Segment(SegmentRow<'a>),
    /// A connection that is over, with its story when stories are on.
    Connection(Box<Connection>),
    /// The capture-wide report, once, after every connection.
    Report(Box<Report>),
}

/// Packets read so far, by what became of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct InputCounts {
    /// Packet records read.
    pub packets: u64,
    /// TCP segments.
    pub tcp: u64,
    /// Packets that decoded to something other than TCP.
    pub not_tcp: u64,
    /// Packets that could not be decoded.
    pub undecodable: u64,
    /// TCP segments not analysed: header under 20 bytes
    /// ([`Segment::analysable`]).
    pub short_header: u64,
    /// The first packet that could not be decoded: its frame and why.
    pub first_undecodable: Option<(u64, DecodeError)>,
}

/// A decoded segment without its borrow: its options and payload as ranges
/// of the packet's bytes, so that it is lent again without decoding twice.
#[derive(Debug, Clone, Copy)]
struct Detached {
    seg: Segment<'static>,
    options: (usize, usize),
    declared: u8,
    payload: (usize, usize),
}

impl Detached {
    /// `None` when a part does not lie in `data` (then decode again).
    fn of(seg: &Segment<'_>, data: &[u8]) -> Option<Self> {
        let range = |part: &[u8]| -> Option<(usize, usize)> {
            if part.is_empty() {
                return Some((0, 0));
            }
            let start = (part.as_ptr() as usize).checked_sub(data.as_ptr() as usize)?;
            (start.checked_add(part.len())? <= data.len()).then_some((start, part.len()))
        };
        Some(Self {
            seg: Segment {
                ip: seg.ip,
                sport: seg.sport,
                dport: seg.dport,
                seq: seg.seq,
                ack: seg.ack,
                flags: seg.flags,
                window: seg.window,
                checksum: seg.checksum,
                urgent: seg.urgent,
                header_len: seg.header_len,
                header_captured: seg.header_captured,
                options: wire::Options::default(),
                payload: &[],
                payload_len: seg.payload_len,
                truncated: seg.truncated,
            },
            options: range(seg.options.bytes())?,
            declared: u8::try_from(seg.options.declared_len()).unwrap_or(u8::MAX),
            payload: range(seg.payload)?,
        })
    }

    /// The segment again, borrowing from the same bytes.
    fn attach<'a>(&self, data: &'a [u8]) -> Segment<'a> {
        let part = |(at, len): (usize, usize)| data.get(at..at + len).unwrap_or_default();
        Segment {
            options: wire::Options::with_declared(part(self.options), self.declared),
            payload: part(self.payload),
            ..self.seg
        }
    }
}

/// Bytes the [`Analysis`] owns.
struct Owned(Box<dyn AsRef<[u8]> + Send>);

impl AsRef<[u8]> for Owned {
    fn as_ref(&self) -> &[u8] {
        (*self.0).as_ref()
    }
}

impl std::fmt::Debug for Owned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} bytes", self.as_ref().len())
    }
}

/// A packet given to [`Analysis::push`].
#[derive(Debug)]
struct Pushed {
    frame: u64,
    ts_ns: i64,
    link_type: LinkType,
    orig_len: u32,
    interface: u32,
    data: Vec<u8>,
}

#[derive(Debug, Default)]
struct Live {
    queue: VecDeque<Pushed>,
    current: Option<Pushed>,
    spare: Vec<Vec<u8>>,
    frames: u64,
    ended: bool,
}

enum Source {
    Stream(StreamReader<Box<dyn Read + Send>>),
    Bytes(BytesReader<Owned>),
    Live(Live),
    Chain(Box<Chain>),
}

/// One file of a capture rotated into several ([`Analysis::open_many`]).
enum Part {
    Path(PathBuf),
    Bytes(String, Owned),
}

impl Part {
    fn name(&self) -> String {
        match self {
            Part::Path(p) => p.display().to_string(),
            Part::Bytes(n, _) => n.clone(),
        }
    }

    fn open(self) -> Result<Source, Error> {
        let name = self.name();
        let named = |e: Error| e.named(&name);
        Ok(match self {
            Part::Path(p) => {
                let file = std::fs::File::open(p).map_err(|e| named(e.into()))?;
                Source::Stream(
                    StreamReader::new(Box::new(file) as Box<dyn Read + Send>)
                        .map_err(|e| named(e.into()))?,
                )
            }
            Part::Bytes(_, b) => Source::Bytes(BytesReader::new(b).map_err(|e| named(e.into()))?),
        })
    }

    /// The capture time of the file's first packet (`None`: no packet, or
    /// damage before it); the file's header is checked.
    fn first_ts(&self) -> Result<Option<i64>, Error> {
        let named = |e: Error| e.named(&self.name());
        match self {
            Part::Path(p) => {
                let file = std::fs::File::open(p).map_err(|e| named(e.into()))?;
                let mut r = StreamReader::new(file).map_err(|e| named(e.into()))?;
                Ok(r.next_packet().and_then(Result::ok).map(|p| p.ts_ns))
            }
            Part::Bytes(_, b) => {
                let mut r = SliceReader::new(b.as_ref()).map_err(|e| named(e.into()))?;
                Ok(r.next_packet().and_then(Result::ok).map(|p| p.ts_ns))
            }
        }
    }
}

/// Files read one after the other as if concatenated: frame numbers go on
/// from one file to the next.
struct Chain {
    /// The files still to read, in order.
    pending: VecDeque<Part>,
    /// The file being read and its name.
    reader: Option<(Source, String)>,
    /// Packet records in the files read before this one.
    base: u64,
    /// The last frame (in its file) of the file being read.
    last: u64,
}

impl Chain {
    fn advance(&mut self) -> Option<Result<(), CaptureError>> {
        loop {
            if let Some((r, _)) = self.reader.as_mut() {
                match r.advance() {
                    Some(Ok(())) => {
                        self.last = r.current().map_or(self.last, |p| p.frame);
                        return Some(Ok(()));
                    }
                    Some(Err(mut e)) => {
                        e.frame = e.frame.map(|f| f.saturating_add(self.base));
                        return Some(Err(e));
                    }
                    None => {
                        self.base = self.base.saturating_add(self.last);
                        self.last = 0;
                        self.reader = None;
                    }
                }
            }
            let part = self.pending.pop_front()?;
            let name = part.name();
            match part.open() {
                Ok(src) => self.reader = Some((src, name)),
                Err(e) => return Some(Err(other(&e.to_string()))),
            }
        }
    }

    fn current(&self) -> Option<Packet<'_>> {
        let mut p = self.reader.as_ref()?.0.current()?;
        p.frame = p.frame.saturating_add(self.base);
        Some(p)
    }
}

impl std::fmt::Debug for Source {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Source::Stream(_) => "Stream",
            Source::Bytes(_) => "Bytes",
            Source::Live(_) => "Live",
            Source::Chain(_) => "Chain",
        })
    }
}

impl Source {
    /// Moves to the next packet (`None`: no more, for now when live).
    fn advance(&mut self) -> Option<Result<(), CaptureError>> {
        match self {
            Source::Stream(r) => r.next_packet().map(|p| p.map(|_| ())),
            Source::Bytes(r) => r.next_packet().map(|p| p.map(|_| ())),
            Source::Live(l) => {
                if let Some(old) = l.current.take() {
                    l.spare.push(old.data);
                }
                l.current = Some(l.queue.pop_front()?);
                Some(Ok(()))
            }
            Source::Chain(c) => c.advance(),
        }
    }

    /// Moves to the next packet and lends it ([`Source::advance`] and
    /// [`Source::current`] in one step: a file's reader yields it as it reads
    /// it).
    fn next_packet(&mut self) -> Option<Result<Packet<'_>, CaptureError>> {
        match self {
            Source::Stream(r) => r.next_packet(),
            Source::Bytes(r) => r.next_packet(),
            other => match other.advance()? {
                Ok(()) => other.current().map(Ok),
                Err(e) => Some(Err(e)),
            },
        }
    }

    /// The packet [`Source::advance`] moved to.
    fn current(&self) -> Option<Packet<'_>> {
        match self {
            Source::Stream(r) => r.current(),
            Source::Bytes(r) => r.current(),
            Source::Live(l) => l.current.as_ref().map(|p| Packet {
                frame: p.frame,
                ts_ns: p.ts_ns,
                link_type: p.link_type,
                orig_len: p.orig_len,
                data: &p.data,
                interface: p.interface,
            }),
            Source::Chain(c) => c.current(),
        }
    }

    /// Where the reader is in its file (0 when it is not one file).
    fn offset(&self) -> u64 {
        match self {
            Source::Stream(r) => r.offset(),
            Source::Bytes(r) => r.offset(),
            Source::Live(_) | Source::Chain(_) => 0,
        }
    }

    /// The file being read, when the input is several files.
    fn file(&self) -> Option<&str> {
        match self {
            Source::Chain(c) => c.reader.as_ref().map(|(_, n)| n.as_str()),
            _ => None,
        }
    }

    /// The damage [`Source::advance`] met, named by the file being read
    /// (`name`: the input's, when it is one file).
    fn damage(&self, name: &str, e: CaptureError) -> Error {
        Error::from(e).named(self.file().unwrap_or(name))
    }

    fn interfaces(&self) -> &[Interface] {
        match self {
            Source::Stream(r) => r.interfaces(),
            Source::Bytes(r) => r.interfaces(),
            Source::Live(_) => &[],
            Source::Chain(c) => c.reader.as_ref().map_or(&[], |(r, _)| r.interfaces()),
        }
    }

    /// More packets may come later (live, input not finished).
    fn waiting(&self) -> bool {
        matches!(self, Source::Live(l) if !l.ended)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Reading,
    Ending,
    Report,
    Done,
}

/// A connection of a client host whose SYNs are unanswered so far.
#[derive(Debug, Clone, Copy)]
struct Candidate {
    host: IpAddr,
    last_syn: i64,
    answered: bool,
}

/// The latest a next SYN can be due after the last one (`next_due` in
/// `story::infer` caps the doubled interval at Linux's `TCP_RTO_MAX`, 120 s).
const MAX_SYN_DUE_NS: i64 = 120_000_000_000;

/// Can a client close at `t` fall in the window (last SYN, next SYN due) of
/// one of the host's unanswered SYN trains (by their last SYN, in `floor`)?
/// Later trains start after the close was seen, so they cannot use it.
fn relevant(floor: &BTreeSet<(i64, u64)>, t: i64) -> bool {
    floor
        .range((t.saturating_sub(MAX_SYN_DUE_NS), 0)..(t, 0))
        .next()
        .is_some()
}

/// A client host's (connection, first close) of connections handed out, and
/// the length at which they are pruned next.
type Closes = (Vec<(u64, i64)>, usize);

/// The bounded per-host state of the streaming cross-check (module doc).
#[derive(Debug, Default)]
struct CrossCheck {
    /// Per client host: (connection, first close) of connections handed out.
    closes: HashMap<IpAddr, Closes, FastHashBuilder>,
    /// Live (or held) connections whose client sent SYNs, by number.
    candidates: HashMap<u64, Candidate, FastHashBuilder>,
    /// Per client host, the last SYN of its unanswered candidates.
    floor: HashMap<IpAddr, BTreeSet<(i64, u64)>, FastHashBuilder>,
    /// Stories with a `tcp_syn_retries` to check, by release time.
    held: BinaryHeap<Reverse<(i64, u64)>>,
    held_records: HashMap<u64, Box<Connection>, FastHashBuilder>,
}

/// What a segment tells the cross-check: a client's SYN (its host), or the
/// server's answer (a SYN-ACK or a RST).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SynSeen {
    ClientSyn(IpAddr),
    Answer,
}

impl SynSeen {
    fn of(seg: &Segment<'_>, facts: &SegmentFacts) -> Option<Self> {
        let fl = seg.flags;
        if facts.dir == Direction::ClientToServer && fl.syn() && !fl.ack() {
            Some(Self::ClientSyn(seg.ip.src))
        } else if facts.dir == Direction::ServerToClient && (fl.rst() || (fl.syn() && fl.ack())) {
            Some(Self::Answer)
        } else {
            None
        }
    }
}

impl CrossCheck {
    /// Inline: most segments are neither a SYN, a SYN-ACK nor a reset.
    #[inline(always)]
    fn observe(&mut self, seg: &Segment<'_>, ts_ns: i64, facts: &SegmentFacts) {
        if !(seg.flags.syn() || seg.flags.rst()) {
            return;
        }
        if let Some(seen) = SynSeen::of(seg, facts) {
            self.seen(facts.conn.0, seen, ts_ns);
        }
    }

    /// What a segment of connection `conn` at `ts_ns` told (see [`SynSeen`]).
    fn seen(&mut self, conn: u64, seen: SynSeen, ts_ns: i64) {
        match seen {
            SynSeen::ClientSyn(host) => {
                let c = self.candidates.entry(conn).or_insert(Candidate {
                    host,
                    last_syn: ts_ns,
                    answered: false,
                });
                if !c.answered {
                    let f = self.floor.entry(c.host).or_default();
                    f.remove(&(c.last_syn, conn));
                    c.last_syn = ts_ns;
                    f.insert((ts_ns, conn));
                }
            }
            SynSeen::Answer => {
                if let Some(c) = self.candidates.get_mut(&conn).filter(|c| !c.answered) {
                    c.answered = true;
                    let (host, last) = (c.host, c.last_syn);
                    self.unfloor(host, last, conn);
                }
            }
        }
    }

    fn unfloor(&mut self, host: IpAddr, last_syn: i64, conn: u64) {
        if let Some(f) = self.floor.get_mut(&host) {
            f.remove(&(last_syn, conn));
            if f.is_empty() {
                // No SYN train of the host is unanswered: no close matters.
                self.floor.remove(&host);
                self.closes.remove(&host);
            }
        }
    }

    fn forget(&mut self, conn: u64) {
        if let Some(c) = self.candidates.remove(&conn)
            && !c.answered
        {
            self.unfloor(c.host, c.last_syn, conn);
        }
    }

    /// A story handed out: remembers its client's close; `Some(record)` when
    /// it can go out now, `None` when it is held for the check.
    fn finished(&mut self, rec: Box<Connection>, release_after_ns: u64) -> Option<Box<Connection>> {
        if rec.story.is_none() {
            self.forget(rec.conn.0);
            return Some(rec);
        }
        if let Some(t) = story::client_close_ns(&rec) {
            let host = rec.client.ip;
            // Kept only while it can fall in the window of a SYN train of the
            // host still unanswered (see `relevant`).
            if let Some(floor) = self.floor.get(&host).filter(|f| relevant(f, t)) {
                let (v, cap) = self.closes.entry(host).or_insert((Vec::new(), 32));
                v.push((rec.conn.0, t));
                if v.len() >= *cap {
                    v.retain(|&(_, t)| relevant(floor, t));
                    *cap = (v.len() * 2).max(32);
                }
            }
        }
        match story::syn_retries_window(&rec) {
            Some((_, until)) => {
                let at = until.saturating_add(i64::try_from(release_after_ns).unwrap_or(i64::MAX));
                self.held.push(Reverse((at, rec.conn.0)));
                self.held_records.insert(rec.conn.0, rec);
                None
            }
            None => {
                self.forget(rec.conn.0);
                Some(rec)
            }
        }
    }

    /// Held stories due by `now` (all with `None`), checked, in (release,
    /// number) order.
    fn release(&mut self, now: Option<i64>, out: &mut VecDeque<Box<Connection>>) {
        while let Some(&Reverse((at, conn))) = self.held.peek() {
            if now.is_some_and(|n| at > n) {
                break;
            }
            self.held.pop();
            let Some(mut rec) = self.held_records.remove(&conn) else {
                continue;
            };
            self.check(&mut rec);
            self.forget(conn);
            out.push_back(rec);
        }
    }

    fn check(&self, s: &mut Connection) {
        let Some((last, until)) = story::syn_retries_window(s) else {
            return;
        };
        // As the batch form: the close of the lowest-numbered connection.
        let hit = self.closes.get(&s.client.ip).and_then(|(v, _)| {
            v.iter()
                .filter(|&&(_, t)| t > last && t < until)
                .min_by_key(|&&(c, _)| c)
        });
        if let Some(&(_, t)) = hit {
            story::withdraw_syn_retries(s, t);
        }
    }
}

/// What became of the next packet ([`Analysis::take_packet`]).
// The row is the hot path (every segment, with segment rows on): boxing it
// would allocate per segment.
#[allow(clippy::large_enum_variant)]
enum Taken {
    /// A TCP segment to yield as a row (its facts when analysed), re-attached
    /// to the packet's bytes once the reader lends them again.
    Row(Option<SegmentFacts>, Option<Detached>),
    /// Read (and analysed), nothing to yield for it.
    Nothing,
    /// No packet for now (the push form).
    Waiting,
    /// The input is over.
    End,
    /// The input is damaged there.
    Damage(CaptureError),
}

impl Taken {
    /// A segment read: its row when the analysis yields rows (`rows`).
    fn segment(rows: bool, facts: Option<SegmentFacts>, detached: Option<Detached>) -> Self {
        if rows {
            Taken::Row(facts, detached)
        } else {
            Taken::Nothing
        }
    }
}

/// The one driver: reads a capture (or takes pushed packets), decodes,
/// analyses, and yields [`Event`]s as it goes. Owns its input (no lifetime):
/// it can be stored, boxed or moved to another thread.
///
/// ```no_run
/// use tcpkit_core::{Analysis, Event, analysis::AnalyzerConfig};
/// let mut a = Analysis::open("capture.pcap", AnalyzerConfig::default())?;
/// while let Some(ev) = a.next_event() {
///     match ev? {
///         Event::Segment(row) => { let _ = row.facts; }
///         Event::Connection(c) => println!("connection {} ended: {:?}", c.conn.0, c.end),
///         Event::Report(r) => println!("{} connections", r.connections),
///     }
/// }
/// # Ok::<(), tcpkit_core::Error>(())
/// ```
///
/// Damage: a capture cut or damaged in the middle yields every segment before
/// the damage, then the error once (`name: frame N, byte offset O: reason`),
/// then every connection not yet handed out and the report, then `None`.
#[derive(Debug)]
pub struct Analysis {
    name: String,
    source: Source,
    cfg: AnalyzerConfig,
    analyse: bool,
    segments: bool,
    /// The [`Event::Report`] is yielded ([`Analysis::report`]).
    report: bool,
    analyzer: Option<Analyzer>,
    stats: AnalyzerStats,
    diagnostics: Option<Diagnostics>,
    checks: CrossCheck,
    /// Connections handed out, not yet yielded, and those finished, not yet
    /// handed out: boxed once, as they are yielded ([`Event::Connection`]),
    /// so that the sort and the queues move pointers, not 480-byte records.
    out: VecDeque<Box<Connection>>,
    #[allow(clippy::vec_box)]
    batch: Vec<Box<Connection>>,
    phase: Phase,
    counts: InputCounts,
    first_ts: Option<i64>,
    last_ts: Option<i64>,
    /// Connections opened and not yet yielded: (first segment's time, number).
    open: BTreeSet<(i64, u64)>,
    /// The threads, once started ([`AnalyzerConfig::threads`]).
    shards: Option<Box<shard::Shards>>,
    /// The capture file, when the input is a regular file that the threads
    /// can open (or map) again and read themselves ([`Analysis::open`]).
    path: Option<PathBuf>,
}

impl Analysis {
    fn new(name: &str, source: Source, cfg: AnalyzerConfig) -> Self {
        Self {
            name: name.to_string(),
            source,
            cfg,
            analyse: true,
            segments: true,
            report: true,
            analyzer: Some(Analyzer::new(cfg)),
            stats: AnalyzerStats::default(),
            diagnostics: cfg.story.then(Diagnostics::new),
            checks: CrossCheck::default(),
            out: VecDeque::new(),
            batch: Vec::new(),
            phase: Phase::Reading,
            counts: InputCounts::default(),
            first_ts: None,
            last_ts: None,
            open: BTreeSet::new(),
            shards: None,
            path: None,
        }
    }

    /// Reads the capture file at `path` (streaming, bounded memory); `-`
    /// reads standard input. Errors name the path.
    pub fn open(path: impl AsRef<Path>, cfg: AnalyzerConfig) -> Result<Self, Error> {
        let path = path.as_ref();
        if path.as_os_str() == "-" {
            return Self::from_reader(std::io::stdin(), "stdin", cfg);
        }
        let name = path.display().to_string();
        let file = std::fs::File::open(path).map_err(|e| Error::from(e).named(&name))?;
        // Not a pipe or a device: the threads can open (or map) it again.
        let regular = file.metadata().is_ok_and(|m| m.is_file());
        let mut a = Self::from_reader(file, &name, cfg)?;
        a.path = regular.then(|| path.to_path_buf());
        Ok(a)
    }

    /// Reads a capture from any reader (a pipe, a socket, a decompressor),
    /// through a bounded buffer; `name` is for messages.
    pub fn from_reader(
        r: impl Read + Send + 'static,
        name: &str,
        cfg: AnalyzerConfig,
    ) -> Result<Self, Error> {
        let reader = StreamReader::new(Box::new(r) as Box<dyn Read + Send>)
            .map_err(|e| Error::from(e).named(name))?;
        Ok(Self::new(name, Source::Stream(reader), cfg))
    }

    /// Reads a capture held in memory (`Vec<u8>`, `Arc<[u8]>`, `&'static [u8]`...),
    /// zero-copy.
    pub fn from_bytes(
        bytes: impl AsRef<[u8]> + Send + 'static,
        cfg: AnalyzerConfig,
    ) -> Result<Self, Error> {
        let name = "capture in memory";
        let reader =
            BytesReader::new(Owned(Box::new(bytes))).map_err(|e| Error::from(e).named(name))?;
        Ok(Self::new(name, Source::Bytes(reader), cfg))
    }

    /// Reads several capture files as one capture, as if they were
    /// concatenated: a capture rotated by `tcpdump -C` or `-G`. The files
    /// are read in the order of their first packet's capture time (not of
    /// their names; files without a packet first; ties keep the order
    /// given); frame numbers go on from one file to the next; each file has
    /// its own header (format, link type, snapshot length, interfaces). A
    /// connection that spans two files is one connection, as in the
    /// concatenation. Damage in a file ends the input there (as in the
    /// concatenation), the error naming that file and the frame as counted
    /// across the files. Each file is opened once at the start (its header
    /// checked, its first packet's time read) and again when its turn comes.
    pub fn open_many<P: AsRef<Path>>(
        paths: impl IntoIterator<Item = P>,
        cfg: AnalyzerConfig,
    ) -> Result<Self, Error> {
        let parts = paths
            .into_iter()
            .map(|p| Part::Path(p.as_ref().to_path_buf()))
            .collect();
        Self::chain(parts, cfg)
    }

    /// As [`open_many`](Self::open_many), for files held in memory, each with
    /// its name (for messages).
    pub fn from_many_bytes<B: AsRef<[u8]> + Send + 'static>(
        parts: impl IntoIterator<Item = (String, B)>,
        cfg: AnalyzerConfig,
    ) -> Result<Self, Error> {
        let parts = parts
            .into_iter()
            .map(|(n, b)| Part::Bytes(n, Owned(Box::new(b))))
            .collect();
        Self::chain(parts, cfg)
    }

    fn chain(parts: Vec<Part>, cfg: AnalyzerConfig) -> Result<Self, Error> {
        let mut keyed = Vec::with_capacity(parts.len());
        for p in parts {
            keyed.push((p.first_ts()?, p));
        }
        // Stable: ties keep the order given (`None`, no packet, first).
        keyed.sort_by_key(|(t, _)| *t);
        let name = match keyed.as_slice() {
            [] => "no capture file".to_string(),
            [(_, p)] => p.name(),
            [(_, p), rest @ ..] => format!("{} and {} more files", p.name(), rest.len()),
        };
        let chain = Chain {
            pending: keyed.into_iter().map(|(_, p)| p).collect(),
            reader: None,
            base: 0,
            last: 0,
        };
        Ok(Self::new(&name, Source::Chain(Box::new(chain)), cfg))
    }

    /// Maps the capture file at `path` and reads it zero-copy (see
    /// [`crate::capture::MmapCapture`] for the precondition: nothing may modify the
    /// file while it is mapped).
    #[cfg(feature = "mmap")]
    pub fn mmap(path: impl AsRef<Path>, cfg: AnalyzerConfig) -> Result<Self, Error> {
        let path = path.as_ref();
        let name = path.display().to_string();
        let map = crate::capture::MmapCapture::open(path).map_err(|e| e.named(&name))?;
        let reader =
            BytesReader::new(Owned(Box::new(map))).map_err(|e| Error::from(e).named(&name))?;
        Ok(Self::new(&name, Source::Bytes(reader), cfg))
    }

    /// The push form, for packets that come from no file (a live capture
    /// callback): give packets with [`push`](Self::push), take the events with
    /// [`next_event`](Self::next_event) (which answers `None` when it needs
    /// more packets), and call [`finish_input`](Self::finish_input) at the end.
    pub fn live(cfg: AnalyzerConfig) -> Self {
        Self::new("live capture", Source::Live(Live::default()), cfg)
    }

    /// Turns the per-segment analysis (and so connections and stories) on or
    /// off (default on). Off, segments are only decoded: every
    /// [`SegmentRow::facts`] is `None`, no connection is yielded and the
    /// report is empty.
    pub fn analyse(mut self, on: bool) -> Self {
        self.analyse = on;
        self
    }

    /// Turns the [`Event::Segment`] rows on or off (default on). Off, the
    /// segments are still decoded and analysed, but only connections, errors
    /// and the report are yielded: what a consumer of connections needs,
    /// without lending a row per segment.
    pub fn segments(mut self, on: bool) -> Self {
        self.segments = on;
        self
    }

    /// Turns the capture-wide report on or off (default on). Off, its
    /// findings are not gathered and no [`Event::Report`] is yielded: for a
    /// consumer of segments or connections only. Set it before the first
    /// packet is read: the findings gather from there.
    pub fn report(mut self, on: bool) -> Self {
        self.report = on;
        self.diagnostics = (on && self.cfg.story).then(Diagnostics::new);
        self
    }

    /// Takes the next packet (push form), whole (not cut by a snapshot
    /// length: else use [`push_packet`](Self::push_packet) with its length on
    /// the wire), with its capture time and link type; frame numbers count
    /// from 1. The packet is copied; take the
    /// events it brings with [`next_event`](Self::next_event) before the next
    /// push (they queue otherwise). An error after
    /// [`finish_input`](Self::finish_input) or on an input that is not live.
    pub fn push(&mut self, ts_ns: i64, link_type: LinkType, data: &[u8]) -> Result<(), Error> {
        let frame = match &self.source {
            Source::Live(l) => l.frames + 1,
            _ => 0,
        };
        self.push_packet(&Packet {
            frame,
            ts_ns,
            link_type,
            orig_len: u32::try_from(data.len()).unwrap_or(u32::MAX),
            data,
            interface: 0,
        })
    }

    /// As [`push`](Self::push), with the packet's own frame number, length
    /// on the wire and interface (a packet read elsewhere).
    pub fn push_packet(&mut self, packet: &Packet<'_>) -> Result<(), Error> {
        let Source::Live(l) = &mut self.source else {
            return Err(Error::Capture(other(
                "push on an analysis that reads its own input",
            )));
        };
        if l.ended {
            return Err(Error::Capture(other("push after finish_input")));
        }
        let mut buf = l.spare.pop().unwrap_or_default();
        buf.clear();
        buf.extend_from_slice(packet.data);
        l.frames = packet.frame;
        l.queue.push_back(Pushed {
            frame: packet.frame,
            ts_ns: packet.ts_ns,
            link_type: packet.link_type,
            orig_len: packet.orig_len,
            interface: packet.interface,
            data: buf,
        });
        Ok(())
    }

    /// Push form: no more packets will come; the rest of the connections and
    /// the report follow from [`next_event`](Self::next_event).
    pub fn finish_input(&mut self) {
        if let Source::Live(l) = &mut self.source {
            l.ended = true;
        }
    }

    /// The input's name, as in messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Interfaces of the capture's current section (pcap: the file header's;
    /// none in the push form).
    pub fn interfaces(&self) -> &[Interface] {
        self.source.interfaces()
    }

    /// Packets read so far, by what became of them.
    pub fn counts(&self) -> InputCounts {
        self.counts
    }

    /// The analysis counters so far (connections, evictions, peak live...).
    pub fn stats(&self) -> AnalyzerStats {
        self.analyzer.as_ref().map_or(self.stats, Analyzer::stats)
    }

    /// Capture time of the first packet read (any protocol).
    pub fn first_ts_ns(&self) -> Option<i64> {
        self.first_ts
    }

    /// Latest capture time read so far (any protocol).
    pub fn last_ts_ns(&self) -> Option<i64> {
        self.last_ts
    }

    /// The first segment's time of the oldest connection opened and not yet
    /// yielded (`None`: none). Whatever happened before this time (and before
    /// [`last_ts_ns`](Self::last_ts_ns)) concerns only connections already
    /// yielded: what a consumer computes for such an instant (a table of
    /// sockets at that time) is complete.
    pub fn open_since_ns(&self) -> Option<i64> {
        self.open.first().map(|&(t, _)| t)
    }

    /// The next event: segments in capture order, with finished connections
    /// between them as they finish, then (at the end of the input) the rest
    /// of the connections in number order and the report; then `None`. In
    /// the push form, `None` before [`finish_input`](Self::finish_input)
    /// means "push more".
    pub fn next_event(&mut self) -> Option<Result<Event<'_>, Error>> {
        let (facts, detached) = loop {
            if let Some(rec) = self.out.pop_front() {
                if self.out.is_empty() {
                    self.out.shrink_to(KEEP_QUEUED);
                }
                self.open.remove(&(rec.first_ts_ns, rec.conn.0));
                return Some(Ok(Event::Connection(rec)));
            }
            match self.phase {
                Phase::Reading => {
                    if self.threaded() {
                        if let Some(e) = self.pump() {
                            return Some(Err(e));
                        }
                        continue;
                    }
                }
                Phase::Ending => {
                    self.end_input();
                    self.phase = Phase::Report;
                    continue;
                }
                Phase::Report => {
                    self.phase = Phase::Done;
                    if !self.report {
                        return None;
                    }
                    let stats = self.stats;
                    let report = self
                        .diagnostics
                        .take()
                        .map(|mut d| {
                            d.count_evictions(&stats);
                            d.finish()
                        })
                        .unwrap_or_default();
                    return Some(Ok(Event::Report(Box::new(report))));
                }
                Phase::Done => return None,
            }
            match self.take_packet() {
                Taken::Waiting => return None,
                Taken::End => {
                    self.phase = Phase::Ending;
                    continue;
                }
                Taken::Damage(e) => {
                    self.phase = Phase::Ending;
                    return Some(Err(self.source.damage(&self.name, e)));
                }
                Taken::Nothing => {}
                Taken::Row(facts, detached) => break (facts, detached),
            }
        };
        // Lent again from the packet (the first borrow could not leave the
        // loop): re-attached to its bytes, or (never, in practice) decoded
        // again.
        let packet = self.source.current()?;
        let segment = match detached {
            Some(d) => d.attach(packet.data),
            None => wire::decode(&packet).ok()??,
        };
        Some(Ok(Event::Segment(SegmentRow {
            packet,
            segment,
            facts,
        })))
    }

    /// Reads up to `max` more packet records without decoding or analysing
    /// them: a check of the capture's framing, which meets the damage that
    /// [`next_event`](Self::next_event) would meet, as the same error (file,
    /// frame, byte offset, reason), without the decoding and analysis that
    /// make up most of a pass (a fifteenth of its time on the benchmark
    /// capture). `Ok(true)` at the end of the input (of the packets pushed
    /// so far, in the push form). The records read are not analysed: the
    /// analysis is used up, and `next_event` then yields nothing.
    ///
    /// ```
    /// use tcpkit_core::{Analysis, analysis::AnalyzerConfig};
    /// let cut = &include_bytes!("../../testdata/captures/lab/handshake-close/capture.pcap")[..200];
    /// let mut a = Analysis::from_bytes(cut, AnalyzerConfig::default())?;
    /// let e = loop {
    ///     match a.check(1 << 16) {
    ///         Ok(true) => unreachable!("the capture is cut"),
    ///         Ok(false) => {}
    ///         Err(e) => break e,
    ///     }
    /// };
    /// assert!(e.to_string().starts_with("capture in memory: frame "));
    /// # Ok::<(), tcpkit_core::Error>(())
    /// ```
    pub fn check(&mut self, max: u64) -> Result<bool, Error> {
        self.phase = Phase::Done;
        for _ in 0..max {
            match self.source.advance() {
                None => return Ok(true),
                Some(Err(e)) => return Err(self.source.damage(&self.name, e)),
                Some(Ok(())) => {}
            }
        }
        Ok(false)
    }

    /// Runs on threads ([`AnalyzerConfig::threads`]), starting them at the
    /// first call: only for a consumer of connections (no segment rows) of an
    /// input the analysis reads itself (not the push form, whose packets come
    /// from the caller's thread one at a time).
    fn threaded(&mut self) -> bool {
        if self.shards.is_some() {
            return true;
        }
        self.cfg.threads > 1
            && self.analyse
            && !self.segments
            && self.analyzer.is_some()
            && self.counts.packets == 0
            && !matches!(self.source, Source::Live(_))
            && shard::start(self)
    }

    /// Merges the threads' next chunk (see [`shard`]).
    fn pump(&mut self) -> Option<Error> {
        let mut sh = self.shards.take()?;
        let r = sh.pump(self);
        self.shards = Some(sh);
        r
    }

    /// Reads the next packet, decodes and analyses it (the packet as the
    /// reader lends it: only the other fields are touched while it is).
    fn take_packet(&mut self) -> Taken {
        let waiting = self.source.waiting();
        let p = match self.source.next_packet() {
            Some(Ok(p)) => p,
            Some(Err(e)) => return Taken::Damage(e),
            None if waiting => return Taken::Waiting,
            None => return Taken::End,
        };
        let Some(tcp) = count_packet(&mut self.counts, &mut self.first_ts, &mut self.last_ts, &p)
        else {
            return Taken::Nothing;
        };
        let seg = tcp.segment();
        let detached = if self.segments {
            Detached::of(&seg, p.data)
        } else {
            None
        };
        if !seg.analysable() {
            self.counts.short_header += 1;
            return Taken::segment(self.segments, None, detached);
        }
        if !self.analyse {
            return Taken::segment(self.segments, None, detached);
        }
        let Some(an) = self.analyzer.as_mut() else {
            return Taken::Nothing;
        };
        let facts = an.observe(p.frame, p.ts_ns, &seg);
        if facts.new_conn {
            self.open.insert((p.ts_ns, facts.conn.0));
        }
        if self.cfg.story {
            self.checks.observe(&seg, p.ts_ns, &facts);
        }
        while let Some(rec) = an.pop_finished() {
            self.batch.push(Box::new(rec));
        }
        let now = self.last_ts;
        self.hand_out(now);
        // Without segment rows nothing is yielded: the facts are not moved out.
        Taken::segment(self.segments, Some(facts), detached)
    }

    /// Queues the connections handed out (`now`: the capture time; `None`:
    /// the end of the input), releasing the held ones that are due. Inline:
    /// at most segments there is nothing to hand out.
    #[inline]
    fn hand_out(&mut self, now: Option<i64>) {
        if !(self.batch.is_empty() && self.checks.held.is_empty()) {
            self.hand_out_some(now);
        }
    }

    /// [`hand_out`](Self::hand_out) when there is something to hand out or
    /// to release.
    #[inline(never)]
    fn hand_out_some(&mut self, now: Option<i64>) {
        let from = self.out.len();
        if now.is_some() {
            // Held earlier than this batch was handed out: first.
            self.checks.release(now, &mut self.out);
        }
        let mut batch = std::mem::take(&mut self.batch);
        // By number; the parts of a connection split by an eviction in order.
        batch.sort_unstable_by_key(|r| (r.conn, r.resumed_frame));
        for rec in batch.drain(..) {
            if let Some(d) = self.diagnostics.as_mut()
                && rec.story.is_some()
            {
                d.add(&rec);
            }
            if let Some(rec) = self.checks.finished(rec, self.cfg.linger_ns) {
                self.out.push_back(rec);
            }
        }
        batch.shrink_to(KEEP_QUEUED);
        self.batch = batch;
        if now.is_none() {
            self.checks.release(None, &mut self.out);
            if let Some(rest) = self.out.make_contiguous().get_mut(from..) {
                rest.sort_unstable_by_key(|r| (r.conn, r.resumed_frame));
            }
        }
    }

    /// The input is over (or damaged): every connection still tracked.
    fn end_input(&mut self) {
        if let Some(an) = self.analyzer.take() {
            let fin = an.finish();
            self.stats = fin.stats;
            self.batch.extend(fin.connections.into_iter().map(Box::new));
        } else if let Some(sh) = self.shards.as_mut() {
            self.stats = sh.finish(&mut self.batch);
        }
        self.hand_out(None);
    }
}

/// Connections the hand-out queues keep room for once empty: a burst (every
/// closed connection due at once after a quiet spell in the capture, or at
/// its end) leaves no buffers of its size behind.
const KEEP_QUEUED: usize = 4096;

/// Counts packet `p` (and its capture time) and decodes it up to its TCP
/// segment, if it is one (the one rule of the one-thread reading and the
/// threads'; [`wire::Tcp::segment`] reads the segment). Inlined into both:
/// the decoded header then stays in registers instead of going through the
/// stack (callgrind: 1.2 % fewer instructions over short connections).
#[inline(always)]
fn count_packet<'a>(
    counts: &mut InputCounts,
    first_ts: &mut Option<i64>,
    last_ts: &mut Option<i64>,
    p: &Packet<'a>,
) -> Option<wire::Tcp<'a>> {
    counts.packets += 1;
    first_ts.get_or_insert(p.ts_ns);
    *last_ts = Some(last_ts.map_or(p.ts_ns, |l| l.max(p.ts_ns)));
    match wire::decode_tcp(p) {
        Ok(Some(s)) => {
            counts.tcp += 1;
            Some(s)
        }
        Ok(None) => {
            counts.not_tcp += 1;
            None
        }
        Err(e) => {
            counts.undecodable += 1;
            counts.first_undecodable.get_or_insert((p.frame, e));
            None
        }
    }
}

fn other(msg: &str) -> CaptureError {
    CaptureError {
        offset: 0,
        frame: None,
        kind: CaptureErrorKind::Other(msg.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>() {}

    #[test]
    fn analysis_is_send() {
        assert_send::<Analysis>();
    }
}

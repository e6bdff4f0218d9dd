//! The one per-connection record, [`Connection`]: counters always, the story
//! (states, trains, RTT/RTO, close, inference, notes) when it was built.
//!
//! [`Tally`] fills the counters from `(frame, ts_ns, &Segment, &SegmentFacts)`
//! in capture order, the same input as the story's
//! [`StoryBuilder`](super::story::StoryBuilder); the analyzer runs it for every
//! connection, stories on or off. Times are integer nanoseconds: instants
//! since the epoch (`*_ts_ns`), durations (`*_ns`).

use super::roles::{self, RoleEvidence, Utterance};
use super::story::{PerDir, PerSide, Side, Story, StoryBuilder};
use super::{AnalysisFlags, SegmentFacts, WindowScale};
use crate::flow::{ConnId, Direction, Endpoint};
use crate::wire::{Options, Segment, TcpOption};

/// Options a side put in its SYN (or SYN-ACK).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SynOptions {
    /// Maximum segment size (RFC 9293 3.7.1).
    pub mss: Option<u16>,
    /// Window scale shift count as sent, not clamped (RFC 7323 2.2); `None` if absent.
    pub wscale: Option<u8>,
    /// SACK permitted (RFC 2018).
    pub sack_perm: bool,
    /// Timestamps option present (RFC 7323 3).
    pub timestamps: bool,
    /// TCP Fast Open option present, cookie or cookie request (RFC 7413).
    pub tfo: bool,
    /// Multipath TCP option present (RFC 8684).
    pub mptcp: bool,
}

impl SynOptions {
    /// Notes what one option says (options that are not SYN options are ignored).
    pub fn note(&mut self, opt: &TcpOption<'_>) {
        match *opt {
            TcpOption::Mss(v) => self.mss = Some(v),
            TcpOption::WindowScale(s) => self.wscale = Some(s),
            TcpOption::SackPermitted => self.sack_perm = true,
            TcpOption::Timestamps { .. } => self.timestamps = true,
            TcpOption::FastOpen { .. } => self.tfo = true,
            TcpOption::Mptcp { .. } => self.mptcp = true,
            _ => {}
        }
    }

    /// The SYN options of a segment (up to a malformed option, which ends the list).
    pub fn of(seg: &Segment<'_>) -> Self {
        SegmentOptions::of(seg.options).syn
    }
}

/// What the analysis reads of one segment's TCP options, from one walk of
/// them (up to a malformed option, which ends the list): the per-segment
/// rules, the counters and the story all read this.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SegmentOptions {
    /// The options a SYN is described by, noted on any segment (the rules
    /// apply a window scale option wherever it comes).
    pub syn: SynOptions,
    /// Sum of the SACK blocks' lengths (mod 2^32, as tshark sums them).
    pub sacked: u32,
    /// The first Timestamps option's value and echo reply.
    pub timestamps: Option<(u32, u32)>,
    /// More than one Timestamps option (the story then walks the list for each).
    pub several_timestamps: bool,
}

impl SegmentOptions {
    /// Reads `options`; the layout RFC 7323 recommends after the handshake
    /// (NOP, NOP, Timestamps) without a walk.
    #[inline]
    pub fn of(options: Options<'_>) -> Self {
        if let Some(ts) = options.usual_timestamps() {
            return Self {
                syn: SynOptions {
                    timestamps: true,
                    ..SynOptions::default()
                },
                timestamps: Some(ts),
                ..Self::default()
            };
        }
        Self::walk(options)
    }

    fn walk(options: Options<'_>) -> Self {
        let mut o = Self::default();
        for opt in options.iter() {
            match opt {
                Ok(TcpOption::Sack(blocks)) => {
                    for (l, r) in blocks.iter() {
                        o.sacked = o.sacked.wrapping_add(r.0.wrapping_sub(l.0));
                    }
                }
                Ok(TcpOption::Timestamps { val, ecr }) => {
                    if o.timestamps.is_some() {
                        o.several_timestamps = true;
                    } else {
                        o.timestamps = Some((val, ecr));
                    }
                    o.syn.timestamps = true;
                }
                Ok(other) => o.syn.note(&other),
                Err(_) => break,
            }
        }
        o
    }
}

/// Why a connection was handed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum EndReason {
    /// Both FINs or a RST were seen, and the linger time passed.
    Closed,
    /// No segment for longer than the idle timeout.
    Idle,
    /// Evicted under the memory budget ([`AnalyzerConfig::memory_budget`](super::AnalyzerConfig::memory_budget)):
    /// the least recently active connections go first. A compact entry is
    /// kept, so that if the connection speaks again a later record with the
    /// same number continues it (see [`Connection::resumed_frame`]).
    Evicted,
    /// A new SYN reused the 4-tuple and opened the next connection.
    PortReused,
    /// Still open at the end of the capture.
    #[default]
    EndOfCapture,
}

impl EndReason {
    /// The snake_case name (`end_of_capture`), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Idle => "idle",
            Self::Evicted => "evicted",
            Self::PortReused => "port_reused",
            Self::EndOfCapture => "end_of_capture",
        }
    }
}

/// How the three-way handshake went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Outcome {
    /// SYN, SYN-ACK and the ACK of the SYN-ACK were seen.
    Established,
    /// The SYN was answered by a RST (RFC 9293 3.10.7.1: no listener on the port).
    Refused,
    /// SYNs only: nothing came back.
    NoAnswer,
    /// SYN-ACKs were sent but never acknowledged.
    SynAckUnanswered,
    /// A SYN-ACK was answered by a RST (the client aborted the handshake).
    Reset,
    /// The capture began after the handshake: neither SYN nor SYN-ACK seen.
    #[default]
    Midstream,
    /// This record continues a connection evicted under the memory budget
    /// ([`Connection::resumed_frame`]): its handshake is in the earlier record
    /// with the same number.
    Resumed,
}

impl Outcome {
    /// The snake_case name (`syn_ack_unanswered`), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Established => "established",
            Self::Refused => "refused",
            Self::NoAnswer => "no_answer",
            Self::SynAckUnanswered => "syn_ack_unanswered",
            Self::Reset => "reset",
            Self::Midstream => "midstream",
            Self::Resumed => "resumed",
        }
    }
}

/// The first and last of a repeated segment kind, and how many were seen
/// (every send is listed in the story's retransmission train).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct FrameRun {
    /// How many.
    pub count: u32,
    /// First frame.
    pub first: Option<u64>,
    /// Last frame.
    pub last: Option<u64>,
    /// Capture time of the first, ns since the epoch.
    pub first_ts_ns: Option<i64>,
    /// Capture time of the last, ns since the epoch.
    pub last_ts_ns: Option<i64>,
}

impl FrameRun {
    fn push(&mut self, frame: u64, ts_ns: i64) {
        self.first.get_or_insert(frame);
        self.first_ts_ns.get_or_insert(ts_ns);
        self.last = Some(frame);
        self.last_ts_ns = Some(ts_ns);
        self.count = self.count.saturating_add(1);
    }
}

/// The handshake: which frames, when, the initial RTT, the outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Handshake {
    /// The SYNs without ACK (the first and its retransmissions).
    pub syn: FrameRun,
    /// The SYN-ACKs.
    pub syn_ack: FrameRun,
    /// The client's ACK of the SYN-ACK (the third packet).
    pub ack_frame: Option<u64>,
    /// Capture time of the third packet, ns since the epoch.
    pub ack_ts_ns: Option<i64>,
    /// Initial RTT, ns (tshark's `tcp.analysis.initial_rtt`: the most recent
    /// SYN to the first ACK).
    pub irtt_ns: Option<u64>,
    /// The verdict.
    pub outcome: Outcome,
}

/// Everything tcpkit knows about one connection when it is handed out
/// (`tcpkit flows --json`: one object each). Plain owned data.
///
/// The counters are always filled; `story` holds what the story adds when
/// [`AnalyzerConfig::story`](super::AnalyzerConfig::story) is on. Boxed: the
/// record stays small when it is moved or kept.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Connection {
    /// Connection number (tshark's `tcp.stream`).
    pub conn: ConnId,
    /// The side that sent the first SYN (or received the first SYN-ACK);
    /// mid-stream, the side the evidence says opened it (see `roles`).
    pub client: Endpoint,
    /// The other side.
    pub server: Endpoint,
    /// Neither SYN nor SYN-ACK was seen: the capture began mid-connection.
    pub midstream: bool,
    /// How the client and the server were told apart: seen in the handshake,
    /// or, mid-stream, guessed (by which evidence: see
    /// [`roles`](super::roles)).
    pub roles: RoleEvidence,
    /// First frame of the connection: the frame that opened its number
    /// (connections are numbered in the order of this frame, see
    /// [`Renumber`](super::Renumber)).
    pub first_frame: u64,
    /// Last frame of the connection (of this part, see `resumed_frame`).
    pub last_frame: u64,
    /// Time of the first segment, ns since the epoch.
    pub first_ts_ns: i64,
    /// Time of the last segment, ns since the epoch.
    pub last_ts_ns: i64,
    /// Segments per direction.
    pub packets: PerDir<u64>,
    /// Payload bytes per direction, each sequence byte counted once.
    pub bytes: PerDir<u64>,
    /// Segments tshark calls a retransmission (plain, fast or spurious), per direction.
    pub retransmissions: PerDir<u64>,
    /// Segments advertising a zero window, per direction of the advertiser.
    pub zero_window: PerDir<u64>,
    /// First frame with FIN, per direction.
    pub fin_frame: PerDir<Option<u64>>,
    /// First frame with RST, per direction.
    pub rst_frame: PerDir<Option<u64>>,
    /// The handshake.
    pub handshake: Handshake,
    /// SYN options of each side (`None`: its SYN / SYN-ACK was not seen).
    pub options: PerSide<Option<SynOptions>>,
    /// Window scale shift in force for each side's windows (RFC 7323 2.2: both
    /// SYNs carry the option; clamped to 14). `None`: not negotiated, or the
    /// handshake was not seen (then [`Connection::midstream`]).
    pub window_scale: PerSide<Option<u8>>,
    /// Why it was handed out.
    pub end: EndReason,
    /// This record ends at an eviction under the memory budget (`end` is
    /// [`EndReason::Evicted`]): the connection was idle while others needed
    /// the memory. If it speaks again, a later record with the same `conn`
    /// continues it (with `resumed_frame` set).
    pub evicted: bool,
    /// This record continues the connection after an eviction, from this
    /// frame on: its counters (packets, bytes, retransmissions, FIN/RST and
    /// handshake frames, SYN options) and its story cover this frame (at
    /// `resumed_ts_ns`) to `last_frame`; `first_frame`, `first_ts_ns`,
    /// `midstream` and `window_scale` stay the connection's, and the
    /// per-segment facts continue as those of an unbroken analysis (relative
    /// numbers, window scales, bytes in flight). The handshake outcome of
    /// such a part is [`Outcome::Resumed`] unless it saw a SYN itself.
    pub resumed_frame: Option<u64>,
    /// Capture time of `resumed_frame`, ns since the epoch.
    pub resumed_ts_ns: Option<i64>,
    /// The story (states, trains, RTT/RTO, close, inference, notes), when built.
    #[cfg_attr(feature = "serde", serde(flatten))]
    pub story: Option<Box<Story>>,
}

impl Connection {
    /// The endpoint of `side`.
    pub fn endpoint(&self, side: Side) -> Endpoint {
        match side {
            Side::Client => self.client,
            Side::Server => self.server,
        }
    }

    /// The shift count in force for `side`'s windows, if scaling is on.
    pub fn scale_shift(&self, side: Side) -> Option<u8> {
        *self.window_scale.get(side)
    }

    /// The window scale of `side` as tshark tells it
    /// (`tcp.window_size_scalefactor`): unknown without the handshake.
    pub fn window_scale_factor(&self, side: Side) -> WindowScale {
        match (
            self.scale_shift(side),
            self.options.client.and(self.options.server),
        ) {
            (Some(s), _) => WindowScale::Shift(s),
            (None, Some(_)) => WindowScale::NotUsed,
            // A part after an eviction whose connection's handshake was seen.
            (None, None) if self.resumed_frame.is_some() && !self.midstream => WindowScale::NotUsed,
            (None, None) => WindowScale::Unknown,
        }
    }
}

/// Counts one connection's segments into the counters of a [`Connection`].
#[derive(Debug, Clone, Default)]
pub struct Tally {
    seen: bool,
    client: Option<(Endpoint, Endpoint)>,
    first_frame: u64,
    last_frame: u64,
    first_ts: i64,
    last_ts: i64,
    packets: [u64; 2],
    bytes: [u64; 2],
    high: [Option<u64>; 2],
    retrans: [u64; 2],
    zero_window: [u64; 2],
    fin_frame: [Option<u64>; 2],
    rst_frame: [Option<u64>; 2],
    hs: Handshake,
    syn_ack_next: Option<u64>,
    irtt_ns: Option<u64>,
    options: [Option<SynOptions>; 2],
    /// A part after an eviction: what the earlier part knew.
    resumed: Option<Resumed>,
    /// Mid-stream: the first payload that read as a request or a response.
    utterance: Option<(Direction, Utterance)>,
    /// Payloads read for it so far.
    heard: u8,
}

/// Payloads of a mid-stream connection read for a request or a response.
const UTTERANCES_READ: u8 = 8;

/// What a [`Tally`] of a part after an eviction takes from the earlier part.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resumed {
    /// The connection's first frame and time.
    pub first_frame: u64,
    /// Capture time of the connection's first frame.
    pub first_ts_ns: i64,
    /// The connection began before the capture.
    pub midstream: bool,
    /// The window scale shifts the handshake negotiated (client's, server's).
    pub window_scale: [Option<u8>; 2],
    /// The roles of the earlier part, and whether its record was mirrored
    /// (the later part keeps them).
    pub roles: (RoleEvidence, bool),
}

impl Tally {
    /// An empty tally.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty tally for the part of a connection after its eviction.
    pub(crate) fn resumed(r: Resumed) -> Self {
        Self {
            resumed: Some(r),
            ..Self::default()
        }
    }

    /// The client in the analysis' orientation (the first segment's), once
    /// a segment was counted.
    pub(crate) fn client(&self) -> Option<Endpoint> {
        self.client.map(|(c, _)| c)
    }

    /// SYNs (without ACK) seen so far.
    pub fn syns(&self) -> u32 {
        self.hs.syn.count
    }

    /// SYN-ACKs seen so far.
    pub fn syn_acks(&self) -> u32 {
        self.hs.syn_ack.count
    }

    /// First RST frame of each direction so far.
    pub fn rst_frame(&self, dir: Direction) -> Option<u64> {
        self.rst_frame[dir.index()]
    }

    /// First FIN frame of each direction so far.
    pub fn fin_frame(&self, dir: Direction) -> Option<u64> {
        self.fin_frame[dir.index()]
    }

    /// Counts the next segment of the connection (capture order).
    pub fn observe(&mut self, frame: u64, ts_ns: i64, seg: &Segment<'_>, facts: &SegmentFacts) {
        self.observe_with(frame, ts_ns, seg, facts, &SegmentOptions::of(seg.options));
    }

    /// [`observe`](Self::observe) with the segment's options already read.
    #[inline]
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
        let fl = seg.flags;
        if !self.seen {
            self.seen = true;
            self.first_frame = frame;
            self.first_ts = ts_ns;
            self.last_ts = ts_ns;
            let (src, dst) = Endpoint::of(seg);
            self.client = Some(match dir {
                Direction::ClientToServer => (src, dst),
                Direction::ServerToClient => (dst, src),
            });
        }
        self.last_frame = frame;
        self.last_ts = self.last_ts.max(ts_ns);
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
        let af = facts.flags;
        if af.has(AnalysisFlags::RETRANSMISSION)
            || af.has(AnalysisFlags::FAST_RETRANSMISSION)
            || af.has(AnalysisFlags::SPURIOUS_RETRANSMISSION)
        {
            self.retrans[d] += 1;
        }
        if af.has(AnalysisFlags::ZERO_WINDOW) {
            self.zero_window[d] += 1;
        }
        if fl.fin() {
            self.fin_frame[d].get_or_insert(frame);
        }
        if fl.rst() {
            self.rst_frame[d].get_or_insert(frame);
        }
        if seg.payload_len > 0
            && self.utterance.is_none()
            && self.heard < UTTERANCES_READ
            && self.hs.syn.count == 0
            && self.hs.syn_ack.count == 0
        {
            self.heard += 1;
            self.utterance = roles::utterance(seg.payload).map(|u| (dir, u));
        }
        if facts.irtt_ns.is_some() && self.irtt_ns.is_none() {
            self.irtt_ns = facts.irtt_ns;
        }
        if fl.syn() {
            if !fl.ack() {
                self.hs.syn.push(frame, ts_ns);
                if self.options[0].is_none() {
                    self.options[0] = Some(opts.syn);
                }
            } else {
                self.hs.syn_ack.push(frame, ts_ns);
                if self.options[1].is_none() {
                    self.options[1] = Some(opts.syn);
                }
                self.syn_ack_next.get_or_insert(facts.next_seq);
            }
        } else if dir == Direction::ClientToServer
            && self.hs.ack_frame.is_none()
            && fl.ack()
            && !fl.rst()
            && self.syn_ack_next.is_some_and(|n| facts.ack >= n)
        {
            self.hs.ack_frame = Some(frame);
            self.hs.ack_ts_ns = Some(ts_ns);
        }
    }

    /// The record with the story `builder` finishes (fed the same segments),
    /// if any. `capture_last_ts_ns`: the time of the capture's last packet.
    /// Mid-stream, the roles are guessed without other connections'
    /// evidence (see [`roles`](super::roles)).
    pub fn finish_with_story(
        &self,
        conn: ConnId,
        end: EndReason,
        mut builder: Option<StoryBuilder>,
        capture_last_ts_ns: i64,
    ) -> Connection {
        self.finish_in_capture(conn, end, builder.as_mut(), capture_last_ts_ns, |_| false)
    }

    /// As [`finish_with_story`](Self::finish_with_story), with `listens`
    /// telling the endpoints seen answering a SYN in the capture.
    pub(crate) fn finish_in_capture(
        &self,
        conn: ConnId,
        end: EndReason,
        builder: Option<&mut StoryBuilder>,
        capture_last_ts_ns: i64,
        listens: impl Fn(&Endpoint) -> bool,
    ) -> Connection {
        let mut rec = self.finish(conn, end);
        let (evidence, swap) = match self.resumed {
            Some(r) => r.roles,
            None if rec.midstream => roles::guess(&rec, self.utterance, listens),
            None => (RoleEvidence::Handshake, false),
        };
        rec.roles = evidence;
        let mut client_busy = None;
        if let Some(b) = builder {
            client_busy = b.client_busy_ts_ns();
            rec.story = Some(Box::new(b.finish_in_place(&rec, capture_last_ts_ns)));
        }
        if swap {
            roles::mirror(&mut rec, client_busy);
        }
        rec
    }

    /// The record (counters only; `story` is `None`).
    pub fn finish(&self, conn: ConnId, end: EndReason) -> Connection {
        let unspecified = Endpoint {
            ip: std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
            port: 0,
        };
        let (client, server) = self.client.unwrap_or((unspecified, unspecified));
        let mut hs = self.hs;
        let no_handshake = hs.syn.count == 0 && hs.syn_ack.count == 0;
        let midstream = self.resumed.map_or(no_handshake, |r| r.midstream);
        let (rst_client, rst_server) = (self.rst_frame[0], self.rst_frame[1]);
        hs.outcome = if no_handshake && self.resumed.is_some() {
            Outcome::Resumed
        } else if no_handshake {
            Outcome::Midstream
        } else if hs.ack_frame.is_some() {
            Outcome::Established
        } else if hs.syn_ack.count > 0 {
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
        // tshark's value; when it has none (a SYN and its ACK at the same
        // instant), the last SYN to the third packet.
        hs.irtt_ns = self.irtt_ns.or_else(|| {
            let a = hs.ack_ts_ns?;
            let s = hs.syn.last_ts_ns?;
            Some(a.saturating_sub(s).max(0) as u64)
        });
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
        // A part after an eviction keeps the connection's identity and scales.
        let (window_scale, first_frame, first_ts_ns) = match self.resumed {
            Some(r) if self.options == [None, None] => (
                PerSide::from_array(r.window_scale),
                r.first_frame,
                r.first_ts_ns,
            ),
            Some(r) => (window_scale, r.first_frame, r.first_ts_ns),
            None => (window_scale, self.first_frame, self.first_ts),
        };
        let part = self.resumed.map(|_| (self.first_frame, self.first_ts));
        Connection {
            conn,
            client,
            server,
            midstream,
            roles: RoleEvidence::Handshake,
            first_frame,
            last_frame: self.last_frame,
            first_ts_ns,
            last_ts_ns: self.last_ts,
            packets: PerDir::from_array(self.packets),
            bytes: PerDir::from_array(self.bytes),
            retransmissions: PerDir::from_array(self.retrans),
            zero_window: PerDir::from_array(self.zero_window),
            fin_frame: PerDir::from_array(self.fin_frame),
            rst_frame: PerDir::from_array(self.rst_frame),
            handshake: hs,
            options: PerSide::from_array(self.options),
            window_scale,
            end,
            evicted: end == EndReason::Evicted,
            resumed_frame: part.map(|p| p.0),
            resumed_ts_ns: part.map(|p| p.1),
            story: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Option bytes built from plausible pieces (so that real options occur)
    /// and random ones.
    fn option_bytes() -> impl Strategy<Value = Vec<u8>> {
        let piece = prop_oneof![
            Just(vec![1u8]),
            Just(vec![0u8]),
            any::<u8>().prop_map(|s| vec![3, 3, s]),
            Just(vec![3, 4, 1, 2]),
            prop::collection::vec(any::<u8>(), 0..4)
                .prop_map(|v| [vec![5, 2 + v.len() as u8], v].concat()),
            prop::collection::vec(any::<u8>(), 8..=24).prop_map(|v| {
                let v = &v[..v.len() / 8 * 8];
                [vec![5, 2 + v.len() as u8], v.to_vec()].concat()
            }),
            prop::collection::vec(any::<u8>(), 8).prop_map(|v| [vec![8, 10], v].concat()),
            prop::collection::vec(any::<u8>(), 0..6),
        ];
        prop::collection::vec(piece, 0..6).prop_map(|v| v.concat())
    }

    /// What the option iterator yields, read the plain way: the oracle.
    fn by_iterator(opts: Options<'_>) -> SegmentOptions {
        let mut o = SegmentOptions::default();
        let mut ts = Vec::new();
        for opt in opts.iter() {
            let Ok(opt) = opt else { break };
            o.syn.note(&opt);
            match opt {
                TcpOption::Sack(blocks) => {
                    for (l, r) in blocks.iter() {
                        o.sacked = o.sacked.wrapping_add(r.0.wrapping_sub(l.0));
                    }
                }
                TcpOption::Timestamps { val, ecr } => ts.push((val, ecr)),
                _ => {}
            }
        }
        o.timestamps = ts.first().copied();
        o.several_timestamps = ts.len() > 1;
        o
    }

    proptest! {
        #[test]
        fn segment_options_read_what_the_iterator_reads(
            bytes in option_bytes(),
            extra in 0u8..12,
            usual in any::<bool>(),
        ) {
            // Half the cases in the usual layout (NOP, NOP, Timestamps), which
            // `SegmentOptions::of` reads without a walk.
            let bytes = if usual {
                [&[1u8, 1, 8, 10][..], &bytes[..bytes.len().min(8)], &[0u8; 8][..]].concat()[..12].to_vec()
            } else {
                bytes
            };
            let bytes = &bytes[..bytes.len().min(40)];
            let declared = (bytes.len() as u8).saturating_add(extra).min(40);
            for opts in [Options::new(bytes), Options::with_declared(bytes, declared)] {
                prop_assert_eq!(SegmentOptions::of(opts), by_iterator(opts));
            }
        }
    }
}

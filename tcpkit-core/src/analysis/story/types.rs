//! The result types of a connection's story: plain data, serializable behind
//! the `serde` feature with the field names of `tcpkit flows --json`.

use crate::flow::{ConnId, Direction, Endpoint};

#[cfg(feature = "serde")]
pub(crate) fn ser_dir<S: serde::Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.as_str())
}

/// One of the two endpoints of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Side {
    /// The endpoint that sent the first SYN (or, midstream, the first segment).
    Client,
    /// The other endpoint.
    Server,
}

impl Side {
    /// `"client"` or `"server"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    /// The direction in which this side sends.
    pub fn sends(self) -> Direction {
        match self {
            Self::Client => Direction::ClientToServer,
            Self::Server => Direction::ServerToClient,
        }
    }

    /// The side that sends in `dir`.
    pub fn sender(dir: Direction) -> Self {
        match dir {
            Direction::ClientToServer => Self::Client,
            Direction::ServerToClient => Self::Server,
        }
    }

    /// The other side.
    pub fn peer(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }

    /// 0 for the client, 1 for the server.
    pub fn index(self) -> usize {
        self as usize
    }
}

/// A value per direction (`{"c2s": .., "s2c": ..}`).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PerDir<T> {
    /// Client to server.
    pub c2s: T,
    /// Server to client.
    pub s2c: T,
}

impl<T> PerDir<T> {
    /// Builds from a `[c2s, s2c]` array.
    pub fn from_array([c2s, s2c]: [T; 2]) -> Self {
        Self { c2s, s2c }
    }

    /// The value for `dir`.
    pub fn get(&self, dir: Direction) -> &T {
        match dir {
            Direction::ClientToServer => &self.c2s,
            Direction::ServerToClient => &self.s2c,
        }
    }
}

/// A value per side (`{"client": .., "server": ..}`).
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct PerSide<T> {
    /// The client's.
    pub client: T,
    /// The server's.
    pub server: T,
}

impl<T> PerSide<T> {
    /// Builds from a `[client, server]` array.
    pub fn from_array([client, server]: [T; 2]) -> Self {
        Self { client, server }
    }

    /// The value for `side`.
    pub fn get(&self, side: Side) -> &T {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }
}

/// How the three-way handshake went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
    Midstream,
}

/// The handshake: which frames, the initial RTT, the outcome.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Handshake {
    /// Frames of the client's SYNs (the first and its retransmissions).
    pub syn_frames: Vec<u64>,
    /// Frames of the server's SYN-ACKs.
    pub syn_ack_frames: Vec<u64>,
    /// The client's ACK of the SYN-ACK (the third packet).
    pub ack_frame: Option<u64>,
    /// Initial RTT in seconds (tshark's `tcp.analysis.initial_rtt`: SYN to the third packet).
    pub irtt: Option<f64>,
    /// The verdict.
    pub outcome: Outcome,
    /// Capture times (ns) of the SYNs, for capture-wide diagnostics.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub syn_ts_ns: Vec<i64>,
    /// Capture times (ns) of the SYN-ACKs.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub syn_ack_ts_ns: Vec<i64>,
    /// Capture time (ns) of the third packet.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub ack_ts_ns: Option<i64>,
}

pub use crate::analysis::SynOptions;

/// What was retransmitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TrainKind {
    /// The client's SYN.
    Syn,
    /// The server's SYN-ACK.
    SynAck,
    /// A data segment.
    Data,
    /// A FIN (possibly carrying data).
    Fin,
    /// A RST.
    Rst,
    /// A keep-alive probe (RFC 9293 3.8.4: sequence number one below SND.NXT).
    Keepalive,
    /// A zero-window (persist) probe (RFC 9293 3.8.6.1).
    Probe,
}

/// How a train's sends were spaced, i.e. which mechanism sent them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Verdict {
    /// One retransmission after at least the RTO floor: a retransmission timeout.
    Timeout,
    /// Retransmission timeouts, each interval about twice the previous (RFC 6298 5.5).
    ExponentialBackoff,
    /// Equal intervals first, then doubling (Linux >= 6.5 SYNs, `tcp_syn_linear_timeouts`).
    LinearThenExponentialBackoff,
    /// All intervals equal (linear timeouts, keep-alive interval).
    Linear,
    /// Retransmitted on duplicate ACKs / SACK before any timer (RFC 5681 3.2).
    FastRetransmit,
    /// Fast retransmit, then timeouts with backoff.
    FastRetransmitThenExponentialBackoff,
    /// The last segment re-sent by the loss probe timer (RFC 8985 7), before the RTO.
    TailLossProbe,
    /// A tail loss probe, then one retransmission timeout.
    TailLossProbeThenTimeout,
    /// A tail loss probe, then retransmission timeouts with backoff.
    TailLossProbeThenExponentialBackoff,
    /// tshark judged the retransmission spurious (the original had been acknowledged).
    Spurious,
    /// Sent more than once with no recognisable timer pattern.
    Irregular,
    /// Only one send captured (its original was not captured).
    Single,
}

impl Verdict {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Timeout => "timeout",
            Self::ExponentialBackoff => "exponential_backoff",
            Self::LinearThenExponentialBackoff => "linear_then_exponential_backoff",
            Self::Linear => "linear",
            Self::FastRetransmit => "fast_retransmit",
            Self::FastRetransmitThenExponentialBackoff => {
                "fast_retransmit_then_exponential_backoff"
            }
            Self::TailLossProbe => "tail_loss_probe",
            Self::TailLossProbeThenTimeout => "tail_loss_probe_then_timeout",
            Self::TailLossProbeThenExponentialBackoff => "tail_loss_probe_then_exponential_backoff",
            Self::Spurious => "spurious",
            Self::Irregular => "irregular",
            Self::Single => "single",
        }
    }
}

/// One segment sent more than once.
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Train {
    /// Direction of the sends.
    #[cfg_attr(feature = "serde", serde(serialize_with = "ser_dir"))]
    pub dir: Direction,
    /// What was sent.
    pub kind: TrainKind,
    /// Relative sequence number of the first byte (the SYN/FIN's own number for those).
    pub seq: u64,
    /// Frames of every send, the first one included (capped, see `more`).
    pub frames: Vec<u64>,
    /// Seconds from the first send.
    pub times_s: Vec<f64>,
    /// Seconds between consecutive sends.
    pub intervals_s: Vec<f64>,
    /// Which mechanism sent them.
    pub verdict: Verdict,
    /// Capture time of each send (ns), for the `ss` emulation.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub ts_ns: Vec<i64>,
    /// Sends beyond the per-train cap, not listed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_zero"))]
    pub more: u32,
}

#[cfg(feature = "serde")]
fn is_zero(x: &u32) -> bool {
    *x == 0
}

/// RTT of one direction's data (sender to the peer and back, measured at the capture point).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RttSummary {
    /// Number of samples.
    pub samples: u64,
    /// Smallest sample, s.
    pub min: Option<f64>,
    /// Median, s.
    pub median: Option<f64>,
    /// 95th percentile, s.
    pub p95: Option<f64>,
    /// Largest sample, s.
    pub max: Option<f64>,
    /// RFC 6298 smoothed RTT after the last sample, s.
    pub srtt: Option<f64>,
    /// RFC 6298 RTT variation after the last sample, s.
    pub rttvar: Option<f64>,
    /// RFC 6298 RTO (SRTT + 4 RTTVAR) with Linux's 200 ms floor instead of RFC 6298's 1 s, s.
    pub rto: Option<f64>,
}

/// How the connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Close {
    /// Who sent the first FIN seen.
    pub first_fin_by: Option<Side>,
    /// Who sent the first RST seen.
    pub rst_by: Option<Side>,
    /// The second FIN carried the first acknowledgment of the first FIN (three-packet close).
    pub piggybacked: bool,
    /// Both sides sent a FIN before acknowledging the other's (RFC 9293 3.6, simultaneous close).
    pub simultaneous: bool,
    /// Seconds from the first FIN or RST to the last segment of the connection.
    pub duration_s: Option<f64>,
    /// One side's FIN was acknowledged but the other side never sent one (half-close left open).
    pub half_close_left_open: bool,
}

/// A TCP state (RFC 9293 3.3.2) of one endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "SCREAMING_SNAKE_CASE"))]
#[allow(missing_docs)]
pub enum TcpState {
    SynSent,
    SynRecv,
    Established,
    FinWait1,
    FinWait2,
    Closing,
    TimeWait,
    CloseWait,
    LastAck,
    Closed,
}

impl TcpState {
    /// The name as in the contract (`FIN_WAIT1`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SynSent => "SYN_SENT",
            Self::SynRecv => "SYN_RECV",
            Self::Established => "ESTABLISHED",
            Self::FinWait1 => "FIN_WAIT1",
            Self::FinWait2 => "FIN_WAIT2",
            Self::Closing => "CLOSING",
            Self::TimeWait => "TIME_WAIT",
            Self::CloseWait => "CLOSE_WAIT",
            Self::LastAck => "LAST_ACK",
            Self::Closed => "CLOSED",
        }
    }

    /// The name `ss` prints (`FIN-WAIT-1`, `ESTAB`).
    pub fn ss_name(self) -> &'static str {
        match self {
            Self::SynSent => "SYN-SENT",
            Self::SynRecv => "SYN-RECV",
            Self::Established => "ESTAB",
            Self::FinWait1 => "FIN-WAIT-1",
            Self::FinWait2 => "FIN-WAIT-2",
            Self::Closing => "CLOSING",
            Self::TimeWait => "TIME-WAIT",
            Self::CloseWait => "CLOSE-WAIT",
            Self::LastAck => "LAST-ACK",
            Self::Closed => "UNCONN",
        }
    }
}

/// A state an endpoint entered, and when (capture clock, ns).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct StateChange {
    /// The state entered.
    pub state: TcpState,
    /// When, as the capture proves it (see docs/story.md).
    pub t_ns: i64,
}

/// Kernel settings the capture reveals; a field is present only when the capture supports it.
#[derive(Debug, Clone, PartialEq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Inferred {
    /// Linux `net.ipv4.tcp_syn_retries`: SYN retransmissions after the linear ones.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tcp_syn_retries: Option<u32>,
    /// Linux (>= 6.5) `net.ipv4.tcp_syn_linear_timeouts`; 0 also for older kernels.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tcp_syn_linear_timeouts: Option<u32>,
    /// Linux `net.ipv4.tcp_synack_retries`.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tcp_synack_retries: Option<u32>,
    /// The RTO of the first SYN or SYN-ACK, s (Linux `TCP_TIMEOUT_INIT` = 1 s, RFC 6298 2.1).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub initial_rto_s: Option<f64>,
    /// The RTO floor, s (Linux `tcp_rto_min`, 200 ms by default), seen when RTTs are far below it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rto_min_s: Option<f64>,
    /// Upper bound on Linux `net.ipv4.tcp_fin_timeout`, s: a side in FIN_WAIT2
    /// answered the peer's later FIN with a RST, so its orphaned socket had been
    /// dropped by then (the bound is the time from entering FIN_WAIT2 to that RST).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tcp_fin_timeout_max_s: Option<f64>,
    /// Keep-alive idle time before the first probe, s (Linux `tcp_keepalive_time`
    /// or the socket's TCP_KEEPIDLE), from the gap after an answered probe.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub keepalive_time_s: Option<f64>,
    /// Keep-alive probe interval, s (`tcp_keepalive_intvl` / TCP_KEEPINTVL).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub keepalive_intvl_s: Option<f64>,
    /// Unanswered probes before the RST (`tcp_keepalive_probes` / TCP_KEEPCNT).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub keepalive_probes: Option<u32>,
    /// What each inference assumes.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub caveats: Vec<String>,
}

/// Everything tcpkit says about one connection (`tcpkit flows --json`, one object each).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConnectionStory {
    /// Connection number (tshark's `tcp.stream`).
    pub conn: ConnId,
    /// The client endpoint.
    pub client: Endpoint,
    /// The server endpoint.
    pub server: Endpoint,
    /// The capture began after the handshake.
    pub midstream: bool,
    /// Time of the first segment, ns since the epoch.
    pub first_ts_ns: i64,
    /// Time of the last segment, ns since the epoch.
    pub last_ts_ns: i64,
    /// Segments per direction.
    pub packets: PerDir<u64>,
    /// Payload bytes per direction, each sequence byte counted once.
    pub bytes: PerDir<u64>,
    /// The handshake.
    pub handshake: Handshake,
    /// SYN options of each side (`None`: its SYN / SYN-ACK was not seen).
    pub options: PerSide<Option<SynOptions>>,
    /// The MTU each side's MSS implies (MSS + 40 for IPv4, + 60 for IPv6).
    pub implied_mtu: PerSide<Option<u32>>,
    /// Window scale shift in force for each side's windows (`None`: not negotiated or unknown).
    pub window_scale: PerSide<Option<u8>>,
    /// Each side's window in bytes (scaled) on its first segment after the
    /// handshake: the client's on the third packet.
    pub effective_window: PerSide<Option<u64>>,
    /// Segments flagged as retransmissions, per direction.
    pub retransmissions: PerDir<u64>,
    /// Segments sent more than once.
    pub trains: Vec<Train>,
    /// RTT per direction of the data.
    pub rtt: PerDir<RttSummary>,
    /// The close.
    pub close: Close,
    /// States each endpoint went through.
    pub states: PerSide<Vec<StateChange>>,
    /// Kernel settings the capture reveals.
    pub inferred: Inferred,
    /// Segments advertising a zero window, per direction of the advertiser.
    pub zero_window: PerDir<u64>,
    /// Plain sentences.
    pub notes: Vec<String>,
    /// When the server first sent payload, FIN or RST after the handshake (ns):
    /// until then an established connection may sit unaccepted in the accept queue.
    #[cfg_attr(feature = "serde", serde(skip))]
    pub server_busy_ns: Option<i64>,
    /// When the first RST was seen (ns).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub rst_ts_ns: Option<i64>,
    /// The server's SYN-ACK timestamp and its next one (SYN-cookie evidence,
    /// see [`syncookie`](super::syncookie)).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub syn_ack_evidence: super::syncookie::SynAckEvidence,
}

impl ConnectionStory {
    /// The endpoint of `side`.
    pub fn endpoint(&self, side: Side) -> Endpoint {
        match side {
            Side::Client => self.client,
            Side::Server => self.server,
        }
    }
}

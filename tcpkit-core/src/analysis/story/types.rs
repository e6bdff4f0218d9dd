//! The result types of a connection's story: plain data, serializable behind
//! the `serde` feature with the field names of `tcpkit flows --json`.

use super::fixed::{Filler, FixedList};
use crate::flow::Direction;

#[cfg(feature = "serde")]
pub(crate) fn ser_dir<S: serde::Serializer>(d: &Direction, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(d.as_str())
}

/// One of the two endpoints of a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "lowercase"))]
pub enum Side {
    /// The endpoint that sent the first SYN (mid-stream: see
    /// [`Connection::roles`](crate::analysis::Connection::roles)).
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

pub use crate::analysis::record::{FrameRun, Handshake, Outcome, SynOptions};

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

impl TrainKind {
    /// The snake_case name (`syn_ack`), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Syn => "syn",
            Self::SynAck => "syn_ack",
            Self::Data => "data",
            Self::Fin => "fin",
            Self::Rst => "rst",
            Self::Keepalive => "keepalive",
            Self::Probe => "probe",
        }
    }
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
    /// Re-sent faster than any retransmission timer without being a fast
    /// retransmit itself (tshark flags it a plain retransmission): ACK-driven
    /// loss recovery beyond the first hole (SACK, RFC 6675; NewReno partial
    /// ACKs, RFC 6582; RACK, RFC 8985).
    LossRecovery,
    /// Loss recovery, then timeouts with backoff.
    LossRecoveryThenExponentialBackoff,
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
            Self::LossRecovery => "loss_recovery",
            Self::LossRecoveryThenExponentialBackoff => "loss_recovery_then_exponential_backoff",
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
    /// Capture time of each send listed in `frames`, ns since the epoch.
    pub ts_ns: Vec<i64>,
    /// Which mechanism sent them.
    pub verdict: Verdict,
    /// Sends beyond the per-train cap, not listed.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "is_zero"))]
    pub more: u32,
    /// When a send was flagged a fast retransmission: the duplicate ACKs of its
    /// sequence number the peer had sent before it (0: none captured).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub dup_acks: Option<u32>,
}

impl Train {
    /// Time of each listed send from the first one, ns.
    pub fn offsets_ns(&self) -> impl Iterator<Item = i64> + '_ {
        let first = self.ts_ns.first().copied().unwrap_or(0);
        self.ts_ns.iter().map(move |&t| t.saturating_sub(first))
    }

    /// Time between consecutive listed sends, ns.
    pub fn intervals_ns(&self) -> impl Iterator<Item = i64> + '_ {
        self.ts_ns.windows(2).map(|w| w[1].saturating_sub(w[0]))
    }

    /// Time from the first to the last listed send, ns.
    pub fn span_ns(&self) -> i64 {
        match (self.ts_ns.first(), self.ts_ns.last()) {
            (Some(a), Some(b)) => b.saturating_sub(*a),
            _ => 0,
        }
    }
}

#[cfg(feature = "serde")]
fn is_zero(x: &u32) -> bool {
    *x == 0
}

/// RTT of one direction's data (sender to the peer and back, measured at the
/// capture point), ns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct RttSummary {
    /// Number of samples.
    pub samples: u64,
    /// Smallest sample.
    pub min_ns: Option<u64>,
    /// Median.
    pub median_ns: Option<u64>,
    /// 95th percentile (nearest rank).
    pub p95_ns: Option<u64>,
    /// Largest sample.
    pub max_ns: Option<u64>,
    /// RFC 6298 smoothed RTT after the last sample.
    pub srtt_ns: Option<u64>,
    /// RFC 6298 RTT variation after the last sample.
    pub rttvar_ns: Option<u64>,
    /// RFC 6298 RTO (SRTT + 4 RTTVAR) bounded as the sender's stack bounds
    /// it ([`rto_rule`](Self::rto_rule)), not with RFC 6298's 1 s floor.
    pub rto_ns: Option<u64>,
    /// The bounds applied to [`rto_ns`](Self::rto_ns): the sender's stack's.
    pub rto_rule: super::rtt::RtoRule,
}

/// How the connection ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
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
    /// From the first FIN or RST to the last segment of the connection, ns.
    pub duration_ns: Option<u64>,
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

impl Filler for StateChange {
    const FILLER: Self = StateChange {
        state: TcpState::Closed,
        t_ns: 0,
    };
}

/// The states one endpoint went through, in order: at most 5 (an opening
/// state, `ESTABLISHED`, then `FIN_WAIT1`, `FIN_WAIT2` and `TIME_WAIT`, or
/// `CLOSE_WAIT`, `LAST_ACK` and `CLOSED`; a RST's `CLOSED` replaces what
/// came after it), room for 6.
pub type States = FixedList<StateChange, 6>;

/// Kernel settings the capture reveals; a field is present only when the capture supports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
    /// The RTO of the first SYN or SYN-ACK, ns (Linux `TCP_TIMEOUT_INIT` = 1 s,
    /// RFC 6298 2.1), rounded to 0.1 s from 0.5 s up, else to 10 ms.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub initial_rto_ns: Option<u64>,
    /// The RTO floor, ns (Linux `tcp_rto_min`, 200 ms by default), seen when RTTs are far below it.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub rto_min_ns: Option<u64>,
    /// Upper bound on Linux `net.ipv4.tcp_fin_timeout`, ns: a side in FIN_WAIT2
    /// answered the peer's later FIN with a RST, so its orphaned socket had been
    /// dropped by then (the bound is the time from entering FIN_WAIT2 to that RST).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub tcp_fin_timeout_max_ns: Option<u64>,
    /// Keep-alive idle time before the first probe, ns (Linux `tcp_keepalive_time`
    /// or the socket's TCP_KEEPIDLE), from the gap after an answered probe.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub keepalive_time_ns: Option<u64>,
    /// Keep-alive probe interval, ns (`tcp_keepalive_intvl` / TCP_KEEPINTVL).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub keepalive_intvl_ns: Option<u64>,
    /// Unanswered probes before the RST (`tcp_keepalive_probes` / TCP_KEEPCNT).
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Option::is_none"))]
    pub keepalive_probes: Option<u32>,
    /// What each inference assumes.
    #[cfg_attr(feature = "serde", serde(skip_serializing_if = "Vec::is_empty"))]
    pub caveats: Vec<Caveat>,
}

/// A kernel setting an inference is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum Setting {
    /// `net.ipv4.tcp_syn_retries`.
    TcpSynRetries,
    /// `net.ipv4.tcp_synack_retries`.
    TcpSynackRetries,
}

/// What an inference in [`Inferred`] assumes (`code` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "code", rename_all = "snake_case"))]
pub enum Caveat {
    /// `tcp_syn_linear_timeouts` = 0 is also what a kernel before 6.5 (which has
    /// no such setting) shows.
    SynLinearTimeoutsZero,
    /// The retry count assumes the last SYN (or SYN-ACK) seen was the last one
    /// sent: the capture ends before another would have been due.
    LastSendAssumed {
        /// The setting inferred.
        setting: Setting,
        /// What was retransmitted.
        kind: TrainKind,
        /// Frame of the last send seen.
        frame: u64,
        /// From that send to the end of the capture, ns.
        after_ns: u64,
        /// When the next send would have been due after it, ns.
        due_ns: u64,
    },
    /// `tcp_fin_timeout_max_ns`: the side sat in FIN_WAIT2 and answered the
    /// peer's later segment with a RST.
    FinTimeoutBound {
        /// The side in FIN_WAIT2.
        side: Side,
    },
    /// The side's stack is unknown ([`Story::stack`]): the Linux settings
    /// inferred from its retransmissions assume Linux, whose rules the schedule fits.
    StackAssumedLinux {
        /// The side.
        side: Side,
        /// FreeBSD's and macOS's SYN backoff table fits the schedule too.
        bsd_fits_too: bool,
    },
    /// `tcp_syn_retries` withdrawn: the client host closed another connection
    /// before the next SYN was due.
    SynRetriesWithdrawn {
        /// From the last SYN to that close, ns.
        after_ns: u64,
    },
}

/// One thing worth saying about a connection, with its numbers (`code` in
/// JSON); [`crate::text`] words it. Trains are referred to by their index in
/// [`Story::trains`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "code", rename_all = "snake_case"))]
pub enum Note {
    /// Window scaling is off: not both SYNs carried the option (the SYN
    /// options are in [`Connection::options`](crate::analysis::Connection::options)).
    Options {
        /// Window scaling is in force (both sides sent the option): always
        /// false, the note is made only when it is off.
        window_scaling: bool,
    },
    /// SYNs that no SYN-ACK answered.
    SynNoAnswer {
        /// SYNs seen.
        syns: u64,
        /// From the first to the last SYN, ns.
        span_ns: u64,
        /// The SYN train, if the SYN was retransmitted.
        train: Option<usize>,
        /// Inferred `tcp_syn_linear_timeouts`.
        linear_timeouts: Option<u32>,
        /// Inferred `tcp_syn_retries`.
        syn_retries: Option<u32>,
    },
    /// The SYN was answered by a RST: nothing listens on the port.
    Refused {
        /// The server port.
        port: u16,
    },
    /// SYN-ACKs never acknowledged.
    SynAckUnanswered {
        /// SYN-ACKs seen.
        syn_acks: u64,
        /// The SYN-ACK train, if retransmitted.
        train: Option<usize>,
        /// Inferred `tcp_synack_retries`.
        synack_retries: Option<u32>,
    },
    /// A RST aborted the handshake after the SYN-ACK.
    HandshakeReset,
    /// The capture begins in the middle of the connection.
    Midstream,
    /// A side's stack as its SYN (or SYN-ACK) and backoff show it
    /// ([`Story::stack`]), told where the story applies that stack's rules.
    Stack {
        /// The side.
        side: Side,
    },
    /// This part continues the connection after its eviction under the
    /// memory budget ([`Connection::resumed_frame`](crate::analysis::Connection::resumed_frame)).
    Resumed,
    /// The connection was evicted under the memory budget here
    /// ([`Connection::evicted`](crate::analysis::Connection::evicted)).
    Evicted,
    /// A side retransmitted data.
    DataRetransmissions {
        /// The sender.
        side: Side,
        /// Retransmitted segments.
        segments: u64,
        /// Data trains of that side.
        trains: u64,
        /// Trains with a send flagged a fast retransmission (tshark's rule:
        /// after duplicate ACKs of its sequence number).
        fast: u64,
        /// Trains re-sent by ACK-driven loss recovery without a fast retransmit.
        recovery: u64,
        /// Trains driven by timeouts.
        timeouts: u64,
        /// The longest train, when it has more than two sends.
        longest: Option<usize>,
    },
    /// A side's FIN was sent more than once.
    FinResent {
        /// The sender.
        side: Side,
        /// The train.
        train: usize,
    },
    /// A side probed the peer's zero window more than once.
    ZeroWindowProbes {
        /// The prober.
        side: Side,
        /// The train.
        train: usize,
    },
    /// A side sent keep-alive probes.
    KeepaliveProbes {
        /// The prober.
        side: Side,
        /// The train.
        train: usize,
    },
    /// A side advertised a zero window.
    ZeroWindow {
        /// The advertiser.
        side: Side,
        /// Segments with a zero window.
        count: u64,
    },
    /// Keep-alive settings seen (in [`Inferred`]).
    Keepalive,
    /// The first retransmission timeouts show Linux's RTO floor.
    RtoFloor {
        /// The floor, ns.
        rto_min_ns: u64,
    },
    /// Both sides sent a FIN before receiving the other's (RFC 9293 3.6).
    SimultaneousClose {
        /// Both sides reached TIME_WAIT.
        time_wait_both: bool,
    },
    /// A side answered with a RST after its own FIN: its socket was gone.
    RstAfterOwnFin {
        /// The side.
        side: Side,
        /// From its FIN (FIN_WAIT1) to the RST, ns.
        after_ns: u64,
    },
    /// A side reset the connection (an abortive close).
    Reset {
        /// The side.
        side: Side,
    },
    /// A side is in TIME_WAIT at the end of the capture.
    TimeWait {
        /// The side.
        side: Side,
        /// From the connection's first packet to TIME_WAIT, ns.
        since_first_ns: u64,
    },
}

/// What the story adds to a [`Connection`](crate::analysis::Connection)
/// (flattened into its JSON object).
#[derive(Debug, Clone, PartialEq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Story {
    /// The MTU each side's MSS implies (MSS + 40 for IPv4, + 60 for IPv6).
    pub implied_mtu: PerSide<Option<u32>>,
    /// Each side's window in bytes (scaled) on its first segment after the
    /// handshake: the client's on the third packet.
    pub effective_window: PerSide<Option<u64>>,
    /// Segments sent more than once.
    pub trains: Vec<Train>,
    /// RTT per direction of the data.
    pub rtt: PerDir<RttSummary>,
    /// The close.
    pub close: Close,
    /// States each endpoint went through.
    pub states: PerSide<States>,
    /// Each side's stack, guessed p0f-style from its SYN (client) or
    /// SYN-ACK (server) and its SYN / SYN-ACK backoff (`None`: not seen).
    pub stack: PerSide<Option<super::stack::StackGuess>>,
    /// Kernel settings the capture reveals.
    pub inferred: Inferred,
    /// What is worth saying, in order ([`crate::text`] words them; the
    /// caveats of `inferred` follow them).
    pub notes: Vec<Note>,
    /// When the server first sent payload, FIN or RST after the handshake, ns
    /// since the epoch: until then an established connection may sit
    /// unaccepted in the accept queue.
    pub server_busy_ts_ns: Option<i64>,
    /// When the first RST was seen, ns since the epoch.
    pub rst_ts_ns: Option<i64>,
    /// The server's SYN-ACK timestamp and its next one (SYN-cookie evidence,
    /// see [`syncookie`](super::syncookie)).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub syn_ack_evidence: super::syncookie::SynAckEvidence,
}

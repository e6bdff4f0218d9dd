//! Capture-wide findings: per listening socket (server ip:port) the connection
//! attempts and what became of them, and findings: codes with their numbers
//! (`tcpkit report --json`; [`crate::text`] words them).
//!
//! [`Diagnostics`] takes each finished [`Connection`] (any order) and
//! keeps a few numbers per connection; [`Diagnostics::finish`] returns the
//! [`Report`].
//!
//! Rules (Linux semantics, see docs/story.md):
//! * `syn_flood`: at least [`FLOOD_MIN_ATTEMPTS`] attempts of which at least
//!   half failed (SYNs unanswered or SYN-ACKs never acknowledged) and none
//!   (or almost none) established: the SYN queue is full and new SYNs are
//!   dropped, or answered with SYN cookies.
//! * `syn_cookies`: SYN-ACKs told apart as Linux SYN cookies ([`syncookie`],
//!   with their evidence); `max_half_open` counts only the SYN queue's requests.
//! * `accept_queue_overflow`: a SYN went unanswered while other connections to
//!   the same listener were established and idle (the server had sent neither
//!   data nor FIN nor RST: not yet accepted). Linux drops a SYN when the accept
//!   queue holds more than `backlog` connections (`sk_acceptq_is_full`: `>`), so
//!   `backlog + 1` connections wait: the estimate is that count minus one.
//! * `never_answered`: a host:port whose SYNs got neither a SYN-ACK nor a
//!   RST, from every client: the host is down or unreachable, or a firewall
//!   drops the SYNs (RFC 9293 3.10.7.1: a closed port answers with RST). A
//!   host with several such ports gets one finding listing them.
//! * `refusing`: attempts answered with RST.
//! * `zero_window`: a side advertised a zero window.
//! * `mtu_mismatch`: the two MSS options imply different MTUs (the smaller side
//!   sits behind a smaller link or a tunnel): one finding per pair of hosts
//!   and MTUs, with the number of connections.

use crate::analysis::story::syncookie::{self, AnswerFacts, Answered};
use crate::analysis::story::{Outcome, Side};
use crate::analysis::{AnalyzerStats, Connection};
use crate::flow::{ConnId, Endpoint};
use clients::ClientSet;
use packed::PackedRows;
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

mod clients;
mod packed;

/// Attempts below which no SYN flood is reported.
pub const FLOOD_MIN_ATTEMPTS: u64 = 20;

/// Ports listed in a [`Finding::NeverAnswered`] (the lowest; the count is whole).
pub const NEVER_ANSWERED_PORTS_LISTED: usize = 8;

/// One listening socket's numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Listener {
    /// Server address.
    pub ip: IpAddr,
    /// Server port.
    pub port: u16,
    /// Connection attempts (distinct client ip:port that sent a SYN).
    pub clients: u64,
    /// SYN segments.
    pub syns: u64,
    /// Attempts answered with a SYN-ACK.
    pub answered: u64,
    /// Attempts whose handshake completed.
    pub established: u64,
    /// Most half-open requests (SYN-ACK sent, not yet acknowledged) at once
    /// in the SYN queue: SYN-cookie answers keep no request and are not
    /// counted; answers the capture cannot classify are. An unanswered
    /// request counts until one more doubled timeout after its last SYN-ACK.
    pub max_half_open: u64,
    /// Attempts answered from the SYN queue (see [`syncookie`]).
    pub queued_answers: u64,
    /// Attempts answered with a Linux SYN cookie (no request kept).
    pub cookie_answers: u64,
    /// The connections answered with a SYN cookie, by number.
    pub cookie_connections: Vec<u64>,
    /// Attempts never answered (neither SYN-ACK nor RST).
    pub unanswered: u64,
    /// Attempts answered with RST.
    pub refused: u64,
    /// Listen backlog estimated from an accept-queue overflow.
    pub backlog_estimate: Option<u64>,
    /// Codes of the findings about this listener.
    pub findings: Vec<FindingCode>,
}

/// What kind of finding (`code` in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum FindingCode {
    /// See [`Finding::SynFlood`].
    SynFlood,
    /// See [`Finding::SynCookies`].
    SynCookies,
    /// See [`Finding::AcceptQueueOverflow`].
    AcceptQueueOverflow,
    /// See [`Finding::NeverAnswered`].
    NeverAnswered,
    /// See [`Finding::Refusing`].
    Refusing,
    /// See [`Finding::ZeroWindow`].
    ZeroWindow,
    /// See [`Finding::MtuMismatch`].
    MtuMismatch,
    /// See [`Finding::MemoryBudget`].
    MemoryBudget,
}

impl FindingCode {
    /// The snake_case code (`syn_flood`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SynFlood => "syn_flood",
            Self::SynCookies => "syn_cookies",
            Self::AcceptQueueOverflow => "accept_queue_overflow",
            Self::NeverAnswered => "never_answered",
            Self::Refusing => "refusing",
            Self::ZeroWindow => "zero_window",
            Self::MtuMismatch => "mtu_mismatch",
            Self::MemoryBudget => "memory_budget",
        }
    }
}

/// A finding with its numbers ([`crate::text::finding`] words it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(tag = "code", rename_all = "snake_case"))]
pub enum Finding {
    /// Many attempts, at least half failed, (almost) none established: the SYN
    /// queue was full and new SYNs were dropped.
    SynFlood {
        /// The listening socket.
        listener: Endpoint,
        /// Connection attempts (distinct client ip:port).
        attempts: u64,
        /// Attempts answered with a SYN-ACK.
        answered: u64,
        /// Attempts whose handshake completed.
        established: u64,
        /// Most half-open connections at once.
        max_half_open: u64,
        /// Attempts never answered.
        unanswered: u64,
        /// Attempts answered with a SYN cookie (then new SYNs were not dropped).
        cookie_answers: u64,
    },
    /// The listener answered SYNs with SYN cookies: its SYN queue was full
    /// and `net.ipv4.tcp_syncookies` is on (see [`syncookie`] for the evidence).
    SynCookies {
        /// The listening socket.
        listener: Endpoint,
        /// Attempts answered with a cookie.
        cookie_answers: u64,
        /// Of those, handshakes the client completed with the cookie.
        cookies_completed: u64,
        /// Attempts answered from the SYN queue.
        queued_answers: u64,
        /// Most requests in the SYN queue at once.
        max_half_open: u64,
    },
    /// SYNs went unanswered while established connections sat unaccepted.
    AcceptQueueOverflow {
        /// The listening socket.
        listener: Endpoint,
        /// Attempts never answered.
        unanswered: u64,
        /// Established connections waiting when the first SYN was ignored.
        waiting: u64,
        /// The listen backlog this implies (`waiting - 1`).
        backlog: u64,
    },
    /// SYNs to a host's port(s) that got neither a SYN-ACK nor a RST, from
    /// every client: the host is down or unreachable, or a firewall drops
    /// the SYNs.
    NeverAnswered {
        /// The host.
        host: IpAddr,
        /// Its ports never answered (the lowest [`NEVER_ANSWERED_PORTS_LISTED`]).
        ports: Vec<u16>,
        /// How many ports never answered.
        port_count: u64,
        /// SYN segments sent to them.
        syns: u64,
        /// Connection attempts (distinct client ip:port).
        attempts: u64,
        /// Distinct client hosts.
        clients: u64,
    },
    /// Attempts answered with RST: nothing listened on the port.
    Refusing {
        /// The address and port.
        listener: Endpoint,
        /// Attempts answered with RST.
        refused: u64,
    },
    /// An endpoint advertised a zero window (RFC 9293 3.8.6.2.2: its
    /// receive buffer was full), on one or more connections: one finding per
    /// advertising address and port.
    ZeroWindow {
        /// The advertiser's address.
        endpoint: Endpoint,
        /// Its side on its first connection.
        side: Side,
        /// Segments with a zero window, over all its connections.
        count: u64,
        /// Its connections with a zero window.
        connections: u64,
        /// The first of them (lowest number).
        first_conn: ConnId,
    },
    /// The two MSS options imply different MTUs, on every connection
    /// counted between the two hosts.
    MtuMismatch {
        /// The host with the smaller MTU.
        host: IpAddr,
        /// Its implied MTU.
        mtu: u32,
        /// The peer host.
        peer: IpAddr,
        /// The peer's implied MTU.
        peer_mtu: u32,
        /// Connections between them with these MSS options.
        connections: u64,
        /// The first of them (lowest number).
        first_conn: ConnId,
    },
    /// Connections were evicted under the memory budget
    /// ([`AnalyzerConfig::memory_budget`](crate::analysis::AnalyzerConfig::memory_budget)):
    /// each was handed out at its eviction (`evicted`) and kept a compact
    /// entry; those that spoke again continued under their own number
    /// (`resumed` parts); forgotten entries' connections, if they spoke
    /// again, opened a new number, captured mid-stream.
    MemoryBudget {
        /// Connections evicted ([`Report::evicted`]).
        evicted: u64,
        /// Evicted connections that spoke again ([`Report::resumed`]).
        resumed: u64,
        /// Compact entries dropped ([`Report::forgotten`]).
        forgotten: u64,
    },
}

impl Finding {
    /// The kind of finding.
    pub fn code(&self) -> FindingCode {
        match self {
            Self::SynFlood { .. } => FindingCode::SynFlood,
            Self::SynCookies { .. } => FindingCode::SynCookies,
            Self::AcceptQueueOverflow { .. } => FindingCode::AcceptQueueOverflow,
            Self::NeverAnswered { .. } => FindingCode::NeverAnswered,
            Self::Refusing { .. } => FindingCode::Refusing,
            Self::ZeroWindow { .. } => FindingCode::ZeroWindow,
            Self::MtuMismatch { .. } => FindingCode::MtuMismatch,
            Self::MemoryBudget { .. } => FindingCode::MemoryBudget,
        }
    }
}

/// The capture-wide report.
///
/// Equality compares what a reader sees (the counts, listeners and
/// findings), not the order in which the inputs were collected.
#[derive(Clone, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    /// Connections in the capture (a connection handed out in two parts
    /// around an eviction counts once).
    pub connections: u64,
    /// Connections evicted under the memory budget
    /// ([`AnalyzerStats::evicted`]).
    pub evicted: u64,
    /// Evicted connections that spoke again and continued under their own
    /// number ([`AnalyzerStats::resumed`]).
    pub resumed: u64,
    /// Compact entries of evicted connections dropped: such a connection, if
    /// it spoke again, opened a new number ([`AnalyzerStats::forgotten`]).
    pub forgotten: u64,
    /// Listening sockets, by address.
    pub listeners: Vec<Listener>,
    /// Findings: the listeners', then the memory budget's, then each
    /// connection's in connection-number order.
    pub findings: Vec<Finding>,
    /// What the figures are derived from, for [`Report::merge`].
    #[cfg_attr(feature = "serde", serde(skip))]
    inputs: Diagnostics,
}

/// What a reader sees (the inputs kept for [`Report::merge`] are left out:
/// their order depends on the order the connections were collected in).
impl std::fmt::Debug for Report {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Report")
            .field("connections", &self.connections)
            .field("evicted", &self.evicted)
            .field("resumed", &self.resumed)
            .field("forgotten", &self.forgotten)
            .field("listeners", &self.listeners)
            .field("findings", &self.findings)
            .finish_non_exhaustive()
    }
}

impl PartialEq for Report {
    fn eq(&self, o: &Self) -> bool {
        (
            self.connections,
            self.evicted,
            self.resumed,
            self.forgotten,
            &self.listeners,
            &self.findings,
        ) == (
            o.connections,
            o.evicted,
            o.resumed,
            o.forgotten,
            &o.listeners,
            &o.findings,
        )
    }
}

impl Eq for Report {}

impl Report {
    /// Adds the report of another part of the capture: counts add up, each
    /// listener's inputs join (client endpoints as a set, intervals as
    /// lists), and the figures and findings are derived again from the
    /// joined inputs, so that two parts of a capture split by connection
    /// give the whole capture's report. Connection numbers must be the whole
    /// capture's on both sides first ([`Report::renumber`]); a listener's
    /// clients are counted as distinct endpoints, so the same client port
    /// in both parts counts once.
    pub fn merge(&mut self, other: Report) {
        let mut inputs = std::mem::take(&mut self.inputs);
        inputs.merge(other.inputs);
        *self = inputs.finish();
    }

    /// Gives the per-connection findings (and the cookie connections) the numbers `map` assigns (for
    /// instance from [`Renumber`](crate::analysis::Renumber)), and derives
    /// the findings again.
    pub fn renumber(&mut self, mut map: impl FnMut(ConnId) -> ConnId) {
        let mut inputs = std::mem::take(&mut self.inputs);
        for z in &mut inputs.zero {
            z.conn = map(ConnId(z.conn)).0;
        }
        for m in &mut inputs.mtu {
            m.conn = map(ConnId(m.conn)).0;
        }
        for a in inputs.listeners.values_mut() {
            a.answers = a.answers.map(|row| {
                let mut x = Answered::from_row(row);
                x.conn = map(ConnId(x.conn)).0;
                x.to_row()
            });
        }
        *self = inputs.finish();
    }
}

#[derive(Debug, Default, Clone)]
struct Acc {
    /// Distinct client endpoints.
    clients: ClientSet,
    syns: u64,
    answered: u64,
    established: u64,
    unanswered: u64,
    refused: u64,
    syn_ack_unanswered: u64,
    /// Each answered attempt, for telling SYN-queue answers from cookies
    /// ([`Answered::to_row`]: about 9 bytes each instead of 40).
    answers: PackedRows<5>,
    /// Established and idle intervals: established, and from it to the
    /// server's first busy moment (wrapping; `i64::MAX` - established when
    /// never busy), about 6 bytes each instead of 16.
    idle: PackedRows<2>,
    /// First SYN of each unanswered attempt.
    ignored: Vec<i64>,
}

impl Acc {
    fn merge(&mut self, o: Acc) {
        self.clients.extend(&o.clients);
        self.syns += o.syns;
        self.answered += o.answered;
        self.established += o.established;
        self.unanswered += o.unanswered;
        self.refused += o.refused;
        self.syn_ack_unanswered += o.syn_ack_unanswered;
        self.answers.append(&o.answers);
        self.idle.append(&o.idle);
        self.ignored.extend(o.ignored);
    }
}

/// Collects finished connections into the capture-wide [`Report`].
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    connections: u64,
    /// The latest segment of any connection (ns).
    capture_end: i64,
    evicted: u64,
    resumed: u64,
    forgotten: u64,
    listeners: BTreeMap<Endpoint, Acc>,
    /// Each side of a connection that advertised a zero window (one finding
    /// per advertiser).
    zero: Vec<ZeroInput>,
    /// Connections whose MSS options imply different MTUs (one finding per
    /// pair of hosts and MTUs).
    mtu: Vec<MtuInput>,
}

/// One side of a connection that advertised a zero window.
#[derive(Debug, Clone, Copy)]
struct ZeroInput {
    conn: u64,
    endpoint: Endpoint,
    side: Side,
    count: u64,
}

/// One connection whose MSS options imply different MTUs.
#[derive(Debug, Clone, Copy)]
struct MtuInput {
    conn: u64,
    host: IpAddr,
    mtu: u32,
    peer: IpAddr,
    peer_mtu: u32,
}

impl Diagnostics {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one finished connection (its story's part is skipped without a
    /// story), or one part of a connection split by an eviction: a resumed
    /// part is not counted as another connection, and adds only its SYNs to
    /// its listener, not another attempt.
    pub fn add(&mut self, s: &Connection) {
        self.capture_end = self.capture_end.max(s.last_ts_ns);
        if s.resumed_frame.is_none() {
            self.connections += 1;
        }
        for side in [Side::Client, Side::Server] {
            let zw = *s.zero_window.get(side.sends());
            if zw > 0 {
                self.zero.push(ZeroInput {
                    conn: s.conn.0,
                    endpoint: s.endpoint(side),
                    side,
                    count: zw,
                });
            }
        }
        let story = s.story.as_deref();
        if let Some((Some(c), Some(v))) =
            story.map(|st| (st.implied_mtu.client, st.implied_mtu.server))
            && c != v
        {
            let (low, mtu, peer_mtu) = if c < v {
                (Side::Client, c, v)
            } else {
                (Side::Server, v, c)
            };
            self.mtu.push(MtuInput {
                conn: s.conn.0,
                host: s.endpoint(low).ip,
                mtu,
                peer: s.endpoint(low.peer()).ip,
                peer_mtu,
            });
        }
        if s.handshake.syn.count == 0 {
            return;
        }
        let a = self.listeners.entry(s.server).or_default();
        a.clients.insert(s.client);
        a.syns += u64::from(s.handshake.syn.count);
        if s.resumed_frame.is_some() {
            return;
        }
        let hs = &s.handshake;
        if hs.syn_ack.count > 0 {
            a.answered += 1;
            if let Some(f) = AnswerFacts::of(s) {
                a.answers.push(f.reduce().to_row());
            }
        }
        match hs.outcome {
            Outcome::Established => {
                a.established += 1;
                if let Some(t) = hs.ack_ts_ns {
                    let busy = story.and_then(|st| st.server_busy_ts_ns);
                    let busy = busy.unwrap_or(i64::MAX);
                    a.idle.push([t, busy.wrapping_sub(t)]);
                }
            }
            Outcome::NoAnswer => {
                a.unanswered += 1;
                if let Some(t) = hs.syn.first_ts_ns {
                    a.ignored.push(t);
                }
            }
            Outcome::Refused => a.refused += 1,
            Outcome::SynAckUnanswered | Outcome::Reset => a.syn_ack_unanswered += 1,
            Outcome::Midstream | Outcome::Resumed => {}
        }
    }

    /// Takes the eviction counts of the run ([`AnalyzerStats::evicted`],
    /// [`resumed`](AnalyzerStats::resumed), [`forgotten`](AnalyzerStats::forgotten))
    /// into the report.
    pub fn count_evictions(&mut self, stats: &AnalyzerStats) {
        self.evicted = stats.evicted;
        self.resumed = stats.resumed;
        self.forgotten = stats.forgotten;
    }

    /// Adds what another collector collected (another part of the capture).
    pub fn merge(&mut self, o: Diagnostics) {
        self.connections += o.connections;
        self.capture_end = self.capture_end.max(o.capture_end);
        self.evicted += o.evicted;
        self.resumed += o.resumed;
        self.forgotten += o.forgotten;
        for (k, a) in o.listeners {
            self.listeners.entry(k).or_default().merge(a);
        }
        self.zero.extend(o.zero);
        self.mtu.extend(o.mtu);
    }

    /// The report.
    pub fn finish(self) -> Report {
        let mut findings = Vec::new();
        let mut listeners = Vec::new();
        // Ports never answered, per host: (ports, SYNs, attempts, client hosts).
        let mut silent: BTreeMap<IpAddr, (Vec<u16>, u64, u64, HashSet<IpAddr>)> = BTreeMap::new();
        for (server, a) in &self.listeners {
            if a.unanswered > 0 && a.answered == 0 && a.refused == 0 {
                let e = silent.entry(server.ip).or_default();
                e.0.push(server.port);
                e.1 += a.syns;
                e.2 += a.clients.len() as u64;
                e.3.extend(a.clients.ips());
            }
        }
        for (server, a) in &self.listeners {
            let server = *server;
            let mut codes = Vec::new();
            let attempts = a.clients.len() as u64;
            let answers: Vec<Answered> = a.answers.iter().map(Answered::from_row).collect();
            let (_, cookies) = syncookie::assess_reduced(&answers, self.capture_end);
            drop(answers);
            let max_half_open = cookies.syn_queue_peak;
            let failed = a.unanswered + a.syn_ack_unanswered;
            if attempts >= FLOOD_MIN_ATTEMPTS
                && failed * 2 >= attempts
                && a.established * 10 < attempts
            {
                codes.push(FindingCode::SynFlood);
                findings.push(Finding::SynFlood {
                    listener: server,
                    attempts,
                    answered: a.answered,
                    established: a.established,
                    max_half_open,
                    unanswered: a.unanswered,
                    cookie_answers: cookies.cookies,
                });
            }
            if cookies.cookies > 0 {
                codes.push(FindingCode::SynCookies);
                findings.push(Finding::SynCookies {
                    listener: server,
                    cookie_answers: cookies.cookies,
                    cookies_completed: cookies.cookies_completed,
                    queued_answers: cookies.queued,
                    max_half_open,
                });
            }
            let mut backlog = None;
            if let Some(&first) = a.ignored.iter().min() {
                let waiting = a
                    .idle
                    .iter()
                    .filter(|&[s, to_busy]| s <= first && first < s.wrapping_add(to_busy))
                    .count() as u64;
                if waiting >= 1 && !codes.contains(&FindingCode::SynFlood) {
                    backlog = Some(waiting - 1);
                    codes.push(FindingCode::AcceptQueueOverflow);
                    findings.push(Finding::AcceptQueueOverflow {
                        listener: server,
                        unanswered: a.unanswered,
                        waiting,
                        backlog: waiting - 1,
                    });
                }
            }
            if let Some((ports, syns, attempts, clients)) = silent.get(&server.ip)
                && ports.contains(&server.port)
            {
                codes.push(FindingCode::NeverAnswered);
                // One finding per host, at its lowest such port.
                if ports.first() == Some(&server.port) {
                    findings.push(Finding::NeverAnswered {
                        host: server.ip,
                        ports: ports
                            .iter()
                            .take(NEVER_ANSWERED_PORTS_LISTED)
                            .copied()
                            .collect(),
                        port_count: ports.len() as u64,
                        syns: *syns,
                        attempts: *attempts,
                        clients: clients.len() as u64,
                    });
                }
            }
            if a.refused > 0 {
                codes.push(FindingCode::Refusing);
                findings.push(Finding::Refusing {
                    listener: server,
                    refused: a.refused,
                });
            }
            listeners.push(Listener {
                ip: server.ip,
                port: server.port,
                clients: attempts,
                syns: a.syns,
                answered: a.answered,
                established: a.established,
                max_half_open,
                queued_answers: cookies.queued,
                cookie_answers: cookies.cookies,
                cookie_connections: cookies.cookie_connections,
                unanswered: a.unanswered,
                refused: a.refused,
                backlog_estimate: backlog,
                findings: codes,
            });
        }
        if self.evicted > 0 || self.forgotten > 0 {
            findings.push(Finding::MemoryBudget {
                evicted: self.evicted,
                resumed: self.resumed,
                forgotten: self.forgotten,
            });
        }
        // One MTU finding per pair of hosts and MTUs, at its first connection.
        let mut pairs: BTreeMap<(IpAddr, u32, IpAddr, u32), (u64, u64)> = BTreeMap::new();
        for m in &self.mtu {
            let e = pairs
                .entry((m.host, m.mtu, m.peer, m.peer_mtu))
                .or_insert((0, u64::MAX));
            e.0 += 1;
            e.1 = e.1.min(m.conn);
        }
        // One zero-window finding per advertiser, at its first connection
        // (its side there; the counts over all of them).
        let mut advertisers: BTreeMap<Endpoint, (ZeroInput, u64, u64)> = BTreeMap::new();
        for z in &self.zero {
            let e = advertisers.entry(z.endpoint).or_insert((*z, 0, 0));
            if z.conn < e.0.conn {
                e.0 = *z;
            }
            e.1 += z.count;
            e.2 += 1;
        }
        let mut listed: Vec<(u64, Finding)> = advertisers
            .into_values()
            .map(|(first, count, connections)| {
                (
                    first.conn,
                    Finding::ZeroWindow {
                        endpoint: first.endpoint,
                        side: first.side,
                        count,
                        connections,
                        first_conn: ConnId(first.conn),
                    },
                )
            })
            .collect();
        listed.extend(
            pairs
                .into_iter()
                .map(|((host, mtu, peer, peer_mtu), (n, first))| {
                    (
                        first,
                        Finding::MtuMismatch {
                            host,
                            mtu,
                            peer,
                            peer_mtu,
                            connections: n,
                            first_conn: ConnId(first),
                        },
                    )
                }),
        );
        // In number order (a pair's at its first connection); a
        // connection's own findings in the order found (the sort is stable).
        listed.sort_by_key(|(conn, _)| *conn);
        findings.extend(listed.into_iter().map(|(_, f)| f));
        Report {
            connections: self.connections,
            evicted: self.evicted,
            resumed: self.resumed,
            forgotten: self.forgotten,
            listeners,
            findings,
            inputs: self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::story::testutil::*;

    /// A connection from client port `port` opened at `t` s: `answered` SYN-ACK, ACK.
    fn attempt(port: u16, t: i64, answered: bool, acked: bool) -> Connection {
        let mut c = Conn::new();
        c.cport = port;
        c.seg(t * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
        if answered {
            c.seg(t * S + MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
            if acked {
                c.seg(t * S + 2 * MS, C2S, A, 1, 1, 0, &[]);
            }
        } else {
            // Linux retransmits the SYN after 1 s, 2 s ...
            c.seg(t * S + S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
            c.seg(t * S + 2 * S, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
        }
        c.finish(100 * S)
    }

    #[test]
    fn accept_queue_overflow_and_backlog() {
        // listen(2): Linux queues backlog + 1 = 3 connections; the application never
        // accepts (the server sends nothing), so the 4th client's SYNs go unanswered.
        let mut d = Diagnostics::new();
        for (i, p) in [1001u16, 1002, 1003].into_iter().enumerate() {
            d.add(&attempt(p, i as i64, true, true));
        }
        d.add(&attempt(1004, 5, false, false));
        let r = d.finish();
        let l = &r.listeners[0];
        assert_eq!(
            (l.clients, l.syns, l.answered, l.established, l.unanswered),
            (4, 6, 3, 3, 1)
        );
        assert_eq!(l.findings, [FindingCode::AcceptQueueOverflow]);
        assert_eq!(l.backlog_estimate, Some(2));
        assert_eq!(r.findings[0].code(), FindingCode::AcceptQueueOverflow);
    }

    #[test]
    fn syn_flood_and_half_open() {
        // 30 spoofed SYNs in 30 ms: the first 4 get SYN-ACKs never acknowledged (the SYN
        // queue holds 4), the other 26 are dropped.
        let mut d = Diagnostics::new();
        for i in 0..30u16 {
            let mut c = Conn::new();
            c.cport = 2000 + i;
            c.seg(i64::from(i) * MS, C2S, SY, 0, 0, 0, &MSS_ONLY);
            if i < 4 {
                for k in [0i64, 1, 3] {
                    c.seg(
                        i64::from(i) * MS + k * S + 1000,
                        S2C,
                        SY | A,
                        0,
                        1,
                        0,
                        &LINUX_SYN_OPTS,
                    );
                }
            }
            d.add(&c.finish(100 * S));
        }
        let r = d.finish();
        let l = &r.listeners[0];
        assert_eq!(
            (l.clients, l.answered, l.established, l.unanswered),
            (30, 4, 0, 26)
        );
        assert_eq!(l.max_half_open, 4);
        assert!(l.findings.contains(&FindingCode::SynFlood));
        assert_eq!(l.backlog_estimate, None);
    }

    #[test]
    fn a_few_lost_syns_are_no_flood() {
        let mut d = Diagnostics::new();
        for i in 0..25u16 {
            d.add(&attempt(3000 + i, i64::from(i), i % 10 != 0, true));
        }
        let r = d.finish();
        assert!(!r.listeners[0].findings.contains(&FindingCode::SynFlood));
    }

    #[test]
    fn mss_mismatch_once_per_pair_of_hosts() {
        // Eight connections between the same two hosts, each with the client's
        // MSS 1460 (MTU 1500) against the server's 8460 (MTU 8500): one
        // finding for the pair, eight connections, the first numbered 3.
        let mut d = Diagnostics::new();
        for i in 0..8u16 {
            let mut c = Conn::new();
            c.cport = 5000 + i;
            c.seg(0, C2S, SY, 0, 0, 0, &MSS_ONLY);
            c.seg(MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
            c.seg(2 * MS, C2S, A, 1, 1, 0, &[]);
            let mut r = c.finish(S);
            r.conn = ConnId(u64::from(10 - i));
            d.add(&r);
        }
        let r = d.finish();
        let mtu: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.code() == FindingCode::MtuMismatch)
            .collect();
        assert_eq!(mtu.len(), 1);
        let Finding::MtuMismatch {
            mtu,
            peer_mtu,
            connections,
            first_conn,
            ..
        } = mtu[0]
        else {
            unreachable!()
        };
        assert_eq!(
            (*mtu, *peer_mtu, *connections, *first_conn),
            (1500, 8500, 8, ConnId(3))
        );
    }

    #[test]
    fn a_silent_host_is_one_finding() {
        // SYNs to ports 81 and 82 of one host, never answered, and to 80,
        // answered: the host is one never_answered finding for 81 and 82.
        let mut d = Diagnostics::new();
        for (i, sport) in [81u16, 82, 80].into_iter().enumerate() {
            let mut c = attempt(6000 + i as u16, i as i64, sport == 80, true);
            c.server.port = sport;
            d.add(&c);
        }
        let r = d.finish();
        let silent: Vec<_> = r
            .findings
            .iter()
            .filter(|f| f.code() == FindingCode::NeverAnswered)
            .collect();
        assert_eq!(silent.len(), 1);
        let Finding::NeverAnswered {
            ref ports,
            port_count,
            syns,
            attempts,
            clients,
            ..
        } = *silent[0]
        else {
            unreachable!()
        };
        // Each unanswered attempt sends 3 SYNs (at 0, 1, 2 s).
        assert_eq!(
            (ports.as_slice(), port_count, syns, attempts, clients),
            (&[81u16, 82][..], 2, 6, 2, 1)
        );
        let codes = |port| {
            r.listeners
                .iter()
                .find(|l| l.port == port)
                .map(|l| l.findings.clone())
        };
        assert_eq!(codes(81), Some(vec![FindingCode::NeverAnswered]));
        assert_eq!(codes(80), Some(vec![]));
        let text = crate::text::finding(silent[0]);
        assert!(
            text.starts_with("198.18.2.12 on 2 ports (81, 82) never answered: 6 SYNs (2 connection attempts) from 1 client host"),
            "{text}"
        );
    }

    #[test]
    fn zero_windows_are_one_finding_per_advertiser() {
        // The server 198.18.2.12:9527 advertises a zero window twice on
        // connection 7 and three times on connection 4; a client once on
        // connection 5. One finding per advertiser, at its first connection,
        // with the counts over its connections.
        let zw = crate::analysis::AnalysisFlags::ZERO_WINDOW;
        let conn = |n: u64, port: u16, dir, times: u64| {
            let mut c = Conn::new();
            c.cport = port;
            c.seg(0, C2S, SY, 0, 0, 0, &LINUX_SYN_OPTS);
            c.seg(MS, S2C, SY | A, 0, 1, 0, &LINUX_SYN_OPTS);
            c.seg(2 * MS, C2S, A, 1, 1, 0, &[]);
            for i in 0..times {
                c.seg_flagged((3 + i as i64) * MS, dir, A, 1, 1, 0, &[], zw);
            }
            let mut c = c.finish(S);
            c.conn = ConnId(n);
            c
        };
        let mut d = Diagnostics::new();
        d.add(&conn(7, 6007, S2C, 2));
        d.add(&conn(5, 6005, C2S, 1));
        d.add(&conn(4, 6004, S2C, 3));
        let r = d.finish();
        let server = Endpoint {
            ip: "198.18.2.12".parse().unwrap(),
            port: 9527,
        };
        let client = Endpoint {
            ip: "198.18.2.15".parse().unwrap(),
            port: 6005,
        };
        assert_eq!(
            r.findings,
            [
                Finding::ZeroWindow {
                    endpoint: server,
                    side: Side::Server,
                    count: 5,
                    connections: 2,
                    first_conn: ConnId(4),
                },
                Finding::ZeroWindow {
                    endpoint: client,
                    side: Side::Client,
                    count: 1,
                    connections: 1,
                    first_conn: ConnId(5),
                },
            ]
        );
        assert!(
            crate::text::finding(&r.findings[0]).starts_with(
                "198.18.2.12:9527 (the server of connection 4 and others) advertised a zero window 5 times on 2 connections"
            )
        );
        assert!(crate::text::finding(&r.findings[1]).starts_with(
            "198.18.2.15:6005 (the client of connection 5) advertised a zero window once:"
        ));
    }

    #[test]
    fn overlap() {
        assert_eq!(syncookie::max_overlap(&[]), 0);
        assert_eq!(syncookie::max_overlap(&[(0, 10), (5, 15), (10, 20)]), 2);
        assert_eq!(
            syncookie::max_overlap(&[(0, 10), (1, 9), (2, 8), (3, 7)]),
            4
        );
    }
}

//! Capture-wide findings: per listening socket (server ip:port) the connection
//! attempts and what became of them, and findings with a code and a sentence
//! (`tcpkit report --json`).
//!
//! [`Diagnostics`] takes each finished [`ConnectionStory`] (any order) and
//! keeps a few numbers per connection; [`Diagnostics::finish`] returns the
//! [`Report`].
//!
//! Reports merge ([`Report::merge`]): a report keeps what its figures are
//! derived from (per listener: the client endpoints, the half-open and idle
//! intervals, the unanswered SYN times; the per-connection findings with
//! their connection numbers), so that the reports of two parts of a capture
//! split by connection (4-tuple) merge into the report of the whole, once
//! their connection numbers are made the whole capture's
//! ([`Report::renumber`], [`Renumber`](crate::analysis::Renumber)).
//!
//! Rules (Linux semantics, see docs/story.md):
//! * `syn_flood`: at least [`FLOOD_MIN_ATTEMPTS`] attempts of which at least
//!   half failed (SYNs unanswered or SYN-ACKs never acknowledged) and none
//!   (or almost none) established: the SYN queue is full and new SYNs are dropped.
//! * `accept_queue_overflow`: a SYN went unanswered while other connections to
//!   the same listener were established and idle (the server had sent neither
//!   data nor FIN nor RST: not yet accepted). Linux drops a SYN when the accept
//!   queue holds more than `backlog` connections (`sk_acceptq_is_full`: `>`), so
//!   `backlog + 1` connections wait: the estimate is that count minus one.
//! * `refusing`: attempts answered with RST.
//! * `zero_window`: a side advertised a zero window.
//! * `mtu_mismatch`: the two MSS options imply different MTUs (the smaller side
//!   sits behind a smaller link or a tunnel).

use crate::analysis::AnalyzerStats;
use crate::analysis::story::{ConnectionStory, Outcome, Side};
use crate::flow::{ConnId, Endpoint};
use std::collections::{BTreeMap, HashSet};
use std::net::IpAddr;

/// Attempts below which no SYN flood is reported.
pub const FLOOD_MIN_ATTEMPTS: u64 = 20;

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
    /// Most half-open connections (SYN-ACK sent, not yet acknowledged) at once.
    pub max_half_open: u64,
    /// Attempts never answered (neither SYN-ACK nor RST).
    pub unanswered: u64,
    /// Attempts answered with RST.
    pub refused: u64,
    /// Listen backlog estimated from an accept-queue overflow.
    pub backlog_estimate: Option<u64>,
    /// Codes of the findings about this listener.
    pub findings: Vec<String>,
}

/// A finding: a code and a sentence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Finding {
    /// Machine-readable code (`syn_flood`, `accept_queue_overflow`, `refusing`, `zero_window`, `mtu_mismatch`).
    pub code: String,
    /// What an expert would say.
    pub text: String,
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

    /// Gives the per-connection findings the numbers `map` assigns (for
    /// instance from [`Renumber`](crate::analysis::Renumber)), and derives
    /// the findings again.
    pub fn renumber(&mut self, mut map: impl FnMut(ConnId) -> ConnId) {
        let mut inputs = std::mem::take(&mut self.inputs);
        for (conn, f) in &mut inputs.conn_findings {
            *conn = map(ConnId(*conn)).0;
            f.set_conn(*conn);
        }
        *self = inputs.finish();
    }
}

#[derive(Debug, Default, Clone)]
struct Acc {
    clients: HashSet<Endpoint>,
    syns: u64,
    answered: u64,
    established: u64,
    unanswered: u64,
    refused: u64,
    syn_ack_unanswered: u64,
    /// Half-open intervals (first SYN-ACK, end).
    half_open: Vec<(i64, i64)>,
    /// Established and idle intervals (established, server first busy or end).
    idle: Vec<(i64, i64)>,
    /// First SYN of each unanswered attempt.
    ignored: Vec<i64>,
}

impl Acc {
    fn merge(&mut self, o: Acc) {
        self.clients.extend(o.clients);
        self.syns += o.syns;
        self.answered += o.answered;
        self.established += o.established;
        self.unanswered += o.unanswered;
        self.refused += o.refused;
        self.syn_ack_unanswered += o.syn_ack_unanswered;
        self.half_open.extend(o.half_open);
        self.idle.extend(o.idle);
        self.ignored.extend(o.ignored);
    }
}

/// A per-connection finding, kept with its parameters so that its sentence
/// can be written again under another connection number.
#[derive(Debug, Clone)]
enum ConnFinding {
    ZeroWindow {
        endpoint: Endpoint,
        side: Side,
        conn: u64,
        count: u64,
    },
    MtuMismatch {
        conn: u64,
        low: Side,
        endpoint: Endpoint,
        low_mtu: u32,
        high_mtu: u32,
    },
}

impl ConnFinding {
    fn set_conn(&mut self, c: u64) {
        match self {
            Self::ZeroWindow { conn, .. } | Self::MtuMismatch { conn, .. } => *conn = c,
        }
    }

    fn finding(&self) -> Finding {
        match *self {
            Self::ZeroWindow {
                endpoint,
                side,
                conn,
                count,
            } => Finding {
                code: "zero_window".into(),
                text: format!(
                    "{} (the {} of connection {conn}) advertised a zero window {count} time{}: its receive buffer was full (the application read more slowly than the data came).",
                    ep(endpoint),
                    side.as_str(),
                    if count == 1 { "" } else { "s" }
                ),
            },
            Self::MtuMismatch {
                conn,
                low,
                endpoint,
                low_mtu,
                high_mtu,
            } => Finding {
                code: "mtu_mismatch".into(),
                text: format!(
                    "Connection {conn}: the {}'s MSS implies an MTU of {low_mtu} bytes, the peer's {high_mtu}: {} sits behind a smaller link or a tunnel, and segments are limited to the smaller MSS.",
                    low.as_str(),
                    ep(endpoint)
                ),
            },
        }
    }
}

/// Collects finished connections into the capture-wide [`Report`].
#[derive(Debug, Default, Clone)]
pub struct Diagnostics {
    connections: u64,
    evicted: u64,
    resumed: u64,
    forgotten: u64,
    listeners: BTreeMap<Endpoint, Acc>,
    /// Per-connection findings with their connection number (listed in
    /// number order, whatever order the connections were handed out in).
    conn_findings: Vec<(u64, ConnFinding)>,
}

fn ep(e: Endpoint) -> String {
    match e.ip {
        IpAddr::V6(ip) => format!("[{ip}]:{}", e.port),
        IpAddr::V4(ip) => format!("{ip}:{}", e.port),
    }
}

impl Diagnostics {
    /// An empty collector.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds one finished connection (or one part of a connection split by
    /// an eviction: a resumed part is not counted as another connection, and
    /// adds only its SYNs to its listener, not another attempt).
    pub fn add(&mut self, s: &ConnectionStory) {
        if !s.resumed {
            self.connections += 1;
        }
        for side in [Side::Client, Side::Server] {
            let zw = *s.zero_window.get(side.sends());
            if zw > 0 {
                self.conn_findings.push((
                    s.conn.0,
                    ConnFinding::ZeroWindow {
                        endpoint: s.endpoint(side),
                        side,
                        conn: s.conn.0,
                        count: zw,
                    },
                ));
            }
        }
        if let (Some(c), Some(v)) = (s.implied_mtu.client, s.implied_mtu.server) {
            if c != v {
                let (low, high) = if c < v {
                    (Side::Client, v)
                } else {
                    (Side::Server, c)
                };
                self.conn_findings.push((
                    s.conn.0,
                    ConnFinding::MtuMismatch {
                        conn: s.conn.0,
                        low,
                        endpoint: s.endpoint(low),
                        low_mtu: c.min(v),
                        high_mtu: high,
                    },
                ));
            }
        }
        if s.handshake.syn_frames.is_empty() {
            return;
        }
        let a = self.listeners.entry(s.server).or_default();
        a.clients.insert(s.client);
        a.syns += s.handshake.syn_frames.len() as u64;
        if s.resumed {
            return;
        }
        let hs = &s.handshake;
        if !hs.syn_ack_frames.is_empty() {
            a.answered += 1;
            if let (Some(&start), Some(&last)) = (hs.syn_ack_ts_ns.first(), hs.syn_ack_ts_ns.last())
            {
                let end = hs.ack_ts_ns.or(s.rst_ts_ns).unwrap_or_else(|| {
                    // Unanswered: the kernel keeps the request until one more (doubled) timeout.
                    let gap = hs
                        .syn_ack_ts_ns
                        .windows(2)
                        .last()
                        .map_or(1_000_000_000, |w| w[1].saturating_sub(w[0]));
                    last.saturating_add(gap.saturating_mul(2))
                });
                a.half_open.push((start, end.max(start)));
            }
        }
        match hs.outcome {
            Outcome::Established => {
                a.established += 1;
                if let Some(t) = hs.ack_ts_ns {
                    a.idle.push((t, s.server_busy_ns.unwrap_or(i64::MAX)));
                }
            }
            Outcome::NoAnswer => {
                a.unanswered += 1;
                if let Some(&t) = hs.syn_ts_ns.first() {
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
        self.evicted += o.evicted;
        self.resumed += o.resumed;
        self.forgotten += o.forgotten;
        for (k, a) in o.listeners {
            self.listeners.entry(k).or_default().merge(a);
        }
        self.conn_findings.extend(o.conn_findings);
    }

    /// The report.
    pub fn finish(mut self) -> Report {
        let mut findings = Vec::new();
        let mut listeners = Vec::new();
        for (server, a) in &self.listeners {
            let server = *server;
            let mut codes = Vec::new();
            let attempts = a.clients.len() as u64;
            let max_half_open = max_overlap(&a.half_open);
            let failed = a.unanswered + a.syn_ack_unanswered;
            if attempts >= FLOOD_MIN_ATTEMPTS
                && failed * 2 >= attempts
                && a.established * 10 < attempts
            {
                codes.push("syn_flood".to_string());
                findings.push(Finding {
                    code: "syn_flood".into(),
                    text: format!(
                        "{}: {attempts} connection attempts, {} answered with a SYN-ACK, {} established; at most {max_half_open} \
                         half-open at once and {} SYNs never answered: the SYN queue was full and new SYNs were dropped \
                         (a SYN flood; Linux answers with SYN cookies when tcp_syncookies is on).",
                        ep(server),
                        a.answered,
                        a.established,
                        a.unanswered
                    ),
                });
            }
            let mut backlog = None;
            if let Some(&first) = a.ignored.iter().min() {
                let waiting = a
                    .idle
                    .iter()
                    .filter(|(s, e)| *s <= first && first < *e)
                    .count() as u64;
                if waiting >= 1 && !codes.iter().any(|c| c == "syn_flood") {
                    backlog = Some(waiting - 1);
                    codes.push("accept_queue_overflow".to_string());
                    findings.push(Finding {
                        code: "accept_queue_overflow".into(),
                        text: format!(
                            "{}: {} SYN{} ignored while {waiting} established connections sat idle, never served by the \
                             application: the accept queue was full. Linux lets backlog + 1 connections wait, so the \
                             listen backlog is probably {} (min(backlog, net.core.somaxconn)).",
                            ep(server),
                            a.unanswered,
                            if a.unanswered == 1 { " was" } else { "s were" },
                            waiting - 1
                        ),
                    });
                }
            }
            if a.refused > 0 {
                codes.push("refusing".to_string());
                findings.push(Finding {
                    code: "refusing".into(),
                    text: format!(
                        "{}: {} attempt{} answered with RST: nothing was listening on port {}.",
                        ep(server),
                        a.refused,
                        if a.refused == 1 { "" } else { "s" },
                        server.port
                    ),
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
                unanswered: a.unanswered,
                refused: a.refused,
                backlog_estimate: backlog,
                findings: codes,
            });
        }
        if self.evicted > 0 || self.forgotten > 0 {
            findings.push(Finding {
                code: "memory_budget".into(),
                text: format!(
                    "{} connection{} evicted while idle to stay within the memory budget (AnalyzerConfig::memory_budget): \
                     each was handed out at its eviction (evicted: true) and kept a compact entry; {} spoke again and \
                     continued under {} own number, window scale and sequence numbers (a second part, resumed){}.",
                    self.evicted,
                    if self.evicted == 1 { " was" } else { "s were" },
                    self.resumed,
                    if self.resumed == 1 { "its" } else { "their" },
                    if self.forgotten > 0 {
                        format!(
                            "; {} compact entr{} forgotten (too many, or idle past the idle timeout): such a connection, \
                             if it spoke again, was counted as a new connection captured mid-stream",
                            self.forgotten,
                            if self.forgotten == 1 { "y was" } else { "ies were" }
                        )
                    } else {
                        String::new()
                    }
                ),
            });
        }
        // In number order; a connection's own findings in the order found
        // (the sort is stable).
        self.conn_findings.sort_by_key(|(conn, _)| *conn);
        findings.extend(self.conn_findings.iter().map(|(_, f)| f.finding()));
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

/// The most intervals `[start, end)` open at one instant.
fn max_overlap(iv: &[(i64, i64)]) -> u64 {
    let mut ev: Vec<(i64, i32)> = iv.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
    // Ends before starts at the same instant.
    ev.sort_unstable();
    let (mut cur, mut max) = (0i64, 0i64);
    for (_, d) in ev {
        cur += i64::from(d);
        max = max.max(cur);
    }
    max as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::story::testutil::*;

    /// A connection from client port `port` opened at `t` s: `answered` SYN-ACK, ACK.
    fn attempt(port: u16, t: i64, answered: bool, acked: bool) -> ConnectionStory {
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
        assert_eq!(l.findings, ["accept_queue_overflow"]);
        assert_eq!(l.backlog_estimate, Some(2));
        assert_eq!(r.findings[0].code, "accept_queue_overflow");
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
        assert!(l.findings.contains(&"syn_flood".to_string()));
        assert_eq!(l.backlog_estimate, None);
    }

    #[test]
    fn a_few_lost_syns_are_no_flood() {
        let mut d = Diagnostics::new();
        for i in 0..25u16 {
            d.add(&attempt(3000 + i, i64::from(i), i % 10 != 0, true));
        }
        let r = d.finish();
        assert!(r.listeners[0].findings.iter().all(|f| f != "syn_flood"));
    }

    #[test]
    fn overlap() {
        assert_eq!(max_overlap(&[]), 0);
        assert_eq!(max_overlap(&[(0, 10), (5, 15), (10, 20)]), 2);
        assert_eq!(max_overlap(&[(0, 10), (1, 9), (2, 8), (3, 7)]), 4);
    }
}

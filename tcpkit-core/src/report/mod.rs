//! Capture-wide findings: per listening socket (server ip:port) the connection
//! attempts and what became of them, and findings with a code and a sentence
//! (`tcpkit report --json`).
//!
//! [`Diagnostics`] takes each finished [`ConnectionStory`] (any order) and
//! keeps a few numbers per connection; [`Diagnostics::finish`] returns the
//! [`Report`].
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
//! * Answers from the SYN queue and SYN-cookie answers are told apart
//!   ([`syncookie`](crate::analysis::story::syncookie)); `max_half_open` counts
//!   only the queue's requests.
//! * `refusing`: attempts answered with RST.
//! * `zero_window`: a side advertised a zero window.
//! * `mtu_mismatch`: the two MSS options imply different MTUs (the smaller side
//!   sits behind a smaller link or a tunnel).

use crate::analysis::story::syncookie::{self, AnswerFacts};
use crate::analysis::story::{ConnectionStory, Outcome, Side};
use crate::flow::Endpoint;
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
    /// Most half-open requests (SYN-ACK sent, not yet acknowledged) at once
    /// in the SYN queue: SYN-cookie answers keep no request and are not
    /// counted; answers the capture cannot classify are. An unanswered
    /// request counts until one more doubled timeout after its last SYN-ACK.
    pub max_half_open: u64,
    /// Attempts never answered (neither SYN-ACK nor RST).
    pub unanswered: u64,
    /// Attempts answered with RST.
    pub refused: u64,
    /// Listen backlog estimated from an accept-queue overflow.
    pub backlog_estimate: Option<u64>,
    /// Attempts answered from the SYN queue (see [`syncookie`](crate::analysis::story::syncookie)).
    pub queued_answers: u64,
    /// Attempts answered with a Linux SYN cookie (no request kept).
    pub cookie_answers: u64,
    /// The connections answered with a SYN cookie, by number.
    pub cookie_connections: Vec<u64>,
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
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Report {
    /// Connections in the capture.
    pub connections: u64,
    /// Listening sockets, by address.
    pub listeners: Vec<Listener>,
    /// Findings, listeners' first.
    pub findings: Vec<Finding>,
}

#[derive(Debug, Default)]
struct Acc {
    clients: HashSet<Endpoint>,
    syns: u64,
    answered: u64,
    established: u64,
    unanswered: u64,
    refused: u64,
    syn_ack_unanswered: u64,
    /// Established and idle intervals (established, server first busy or end).
    idle: Vec<(i64, i64)>,
    /// First SYN of each unanswered attempt.
    ignored: Vec<i64>,
    /// Each answered attempt, for telling SYN-queue answers from cookies.
    answers: Vec<AnswerFacts>,
}

/// Collects finished connections into the capture-wide [`Report`].
#[derive(Debug, Default)]
pub struct Diagnostics {
    connections: u64,
    /// The latest segment of any connection (ns).
    capture_end: i64,
    listeners: BTreeMap<Endpoint, Acc>,
    /// Per-connection findings with their connection number (listed in
    /// number order, whatever order the connections were handed out in).
    conn_findings: Vec<(u64, Finding)>,
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

    /// Adds one finished connection.
    pub fn add(&mut self, s: &ConnectionStory) {
        self.connections += 1;
        self.capture_end = self.capture_end.max(s.last_ts_ns);
        for side in [Side::Client, Side::Server] {
            let zw = *s.zero_window.get(side.sends());
            if zw > 0 {
                self.conn_findings.push((s.conn.0, Finding {
                    code: "zero_window".into(),
                    text: format!(
                        "{} (the {} of connection {}) advertised a zero window {zw} time{}: its receive buffer was full (the application read more slowly than the data came).",
                        ep(s.endpoint(side)),
                        side.as_str(),
                        s.conn.0,
                        if zw == 1 { "" } else { "s" }
                    ),
                }));
            }
        }
        if let (Some(c), Some(v)) = (s.implied_mtu.client, s.implied_mtu.server) {
            if c != v {
                let (low, high) = if c < v {
                    (Side::Client, v)
                } else {
                    (Side::Server, c)
                };
                let lm = c.min(v);
                self.conn_findings.push((s.conn.0, Finding {
                    code: "mtu_mismatch".into(),
                    text: format!(
                        "Connection {}: the {}'s MSS implies an MTU of {lm} bytes, the peer's {high}: {} sits behind a smaller link or a tunnel, and segments are limited to the smaller MSS.",
                        s.conn.0,
                        low.as_str(),
                        ep(s.endpoint(low))
                    ),
                }));
            }
        }
        if s.handshake.syn_frames.is_empty() {
            return;
        }
        let a = self.listeners.entry(s.server).or_default();
        a.clients.insert(s.client);
        a.syns += s.handshake.syn_frames.len() as u64;
        let hs = &s.handshake;
        if !hs.syn_ack_frames.is_empty() {
            a.answered += 1;
            a.answers.extend(AnswerFacts::of(s));
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
            Outcome::Midstream => {}
        }
    }

    /// The report.
    pub fn finish(self) -> Report {
        let mut findings = Vec::new();
        let mut listeners = Vec::new();
        for (server, a) in self.listeners {
            let mut codes = Vec::new();
            let attempts = a.clients.len() as u64;
            let (_, cookies) = syncookie::assess(&a.answers, self.capture_end);
            let max_half_open = cookies.syn_queue_peak;
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
                queued_answers: cookies.queued,
                cookie_answers: cookies.cookies,
                cookie_connections: cookies.cookie_connections,
                findings: codes,
            });
        }
        let mut conn_findings = self.conn_findings;
        conn_findings.sort_by_key(|(conn, _)| *conn);
        findings.extend(conn_findings.into_iter().map(|(_, f)| f));
        Report {
            connections: self.connections,
            listeners,
            findings,
        }
    }
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
}

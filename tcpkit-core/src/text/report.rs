//! The capture-wide part of `tcpkit report`: listeners and findings.

use super::{count, endpoint, was};
use crate::flow::Endpoint;
use crate::report::{Finding, Report};
use std::fmt::Write as _;

/// What an expert would say about one finding.
pub fn finding(f: &Finding) -> String {
    match *f {
        Finding::SynFlood {
            listener,
            attempts,
            answered,
            established,
            max_half_open,
            unanswered,
            cookie_answers,
        } => {
            let then = if cookie_answers > 0 {
                format!("further SYNs were answered with SYN cookies ({cookie_answers})")
            } else {
                "new SYNs were dropped (Linux answers with SYN cookies when tcp_syncookies is on)"
                    .to_string()
            };
            format!(
                "{}: {}, {answered} answered with a SYN-ACK, {established} established; at most {max_half_open} \
                 half-open at once in the SYN queue and {} never answered: the SYN queue was full and {then} (a SYN flood).",
                endpoint(listener),
                count(attempts, "connection attempt"),
                count(unanswered, "SYN"),
            )
        }
        Finding::SynCookies {
            listener,
            cookie_answers,
            cookies_completed,
            queued_answers,
            max_half_open,
        } => format!(
            "{}: SYN cookies in use: {} answered with a cookie (no request kept, never retransmitted; \
             {} completed with it), {queued_answers} from the SYN queue, which held at most \
             {} at once: the queue was full and net.ipv4.tcp_syncookies is on.",
            endpoint(listener),
            count(cookie_answers, "SYN"),
            count(cookies_completed, "handshake"),
            count(max_half_open, "request"),
        ),
        Finding::AcceptQueueOverflow {
            listener,
            unanswered,
            waiting,
            backlog,
        } => format!(
            "{}: {} {} ignored while {} sat idle, never served by the \
             application: the accept queue was full. Linux lets backlog + 1 connections wait, so the \
             listen backlog is probably {backlog} (min(backlog, net.core.somaxconn)).",
            endpoint(listener),
            count(unanswered, "SYN"),
            was(unanswered),
            count(waiting, "established connection"),
        ),
        Finding::NeverAnswered {
            host,
            ref ports,
            port_count,
            syns,
            attempts,
            clients,
        } => {
            let at = if port_count == 1 {
                endpoint(Endpoint {
                    ip: host,
                    port: ports.first().copied().unwrap_or(0),
                })
            } else {
                let mut list = ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ");
                if port_count > ports.len() as u64 {
                    list += ", ...";
                }
                format!("{host} on {} ({list})", count(port_count, "port"))
            };
            format!(
                "{at} never answered: {} ({}) from {}, none answered with a SYN-ACK or a RST: \
                 the host is down or unreachable, or a firewall drops the SYNs (a closed port answers with RST).",
                count(syns, "SYN"),
                count(attempts, "connection attempt"),
                count(clients, "client host"),
            )
        }
        Finding::Refusing { listener, refused } => format!(
            "{}: {} answered with RST: nothing was listening on port {}.",
            endpoint(listener),
            count(refused, "attempt"),
            listener.port
        ),
        Finding::ZeroWindow {
            endpoint: e,
            side,
            count: n,
            connections: 1,
            first_conn,
        } => format!(
            "{} (the {} of connection {}) advertised a zero window {}: its receive buffer was full (the application read more slowly than the data came).",
            endpoint(e),
            side.as_str(),
            first_conn.0,
            if n == 1 {
                "once".to_string()
            } else {
                count(n, "time")
            }
        ),
        Finding::ZeroWindow {
            endpoint: e,
            side,
            count: n,
            connections,
            first_conn,
        } => format!(
            "{} (the {} of connection {} and others) advertised a zero window {} on {}: its receive buffers were full (the application read more slowly than the data came).",
            endpoint(e),
            side.as_str(),
            first_conn.0,
            count(n, "time"),
            count(connections, "connection")
        ),
        Finding::MtuMismatch {
            host,
            mtu,
            peer,
            peer_mtu,
            connections,
            first_conn,
        } => format!(
            "{host} announces an MSS that implies an MTU of {mtu} bytes, {peer} one of {peer_mtu}, on {} \
             (the first is connection {}): {host} sits behind a smaller link or a tunnel, and segments between them \
             are limited to the smaller MSS.",
            count(connections, "connection"),
            first_conn.0,
        ),
        Finding::MemoryBudget {
            evicted,
            resumed,
            forgotten,
        } => format!(
            "{} {} evicted while idle to stay within the memory budget (AnalyzerConfig::memory_budget): \
             each was handed out at its eviction (evicted: true) and kept a compact entry; {resumed} spoke again and \
             continued under {} own number, window scale and sequence numbers (a later part, resumed){}.",
            count(evicted, "connection"),
            was(evicted),
            if resumed == 1 { "its" } else { "their" },
            if forgotten > 0 {
                format!(
                    "; {} {} forgotten (too many, or idle past the idle timeout): such a \
                     connection, if it spoke again, was counted as a new connection captured mid-stream",
                    count(forgotten, "compact entry"),
                    was(forgotten)
                )
            } else {
                String::new()
            }
        ),
    }
}

/// Appends the capture-wide part of `tcpkit report`.
pub fn report_block(out: &mut String, r: &Report) {
    let _ = writeln!(out, "Capture: {}", count(r.connections, "connection"));
    for l in &r.listeners {
        let _ = writeln!(
            out,
            "  listener {}: {}, {}, {} answered, {} established, {} unanswered, {} refused, at most {} half-open{}{}",
            endpoint(Endpoint {
                ip: l.ip,
                port: l.port
            }),
            count(l.clients, "attempt"),
            count(l.syns, "SYN"),
            l.answered,
            l.established,
            l.unanswered,
            l.refused,
            l.max_half_open,
            l.backlog_estimate
                .map_or(String::new(), |b| format!(", backlog about {b}")),
            if l.findings.is_empty() {
                String::new()
            } else {
                format!(
                    " [{}]",
                    l.findings
                        .iter()
                        .map(|c| c.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        );
    }
    if r.findings.is_empty() {
        let _ = writeln!(out, "Findings: none");
    } else {
        let _ = writeln!(out, "Findings:");
        for f in &r.findings {
            let _ = writeln!(out, "  {}: {}", f.code().as_str(), finding(f));
        }
    }
}

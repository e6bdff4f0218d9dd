//! The capture-wide part of `tcpkit report`: listeners and findings.

use super::endpoint;
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
                "{}: {attempts} connection attempts, {answered} answered with a SYN-ACK, {established} established; at most {max_half_open} \
                 half-open at once in the SYN queue and {unanswered} SYN{} never answered: the SYN queue was full and {then} (a SYN flood).",
                endpoint(listener),
                if unanswered == 1 { "" } else { "s" },
            )
        }
        Finding::SynCookies {
            listener,
            cookie_answers,
            cookies_completed,
            queued_answers,
            max_half_open,
        } => format!(
            "{}: SYN cookies in use: {cookie_answers} SYN{} answered with a cookie (no request kept, never retransmitted; \
             {cookies_completed} handshake{} completed with it), {queued_answers} from the SYN queue, which held at most \
             {max_half_open} request{} at once: the queue was full and net.ipv4.tcp_syncookies is on.",
            endpoint(listener),
            if cookie_answers == 1 { "" } else { "s" },
            if cookies_completed == 1 { "" } else { "s" },
            if max_half_open == 1 { "" } else { "s" },
        ),
        Finding::AcceptQueueOverflow {
            listener,
            unanswered,
            waiting,
            backlog,
        } => format!(
            "{}: {unanswered} SYN{} ignored while {waiting} established connections sat idle, never served by the \
             application: the accept queue was full. Linux lets backlog + 1 connections wait, so the \
             listen backlog is probably {backlog} (min(backlog, net.core.somaxconn)).",
            endpoint(listener),
            if unanswered == 1 { " was" } else { "s were" },
        ),
        Finding::Refusing { listener, refused } => format!(
            "{}: {refused} attempt{} answered with RST: nothing was listening on port {}.",
            endpoint(listener),
            if refused == 1 { "" } else { "s" },
            listener.port
        ),
        Finding::ZeroWindow {
            conn,
            side,
            endpoint: e,
            count,
        } => format!(
            "{} (the {} of connection {}) advertised a zero window {count} time{}: its receive buffer was full (the application read more slowly than the data came).",
            endpoint(e),
            side.as_str(),
            conn.0,
            if count == 1 { "" } else { "s" }
        ),
        Finding::MtuMismatch {
            conn,
            side,
            endpoint: e,
            mtu,
            peer_mtu,
        } => format!(
            "Connection {}: the {}'s MSS implies an MTU of {mtu} bytes, the peer's {peer_mtu}: {} sits behind a smaller link or a tunnel, and segments are limited to the smaller MSS.",
            conn.0,
            side.as_str(),
            endpoint(e)
        ),
        Finding::MemoryBudget {
            evicted,
            resumed,
            forgotten,
        } => format!(
            "{evicted} connection{} evicted while idle to stay within the memory budget (AnalyzerConfig::memory_budget): \
             each was handed out at its eviction (evicted: true) and kept a compact entry; {resumed} spoke again and \
             continued under {} own number, window scale and sequence numbers (a later part, resumed){}.",
            if evicted == 1 { " was" } else { "s were" },
            if resumed == 1 { "its" } else { "their" },
            if forgotten > 0 {
                format!(
                    "; {forgotten} compact entr{} forgotten (too many, or idle past the idle timeout): such a \
                     connection, if it spoke again, was counted as a new connection captured mid-stream",
                    if forgotten == 1 { "y was" } else { "ies were" }
                )
            } else {
                String::new()
            }
        ),
    }
}

/// Appends the capture-wide part of `tcpkit report`.
pub fn report_block(out: &mut String, r: &Report) {
    let _ = writeln!(
        out,
        "Capture: {} connection{}",
        r.connections,
        if r.connections == 1 { "" } else { "s" }
    );
    for l in &r.listeners {
        let _ = writeln!(
            out,
            "  listener {}: {} attempts, {} SYNs, {} answered, {} established, {} unanswered, {} refused, at most {} half-open{}{}",
            endpoint(Endpoint {
                ip: l.ip,
                port: l.port
            }),
            l.clients,
            l.syns,
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

//! The capture-wide report ([`crate::report::Report`]): counters, one
//! [`LISTENER`] per listening socket, one [`FINDING`] per finding.
//!
//! `tcpkit report --json` prints it as one JSON object
//! ([`super::json::write_report`]); the Arrow module builds a listener table
//! and a finding table from [`visit_listener`] and [`visit_finding`] (one row
//! each, `arrow::RowBuilder::new(&LISTENER, ..)`), and Python's
//! `Analysis.findings` is made from the same visit. A finding is a `code` and
//! the numbers of that code (the others are absent in JSON, null in Arrow);
//! `tcpkit_core::text::finding` words it.

use super::connection::{ENDPOINT, IP, PORT};
use super::{Field, Sink, Type, field, fields};
use crate::flow::Endpoint;
use crate::report::{Finding, Listener, Report};

field! {
    /// The row field of a report (a struct of [`COLUMNS`]).
    REPORT: "report", Type::Struct(&COLUMNS), false, "The capture-wide report."
}

fields! {
    /// The fields of the report, in order.
    COLUMNS = [
        CONNECTIONS: "connections", Type::UInt64, false,
            "Connections in the capture (a connection handed out in two parts around an eviction counts once).";
        EVICTED: "evicted", Type::UInt64, false, "Connections evicted under the memory budget.";
        RESUMED: "resumed", Type::UInt64, false,
            "Evicted connections that spoke again and continued under their own number.";
        FORGOTTEN: "forgotten", Type::UInt64, false,
            "Compact entries of evicted connections dropped (such a connection, speaking again, got a new number).";
        LISTENERS: "listeners", Type::List(&LISTENER), false, "Listening sockets (server ip:port), by address.";
        FINDINGS: "findings", Type::List(&FINDING), false,
            "Findings: the listeners', then the memory budget's, then each connection's in connection-number order.";
    ]
}

field! {
    /// The item of [`LISTENERS`], and the row of a listener table.
    LISTENER: "item", Type::Struct(&LISTENER_FIELDS), false,
        "One listening socket: the connection attempts to it and what became of them."
}

field! {
    /// The item of a list of connection numbers.
    CONN_ITEM: "item", Type::UInt64, false, "A connection number."
}

field! {
    /// The item of a finding's `ports`.
    PORT_ITEM: "item", Type::UInt16, false, "A port."
}

field! {
    /// The item of a listener's `findings`.
    CODE_ITEM: "item", Type::Utf8, false, "A finding code."
}

fields! {
    /// The fields of a listener.
    LISTENER_FIELDS = [
        L_IP: "ip", Type::Utf8, false, "Server address.";
        L_PORT: "port", Type::UInt16, false, "Server port.";
        CLIENTS: "clients", Type::UInt64, false, "Connection attempts (distinct client ip:port that sent a SYN).";
        SYNS: "syns", Type::UInt64, false, "SYN segments.";
        L_ANSWERED: "answered", Type::UInt64, false, "Attempts answered with a SYN-ACK.";
        L_ESTABLISHED: "established", Type::UInt64, false, "Attempts whose handshake completed.";
        L_MAX_HALF_OPEN: "max_half_open", Type::UInt64, false,
            "Most requests at once in the SYN queue (SYN-ACK sent, not yet acknowledged; SYN-cookie answers excluded).";
        L_QUEUED_ANSWERS: "queued_answers", Type::UInt64, false, "Attempts answered from the SYN queue.";
        L_COOKIE_ANSWERS: "cookie_answers", Type::UInt64, false, "Attempts answered with a Linux SYN cookie.";
        COOKIE_CONNECTIONS: "cookie_connections", Type::List(&CONN_ITEM), false,
            "The connections answered with a SYN cookie, by number.";
        L_UNANSWERED: "unanswered", Type::UInt64, false, "Attempts never answered (neither SYN-ACK nor RST).";
        L_REFUSED: "refused", Type::UInt64, false, "Attempts answered with RST.";
        BACKLOG_ESTIMATE: "backlog_estimate", Type::UInt64, true,
            "Listen backlog estimated from an accept-queue overflow.";
        L_FINDINGS: "findings", Type::List(&CODE_ITEM), false, "Codes of the findings about this listener.";
    ]
}

field! {
    /// The item of [`FINDINGS`], and the row of a finding table.
    FINDING: "item", Type::Struct(&FINDING_FIELDS), false,
        "One finding: its `code` and that code's numbers (`tcpkit_core::text::finding` words it)."
}

fields! {
    /// The fields of a finding: `code`, then every code's numbers (a finding
    /// has those of its code; the codes each field belongs to are in its doc).
    FINDING_FIELDS = [
        CODE: "code", Type::Utf8, false,
            "`syn_flood`, `syn_cookies`, `accept_queue_overflow`, `never_answered`, `refusing`, `zero_window`, `mtu_mismatch` or `memory_budget`.";
        LISTENER_EP: "listener", Type::Struct(&ENDPOINT), true,
            "`syn_flood`, `syn_cookies`, `accept_queue_overflow`, `refusing`: the listening socket.";
        HOST: "host", Type::Utf8, true,
            "`never_answered`: the host that never answered; `mtu_mismatch`: the host with the smaller MTU.";
        PORTS: "ports", Type::List(&PORT_ITEM), true,
            "`never_answered`: its ports that never answered (the lowest 8; `port_count` counts them all).";
        PORT_COUNT: "port_count", Type::UInt64, true, "`never_answered`: how many ports never answered.";
        F_SYNS: "syns", Type::UInt64, true, "`never_answered`: SYN segments sent to them.";
        ATTEMPTS: "attempts", Type::UInt64, true,
            "`syn_flood`, `never_answered`: connection attempts (distinct client ip:port).";
        F_CLIENTS: "clients", Type::UInt64, true, "`never_answered`: distinct client hosts.";
        ANSWERED: "answered", Type::UInt64, true, "`syn_flood`: attempts answered with a SYN-ACK.";
        ESTABLISHED: "established", Type::UInt64, true, "`syn_flood`: attempts whose handshake completed.";
        MAX_HALF_OPEN: "max_half_open", Type::UInt64, true,
            "`syn_flood`, `syn_cookies`: most requests in the SYN queue at once.";
        UNANSWERED: "unanswered", Type::UInt64, true,
            "`syn_flood`, `accept_queue_overflow`: attempts never answered.";
        COOKIE_ANSWERS: "cookie_answers", Type::UInt64, true,
            "`syn_flood`, `syn_cookies`: attempts answered with a SYN cookie.";
        COOKIES_COMPLETED: "cookies_completed", Type::UInt64, true,
            "`syn_cookies`: handshakes the client completed with the cookie.";
        QUEUED_ANSWERS: "queued_answers", Type::UInt64, true,
            "`syn_cookies`: attempts answered from the SYN queue.";
        WAITING: "waiting", Type::UInt64, true,
            "`accept_queue_overflow`: established connections waiting unaccepted when the first SYN was ignored.";
        BACKLOG: "backlog", Type::UInt64, true,
            "`accept_queue_overflow`: the listen backlog this implies (`waiting - 1`).";
        REFUSED: "refused", Type::UInt64, true, "`refusing`: attempts answered with RST.";
        SIDE: "side", Type::Utf8, true,
            "`zero_window`: the advertiser's side on its first connection (`client` or `server`).";
        ENDPOINT_EP: "endpoint", Type::Struct(&ENDPOINT), true, "`zero_window`: the advertiser's address.";
        COUNT: "count", Type::UInt64, true, "`zero_window`: segments with a zero window, over its connections.";
        MTU: "mtu", Type::UInt32, true, "`mtu_mismatch`: the MTU the host's MSS implies.";
        PEER: "peer", Type::Utf8, true, "`mtu_mismatch`: the peer host.";
        PEER_MTU: "peer_mtu", Type::UInt32, true, "`mtu_mismatch`: the peer's.";
        F_CONNECTIONS: "connections", Type::UInt64, true,
            "`mtu_mismatch`: connections between the two hosts with these MSS options; `zero_window`: the advertiser's connections with a zero window.";
        FIRST_CONN: "first_conn", Type::UInt64, true, "`mtu_mismatch`, `zero_window`: the first of them (lowest number).";
        F_EVICTED: "evicted", Type::UInt64, true, "`memory_budget`: connections evicted.";
        F_RESUMED: "resumed", Type::UInt64, true, "`memory_budget`: evicted connections that spoke again.";
        F_FORGOTTEN: "forgotten", Type::UInt64, true, "`memory_budget`: compact entries dropped.";
    ]
}

fn endpoint<S: Sink + ?Sized>(s: &mut S, f: &'static Field, e: &Endpoint) {
    s.begin(f);
    s.addr(&IP, &e.ip);
    s.u64(&PORT, u64::from(e.port));
    s.end();
}

/// Hands one listener to `s` (the row of a listener table, or an item of
/// [`LISTENERS`]).
pub fn visit_listener<S: Sink + ?Sized>(s: &mut S, l: &Listener) {
    s.begin(&LISTENER);
    s.addr(&L_IP, &l.ip);
    s.u64(&L_PORT, u64::from(l.port));
    s.u64(&CLIENTS, l.clients);
    s.u64(&SYNS, l.syns);
    s.u64(&L_ANSWERED, l.answered);
    s.u64(&L_ESTABLISHED, l.established);
    s.u64(&L_MAX_HALF_OPEN, l.max_half_open);
    s.u64(&L_QUEUED_ANSWERS, l.queued_answers);
    s.u64(&L_COOKIE_ANSWERS, l.cookie_answers);
    s.begin(&COOKIE_CONNECTIONS);
    for &c in &l.cookie_connections {
        s.u64(&CONN_ITEM, c);
    }
    s.end();
    s.u64(&L_UNANSWERED, l.unanswered);
    s.u64(&L_REFUSED, l.refused);
    s.opt_u64(&BACKLOG_ESTIMATE, l.backlog_estimate);
    s.begin(&L_FINDINGS);
    for c in &l.findings {
        s.str(&CODE_ITEM, c.as_str());
    }
    s.end();
    s.end();
}

/// Hands one finding to `s` (the row of a finding table, or an item of
/// [`FINDINGS`]): its code, then its numbers in the order the variant
/// declares them.
pub fn visit_finding<S: Sink + ?Sized>(s: &mut S, f: &Finding) {
    s.begin(&FINDING);
    s.str(&CODE, f.code().as_str());
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
            endpoint(s, &LISTENER_EP, &listener);
            s.u64(&ATTEMPTS, attempts);
            s.u64(&ANSWERED, answered);
            s.u64(&ESTABLISHED, established);
            s.u64(&MAX_HALF_OPEN, max_half_open);
            s.u64(&UNANSWERED, unanswered);
            s.u64(&COOKIE_ANSWERS, cookie_answers);
        }
        Finding::SynCookies {
            listener,
            cookie_answers,
            cookies_completed,
            queued_answers,
            max_half_open,
        } => {
            endpoint(s, &LISTENER_EP, &listener);
            s.u64(&COOKIE_ANSWERS, cookie_answers);
            s.u64(&COOKIES_COMPLETED, cookies_completed);
            s.u64(&QUEUED_ANSWERS, queued_answers);
            s.u64(&MAX_HALF_OPEN, max_half_open);
        }
        Finding::AcceptQueueOverflow {
            listener,
            unanswered,
            waiting,
            backlog,
        } => {
            endpoint(s, &LISTENER_EP, &listener);
            s.u64(&UNANSWERED, unanswered);
            s.u64(&WAITING, waiting);
            s.u64(&BACKLOG, backlog);
        }
        Finding::Refusing { listener, refused } => {
            endpoint(s, &LISTENER_EP, &listener);
            s.u64(&REFUSED, refused);
        }
        Finding::ZeroWindow {
            endpoint: e,
            side,
            count,
            connections,
            first_conn,
        } => {
            s.str(&SIDE, side.as_str());
            endpoint(s, &ENDPOINT_EP, &e);
            s.u64(&COUNT, count);
            s.u64(&F_CONNECTIONS, connections);
            s.u64(&FIRST_CONN, first_conn.0);
        }
        Finding::NeverAnswered {
            host,
            ref ports,
            port_count,
            syns,
            attempts,
            clients,
        } => {
            s.addr(&HOST, &host);
            s.begin(&PORTS);
            for &p in ports {
                s.u64(&PORT_ITEM, u64::from(p));
            }
            s.end();
            s.u64(&PORT_COUNT, port_count);
            s.u64(&F_SYNS, syns);
            s.u64(&ATTEMPTS, attempts);
            s.u64(&F_CLIENTS, clients);
        }
        Finding::MtuMismatch {
            host,
            mtu,
            peer,
            peer_mtu,
            connections,
            first_conn,
        } => {
            s.addr(&HOST, &host);
            s.u64(&MTU, u64::from(mtu));
            s.addr(&PEER, &peer);
            s.u64(&PEER_MTU, u64::from(peer_mtu));
            s.u64(&F_CONNECTIONS, connections);
            s.u64(&FIRST_CONN, first_conn.0);
        }
        Finding::MemoryBudget {
            evicted,
            resumed,
            forgotten,
        } => {
            s.u64(&F_EVICTED, evicted);
            s.u64(&F_RESUMED, resumed);
            s.u64(&F_FORGOTTEN, forgotten);
        }
    }
    s.end();
}

/// Hands the whole report to `s`.
pub fn visit<S: Sink + ?Sized>(s: &mut S, r: &Report) {
    s.begin(&REPORT);
    s.u64(&CONNECTIONS, r.connections);
    s.u64(&EVICTED, r.evicted);
    s.u64(&RESUMED, r.resumed);
    s.u64(&FORGOTTEN, r.forgotten);
    s.begin(&LISTENERS);
    for l in &r.listeners {
        visit_listener(s, l);
    }
    s.end();
    s.begin(&FINDINGS);
    for f in &r.findings {
        visit_finding(s, f);
    }
    s.end();
    s.end();
}

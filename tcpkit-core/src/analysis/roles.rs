//! Which endpoint is the client: observed from the handshake, or, for a
//! connection captured mid-stream, guessed from the evidence the capture has.
//!
//! The per-segment analysis orients a connection by its first segment: the
//! SYN's sender (or a SYN-ACK's receiver) is the client, and without either
//! the first sender is. Mid-stream that is a coin toss (a web server on port
//! 80 sending the first captured segment would be "the client"), so when the
//! record is handed out ([`Tally::finish_with_story`](super::Tally::finish_with_story))
//! the roles are decided again from, strongest first:
//!
//! 1. [`RoleEvidence::Listener`]: one endpoint answered a SYN with a SYN-ACK
//!    in another connection of the capture (before this record was handed
//!    out): it listens on that port (RFC 9293 3.5: only a LISTEN socket
//!    answers a SYN with a SYN-ACK).
//! 2. [`RoleEvidence::ServicePort`]: one port is a well-known port (< 1024,
//!    RFC 6335 6: System Ports, assigned to services) or a registered port
//!    of a common server ([`SERVICE_PORTS`]), the other is not.
//! 3. [`RoleEvidence::EphemeralPort`]: one port is in the ephemeral range
//!    and the other is not. Linux picks source ports from
//!    `net.ipv4.ip_local_port_range` (32768-60999 by default), Windows, macOS
//!    and FreeBSD from IANA's dynamic range 49152-65535 (RFC 6335 6): both
//!    start at 32768 or above.
//! 4. [`RoleEvidence::Payload`]: the first payload of the connection that
//!    reads as a request (an HTTP method, a TLS ClientHello, the HTTP/2
//!    preface) came from the client, or as a response (an HTTP status line, a
//!    TLS ServerHello, a three-digit FTP/SMTP reply) from the server.
//! 5. [`RoleEvidence::MoreData`]: one side sent more than four times the
//!    other's payload bytes: the server (a response or a download outweighs
//!    its request; an upload would mislead, hence last).
//! 6. [`RoleEvidence::FirstSender`]: no evidence; the first sender stays the client.
//!
//! When the guess differs from the first sender, the record is mirrored:
//! every per-direction and per-side value, the trains, the states, the close
//! and the notes. The per-segment rows are not: [`SegmentFacts::dir`](super::SegmentFacts::dir)
//! keeps the analysis' orientation (it is decided at the first segment, before
//! the evidence is in).

use super::Connection;
use super::story::{self, PerDir, PerSide};
use crate::flow::{Direction, Endpoint};

/// Registered ports (1024-49151) of common servers, taken as service ports:
/// HTTP alternates 8000, 8008, 8080, 8443, 8888; MySQL 3306; PostgreSQL 5432;
/// Redis 6379; MongoDB 27017; Microsoft SQL Server 1433; Oracle 1521;
/// NFS 2049; etcd 2379; Kubernetes API 6443; AMQP 5672; RDP 3389; VNC 5900;
/// Kafka 9092; Elasticsearch 9200; memcached 11211; SIP 5060/5061;
/// XMPP 5222; IRC 6667; BGP is 179, below 1024.
pub const SERVICE_PORTS: &[u16] = &[
    1433, 1521, 2049, 2379, 3306, 3389, 5060, 5061, 5222, 5432, 5672, 5900, 6379, 6443, 6667, 8000,
    8008, 8080, 8443, 8888, 9092, 9200, 11211, 27017,
];

/// The lowest port of the ephemeral ranges (Linux's default
/// `ip_local_port_range` starts here; IANA's dynamic range at 49152).
pub const EPHEMERAL_MIN: u16 = 32768;

/// How the client and the server of a connection were told apart
/// (`roles` in JSON and Arrow).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum RoleEvidence {
    /// Observed: a SYN (its sender is the client) or a SYN-ACK (its receiver is).
    #[default]
    Handshake,
    /// Guessed: the server's ip:port sent a SYN-ACK in another connection.
    Listener,
    /// Guessed: the server's port is a well-known or common service port, the client's is not.
    ServicePort,
    /// Guessed: the client's port is in the ephemeral range (>= 32768), the server's is not.
    EphemeralPort,
    /// Guessed: the first payload read as a request from the client or a response from the server.
    Payload,
    /// Guessed: the server sent more than four times the client's payload bytes.
    MoreData,
    /// No evidence: the sender of the first segment is called the client.
    FirstSender,
}

impl RoleEvidence {
    /// The snake_case name (`service_port`), as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Handshake => "handshake",
            Self::Listener => "listener",
            Self::ServicePort => "service_port",
            Self::EphemeralPort => "ephemeral_port",
            Self::Payload => "payload",
            Self::MoreData => "more_data",
            Self::FirstSender => "first_sender",
        }
    }

    /// The roles were seen in the handshake, not guessed.
    pub fn observed(self) -> bool {
        self == Self::Handshake
    }
}

/// What a payload reads as (see the module doc).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Utterance {
    Request,
    Response,
}

/// Reads the start of a payload as a request or a response, if it is one.
pub(crate) fn utterance(p: &[u8]) -> Option<Utterance> {
    const METHODS: [&[u8]; 9] = [
        b"GET ",
        b"POST ",
        b"PUT ",
        b"HEAD ",
        b"DELETE ",
        b"OPTIONS ",
        b"PATCH ",
        b"CONNECT ",
        b"PRI * HTTP/2",
    ];
    if METHODS.iter().any(|m| p.starts_with(m)) {
        return Some(Utterance::Request);
    }
    if p.starts_with(b"HTTP/1.") {
        return Some(Utterance::Response);
    }
    // TLS record: handshake (22), version 3.x, then the handshake type:
    // 1 ClientHello, 2 ServerHello (RFC 8446 5.1, 4).
    if let [22, 3, _, _, _, t, ..] = p {
        return match t {
            1 => Some(Utterance::Request),
            2 => Some(Utterance::Response),
            _ => None,
        };
    }
    // An FTP or SMTP reply: three digits, the first 1-5, then a space or a
    // hyphen (RFC 959 4.2, RFC 5321 4.2).
    if let [b'1'..=b'5', b, c, d, ..] = p
        && b.is_ascii_digit()
        && c.is_ascii_digit()
        && (*d == b' ' || *d == b'-')
    {
        return Some(Utterance::Response);
    }
    None
}

/// Is `port` a service port (well-known, or in [`SERVICE_PORTS`])?
pub fn service_port(port: u16) -> bool {
    port < 1024 || SERVICE_PORTS.contains(&port)
}

/// Is `port` in the ephemeral range ([`EPHEMERAL_MIN`] and above)?
pub fn ephemeral_port(port: u16) -> bool {
    port >= EPHEMERAL_MIN
}

/// Decides the roles of a connection whose handshake was not seen: the
/// evidence, and whether the first sender (the record's client) is in fact
/// the server. `first_utterance`: the direction and kind of the first payload
/// that read as a request or a response; `listens`: does an endpoint answer
/// SYNs elsewhere in the capture.
pub(crate) fn guess(
    rec: &Connection,
    first_utterance: Option<(Direction, Utterance)>,
    listens: impl Fn(&Endpoint) -> bool,
) -> (RoleEvidence, bool) {
    let (a, b) = (rec.client, rec.server);
    // Some(true): `b` is the client (swap); Some(false): `a` is.
    let pick = |x: bool, y: bool| (x != y).then_some(x);
    if let Some(swap) = pick(listens(&a), listens(&b)) {
        return (RoleEvidence::Listener, swap);
    }
    if let Some(swap) = pick(service_port(a.port), service_port(b.port)) {
        return (RoleEvidence::ServicePort, swap);
    }
    if let Some(a_eph) = pick(ephemeral_port(a.port), ephemeral_port(b.port)) {
        return (RoleEvidence::EphemeralPort, !a_eph);
    }
    if let Some((dir, u)) = first_utterance {
        let from_first = dir == Direction::ClientToServer;
        let swap = from_first == (u == Utterance::Response);
        return (RoleEvidence::Payload, swap);
    }
    let (up, down) = (rec.bytes.c2s, rec.bytes.s2c);
    // Only when both sides were heard: one side alone says nothing.
    if rec.packets.c2s == 0 || rec.packets.s2c == 0 {
        return (RoleEvidence::FirstSender, false);
    }
    if up > down.saturating_mul(4) {
        return (RoleEvidence::MoreData, true);
    }
    if down > up.saturating_mul(4) {
        return (RoleEvidence::MoreData, false);
    }
    (RoleEvidence::FirstSender, false)
}

fn swap_dir<T>(p: &mut PerDir<T>) {
    std::mem::swap(&mut p.c2s, &mut p.s2c);
}

fn swap_side<T>(p: &mut PerSide<T>) {
    std::mem::swap(&mut p.client, &mut p.server);
}

/// Mirrors a record: the client becomes the server, every per-direction and
/// per-side value follows, and the story (if any) with its notes.
/// `client_busy_ts_ns`: when the record's client first sent payload, FIN or
/// RST (it becomes the server's [`Story::server_busy_ts_ns`](story::Story::server_busy_ts_ns)).
pub(crate) fn mirror(rec: &mut Connection, client_busy_ts_ns: Option<i64>) {
    std::mem::swap(&mut rec.client, &mut rec.server);
    swap_dir(&mut rec.packets);
    swap_dir(&mut rec.bytes);
    swap_dir(&mut rec.retransmissions);
    swap_dir(&mut rec.zero_window);
    swap_dir(&mut rec.fin_frame);
    swap_dir(&mut rec.rst_frame);
    swap_side(&mut rec.options);
    swap_side(&mut rec.window_scale);
    if let Some(mut s) = rec.story.take() {
        story::mirror(&mut s, client_busy_ts_ns);
        s.notes = story::notes_of(rec, &s);
        rec.story = Some(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::story::testutil::*;
    use crate::analysis::story::{Note, Side, TcpState};

    #[test]
    fn utterances() {
        assert_eq!(utterance(b"GET / HTTP/1.1\r\n"), Some(Utterance::Request));
        assert_eq!(utterance(b"HTTP/1.1 200 OK\r\n"), Some(Utterance::Response));
        // TLS 1.2 record header, then ClientHello (1) / ServerHello (2).
        assert_eq!(
            utterance(&[22, 3, 1, 0, 200, 1, 0, 0]),
            Some(Utterance::Request)
        );
        assert_eq!(
            utterance(&[22, 3, 3, 0, 90, 2, 0, 0]),
            Some(Utterance::Response)
        );
        assert_eq!(
            utterance(b"220 mail.example ESMTP\r\n"),
            Some(Utterance::Response)
        );
        assert_eq!(utterance(b"250-PIPELINING\r\n"), Some(Utterance::Response));
        assert_eq!(utterance(b"EHLO client\r\n"), None);
        assert_eq!(utterance(b"\x00\x01"), None);
        assert_eq!(utterance(b"600 no"), None);
    }

    #[test]
    fn ports() {
        assert!(service_port(80) && service_port(5432) && !service_port(9527));
        // Linux's default ip_local_port_range is 32768-60999, IANA's 49152-65535.
        assert!(ephemeral_port(32768) && ephemeral_port(60999) && ephemeral_port(65535));
        assert!(!ephemeral_port(32767));
    }

    #[test]
    fn mid_stream_server_by_its_data() {
        // Neither port tells (9000 and 9527: not service ports, not ephemeral),
        // no payload was read: the first sender (198.18.2.15:9000) sends 10
        // segments of 1000 bytes, the other side only ACKs, then the first
        // sender closes (FIN, FIN-ACK, ACK). 10,000 bytes against none: the
        // first sender is the server (a response or a download), so the
        // record is mirrored: its FIN is the server's, its bytes s2c.
        let mut c = Conn::new();
        c.cport = 9000;
        for i in 0..10u64 {
            c.seg(
                i64::try_from(i).unwrap() * MS,
                C2S,
                A,
                i * 1000,
                0,
                1000,
                &[],
            );
            c.seg(
                i64::try_from(i).unwrap() * MS + 100,
                S2C,
                A,
                0,
                (i + 1) * 1000,
                0,
                &[],
            );
        }
        c.seg(20 * MS, C2S, F | A, 10_000, 0, 0, &[]);
        c.seg(21 * MS, S2C, F | A, 0, 10_001, 0, &[]);
        c.seg(22 * MS, C2S, A, 10_001, 1, 0, &[]);
        let r = c.finish(30 * MS);
        assert!(r.midstream);
        assert_eq!(r.roles, RoleEvidence::MoreData);
        assert!(!r.roles.observed());
        assert_eq!((r.client.port, r.server.port), (9527, 9000));
        assert_eq!((r.bytes.c2s, r.bytes.s2c), (0, 10_000));
        assert_eq!((r.packets.c2s, r.packets.s2c), (11, 12));
        assert_eq!(r.fin_frame.s2c, Some(21));
        let st = r.s();
        assert_eq!(st.close.first_fin_by, Some(Side::Server));
        assert!(st.close.piggybacked);
        // The server closed first: FIN_WAIT1 and TIME_WAIT are its states now.
        assert_eq!(
            states(&st.states.server),
            [
                TcpState::Established,
                TcpState::FinWait1,
                TcpState::TimeWait
            ]
        );
        // The notes are derived from the mirrored record: the server waits in TIME_WAIT.
        assert!(
            st.notes.iter().any(|n| matches!(
                n,
                Note::TimeWait {
                    side: Side::Server,
                    ..
                }
            )),
            "{:?}",
            st.notes
        );
        assert_eq!(st.server_busy_ts_ns, Some(0));
    }

    #[test]
    fn mid_stream_roles_by_port() {
        // The first sender is 198.18.2.12:9527's peer at port 80 (HTTP): the
        // server. With 40000 (ephemeral) against 9527, the 9527 side is.
        for (cport, by, swapped) in [
            (80, RoleEvidence::ServicePort, true),
            (40000, RoleEvidence::EphemeralPort, false),
        ] {
            let mut c = Conn::new();
            c.cport = cport;
            c.seg(0, C2S, A, 0, 0, 100, &[]);
            c.seg(MS, S2C, A, 0, 100, 0, &[]);
            let r = c.finish(2 * MS);
            assert_eq!(r.roles, by);
            assert_eq!(r.server.port == cport, swapped, "{cport}");
        }
    }

    #[test]
    fn mid_stream_roles_by_payload() {
        let mut c = Conn::new();
        c.cport = 9000;
        // 100 bytes each way, no payload read: nothing tells.
        c.seg(0, C2S, A, 0, 0, 100, &[]);
        c.seg(MS, S2C, A, 0, 100, 100, &[]);
        let rec = c.finish(2 * MS);
        assert_eq!(rec.roles, RoleEvidence::FirstSender);
        assert_eq!(rec.client.port, 9000);
        // A response from the first sender makes it the server; a request, the client.
        let g = |u| guess(&rec, Some((Direction::ClientToServer, u)), |_| false);
        assert_eq!(g(Utterance::Response), (RoleEvidence::Payload, true));
        assert_eq!(g(Utterance::Request), (RoleEvidence::Payload, false));
        // The listener evidence outweighs the ports.
        let listens = |e: &Endpoint| e.port == 9000;
        assert_eq!(guess(&rec, None, listens), (RoleEvidence::Listener, true));
    }
}

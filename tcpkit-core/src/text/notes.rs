//! The sentences of a connection's notes and of the caveats of its inferences.

use super::{count, endpoint, human, secs};
use crate::analysis::story::{
    Caveat, Note, Setting, Side, Story, TcpState, Train, TrainKind, Verdict,
};
use crate::analysis::{Connection, RoleEvidence};

/// "The client (ip:port)".
fn who(c: &Connection, side: Side) -> String {
    format!("The {} ({})", side.as_str(), endpoint(c.endpoint(side)))
}

fn list_s(xs: impl Iterator<Item = f64>) -> String {
    xs.map(|x| format!("{x:.2}")).collect::<Vec<_>>().join(", ")
}

/// The spacing of a train in words ("1 s five times, then doubling").
fn spacing(t: &Train) -> String {
    let iv: Vec<u64> = t.intervals_ns().map(|x| x.max(0) as u64).collect();
    let first = iv.first().copied().unwrap_or(0);
    match t.verdict {
        Verdict::LinearThenExponentialBackoff => {
            let k = iv
                .iter()
                .take_while(|x| crate::analysis::story::about_equal(first as f64, **x as f64))
                .count();
            format!("{} {k} times, then doubling", human(first))
        }
        Verdict::ExponentialBackoff => format!("doubling from {}", human(first)),
        Verdict::Linear => format!("every {}", human(first)),
        Verdict::TailLossProbeThenExponentialBackoff => format!(
            "a tail loss probe after {}, then retransmission timeouts doubling from {}",
            human(first),
            human(iv.get(1).copied().unwrap_or(0))
        ),
        Verdict::TailLossProbe => "a tail loss probe".into(),
        Verdict::TailLossProbeThenTimeout => {
            "a tail loss probe, then one retransmission timeout".into()
        }
        Verdict::FastRetransmit => "a fast retransmit on duplicate ACKs".into(),
        Verdict::FastRetransmitThenExponentialBackoff => {
            "a fast retransmit, then retransmission timeouts with backoff".into()
        }
        Verdict::Timeout => format!("one retransmission timeout after {}", human(first)),
        Verdict::Spurious => {
            "a spurious retransmission (the original had been acknowledged)".into()
        }
        Verdict::Irregular => format!(
            "irregular intervals ({} s)",
            list_s(t.intervals_ns().map(secs))
        ),
        Verdict::Single => "the original send was not captured".into(),
    }
}

/// How the roles of a connection captured mid-stream were guessed, in words
/// (after "who opened it: ").
pub(crate) fn roles(c: &Connection) -> String {
    let (cl, sv) = (endpoint(c.client), endpoint(c.server));
    match c.roles {
        RoleEvidence::Handshake => format!("{cl}, whose SYN was seen"),
        RoleEvidence::Listener => {
            format!(
                "{cl} is taken as the client, as {sv} answered a SYN with a SYN-ACK elsewhere in the capture (it listens)"
            )
        }
        RoleEvidence::ServicePort => format!(
            "{cl} is taken as the client, as port {} is a service port and {} is not",
            c.server.port, c.client.port
        ),
        RoleEvidence::EphemeralPort => format!(
            "{cl} is taken as the client, as its port {} is in the ephemeral range (32768 and up) and {} is not",
            c.client.port, c.server.port
        ),
        RoleEvidence::Payload => {
            format!("{cl} is taken as the client by the first request or response it carried")
        }
        RoleEvidence::MoreData => {
            format!("{sv} is taken as the server, as it sent over four times the other's bytes")
        }
        RoleEvidence::FirstSender => format!(
            "nothing tells, so {cl}, the sender of the first segment captured, is called the client"
        ),
    }
}

/// The sentence of one note of `c`'s story `s`.
pub fn note(c: &Connection, s: &Story, n: &Note) -> String {
    let cl = endpoint(c.client);
    let sv = endpoint(c.server);
    let train = |i: usize| s.trains.get(i);
    match *n {
        Note::Options { window_scaling } => {
            if window_scaling {
                "Window scaling is in force.".into()
            } else {
                format!(
                    "Window scaling is off ({}): each window is at most 65,535 bytes, which caps the \
                     throughput at 64 KiB per round trip (RFC 7323 1.1).",
                    match (
                        c.options.client.and_then(|o| o.wscale),
                        c.options.server.and_then(|o| o.wscale)
                    ) {
                        (None, None) => "neither SYN carried the option",
                        (None, Some(_)) => "the client's SYN did not carry the option",
                        _ => "the server's SYN-ACK did not carry the option",
                    }
                )
            }
        }
        Note::SynNoAnswer {
            syns,
            span_ns,
            train: t,
            linear_timeouts,
            syn_retries,
        } => {
            let mut x = format!(
                "{cl} sent {} over {}; no SYN-ACK came back.",
                count(syns, "SYN"),
                human(span_ns)
            );
            if let Some(t) = t.and_then(train) {
                x += &format!(" The spacing, {},", spacing(t));
                match (linear_timeouts, syn_retries) {
                    (Some(l), Some(r)) => {
                        x += &format!(
                            " matches Linux's tcp_syn_linear_timeouts={l} and tcp_syn_retries={r}{}.",
                            if l > 0 { " (Linux 6.5 or later)" } else { "" }
                        )
                    }
                    (Some(l), None) => {
                        x += &format!(" matches Linux's tcp_syn_linear_timeouts={l}.")
                    }
                    _ => x += " does not match a Linux SYN backoff.",
                }
            }
            x
        }
        Note::Refused { port } => format!(
            "{sv} answered the SYN from {cl} with a RST: nothing listens on port {port} (connection refused)."
        ),
        Note::SynAckUnanswered {
            syn_acks,
            train: t,
            synack_retries,
        } => {
            let mut x = format!(
                "{sv} answered {cl}'s SYN with {} that {} never acknowledged",
                count(syn_acks, "SYN-ACK"),
                super::was(syn_acks)
            );
            if let Some(t) = t.and_then(train) {
                x += &format!(" (spacing: {})", spacing(t));
            }
            x.push('.');
            if let Some(r) = synack_retries {
                x += &format!(" That is Linux's SYN_RECV backoff with tcp_synack_retries={r}.");
            }
            x += " The client never completed the handshake: a scanner, a spoofed source or a firewall dropping the SYN-ACKs.";
            x
        }
        Note::HandshakeReset => format!(
            "The handshake was aborted by a RST after {sv}'s SYN-ACK (a port scan or a cancelled connect)."
        ),
        Note::Midstream => format!(
            "The capture begins in the middle of this connection: its handshake, options and window scale are unknown, \
             and so is who opened it: {}.",
            roles(c)
        ),
        Note::Resumed => "This part continues the connection after it was evicted under the memory budget (it had been idle while \
             other connections needed the memory): its handshake and earlier segments are in the earlier part with \
             the same number; relative sequence numbers, window scales and the per-segment analysis continue where \
             they stopped, and the counts here cover this part only."
            .into(),
        Note::Evicted => "Evicted under the memory budget while idle (the least recently active connections go first): the \
             story stops here; if the connection spoke again, a later part with the same number continues it."
            .into(),
        Note::DataRetransmissions {
            side,
            segments,
            trains,
            fast,
            timeouts,
            longest,
        } => {
            let mut x = format!(
                "{} retransmitted {} ({}: {fast} started by fast retransmit, {timeouts} by timeouts).",
                who(c, side),
                count(segments, "segment"),
                count(trains, "train")
            );
            if let Some(t) = longest.and_then(train) {
                x += &format!(
                    " The longest: seq {} sent {} times ({}).",
                    t.seq,
                    t.frames.len(),
                    spacing(t)
                );
            }
            x
        }
        Note::FinResent { side, train: t } => match train(t) {
            Some(t) => format!(
                "The {}'s FIN ({}) was sent {} times, at {} s: {}.",
                side.as_str(),
                endpoint(c.endpoint(side)),
                t.frames.len(),
                list_s(t.offsets_ns().map(secs)),
                spacing(t)
            ),
            None => String::new(),
        },
        Note::ZeroWindowProbes { side, train: t } => match train(t) {
            Some(t) => format!(
                "{} probed the peer's zero window {} times ({}).",
                who(c, side),
                t.frames.len(),
                spacing(t)
            ),
            None => String::new(),
        },
        Note::KeepaliveProbes { side, train: t } => match train(t) {
            Some(t) => format!(
                "{} sent {} ({}).",
                who(c, side),
                count(t.frames.len() as u64, "keep-alive probe"),
                spacing(t)
            ),
            None => String::new(),
        },
        Note::ZeroWindow { side, count: n } => format!(
            "{} advertised a zero window {}: its receive buffer was full, its application reading more slowly than the data came.",
            who(c, side),
            count(n, "time")
        ),
        Note::Keepalive => {
            let inf = &s.inferred;
            let mut parts = Vec::new();
            if let Some(t) = inf.keepalive_time_ns {
                parts.push(format!("a probe after {} idle", human(t)));
            }
            if let Some(t) = inf.keepalive_intvl_ns {
                parts.push(format!(
                    "unanswered probes every {}",
                    human(t)
                ));
            }
            if let Some(n) = inf.keepalive_probes {
                parts.push(format!("a RST after {n} unanswered"));
            }
            format!(
                "Keep-alive as Linux does it: {} (tcp_keepalive_time / _intvl / _probes, or the socket's TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT).",
                parts.join(", ")
            )
        }
        Note::RtoFloor { rto_min_ns } => format!(
            "The first retransmission timeouts fired after about {}, far above the measured RTT: that is Linux's RTO floor (tcp_rto_min).",
            human(rto_min_ns)
        ),
        Note::SimultaneousClose { time_wait_both } => format!(
            "Both sides sent a FIN before receiving the other's: a simultaneous close (RFC 9293 3.6), through CLOSING{}.",
            if time_wait_both {
                " to TIME_WAIT on both sides"
            } else {
                ""
            }
        ),
        Note::RstAfterOwnFin { side, after_ns } => format!(
            "{} answered with a RST {} after its own FIN: its socket no longer existed (an orphaned \
             connection is dropped when FIN_WAIT2 outlives tcp_fin_timeout or FIN_WAIT1 outlives \
             tcp_orphan_retries).",
            who(c, side),
            human(after_ns)
        ),
        Note::Reset { side } => format!(
            "{} reset the connection: an abortive close (SO_LINGER with a zero timeout, unread data at \
             close(), a listener closed with connections in its accept queue, or a dead application).",
            who(c, side)
        ),
        Note::TimeWait {
            side,
            since_first_ns,
        } => format!(
            "The {} is in {} from {} after the first packet; Linux keeps it 60 s (TCP_TIMEWAIT_LEN).",
            side.as_str(),
            TcpState::TimeWait.as_str(),
            human(since_first_ns)
        ),
    }
}

/// What an inference assumes, in words (without the leading "Caveat: ").
pub fn caveat(c: &Caveat) -> String {
    match *c {
        Caveat::SynLinearTimeoutsZero => {
            "tcp_syn_linear_timeouts=0: the SYN backoff doubles from the first retransmission, \
             as Linux before 6.5 (which has no such setting) always does"
                .into()
        }
        Caveat::LastSendAssumed {
            setting,
            kind,
            frame,
            after_ns,
            due_ns,
        } => format!(
            "{} assumes the last {} seen (frame {frame}) was the last one sent: the capture ends {:.1} s after it, \
             before another would have been due ({:.0} s)",
            match setting {
                Setting::TcpSynRetries => "tcp_syn_retries",
                Setting::TcpSynackRetries => "tcp_synack_retries",
            },
            match kind {
                TrainKind::Syn => "SYN",
                TrainKind::SynAck => "SYN-ACK",
                _ => "segment",
            },
            after_ns as f64 / 1e9,
            due_ns as f64 / 1e9
        ),
        Caveat::FinTimeoutBound { side } => format!(
            "tcp_fin_timeout_max_ns: the {} sat in FIN_WAIT2 and answered the peer's later segment with a RST, \
             so its orphaned socket was dropped within that time (if the application had still held it, \
             FIN_WAIT2 would have lasted)",
            side.as_str()
        ),
        Caveat::SynRetriesWithdrawn { after_ns } => format!(
            "tcp_syn_retries not inferred: the client host closed another connection {:.1} s after the last SYN, \
             before the next SYN was due, so its application may have closed this connecting socket too",
            after_ns as f64 / 1e9
        ),
    }
}

/// Every note of `c`'s story in words, then its caveats ("Caveat: ...").
pub fn notes(c: &Connection) -> Vec<String> {
    let Some(s) = c.story.as_deref() else {
        return Vec::new();
    };
    s.notes
        .iter()
        .map(|n| note(c, s, n))
        .chain(
            s.inferred
                .caveats
                .iter()
                .map(|x| format!("Caveat: {}.", caveat(x))),
        )
        .collect()
}

//! The sentences of a connection's notes and of the caveats of its inferences.

use super::{Fixed, count, endpoint, human, secs};
use crate::analysis::story::stack::{self, Clue, Stack, StackGuess};
use crate::analysis::story::{
    Caveat, Note, Setting, Side, Story, TcpState, Train, TrainKind, Verdict,
};
use crate::analysis::{Connection, RoleEvidence};

/// "The client (ip:port)".
fn who(c: &Connection, side: Side) -> String {
    format!("The {} ({})", side.as_str(), endpoint(c.endpoint(side)))
}

fn list_s(xs: impl Iterator<Item = f64>) -> String {
    xs.map(|x| Fixed(x, 2).to_string())
        .collect::<Vec<_>>()
        .join(", ")
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
        Verdict::ExponentialBackoff => {
            // A first timeout shorter than the second: the timer was already running.
            let early = iv.get(1).is_some_and(|&b| (first as f64) < b as f64 * 0.8)
                && !crate::analysis::story::about_equal(first as f64 * 2.0, iv[1] as f64);
            let run = if early { &iv[1..] } else { &iv[..] };
            let mut x = if early {
                format!(
                    "a first timeout after {} (the retransmission timer was already running), then doubling from {}",
                    human(first),
                    human(run[0])
                )
            } else {
                format!("doubling from {}", human(first))
            };
            // Flat at the end after doubling: the stack's ceiling on the RTO.
            if let [.., a, b] = run
                && *a > 0
                && (*b as f64 / *a as f64) < 1.6
            {
                x += &format!(", up to {}", human(*b));
            }
            x
        }
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
        Verdict::FastRetransmit => fast(t),
        Verdict::FastRetransmitThenExponentialBackoff => {
            format!("{}, then retransmission timeouts with backoff", fast(t))
        }
        Verdict::LossRecovery => {
            "re-sent by ACK-driven loss recovery (SACK / RACK) before any timer".into()
        }
        Verdict::LossRecoveryThenExponentialBackoff => {
            "re-sent by ACK-driven loss recovery, then retransmission timeouts with backoff".into()
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

/// A fast retransmit and the duplicate ACKs before it.
fn fast(t: &Train) -> String {
    let mut x = match t.dup_acks {
        Some(n) if n > 0 => format!(
            "a fast retransmit after {}",
            count(u64::from(n), "duplicate ACK")
        ),
        _ => "a fast retransmit (its duplicate ACKs were not captured)".into(),
    };
    if t.frames.len() < 2 {
        x += "; the original send was not captured";
    }
    x
}

/// The family's SYN backoff in words.
fn backoff_rule(s: Stack) -> &'static str {
    match s {
        Stack::Linux => {
            "Linux's: 1 s (TCP_TIMEOUT_INIT), doubling, on 6.5+ after tcp_syn_linear_timeouts retransmissions at 1 s"
        }
        Stack::Windows => "Windows's: TcpInitialRTT 3 s, doubling",
        Stack::BsdApple => {
            "FreeBSD's and macOS's tcp_syn_backoff table: 1 s five times, then doubling up to 64 s"
        }
        Stack::Unknown => "no known stack's",
    }
}

/// One clue in words (`train`: the SYN or SYN-ACK train of the side).
fn clue(g: &StackGuess, c: &Clue, train: Option<&Train>) -> String {
    match *c {
        Clue::InitialTtl { observed, initial } => {
            let mut x = format!("TTL {observed}");
            if observed != initial {
                x += &format!(" (initial {initial})");
            }
            x += match stack::ttl_family(initial) {
                Some(Stack::Windows) => ": Windows's",
                Some(_) => ": no Linux, Windows, FreeBSD or macOS default",
                None => ": Linux, FreeBSD and macOS alike",
            };
            x
        }
        Clue::Layout(f) => format!(
            "options {} (p0f's {} layout)",
            g.print.layout_str(),
            f.name()
        ),
        Clue::WindowMssMultiple {
            factor,
            less_timestamps,
        } => format!(
            "window {} = {factor} x {} (Linux rounds its window to the MSS)",
            g.print.window,
            if less_timestamps { "(MSS - 12)" } else { "MSS" }
        ),
        Clue::Window(f) => format!("window {} ({}'s default)", g.print.window, f.name()),
        Clue::SynBackoff {
            initial_rto_ms,
            fits,
            ..
        } => format!(
            "re-sent {}{}",
            match train {
                Some(t) => spacing(t),
                None => format!("after {}", human(u64::from(initial_rto_ms) * 1_000_000)),
            },
            match (g.stack, fits) {
                (Stack::Unknown, _) => String::new(),
                (f, true) => format!(", as {}'s rule says", f.name()),
                (f, false) => format!(", not as {}'s rule says", f.name()),
            }
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
                let fam = s.stack.client.as_ref().map_or(Stack::Unknown, |g| g.stack);
                let iv: Vec<f64> = t.intervals_ns().map(secs).collect();
                x += &format!(" The spacing, {},", spacing(t));
                let retx = syns.saturating_sub(1);
                match (linear_timeouts, syn_retries) {
                    (Some(l), Some(r)) => {
                        x += &format!(
                            " matches Linux's tcp_syn_linear_timeouts={l} and tcp_syn_retries={r}{}: {retx} retransmissions, {l} at the initial RTO, {r} doubling.",
                            if l > 0 { " (Linux 6.5 or later)" } else { "" }
                        )
                    }
                    (Some(l), None) => {
                        x += &format!(" matches Linux's tcp_syn_linear_timeouts={l}.")
                    }
                    _ if fam != Stack::Unknown && stack::backoff_fits(fam, &iv) => {
                        x += &format!(" is {} SYN backoff ({}).", fam.name(), backoff_rule(fam))
                    }
                    _ if fam != Stack::Unknown => {
                        x += &format!(
                            " is not {} SYN backoff ({}).",
                            fam.name(),
                            backoff_rule(fam)
                        )
                    }
                    _ => x += " matches no known stack's SYN backoff.",
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
        Note::Stack { side } => match s.stack.get(side) {
            Some(g) => {
                let kind = match side {
                    Side::Client => TrainKind::Syn,
                    Side::Server => TrainKind::SynAck,
                };
                let t = s.trains.iter().find(|t| t.kind == kind);
                let mut clues: Vec<String> = g.evidence.iter().map(|c| clue(g, c, t)).collect();
                if !g.evidence.iter().any(|c| matches!(c, Clue::Layout(_))) {
                    clues.insert(
                        1.min(clues.len()),
                        format!("options {} (no p0f layout we know)", g.print.layout_str()),
                    );
                }
                let what = match g.stack {
                    Stack::Unknown => "is unknown".to_string(),
                    f => format!("looks like {} ({} confidence)", f.name(), g.confidence.as_str()),
                };
                format!("The {}'s stack {what}: {}.", side.as_str(), clues.join("; "))
            }
            None => String::new(),
        },
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
            recovery,
            timeouts,
            longest,
        } => {
            let dups: Vec<u32> = s
                .trains
                .iter()
                .filter(|t| t.dir == side.sends() && t.kind == TrainKind::Data)
                .filter_map(|t| t.dup_acks.filter(|n| *n > 0))
                .collect();
            let after = match (dups.iter().min(), dups.iter().max()) {
                (Some(a), Some(b)) if a == b => format!(" after {a} duplicate ACKs"),
                (Some(a), Some(b)) => format!(" after {a} to {b} duplicate ACKs"),
                _ => String::new(),
            };
            let rec = if recovery > 0 {
                format!(", {recovery} re-sent by loss recovery before any timer")
            } else {
                String::new()
            };
            let mut x = format!(
                "{} retransmitted {} ({}: {fast} started by fast retransmit{after}{rec}, {timeouts} by timeouts).",
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
        Caveat::StackAssumedLinux { side, bsd_fits_too } => format!(
            "the {}'s stack is unknown: the Linux settings above assume Linux, whose rules the retransmissions fit{}",
            side.as_str(),
            if bsd_fits_too {
                " (FreeBSD's and macOS's SYN backoff table, 1 s five times then doubling, fits them too)"
            } else {
                ""
            }
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

//! Plain sentences about a connection, as an expert would write them.

use super::trains::secs;
use super::types::{
    ConnectionStory, Outcome, Side, SynOptions, TcpState, Train, TrainKind, Verdict,
};
use crate::flow::{Direction, Endpoint};

/// A duration for people: µs, ms or s.
pub fn human(s: f64) -> String {
    let a = s.abs();
    if a < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if a < 1.0 {
        format!("{:.0} ms", s * 1e3)
    } else if a < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

fn ep(e: Endpoint) -> String {
    match e.ip {
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{}", e.port),
        std::net::IpAddr::V4(ip) => format!("{ip}:{}", e.port),
    }
}

fn opts(o: &SynOptions) -> String {
    let mut v = Vec::new();
    if let Some(m) = o.mss {
        v.push(format!("mss {m}"));
    }
    if let Some(w) = o.wscale {
        v.push(format!("wscale {w}"));
    }
    if o.sack_perm {
        v.push("SACK".into());
    }
    if o.timestamps {
        v.push("timestamps".into());
    }
    if o.tfo {
        v.push("Fast Open".into());
    }
    if o.mptcp {
        v.push("MPTCP".into());
    }
    if v.is_empty() {
        "no options".into()
    } else {
        v.join(", ")
    }
}

fn who(s: &ConnectionStory, side: Side) -> String {
    format!("the {} ({})", side.as_str(), ep(s.endpoint(side)))
}

fn list_s(xs: &[f64]) -> String {
    xs.iter()
        .map(|x| format!("{x:.2}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The spacing of a train in words ("1 s five times, then doubling").
fn spacing(t: &Train) -> String {
    match t.verdict {
        Verdict::LinearThenExponentialBackoff => {
            let first = t.intervals_s.first().copied().unwrap_or(0.0);
            let k = t
                .intervals_s
                .iter()
                .take_while(|x| super::trains::about_equal(first, **x))
                .count();
            format!("{} {k} times, then doubling", human(first))
        }
        Verdict::ExponentialBackoff => format!(
            "doubling from {}",
            human(t.intervals_s.first().copied().unwrap_or(0.0))
        ),
        Verdict::Linear => format!(
            "every {}",
            human(t.intervals_s.first().copied().unwrap_or(0.0))
        ),
        Verdict::TailLossProbeThenExponentialBackoff => format!(
            "a tail loss probe after {}, then retransmission timeouts doubling from {}",
            human(t.intervals_s.first().copied().unwrap_or(0.0)),
            human(t.intervals_s.get(1).copied().unwrap_or(0.0))
        ),
        Verdict::TailLossProbe => "a tail loss probe".into(),
        Verdict::TailLossProbeThenTimeout => {
            "a tail loss probe, then one retransmission timeout".into()
        }
        Verdict::FastRetransmit => "a fast retransmit on duplicate ACKs".into(),
        Verdict::FastRetransmitThenExponentialBackoff => {
            "a fast retransmit, then retransmission timeouts with backoff".into()
        }
        Verdict::Timeout => format!(
            "one retransmission timeout after {}",
            human(t.intervals_s.first().copied().unwrap_or(0.0))
        ),
        Verdict::Spurious => {
            "a spurious retransmission (the original had been acknowledged)".into()
        }
        Verdict::Irregular => format!("irregular intervals ({} s)", list_s(&t.intervals_s)),
        Verdict::Single => "the original send was not captured".into(),
    }
}

/// The notes of a finished story.
pub(crate) fn notes(s: &ConnectionStory) -> Vec<String> {
    let mut n = Vec::new();
    let c = ep(s.client);
    let sv = ep(s.server);
    let hs = &s.handshake;
    let syn_train = s
        .trains
        .iter()
        .find(|t| t.kind == TrainKind::Syn && t.dir == Direction::ClientToServer);
    let synack_train = s
        .trains
        .iter()
        .find(|t| t.kind == TrainKind::SynAck && t.dir == Direction::ServerToClient);
    match hs.outcome {
        Outcome::Established => {
            let mut x = format!("{c} connected to {sv}");
            if let Some(r) = hs.irtt {
                x += &format!("; the handshake took {} (initial RTT)", human(r));
            }
            x.push('.');
            n.push(x);
            if let (Some(co), Some(so)) = (&s.options.client, &s.options.server) {
                let mut x = format!("Options: client {}; server {}.", opts(co), opts(so));
                match (s.window_scale.client, s.window_scale.server) {
                    (Some(a), Some(b)) => {
                        x += &format!(
                            " Window scaling is in force: the client's windows count in units of {}, the server's in units of {}.",
                            1u32 << a,
                            1u32 << b
                        )
                    }
                    _ => x += " Window scaling is off: windows are at most 65535 bytes.",
                }
                n.push(x);
            }
        }
        Outcome::NoAnswer => {
            let span = syn_train
                .and_then(|t| t.times_s.last().copied())
                .unwrap_or(0.0);
            let mut x = format!(
                "{c} sent {} SYN{} over {}; no SYN-ACK came back.",
                hs.syn_frames.len(),
                if hs.syn_frames.len() == 1 { "" } else { "s" },
                human(span)
            );
            if let Some(t) = syn_train {
                x += &format!(" The spacing, {},", spacing(t));
                match (s.inferred.tcp_syn_linear_timeouts, s.inferred.tcp_syn_retries) {
                    (Some(l), Some(r)) => {
                        x += &format!(
                            " matches Linux's tcp_syn_linear_timeouts={l} and tcp_syn_retries={r}{}.",
                            if l > 0 { " (Linux 6.5 or later)" } else { "" }
                        )
                    }
                    (Some(l), None) => x += &format!(" matches Linux's tcp_syn_linear_timeouts={l}."),
                    _ => x += " does not match a Linux SYN backoff.",
                }
            }
            n.push(x);
        }
        Outcome::Refused => n.push(format!(
            "{sv} answered the SYN from {c} with a RST: nothing listens on port {} (connection refused).",
            s.server.port
        )),
        Outcome::SynAckUnanswered => {
            let mut x = format!(
                "{sv} answered {c}'s SYN with {} SYN-ACK{} that were never acknowledged",
                hs.syn_ack_frames.len(),
                if hs.syn_ack_frames.len() == 1 { "" } else { "s" }
            );
            if let Some(t) = synack_train {
                x += &format!(" (spacing: {})", spacing(t));
            }
            x.push('.');
            if let Some(r) = s.inferred.tcp_synack_retries {
                x += &format!(" That is Linux's SYN_RECV backoff with tcp_synack_retries={r}.");
            }
            x += " The client never completed the handshake: a scanner, a spoofed source or a firewall dropping the SYN-ACKs.";
            n.push(x);
        }
        Outcome::Reset => n.push(format!(
            "The handshake was aborted by a RST after {sv}'s SYN-ACK (a port scan or a cancelled connect)."
        )),
        Outcome::Midstream => n.push(
            "The capture begins in the middle of this connection: its handshake, options and window scale are unknown."
                .into(),
        ),
        Outcome::Resumed => n.push(
            "This part continues the connection after it was evicted under the memory budget (it had been idle while \
             other connections needed the memory): its handshake and earlier segments are in the earlier part with \
             the same number; relative sequence numbers, window scales and the per-segment analysis continue where \
             they stopped, and the counts here cover this part only."
                .into(),
        ),
    }
    // Retransmissions of data and FINs.
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let side = Side::sender(dir);
        let count = *s.retransmissions.get(dir);
        let data: Vec<&Train> = s
            .trains
            .iter()
            .filter(|t| t.dir == dir && t.kind == TrainKind::Data)
            .collect();
        if count > 0 && !data.is_empty() {
            let fast = data
                .iter()
                .filter(|t| {
                    matches!(
                        t.verdict,
                        Verdict::FastRetransmit | Verdict::FastRetransmitThenExponentialBackoff
                    )
                })
                .count();
            let rto = data
                .iter()
                .filter(|t| {
                    matches!(
                        t.verdict,
                        Verdict::Timeout
                            | Verdict::ExponentialBackoff
                            | Verdict::TailLossProbeThenTimeout
                            | Verdict::TailLossProbeThenExponentialBackoff
                    )
                })
                .count();
            let mut x = format!(
                "{} retransmitted {count} segment{} ({} train{}: {fast} started by fast retransmit, {rto} by timeouts).",
                capital(&who(s, side)),
                if count == 1 { "" } else { "s" },
                data.len(),
                if data.len() == 1 { "" } else { "s" }
            );
            if let Some(longest) = data.iter().max_by_key(|t| t.frames.len()) {
                if longest.frames.len() > 2 {
                    x += &format!(
                        " The longest: seq {} sent {} times ({}).",
                        longest.seq,
                        longest.frames.len(),
                        spacing(longest)
                    );
                }
            }
            n.push(x);
        }
        for t in s
            .trains
            .iter()
            .filter(|t| t.dir == dir && t.kind == TrainKind::Fin && t.frames.len() > 1)
        {
            n.push(format!(
                "{}'s FIN was sent {} times, at {} s: {}.",
                capital(&who(s, side)),
                t.frames.len(),
                list_s(&t.times_s),
                spacing(t)
            ));
        }
        for t in s
            .trains
            .iter()
            .filter(|t| t.dir == dir && t.kind == TrainKind::Probe && t.frames.len() > 1)
        {
            n.push(format!(
                "{} probed the peer's zero window {} times ({}).",
                capital(&who(s, side)),
                t.frames.len(),
                spacing(t)
            ));
        }
        for t in s
            .trains
            .iter()
            .filter(|t| t.dir == dir && t.kind == TrainKind::Keepalive && t.frames.len() > 1)
        {
            n.push(format!(
                "{} sent {} keep-alive probes ({}).",
                capital(&who(s, side)),
                t.frames.len(),
                spacing(t)
            ));
        }
        let zw = *s.zero_window.get(dir);
        if zw > 0 {
            n.push(format!(
                "{} advertised a zero window {zw} time{}: its receive buffer was full, its application reading more slowly than the data came.",
                capital(&who(s, side)),
                if zw == 1 { "" } else { "s" }
            ));
        }
    }
    // RTT / RTO.
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let r = s.rtt.get(dir);
        if r.samples >= 3 {
            if let (Some(med), Some(rto), Some(srtt)) = (r.median, r.rto, r.srtt) {
                n.push(format!(
                    "RTT of the {}'s data, as seen from the capture point: {} samples, median {}, max {}; \
                     RFC 6298 replayed: SRTT {}, RTO {}{}.",
                    Side::sender(dir).as_str(),
                    r.samples,
                    human(med),
                    human(r.max.unwrap_or(med)),
                    human(srtt),
                    human(rto),
                    if rto <= super::rtt::RTO_MIN_S + 1e-9 {
                        " (Linux's 200 ms floor; RFC 6298 would say 1 s)"
                    } else {
                        ""
                    }
                ));
            }
        }
    }
    let inf = &s.inferred;
    if inf.keepalive_time_s.is_some() || inf.keepalive_probes.is_some() {
        let mut parts = Vec::new();
        if let Some(t) = inf.keepalive_time_s {
            parts.push(format!("a probe after {} idle", human(t)));
        }
        if let Some(t) = inf.keepalive_intvl_s {
            parts.push(format!("unanswered probes every {}", human(t)));
        }
        if let Some(n) = inf.keepalive_probes {
            parts.push(format!("a RST after {n} unanswered"));
        }
        n.push(format!(
            "Keep-alive as Linux does it: {} (tcp_keepalive_time / _intvl / _probes, or the socket's TCP_KEEPIDLE / TCP_KEEPINTVL / TCP_KEEPCNT).",
            parts.join(", ")
        ));
    }
    if let Some(f) = s.inferred.rto_min_s {
        n.push(format!(
            "The first retransmission timeouts fired after about {}, far above the measured RTT: that is Linux's RTO floor (tcp_rto_min).",
            human(f)
        ));
    }
    // The close.
    let cl = &s.close;
    let reached = |side: Side, st: TcpState| s.states.get(side).iter().any(|x| x.state == st);
    if cl.simultaneous {
        let both_tw =
            reached(Side::Client, TcpState::TimeWait) && reached(Side::Server, TcpState::TimeWait);
        n.push(format!(
            "Both sides sent a FIN before receiving the other's: a simultaneous close (RFC 9293 3.6), through CLOSING{}.",
            if both_tw { " to TIME_WAIT on both sides" } else { "" }
        ));
    } else if let Some(first) = cl.first_fin_by {
        let mut x = format!("{} closed first", capital(&who(s, first)));
        if cl.piggybacked {
            x += &format!(
                "; the {}'s FIN rode on the ACK of it (three-packet close)",
                first.peer().as_str()
            );
        } else if cl.half_close_left_open {
            x += &format!(
                "; the {} acknowledged it but never closed its side (half-close left open)",
                first.peer().as_str()
            );
        }
        x.push('.');
        n.push(x);
    }
    if let (Some(r), true) = (cl.rst_by, hs.outcome != Outcome::Refused) {
        let own_fin = s
            .trains
            .iter()
            .any(|t| t.kind == TrainKind::Fin && t.dir == r.sends())
            || cl.first_fin_by == Some(r)
            || (cl.first_fin_by.is_some() && reached(r, TcpState::FinWait1));
        let rst_t = s.rst_ts_ns.unwrap_or(s.last_ts_ns);
        let fin_t = s
            .states
            .get(r)
            .iter()
            .find(|x| x.state == TcpState::FinWait1)
            .map(|x| x.t_ns);
        match (own_fin, fin_t) {
            (true, Some(f)) => n.push(format!(
                "{} answered with a RST {} after its own FIN: its socket no longer existed (an orphaned \
                 connection is dropped when FIN_WAIT2 outlives tcp_fin_timeout or FIN_WAIT1 outlives \
                 tcp_orphan_retries).",
                capital(&who(s, r)),
                human(secs(rst_t.saturating_sub(f)))
            )),
            _ => n.push(format!(
                "{} reset the connection: an abortive close (SO_LINGER with a zero timeout, unread data at \
                 close(), a listener closed with connections in its accept queue, or a dead application).",
                capital(&who(s, r))
            )),
        }
    }
    // States.
    let fmt_states = |v: &[super::types::StateChange]| {
        v.iter()
            .map(|x| x.state.as_str())
            .collect::<Vec<_>>()
            .join(" > ")
    };
    let sc = fmt_states(&s.states.client);
    let ss = fmt_states(&s.states.server);
    if !sc.is_empty() || !ss.is_empty() {
        n.push(format!(
            "States as the capture shows them: client {}; server {}.",
            if sc.is_empty() { "-".into() } else { sc },
            if ss.is_empty() { "-".into() } else { ss }
        ));
    }
    for side in [Side::Client, Side::Server] {
        if let Some(tw) = s
            .states
            .get(side)
            .iter()
            .find(|x| x.state == TcpState::TimeWait)
        {
            let left = 60.0 - secs(s.last_ts_ns.saturating_sub(tw.t_ns));
            if left > 0.0 {
                n.push(format!(
                    "The {} is in TIME_WAIT from {} after the first packet; Linux keeps it 60 s (TCP_TIMEWAIT_LEN).",
                    side.as_str(),
                    human(secs(tw.t_ns.saturating_sub(s.first_ts_ns)))
                ));
            }
        }
    }
    if s.evicted {
        n.push(
            "Evicted under the memory budget while idle (the least recently active connections go first): the \
             story stops here; if the connection spoke again, a later part with the same number continues it."
                .into(),
        );
    }
    for c in &s.inferred.caveats {
        n.push(format!("Caveat: {c}."));
    }
    n
}

fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

//! The block of one connection (`tcpkit report`) and its line (`tcpkit flows`).

use super::{Duration, Fixed, count, duration, endpoint, noun_for, secs};
use crate::analysis::story::{
    FrameRun, Outcome, RtoRule, RttSummary, Side, Story, SynOptions, Train, TrainKind,
};
use crate::analysis::{Connection, EndReason, RoleEvidence, WindowScale};
use std::fmt::Write as _;

/// How the connection opened and how it ended, for its header line
/// ("opened (3-way handshake), closed by client FIN").
fn lifecycle(c: &Connection) -> String {
    let opened = match c.handshake.outcome {
        Outcome::Established => "opened (3-way handshake)".to_string(),
        Outcome::Refused => return "refused (RST to the SYN)".into(),
        Outcome::NoAnswer => return "never answered (no SYN-ACK, no RST)".into(),
        Outcome::SynAckUnanswered => return "SYN-ACK never acknowledged".into(),
        Outcome::Reset => return "reset during the handshake".into(),
        Outcome::Midstream => format!(
            "mid-stream ({})",
            match c.roles {
                RoleEvidence::Handshake => "roles seen",
                RoleEvidence::Listener => "roles guessed: server seen listening",
                RoleEvidence::ServicePort => "roles guessed by the service port",
                RoleEvidence::EphemeralPort => "roles guessed by the ephemeral port",
                RoleEvidence::Payload => "roles guessed by the payload",
                RoleEvidence::MoreData => "roles guessed by the bulk of the data",
                RoleEvidence::FirstSender => "roles unknown: first sender called client",
            }
        ),
        Outcome::Resumed => "resumed after an eviction".to_string(),
    };
    let side = |d: crate::flow::Direction| crate::analysis::story::Side::sender(d).as_str();
    let first = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(x), Some(y)) if y < x => Some((crate::flow::Direction::ServerToClient, y)),
        (Some(x), _) => Some((crate::flow::Direction::ClientToServer, x)),
        (None, Some(y)) => Some((crate::flow::Direction::ServerToClient, y)),
        (None, None) => None,
    };
    let fin = first(c.fin_frame.c2s, c.fin_frame.s2c);
    let rst = first(c.rst_frame.c2s, c.rst_frame.s2c);
    let both_fins = c.fin_frame.c2s.is_some() && c.fin_frame.s2c.is_some();
    let close = c.story.as_deref().map(|s| s.close).unwrap_or_default();
    let ended = match (fin, rst) {
        _ if c.evicted => "evicted under the memory budget".to_string(),
        (Some((fd, ff)), Some((rd, rf))) if ff < rf => {
            format!("closed by {} FIN, then reset by {}", side(fd), side(rd))
        }
        (_, Some((rd, _))) => format!("reset by {}", side(rd)),
        (Some(_), None) if close.simultaneous => "closed by both FINs at once".into(),
        (Some((fd, _)), None) if both_fins => format!(
            "closed by {} FIN{}",
            side(fd),
            if close.piggybacked {
                " (three-packet close)"
            } else {
                ""
            }
        ),
        (Some((fd, _)), None) => format!(
            "half-closed by {} FIN, {} at end of capture",
            side(fd),
            match c.end {
                EndReason::Idle => "then idle",
                _ => "the other side still open",
            }
        ),
        (None, None) => match c.end {
            EndReason::Idle => "idle, no close seen".into(),
            EndReason::PortReused => "replaced by a new connection on the same ports".into(),
            _ => "still open at end of capture".into(),
        },
    };
    format!("{opened}, {ended}")
}

fn opts(o: &Option<SynOptions>) -> String {
    let Some(o) = o else { return "-".into() };
    let mut v = Vec::new();
    if let Some(m) = o.mss {
        v.push(format!("mss {m}"));
    }
    match o.wscale {
        Some(w) => v.push(format!("wscale {w}")),
        None => v.push("no wscale".into()),
    }
    if o.sack_perm {
        v.push("SACK".into());
    }
    if o.timestamps {
        v.push("TS".into());
    }
    if o.tfo {
        v.push("TFO".into());
    }
    if o.mptcp {
        v.push("MPTCP".into());
    }
    v.join(", ")
}

fn secs_list(xs: &[f64]) -> String {
    // Milliseconds are not enough for sub-millisecond retransmissions.
    let fine = xs.iter().any(|x| *x != 0.0 && x.abs() < 0.01);
    xs.iter()
        .map(|x| {
            if fine {
                Fixed(*x, 6).to_string()
            } else {
                Fixed(*x, 3).to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The frames of a run of SYNs or SYN-ACKs: every one (from the story's
/// train of them) up to 12, else the first five, the last and the count.
fn run(story: Option<&Story>, r: FrameRun, kind: TrainKind) -> String {
    let join = |xs: &[u64]| xs.iter().map(u64::to_string).collect::<Vec<_>>().join(",");
    let (Some(first), Some(last)) = (r.first, r.last) else {
        return "-".into();
    };
    let listed: Vec<u64> = match story.and_then(|s| s.trains.iter().find(|t| t.kind == kind)) {
        Some(t) if r.count > 1 => t.frames.clone(),
        _ if r.count == 1 => vec![first],
        _ => vec![first, last],
    };
    if r.count <= 12 && listed.len() == r.count as usize {
        join(&listed)
    } else {
        format!(
            "{}, ... {last} ({} frames)",
            join(&listed[..listed.len().min(5)]),
            r.count
        )
    }
}

fn train_line(out: &mut String, t: &Train) {
    let times: Vec<f64> = t.offsets_ns().map(secs).collect();
    let intervals: Vec<f64> = t.intervals_ns().map(secs).collect();
    let _ = writeln!(
        out,
        "    {} {:<9} seq {:<10} {} at {} s{} -> {}",
        t.dir.as_str(),
        format!("{:?}", t.kind).to_lowercase(),
        t.seq,
        count(t.frames.len() as u64 + u64::from(t.more), "send"),
        secs_list(&times),
        if intervals.is_empty() {
            String::new()
        } else {
            format!(" (spacing {})", secs_list(&intervals))
        },
        t.verdict.as_str()
    );
}

fn rtt_line(out: &mut String, dir: &str, r: &RttSummary) {
    if r.samples == 0 {
        return;
    }
    let f = Duration;
    let floor = r
        .rto_ns
        .is_some_and(|x| r.rto_rule.at_floor(x as f64 / 1e9));
    let bounds = match r.rto_rule {
        RtoRule::Linux if floor => " (Linux's floor; RFC 6298 says 1 s)",
        RtoRule::LinuxAssumed if floor => " (Linux's floor, the stack assumed; RFC 6298 says 1 s)",
        RtoRule::BsdApple if r.rto_ns.is_some() => " (with FreeBSD/macOS's 200 ms slop)",
        RtoRule::Unbounded if r.rto_ns.is_some() => " (unbounded: Windows' floor is not seen)",
        _ => "",
    };
    let _ = writeln!(
        out,
        "    {dir}: {}, min {}, median {}, p95 {}, max {}; RFC 6298: SRTT {}, RTTVAR {}, RTO {}{}",
        count(r.samples, "sample"),
        f(r.min_ns),
        f(r.median_ns),
        f(r.p95_ns),
        f(r.max_ns),
        f(r.srtt_ns),
        f(r.rttvar_ns),
        f(r.rto_ns),
        bounds
    );
}

/// Appends the block of one connection as `tcpkit report` prints it, times
/// relative to `t0_ns` (the capture's first packet). Without a story, the
/// lines of the counters only.
pub fn connection_block(out: &mut String, c: &Connection, t0_ns: i64) {
    let rel = |t: i64| secs(t.saturating_sub(t0_ns));
    let _ = writeln!(
        out,
        "Connection {}: {} -> {}  {}  ({} .. {} s)",
        c.conn.0,
        endpoint(c.client),
        endpoint(c.server),
        lifecycle(c),
        Fixed(rel(c.first_ts_ns), 6),
        Fixed(rel(c.last_ts_ns), 6)
    );
    let hs = &c.handshake;
    let story = c.story.as_deref();
    // Mid-stream (or a part after an eviction) there is no handshake to tell.
    if hs.syn.count + hs.syn_ack.count > 0 {
        let mut h = format!(
            "  handshake: SYN {} {}",
            noun_for(u64::from(hs.syn.count), "frame"),
            run(story, hs.syn, TrainKind::Syn)
        );
        let _ = write!(h, ", SYN-ACK {}", run(story, hs.syn_ack, TrainKind::SynAck));
        if let Some(a) = hs.ack_frame {
            let _ = write!(h, ", ACK {a}");
        }
        if let Some(r) = hs.irtt_ns {
            let _ = write!(h, "; initial RTT {}", duration(r));
        }
        let _ = writeln!(out, "{h}");
    }
    if c.options.client.is_some() || c.options.server.is_some() {
        let _ = writeln!(
            out,
            "  options: client {} | server {}",
            opts(&c.options.client),
            opts(&c.options.server)
        );
    }
    let scale = |side: Side| match c.window_scale_factor(side) {
        WindowScale::Shift(w) => format!("x{}", 1u32 << w),
        WindowScale::NotUsed => "off".into(),
        WindowScale::Unknown => "unknown".into(),
    };
    let win = |x: Option<u64>| x.map_or("-".to_string(), |w| format!("{w} bytes"));
    let eff = |side: Side| story.and_then(|s| *s.effective_window.get(side));
    if eff(Side::Client).is_some() || eff(Side::Server).is_some() {
        let _ = writeln!(
            out,
            "  window after the handshake: client {} (scale {}), server {} (scale {})",
            win(eff(Side::Client)),
            scale(Side::Client),
            win(eff(Side::Server)),
            scale(Side::Server)
        );
    }
    let _ = writeln!(
        out,
        "  packets {} / {}, bytes {} / {}, retransmissions {} / {} (client / server)",
        c.packets.c2s,
        c.packets.s2c,
        c.bytes.c2s,
        c.bytes.s2c,
        c.retransmissions.c2s,
        c.retransmissions.s2c
    );
    if let Some(s) = story {
        story_lines(out, c, s, t0_ns);
    }
}

fn story_lines(out: &mut String, c: &Connection, s: &Story, t0_ns: i64) {
    let rel = |t: i64| secs(t.saturating_sub(t0_ns));
    if !s.trains.is_empty() {
        let _ = writeln!(out, "  retransmission trains:");
        const SHOWN: usize = 12;
        for t in s.trains.iter().take(SHOWN) {
            train_line(out, t);
        }
        if s.trains.len() > SHOWN {
            let _ = writeln!(out, "    ... and {} more", s.trains.len() - SHOWN);
        }
    }
    if s.rtt.c2s.samples + s.rtt.s2c.samples > 0 {
        let _ = writeln!(out, "  RTT (of each side's data, from the capture point):");
        rtt_line(out, "client", &s.rtt.c2s);
        rtt_line(out, "server", &s.rtt.s2c);
    }
    for side in [Side::Client, Side::Server] {
        let v = s.states.get(side);
        let _ = write!(out, "  {} states: ", side.as_str());
        if v.is_empty() {
            out.push('-');
        }
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                out.push_str(" > ");
            }
            let _ = write!(out, "{} ({})", x.state.as_str(), Fixed(rel(x.t_ns), 6));
        }
        out.push('\n');
    }
    let inf = &s.inferred;
    let sec = |ns: u64| ns as f64 / 1e9;
    let mut i = Vec::new();
    if let Some(x) = inf.tcp_syn_retries {
        i.push(format!("tcp_syn_retries={x}"));
    }
    if let Some(x) = inf.tcp_syn_linear_timeouts {
        i.push(format!("tcp_syn_linear_timeouts={x}"));
    }
    if let Some(x) = inf.tcp_synack_retries {
        i.push(format!("tcp_synack_retries={x}"));
    }
    if let Some(x) = inf.initial_rto_ns {
        i.push(format!("initial RTO {} s", sec(x)));
    }
    if let Some(x) = inf.rto_min_ns {
        i.push(format!("RTO floor {} s", sec(x)));
    }
    if let Some(x) = inf.keepalive_time_ns {
        i.push(format!("keep-alive time {} s", sec(x)));
    }
    if let Some(x) = inf.keepalive_intvl_ns {
        i.push(format!("keep-alive interval {} s", sec(x)));
    }
    if let Some(x) = inf.keepalive_probes {
        i.push(format!("keep-alive probes {x}"));
    }
    if let Some(x) = inf.tcp_fin_timeout_max_ns {
        i.push(format!("tcp_fin_timeout <= {} s", sec(x)));
    }
    if !i.is_empty() {
        let _ = writeln!(out, "  inferred: {}", i.join(", "));
    }
    for n in super::notes(c) {
        let _ = writeln!(out, "  - {n}");
    }
}

/// Appends the line of one connection as `tcpkit flows` prints it (no
/// newline), times relative to `t0_ns` (the capture's first packet).
pub fn flows_line(out: &mut String, c: &Connection, t0_ns: i64) {
    let close = c.story.as_deref().map(|s| &s.close);
    let _ = write!(
        out,
        "{:>5} {} -> {} {:<20} +{}s {} pkts {}/{} bytes {}/{} retx {}/{} close {}{}",
        c.conn.0,
        endpoint(c.client),
        endpoint(c.server),
        format!("{:?}", c.handshake.outcome).to_lowercase(),
        Fixed(secs(c.first_ts_ns.saturating_sub(t0_ns)), 6),
        Duration(Some(
            c.last_ts_ns.saturating_sub(c.first_ts_ns).max(0) as u64
        )),
        c.packets.c2s,
        c.packets.s2c,
        c.bytes.c2s,
        c.bytes.s2c,
        c.retransmissions.c2s,
        c.retransmissions.s2c,
        match close.map(|cl| (cl.first_fin_by, cl.rst_by)) {
            Some((_, Some(r))) => format!("RST by {}", r.as_str()),
            Some((Some(s), None)) => format!("FIN first by {}", s.as_str()),
            _ => "-".into(),
        },
        if c.evicted {
            " (evicted: continues in a later line with the same number if it spoke again)"
        } else {
            ""
        }
    );
}

//! The block of one connection (`tcpkit report`) and its line (`tcpkit flows`).

use super::{duration, endpoint, secs};
use crate::analysis::Connection;
use crate::analysis::story::{
    FrameRun, Outcome, RttSummary, Side, Story, SynOptions, Train, TrainKind,
};
use std::fmt::Write as _;

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Established => "established",
        Outcome::Refused => "refused",
        Outcome::NoAnswer => "no answer",
        Outcome::SynAckUnanswered => "SYN-ACK unanswered",
        Outcome::Reset => "reset during the handshake",
        Outcome::Midstream => "midstream (handshake not captured)",
        Outcome::Resumed => "resumed after eviction (handshake in the earlier part)",
    }
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
                format!("{x:.6}")
            } else {
                format!("{x:.3}")
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
        "    {} {:<9} seq {:<10} {} send{} at {} s{} -> {}",
        t.dir.as_str(),
        format!("{:?}", t.kind).to_lowercase(),
        t.seq,
        t.frames.len() + t.more as usize,
        if t.frames.len() == 1 { "" } else { "s" },
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
    let f = |x: Option<u64>| x.map_or("-".into(), duration);
    let _ = writeln!(
        out,
        "    {dir}: {} samples, min {}, median {}, p95 {}, max {}; RFC 6298: SRTT {}, RTTVAR {}, RTO {}",
        r.samples,
        f(r.min_ns),
        f(r.median_ns),
        f(r.p95_ns),
        f(r.max_ns),
        f(r.srtt_ns),
        f(r.rttvar_ns),
        f(r.rto_ns)
    );
}

/// Appends the block of one connection as `tcpkit report` prints it, times
/// relative to `t0_ns` (the capture's first packet). Without a story, the
/// lines of the counters only.
pub fn connection_block(out: &mut String, c: &Connection, t0_ns: i64) {
    let rel = |t: i64| secs(t.saturating_sub(t0_ns));
    let _ = writeln!(
        out,
        "Connection {}: {} -> {}  {}  ({:.6} .. {:.6} s)",
        c.conn.0,
        endpoint(c.client),
        endpoint(c.server),
        outcome(c.handshake.outcome),
        rel(c.first_ts_ns),
        rel(c.last_ts_ns)
    );
    let hs = &c.handshake;
    let story = c.story.as_deref();
    let mut h = format!(
        "  handshake: SYN frame{} {}",
        if hs.syn.count == 1 { "" } else { "s" },
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
    let _ = writeln!(
        out,
        "  options: client {} | server {}",
        opts(&c.options.client),
        opts(&c.options.server)
    );
    let scale = |x: Option<u8>| x.map_or("off".to_string(), |w| format!("x{}", 1u32 << w));
    let win = |x: Option<u64>| x.map_or("-".to_string(), |w| format!("{w} bytes"));
    let eff = |side: Side| story.and_then(|s| *s.effective_window.get(side));
    let _ = writeln!(
        out,
        "  window after the handshake: client {} (scale {}), server {} (scale {})",
        win(eff(Side::Client)),
        scale(c.scale_shift(Side::Client)),
        win(eff(Side::Server)),
        scale(c.scale_shift(Side::Server))
    );
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
    let cl = &s.close;
    let mut line = String::from("  close: ");
    match cl.first_fin_by {
        Some(side) => {
            let _ = write!(line, "first FIN by the {}", side.as_str());
        }
        None => line.push_str("no FIN"),
    }
    if let Some(r) = cl.rst_by {
        let _ = write!(line, ", RST by the {}", r.as_str());
    }
    if cl.piggybacked {
        line.push_str(", second FIN piggybacked on the ACK");
    }
    if cl.simultaneous {
        line.push_str(", simultaneous close");
    }
    if cl.half_close_left_open {
        line.push_str(", half-close left open");
    }
    if let Some(d) = cl.duration_ns {
        let _ = write!(
            line,
            "; {} from the first FIN/RST to the last segment",
            duration(d)
        );
    }
    let _ = writeln!(out, "{line}");
    for side in [Side::Client, Side::Server] {
        let v = s.states.get(side);
        let text = if v.is_empty() {
            "-".to_string()
        } else {
            v.iter()
                .map(|x| format!("{} ({:.6})", x.state.as_str(), rel(x.t_ns)))
                .collect::<Vec<_>>()
                .join(" > ")
        };
        let _ = writeln!(out, "  {} states: {text}", side.as_str());
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
        "{:>5} {} -> {} {:<20} +{:.6}s {} pkts {}/{} bytes {}/{} retx {}/{} close {}{}",
        c.conn.0,
        endpoint(c.client),
        endpoint(c.server),
        format!("{:?}", c.handshake.outcome).to_lowercase(),
        secs(c.first_ts_ns.saturating_sub(t0_ns)),
        duration(c.last_ts_ns.saturating_sub(c.first_ts_ns).max(0) as u64),
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

//! The human renderings of the story: a block per connection (`tcpkit report`,
//! `tcpkit flows`), the capture-wide findings, and `ss -tano`-like tables
//! (`tcpkit ss`). The core never prints; this is the only place with words
//! about layout.

use std::fmt::Write as _;
use tcpkit_core::analysis::story::ss::{SsLine, SsTimer};
use tcpkit_core::analysis::story::{ConnectionStory, Outcome, RttSummary, Side, SynOptions, Train};
use tcpkit_core::flow::Endpoint;
use tcpkit_core::report::Report;

/// `ip:port`, IPv6 in brackets.
pub fn endpoint(e: Endpoint) -> String {
    match e.ip {
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{}", e.port),
        std::net::IpAddr::V4(ip) => format!("{ip}:{}", e.port),
    }
}

/// A duration for people: µs, ms or s.
pub fn dur(s: f64) -> String {
    let a = s.abs();
    if a < 1e-3 {
        format!("{:.0} µs", s * 1e6)
    } else if a < 1.0 {
        format!("{:.1} ms", s * 1e3)
    } else {
        format!("{s:.3} s")
    }
}

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

fn frames(xs: &[u64]) -> String {
    if xs.len() <= 12 {
        xs.iter().map(u64::to_string).collect::<Vec<_>>().join(",")
    } else {
        format!(
            "{}, ... {} ({} frames)",
            xs[..5]
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(","),
            xs.last().copied().unwrap_or(0),
            xs.len()
        )
    }
}

fn train_line(out: &mut String, t: &Train) {
    let _ = writeln!(
        out,
        "    {} {:<9} seq {:<10} {} send{} at {} s{} -> {}",
        t.dir.as_str(),
        format!("{:?}", t.kind).to_lowercase(),
        t.seq,
        t.frames.len() + t.more as usize,
        if t.frames.len() == 1 { "" } else { "s" },
        secs_list(&t.times_s),
        if t.intervals_s.is_empty() {
            String::new()
        } else {
            format!(" (spacing {})", secs_list(&t.intervals_s))
        },
        t.verdict.as_str()
    );
}

fn rtt_line(out: &mut String, dir: &str, r: &RttSummary) {
    if r.samples == 0 {
        return;
    }
    let f = |x: Option<f64>| x.map_or("-".into(), dur);
    let _ = writeln!(
        out,
        "    {dir}: {} samples, min {}, median {}, p95 {}, max {}; RFC 6298: SRTT {}, RTTVAR {}, RTO {}",
        r.samples,
        f(r.min),
        f(r.median),
        f(r.p95),
        f(r.max),
        f(r.srtt),
        f(r.rttvar),
        f(r.rto)
    );
}

/// The block of one connection in `tcpkit report`.
pub fn connection_block(out: &mut String, s: &ConnectionStory, t0_ns: i64) {
    let rel = |t: i64| t.saturating_sub(t0_ns) as f64 / 1e9;
    let _ = writeln!(
        out,
        "Connection {}: {} -> {}  {}  ({:.6} .. {:.6} s)",
        s.conn.0,
        endpoint(s.client),
        endpoint(s.server),
        outcome(s.handshake.outcome),
        rel(s.first_ts_ns),
        rel(s.last_ts_ns)
    );
    let hs = &s.handshake;
    let mut h = format!(
        "  handshake: SYN frame{} {}",
        if hs.syn_frames.len() == 1 { "" } else { "s" },
        if hs.syn_frames.is_empty() {
            "-".into()
        } else {
            frames(&hs.syn_frames)
        }
    );
    let _ = write!(
        h,
        ", SYN-ACK {}",
        if hs.syn_ack_frames.is_empty() {
            "-".into()
        } else {
            frames(&hs.syn_ack_frames)
        }
    );
    if let Some(a) = hs.ack_frame {
        let _ = write!(h, ", ACK {a}");
    }
    if let Some(r) = hs.irtt {
        let _ = write!(h, "; initial RTT {}", dur(r));
    }
    let _ = writeln!(out, "{h}");
    let _ = writeln!(
        out,
        "  options: client {} | server {}",
        opts(&s.options.client),
        opts(&s.options.server)
    );
    let scale = |x: Option<u8>| x.map_or("off".to_string(), |w| format!("x{}", 1u32 << w));
    let win = |x: Option<u64>| x.map_or("-".to_string(), |w| format!("{w} bytes"));
    let _ = writeln!(
        out,
        "  window after the handshake: client {} (scale {}), server {} (scale {})",
        win(s.effective_window.client),
        scale(s.window_scale.client),
        win(s.effective_window.server),
        scale(s.window_scale.server)
    );
    let _ = writeln!(
        out,
        "  packets {} / {}, bytes {} / {}, retransmissions {} / {} (client / server)",
        s.packets.c2s,
        s.packets.s2c,
        s.bytes.c2s,
        s.bytes.s2c,
        s.retransmissions.c2s,
        s.retransmissions.s2c
    );
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
    let c = &s.close;
    let mut cl = String::from("  close: ");
    match c.first_fin_by {
        Some(side) => {
            let _ = write!(cl, "first FIN by the {}", side.as_str());
        }
        None => cl.push_str("no FIN"),
    }
    if let Some(r) = c.rst_by {
        let _ = write!(cl, ", RST by the {}", r.as_str());
    }
    if c.piggybacked {
        cl.push_str(", second FIN piggybacked on the ACK");
    }
    if c.simultaneous {
        cl.push_str(", simultaneous close");
    }
    if c.half_close_left_open {
        cl.push_str(", half-close left open");
    }
    if let Some(d) = c.duration_s {
        let _ = write!(
            cl,
            "; {} from the first FIN/RST to the last segment",
            dur(d)
        );
    }
    let _ = writeln!(out, "{cl}");
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
    if let Some(x) = inf.initial_rto_s {
        i.push(format!("initial RTO {x} s"));
    }
    if let Some(x) = inf.rto_min_s {
        i.push(format!("RTO floor {x} s"));
    }
    if let Some(x) = inf.keepalive_time_s {
        i.push(format!("keep-alive time {x} s"));
    }
    if let Some(x) = inf.keepalive_intvl_s {
        i.push(format!("keep-alive interval {x} s"));
    }
    if let Some(x) = inf.keepalive_probes {
        i.push(format!("keep-alive probes {x}"));
    }
    if let Some(x) = inf.tcp_fin_timeout_max_s {
        i.push(format!("tcp_fin_timeout <= {x} s"));
    }
    if !i.is_empty() {
        let _ = writeln!(out, "  inferred: {}", i.join(", "));
    }
    for n in &s.notes {
        let _ = writeln!(out, "  - {n}");
    }
}

/// The capture-wide part of `tcpkit report`.
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
                format!(" [{}]", l.findings.join(", "))
            }
        );
    }
    if r.findings.is_empty() {
        let _ = writeln!(out, "Findings: none");
    } else {
        let _ = writeln!(out, "Findings:");
        for f in &r.findings {
            let _ = writeln!(out, "  {}: {}", f.code, f.text);
        }
    }
}

/// A remaining time as `ss` prints it (`968ms`, `1.988ms` = 1 s 988 ms, `59sec`, `1min3sec`).
pub fn ss_time(s: Option<f64>) -> String {
    let Some(s) = s else { return String::new() };
    let ms = (s * 1000.0).round().max(0.0) as u64;
    let (mut secs, minutes, mut msecs) = ((ms / 1000) % 60, ms / 60_000, ms % 1000);
    let mut out = String::new();
    if minutes > 0 {
        msecs = 0;
        let _ = write!(out, "{minutes}min");
        if minutes > 9 {
            secs = 0;
        }
    }
    if secs > 0 {
        if secs > 9 {
            msecs = 0;
        }
        let _ = write!(out, "{secs}{}", if msecs > 0 { "." } else { "sec" });
    }
    if msecs > 0 {
        let _ = write!(out, "{msecs:03}ms");
    }
    out
}

fn timer(t: &SsTimer) -> String {
    if t.name == "off" {
        return String::new();
    }
    format!(
        "timer:({},{},{})",
        t.name,
        ss_time(t.remaining_s),
        t.retrans
    )
}

/// One `ss -tano`-like table for one host (its address) at one instant.
pub fn ss_table(out: &mut String, host: &str, t_rel: f64, lines: &[SsLine]) {
    let _ = writeln!(out, "# t=+{t_rel:.3} s host={host}");
    let _ = writeln!(
        out,
        "{:<11}{:>6} {:>6} {:>28} {:>28} Timer",
        "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"
    );
    for l in lines {
        let _ = writeln!(
            out,
            "{:<11}{:>6} {:>6} {:>28} {:>28} {}",
            l.state.ss_name(),
            "-",
            "-",
            endpoint(l.local),
            endpoint(l.peer),
            timer(&l.timer)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss_times_as_ss_prints_them() {
        // Examples from the lab's ss.log and iproute2's print_ms_timer rules.
        assert_eq!(ss_time(Some(0.968)), "968ms");
        assert_eq!(ss_time(Some(1.988)), "1.988ms");
        assert_eq!(ss_time(Some(0.044)), "044ms");
        assert_eq!(ss_time(Some(59.0)), "59sec");
        assert_eq!(ss_time(Some(63.0)), "1min3sec");
        assert_eq!(ss_time(Some(9.816)), "9.816ms");
        assert_eq!(ss_time(Some(12.345)), "12sec");
        assert_eq!(ss_time(None), "");
    }
}

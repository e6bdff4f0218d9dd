//! The block of one connection (`tcpkit report`) and its line (`tcpkit flows`).
//!
//! Both are appended to the caller's `String` piece by piece: no string is
//! made for a part of a line, and the numbers go through the digit writers
//! ([`push_decimal`], [`write_fixed`], [`write_duration`]), not `core::fmt`
//! (a report of 80,000 connections is a hundred megabytes of text).

use super::{
    push_count, push_decimal, push_endpoint, push_noun, secs, write_duration, write_fixed,
};
use crate::analysis::story::{
    FrameRun, Outcome, RtoRule, RttSummary, Side, Story, SynOptions, Train, TrainKind,
};
use crate::analysis::{Connection, EndReason, RoleEvidence, WindowScale};
use crate::flow::Direction;
use std::fmt::Write as _;

/// Appends `x` with `decimals` decimals.
fn push_fixed(out: &mut String, x: f64, decimals: usize) {
    let _ = write_fixed(out, x, decimals);
}

/// Appends a duration ([`super::duration`]; `-` for none).
fn push_duration(out: &mut String, ns: Option<u64>) {
    let _ = write_duration(out, ns);
}

/// Pads what was appended to `out` since byte `start` (ASCII) with spaces to
/// `width` characters, left-aligned (as `{:<width}`).
fn pad_from(out: &mut String, start: usize, width: usize) {
    let n = out.len() - start;
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(n)));
}

/// `name` without its underscores (`syn_ack` -> `synack`): the variant's
/// name in lower case, as the text has always written it, left-aligned in
/// `width`.
fn push_squeezed(out: &mut String, name: &str, width: usize) {
    let start = out.len();
    out.extend(name.chars().filter(|&c| c != '_'));
    pad_from(out, start, width);
}

/// How the connection opened and how it ended, for its header line
/// ("opened (3-way handshake), closed by client FIN").
fn push_lifecycle(out: &mut String, c: &Connection) {
    let opened = match c.handshake.outcome {
        Outcome::Established => "opened (3-way handshake)",
        Outcome::Refused => return out.push_str("refused (RST to the SYN)"),
        Outcome::NoAnswer => return out.push_str("never answered (no SYN-ACK, no RST)"),
        Outcome::SynAckUnanswered => return out.push_str("SYN-ACK never acknowledged"),
        Outcome::Reset => return out.push_str("reset during the handshake"),
        Outcome::Midstream => match c.roles {
            RoleEvidence::Handshake => "mid-stream (roles seen)",
            RoleEvidence::Listener => "mid-stream (roles guessed: server seen listening)",
            RoleEvidence::ServicePort => "mid-stream (roles guessed by the service port)",
            RoleEvidence::EphemeralPort => "mid-stream (roles guessed by the ephemeral port)",
            RoleEvidence::Payload => "mid-stream (roles guessed by the payload)",
            RoleEvidence::MoreData => "mid-stream (roles guessed by the bulk of the data)",
            RoleEvidence::FirstSender => "mid-stream (roles unknown: first sender called client)",
        },
        Outcome::Resumed => "resumed after an eviction",
    };
    out.push_str(opened);
    out.push_str(", ");
    let side = |d: Direction| Side::sender(d).as_str();
    let first = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(x), Some(y)) if y < x => Some((Direction::ServerToClient, y)),
        (Some(x), _) => Some((Direction::ClientToServer, x)),
        (None, Some(y)) => Some((Direction::ServerToClient, y)),
        (None, None) => None,
    };
    let fin = first(c.fin_frame.c2s, c.fin_frame.s2c);
    let rst = first(c.rst_frame.c2s, c.rst_frame.s2c);
    let both_fins = c.fin_frame.c2s.is_some() && c.fin_frame.s2c.is_some();
    let close = c.story.as_deref().map(|s| s.close).unwrap_or_default();
    let parts: [&str; 4] = match (fin, rst) {
        _ if c.evicted => ["evicted under the memory budget", "", "", ""],
        (Some((fd, ff)), Some((rd, rf))) if ff < rf => {
            ["closed by ", side(fd), " FIN, then reset by ", side(rd)]
        }
        (_, Some((rd, _))) => ["reset by ", side(rd), "", ""],
        (Some(_), None) if close.simultaneous => ["closed by both FINs at once", "", "", ""],
        (Some((fd, _)), None) if both_fins => [
            "closed by ",
            side(fd),
            " FIN",
            if close.piggybacked {
                " (three-packet close)"
            } else {
                ""
            },
        ],
        (Some((fd, _)), None) => [
            "half-closed by ",
            side(fd),
            " FIN, ",
            match c.end {
                EndReason::Idle => "then idle at end of capture",
                _ => "the other side still open at end of capture",
            },
        ],
        (None, None) => match c.end {
            EndReason::Idle => ["idle, no close seen", "", "", ""],
            EndReason::PortReused => ["replaced by a new connection on the same ports", "", "", ""],
            _ => ["still open at end of capture", "", "", ""],
        },
    };
    parts.iter().for_each(|p| out.push_str(p));
}

/// Appends the options of a SYN (`mss 1460, wscale 7, SACK, TS`; `-`: none).
fn push_opts(out: &mut String, o: &Option<SynOptions>) {
    let Some(o) = o else {
        out.push('-');
        return;
    };
    if let Some(m) = o.mss {
        out.push_str("mss ");
        push_decimal(out, u64::from(m));
        out.push_str(", ");
    }
    match o.wscale {
        Some(w) => {
            out.push_str("wscale ");
            push_decimal(out, u64::from(w));
        }
        None => out.push_str("no wscale"),
    }
    for (on, name) in [
        (o.sack_perm, ", SACK"),
        (o.timestamps, ", TS"),
        (o.tfo, ", TFO"),
        (o.mptcp, ", MPTCP"),
    ] {
        if on {
            out.push_str(name);
        }
    }
}

/// Appends times in seconds, comma-separated: to the µs when one of them is
/// below 10 ms and not 0 (milliseconds are not enough for sub-millisecond
/// retransmissions), else to the ms.
fn push_secs_list<I: Iterator<Item = f64>>(out: &mut String, xs: impl Fn() -> I) {
    let fine = xs().any(|x| x != 0.0 && x.abs() < 0.01);
    let decimals = if fine { 6 } else { 3 };
    for (i, x) in xs().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        push_fixed(out, x, decimals);
    }
}

/// Appends frame numbers, comma-separated.
fn push_frames(out: &mut String, xs: &[u64]) {
    for (i, &x) in xs.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_decimal(out, x);
    }
}

/// Appends the frames of a run of SYNs or SYN-ACKs: every one (from the
/// story's train of them) up to 12, else the first five, the last and the
/// count.
fn push_run(out: &mut String, story: Option<&Story>, r: FrameRun, kind: TrainKind) {
    let (Some(first), Some(last)) = (r.first, r.last) else {
        out.push('-');
        return;
    };
    let ends = [first, last];
    let listed: &[u64] = match story.and_then(|s| s.trains.iter().find(|t| t.kind == kind)) {
        Some(t) if r.count > 1 => &t.frames,
        _ if r.count == 1 => &ends[..1],
        _ => &ends,
    };
    if r.count <= 12 && listed.len() == r.count as usize {
        push_frames(out, listed);
    } else {
        push_frames(out, &listed[..listed.len().min(5)]);
        out.push_str(", ... ");
        push_decimal(out, last);
        out.push_str(" (");
        push_decimal(out, u64::from(r.count));
        out.push_str(" frames)");
    }
}

fn train_line(out: &mut String, t: &Train) {
    out.push_str("    ");
    out.push_str(t.dir.as_str());
    out.push(' ');
    push_squeezed(out, t.kind.as_str(), 9);
    out.push_str(" seq ");
    let start = out.len();
    push_decimal(out, t.seq);
    pad_from(out, start, 10);
    out.push(' ');
    push_count(out, t.frames.len() as u64 + u64::from(t.more), "send");
    out.push_str(" at ");
    push_secs_list(out, || t.offsets_ns().map(secs));
    out.push_str(" s");
    if t.intervals_ns().next().is_some() {
        out.push_str(" (spacing ");
        push_secs_list(out, || t.intervals_ns().map(secs));
        out.push(')');
    }
    out.push_str(" -> ");
    out.push_str(t.verdict.as_str());
    out.push('\n');
}

fn rtt_line(out: &mut String, dir: &str, r: &RttSummary) {
    if r.samples == 0 {
        return;
    }
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
    out.push_str("    ");
    out.push_str(dir);
    out.push_str(": ");
    push_count(out, r.samples, "sample");
    for (label, v) in [
        (", min ", r.min_ns),
        (", median ", r.median_ns),
        (", p95 ", r.p95_ns),
        (", max ", r.max_ns),
        ("; RFC 6298: SRTT ", r.srtt_ns),
        (", RTTVAR ", r.rttvar_ns),
        (", RTO ", r.rto_ns),
    ] {
        out.push_str(label);
        push_duration(out, v);
    }
    out.push_str(bounds);
    out.push('\n');
}

/// Appends the packets, bytes and retransmissions of `c`, each after its
/// lead, client's and server's apart by `sep`.
fn push_counters(out: &mut String, c: &Connection, leads: [&str; 3], sep: &str) {
    for (lead, pair) in leads
        .into_iter()
        .zip([c.packets, c.bytes, c.retransmissions])
    {
        out.push_str(lead);
        push_decimal(out, pair.c2s);
        out.push_str(sep);
        push_decimal(out, pair.s2c);
    }
}

/// Appends the block of one connection as `tcpkit report` prints it, times
/// relative to `t0_ns` (the capture's first packet). Without a story, the
/// lines of the counters only.
pub fn connection_block(out: &mut String, c: &Connection, t0_ns: i64) {
    let rel = |t: i64| secs(t.saturating_sub(t0_ns));
    out.push_str("Connection ");
    push_decimal(out, c.conn.0);
    out.push_str(": ");
    push_endpoint(out, c.client);
    out.push_str(" -> ");
    push_endpoint(out, c.server);
    out.push_str("  ");
    push_lifecycle(out, c);
    out.push_str("  (");
    push_fixed(out, rel(c.first_ts_ns), 6);
    out.push_str(" .. ");
    push_fixed(out, rel(c.last_ts_ns), 6);
    out.push_str(" s)\n");
    let hs = &c.handshake;
    let story = c.story.as_deref();
    // Mid-stream (or a part after an eviction) there is no handshake to tell.
    if hs.syn.count + hs.syn_ack.count > 0 {
        out.push_str("  handshake: SYN ");
        push_noun(out, u64::from(hs.syn.count), "frame");
        out.push(' ');
        push_run(out, story, hs.syn, TrainKind::Syn);
        out.push_str(", SYN-ACK ");
        push_run(out, story, hs.syn_ack, TrainKind::SynAck);
        if let Some(a) = hs.ack_frame {
            out.push_str(", ACK ");
            push_decimal(out, a);
        }
        if let Some(r) = hs.irtt_ns {
            out.push_str("; initial RTT ");
            push_duration(out, Some(r));
        }
        out.push('\n');
    }
    if c.options.client.is_some() || c.options.server.is_some() {
        out.push_str("  options: client ");
        push_opts(out, &c.options.client);
        out.push_str(" | server ");
        push_opts(out, &c.options.server);
        out.push('\n');
    }
    let eff = |side: Side| story.and_then(|s| *s.effective_window.get(side));
    if eff(Side::Client).is_some() || eff(Side::Server).is_some() {
        for (side, lead) in [
            (Side::Client, "  window after the handshake: client "),
            (Side::Server, ", server "),
        ] {
            out.push_str(lead);
            match eff(side) {
                Some(w) => {
                    push_decimal(out, w);
                    out.push_str(" bytes");
                }
                None => out.push('-'),
            }
            out.push_str(" (scale ");
            match c.window_scale_factor(side) {
                WindowScale::Shift(w) => {
                    out.push('x');
                    push_decimal(out, 1u64.checked_shl(u32::from(w)).unwrap_or(0));
                }
                WindowScale::NotUsed => out.push_str("off"),
                WindowScale::Unknown => out.push_str("unknown"),
            }
            out.push(')');
        }
        out.push('\n');
    }
    push_counters(
        out,
        c,
        ["  packets ", ", bytes ", ", retransmissions "],
        " / ",
    );
    out.push_str(" (client / server)\n");
    if let Some(s) = story {
        story_lines(out, c, s, t0_ns);
    }
}

fn story_lines(out: &mut String, c: &Connection, s: &Story, t0_ns: i64) {
    let rel = |t: i64| secs(t.saturating_sub(t0_ns));
    if !s.trains.is_empty() {
        out.push_str("  retransmission trains:\n");
        const SHOWN: usize = 12;
        for t in s.trains.iter().take(SHOWN) {
            train_line(out, t);
        }
        if s.trains.len() > SHOWN {
            out.push_str("    ... and ");
            push_decimal(out, (s.trains.len() - SHOWN) as u64);
            out.push_str(" more\n");
        }
    }
    if s.rtt.c2s.samples + s.rtt.s2c.samples > 0 {
        out.push_str("  RTT (of each side's data, from the capture point):\n");
        rtt_line(out, "client", &s.rtt.c2s);
        rtt_line(out, "server", &s.rtt.s2c);
    }
    for side in [Side::Client, Side::Server] {
        let v = s.states.get(side);
        out.push_str("  ");
        out.push_str(side.as_str());
        out.push_str(" states: ");
        if v.is_empty() {
            out.push('-');
        }
        for (i, x) in v.iter().enumerate() {
            if i > 0 {
                out.push_str(" > ");
            }
            out.push_str(x.state.as_str());
            out.push_str(" (");
            push_fixed(out, rel(x.t_ns), 6);
            out.push(')');
        }
        out.push('\n');
    }
    inferred_line(out, s);
    for n in super::notes(c) {
        out.push_str("  - ");
        out.push_str(&n);
        out.push('\n');
    }
}

/// The kernel settings the story reveals, on one line (none: no line).
/// Seconds as the shortest decimal that reads back exactly (`0.2`, `1`).
fn inferred_line(out: &mut String, s: &Story) {
    let inf = &s.inferred;
    let sec = |ns: u64| ns as f64 / 1e9;
    let mut lead = "  inferred: ";
    let mut item = |out: &mut String, args: std::fmt::Arguments<'_>| {
        out.push_str(lead);
        lead = ", ";
        let _ = out.write_fmt(args);
    };
    if let Some(x) = inf.tcp_syn_retries {
        item(out, format_args!("tcp_syn_retries={x}"));
    }
    if let Some(x) = inf.tcp_syn_linear_timeouts {
        item(out, format_args!("tcp_syn_linear_timeouts={x}"));
    }
    if let Some(x) = inf.tcp_synack_retries {
        item(out, format_args!("tcp_synack_retries={x}"));
    }
    if let Some(x) = inf.initial_rto_ns {
        item(out, format_args!("initial RTO {} s", sec(x)));
    }
    if let Some(x) = inf.rto_min_ns {
        item(out, format_args!("RTO floor {} s", sec(x)));
    }
    if let Some(x) = inf.keepalive_time_ns {
        item(out, format_args!("keep-alive time {} s", sec(x)));
    }
    if let Some(x) = inf.keepalive_intvl_ns {
        item(out, format_args!("keep-alive interval {} s", sec(x)));
    }
    if let Some(x) = inf.keepalive_probes {
        item(out, format_args!("keep-alive probes {x}"));
    }
    if let Some(x) = inf.tcp_fin_timeout_max_ns {
        item(out, format_args!("tcp_fin_timeout <= {} s", sec(x)));
    }
    if lead == ", " {
        out.push('\n');
    }
}

/// Appends the line of one connection as `tcpkit flows` prints it (no
/// newline), times relative to `t0_ns` (the capture's first packet).
pub fn flows_line(out: &mut String, c: &Connection, t0_ns: i64) {
    let start = out.len();
    push_decimal(out, c.conn.0);
    // Right-aligned in five columns.
    let n = out.len() - start;
    if n < 5 {
        out.insert_str(start, &"     "[n..]);
    }
    out.push(' ');
    push_endpoint(out, c.client);
    out.push_str(" -> ");
    push_endpoint(out, c.server);
    out.push(' ');
    push_squeezed(out, c.handshake.outcome.as_str(), 20);
    out.push_str(" +");
    push_fixed(out, secs(c.first_ts_ns.saturating_sub(t0_ns)), 6);
    out.push_str("s ");
    push_duration(
        out,
        Some(c.last_ts_ns.saturating_sub(c.first_ts_ns).max(0) as u64),
    );
    push_counters(out, c, [" pkts ", " bytes ", " retx "], "/");
    out.push_str(" close ");
    match c
        .story
        .as_deref()
        .map(|s| (s.close.first_fin_by, s.close.rst_by))
    {
        Some((_, Some(r))) => {
            out.push_str("RST by ");
            out.push_str(r.as_str());
        }
        Some((Some(s), None)) => {
            out.push_str("FIN first by ");
            out.push_str(s.as_str());
        }
        _ => out.push('-'),
    }
    if c.evicted {
        out.push_str(
            " (evicted: continues in a later line with the same number if it spoke again)",
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::story::Outcome;

    /// The names the lines print are the variants' names in lower case.
    #[test]
    fn squeezed_names_are_the_variants_in_lower_case() {
        for k in [
            TrainKind::Syn,
            TrainKind::SynAck,
            TrainKind::Data,
            TrainKind::Fin,
            TrainKind::Rst,
            TrainKind::Keepalive,
            TrainKind::Probe,
        ] {
            let mut s = String::new();
            push_squeezed(&mut s, k.as_str(), 0);
            assert_eq!(s, format!("{k:?}").to_lowercase());
        }
        for o in [
            Outcome::Established,
            Outcome::Refused,
            Outcome::NoAnswer,
            Outcome::SynAckUnanswered,
            Outcome::Reset,
            Outcome::Midstream,
            Outcome::Resumed,
        ] {
            let mut s = String::new();
            push_squeezed(&mut s, o.as_str(), 20);
            assert_eq!(s, format!("{:<20}", format!("{o:?}").to_lowercase()));
        }
    }
}

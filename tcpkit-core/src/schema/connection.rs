//! The record of one connection: `tcpkit flows --json` prints one JSON
//! object per connection ([`super::json::write_connection`]), the Arrow
//! connection batches hold one row each (`arrow::ConnectionBatchBuilder`).
//!
//! Written from today's [`ConnectionStory`]; its times in seconds (`f64`)
//! are carried as durations (whole nanoseconds, rounded): JSON seconds with
//! nine decimals, Arrow `Duration(Nanosecond)`.

use super::{Field, Sink, Type, field, fields};
use crate::analysis::SynOptions;
use crate::analysis::story::{
    ConnectionStory, Outcome, PerDir, PerSide, RttSummary, Side, TrainKind,
};
use crate::flow::Endpoint;

/// What a connection row is made from.
pub type Record = ConnectionStory;

field! {
    /// The row field of a connection (a struct of [`COLUMNS`]).
    CONNECTION: "connection", Type::Struct(&COLUMNS), false, "One TCP connection and its story."
}

fields! {
    /// The columns of a connection row, in order.
    COLUMNS = [
        CONN: "conn", Type::UInt64, false, "Connection number (tshark's `tcp.stream`).";
        CLIENT: "client", Type::Struct(&ENDPOINT), false,
            "The client: the endpoint that sent the first SYN (midstream: the first segment).";
        SERVER: "server", Type::Struct(&ENDPOINT), false, "The server.";
        MIDSTREAM: "midstream", Type::Bool, false, "The capture began after the handshake.";
        FIRST_TS_NS: "first_ts_ns", Type::Timestamp, false, "Time of the first segment.";
        LAST_TS_NS: "last_ts_ns", Type::Timestamp, false, "Time of the last segment.";
        PACKETS: "packets", Type::Struct(&PER_DIR_U64), false, "Segments per direction.";
        BYTES: "bytes", Type::Struct(&PER_DIR_U64), false,
            "Payload bytes per direction, each sequence byte counted once.";
        HANDSHAKE: "handshake", Type::Struct(&HANDSHAKE_FIELDS), false, "The three-way handshake.";
        OPTIONS: "options", Type::Struct(&PER_SIDE_SYN_OPTIONS), false,
            "SYN options of each side (null: its SYN or SYN-ACK was not seen).";
        IMPLIED_MTU: "implied_mtu", Type::Struct(&PER_SIDE_U32), false,
            "The MTU each side's MSS implies (MSS + 40 for IPv4, + 60 for IPv6).";
        WINDOW_SCALE: "window_scale", Type::Struct(&PER_SIDE_U8), false,
            "Window scale shift in force for each side's windows (null: not negotiated or unknown).";
        EFFECTIVE_WINDOW: "effective_window", Type::Struct(&PER_SIDE_U64), false,
            "Each side's window in bytes (scaled) on its first segment after the handshake.";
        RETRANSMISSIONS: "retransmissions", Type::Struct(&PER_DIR_U64), false,
            "Segments flagged as retransmissions, per direction.";
        TRAINS: "trains", Type::List(&TRAIN), false, "Segments sent more than once.";
        RTT: "rtt", Type::Struct(&PER_DIR_RTT), false, "RTT per direction of the data.";
        CLOSE: "close", Type::Struct(&CLOSE_FIELDS), false, "How the connection ended.";
        STATES: "states", Type::Struct(&PER_SIDE_STATES), false,
            "The TCP states each endpoint went through (RFC 9293 3.3.2), as the capture proves them.";
        INFERRED: "inferred", Type::Struct(&INFERRED_FIELDS), false,
            "Kernel settings the capture reveals (a field is present only when the capture supports it).";
        ZERO_WINDOW: "zero_window", Type::Struct(&PER_DIR_U64), false,
            "Segments advertising a zero window, per direction of the advertiser.";
        NOTES: "notes", Type::List(&NOTE), false, "The story in plain sentences.";
    ]
}

fields! {
    /// An endpoint.
    ENDPOINT = [
        IP: "ip", Type::Utf8, false, "IP address.";
        PORT: "port", Type::UInt16, false, "Port.";
    ]
}

fields! {
    /// A count per direction.
    PER_DIR_U64 = [
        C2S: "c2s", Type::UInt64, false, "Client to server.";
        S2C: "s2c", Type::UInt64, false, "Server to client.";
    ]
}

fields! {
    /// An optional number per side.
    PER_SIDE_U64 = [
        CLIENT_U64: "client", Type::UInt64, true, "The client's.";
        SERVER_U64: "server", Type::UInt64, true, "The server's.";
    ]
}

fields! {
    /// An optional number per side.
    PER_SIDE_U32 = [
        CLIENT_U32: "client", Type::UInt32, true, "The client's.";
        SERVER_U32: "server", Type::UInt32, true, "The server's.";
    ]
}

fields! {
    /// An optional number per side.
    PER_SIDE_U8 = [
        CLIENT_U8: "client", Type::UInt8, true, "The client's.";
        SERVER_U8: "server", Type::UInt8, true, "The server's.";
    ]
}

field! {
    /// The item of a list of frame numbers.
    FRAME: "item", Type::UInt64, false, "A frame number."
}

fields! {
    /// The handshake.
    HANDSHAKE_FIELDS = [
        SYN_FRAMES: "syn_frames", Type::List(&FRAME), false,
            "Frames of the client's SYNs (the first and its retransmissions).";
        SYN_ACK_FRAMES: "syn_ack_frames", Type::List(&FRAME), false,
            "Frames of the server's SYN-ACKs.";
        ACK_FRAME: "ack_frame", Type::UInt64, true, "The client's ACK of the SYN-ACK (the third packet).";
        IRTT: "irtt", Type::Duration, true,
            "Initial RTT: SYN to the third packet (tshark's `tcp.analysis.initial_rtt`).";
        OUTCOME: "outcome", Type::Utf8, false,
            "`established`, `refused`, `no_answer`, `syn_ack_unanswered`, `reset` or `midstream`.";
    ]
}

fields! {
    /// SYN options per side.
    PER_SIDE_SYN_OPTIONS = [
        CLIENT_SYN: "client", Type::Struct(&SYN_OPTIONS), true, "The client's SYN options.";
        SERVER_SYN: "server", Type::Struct(&SYN_OPTIONS), true, "The server's SYN-ACK options.";
    ]
}

fields! {
    /// The options of a SYN or SYN-ACK.
    SYN_OPTIONS = [
        MSS: "mss", Type::UInt16, true, "MSS option.";
        WSCALE: "wscale", Type::UInt8, true, "Window scale shift option.";
        SACK_PERM: "sack_perm", Type::Bool, false, "SACK permitted.";
        TIMESTAMPS: "timestamps", Type::Bool, false, "Timestamps option.";
        TFO: "tfo", Type::Bool, false, "TCP Fast Open option.";
        MPTCP: "mptcp", Type::Bool, false, "Multipath TCP option.";
    ]
}

field! {
    /// The item of `trains`.
    TRAIN: "item", Type::Struct(&TRAIN_FIELDS), false, "One segment sent more than once."
}

field! {
    /// The item of a list of times.
    SPAN: "item", Type::Duration, false, "A span of time."
}

fields! {
    /// A retransmission train.
    TRAIN_FIELDS = [
        DIR: "dir", Type::Utf8, false, "`c2s` or `s2c`.";
        KIND: "kind", Type::Utf8, false,
            "What was retransmitted: `syn`, `syn_ack`, `data`, `fin`, `rst`, `keepalive` or `probe`.";
        SEQ: "seq", Type::UInt64, false,
            "Relative sequence number of the first byte (the SYN's or FIN's own number for those).";
        FRAMES: "frames", Type::List(&FRAME), false, "Frames of every send, the first one included (capped).";
        TIMES_S: "times_s", Type::List(&SPAN), false, "Time of each send from the first.";
        INTERVALS_S: "intervals_s", Type::List(&SPAN), false, "Time between consecutive sends.";
        VERDICT: "verdict", Type::Utf8, false,
            "Which mechanism sent them (`timeout`, `exponential_backoff`, `fast_retransmit`, `tail_loss_probe`, ...).";
        MORE: "more", Type::UInt32, true, "Sends beyond the cap, not listed (absent: none).";
    ]
}

fields! {
    /// An RTT summary per direction.
    PER_DIR_RTT = [
        C2S_RTT: "c2s", Type::Struct(&RTT_FIELDS), false, "Client to server data.";
        S2C_RTT: "s2c", Type::Struct(&RTT_FIELDS), false, "Server to client data.";
    ]
}

fields! {
    /// RTT of one direction's data (sender to the peer and back, at the capture point).
    RTT_FIELDS = [
        SAMPLES: "samples", Type::UInt64, false, "Number of samples.";
        MIN: "min", Type::Duration, true, "Smallest sample.";
        MEDIAN: "median", Type::Duration, true, "Median.";
        P95: "p95", Type::Duration, true, "95th percentile.";
        MAX: "max", Type::Duration, true, "Largest sample.";
        SRTT: "srtt", Type::Duration, true, "RFC 6298 smoothed RTT after the last sample.";
        RTTVAR: "rttvar", Type::Duration, true, "RFC 6298 RTT variation after the last sample.";
        RTO: "rto", Type::Duration, true,
            "RFC 6298 RTO (SRTT + 4 RTTVAR) with Linux's 200 ms floor instead of 1 s.";
    ]
}

fields! {
    /// The close.
    CLOSE_FIELDS = [
        FIRST_FIN_BY: "first_fin_by", Type::Utf8, true, "`client` or `server`: who sent the first FIN seen.";
        RST_BY: "rst_by", Type::Utf8, true, "Who sent the first RST seen.";
        PIGGYBACKED: "piggybacked", Type::Bool, false,
            "The second FIN carried the first acknowledgment of the first FIN (three-packet close).";
        SIMULTANEOUS: "simultaneous", Type::Bool, false,
            "Both sides sent a FIN before acknowledging the other's (RFC 9293 3.6).";
        DURATION_S: "duration_s", Type::Duration, true,
            "From the first FIN or RST to the last segment of the connection.";
        HALF_CLOSE_LEFT_OPEN: "half_close_left_open", Type::Bool, false,
            "One side's FIN was acknowledged but the other side never sent one.";
    ]
}

field! {
    /// The item of a side's `states`.
    STATE_CHANGE: "item", Type::Struct(&STATE_CHANGE_FIELDS), false, "A state an endpoint entered, and when."
}

fields! {
    /// The states per side.
    PER_SIDE_STATES = [
        CLIENT_STATES: "client", Type::List(&STATE_CHANGE), false, "The client's states.";
        SERVER_STATES: "server", Type::List(&STATE_CHANGE), false, "The server's states.";
    ]
}

fields! {
    /// A state change.
    STATE_CHANGE_FIELDS = [
        STATE: "state", Type::Utf8, false,
            "`SYN_SENT`, `SYN_RECV`, `ESTABLISHED`, `FIN_WAIT1`, `FIN_WAIT2`, `CLOSING`, `TIME_WAIT`, `CLOSE_WAIT`, `LAST_ACK` or `CLOSED`.";
        T_NS: "t_ns", Type::Timestamp, false, "When, as the capture proves it (see docs/story.md).";
    ]
}

field! {
    /// The item of `caveats` and `notes`.
    NOTE: "item", Type::Utf8, false, "A sentence."
}

fields! {
    /// Kernel settings the capture reveals.
    INFERRED_FIELDS = [
        TCP_SYN_RETRIES: "tcp_syn_retries", Type::UInt32, true,
            "Linux `net.ipv4.tcp_syn_retries`: SYN retransmissions after the linear ones.";
        TCP_SYN_LINEAR_TIMEOUTS: "tcp_syn_linear_timeouts", Type::UInt32, true,
            "Linux (>= 6.5) `net.ipv4.tcp_syn_linear_timeouts`; 0 also for older kernels.";
        TCP_SYNACK_RETRIES: "tcp_synack_retries", Type::UInt32, true,
            "Linux `net.ipv4.tcp_synack_retries`.";
        INITIAL_RTO_S: "initial_rto_s", Type::Duration, true,
            "The RTO of the first SYN or SYN-ACK (Linux `TCP_TIMEOUT_INIT` = 1 s, RFC 6298 2.1).";
        RTO_MIN_S: "rto_min_s", Type::Duration, true,
            "The RTO floor (Linux `tcp_rto_min`, 200 ms by default), seen when RTTs are far below it.";
        TCP_FIN_TIMEOUT_MAX_S: "tcp_fin_timeout_max_s", Type::Duration, true,
            "Upper bound on Linux `net.ipv4.tcp_fin_timeout`: FIN_WAIT2 to the RST answering the peer's later FIN.";
        KEEPALIVE_TIME_S: "keepalive_time_s", Type::Duration, true,
            "Keep-alive idle time before the first probe (`tcp_keepalive_time` / TCP_KEEPIDLE).";
        KEEPALIVE_INTVL_S: "keepalive_intvl_s", Type::Duration, true,
            "Keep-alive probe interval (`tcp_keepalive_intvl` / TCP_KEEPINTVL).";
        KEEPALIVE_PROBES: "keepalive_probes", Type::UInt32, true,
            "Unanswered probes before the RST (`tcp_keepalive_probes` / TCP_KEEPCNT).";
        CAVEATS: "caveats", Type::List(&NOTE), true, "What each inference assumes (absent: none).";
    ]
}

/// Seconds as whole nanoseconds (the story's `f64` seconds were computed
/// from nanoseconds, so rounding gives them back).
fn ns(secs: f64) -> i64 {
    (secs * 1e9).round() as i64
}

/// `secs` as a duration, or null.
fn span<S: Sink + ?Sized>(s: &mut S, f: &'static Field, secs: Option<f64>) {
    s.opt_i64(f, secs.map(ns));
}

/// `secs` as a duration, or absent.
fn span_if<S: Sink + ?Sized>(s: &mut S, f: &'static Field, secs: Option<f64>) {
    if let Some(v) = secs {
        s.i64(f, ns(v));
    }
}

/// A number, or absent.
fn u64_if<S: Sink + ?Sized>(s: &mut S, f: &'static Field, v: Option<u32>) {
    if let Some(v) = v {
        s.u64(f, u64::from(v));
    }
}

fn endpoint<S: Sink + ?Sized>(s: &mut S, f: &'static Field, e: &Endpoint) {
    s.begin(f);
    s.addr(&IP, &e.ip);
    s.u64(&PORT, u64::from(e.port));
    s.end();
}

fn per_dir<S: Sink + ?Sized>(s: &mut S, f: &'static Field, v: &PerDir<u64>) {
    s.begin(f);
    s.u64(&C2S, v.c2s);
    s.u64(&S2C, v.s2c);
    s.end();
}

fn frames<S: Sink + ?Sized>(s: &mut S, f: &'static Field, v: &[u64]) {
    s.begin(f);
    for &x in v {
        s.u64(&FRAME, x);
    }
    s.end();
}

fn spans<S: Sink + ?Sized>(s: &mut S, f: &'static Field, v: &[f64]) {
    s.begin(f);
    for &x in v {
        s.i64(&SPAN, ns(x));
    }
    s.end();
}

fn syn_options<S: Sink + ?Sized>(s: &mut S, f: &'static Field, o: Option<&SynOptions>) {
    let Some(o) = o else {
        return s.null(f);
    };
    s.begin(f);
    s.opt_u64(&MSS, o.mss.map(u64::from));
    s.opt_u64(&WSCALE, o.wscale.map(u64::from));
    s.bool(&SACK_PERM, o.sack_perm);
    s.bool(&TIMESTAMPS, o.timestamps);
    s.bool(&TFO, o.tfo);
    s.bool(&MPTCP, o.mptcp);
    s.end();
}

fn rtt<S: Sink + ?Sized>(s: &mut S, f: &'static Field, r: &RttSummary) {
    s.begin(f);
    s.u64(&SAMPLES, r.samples);
    span(s, &MIN, r.min);
    span(s, &MEDIAN, r.median);
    span(s, &P95, r.p95);
    span(s, &MAX, r.max);
    span(s, &SRTT, r.srtt);
    span(s, &RTTVAR, r.rttvar);
    span(s, &RTO, r.rto);
    s.end();
}

fn per_side_opt<S: Sink + ?Sized, T: Copy>(
    s: &mut S,
    f: &'static Field,
    v: &PerSide<Option<T>>,
    fields: [&'static Field; 2],
    to: impl Fn(T) -> u64,
) {
    s.begin(f);
    s.opt_u64(fields[0], v.client.map(&to));
    s.opt_u64(fields[1], v.server.map(&to));
    s.end();
}

fn outcome(o: Outcome) -> &'static str {
    match o {
        Outcome::Established => "established",
        Outcome::Refused => "refused",
        Outcome::NoAnswer => "no_answer",
        Outcome::SynAckUnanswered => "syn_ack_unanswered",
        Outcome::Reset => "reset",
        Outcome::Midstream => "midstream",
    }
}

fn train_kind(k: TrainKind) -> &'static str {
    match k {
        TrainKind::Syn => "syn",
        TrainKind::SynAck => "syn_ack",
        TrainKind::Data => "data",
        TrainKind::Fin => "fin",
        TrainKind::Rst => "rst",
        TrainKind::Keepalive => "keepalive",
        TrainKind::Probe => "probe",
    }
}

/// Hands one connection row to `s`.
pub fn visit<S: Sink + ?Sized>(s: &mut S, c: &Record) {
    s.begin(&CONNECTION);
    s.u64(&CONN, c.conn.0);
    endpoint(s, &CLIENT, &c.client);
    endpoint(s, &SERVER, &c.server);
    s.bool(&MIDSTREAM, c.midstream);
    s.i64(&FIRST_TS_NS, c.first_ts_ns);
    s.i64(&LAST_TS_NS, c.last_ts_ns);
    per_dir(s, &PACKETS, &c.packets);
    per_dir(s, &BYTES, &c.bytes);

    let h = &c.handshake;
    s.begin(&HANDSHAKE);
    frames(s, &SYN_FRAMES, &h.syn_frames);
    frames(s, &SYN_ACK_FRAMES, &h.syn_ack_frames);
    s.opt_u64(&ACK_FRAME, h.ack_frame);
    span(s, &IRTT, h.irtt);
    s.str(&OUTCOME, outcome(h.outcome));
    s.end();

    s.begin(&OPTIONS);
    syn_options(s, &CLIENT_SYN, c.options.client.as_ref());
    syn_options(s, &SERVER_SYN, c.options.server.as_ref());
    s.end();
    per_side_opt(
        s,
        &IMPLIED_MTU,
        &c.implied_mtu,
        [&CLIENT_U32, &SERVER_U32],
        u64::from,
    );
    per_side_opt(
        s,
        &WINDOW_SCALE,
        &c.window_scale,
        [&CLIENT_U8, &SERVER_U8],
        u64::from,
    );
    per_side_opt(
        s,
        &EFFECTIVE_WINDOW,
        &c.effective_window,
        [&CLIENT_U64, &SERVER_U64],
        |v| v,
    );
    per_dir(s, &RETRANSMISSIONS, &c.retransmissions);

    s.begin(&TRAINS);
    for t in &c.trains {
        s.begin(&TRAIN);
        s.str(&DIR, t.dir.as_str());
        s.str(&KIND, train_kind(t.kind));
        s.u64(&SEQ, t.seq);
        frames(s, &FRAMES, &t.frames);
        spans(s, &TIMES_S, &t.times_s);
        spans(s, &INTERVALS_S, &t.intervals_s);
        s.str(&VERDICT, t.verdict.as_str());
        u64_if(s, &MORE, (t.more > 0).then_some(t.more));
        s.end();
    }
    s.end();

    s.begin(&RTT);
    rtt(s, &C2S_RTT, &c.rtt.c2s);
    rtt(s, &S2C_RTT, &c.rtt.s2c);
    s.end();

    let cl = &c.close;
    s.begin(&CLOSE);
    s.opt_str(&FIRST_FIN_BY, cl.first_fin_by.map(Side::as_str));
    s.opt_str(&RST_BY, cl.rst_by.map(Side::as_str));
    s.bool(&PIGGYBACKED, cl.piggybacked);
    s.bool(&SIMULTANEOUS, cl.simultaneous);
    span(s, &DURATION_S, cl.duration_s);
    s.bool(&HALF_CLOSE_LEFT_OPEN, cl.half_close_left_open);
    s.end();

    s.begin(&STATES);
    for (f, list) in [
        (&CLIENT_STATES, &c.states.client),
        (&SERVER_STATES, &c.states.server),
    ] {
        s.begin(f);
        for st in list {
            s.begin(&STATE_CHANGE);
            s.str(&STATE, st.state.as_str());
            s.i64(&T_NS, st.t_ns);
            s.end();
        }
        s.end();
    }
    s.end();

    let inf = &c.inferred;
    s.begin(&INFERRED);
    u64_if(s, &TCP_SYN_RETRIES, inf.tcp_syn_retries);
    u64_if(s, &TCP_SYN_LINEAR_TIMEOUTS, inf.tcp_syn_linear_timeouts);
    u64_if(s, &TCP_SYNACK_RETRIES, inf.tcp_synack_retries);
    span_if(s, &INITIAL_RTO_S, inf.initial_rto_s);
    span_if(s, &RTO_MIN_S, inf.rto_min_s);
    span_if(s, &TCP_FIN_TIMEOUT_MAX_S, inf.tcp_fin_timeout_max_s);
    span_if(s, &KEEPALIVE_TIME_S, inf.keepalive_time_s);
    span_if(s, &KEEPALIVE_INTVL_S, inf.keepalive_intvl_s);
    u64_if(s, &KEEPALIVE_PROBES, inf.keepalive_probes);
    if !inf.caveats.is_empty() {
        s.begin(&CAVEATS);
        for n in &inf.caveats {
            s.str(&NOTE, n);
        }
        s.end();
    }
    s.end();

    per_dir(s, &ZERO_WINDOW, &c.zero_window);
    s.begin(&NOTES);
    for n in &c.notes {
        s.str(&NOTE, n);
    }
    s.end();
    s.end();
}

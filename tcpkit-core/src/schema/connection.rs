//! The record of one connection: `tcpkit flows --json` prints one JSON
//! object per connection ([`super::json::write_connection`]), the Arrow
//! connection batches hold one row each (`arrow::ConnectionBatchBuilder`).
//!
//! Written from [`Connection`]: counters always; the story's fields (from
//! `implied_mtu` on) are absent when the story was not built. Instants are
//! `*_ts_ns` / `t_ns` (JSON: integer ns; Arrow: timestamps); spans are
//! durations (JSON: seconds with nine decimals, under the names of the
//! `flows --json` contract: `irtt`, `times_s`, `duration_s`, ...; Arrow:
//! `Duration(Nanosecond)`).

use super::{Field, Sink, Type, field, fields};
use crate::analysis::story::stack::{self, Clue, Stack, StackGuess};
use crate::analysis::story::{Caveat, Note, PerDir, PerSide, RttSummary, Setting, Side, TrainKind};
use crate::analysis::{Connection, FrameRun, SynOptions};
use crate::flow::Endpoint;

/// What a connection row is made from.
pub type Record = Connection;

field! {
    /// The row field of a connection (a struct of [`COLUMNS`]).
    CONNECTION: "connection", Type::Struct(&COLUMNS), false, "One TCP connection and its story."
}

fields! {
    /// The columns of a connection row, in order.
    COLUMNS = [
        CONN: "conn", Type::UInt64, false, "Connection number (tshark's `tcp.stream`).";
        CLIENT: "client", Type::Struct(&ENDPOINT), false,
            "The client: the endpoint that sent the first SYN (or received the first SYN-ACK); mid-stream, the one the evidence in `roles` points to.";
        SERVER: "server", Type::Struct(&ENDPOINT), false, "The server.";
        MIDSTREAM: "midstream", Type::Bool, false, "The capture began after the handshake.";
        ROLES: "roles", Type::Struct(&ROLES_FIELDS), false,
            "How the client and the server were told apart: seen in the handshake, or guessed mid-stream.";
        FIRST_FRAME: "first_frame", Type::UInt64, false, "First frame of the connection.";
        LAST_FRAME: "last_frame", Type::UInt64, false, "Last frame of the connection.";
        FIRST_TS_NS: "first_ts_ns", Type::Timestamp, false, "Time of the first segment.";
        LAST_TS_NS: "last_ts_ns", Type::Timestamp, false, "Time of the last segment.";
        PACKETS: "packets", Type::Struct(&PER_DIR_U64), false, "Segments per direction.";
        BYTES: "bytes", Type::Struct(&PER_DIR_U64), false,
            "Payload bytes per direction, each sequence byte counted once.";
        RETRANSMISSIONS: "retransmissions", Type::Struct(&PER_DIR_U64), false,
            "Segments tshark calls a retransmission (plain, fast or spurious), per direction.";
        ZERO_WINDOW: "zero_window", Type::Struct(&PER_DIR_U64), false,
            "Segments advertising a zero window, per direction of the advertiser.";
        FIN_FRAME: "fin_frame", Type::Struct(&PER_DIR_FRAME), false, "First frame with FIN, per direction.";
        RST_FRAME: "rst_frame", Type::Struct(&PER_DIR_FRAME), false, "First frame with RST, per direction.";
        HANDSHAKE: "handshake", Type::Struct(&HANDSHAKE_FIELDS), false, "The three-way handshake.";
        OPTIONS: "options", Type::Struct(&PER_SIDE_SYN_OPTIONS), false,
            "SYN options of each side (null: its SYN or SYN-ACK was not seen).";
        WINDOW_SCALE: "window_scale", Type::Struct(&PER_SIDE_U8), false,
            "Window scale shift in force for each side's windows (null: not negotiated or unknown).";
        END: "end", Type::Utf8, false,
            "Why it was handed out: `closed`, `idle`, `evicted`, `port_reused` or `end_of_capture`.";
        EVICTED: "evicted", Type::Bool, false,
            "Handed out at an eviction under the memory budget: a later row with the same `conn` (`resumed_frame` set) continues it if it spoke again.";
        RESUMED_FRAME: "resumed_frame", Type::UInt64, true,
            "This row continues the connection after an eviction, from this frame on (its counters and story cover this part; `first_frame`, `midstream` and `window_scale` stay the connection's).";
        RESUMED_TS_NS: "resumed_ts_ns", Type::Timestamp, true, "Time of `resumed_frame`.";
        IMPLIED_MTU: "implied_mtu", Type::Struct(&PER_SIDE_U32), true,
            "Story: the MTU each side's MSS implies (MSS + 40 for IPv4, + 60 for IPv6).";
        EFFECTIVE_WINDOW: "effective_window", Type::Struct(&PER_SIDE_U64), true,
            "Story: each side's window in bytes (scaled) on its first segment after the handshake.";
        TRAINS: "trains", Type::List(&TRAIN), true, "Story: segments sent more than once.";
        RTT: "rtt", Type::Struct(&PER_DIR_RTT), true, "Story: RTT per direction of the data.";
        CLOSE: "close", Type::Struct(&CLOSE_FIELDS), true, "Story: how the connection ended.";
        STATES: "states", Type::Struct(&PER_SIDE_STATES), true,
            "Story: the TCP states each endpoint went through (RFC 9293 3.3.2), as the capture proves them.";
        STACK: "stack", Type::Struct(&PER_SIDE_STACK), true,
            "Story: each side's TCP stack guessed p0f-style from its SYN (client) or SYN-ACK (server) and their backoff, with the evidence (null: that segment was not seen).";
        INFERRED: "inferred", Type::Struct(&INFERRED_FIELDS), true,
            "Story: kernel settings the capture reveals (a field is present only when the capture supports it).";
        NOTES: "notes", Type::List(&NOTE), true,
            "Story: what is worth saying, in order, as codes with their numbers (`tcpkit_core::text` words them).";
        SERVER_BUSY_TS_NS: "server_busy_ts_ns", Type::Timestamp, true,
            "Story: when the server first sent payload, FIN or RST after the handshake.";
        RST_TS_NS: "rst_ts_ns", Type::Timestamp, true, "Story: when the first RST was seen.";
    ]
}

fields! {
    /// How the roles were told.
    ROLES_FIELDS = [
        ROLES_OBSERVED: "observed", Type::Bool, false,
            "Seen in the handshake (a SYN or SYN-ACK), not guessed.";
        ROLES_BY: "by", Type::Utf8, false,
            "The evidence: `handshake`, or mid-stream `listener` (the server's ip:port sent a SYN-ACK in another connection), `service_port` (a well-known or common service port against another), `ephemeral_port` (the client's port >= 32768, the server's not), `payload` (a request from the client or a response from the server), `more_data` (the server sent over 4 times the client's bytes) or `first_sender` (no evidence: the first segment's sender).";
    ]
}

fields! {
    /// An optional frame per direction.
    PER_DIR_FRAME = [
        C2S_FRAME: "c2s", Type::UInt64, true, "Client to server.";
        S2C_FRAME: "s2c", Type::UInt64, true, "Server to client.";
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
        SYN: "syn", Type::Struct(&FRAME_RUN), false, "The client's SYNs (the first and its retransmissions).";
        SYN_ACK: "syn_ack", Type::Struct(&FRAME_RUN), false, "The server's SYN-ACKs.";
        SYN_FRAMES: "syn_frames", Type::List(&FRAME), false,
            "Frames of the SYNs (those of the SYN train when the SYN was sent again, capped as trains are).";
        SYN_ACK_FRAMES: "syn_ack_frames", Type::List(&FRAME), false,
            "Frames of the SYN-ACKs (likewise).";
        ACK_FRAME: "ack_frame", Type::UInt64, true, "The client's ACK of the SYN-ACK (the third packet).";
        ACK_TS_NS: "ack_ts_ns", Type::Timestamp, true, "Time of the third packet.";
        IRTT: "irtt", Type::Duration, true,
            "Initial RTT: SYN to the third packet (tshark's `tcp.analysis.initial_rtt`).";
        OUTCOME: "outcome", Type::Utf8, false,
            "`established`, `refused`, `no_answer`, `syn_ack_unanswered`, `reset`, `midstream` or `resumed` (a part after an eviction).";
    ]
}

fields! {
    /// The first and last of a repeated segment kind.
    FRAME_RUN = [
        COUNT: "count", Type::UInt32, false, "How many.";
        FIRST: "first", Type::UInt64, true, "First frame.";
        LAST: "last", Type::UInt64, true, "Last frame.";
        RUN_FIRST_TS_NS: "first_ts_ns", Type::Timestamp, true, "Time of the first.";
        RUN_LAST_TS_NS: "last_ts_ns", Type::Timestamp, true, "Time of the last.";
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
    /// The item of a list of instants.
    INSTANT: "item", Type::Timestamp, false, "An instant."
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
        TS_NS: "ts_ns", Type::List(&INSTANT), false, "Time of each send.";
        TIMES_S: "times_s", Type::List(&SPAN), false, "Time of each send from the first.";
        INTERVALS_S: "intervals_s", Type::List(&SPAN), false, "Time between consecutive sends.";
        VERDICT: "verdict", Type::Utf8, false,
            "Which mechanism sent them (`timeout`, `exponential_backoff`, `fast_retransmit`, `tail_loss_probe`, ...).";
        MORE: "more", Type::UInt32, true, "Sends beyond the cap, not listed (absent: none).";
        DUP_ACKS: "dup_acks", Type::UInt32, true,
            "A send was flagged a fast retransmission: the peer's duplicate ACKs of its sequence number before it (0: none captured; absent: no send flagged fast).";
    ]
}

fields! {
    /// A stack guess per side.
    PER_SIDE_STACK = [
        CLIENT_STACK: "client", Type::Struct(&STACK_FIELDS), true, "The client's, from its SYN.";
        SERVER_STACK: "server", Type::Struct(&STACK_FIELDS), true, "The server's, from its SYN-ACK.";
    ]
}

fields! {
    /// A stack guess.
    STACK_FIELDS = [
        FAMILY: "family", Type::Utf8, false, "`linux`, `windows`, `bsd_apple` (FreeBSD, macOS) or `unknown`.";
        CONFIDENCE: "confidence", Type::Utf8, false, "`low`, `medium` or `high`.";
        TTL: "ttl", Type::UInt8, false, "IP TTL (hop limit) of the SYN as captured.";
        INITIAL_TTL: "initial_ttl", Type::UInt8, false, "The TTL rounded up to 32, 64, 128 or 255.";
        ST_WINDOW: "window", Type::UInt16, false, "The SYN's window field.";
        LAYOUT: "layout", Type::Utf8, false, "Option kinds in order, as p0f writes them (`mss,sok,ts,nop,ws`).";
        EVIDENCE: "evidence", Type::List(&CLUE), false, "The clues, each with what it points to.";
    ]
}

field! {
    /// The item of a stack guess's `evidence`.
    CLUE: "item", Type::Struct(&CLUE_FIELDS), false, "One clue: its `code` and its numbers."
}

fields! {
    /// The fields of a clue; each code has `code` and its own.
    CLUE_FIELDS = [
        CL_CODE: "code", Type::Utf8, false,
            "`initial_ttl`, `layout`, `window_mss_multiple`, `window` or `syn_backoff`.";
        CL_FAMILY: "family", Type::Utf8, true,
            "`initial_ttl`, `layout`, `window`: the family it points to (`initial_ttl` 64: null, Linux, FreeBSD and macOS alike).";
        CL_FACTOR: "factor", Type::UInt16, true, "`window_mss_multiple`: window / MSS.";
        CL_LESS_TS: "less_timestamps", Type::Bool, true,
            "`window_mss_multiple`: of the MSS less the timestamps option's 12 bytes.";
        CL_INITIAL_RTO: "initial_rto", Type::Duration, true, "`syn_backoff`: the first interval.";
        CL_EQUAL: "equal", Type::UInt32, true, "`syn_backoff`: intervals equal to the first before doubling.";
        CL_FITS: "fits", Type::Bool, true, "`syn_backoff`: the schedule fits the guessed family's rules.";
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
            "RFC 6298 RTO (SRTT + 4 RTTVAR) bounded as the sender's stack bounds it (`rto_rule`), not with RFC 6298's 1 s floor.";
        RTO_RULE: "rto_rule", Type::Utf8, false,
            "The bounds of `rto`: `linux` (200 ms to 120 s), `linux_assumed` (the same, the sender's stack unknown), `bsd_apple` (+200 ms slop, 30 ms to 64 s) or `unbounded` (Windows: its floor is a setting the capture does not show).";
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
    /// The item of `notes`.
    NOTE: "item", Type::Struct(&NOTE_FIELDS), false,
        "One thing worth saying: its `code` and that code's numbers."
}

field! {
    /// The item of `caveats`.
    CAVEAT: "item", Type::Struct(&CAVEAT_FIELDS), false,
        "What an inference assumes: its `code` and that code's numbers."
}

fields! {
    /// The fields of a note; each code has `code` and its own.
    NOTE_FIELDS = [
        CODE: "code", Type::Utf8, false,
            "`options` (window scaling off), `syn_no_answer`, `refused`, `syn_ack_unanswered`, `handshake_reset`, `midstream`, `stack`, `resumed`, `evicted`, `data_retransmissions`, `fin_resent`, `zero_window_probes`, `keepalive_probes`, `zero_window`, `keepalive`, `rto_floor`, `simultaneous_close`, `rst_after_own_fin`, `reset` or `time_wait`.";
        WINDOW_SCALING: "window_scaling", Type::Bool, true, "`options`: window scaling is in force (false: the note says it is off).";
        SYNS: "syns", Type::UInt64, true, "`syn_no_answer`: SYNs seen.";
        SPAN_F: "span", Type::Duration, true, "`syn_no_answer`: from the first to the last SYN.";
        N_TRAIN: "train", Type::UInt64, true, "The train meant (its index in `trains`).";
        LINEAR_TIMEOUTS: "linear_timeouts", Type::UInt32, true, "`syn_no_answer`: inferred `tcp_syn_linear_timeouts`.";
        SYN_RETRIES: "syn_retries", Type::UInt32, true, "`syn_no_answer`: inferred `tcp_syn_retries`.";
        N_PORT: "port", Type::UInt16, true, "`refused`: the server port.";
        SYN_ACKS: "syn_acks", Type::UInt64, true, "`syn_ack_unanswered`: SYN-ACKs seen.";
        SYNACK_RETRIES: "synack_retries", Type::UInt32, true, "`syn_ack_unanswered`: inferred `tcp_synack_retries`.";
        N_SIDE: "side", Type::Utf8, true, "`client` or `server`: the side meant.";
        SEGMENTS: "segments", Type::UInt64, true, "`data_retransmissions`: retransmitted segments.";
        N_TRAINS: "trains", Type::UInt64, true, "`data_retransmissions`: data trains of that side.";
        FAST: "fast", Type::UInt64, true,
            "`data_retransmissions`: trains with a send flagged a fast retransmission (after duplicate ACKs).";
        RECOVERY: "recovery", Type::UInt64, true,
            "`data_retransmissions`: trains re-sent by ACK-driven loss recovery, no fast retransmit among them.";
        TIMEOUTS: "timeouts", Type::UInt64, true, "`data_retransmissions`: trains driven by timeouts.";
        LONGEST: "longest", Type::UInt64, true, "`data_retransmissions`: the longest train (more than two sends).";
        N_COUNT: "count", Type::UInt64, true, "`zero_window`: segments with a zero window.";
        N_RTO_MIN: "rto_min", Type::Duration, true, "`rto_floor`: the floor.";
        TIME_WAIT_BOTH: "time_wait_both", Type::Bool, true, "`simultaneous_close`: both sides reached TIME_WAIT.";
        N_AFTER: "after", Type::Duration, true, "`rst_after_own_fin`: from its FIN to the RST.";
        SINCE_FIRST: "since_first", Type::Duration, true, "`time_wait`: from the first packet to TIME_WAIT.";
    ]
}

fields! {
    /// The fields of a caveat; each code has `code` and its own.
    CAVEAT_FIELDS = [
        C_CODE: "code", Type::Utf8, false,
            "`syn_linear_timeouts_zero`, `last_send_assumed`, `fin_timeout_bound`, `stack_assumed_linux` or `syn_retries_withdrawn`.";
        C_SETTING: "setting", Type::Utf8, true, "`last_send_assumed`: `tcp_syn_retries` or `tcp_synack_retries`.";
        C_KIND: "kind", Type::Utf8, true, "`last_send_assumed`: what was retransmitted.";
        C_FRAME: "frame", Type::UInt64, true, "`last_send_assumed`: the last send seen.";
        C_AFTER: "after", Type::Duration, true,
            "`last_send_assumed`: from that send to the end of the capture; `syn_retries_withdrawn`: from the last SYN to the other connection's close.";
        C_DUE: "due", Type::Duration, true, "`last_send_assumed`: when the next send would have been due after it.";
        C_SIDE: "side", Type::Utf8, true,
            "`fin_timeout_bound`: the side in FIN_WAIT2; `stack_assumed_linux`: the side whose stack is unknown.";
        C_BSD_FITS_TOO: "bsd_fits_too", Type::Bool, true,
            "`stack_assumed_linux`: FreeBSD's and macOS's SYN backoff table fits the schedule too.";
    ]
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
        CAVEATS: "caveats", Type::List(&CAVEAT), true, "What each inference assumes (absent: none).";
    ]
}

/// A span in ns, or null.
fn span<S: Sink + ?Sized>(s: &mut S, f: &'static Field, ns: Option<u64>) {
    s.opt_u64(f, ns);
}

/// A span in ns, or absent.
fn span_if<S: Sink + ?Sized>(s: &mut S, f: &'static Field, ns: Option<u64>) {
    if let Some(v) = ns {
        s.u64(f, v);
    }
}

/// A number, or absent.
fn u64_if<S: Sink + ?Sized>(s: &mut S, f: &'static Field, v: Option<u64>) {
    if let Some(v) = v {
        s.u64(f, v);
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

fn per_dir_frame<S: Sink + ?Sized>(s: &mut S, f: &'static Field, v: &PerDir<Option<u64>>) {
    s.begin(f);
    s.opt_u64(&C2S_FRAME, v.c2s);
    s.opt_u64(&S2C_FRAME, v.s2c);
    s.end();
}

fn frames<S: Sink + ?Sized>(s: &mut S, f: &'static Field, v: &[u64]) {
    s.begin(f);
    for &x in v {
        s.u64(&FRAME, x);
    }
    s.end();
}

fn frame_run<S: Sink + ?Sized>(s: &mut S, f: &'static Field, r: &FrameRun) {
    s.begin(f);
    s.u64(&COUNT, u64::from(r.count));
    s.opt_u64(&FIRST, r.first);
    s.opt_u64(&LAST, r.last);
    s.opt_i64(&RUN_FIRST_TS_NS, r.first_ts_ns);
    s.opt_i64(&RUN_LAST_TS_NS, r.last_ts_ns);
    s.end();
}

/// The frames of a handshake segment kind: its train's when it was sent
/// again, else the one frame seen.
fn handshake_frames<S: Sink + ?Sized>(
    s: &mut S,
    f: &'static Field,
    c: &Connection,
    kind: TrainKind,
    run: &FrameRun,
) {
    let train = c
        .story
        .as_deref()
        .and_then(|st| st.trains.iter().find(|t| t.kind == kind));
    match train {
        Some(t) => frames(s, f, &t.frames),
        None => frames(s, f, run.first.as_slice()),
    }
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
    span(s, &MIN, r.min_ns);
    span(s, &MEDIAN, r.median_ns);
    span(s, &P95, r.p95_ns);
    span(s, &MAX, r.max_ns);
    span(s, &SRTT, r.srtt_ns);
    span(s, &RTTVAR, r.rttvar_ns);
    span(s, &RTO, r.rto_ns);
    s.str(&RTO_RULE, r.rto_rule.as_str());
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

/// A short text in a fixed buffer (a [`std::fmt::Write`] that fails once
/// full).
#[derive(Debug)]
struct ShortText {
    bytes: [u8; 160],
    len: usize,
}

impl Default for ShortText {
    fn default() -> Self {
        Self {
            bytes: [0; 160],
            len: 0,
        }
    }
}

impl ShortText {
    fn as_str(&self) -> &str {
        // Only whole `str`s are written.
        self.bytes
            .get(..self.len)
            .and_then(|b| std::str::from_utf8(b).ok())
            .unwrap_or_default()
    }
}

impl std::fmt::Write for ShortText {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        let dst = self.bytes.get_mut(self.len..end).ok_or(std::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// One side's stack guess, or null.
fn stack_guess<S: Sink + ?Sized>(s: &mut S, f: &'static Field, g: Option<&StackGuess>) {
    let Some(g) = g else {
        return s.null(f);
    };
    s.begin(f);
    s.str(&FAMILY, g.stack.as_str());
    s.str(&CONFIDENCE, g.confidence.as_str());
    s.u64(&TTL, u64::from(g.print.ttl));
    s.u64(&INITIAL_TTL, u64::from(stack::initial_ttl(g.print.ttl)));
    s.u64(&ST_WINDOW, u64::from(g.print.window));
    // A SYN's at most 40 option kinds fit the buffer: no allocation.
    let mut layout = ShortText::default();
    match g.print.write_layout(&mut layout) {
        Ok(()) => s.str(&LAYOUT, layout.as_str()),
        Err(_) => s.str(&LAYOUT, &g.print.layout_str()),
    }
    s.begin(&EVIDENCE);
    for c in &g.evidence {
        s.begin(&CLUE);
        s.str(&CL_CODE, c.code());
        match *c {
            Clue::InitialTtl { initial, .. } => {
                s.opt_str(&CL_FAMILY, stack::ttl_family(initial).map(Stack::as_str));
            }
            Clue::Layout(x) | Clue::Window(x) => s.str(&CL_FAMILY, x.as_str()),
            Clue::WindowMssMultiple {
                factor,
                less_timestamps,
            } => {
                s.u64(&CL_FACTOR, u64::from(factor));
                s.bool(&CL_LESS_TS, less_timestamps);
            }
            Clue::SynBackoff {
                initial_rto_ms,
                equal,
                fits,
            } => {
                s.u64(&CL_INITIAL_RTO, u64::from(initial_rto_ms) * 1_000_000);
                s.u64(&CL_EQUAL, u64::from(equal));
                s.bool(&CL_FITS, fits);
            }
        }
        s.end();
    }
    s.end();
    s.end();
}

/// One note: its code, then its numbers.
fn note<S: Sink + ?Sized>(s: &mut S, n: &Note) {
    s.begin(&NOTE);
    let code = |s: &mut S, c| s.str(&CODE, c);
    let side = |s: &mut S, v: Side| s.str(&N_SIDE, v.as_str());
    let train = |s: &mut S, v: usize| s.u64(&N_TRAIN, v as u64);
    match *n {
        Note::Options { window_scaling } => {
            code(s, "options");
            s.bool(&WINDOW_SCALING, window_scaling);
        }
        Note::SynNoAnswer {
            syns,
            span_ns,
            train: t,
            linear_timeouts,
            syn_retries,
        } => {
            code(s, "syn_no_answer");
            s.u64(&SYNS, syns);
            s.u64(&SPAN_F, span_ns);
            s.opt_u64(&N_TRAIN, t.map(|t| t as u64));
            s.opt_u64(&LINEAR_TIMEOUTS, linear_timeouts.map(u64::from));
            s.opt_u64(&SYN_RETRIES, syn_retries.map(u64::from));
        }
        Note::Refused { port } => {
            code(s, "refused");
            s.u64(&N_PORT, u64::from(port));
        }
        Note::SynAckUnanswered {
            syn_acks,
            train: t,
            synack_retries,
        } => {
            code(s, "syn_ack_unanswered");
            s.u64(&SYN_ACKS, syn_acks);
            s.opt_u64(&N_TRAIN, t.map(|t| t as u64));
            s.opt_u64(&SYNACK_RETRIES, synack_retries.map(u64::from));
        }
        Note::HandshakeReset => code(s, "handshake_reset"),
        Note::Midstream => code(s, "midstream"),
        Note::Stack { side: sd } => {
            code(s, "stack");
            side(s, sd);
        }
        Note::Resumed => code(s, "resumed"),
        Note::Evicted => code(s, "evicted"),
        Note::DataRetransmissions {
            side: sd,
            segments,
            trains,
            fast,
            recovery,
            timeouts,
            longest,
        } => {
            code(s, "data_retransmissions");
            side(s, sd);
            s.u64(&SEGMENTS, segments);
            s.u64(&N_TRAINS, trains);
            s.u64(&FAST, fast);
            s.u64(&RECOVERY, recovery);
            s.u64(&TIMEOUTS, timeouts);
            s.opt_u64(&LONGEST, longest.map(|t| t as u64));
        }
        Note::FinResent { side: sd, train: t } => {
            code(s, "fin_resent");
            side(s, sd);
            train(s, t);
        }
        Note::ZeroWindowProbes { side: sd, train: t } => {
            code(s, "zero_window_probes");
            side(s, sd);
            train(s, t);
        }
        Note::KeepaliveProbes { side: sd, train: t } => {
            code(s, "keepalive_probes");
            side(s, sd);
            train(s, t);
        }
        Note::ZeroWindow { side: sd, count } => {
            code(s, "zero_window");
            side(s, sd);
            s.u64(&N_COUNT, count);
        }
        Note::Keepalive => code(s, "keepalive"),
        Note::RtoFloor { rto_min_ns } => {
            code(s, "rto_floor");
            s.u64(&N_RTO_MIN, rto_min_ns);
        }
        Note::SimultaneousClose { time_wait_both } => {
            code(s, "simultaneous_close");
            s.bool(&TIME_WAIT_BOTH, time_wait_both);
        }
        Note::RstAfterOwnFin { side: sd, after_ns } => {
            code(s, "rst_after_own_fin");
            side(s, sd);
            s.u64(&N_AFTER, after_ns);
        }
        Note::Reset { side: sd } => {
            code(s, "reset");
            side(s, sd);
        }
        Note::TimeWait {
            side: sd,
            since_first_ns,
        } => {
            code(s, "time_wait");
            side(s, sd);
            s.u64(&SINCE_FIRST, since_first_ns);
        }
    }
    s.end();
}

/// One caveat: its code, then its numbers.
fn caveat<S: Sink + ?Sized>(s: &mut S, c: &Caveat) {
    s.begin(&CAVEAT);
    match *c {
        Caveat::SynLinearTimeoutsZero => s.str(&C_CODE, "syn_linear_timeouts_zero"),
        Caveat::LastSendAssumed {
            setting,
            kind,
            frame,
            after_ns,
            due_ns,
        } => {
            s.str(&C_CODE, "last_send_assumed");
            s.str(
                &C_SETTING,
                match setting {
                    Setting::TcpSynRetries => "tcp_syn_retries",
                    Setting::TcpSynackRetries => "tcp_synack_retries",
                },
            );
            s.str(&C_KIND, kind.as_str());
            s.u64(&C_FRAME, frame);
            s.u64(&C_AFTER, after_ns);
            s.u64(&C_DUE, due_ns);
        }
        Caveat::FinTimeoutBound { side } => {
            s.str(&C_CODE, "fin_timeout_bound");
            s.str(&C_SIDE, side.as_str());
        }
        Caveat::StackAssumedLinux { side, bsd_fits_too } => {
            s.str(&C_CODE, "stack_assumed_linux");
            s.str(&C_SIDE, side.as_str());
            s.bool(&C_BSD_FITS_TOO, bsd_fits_too);
        }
        Caveat::SynRetriesWithdrawn { after_ns } => {
            s.str(&C_CODE, "syn_retries_withdrawn");
            s.u64(&C_AFTER, after_ns);
        }
    }
    s.end();
}

/// Hands one connection row to `s`.
pub fn visit<S: Sink + ?Sized>(s: &mut S, c: &Record) {
    s.begin(&CONNECTION);
    s.u64(&CONN, c.conn.0);
    endpoint(s, &CLIENT, &c.client);
    endpoint(s, &SERVER, &c.server);
    s.bool(&MIDSTREAM, c.midstream);
    s.begin(&ROLES);
    s.bool(&ROLES_OBSERVED, c.roles.observed());
    s.str(&ROLES_BY, c.roles.as_str());
    s.end();
    s.u64(&FIRST_FRAME, c.first_frame);
    s.u64(&LAST_FRAME, c.last_frame);
    s.i64(&FIRST_TS_NS, c.first_ts_ns);
    s.i64(&LAST_TS_NS, c.last_ts_ns);
    per_dir(s, &PACKETS, &c.packets);
    per_dir(s, &BYTES, &c.bytes);
    per_dir(s, &RETRANSMISSIONS, &c.retransmissions);
    per_dir(s, &ZERO_WINDOW, &c.zero_window);
    per_dir_frame(s, &FIN_FRAME, &c.fin_frame);
    per_dir_frame(s, &RST_FRAME, &c.rst_frame);

    let h = &c.handshake;
    s.begin(&HANDSHAKE);
    frame_run(s, &SYN, &h.syn);
    frame_run(s, &SYN_ACK, &h.syn_ack);
    handshake_frames(s, &SYN_FRAMES, c, TrainKind::Syn, &h.syn);
    handshake_frames(s, &SYN_ACK_FRAMES, c, TrainKind::SynAck, &h.syn_ack);
    s.opt_u64(&ACK_FRAME, h.ack_frame);
    s.opt_i64(&ACK_TS_NS, h.ack_ts_ns);
    span(s, &IRTT, h.irtt_ns);
    s.str(&OUTCOME, h.outcome.as_str());
    s.end();

    s.begin(&OPTIONS);
    syn_options(s, &CLIENT_SYN, c.options.client.as_ref());
    syn_options(s, &SERVER_SYN, c.options.server.as_ref());
    s.end();
    per_side_opt(
        s,
        &WINDOW_SCALE,
        &c.window_scale,
        [&CLIENT_U8, &SERVER_U8],
        u64::from,
    );
    s.str(&END, c.end.as_str());
    s.bool(&EVICTED, c.evicted);
    s.opt_u64(&RESUMED_FRAME, c.resumed_frame);
    s.opt_i64(&RESUMED_TS_NS, c.resumed_ts_ns);

    // The story's fields: absent without it.
    if let Some(st) = c.story.as_deref() {
        per_side_opt(
            s,
            &IMPLIED_MTU,
            &st.implied_mtu,
            [&CLIENT_U32, &SERVER_U32],
            u64::from,
        );
        per_side_opt(
            s,
            &EFFECTIVE_WINDOW,
            &st.effective_window,
            [&CLIENT_U64, &SERVER_U64],
            |v| v,
        );
        s.begin(&TRAINS);
        for t in &st.trains {
            s.begin(&TRAIN);
            s.str(&DIR, t.dir.as_str());
            s.str(&KIND, t.kind.as_str());
            s.u64(&SEQ, t.seq);
            frames(s, &FRAMES, &t.frames);
            s.begin(&TS_NS);
            for &x in &t.ts_ns {
                s.i64(&INSTANT, x);
            }
            s.end();
            s.begin(&TIMES_S);
            for x in t.offsets_ns() {
                s.i64(&SPAN, x);
            }
            s.end();
            s.begin(&INTERVALS_S);
            for x in t.intervals_ns() {
                s.i64(&SPAN, x);
            }
            s.end();
            s.str(&VERDICT, t.verdict.as_str());
            u64_if(s, &MORE, (t.more > 0).then_some(u64::from(t.more)));
            u64_if(s, &DUP_ACKS, t.dup_acks.map(u64::from));
            s.end();
        }
        s.end();

        s.begin(&RTT);
        rtt(s, &C2S_RTT, &st.rtt.c2s);
        rtt(s, &S2C_RTT, &st.rtt.s2c);
        s.end();

        let cl = &st.close;
        s.begin(&CLOSE);
        s.opt_str(&FIRST_FIN_BY, cl.first_fin_by.map(Side::as_str));
        s.opt_str(&RST_BY, cl.rst_by.map(Side::as_str));
        s.bool(&PIGGYBACKED, cl.piggybacked);
        s.bool(&SIMULTANEOUS, cl.simultaneous);
        span(s, &DURATION_S, cl.duration_ns);
        s.bool(&HALF_CLOSE_LEFT_OPEN, cl.half_close_left_open);
        s.end();

        s.begin(&STATES);
        for (f, list) in [
            (&CLIENT_STATES, &st.states.client),
            (&SERVER_STATES, &st.states.server),
        ] {
            s.begin(f);
            for sc in list {
                s.begin(&STATE_CHANGE);
                s.str(&STATE, sc.state.as_str());
                s.i64(&T_NS, sc.t_ns);
                s.end();
            }
            s.end();
        }
        s.end();

        s.begin(&STACK);
        stack_guess(s, &CLIENT_STACK, st.stack.client.as_ref());
        stack_guess(s, &SERVER_STACK, st.stack.server.as_ref());
        s.end();

        let inf = &st.inferred;
        s.begin(&INFERRED);
        u64_if(s, &TCP_SYN_RETRIES, inf.tcp_syn_retries.map(u64::from));
        u64_if(
            s,
            &TCP_SYN_LINEAR_TIMEOUTS,
            inf.tcp_syn_linear_timeouts.map(u64::from),
        );
        u64_if(
            s,
            &TCP_SYNACK_RETRIES,
            inf.tcp_synack_retries.map(u64::from),
        );
        span_if(s, &INITIAL_RTO_S, inf.initial_rto_ns);
        span_if(s, &RTO_MIN_S, inf.rto_min_ns);
        span_if(s, &TCP_FIN_TIMEOUT_MAX_S, inf.tcp_fin_timeout_max_ns);
        span_if(s, &KEEPALIVE_TIME_S, inf.keepalive_time_ns);
        span_if(s, &KEEPALIVE_INTVL_S, inf.keepalive_intvl_ns);
        u64_if(s, &KEEPALIVE_PROBES, inf.keepalive_probes.map(u64::from));
        if !inf.caveats.is_empty() {
            s.begin(&CAVEATS);
            for cv in &inf.caveats {
                caveat(s, cv);
            }
            s.end();
        }
        s.end();

        s.begin(&NOTES);
        for n in &st.notes {
            note(s, n);
        }
        s.end();
        s.opt_i64(&SERVER_BUSY_TS_NS, st.server_busy_ts_ns);
        s.opt_i64(&RST_TS_NS, st.rst_ts_ns);
    }
    s.end();
}

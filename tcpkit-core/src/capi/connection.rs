//! `tcpkit_connection`: one finished connection ([`Connection`]) and its
//! summary, states, trains, notes and explanation.

use super::error::{Failure, boundary, boundary_or, c_string, tcpkit_status};
use super::util::{arg_ref, check_out, free_box, intern, tcpkit_str, write_out};
use crate::analysis::story::{PerDir, RttSummary, Side, Story};
use crate::analysis::{Connection, SynOptions};
use crate::flow::Endpoint;
use std::ffi::CString;
use std::net::IpAddr;
use std::sync::OnceLock;

/// One endpoint: an IPv4 or IPv6 address and a port.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_endpoint {
    /// 4 or 6 (0: no endpoint, where a struct says it may be absent).
    pub family: u8,
    /// The address in network byte order: 4 bytes for IPv4 (the rest zero),
    /// 16 for IPv6 (what `inet_ntop` takes).
    pub addr: [u8; 16],
    /// The port.
    pub port: u16,
}

impl tcpkit_endpoint {
    /// No endpoint: family 0, all zero.
    pub(crate) const NONE: Self = Self {
        family: 0,
        addr: [0; 16],
        port: 0,
    };
}

impl From<Endpoint> for tcpkit_endpoint {
    fn from(e: Endpoint) -> Self {
        let mut addr = [0; 16];
        let family = match e.ip {
            IpAddr::V4(ip) => {
                addr[..4].copy_from_slice(&ip.octets());
                4
            }
            IpAddr::V6(ip) => {
                addr = ip.octets();
                6
            }
        };
        Self {
            family,
            addr,
            port: e.port,
        }
    }
}

/// A count per direction: client to server, server to client.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct tcpkit_per_dir {
    /// Client to server.
    pub c2s: u64,
    /// Server to client.
    pub s2c: u64,
}

impl From<PerDir<u64>> for tcpkit_per_dir {
    fn from(p: PerDir<u64>) -> Self {
        Self {
            c2s: p.c2s,
            s2c: p.s2c,
        }
    }
}

/// The options of one side's SYN (or SYN-ACK).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_syn_options {
    /// The SYN (SYN-ACK) was seen; the other fields are zero/-1 if not.
    pub seen: bool,
    /// MSS, -1 when absent.
    pub mss: i32,
    /// Window scale shift count, -1 when absent.
    pub wscale: i32,
    /// SACK permitted.
    pub sack_perm: bool,
    /// Timestamps.
    pub timestamps: bool,
    /// TCP Fast Open.
    pub tfo: bool,
    /// Multipath TCP.
    pub mptcp: bool,
}

impl From<Option<SynOptions>> for tcpkit_syn_options {
    fn from(o: Option<SynOptions>) -> Self {
        let o2 = o.unwrap_or_default();
        Self {
            seen: o.is_some(),
            mss: o2.mss.map_or(-1, i32::from),
            wscale: o2.wscale.map_or(-1, i32::from),
            sack_perm: o2.sack_perm,
            timestamps: o2.timestamps,
            tfo: o2.tfo,
            mptcp: o2.mptcp,
        }
    }
}

/// RTT of one direction's data as seen from the capture point, and RFC
/// 6298's estimator replayed over it. Every `*_ns` is -1 when unknown.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_rtt {
    /// Samples taken (Karn's rule: none from retransmitted data).
    pub samples: u64,
    /// Smallest sample.
    pub min_ns: i64,
    /// Median sample.
    pub median_ns: i64,
    /// 95th percentile.
    pub p95_ns: i64,
    /// Largest sample.
    pub max_ns: i64,
    /// SRTT after the last sample.
    pub srtt_ns: i64,
    /// RTTVAR after the last sample.
    pub rttvar_ns: i64,
    /// RTO after the last sample.
    pub rto_ns: i64,
}

fn ns(v: Option<u64>) -> i64 {
    v.map_or(-1, |v| i64::try_from(v).unwrap_or(i64::MAX))
}

impl From<&RttSummary> for tcpkit_rtt {
    fn from(r: &RttSummary) -> Self {
        Self {
            samples: r.samples,
            min_ns: ns(r.min_ns),
            median_ns: ns(r.median_ns),
            p95_ns: ns(r.p95_ns),
            max_ns: ns(r.max_ns),
            srtt_ns: ns(r.srtt_ns),
            rttvar_ns: ns(r.rttvar_ns),
            rto_ns: ns(r.rto_ns),
        }
    }
}

/// Client or server.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum tcpkit_side {
    /// Neither (nobody did it).
    None = 0,
    /// The endpoint that sent the first SYN (mid-stream: guessed, see `roles`).
    Client = 1,
    /// The other one.
    Server = 2,
}

impl From<Option<Side>> for tcpkit_side {
    fn from(s: Option<Side>) -> Self {
        match s {
            None => Self::None,
            Some(Side::Client) => Self::Client,
            Some(Side::Server) => Self::Server,
        }
    }
}

/// How the connection ended.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_close {
    /// Who sent the first FIN.
    pub first_fin_by: tcpkit_side,
    /// Who sent a RST.
    pub rst_by: tcpkit_side,
    /// The second FIN rode on the ACK of the first (three-packet close).
    pub piggybacked: bool,
    /// Both FINs crossed (simultaneous close).
    pub simultaneous: bool,
    /// One direction was closed and the other never was.
    pub half_close_left_open: bool,
    /// From the first FIN or RST to the last segment, -1 when there was none.
    pub duration_ns: i64,
}

/// What a connection did, in numbers: borrowed from its `tcpkit_connection`
/// (valid until `tcpkit_connection_free`). Fields may be added at the end in
/// later versions (the library allocates it, never the caller).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_summary {
    /// Connection number (tshark's `tcp.stream`).
    pub conn: u64,
    /// The endpoint that sent the first SYN (mid-stream: guessed, see `roles`).
    pub client: tcpkit_endpoint,
    /// The other endpoint.
    pub server: tcpkit_endpoint,
    /// The capture began after the handshake.
    pub midstream: bool,
    /// First and last frame of the connection (1-based).
    pub first_frame: u64,
    /// Last frame.
    pub last_frame: u64,
    /// Capture time of its first packet, ns since the epoch.
    pub first_ts_ns: i64,
    /// Capture time of its last packet, ns since the epoch.
    pub last_ts_ns: i64,
    /// The handshake's outcome as `tcpkit flows --json` names it
    /// (`established`, `refused`, `no_answer`, `syn_ack_unanswered`, `reset`,
    /// `midstream`, `resumed`).
    pub outcome: tcpkit_str,
    /// Why it was handed out (`closed`, `idle`, `evicted`, `port_reused`,
    /// `end_of_capture`).
    pub end: tcpkit_str,
    /// Initial RTT (SYN to the handshake's ACK, tshark's
    /// `tcp.analysis.initial_rtt`), -1 when unknown.
    pub irtt_ns: i64,
    /// The client's SYN options.
    pub client_options: tcpkit_syn_options,
    /// The server's SYN-ACK options.
    pub server_options: tcpkit_syn_options,
    /// The window scale shift in force for the client's windows (RFC 7323
    /// 2.2), -1 when none is: not negotiated, or the handshake not seen.
    pub client_window_scale: i32,
    /// The same for the server's windows.
    pub server_window_scale: i32,
    /// Packets per direction.
    pub packets: tcpkit_per_dir,
    /// Payload bytes per direction.
    pub bytes: tcpkit_per_dir,
    /// Retransmissions per direction (tshark's `tcp.analysis.retransmission`).
    pub retransmissions: tcpkit_per_dir,
    /// Zero-window advertisements per direction.
    pub zero_window: tcpkit_per_dir,
    /// The story was built (`story` option on): `rtt_*`, `close`, states,
    /// trains and notes are filled.
    pub has_story: bool,
    /// RTT of the client's data.
    pub rtt_c2s: tcpkit_rtt,
    /// RTT of the server's data.
    pub rtt_s2c: tcpkit_rtt,
    /// The close.
    pub close: tcpkit_close,
    /// Number of states of the client (`tcpkit_connection_state`).
    pub client_states: usize,
    /// Number of states of the server.
    pub server_states: usize,
    /// Number of retransmission trains (`tcpkit_connection_train`).
    pub trains: usize,
    /// This record ends at an eviction under the memory budget: if the
    /// connection speaks again, a later record with the same `conn`
    /// continues it.
    pub evicted: bool,
    /// This record continues an evicted connection from this frame on; 0
    /// when it does not.
    pub resumed_frame: u64,
}

fn scale(w: Option<u8>) -> i32 {
    w.map_or(-1, i32::from)
}

/// One finished connection, from `tcpkit_analyzer_next_connection`; freed by
/// `tcpkit_connection_free`. Independent of its analyzer (it may outlive
/// it). Read-only: may be read from several threads at once.
#[derive(Debug)]
pub struct tcpkit_connection {
    conn: Box<Connection>,
    summary: tcpkit_summary,
    /// The capture's first packet: the origin of the text's relative times.
    t0_ns: i64,
    /// The explanation (what `tcpkit report` prints for it), made when
    /// first asked for.
    explanation: OnceLock<CString>,
    /// The notes in words, made when first asked for.
    notes: OnceLock<Vec<CString>>,
}

impl tcpkit_connection {
    /// `t0_ns`: the capture's first packet (relative times of the text).
    pub(crate) fn new(conn: Box<Connection>, t0_ns: i64) -> Self {
        let c = &*conn;
        let story: Option<&Story> = c.story.as_deref();
        let empty = RttSummary::default();
        let summary = tcpkit_summary {
            conn: c.conn.0,
            client: c.client.into(),
            server: c.server.into(),
            midstream: c.midstream,
            first_frame: c.first_frame,
            last_frame: c.last_frame,
            first_ts_ns: c.first_ts_ns,
            last_ts_ns: c.last_ts_ns,
            outcome: intern(c.handshake.outcome.as_str()),
            end: intern(c.end.as_str()),
            irtt_ns: ns(c.handshake.irtt_ns),
            client_options: c.options.client.into(),
            server_options: c.options.server.into(),
            client_window_scale: scale(c.window_scale.client),
            server_window_scale: scale(c.window_scale.server),
            packets: c.packets.into(),
            bytes: c.bytes.into(),
            retransmissions: c.retransmissions.into(),
            zero_window: c.zero_window.into(),
            has_story: story.is_some(),
            rtt_c2s: story.map_or(&empty, |s| &s.rtt.c2s).into(),
            rtt_s2c: story.map_or(&empty, |s| &s.rtt.s2c).into(),
            close: story.map_or(
                tcpkit_close {
                    first_fin_by: tcpkit_side::None,
                    rst_by: tcpkit_side::None,
                    piggybacked: false,
                    simultaneous: false,
                    half_close_left_open: false,
                    duration_ns: -1,
                },
                |s| tcpkit_close {
                    first_fin_by: s.close.first_fin_by.into(),
                    rst_by: s.close.rst_by.into(),
                    piggybacked: s.close.piggybacked,
                    simultaneous: s.close.simultaneous,
                    half_close_left_open: s.close.half_close_left_open,
                    duration_ns: ns(s.close.duration_ns),
                },
            ),
            client_states: story.map_or(0, |s| s.states.client.len()),
            server_states: story.map_or(0, |s| s.states.server.len()),
            trains: story.map_or(0, |s| s.trains.len()),
            evicted: c.evicted,
            resumed_frame: c.resumed_frame.unwrap_or(0),
        };
        Self {
            conn,
            summary,
            t0_ns,
            explanation: OnceLock::new(),
            notes: OnceLock::new(),
        }
    }
}

/// The connection's numbers, borrowed: `*out` points into `c` and stays
/// valid until `tcpkit_connection_free`.
///
/// # Safety
/// `c` is NULL or a live connection; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_connection_summary(
    c: *const tcpkit_connection,
    out: *mut *const tcpkit_summary,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { arg_ref(c, "connection") }?;
        // SAFETY: the caller's contract.
        unsafe { write_out(out, &c.summary as *const _, "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// What `tcpkit report` prints for this connection (several lines, each
/// ending with a newline; times relative to the capture's first packet),
/// written to `*out`: NUL-terminated, valid until `tcpkit_connection_free`.
///
/// # Safety
/// `c` is NULL or a live connection; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_connection_explain(
    c: *const tcpkit_connection,
    out: *mut tcpkit_str,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { arg_ref(c, "connection") }?;
        // SAFETY: the caller's contract.
        unsafe {
            write_out(
                out,
                tcpkit_str::borrow_c(
                    c.explanation
                        .get_or_init(|| c_string(c.conn.explain(c.t0_ns))),
                ),
                "out",
            )
        }?;
        Ok(tcpkit_status::Ok)
    })
}

/// One state an endpoint passed through, as the capture shows it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_state_change {
    /// The state as Linux names it (`SYN_SENT`, `ESTABLISHED`, `FIN_WAIT1`,
    /// `TIME_WAIT`, `CLOSED`...): static.
    pub state: tcpkit_str,
    /// When it was entered, ns since the epoch.
    pub t_ns: i64,
}

/// The `index`-th state (from 0) of the client's (`side` =
/// `TCPKIT_SIDE_CLIENT`) or the server's endpoint, written to `*out`.
/// Returns `TCPKIT_STATUS_END` past the last one (or without a story),
/// `TCPKIT_STATUS_INVALID_ARGUMENT` for a side that is neither.
///
/// # Safety
/// `c` is NULL or a live connection; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_connection_state(
    c: *const tcpkit_connection,
    side: u32,
    index: usize,
    out: *mut tcpkit_state_change,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { arg_ref(c, "connection") }?;
        check_out(out, "out")?;
        let side = match side {
            1 => Side::Client,
            2 => Side::Server,
            _ => {
                return Err(Failure::invalid(format!(
                    "side {side}: 1 (client) or 2 (server)"
                )));
            }
        };
        let Some(s) = c
            .conn
            .story
            .as_deref()
            .and_then(|s| s.states.get(side).get(index))
        else {
            return Ok(tcpkit_status::End);
        };
        let v = tcpkit_state_change {
            state: intern(s.state.as_str()),
            t_ns: s.t_ns,
        };
        // SAFETY: checked not NULL; writable by the caller's contract.
        unsafe { write_out(out, v, "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// One segment sent more than once (a retransmission train).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct tcpkit_train {
    /// The sender: `TCPKIT_SIDE_CLIENT` or `TCPKIT_SIDE_SERVER`.
    pub sender: tcpkit_side,
    /// What was re-sent (`syn`, `syn_ack`, `data`, `fin`, `rst`,
    /// `keepalive`, `probe`): static.
    pub kind: tcpkit_str,
    /// Its relative sequence number.
    pub seq: u64,
    /// Number of sends captured (the length of `frames` and `ts_ns`).
    pub sends: usize,
    /// The frames of the sends; borrowed from the connection.
    pub frames: *const u64,
    /// Their capture times, ns since the epoch; borrowed from the connection.
    pub ts_ns: *const i64,
    /// The timer pattern (`exponential_backoff`, `linear`,
    /// `fast_retransmit`, `tail_loss_probe`...): static.
    pub verdict: tcpkit_str,
    /// Sends beyond those listed (the list is capped).
    pub more: u32,
}

/// The `index`-th retransmission train (from 0), written to `*out`; its
/// arrays are borrowed from `c` (valid until `tcpkit_connection_free`).
/// Returns `TCPKIT_STATUS_END` past the last one (or without a story).
///
/// # Safety
/// `c` is NULL or a live connection; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_connection_train(
    c: *const tcpkit_connection,
    index: usize,
    out: *mut tcpkit_train,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { arg_ref(c, "connection") }?;
        check_out(out, "out")?;
        let Some(t) = c.conn.story.as_deref().and_then(|s| s.trains.get(index)) else {
            return Ok(tcpkit_status::End);
        };
        let v = tcpkit_train {
            sender: Some(Side::sender(t.dir)).into(),
            kind: intern(t.kind.as_str()),
            seq: t.seq,
            sends: t.frames.len().min(t.ts_ns.len()),
            frames: t.frames.as_ptr(),
            ts_ns: t.ts_ns.as_ptr(),
            verdict: intern(t.verdict.as_str()),
            more: t.more,
        };
        // SAFETY: checked not NULL; writable by the caller's contract.
        unsafe { write_out(out, v, "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// The `index`-th note of the story in words (from 0; the sentences of
/// `tcpkit report` after the `- `), written to `*out`: NUL-terminated, valid
/// until `tcpkit_connection_free`. Returns `TCPKIT_STATUS_END` past the
/// last one.
///
/// # Safety
/// `c` is NULL or a live connection; `out` NULL or writable.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_connection_note(
    c: *const tcpkit_connection,
    index: usize,
    out: *mut tcpkit_str,
) -> tcpkit_status {
    boundary(|| {
        // SAFETY: the caller's contract.
        let c = unsafe { arg_ref(c, "connection") }?;
        check_out(out, "out")?;
        let notes = c.notes.get_or_init(|| {
            crate::text::notes(&c.conn)
                .into_iter()
                .map(c_string)
                .collect()
        });
        let Some(n) = notes.get(index) else {
            return Ok(tcpkit_status::End);
        };
        // SAFETY: checked not NULL; writable by the caller's contract.
        unsafe { write_out(out, tcpkit_str::borrow_c(n), "out") }?;
        Ok(tcpkit_status::Ok)
    })
}

/// Frees a connection; NULL does nothing.
///
/// # Safety
/// `c` is NULL or a connection not freed yet; nothing borrowed from it is
/// used after this call.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tcpkit_connection_free(c: *mut tcpkit_connection) {
    // SAFETY: the caller's contract: NULL or a live box.
    boundary_or((), || unsafe { free_box(c) })
}

//! The JSON object of one TCP segment, written by hand (no per-segment
//! allocation: it goes into the caller's reusable buffer).
//!
//! Every value written here is a number, `true`/`false`, or a string made of
//! characters that need no escaping (addresses, flag letters, option kinds,
//! hex), so no escaping code is needed.

use std::fmt::{self, Write};
use tcpkit_core::analysis::SegmentFacts;
use tcpkit_core::wire::{
    OptionError, Segment, SeqNumber, TcpOption, flag_letters, write_addr, write_decimal,
};

/// Writes hex digits of `bytes` (lowercase).
pub fn write_hex<W: Write>(w: &mut W, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(w, "{b:02x}")?;
    }
    Ok(())
}

/// Writes `{"frame":..,...,"options":[...]`, then the analysis fields of
/// `facts` when given (see [`write_facts`]), then whatever `extra` adds (each
/// extra field must start with `,`), then `}`. This object stays the one
/// definition of a segment's JSON.
///
/// With `facts`, the SACK blocks are relative to the peer's base, as tshark
/// shows them (`tcp.options.sack_le` / `sack_re`), and the raw edges are kept
/// in `blocks_raw`; without, `blocks` holds the raw edges.
pub fn write_segment<W: Write>(
    w: &mut W,
    frame: u64,
    ts_ns: i64,
    seg: &Segment<'_>,
    facts: Option<&SegmentFacts>,
    extra: impl FnOnce(&mut W) -> fmt::Result,
) -> fmt::Result {
    let num = |w: &mut W, key: &str, v: u64| {
        w.write_str(key)?;
        write_decimal(w, v)
    };
    num(w, "{\"frame\":", frame)?;
    write!(w, ",\"ts_ns\":{ts_ns}")?;
    w.write_str(",\"src\":\"")?;
    write_addr(w, &seg.ip.src)?;
    w.write_str("\",\"dst\":\"")?;
    write_addr(w, &seg.ip.dst)?;
    num(w, "\",\"sport\":", u64::from(seg.sport))?;
    num(w, ",\"dport\":", u64::from(seg.dport))?;
    w.write_str(",\"flags\":\"")?;
    w.write_str(flag_letters(seg.flags).as_str())?;
    num(w, "\",\"seq_raw\":", u64::from(seg.seq.0))?;
    num(w, ",\"ack_raw\":", u64::from(seg.ack.0))?;
    num(w, ",\"len\":", u64::from(seg.payload_len))?;
    num(w, ",\"hdr_len\":", u64::from(seg.header_len))?;
    num(w, ",\"win\":", u64::from(seg.window))?;
    w.write_str(if seg.truncated {
        ",\"truncated\":true,\"options\":["
    } else {
        ",\"truncated\":false,\"options\":["
    })?;
    for (i, o) in seg.options.iter().enumerate() {
        if i > 0 {
            w.write_char(',')?;
        }
        match (o, facts) {
            (Ok(TcpOption::Sack(blocks)), Some(f)) => {
                w.write_str("{\"kind\":\"sack\",\"blocks\":[")?;
                write_blocks(w, blocks.iter(), |e| f.ack_space_rel(e, seg.ack))?;
                w.write_str("],\"blocks_raw\":[")?;
                write_blocks(w, blocks.iter(), |e| u64::from(e.0))?;
                w.write_str("]}")?;
            }
            (Ok(o), _) => write_option(w, &o)?,
            (Err(e), _) => write_bad_option(w, &e)?,
        }
    }
    w.write_char(']')?;
    if let Some(f) = facts {
        write_facts(w, f)?;
    }
    extra(w)?;
    w.write_char('}')
}

/// SACK blocks as `[l,r],[l,r]`, each edge mapped by `edge`.
fn write_blocks<W: Write>(
    w: &mut W,
    blocks: impl Iterator<Item = (SeqNumber, SeqNumber)>,
    edge: impl Fn(SeqNumber) -> u64,
) -> fmt::Result {
    for (i, (l, r)) in blocks.enumerate() {
        if i > 0 {
            w.write_char(',')?;
        }
        w.write_char('[')?;
        write_decimal(w, edge(l))?;
        w.write_char(',')?;
        write_decimal(w, edge(r))?;
        w.write_char(']')?;
    }
    Ok(())
}

/// Writes `v` or `null`.
fn write_opt<W: Write>(w: &mut W, key: &str, v: Option<u64>) -> fmt::Result {
    w.write_str(key)?;
    match v {
        Some(v) => write_decimal(w, v),
        None => w.write_str("null"),
    }
}

/// Writes nanoseconds as seconds with nine decimals (exact), or `null`.
fn write_secs<W: Write>(w: &mut W, key: &str, ns: Option<u64>) -> fmt::Result {
    w.write_str(key)?;
    let Some(ns) = ns else {
        return w.write_str("null");
    };
    write_decimal(w, ns / 1_000_000_000)?;
    w.write_char('.')?;
    let frac = ns % 1_000_000_000;
    // Nine digits, zero-padded: 10^8 .. 10^0.
    let mut d = 100_000_000;
    while d > 0 {
        w.write_char(char::from(b'0' + ((frac / d) % 10) as u8))?;
        d /= 10;
    }
    Ok(())
}

/// The per-segment analysis fields (issue 3, tshark's `tcp.analysis.*`
/// meanings), each starting with `,`: `conn` (tshark's `tcp.stream`), `seq`
/// and `ack` (relative; `ack` is the raw field when the ACK flag is not set,
/// as tshark shows it), `scale` (tshark's `window_size_scalefactor`: -1
/// unknown, -2 not used, else the multiplier; `null` on SYNs), `win_scaled`,
/// `analysis` (flag names), `dup_ack_num` / `dup_ack_frame`, `ack_rtt` /
/// `acks_frame`, `irtt` (seconds), `bytes_in_flight`; `null` when tshark
/// would show nothing.
pub fn write_facts<W: Write>(w: &mut W, f: &SegmentFacts) -> fmt::Result {
    write_opt(w, ",\"conn\":", Some(f.conn.0))?;
    write_opt(w, ",\"seq\":", Some(f.seq))?;
    write_opt(w, ",\"ack\":", Some(f.ack))?;
    w.write_str(",\"scale\":")?;
    match f.scale {
        Some(s) => write!(w, "{}", s.tshark_value())?,
        None => w.write_str("null")?,
    }
    write_opt(w, ",\"win_scaled\":", Some(f.win_scaled))?;
    w.write_str(",\"analysis\":[")?;
    for (i, name) in f.flags.names().enumerate() {
        w.write_str(if i > 0 { ",\"" } else { "\"" })?;
        w.write_str(name)?;
        w.write_char('"')?;
    }
    w.write_char(']')?;
    let dup = (f.dup_ack_num > 0).then_some(u64::from(f.dup_ack_num));
    write_opt(w, ",\"dup_ack_num\":", dup)?;
    write_opt(w, ",\"dup_ack_frame\":", f.dup_ack_of)?;
    write_secs(w, ",\"ack_rtt\":", f.ack_rtt_ns)?;
    write_opt(w, ",\"acks_frame\":", f.acks_frame)?;
    write_secs(w, ",\"irtt\":", f.irtt_ns)?;
    write_opt(w, ",\"bytes_in_flight\":", f.bytes_in_flight)
}

/// One option as `{"kind":K,...}`.
pub fn write_option<W: Write>(w: &mut W, o: &TcpOption<'_>) -> fmt::Result {
    match *o {
        TcpOption::Eol => w.write_str("{\"kind\":\"eol\"}"),
        TcpOption::Nop => w.write_str("{\"kind\":\"nop\"}"),
        TcpOption::Mss(v) => write!(w, "{{\"kind\":\"mss\",\"value\":{v}}}"),
        TcpOption::WindowScale(s) => write!(w, "{{\"kind\":\"wscale\",\"shift\":{s}}}"),
        TcpOption::SackPermitted => w.write_str("{\"kind\":\"sack_perm\"}"),
        TcpOption::Sack(blocks) => {
            w.write_str("{\"kind\":\"sack\",\"blocks\":[")?;
            for (i, (l, r)) in blocks.iter().enumerate() {
                if i > 0 {
                    w.write_char(',')?;
                }
                write!(w, "[{},{}]", l.0, r.0)?;
            }
            w.write_str("]}")
        }
        TcpOption::Timestamps { val, ecr } => {
            w.write_str("{\"kind\":\"ts\",\"val\":")?;
            write_decimal(w, u64::from(val))?;
            w.write_str(",\"ecr\":")?;
            write_decimal(w, u64::from(ecr))?;
            w.write_char('}')
        }
        TcpOption::Md5(d) => {
            w.write_str("{\"kind\":\"md5\",\"digest\":\"")?;
            write_hex(w, d)?;
            w.write_str("\"}")
        }
        TcpOption::Ao {
            key_id,
            rnext_key_id,
            mac,
        } => {
            write!(
                w,
                "{{\"kind\":\"ao\",\"key_id\":{key_id},\"rnext_key_id\":{rnext_key_id},\"mac\":\""
            )?;
            write_hex(w, mac)?;
            w.write_str("\"}")
        }
        TcpOption::UserTimeout { minutes, timeout } => write!(
            w,
            "{{\"kind\":\"uto\",\"minutes\":{minutes},\"timeout\":{timeout}}}"
        ),
        TcpOption::Mptcp { subtype, data } => {
            write!(w, "{{\"kind\":\"mptcp\",\"subtype\":{subtype},\"data\":\"")?;
            write_hex(w, data)?;
            w.write_str("\"}")
        }
        TcpOption::FastOpen {
            cookie,
            experimental,
        } => {
            w.write_str("{\"kind\":\"tfo\",\"cookie\":\"")?;
            write_hex(w, cookie)?;
            write!(w, "\",\"experimental\":{experimental}}}")
        }
        TcpOption::AccEcn {
            order,
            data,
            experimental,
        } => {
            write!(w, "{{\"kind\":\"accecn\",\"order\":{order},\"data\":\"")?;
            write_hex(w, data)?;
            write!(w, "\",\"experimental\":{experimental}}}")
        }
        TcpOption::BadLength { kind, data } => {
            write!(w, "{{\"kind\":\"bad_length\",\"code\":{kind},\"data\":\"")?;
            write_hex(w, data)?;
            w.write_str("\"}")
        }
        TcpOption::Unknown { kind, data } => {
            write!(w, "{{\"kind\":\"unknown\",\"code\":{kind},\"data\":\"")?;
            write_hex(w, data)?;
            w.write_str("\"}")
        }
    }
}

/// A malformed option (`"malformed"`: its length is impossible) or one cut by
/// the snaplen (`"cut"`); the list ends with it.
pub fn write_bad_option<W: Write>(w: &mut W, e: &OptionError) -> fmt::Result {
    write!(
        w,
        "{{\"kind\":\"{}\",\"code\":{},\"offset\":{},\"len\":",
        if e.truncated { "cut" } else { "malformed" },
        e.kind,
        e.offset
    )?;
    match e.len {
        Some(l) => write!(w, "{l}}}"),
        None => w.write_str("null}"),
    }
}

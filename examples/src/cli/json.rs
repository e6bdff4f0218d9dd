//! The JSON object of one TCP segment, written by hand (no per-segment
//! allocation: it goes into the caller's reusable buffer).
//!
//! Every value written here is a number, `true`/`false`, or a string made of
//! characters that need no escaping (addresses, flag letters, option kinds,
//! hex), so no escaping code is needed.

use std::fmt::{self, Write};
use tcpkit_core::wire::{OptionError, Segment, TcpOption, flag_letters, write_addr, write_decimal};

/// Writes hex digits of `bytes` (lowercase).
pub fn write_hex<W: Write>(w: &mut W, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(w, "{b:02x}")?;
    }
    Ok(())
}

/// Writes `{"frame":..,...,"options":[...]` and then whatever `extra` adds
/// (each extra field must start with `,`), then `}`. Later analyses add their
/// fields (conn, seq, ack, scale, ...) through `extra`, so this object stays
/// the one definition of a segment's JSON.
pub fn write_segment<W: Write>(
    w: &mut W,
    frame: u64,
    ts_ns: i64,
    seg: &Segment<'_>,
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
        match o {
            Ok(o) => write_option(w, &o)?,
            Err(e) => write_bad_option(w, &e)?,
        }
    }
    w.write_char(']')?;
    extra(w)?;
    w.write_char('}')
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

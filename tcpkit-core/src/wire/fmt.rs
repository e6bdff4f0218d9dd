//! Plain formatting of wire values that every output shares (the tcpdump
//! line, JSON, Arrow strings): decimal numbers, addresses, flag letters.
//! No allocation.

use super::TcpFlags;
use core::fmt::{self, Write};
use std::net::IpAddr;

/// Writes `v` in decimal with one `write_str` (no `Formatter` padding
/// machinery: this is the hot path of a 3.8 M-line output).
pub fn write_decimal<W: Write>(w: &mut W, mut v: u64) -> fmt::Result {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    // Only ASCII digits were written.
    w.write_str(core::str::from_utf8(&buf[i..]).map_err(|_| fmt::Error)?)
}

/// Writes an address as tcpdump does (dotted quad; RFC 5952 text for IPv6).
pub fn write_addr<W: Write>(w: &mut W, a: &IpAddr) -> fmt::Result {
    match a {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            for (i, b) in o.iter().enumerate() {
                if i > 0 {
                    w.write_char('.')?;
                }
                write_decimal(w, u64::from(*b))?;
            }
            Ok(())
        }
        IpAddr::V6(v6) => write!(w, "{v6}"),
    }
}

/// Writes tcpdump's flag letters (`S.`, `P.`, `FP.`, `SEWe`, or `none`), in
/// tcpdump's order: F S R P . U E W e (`e` is the AE bit, RFC 9768).
pub fn write_flags<W: Write>(w: &mut W, flags: TcpFlags) -> fmt::Result {
    const LETTERS: [(u16, char); 9] = [
        (TcpFlags::FIN, 'F'),
        (TcpFlags::SYN, 'S'),
        (TcpFlags::RST, 'R'),
        (TcpFlags::PSH, 'P'),
        (TcpFlags::ACK, '.'),
        (TcpFlags::URG, 'U'),
        (TcpFlags::ECE, 'E'),
        (TcpFlags::CWR, 'W'),
        (TcpFlags::AE, 'e'),
    ];
    let mut any = false;
    for (bit, c) in LETTERS {
        if flags.0 & bit != 0 {
            w.write_char(c)?;
            any = true;
        }
    }
    if !any {
        w.write_str("none")?;
    }
    Ok(())
}

/// Writes the flag letters into a small stack buffer and returns them
/// (for JSON and other non-`fmt` writers).
pub fn flag_letters(flags: TcpFlags) -> FlagLetters {
    let mut out = FlagLetters {
        buf: [0; 9],
        len: 0,
    };
    // Writing to FlagLetters cannot fail: at most 9 letters or "none".
    let _ = write_flags(&mut out, flags);
    out
}

/// Up to nine flag letters, on the stack (see [`flag_letters`]).
#[derive(Debug, Clone, Copy)]
pub struct FlagLetters {
    buf: [u8; 9],
    len: usize,
}

impl FlagLetters {
    /// The letters.
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl Write for FlagLetters {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len + s.len();
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

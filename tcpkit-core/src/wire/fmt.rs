//! Plain formatting of wire values that every output shares (the tcpdump
//! line, JSON, Arrow strings): decimal numbers, addresses, flag letters.
//! No allocation.

use super::TcpFlags;
use core::fmt::{self, Write};
use std::net::IpAddr;

/// The numbers 0000 to 9999, four zero-padded digits each, back to back:
/// a decimal number is written as slices of it, without checking digits.
static DIGITS4_BYTES: [u8; 40_000] = {
    let mut t = [0u8; 40_000];
    let mut i = 0;
    while i < 10_000 {
        t[4 * i] = b'0' + (i / 1000) as u8;
        t[4 * i + 1] = b'0' + (i / 100 % 10) as u8;
        t[4 * i + 2] = b'0' + (i / 10 % 10) as u8;
        t[4 * i + 3] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};
static DIGITS4: &str = match core::str::from_utf8(&DIGITS4_BYTES) {
    Ok(s) => s,
    Err(_) => "",
};

/// The last `width` (1..=4) digits of `v` (< 10,000), zero-padded.
fn digits4(v: u64, width: usize) -> Result<&'static str, fmt::Error> {
    let end = 4 * (v as usize % 10_000) + 4;
    DIGITS4.get(end - width..end).ok_or(fmt::Error)
}

/// Writes `v` in decimal (no `Formatter` padding machinery and no UTF-8
/// check: this is the hot path of a 3.8 M-line output): one `write_str`
/// per four digits.
pub fn write_decimal<W: Write>(w: &mut W, v: u64) -> fmt::Result {
    if v < 10_000 {
        let width = match v {
            0..=9 => 1,
            10..=99 => 2,
            100..=999 => 3,
            _ => 4,
        };
        return w.write_str(digits4(v, width)?);
    }
    write_decimal(w, v / 10_000)?;
    w.write_str(digits4(v % 10_000, 4)?)
}

/// Writes `v` (< 10^9) as exactly nine digits, zero-padded (the fraction of
/// a time in nanoseconds).
pub fn write_nine_digits<W: Write>(w: &mut W, v: u64) -> fmt::Result {
    w.write_str(digits4(v / 100_000_000, 1)?)?;
    w.write_str(digits4(v / 10_000, 4)?)?;
    w.write_str(digits4(v, 4)?)
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

#[cfg(test)]
mod tests {
    use super::{write_decimal, write_nine_digits};

    fn dec(v: u64) -> String {
        let mut s = String::new();
        write_decimal(&mut s, v).unwrap();
        s
    }

    #[test]
    fn decimal_at_every_four_digit_boundary() {
        // The expected text is the number's own decimal notation.
        for v in [
            0,
            7,
            9,
            10,
            99,
            100,
            999,
            1000,
            9999,
            10_000,
            10_001,
            100_020_003,
        ] {
            assert_eq!(dec(v), v.to_string());
        }
        assert_eq!(dec(u64::MAX), "18446744073709551615");
    }

    #[test]
    fn nine_digits_zero_padded() {
        let mut s = String::new();
        write_nine_digits(&mut s, 5).unwrap();
        s.push(' ');
        write_nine_digits(&mut s, 123_456_789).unwrap();
        s.push(' ');
        write_nine_digits(&mut s, 100_000_000).unwrap();
        assert_eq!(s, "000000005 123456789 100000000");
    }
}

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
/// per four digits, highest first, without recursion.
#[inline]
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
    write_groups(w, v)
}

/// [`write_decimal`] of `v` >= 10,000: the leading group, then groups of
/// four digits (divisions by constants: multiplications).
fn write_groups<W: Write>(w: &mut W, v: u64) -> fmt::Result {
    const E4: u64 = 10_000;
    const E8: u64 = E4 * E4;
    const E12: u64 = E8 * E4;
    const E16: u64 = E12 * E4;
    // u64::MAX < 10^20: the leading group has at most four digits.
    let lead = |w: &mut W, g: u64| {
        let width = match g {
            0..=9 => 1,
            10..=99 => 2,
            100..=999 => 3,
            _ => 4,
        };
        w.write_str(digits4(g, width)?)
    };
    let group = |w: &mut W, g: u64| w.write_str(digits4(g % E4, 4)?);
    match v {
        0..E8 => lead(w, v / E4)?,
        E8..E12 => {
            lead(w, v / E8)?;
            group(w, v / E4)?;
        }
        E12..E16 => {
            lead(w, v / E12)?;
            group(w, v / E8)?;
            group(w, v / E4)?;
        }
        _ => {
            lead(w, v / E16)?;
            group(w, v / E12)?;
            group(w, v / E8)?;
            group(w, v / E4)?;
        }
    }
    group(w, v)
}

/// Writes `v` (< 10^9) as exactly nine digits, zero-padded (the fraction of
/// a time in nanoseconds).
#[inline]
pub fn write_nine_digits<W: Write>(w: &mut W, v: u64) -> fmt::Result {
    w.write_str(digits4(v / 100_000_000, 1)?)?;
    w.write_str(digits4(v / 10_000, 4)?)?;
    w.write_str(digits4(v, 4)?)
}

/// A reusable output buffer for lines of text and JSON: a [`Write`] whose
/// `write_str` copies short pieces (a key, a group of four digits) inline
/// instead of calling `memcpy` (the JSON writers make thousands of such
/// writes per connection). Cleared between lines, it keeps its memory.
#[derive(Debug, Clone, Default)]
pub struct LineBuf {
    /// Zero-filled storage; `len` bytes of it are written, and at least
    /// [`LineBuf::SLACK`] bytes beyond them exist after each write.
    buf: Vec<u8>,
    len: usize,
}

impl LineBuf {
    /// Bytes always available beyond the written ones.
    const SLACK: usize = 32;

    /// An empty buffer with room for `n` bytes.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: vec![0; n + Self::SLACK],
            len: 0,
        }
    }

    /// Forgets what was written (keeps the memory).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// The bytes written (UTF-8: only `str`s and `char`s are written).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Bytes written.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Nothing written.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends `s`.
    #[inline]
    pub(crate) fn put_str(&mut self, s: &str) {
        self.put(s.as_bytes());
    }

    /// Appends `v` in decimal ([`write_decimal`]'s digits): groups of four
    /// digits from the table, lowest first, into a stack buffer, then one copy.
    #[inline]
    pub(crate) fn put_decimal(&mut self, v: u64) {
        let width = |g: u64| match g {
            0..=9 => 1,
            10..=99 => 2,
            100..=999 => 3,
            _ => 4,
        };
        let group = |g: u64| {
            let at = 4 * (g % 10_000) as usize;
            DIGITS4_BYTES
                .get(at..at + 4)
                .and_then(|d| d.first_chunk::<4>())
                .copied()
                .unwrap_or_default()
        };
        if v < 10_000 {
            let g = group(v);
            self.put(g.get(4 - width(v)..).unwrap_or_default());
            return;
        }
        // u64::MAX has 20 digits: at most four full groups and a lead of four.
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        let mut v = v;
        while v >= 10_000 {
            i -= 4;
            if let Some(d) = tmp.get_mut(i..i + 4) {
                d.copy_from_slice(&group(v));
            }
            v /= 10_000;
        }
        if let Some(d) = tmp.get_mut(i - 4..i) {
            d.copy_from_slice(&group(v));
        }
        self.put(tmp.get(i - width(v)..).unwrap_or_default());
    }

    /// Appends `v` (< 10^9) as exactly nine digits ([`write_nine_digits`]).
    #[inline]
    pub(crate) fn put_nine_digits(&mut self, v: u64) {
        let group = |g: u64| {
            let at = 4 * (g % 10_000) as usize;
            DIGITS4_BYTES
                .get(at..at + 4)
                .and_then(|d| d.first_chunk::<4>())
                .copied()
                .unwrap_or_default()
        };
        let mut tmp = [0u8; 12];
        if let Some((a, rest)) = tmp.split_first_chunk_mut::<4>()
            && let Some((b, c)) = rest.split_first_chunk_mut::<4>()
            && let Some(c) = c.first_chunk_mut::<4>()
        {
            *a = group(v / 100_000_000 % 10);
            *b = group(v / 10_000);
            *c = group(v);
        }
        self.put(tmp.get(3..).unwrap_or_default());
    }

    /// Appends the first `n` bytes of `block` (`n` <= 32) with one copy of
    /// the whole block: the bytes after the first `n` land in the slack and
    /// are overwritten by the next write.
    #[inline]
    pub(crate) fn put_block(&mut self, block: &[u8; 32], n: usize) {
        let n = n.min(block.len());
        if self.len + n + Self::SLACK > self.buf.len() {
            self.grow(n);
        }
        if let Some(dst) = self
            .buf
            .get_mut(self.len..)
            .and_then(|d| d.first_chunk_mut::<32>())
        {
            *dst = *block;
            self.len += n;
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        let want = (self.len + n + Self::SLACK).max(self.buf.len() * 2);
        self.buf.resize(want, 0);
    }

    /// Appends `s`: pieces up to 32 bytes as two overlapping fixed-size
    /// copies (what `memcpy` does inside, without the call).
    #[inline]
    fn put(&mut self, s: &[u8]) {
        let n = s.len();
        if self.len + n + Self::SLACK > self.buf.len() {
            self.grow(n);
        }
        let Some(dst) = self.buf.get_mut(self.len..self.len + n) else {
            return;
        };
        match n {
            0 => {}
            1..=3 => {
                dst[0] = s[0];
                dst[n / 2] = s[n / 2];
                dst[n - 1] = s[n - 1];
            }
            4..=8 => {
                copy_pair::<4>(dst, s);
            }
            9..=16 => {
                copy_pair::<8>(dst, s);
            }
            17..=32 => {
                copy_pair::<16>(dst, s);
            }
            _ => dst.copy_from_slice(s),
        }
        self.len += n;
    }
}

/// Copies `s` (`N` to `2N` bytes, as long as `dst`) as its first and its
/// last `N` bytes.
#[inline(always)]
fn copy_pair<const N: usize>(dst: &mut [u8], s: &[u8]) {
    let n = s.len();
    if let (Some(d), Some(h)) = (dst.first_chunk_mut::<N>(), s.first_chunk::<N>()) {
        *d = *h;
    }
    if let (Some(d), Some(t)) = (
        dst.get_mut(n - N..).and_then(|d| d.first_chunk_mut::<N>()),
        s.last_chunk::<N>(),
    ) {
        *d = *t;
    }
}

impl Write for LineBuf {
    #[inline]
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.put(s.as_bytes());
        Ok(())
    }

    #[inline]
    fn write_char(&mut self, c: char) -> fmt::Result {
        if c.is_ascii() {
            if self.len + 1 + Self::SLACK > self.buf.len() {
                self.grow(1);
            }
            if let Some(b) = self.buf.get_mut(self.len) {
                *b = c as u8;
                self.len += 1;
            }
            Ok(())
        } else {
            self.put(c.encode_utf8(&mut [0; 4]).as_bytes());
            Ok(())
        }
    }
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
    let mut out = FlagLetters::default();
    // Writing to FlagLetters cannot fail: at most 9 letters or "none".
    let _ = write_flags(&mut out, flags);
    out
}

/// Writes an address as [`write_addr`] does into a small stack buffer and
/// returns it (for a writer that takes a whole value at once, as an Arrow
/// string column).
pub fn addr_text(a: &IpAddr) -> AddrText {
    let mut out = AddrText::default();
    // Cannot fail: an IPv6 address is at most 45 characters.
    let _ = write_addr(&mut out, a);
    out
}

/// Up to nine flag letters, on the stack (see [`flag_letters`]).
pub type FlagLetters = StackText<9>;

/// An IP address as text, on the stack (see [`addr_text`]).
pub type AddrText = StackText<45>;

/// Up to `N` bytes of text on the stack; writing more fails.
#[derive(Debug, Clone, Copy)]
pub struct StackText<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for StackText<N> {
    fn default() -> Self {
        Self {
            buf: [0; N],
            len: 0,
        }
    }
}

impl<const N: usize> StackText<N> {
    /// The text.
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl<const N: usize> Write for StackText<N> {
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
    use super::{LineBuf, write_decimal, write_nine_digits};
    use core::fmt::Write;

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

    #[test]
    fn line_buf_keeps_every_piece_of_every_length() {
        // Pieces of 0 to 80 bytes (each copy path: 1-3, 4-8, 9-16, 17-32,
        // longer) and chars of 1 to 4 bytes, from a small start so that it
        // grows: the bytes are those a String gets.
        let mut b = LineBuf::with_capacity(1);
        let mut s = String::new();
        let text: String = ('a'..='z').cycle().take(80).collect();
        for round in 0..3 {
            b.clear();
            s.clear();
            for n in 0..=80 {
                let piece = &text[n % 7..n % 7 + n.min(73)];
                b.write_str(piece).unwrap();
                s.push_str(piece);
                for c in ['x', 'é', '€', '🦀'] {
                    b.write_char(c).unwrap();
                    s.push(c);
                }
            }
            assert_eq!(b.as_bytes(), s.as_bytes(), "round {round}");
            assert_eq!(b.len(), s.len());
        }
        b.clear();
        assert!(b.is_empty());
    }

    #[test]
    fn decimal_of_every_length() {
        // 10^k - 1, 10^k and 10^k + 1 for every k: each group count and width.
        let mut v = 1u64;
        for _ in 0..19 {
            for x in [v - 1, v, v + 1, v * 7 + 3] {
                assert_eq!(dec(x), x.to_string());
            }
            v *= 10;
        }
    }

    #[test]
    fn line_buf_numbers_as_the_writers() {
        // The expected text is the number's own decimal notation.
        let mut b = LineBuf::with_capacity(8);
        let mut v = 1u64;
        for _ in 0..20 {
            for x in [v - 1, v, v + 1, v.wrapping_mul(7) / 3, u64::MAX] {
                b.clear();
                b.put_decimal(x);
                assert_eq!(b.as_bytes(), x.to_string().as_bytes());
            }
            v = v.saturating_mul(10);
        }
        for x in [0, 5, 99_999, 123_456_789, 999_999_999] {
            b.clear();
            b.put_nine_digits(x);
            assert_eq!(b.as_bytes(), format!("{x:09}").as_bytes());
        }
    }
}

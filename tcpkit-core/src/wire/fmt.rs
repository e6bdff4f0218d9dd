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
    /// Zero-filled storage; `len` bytes of it are written. Each write makes
    /// sure of room for a fixed-size copy (see [`LineBuf::room`]).
    buf: Vec<u8>,
    len: usize,
}

impl LineBuf {
    /// Spare bytes of a new buffer and of each growth.
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
    #[inline(always)]
    pub(crate) fn put_str(&mut self, s: &str) {
        self.put(s.as_bytes());
    }

    /// Appends the byte `b` (ASCII).
    #[inline(always)]
    pub(crate) fn put_byte(&mut self, b: u8) {
        self.write_fixed::<1>(|[d]| {
            *d = b;
            1
        });
    }

    /// Replaces the written byte at `at` with `b` (ASCII, as the one it
    /// replaces); false if nothing is written there.
    #[inline(always)]
    pub(crate) fn overwrite(&mut self, at: usize, b: u8) -> bool {
        match self.buf.get_mut(at) {
            Some(d) if at < self.len => {
                *d = b;
                true
            }
            _ => false,
        }
    }

    /// Writes with `f` into the `N` bytes after the written ones (growing
    /// first if needed), then counts the bytes `f` returns it wrote (at most
    /// `N`: the others are overwritten by the next write). The test of room
    /// is the slicing's own, and the growth is out of line.
    #[inline(always)]
    fn write_fixed<const N: usize>(&mut self, f: impl FnOnce(&mut [u8; N]) -> usize) {
        let end = self.len.wrapping_add(N);
        match self
            .buf
            .get_mut(self.len..end)
            .and_then(|d| d.first_chunk_mut::<N>())
        {
            Some(dst) => self.len += f(dst),
            None => self.grow_then_write(f),
        }
    }

    /// The `N` bytes after the written ones, if there is room (else
    /// [`LineBuf::reserve`] first), to write into before
    /// [`LineBuf::advance`]: bytes past those counted are overwritten by
    /// the next write.
    #[inline(always)]
    pub(crate) fn room<const N: usize>(&mut self) -> Option<&mut [u8; N]> {
        self.buf
            .get_mut(self.len..self.len.wrapping_add(N))
            .and_then(|d| d.first_chunk_mut::<N>())
    }

    /// Makes room for `n` more bytes.
    #[cold]
    #[inline(never)]
    pub(crate) fn reserve(&mut self, n: usize) {
        self.grow(n);
    }

    /// Counts `n` more bytes as written (written with [`LineBuf::spare`]).
    #[inline(always)]
    pub(crate) fn advance(&mut self, n: usize) {
        self.len += n;
    }

    /// [`LineBuf::write_fixed`] when the buffer must grow first.
    #[cold]
    #[inline(never)]
    fn grow_then_write<const N: usize>(&mut self, f: impl FnOnce(&mut [u8; N]) -> usize) {
        self.grow(N);
        if let Some(dst) = self
            .buf
            .get_mut(self.len..)
            .and_then(|d| d.first_chunk_mut::<N>())
        {
            self.len += f(dst);
        }
    }

    #[cold]
    #[inline(never)]
    fn grow(&mut self, n: usize) {
        let want = (self.len + n + Self::SLACK).max(self.buf.len() * 2);
        self.buf.resize(want, 0);
    }

    /// Appends `s` ([`copy_short`]; the growth is out of line).
    #[inline(always)]
    fn put(&mut self, s: &[u8]) {
        let end = self.len.wrapping_add(s.len());
        match self.buf.get_mut(self.len..end) {
            Some(dst) => {
                copy_short(dst, s);
                self.len += s.len();
            }
            None => self.grow_then_put(s),
        }
    }

    /// [`LineBuf::put`] when the buffer must grow first.
    #[cold]
    #[inline(never)]
    fn grow_then_put(&mut self, s: &[u8]) {
        self.grow(s.len());
        if let Some(dst) = self
            .buf
            .get_mut(self.len..)
            .and_then(|d| d.get_mut(..s.len()))
        {
            dst.copy_from_slice(s);
            self.len += s.len();
        }
    }
}

/// Copies `s` into `dst` (as long): pieces up to 32 bytes as two
/// overlapping fixed-size copies (what `memcpy` does inside, without the
/// call).
#[inline(always)]
pub(crate) fn copy_short(dst: &mut [u8], s: &[u8]) {
    let n = s.len();
    match n {
        0 => {}
        1..=3 => {
            dst[0] = s[0];
            dst[n / 2] = s[n / 2];
            dst[n - 1] = s[n - 1];
        }
        4..=8 => copy_pair::<4>(dst, s),
        9..=16 => copy_pair::<8>(dst, s),
        17..=32 => copy_pair::<16>(dst, s),
        _ => dst.copy_from_slice(s),
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

/// Writes `v` in decimal ([`write_decimal`]'s digits) at the start of
/// `dst` and returns how many digits: below 10,000 (most values) as one
/// four-byte store, else [`long_decimal_text`]. The bytes after the digits
/// are scratch.
#[inline(always)]
pub(crate) fn decimal_text(v: u64, dst: &mut [u8; 24]) -> usize {
    if v >= 10_000 {
        return long_decimal_text(v, dst);
    }
    let (digits, width) = short_digits(v);
    if let Some(d) = dst.first_chunk_mut::<4>() {
        *d = digits.to_le_bytes();
    }
    width
}

/// [`decimal_text`] of `v` >= 10,000 with at most three eight-byte stores:
/// the leading digits (up to eight), then eight more per further 10^8, each
/// a word from [`eight_digits`].
#[inline(never)]
pub(crate) fn long_decimal_text(v: u64, dst: &mut [u8; 24]) -> usize {
    const E8: u64 = 100_000_000;
    const E16: u64 = E8 * E8;
    // u64::MAX < 1.9 * 10^19: a lead of at most four digits above 10^16.
    let (lead, words) = match v {
        0..E8 => (v, 0),
        E8..E16 => (v / E8, 1),
        _ => (v / E16, 2),
    };
    // The lead's leading '0's are the low bytes of its word; the lead is
    // not 0 (v >= 10,000), so at least one byte is another digit.
    let lead = eight_digits(lead);
    let zeros = ((lead ^ ZEROS8).trailing_zeros() / 8) as usize;
    let n = 8 - zeros.min(7);
    put_word(dst, 0, lead >> (8 * zeros.min(7)));
    if words == 2 {
        put_word(dst, n, eight_digits(v / E8 % E8));
    }
    if words > 0 {
        put_word(dst, n + 8 * (words - 1), eight_digits(v % E8));
    }
    n + 8 * words
}

/// Writes `v` (< 10^9) as exactly nine digits ([`write_nine_digits`]) at
/// the start of `dst`.
#[inline(always)]
pub(crate) fn nine_digits_text(v: u64, dst: &mut [u8; 9]) {
    dst[0] = b'0' + (v / 100_000_000 % 10) as u8;
    if let Some(d) = dst.last_chunk_mut::<8>() {
        *d = eight_digits(v % 100_000_000).to_le_bytes();
    }
}

/// Four digits of `g` (< 10,000), zero-padded, from [`DIGITS4_BYTES`].
#[inline(always)]
fn group4(g: u64) -> [u8; 4] {
    let at = 4 * (g % 10_000) as usize;
    DIGITS4_BYTES
        .get(at..at + 4)
        .and_then(|d| d.first_chunk::<4>())
        .copied()
        .unwrap_or_default()
}

/// Eight `'0'` bytes as a word.
const ZEROS8: u64 = u64::from_ne_bytes([b'0'; 8]);

/// The digits of `v` (< 10,000) without leading zeros in the low bytes of
/// a little-endian word, and their number (at least one).
#[inline(always)]
fn short_digits(v: u64) -> (u32, usize) {
    let g = u32::from_le_bytes(group4(v));
    // Leading '0's are the low bytes; the last digit (high byte) stays.
    let zeros = ((g ^ 0x3030_3030) | 0xff00_0000).trailing_zeros() / 8;
    (g >> (8 * zeros), 4 - zeros as usize)
}

/// The eight digits of `v` (< 10^8), zero-padded, as a little-endian word:
/// the first digit in the lowest byte.
#[inline(always)]
fn eight_digits(v: u64) -> u64 {
    let high = u32::from_le_bytes(group4(v / 10_000));
    let low = u32::from_le_bytes(group4(v % 10_000));
    u64::from(high) | u64::from(low) << 32
}

/// Stores the eight bytes of `word` (little-endian) at `dst[at..]`.
#[inline(always)]
fn put_word<const N: usize>(dst: &mut [u8; N], at: usize, word: u64) {
    if let Some(d) = dst.get_mut(at..).and_then(|d| d.first_chunk_mut::<8>()) {
        *d = word.to_le_bytes();
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
            self.put_byte(c as u8);
            Ok(())
        } else {
            self.put(c.encode_utf8(&mut [0; 4]).as_bytes());
            Ok(())
        }
    }
}

/// The digits of each octet value followed by a dot, as a little-endian
/// word (the bytes after the dot, if any, are zero).
static OCTET_DOT: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let (mut word, mut at) = (0u32, 0);
        if i >= 100 {
            word |= (b'0' as u32 + (i / 100) as u32) << (8 * at);
            at += 1;
        }
        if i >= 10 {
            word |= (b'0' as u32 + (i / 10 % 10) as u32) << (8 * at);
            at += 1;
        }
        word |= (b'0' as u32 + (i % 10) as u32) << (8 * at);
        word |= (b'.' as u32) << (8 * (at + 1));
        t[i] = word;
        i += 1;
    }
    t
};

/// Writes `a.b.c.d` (as [`write_addr`]) at the start of `dst`, each
/// octet's digits and its dot as one four-byte store from [`OCTET_DOT`];
/// returns its length (the last dot, after it, is scratch).
#[inline]
pub(crate) fn ipv4_text(octets: [u8; 4], dst: &mut [u8; 16]) -> usize {
    let mut at = 0;
    for o in octets {
        let word = OCTET_DOT.get(usize::from(o)).copied().unwrap_or_default();
        if let Some(d) = dst.get_mut(at..).and_then(|d| d.first_chunk_mut::<4>()) {
            *d = word.to_le_bytes();
        }
        at += 2 + usize::from(o >= 10) + usize::from(o >= 100);
    }
    at - 1
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

/// tcpdump's flag letters in tcpdump's order: F S R P . U E W e (`e` is
/// the AE bit, RFC 9768).
const LETTERS: [(u16, u8); 9] = [
    (TcpFlags::FIN, b'F'),
    (TcpFlags::SYN, b'S'),
    (TcpFlags::RST, b'R'),
    (TcpFlags::PSH, b'P'),
    (TcpFlags::ACK, b'.'),
    (TcpFlags::URG, b'U'),
    (TcpFlags::ECE, b'E'),
    (TcpFlags::CWR, b'W'),
    (TcpFlags::AE, b'e'),
];

/// The letters of each of the 512 combinations of the nine flag bits, in
/// [`LETTERS`] order (`none` for no bit), space-padded to nine bytes each.
static FLAG_TEXT_BYTES: [u8; 512 * 9] = {
    let mut t = [b' '; 512 * 9];
    let mut bits = 0;
    while bits < 512 {
        let mut n = 0;
        let mut i = 0;
        while i < LETTERS.len() {
            if bits & LETTERS[i].0 != 0 {
                t[bits as usize * 9 + n] = LETTERS[i].1;
                n += 1;
            }
            i += 1;
        }
        if n == 0 {
            let none = b"none";
            while n < none.len() {
                t[bits as usize * 9 + n] = none[n];
                n += 1;
            }
        }
        bits += 1;
    }
    t
};
static FLAG_TEXT: &str = match core::str::from_utf8(&FLAG_TEXT_BYTES) {
    Ok(s) => s,
    Err(_) => "",
};

/// The length of each entry of [`FLAG_TEXT`] (its letters, without padding).
static FLAG_LENS: [u8; 512] = {
    let mut t = [0u8; 512];
    let mut bits = 0;
    while bits < 512 {
        let mut i = 0;
        while i < 9 && FLAG_TEXT_BYTES[bits * 9 + i] != b' ' {
            i += 1;
        }
        t[bits] = i as u8;
        bits += 1;
    }
    t
};

/// Writes tcpdump's flag letters (`S.`, `P.`, `FP.`, `SEWe`, or `none`), in
/// tcpdump's order: F S R P . U E W e (`e` is the AE bit, RFC 9768).
pub fn write_flags<W: Write>(w: &mut W, flags: TcpFlags) -> fmt::Result {
    w.write_str(flag_letters(flags).as_str())
}

/// The flag letters of `flags` as [`write_flags`] writes them (for JSON and
/// other non-`fmt` writers): a slice of a table built at compile time.
#[inline]
pub fn flag_letters(flags: TcpFlags) -> FlagLetters {
    let bits = usize::from(flags.0 & 0x1ff);
    let len = FLAG_LENS.get(bits).copied().map_or(0, usize::from);
    FlagLetters {
        text: FLAG_TEXT.get(bits * 9..bits * 9 + len).unwrap_or_default(),
    }
}

/// Up to nine flag letters (see [`flag_letters`]).
#[derive(Debug, Clone, Copy)]
pub struct FlagLetters {
    text: &'static str,
}

impl FlagLetters {
    /// The letters.
    pub fn as_str(&self) -> &'static str {
        self.text
    }
}

/// Writes an address as [`write_addr`] does into a small stack buffer and
/// returns it (for a writer that takes a whole value at once, as an Arrow
/// string column).
pub fn addr_text(a: &IpAddr) -> AddrText {
    let mut out = AddrText {
        buf: [0; 45],
        len: 0,
    };
    match a {
        IpAddr::V4(v4) => {
            if let Some(dst) = out.buf.first_chunk_mut::<16>() {
                out.len = ipv4_text(v4.octets(), dst);
            }
        }
        // Cannot fail: an IPv6 address is at most 45 characters.
        IpAddr::V6(_) => {
            let _ = write_addr(&mut out, a);
        }
    }
    out
}

/// An IP address as text, on the stack (see [`addr_text`]).
#[derive(Debug, Clone, Copy)]
pub struct AddrText {
    buf: [u8; 45],
    len: usize,
}

impl AddrText {
    /// The text's bytes (ASCII).
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        self.buf
            .get(..self.len)
            .and_then(|b| core::str::from_utf8(b).ok())
            .unwrap_or("")
    }
}

impl Write for AddrText {
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
    use super::{
        LineBuf, TcpFlags, decimal_text, flag_letters, ipv4_text, nine_digits_text, write_decimal,
        write_flags, write_nine_digits,
    };
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
    fn ipv4_as_std_prints_it() {
        // Every octet value in every position, next to 1- and 3-digit ones:
        // std's Display of the address is the oracle.
        let mut text = [0u8; 16];
        for at in 0..4 {
            for v in 0..=255u8 {
                for other in [0u8, 7, 255] {
                    let mut o = [other; 4];
                    o[at] = v;
                    let n = ipv4_text(o, &mut text);
                    let expected = std::net::Ipv4Addr::from(o).to_string();
                    assert_eq!(&text[..n], expected.as_bytes());
                }
            }
        }
    }

    #[test]
    fn flag_letters_of_every_combination() {
        // The oracle: each set bit's letter in tcpdump's order, `none` for none.
        let order = [
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
        for bits in 0..=0xfffu16 {
            let mut expected: String = order
                .iter()
                .filter(|(bit, _)| bits & bit != 0)
                .map(|&(_, c)| c)
                .collect();
            if expected.is_empty() {
                expected = "none".into();
            }
            assert_eq!(flag_letters(TcpFlags(bits)).as_str(), expected, "{bits:#x}");
            let mut w = String::new();
            write_flags(&mut w, TcpFlags(bits)).unwrap();
            assert_eq!(w, expected);
        }
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
    fn number_texts_as_the_writers() {
        // The expected text is the number's own decimal notation.
        let mut text = [0u8; 24];
        let mut v = 1u64;
        for _ in 0..20 {
            for x in [v - 1, v, v + 1, v.wrapping_mul(7) / 3, u64::MAX] {
                let n = decimal_text(x, &mut text);
                assert_eq!(&text[..n], x.to_string().as_bytes());
            }
            v = v.saturating_mul(10);
        }
        let mut nine = [0u8; 9];
        for x in [0, 5, 99_999, 123_456_789, 999_999_999] {
            nine_digits_text(x, &mut nine);
            assert_eq!(&nine, format!("{x:09}").as_bytes());
        }
    }
}

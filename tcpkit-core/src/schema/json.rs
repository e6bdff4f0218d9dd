//! JSON from the column declarations: one object per row, written into any
//! [`fmt::Write`] (or, faster, a [`LineBuf`]) with no allocation.
//!
//! Keys come from the [`Field`] names, values are written by their declared
//! [`Type`] (see the [module doc](super)): no spaces, fields in visiting order.

use super::{Field, KEY_BLOCK, Sink, Type};
use crate::analysis::SegmentFacts;
use crate::wire::{LineBuf, Segment, write_decimal, write_nine_digits};
use std::fmt::{self, Write};
use std::net::IpAddr;

/// How deep rows nest (row, list, struct, list, tuple: 5 for a SACK block edge).
const MAX_DEPTH: usize = 8;

/// Where a [`JsonSink`] writes: a [`LineBuf`] (the fast path of the CLI's
/// writers: numbers are formatted straight into it), or any [`fmt::Write`]
/// through [`FmtOut`].
pub trait JsonOut {
    /// Appends `s`.
    fn put(&mut self, s: &str);
    /// Appends the key of `f` with its comma (`,"name":`).
    #[inline]
    fn put_key(&mut self, f: &Field) {
        self.put(f.json_key);
    }
    /// Appends `v` in decimal.
    fn put_u64(&mut self, v: u64);
    /// Appends `v` (< 10^9) as nine digits, zero-padded.
    fn put_nine(&mut self, v: u64);
    /// Appends the dotted quad of an IPv4 address.
    fn put_ipv4(&mut self, octets: [u8; 4]) {
        for (i, o) in octets.into_iter().enumerate() {
            if i > 0 {
                self.put(".");
            }
            self.put_u64(u64::from(o));
        }
    }
    /// Anything else (a float): through [`fmt::Write`].
    fn put_fmt(&mut self, args: fmt::Arguments<'_>);
    /// Opens an object or an array (`open` is `{` or `[`) and returns its
    /// mark for [`JsonOut::close`]. Each value inside comes with a comma
    /// before it (a key's comma, or `,` in an array): the opening takes the
    /// place of the first comma.
    fn open(&mut self, open: u8) -> usize;
    /// Closes the container opened at `mark` by [`JsonOut::open`].
    fn close(&mut self, mark: usize, open: u8, close: u8);
    /// The first write error, if any.
    fn result(&self) -> fmt::Result;
}

impl JsonOut for LineBuf {
    #[inline(always)]
    fn put(&mut self, s: &str) {
        self.put_str(s);
    }
    /// Keys up to 32 bytes as one fixed-size copy of their block.
    #[inline(always)]
    fn put_key(&mut self, f: &Field) {
        if f.json_key.len() <= KEY_BLOCK {
            self.put_block(&f.json_key_block, f.json_key.len());
        } else {
            self.put_str(f.json_key);
        }
    }
    #[inline(always)]
    fn put_u64(&mut self, v: u64) {
        self.put_decimal(v);
    }
    #[inline(always)]
    fn put_nine(&mut self, v: u64) {
        self.put_nine_digits(v);
    }
    #[inline(always)]
    fn put_ipv4(&mut self, octets: [u8; 4]) {
        LineBuf::put_ipv4(self, octets);
    }
    fn put_fmt(&mut self, args: fmt::Arguments<'_>) {
        // Writing into a LineBuf cannot fail.
        let _ = self.write_fmt(args);
    }
    /// Writes nothing: the first value's comma is overwritten at the close.
    #[inline(always)]
    fn open(&mut self, _open: u8) -> usize {
        self.len()
    }
    #[inline(always)]
    fn close(&mut self, mark: usize, open: u8, close: u8) {
        // The first value's comma, if there is a value.
        if !self.overwrite(mark, open) {
            self.put_byte(open);
        }
        self.put_byte(close);
    }
    fn result(&self) -> fmt::Result {
        Ok(())
    }
}

/// A [`fmt::Write`] as a [`JsonOut`]: keeps the first error and writes
/// nothing after it.
#[derive(Debug)]
pub struct FmtOut<'w, W: Write> {
    w: &'w mut W,
    result: fmt::Result,
    /// An opened container's `{` or `[`, written with its first value (in
    /// the place of that value's comma) or at its close.
    pending: Option<u8>,
}

impl<'w, W: Write> FmtOut<'w, W> {
    /// Writes into `w`.
    pub fn new(w: &'w mut W) -> Self {
        Self {
            w,
            result: Ok(()),
            pending: None,
        }
    }

    /// Writes the pending opening, if any: true if there was one.
    fn flush_open(&mut self) -> bool {
        let Some(open) = self.pending.take() else {
            return false;
        };
        if self.result.is_ok() {
            self.result = self.w.write_char(char::from(open));
        }
        true
    }
}

impl<W: Write> JsonOut for FmtOut<'_, W> {
    fn put(&mut self, s: &str) {
        // The first piece after an opening starts with the comma it replaces.
        let s = if self.flush_open() {
            s.strip_prefix(',').unwrap_or(s)
        } else {
            s
        };
        if self.result.is_ok() {
            self.result = self.w.write_str(s);
        }
    }
    fn put_u64(&mut self, v: u64) {
        self.flush_open();
        if self.result.is_ok() {
            self.result = write_decimal(self.w, v);
        }
    }
    fn put_nine(&mut self, v: u64) {
        self.flush_open();
        if self.result.is_ok() {
            self.result = write_nine_digits(self.w, v);
        }
    }
    fn put_fmt(&mut self, args: fmt::Arguments<'_>) {
        self.flush_open();
        if self.result.is_ok() {
            self.result = self.w.write_fmt(args);
        }
    }
    fn open(&mut self, open: u8) -> usize {
        self.flush_open();
        self.pending = Some(open);
        0
    }
    fn close(&mut self, _mark: usize, _open: u8, close: u8) {
        self.flush_open();
        if self.result.is_ok() {
            self.result = self.w.write_char(char::from(close));
        }
    }
    fn result(&self) -> fmt::Result {
        self.result
    }
}

/// A [`Sink`] writing JSON into a [`JsonOut`]. The first write error is kept
/// and returned by [`JsonSink::finish`]; nothing more is written after it.
#[derive(Debug)]
pub struct JsonSink<'w, O: JsonOut> {
    w: &'w mut O,
    /// Per open container, one bit (the innermost lowest): does it take keys
    /// (an object)?
    keyed: u32,
    /// Per open container, its mark from [`JsonOut::open`].
    marks: [usize; MAX_DEPTH],
    depth: usize,
    /// Nested deeper than any declared row (a bug, reported as an error).
    too_deep: bool,
}

impl<'w, O: JsonOut> JsonSink<'w, O> {
    /// A sink writing into `w`.
    pub fn new(w: &'w mut O) -> Self {
        Self {
            w,
            keyed: 0,
            marks: [0; MAX_DEPTH],
            depth: 0,
            too_deep: false,
        }
    }

    /// The first write error, if any.
    pub fn finish(self) -> fmt::Result {
        if self.too_deep {
            return Err(fmt::Error);
        }
        self.w.result()
    }

    /// Writes the separator and the key of `f` in the container open now
    /// (the first value's comma becomes the container's opening).
    #[inline(always)]
    fn key(&mut self, f: &Field) {
        if self.depth == 0 {
            return;
        }
        if self.keyed & 1 != 0 {
            self.w.put_key(f);
        } else {
            self.w.put(",");
        }
    }

    /// `ns` as seconds with nine decimals (exact).
    #[inline(always)]
    fn secs(&mut self, ns: u64) {
        self.w.put_u64(ns / 1_000_000_000);
        self.w.put(".");
        self.w.put_nine(ns % 1_000_000_000);
    }
}

/// Does this byte need a JSON escape (a control character, `"` or `\\`)?
#[inline(always)]
fn needs_escape(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// The position of the first byte of `s` that [`needs_escape`]: eight bytes
/// at a time (most strings have none), then byte by byte in the eight that
/// hold it.
#[inline(always)]
fn first_to_escape(s: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // A high bit of the result per byte that is zero (exact as a whole:
    // non-zero if and only if some byte is zero).
    let zero_bytes = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
    let mut chunks = s.chunks_exact(8);
    let mut at = 0;
    for c in chunks.by_ref() {
        let x = u64::from_ne_bytes(c.try_into().unwrap_or_default());
        // Bytes below 0x20: `x - 0x20..` borrows into their high bit (exact
        // for the whole word as for `zero_bytes`, since 0x20 <= 0x80).
        let control = x.wrapping_sub(ONES * 0x20) & !x & HIGHS;
        let quote = zero_bytes(x ^ (ONES * u64::from(b'"')));
        let backslash = zero_bytes(x ^ (ONES * u64::from(b'\\')));
        if control | quote | backslash != 0 {
            return c.iter().position(|&b| needs_escape(b)).map(|i| at + i);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| needs_escape(b))
        .map(|i| at + i)
}

/// Writes hex digits of `bytes` (lowercase).
fn write_hex<O: JsonOut>(w: &mut O, bytes: &[u8]) {
    const HEX: [&str; 16] = [
        "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f",
    ];
    for b in bytes {
        w.put(HEX[usize::from(b >> 4)]);
        w.put(HEX[usize::from(b & 15)]);
    }
}

/// Writes `s` escaped as the inside of a JSON string (RFC 8259, 7).
fn write_escaped<O: JsonOut>(w: &mut O, s: &str) {
    let mut rest = s;
    while let Some(i) = first_to_escape(rest.as_bytes()) {
        w.put(rest.get(..i).unwrap_or_default());
        let b = rest.as_bytes().get(i).copied().unwrap_or_default();
        match b {
            b'"' => w.put("\\\""),
            b'\\' => w.put("\\\\"),
            b'\n' => w.put("\\n"),
            b'\r' => w.put("\\r"),
            b'\t' => w.put("\\t"),
            _ => w.put_fmt(format_args!("\\u{b:04x}")),
        }
        rest = rest.get(i + 1..).unwrap_or_default();
    }
    w.put(rest);
}

impl<O: JsonOut> Sink for JsonSink<'_, O> {
    #[inline(always)]
    fn null(&mut self, f: &'static Field) {
        self.key(f);
        self.w.put("null");
    }

    #[inline(always)]
    fn bool(&mut self, f: &'static Field, v: bool) {
        self.key(f);
        self.w.put(if v { "true" } else { "false" });
    }

    #[inline(always)]
    fn u64(&mut self, f: &'static Field, v: u64) {
        self.key(f);
        if matches!(f.ty, Type::Duration) {
            self.secs(v);
        } else {
            self.w.put_u64(v);
        }
    }

    #[inline(always)]
    fn i64(&mut self, f: &'static Field, v: i64) {
        self.key(f);
        if v < 0 {
            self.w.put("-");
        }
        if matches!(f.ty, Type::Duration) {
            self.secs(v.unsigned_abs());
        } else {
            self.w.put_u64(v.unsigned_abs());
        }
    }

    #[inline(always)]
    fn f64(&mut self, f: &'static Field, v: f64) {
        // JSON has no NaN or infinity.
        if v.is_finite() {
            self.key(f);
            self.w.put_fmt(format_args!("{v:?}"));
        } else {
            self.null(f);
        }
    }

    #[inline(always)]
    fn str(&mut self, f: &'static Field, v: &str) {
        self.key(f);
        self.w.put("\"");
        // Inline, the scan of a constant name (an option kind) is folded away.
        if first_to_escape(v.as_bytes()).is_some() {
            write_escaped(self.w, v);
        } else {
            self.w.put(v);
        }
        self.w.put("\"");
    }

    #[inline(always)]
    fn addr(&mut self, f: &'static Field, v: &IpAddr) {
        // Digits, hex letters, dots and colons: nothing to escape.
        self.key(f);
        self.w.put("\"");
        match v {
            IpAddr::V4(a) => self.w.put_ipv4(a.octets()),
            IpAddr::V6(_) => self.w.put_fmt(format_args!("{v}")),
        }
        self.w.put("\"");
    }

    #[inline(always)]
    fn bytes(&mut self, f: &'static Field, v: &[u8]) {
        self.key(f);
        self.w.put("\"");
        write_hex(self.w, v);
        self.w.put("\"");
    }

    #[inline(always)]
    fn begin(&mut self, f: &'static Field) {
        let keyed = matches!(f.ty, Type::Struct(_));
        self.key(f);
        let mark = self.w.open(if keyed { b'{' } else { b'[' });
        if let Some(slot) = self.marks.get_mut(self.depth) {
            *slot = mark;
            self.keyed = self.keyed << 1 | u32::from(keyed);
            self.depth += 1;
        } else {
            self.too_deep = true;
        }
    }

    #[inline(always)]
    fn end(&mut self) {
        let Some(d) = self.depth.checked_sub(1) else {
            return;
        };
        self.depth = d;
        let keyed = self.keyed & 1 != 0;
        self.keyed >>= 1;
        let mark = self.marks.get(d).copied().unwrap_or_default();
        if keyed {
            self.w.close(mark, b'{', b'}');
        } else {
            self.w.close(mark, b'[', b']');
        }
    }
}

/// Writes the JSON object of one segment row ([`super::segment`]), as
/// `tcpkit segments --json` prints it (without the newline).
pub fn write_segment<W: Write>(
    w: &mut W,
    frame: u64,
    ts_ns: i64,
    seg: &Segment<'_>,
    facts: &SegmentFacts,
) -> fmt::Result {
    write_segment_to(&mut FmtOut::new(w), frame, ts_ns, seg, facts)
}

/// [`write_segment`] into a [`JsonOut`] (a [`LineBuf`]: the fast path).
pub fn write_segment_to<O: JsonOut>(
    w: &mut O,
    frame: u64,
    ts_ns: i64,
    seg: &Segment<'_>,
    facts: &SegmentFacts,
) -> fmt::Result {
    let mut s = JsonSink::new(w);
    super::segment::visit(&mut s, frame, ts_ns, seg, facts);
    s.finish()
}

/// Writes the JSON object of one connection row ([`super::connection`]), as
/// `tcpkit flows --json` prints it (without the newline).
pub fn write_connection<W: Write>(w: &mut W, conn: &super::connection::Record) -> fmt::Result {
    write_connection_to(&mut FmtOut::new(w), conn)
}

/// [`write_connection`] into a [`JsonOut`] (a [`LineBuf`]: the fast path).
pub fn write_connection_to<O: JsonOut>(w: &mut O, conn: &super::connection::Record) -> fmt::Result {
    let mut s = JsonSink::new(w);
    super::connection::visit(&mut s, conn);
    s.finish()
}

/// Writes the JSON object of the capture-wide report ([`super::report`]), as
/// `tcpkit report --json` prints it (without the newline).
pub fn write_report<W: Write>(w: &mut W, report: &crate::report::Report) -> fmt::Result {
    let mut out = FmtOut::new(w);
    let mut s = JsonSink::new(&mut out);
    super::report::visit(&mut s, report);
    s.finish()
}

#[cfg(test)]
mod tests {
    use super::{FmtOut, JsonSink, first_to_escape, needs_escape};
    use crate::schema::{Field, Sink, Type, field};
    use crate::wire::LineBuf;

    field!(SHORT: "a", Type::UInt64, false, "One letter.");
    field!(EXACT: "abcdefghijklmnopqrstuvwxyz12", Type::UInt64, false, "28 bytes: `,\"name\":` fills the 32-byte block.");
    field!(LONG: "abcdefghijklmnopqrstuvwxyz1234567890", Type::UInt64, false, "Longer than a key block.");
    field!(ROW: "row", Type::Struct(&[&SHORT, &EXACT, &LONG]), false, "A row.");

    /// Three rows `{"a":0,"a":1,"abc…":2,"abc…":3}`, each opening with another key.
    fn write_rows<S: Sink>(s: &mut S) {
        for first in [&SHORT, &EXACT, &LONG] {
            s.begin(&ROW);
            for (i, f) in [first, &SHORT, &EXACT, &LONG].into_iter().enumerate() {
                s.u64(f, i as u64);
            }
            s.end();
        }
    }

    #[test]
    fn keys_in_blocks_are_the_keys() {
        let expected = |f: &Field| format!("\"{}\":", f.name);
        let mut line = LineBuf::default();
        let mut sink = JsonSink::new(&mut line);
        write_rows(&mut sink);
        sink.finish().unwrap();
        // The plain path: each key written from its string.
        let mut text = String::new();
        let mut out = FmtOut::new(&mut text);
        let mut sink = JsonSink::new(&mut out);
        write_rows(&mut sink);
        sink.finish().unwrap();
        assert_eq!(std::str::from_utf8(line.as_bytes()).unwrap(), text);
        for f in [&SHORT, &EXACT, &LONG] {
            assert!(text.contains(&expected(f)), "{text}");
        }
    }

    field!(ITEM: "item", Type::UInt64, false, "A list item.");
    field!(LIST: "list", Type::List(&ITEM), false, "A list.");
    field!(INNER: "inner", Type::Struct(&[&SHORT, &LIST]), false, "An object.");
    field!(OBJECTS: "objects", Type::List(&INNER), false, "A list of objects.");
    field!(NESTED: "nested", Type::Struct(&[&LIST, &INNER, &OBJECTS, &SHORT]), false, "A row.");

    /// A row of empty and filled arrays and objects, first and later in
    /// their container.
    fn write_nested<S: Sink>(s: &mut S) {
        s.begin(&NESTED);
        s.begin(&LIST); // empty, first in the row
        s.end();
        s.begin(&INNER); // empty
        s.end();
        s.begin(&OBJECTS);
        s.begin(&INNER); // an empty object first in a list
        s.end();
        s.begin(&INNER);
        s.begin(&LIST);
        s.u64(&ITEM, 1);
        s.u64(&ITEM, 2);
        s.end();
        s.u64(&SHORT, 3);
        s.end();
        s.end();
        s.begin(&LIST);
        s.u64(&ITEM, 4);
        s.end();
        s.end();
    }

    #[test]
    fn containers_empty_and_filled() {
        // By hand: each value after the first in its container has a comma.
        let expected = r#"{"list":[],"inner":{},"objects":[{},{"list":[1,2],"a":3}],"list":[4]}"#;
        let mut line = LineBuf::with_capacity(4);
        let mut sink = JsonSink::new(&mut line);
        write_nested(&mut sink);
        sink.finish().unwrap();
        assert_eq!(std::str::from_utf8(line.as_bytes()).unwrap(), expected);
        let mut text = String::new();
        let mut out = FmtOut::new(&mut text);
        let mut sink = JsonSink::new(&mut out);
        write_nested(&mut sink);
        sink.finish().unwrap();
        assert_eq!(text, expected);
    }

    #[test]
    fn first_to_escape_is_the_byte_scan() {
        // Every byte value at every position of strings of 0..=20 bytes
        // (whole words, a remainder, both), in a text with nothing to escape
        // ('a', and 0x21/0x5b/0x5d next to '"' and '\\', 0x7f/0xff high).
        for len in 0..=20usize {
            for at in 0..len.max(1) {
                for b in 0..=255u8 {
                    let mut s: Vec<u8> = (0..len)
                        .map(|i| [b'a', 0x21, 0x5b, 0x5d, 0x7f, 0xff][i % 6])
                        .collect();
                    if let Some(x) = s.get_mut(at) {
                        *x = b;
                    }
                    let expected = s.iter().position(|&c| needs_escape(c));
                    assert_eq!(first_to_escape(&s), expected, "{s:?}");
                }
            }
        }
    }
}

//! JSON from the column declarations: one object per row, written into any
//! [`fmt::Write`] (or, faster, a [`LineBuf`]) with no allocation.
//!
//! Keys come from the [`Field`] names, values are written by their declared
//! [`Type`] (see the [module doc](super)): no spaces, fields in visiting order.

use super::{Field, KEY_BLOCK, Sink, Type};
use crate::analysis::SegmentFacts;
use crate::wire::{LineBuf, Segment};
use crate::wire::{copy_short, decimal_text, ipv4_text, nine_digits_text};
use std::fmt::{self, Write};
use std::net::IpAddr;

/// How deep rows nest (row, list, struct, list, tuple: 5 for a SACK block edge).
const MAX_DEPTH: usize = 8;

/// The most bytes a scalar value takes in JSON when written by
/// [`JsonOut::put_value`] (a quoted address, 20 digits, seconds with nine
/// decimals, a short string).
pub const VALUE_MAX: usize = 32;

/// Where a [`JsonSink`] writes: a [`LineBuf`] (the fast path of the CLI's
/// writers: a key and its value are one fixed-size write into it), or any
/// [`fmt::Write`] through [`FmtOut`].
pub trait JsonOut {
    /// Appends `s`.
    fn put(&mut self, s: &str);
    /// Appends what comes before a value of `f` (`Field::json_key`:
    /// `,"name":`, or `,` in an array), then the bytes `value` writes at the
    /// start of the [`VALUE_MAX`] bytes it is given (ASCII), returning how
    /// many.
    fn put_value(&mut self, f: &'static Field, value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize);
    /// Anything else (an IPv6 address, an escape): through [`fmt::Write`].
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
    /// A key up to `KEY_BLOCK` bytes and its value as one fixed-size
    /// write: the key's whole block, then the value over its padding.
    #[inline(always)]
    fn put_value(&mut self, f: &'static Field, value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize) {
        if f.json_key.len() > KEY_BLOCK {
            return put_long_key_value(self, f, value);
        }
        match self.room::<{ KEY_BLOCK + VALUE_MAX }>() {
            Some(dst) => {
                let n = key_then_value(dst, f, value);
                self.advance(n);
            }
            None => put_value_grown(self, f, value),
        }
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

/// Writes the key of `f` (its whole block) then the value over the
/// block's padding at the start of `dst`; returns the bytes written.
#[inline(always)]
fn key_then_value(
    dst: &mut [u8; KEY_BLOCK + VALUE_MAX],
    f: &'static Field,
    value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize,
) -> usize {
    let n = f.json_key.len().min(KEY_BLOCK);
    if let Some(d) = dst.first_chunk_mut::<KEY_BLOCK>() {
        *d = f.json_key_block;
    }
    match dst
        .get_mut(n..)
        .and_then(|d| d.first_chunk_mut::<VALUE_MAX>())
    {
        Some(d) => n + value(d).min(VALUE_MAX),
        None => 0,
    }
}

/// [`JsonOut::put_value`] into a [`LineBuf`] with a key longer than its
/// block: the key, then the value.
#[cold]
#[inline(never)]
fn put_long_key_value(
    w: &mut LineBuf,
    f: &'static Field,
    value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize,
) {
    w.put_str(f.json_key);
    w.put_str(value_text(&mut [0; VALUE_MAX], value));
}

/// [`JsonOut::put_value`] into a [`LineBuf`] that must grow first.
#[cold]
#[inline(never)]
fn put_value_grown(
    w: &mut LineBuf,
    f: &'static Field,
    value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize,
) {
    w.reserve(KEY_BLOCK + VALUE_MAX);
    if let Some(dst) = w.room::<{ KEY_BLOCK + VALUE_MAX }>() {
        let n = key_then_value(dst, f, value);
        w.advance(n);
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
    fn put_value(&mut self, f: &'static Field, value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize) {
        self.put(f.json_key);
        self.put(value_text(&mut [0; VALUE_MAX], value));
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

/// The text `value` writes into `buf` (ASCII).
fn value_text(
    buf: &mut [u8; VALUE_MAX],
    value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize,
) -> &str {
    let n = value(buf);
    buf.get(..n)
        .and_then(|t| std::str::from_utf8(t).ok())
        .unwrap_or_default()
}

/// Writes the ASCII `text` (at most [`VALUE_MAX`] bytes: a constant) at
/// the start of `dst`; returns its length.
#[inline(always)]
fn text_value(dst: &mut [u8; VALUE_MAX], text: &[u8]) -> usize {
    match dst.get_mut(..text.len()) {
        Some(d) => {
            d.copy_from_slice(text);
            text.len()
        }
        None => 0,
    }
}

/// Writes `v` in decimal at `dst[at..]`; returns where it ends.
#[inline(always)]
fn decimal_value(dst: &mut [u8; VALUE_MAX], at: usize, v: u64) -> usize {
    // 24 bytes of room after `at` <= 8 (a sign, a quote).
    match dst.get_mut(at..).and_then(|d| d.first_chunk_mut::<24>()) {
        Some(d) => at + decimal_text(v, d),
        None => at,
    }
}

/// Writes `ns` as seconds with nine decimals (exact) at `dst[at..]`;
/// returns where it ends.
#[inline(always)]
fn secs_value(dst: &mut [u8; VALUE_MAX], at: usize, ns: u64) -> usize {
    // At most 11 digits of seconds (u64::MAX ns < 1.9 * 10^10 s).
    let end = decimal_value(dst, at, ns / 1_000_000_000);
    if let Some(d) = dst.get_mut(end..).and_then(|d| d.first_chunk_mut::<10>()) {
        d[0] = b'.';
        if let Some(frac) = d.last_chunk_mut::<9>() {
            nine_digits_text(ns % 1_000_000_000, frac);
        }
    }
    end + 10
}

/// A [`Sink`] writing JSON into a [`JsonOut`] it holds (a [`LineBuf`] is
/// moved in for the row: one indirection less per write). The first write
/// error is kept and returned by [`JsonSink::finish`]; nothing more is
/// written after it.
#[derive(Debug)]
pub struct JsonSink<O: JsonOut> {
    w: O,
    /// Per open container, one bit (the innermost lowest): does it take keys
    /// (an object)?
    keyed: u32,
    /// Per open container, its mark from [`JsonOut::open`].
    marks: [usize; MAX_DEPTH],
    depth: usize,
    /// Nested deeper than any declared row (a bug, reported as an error).
    too_deep: bool,
}

impl<O: JsonOut> JsonSink<O> {
    /// A sink writing into `w`.
    pub fn new(w: O) -> Self {
        Self {
            w,
            keyed: 0,
            marks: [0; MAX_DEPTH],
            depth: 0,
            too_deep: false,
        }
    }

    /// The output, and the first write error, if any.
    pub fn finish(self) -> (O, fmt::Result) {
        let result = if self.too_deep {
            Err(fmt::Error)
        } else {
            self.w.result()
        };
        (self.w, result)
    }

    /// Writes the separator and the key of `f` (its [`Field::json_key`])
    /// in the container open now (the first value's comma becomes the
    /// container's opening), nothing for the row itself.
    #[inline(always)]
    fn key(&mut self, f: &'static Field) {
        if self.depth > 0 {
            self.w.put(f.json_key);
        }
    }

    /// Writes `f` with the value `value` writes ([`JsonOut::put_value`]).
    #[inline(always)]
    fn value(&mut self, f: &'static Field, value: impl FnOnce(&mut [u8; VALUE_MAX]) -> usize) {
        self.w.put_value(f, value);
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

impl<O: JsonOut> Sink for JsonSink<O> {
    #[inline(always)]
    fn null(&mut self, f: &'static Field) {
        self.value(f, |d| text_value(d, b"null"));
    }

    #[inline(always)]
    fn bool(&mut self, f: &'static Field, v: bool) {
        self.value(f, |d| text_value(d, if v { b"true" } else { b"false" }));
    }

    #[inline(always)]
    fn u64(&mut self, f: &'static Field, v: u64) {
        if matches!(f.ty, Type::Duration) {
            self.value(f, |d| secs_value(d, 0, v));
        } else {
            self.value(f, |d| decimal_value(d, 0, v));
        }
    }

    #[inline(always)]
    fn i64(&mut self, f: &'static Field, v: i64) {
        // The sign, overwritten by the first digit if there is none.
        let sign = usize::from(v < 0);
        let abs = v.unsigned_abs();
        if matches!(f.ty, Type::Duration) {
            self.value(f, |d| {
                d[0] = b'-';
                secs_value(d, sign, abs)
            });
        } else {
            self.value(f, |d| {
                d[0] = b'-';
                decimal_value(d, sign, abs)
            });
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
        // Inline, the scan of a constant name (an option kind) is folded away.
        let escape = first_to_escape(v.as_bytes()).is_some();
        let bytes = v.as_bytes();
        if !escape && bytes.len() <= VALUE_MAX - 2 {
            self.value(f, |d| {
                d[0] = b'"';
                let end = 1 + bytes.len();
                if let Some(inside) = d.get_mut(1..end) {
                    copy_short(inside, bytes);
                }
                if let Some(q) = d.get_mut(end) {
                    *q = b'"';
                }
                end + 1
            });
            return;
        }
        self.key(f);
        self.w.put("\"");
        if escape {
            write_escaped(&mut self.w, v);
        } else {
            self.w.put(v);
        }
        self.w.put("\"");
    }

    #[inline(always)]
    fn addr(&mut self, f: &'static Field, v: &IpAddr) {
        // Digits, hex letters, dots and colons: nothing to escape.
        match v {
            IpAddr::V4(a) => self.value(f, |d| {
                d[0] = b'"';
                let end = match d.get_mut(1..).and_then(|d| d.first_chunk_mut::<16>()) {
                    Some(text) => 1 + ipv4_text(a.octets(), text),
                    None => 1,
                };
                if let Some(q) = d.get_mut(end) {
                    *q = b'"';
                }
                end + 1
            }),
            IpAddr::V6(_) => {
                self.key(f);
                self.w.put("\"");
                self.w.put_fmt(format_args!("{v}"));
                self.w.put("\"");
            }
        }
    }

    #[inline(always)]
    fn bytes(&mut self, f: &'static Field, v: &[u8]) {
        self.key(f);
        self.w.put("\"");
        write_hex(&mut self.w, v);
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
    let mut s = JsonSink::new(FmtOut::new(w));
    super::segment::visit(&mut s, frame, ts_ns, seg, facts);
    s.finish().1
}

/// [`write_segment`] appended to a [`LineBuf`] (the fast path).
pub fn write_segment_to(
    w: &mut LineBuf,
    frame: u64,
    ts_ns: i64,
    seg: &Segment<'_>,
    facts: &SegmentFacts,
) -> fmt::Result {
    let mut s = JsonSink::new(std::mem::take(w));
    super::segment::visit(&mut s, frame, ts_ns, seg, facts);
    let result;
    (*w, result) = s.finish();
    result
}

/// Writes the JSON object of one connection row ([`super::connection`]), as
/// `tcpkit flows --json` prints it (without the newline).
pub fn write_connection<W: Write>(w: &mut W, conn: &super::connection::Record) -> fmt::Result {
    let mut s = JsonSink::new(FmtOut::new(w));
    super::connection::visit(&mut s, conn);
    s.finish().1
}

/// [`write_connection`] appended to a [`LineBuf`] (the fast path).
pub fn write_connection_to(w: &mut LineBuf, conn: &super::connection::Record) -> fmt::Result {
    let mut s = JsonSink::new(std::mem::take(w));
    super::connection::visit(&mut s, conn);
    let result;
    (*w, result) = s.finish();
    result
}

/// Writes the JSON object of the capture-wide report ([`super::report`]), as
/// `tcpkit report --json` prints it (without the newline).
pub fn write_report<W: Write>(w: &mut W, report: &crate::report::Report) -> fmt::Result {
    let mut s = JsonSink::new(FmtOut::new(w));
    super::report::visit(&mut s, report);
    s.finish().1
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
        let line = LineBuf::default();
        let mut sink = JsonSink::new(line);
        write_rows(&mut sink);
        let (line, result) = sink.finish();
        result.unwrap();
        // The plain path: each key written from its string.
        let mut text = String::new();
        let mut sink = JsonSink::new(FmtOut::new(&mut text));
        write_rows(&mut sink);
        sink.finish().1.unwrap();
        assert_eq!(std::str::from_utf8(line.as_bytes()).unwrap(), text);
        for f in [&SHORT, &EXACT, &LONG] {
            assert!(text.contains(&expected(f)), "{text}");
        }
    }

    field!(ITEM: "item", Type::UInt64, false, "A list item.");
    field!(LIST: "list", Type::List(&ITEM), false, "A list.");
    field!(INNER: "inner", Type::Struct(&[&SHORT, &LIST]), false, "An object.");
    field!(INNER_ITEM: "item", Type::Struct(&[&SHORT, &LIST]), false, "An object in a list.");
    field!(OBJECTS: "objects", Type::List(&INNER_ITEM), false, "A list of objects.");
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
        s.begin(&INNER_ITEM); // an empty object first in a list
        s.end();
        s.begin(&INNER_ITEM);
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
        let line = LineBuf::with_capacity(4);
        let mut sink = JsonSink::new(line);
        write_nested(&mut sink);
        let (line, result) = sink.finish();
        result.unwrap();
        assert_eq!(std::str::from_utf8(line.as_bytes()).unwrap(), expected);
        let mut text = String::new();
        let mut sink = JsonSink::new(FmtOut::new(&mut text));
        write_nested(&mut sink);
        sink.finish().1.unwrap();
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

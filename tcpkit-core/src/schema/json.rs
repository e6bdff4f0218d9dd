//! JSON from the column declarations: one object per row, written into any
//! [`fmt::Write`] with no allocation.
//!
//! Keys come from the [`Field`] names, values are written by their declared
//! [`Type`] (see the [module doc](super)): no spaces, fields in visiting order.

use super::{Field, Sink, Type};
use crate::analysis::SegmentFacts;
use crate::wire::{Segment, write_addr, write_decimal, write_nine_digits};
use std::fmt::{self, Write};
use std::net::IpAddr;

/// How deep rows nest (row, list, struct, list, tuple: 5 for a SACK block edge).
const MAX_DEPTH: usize = 8;

/// A [`Sink`] writing JSON into `W`. The first write error is kept and
/// returned by [`JsonSink::finish`]; nothing more is written after it.
#[derive(Debug)]
pub struct JsonSink<'w, W: Write> {
    w: &'w mut W,
    /// Per open container: has a value been written in it yet, and does it
    /// take keys (an object)?
    open: [(bool, bool); MAX_DEPTH],
    depth: usize,
    result: fmt::Result,
}

impl<'w, W: Write> JsonSink<'w, W> {
    /// A sink writing into `w`.
    pub fn new(w: &'w mut W) -> Self {
        Self {
            w,
            open: [(false, false); MAX_DEPTH],
            depth: 0,
            result: Ok(()),
        }
    }

    /// The first write error, if any.
    pub fn finish(self) -> fmt::Result {
        self.result
    }

    /// Writes the separator and the key of `f` in the container open now.
    #[inline]
    fn key(&mut self, f: &Field) -> fmt::Result {
        let Some((any, keyed)) = self.depth.checked_sub(1).and_then(|d| self.open.get_mut(d))
        else {
            return Ok(());
        };
        let not_first = std::mem::replace(any, true);
        match (*keyed, not_first) {
            (true, true) => self.w.write_str(f.json_key),
            (true, false) => self.w.write_str(f.json_key.get(1..).unwrap_or_default()),
            (false, true) => self.w.write_char(','),
            (false, false) => Ok(()),
        }
    }

    /// Writes `f`'s key, then the value written by `value`.
    #[inline]
    fn put(&mut self, f: &Field, value: impl FnOnce(&mut W) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self.key(f).and_then(|()| value(self.w));
        }
    }
}

/// Writes nanoseconds as seconds with nine decimals (exact).
fn write_secs<W: Write>(w: &mut W, ns: u64) -> fmt::Result {
    write_decimal(w, ns / 1_000_000_000)?;
    w.write_char('.')?;
    write_nine_digits(w, ns % 1_000_000_000)
}

/// Writes hex digits of `bytes` (lowercase).
fn write_hex<W: Write>(w: &mut W, bytes: &[u8]) -> fmt::Result {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for b in bytes {
        w.write_char(char::from(HEX[usize::from(b >> 4)]))?;
        w.write_char(char::from(HEX[usize::from(b & 15)]))?;
    }
    Ok(())
}

/// Escapes what it is given as the inside of a JSON string (RFC 8259, 7).
struct Escape<'a, W: Write>(&'a mut W);

impl<W: Write> Write for Escape<'_, W> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut rest = s;
        while let Some(i) = rest
            .bytes()
            .position(|b| b < 0x20 || b == b'"' || b == b'\\')
        {
            self.0.write_str(rest.get(..i).unwrap_or_default())?;
            let b = rest.as_bytes().get(i).copied().unwrap_or_default();
            match b {
                b'"' => self.0.write_str("\\\"")?,
                b'\\' => self.0.write_str("\\\\")?,
                b'\n' => self.0.write_str("\\n")?,
                b'\r' => self.0.write_str("\\r")?,
                b'\t' => self.0.write_str("\\t")?,
                _ => write!(self.0, "\\u{b:04x}")?,
            }
            rest = rest.get(i + 1..).unwrap_or_default();
        }
        self.0.write_str(rest)
    }
}

impl<W: Write> Sink for JsonSink<'_, W> {
    fn null(&mut self, f: &'static Field) {
        self.put(f, |w| w.write_str("null"));
    }

    fn bool(&mut self, f: &'static Field, v: bool) {
        self.put(f, |w| w.write_str(if v { "true" } else { "false" }));
    }

    fn u64(&mut self, f: &'static Field, v: u64) {
        if matches!(f.ty, Type::Duration) {
            self.put(f, |w| write_secs(w, v));
        } else {
            self.put(f, |w| write_decimal(w, v));
        }
    }

    fn i64(&mut self, f: &'static Field, v: i64) {
        if matches!(f.ty, Type::Duration) {
            self.put(f, |w| {
                if v < 0 {
                    w.write_char('-')?;
                }
                write_secs(w, v.unsigned_abs())
            });
        } else {
            self.put(f, |w| {
                if v < 0 {
                    w.write_char('-')?;
                }
                write_decimal(w, v.unsigned_abs())
            });
        }
    }

    fn f64(&mut self, f: &'static Field, v: f64) {
        // JSON has no NaN or infinity.
        if v.is_finite() {
            self.put(f, |w| write!(w, "{v:?}"));
        } else {
            self.null(f);
        }
    }

    fn str(&mut self, f: &'static Field, v: &str) {
        self.put(f, |w| {
            w.write_char('"')?;
            Escape(&mut *w).write_str(v)?;
            w.write_char('"')
        });
    }

    fn addr(&mut self, f: &'static Field, v: &IpAddr) {
        // Digits, hex letters, dots and colons: nothing to escape.
        self.put(f, |w| {
            w.write_char('"')?;
            write_addr(w, v)?;
            w.write_char('"')
        });
    }

    fn bytes(&mut self, f: &'static Field, v: &[u8]) {
        self.put(f, |w| {
            w.write_char('"')?;
            write_hex(w, v)?;
            w.write_char('"')
        });
    }

    fn begin(&mut self, f: &'static Field) {
        let keyed = matches!(f.ty, Type::Struct(_));
        self.put(f, |w| w.write_char(if keyed { '{' } else { '[' }));
        if let Some(slot) = self.open.get_mut(self.depth) {
            *slot = (false, keyed);
            self.depth += 1;
        } else if self.result.is_ok() {
            // Deeper than any declared row: a bug, reported as an error.
            self.result = Err(fmt::Error);
        }
    }

    fn end(&mut self) {
        let Some(d) = self.depth.checked_sub(1) else {
            return;
        };
        self.depth = d;
        let keyed = self.open.get(d).is_some_and(|o| o.1);
        if self.result.is_ok() {
            self.result = self.w.write_char(if keyed { '}' } else { ']' });
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
    let mut s = JsonSink::new(w);
    super::segment::visit(&mut s, frame, ts_ns, seg, facts);
    s.finish()
}

/// Writes the JSON object of one connection row ([`super::connection`]), as
/// `tcpkit flows --json` prints it (without the newline).
pub fn write_connection<W: Write>(w: &mut W, conn: &super::connection::Record) -> fmt::Result {
    let mut s = JsonSink::new(w);
    super::connection::visit(&mut s, conn);
    s.finish()
}

/// Writes the JSON object of the capture-wide report ([`super::report`]), as
/// `tcpkit report --json` prints it (without the newline).
pub fn write_report<W: Write>(w: &mut W, report: &crate::report::Report) -> fmt::Result {
    let mut s = JsonSink::new(w);
    super::report::visit(&mut s, report);
    s.finish()
}

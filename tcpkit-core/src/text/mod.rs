//! Every rendering for people, in one place: the connection block and the
//! report of `tcpkit report`, the line of `tcpkit flows`, the `ss -tano`-like
//! table of `tcpkit ss`, the sentences of notes, caveats and findings, and
//! the tcpdump-style line of `tcpkit segments` ([`Renderer`]).
//!
//! The analysis returns codes and numbers (integer nanoseconds); this module
//! turns them into words on request, so that the command, Python and C print
//! the same text. Nothing else in the core builds English.

mod fixed;
mod notes;
mod report;
mod ss;
mod story;
mod tcpdump;
mod tcpdump_encap;

pub use notes::{caveat, note, notes};
pub use report::{finding, report_block};
pub use ss::{ss_table, ss_time};
pub use story::{connection_block, flows_line};
pub use tcpdump::{
    FlagLetters, RenderOptions, Renderer, SeqView, TcpdumpSeqTable, flag_letters, write_addr,
    write_decimal, write_flags, write_ip_lead, write_tcp, write_timestamp,
};

use crate::analysis::Connection;
use crate::flow::Endpoint;
use crate::report::Report;
pub(crate) use fixed::{Fixed, write_fixed};
use std::fmt::Write as _;

/// `ip:port`, IPv6 in brackets.
pub fn endpoint(e: Endpoint) -> String {
    let mut s = String::with_capacity(21);
    push_endpoint(&mut s, e);
    s
}

/// Appends [`endpoint`]`(e)` to `out`.
pub(crate) fn push_endpoint(out: &mut String, e: Endpoint) {
    match e.ip {
        std::net::IpAddr::V6(ip) => {
            let _ = write!(out, "[{ip}]:");
        }
        // The dotted quad as std prints it, without its padding machinery.
        std::net::IpAddr::V4(_) => {
            let _ = write_addr(out, &e.ip).and_then(|()| out.write_char(':'));
        }
    }
    push_decimal(out, u64::from(e.port));
}

/// Appends `v` in decimal to `out`.
pub(crate) fn push_decimal(out: &mut String, v: u64) {
    let _ = write_decimal(out, v);
}

/// A count and its noun, the noun in the plural unless the count is one
/// (`1 attempt`, `2 attempts`, `3 entries`, `0 SYNs`): the one place the
/// text makes plurals.
pub fn count(n: u64, noun: &str) -> String {
    let mut s = String::with_capacity(noun.len() + 8);
    push_count(&mut s, n, noun);
    s
}

/// Appends [`count`]`(n, noun)` to `out`.
pub(crate) fn push_count(out: &mut String, n: u64, noun: &str) {
    push_decimal(out, n);
    out.push(' ');
    push_noun(out, n, noun);
}

/// The noun alone, in the plural unless `n` is one (`SYN` / `SYNs`).
pub fn noun_for(n: u64, noun: &str) -> String {
    let mut s = String::with_capacity(noun.len() + 3);
    push_noun(&mut s, n, noun);
    s
}

/// Appends [`noun_for`]`(n, noun)` to `out`.
pub(crate) fn push_noun(out: &mut String, n: u64, noun: &str) {
    if n == 1 {
        out.push_str(noun);
        return;
    }
    let stem = noun
        .strip_suffix('y')
        .filter(|stem| !stem.is_empty() && !stem.ends_with(['a', 'e', 'i', 'o', 'u']));
    if let Some(stem) = stem {
        out.push_str(stem);
        out.push_str("ies");
    } else if noun.ends_with(['s', 'x']) || noun.ends_with("ch") || noun.ends_with("sh") {
        out.push_str(noun);
        out.push_str("es");
    } else {
        out.push_str(noun);
        out.push('s');
    }
}

/// `was` or `were` for a count of `n`.
pub fn was(n: u64) -> &'static str {
    if n == 1 { "was" } else { "were" }
}

/// Nanoseconds as seconds.
pub(crate) fn secs(ns: i64) -> f64 {
    ns as f64 / 1e9
}

/// A duration for the numbers of a block: µs, ms with one decimal, or s with
/// three (`16 µs`, `1.2 ms`, `3.000 s`).
pub fn duration(ns: u64) -> String {
    Duration(Some(ns)).to_string()
}

/// [`duration`] as a [`Display`](std::fmt::Display) (no allocation), `-`
/// for none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Duration(pub Option<u64>);

impl std::fmt::Display for Duration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write_duration(f, self.0)
    }
}

/// Writes [`Duration`]`(ns)` into `w`.
pub(crate) fn write_duration<W: std::fmt::Write + ?Sized>(
    w: &mut W,
    ns: Option<u64>,
) -> std::fmt::Result {
    let Some(ns) = ns else {
        return w.write_str("-");
    };
    let s = ns as f64 / 1e9;
    let (x, decimals, unit) = if s < 1e-3 {
        (s * 1e6, 0, " µs")
    } else if s < 1.0 {
        (s * 1e3, 1, " ms")
    } else {
        (s, 3, " s")
    };
    write_fixed(w, x, decimals)?;
    w.write_str(unit)
}

/// A duration for a sentence: µs, ms, or s with two or one decimals
/// (`16 µs`, `200 ms`, `1.02 s`, `64.0 s`).
pub fn human(ns: u64) -> String {
    let s = ns as f64 / 1e9;
    if s < 1e-3 {
        format!("{} µs", Fixed(s * 1e6, 0))
    } else if s < 1.0 {
        format!("{} ms", Fixed(s * 1e3, 0))
    } else if s < 10.0 {
        format!("{} s", Fixed(s, 2))
    } else {
        format!("{} s", Fixed(s, 1))
    }
}

/// What `tcpkit report` prints for one connection: its block, times relative
/// to `t0_ns` (the capture's first packet).
pub fn explain(c: &Connection, t0_ns: i64) -> String {
    let mut out = String::with_capacity(2048);
    connection_block(&mut out, c, t0_ns);
    out
}

impl Connection {
    /// What `tcpkit report` prints for this connection, times relative to
    /// `t0_ns` (the capture's first packet; the connection's own first packet
    /// is `self.first_ts_ns`). Without a story, the counters only.
    pub fn explain(&self, t0_ns: i64) -> String {
        explain(self, t0_ns)
    }
}

impl Report {
    /// What `tcpkit report` prints after the connections: the listeners and
    /// the findings.
    pub fn explain(&self) -> String {
        let mut out = String::with_capacity(1024);
        report_block(&mut out, self);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals() {
        assert_eq!(count(1, "attempt"), "1 attempt");
        assert_eq!(count(0, "attempt"), "0 attempts");
        assert_eq!(count(2, "SYN-ACK"), "2 SYN-ACKs");
        assert_eq!(count(3, "entry"), "3 entries");
        assert_eq!(count(2, "day"), "2 days");
        assert_eq!(count(2, "match"), "2 matches");
        assert_eq!(count(1, "sample"), "1 sample");
        assert_eq!(was(1), "was");
        assert_eq!(was(2), "were");
    }
}

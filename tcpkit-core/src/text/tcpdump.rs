//! tcpdump-style rendering of a TCP segment.
//!
//! [`Renderer`] writes one line per segment the way `tcpdump -n -tttt` prints
//! it (tcpdump 5.0, `print-tcp.c` / `print-mptcp.c`), into any
//! [`core::fmt::Write`] the caller passes: the core never prints. Nothing is
//! allocated per segment; the only allocation is one entry of the
//! relative-sequence table per new connection (see [`TcpdumpSeqTable`]).
//!
//! What is rendered:
//! - the lead-in `IP a.b.c.d.port > e.f.g.h.port: ` (`IP6` for IPv6), and with
//!   `-v` the IP header in parentheses (`IP (tos 0x0, ttl 64, id 1, offset 0,
//!   flags [DF], proto TCP (6), length 60) `), on the same line: tcpdump puts
//!   the TCP part of an IPv4 `-v` line on a continuation line, we keep one line
//!   per segment. IP options, IPv6 extension headers, and checksum remarks
//!   (`cksum 0x.... (correct)`) are not rendered;
//! - the TCP part from `Flags [...]` to `length N`, byte for byte as tcpdump
//!   prints it: the flag letters, relative or absolute `seq a:b` and `ack`,
//!   `win`, `urg`, every option (including tcpdump's quirks: `[len N]` when an
//!   option's length disagrees with its kind, `[bad opt]`, ` [|tcp]` when the
//!   snaplen cut the header), and `length N`.
//!
//! Nothing after `length N` (application-layer decoding, RST data) is
//! rendered, except tcpdump's remark when the header was cut although the
//! segment carries data.
//!
//! For a segment decoded with [`decode_layers`](crate::wire::decode_layers),
//! [`Renderer::write_encapsulation`] writes what tcpdump prints before the
//! inner packet (outer IP, UDP and its checksum remark, Geneve, VXLAN, GRE,
//! WCCP, MPLS, Broadcom LI, PPPoE) and [`Renderer::write_segment_in`] adds
//! tcpdump's BIG TCP length remarks to the segment's own `-v` IP header.

use crate::flow::FastHashBuilder;
use crate::wire::{Encapsulation, IpInfo, Segment, TcpFlags, nine_digits_text};
pub use crate::wire::{FlagLetters, flag_letters, write_addr, write_decimal, write_flags};
use core::fmt::{self, Write};
use std::collections::HashMap;
use std::net::IpAddr;

/// How to render (the tcpdump flags that change the TCP part).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Number of `-v`: 1 adds the IP header; 2 and more also print `seq N`
    /// on segments without payload, SYN, FIN or RST.
    pub verbose: u8,
    /// `-S`: absolute sequence numbers (no connection memory).
    pub absolute: bool,
    /// Render the MD5 signature option as a tcpdump built with libcrypto does
    /// (`md5 shared secret not supplied with -M, can't check - <hex>`, what the
    /// corpus' expected outputs show); `false`: as a build without it
    /// (`md5 <hex>`).
    pub md5_libcrypto: bool,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            verbose: 0,
            absolute: false,
            md5_libcrypto: true,
        }
    }
}

/// tcpdump's memory of connections for relative sequence numbers.
///
/// This is tcpdump's rule, not tshark's: only segments with the ACK flag take
/// part. The key is the address/port pair in a fixed order (the lower port
/// first; on equal ports the lower address first), so both directions share an
/// entry. A segment with ACK whose connection is unknown, or any segment with
/// SYN and ACK, (re)records the entry from its own `seq` and `ack - 1` and is
/// printed with absolute numbers; later segments print `seq - isn` and
/// `ack - peer isn` (modulo 2^32). SYNs without ACK, and segments without ACK,
/// are printed absolute and leave the table alone. Entries are never dropped
/// (as in tcpdump): memory grows with the number of distinct connections.
#[derive(Debug, Default, Clone)]
pub struct TcpdumpSeqTable {
    /// Keyed by 4-tuples a capture can choose: seeded, fast hash (as the
    /// connection table's).
    map: HashMap<SeqKey, (u32, u32), FastHashBuilder>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct SeqKey {
    src: IpAddr,
    dst: IpAddr,
    ports: u32,
}

/// The sequence numbers to print for one segment, from [`TcpdumpSeqTable::apply`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SeqView {
    /// `seq` as printed (relative or absolute).
    pub seq: u32,
    /// `ack` as printed.
    pub ack: u32,
    /// The entry's ISN of the first-ordered side (subtracted from SACK edges
    /// when the segment goes the reverse way); 0 when not relative.
    th_seq: u32,
    /// The entry's ISN of the other side.
    th_ack: u32,
    /// The segment goes from the second-ordered side to the first.
    rev: bool,
}

impl SeqView {
    /// Absolute numbers (`-S`, or no ACK flag).
    pub fn absolute(seg: &Segment<'_>) -> Self {
        Self {
            seq: seg.seq.0,
            ack: seg.ack.0,
            ..Self::default()
        }
    }

    /// A SACK edge as tcpdump prints it (relative to the peer's ISN).
    pub fn sack_edge(&self, edge: u32) -> u32 {
        edge.wrapping_sub(if self.rev { self.th_seq } else { self.th_ack })
    }
}

fn addr_bytes_gt(a: &IpAddr, b: &IpAddr) -> bool {
    match (a, b) {
        (IpAddr::V4(a), IpAddr::V4(b)) => a.octets() > b.octets(),
        (IpAddr::V6(a), IpAddr::V6(b)) => a.octets() > b.octets(),
        _ => false,
    }
}

impl TcpdumpSeqTable {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of connections remembered.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Nothing remembered yet.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Looks the segment up (recording it when new or SYN) and returns the
    /// numbers tcpdump prints for it. Segments without ACK are absolute.
    pub fn apply(&mut self, seg: &Segment<'_>) -> SeqView {
        if !seg.flags.ack() {
            return SeqView::absolute(seg);
        }
        let (sport, dport) = (seg.sport, seg.dport);
        let (src, dst) = (seg.ip.src, seg.ip.dst);
        let rev = sport > dport || (sport == dport && addr_bytes_gt(&src, &dst));
        let key = if rev {
            SeqKey {
                src: dst,
                dst: src,
                ports: u32::from(dport) << 16 | u32::from(sport),
            }
        } else {
            SeqKey {
                src,
                dst,
                ports: u32::from(sport) << 16 | u32::from(dport),
            }
        };
        let (seq, ack) = (seg.seq.0, seg.ack.0);
        let known = self.map.get(&key).copied();
        match known {
            Some((th_seq, th_ack)) if !seg.flags.syn() => {
                let (s, a) = if rev {
                    (seq.wrapping_sub(th_ack), ack.wrapping_sub(th_seq))
                } else {
                    (seq.wrapping_sub(th_seq), ack.wrapping_sub(th_ack))
                };
                SeqView {
                    seq: s,
                    ack: a,
                    th_seq,
                    th_ack,
                    rev,
                }
            }
            _ => {
                let entry = if rev {
                    (ack.wrapping_sub(1), seq)
                } else {
                    (seq, ack.wrapping_sub(1))
                };
                self.map.insert(key, entry);
                SeqView {
                    seq,
                    ack,
                    th_seq: entry.0,
                    th_ack: entry.1,
                    rev,
                }
            }
        }
    }
}

/// Writes `text` then `v` in decimal.
fn field<W: Write>(w: &mut W, text: &str, v: u64) -> fmt::Result {
    w.write_str(text)?;
    write_decimal(w, v)
}

/// Renders segments as tcpdump lines, keeping tcpdump's connection memory.
#[derive(Debug, Default, Clone)]
pub struct Renderer {
    /// The rendering flags.
    pub options: RenderOptions,
    seqs: TcpdumpSeqTable,
}

impl Renderer {
    /// A renderer with the given flags and an empty connection memory.
    pub fn new(options: RenderOptions) -> Self {
        Self {
            options,
            seqs: TcpdumpSeqTable::new(),
        }
    }

    /// Writes `IP [(-v header) ]a.p > b.q: Flags [...] ... length N` for one
    /// segment (no timestamp, no newline), updating the connection memory.
    pub fn write_segment<W: Write>(&mut self, w: &mut W, seg: &Segment<'_>) -> fmt::Result {
        write_ip_lead(w, &seg.ip, self.options.verbose)?;
        let view = if self.options.absolute || seg.header_captured < 20 {
            SeqView::absolute(seg)
        } else {
            self.seqs.apply(seg)
        };
        write_tcp(w, seg, &view, &self.options)
    }

    /// [`write_segment`](Self::write_segment) for a segment decoded with
    /// [`decode_layers`](crate::wire::decode_layers): the segment's own IP header
    /// gets tcpdump's BIG TCP remarks at `-v`. The tunnel layers are not
    /// written: see [`write_encapsulation`](Self::write_encapsulation).
    pub fn write_segment_in<W: Write>(
        &mut self,
        w: &mut W,
        seg: &Segment<'_>,
        layers: &Encapsulation<'_>,
    ) -> fmt::Result {
        let real = layers.innermost_ip().map(|l| l.real_len);
        write_ip_head(w, &seg.ip, 6, real, self.options.verbose)?;
        w.write_char(' ')?;
        let view = if self.options.absolute || seg.header_captured < 20 {
            SeqView::absolute(seg)
        } else {
            self.seqs.apply(seg)
        };
        write_tcp(w, seg, &view, &self.options)
    }

    /// Writes what tcpdump prints before the segment's own IP header: the
    /// outer IP headers and every tunnel header (`IP 20.0.0.2.43443 >
    /// 20.0.0.1.6081: Geneve, Flags [none], vni 0xb: `). Nothing for a packet
    /// without a tunnel.
    ///
    /// Without `-v` tcpdump prints all of it on the segment's line, and so
    /// does this: the text ends with the separator tcpdump puts before the
    /// inner `IP` (a space). With `-v` tcpdump starts a new line before the
    /// inner packet; this writes the text without that break, for the caller
    /// to put on a line of its own before the segment's (see
    /// [`encapsulation_on_own_line`](Self::encapsulation_on_own_line)).
    pub fn write_encapsulation<W: Write>(
        &self,
        w: &mut W,
        layers: &Encapsulation<'_>,
    ) -> fmt::Result {
        super::tcpdump_encap::write_outer(w, layers, self.options.verbose)
    }

    /// Does tcpdump, at this verbosity, print the inner packet on a line of
    /// its own after the encapsulation (`-v` and more)?
    pub fn encapsulation_on_own_line(&self) -> bool {
        self.options.verbose > 0
    }
}

/// Writes `IP ` / `IP6 `, and with `verbose >= 1` the IP header in
/// parentheses as tcpdump's `-v` prints it (IP options, extension headers and
/// the IPv4 header checksum remark are left out).
pub fn write_ip_lead<W: Write>(w: &mut W, ip: &IpInfo, verbose: u8) -> fmt::Result {
    write_ip_head(w, ip, 6, None, verbose)?;
    w.write_char(' ')
}

/// tcpdump's name of an IP protocol number (the ones the decoder follows).
pub(super) fn proto_name(proto: u8) -> &'static str {
    match proto {
        4 => "IPIP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        47 => "GRE",
        _ => "unknown",
    }
}

/// Writes `IP` / `IP6` and, with `verbose >= 1`, the header in parentheses,
/// without a trailing space. `proto`: what the header carries. `real`: the
/// datagram's length on the wire when known ([`IpLayer::real_len`]), for
/// tcpdump's BIG TCP remarks: `length 80052 [was 0, presumed BIG TCP]`
/// (IPv4, `bigtcp-ipv4.out` line 1) and `payload length 0) [real length
/// 80040, presumed BIG TCP]` (IPv6, `bigtcp-ipv6.out` line 1).
///
/// [`IpLayer::real_len`]: crate::wire::IpLayer::real_len
pub(super) fn write_ip_head<W: Write>(
    w: &mut W,
    ip: &IpInfo,
    proto: u8,
    real: Option<u32>,
    verbose: u8,
) -> fmt::Result {
    if ip.version == 6 {
        w.write_str("IP6")?;
        if verbose > 0 {
            w.write_str(" (")?;
            if ip.tos != 0 {
                write!(w, "class 0x{:02x}, ", ip.tos)?;
            }
            if ip.flow_label != 0 {
                write!(w, "flowlabel 0x{:05x}, ", ip.flow_label)?;
            }
            write!(
                w,
                "hlim {}, next-header {} ({proto}), payload length {})",
                ip.ttl,
                proto_name(proto),
                ip.total_len.saturating_sub(40)
            )?;
            if let Some(real) = real.filter(|_| ip.total_len == 40) {
                write!(w, " [real length {real}, presumed BIG TCP]")?;
            }
        }
    } else {
        w.write_str("IP")?;
        if verbose > 0 {
            write!(w, " (tos 0x{:x}", ip.tos)?;
            match ip.tos & 3 {
                1 => w.write_str(",ECT(1)")?,
                2 => w.write_str(",ECT(0)")?,
                3 => w.write_str(",CE")?,
                _ => {}
            }
            if ip.ttl >= 1 {
                write!(w, ", ttl {}", ip.ttl)?;
            }
            write!(
                w,
                ", id {}, offset {}, flags [",
                ip.id,
                (ip.frag & 0x1fff) * 8
            )?;
            let mut any = false;
            // tcpdump's order and names: MF is "+".
            for (bit, name) in [(0x2000u16, "+"), (0x4000, "DF"), (0x8000, "rsvd")] {
                if ip.frag & bit != 0 {
                    if any {
                        w.write_str(", ")?;
                    }
                    w.write_str(name)?;
                    any = true;
                }
            }
            if !any {
                w.write_str("none")?;
            }
            write!(w, "], proto {} ({proto}), length ", proto_name(proto))?;
            match real.filter(|_| ip.total_len == 0) {
                Some(real) => write!(w, "{real} [was 0, presumed BIG TCP])")?,
                None => write!(w, "{})", ip.total_len)?,
            }
        }
    }
    Ok(())
}

/// Writes a timestamp as tcpdump's `-tttt` in UTC: `2026-11-23 12:00:00.123456`
/// (`nanos`: nine fraction digits, as tcpdump prints nanosecond captures).
pub fn write_timestamp<W: Write>(w: &mut W, ts_ns: i64, nanos: bool) -> fmt::Result {
    let secs = ts_ns.div_euclid(1_000_000_000);
    let frac = ts_ns.rem_euclid(1_000_000_000);
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    // The whole text in one buffer, then one write; a year beyond four
    // digits is written first, on its own.
    let mut t = *b"0000-00-00 00:00:00.000000000";
    let from = if (0..=9999).contains(&y) {
        two_digits(&mut t, 0, (y / 100) as u32);
        two_digits(&mut t, 2, (y % 100) as u32);
        0
    } else {
        write!(w, "{y:04}")?;
        4
    };
    two_digits(&mut t, 5, m);
    two_digits(&mut t, 8, d);
    two_digits(&mut t, 11, (sod / 3600) as u32);
    two_digits(&mut t, 14, (sod / 60 % 60) as u32);
    two_digits(&mut t, 17, (sod % 60) as u32);
    // Microseconds are the first six of the nine digits of nanoseconds.
    if let Some(fraction) = t.last_chunk_mut::<9>() {
        nine_digits_text(frac as u64, fraction);
    }
    let end = if nanos { t.len() } else { t.len() - 3 };
    w.write_str(
        t.get(from..end)
            .and_then(|t| core::str::from_utf8(t).ok())
            .ok_or(fmt::Error)?,
    )
}

/// Writes `v` (< 100) as two digits at `t[at..]`.
fn two_digits(t: &mut [u8], at: usize, v: u32) {
    if let Some([tens, ones]) = t.get_mut(at..).and_then(|t| t.first_chunk_mut::<2>()) {
        *tens = b'0' + (v / 10 % 10) as u8;
        *ones = b'0' + (v % 10) as u8;
    }
}

/// Days since 1970-01-01 to (year, month, day) in the proleptic Gregorian
/// calendar (Howard Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Why the TCP part ended early.
enum Stop {
    /// The captured bytes ended: ` [|tcp]`.
    Trunc,
    /// An option's length is impossible: `[bad opt]`.
    Bad,
    /// The writer failed.
    Fmt,
}

impl From<fmt::Error> for Stop {
    fn from(_: fmt::Error) -> Self {
        Stop::Fmt
    }
}

/// Writes `a.p > b.q: Flags [...] ... length N` for a segment, with the
/// sequence numbers of `view` (see [`TcpdumpSeqTable::apply`]).
pub fn write_tcp<W: Write>(
    w: &mut W,
    seg: &Segment<'_>,
    view: &SeqView,
    opts: &RenderOptions,
) -> fmt::Result {
    if seg.header_captured < 4 {
        write_addr(w, &seg.ip.src)?;
        w.write_str(" > ")?;
        write_addr(w, &seg.ip.dst)?;
        return w.write_str(": [|tcp]");
    }
    write_addr(w, &seg.ip.src)?;
    field(w, ".", u64::from(seg.sport))?;
    w.write_str(" > ")?;
    write_addr(w, &seg.ip.dst)?;
    field(w, ".", u64::from(seg.dport))?;
    w.write_str(": ")?;
    if seg.header_captured < 20 {
        return w.write_str(" [|tcp]");
    }
    let hlen = u32::from(seg.header_len);
    if hlen < 20 {
        return write!(
            w,
            " tcp {} [bad hdr length {} - too short, < 20]",
            seg.payload_len, hlen
        );
    }
    let flags = seg.flags;
    w.write_str("Flags [")?;
    write_flags(w, flags)?;
    w.write_char(']')?;
    if opts.verbose > 0
        && let Some((field, computed)) = tcp_checksum(seg)
    {
        write!(w, ", cksum 0x{field:04x}")?;
        if computed == 0 {
            w.write_str(" (correct)")?;
        } else {
            let should = fold(u32::from(field) + u32::from(computed));
            write!(w, " (incorrect -> 0x{should:04x})")?;
        }
    }
    let length = seg.payload_len;
    if opts.verbose > 1
        || length > 0
        || flags.0 & (TcpFlags::SYN | TcpFlags::FIN | TcpFlags::RST) != 0
    {
        field(w, ", seq ", u64::from(view.seq))?;
        if length > 0 {
            field(w, ":", u64::from(view.seq.wrapping_add(length)))?;
        }
    }
    if flags.ack() {
        field(w, ", ack ", u64::from(view.ack))?;
    } else if opts.verbose > 1 && seg.ack.0 != 0 {
        // tcpdump 5.0 at -vv (rpki-rtr-oobr-vv.out, geneve-gcp.out).
        write!(w, ", [ack {} != 0 while ACK flag not set]", seg.ack.0)?;
    }
    field(w, ", win ", u64::from(seg.window))?;
    if flags.has(TcpFlags::URG) {
        write!(w, ", urg {}", seg.urgent)?;
    } else if opts.verbose > 1 && seg.urgent != 0 {
        write!(w, ", [urg {} != 0 while URG flag not set]", seg.urgent)?;
    }
    if hlen > 20 {
        w.write_str(", options [")?;
        match write_options(w, seg, view, opts, hlen - 20) {
            Ok(()) => w.write_char(']')?,
            Err(Stop::Fmt) => return Err(fmt::Error),
            Err(Stop::Trunc) => return w.write_str(" [|tcp]"),
            Err(Stop::Bad) => return Ok(()),
        }
    }
    field(w, ", length ", u64::from(length))?;
    if length > 0 && seg.header_captured < seg.header_len {
        // beep-oobr.out: `length 12308 [remaining caplen(24) < header length(28)] [|tcp]`.
        write!(
            w,
            " [remaining caplen({}) < header length({})] [|tcp]",
            seg.header_captured, seg.header_len
        )?;
    }
    Ok(())
}

pub(super) fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    sum as u16
}

/// Adds `bytes` as big-endian 16-bit words (a trailing odd byte is padded
/// with zero), RFC 1071.
pub(super) fn sum_words(mut sum: u32, bytes: &[u8]) -> u32 {
    let mut it = bytes.chunks_exact(2);
    for c in &mut it {
        sum = u32::from(fold(sum + u32::from(u16::from_be_bytes([c[0], c[1]]))));
    }
    if let [b] = it.remainder() {
        sum = u32::from(fold(sum + (u32::from(*b) << 8)));
    }
    sum
}

/// The TCP checksum check tcpdump prints with `-v` (RFC 9293 3.1: the
/// one's complement sum over the pseudo-header, header, options and data):
/// `(checksum field, complement of the sum)`, the latter 0 when correct.
/// `None` when tcpdump prints nothing: an IPv4 fragment, or a segment not
/// captured whole.
fn tcp_checksum(seg: &Segment<'_>) -> Option<(u16, u16)> {
    if seg.ip.version == 4 && seg.ip.frag & 0x3fff != 0 {
        return None;
    }
    if seg.header_captured < seg.header_len
        || usize::from(seg.header_len) != 20 + seg.options.bytes().len()
        || (seg.payload.len() as u64) < u64::from(seg.payload_len)
    {
        return None;
    }
    let payload = seg.payload.get(..seg.payload_len as usize)?;
    let tcp_len = u32::from(seg.header_len) + seg.payload_len;
    let mut sum = 0u32;
    match (seg.ip.src, seg.ip.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            sum = sum_words(sum, &s.octets());
            sum = sum_words(sum, &d.octets());
            sum = sum_words(sum, &[0, 6]);
            sum = sum_words(sum, &(tcp_len as u16).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            sum = sum_words(sum, &s.octets());
            sum = sum_words(sum, &d.octets());
            sum = sum_words(sum, &tcp_len.to_be_bytes());
            sum = sum_words(sum, &[0, 0, 0, 6]);
        }
        _ => return None,
    }
    let off_flags = u16::from(seg.header_len / 4) << 12 | (seg.flags.0 & 0x0fff);
    let mut hdr = [0u8; 20];
    hdr[0..2].copy_from_slice(&seg.sport.to_be_bytes());
    hdr[2..4].copy_from_slice(&seg.dport.to_be_bytes());
    hdr[4..8].copy_from_slice(&seg.seq.0.to_be_bytes());
    hdr[8..12].copy_from_slice(&seg.ack.0.to_be_bytes());
    hdr[12..14].copy_from_slice(&off_flags.to_be_bytes());
    hdr[14..16].copy_from_slice(&seg.window.to_be_bytes());
    hdr[16..18].copy_from_slice(&seg.checksum.to_be_bytes());
    hdr[18..20].copy_from_slice(&seg.urgent.to_be_bytes());
    sum = sum_words(sum, &hdr);
    sum = sum_words(sum, seg.options.bytes());
    sum = sum_words(sum, payload);
    Some((seg.checksum, !fold(sum)))
}

/// The option bytes with tcpdump's bounds: `declared` is what the data offset
/// says, `cap` what was captured.
struct OptCursor<'a> {
    cap: &'a [u8],
    pos: usize,
}

impl OptCursor<'_> {
    fn byte(&self, at: usize) -> Result<u8, Stop> {
        self.cap.get(self.pos + at).copied().ok_or(Stop::Trunc)
    }
    fn be16(&self, at: usize) -> Result<u16, Stop> {
        Ok(u16::from_be_bytes([self.byte(at)?, self.byte(at + 1)?]))
    }
    fn be32(&self, at: usize) -> Result<u32, Stop> {
        Ok(u32::from_be_bytes([
            self.byte(at)?,
            self.byte(at + 1)?,
            self.byte(at + 2)?,
            self.byte(at + 3)?,
        ]))
    }
    fn be64(&self, at: usize) -> Result<u64, Stop> {
        Ok(u64::from(self.be32(at)?) << 32 | u64::from(self.be32(at + 4)?))
    }
    /// tcpdump's LENCHECK: `l` bytes must be left in the option space
    /// (else bad) and captured (else truncated).
    fn lencheck(&self, l: usize, hlen: usize) -> Result<(), Stop> {
        if l > hlen {
            return Err(Stop::Bad);
        }
        if self.pos + l > self.cap.len() {
            return Err(Stop::Trunc);
        }
        Ok(())
    }
}

fn option_name(kind: u8) -> Option<&'static str> {
    Some(match kind {
        0 => "eol",
        1 => "nop",
        2 => "mss",
        3 => "wscale",
        4 => "sackOK",
        5 => "sack",
        6 => "echo",
        7 => "echoreply",
        8 => "TS",
        11 => "cc",
        12 => "ccnew",
        13 => "ccecho",
        19 => "md5",
        20 => "scps",
        28 => "uto",
        29 => "tcp-ao",
        30 => "mptcp",
        34 => "tfo",
        254 => "exp",
        _ => return None,
    })
}

fn write_options<W: Write>(
    w: &mut W,
    seg: &Segment<'_>,
    view: &SeqView,
    opts: &RenderOptions,
    declared: u32,
) -> Result<(), Stop> {
    let mut c = OptCursor {
        cap: seg.options.bytes(),
        pos: 0,
    };
    let mut hlen = declared as usize;
    let mut first = true;
    let bad = |w: &mut W, first: bool| -> Result<(), Stop> {
        w.write_str("[bad opt]")?;
        if !first {
            w.write_char(']')?;
        }
        Err(Stop::Bad)
    };
    while hlen > 0 {
        if !first {
            w.write_char(',')?;
        }
        let opt = c.byte(0)?;
        c.pos += 1;
        let len: usize = if opt <= 1 {
            1
        } else {
            let l = usize::from(c.byte(0)?);
            c.pos += 1;
            if l < 2 || l > hlen {
                return bad(w, first);
            }
            hlen -= 1;
            l
        };
        hlen -= 1;
        match option_name(opt) {
            Some(n) => w.write_str(n)?,
            None => write!(w, "unknown-{opt}")?,
        }
        let r = write_one_option(w, &c, opt, len, hlen, seg, view, opts);
        let datalen = match r {
            Ok(d) => d,
            Err(Stop::Bad) => return bad(w, first),
            Err(e) => return Err(e),
        };
        c.pos += datalen;
        hlen = hlen.saturating_sub(datalen);
        let spec = datalen + if opt <= 1 { 1 } else { 2 };
        if spec != len {
            write!(w, "[len {len}]")?;
        }
        first = false;
        if opt == 0 {
            break;
        }
    }
    Ok(())
}

/// Writes one option's data (after its name); returns tcpdump's `datalen`.
#[allow(clippy::too_many_arguments)]
fn write_one_option<W: Write>(
    w: &mut W,
    c: &OptCursor<'_>,
    opt: u8,
    len: usize,
    hlen: usize,
    seg: &Segment<'_>,
    view: &SeqView,
    opts: &RenderOptions,
) -> Result<usize, Stop> {
    let datalen;
    match opt {
        2 => {
            datalen = 2;
            c.lencheck(datalen, hlen)?;
            field(w, " ", u64::from(c.be16(0)?))?;
        }
        3 => {
            datalen = 1;
            c.lencheck(datalen, hlen)?;
            field(w, " ", u64::from(c.byte(0)?))?;
        }
        5 => {
            datalen = len - 2;
            if datalen % 8 != 0 {
                w.write_str(" invalid sack")?;
            } else {
                write!(w, " {} ", datalen / 8)?;
                let mut i = 0;
                while i < datalen {
                    c.lencheck(i + 4, hlen)?;
                    let s = c.be32(i)?;
                    c.lencheck(i + 8, hlen)?;
                    let e = c.be32(i + 4)?;
                    write!(w, "{{{}:{}}}", view.sack_edge(s), view.sack_edge(e))?;
                    i += 8;
                }
            }
        }
        6 | 7 | 11 | 12 | 13 => {
            datalen = 4;
            c.lencheck(datalen, hlen)?;
            write!(w, " {}", c.be32(0)?)?;
        }
        8 => {
            datalen = 8;
            c.lencheck(datalen, hlen)?;
            field(w, " val ", u64::from(c.be32(0)?))?;
            field(w, " ecr ", u64::from(c.be32(4)?))?;
        }
        19 => {
            datalen = 16;
            c.lencheck(datalen, hlen)?;
            w.write_char(' ')?;
            if opts.md5_libcrypto {
                if (seg.payload.len() as u64) < u64::from(seg.payload_len) {
                    w.write_str("snaplen too short, ")?;
                } else {
                    w.write_str("shared secret not supplied with -M, ")?;
                }
                w.write_str("can't check - ")?;
            }
            for i in 0..16 {
                write!(w, "{:02x}", c.byte(i)?)?;
            }
        }
        20 => {
            datalen = 2;
            c.lencheck(datalen, hlen)?;
            write!(w, " cap {:02x} id {}", c.byte(0)?, c.byte(1)?)?;
        }
        29 => {
            datalen = len - 2;
            if datalen < 2 {
                w.write_str(" (invalid)")?;
            } else {
                c.lencheck(1, hlen)?;
                write!(w, " keyid {}", c.byte(0)?)?;
                c.lencheck(2, hlen)?;
                write!(w, " rnextkeyid {}", c.byte(1)?)?;
                if datalen > 2 {
                    w.write_str(" mac 0x")?;
                    for i in 2..datalen {
                        c.lencheck(i + 1, hlen)?;
                        write!(w, "{:02x}", c.byte(i)?)?;
                    }
                }
            }
        }
        0 | 1 | 4 => datalen = 0,
        28 => {
            datalen = 2;
            c.lencheck(datalen, hlen)?;
            let v = u32::from(c.be16(0)?);
            write!(w, " 0x{v:x}")?;
            let secs = if v & 1 != 0 { (v >> 1) * 60 } else { v >> 1 };
            write!(w, " {secs}")?;
        }
        30 => {
            datalen = len - 2;
            c.lencheck(datalen, hlen)?;
            write_mptcp(w, c, len, seg.flags)?;
        }
        34 => {
            datalen = len - 2;
            c.lencheck(datalen, hlen)?;
            w.write_char(' ')?;
            write_fastopen(w, c, 0, datalen, false)?;
        }
        254 => {
            datalen = len - 2;
            c.lencheck(datalen, hlen)?;
            if datalen < 2 {
                return Err(Stop::Bad);
            }
            let magic = c.be16(0)?;
            w.write_char('-')?;
            if magic == 0xf989 {
                write_fastopen(w, c, 2, datalen - 2, true)?;
            } else {
                write!(w, "{magic:04x}")?;
            }
        }
        _ => {
            datalen = len - 2;
            if datalen > 0 {
                w.write_str(" 0x")?;
            }
            for i in 0..datalen {
                c.lencheck(i + 1, hlen)?;
                write!(w, "{:02x}", c.byte(i)?)?;
            }
        }
    }
    Ok(datalen)
}

/// TCP Fast Open (RFC 7413): ` cookiereq`, ` cookie <hex>` or ` (invalid)`.
fn write_fastopen<W: Write>(
    w: &mut W,
    c: &OptCursor<'_>,
    at: usize,
    datalen: usize,
    exp: bool,
) -> Result<(), Stop> {
    if exp {
        w.write_str("tfo")?;
    }
    if datalen == 0 {
        w.write_str(" cookiereq")?;
    } else if !datalen.is_multiple_of(2) || !(4..=16).contains(&datalen) {
        w.write_str(" (invalid)")?;
    } else {
        w.write_str(" cookie ")?;
        for i in 0..datalen {
            write!(w, "{:02x}", c.byte(at + i)?)?;
        }
    }
    Ok(())
}

/// Writes a bit set with tcpdump's `bittok2str_nosep` (letters, or `none`).
fn write_bits<W: Write>(w: &mut W, v: u8, toks: &[(u8, char)]) -> fmt::Result {
    let mut any = false;
    for &(bit, ch) in toks {
        if v & bit != 0 {
            w.write_char(ch)?;
            any = true;
        }
    }
    if !any {
        w.write_str("none")?;
    }
    Ok(())
}

/// MPTCP (RFC 8684) as `print-mptcp.c` prints it: ` <len> <subtype> ...`.
/// `c` points at the option data (after kind and length); offsets below are
/// from the option's start, as in RFC 8684's figures, hence the `- 2`.
fn write_mptcp<W: Write>(
    w: &mut W,
    c: &OptCursor<'_>,
    len: usize,
    flags: TcpFlags,
) -> Result<(), Stop> {
    const NAMES: [&str; 10] = [
        "capable",
        "join",
        "dss",
        "add-addr",
        "rem-addr",
        "prio",
        "fail",
        "fast-close",
        "tcprst",
        "unknown",
    ];
    if len < 3 {
        return Err(Stop::Bad);
    }
    let b = |off: usize| c.byte(off - 2);
    let b16 = |off: usize| c.be16(off - 2);
    let b32 = |off: usize| c.be32(off - 2);
    let b64 = |off: usize| c.be64(off - 2);
    let sub_etc = b(2)?;
    let subtype = usize::from(sub_etc >> 4).min(9);
    write!(w, " {len}")?;
    write!(w, " {}", NAMES[subtype])?;
    let syn = flags.syn();
    let synack = flags.0 & (TcpFlags::SYN | TcpFlags::ACK);
    match subtype {
        0 => {
            if !((len == 12 || len == 4) && syn)
                && !((len == 20 || len == 22 || len == 24) && synack == TcpFlags::ACK)
            {
                return Err(Stop::Bad);
            }
            let version = sub_etc & 0xf;
            if version > 1 {
                write!(w, " Unknown Version ({version})")?;
                return Ok(());
            }
            write!(w, " v{version}")?;
            let mflags = b(3)?;
            w.write_str(" flags [")?;
            write_bits(
                w,
                mflags,
                &[
                    (0x80, 'A'),
                    (0x40, 'B'),
                    (0x20, 'C'),
                    (0x10, 'D'),
                    (0x08, 'E'),
                    (0x04, 'F'),
                    (0x02, 'G'),
                    (0x01, 'H'),
                ],
            )?;
            w.write_char(']')?;
            let csum = mflags & 0x80 != 0;
            if csum {
                w.write_str(" csum")?;
            }
            if len >= 12 {
                write!(w, " {{0x{:x}", b64(4)?)?;
                if len >= 20 {
                    write!(w, ",0x{:x}", b64(12)?)?;
                }
                if (len == 22 && !csum) || len == 24 {
                    write!(w, ",data_len={}", b16(20)?)?;
                }
                w.write_char('}')?;
            }
        }
        1 => {
            let valid = match len {
                12 => syn,
                16 => synack == (TcpFlags::SYN | TcpFlags::ACK),
                24 => flags.ack(),
                _ => false,
            };
            if !valid {
                return Err(Stop::Bad);
            }
            if len != 24 {
                if sub_etc & 1 != 0 {
                    w.write_str(" backup")?;
                }
                write!(w, " id {}", b(3)?)?;
            }
            match len {
                12 => write!(w, " token 0x{:x} nonce 0x{:x}", b32(4)?, b32(8)?)?,
                16 => write!(w, " hmac 0x{:x} nonce 0x{:x}", b64(4)?, b32(12)?)?,
                _ => {
                    w.write_str(" hmac 0x")?;
                    for off in 4..24 {
                        write!(w, "{:02x}", b(off)?)?;
                    }
                }
            }
        }
        2 => {
            if len < 4 || syn {
                return Err(Stop::Bad);
            }
            let f = b(3)?;
            if f & 0x10 != 0 {
                w.write_str(" fin")?;
            }
            let mut off = 4;
            let mut left = len - 4;
            // The next data ACK or data sequence number: 8 bytes when `wide`, else 4.
            let number = |wide: bool, off: &mut usize, left: &mut usize| -> Result<u64, Stop> {
                let width = if wide { 8 } else { 4 };
                if *left < width {
                    return Err(Stop::Bad);
                }
                let v = if wide {
                    b64(*off)?
                } else {
                    u64::from(b32(*off)?)
                };
                *off += width;
                *left -= width;
                Ok(v)
            };
            if f & 0x01 != 0 {
                w.write_str(" ack ")?;
                write!(w, "{}", number(f & 0x02 != 0, &mut off, &mut left)?)?;
            }
            if f & 0x04 != 0 {
                w.write_str(" seq ")?;
                write!(w, "{}", number(f & 0x08 != 0, &mut off, &mut left)?)?;
                if left < 4 {
                    return Err(Stop::Bad);
                }
                write!(w, " subseq {}", b32(off)?)?;
                off += 4;
                left -= 4;
                if left < 2 {
                    return Err(Stop::Bad);
                }
                write!(w, " len {}", b16(off)?)?;
                off += 2;
                left -= 2;
                if left >= 2 {
                    write!(w, " csum 0x{:x}", b16(off)?)?;
                    left -= 2;
                }
            }
            if left != 0 {
                return Err(Stop::Bad);
            }
        }
        3 => {
            if ![8, 10, 16, 18, 20, 22, 28, 30].contains(&len) {
                return Err(Stop::Bad);
            }
            match sub_etc & 0xf {
                6 => w.write_str(" v0-ip6")?,
                4 => w.write_str(" v0-ip4")?,
                1 => w.write_str(" v1-echo")?,
                0 => w.write_str(" v1")?,
                _ => w.write_str(" [bad version/echo]")?,
            }
            write!(w, " id {}", b(3)?)?;
            if len <= 18 {
                write!(w, " {}.{}.{}.{}", b(4)?, b(5)?, b(6)?, b(7)?)?;
                if len == 10 || len == 18 {
                    write!(w, ":{}", b16(8)?)?;
                }
                if len == 16 {
                    write!(w, " hmac 0x{:x}", b64(8)?)?;
                }
                if len == 18 {
                    write!(w, " hmac 0x{:x}", b64(10)?)?;
                }
            } else {
                let mut a = [0u8; 16];
                for (i, x) in a.iter_mut().enumerate() {
                    *x = b(4 + i)?;
                }
                write!(w, " {}", std::net::Ipv6Addr::from(a))?;
                if len == 22 || len == 30 {
                    write!(w, ":{}", b16(20)?)?;
                }
                if len == 28 {
                    write!(w, " hmac 0x{:x}", b64(20)?)?;
                }
                if len == 30 {
                    write!(w, " hmac 0x{:x}", b64(22)?)?;
                }
            }
        }
        4 => {
            if len < 4 {
                return Err(Stop::Bad);
            }
            w.write_str(" id")?;
            for off in 3..len {
                write!(w, " {}", b(off)?)?;
            }
        }
        5 => {
            if len != 3 && len != 4 {
                return Err(Stop::Bad);
            }
            w.write_str(if sub_etc & 1 != 0 {
                " backup"
            } else {
                " non-backup"
            })?;
            if len == 4 {
                write!(w, " id {}", b(3)?)?;
            }
        }
        6 => {
            if len != 12 {
                return Err(Stop::Bad);
            }
            write!(w, " seq {}", b64(4)?)?;
        }
        7 => {
            if len != 12 {
                return Err(Stop::Bad);
            }
            write!(w, " key 0x{:x}", b64(4)?)?;
        }
        8 => {
            if len != 4 {
                return Err(Stop::Bad);
            }
            w.write_str(" flags [")?;
            write_bits(
                w,
                sub_etc,
                &[(0x08, 'U'), (0x04, 'V'), (0x02, 'W'), (0x01, 'T')],
            )?;
            w.write_str("] reason ")?;
            let reason = b(3)?;
            match reason {
                0 => w.write_str("Unspecified error")?,
                1 => w.write_str("MPTCP-specific error")?,
                2 => w.write_str("Lack of resources")?,
                3 => w.write_str("Administratively prohibited")?,
                4 => w.write_str("Too much outstanding data")?,
                5 => w.write_str("Unacceptable performance")?,
                6 => w.write_str("Middlebox interference")?,
                r => write!(w, "unknown (0x{r:02x})")?,
            }
        }
        _ => {}
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{Options, SeqNumber};
    use hex_literal::hex;
    use std::net::Ipv4Addr;

    fn seg<'a>(opts: &'a [u8], flags: u16, seq: u32, ack: u32, len: u32) -> Segment<'a> {
        Segment {
            ip: IpInfo {
                src: IpAddr::V4(Ipv4Addr::new(198, 18, 0, 15)),
                dst: IpAddr::V4(Ipv4Addr::new(198, 18, 0, 12)),
                version: 4,
                tos: 0,
                ttl: 64,
                id: 1,
                frag: 0x4000,
                flow_label: 0,
                total_len: 40 + opts.len() as u32 + len,
            },
            sport: 53112,
            dport: 9527,
            seq: SeqNumber(seq),
            ack: SeqNumber(ack),
            flags: TcpFlags(flags),
            window: 59220,
            checksum: 0,
            urgent: 0,
            header_len: 20 + opts.len() as u8,
            header_captured: 20 + opts.len() as u8,
            options: Options::new(opts),
            payload: &[],
            payload_len: len,
            truncated: false,
        }
    }

    fn line(r: &mut Renderer, s: &Segment<'_>) -> String {
        let mut out = String::new();
        r.write_segment(&mut out, s).unwrap();
        out
    }

    #[test]
    fn syn_line_as_in_the_design_card() {
        // DESIGN.md's example line (a Linux SYN).
        let o = hex!("02 04 21 0c 04 02 08 0a af c4 b0 69 00 00 00 00 01 03 03 0a");
        let s = seg(&o, TcpFlags::SYN, 2622776463, 0, 0);
        assert_eq!(
            line(&mut Renderer::default(), &s),
            "IP 198.18.0.15.53112 > 198.18.0.12.9527: Flags [S], seq 2622776463, win 59220, \
             options [mss 8460,sackOK,TS val 2948903017 ecr 0,nop,wscale 10], length 0"
        );
    }

    #[test]
    fn relative_after_the_first_ack_segment() {
        // tcpdump: the first segment with ACK records (seq, ack-1) and prints
        // absolute; the next ones print seq - isn, ack - peer isn.
        let mut r = Renderer::default();
        let s1 = seg(&[], TcpFlags::ACK, 1000, 5001, 0);
        assert!(line(&mut r, &s1).ends_with("Flags [.], ack 5001, win 59220, length 0"));
        let s2 = seg(&[], TcpFlags::ACK | TcpFlags::PSH, 1000, 5001, 21);
        assert!(line(&mut r, &s2).ends_with("Flags [P.], seq 0:21, ack 1, win 59220, length 21"));
        // The reverse direction (ports swapped) shares the entry.
        let mut s3 = seg(&[], TcpFlags::ACK, 5001, 1021, 0);
        core::mem::swap(&mut s3.sport, &mut s3.dport);
        core::mem::swap(&mut s3.ip.src, &mut s3.ip.dst);
        assert!(line(&mut r, &s3).ends_with("Flags [.], ack 21, win 59220, length 0"));
        // -S: absolute.
        let mut abs = Renderer::new(RenderOptions {
            absolute: true,
            ..RenderOptions::default()
        });
        assert!(line(&mut abs, &s2).contains("seq 1000:1021, ack 5001,"));
    }

    #[test]
    fn sack_edges_are_relative_to_the_peer() {
        // ssh.pcap in tcpdump's corpus prints `sack 1 {5282:5283}` this way.
        let mut r = Renderer::default();
        let s1 = seg(&[], TcpFlags::ACK, 100, 9000, 0);
        line(&mut r, &s1);
        let o = hex!("01 01 05 0a 00 00 2b 9a 00 00 2b 9b");
        let s2 = seg(&o, TcpFlags::ACK, 100, 9000, 0);
        // th_ack = 9000 - 1 = 8999; 11162 - 8999 = 2163.
        assert!(line(&mut r, &s2).contains("options [nop,nop,sack 1 {2163:2164}]"));
    }

    #[test]
    fn option_quirks() {
        let mut r = Renderer::new(RenderOptions {
            absolute: true,
            ..RenderOptions::default()
        });
        // sackOK with length 3: tcpdump prints [len 3] and reads on from the
        // byte after the length (here a NOP), then EOL ends the list.
        let o = hex!("04 03 01 00");
        assert!(
            line(&mut r, &seg(&o, TcpFlags::SYN, 1, 0, 0))
                .contains("options [sackOK[len 3],nop,eol]")
        );
        // Unknown kind with data; then an impossible length.
        let o = hex!("30 04 ab cd 02 09 00 00");
        let l = line(&mut r, &seg(&o, TcpFlags::SYN, 1, 0, 0));
        assert!(l.ends_with("options [unknown-48 0xabcd,[bad opt]]"), "{l}");
        // Experimental TFO and AccECN (kind 254).
        let o = hex!("fe 04 f9 89 fe 04 ac c0 01 00");
        let l = line(&mut r, &seg(&o, TcpFlags::SYN, 1, 0, 0));
        assert!(
            l.contains("options [exp-tfo cookiereq,exp-acc0,nop,eol]"),
            "{l}"
        );
        // User timeout 0x0259: tcpdump reads the low bit as "minutes": (0x259 >> 1) * 60.
        let o = hex!("1c 04 02 59");
        assert!(
            line(&mut r, &seg(&o, TcpFlags::SYN, 1, 0, 0)).contains("options [uto 0x259 18000]")
        );
    }

    #[test]
    fn fast_open_and_md5() {
        let mut r = Renderer::new(RenderOptions {
            absolute: true,
            ..RenderOptions::default()
        });
        // Kind 34: tcpdump prints the name, a space, then ` cookiereq` (two
        // spaces; real tcpdump output reads `wscale 7,tfo  cookiereq,nop,nop`).
        let o = hex!("22 02 01 01");
        assert!(
            line(&mut r, &seg(&o, TcpFlags::SYN, 1, 0, 0))
                .contains("options [tfo  cookiereq,nop,nop]")
        );
        let o = hex!("22 0a f0 25 dd 84 b6 12 25 10");
        assert!(
            line(&mut r, &seg(&o, TcpFlags::SYN, 1, 0, 0))
                .contains("options [tfo  cookie f025dd84b6122510]")
        );
        // MD5 (bgp-as-path-oobr-ssl.out / -nossl.out: the two tcpdump builds).
        let o = hex!("13 12 e7 51 e2 ba 0a 9a 57 c4 b1 91 4e aa a1 ab bd 79 00 00");
        let s = seg(&o, TcpFlags::ACK, 1, 2, 0);
        assert!(line(&mut r, &s).contains(
            "options [md5 shared secret not supplied with -M, can't check - e751e2ba0a9a57c4b1914eaaa1abbd79,eol]"
        ));
        let mut plain = Renderer::new(RenderOptions {
            md5_libcrypto: false,
            ..RenderOptions::default()
        });
        assert!(
            line(&mut plain, &s).contains("options [md5 e751e2ba0a9a57c4b1914eaaa1abbd79,eol]")
        );
    }

    #[test]
    fn header_cut_in_the_options() {
        let o = hex!("02 04 21 0c 01 01 1e");
        let mut s = seg(&o, TcpFlags::SYN, 7, 0, 0);
        s.header_len = 32; // 12 option bytes declared, 7 captured
        // tcpdump reads kind and length before naming the option: the length
        // byte is past the cut, so the name never comes.
        let l = line(&mut Renderer::default(), &s);
        assert!(l.ends_with("options [mss 8460,nop,nop, [|tcp]"), "{l}");
        // Cut inside an unknown option's data: the captured bytes, then the mark
        // (heapoverflow-tcp_print.out: `unknown-48 0x3030303030303030 [|tcp]`).
        let o = hex!("30 0c 30 30 30");
        let mut s = seg(&o, TcpFlags::SYN, 7, 0, 0);
        s.header_len = 32;
        let l = line(&mut Renderer::default(), &s);
        assert!(l.ends_with("options [unknown-48 0x303030 [|tcp]"), "{l}");
        // beep-oobr.out: EOL ends the options inside the capture, but the
        // header is cut and the segment carries data.
        let o = hex!("00 30 30 30");
        let mut s = seg(&o, TcpFlags::ACK, 7, 8, 12308);
        s.header_len = 28;
        let l = line(&mut Renderer::default(), &s);
        assert!(
            l.ends_with(
                "options [eol], length 12308 [remaining caplen(24) < header length(28)] [|tcp]"
            ),
            "{l}"
        );
    }

    #[test]
    fn mptcp_capable_and_dss() {
        // mptcp-v1.pcap of tcpdump's corpus prints these forms.
        let mut r = Renderer::new(RenderOptions {
            absolute: true,
            ..RenderOptions::default()
        });
        let o = hex!("1e 04 01 01");
        assert!(
            line(&mut r, &seg(&o, TcpFlags::SYN, 1, 0, 0))
                .contains("options [mptcp 4 capable v1 flags [H]]")
        );
        let o = hex!("1e 08 20 01 00 00 00 2a");
        assert!(
            line(&mut r, &seg(&o, TcpFlags::ACK, 1, 1, 0)).contains("options [mptcp 8 dss ack 42]")
        );
    }

    #[test]
    fn flags_and_timestamps() {
        let mut s = String::new();
        write_flags(
            &mut s,
            TcpFlags(TcpFlags::SYN | TcpFlags::ECE | TcpFlags::CWR | TcpFlags::AE),
        )
        .unwrap();
        assert_eq!(s, "SEWe");
        assert_eq!(flag_letters(TcpFlags(0)).as_str(), "none");
        assert_eq!(flag_letters(TcpFlags(0x1ff)).as_str(), "FSRP.UEWe");
        let mut t = String::new();
        // 2022-07-26 06:26:07.794026 UTC (accecn_handshake.out's first line).
        write_timestamp(&mut t, 1_658_816_767_794_026_000, false).unwrap();
        assert_eq!(t, "2022-07-26 06:26:07.794026");
        t.clear();
        write_timestamp(&mut t, -1, true).unwrap();
        assert_eq!(t, "1969-12-31 23:59:59.999999999");
    }

    #[test]
    fn vv_remarks_on_ack_and_urg_without_their_flags() {
        // rpki-rtr-oobr-vv.out: `Flags [e], seq 2684354563:2684354573, [ack
        // 3892371968 != 0 while ACK flag not set], win 28672, [urg 770 != 0
        // while URG flag not set], length 10`; at -v neither remark.
        let mut s = seg(&[], TcpFlags::AE, 2684354563, 3892371968, 10);
        s.window = 28672;
        s.urgent = 770;
        let mut r = Renderer::new(RenderOptions {
            verbose: 2,
            ..RenderOptions::default()
        });
        let l = line(&mut r, &s);
        assert!(
            l.contains(
                "Flags [e], seq 2684354563:2684354573, [ack 3892371968 != 0 while ACK flag not set], \
                 win 28672, [urg 770 != 0 while URG flag not set], length 10"
            ),
            "{l}"
        );
        let mut r = Renderer::new(RenderOptions {
            verbose: 1,
            ..RenderOptions::default()
        });
        assert!(
            line(&mut r, &s).contains("Flags [e], seq 2684354563:2684354573, win 28672, length 10")
        );
    }

    proptest::proptest! {
        /// Any option bytes, header length, capture cut, flags and verbosity:
        /// rendering never panics and always ends the line the tcpdump way.
        #[test]
        fn never_panics(
            opts in proptest::collection::vec(proptest::num::u8::ANY, 0..44),
            declared in 0u8..=15,
            captured in 0u8..=60,
            flags in 0u16..0x1ff,
            plen in 0u32..70_000,
            verbose in 0u8..4,
            absolute in proptest::bool::ANY,
        ) {
            let mut s = seg(&opts, flags, 1, 2, plen);
            s.header_len = declared * 4;
            s.header_captured = captured.min(20 + opts.len() as u8);
            let mut r = Renderer::new(RenderOptions { verbose, absolute, ..RenderOptions::default() });
            let l = line(&mut r, &s);
            proptest::prop_assert!(
                l.ends_with(&format!("length {plen}")) || l.ends_with("[|tcp]")
                    || l.contains("[bad opt]") || l.contains("bad hdr length"),
                "{}", l
            );
        }
    }

    #[test]
    fn verbose_ip_header() {
        let s = seg(&[], TcpFlags::ACK, 1, 1, 0);
        let mut r = Renderer::new(RenderOptions {
            verbose: 1,
            ..RenderOptions::default()
        });
        assert!(line(&mut r, &s).starts_with(
            "IP (tos 0x0, ttl 64, id 1, offset 0, flags [DF], proto TCP (6), length 40) 198.18.0.15.53112"
        ));
    }
}

//! Decoding a captured packet down to its TCP segment, zero-copy.
//!
//! [`decode`] walks the link layer, IP and tunnels to the innermost TCP header
//! and returns a [`Segment`] that borrows the option and payload bytes from the
//! packet. Nothing here allocates.
//!
//! Link layers: Ethernet (802.1Q, 802.1ad, QinQ tags, 802.2 SNAP), Linux
//! cooked v1 and v2, BSD null/loopback, PPP (PPPoE, Cisco HDLC), raw IP
//! (LINKTYPE 101, 228, 229 and DLT_RAW 12/14), ARCNET (Linux), IP over
//! InfiniBand, Juniper Ethernet; MPLS label stacks. Network: IPv4 with options
//! and AH, IPv6 with Hop-by-Hop (Jumbo Payload), Routing, Fragment,
//! Destination Options, AH, Mobility. Tunnels: IP-in-IP, 6in4, GRE (incl. WCCP
//! redirect and PPTP), VXLAN, GENEVE, Broadcom LI.
//!
//! What comes out, by how much of the TCP header was captured:
//!
//! - 20 bytes or more: a [`Segment`]; when the data offset announces options
//!   past the capture, `options` holds what was captured and `truncated` is set.
//! - 4 to 19 bytes: a [`Segment`] with `header_captured` telling how far the
//!   fields go; every field not wholly captured reads 0 (and `payload_len` is
//!   0 when the data offset, byte 12, is missing: it cannot be known). tshark lists such a
//!   frame as TCP with only the ports (`tcp_header_heapoverflow.pcap`) and
//!   tcpdump prints the ports then `[|tcp]`.
//! - fewer than 4 bytes: `Err(DecodeError::Truncated { layer: "TCP", .. })`.
//!   tshark does not call it TCP (its dissector fails on the source port before
//!   adding the TCP layer); tcpdump prints only the addresses and `[|tcp]`.
//!
//! `payload_len` always comes from the IP length fields (minus the TCP data
//! offset), not from what was captured. An IP datagram that is not a first
//! fragment (offset != 0) is not a TCP segment: `Ok(None)`.

pub(crate) mod cursor;
pub(crate) mod encap;
mod fmt;
mod ip;
mod link;
mod option;
mod seq;
mod tcp;
#[cfg(test)]
mod tests;
mod tunnel;

pub use encap::{Encapsulation, GeneveLayer, GreLayer, IpLayer, Layer, MAX_ENCAP_LAYERS, UdpLayer};
pub use fmt::{
    AddrText, FlagLetters, LineBuf, addr_text, flag_letters, write_addr, write_decimal,
    write_flags, write_nine_digits,
};
pub(crate) use fmt::{copy_short, decimal_text, ipv4_text, nine_digits_text};
pub use option::{OptionError, OptionIter, Options, SackBlocks, TcpOption, exid, kind};
pub use seq::SeqNumber;
pub use tcp::{HEADER_LEN, TcpHeader, TooShort};
pub use tunnel::{BCM_LI_PORT, GENEVE_PORT, VXLAN_PORT};

use crate::capture::Packet;
use crate::error::DecodeError;
use cursor::Cursor;
use encap::{NoSink, Sink};
use std::net::IpAddr;

/// The TCP header flags (RFC 9293 3.1, RFC 3168, RFC 9768's AE bit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TcpFlags(pub u16);

impl TcpFlags {
    /// No more data from sender.
    pub const FIN: u16 = 0x001;
    /// Synchronize sequence numbers.
    pub const SYN: u16 = 0x002;
    /// Reset the connection.
    pub const RST: u16 = 0x004;
    /// Push function.
    pub const PSH: u16 = 0x008;
    /// Acknowledgment field is significant.
    pub const ACK: u16 = 0x010;
    /// Urgent pointer field is significant.
    pub const URG: u16 = 0x020;
    /// ECN-Echo.
    pub const ECE: u16 = 0x040;
    /// Congestion window reduced.
    pub const CWR: u16 = 0x080;
    /// Accurate ECN (formerly NS, RFC 3540).
    pub const AE: u16 = 0x100;

    /// Is every bit of `mask` set?
    #[inline]
    pub fn has(self, mask: u16) -> bool {
        self.0 & mask == mask
    }
    /// SYN set.
    #[inline]
    pub fn syn(self) -> bool {
        self.has(Self::SYN)
    }
    /// ACK set.
    #[inline]
    pub fn ack(self) -> bool {
        self.has(Self::ACK)
    }
    /// FIN set.
    #[inline]
    pub fn fin(self) -> bool {
        self.has(Self::FIN)
    }
    /// RST set.
    #[inline]
    pub fn rst(self) -> bool {
        self.has(Self::RST)
    }
}

/// What the IP header said (outermost-to-innermost: the innermost one that
/// carried the TCP segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpInfo {
    /// Source address.
    pub src: IpAddr,
    /// Destination address.
    pub dst: IpAddr,
    /// 4 or 6.
    pub version: u8,
    /// IPv4 TOS / IPv6 traffic class.
    pub tos: u8,
    /// IPv4 TTL / IPv6 hop limit.
    pub ttl: u8,
    /// IPv4 identification (0 for IPv6).
    pub id: u16,
    /// IPv4 flags and fragment offset field (DF = 0x4000), 0 for IPv6.
    pub frag: u16,
    /// IPv6 flow label (0 for IPv4).
    pub flow_label: u32,
    /// IPv4 total length / IPv6 payload length (or Jumbo Payload length) + 40,
    /// as the header says (0 for IPv4 TSO / BIG TCP, 40 for IPv6 BIG TCP
    /// without a jumbo option: then the segment spans the rest of the packet).
    pub total_len: u32,
}

/// One TCP segment, borrowing its options and payload from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The IP header that carried it.
    pub ip: IpInfo,
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Sequence number.
    pub seq: SeqNumber,
    /// Acknowledgment number (meaningful when ACK is set).
    pub ack: SeqNumber,
    /// Flags.
    pub flags: TcpFlags,
    /// Raw window field (unscaled).
    pub window: u16,
    /// Checksum field.
    pub checksum: u16,
    /// Urgent pointer field.
    pub urgent: u16,
    /// Header length in bytes from the data offset field (may exceed what was captured).
    pub header_len: u8,
    /// How many bytes of the TCP header were captured (< 20: fields past the
    /// cut read as 0; < `header_len`: options cut).
    pub header_captured: u8,
    /// The captured option bytes.
    pub options: Options<'a>,
    /// The captured payload bytes (may be fewer than `payload_len`).
    pub payload: &'a [u8],
    /// Payload length on the wire, from the IP length fields.
    pub payload_len: u32,
    /// Anything of the segment (header or payload) was cut by the snaplen.
    pub truncated: bool,
}

impl Segment<'_> {
    /// Can the per-segment analysis use this segment? Its 20-byte fixed
    /// header must be captured and its data offset at least 5 (RFC 9293 3.1:
    /// "Data Offset (4 bits): The number of 32-bit words in the TCP Header").
    /// Below that its flags, window or data offset are not known: tshark
    /// stops at it too (it shows the ports and no `tcp.stream`), so it opens
    /// no connection number. [`Analysis`](crate::Analysis) decides with this,
    /// once, for every consumer.
    pub fn analysable(&self) -> bool {
        analysable(self.header_captured.into(), self.header_len.into())
    }
}

/// The rule of [`Segment::analysable`], on the header's captured and
/// declared lengths.
#[inline]
fn analysable(header_captured: usize, header_len: usize) -> bool {
    header_captured >= HEADER_LEN && header_len >= HEADER_LEN
}

/// Bytes of the TCP header captured: its declared length (at least the fixed
/// header) cut at the end of the captured bytes (`captured`).
#[inline]
fn header_captured(captured: usize, header_len: usize) -> usize {
    captured.min(header_len.max(HEADER_LEN))
}

/// A TCP segment [`decode_tcp`] found in a packet, its header not yet read:
/// the IP header's facts and the TCP bytes. [`segment`](Self::segment)
/// reads it ([`decode`] is [`decode_tcp`], then that); the accessors read
/// only what a consumer deciding whether to look further needs.
#[derive(Debug, Clone, Copy)]
pub struct Tcp<'a> {
    ip: IpInfo,
    c: Cursor<'a>,
}

impl<'a> Tcp<'a> {
    /// The TCP bytes at `c`: at least the two ports, else an error.
    fn new(ip: IpInfo, c: Cursor<'a>) -> Result<Self, DecodeError> {
        if c.data.len() < 4 {
            return Err(DecodeError::Truncated {
                layer: "TCP",
                offset: c.off + c.data.len(),
            });
        }
        Ok(Self { ip, c })
    }

    fn header(&self) -> TcpHeader<&'a [u8]> {
        TcpHeader::new_unchecked(self.c.data)
    }

    /// Source and destination addresses.
    pub fn addrs(&self) -> (IpAddr, IpAddr) {
        (self.ip.src, self.ip.dst)
    }

    /// Source and destination ports.
    pub fn ports(&self) -> (u16, u16) {
        let h = self.header();
        (h.src_port(), h.dst_port())
    }

    /// The flags (as [`Segment::flags`]).
    pub fn flags(&self) -> TcpFlags {
        self.header().flags()
    }

    /// [`Segment::analysable`] of the segment.
    pub fn analysable(&self) -> bool {
        let hl = usize::from(self.header().header_len());
        analysable(header_captured(self.c.data.len(), hl), hl)
    }

    /// The segment, every field read.
    #[inline]
    pub fn segment(self) -> Segment<'a> {
        segment(self.ip, self.c)
    }
}

/// The next header to decode (internal state of [`decode`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    Ethernet,
    EtherType(u16),
    Sll,
    Sll2,
    BsdNull { big_endian: bool },
    Ppp,
    PppProto,
    CiscoHdlc,
    Arcnet,
    Ipoib,
    JuniperEther,
    Mpls,
    Ip,
    Ipv4,
    Ipv6,
    Gre,
    Wccp,
    Udp,
    Tcp,
}

/// How many headers [`decode`] walks at most before giving up (tunnels in
/// tunnels); real captures need fewer than 12.
const MAX_LAYERS: usize = 32;

/// Decodes a packet to its (innermost) TCP segment. `Ok(None)`: not TCP (or a
/// non-first IP fragment). See the module docs for truncated headers.
pub fn decode<'a>(packet: &Packet<'a>) -> Result<Option<Segment<'a>>, DecodeError> {
    Ok(decode_into(packet, &mut NoSink)?.map(Tcp::segment))
}

/// [`decode`] up to the TCP header: the walk through the link, IP and tunnel
/// headers (the same outcome: not TCP, an error, or a segment), without
/// reading the segment's fields yet.
// Inlined into its one caller, the driver's loop, which otherwise read the
// returned view back from the stack (a third of the loop's `perf` samples).
#[inline(always)]
pub fn decode_tcp<'a>(packet: &Packet<'a>) -> Result<Option<Tcp<'a>>, DecodeError> {
    decode_into(packet, &mut NoSink)
}

/// [`decode`], also recording in `layers` (cleared first) every IP header
/// and tunnel header walked on the way, outermost first: what tcpdump prints
/// before the segment (`Geneve, Flags [none], vni 0xb: IP ...`). Nothing is
/// allocated: `layers` lives on the caller's stack. On `Ok(None)` or an error,
/// `layers` holds what was walked before decoding stopped.
pub fn decode_layers<'a>(
    packet: &Packet<'a>,
    layers: &mut Encapsulation<'a>,
) -> Result<Option<Segment<'a>>, DecodeError> {
    layers.clear();
    Ok(decode_into(packet, layers)?.map(Tcp::segment))
}

#[inline(always)]
fn decode_into<'a, S: Sink<'a>>(
    packet: &Packet<'a>,
    sink: &mut S,
) -> Result<Option<Tcp<'a>>, DecodeError> {
    let c = Cursor::new(packet.data, packet.orig_len);
    let mut ip: Option<IpInfo> = None;
    // Fast path for the common stacks (Ethernet, Linux cooked v1/v2, raw IP,
    // then IPv4 or IPv6): straight-line code the compiler keeps in registers.
    // Anything else continues in the general walk.
    let (next, c) = match fast_link(packet.link_type.0, c) {
        Some((next, c)) => {
            let step = match next {
                Next::Ipv4 => ip::ipv4(c, &mut ip),
                _ => ip::ipv6(c, &mut ip),
            };
            let step = step?;
            if S::ACTIVE
                && let Some((then, _)) = step
            {
                sink.record(next, c, then, ip.as_ref());
            }
            match step {
                Some((Next::Tcp, c)) => {
                    return match ip {
                        Some(ip) => Tcp::new(ip, c).map(Some),
                        None => Ok(None),
                    };
                }
                Some(more) => more,
                None => return Ok(None),
            }
        }
        None => (link::start(packet.link_type)?, c),
    };
    walk(next, c, ip, sink)
}

/// The IP header right after the link header of a common link type, if
/// that is where the packet goes (else the general walk decides).
#[inline]
fn fast_link(link: u16, c: Cursor<'_>) -> Option<(Next, Cursor<'_>)> {
    let (proto, len) = match link {
        1 => (c.u16(12), 14),
        113 => (c.u16(14), 16),
        276 => (c.u16(0), 20),
        101 | 12 | 14 => match c.data.first()? >> 4 {
            4 => return Some((Next::Ipv4, c)),
            6 => return Some((Next::Ipv6, c)),
            _ => return None,
        },
        228 => return Some((Next::Ipv4, c)),
        229 => return Some((Next::Ipv6, c)),
        _ => return None,
    };
    let next = match proto {
        link::ethertype::IPV4 => Next::Ipv4,
        link::ethertype::IPV6 => Next::Ipv6,
        _ => return None,
    };
    Some((next, c.skip(len, "link").ok()?))
}

/// The general walk: one header at a time from `next` at `c`.
fn walk<'a, S: Sink<'a>>(
    mut next: Next,
    mut c: Cursor<'a>,
    mut ip: Option<IpInfo>,
    sink: &mut S,
) -> Result<Option<Tcp<'a>>, DecodeError> {
    for _ in 0..MAX_LAYERS {
        let step = match next {
            Next::Ethernet => link::ethernet(c),
            Next::EtherType(t) => link::by_ethertype(t, c),
            Next::Sll => link::sll(c),
            Next::Sll2 => link::sll2(c),
            Next::BsdNull { big_endian } => link::bsd_null(c, big_endian),
            Next::Ppp => link::ppp(c),
            Next::PppProto => link::ppp_proto(c),
            Next::CiscoHdlc => link::cisco_hdlc(c),
            Next::Arcnet => link::arcnet(c),
            Next::Ipoib => link::ipoib(c),
            Next::JuniperEther => link::juniper_ether(c),
            Next::Mpls => link::mpls(c),
            Next::Ip => ip::by_version(c),
            Next::Ipv4 => ip::ipv4(c, &mut ip),
            Next::Ipv6 => ip::ipv6(c, &mut ip),
            Next::Gre => tunnel::gre(c),
            Next::Wccp => tunnel::wccp(c),
            Next::Udp => tunnel::udp(c),
            Next::Tcp => {
                return match ip {
                    Some(ip) => Tcp::new(ip, c).map(Some),
                    None => Ok(None),
                };
            }
        };
        match step? {
            Some((n, rest)) => {
                if S::ACTIVE {
                    sink.record(next, c, n, ip.as_ref());
                }
                next = n;
                c = rest;
            }
            None => return Ok(None),
        }
    }
    Err(DecodeError::Malformed {
        layer: "encapsulation",
        reason: "too many nested headers",
    })
}

/// Builds the segment from the TCP bytes at `c` (`c.wire` = IP payload
/// length; at least the ports, see [`Tcp::new`]). Inlined into the readers'
/// loops (the driver's, each thread worker's): the decoded header then
/// reaches the segment in registers, not through a copy on the stack whose
/// first reads wait for the stores (one thread 0.95-0.96 x CPU against a
/// call, `BENCHMARKS.md`, fourteenth session, for 1.1 % more instructions).
#[inline(always)]
fn segment(ip: IpInfo, c: Cursor<'_>) -> Segment<'_> {
    // The fixed header captured whole (nearly always) is read as an array:
    // its fields at constant offsets need no bounds test each.
    match c.data.first_chunk::<HEADER_LEN>() {
        Some(fixed) => segment_with(ip, c, TcpHeader::new_unchecked(fixed)),
        None => segment_with(ip, c, TcpHeader::new_unchecked(c.data)),
    }
}

/// [`segment`], the fixed header's fields read from `h` (`c.data`'s first bytes).
#[inline(always)]
fn segment_with<T: AsRef<[u8]>>(ip: IpInfo, c: Cursor<'_>, h: TcpHeader<T>) -> Segment<'_> {
    let header_len = h.header_len();
    let hl = usize::from(header_len);
    let header_captured = header_captured(c.data.len(), hl);
    // A data offset below 5 is malformed; the payload is then taken to start
    // after the fixed header, matching `payload_len`.
    let payload = c.data.get(hl.max(HEADER_LEN)..).unwrap_or_default();
    // Without the data offset (byte 12) the header length, hence the payload
    // length, is unknown: 0.
    let payload_len = if c.data.len() > 12 {
        c.wire.saturating_sub(hl.max(HEADER_LEN))
    } else {
        0
    };
    Segment {
        ip,
        sport: h.src_port(),
        dport: h.dst_port(),
        seq: h.seq_number(),
        ack: h.ack_number(),
        flags: h.flags(),
        window: h.window(),
        checksum: h.checksum(),
        urgent: h.urgent(),
        header_len,
        header_captured: u8::try_from(header_captured).unwrap_or(u8::MAX),
        options: TcpHeader::new_unchecked(c.data).options(),
        payload,
        payload_len: u32::try_from(payload_len).unwrap_or(u32::MAX),
        truncated: header_captured < hl.max(HEADER_LEN) || payload.len() < payload_len,
    }
}

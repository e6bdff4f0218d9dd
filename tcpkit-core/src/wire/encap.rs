//! The layers [`decode_layers`](super::decode_layers) walked on the way to
//! the TCP segment: every IP header (outermost first, the last one being the
//! segment's own) and every tunnel or shim header between them (UDP with
//! VXLAN / GENEVE / Broadcom LI, GRE, WCCP, MPLS, PPPoE).
//!
//! [`Encapsulation`] is a fixed-capacity array on the caller's stack: recording
//! allocates nothing. Header fields are copied out; variable parts (GENEVE
//! options, an MPLS label stack, the UDP datagram for its checksum) are
//! borrowed from the packet.

use super::IpInfo;
use super::Next;
use super::cursor::Cursor;
use super::link::ethertype;
use super::tunnel::{BCM_LI_PORT, GENEVE_PORT, VXLAN_PORT};

/// How many layers an [`Encapsulation`] keeps; deeper ones are counted in
/// [`Encapsulation::dropped`]. tcpdump's corpus needs at most 5 (outer IP,
/// UDP, Broadcom LI, PPPoE, inner IP). Each packet's [`Encapsulation::new`]
/// initialises every slot: more slots cost time on every packet.
pub const MAX_ENCAP_LAYERS: usize = 6;

/// An IP header the decoder walked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IpLayer {
    /// The header's fields, as in [`Segment::ip`](super::Segment::ip).
    pub info: IpInfo,
    /// IPv4 header length in bytes (IHL * 4); 40 for IPv6.
    pub header_len: u16,
    /// The 16-bit length field as sent: IPv4 total length, IPv6 payload
    /// length (0 for TSO / BIG TCP, RFC 2675 jumbograms).
    pub len_field: u16,
    /// The datagram's length on the wire, header included: the length
    /// field when it is not 0, else what the capture says was on the wire
    /// (what tcpdump prints as `[was 0, presumed BIG TCP]` / `[real length N,
    /// presumed BIG TCP]`).
    pub real_len: u32,
    /// The IP protocol of what follows (6 TCP, 17 UDP, 47 GRE, 4 IPv4, 41
    /// IPv6), after any IPv6 extension headers.
    pub proto: u8,
}

/// A UDP header that carried a tunnel (RFC 768).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UdpLayer<'a> {
    /// Source port.
    pub sport: u16,
    /// Destination port.
    pub dport: u16,
    /// Length field.
    pub length: u16,
    /// Checksum field (0: none, allowed over IPv4 only).
    pub checksum: u16,
    /// The datagram's length on the wire (the length field, or what was on
    /// the wire when it is 0: an IPv6 jumbogram, RFC 2675).
    pub wire_len: u32,
    /// The captured bytes of the datagram, header included (may be fewer than
    /// `wire_len`).
    pub datagram: &'a [u8],
}

/// A GRE header (RFC 2784 / 2890, version 1 of RFC 2637 for PPTP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GreLayer {
    /// Flags and version (first 16 bits).
    pub flags: u16,
    /// Protocol type (an EtherType).
    pub proto: u16,
    /// Checksum field (when C or R is set).
    pub checksum: u16,
    /// Offset field (when C or R is set).
    pub offset: u16,
    /// Key field (when K is set; PPTP: payload length and call id).
    pub key: u32,
    /// Sequence number (when S is set).
    pub seq: u32,
    /// Acknowledgment number (version 1, when A is set).
    pub ack: u32,
    /// Length of the GRE packet (header and payload) on the wire.
    pub length: u32,
}

/// A GENEVE header (RFC 8926 3.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GeneveLayer<'a> {
    /// The O and C bits and the reserved bits after them (second byte).
    pub flags: u8,
    /// Protocol type of the payload (an EtherType).
    pub proto: u16,
    /// Virtual network identifier (24 bits).
    pub vni: u32,
    /// The reserved last byte.
    pub reserved: u8,
    /// The option bytes (Opt Len * 4).
    pub options: &'a [u8],
}

/// One layer between the outermost IP header and the TCP segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layer<'a> {
    /// An IP header.
    Ip(IpLayer),
    /// The UDP header of a UDP tunnel.
    Udp(UdpLayer<'a>),
    /// VXLAN (RFC 7348): flags byte and VNI.
    Vxlan {
        /// Flags (0x08: VNI valid).
        flags: u8,
        /// VXLAN network identifier.
        vni: u32,
    },
    /// GENEVE.
    Geneve(GeneveLayer<'a>),
    /// Broadcom's lawful-interception shim: its 32-bit word.
    BcmLi(u32),
    /// GRE.
    Gre(GreLayer),
    /// WCCP redirection in GRE: the 4-byte redirect header (WCCPv2), or
    /// `None` when the IP packet follows directly (WCCPv1).
    Wccp(Option<[u8; 4]>),
    /// An MPLS label stack (RFC 3032): its 4-byte entries, bottom one last.
    Mpls(&'a [u8]),
    /// A PPPoE session header (RFC 2516): the session id.
    Pppoe(u16),
}

/// The layers walked for one packet, outermost first (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Encapsulation<'a> {
    layers: [Option<Layer<'a>>; MAX_ENCAP_LAYERS],
    len: usize,
    dropped: usize,
}

impl Default for Encapsulation<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Encapsulation<'a> {
    /// No layers.
    pub const fn new() -> Self {
        Self {
            layers: [None; MAX_ENCAP_LAYERS],
            len: 0,
            dropped: 0,
        }
    }

    /// Forgets every layer.
    pub fn clear(&mut self) {
        self.len = 0;
        self.dropped = 0;
    }

    /// The layers, outermost first.
    pub fn layers(&self) -> impl Iterator<Item = &Layer<'a>> + '_ {
        self.layers.iter().take(self.len).flatten()
    }

    /// Number of layers kept.
    pub fn len(&self) -> usize {
        self.len
    }

    /// No layer kept.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Layers walked past the capacity (not kept).
    pub fn dropped(&self) -> usize {
        self.dropped
    }

    /// The last IP header kept (the segment's own, once decoding reached TCP).
    pub fn innermost_ip(&self) -> Option<&IpLayer> {
        self.layers
            .iter()
            .take(self.len)
            .rev()
            .flatten()
            .find_map(|l| match l {
                Layer::Ip(ip) => Some(ip),
                _ => None,
            })
    }

    /// The layers before the innermost IP header: what tcpdump prints before
    /// the TCP segment's own `IP ` (empty for a packet without a tunnel).
    pub fn outer(&self) -> &[Option<Layer<'a>>] {
        let end = self
            .layers
            .iter()
            .take(self.len)
            .rposition(|l| matches!(l, Some(Layer::Ip(_))))
            .unwrap_or(0);
        self.layers.get(..end).unwrap_or_default()
    }

    /// Anything between the link layer and the segment's IP header?
    pub fn is_tunnelled(&self) -> bool {
        !self.outer().is_empty()
    }

    /// Keeps `l`; when full, an IP header replaces the last layer kept (the
    /// segment's own IP header must stay the last), anything else is dropped.
    fn push(&mut self, l: Layer<'a>) {
        if let Some(slot) = self.layers.get_mut(self.len) {
            *slot = Some(l);
            self.len += 1;
            return;
        }
        self.dropped += 1;
        if matches!(l, Layer::Ip(_))
            && let Some(last) = self.layers.last_mut()
        {
            *last = Some(l);
        }
    }
}

/// Where the decoder reports the headers it walks. `decode` uses [`NoSink`],
/// which the compiler removes.
pub(crate) trait Sink<'a> {
    /// Recording is on (else the recording code is compiled out).
    const ACTIVE: bool;
    /// The header `was` was decoded at `c`, and decoding went on to `then`;
    /// `ip` is the last IP header seen (after this step).
    fn record(&mut self, was: Next, c: Cursor<'a>, then: Next, ip: Option<&IpInfo>);
}

/// Records nothing.
pub(crate) struct NoSink;

impl<'a> Sink<'a> for NoSink {
    const ACTIVE: bool = false;
    #[inline(always)]
    fn record(&mut self, _: Next, _: Cursor<'a>, _: Next, _: Option<&IpInfo>) {}
}

impl<'a> Sink<'a> for Encapsulation<'a> {
    const ACTIVE: bool = true;
    fn record(&mut self, was: Next, c: Cursor<'a>, then: Next, ip: Option<&IpInfo>) {
        match was {
            Next::Ipv4 | Next::Ipv6 => {
                if let Some(info) = ip {
                    self.push(Layer::Ip(ip_layer(c, *info, then)));
                }
            }
            Next::Udp => self.udp(c),
            Next::Gre => self.push(Layer::Gre(gre_layer(c))),
            Next::Wccp => {
                let hdr = if c.u8(0) >> 4 == 4 {
                    None
                } else {
                    Some([c.u8(0), c.u8(1), c.u8(2), c.u8(3)])
                };
                self.push(Layer::Wccp(hdr));
            }
            Next::Mpls => {
                // The stack runs to the entry with the bottom-of-stack bit.
                let mut end = 0;
                while end + 4 <= c.data.len() {
                    end += 4;
                    if c.u8(end - 2) & 1 == 1 {
                        break;
                    }
                }
                self.push(Layer::Mpls(c.data.get(..end).unwrap_or_default()));
            }
            Next::EtherType(ethertype::PPPOE_SESSION) => self.push(Layer::Pppoe(c.u16(2))),
            _ => {}
        }
    }
}

impl<'a> Encapsulation<'a> {
    /// The UDP header at `c` and the tunnel header after it (the decoder
    /// went on only because a tunnel port matched).
    fn udp(&mut self, c: Cursor<'a>) {
        let (sport, dport, length) = (c.u16(0), c.u16(2), c.u16(4));
        let wire = if length >= 8 {
            usize::from(length).min(c.wire)
        } else {
            c.wire
        };
        self.push(Layer::Udp(UdpLayer {
            sport,
            dport,
            length,
            checksum: c.u16(6),
            wire_len: u32::try_from(wire).unwrap_or(u32::MAX),
            datagram: c.data.get(..wire).unwrap_or(c.data),
        }));
        let t = c.data.get(8..wire.max(8)).unwrap_or_default();
        let t = Cursor {
            data: t,
            wire: wire.saturating_sub(8),
            off: c.off + 8,
        };
        match udp_tunnel(sport, dport) {
            Some(VXLAN_PORT) => self.push(Layer::Vxlan {
                flags: t.u8(0),
                vni: t.u32(4) >> 8,
            }),
            Some(GENEVE_PORT) => {
                let opt_len = usize::from(t.u8(0) & 0x3f) * 4;
                self.push(Layer::Geneve(GeneveLayer {
                    flags: t.u8(1),
                    proto: t.u16(2),
                    vni: t.u32(4) >> 8,
                    reserved: t.u8(7),
                    options: t.data.get(8..8 + opt_len).unwrap_or_default(),
                }));
            }
            Some(_) => self.push(Layer::BcmLi(t.u32(0))),
            None => {}
        }
    }
}

/// The IP layer at `c` (already checked by the decoder).
fn ip_layer(c: Cursor<'_>, info: IpInfo, then: Next) -> IpLayer {
    let (header_len, len_field) = if info.version == 4 {
        (u16::from(c.u8(0) & 0xf) * 4, c.u16(2))
    } else {
        (40, c.u16(4))
    };
    let real_len = if len_field == 0 && (info.version == 4 || info.total_len == 40) {
        u32::try_from(c.wire).unwrap_or(u32::MAX)
    } else {
        info.total_len
    };
    let proto = match then {
        Next::Tcp => 6,
        Next::Udp => 17,
        Next::Gre => 47,
        Next::Ipv4 => 4,
        Next::Ipv6 => 41,
        _ => 0,
    };
    IpLayer {
        info,
        header_len,
        len_field,
        real_len,
        proto,
    }
}

/// The GRE header at `c` (already checked by the decoder).
fn gre_layer(c: Cursor<'_>) -> GreLayer {
    let flags = c.u16(0);
    let mut at = 4;
    let mut take = |present: bool| {
        if present {
            let v = c.u32(at);
            at += 4;
            v
        } else {
            0
        }
    };
    let (mut checksum, mut offset, mut ack) = (0, 0, 0);
    let (key, seq);
    if flags & 7 == 0 {
        let co = take(flags & 0xc000 != 0);
        checksum = (co >> 16) as u16;
        offset = co as u16;
        key = take(flags & 0x2000 != 0);
        seq = take(flags & 0x1000 != 0);
    } else {
        key = take(true);
        seq = take(flags & 0x1000 != 0);
        ack = take(flags & 0x0080 != 0);
    }
    GreLayer {
        flags,
        proto: c.u16(2),
        checksum,
        offset,
        key,
        seq,
        ack,
        length: u32::try_from(c.wire).unwrap_or(u32::MAX),
    }
}

/// Which UDP tunnel the ports announce (the decoder's order: VXLAN, GENEVE,
/// Broadcom LI).
fn udp_tunnel(sport: u16, dport: u16) -> Option<u16> {
    [VXLAN_PORT, GENEVE_PORT, BCM_LI_PORT]
        .into_iter()
        .find(|&p| sport == p || dport == p)
}

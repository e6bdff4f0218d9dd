//! Decoding a captured packet down to its TCP segment, zero-copy.
//!
//! [`decode`] walks the link layer, IP (and tunnels) to the innermost TCP header
//! and returns a [`Segment`] that borrows the option and payload bytes from the
//! packet. Nothing here allocates.
//!
//! PLACEHOLDER: `decode` handles Ethernet, raw IP, IPv4 and IPv6 without
//! extension headers; the full decoder (VLAN, SLL v1/v2, BSD null, tunnels,
//! fragments, IPv6 extensions, truncation) replaces it.

mod option;
mod render;
mod seq;

pub use option::{OptionError, OptionIter, Options, SackBlocks, TcpOption, exid, kind};
pub use render::{
    FlagLetters, RenderOptions, Renderer, SeqView, TcpdumpSeqTable, flag_letters, write_flags,
    write_ip_lead, write_tcp, write_timestamp,
};
pub use seq::SeqNumber;

use crate::capture::{LinkType, Packet};
use crate::error::DecodeError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

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
    /// IPv4 total length / IPv6 payload length + 40, as the header says.
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

/// Decodes a packet to its (innermost) TCP segment. `Ok(None)`: not TCP.
pub fn decode<'a>(packet: &Packet<'a>) -> Result<Option<Segment<'a>>, DecodeError> {
    let d = packet.data;
    let ip = match packet.link_type {
        LinkType::ETHERNET => {
            if d.len() < 14 {
                return Err(DecodeError::Truncated {
                    layer: "Ethernet",
                    offset: d.len(),
                });
            }
            if u16::from_be_bytes([d[12], d[13]]) != 0x0800
                && u16::from_be_bytes([d[12], d[13]]) != 0x86dd
            {
                return Ok(None);
            }
            &d[14..]
        }
        LinkType::RAW | LinkType::IPV4 | LinkType::IPV6 => d,
        other => return Err(DecodeError::UnsupportedLinkType(other.0.into())),
    };
    decode_ip(ip)
}

fn decode_ip(b: &[u8]) -> Result<Option<Segment<'_>>, DecodeError> {
    let trunc = |layer| DecodeError::Truncated {
        layer,
        offset: b.len(),
    };
    let v = b.first().ok_or(trunc("IP"))? >> 4;
    let (info, tcp, declared) = if v == 4 {
        if b.len() < 20 {
            return Err(trunc("IPv4"));
        }
        let ihl = usize::from(b[0] & 0xf) * 4;
        let total = u16::from_be_bytes([b[2], b[3]]) as usize;
        if b[9] != 6 || ihl < 20 || b.len() < ihl {
            return Ok(None);
        }
        let info = IpInfo {
            src: IpAddr::V4(Ipv4Addr::new(b[12], b[13], b[14], b[15])),
            dst: IpAddr::V4(Ipv4Addr::new(b[16], b[17], b[18], b[19])),
            version: 4,
            tos: b[1],
            ttl: b[8],
            id: u16::from_be_bytes([b[4], b[5]]),
            frag: u16::from_be_bytes([b[6], b[7]]),
            flow_label: 0,
            total_len: total as u32,
        };
        (info, &b[ihl..], total.saturating_sub(ihl))
    } else if v == 6 {
        if b.len() < 40 {
            return Err(trunc("IPv6"));
        }
        if b[6] != 6 {
            return Ok(None);
        }
        let plen = u16::from_be_bytes([b[4], b[5]]) as usize;
        let a = |o: usize| {
            let mut x = [0u8; 16];
            x.copy_from_slice(&b[o..o + 16]);
            IpAddr::V6(Ipv6Addr::from(x))
        };
        let info = IpInfo {
            src: a(8),
            dst: a(24),
            version: 6,
            tos: ((u16::from_be_bytes([b[0], b[1]]) >> 4) & 0xff) as u8,
            ttl: b[7],
            id: 0,
            frag: 0,
            flow_label: u32::from_be_bytes([0, b[1] & 0xf, b[2], b[3]]),
            total_len: plen as u32 + 40,
        };
        (info, &b[40..], plen)
    } else {
        return Ok(None);
    };
    if tcp.len() < 20 {
        return Err(trunc("TCP"));
    }
    let hl = usize::from(tcp[12] >> 4) * 4;
    let hl_cap = hl.min(tcp.len());
    let declared = declared.min(tcp.len().max(declared));
    let payload = tcp.get(hl..declared.min(tcp.len()).max(hl)).unwrap_or(&[]);
    Ok(Some(Segment {
        ip: info,
        sport: u16::from_be_bytes([tcp[0], tcp[1]]),
        dport: u16::from_be_bytes([tcp[2], tcp[3]]),
        seq: SeqNumber(u32::from_be_bytes([tcp[4], tcp[5], tcp[6], tcp[7]])),
        ack: SeqNumber(u32::from_be_bytes([tcp[8], tcp[9], tcp[10], tcp[11]])),
        flags: TcpFlags(u16::from_be_bytes([tcp[12], tcp[13]]) & 0x1ff),
        window: u16::from_be_bytes([tcp[14], tcp[15]]),
        checksum: u16::from_be_bytes([tcp[16], tcp[17]]),
        urgent: u16::from_be_bytes([tcp[18], tcp[19]]),
        header_len: hl as u8,
        header_captured: hl_cap as u8,
        options: Options::new(tcp.get(20..hl_cap).unwrap_or(&[])),
        payload,
        payload_len: declared.saturating_sub(hl) as u32,
        truncated: hl_cap < hl || payload.len() < declared.saturating_sub(hl),
    }))
}

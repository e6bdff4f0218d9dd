//! IPv4 (RFC 791) and IPv6 (RFC 8200) with its extension headers.
//!
//! The payload length handed to the next layer comes from the length
//! fields, never from what was captured, with two exceptions that tcpdump
//! and tshark share: an IPv4 total length of 0 (TSO / BIG TCP, RFC 791
//! leaves no room for packets above 64 KiB) and an IPv6 payload length of 0
//! without a Jumbo Payload option (BIG TCP) both mean "the rest of the
//! packet as it was on the wire".

use super::IpInfo;
use super::Next;
use super::cursor::Cursor;
use super::link::Step;
use crate::error::DecodeError;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IP protocol numbers (IANA) the decoder follows.
pub(crate) mod proto {
    /// IPv6 Hop-by-Hop Options.
    pub const HOPOPT: u8 = 0;
    /// IPv4 in IP (RFC 2003).
    pub const IPIP: u8 = 4;
    /// TCP.
    pub const TCP: u8 = 6;
    /// UDP.
    pub const UDP: u8 = 17;
    /// IPv6 in IP (RFC 4213, 6in4).
    pub const IPV6: u8 = 41;
    /// IPv6 Routing header.
    pub const ROUTING: u8 = 43;
    /// IPv6 Fragment header.
    pub const FRAGMENT: u8 = 44;
    /// GRE (RFC 2784).
    pub const GRE: u8 = 47;
    /// Authentication Header (RFC 4302).
    pub const AH: u8 = 51;
    /// IPv6 No Next Header.
    pub const NONE: u8 = 59;
    /// IPv6 Destination Options.
    pub const DSTOPTS: u8 = 60;
    /// Mobility header (RFC 6275).
    pub const MOBILITY: u8 = 135;
    /// Host Identity Protocol (RFC 7401).
    pub const HIP: u8 = 139;
    /// Shim6 (RFC 5533).
    pub const SHIM6: u8 = 140;
}

/// What an IP protocol number (or IPv6 next header) announces.
#[inline]
pub(crate) fn by_proto(p: u8, c: Cursor<'_>) -> Step<'_> {
    let next = match p {
        proto::TCP => Next::Tcp,
        proto::IPIP => Next::Ipv4,
        proto::IPV6 => Next::Ipv6,
        proto::GRE => Next::Gre,
        proto::UDP => Next::Udp,
        _ => return Ok(None),
    };
    Ok(Some((next, c)))
}

/// An IP packet whose version nibble decides.
#[inline]
pub(crate) fn by_version(c: Cursor<'_>) -> Step<'_> {
    c.need(1, "IP")?;
    Ok(match c.u8(0) >> 4 {
        4 => Some((Next::Ipv4, c)),
        6 => Some((Next::Ipv6, c)),
        _ => None,
    })
}

/// IPv4 header. Only a packet with fragment offset 0 carries the TCP header
/// (RFC 791: later fragments hold the rest of the datagram's data).
///
/// Inlined into the decoders' fast path, where the header's fields then
/// reach the segment without a round trip through `ip` on the stack
/// (callgrind -2.0 % instructions over short connections, `perf` -3 % CPU
/// for `flows --json` on the benchmark capture).
#[inline(always)]
pub(crate) fn ipv4<'a>(c: Cursor<'a>, ip: &mut Option<IpInfo>) -> Step<'a> {
    c.need(20, "IPv4")?;
    if c.u8(0) >> 4 != 4 {
        return Ok(None);
    }
    let ihl = usize::from(c.u8(0) & 0xf) * 4;
    if ihl < 20 {
        return Err(DecodeError::Malformed {
            layer: "IPv4",
            reason: "header length below 20",
        });
    }
    c.need(ihl, "IPv4")?;
    let total = usize::from(c.u16(2));
    let frag = c.u16(6);
    let wire = if total == 0 {
        // TSO / BIG TCP: the length is what was on the wire.
        c.wire
    } else if total < ihl {
        return Err(DecodeError::Malformed {
            layer: "IPv4",
            reason: "total length below header length",
        });
    } else {
        total
    };
    *ip = Some(IpInfo {
        src: IpAddr::V4(Ipv4Addr::from(c.u32(12))),
        dst: IpAddr::V4(Ipv4Addr::from(c.u32(16))),
        version: 4,
        tos: c.u8(1),
        ttl: c.u8(8),
        id: c.u16(4),
        frag,
        flow_label: 0,
        total_len: u32::try_from(total).unwrap_or(u32::MAX),
    });
    if frag & 0x1fff != 0 {
        return Ok(None);
    }
    let mut p = c.u8(9);
    let mut c = c.limit(wire).skip(ihl, "IPv4")?;
    // AH (RFC 4302) between IPv4 and its payload: length in 4-byte words - 2.
    let mut hops = 0;
    while p == proto::AH {
        hops += 1;
        if hops > 8 {
            return Ok(None);
        }
        c.need(2, "AH")?;
        let len = (usize::from(c.u8(1)) + 2) * 4;
        p = c.u8(0);
        c = c.skip(len, "AH")?;
    }
    by_proto(p, c)
}

/// IPv6 header and extension headers (RFC 8200 4; AH from RFC 4302).
#[inline]
pub(crate) fn ipv6<'a>(c: Cursor<'a>, ip: &mut Option<IpInfo>) -> Step<'a> {
    c.need(40, "IPv6")?;
    if c.u8(0) >> 4 != 6 {
        return Ok(None);
    }
    let plen = usize::from(c.u16(4));
    let addr = |at: usize| {
        let mut a = [0u8; 16];
        if let Some(s) = c.data.get(at..at + 16) {
            a.copy_from_slice(s);
        }
        IpAddr::V6(Ipv6Addr::from(a))
    };
    let vtcfl = c.u32(0);
    let hlim = c.u8(7);
    let mut next = c.u8(6);
    let mut c = c.skip(40, "IPv6")?;
    let mut declared = plen;
    if plen != 0 {
        c = c.limit(plen);
    }
    // Jumbo Payload (RFC 2675): only with payload length 0, in the
    // Hop-by-Hop header right after the fixed header.
    if plen == 0
        && next == proto::HOPOPT
        && let Some(jumbo) = jumbo_len(c)?
    {
        declared = jumbo;
        c = c.limit(jumbo);
    }
    *ip = Some(IpInfo {
        src: addr(8),
        dst: addr(24),
        version: 6,
        tos: ((vtcfl >> 20) & 0xff) as u8,
        ttl: hlim,
        id: 0,
        frag: 0,
        flow_label: vtcfl & 0x000f_ffff,
        total_len: u32::try_from(declared.saturating_add(40)).unwrap_or(u32::MAX),
    });
    for _ in 0..16 {
        match next {
            proto::HOPOPT
            | proto::ROUTING
            | proto::DSTOPTS
            | proto::MOBILITY
            | proto::HIP
            | proto::SHIM6 => {
                c.need(2, "IPv6 extension header")?;
                let len = (usize::from(c.u8(1)) + 1) * 8;
                next = c.u8(0);
                c = c.skip(len, "IPv6 extension header")?;
            }
            proto::FRAGMENT => {
                c.need(8, "IPv6 fragment header")?;
                let offset = c.u16(2) >> 3;
                if let Some(info) = ip.as_mut() {
                    info.frag = c.u16(2);
                }
                if offset != 0 {
                    return Ok(None);
                }
                next = c.u8(0);
                c = c.skip(8, "IPv6 fragment header")?;
            }
            proto::AH => {
                c.need(2, "AH")?;
                let len = (usize::from(c.u8(1)) + 2) * 4;
                next = c.u8(0);
                c = c.skip(len, "AH")?;
            }
            proto::NONE => return Ok(None),
            other => return by_proto(other, c),
        }
    }
    Ok(None)
}

/// The Jumbo Payload length from a Hop-by-Hop header at `c`, if it has one.
/// The jumbo length counts from the end of the fixed IPv6 header.
#[inline]
fn jumbo_len(c: Cursor<'_>) -> Result<Option<usize>, DecodeError> {
    c.need(2, "IPv6 hop-by-hop")?;
    let len = (usize::from(c.u8(1)) + 1) * 8;
    let mut i = 2;
    while i < len {
        let t = c.u8(i);
        if i >= c.data.len() {
            break;
        }
        if t == 0 {
            // Pad1.
            i += 1;
            continue;
        }
        let olen = usize::from(c.u8(i + 1));
        if t == 0xc2 && olen == 4 && i + 6 <= c.data.len() {
            return Ok(usize::try_from(c.u32(i + 2)).ok());
        }
        i += 2 + olen;
    }
    Ok(None)
}

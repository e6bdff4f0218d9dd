//! Tunnels decoded to the inner packet: GRE (RFC 2784/2890, and PPTP's
//! enhanced GRE of RFC 2637), WCCP redirection in GRE, and over UDP: VXLAN
//! (RFC 7348, port 4789), GENEVE (RFC 8926, port 6081) and Broadcom's
//! lawful-interception shim (port 49152, as tcpdump decodes it).

use super::Next;
use super::cursor::Cursor;
use super::link::{Step, by_ethertype, ethertype};

/// VXLAN's IANA port.
pub const VXLAN_PORT: u16 = 4789;
/// GENEVE's IANA port.
pub const GENEVE_PORT: u16 = 6081;
/// The UDP port of Broadcom's LI shim (tcpdump's BCM_LI_PORT).
pub const BCM_LI_PORT: u16 = 49152;

/// UDP header; the payload is decoded further only on a tunnel port.
#[inline]
pub(crate) fn udp(c: Cursor<'_>) -> Step<'_> {
    c.need(8, "UDP")?;
    let (sport, dport) = (c.u16(0), c.u16(2));
    let ulen = usize::from(c.u16(4));
    let mut inner = c;
    if ulen >= 8 {
        inner = inner.limit(ulen);
    }
    let inner = inner.skip(8, "UDP")?;
    let is = |p| sport == p || dport == p;
    if is(VXLAN_PORT) {
        // Flags (I bit 0x08 = VNI valid), reserved, VNI, reserved: 8 bytes.
        inner.need(8, "VXLAN")?;
        return Ok(Some((Next::Ethernet, inner.skip(8, "VXLAN")?)));
    }
    if is(GENEVE_PORT) {
        // Ver(2) OptLen(6) | O C Rsvd | Protocol Type | VNI | Reserved.
        inner.need(8, "GENEVE")?;
        if inner.u8(0) >> 6 != 0 {
            return Ok(None);
        }
        let len = 8 + usize::from(inner.u8(0) & 0x3f) * 4;
        let proto = inner.u16(2);
        return by_ethertype(proto, inner.skip(len, "GENEVE")?);
    }
    if is(BCM_LI_PORT) {
        return bcm_li(inner);
    }
    Ok(None)
}

/// Broadcom LI shim: 4 bytes, direction (3 bits), packet type (4 bits),
/// subtype (4 bits), LI id (21 bits). Type 5 is IPv4, 6 IPv6, 7 Ethernet;
/// any other ("undecided") is taken as IP when the version nibble says so.
#[inline]
fn bcm_li(c: Cursor<'_>) -> Step<'_> {
    c.need(4, "BCM LI")?;
    let next = match (c.u32(0) >> 25) & 0xf {
        5 => Next::Ipv4,
        6 => Next::Ipv6,
        7 => Next::Ethernet,
        _ => Next::Ip,
    };
    Ok(Some((next, c.skip(4, "BCM LI")?)))
}

/// GRE. Version 0 (RFC 2784/2890): checksum present (C) adds 4 bytes (with
/// the reserved offset), key (K) 4, sequence number (S) 4; source routing (R,
/// RFC 1701) is not followed. Version 1 (PPTP, RFC 2637): the key field is
/// always there, S and acknowledgment (A) add 4 bytes each.
#[inline]
pub(crate) fn gre(c: Cursor<'_>) -> Step<'_> {
    c.need(4, "GRE")?;
    let flags = c.u16(0);
    let proto = c.u16(2);
    let has = |bit: u16| usize::from(flags & bit != 0) * 4;
    let len = match flags & 0x7 {
        0 => {
            if flags & 0x4000 != 0 {
                return Ok(None);
            }
            4 + has(0x8000) + has(0x2000) + has(0x1000)
        }
        1 => 8 + has(0x1000) + has(0x0080),
        _ => return Ok(None),
    };
    let c = c.skip(len, "GRE")?;
    match proto {
        ethertype::WCCP => Ok(Some((Next::Wccp, c))),
        _ => by_ethertype(proto, c),
    }
}

/// WCCP redirection: WCCPv2 puts a 4-byte redirect header before the
/// original IP packet; WCCPv1 puts the packet right there (version nibble 4).
#[inline]
pub(crate) fn wccp(c: Cursor<'_>) -> Step<'_> {
    c.need(1, "WCCP")?;
    if c.u8(0) >> 4 == 4 {
        return Ok(Some((Next::Ipv4, c)));
    }
    Ok(Some((Next::Ip, c.skip(4, "WCCP")?)))
}

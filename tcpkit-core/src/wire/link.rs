//! Link layers and the layers that sit between a link and IP: Ethernet with
//! 802.1Q/802.1ad/QinQ tags and 802.2 SNAP, Linux cooked v1/v2, BSD
//! null/loopback, PPP (and PPPoE, Cisco HDLC), MPLS, ARCNET, IP over
//! InfiniBand, Juniper Ethernet, raw IP.
//!
//! Each function reads one header at the cursor and says what comes next.

use super::Next;
use super::cursor::Cursor;
use crate::capture::LinkType;
use crate::error::DecodeError;

/// One decoding step: the next layer and where it starts, or "not TCP".
pub(crate) type Step<'a> = Result<Option<(Next, Cursor<'a>)>, DecodeError>;

/// EtherType values (IEEE 802 numbers).
pub(crate) mod ethertype {
    /// IPv4.
    pub const IPV4: u16 = 0x0800;
    /// IPv6.
    pub const IPV6: u16 = 0x86dd;
    /// 802.1Q customer VLAN tag.
    pub const VLAN: u16 = 0x8100;
    /// 802.1ad service VLAN tag.
    pub const QINQ: u16 = 0x88a8;
    /// Pre-standard QinQ tags.
    pub const QINQ_OLD1: u16 = 0x9100;
    /// Pre-standard QinQ tags.
    pub const QINQ_OLD2: u16 = 0x9200;
    /// MPLS unicast.
    pub const MPLS: u16 = 0x8847;
    /// MPLS multicast.
    pub const MPLS_MC: u16 = 0x8848;
    /// PPPoE session stage.
    pub const PPPOE_SESSION: u16 = 0x8864;
    /// Transparent Ethernet bridging (GRE, GENEVE).
    pub const TEB: u16 = 0x6558;
    /// PPP (GRE version 1, PPTP).
    pub const PPP: u16 = 0x880b;
    /// WCCP redirect (in GRE).
    pub const WCCP: u16 = 0x883e;
}

/// Where decoding starts for a link type; `Err` for link types not decoded.
#[inline]
pub(crate) fn start(link: LinkType) -> Result<Next, DecodeError> {
    Ok(match link.0 {
        0 => Next::BsdNull { big_endian: false },
        1 => Next::Ethernet,
        // PPP; PPP in HDLC-like framing.
        9 | 50 => Next::Ppp,
        // LINKTYPE_RAW, and the DLT_RAW values BSDs write (12; 14 on OpenBSD).
        12 | 14 | 101 => Next::Ip,
        // Cisco HDLC.
        104 => Next::CiscoHdlc,
        108 => Next::BsdNull { big_endian: true },
        113 => Next::Sll,
        129 => Next::Arcnet,
        178 => Next::JuniperEther,
        228 => Next::Ipv4,
        229 => Next::Ipv6,
        242 => Next::Ipoib,
        276 => Next::Sll2,
        other => return Err(DecodeError::UnsupportedLinkType(other.into())),
    })
}

/// What an EtherType announces.
#[inline]
pub(crate) fn by_ethertype<'a>(t: u16, c: Cursor<'a>) -> Step<'a> {
    let next = match t {
        ethertype::IPV4 => Next::Ipv4,
        ethertype::IPV6 => Next::Ipv6,
        ethertype::VLAN | ethertype::QINQ | ethertype::QINQ_OLD1 | ethertype::QINQ_OLD2 => {
            // 802.1Q tag: TCI (2 bytes), then the inner EtherType.
            c.need(4, "802.1Q")?;
            let inner = c.u16(2);
            return Ok(Some((Next::EtherType(inner), c.skip(4, "802.1Q")?)));
        }
        ethertype::MPLS | ethertype::MPLS_MC => Next::Mpls,
        ethertype::PPPOE_SESSION => {
            // RFC 2516: ver/type, code, session id, length, then a PPP protocol.
            c.need(6, "PPPoE")?;
            let len = usize::from(c.u16(4));
            return Ok(Some((Next::PppProto, c.skip(6, "PPPoE")?.limit(len))));
        }
        ethertype::TEB => Next::Ethernet,
        ethertype::PPP => Next::Ppp,
        ethertype::WCCP => Next::Wccp,
        _ => return Ok(None),
    };
    Ok(Some((next, c)))
}

/// Ethernet II (EtherType >= 0x0600) or 802.3 with an 802.2 SNAP header.
#[inline]
pub(crate) fn ethernet(c: Cursor<'_>) -> Step<'_> {
    c.need(14, "Ethernet")?;
    let t = c.u16(12);
    if t >= 0x0600 {
        return Ok(Some((Next::EtherType(t), c.skip(14, "Ethernet")?)));
    }
    // 802.3 length field: only LLC/SNAP (AA AA 03, OUI, EtherType) carries IP.
    if c.u8(14) == 0xaa && c.u8(15) == 0xaa && c.u8(16) == 0x03 {
        c.need(22, "802.2 SNAP")?;
        return Ok(Some((
            Next::EtherType(c.u16(20)),
            c.skip(22, "802.2 SNAP")?,
        )));
    }
    Ok(None)
}

/// Linux cooked capture v1: packet type, ARPHRD, address length, 8-byte
/// address, protocol (an EtherType, or 1/4 for non-Ethernet-II frames).
#[inline]
pub(crate) fn sll(c: Cursor<'_>) -> Step<'_> {
    c.need(16, "Linux cooked")?;
    let proto = c.u16(14);
    Ok(Some((Next::EtherType(proto), c.skip(16, "Linux cooked")?)))
}

/// Linux cooked capture v2 (LINKTYPE_LINUX_SLL2): protocol (2), reserved
/// (2), interface index (4), ARPHRD (2), packet type, address length, 8-byte
/// address: 20 bytes, protocol first.
#[inline]
pub(crate) fn sll2(c: Cursor<'_>) -> Step<'_> {
    c.need(20, "Linux cooked v2")?;
    let proto = c.u16(0);
    Ok(Some((
        Next::EtherType(proto),
        c.skip(20, "Linux cooked v2")?,
    )))
}

/// BSD loopback: a 4-byte address family, in the writer's byte order (NULL)
/// or network order (LOOP). AF_INET is 2 everywhere; AF_INET6 is 24 (NetBSD,
/// OpenBSD), 28 (FreeBSD, DragonFly) or 30 (macOS).
#[inline]
pub(crate) fn bsd_null(c: Cursor<'_>, big_endian: bool) -> Step<'_> {
    c.need(4, "BSD loopback")?;
    let raw = c.u32(0);
    let mut af = if big_endian { raw } else { raw.swap_bytes() };
    // libpcap's rule for NULL: a value with high bits set was written by a
    // host of the other byte order.
    if !big_endian && af & 0xffff_0000 != 0 {
        af = af.swap_bytes();
    }
    let next = match af {
        2 => Next::Ipv4,
        24 | 28 | 30 => Next::Ipv6,
        _ => return Ok(None),
    };
    Ok(Some((next, c.skip(4, "BSD loopback")?)))
}

/// PPP (RFC 1661), with the optional HDLC address/control bytes 0xff 0x03
/// (RFC 1662).
#[inline]
pub(crate) fn ppp(c: Cursor<'_>) -> Step<'_> {
    if c.u8(0) == 0xff && c.u8(1) == 0x03 {
        return ppp_proto(c.skip(2, "PPP")?);
    }
    ppp_proto(c)
}

/// A PPP protocol field: one byte when compressed (odd first byte, RFC 1661
/// 6.5), else two.
#[inline]
pub(crate) fn ppp_proto(c: Cursor<'_>) -> Step<'_> {
    c.need(1, "PPP")?;
    let (proto, n) = if c.u8(0) & 1 == 1 {
        (u16::from(c.u8(0)), 1)
    } else {
        c.need(2, "PPP")?;
        (c.u16(0), 2)
    };
    let next = match proto {
        0x0021 => Next::Ipv4,
        0x0057 => Next::Ipv6,
        0x0281 | 0x0283 => Next::Mpls,
        _ => return Ok(None),
    };
    Ok(Some((next, c.skip(n, "PPP")?)))
}

/// Cisco HDLC: address, control, then an EtherType.
#[inline]
pub(crate) fn cisco_hdlc(c: Cursor<'_>) -> Step<'_> {
    c.need(4, "Cisco HDLC")?;
    Ok(Some((Next::EtherType(c.u16(2)), c.skip(4, "Cisco HDLC")?)))
}

/// MPLS label stack (RFC 3032): 4-byte entries until the bottom-of-stack
/// bit; the payload is IP when its first nibble says 4 or 6.
#[inline]
pub(crate) fn mpls(mut c: Cursor<'_>) -> Step<'_> {
    loop {
        c.need(4, "MPLS")?;
        let bottom = c.u8(2) & 1 == 1;
        c = c.skip(4, "MPLS")?;
        if bottom {
            return Ok(Some((Next::Ip, c)));
        }
    }
}

/// ARCNET as Linux captures it: source, destination, a 2-byte offset, then
/// the ARCNET protocol id. RFC 1051 framing (IP id 240) has nothing more;
/// RFC 1201 framing (IP id 212, IPv6 0xc4) adds a split flag and a 2-byte
/// sequence number, and an exception packet (flag 0xff) 4 more bytes.
#[inline]
pub(crate) fn arcnet(c: Cursor<'_>) -> Step<'_> {
    c.need(5, "ARCNET")?;
    match c.u8(4) {
        240 => Ok(Some((Next::Ipv4, c.skip(5, "ARCNET")?))),
        241 | 0x80 => Ok(None),
        id => {
            c.need(6, "ARCNET")?;
            let len = if c.u8(5) == 0xff { 12 } else { 8 };
            let next = match id {
                212 => Next::Ipv4,
                0xc4 => Next::Ipv6,
                _ => return Ok(None),
            };
            Ok(Some((next, c.skip(len, "ARCNET")?)))
        }
    }
}

/// IP over InfiniBand as captured (LINKTYPE_IPOIB): 40 bytes of hardware
/// addresses, then the protocol (an EtherType) and 2 reserved bytes.
#[inline]
pub(crate) fn ipoib(c: Cursor<'_>) -> Step<'_> {
    c.need(44, "IPoIB")?;
    Ok(Some((Next::EtherType(c.u16(40)), c.skip(44, "IPoIB")?)))
}

/// Juniper Ethernet: magic "MGC", a flags byte; flag 0x80 adds a 2-byte
/// extension length and that many TLV bytes; flag 0x02 means the L2 header was
/// stripped (IP follows), else an Ethernet header follows.
#[inline]
pub(crate) fn juniper_ether(c: Cursor<'_>) -> Step<'_> {
    c.need(4, "Juniper")?;
    if c.data.get(..3) != Some(b"MGC") {
        return Err(DecodeError::Malformed {
            layer: "Juniper",
            reason: "no MGC magic",
        });
    }
    let flags = c.u8(3);
    let mut len = 4;
    if flags & 0x80 != 0 {
        c.need(6, "Juniper")?;
        len += 2 + usize::from(c.u16(4));
    }
    let next = if flags & 0x02 != 0 {
        Next::Ip
    } else {
        Next::Ethernet
    };
    Ok(Some((next, c.skip(len, "Juniper")?)))
}

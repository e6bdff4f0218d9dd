//! tcpdump's text for the layers before a tunnelled TCP segment (tcpdump 5.0,
//! `print-ip.c`, `print-udp.c`, `print-geneve.c`, `print-vxlan.c`,
//! `print-gre.c`, `print-mpls.c`, `print-bcm-li.c`, `print-pppoe.c`).
//!
//! Each layer is one piece of text; pieces are joined by a space, which is
//! what tcpdump prints between them on one line (its `: ` separators are
//! part of the pieces). Where tcpdump starts a new line (`-v`, and VXLAN
//! always), a space joins the pieces too.

use super::tcpdump::{fold, sum_words, write_addr, write_ip_head};
use crate::wire::{Encapsulation, GeneveLayer, GreLayer, IpInfo, IpLayer, Layer, UdpLayer};
use core::fmt::{self, Write};
use std::net::IpAddr;

/// Writes the outer layers of `enc` (see
/// [`Renderer::write_encapsulation`](super::Renderer::write_encapsulation)).
pub(super) fn write_outer<W: Write>(w: &mut W, enc: &Encapsulation<'_>, v: u8) -> fmt::Result {
    let outer = enc.outer();
    let mut ip: Option<&IpLayer> = None;
    let mut first = true;
    for (i, layer) in outer.iter().enumerate() {
        let Some(layer) = layer else { continue };
        if !first {
            w.write_char(' ')?;
        }
        first = false;
        match layer {
            Layer::Ip(l) => {
                write_ip_head(w, &l.info, l.proto, Some(l.real_len), v)?;
                // UDP prints the addresses with its ports; anything else
                // after `src > dst: `.
                if !matches!(outer.get(i + 1), Some(Some(Layer::Udp(_)))) {
                    w.write_char(' ')?;
                    write_addr(w, &l.info.src)?;
                    w.write_str(" > ")?;
                    write_addr(w, &l.info.dst)?;
                    w.write_char(':')?;
                }
                ip = Some(l);
            }
            Layer::Udp(u) => write_udp(w, ip.map(|l| &l.info), u, v)?,
            Layer::Vxlan { flags, vni } => {
                let i = if flags & 0x08 != 0 { 'I' } else { '.' };
                write!(w, "VXLAN, flags [{i}] (0x{flags:02x}), vni {vni}")?;
            }
            Layer::Geneve(g) => write_geneve(w, g, v)?,
            Layer::BcmLi(shim) => write_bcm_li(w, *shim)?,
            Layer::Gre(g) => write_gre(w, g, v)?,
            Layer::Wccp(hdr) => {
                w.write_str("wccp")?;
                if let Some([f, sid, alt, pri]) = hdr {
                    let bit = |b: u8| if f & b != 0 { '1' } else { '0' };
                    write!(
                        w,
                        " T:{} A:{} U:{} SId:{sid} Alt:{alt} Pri:{pri}:",
                        bit(0x80),
                        bit(0x40),
                        bit(0x20)
                    )?;
                }
            }
            Layer::Mpls(stack) => write_mpls(w, stack, v)?,
            Layer::Pppoe(ses) => write!(w, "PPPoE  [ses 0x{ses:x}]")?,
        }
    }
    if !first && v == 0 {
        w.write_char(' ')?;
    }
    Ok(())
}

/// `a.p > b.q:` and, as tcpdump checks it, the checksum: IPv4 only with
/// `-vv` (`[no cksum]` for 0, `geneve-vv.out` line 2), IPv6 with `-v`
/// (`gso-ipv6-vxlan-ipv6.out` line 1); only when the datagram was captured
/// whole and, for IPv4, is not a fragment.
fn write_udp<W: Write>(w: &mut W, ip: Option<&IpInfo>, u: &UdpLayer<'_>, v: u8) -> fmt::Result {
    let Some(ip) = ip else {
        return write!(w, "{} > {}:", u.sport, u.dport);
    };
    write_addr(w, &ip.src)?;
    write!(w, ".{} > ", u.sport)?;
    write_addr(w, &ip.dst)?;
    write!(w, ".{}:", u.dport)?;
    let check = match ip.version {
        4 => v > 1 && ip.frag & 0x3fff == 0,
        _ => v > 0,
    };
    if !check {
        return Ok(());
    }
    if ip.version == 4 && u.checksum == 0 {
        return w.write_str(" [no cksum]");
    }
    match udp_checksum(ip, u) {
        Some(0) => w.write_str(" [udp sum ok]"),
        Some(computed) => {
            let should = fold(u32::from(u.checksum) + u32::from(computed));
            write!(
                w,
                " [bad udp cksum 0x{:04x} -> 0x{should:04x}!]",
                u.checksum
            )
        }
        None => Ok(()),
    }
}

/// The complement of the one's complement sum over the pseudo-header and
/// the datagram (RFC 768; RFC 8200 8.1 for IPv6): 0 when the checksum is
/// right. `None` when the datagram was not captured whole.
fn udp_checksum(ip: &IpInfo, u: &UdpLayer<'_>) -> Option<u16> {
    let len = usize::try_from(u.wire_len).ok()?;
    let data = u.datagram.get(..len)?;
    let mut sum = 0u32;
    match (ip.src, ip.dst) {
        (IpAddr::V4(s), IpAddr::V4(d)) => {
            sum = sum_words(sum, &s.octets());
            sum = sum_words(sum, &d.octets());
            sum = sum_words(sum, &[0, 17]);
            sum = sum_words(sum, &(u.wire_len as u16).to_be_bytes());
        }
        (IpAddr::V6(s), IpAddr::V6(d)) => {
            sum = sum_words(sum, &s.octets());
            sum = sum_words(sum, &d.octets());
            sum = sum_words(sum, &u.wire_len.to_be_bytes());
            sum = sum_words(sum, &[0, 0, 0, 17]);
        }
        _ => return None,
    }
    Some(!fold(sum_words(sum, data)))
}

/// tcpdump's names of GENEVE option classes (IANA registry).
fn geneve_class(class: u16) -> &'static str {
    match class {
        0x0100 => "Linux",
        0x0101 => "Open vSwitch",
        0x0102 => "Open Virtual Networking (OVN)",
        0x0103 => "In-band Network Telemetry (INT)",
        0x0104 => "VMware",
        0x0132 => "Google",
        0..=0x00ff => "Standard",
        0xfff0.. => "Experimental",
        _ => "Unknown",
    }
}

/// `Geneve, Flags [C], vni 0xa, options [...]` (`geneve-vv.out`,
/// `geneve-tcp.out`); `:` after it without `-v`.
fn write_geneve<W: Write>(w: &mut W, g: &GeneveLayer<'_>, v: u8) -> fmt::Result {
    w.write_str("Geneve, Flags [")?;
    let names = ["O", "C", "R1", "R2", "R3", "R4", "R5", "R6"];
    if g.flags == 0 {
        w.write_str("none")?;
    }
    for (i, name) in names.iter().enumerate() {
        if g.flags & (0x80 >> i) != 0 {
            w.write_str(name)?;
        }
    }
    write!(w, "], vni 0x{:x}", g.vni)?;
    if g.reserved != 0 {
        write!(w, ", rsvd 0x{:x}", g.reserved)?;
    }
    if !g.options.is_empty() {
        w.write_str(", options [")?;
        if v == 0 {
            write!(w, "{} bytes", g.options.len())?;
        } else {
            write_geneve_options(w, g.options, v)?;
        }
        w.write_char(']')?;
    }
    if v == 0 {
        w.write_char(':')?;
    }
    Ok(())
}

/// `class Standard (0x0) type 0x80(C) len 8 data 0000000c, ...`; the data
/// words only with `-vv` (`geneve-gcp.out` line 2).
fn write_geneve_options<W: Write>(w: &mut W, mut opts: &[u8], v: u8) -> fmt::Result {
    let mut sep = "";
    while let [c0, c1, ty, l, ..] = *opts {
        w.write_str(sep)?;
        sep = ", ";
        let class = u16::from_be_bytes([c0, c1]);
        let len = 4 + usize::from(l & 0x1f) * 4;
        write!(
            w,
            "class {} (0x{class:x}) type 0x{ty:x}{} len {len}",
            geneve_class(class),
            if ty & 0x80 != 0 { "(C)" } else { "" }
        )?;
        let Some(opt) = opts.get(..len) else {
            return w.write_str(" [bad length]");
        };
        if v > 1 && len > 4 {
            w.write_str(" data")?;
            for word in opt.get(4..).unwrap_or_default().chunks_exact(4) {
                write!(
                    w,
                    " {:02x}{:02x}{:02x}{:02x}",
                    word[0], word[1], word[2], word[3]
                )?;
            }
        }
        opts = opts.get(len..).unwrap_or_default();
    }
    Ok(())
}

/// `BCM-LI-SHIM: direction ingress, pkt-type undecided, pkt-subtype double
/// VLAN tag, li-id 66666` (`bcm-li-v.out` line 27).
fn write_bcm_li<W: Write>(w: &mut W, shim: u32) -> fmt::Result {
    let direction = match (shim >> 29) & 7 {
        1 => "unused",
        2 => "egress",
        3 => "ingress",
        _ => "unknown",
    };
    let pkt_type = match (shim >> 25) & 0xf {
        4 => "undecided",
        5 => "ipv4",
        6 => "ipv6",
        7 => "ethernet",
        _ => "unknown",
    };
    let subtype = match (shim >> 22) & 7 {
        1 => "single VLAN tag",
        2 => "double VLAN tag",
        3 => "untagged",
        _ => "unknown",
    };
    write!(
        w,
        "BCM-LI-SHIM: direction {direction}, pkt-type {pkt_type}, pkt-subtype {subtype}, li-id {}",
        shim & 0x3f_ffff
    )
}

/// GRE flag names in tcpdump's order.
const GRE_FLAGS: [(u16, &str); 6] = [
    (0x8000, "checksum present"),
    (0x4000, "routing present"),
    (0x2000, "key present"),
    (0x1000, "sequence# present"),
    (0x0800, "source routing present"),
    (0x0080, "ack present"),
];

/// `GREv0, length 248: ` / `GREv0, Flags [none], length 248`
/// (`wccp_redirect_gre.out` line 2), `GREv1, Flags [key present, sequence#
/// present], call 0, seq 0, length 60` (`pptp-v.out`).
fn write_gre<W: Write>(w: &mut W, g: &GreLayer, v: u8) -> fmt::Result {
    let version = g.flags & 7;
    write!(w, "GREv{version}")?;
    if v > 0 {
        w.write_str(", Flags [")?;
        let mut any = false;
        for (bit, name) in GRE_FLAGS {
            if g.flags & bit != 0 {
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
        w.write_char(']')?;
    }
    if version == 0 {
        if g.flags & 0xc000 != 0 {
            if v > 0 {
                write!(w, ", sum 0x{:x}", g.checksum)?;
            }
            write!(w, ", off 0x{:x}", g.offset)?;
        }
        if g.flags & 0x2000 != 0 {
            write!(w, ", key=0x{:x}", g.key)?;
        }
        if g.flags & 0x1000 != 0 {
            write!(w, ", seq {}", g.seq)?;
        }
    } else {
        write!(w, ", call {}", g.key & 0xffff)?;
        if g.flags & 0x1000 != 0 {
            write!(w, ", seq {}", g.seq)?;
        }
        if g.flags & 0x0080 != 0 {
            write!(w, ", ack {}", g.ack)?;
        }
        if g.flags & 0x1000 == 0 {
            w.write_str(", no-payload")?;
        }
    }
    write!(w, ", length {}", g.length)?;
    if v == 0 {
        w.write_char(':')?;
    }
    Ok(())
}

/// tcpdump's names of the reserved MPLS labels (RFC 3032 2.1), with `-v`.
const MPLS_RESERVED: [&str; 4] = [
    "IPv4 explicit NULL",
    "router alert",
    "IPv6 explicit NULL",
    "implicit NULL",
];

/// `MPLS (label 100656, tc 6, [S], ttl 64)` (`lspping-fec-ldp.out` line 1).
fn write_mpls<W: Write>(w: &mut W, stack: &[u8], v: u8) -> fmt::Result {
    w.write_str("MPLS")?;
    for e in stack.chunks_exact(4) {
        let entry = u32::from_be_bytes([e[0], e[1], e[2], e[3]]);
        let label = entry >> 12;
        write!(w, " (label {label}")?;
        if v > 0 && label < 16 {
            let name = MPLS_RESERVED.get(label as usize).copied().unwrap_or("rsvd");
            write!(w, " ({name})")?;
        }
        write!(w, ", tc {}", (entry >> 9) & 7)?;
        if entry & 0x100 != 0 {
            w.write_str(", [S]")?;
        }
        write!(w, ", ttl {})", entry & 0xff)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{MAX_ENCAP_LAYERS, encap::Sink};
    fn text(f: impl Fn(&mut String) -> fmt::Result) -> String {
        let mut s = String::new();
        f(&mut s).unwrap();
        s
    }

    #[test]
    fn gre_v1_as_pptp_shows_it() {
        // pptp-v.out line 32: `GREv1, Flags [key present, sequence# present],
        // call 0, seq 0, length 60` (flags 0x3001, protocol PPP 0x880b).
        let g = GreLayer {
            flags: 0x3001,
            proto: 0x880b,
            checksum: 0,
            offset: 0,
            key: 0x0040_0000,
            seq: 0,
            ack: 0,
            length: 60,
        };
        assert_eq!(
            text(|w| write_gre(w, &g, 1)),
            "GREv1, Flags [key present, sequence# present], call 0, seq 0, length 60"
        );
        // Without -v print-gre.c leaves the flags out and ends with `:`.
        assert_eq!(
            text(|w| write_gre(w, &g, 0)),
            "GREv1, call 0, seq 0, length 60:"
        );
        // print-gre.c: without S, `no-payload`; with A, the ack number.
        let g = GreLayer {
            flags: 0x2081,
            ack: 7,
            ..g
        };
        assert_eq!(
            text(|w| write_gre(w, &g, 0)),
            "GREv1, call 0, ack 7, no-payload, length 60:"
        );
    }

    #[test]
    fn gre_v0_checksum_key_sequence() {
        // print-gre.c: `sum` only with -v, `off` always, `key=0x..`, `seq N`.
        let g = GreLayer {
            flags: 0xb000,
            proto: 0x0800,
            checksum: 0xbeef,
            offset: 0,
            key: 0x2a,
            seq: 9,
            ack: 0,
            length: 100,
        };
        assert_eq!(
            text(|w| write_gre(w, &g, 1)),
            "GREv0, Flags [checksum present, key present, sequence# present], sum 0xbeef, \
             off 0x0, key=0x2a, seq 9, length 100"
        );
        assert_eq!(
            text(|w| write_gre(w, &g, 0)),
            "GREv0, off 0x0, key=0x2a, seq 9, length 100:"
        );
    }

    #[test]
    fn mpls_stack_with_a_reserved_label() {
        // Label 0 (IPv4 explicit NULL, not bottom, tc 0, ttl 255), then
        // label 100656 (tc 6, bottom, ttl 64): lspping-fec-ldp.out's entry.
        let stack = [0x00, 0x00, 0x00, 0xff, 0x18, 0x93, 0x0d, 0x40];
        assert_eq!(
            text(|w| write_mpls(w, &stack, 0)),
            "MPLS (label 0, tc 0, ttl 255) (label 100656, tc 6, [S], ttl 64)"
        );
        // print-mpls.c names labels below 16 with -v.
        assert_eq!(
            text(|w| write_mpls(w, &stack, 1)),
            "MPLS (label 0 (IPv4 explicit NULL), tc 0, ttl 255) (label 100656, tc 6, [S], ttl 64)"
        );
    }

    #[test]
    fn geneve_option_longer_than_the_options() {
        // print-geneve.c: an option whose length runs past Opt Len ends with
        // ` [bad length]`; flags O and C print as `OC`; a reserved byte as rsvd.
        let opts = [0x01, 0x01, 0x05, 0x03, 1, 2, 3, 4];
        let g = GeneveLayer {
            flags: 0xc0,
            proto: 0x6558,
            vni: 0x123456,
            reserved: 1,
            options: &opts,
        };
        assert_eq!(
            text(|w| write_geneve(w, &g, 2)),
            "Geneve, Flags [OC], vni 0x123456, rsvd 0x1, options [class Open vSwitch (0x101) \
             type 0x5 len 16 [bad length]]"
        );
    }

    #[test]
    fn capacity_is_bounded() {
        let mut e = Encapsulation::new();
        let c = crate::wire::cursor::Cursor::new(&[0, 0, 0, 0x41], 4);
        for _ in 0..MAX_ENCAP_LAYERS + 3 {
            e.record(crate::wire::Next::Mpls, c, crate::wire::Next::Ip, None);
        }
        assert_eq!((e.len(), e.dropped()), (MAX_ENCAP_LAYERS, 3));
        // No IP layer: nothing counts as outer.
        assert!(!e.is_tunnelled());
        // When full, an IP header (the segment's own) replaces the last layer.
        let ip = IpInfo {
            src: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            dst: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
            version: 4,
            tos: 0,
            ttl: 1,
            id: 0,
            frag: 0,
            flow_label: 0,
            total_len: 40,
        };
        let v4 = [0x45, 0, 0, 40];
        let c = crate::wire::cursor::Cursor::new(&v4, 40);
        e.record(
            crate::wire::Next::Ipv4,
            c,
            crate::wire::Next::Tcp,
            Some(&ip),
        );
        assert_eq!((e.len(), e.dropped()), (MAX_ENCAP_LAYERS, 4));
        let inner = e.innermost_ip().expect("kept");
        assert_eq!((inner.header_len, inner.real_len, inner.proto), (20, 40, 6));
        assert!(e.is_tunnelled());
    }
}

//! Hex vectors per link type and header, from the shared corpora. Each
//! expected value is read from the capture's tshark row (`*.tshark.tsv`) or
//! tcpdump's expected output (`tcp-lines.tsv`), cited beside it; hand-built
//! vectors say how they were built.

use super::*;
use crate::capture::LinkType;
use hex_literal::hex;
use std::net::{Ipv4Addr, Ipv6Addr};

fn packet(link: u16, orig_len: usize, data: &[u8]) -> Packet<'_> {
    Packet {
        frame: 1,
        ts_ns: 0,
        link_type: LinkType(link),
        orig_len: orig_len as u32,
        data,
        interface: 0,
    }
}

fn seg(link: u16, orig_len: usize, data: &[u8]) -> Segment<'_> {
    match decode(&packet(link, orig_len, data)) {
        Ok(Some(s)) => s,
        other => panic!("expected a segment, got {other:?}"),
    }
}

fn v4(s: &Segment<'_>) -> (Ipv4Addr, Ipv4Addr) {
    match (s.ip.src, s.ip.dst) {
        (IpAddr::V4(a), IpAddr::V4(b)) => (a, b),
        other => panic!("not IPv4: {other:?}"),
    }
}

/// The options tshark reports: (mss, wscale, sackOK, (tsval, tsecr)).
type TsharkOptions = (Option<u16>, Option<u8>, bool, Option<(u32, u32)>);

/// The options tshark reports, from a segment.
fn opts(s: &Segment<'_>) -> TsharkOptions {
    let mut r = (None, None, false, None);
    for o in s.options.iter() {
        match o {
            Ok(TcpOption::Mss(v)) => r.0 = Some(v),
            Ok(TcpOption::WindowScale(v)) => r.1 = Some(v),
            Ok(TcpOption::SackPermitted) => r.2 = true,
            Ok(TcpOption::Timestamps { val, ecr }) => r.3 = Some((val, ecr)),
            _ => {}
        }
    }
    r
}

/// The fields of tshark's row: sport, dport, seq_raw, ack_raw, tcp.len,
/// tcp.hdr_len, window_size_value, flags.
fn fields(s: &Segment<'_>) -> (u16, u16, u32, u32, u32, u8, u16, u16) {
    (
        s.sport,
        s.dport,
        s.seq.0,
        s.ack.0,
        s.payload_len,
        s.header_len,
        s.window,
        s.flags.0,
    )
}

const SYN: u16 = TcpFlags::SYN;
const ACK: u16 = TcpFlags::ACK;
const PSH: u16 = TcpFlags::PSH;

#[test]
fn ethernet_ipv4_with_eol_padding() {
    // ssh.pcap frame 1. tshark: 202.108.87.165 -> 223.132.53.222, 62146 -> 22,
    // seq_raw 4082233688, len 0, hdr_len 44, win 65535, SYN, mss 1460,
    // wscale 6, sackOK, TS 1948436430/0. tcpdump: options [...,sackOK,eol].
    let f = hex!(
        "d4ca6d2e7f678c85903f77dd0800450000400000400040060344ca6c57a5df84"
        "35def2c20016f351f15800000000b002ffffec120000020405b4010303060101"
        "080a7422c7ce0000000004020000"
    );
    let s = seg(1, f.len(), &f);
    assert_eq!(
        v4(&s),
        (
            Ipv4Addr::new(202, 108, 87, 165),
            Ipv4Addr::new(223, 132, 53, 222)
        )
    );
    assert_eq!(fields(&s), (62146, 22, 4082233688, 0, 0, 44, 65535, SYN));
    assert_eq!(opts(&s), (Some(1460), Some(6), true, Some((1948436430, 0))));
    assert_eq!(s.options.after_eol(), Some(&[0u8][..]));
    assert!(!s.truncated);
    assert_eq!(s.header_captured, 44);
    assert_eq!((s.ip.ttl, s.ip.frag, s.ip.total_len), (64, 0x4000, 64));
}

#[test]
fn ethernet_vlan() {
    // ipv4_tcp_http_xml.pcap frame 1 (802.1Q tag, VLAN 165), first 80 of 663
    // bytes. tshark: 10.21.11.94 -> 10.114.101.120, 80 -> 5767, seq_raw
    // 908588050, ack_raw 2693707125, len 605, hdr_len 20, win 63750, AP.
    let f = hex!(
        "0003b27804170050569f369f810000a508004500028559ef4000800619270a15"
        "0b5e0a726578005016873627f412a08eb5755018f906bdc40000485454502f31"
        "2e3120323030204f4b0d0a446174653a"
    );
    let s = seg(1, 663, &f);
    assert_eq!(
        v4(&s),
        (
            Ipv4Addr::new(10, 21, 11, 94),
            Ipv4Addr::new(10, 114, 101, 120)
        )
    );
    assert_eq!(
        fields(&s),
        (80, 5767, 908588050, 2693707125, 605, 20, 63750, ACK | PSH)
    );
    assert_eq!(s.payload, b"HTTP/1.1 200 OK\r\nDate:");
    assert!(s.truncated);
}

#[test]
fn ethernet_qinq() {
    // Hand-built: the VLAN frame above with an 802.1ad S-tag (88a8, VID 10)
    // in front of its 802.1Q tag; the TCP fields stay tshark's.
    let f = hex!(
        "0003b27804170050569f369f88a8000a810000a508004500028559ef40008006"
        "19270a150b5e0a726578005016873627f412a08eb5755018f906bdc40000"
    );
    let s = seg(1, 667, &f);
    assert_eq!(
        fields(&s),
        (80, 5767, 908588050, 2693707125, 605, 20, 63750, ACK | PSH)
    );
}

#[test]
fn linux_cooked_v1() {
    // tcp-handshake-nano.pcap frame 1. tshark: 131.155.215.69 ->
    // 137.116.81.94, 46656 -> 80, seq_raw 797190859, hdr_len 40, win 27200,
    // SYN, mss 1360, wscale 7, sackOK, TS 1131021154/0.
    let f = hex!(
        "000402000000000000000000000008004500003c29a940004006db5f839bd745"
        "8974515eb64000502f842acb00000000a0026a4050c40000020405500402080a"
        "436a03620000000001030307"
    );
    let s = seg(113, f.len(), &f);
    assert_eq!(
        v4(&s),
        (
            Ipv4Addr::new(131, 155, 215, 69),
            Ipv4Addr::new(137, 116, 81, 94)
        )
    );
    assert_eq!(fields(&s), (46656, 80, 797190859, 0, 0, 40, 27200, SYN));
    assert_eq!(opts(&s), (Some(1360), Some(7), true, Some((1131021154, 0))));
}

#[test]
fn linux_cooked_v2() {
    // captures/lab/any-interface-sll2 frame 3 (`tcpdump -i any`). tshark:
    // 198.18.20.15 -> 198.18.20.12, 38212 -> 9527, seq_raw 340462817,
    // hdr_len 40, win 59220, SYN, mss 8460, wscale 10, sackOK, TS 3852536671/0.
    let f = hex!(
        "08000000000000020001000602000000141500004500003c720040004006147c"
        "c612140fc612140c95442537144b0ce100000000a002e754c46700000204210c"
        "0402080ae5a10b5f000000000103030a"
    );
    let s = seg(276, f.len(), &f);
    assert_eq!(
        v4(&s),
        (
            Ipv4Addr::new(198, 18, 20, 15),
            Ipv4Addr::new(198, 18, 20, 12)
        )
    );
    assert_eq!(fields(&s), (38212, 9527, 340462817, 0, 0, 40, 59220, SYN));
    assert_eq!(
        opts(&s),
        (Some(8460), Some(10), true, Some((3852536671, 0)))
    );
    // Frame 1 of the same capture is ARP (protocol 0x0806): not TCP.
    let arp = hex!(
        "0806000000000002000101060200000014150000000108000604000102000000"
        "1415c612140f000000000000c612140c"
    );
    assert_eq!(decode(&packet(276, arp.len(), &arp)), Ok(None));
}

/// tcp_rst_diag_payload.pcap frame 1 (BSD null, AF_INET = 2 little-endian).
/// tshark: 192.0.2.1 -> 192.168.0.1, 39829 -> 8080, seq_raw 1, ack_raw
/// 334797553, len 8, hdr_len 20, win 0, RST+ACK.
const NULL_FRAME: [u8; 52] = hex!(
    "020000004500003000000000ff06391dc0000201c0a800019b951f9000000001"
    "13f49af15014000086a8000033aa000100000000"
);

#[test]
fn bsd_null_and_loop() {
    let rst = TcpFlags::RST | ACK;
    let s = seg(0, 52, &NULL_FRAME);
    assert_eq!(
        v4(&s),
        (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 168, 0, 1))
    );
    assert_eq!(fields(&s), (39829, 8080, 1, 334797553, 8, 20, 0, rst));
    // The same family written big-endian by a host of the other byte order
    // (libpcap's rule: high bits set means swapped).
    let mut be = NULL_FRAME;
    be[..4].copy_from_slice(&[0, 0, 0, 2]);
    assert_eq!(
        fields(&seg(0, 52, &be)),
        (39829, 8080, 1, 334797553, 8, 20, 0, rst)
    );
    // LINKTYPE_LOOP (108) is always network order.
    assert_eq!(
        fields(&seg(108, 52, &be)),
        (39829, 8080, 1, 334797553, 8, 20, 0, rst)
    );
    assert_eq!(decode(&packet(108, 52, &NULL_FRAME)), Ok(None));
    // An unknown family is not IP.
    let mut other = NULL_FRAME;
    other[0] = 7;
    assert_eq!(decode(&packet(0, 52, &other)), Ok(None));
}

#[test]
fn bsd_null_ipv6_families() {
    // captures/lab/ipv6-handshake-close frame 4 after its Ethernet header,
    // behind a null header with each AF_INET6 value (24, 28, 30). tshark:
    // 2001:db8:16::15 -> 2001:db8:16::12, 58476 -> 9527, seq_raw 764783014,
    // hdr_len 40, win 64800, SYN.
    for af in [24u8, 28, 30] {
        let mut f = vec![af, 0, 0, 0];
        f.extend_from_slice(&IPV6_SYN);
        let s = seg(0, f.len(), &f);
        assert_eq!(fields(&s), (58476, 9527, 764783014, 0, 0, 40, 64800, SYN));
        assert_eq!(s.ip.src, "2001:db8:16::15".parse::<Ipv6Addr>().unwrap());
    }
}

#[test]
fn raw_ip_link_types() {
    // mptcp-tcprst.pcap frame 1 (LINKTYPE_RAW 101). tshark: 55739 -> 8080,
    // seq_raw 1, ack_raw 2176696966, len 0, hdr_len 24, win 256, RST+ACK.
    let f = hex!(
        "4500002c00000000ff06ed05c0000201c0a84c1cd9bb1f900000000181bdc286"
        "60140100f47000001e048000"
    );
    let want = (55739, 8080, 1, 2176696966, 0, 24, 256, TcpFlags::RST | ACK);
    for link in [101, 12, 14, 228] {
        assert_eq!(fields(&seg(link, f.len(), &f)), want, "link type {link}");
    }
    // IPv4 bytes under LINKTYPE_IPV6 are not IPv6.
    assert_eq!(decode(&packet(229, f.len(), &f)), Ok(None));
}

#[test]
fn raw_ipv4_with_unknown_option_kind() {
    // scps_invalid.pcap frame 1 (LINKTYPE_IPV4 228). tshark: 52750 -> 63764,
    // seq_raw 3757264999, hdr_len 32, win 8192, SYN, mss 1452, wscale 2.
    // tcpdump: options [mss 1452,nop,wscale 2,nop,nop,scps[bad opt]: kind 20
    // with length 2 ends the 12 option bytes; tcpdump wants 4 for SCPS,
    // which the renderer knows; the iterator yields it as an unknown kind.
    let f = hex!(
        "450000347b8600006e069551b6b5cae653fd6653ce0ef914dff3506700000000"
        "800220001bb30000020405ac01030302010114020000000035250e5700000000"
    );
    let s = seg(228, 104, &f);
    assert_eq!(fields(&s), (52750, 63764, 3757264999, 0, 0, 32, 8192, SYN));
    let all: Vec<_> = s.options.iter().collect();
    assert_eq!(
        all,
        vec![
            Ok(TcpOption::Mss(1452)),
            Ok(TcpOption::Nop),
            Ok(TcpOption::WindowScale(2)),
            Ok(TcpOption::Nop),
            Ok(TcpOption::Nop),
            Ok(TcpOption::Unknown {
                kind: 20,
                data: &[]
            }),
        ]
    );
}

/// captures/lab/ipv6-handshake-close frame 4 without its Ethernet header.
const IPV6_SYN: [u8; 80] = hex!(
    "6000e8480028064020010db8001600000000000000000015"
    "20010db8001600000000000000000012e46c25372d95a9a600000000a002fd20"
    "4be70000020405a00402080ad9d6e88d000000000103030a"
);

/// IPV6_SYN with extension header `ext` (whose first byte must be 6, TCP)
/// inserted after the fixed header, next header `nh` and the payload length
/// grown by its size.
fn with_ext(nh: u8, ext: &[u8]) -> Vec<u8> {
    let mut f = IPV6_SYN[..40].to_vec();
    f[6] = nh;
    let plen = 40 + ext.len() as u16;
    f[4..6].copy_from_slice(&plen.to_be_bytes());
    f.extend_from_slice(ext);
    f.extend_from_slice(&IPV6_SYN[40..]);
    f
}

#[test]
fn ipv6_and_extension_headers() {
    let want = (58476, 9527, 764783014, 0, 0, 40, 64800, SYN);
    let s = seg(229, 80, &IPV6_SYN);
    assert_eq!(fields(&s), want);
    assert_eq!(
        opts(&s),
        (Some(1440), Some(10), true, Some((3654740109, 0)))
    );
    assert_eq!((s.ip.version, s.ip.ttl, s.ip.flow_label), (6, 64, 0xe848));
    // Hop-by-hop with a PadN option (8 bytes: nh 6, len 0, PadN 1 04 0000 0000).
    let hbh = hex!("06 00 01 04 00 00 00 00");
    // Destination options, the same shape.
    // Routing header type 0 with no segments left (8 bytes).
    let rh = hex!("06 00 00 00 00 00 00 00");
    // Fragment header, offset 0 with M set: a first fragment.
    let frag0 = hex!("06 00 00 01 12 34 56 78");
    // AH with payload length 4: (4 + 2) * 4 = 24 bytes.
    let ah = hex!("06 04 0000 00000001 00000001 000000000000000000000000");
    for (nh, ext) in [
        (0u8, &hbh[..]),
        (60, &hbh[..]),
        (43, &rh[..]),
        (44, &frag0[..]),
        (51, &ah[..]),
    ] {
        let f = with_ext(nh, ext);
        assert_eq!(fields(&seg(229, f.len(), &f)), want, "next header {nh}");
    }
    // Chained: hop-by-hop -> routing -> TCP.
    let mut chain = hex!("2b 00 01 04 00 00 00 00").to_vec();
    chain.extend_from_slice(&rh);
    let f = with_ext(0, &chain);
    assert_eq!(fields(&seg(229, f.len(), &f)), want);
    // A later fragment (offset 1) carries no TCP header.
    let f = with_ext(44, &hex!("06 00 00 08 12 34 56 78"));
    assert_eq!(decode(&packet(229, f.len(), &f)), Ok(None));
    // No next header.
    let f = with_ext(59, &[]);
    assert_eq!(decode(&packet(229, f.len(), &f)), Ok(None));
}

#[test]
fn ipv4_fragments() {
    // The null-link frame above as IPv4 fragments (flags/offset at IP bytes 6-7).
    let mut first = NULL_FRAME;
    first[4 + 6] = 0x20; // MF, offset 0: the first fragment carries TCP.
    assert_eq!(seg(0, 52, &first).sport, 39829);
    let mut later = NULL_FRAME;
    later[4 + 7] = 0x01; // offset 8 bytes: not a TCP segment.
    assert_eq!(decode(&packet(0, 52, &later)), Ok(None));
}

#[test]
fn ipv4_options_and_ip_in_ip() {
    // Hand-built: the null-link frame's IPv4 header grown by a 4-byte option
    // (NOP NOP NOP EOL, IHL 6, total length 52), then the same packet inside
    // an outer IPv4 header of protocol 4 (IP-in-IP).
    let ip = &NULL_FRAME[4..];
    let mut inner = vec![0x46];
    inner.extend_from_slice(&ip[1..2]);
    inner.extend_from_slice(&52u16.to_be_bytes());
    inner.extend_from_slice(&ip[4..20]);
    inner.extend_from_slice(&[1, 1, 1, 0]);
    inner.extend_from_slice(&ip[20..]);
    let want = (39829, 8080, 1, 334797553, 8, 20, 0, TcpFlags::RST | ACK);
    assert_eq!(fields(&seg(101, inner.len(), &inner)), want);
    let mut outer = hex!("4500 0048 0000 0000 4004 0000 0a000001 0a000002").to_vec();
    outer.extend_from_slice(&inner);
    let s = seg(101, outer.len(), &outer);
    assert_eq!(fields(&s), want);
    assert_eq!(
        v4(&s),
        (Ipv4Addr::new(192, 0, 2, 1), Ipv4Addr::new(192, 168, 0, 1))
    );
    // 6in4: IPv6 inside IPv4 (protocol 41).
    let mut sixin4 = hex!("4500 0064 0000 0000 4029 0000 0a000001 0a000002").to_vec();
    sixin4.extend_from_slice(&IPV6_SYN);
    assert_eq!(fields(&seg(101, sixin4.len(), &sixin4)).0, 58476);
}

#[test]
fn ppp_and_mpls() {
    // bgp_vpn_attrset.pcap frame 1 (PPP, ff03 0021), first 70 of 177 bytes.
    // tshark: 12.4.4.4 -> 12.1.1.1, 2051 -> 179, seq_raw 3293077573, ack_raw
    // 3348108582, len 121, hdr_len 32, win 16384, AP, TS 383131/890299.
    let f = hex!(
        "ff03002145c000ade50400003e06797d0c0404040c010101080300b3c4486045"
        "c790152680184000cf1800000101080a0005d89b000d95bbffffffffffffffff"
        "ffffffffffff"
    );
    let s = seg(9, 177, &f);
    assert_eq!(
        fields(&s),
        (2051, 179, 3293077573, 3348108582, 121, 32, 16384, ACK | PSH)
    );
    assert_eq!(opts(&s).3, Some((383131, 890299)));
    // lspping-fec-ldp.pcap frame 1: PPP 0281 (MPLS), one label with S set.
    // tshark: 12.4.4.4 -> 12.8.8.8, 4100 -> 179, seq_raw 1860641958, ack_raw
    // 2969468967, len 19, hdr_len 32, win 16384, AP.
    let f = hex!(
        "ff03028118930d4045c000479f0f00004006b6ca0c0404040c080808100400b3"
        "6ee724a6b0fe802780184000fd1b00000101080a050db418050d7dbeffffffff"
        "ffffffffffffffffffffffff001304"
    );
    let s = seg(9, f.len(), &f);
    assert_eq!(v4(&s).1, Ipv4Addr::new(12, 8, 8, 8));
    assert_eq!(
        fields(&s),
        (4100, 179, 1860641958, 2969468967, 19, 32, 16384, ACK | PSH)
    );
}

#[test]
fn arcnet_both_framings() {
    // arcnet-rfc1051-arp-icmp-http.pcap frame 11 (protocol id 240). tshark:
    // 10.80.131.1 -> 146.190.240.163, 1026 -> 80, seq_raw 2399122329,
    // hdr_len 40, win 1872, SYN, mss 468, wscale 0, sackOK, TS 287949/0.
    let f = hex!(
        "be50c300f04500003cd7544000400652b40a50830192bef0a3040200508effb3"
        "9900000000a002075088270000020401d40402080a000464cd00000000010303"
        "00"
    );
    let s = seg(129, 65, &f);
    assert_eq!(fields(&s), (1026, 80, 2399122329, 0, 0, 40, 1872, SYN));
    assert_eq!(opts(&s), (Some(468), Some(0), true, Some((287949, 0))));
    // arcnet-rfc1201-arp-icmp-http.pcap frame 13 (protocol id 212, split
    // flag, sequence). tshark: 1027 -> 80, seq_raw 2567257385, hdr_len 40.
    let f = hex!(
        "be50c000d400016b4500003c942d4000400695db0a50830192bef0a304030050"
        "99053d2900000000a0020750b0590000020401d40402080a0004a90400000000"
    );
    let s = seg(129, 68, &f);
    assert_eq!(fields(&s), (1027, 80, 2567257385, 0, 0, 40, 1872, SYN));
    assert!(s.truncated);
}

#[test]
fn ip_over_infiniband() {
    // ipoib.pcap frame 9, first 84 of 104 bytes. tshark: 192.168.56.10 ->
    // 192.168.56.24, 34170 -> 22, seq_raw 798232822, hdr_len 40, win 32983,
    // flags ····CE····S· (CWR, ECE, SYN).
    let f = hex!(
        "000000000000000000000000000000003020000380000550fe80000000000000"
        "0010e000664ab451080000004500003c0044400040064905c0a8380ac0a83818"
        "857a00162f9410f600000000a0c280d7efae0000"
    );
    let s = seg(242, 104, &f);
    let flags = TcpFlags::CWR | TcpFlags::ECE | SYN;
    assert_eq!(fields(&s), (34170, 22, 798232822, 0, 0, 40, 32983, flags));
}

#[test]
fn juniper_ethernet() {
    // bgp-aigp.pcap frame 1, first 96 of 218 bytes: "MGC", flags 0x80 (an
    // extension of 16 bytes), then Ethernet. tshark: 172.16.20.5 ->
    // 172.16.20.3, 59631 -> 179, seq_raw 3923783171, ack_raw 3341773693,
    // len 130, hdr_len 32, win 16384, AP, TS 32734022/32695671.
    let f = hex!(
        "4d474380001003010106010e01028c0004044c0100000050568b5e9f0050568b"
        "6dde080045c000b688f7000040067062ac101405ac101403e8ef00b3e9e02e03"
        "c72f6b7d80184000e11200000101080a01f37b4601f2e577ffffffffffffffff"
    );
    let s = seg(178, 218, &f);
    assert_eq!(
        fields(&s),
        (
            59631,
            179,
            3923783171,
            3341773693,
            130,
            32,
            16384,
            ACK | PSH
        )
    );
    assert_eq!(opts(&s).3, Some((32734022, 32695671)));
    let mut bad = f;
    bad[0] = b'X';
    assert!(matches!(
        decode(&packet(178, 218, &bad)),
        Err(DecodeError::Malformed {
            layer: "Juniper",
            ..
        })
    ));
}

#[test]
fn gre_wccp_redirect() {
    // wccp_redirect_gre.pcap frame 1, first 110 of 282 bytes: IPv4 / GRE
    // 883e / WCCPv2 redirect header / IPv4 / TCP. tshark (innermost): 10.254.127.195
    // -> 10.254.108.228, 1291 -> 445, seq_raw 2206441866, ack_raw 1426770077,
    // len 188, hdr_len 32, win 63887, AP, TS 40478/28035935.
    let f = hex!(
        "00145e2899a8000f353aab4008004500010cac830000fd2fa42e0afe7fc20afe"
        "d6520000883e05590048450000f0911440004006a6500afe7fc30afe6ce4050b"
        "01bd8383a18a550ac89d8018f98f290900000101080a00009e1e01abcb5f0000"
        "00b8ff534d4225000000001807c8"
    );
    let s = seg(1, 282, &f);
    assert_eq!(
        v4(&s),
        (
            Ipv4Addr::new(10, 254, 127, 195),
            Ipv4Addr::new(10, 254, 108, 228)
        )
    );
    assert_eq!(
        fields(&s),
        (1291, 445, 2206441866, 1426770077, 188, 32, 63887, ACK | PSH)
    );
    assert_eq!(opts(&s).3, Some((40478, 28035935)));
}

#[test]
fn vxlan_gso() {
    // gso-ipv4-vxlan-ipv4.pcap frame 1, first 130 of 7106 bytes. tshark
    // (innermost): 192.168.1.2 -> 192.168.1.1, 37099 -> 41547, seq_raw
    // 1925567864, ack_raw 2614339187, len 6990, hdr_len 32, win 166, AP.
    let f = hex!(
        "b8cef6048b14d4aff7dae173080045001bb430e800003d1115070a19840b0a19"
        "840debb912b51ba037fc0800000000138900fe36a567e0ac76bd914a21f90800"
        "45001b82282a4000400673f8c0a80102c0a8010190eba24b72c5d5789bd3a673"
        "801800a69ec800000101080add7e04af35a5fd466e657470657266006e657470"
        "6572"
    );
    let s = seg(1, 7106, &f);
    assert_eq!(
        v4(&s),
        (Ipv4Addr::new(192, 168, 1, 2), Ipv4Addr::new(192, 168, 1, 1))
    );
    assert_eq!(
        fields(&s),
        (
            37099,
            41547,
            1925567864,
            2614339187,
            6990,
            32,
            166,
            ACK | PSH
        )
    );
    assert!(s.truncated);
}

#[test]
fn geneve() {
    // geneve.pcap frame 3: GENEVE (UDP 6081, protocol 6558) / Ethernet /
    // IPv4 / TCP. tshark (innermost): 30.0.0.2 -> 30.0.0.1, 51225 -> 22,
    // seq_raw 397610159, hdr_len 40, win 14600, SYN, mss 1460, wscale 7.
    let f = hex!(
        "001b213cab64001b213cac3008004500006e8806400040118a76140000021400"
        "0001a9b317c1005a00000000655800000b00b69ed2495148fe71d883724f0800"
        "4500003c5a1140004006a4a81e0000021e000001c819001617b30caf00000000"
        "a0023908e4370000020405b40402080aab6d56be0000000001030307"
    );
    let s = seg(1, f.len(), &f);
    assert_eq!(
        v4(&s),
        (Ipv4Addr::new(30, 0, 0, 2), Ipv4Addr::new(30, 0, 0, 1))
    );
    assert_eq!(fields(&s), (51225, 22, 397610159, 0, 0, 40, 14600, SYN));
    assert_eq!(opts(&s), (Some(1460), Some(7), true, Some((2876069566, 0))));
}

#[test]
fn big_tcp_ipv4_total_length_zero() {
    // bigtcp-ipv4.pcap frame 1, first 90 of 80066 bytes, IPv4 total length 0.
    // tshark: 35871 -> 36425, seq_raw 4155358606, ack_raw 17023525, len
    // 80000, hdr_len 32, win 635, AP; tcpdump: length 80000.
    let f = hex!(
        "0600deadbeefb8cef6048b140800450000002eff40004006efae0a19840d0a19"
        "840b8c1f8e49f7adbd8e0103c2258018027b54f200000101080ae9b7eb15bbed"
        "eb2f6e657470657266006e657470657266006e65747065726600"
    );
    let s = seg(1, 80066, &f);
    assert_eq!(
        fields(&s),
        (
            35871,
            36425,
            4155358606,
            17023525,
            80000,
            32,
            635,
            ACK | PSH
        )
    );
    assert_eq!(s.ip.total_len, 0);
}

#[test]
fn big_tcp_ipv6_jumbo_and_no_jumbo() {
    // bigtcp-ipv6-hbh.pcap frame 1, first 130 of 80094 bytes: payload length
    // 0, hop-by-hop with a jumbo option of 80040. tshark: 41851 -> 43913,
    // seq_raw 592820498, ack_raw 2512896041, len 80000, hdr_len 32, win 2128.
    let f = hex!(
        "0600deadbeefb8cef6048b1486dd600a31ee00000040260413804091ce000000"
        "00000000000d260413804091ce00000000000000000b0600c204000138a8a37b"
        "ab892355b91295c7c02980180850c8eb00000101080a46bdbe60fc8cfa386e65"
        "7470657266006e657470657266006e657470657266006e657470657266006e65"
        "7470"
    );
    let s = seg(1, 80094, &f);
    assert_eq!(
        fields(&s),
        (
            41851,
            43913,
            592820498,
            2512896041,
            80000,
            32,
            2128,
            ACK | PSH
        )
    );
    assert_eq!(s.ip.total_len, 80040 + 40);
    // bigtcp-ipv6.pcap frame 1, first 120 of 80054 bytes: payload length 0,
    // no hop-by-hop. tshark has no TCP row; tcpdump: "[real length 80040,
    // presumed BIG TCP] 2604:1380:4091:ce00::b.43267 > ...::d.41219: Flags
    // [P.], seq 2265425561:2265505529, ack 3850636772, win 426" (79968 bytes).
    let f = hex!(
        "b8cef6048b14d4aff7db489786dd60081ccd0000063d260413804091ce000000"
        "00000000000b260413804091ce00000000000000000da903a1038707a699e584"
        "0de4801801aac8cb00000101080ad47019ebe643040c6e657470657266006e65"
        "7470657266006e657470657266006e657470657266006e65"
    );
    let s = seg(1, 80054, &f);
    assert_eq!(
        fields(&s),
        (
            43267,
            41219,
            2265425561,
            3850636772,
            79968,
            32,
            426,
            ACK | PSH
        )
    );
}

#[test]
fn broadcom_li_shim() {
    // bcm-li.pcap frames 6 and 7 (UDP 49152 -> 49153). tshark shows no TCP;
    // tcpdump (bcm-li-v.out) does. Frame 6, shim type "undecided", IPv4:
    // "9.182.64.0.51344 > 217.89.31.229.50003: Flags [S], seq 2040003902,
    // win 65340, options [mss 1452,...], length 0".
    let f = hex!(
        "005056b257991ce85d2417c308004502005c000000003b119116d9591eb0d959"
        "1d16c000c001004800006881046a4500003cca08400040062dbf09b64000d959"
        "1fe5c890c3537997fd3e00000000a002ff3c534b0000020405ac0402080abcc7"
        "f3080000"
    );
    let s = seg(1, 106, &f);
    assert_eq!(
        v4(&s),
        (
            Ipv4Addr::new(9, 182, 64, 0),
            Ipv4Addr::new(217, 89, 31, 229)
        )
    );
    assert_eq!(fields(&s), (51344, 50003, 2040003902, 0, 0, 40, 65340, SYN));
    assert_eq!(opts(&s).0, Some(1452));
    // Frame 7, shim type Ethernet, then two VLAN tags and PPPoE: "217.89.31.229.50003
    // > 9.182.64.0.51344: Flags [S.], seq 1682249933, ack 2040003903, win
    // 28960, options [mss 1460,...], length 0".
    let f = hex!(
        "005056b257991ce85d2417c308004502007a000000003b1190f8d9591eb0d959"
        "1d16c000c001006600004e81046a000c29dea648b86a97a58f01810000d18100"
        "00078864110000c3003e00214500003c000040003c06fbc7d9591fe509b64000"
        "c353c890644518cd7997fd3fa012712028500000020405b40402080a661bd5ce"
        "bcc7"
    );
    let s = seg(1, 136, &f);
    assert_eq!(
        fields(&s),
        (
            50003,
            51344,
            1682249933,
            2040003903,
            0,
            40,
            28960,
            SYN | ACK
        )
    );
}

#[test]
fn ip_length_beyond_the_frame_is_clamped() {
    // kday4.pcap frame 10: IPv4 total length 820 in a 66-byte frame. tshark:
    // len 0, hdr_len 32, seq_raw 1238485076; tcpdump: "ack 1, win 4094, ...
    // length 0".
    let f = hex!(
        "0cc47a08e91284b59cbe3048080045100334fd2640003e063da6cc093384cc09"
        "3650c39f001649d1c8546c6f12ae80100ffe861100000101080a381c317fffff"
        "ffca"
    );
    let s = seg(1, 66, &f);
    assert_eq!(
        fields(&s),
        (50079, 22, 1238485076, 1819218606, 0, 32, 4094, ACK)
    );
    assert_eq!(opts(&s).3, Some((941371775, 4294967242)));
}

#[test]
fn header_cut_after_the_ports() {
    // tcp_header_heapoverflow.pcap frame 1: 12 TCP bytes of 262144. tshark
    // lists the frame as TCP with only srcport/dstport 12336; tcpdump prints
    // "48.48.48.48.12336 > 48.48.48.48.12336:  [|tcp]".
    let f = hex!(
        "3030303030303030303030300800453030303030000030063030303030303030"
        "3030303030303030303030303030"
    );
    let s = seg(1, 262144, &f);
    assert_eq!((s.sport, s.dport, s.header_captured), (12336, 12336, 12));
    // Seq and ack (bytes 4..12) were captured; nothing after them was.
    assert_eq!((s.seq.0, s.ack.0), (0x30303030, 0x30303030));
    assert_eq!((s.header_len, s.flags.0, s.window), (0, 0, 0));
    assert!(s.truncated && s.options.bytes().is_empty() && s.payload.is_empty());
    // Fewer than 4 bytes: not a segment (tshark: no TCP; tcpdump: "[|tcp]").
    for cut in 34..38 {
        assert_eq!(
            decode(&packet(1, 262144, &f[..cut])),
            Err(DecodeError::Truncated {
                layer: "TCP",
                offset: cut
            })
        );
    }
}

#[test]
fn options_cut_by_the_snaplen() {
    // heapoverflow-tcp_print.pcap frame 1: hdr_len 60, 30 TCP bytes captured.
    // tshark: len 12256, flags RR·A··UA···· (ACK, URG, AE); tcpdump:
    // "options [unknown-48 0x3030303030303030 [|tcp]" — kind 0x30 = 48,
    // length 0x28 = 40 (exactly the declared option space), 10 captured.
    let f = hex!(
        "3030303030303030303030300800453030303030400030063030303030303030"
        "3030303030303030303030303030fd3030303030303030283030303030303030"
    );
    let s = seg(1, 262144, &f);
    let flags = TcpFlags::AE | ACK | TcpFlags::URG;
    assert_eq!(
        fields(&s),
        (12336, 12336, 808464432, 808464432, 12256, 60, 12336, flags)
    );
    assert_eq!((s.header_captured, s.truncated), (30, true));
    let all: Vec<_> = s.options.iter().collect();
    assert_eq!(
        all,
        vec![Err(OptionError {
            offset: 0,
            kind: 48,
            len: Some(40),
            truncated: true
        })]
    );
    // tcp-auth-heapoverflow.pcap frame 1: hdr_len 52; tcpdump "options
    // [tcp-ao keyid 48 rnextkeyid 48 mac 0x303030303030 [|tcp]": kind 29,
    // length 21 (within 32 declared bytes), 10 captured.
    let f = hex!(
        "3030303030303030303030300800453030303030400030063030303030303030"
        "3030303030303030303030303030dc303030303030301d153030303030303030"
    );
    let s = seg(1, 262144, &f);
    assert_eq!(fields(&s).4, 12264);
    let all: Vec<_> = s.options.iter().collect();
    assert_eq!(
        all,
        vec![Err(OptionError {
            offset: 0,
            kind: 29,
            len: Some(21),
            truncated: true
        })]
    );
    assert_eq!(s.options.bytes(), &f[54..]);
}

#[test]
fn raw_ipv6_header_cut_in_options() {
    // beep-oobr.pcap frame 2 (LINKTYPE_IPV6): hdr_len 28, 24 TCP bytes.
    // tshark: 10288 -> 12336, len 12308, flags RRRA··UA····; tcpdump:
    // "options [eol], length 12308 [remaining caplen(24) < header length(28)]".
    let f = hex!(
        "6c30303030300630303030303030303030303030303030303030303030303030"
        "30303030303030302830303030303030303030307f3030303030303000303030"
    );
    let s = seg(229, 262144, &f);
    let flags = TcpFlags::AE | ACK | TcpFlags::URG;
    assert_eq!(
        fields(&s),
        (10288, 12336, 808464432, 808464432, 12308, 28, 12336, flags)
    );
    assert_eq!((s.header_captured, s.truncated), (24, true));
    let all: Vec<_> = s.options.iter().collect();
    assert_eq!(all, vec![Ok(TcpOption::Eol)]);
    assert_eq!(s.options.after_eol(), Some(&hex!("303030")[..]));
}

#[test]
fn experimental_options() {
    // accecn_handshake.pcap frame 2; tcpdump: "options [mss 1460,sackOK,TS val
    // 2783239876 ecr 112147477,exp-acc0,wscale 7]" (kind 254, exid 0xacc0,
    // 6 bytes of counters). tshark: mss 1460, wscale 7, TS 2783239876/112147477.
    let f = hex!(
        "000c29f7801218fd740745cd080045000048000040003606244342e42b0c1f85"
        "92f800504031b128b393741d4a2ed092fe8822a80000020405b40402080aa5e4"
        "dec406af3c15fe0dacc0000001000000000000030307"
    );
    let s = seg(1, 86, &f);
    let all: Vec<_> = s.options.iter().collect();
    assert_eq!(all.len(), 5);
    assert_eq!(
        all[3],
        Ok(TcpOption::AccEcn {
            order: 0,
            data: &hex!("000001000000000000")[..],
            experimental: true
        })
    );
    assert_eq!(
        opts(&s),
        (Some(1460), Some(7), true, Some((2783239876, 112147477)))
    );
    // tfo-5c1fa7f9ae91.pcap frame 1; tcpdump "options [exp-tfo cookiereq]":
    // kind 254, length 4, exid 0xf989, no cookie.
    let f = hex!(
        "1c7ee54ca1cbb0750c00000108004500002c00060000ff06f4b3c0a800640303"
        "030332f732fe0d05af640000000060020578b9660000fe04f989"
    );
    let s = seg(1, 58, &f);
    assert_eq!(fields(&s), (13047, 13054, 218476388, 0, 0, 24, 1400, SYN));
    let all: Vec<_> = s.options.iter().collect();
    assert_eq!(
        all,
        vec![Ok(TcpOption::FastOpen {
            cookie: &[],
            experimental: true
        })]
    );
}

#[test]
fn mptcp_option() {
    // mptcp-v1.pcap frame 1 (Linux cooked v1); tcpdump: "options [mss
    // 1460,sackOK,TS val 464494241 ecr 0,nop,wscale 8,mptcp 4 capable v1
    // flags [H]]": kind 30, length 4, subtype 0 (MP_CAPABLE), version 1.
    let f = hex!(
        "000000010006323287aa04020000080045000040ad7f4000400676370a000101"
        "0a000201821a271481fbb5fd00000000b002ffff17340000020405b40402080a"
        "1baf9ea100000000010303081e040101"
    );
    let s = seg(113, 80, &f);
    assert_eq!(fields(&s), (33306, 10004, 2180756989, 0, 0, 44, 65535, SYN));
    let last = s.options.iter().last();
    assert_eq!(
        last,
        Some(Ok(TcpOption::Mptcp {
            subtype: 0,
            data: &[0x01, 0x01]
        }))
    );
}

#[test]
fn short_and_odd_inputs_are_errors_or_none() {
    assert_eq!(
        decode(&packet(1, 10, &[0; 10])),
        Err(DecodeError::Truncated {
            layer: "Ethernet",
            offset: 10
        })
    );
    assert_eq!(
        decode(&packet(147, 0, &[])),
        Err(DecodeError::UnsupportedLinkType(147))
    );
    // ARP over Ethernet.
    let mut arp = [0u8; 42];
    arp[12..14].copy_from_slice(&[0x08, 0x06]);
    assert_eq!(decode(&packet(1, 42, &arp)), Ok(None));
    // IPv4 header length below 20.
    let mut bad = NULL_FRAME;
    bad[4] = 0x44;
    assert!(matches!(
        decode(&packet(0, 52, &bad)),
        Err(DecodeError::Malformed { layer: "IPv4", .. })
    ));
    // IPv4 cut inside its header.
    assert_eq!(
        decode(&packet(0, 52, &NULL_FRAME[..20])),
        Err(DecodeError::Truncated {
            layer: "IPv4",
            offset: 20
        })
    );
    // 40 nested IP-in-IP headers hit the layer limit instead of recursing.
    let mut nest = Vec::new();
    for _ in 0..40 {
        nest.extend_from_slice(&hex!("4500 0000 0000 0000 4004 0000 0a000001 0a000002"));
    }
    assert!(matches!(
        decode(&packet(101, nest.len(), &nest)),
        Err(DecodeError::Malformed { .. })
    ));
}

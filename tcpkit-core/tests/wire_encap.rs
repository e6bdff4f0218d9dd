//! `wire::decode_layers` and the renderer's encapsulation text against
//! tcpdump's expected outputs (`testdata/corpus/tcpdump/*.out`, cited by file
//! and line). tcpdump breaks a `-v` record into several lines; the expected
//! strings below are those lines joined by one space, cut where the
//! segment's own IP header starts.

use std::path::Path;
use tcpkit_core::capture::SliceReader;
use tcpkit_core::text::{RenderOptions, Renderer};
use tcpkit_core::wire::{self, Encapsulation, Layer};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata/corpus/tcpdump");

/// For frame `frame` of `capture` at `verbose`: (encapsulation text, segment
/// line), rendering every earlier frame first (tcpdump's relative numbers).
fn render(capture: &str, verbose: u8, frame: u64) -> (String, String) {
    let bytes = std::fs::read(Path::new(CORPUS).join(capture)).expect("corpus capture");
    let mut r = Renderer::new(RenderOptions {
        verbose,
        ..RenderOptions::default()
    });
    for p in SliceReader::new(&bytes).expect("pcap") {
        let p = p.expect("packet");
        let mut layers = Encapsulation::new();
        let Ok(Some(seg)) = wire::decode_layers(&p, &mut layers) else {
            continue;
        };
        let (mut enc, mut line) = (String::new(), String::new());
        r.write_encapsulation(&mut enc, &layers).unwrap();
        r.write_segment_in(&mut line, &seg, &layers).unwrap();
        if p.frame == frame {
            return (enc, line);
        }
    }
    panic!("frame {frame} of {capture} is not TCP");
}

#[test]
fn geneve_without_v_is_one_line() {
    // geneve-tcp.out line 1 (frame 3 of geneve.pcap).
    let (enc, line) = render("geneve.pcap", 0, 3);
    assert_eq!(
        enc,
        "IP 20.0.0.2.43443 > 20.0.0.1.6081: Geneve, Flags [none], vni 0xb: "
    );
    assert!(line.starts_with("IP 30.0.0.2.51225 > 30.0.0.1.22: Flags [S], seq 397610159"));
    // geneve-tcp.out line 2: options are counted without -v.
    let (enc, _) = render("geneve.pcap", 0, 4);
    assert_eq!(
        enc,
        "IP 20.0.0.1.22540 > 20.0.0.2.6081: Geneve, Flags [C], vni 0xa, options [8 bytes]: "
    );
}

#[test]
fn geneve_vv_options_and_no_udp_checksum() {
    // geneve-vv.out lines 14-15 (frame 4).
    let (enc, _) = render("geneve.pcap", 2, 4);
    assert_eq!(
        enc,
        "IP (tos 0x0, ttl 64, id 57274, offset 0, flags [DF], proto UDP (17), length 118) \
         20.0.0.1.22540 > 20.0.0.2.6081: [no cksum] Geneve, Flags [C], vni 0xa, options \
         [class Standard (0x0) type 0x80(C) len 8 data 0000000c]"
    );
    // geneve-gcp.out lines 1-2: three Google options, data words with -vv.
    let (enc, line) = render("geneve-gcp.pcap", 2, 1);
    assert_eq!(
        enc,
        "IP (tos 0x0, ttl 2, id 0, offset 0, flags [DF], proto UDP (17), length 116) \
         192.168.100.254.62974 > 192.168.100.3.6081: [no cksum] Geneve, Flags [none], vni 0x0, \
         options [class Google (0x132) type 0x1 len 8 data 800000d1, class Google (0x132) type \
         0x2 len 20 data 0800000d c0a86402 00000000 00000000, class Google (0x132) type 0x3 len \
         12 data 00000000 00001234]"
    );
    // geneve-gcp.out lines 3-4.
    assert!(line.starts_with(
        "IP (tos 0x0, ttl 64, id 55620, offset 0, flags [none], proto TCP (6), length 40) \
         192.168.100.2.2905 > 192.168.100.1.8080: Flags [none]"
    ));
}

#[test]
fn geneve_v_ipv4_outer_ipv6_inner() {
    // gso-ipv4-geneve-ipv6.out lines 1-2: with -v (one v) IPv4's UDP
    // checksum is not checked.
    let (enc, _) = render("gso-ipv4-geneve-ipv6.pcap", 1, 1);
    assert_eq!(
        enc,
        "IP (tos 0x0, ttl 61, id 2594, offset 0, flags [none], proto UDP (17), length 4256) \
         10.25.132.11.15130 > 10.25.132.13.6081: Geneve, Flags [none], vni 0x1389"
    );
}

#[test]
fn vxlan_with_ipv6_udp_checksum() {
    // gso-ipv4-vxlan-ipv4.out lines 1-2.
    let (enc, _) = render("gso-ipv4-vxlan-ipv4.pcap", 1, 1);
    assert_eq!(
        enc,
        "IP (tos 0x0, ttl 61, id 12520, offset 0, flags [none], proto UDP (17), length 7092) \
         10.25.132.11.60345 > 10.25.132.13.4789: VXLAN, flags [I] (0x08), vni 5001"
    );
    // gso-ipv6-vxlan-ipv6.out line 1: IPv6's UDP checksum is checked at -v.
    let (enc, line) = render("gso-ipv6-vxlan-ipv6.pcap", 1, 1);
    assert_eq!(
        enc,
        "IP6 (hlim 61, next-header UDP (17), payload length 4176) \
         2604:1380:4091:ce00::b.39902 > 2604:1380:4091:ce00::d.4789: \
         [bad udp cksum 0xa0a5 -> 0xd93a!] VXLAN, flags [I] (0x08), vni 5001"
    );
    // gso-ipv6-vxlan-ipv6.out line 2.
    assert!(line.starts_with(
        "IP6 (flowlabel 0xb986b, hlim 64, next-header TCP (6), payload length 4106) \
         fd00::2.43583 > fd00::1.44175: Flags [.]"
    ));
}

#[test]
fn big_tcp_remarks() {
    // bigtcp-ipv4.out lines 1-2.
    let (enc, line) = render("bigtcp-ipv4.pcap", 1, 1);
    assert_eq!(enc, "");
    assert!(line.starts_with(
        "IP (tos 0x0, ttl 64, id 12031, offset 0, flags [DF], proto TCP (6), length 80052 \
         [was 0, presumed BIG TCP]) 10.25.132.13.35871 > 10.25.132.11.36425: Flags [P.]"
    ));
    // bigtcp-ipv6.out line 1.
    let (_, line) = render("bigtcp-ipv6.pcap", 1, 1);
    assert!(line.starts_with(
        "IP6 (flowlabel 0x81ccd, hlim 61, next-header TCP (6), payload length 0) \
         [real length 80040, presumed BIG TCP] 2604:1380:4091:ce00::b.43267 > "
    ));
    // bigtcp-ipv4-vxlan-ipv4.out lines 1-3: outer and inner.
    let (enc, line) = render("bigtcp-ipv4-vxlan-ipv4.pcap", 1, 1);
    assert_eq!(
        enc,
        "IP (tos 0x0, ttl 61, id 28457, offset 0, flags [none], proto UDP (17), length 80102 \
         [was 0, presumed BIG TCP]) 10.25.132.11.47044 > 10.25.132.13.4789: \
         VXLAN, flags [I] (0x08), vni 5001"
    );
    assert!(line.starts_with(
        "IP (tos 0x0, ttl 64, id 31532, offset 0, flags [DF], proto TCP (6), length 80052 \
         [was 0, presumed BIG TCP]) 192.168.1.2.36875"
    ));
    // bigtcp-ipv6-geneve-ipv6.out lines 1-2: an 80 KB UDP checksum.
    let (enc, line) = render("bigtcp-ipv6-geneve-ipv6.pcap", 1, 1);
    assert_eq!(
        enc,
        "IP6 (hlim 64, next-header UDP (17), payload length 0) [real length 80142, presumed \
         BIG TCP] 2604:1380:4091:ce00::d.23733 > 2604:1380:4091:ce00::b.6081: \
         [bad udp cksum 0xc93c -> 0x5da5!] Geneve, Flags [none], vni 0x1389"
    );
    assert!(line.starts_with(
        "IP6 (flowlabel 0xe4292, hlim 64, next-header TCP (6), payload length 0) \
         [real length 80072, presumed BIG TCP] fd00::1.38339 > fd00::2.43997"
    ));
}

#[test]
fn gre_wccp() {
    // wccp_redirect_gre.out lines 1-3.
    let (enc, _) = render("wccp_redirect_gre.pcap", 1, 1);
    assert_eq!(
        enc,
        "IP (tos 0x0, ttl 253, id 44163, offset 0, flags [none], proto GRE (47), length 268) \
         10.254.127.194 > 10.254.214.82: GREv0, Flags [none], length 248 \
         wccp T:0 A:0 U:0 SId:89 Alt:0 Pri:72:"
    );
    // Without -v: print-gre.c prints no flags and `: ` after the length;
    // the rest as above.
    let (enc, _) = render("wccp_redirect_gre.pcap", 0, 1);
    assert_eq!(
        enc,
        "IP 10.254.127.194 > 10.254.214.82: GREv0, length 248: \
         wccp T:0 A:0 U:0 SId:89 Alt:0 Pri:72: "
    );
}

#[test]
fn mpls_label_stack() {
    // lspping-fec-ldp.out line 1; -v: lspping-fec-ldp-v.out line 1.
    let (enc, line) = render("lspping-fec-ldp.pcap", 0, 1);
    assert_eq!(enc, "MPLS (label 100656, tc 6, [S], ttl 64) ");
    assert!(line.starts_with("IP 12.4.4.4.4100 > 12.8.8.8.179: Flags [P.]"));
    let (enc, _) = render("lspping-fec-ldp.pcap", 1, 1);
    assert_eq!(enc, "MPLS (label 100656, tc 6, [S], ttl 64)");
}

#[test]
fn broadcom_li_and_pppoe() {
    // bcm-li-v.out lines 25-27 (frame 6) and 30-33 (frame 7, PPPoE inside).
    let (enc, _) = render("bcm-li.pcap", 1, 6);
    assert_eq!(
        enc,
        "IP (tos 0x2,ECT(0), ttl 59, id 0, offset 0, flags [none], proto UDP (17), length 92) \
         217.89.30.176.49152 > 217.89.29.22.49153: BCM-LI-SHIM: direction ingress, pkt-type \
         undecided, pkt-subtype double VLAN tag, li-id 66666"
    );
    let (enc, _) = render("bcm-li.pcap", 1, 7);
    assert!(enc.ends_with(
        "BCM-LI-SHIM: direction egress, pkt-type ethernet, pkt-subtype double VLAN tag, \
         li-id 66666 PPPoE  [ses 0xc3]"
    ));
}

#[test]
fn layers_of_a_plain_packet_are_its_ip_header() {
    // gso-ipv4.pcap: Ethernet, IPv4, TCP (gso-ipv4.out line 1).
    let bytes = std::fs::read(Path::new(CORPUS).join("gso-ipv4.pcap")).unwrap();
    let p = SliceReader::new(&bytes).unwrap().next().unwrap().unwrap();
    let mut layers = Encapsulation::new();
    let seg = wire::decode_layers(&p, &mut layers).unwrap().unwrap();
    assert_eq!(Some(seg), wire::decode(&p).unwrap());
    assert!(!layers.is_tunnelled());
    let ips: Vec<_> = layers.layers().collect();
    assert_eq!(ips.len(), 1);
    match ips[0] {
        Layer::Ip(ip) => {
            assert_eq!((ip.header_len, ip.real_len, ip.proto), (20, 7292, 6));
            assert_eq!(ip.info, seg.ip);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn decode_layers_agrees_with_decode_on_every_corpus_capture() {
    let mut n = 0;
    for entry in std::fs::read_dir(CORPUS).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("pcap") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let Ok(reader) = SliceReader::new(&bytes) else {
            continue;
        };
        for p in reader.map_while(Result::ok) {
            let mut layers = Encapsulation::new();
            assert_eq!(
                wire::decode_layers(&p, &mut layers),
                wire::decode(&p),
                "{} frame {}",
                path.display(),
                p.frame
            );
            n += 1;
        }
    }
    assert!(n > 1000, "only {n} packets");
}

use super::*;
use hex_literal::hex;
use proptest::prelude::*;

fn all(b: &[u8]) -> Vec<Result<TcpOption<'_>, OptionError>> {
    Options::new(b).iter().collect()
}

#[test]
fn linux_syn_options() {
    // mss 8460, sackOK, TS val 2948903017 ecr 0, nop, wscale 10 (the design
    // card's example line; bytes by RFC 9293/7323/2018 layout).
    let b = hex!("02 04 21 0c 04 02 08 0a af c4 b0 69 00 00 00 00 01 03 03 0a");
    assert_eq!(
        all(&b),
        vec![
            Ok(TcpOption::Mss(8460)),
            Ok(TcpOption::SackPermitted),
            Ok(TcpOption::Timestamps {
                val: 2948903017,
                ecr: 0
            }),
            Ok(TcpOption::Nop),
            Ok(TcpOption::WindowScale(10)),
        ]
    );
}

#[test]
fn sack_block_from_ssh_frame_48() {
    // ssh.pcap frame 48: 14 NOPs then SACK length 10. tshark: ack_raw
    // 4082238874 = relative 5186, sack_le 5282, sack_re 5283 (relative), so
    // raw edges 4082238970 and 4082238971; tcpdump "sack 1 {5282:5283}".
    let b = hex!("0101010101010101010101010101 050a f35205fa f35205fb");
    let got = all(&b);
    assert_eq!(got.len(), 15);
    let Some(Ok(TcpOption::Sack(blocks))) = got.last() else {
        panic!("{got:?}")
    };
    assert_eq!(blocks.len(), 1);
    let edges: Vec<_> = blocks.iter().collect();
    assert_eq!(edges, vec![(SeqNumber(4082238970), SeqNumber(4082238971))]);
}

#[test]
fn md5_then_eol_with_padding() {
    // bgp-aigp-oobr.pcap frame 1, 24 option bytes; tcpdump "options [md5
    // 02f77f975463199362b9fbfb089a2e56,eol]".
    let b = hex!("1312 02f77f975463199362b9fbfb089a2e56 00 0000000000");
    assert_eq!(
        all(&b),
        vec![
            Ok(TcpOption::Md5(&hex!("02f77f975463199362b9fbfb089a2e56"))),
            Ok(TcpOption::Eol)
        ]
    );
    assert_eq!(Options::new(&b).after_eol(), Some(&[0u8; 5][..]));
    assert_eq!(Options::new(&b[..4]).after_eol(), None);
}

#[test]
fn known_kind_with_a_wrong_length() {
    // MSS with length 5 (RFC 9293 fixes 4): tcpdump prints "mss 1460[len 5]".
    let b = hex!("02 05 05 b4 00 01");
    assert_eq!(
        all(&b),
        vec![
            Ok(TcpOption::BadLength {
                kind: kind::MSS,
                data: &hex!("05 b4 00")
            }),
            Ok(TcpOption::Nop)
        ]
    );
    // Timestamps with 6 bytes, SACK with 5 bytes of blocks, wscale with 2.
    for b in [
        &hex!("08 08 000000000000")[..],
        &hex!("05 07 0000000000"),
        &hex!("03 04 0707"),
    ] {
        assert!(
            matches!(all(b)[..], [Ok(TcpOption::BadLength { .. })]),
            "{b:?}"
        );
    }
}

#[test]
fn malformed_and_cut_options_end_iteration() {
    // Length 1 (below 2): malformed.
    assert_eq!(
        all(&hex!("01 02 01 01 01")),
        vec![
            Ok(TcpOption::Nop),
            Err(OptionError {
                offset: 1,
                kind: 2,
                len: Some(1),
                truncated: false,
            })
        ]
    );
    // Length past the declared option space: malformed.
    assert_eq!(
        all(&hex!("08 0b 00 00 00 00 00 00 00 00")),
        vec![Err(OptionError {
            offset: 0,
            kind: 8,
            len: Some(11),
            truncated: false
        })]
    );
    // The same bytes when the header declares 12 option bytes: cut by the capture.
    let o = Options::with_declared(&hex!("08 0b 00 00 00 00 00 00 00 00"), 12);
    let got: Vec<_> = o.iter().collect();
    assert_eq!(
        got,
        vec![Err(OptionError {
            offset: 0,
            kind: 8,
            len: Some(11),
            truncated: true
        })]
    );
    // A kind with its length byte missing: at the end of the declared space
    // (malformed) or cut by the capture.
    let lone = [2u8];
    assert!(!all(&lone)[0].unwrap_err().truncated);
    let cut: Vec<_> = Options::with_declared(&lone, 4).iter().collect();
    assert!(cut[0].unwrap_err().truncated);
}

#[test]
fn every_named_kind() {
    let b = hex!(
        "1c 04 80 05"         // user timeout 5 minutes
        "1d 06 07 09 aa bb"   // TCP-AO key 7, rnext 9, MAC aabb
        "1e 03 21"            // MPTCP subtype 2 (ADD_ADDR), version nibble 1
        "22 02"               // TFO cookie request (kind 34)
        "22 06 01 02 03 04"   // TFO cookie
        "ac 05 01 02 03"      // AccECN order 0
        "ae 02"               // AccECN order 1, no counters
        "fe 06 f9 89 0a 0b"   // experimental TFO
        "fd 04 12 34"         // kind 253, unknown exid
        "fe 03 ff"            // kind 254 too short for an exid
        "a1 03 42"            // unknown kind 161
    );
    assert_eq!(
        all(&b),
        vec![
            Ok(TcpOption::UserTimeout {
                minutes: true,
                timeout: 5
            }),
            Ok(TcpOption::Ao {
                key_id: 7,
                rnext_key_id: 9,
                mac: &[0xaa, 0xbb]
            }),
            Ok(TcpOption::Mptcp {
                subtype: 2,
                data: &[0x21]
            }),
            Ok(TcpOption::FastOpen {
                cookie: &[],
                experimental: false
            }),
            Ok(TcpOption::FastOpen {
                cookie: &[1, 2, 3, 4],
                experimental: false
            }),
            Ok(TcpOption::AccEcn {
                order: 0,
                data: &[1, 2, 3],
                experimental: false
            }),
            Ok(TcpOption::AccEcn {
                order: 1,
                data: &[],
                experimental: false
            }),
            Ok(TcpOption::FastOpen {
                cookie: &[0x0a, 0x0b],
                experimental: true
            }),
            Ok(TcpOption::Unknown {
                kind: 253,
                data: &[0x12, 0x34]
            }),
            Ok(TcpOption::Unknown {
                kind: 254,
                data: &[0xff]
            }),
            Ok(TcpOption::Unknown {
                kind: 161,
                data: &[0x42]
            }),
        ]
    );
}

/// An owned option, for the round trip.
#[derive(Debug, Clone, PartialEq)]
enum Model {
    Nop,
    Mss(u16),
    Ws(u8),
    SackPerm,
    Sack(Vec<(u32, u32)>),
    Ts(u32, u32),
    Md5([u8; 16]),
    Ao(u8, u8, Vec<u8>),
    Uto(bool, u16),
    Mptcp(u8, Vec<u8>),
    Tfo(Vec<u8>, bool),
    AccEcn(u8, Vec<u8>, bool),
    Unknown(u8, Vec<u8>),
}

/// Test-only encoder: RFC 9293 kind/length/data.
fn encode(opts: &[Model], eol: bool) -> Vec<u8> {
    let mut b = Vec::new();
    let mut tlv = |k: u8, data: &[u8]| {
        b.push(k);
        b.push(2 + data.len() as u8);
        b.extend_from_slice(data);
    };
    for o in opts {
        match o {
            Model::Nop => tlv(1, &[]),
            Model::Mss(v) => tlv(2, &v.to_be_bytes()),
            Model::Ws(s) => tlv(3, &[*s]),
            Model::SackPerm => tlv(4, &[]),
            Model::Sack(blocks) => {
                let d: Vec<u8> = blocks
                    .iter()
                    .flat_map(|(l, r)| l.to_be_bytes().into_iter().chain(r.to_be_bytes()))
                    .collect();
                tlv(5, &d)
            }
            Model::Ts(v, e) => tlv(8, &[v.to_be_bytes(), e.to_be_bytes()].concat()),
            Model::Md5(d) => tlv(19, d),
            Model::Ao(k, r, mac) => tlv(29, &[&[*k, *r][..], mac].concat()),
            Model::Uto(m, t) => tlv(28, &((u16::from(*m) << 15) | t).to_be_bytes()),
            Model::Mptcp(first, rest) => tlv(30, &[&[*first][..], rest].concat()),
            Model::Tfo(c, false) => tlv(34, c),
            Model::Tfo(c, true) => tlv(254, &[&[0xf9, 0x89][..], c].concat()),
            Model::AccEcn(o, d, false) => tlv(172 + 2 * o, d),
            Model::AccEcn(o, d, true) => tlv(254, &[&[0xac, 0xc0 + o][..], d].concat()),
            Model::Unknown(k, d) => tlv(*k, d),
        }
    }
    // NOP is a single byte: fix up the two-byte form written above.
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == 1 && b[i + 1] == 2 {
            out.push(1);
            i += 2;
            continue;
        }
        let n = b[i + 1] as usize;
        out.extend_from_slice(&b[i..i + n]);
        i += n;
    }
    if eol {
        out.push(0);
    }
    out
}

fn model(o: TcpOption<'_>) -> Model {
    match o {
        TcpOption::Nop => Model::Nop,
        TcpOption::Mss(v) => Model::Mss(v),
        TcpOption::WindowScale(s) => Model::Ws(s),
        TcpOption::SackPermitted => Model::SackPerm,
        TcpOption::Sack(b) => Model::Sack(b.iter().map(|(l, r)| (l.0, r.0)).collect()),
        TcpOption::Timestamps { val, ecr } => Model::Ts(val, ecr),
        TcpOption::Md5(d) => Model::Md5(d.try_into().unwrap()),
        TcpOption::Ao {
            key_id,
            rnext_key_id,
            mac,
        } => Model::Ao(key_id, rnext_key_id, mac.to_vec()),
        TcpOption::UserTimeout { minutes, timeout } => Model::Uto(minutes, timeout),
        TcpOption::Mptcp { subtype, data } => {
            assert_eq!(subtype, data[0] >> 4);
            Model::Mptcp(data[0], data[1..].to_vec())
        }
        TcpOption::FastOpen {
            cookie,
            experimental,
        } => Model::Tfo(cookie.to_vec(), experimental),
        TcpOption::AccEcn {
            order,
            data,
            experimental,
        } => Model::AccEcn(order, data.to_vec(), experimental),
        TcpOption::Unknown { kind, data } => Model::Unknown(kind, data.to_vec()),
        other => panic!("unexpected {other:?}"),
    }
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=max)
}

fn arb_option() -> impl Strategy<Value = Model> {
    let known = [
        0u8, 1, 2, 3, 4, 5, 8, 19, 28, 29, 30, 34, 172, 174, 253, 254,
    ];
    prop_oneof![
        Just(Model::Nop),
        any::<u16>().prop_map(Model::Mss),
        any::<u8>().prop_map(Model::Ws),
        Just(Model::SackPerm),
        proptest::collection::vec(any::<(u32, u32)>(), 0..=4).prop_map(Model::Sack),
        any::<(u32, u32)>().prop_map(|(v, e)| Model::Ts(v, e)),
        any::<[u8; 16]>().prop_map(Model::Md5),
        (any::<u8>(), any::<u8>(), bytes(16)).prop_map(|(k, r, m)| Model::Ao(k, r, m)),
        (any::<bool>(), 0u16..0x8000).prop_map(|(m, t)| Model::Uto(m, t)),
        (any::<u8>(), bytes(20)).prop_map(|(f, r)| Model::Mptcp(f, r)),
        (bytes(16), any::<bool>()).prop_map(|(c, e)| Model::Tfo(c, e)),
        (0u8..2, bytes(9), any::<bool>()).prop_map(|(o, d, e)| Model::AccEcn(o, d, e)),
        (
            any::<u8>().prop_filter("unassigned kind", move |k| !known.contains(k)),
            bytes(30)
        )
            .prop_map(|(k, d)| Model::Unknown(k, d)),
    ]
}

proptest! {
    #[test]
    fn encoded_options_come_back(opts in proptest::collection::vec(arb_option(), 0..8), eol in any::<bool>()) {
        let b = encode(&opts, eol);
        let mut it = Options::new(&b).iter();
        let mut got = Vec::new();
        for o in it.by_ref() {
            match o {
                Ok(TcpOption::Eol) => {
                    prop_assert!(eol);
                    break;
                }
                Ok(o) => got.push(model(o)),
                Err(e) => prop_assert!(false, "error {e:?} in {b:02x?}"),
            }
        }
        prop_assert!(it.next().is_none());
        prop_assert_eq!(got, opts);
    }

    #[test]
    fn random_bytes_never_panic(b in bytes(80), declared in any::<u8>()) {
        let o = Options::with_declared(&b, declared);
        let mut last = None;
        let mut n = 0;
        let mut it = o.iter();
        while let Some(item) = it.next() {
            n += 1;
            prop_assert!(n <= b.len(), "more items than bytes");
            prop_assert!(last.is_none_or(|p| it.offset() > p) || item.is_err() || it.offset() == b.len());
            last = Some(it.offset());
            if item.is_err() || item == Ok(TcpOption::Eol) {
                prop_assert!(it.next().is_none());
                break;
            }
        }
        let _ = o.after_eol();
    }
}

#[test]
fn usual_timestamps_is_the_rfc7323_layout_only() {
    // NOP, NOP, TS val 1 ecr 2 (RFC 7323 Appendix A): the iterator's items.
    let b = hex!("01 01 08 0a 00 00 00 01 00 00 00 02");
    assert_eq!(Options::new(&b).usual_timestamps(), Some((1, 2)));
    assert_eq!(
        all(&b),
        vec![
            Ok(TcpOption::Nop),
            Ok(TcpOption::Nop),
            Ok(TcpOption::Timestamps { val: 1, ecr: 2 })
        ]
    );
    // Another option after it, the timestamps first, or no options: iterate.
    let more = hex!("01 01 08 0a 00 00 00 01 00 00 00 02 01 01 01 00");
    let first = hex!("08 0a 00 00 00 01 00 00 00 02 01 01");
    for b in [&more[..], &first[..], &[]] {
        assert_eq!(Options::new(b).usual_timestamps(), None);
    }
}

proptest! {
    #[test]
    fn usual_timestamps_agrees_with_the_iterator(b in proptest::collection::vec(
        prop_oneof![Just(1u8), Just(8), Just(10), any::<u8>()], 0..16)) {
        if let Some((val, ecr)) = Options::new(&b).usual_timestamps() {
            prop_assert_eq!(all(&b), vec![
                Ok(TcpOption::Nop),
                Ok(TcpOption::Nop),
                Ok(TcpOption::Timestamps { val, ecr })
            ]);
        }
    }
}

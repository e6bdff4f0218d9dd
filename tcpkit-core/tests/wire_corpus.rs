//! `wire::decode` against tshark over every capture in testdata/.
//!
//! For every frame with a TCP row in the capture's tshark oracle (tshark 4.0,
//! `-T fields`, written by the corpus builders, not by us) the decoded
//! segment must give the same ports, raw seq/ack, TCP payload length, header
//! length, raw window, flags and options (mss, wscale, sackOK, timestamps,
//! SACK blocks); frames tshark does not call TCP must not yield a segment,
//! except for the justified cases in [`tcpdump_only`].

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use tcpkit_core::capture::{LinkType, Packet, SliceReader};
use tcpkit_core::wire::{self, Segment, TcpFlags, TcpOption};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata");

/// Frames where tcpdump (the other oracle) prints a TCP line but tshark 4.0
/// has no TCP row; we follow tcpdump (corpus/tcpdump/README.md lists them).
fn tcpdump_only(capture: &str) -> bool {
    matches!(
        capture,
        // TCP inside Broadcom's LI shim (UDP 49152): tcpdump decodes it.
        "bcm-li.pcap"
        // IPv6 payload length 0 without a jumbo option: tcpdump "presumed BIG TCP".
        | "bigtcp-ipv6.pcap"
        | "bigtcp-ipv6-geneve-ipv6.pcap"
        // VXLAN-in-IPv4 with inner IPv4 total length 0.
        | "bigtcp-ipv4-vxlan-ipv4.pcap"
    )
}

/// Frames tshark decodes as TCP that are not TCP segments on this link:
/// tshark dissects the sampled packet header inside an sFlow datagram;
/// tcpdump prints no TCP line for it (sflow_expanded test, 0 TCP lines).
fn tshark_only(capture: &str) -> bool {
    capture == "sflow_expanded.pcap"
}

/// Owned packets of a capture (pcap via our reader, pcapng via pcap-parser
/// until the pcapng reader lands).
fn packets(path: &Path, bytes: &[u8]) -> Vec<(u64, LinkType, u32, Vec<u8>)> {
    let mut out = Vec::new();
    if path.extension().is_some_and(|e| e == "pcapng") {
        // TODO(lead): switch to capture's pcapng reader after the merge.
        use pcap_parser::pcapng::Block;
        let cap = pcap_parser::PcapNGCapture::from_file(bytes).expect("pcapng parses");
        let mut frame = 0;
        for section in &cap.sections {
            let mut links = Vec::new();
            for block in &section.blocks {
                match block {
                    Block::InterfaceDescription(idb) => links.push(idb.linktype.0 as u16),
                    Block::EnhancedPacket(epb) => {
                        frame += 1;
                        let n = (epb.caplen as usize).min(epb.data.len());
                        let lt = links.get(epb.if_id as usize).copied().unwrap_or(1);
                        out.push((frame, LinkType(lt), epb.origlen, epb.data[..n].to_vec()));
                    }
                    Block::SimplePacket(spb) => {
                        frame += 1;
                        let lt = links.first().copied().unwrap_or(1);
                        let n = (spb.origlen as usize).min(spb.data.len());
                        out.push((frame, LinkType(lt), spb.origlen, spb.data[..n].to_vec()));
                    }
                    _ => {}
                }
            }
        }
        return out;
    }
    let reader = SliceReader::new(bytes).expect("pcap header");
    for p in reader {
        let Ok(p) = p else { break };
        out.push((p.frame, p.link_type, p.orig_len, p.data.to_vec()));
    }
    out
}

/// One tshark row, by column name.
type Row = BTreeMap<String, String>;

fn read_tsv(path: &Path) -> BTreeMap<u64, Row> {
    let text = fs::read_to_string(path).expect("tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let mut rows = BTreeMap::new();
    for line in lines {
        let row: Row = header
            .iter()
            .zip(line.split('\t'))
            .map(|(h, v)| (h.to_string(), v.to_string()))
            .collect();
        if row.get("tcp.srcport").is_some_and(|v| !v.is_empty()) {
            rows.insert(row["frame.number"].parse().unwrap(), row);
        }
    }
    rows
}

/// The innermost (last) of tshark's comma-separated values.
fn last<'r>(row: &'r Row, col: &str) -> Option<&'r str> {
    let v = row.get(col)?;
    if v.is_empty() {
        return None;
    }
    v.rsplit(',').next()
}

fn num(row: &Row, col: &str) -> Option<u64> {
    last(row, col).map(|v| {
        v.parse()
            .unwrap_or_else(|_| u64::from_str_radix(v.trim_start_matches("0x"), 16).unwrap())
    })
}

/// Every field that differs, by name.
fn compare(row: &Row, s: &Segment<'_>) -> Vec<String> {
    let mut bad = Vec::new();
    fn check(bad: &mut Vec<String>, name: &str, ours: Option<u64>, theirs: Option<u64>) {
        if theirs.is_some() && ours != theirs {
            bad.push(format!("{name}: ours {ours:?} tshark {theirs:?}"));
        }
    }
    check(
        &mut bad,
        "sport",
        Some(s.sport.into()),
        num(row, "tcp.srcport"),
    );
    check(
        &mut bad,
        "dport",
        Some(s.dport.into()),
        num(row, "tcp.dstport"),
    );
    if s.header_captured >= 20 {
        check(
            &mut bad,
            "seq_raw",
            Some(s.seq.0.into()),
            num(row, "tcp.seq_raw"),
        );
        check(
            &mut bad,
            "ack_raw",
            Some(s.ack.0.into()),
            num(row, "tcp.ack_raw"),
        );
        check(
            &mut bad,
            "len",
            Some(s.payload_len.into()),
            num(row, "tcp.len"),
        );
        check(
            &mut bad,
            "hdr_len",
            Some(s.header_len.into()),
            num(row, "tcp.hdr_len"),
        );
        check(
            &mut bad,
            "win",
            Some(s.window.into()),
            num(row, "tcp.window_size_value"),
        );
        if let Some(f) = last(row, "tcp.flags.str") {
            // 12 characters: 3 reserved, AE, CWR, ECE, URG, ACK, PSH, RST, SYN, FIN.
            // After an AccECN handshake tshark shows AE/CWR/ECE as the 3-bit
            // ACE counter instead ("-5-" = AE and ECE set).
            let chars: Vec<char> = f.chars().collect();
            let mut bits = 0u16;
            for (i, ch) in chars.iter().enumerate().skip(3) {
                if *ch != '·' && *ch != '-' && !ch.is_ascii_digit() {
                    bits |= 1 << (11 - i);
                }
            }
            if let Some(ace) = chars.get(4).and_then(|c| c.to_digit(10)) {
                bits |= (ace as u16) << 6;
            }
            check(
                &mut bad,
                "flags",
                Some((s.flags.0 & 0x1ff).into()),
                Some(bits.into()),
            );
        }
    }
    let (mut mss, mut ws, mut sack_perm, mut ts, mut sack) = (None, None, false, None, Vec::new());
    for o in s.options.iter().map_while(Result::ok) {
        match o {
            TcpOption::Mss(v) if mss.is_none() => mss = Some(u64::from(v)),
            TcpOption::WindowScale(v) if ws.is_none() => ws = Some(u64::from(v)),
            TcpOption::SackPermitted => sack_perm = true,
            TcpOption::Timestamps { val, ecr } if ts.is_none() => ts = Some((val, ecr)),
            TcpOption::Sack(b) => sack.extend(b.iter()),
            _ => {}
        }
    }
    check(&mut bad, "mss", mss, num(row, "tcp.options.mss_val"));
    if mss.is_some() && num(row, "tcp.options.mss_val").is_none() {
        bad.push("mss: tshark has none".into());
    }
    check(&mut bad, "wscale", ws, num(row, "tcp.options.wscale.shift"));
    if row
        .get("tcp.options.sack_perm")
        .is_some_and(|v| !v.is_empty())
        != sack_perm
    {
        bad.push(format!("sack_perm: ours {sack_perm}"));
    }
    check(
        &mut bad,
        "tsval",
        ts.map(|t| t.0.into()),
        num(row, "tcp.options.timestamp.tsval"),
    );
    check(
        &mut bad,
        "tsecr",
        ts.map(|t| t.1.into()),
        num(row, "tcp.options.timestamp.tsecr"),
    );
    // SACK edges are relative in tshark: raw = relative + (ack_raw - ack).
    if let (Some(le), Some(ack_raw), Some(ack)) = (
        row.get("tcp.options.sack_le").filter(|v| !v.is_empty()),
        num(row, "tcp.ack_raw"),
        num(row, "tcp.ack"),
    ) {
        let base = (ack_raw as u32).wrapping_sub(ack as u32);
        let les: Vec<u32> = le
            .split(',')
            .map(|v| v.parse::<u32>().unwrap().wrapping_add(base))
            .collect();
        let ours: Vec<u32> = sack.iter().map(|b| b.0.0).collect();
        if les != ours {
            bad.push(format!("sack_le: ours {ours:?} tshark {les:?}"));
        }
        let re = &row["tcp.options.sack_re"];
        let res: Vec<u32> = re
            .split(',')
            .map(|v| v.parse::<u32>().unwrap().wrapping_add(base))
            .collect();
        let ours: Vec<u32> = sack.iter().map(|b| b.1.0).collect();
        if res != ours {
            bad.push(format!("sack_re: ours {ours:?} tshark {res:?}"));
        }
    }
    bad
}

/// (capture, tshark oracle) pairs.
fn captures() -> Vec<(PathBuf, PathBuf)> {
    let mut out = Vec::new();
    let corpus = Path::new(TESTDATA).join("corpus/tcpdump");
    for e in fs::read_dir(&corpus).expect("corpus") {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "pcap" || x == "pcapng") {
            let tsv = PathBuf::from(format!("{}.tshark.tsv", p.display()));
            out.push((p, tsv));
        }
    }
    let lab = Path::new(TESTDATA).join("captures/lab");
    for e in fs::read_dir(&lab).expect("lab") {
        let d = e.unwrap().path();
        for (cap, tsv) in [
            ("capture.pcap", "tshark.tsv"),
            ("capture.pcapng", "tshark.tsv"),
            ("capture-client.pcap", "tshark-client.tsv"),
        ] {
            if d.join(cap).exists() && d.join(tsv).exists() {
                out.push((d.join(cap), d.join(tsv)));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn decode_agrees_with_tshark() {
    let (mut rows_total, mut agree, mut extra) = (0usize, 0usize, 0usize);
    let mut failures = Vec::new();
    let caps = captures();
    assert!(caps.len() > 100, "found {} captures", caps.len());
    for (cap, tsv) in &caps {
        let name = cap.file_name().unwrap().to_string_lossy().to_string();
        let bytes = fs::read(cap).unwrap();
        let rows = read_tsv(tsv);
        for (frame, link_type, orig_len, data) in packets(cap, &bytes) {
            let packet = Packet {
                frame,
                ts_ns: 0,
                link_type,
                orig_len,
                data: &data,
                interface: 0,
            };
            let got = wire::decode(&packet);
            match (rows.get(&frame), got) {
                (Some(row), Ok(Some(seg))) => {
                    rows_total += 1;
                    let bad = compare(row, &seg);
                    if bad.is_empty() {
                        agree += 1;
                    } else {
                        failures.push(format!("{name} #{frame}: {}", bad.join("; ")));
                    }
                }
                (Some(_), Ok(None)) if tshark_only(&name) => {}
                (Some(_), other) => {
                    rows_total += 1;
                    failures.push(format!("{name} #{frame}: tshark TCP, ours {other:?}"));
                }
                (None, Ok(Some(seg))) => {
                    if tcpdump_only(&name) {
                        extra += 1;
                    } else {
                        failures.push(format!(
                            "{name} #{frame}: not TCP for tshark, ours {}:{} > {}:{}",
                            seg.ip.src, seg.sport, seg.ip.dst, seg.dport
                        ));
                    }
                }
                (None, _) => {}
            }
        }
    }
    eprintln!(
        "wire_corpus: {} captures, {agree}/{rows_total} tshark TCP rows agree, {extra} tcpdump-only segments",
        caps.len()
    );
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(failures.is_empty(), "{} disagreements", failures.len());
    let _ = TcpFlags::default();
}

/// Every frame for which tcpdump's expected output has a TCP line
/// (`tcp-lines.tsv`, joined to the capture through MANIFEST.tsv) decodes to
/// a segment, and frames with no TCP line in any test of a capture that
/// printed TCP lines are not decoded as TCP unless tshark calls them TCP.
#[test]
fn decode_agrees_with_tcpdump_lines() {
    let corpus = Path::new(TESTDATA).join("corpus/tcpdump");
    let manifest = fs::read_to_string(corpus.join("MANIFEST.tsv")).unwrap();
    let mut capture_of = BTreeMap::new();
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        capture_of.insert(cols[0].to_string(), cols[1].to_string());
    }
    // capture -> frames with a TCP line (any test).
    let mut frames: BTreeMap<String, BTreeMap<u64, String>> = BTreeMap::new();
    let lines = fs::read_to_string(corpus.join("tcp-lines.tsv")).unwrap();
    for line in lines.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        let cap = capture_of[cols[0]].clone();
        let frame: u64 = cols[3].parse().unwrap();
        frames
            .entry(cap)
            .or_default()
            .insert(frame, cols[2].to_string());
    }
    let (mut total, mut ok) = (0, 0);
    let mut failures = Vec::new();
    for (cap, want) in &frames {
        let path = corpus.join(cap);
        let bytes = fs::read(&path).unwrap();
        for (frame, link_type, orig_len, data) in packets(&path, &bytes) {
            let Some(text) = want.get(&frame) else {
                continue;
            };
            total += 1;
            let packet = Packet {
                frame,
                ts_ns: 0,
                link_type,
                orig_len,
                data: &data,
                interface: 0,
            };
            match wire::decode(&packet) {
                Ok(Some(_)) => ok += 1,
                other => failures.push(format!("{cap} #{frame}: {other:?}\n    {text}")),
            }
        }
    }
    eprintln!("wire_corpus: {ok}/{total} frames with a tcpdump TCP line decode to a segment");
    for f in &failures {
        eprintln!("  {f}");
    }
    assert!(failures.is_empty(), "{} frames", failures.len());
}

/// Every TCP frame of the corpora cut at every length up to 160 bytes (as a
/// smaller snaplen would have): decoding never panics, and whenever a
/// segment still comes out, what was captured agrees with the whole frame:
/// the ports, the payload length once the data offset is there (it comes
/// from the IP header, never from the capture), and the fixed fields once 20
/// header bytes are there.
#[test]
fn truncation_at_every_offset() {
    let (mut frames, mut cuts, mut segs) = (0usize, 0usize, 0usize);
    for (cap, _) in captures() {
        let bytes = fs::read(&cap).unwrap();
        for (frame, link_type, orig_len, data) in packets(&cap, &bytes) {
            let whole = Packet {
                frame,
                ts_ns: 0,
                link_type,
                orig_len,
                data: &data,
                interface: 0,
            };
            let Ok(Some(full)) = wire::decode(&whole) else {
                continue;
            };
            frames += 1;
            for cut in 0..data.len().min(160) {
                cuts += 1;
                let p = Packet {
                    data: &data[..cut],
                    ..whole
                };
                let Ok(Some(s)) = wire::decode(&p) else {
                    continue;
                };
                segs += 1;
                let at = format!("{} #{frame} cut at {cut}", cap.display());
                // Truncated exactly when the cut removed segment bytes (a cut
                // through Ethernet padding after the IP packet removes none).
                let lost = s.header_captured < full.header_captured
                    || s.payload.len() < full.payload.len();
                assert_eq!(s.truncated, lost || full.truncated, "{at}");
                assert_eq!((s.sport, s.dport), (full.sport, full.dport), "{at}");
                if s.header_captured > 12 {
                    assert_eq!(s.payload_len, full.payload_len, "{at}");
                }
                assert!(usize::from(s.header_captured) <= cut, "{at}");
                if s.header_captured >= 20 {
                    assert_eq!(
                        (s.seq, s.ack, s.flags, s.window, s.header_len),
                        (full.seq, full.ack, full.flags, full.window, full.header_len),
                        "{at}"
                    );
                    let n = s.options.bytes().len();
                    assert_eq!(s.options.bytes(), &full.options.bytes()[..n], "{at}");
                }
            }
        }
    }
    eprintln!(
        "wire_corpus: {frames} TCP frames cut {cuts} ways, {segs} partial segments, no panic"
    );
}

/// `wire::decode_tcp` (the walk to the TCP header, the segment not yet read)
/// gives `decode`'s outcome on every packet of every capture, and its quick
/// reads (addresses, ports, flags, analysable) are the segment's fields.
#[test]
fn decode_tcp_reads_what_decode_reads() {
    let mut segments = 0;
    for (cap, _) in captures() {
        let bytes = fs::read(&cap).unwrap();
        for (frame, link_type, orig_len, data) in packets(&cap, &bytes) {
            let packet = Packet {
                frame,
                ts_ns: 0,
                link_type,
                orig_len,
                data: &data,
                interface: 0,
            };
            let at = format!("{} #{frame}", cap.display());
            match (wire::decode_tcp(&packet), wire::decode(&packet)) {
                (Ok(Some(tcp)), Ok(Some(seg))) => {
                    segments += 1;
                    assert_eq!(tcp.addrs(), (seg.ip.src, seg.ip.dst), "{at}");
                    assert_eq!(tcp.ports(), (seg.sport, seg.dport), "{at}");
                    assert_eq!(tcp.flags(), seg.flags, "{at}");
                    assert_eq!(tcp.analysable(), seg.analysable(), "{at}");
                    assert_eq!(tcp.segment(), seg, "{at}");
                }
                (Ok(None), Ok(None)) => {}
                (Err(a), Err(b)) => assert_eq!(a, b, "{at}"),
                (a, b) => panic!("{at}: decode_tcp {a:?}, decode {b:?}"),
            }
        }
    }
    assert!(
        segments > 5_000,
        "{segments} segments: the corpora and the lab"
    );
}

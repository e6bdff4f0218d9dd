//! Lab captures reassembled byte-exact, checked against the sha256 and byte
//! counts the sending programs logged (manifest `facts.reassembled_payload`,
//! cross-checked there with tshark's "follow tcp stream").

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use tcpkit_core::flow::Direction;
use tcpkit_core::reassembly::{
    ConnSelector, EndReason, FollowSummary, GapReason, ReassemblyConfig, follow_capture,
};

fn lab() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab")
}

fn manifest(scenario: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(lab().join(scenario).join("manifest.json"))
        .expect("manifest.json readable");
    serde_json::from_str(&text).expect("manifest.json is JSON")
}

fn capture(scenario: &str) -> Vec<u8> {
    let dir = lab().join(scenario);
    let file = manifest(scenario)["capture"]["file"]
        .as_str()
        .expect("capture.file")
        .to_owned();
    std::fs::read(dir.join(file)).expect("capture readable")
}

fn follow(scenario: &str, dir: Direction, cfg: ReassemblyConfig) -> (Vec<u8>, FollowSummary) {
    let cap = capture(scenario);
    let mut out = Vec::new();
    let summary = follow_capture(&cap, ConnSelector::Index(0), dir, cfg, &mut out)
        .unwrap_or_else(|e| panic!("{scenario} {}: {e}", dir.as_str()));
    (out, summary)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Both directions of connection 0 give exactly the bytes whose sha256 and
/// length the manifest records.
fn check_byte_exact(scenario: &str) {
    let m = manifest(scenario);
    let rp = &m["facts"]["reassembled_payload"]["value"];
    assert!(rp.is_object(), "{scenario}: no reassembled_payload");
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let d = dir.as_str();
        let want_len = rp[format!("{d}_bytes")].as_u64().expect("bytes");
        let want_sha = rp[format!("{d}_sha256")].as_str().expect("sha256");
        let (bytes, summary) = follow(scenario, dir, ReassemblyConfig::default());
        assert_eq!(summary.gaps, vec![], "{scenario} {d}: gaps");
        assert_eq!(bytes.len() as u64, want_len, "{scenario} {d}: length");
        assert_eq!(
            hex(&Sha256::digest(&bytes)),
            want_sha,
            "{scenario} {d}: sha256"
        );
        assert_eq!(summary.bytes_written, want_len);
        assert_eq!(summary.end, Some(EndReason::Fin), "{scenario} {d}: end");
    }
}

#[test]
fn small_transfer_full_payload_is_byte_exact() {
    check_byte_exact("small-transfer-full-payload");
}

#[test]
fn small_transfer_retransmissions_are_counted_not_duplicated() {
    // manifest c2s_counts: 238592 payload bytes on the wire for a 204800-byte
    // stream, so 33792 bytes arrived more than once (4 retransmissions).
    let m = manifest("small-transfer-full-payload");
    for dir in [Direction::ClientToServer, Direction::ServerToClient] {
        let counts = &m["facts"][format!("{}_counts", dir.as_str())]["value"];
        let wire = counts["payload_bytes_on_wire"].as_u64().unwrap();
        let stream = counts["stream_bytes"].as_u64().unwrap();
        let (_, s) = follow(
            "small-transfer-full-payload",
            dir,
            ReassemblyConfig::default(),
        );
        assert_eq!(s.stats.delivered_bytes, stream);
        assert_eq!(
            s.stats.duplicate_bytes + s.stats.overlap_bytes,
            wire - stream,
            "{}",
            dir.as_str()
        );
        assert_eq!(s.stats.conflicts, 0);
    }
}

#[test]
fn zero_window_is_byte_exact() {
    check_byte_exact("zero-window");
}

#[test]
fn any_interface_sll2_is_byte_exact() {
    check_byte_exact("any-interface-sll2");
}

#[test]
fn pcapng_dumpcap_is_byte_exact() {
    check_byte_exact("pcapng-dumpcap");
}

#[test]
fn every_scenario_with_reassembled_payload_has_a_test() {
    let covered = [
        "small-transfer-full-payload",
        "zero-window",
        "any-interface-sll2",
        "pcapng-dumpcap",
    ];
    for entry in std::fs::read_dir(lab()).expect("lab dir") {
        let path = entry.expect("entry").path();
        if !path.join("manifest.json").exists() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let has = manifest(&name)["facts"]["reassembled_payload"]["value"].is_object();
        assert_eq!(has, covered.contains(&name.as_str()), "{name}");
    }
}

#[test]
fn snaplen_128_reports_truncation_gaps_not_invented_bytes() {
    // bulk-loss-sack: captured on the sender with snaplen 128; the receiver
    // logged 20262144 bytes (manifest c2s stream_bytes). Each data frame holds
    // 128 - 14 (Ethernet) - 20 (IPv4) - 32 (TCP with timestamps) = 62 payload
    // bytes, so most of the stream must come out as truncation gaps.
    let m = manifest("bulk-loss-sack");
    let dir_facts = &m["analysis"]["streams"][0]["directions"]["c2s"];
    let stream_bytes = dir_facts["stream_bytes"].as_u64().unwrap();
    let data_segments = dir_facts["data_segments"].as_u64().unwrap();
    assert_eq!(stream_bytes, 20_262_144);
    let (bytes, s) = follow(
        "bulk-loss-sack",
        Direction::ClientToServer,
        ReassemblyConfig::default(),
    );
    let gap: u64 = s.gaps.iter().map(|g| g.len).sum();
    assert_eq!(
        bytes.len() as u64 + gap,
        stream_bytes,
        "data + gaps = the stream"
    );
    assert!(
        s.gaps.iter().all(|g| g.reason == GapReason::Truncated),
        "{:?}",
        &s.gaps[..3]
    );
    assert!(bytes.len() as u64 <= 62 * data_segments);
    assert!(!bytes.is_empty());
    // The first data frame (offset 0) holds bytes 0..62; the gap follows.
    assert_eq!((s.gaps[0].offset, s.gaps[0].len), (62, 8448 - 62));
    // Every data frame leaves its first 62 bytes and a gap for the rest.
    assert!(s.gaps.len() as u64 >= stream_bytes / 8448);
    assert_eq!(s.end, Some(EndReason::Fin));
    // The other direction carried nothing.
    let (bytes, s) = follow(
        "bulk-loss-sack",
        Direction::ServerToClient,
        ReassemblyConfig::default(),
    );
    assert!(bytes.is_empty() && s.gaps.is_empty());
}

#[test]
fn every_readable_scenario_accounts_for_its_stream_bytes() {
    // For connection 0 of every lab scenario, delivered bytes + gaps = the stream length
    // tshark measured (manifest analysis.streams[0].directions.*.stream_bytes),
    // and only the snaplen-128 capture has gaps.
    let mut checked = 0;
    for entry in std::fs::read_dir(lab()).expect("lab dir") {
        let path = entry.expect("entry").path();
        if !path.join("manifest.json").exists() {
            continue;
        }
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        let m = manifest(&name);
        let Some(stream0) = m["analysis"]["streams"].get(0) else {
            continue;
        };
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let d = dir.as_str();
            let want = stream0["directions"][d]["stream_bytes"]
                .as_u64()
                .expect("stream_bytes");
            let (bytes, s) = follow(&name, dir, ReassemblyConfig::default());
            let gap: u64 = s.gaps.iter().map(|g| g.len).sum();
            assert_eq!(bytes.len() as u64 + gap, want, "{name} {d}");
            if name != "bulk-loss-sack" {
                assert_eq!(s.gaps, vec![], "{name} {d}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 32, "only {checked} directions checked");
}

#[test]
fn a_streaming_reader_that_lends_each_packet_gives_the_same_bytes() {
    // Each packet's bytes live in one reused buffer, valid only until the
    // next packet: the Follower must not need them afterwards.
    use tcpkit_core::capture::{Packet, SliceReader};
    use tcpkit_core::reassembly::Follower;
    let cap = capture("small-transfer-full-payload");
    let m = manifest("small-transfer-full-payload");
    let want = m["facts"]["reassembled_payload"]["value"]["s2c_sha256"]
        .as_str()
        .unwrap();
    let mut f = Follower::new(
        ConnSelector::Index(0),
        Direction::ServerToClient,
        ReassemblyConfig::default(),
    );
    let mut out = Vec::new();
    let mut buf = Vec::new();
    for p in SliceReader::new(&cap).unwrap() {
        let p = p.unwrap();
        buf.clear();
        buf.extend_from_slice(p.data);
        let lent = Packet { data: &buf, ..p };
        f.push_packet(&lent, &mut out).unwrap();
    }
    let s = f.finish(&mut out).unwrap();
    assert_eq!(hex(&Sha256::digest(&out)), want);
    assert_eq!(s.bytes_written, 204_800);
}

#[test]
fn select_by_endpoints_in_either_order() {
    use tcpkit_core::flow::Endpoint;
    // manifest topology / analysis.streams[0]: client 198.18.13.15:50774,
    // server 198.18.13.12:9527.
    let m = manifest("small-transfer-full-payload");
    let want = m["facts"]["reassembled_payload"]["value"]["c2s_sha256"]
        .as_str()
        .unwrap();
    let client = Endpoint {
        ip: "198.18.13.15".parse().unwrap(),
        port: 50774,
    };
    let server = Endpoint {
        ip: "198.18.13.12".parse().unwrap(),
        port: 9527,
    };
    let cap = capture("small-transfer-full-payload");
    for sel in [
        ConnSelector::Endpoints(client, server),
        ConnSelector::Endpoints(server, client),
    ] {
        let mut out = Vec::new();
        let s = follow_capture(
            &cap,
            sel,
            Direction::ClientToServer,
            ReassemblyConfig::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!((s.client, s.server), (client, server));
        assert_eq!(hex(&Sha256::digest(&out)), want);
    }
}

#[test]
fn a_missing_connection_is_an_error_not_an_empty_stream() {
    use tcpkit_core::reassembly::FollowError;
    // small-transfer-full-payload has one TCP connection (manifest analysis.streams).
    let cap = capture("small-transfer-full-payload");
    let err = follow_capture(
        &cap,
        ConnSelector::Index(1),
        Direction::ClientToServer,
        ReassemblyConfig::default(),
        &mut Vec::new(),
    )
    .unwrap_err();
    assert!(
        matches!(err, FollowError::NoSuchConnection { connections: 1, .. }),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "connection 1 not found (1 TCP connections in the capture)"
    );
}

#[test]
fn connection_numbers_follow_first_appearance() {
    // many-short-connections: 200 sequential connections; manifest
    // analysis.streams[k].client gives each one's client port.
    let m = manifest("many-short-connections");
    let cap = capture("many-short-connections");
    for k in [0u64, 1, 57, 199] {
        let st = &m["analysis"]["streams"][k as usize];
        let client = st["client"].as_str().unwrap();
        let (ip, port) = client.rsplit_once(':').unwrap();
        let mut out = Vec::new();
        let s = follow_capture(
            &cap,
            ConnSelector::Index(k),
            Direction::ServerToClient,
            ReassemblyConfig::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            (s.client.ip.to_string(), s.client.port.to_string()),
            (ip.to_owned(), port.to_owned()),
            "stream {k}"
        );
        assert_eq!(
            out.len() as u64,
            st["directions"]["s2c"]["stream_bytes"].as_u64().unwrap()
        );
    }
}

#[test]
fn a_capture_cut_mid_record_is_an_error_with_the_offset() {
    use tcpkit_core::reassembly::FollowError;
    let cap = capture("small-transfer-full-payload");
    let cut = &cap[..cap.len() - 100];
    let mut out = Vec::new();
    let err = follow_capture(
        cut,
        ConnSelector::Index(0),
        Direction::ClientToServer,
        ReassemblyConfig::default(),
        &mut out,
    )
    .unwrap_err();
    // The last record (frame 109, a bare ACK: 16 + 14 + 20 + 32 = 82 bytes)
    // is gone and frame 108 is cut: the reader names frame 108.
    assert!(
        matches!(&err, FollowError::Capture(e) if e.frame == Some(108)),
        "{err}"
    );
    // Everything before was written: the client's data ended by frame 102.
    assert_eq!(out.len(), 204_800);
}

#[test]
fn damaged_captures_never_panic() {
    // Deterministic byte flips all over a real capture.
    let cap = capture("small-transfer-full-payload");
    let mut s = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..200 {
        let mut bad = cap.clone();
        for _ in 0..20 {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let at = 24 + (s >> 33) as usize % (bad.len() - 24);
            bad[at] ^= (s >> 8) as u8 | 1;
        }
        for dir in [Direction::ClientToServer, Direction::ServerToClient] {
            let _ = follow_capture(
                &bad,
                ConnSelector::Index(0),
                dir,
                ReassemblyConfig::default(),
                &mut std::io::sink(),
            );
        }
    }
}

#[test]
fn streaming_reader_from_a_file_is_byte_exact_too() {
    use tcpkit_core::capture::StreamReader;
    use tcpkit_core::reassembly::follow_source;
    for scenario in ["pcapng-dumpcap", "small-transfer-full-payload"] {
        let m = manifest(scenario);
        let rp = &m["facts"]["reassembled_payload"]["value"];
        let file = m["capture"]["file"].as_str().unwrap();
        let f = std::fs::File::open(lab().join(scenario).join(file)).unwrap();
        let mut reader = StreamReader::new(std::io::BufReader::new(f)).unwrap();
        let mut out = Vec::new();
        let s = follow_source(
            &mut reader,
            ConnSelector::Index(0),
            Direction::ServerToClient,
            ReassemblyConfig::default(),
            &mut out,
        )
        .unwrap();
        assert_eq!(
            hex(&Sha256::digest(&out)),
            rp["s2c_sha256"].as_str().unwrap(),
            "{scenario}"
        );
        assert_eq!(s.bytes_written, rp["s2c_bytes"].as_u64().unwrap());
    }
}

/// A raw-IPv4 TCP packet (LINKTYPE_RAW), hand-built: 20-byte IPv4 header,
/// 20-byte TCP header, payload.
fn raw_packet(
    src: [u8; 4],
    sport: u16,
    dst: [u8; 4],
    dport: u16,
    seq: u32,
    flags: u8,
    payload: &[u8],
) -> Vec<u8> {
    let total = (40 + payload.len()) as u16;
    let mut p = vec![
        0x45,
        0,
        (total >> 8) as u8,
        total as u8,
        0,
        0,
        0x40,
        0,
        64,
        6,
        0,
        0,
    ];
    p.extend_from_slice(&src);
    p.extend_from_slice(&dst);
    p.extend_from_slice(&sport.to_be_bytes());
    p.extend_from_slice(&dport.to_be_bytes());
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
    p.extend_from_slice(payload);
    p
}

#[test]
fn a_reused_four_tuple_ends_the_followed_connection() {
    use tcpkit_core::capture::{LinkType, Packet};
    use tcpkit_core::reassembly::Follower;
    let (c, s) = ([10, 0, 0, 1], [10, 0, 0, 2]);
    let pkts = [
        raw_packet(c, 4000, s, 80, 100, 0x02, b""), // SYN, ISN 100
        raw_packet(c, 4000, s, 80, 101, 0x18, b"first"), // data
        // no FIN captured: the first connection just stops
        raw_packet(c, 4000, s, 80, 9000, 0x02, b""), // SYN, new ISN: port reuse
        raw_packet(c, 4000, s, 80, 9001, 0x18, b"second"),
    ];
    let mut f = Follower::new(
        ConnSelector::Index(0),
        Direction::ClientToServer,
        ReassemblyConfig::default(),
    );
    let mut out = Vec::new();
    for (i, data) in pkts.iter().enumerate() {
        let p = Packet {
            frame: i as u64 + 1,
            ts_ns: 0,
            link_type: LinkType::RAW,
            orig_len: data.len() as u32,
            data,
            interface: 0,
        };
        f.push_packet(&p, &mut out).unwrap();
    }
    let s = f.finish(&mut out).unwrap();
    assert_eq!(out, b"first");
    assert_eq!(s.end, Some(EndReason::CaptureEnd));
    assert_eq!(s.gaps, vec![]);
}

#[test]
fn every_corpus_capture_follows_without_panic_and_adds_up() {
    // tcpdump's test captures (odd link layers, truncation, bad options,
    // IPv6, tunnels): the first connections of each, both directions. Reader
    // errors are fine; panics and inconsistent accounting are not.
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus/tcpdump");
    let mut followed = 0;
    for entry in std::fs::read_dir(dir).expect("corpus dir") {
        let path = entry.expect("entry").path();
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        if ext != "pcap" && ext != "pcapng" {
            continue;
        }
        let cap = std::fs::read(&path).expect("capture readable");
        for n in 0..3 {
            for dir in [Direction::ClientToServer, Direction::ServerToClient] {
                let mut out = Vec::new();
                let Ok(s) = follow_capture(
                    &cap,
                    ConnSelector::Index(n),
                    dir,
                    ReassemblyConfig::default(),
                    &mut out,
                ) else {
                    continue;
                };
                let gap: u64 = s.gaps.iter().map(|g| g.len).sum();
                assert_eq!(out.len() as u64, s.stats.delivered_bytes, "{path:?} {n}");
                assert_eq!(gap, s.stats.gap_bytes, "{path:?} {n}");
                assert!(s.end.is_some(), "{path:?} {n}");
                followed += 1;
            }
        }
    }
    assert!(followed > 100, "{followed}");
}

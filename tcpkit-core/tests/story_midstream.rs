//! Connections captured mid-stream: who is the server (see
//! `tcpkit_core::analysis::roles`). The lab captures are cut after the first
//! handshake's third packet, so that their first connection (and any other
//! whose handshake fell before the cut) begins mid-stream; the expected server
//! is the one the lab's manifest says listened (`topology.server`). Public
//! captures that begin mid-stream are checked against the port their server
//! is known to serve.

mod story_support;

use serde_json::Value;
use std::net::IpAddr;
use std::path::Path;
use tcpkit_core::analysis::{AnalyzerConfig, Connection, RoleEvidence};
use tcpkit_core::capture::{self, PacketSource};
use tcpkit_core::flow::Endpoint;
use tcpkit_core::{Analysis, Event};

/// The connections of `path` with every packet up to frame `cut` left out.
fn connections_after(path: &Path, cut: u64) -> Vec<Connection> {
    let mut a = Analysis::live(AnalyzerConfig::default()).segments(false);
    let mut out = Vec::new();
    let drain = |a: &mut Analysis, out: &mut Vec<Connection>| {
        while let Some(ev) = a.next_event() {
            if let Event::Connection(c) = ev.expect("a lab capture is whole") {
                out.push(*c);
            }
        }
    };
    let mut r = capture::open(path).expect("capture opens");
    while let Some(p) = r.next_packet() {
        let p = p.expect("capture reads");
        if p.frame > cut {
            a.push_packet(&p).expect("push");
            drain(&mut a, &mut out);
        }
    }
    a.finish_input();
    drain(&mut a, &mut out);
    out
}

/// Two cuts: at the first TCP segment without SYN (the first handshake's
/// third packet: the client speaks first after it), and before the first
/// segment `server` sends after that (the server speaks first after it).
fn cuts(path: &Path, server: Endpoint) -> Vec<u64> {
    let mut r = capture::open(path).expect("capture opens");
    let mut out = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.expect("capture reads");
        let Ok(Some(seg)) = tcpkit_core::wire::decode(&p) else {
            continue;
        };
        if out.is_empty() && !seg.flags.syn() {
            out.push(p.frame);
        } else if !out.is_empty() && Endpoint::of(&seg).0 == server && !seg.flags.syn() {
            out.push(p.frame - 1);
            break;
        }
    }
    out
}

/// The sender of frame `frame`.
fn first_sender(path: &Path, frame: u64) -> Endpoint {
    let mut r = capture::open(path).expect("capture opens");
    while let Some(p) = r.next_packet() {
        let p = p.expect("capture reads");
        if p.frame == frame {
            let seg = tcpkit_core::wire::decode(&p).unwrap().unwrap();
            return Endpoint::of(&seg).0;
        }
    }
    panic!("no frame {frame}")
}

fn capture_of(dir: &Path) -> Option<std::path::PathBuf> {
    ["capture.pcap", "capture.pcapng"]
        .iter()
        .map(|f| dir.join(f))
        .find(|p| p.is_file())
}

#[test]
fn lab_captures_cut_after_the_handshake_keep_their_server() {
    let (mut checked, mut swapped) = (0, 0);
    let mut wrong = Vec::new();
    for dir in story_support::scenarios() {
        let m: Value =
            serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap())
                .unwrap();
        let srv = &m["topology"]["server"];
        let (Some(ip), Some(port)) = (srv["addr"].as_str(), srv["port"].as_u64()) else {
            continue;
        };
        let server = Endpoint {
            ip: ip.parse::<IpAddr>().unwrap(),
            port: u16::try_from(port).unwrap(),
        };
        let Some(cap) = capture_of(&dir) else {
            continue;
        };
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        for cut in cuts(&cap, server) {
            for c in connections_after(&cap, cut) {
                if !c.midstream || (c.client != server && c.server != server) {
                    continue;
                }
                checked += 1;
                // The analysis orients by the first segment: the first
                // sender was the server in these (the record mirrored).
                swapped +=
                    usize::from(c.first_frame > cut && first_sender(&cap, c.first_frame) == server);
                if c.server != server || c.roles.observed() {
                    wrong.push(format!(
                        "{name} cut at {cut}: connection {} {:?} -> {:?} ({:?})",
                        c.conn.0, c.client, c.server, c.roles
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 24 && swapped >= 10,
        "only {checked} mid-stream connections checked, {swapped} opened by their server"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The server of each mid-stream connection of a public capture: the
/// capture, the server (known from its port), the evidence expected.
#[test]
fn public_captures_that_begin_mid_stream() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/corpus/tcpdump");
    for (file, server, by) in [
        // An HTTP server (port 80) resets the connection: its RST is the
        // first (and only) segment, yet it is the server.
        (
            "tcp_rst_data.pcap",
            "199.204.31.89:80",
            RoleEvidence::ServicePort,
        ),
        // An HTTP response from port 80, the first segment captured.
        (
            "ipv4_tcp_http_xml.pcap",
            "10.21.11.94:80",
            RoleEvidence::ServicePort,
        ),
        // Telnet (port 23) output.
        (
            "telnet-iac-check-oobr.pcap",
            "10.240.107.87:23",
            RoleEvidence::ServicePort,
        ),
        // An echo server on port 10000 (not a service port) answering
        // clients on ephemeral ports (54737, 35924).
        (
            "mptcp-aa-echo.pcap",
            "10.0.1.1:10000",
            RoleEvidence::EphemeralPort,
        ),
    ] {
        let mut a = Analysis::open(corpus.join(file), AnalyzerConfig::default())
            .unwrap()
            .segments(false);
        let mut seen = 0;
        while let Some(ev) = a.next_event() {
            if let Ok(Event::Connection(c)) = ev
                && c.midstream
            {
                seen += 1;
                let s = tcpkit_core::text::endpoint(c.server);
                assert_eq!((s.as_str(), c.roles), (server, by), "{file}");
            }
        }
        assert!(seen > 0, "{file}: no mid-stream connection");
    }
}

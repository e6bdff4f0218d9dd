//! Shared by the story_* integration tests: the lab scenarios, their
//! manifest.json facts, and the checks `tools/lab_facts.py` makes, applied to
//! our stories. Expected values are always read from the oracle files.
#![allow(dead_code)]

pub mod analyzer_facts;
pub mod tshark_facts;

use serde_json::Value;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tcpkit_core::analysis::Connection;
use tcpkit_core::analysis::story::{Outcome, Side, Story, Train, TrainKind};
use tcpkit_core::report::Report;

/// Runs [`check_scenario`] over every lab scenario with the stories `stories`
/// gives for its folder, and fails with every fact missed.
pub fn assert_every_lab_fact(stories: impl Fn(&Path) -> (Vec<Connection>, Report)) {
    let mut total = 0;
    let mut failed = Vec::new();
    for dir in scenarios() {
        let (flows, report) = stories(&dir);
        let c = check_scenario(&dir, &flows, &report);
        total += c.results.len();
        for m in c.misses() {
            failed.push(format!(
                "{}: {} [{}]",
                dir.file_name().unwrap().to_string_lossy(),
                m.what,
                m.detail
            ));
        }
    }
    assert!(total > 150, "only {total} facts checked");
    assert!(
        failed.is_empty(),
        "{} of {total} facts missed:\n{}",
        failed.len(),
        failed.join("\n")
    );
}

/// `testdata/captures/lab`.
pub fn lab_root() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata/captures/lab");
    assert!(p.is_dir(), "lab captures not found at {}", p.display());
    p
}

/// Every scenario folder, sorted.
pub fn scenarios() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(lab_root())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("manifest.json").is_file())
        .collect();
    v.sort();
    assert!(
        v.len() >= 15,
        "expected the lab scenarios, found {}",
        v.len()
    );
    v
}

/// The scenario's capture file.
pub fn capture_of(dir: &Path) -> PathBuf {
    for n in ["capture.pcap", "capture.pcapng"] {
        if dir.join(n).is_file() {
            return dir.join(n);
        }
    }
    panic!("no capture in {}", dir.display())
}

/// manifest.json.
pub fn manifest(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap()
}

/// A fact's value (`facts.<k>.value`).
pub fn fact<'a>(m: &'a Value, k: &str) -> Option<&'a Value> {
    m.get("facts")?.get(k).map(|f| f.get("value").unwrap_or(f))
}

/// tshark.tsv rows as header -> value maps.
pub fn load_tsv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .unwrap()
        .split('\t')
        .map(String::from)
        .collect();
    lines
        .map(|l| {
            let mut m = HashMap::new();
            for (h, v) in header.iter().zip(l.split('\t')) {
                m.insert(h.clone(), v.to_string());
            }
            m
        })
        .collect()
}

/// One check's result.
#[derive(Debug)]
pub struct Check {
    pub what: String,
    pub ok: bool,
    pub detail: String,
}

#[derive(Default)]
pub struct Checker {
    pub results: Vec<Check>,
}

impl Checker {
    pub fn check(&mut self, what: impl Into<String>, ok: bool, detail: impl Into<String>) {
        self.results.push(Check {
            what: what.into(),
            ok,
            detail: detail.into(),
        });
    }

    pub fn misses(&self) -> Vec<&Check> {
        self.results.iter().filter(|c| !c.ok).collect()
    }
}

fn ss_to_ours(s: &str) -> &str {
    match s {
        "ESTAB" => "ESTABLISHED",
        "SYN-SENT" => "SYN_SENT",
        "SYN-RECV" => "SYN_RECV",
        "FIN-WAIT-1" => "FIN_WAIT1",
        "FIN-WAIT-2" => "FIN_WAIT2",
        "CLOSING" => "CLOSING",
        "TIME-WAIT" => "TIME_WAIT",
        "CLOSE-WAIT" => "CLOSE_WAIT",
        "LAST-ACK" => "LAST_ACK",
        other => other,
    }
}

fn subseq(small: &[String], big: &[&str]) -> bool {
    let mut it = big.iter();
    small.iter().all(|x| it.any(|y| y == x))
}

fn states_of(s: &Connection, side: Side) -> Vec<&'static str> {
    s.s()
        .states
        .get(side)
        .iter()
        .map(|x| x.state.as_str())
        .collect()
}

/// The story of a connection (the tests run with stories on).
trait HasStory {
    fn s(&self) -> &Story;
}

impl HasStory for Connection {
    fn s(&self) -> &Story {
        self.story.as_deref().expect("stories are on")
    }
}

/// Seconds of each send from the first, as the oracles give them.
fn times_s(t: &Train) -> Vec<f64> {
    t.offsets_ns().map(|x| x as f64 / 1e9).collect()
}

fn close_times(a: &[f64], b: &[f64]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= 0.003)
}

fn intervals(ts: &[f64]) -> Vec<f64> {
    ts.windows(2).map(|w| w[1] - w[0]).collect()
}

fn nums(v: &Value) -> Vec<f64> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

fn ep_str(e: tcpkit_core::flow::Endpoint) -> String {
    match e.ip {
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{}", e.port),
        std::net::IpAddr::V4(ip) => format!("{ip}:{}", e.port),
    }
}

/// The checks lab_facts.py makes (plus the per-socket ss.log state sequences),
/// over our stories and report. `seg_zero_window`: zero-window segments counted by
/// the per-segment analysis (None: not checked here).
pub fn check_scenario(dir: &Path, flows: &[Connection], report: &Report) -> Checker {
    let m = manifest(dir);
    let mut c = Checker::default();
    c.check("flows", !flows.is_empty(), "");
    let Some(f) = flows.iter().max_by_key(|f| f.packets.c2s + f.packets.s2c) else {
        return c;
    };
    for (side, key, opts) in [
        ("client", "client_syn_options", &f.options.client),
        ("server", "server_synack_options", &f.options.server),
    ] {
        if let Some(want) = fact(&m, key).filter(|v| v.is_object()) {
            let got = opts.unwrap_or_default();
            c.check(
                format!("{side} mss"),
                want["mss"].as_u64() == got.mss.map(u64::from),
                format!("{:?} vs {}", got.mss, want["mss"]),
            );
            c.check(
                format!("{side} wscale"),
                want["wscale_shift"].as_u64() == got.wscale.map(u64::from),
                format!("{:?} vs {}", got.wscale, want["wscale_shift"]),
            );
            c.check(
                format!("{side} sack_perm"),
                want["sack_permitted"].as_bool() == Some(got.sack_perm),
                "",
            );
            c.check(
                format!("{side} timestamps"),
                want["timestamps"].as_bool() == Some(got.timestamps),
                "",
            );
        }
    }
    if let Some(v) = fact(&m, "handshake_complete").and_then(Value::as_bool) {
        c.check(
            "handshake outcome",
            (f.handshake.outcome == Outcome::Established) == v,
            format!("{:?}", f.handshake.outcome),
        );
    }
    if let Some(v) = fact(&m, "handshake_rtt_s").and_then(Value::as_f64) {
        c.check(
            "irtt",
            f.handshake
                .irtt_ns
                .is_some_and(|x| (x as f64 / 1e9 - v).abs() < 2e-6),
            format!("{:?} ns vs {v} s", f.handshake.irtt_ns),
        );
    }
    if let Some(tpw) = fact(&m, "third_packet_window").filter(|v| v.is_object()) {
        let want = tpw["window_size_effective"].as_u64();
        c.check(
            "3rd packet scaled window",
            f.s().effective_window.client == want && f.handshake.ack_frame == tpw["frame"].as_u64(),
            format!("{:?} vs {want:?}", f.s().effective_window.client),
        );
    }
    if let Some(v) = fact(&m, "first_fin_by").and_then(Value::as_str) {
        c.check(
            "first FIN by",
            f.s().close.first_fin_by.map(Side::as_str) == Some(v),
            format!("{:?}", f.s().close.first_fin_by),
        );
    }
    if let Some(v) = fact(&m, "second_fin_acks_first_fin").and_then(Value::as_bool) {
        c.check("FIN piggybacked", f.s().close.piggybacked == v, "");
    }
    if let Some(seq) = fact(&m, "close_flag_sequence").and_then(Value::as_array)
        && let Some(x) = seq
            .iter()
            .filter_map(Value::as_str)
            .find(|x| x.contains("RST"))
    {
        let who = x.split(' ').next().unwrap_or("");
        c.check(
            "RST by",
            f.s().close.rst_by.map(Side::as_str) == Some(who),
            format!("{:?}", f.s().close.rst_by),
        );
    }
    for side in [Side::Client, Side::Server] {
        if let Some(ss) = fact(&m, &format!("{}_states", side.as_str())).and_then(Value::as_object)
            && let Some(first) = ss.values().next()
        {
            let want: Vec<String> = first
                .as_array()
                .unwrap()
                .iter()
                .map(|x| ss_to_ours(x.as_str().unwrap()).to_string())
                .collect();
            let got = states_of(f, side);
            c.check(
                format!("{} states {}", side.as_str(), want.join(">")),
                subseq(&want, &got),
                got.join(">"),
            );
        }
    }
    if fact(&m, "ss_closing").is_some() {
        c.check("simultaneous close", f.s().close.simultaneous, "");
    }
    let syn_count = fact(&m, "syn_count").and_then(Value::as_u64);
    if let Some(n) = syn_count {
        c.check(
            "SYN count",
            u64::from(f.handshake.syn.count) == n,
            format!("{}", f.handshake.syn.count),
        );
    }
    let train = |kind: TrainKind, dir: &str| {
        f.s()
            .trains
            .iter()
            .find(|t| t.kind == kind && t.dir.as_str() == dir)
    };
    if let Some(ts) = fact(&m, "syn_times_rel_first_syn_s")
        && syn_count.unwrap_or(0) > 1
    {
        let t = train(TrainKind::Syn, "c2s");
        c.check(
            "SYN retransmission times",
            t.is_some_and(|t| close_times(&times_s(t), &nums(ts))),
            format!("{:?}", t.map(times_s)),
        );
    }
    let synack_count = fact(&m, "synack_count").and_then(Value::as_u64);
    if let (Some(n), Some(s)) = (synack_count, syn_count)
        && s > 0
    {
        c.check(
            "SYN-ACK count",
            u64::from(f.handshake.syn_ack.count) == n,
            format!("{}", f.handshake.syn_ack.count),
        );
    }
    if let Some(ts) = fact(&m, "synack_times_rel_first_synack_s")
        && synack_count.unwrap_or(0) > 1
        && ts
            .as_array()
            .is_some_and(|a| a.first().is_some_and(Value::is_number))
    {
        let t = train(TrainKind::SynAck, "s2c");
        c.check(
            "SYN-ACK retransmission times",
            t.is_some_and(|t| close_times(&times_s(t), &nums(ts))),
            format!("{:?}", t.map(times_s)),
        );
    }
    if synack_count == Some(0) && syn_count.unwrap_or(0) > 0 {
        c.check(
            "outcome no_answer",
            f.handshake.outcome == Outcome::NoAnswer,
            format!("{:?}", f.handshake.outcome),
        );
    }
    if syn_count == Some(1) && synack_count.unwrap_or(0) > 1 {
        c.check(
            "outcome syn_ack_unanswered",
            f.handshake.outcome == Outcome::SynAckUnanswered,
            format!("{:?}", f.handshake.outcome),
        );
    }
    if let Some(v) = fact(&m, "syn_count_vs_sysctls").filter(|v| v.is_object()) {
        let want = |k: &str| v[k].as_str().and_then(|s| s.parse::<u32>().ok());
        c.check(
            "inferred tcp_syn_retries",
            f.s().inferred.tcp_syn_retries == want("tcp_syn_retries"),
            format!("{:?}", f.s().inferred.tcp_syn_retries),
        );
        c.check(
            "inferred tcp_syn_linear_timeouts",
            f.s().inferred.tcp_syn_linear_timeouts == want("tcp_syn_linear_timeouts"),
            format!("{:?}", f.s().inferred.tcp_syn_linear_timeouts),
        );
    }
    if let Some(v) = fact(&m, "synack_count_vs_sysctl").filter(|v| v.is_object()) {
        let want = v["tcp_synack_retries"]
            .as_str()
            .and_then(|s| s.parse::<u32>().ok());
        c.check(
            "inferred tcp_synack_retries",
            f.s().inferred.tcp_synack_retries == want,
            format!("{:?}", f.s().inferred.tcp_synack_retries),
        );
    }
    for (side, d) in [("client", "c2s"), ("server", "s2c")] {
        if let Some(ts) = fact(&m, &format!("{side}_fin_times_rel_first_fin_or_rst_s")) {
            let want = nums(ts);
            if want.len() > 1 {
                let t = train(TrainKind::Fin, d);
                c.check(
                    format!("{side} FIN retransmission intervals"),
                    t.is_some_and(|t| close_times(&intervals(&times_s(t)), &intervals(&want))),
                    format!("{:?}", t.map(times_s)),
                );
            }
        }
    }
    if let Some(tail) = fact(&m, "tail_rto_retransmissions").filter(|v| v.is_object()) {
        let rts: Vec<&Value> = tail["retransmissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["len"].as_u64().unwrap_or(0) > 1000)
            .collect();
        if let Some(first) = rts.first() {
            let seq = first["seq"].as_u64().unwrap();
            let want = intervals(
                &rts.iter()
                    .filter(|r| r["seq"].as_u64() == Some(seq))
                    .map(|r| r["t_after_drop_on_s"].as_f64().unwrap())
                    .collect::<Vec<_>>(),
            );
            let t = f
                .s()
                .trains
                .iter()
                .find(|t| t.kind == TrainKind::Data && t.dir.as_str() == "c2s" && t.seq == seq);
            let got = t.map(|t| {
                let iv = intervals(&times_s(t));
                iv[iv.len().saturating_sub(want.len())..].to_vec()
            });
            c.check(
                "tail RTO backoff intervals",
                got.as_ref().is_some_and(|g| close_times(g, &want)),
                format!("{got:?} vs {want:?}"),
            );
        }
    }
    if let Some(counts) = fact(&m, "first_fin_by_counts").and_then(Value::as_object) {
        let n = |side: Side| {
            flows
                .iter()
                .filter(|f| f.s().close.first_fin_by == Some(side))
                .count() as u64
        };
        c.check(
            "first FIN by, counted",
            counts.get("client").and_then(Value::as_u64) == Some(n(Side::Client))
                && counts.get("server").and_then(Value::as_u64) == Some(n(Side::Server)),
            format!("{} / {}", n(Side::Client), n(Side::Server)),
        );
    }
    if let (Some(hc), Some(streams)) = (
        fact(&m, "handshakes_complete").and_then(Value::as_u64),
        fact(&m, "streams").and_then(Value::as_u64),
    ) {
        let est = flows
            .iter()
            .filter(|f| f.handshake.outcome == Outcome::Established)
            .count() as u64;
        c.check(
            "connections",
            flows.len() as u64 == streams,
            format!("{}", flows.len()),
        );
        c.check("established", est == hc, format!("{est}"));
    }
    for k in [0u64, 1] {
        if let Some(hc) =
            fact(&m, &format!("stream{k}_handshake_complete")).and_then(Value::as_bool)
        {
            let fl = flows.iter().find(|x| x.conn.0 == k);
            let first = fact(&m, &format!("stream{k}_first_fin_or_rst"))
                .and_then(Value::as_str)
                .unwrap_or("");
            if !hc && first.contains("RST") {
                c.check(
                    format!("stream{k} refused"),
                    fl.is_some_and(|x| x.handshake.outcome == Outcome::Refused),
                    format!("{:?}", fl.map(|x| x.handshake.outcome)),
                );
            } else if first.contains("RST") {
                let who = first.split(' ').next().unwrap_or("");
                c.check(
                    format!("stream{k} RST by"),
                    fl.is_some_and(|x| x.s().close.rst_by.map(Side::as_str) == Some(who)),
                    format!("{:?}", fl.map(|x| x.s().close.rst_by)),
                );
            }
        }
    }
    if fact(&m, "syns_seen").is_some() || fact(&m, "server_capture_unanswered_stream").is_some() {
        let l = report.listeners.iter().max_by_key(|l| l.syns);
        c.check("a listener", l.is_some(), "");
        if let Some(l) = l {
            if fact(&m, "syns_seen").is_some() {
                c.check(
                    "listener SYN attempts",
                    Some(l.clients) == fact(&m, "distinct_client_ports").and_then(Value::as_u64),
                    format!("{}", l.clients),
                );
                c.check(
                    "listener answered",
                    Some(l.answered)
                        == fact(&m, "streams_answered_with_synack").and_then(Value::as_u64),
                    format!("{}", l.answered),
                );
                c.check(
                    "listener max half-open",
                    Some(l.max_half_open)
                        == fact(&m, "server_max_simultaneous_by_state")
                            .and_then(|v| v.get("SYN-RECV"))
                            .and_then(Value::as_u64),
                    format!("{}", l.max_half_open),
                );
                c.check(
                    "finding syn_flood",
                    l.findings.iter().any(|x| x.as_str() == "syn_flood"),
                    format!("{:?}", l.findings),
                );
            }
            // SYN cookies: the kernel's own counters. Every answered SYN got
            // either a cookie (TcpExtSyncookiesSent) or a queued request; a
            // handshake completed with a cookie counts in TcpExtSyncookiesRecv.
            let nstat = |k: &str| {
                fact(&m, "server_nstat")
                    .and_then(|n| n.get(k))
                    .and_then(|v| v.get("delta"))
                    .and_then(Value::as_u64)
            };
            if let (Some(sent), Some(answered)) = (
                nstat("TcpExtSyncookiesSent"),
                fact(&m, "streams_answered_with_synack").and_then(Value::as_u64),
            ) {
                c.check(
                    "listener cookie answers = SyncookiesSent",
                    l.cookie_answers == sent,
                    format!("{}", l.cookie_answers),
                );
                c.check(
                    "listener queued answers = answered - SyncookiesSent",
                    l.queued_answers == answered - sent,
                    format!("{}", l.queued_answers),
                );
                if let Some(recv) = nstat("TcpExtSyncookiesRecv") {
                    let done = flows
                        .iter()
                        .filter(|f| {
                            l.cookie_connections.contains(&f.conn.0)
                                && f.handshake.outcome == Outcome::Established
                        })
                        .count() as u64;
                    c.check(
                        "cookie handshakes completed = SyncookiesRecv",
                        done == recv,
                        format!("{done}"),
                    );
                }
            }
            if let Some(un) = fact(&m, "server_capture_unanswered_stream").and_then(Value::as_array)
            {
                c.check(
                    "listener established",
                    Some(l.established)
                        == fact(&m, "server_capture_handshakes_complete").and_then(Value::as_u64),
                    format!("{}", l.established),
                );
                c.check(
                    "listener unanswered",
                    l.unanswered == un.len() as u64,
                    format!("{}", l.unanswered),
                );
                c.check(
                    "finding accept_queue_overflow",
                    l.findings
                        .iter()
                        .any(|x| x.as_str() == "accept_queue_overflow"),
                    format!("{:?}", l.findings),
                );
                let backlog = fact(&m, "server_listeners")
                    .and_then(Value::as_object)
                    .and_then(|o| o.values().next())
                    .and_then(|v| v["sendq_backlog"].as_u64());
                c.check(
                    "backlog estimate",
                    l.backlog_estimate == backlog,
                    format!("{:?}", l.backlog_estimate),
                );
            }
        }
    }
    // An upper bound on tcp_fin_timeout must hold for the sysctl in force.
    if let Some(bound) = f
        .s()
        .inferred
        .tcp_fin_timeout_max_ns
        .map(|x| x as f64 / 1e9)
    {
        let eff = m["sysctls_effective"].as_object().unwrap();
        let side = if f
            .s()
            .states
            .client
            .iter()
            .any(|x| x.state.as_str() == "FIN_WAIT2")
        {
            "client"
        } else {
            "server"
        };
        let want: f64 = eff[side]["net.ipv4.tcp_fin_timeout"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        c.check(
            "tcp_fin_timeout bound",
            bound >= want,
            format!("{bound} vs {want}"),
        );
    }
    // Every socket ss.log saw: its states, in order, among ours.
    if let Some(per_ns) = m["ss_summary"]["per_ns"].as_object() {
        for (ns, p) in per_ns {
            let side = if ns == "client" {
                Side::Client
            } else {
                Side::Server
            };
            let Some(seqs) = p["state_sequences"].as_object() else {
                continue;
            };
            for (sock, states) in seqs {
                let (local, peer) = sock.split_once(" -> ").unwrap();
                let Some(fl) = flows.iter().rev().find(|f| {
                    ep_str(f.endpoint(side)) == local && ep_str(f.endpoint(side.peer())) == peer
                }) else {
                    c.check(format!("ss socket {sock} found"), false, "");
                    continue;
                };
                let want: Vec<String> = states
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|x| ss_to_ours(x.as_str().unwrap()).to_string())
                    .collect();
                let got = states_of(fl, side);
                c.check(
                    format!("ss {ns} {sock}: {}", want.join(">")),
                    subseq(&want, &got),
                    got.join(">"),
                );
            }
        }
    }
    c
}

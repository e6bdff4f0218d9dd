//! `ss` emulation against the kernel: at every ss.log sample of every lab
//! scenario, the state (and timer) our emulation gives each socket, compared with
//! what `ss -tanoi` printed. The capture point sees some transitions late or early
//! (a FIN held by a relay, an ACK dropped after the capture point), so the bar is
//! an agreement rate, and every disagreement is listed when it falls below.

mod story_support;

use story_support::analyzer_facts::stories_from_analyzer;
use story_support::tshark_facts::stories_from_tshark;
use story_support::*;
use tcpkit_core::analysis::Connection;
use tcpkit_core::analysis::story::{Side, ss};

fn ep_str(e: tcpkit_core::flow::Endpoint) -> String {
    match e.ip {
        std::net::IpAddr::V6(ip) => format!("[{ip}]:{}", e.port),
        std::net::IpAddr::V4(ip) => format!("{ip}:{}", e.port),
    }
}

/// (t_ns, ns, state, local, peer, timer name, retrans) of one socket line.
type SsRow = (
    i64,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<u32>,
);

/// Every non-listening socket line of ss.log.
fn ss_log(path: &std::path::Path) -> Vec<SsRow> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    let (mut t, mut ns) = (0i64, String::new());
    let mut in_ss = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# t=") {
            let (ts, n) = rest.split_once(" ns=").unwrap();
            t = (ts.parse::<f64>().unwrap() * 1e9).round() as i64;
            ns = n.to_string();
            in_ss = true;
            continue;
        }
        if line.starts_with("## nstat") {
            in_ss = false;
        }
        if !in_ss || line.starts_with("State") || line.starts_with(['\t', ' ']) || line.is_empty() {
            continue;
        }
        let parts: Vec<&str> = line.split_whitespace().collect();
        if parts.len() < 5 || parts[0] == "LISTEN" {
            continue;
        }
        let timer = line.find("timer:(").map(|i| {
            let inner = &line[i + 7..];
            let inner = &inner[..inner.find(')').unwrap_or(inner.len())];
            let f: Vec<&str> = inner.split(',').collect();
            (f[0].to_string(), f.get(2).and_then(|x| x.parse().ok()))
        });
        out.push((
            t,
            ns.clone(),
            parts[0].to_string(),
            parts[3].to_string(),
            parts[4].to_string(),
            timer.as_ref().map(|x| x.0.clone()),
            timer.and_then(|x| x.1),
        ));
    }
    out
}

#[test]
fn ss_emulation_agrees_with_the_kernel() {
    compare("analyzer", &|d| stories_from_analyzer(&capture_of(d)).0);
}

#[test]
fn ss_emulation_agrees_with_the_kernel_on_tshark_facts() {
    compare("tshark facts", &|d| stories_from_tshark(d).0);
}

fn compare(what: &str, stories: &dyn Fn(&std::path::Path) -> Vec<Connection>) {
    let (mut n, mut same_state, mut same_timer, mut timer_n) = (0, 0, 0, 0);
    let mut diffs = Vec::new();
    for dir in scenarios() {
        let name = dir.file_name().unwrap().to_string_lossy().to_string();
        let flows = stories(&dir);
        let Some(first) = flows.iter().map(|f| f.first_ts_ns).min() else {
            continue;
        };
        let last = flows.iter().map(|f| f.last_ts_ns).max().unwrap();
        for (t, ns, state, local, peer, timer, retrans) in ss_log(&dir.join("ss.log")) {
            // Only what the capture covers: from its first packet to its last.
            if t < first || t > last {
                continue;
            }
            let side = if ns == "client" {
                Side::Client
            } else {
                Side::Server
            };
            let Some(fl) = flows.iter().rev().find(|f| {
                ep_str(f.endpoint(side)) == local
                    && ep_str(f.endpoint(side.peer())) == peer
                    && f.first_ts_ns <= t
            }) else {
                continue;
            };
            n += 1;
            let ours = ss::ss_at(fl, t).into_iter().find(|l| l.side == side);
            let our_state = ours.map(|l| l.state.ss_name()).unwrap_or("-");
            if our_state == state {
                same_state += 1;
                if let (Some(tn), Some(l)) = (&timer, ours) {
                    timer_n += 1;
                    if l.timer.kind.as_str() == tn
                        && (tn != "on" || retrans.is_none_or(|r| r == l.timer.retrans))
                    {
                        same_timer += 1;
                    } else {
                        diffs.push(format!(
                            "{name} t={:.3} {ns} {local}: timer {tn},{retrans:?} vs ours {},{}",
                            (t - first) as f64 / 1e9,
                            l.timer.kind.as_str(),
                            l.timer.retrans
                        ));
                    }
                }
            } else {
                diffs.push(format!(
                    "{name} t={:.3} {ns} {local}: {state} vs ours {our_state}",
                    (t - first) as f64 / 1e9
                ));
            }
        }
    }
    let rate = same_state as f64 / n as f64;
    let trate = same_timer as f64 / timer_n.max(1) as f64;
    eprintln!(
        "ss emulation ({what}): state {same_state}/{n} = {:.1}%, timer {same_timer}/{timer_n} = {:.1}%",
        rate * 100.0,
        trate * 100.0
    );
    if std::env::var_os("TCPKIT_DUMP").is_some() {
        eprintln!("{}", diffs.join("\n"));
    }
    assert!(n > 200, "only {n} samples compared");
    assert!(
        rate >= 0.9,
        "states agree in {:.1}% of samples:\n{}",
        rate * 100.0,
        diffs.join("\n")
    );
    assert!(
        trate >= 0.8,
        "timers agree in {:.1}%:\n{}",
        trate * 100.0,
        diffs.join("\n")
    );
}

//! Other stacks' backoff, the stack guess on the story, and fast retransmits:
//! hand-built segments with the expected story reasoned from the stacks'
//! sources in each test (docs/story.md quotes them).

use super::stack::{Clue, Confidence, Stack};
use super::testutil::*;
use super::*;
use crate::analysis::AnalysisFlags;

/// SYNs at these times (s), no answer, the capture going on `after` s past the last.
fn unanswered_syns(opts: &[u8], ttl: u8, win: u16, times: &[i64], after: i64) -> Connection {
    let mut c = Conn::new();
    c.ttl = ttl;
    c.win = win;
    for &t in times {
        c.seg(t * S, C2S, SY, 0, 0, 0, opts);
    }
    let last = *times.last().unwrap();
    c.finish((last + after) * S)
}

fn client_stack(c: &Connection) -> (Stack, Confidence) {
    let g = c.s().stack.client.as_ref().expect("SYN seen");
    (g.stack, g.confidence)
}

#[test]
fn macos_syn_backoff_is_not_linux_linear_timeouts() {
    // XNU's (and FreeBSD's) tcp_timer.c: `tcp_syn_backoff[] = { 1, 1, 1, 1, 1,
    // 2, 4, 8, 16, 32, 64, 64, 64 }` times the 1 s base: SYNs at 0, 1, 2, 3, 4,
    // 5, 7, 11, 19, 35, 67 s. Linux 6.5+ with tcp_syn_linear_timeouts=4 gives
    // the very same times, so only the SYN itself tells them apart: p0f's
    // macOS layout mss,nop,ws,nop,nop,ts,sok,eol, TTL 64, window 65535.
    let times = [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67];
    let c = unanswered_syns(&MACOS_SYN_OPTS, 64, 65535, &times, 70);
    assert_eq!(client_stack(&c), (Stack::BsdApple, Confidence::High));
    let g = c.s().stack.client.as_ref().unwrap();
    assert!(g.evidence.contains(&Clue::SynBackoff {
        initial_rto_ms: 1000,
        equal: 5,
        fits: true
    }));
    let inf = &c.s().inferred;
    // No Linux setting for a FreeBSD / macOS stack; the first interval is still the initial RTO.
    assert_eq!(inf.tcp_syn_linear_timeouts, None);
    assert_eq!(inf.tcp_syn_retries, None);
    assert_eq!(inf.initial_rto_ns, Some(1_000_000_000));
    assert_eq!(
        c.s().trains[0].verdict,
        Verdict::LinearThenExponentialBackoff
    );
    let text = crate::text::notes(&c).join("\n");
    assert!(!text.contains("tcp_syn_linear_timeouts"), "{text}");
    assert!(text.contains("FreeBSD / macOS SYN backoff"), "{text}");
    assert!(
        text.contains("looks like FreeBSD / macOS (high confidence)"),
        "{text}"
    );
}

#[test]
fn linux_syn_with_the_same_schedule_keeps_its_settings() {
    // The same times from p0f's Linux layout (mss,sok,ts,nop,ws): 1 + 4 linear
    // + 6 doubling SYNs is tcp_syn_linear_timeouts=4, tcp_syn_retries=6 (the
    // defaults; tcp_write_timeout gives up at retries + linear).
    let times = [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67];
    let c = unanswered_syns(&LINUX_SYN_OPTS, 64, 64240, &times, 70);
    assert_eq!(client_stack(&c).0, Stack::Linux);
    let inf = &c.s().inferred;
    assert_eq!(
        (inf.tcp_syn_linear_timeouts, inf.tcp_syn_retries),
        (Some(4), Some(6))
    );
    assert!(inf.caveats.is_empty(), "{:?}", inf.caveats);
    let text = crate::text::notes(&c).join("\n");
    assert!(
        text.contains("10 retransmissions, 4 at the initial RTO, 6 doubling"),
        "{text}"
    );
}

#[test]
fn unknown_stack_consistent_with_linux_says_so() {
    // An nmap-like SYN (mss only): no p0f layout of ours, so unknown. The
    // schedule fits Linux's rules, and FreeBSD's table too: the settings are
    // stated with a caveat naming both.
    let times = [0, 1, 2, 3, 4, 5, 7, 11, 19, 35, 67];
    let c = unanswered_syns(&MSS_ONLY, 64, 1024, &times, 70);
    assert_eq!(client_stack(&c).0, Stack::Unknown);
    let inf = &c.s().inferred;
    assert_eq!(inf.tcp_syn_retries, Some(6));
    assert_eq!(
        inf.caveats,
        [Caveat::StackAssumedLinux {
            side: Side::Client,
            bsd_fits_too: true
        }]
    );
    // Doubling from 1 s from the start fits Linux (before 6.5), not the BSD table.
    let c = unanswered_syns(&MSS_ONLY, 64, 1024, &[0, 1, 3, 7, 15], 40);
    assert_eq!(c.s().inferred.tcp_syn_linear_timeouts, Some(0));
    assert!(c.s().inferred.caveats.contains(&Caveat::StackAssumedLinux {
        side: Side::Client,
        bsd_fits_too: false
    }));
}

#[test]
fn windows_syn_backoff() {
    // Microsoft's TcpMaxConnectRetransmissions: "The delay between the original
    // transmission and the first retransmission ... is determined by the value
    // of the TcpInitialRTT entry. By default, it is three seconds. This delay
    // doubles after each attempt", default 2 retransmissions: SYNs at 0, 3, 9 s.
    let c = unanswered_syns(&WINDOWS_SYN_OPTS, 128, 8192, &[0, 3, 9], 30);
    assert_eq!(client_stack(&c), (Stack::Windows, Confidence::High));
    assert_eq!(c.s().trains[0].verdict, Verdict::ExponentialBackoff);
    let inf = &c.s().inferred;
    assert_eq!(inf.initial_rto_ns, Some(3_000_000_000));
    assert_eq!(
        (inf.tcp_syn_linear_timeouts, inf.tcp_syn_retries),
        (None, None)
    );
    let text = crate::text::notes(&c).join("\n");
    assert!(
        text.contains("Windows SYN backoff (Windows's: TcpInitialRTT 3 s"),
        "{text}"
    );
    assert!(!text.contains("tcp_syn"), "{text}");
    // A Linux-looking SYN backing off from 3 s (Linux before 3.1): the
    // schedule does not fit today's Linux, so the confidence drops to low.
    let c = unanswered_syns(&LINUX_SYN_OPTS, 64, 64240, &[0, 3, 9], 30);
    assert_eq!(client_stack(&c), (Stack::Linux, Confidence::Low));
}

/// An established Windows connection: SYN, SYN-ACK, ACK (RTT 10 ms).
fn windows_connection() -> Conn {
    let mut c = Conn::new();
    c.ttl = 128;
    c.win = 8192;
    c.seg(0, C2S, SY, 0, 0, 0, &WINDOWS_SYN_OPTS);
    c.seg(10 * MS, S2C, SY | A, 0, 1, 0, &WINDOWS_SYN_OPTS);
    c.seg(20 * MS, C2S, A, 1, 1, 0, &[]);
    c
}

#[test]
fn windows_data_timeouts_doubling_from_600_ms() {
    // The Windows 2000 sender: a data segment re-sent 0.21, 0.60, 1.20,
    // 2.40, 4.80 s apart. From the second interval on each doubles (RFC 6298
    // 5.5, Windows: "The retransmission time-out is doubled with each
    // successive retransmission"); the first is shorter than one RTO because
    // the timer was already running when the segment left (RFC 6298 5.1: it
    // is started by the oldest outstanding segment, 5.3: restarted on an ACK).
    let mut c = windows_connection();
    let retx = AnalysisFlags::RETRANSMISSION;
    c.seg(S, C2S, A, 1, 1, 1000, &[]);
    let mut t = S;
    for iv_ms in [210, 600, 1200, 2400, 4800] {
        t += iv_ms * MS;
        c.seg_flagged(t, C2S, A, 1, 1, 1000, &[], retx);
    }
    let c = c.finish(t + S);
    let tr = &c.s().trains[0];
    assert_eq!(tr.frames.len(), 6);
    assert_eq!(tr.verdict, Verdict::ExponentialBackoff);
    assert!(c.s().notes.iter().any(|n| matches!(
        n,
        Note::DataRetransmissions {
            trains: 1,
            fast: 0,
            recovery: 0,
            timeouts: 1,
            ..
        }
    )));
    // Windows has no 200 ms Linux floor to infer.
    assert_eq!(c.s().inferred.rto_min_ns, None);
    let text = crate::text::notes(&c).join("\n");
    assert!(text.contains("1 by timeouts"), "{text}");
    assert!(
        text.contains("a first timeout after 210 ms (the retransmission timer was already running), then doubling from 600 ms"),
        "{text}"
    );
}

#[test]
fn backoff_up_to_a_ceiling() {
    // FreeBSD caps the RTO at TCPTV_REXMTMAX (64 s): 8, 16, 32, 64, 64, 64 s
    // is doubling up to the ceiling, whatever the ceiling is.
    let mut c = windows_connection();
    let retx = AnalysisFlags::RETRANSMISSION;
    c.seg(S, C2S, A, 1, 1, 1000, &[]);
    let mut t = S;
    for iv in [8, 16, 32, 64, 64, 64] {
        t += iv * S;
        c.seg_flagged(t, C2S, A, 1, 1, 1000, &[], retx);
    }
    let c = c.finish(t + S);
    assert_eq!(c.s().trains[0].verdict, Verdict::ExponentialBackoff);
    let text = crate::text::notes(&c).join("\n");
    assert!(
        text.contains("doubling from 8.00 s, up to 64.0 s"),
        "{text}"
    );
}

#[test]
fn fast_retransmit_with_its_duplicate_acks() {
    // The receiver acknowledges 1001 four times (the ACK and 3 duplicates,
    // tshark's duplicate_ack_num 1, 2, 3); the sender re-sends 1001 within
    // 20 ms and tshark flags it a fast retransmission (>= 2 duplicate ACKs of
    // that sequence number). The original 1001..2001 was lost before the
    // capture point: a train of one send, still a fast retransmit, "1 started
    // by fast retransmit after 3 duplicate ACKs".
    let mut c = windows_connection();
    c.seg(S, C2S, A, 1, 1, 1000, &[]);
    c.seg(S + MS, C2S, A, 2001, 1, 1000, &[]);
    c.seg(S + 2 * MS, C2S, A, 3001, 1, 1000, &[]);
    c.seg(S + 3 * MS, C2S, A, 4001, 1, 1000, &[]);
    c.seg(S + 11 * MS, S2C, A, 1, 1001, 0, &[]);
    for n in 1..=3 {
        c.dup = n;
        c.seg(S + (11 + i64::from(n)) * MS, S2C, A, 1, 1001, 0, &[]);
    }
    c.dup = 0;
    let fast = AnalysisFlags::FAST_RETRANSMISSION | AnalysisFlags::RETRANSMISSION;
    c.seg_flagged(S + 15 * MS, C2S, A, 1001, 1, 1000, &[], fast);
    let c = c.finish(3 * S);
    let tr = &c.s().trains[0];
    assert_eq!(tr.frames.len(), 1);
    assert_eq!(tr.verdict, Verdict::FastRetransmit);
    assert_eq!(tr.dup_acks, Some(3));
    assert!(c.s().notes.iter().any(|n| matches!(
        n,
        Note::DataRetransmissions {
            segments: 1,
            fast: 1,
            timeouts: 0,
            ..
        }
    )));
    let text = crate::text::notes(&c).join("\n");
    assert!(
        text.contains("1 started by fast retransmit after 3 duplicate ACKs"),
        "{text}"
    );
}

#[test]
fn each_direction_gets_its_senders_rto_bounds() {
    // The RTO replay of c2s data is the client's estimator, bounded as the
    // client's stack bounds it (RFC 6298's 1 s floor is followed by none):
    // Windows by nothing the capture shows, FreeBSD / macOS with their
    // 200 ms slop (TCPT_RANGESET), Linux by TCP_RTO_MIN; a stack not recognised
    // gets Linux's bounds and says they are assumed.
    let c = windows_connection().finish(S);
    assert_eq!(c.s().rtt.c2s.rto_rule, RtoRule::Unbounded);
    assert_eq!(c.s().rtt.s2c.rto_rule, RtoRule::Unbounded);
    let mut m = Conn::new();
    m.win = 65535;
    m.seg(0, C2S, SY, 0, 0, 0, &MACOS_SYN_OPTS);
    m.seg(10 * MS, S2C, SY | A, 0, 1, 0, &[]);
    let m = m.finish(S);
    assert_eq!(m.s().rtt.c2s.rto_rule, RtoRule::BsdApple);
    // The SYN-ACK without options reads as no known stack.
    assert_eq!(m.s().rtt.s2c.rto_rule, RtoRule::LinuxAssumed);
}

#[test]
fn layout_str_is_p0f_names_joined_by_commas() {
    use super::stack::{Kind, OptionLayout, SynPrint};
    let print = |layout: &[Kind]| SynPrint {
        ttl: 64,
        window: 0,
        layout: OptionLayout::from(layout),
        mss: None,
        wscale: None,
    };
    // p0f writes a Linux SYN's options as `mss,sok,ts,nop,ws`.
    let linux = [Kind::Mss, Kind::Sok, Kind::Ts, Kind::Nop, Kind::Ws];
    assert_eq!(print(&linux).layout_str(), "mss,sok,ts,nop,ws");
    assert_eq!(print(&[Kind::Eol]).layout_str(), "eol");
    assert_eq!(print(&[]).layout_str(), "");
}

#[test]
fn the_longest_syn_layout_fits_in_place() {
    use super::stack::{Kind, SynPrint};
    // A TCP header's options take at most 40 bytes (data offset 15 words,
    // RFC 9293 3.1), each option at least one: 40 NOPs are the most kinds a
    // SYN can show, and all of them are kept.
    let c = Conn::new();
    let opts = [1u8; 40];
    let (seg, _) = c.parts(C2S, SY, 0, 0, 0, &opts, 0);
    let p = SynPrint::of(&seg);
    assert_eq!(p.layout.len(), 40);
    assert!(p.layout.iter().all(|&k| k == Kind::Nop));
}

#[test]
fn a_guess_keeps_all_four_kinds_of_clue() {
    // A Linux SYN (TTL 64: its initial TTL; layout mss,sok,ts,nop,ws; MSS
    // 8460 and window 59220 = 7 x 8460, an MSS multiple) sent twice, 1 s
    // apart: the TTL's, the layout's, the window's and the backoff's clue,
    // in that order.
    let c = unanswered_syns(&LINUX_SYN_OPTS, 64, 59220, &[0, 1], 10);
    let g = c.s().stack.client.as_ref().expect("SYN seen");
    let codes: Vec<&str> = g.evidence.iter().map(Clue::code).collect();
    assert_eq!(
        codes,
        [
            "initial_ttl",
            "layout",
            "window_mss_multiple",
            "syn_backoff"
        ]
    );
}

//! `ss -tano`-like tables (`tcpkit ss`).

use super::endpoint;
use crate::analysis::story::ss::{SsLine, SsTimer, TimerKind};
use std::fmt::Write as _;

/// A remaining time as `ss` prints it (`968ms`, `1.988ms` = 1 s 988 ms,
/// `59sec`, `1min3sec`; iproute2's `print_ms_timer`), from ns; empty for `None`.
pub fn ss_time(ns: Option<u64>) -> String {
    let Some(ns) = ns else {
        return String::new();
    };
    let ms = ns.saturating_add(500_000) / 1_000_000;
    let (mut secs, minutes, mut msecs) = ((ms / 1000) % 60, ms / 60_000, ms % 1000);
    let mut out = String::new();
    if minutes > 0 {
        msecs = 0;
        let _ = write!(out, "{minutes}min");
        if minutes > 9 {
            secs = 0;
        }
    }
    if secs > 0 {
        if secs > 9 {
            msecs = 0;
        }
        let _ = write!(out, "{secs}{}", if msecs > 0 { "." } else { "sec" });
    }
    if msecs > 0 {
        let _ = write!(out, "{msecs:03}ms");
    }
    out
}

fn timer(t: &SsTimer) -> String {
    if t.kind == TimerKind::Off {
        return String::new();
    }
    format!(
        "timer:({},{},{})",
        t.kind.as_str(),
        ss_time(t.remaining_ns),
        t.retrans
    )
}

/// Appends one `ss -tano`-like table for one host (its address) at one
/// instant, `t_rel_ns` after the capture's first packet.
pub fn ss_table(out: &mut String, host: &str, t_rel_ns: i64, lines: &[SsLine]) {
    let _ = writeln!(out, "# t=+{:.3} s host={host}", super::secs(t_rel_ns));
    let _ = writeln!(
        out,
        "{:<11}{:>6} {:>6} {:>28} {:>28} Timer",
        "State", "Recv-Q", "Send-Q", "Local Address:Port", "Peer Address:Port"
    );
    for l in lines {
        let _ = writeln!(
            out,
            "{:<11}{:>6} {:>6} {:>28} {:>28} {}",
            l.state.ss_name(),
            "-",
            "-",
            endpoint(l.local),
            endpoint(l.peer),
            timer(&l.timer)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ss_times_as_ss_prints_them() {
        // Examples from the lab's ss.log and iproute2's print_ms_timer rules.
        let ms = |x: u64| Some(x * 1_000_000);
        assert_eq!(ss_time(ms(968)), "968ms");
        assert_eq!(ss_time(ms(1988)), "1.988ms");
        assert_eq!(ss_time(ms(44)), "044ms");
        assert_eq!(ss_time(ms(59_000)), "59sec");
        assert_eq!(ss_time(ms(63_000)), "1min3sec");
        assert_eq!(ss_time(ms(9816)), "9.816ms");
        assert_eq!(ss_time(ms(12_345)), "12sec");
        // Rounded to the nearest millisecond, as before.
        assert_eq!(ss_time(Some(967_600_000)), "968ms");
        assert_eq!(ss_time(None), "");
    }
}

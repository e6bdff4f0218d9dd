//! What `ss -tano` would have printed on each endpoint at a given instant,
//! from the inferred states and the retransmission trains.
//!
//! The timer column follows Linux's `ss`: `on` (retransmission timer: time
//! left until the next retransmission the capture shows, and retransmissions
//! so far), `timewait` (TIME_WAIT's 60 s, and the orphaned FIN_WAIT2 timer
//! whose length is `tcp_fin_timeout`, assumed 60 s), `keepalive`, `persist`
//! (zero-window probes), `off`.

use super::types::{Side, Story, TcpState, Train, TrainKind, Verdict};
use crate::analysis::Connection;
use crate::flow::Endpoint;

/// Linux's TIME_WAIT length (`TCP_TIMEWAIT_LEN`), ns.
pub const TIME_WAIT_NS: i64 = 60_000_000_000;

/// Which timer a socket has running, as `ss -o` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[cfg_attr(feature = "serde", serde(rename_all = "snake_case"))]
pub enum TimerKind {
    /// `on`: the retransmission timer.
    On,
    /// `timewait`: TIME_WAIT's 60 s, or the orphaned FIN_WAIT2 timer.
    Timewait,
    /// `keepalive`.
    Keepalive,
    /// `persist`: zero-window probes.
    Persist,
    /// `off`: no timer.
    Off,
}

impl TimerKind {
    /// The name `ss` prints.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Timewait => "timewait",
            Self::Keepalive => "keepalive",
            Self::Persist => "persist",
            Self::Off => "off",
        }
    }
}

/// The timer column of one socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SsTimer {
    /// Which timer.
    pub kind: TimerKind,
    /// Time left, ns (`None`: not known from the capture).
    pub remaining_ns: Option<u64>,
    /// Retransmissions (or probes) so far.
    pub retrans: u32,
}

/// One socket line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SsLine {
    /// Which endpoint's kernel would print it.
    pub side: Side,
    /// The state.
    pub state: TcpState,
    /// Local address.
    pub local: Endpoint,
    /// Peer address.
    pub peer: Endpoint,
    /// Timer column.
    pub timer: SsTimer,
}

/// The state of `side` at `t_ns` and when it began.
pub fn state_at(story: &Story, side: Side, t_ns: i64) -> Option<(TcpState, i64)> {
    story
        .states
        .get(side)
        .iter()
        .rev()
        .find(|s| s.t_ns <= t_ns)
        .map(|s| (s.state, s.t_ns))
}

fn train_timer(t: &Train, t_ns: i64, kind: TimerKind) -> Option<SsTimer> {
    let first = *t.ts_ns.first()?;
    if first > t_ns {
        return None;
    }
    let sent = t.ts_ns.iter().filter(|&&x| x <= t_ns).count() as u32;
    let next = t.ts_ns.iter().find(|&&x| x > t_ns);
    // A tail loss probe is not a timeout: Linux does not count it in icsk_retransmits.
    let probe = u32::from(
        sent >= 2
            && matches!(
                t.verdict,
                Verdict::TailLossProbe
                    | Verdict::TailLossProbeThenTimeout
                    | Verdict::TailLossProbeThenExponentialBackoff
            ),
    );
    Some(SsTimer {
        kind,
        remaining_ns: next.map(|&x| x.saturating_sub(t_ns).max(0) as u64),
        retrans: sent.saturating_sub(1 + probe),
    })
}

fn find_train(story: &Story, side: Side, kinds: &[TrainKind], t_ns: i64) -> Option<SsTimer> {
    let dir = side.sends();
    story
        .trains
        .iter()
        .filter(|t| t.dir == dir && kinds.contains(&t.kind))
        .filter(|t| t.ts_ns.first().is_some_and(|&f| f <= t_ns))
        .filter(|t| {
            t.ts_ns
                .last()
                .is_some_and(|&l| l.saturating_add(120_000_000_000) > t_ns)
        })
        .max_by_key(|t| t.ts_ns.first().copied())
        .and_then(|t| {
            let kind = match t.kind {
                TrainKind::Probe => TimerKind::Persist,
                TrainKind::Keepalive => TimerKind::Keepalive,
                _ => TimerKind::On,
            };
            train_timer(t, t_ns, kind)
        })
}

const OFF: SsTimer = SsTimer {
    kind: TimerKind::Off,
    remaining_ns: None,
    retrans: 0,
};

const ON: SsTimer = SsTimer {
    kind: TimerKind::On,
    remaining_ns: None,
    retrans: 0,
};

/// The lines `ss -tano` would print for this connection at `t_ns` (0, 1 or 2;
/// none without a story).
pub fn ss_at(conn: &Connection, t_ns: i64) -> Vec<SsLine> {
    let mut out = Vec::new();
    let Some(story) = conn.story.as_deref() else {
        return out;
    };
    for side in [Side::Client, Side::Server] {
        let Some((state, since)) = state_at(story, side, t_ns) else {
            continue;
        };
        let timer = match state {
            TcpState::Closed => continue,
            TcpState::TimeWait => {
                let left = TIME_WAIT_NS.saturating_sub(t_ns.saturating_sub(since));
                if left <= 0 {
                    continue;
                }
                SsTimer {
                    kind: TimerKind::Timewait,
                    remaining_ns: Some(left as u64),
                    retrans: 0,
                }
            }
            TcpState::FinWait2 => SsTimer {
                kind: TimerKind::Timewait,
                remaining_ns: Some(
                    TIME_WAIT_NS
                        .saturating_sub(t_ns.saturating_sub(since))
                        .max(0) as u64,
                ),
                retrans: 0,
            },
            TcpState::SynSent => find_train(story, side, &[TrainKind::Syn], t_ns).unwrap_or(ON),
            TcpState::SynRecv => find_train(story, side, &[TrainKind::SynAck], t_ns).unwrap_or(ON),
            TcpState::FinWait1 | TcpState::Closing | TcpState::LastAck => {
                find_train(story, side, &[TrainKind::Fin, TrainKind::Probe], t_ns).unwrap_or(ON)
            }
            TcpState::Established | TcpState::CloseWait => find_train(
                story,
                side,
                &[TrainKind::Data, TrainKind::Probe, TrainKind::Keepalive],
                t_ns,
            )
            .filter(|t| t.remaining_ns.is_some())
            .unwrap_or(OFF),
        };
        let (local, peer) = match side {
            Side::Client => (conn.client, conn.server),
            Side::Server => (conn.server, conn.client),
        };
        out.push(SsLine {
            side,
            state,
            local,
            peer,
            timer,
        });
    }
    out
}

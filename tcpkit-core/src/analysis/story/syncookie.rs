//! SYN cookies: which SYN-ACKs of a listener came from its SYN queue and
//! which were Linux SYN cookies, and the real peak of the SYN queue.
//!
//! With `net.ipv4.tcp_syncookies = 1` and the SYN queue full
//! (`inet_csk_reqsk_queue_is_full`: more requests than the listen backlog),
//! Linux answers a SYN with a cookie and keeps nothing (`tcp_conn_request`,
//! net/ipv4/tcp_input.c):
//!
//! ```text
//! af_ops->send_synack(sk, dst, &fl, req, &foc,
//!                     !want_cookie ? TCP_SYNACK_NORMAL : TCP_SYNACK_COOKIE, skb);
//! if (want_cookie) {
//!         reqsk_free(req);
//!         return 0;
//! }
//! ```
//!
//! A queued request is hashed with a timer first (`inet_csk_reqsk_queue_hash_add`,
//! `tcp_timeout_init`: 1 s) and its SYN-ACK is retransmitted until it is
//! acknowledged or `tcp_synack_retries` run out. What a capture shows of it:
//!
//! * **Retransmission.** A SYN-ACK sent more often than SYNs came in is a
//!   queued request's timer: queued. A single SYN-ACK never acknowledged
//!   while the capture went on [`NO_RETRANSMIT_NS`] past it (the request's
//!   first timeout is 1 s, `TCP_TIMEOUT_INIT`; the lab's retransmissions came
//!   1.005-1.032 s after): nothing was kept, a cookie. A later such answer,
//!   too near the capture's end to show it, given while the queue was still as
//!   full as then, is one too (see `queue_still_full`).
//! * **Options without timestamps.** When the SYN has no timestamps option a
//!   cookie cannot carry the other options, so they are cleared
//!   (`if (want_cookie && !tmp_opt.saw_tstamp) tcp_clear_options(&tmp_opt);`):
//!   a SYN offering window scaling or SACK answered without either, by a
//!   listener whose other SYN-ACKs carry them, is a cookie; one that keeps them
//!   is queued.
//! * **The timestamp.** With timestamps, the cookie SYN-ACK's TSval encodes the
//!   SYN's options in its 6 low bits (net/ipv4/syncookies.c,
//!   `cookie_init_timestamp`: `ts = (ts_now >> TSBITS) << TSBITS; ts |= options;
//!   if (ts > ts_now) ts -= (1UL << TSBITS);`, `TSBITS` 6), to which the
//!   per-address-pair offset `ts_off` is added like to every TSval. So the
//!   cookie's TSval runs 0 to 63 ms behind the server's clock, which the
//!   server's next segment shows: lag = (its TSval - the SYN-ACK's) - the
//!   milliseconds between them. A lag of [`LAG_MIN_MS`]..=[`LAG_MAX_MS`] ms is a
//!   cookie; within [`IN_STEP_MS`] ms the SYN-ACK kept step with the clock:
//!   queued (or a cookie whose options happened to match the clock's low bits,
//!   about 5 in 64: the capture cannot tell those apart). `ts_off` differs per
//!   connection on the lab's kernel, so TSvals of different connections are
//!   not compared.
//!
//! The SYN queue's peak counts only queued (and undecided) requests, each
//! from its first SYN-ACK until the handshake's ACK, a RST, or one doubled
//! timeout after its last SYN-ACK.

use crate::analysis::SynOptions;
use crate::wire::{Segment, TcpOption};
use std::net::IpAddr;

/// A single SYN-ACK unacknowledged for this long with the capture going on is
/// proof that no request was kept (a queued one retransmits after 1 s).
pub const NO_RETRANSMIT_NS: i64 = 1_100_000_000;
/// Smallest TSval lag (ms) read as a cookie.
pub const LAG_MIN_MS: i64 = 3;
/// Largest TSval lag (ms) read as a cookie (63 ms plus clock and capture jitter).
pub const LAG_MAX_MS: i64 = 66;
/// A lag within this many ms of zero kept step with the clock.
pub const IN_STEP_MS: i64 = 2;

/// What one connection's server side showed of its SYN-ACK (collected by
/// [`SynAckEvidence::observe_server`] as the story is built).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SynAckEvidence {
    /// The first SYN-ACK's capture time (ns) and TSval, if it had timestamps.
    pub syn_ack_tsval: Option<(i64, u32)>,
    /// The server's first later segment with a timestamp: capture time (ns), TSval.
    pub next_tsval: Option<(i64, u32)>,
}

impl SynAckEvidence {
    /// Notes a segment sent by the server (nothing once the TSval after the
    /// SYN-ACK is known: most of a connection's segments).
    #[inline]
    pub fn observe_server(&mut self, ts_ns: i64, seg: &Segment<'_>) {
        if self.next_tsval.is_none() {
            self.note_tsval(ts_ns, seg);
        }
    }

    fn note_tsval(&mut self, ts_ns: i64, seg: &Segment<'_>) {
        let Some(val) = seg.options.iter().flatten().find_map(|o| match o {
            TcpOption::Timestamps { val, .. } => Some(val),
            _ => None,
        }) else {
            return;
        };
        if seg.flags.syn() && seg.flags.ack() {
            self.syn_ack_tsval.get_or_insert((ts_ns, val));
        } else if !seg.flags.syn() && self.syn_ack_tsval.is_some() {
            self.next_tsval = Some((ts_ns, val));
        }
    }

    /// The TSval lag of the SYN-ACK behind the server's clock, ms (see the module).
    pub fn lag_ms(&self) -> Option<i64> {
        let ((t0, v0), (t1, v1)) = (self.syn_ack_tsval?, self.next_tsval?);
        let ticks = i64::from(v1.wrapping_sub(v0) as i32);
        let elapsed_ms = (t1 - t0 + 500_000).div_euclid(1_000_000);
        Some(ticks - elapsed_ms)
    }
}

/// How a listener answered one SYN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Answer {
    /// From the SYN queue (a request socket with a retransmission timer).
    Queued(Evidence),
    /// A Linux SYN cookie (no request kept).
    Cookie(Evidence),
    /// The capture does not tell.
    Unknown,
}

/// Why an [`Answer`] was given.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Evidence {
    /// More SYN-ACKs than SYNs: the request's timer retransmitted it.
    SynAckRetransmitted,
    /// One SYN-ACK, never acknowledged nor retransmitted while the capture went on.
    NeverRetransmitted,
    /// The SYN had no timestamps and its window scale / SACK were dropped.
    OptionsCleared,
    /// The SYN had no timestamps and the SYN-ACK kept its window scale / SACK.
    OptionsKept,
    /// The SYN-ACK's TSval ran this many ms behind the server's clock.
    TimestampLag {
        /// The lag, ms.
        lag_ms: i64,
    },
    /// The TSval kept step with the server's clock (lag within 2 ms).
    TimestampInStep,
    /// Answered while the SYN queue was as full as at an earlier proven cookie.
    QueueStillFull,
}

/// One answered attempt, as the listener's assessment needs it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AnswerFacts {
    /// Connection number.
    pub conn: u64,
    /// The client's address.
    pub client: IpAddr,
    /// SYNs seen.
    pub syns: usize,
    /// SYN-ACKs seen.
    pub syn_acks: usize,
    /// First and last SYN-ACK (ns).
    pub syn_ack_span: (i64, i64),
    /// The interval between the last two SYN-ACKs (1 s with one SYN-ACK), ns.
    pub last_gap_ns: i64,
    /// When the request ended: the handshake's ACK or a RST (ns).
    pub ended: Option<i64>,
    /// The handshake's ACK was seen.
    pub completed: bool,
    /// The client's SYN options and the server's SYN-ACK options.
    pub options: (Option<SynOptions>, Option<SynOptions>),
    /// Timestamp evidence.
    pub evidence: SynAckEvidence,
}

impl AnswerFacts {
    /// The facts of a connection whose SYN was answered with a SYN-ACK
    /// (`None` otherwise). Without a story, the timestamp evidence is empty
    /// and an unanswered request's last interval is taken as 1 s.
    pub fn of(c: &crate::analysis::Connection) -> Option<Self> {
        let hs = &c.handshake;
        let (first, last) = (hs.syn_ack.first_ts_ns?, hs.syn_ack.last_ts_ns?);
        if hs.syn.count == 0 {
            return None;
        }
        let story = c.story.as_deref();
        Some(Self {
            conn: c.conn.0,
            client: c.client.ip,
            syns: hs.syn.count as usize,
            syn_acks: hs.syn_ack.count as usize,
            syn_ack_span: (first, last),
            last_gap_ns: story
                .and_then(|st| {
                    st.trains
                        .iter()
                        .find(|t| t.kind == super::TrainKind::SynAck)
                })
                .and_then(|t| t.intervals_ns().last())
                .unwrap_or(1_000_000_000),
            ended: hs.ack_ts_ns.or(story.and_then(|st| st.rst_ts_ns)),
            completed: hs.ack_ts_ns.is_some(),
            options: (c.options.client, c.options.server),
            evidence: story.map(|st| st.syn_ack_evidence).unwrap_or_default(),
        })
    }
}

/// The class an answer's own facts give, in two bytes (see [`own_class`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum OwnAnswer {
    None,
    SynAckRetransmitted,
    OptionsKept,
    TimestampInStep,
    /// The lag, ms: within [`LAG_MIN_MS`]..=[`LAG_MAX_MS`].
    TimestampLag(i8),
}

const _: () = assert!(LAG_MIN_MS >= i8::MIN as i64 && LAG_MAX_MS <= i8::MAX as i64);

impl OwnAnswer {
    fn answer(self) -> Option<Answer> {
        match self {
            Self::None => None,
            Self::SynAckRetransmitted => Some(Answer::Queued(Evidence::SynAckRetransmitted)),
            Self::OptionsKept => Some(Answer::Queued(Evidence::OptionsKept)),
            Self::TimestampInStep => Some(Answer::Queued(Evidence::TimestampInStep)),
            Self::TimestampLag(lag) => Some(Answer::Cookie(Evidence::TimestampLag {
                lag_ms: i64::from(lag),
            })),
        }
    }
}

/// An answered attempt reduced to what [`assess`] reads: 40 bytes instead
/// of [`AnswerFacts`]' 152, for the report, which keeps one per answered
/// attempt of the whole capture. What the attempt's own facts decide is
/// decided when it is made ([`AnswerFacts::reduce`]); what depends on the
/// listener's other answers (do they offer window scaling or SACK) or on the
/// capture's end is kept to be decided by [`assess_reduced`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Answered {
    /// Connection number.
    pub conn: u64,
    /// First SYN-ACK (ns).
    start: i64,
    /// Last SYN-ACK (ns).
    last: i64,
    /// When a queued request would leave the SYN queue (`request_end`).
    end: i64,
    /// The class the attempt's own facts give (the steps of [`classify`]
    /// that read nothing else), if any.
    own: OwnAnswer,
    /// [`Answered::COMPLETED`] and the others.
    flags: u8,
}

impl Answered {
    /// The handshake's ACK was seen.
    const COMPLETED: u8 = 1;
    /// Neither the handshake's ACK nor a RST ended the request.
    const OPEN: u8 = 2;
    /// One SYN-ACK.
    const ONE_SYN_ACK: u8 = 4;
    /// The SYN offered window scaling or SACK without timestamps and the
    /// SYN-ACK dropped both: a cookie if the listener offers them elsewhere.
    const CLEARED: u8 = 8;
    /// The SYN-ACK offers window scaling or SACK.
    const OFFERS: u8 = 16;

    fn has(&self, flag: u8) -> bool {
        self.flags & flag != 0
    }

    /// As a row of integers (for the report's packed store; [`Answered::from_row`]
    /// gives it back exactly): the connection, the first SYN-ACK, the span to
    /// the last, from the last to the end (small numbers for the differences
    /// between consecutive attempts), and the own class with the flags.
    pub(crate) fn to_row(self) -> [i64; 5] {
        let own = match self.own {
            OwnAnswer::None => 0,
            OwnAnswer::SynAckRetransmitted => 1,
            OwnAnswer::OptionsKept => 2,
            OwnAnswer::TimestampInStep => 3,
            OwnAnswer::TimestampLag(lag) => 4 + (i64::from(lag) << 3),
        };
        [
            self.conn as i64,
            self.start,
            self.last.wrapping_sub(self.start),
            self.end.wrapping_sub(self.last),
            (own << 8) | i64::from(self.flags),
        ]
    }

    /// The attempt [`Answered::to_row`] made `row` of.
    pub(crate) fn from_row(row: [i64; 5]) -> Self {
        let [conn, start, span, to_end, code] = row;
        let last = start.wrapping_add(span);
        let own = match code >> 8 {
            0 => OwnAnswer::None,
            1 => OwnAnswer::SynAckRetransmitted,
            2 => OwnAnswer::OptionsKept,
            3 => OwnAnswer::TimestampInStep,
            c => OwnAnswer::TimestampLag((c >> 3) as i8),
        };
        Self {
            conn: conn as u64,
            start,
            last,
            end: last.wrapping_add(to_end),
            own,
            flags: code as u8,
        }
    }
}

impl AnswerFacts {
    /// The facts [`assess`] reads, with what they decide on their own
    /// decided (see [`Answered`]).
    pub(crate) fn reduce(&self) -> Answered {
        let flag = |on: bool, f: u8| if on { f } else { 0 };
        let (own, cleared) = own_class(self);
        Answered {
            conn: self.conn,
            start: self.syn_ack_span.0,
            last: self.syn_ack_span.1,
            end: request_end(self),
            own,
            flags: flag(self.completed, Answered::COMPLETED)
                | flag(self.ended.is_none(), Answered::OPEN)
                | flag(self.syn_acks == 1, Answered::ONE_SYN_ACK)
                | flag(cleared, Answered::CLEARED)
                | flag(offers_options(self), Answered::OFFERS),
        }
    }
}

/// A listener's answers told apart.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Assessment {
    /// Answers from the SYN queue.
    pub queued: u64,
    /// SYN-cookie answers.
    pub cookies: u64,
    /// Answers the capture does not classify.
    pub unknown: u64,
    /// Most queued (or undecided) requests at once.
    pub syn_queue_peak: u64,
    /// Connections answered with a cookie, by number.
    pub cookie_connections: Vec<u64>,
    /// Cookie answers whose handshake completed (the client's ACK returned the cookie).
    pub cookies_completed: u64,
}

/// Classifies each answered attempt of one listener (`capture_end_ns`: the
/// capture's last segment) and measures the SYN queue.
pub fn assess(answers: &[AnswerFacts], capture_end_ns: i64) -> (Vec<Answer>, Assessment) {
    let reduced: Vec<Answered> = answers.iter().map(AnswerFacts::reduce).collect();
    assess_reduced(&reduced, capture_end_ns)
}

/// [`assess`] on the reduced facts.
pub(crate) fn assess_reduced(
    answers: &[Answered],
    capture_end_ns: i64,
) -> (Vec<Answer>, Assessment) {
    let offers_options = answers.iter().any(|a| a.has(Answered::OFFERS));
    let mut out: Vec<Answer> = answers
        .iter()
        .map(|a| classify(a, capture_end_ns, offers_options))
        .collect();
    queue_still_full(answers, &mut out);
    let mut s = Assessment::default();
    let mut queue = Vec::new();
    for (a, ans) in answers.iter().zip(&out) {
        match ans {
            Answer::Cookie(_) => {
                s.cookies += 1;
                s.cookies_completed += u64::from(a.has(Answered::COMPLETED));
                s.cookie_connections.push(a.conn);
                continue;
            }
            Answer::Queued(_) => s.queued += 1,
            Answer::Unknown => s.unknown += 1,
        }
        queue.push((a.start, a.end.max(a.start)));
    }
    s.syn_queue_peak = max_overlap(&queue);
    s.cookie_connections.sort_unstable();
    (out, s)
}

/// The end of a queued request: its ACK or RST, else one more (doubled)
/// timeout after its last SYN-ACK.
fn request_end(a: &AnswerFacts) -> i64 {
    a.ended.unwrap_or_else(|| {
        a.syn_ack_span
            .1
            .saturating_add(a.last_gap_ns.saturating_mul(2))
    })
}

/// Does the SYN-ACK offer window scaling or SACK?
fn offers_options(a: &AnswerFacts) -> bool {
    a.options
        .1
        .is_some_and(|o| o.wscale.is_some() || o.sack_perm)
}

/// An answer left undecided (one SYN-ACK, no timestamp evidence, too close
/// to the capture's end to show a retransmission) given while the queue was
/// as full as when an earlier SYN was provably answered with a cookie: a
/// request leaves the queue only by its ACK, a RST or expiry, and one is
/// added only while it is not full. So if every queued request pending at
/// that cookie is still pending and no queued answer came in between, the
/// queue is still full: a cookie too (assumes every answer in between was
/// captured).
fn queue_still_full(answers: &[Answered], out: &mut [Answer]) {
    let mut order: Vec<usize> = (0..answers.len()).collect();
    order.sort_by_key(|&i| answers[i].start);
    // The latest proven cookie: its time and the queued requests pending then.
    let mut full: Option<(i64, Vec<usize>)> = None;
    for &i in &order {
        let t = answers[i].start;
        match out[i] {
            Answer::Cookie(Evidence::NeverRetransmitted) => {
                let pending = order
                    .iter()
                    .copied()
                    .filter(|&j| {
                        matches!(out[j], Answer::Queued(_))
                            && answers[j].start <= t
                            && answers[j].end > t
                    })
                    .collect();
                full = Some((t, pending));
            }
            Answer::Queued(_) => full = None,
            Answer::Unknown => {
                let still = full
                    .as_ref()
                    .is_some_and(|(_, pending)| pending.iter().all(|&j| answers[j].end > t));
                let a = &answers[i];
                if still && a.has(Answered::OPEN) && a.has(Answered::ONE_SYN_ACK) {
                    out[i] = Answer::Cookie(Evidence::QueueStillFull);
                }
            }
            Answer::Cookie(_) => {}
        }
    }
}

/// The steps of the classification that read only the answer itself: the
/// class they give, if any, and whether the SYN offered window scaling or
/// SACK without timestamps and the SYN-ACK dropped both (then a cookie if
/// the listener offers them elsewhere, which [`classify`] checks first).
fn own_class(a: &AnswerFacts) -> (OwnAnswer, bool) {
    if a.syn_acks > a.syns.max(1) {
        return (OwnAnswer::SynAckRetransmitted, false);
    }
    let mut cleared = false;
    if let (Some(c), Some(s)) = a.options
        && !c.timestamps
        && (c.wscale.is_some() || c.sack_perm)
    {
        if s.wscale.is_some() || s.sack_perm {
            return (OwnAnswer::OptionsKept, false);
        }
        cleared = true;
    }
    let lag = match a.evidence.lag_ms() {
        Some(lag) if (LAG_MIN_MS..=LAG_MAX_MS).contains(&lag) => {
            i8::try_from(lag).map_or(OwnAnswer::None, OwnAnswer::TimestampLag)
        }
        Some(lag) if lag.abs() <= IN_STEP_MS => OwnAnswer::TimestampInStep,
        _ => OwnAnswer::None,
    };
    (lag, cleared)
}

fn classify(a: &Answered, capture_end_ns: i64, offers_options: bool) -> Answer {
    if a.has(Answered::CLEARED) && offers_options {
        return Answer::Cookie(Evidence::OptionsCleared);
    }
    if let Some(own) = a.own.answer() {
        return own;
    }
    if a.has(Answered::OPEN)
        && a.has(Answered::ONE_SYN_ACK)
        && capture_end_ns.saturating_sub(a.last) >= NO_RETRANSMIT_NS
    {
        return Answer::Cookie(Evidence::NeverRetransmitted);
    }
    Answer::Unknown
}

/// The most intervals `[start, end)` open at one instant (ends first at a tie).
pub fn max_overlap(iv: &[(i64, i64)]) -> u64 {
    let mut ev: Vec<(i64, i32)> = iv.iter().flat_map(|&(s, e)| [(s, 1), (e, -1)]).collect();
    ev.sort_unstable();
    let (mut cur, mut max) = (0i64, 0i64);
    for (_, d) in ev {
        cur += i64::from(d);
        max = max.max(cur);
    }
    max as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    const S: i64 = 1_000_000_000;
    const MS: i64 = 1_000_000;

    /// Every class, lag and flag, at extreme times, comes back from its row.
    #[test]
    fn answered_rows_round_trip() {
        let mut owns = vec![
            OwnAnswer::None,
            OwnAnswer::SynAckRetransmitted,
            OwnAnswer::OptionsKept,
            OwnAnswer::TimestampInStep,
        ];
        owns.extend((i8::MIN..=i8::MAX).map(OwnAnswer::TimestampLag));
        for own in owns {
            for flags in [0, 1, 0x1f, 0xff] {
                for (conn, start, last, end) in [
                    (0, 0, 0, 0),
                    (u64::MAX, i64::MIN, i64::MAX, i64::MIN),
                    (
                        7,
                        1_796_435_932_219_884_000,
                        1_796_435_933_219_884_000,
                        i64::MAX,
                    ),
                ] {
                    let a = Answered {
                        conn,
                        start,
                        last,
                        end,
                        own,
                        flags,
                    };
                    assert_eq!(Answered::from_row(a.to_row()), a);
                }
            }
        }
    }

    /// An answered attempt: one SYN, `syn_acks` SYN-ACKs from `t` on
    /// (Linux's doubling from 1 s), the handshake's ACK at `ended`.
    fn answer(conn: u64, t: i64, syn_acks: usize, ended: Option<i64>) -> AnswerFacts {
        let last = if syn_acks > 1 {
            t + ((1i64 << (syn_acks - 1)) - 1) * S
        } else {
            t
        };
        AnswerFacts {
            conn,
            client: IpAddr::V4(Ipv4Addr::new(198, 18, 0, 15)),
            syns: 1,
            syn_acks,
            syn_ack_span: (t, last),
            last_gap_ns: if syn_acks > 1 {
                (1i64 << (syn_acks - 2)) * S
            } else {
                S
            },
            ended,
            completed: ended.is_some(),
            options: (None, None),
            evidence: SynAckEvidence::default(),
        }
    }

    fn opts(wscale: Option<u8>, sack_perm: bool, timestamps: bool) -> Option<SynOptions> {
        Some(SynOptions {
            mss: Some(1460),
            wscale,
            sack_perm,
            timestamps,
            ..SynOptions::default()
        })
    }

    #[test]
    fn a_retransmitted_syn_ack_is_a_queued_request() {
        // 3 SYN-ACKs for 1 SYN: the request's timer (tcp_synack_retries >= 2).
        let (out, a) = assess(&[answer(0, 0, 3, None)], 20 * S);
        assert_eq!(out, vec![Answer::Queued(Evidence::SynAckRetransmitted)]);
        // Kept from 0 until one doubled timeout (2 x 2 s) after the last (3 s).
        assert_eq!((a.queued, a.cookies, a.syn_queue_peak), (1, 0, 1));
    }

    #[test]
    fn a_single_unanswered_syn_ack_is_a_cookie_only_once_its_retransmission_was_due() {
        // A queued request retransmits 1 s after its SYN-ACK (TCP_TIMEOUT_INIT):
        // with the capture going on 1.1 s past it and no retransmission, no
        // request was kept. 0.5 s before the capture's end nothing is proven.
        let (out, a) = assess(&[answer(0, 0, 1, None), answer(1, 9 * S, 1, None)], 10 * S);
        assert_eq!(out[0], Answer::Cookie(Evidence::NeverRetransmitted));
        // Answered while the queue was as full as at the cookie (no queued
        // request pending then, none answered since): a cookie too.
        assert_eq!(out[1], Answer::Cookie(Evidence::QueueStillFull));
        assert_eq!((a.cookies, a.syn_queue_peak), (2, 0));
        assert_eq!(a.cookie_connections, vec![0, 1]);
        // Alone near the end, it stays undecided (and counts in the queue).
        let (out, a) = assess(&[answer(1, 9 * S, 1, None)], 10 * S);
        assert_eq!(out[0], Answer::Unknown);
        assert_eq!((a.unknown, a.syn_queue_peak), (1, 1));
    }

    #[test]
    fn the_queue_is_no_longer_known_full_once_a_queued_request_leaves() {
        // Request 0 queued (retransmitted at 1 s, 3 s: pending until 7 s).
        // Cookie 1 at 0.5 s (proven: the capture runs to 10 s). Answer 2 at
        // 8.5 s, near the end: request 0 had expired by then, so the queue
        // may have had room: undecided.
        let answers = [
            answer(0, 0, 3, None),
            answer(1, S / 2, 1, None),
            answer(2, 8 * S + S / 2, 1, None),
        ];
        let (out, a) = assess(&answers, 9 * S);
        assert_eq!(out[1], Answer::Cookie(Evidence::NeverRetransmitted));
        assert_eq!(out[2], Answer::Unknown);
        assert_eq!(a.syn_queue_peak, 1);
    }

    #[test]
    fn without_timestamps_a_cookie_drops_window_scale_and_sack() {
        // tcp_conn_request: `if (want_cookie && !tmp_opt.saw_tstamp)
        // tcp_clear_options(&tmp_opt);`. The listener's queued answer keeps them.
        let mut q = answer(0, 0, 1, Some(10 * MS));
        q.options = (opts(Some(7), true, false), opts(Some(7), true, false));
        let mut c = answer(1, S, 1, Some(S + 10 * MS));
        c.options = (opts(Some(7), true, false), opts(None, false, false));
        let (out, a) = assess(&[q, c], 2 * S);
        assert_eq!(out[0], Answer::Queued(Evidence::OptionsKept));
        assert_eq!(out[1], Answer::Cookie(Evidence::OptionsCleared));
        assert_eq!((a.queued, a.cookies), (1, 1));
        // A listener that never offers them (tcp_window_scaling=0, tcp_sack=0) proves nothing.
        let (out, _) = assess(&[c], 2 * S);
        assert_eq!(out[0], Answer::Unknown);
    }

    #[test]
    fn a_cookie_tsval_runs_behind_the_servers_clock() {
        // cookie_init_timestamp: ts = (ts_now >> 6) << 6 | options, minus 64
        // if that is ahead of ts_now. Clock at 1000 ms (1000 mod 64 = 40),
        // options wscale 7 | SACK (16) = 23: ts = 960 + 23 = 983, 17 ms behind.
        // The server's next segment 5 ms later carries 1005 (+ ts_off 7000).
        let mut c = answer(0, S, 1, Some(S + 5 * MS));
        c.evidence = SynAckEvidence {
            syn_ack_tsval: Some((S, 7983)),
            next_tsval: Some((S + 5 * MS, 8005)),
        };
        assert_eq!(c.evidence.lag_ms(), Some(17));
        // A queued SYN-ACK carries the clock itself: 1000 then 1005.
        let mut q = answer(1, S, 1, Some(S + 5 * MS));
        q.evidence = SynAckEvidence {
            syn_ack_tsval: Some((S, 8000)),
            next_tsval: Some((S + 5 * MS, 8005)),
        };
        let (out, _) = assess(&[c, q], 2 * S);
        assert_eq!(
            out[0],
            Answer::Cookie(Evidence::TimestampLag { lag_ms: 17 })
        );
        assert_eq!(out[1], Answer::Queued(Evidence::TimestampInStep));
    }

    #[test]
    fn the_reduced_facts_are_40_bytes() {
        // What the report keeps per answered attempt of the whole capture.
        assert_eq!(std::mem::size_of::<Answered>(), 40);
    }

    #[test]
    fn overlap_counts_what_is_open_at_once() {
        assert_eq!(max_overlap(&[]), 0);
        assert_eq!(max_overlap(&[(0, 10), (5, 15), (10, 20)]), 2);
        assert_eq!(max_overlap(&[(0, 10), (1, 9), (2, 8), (3, 7)]), 4);
    }
}

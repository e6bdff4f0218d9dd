//! A p0f-style guess of the TCP stack that sent a SYN or SYN-ACK: Linux,
//! Windows, FreeBSD / macOS, or unknown, with the evidence and a confidence.
//!
//! Facts used (p0f's signature database, `p0f.fp`, its `[tcp:request]` and
//! `[tcp:response]` sections; the stacks' defaults):
//!
//! * **Initial TTL** (the observed TTL rounded up to 32, 64, 128 or 255):
//!   64 for Linux, FreeBSD and macOS, 128 for Windows (every Windows
//!   signature), 255 for Solaris 6 and many network devices.
//! * **SYN option layout** (kinds in order, NOPs included), p0f `olayout`:
//!   Linux `mss,sok,ts,nop,ws` (without timestamps `mss,nop,nop,sok,nop,ws`);
//!   Windows `mss,nop,ws,nop,nop,sok` or `mss,nop,nop,sok`; macOS
//!   `mss,nop,ws,nop,nop,ts,sok,eol`; FreeBSD `mss,nop,ws,sok,ts`.
//! * **Window**: Linux's is a multiple of the MSS (p0f `mss*10`, `mss*20`;
//!   64240 = 44 x 1460 on recent kernels), of the MSS less the timestamps
//!   option's 12 bytes when they are on (the lab's SYN-ACKs: 59136 = 7 x
//!   8448 for MSS 8460, 64260 = 45 x 1428 for 1440); Windows 7/8 8192, XP 16384 or
//!   65535; FreeBSD and macOS 65535.
//! * **Window scale**: Windows 8 (7/8 and later), FreeBSD 9+ 6, macOS 1 to 6,
//!   Linux 7 or 10 (the shift follows `tcp_rmem`).
//!
//! * **SYN (SYN-ACK) backoff** ([`backoff_fits`]): Linux 1 s doubling
//!   (`TCP_TIMEOUT_INIT`), on 6.5+ first `tcp_syn_linear_timeouts` (4)
//!   retransmissions at 1 s; Windows `TcpInitialRTT` 3 s doubling; FreeBSD
//!   and macOS `tcp_syn_backoff[] = { 1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64, 64,
//!   64 }` times the 1 s base (FreeBSD and XNU `tcp_timer.c`).
//!
//! The layout decides the family; the initial TTL and the window agree or
//! not, which sets the confidence, and the backoff raises it (fits) or lowers
//! it (does not). A layout p0f does not list, or a TTL that contradicts it,
//! gives [`Stack::Unknown`] with the evidence collected. The timestamp clock
//! rate is not read: Linux (since 4.13), FreeBSD and macOS all tick at 1 kHz.

use super::fixed::{Filler, FixedList};
use super::trains::{Shape, about_equal, shape};
use crate::wire::{Segment, TcpOption};

/// The option kinds of a SYN: at most 40 (its options take at most 40
/// bytes, one at least each).
pub type OptionLayout = FixedList<Kind, 40>;

/// A guess's clues: the initial TTL's, the layout's, the window's and the
/// backoff's.
pub type Evidence = FixedList<Clue, 4>;

impl Stack {
    /// `linux`, `windows`, `bsd_apple` or `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Linux => "linux",
            Self::Windows => "windows",
            Self::BsdApple => "bsd_apple",
            Self::Unknown => "unknown",
        }
    }

    /// The family in words ("FreeBSD / macOS").
    pub fn name(self) -> &'static str {
        match self {
            Self::Linux => "Linux",
            Self::Windows => "Windows",
            Self::BsdApple => "FreeBSD / macOS",
            Self::Unknown => "unknown",
        }
    }
}

impl Confidence {
    /// `low`, `medium` or `high`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        }
    }
}

impl Kind {
    /// p0f's name (`mss`, `sok`, `ts`, `nop`, `ws`, `eol`, `?`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Eol => "eol",
            Self::Nop => "nop",
            Self::Mss => "mss",
            Self::Ws => "ws",
            Self::Sok => "sok",
            Self::Ts => "ts",
            Self::Other => "?",
        }
    }
}

/// FreeBSD's and XNU's `tcp_syn_backoff[]`: the SYN retransmission timer is
/// the 1 s base times `tcp_syn_backoff[t_rxtshift]`.
pub const BSD_SYN_BACKOFF: [u8; 13] = [1, 1, 1, 1, 1, 2, 4, 8, 16, 32, 64, 64, 64];

/// Does a SYN (or SYN-ACK) retransmission schedule (intervals, s) fit the
/// family's rules? Linux: 1 s (`TCP_TIMEOUT_INIT`, 3.1+), doubling, or equal
/// first (`tcp_syn_linear_timeouts`, 6.5+); Windows: 3 s (`TcpInitialRTT`)
/// doubling; FreeBSD / macOS: [`BSD_SYN_BACKOFF`] times 1 s.
pub fn backoff_fits(stack: Stack, iv: &[f64]) -> bool {
    let Some(&first) = iv.first() else {
        return false;
    };
    let doubling = iv.len() == 1 || matches!(shape(iv), Shape::Exponential);
    match stack {
        Stack::Linux => {
            about_equal(1.0, first)
                && (doubling
                    || matches!(shape(iv), Shape::LinearThenExponential(_) | Shape::Linear))
        }
        Stack::Windows => about_equal(3.0, first) && doubling,
        Stack::BsdApple => iv.iter().enumerate().all(|(i, x)| {
            let m = BSD_SYN_BACKOFF.get(i).or(BSD_SYN_BACKOFF.last()).copied();
            m.is_some_and(|m| about_equal(f64::from(m), *x))
        }),
        Stack::Unknown => false,
    }
}

/// Adds the SYN (or SYN-ACK) backoff to a guess: a schedule that fits the
/// family's rules raises a medium confidence to high, one that does not
/// lowers it to low. [`Evidence`] has room for four clues: [`guess`]'s three
/// at most and one backoff (a fifth clue would not be kept).
pub fn add_backoff(g: &mut StackGuess, iv: &[f64]) {
    let Some(&first) = iv.first() else {
        return;
    };
    let fits = backoff_fits(g.stack, iv);
    let added = g.evidence.push(Clue::SynBackoff {
        initial_rto_ms: (first * 1000.0).round() as u32,
        equal: iv.iter().take_while(|x| about_equal(first, **x)).count() as u32,
        fits,
    });
    debug_assert!(added, "a guess has room for the backoff's clue");
    if g.stack == Stack::Unknown {
        return;
    }
    g.confidence = match (fits, g.confidence) {
        (true, Confidence::Medium) => Confidence::High,
        (true, c) => c,
        (false, _) => Confidence::Low,
    };
}

/// A stack family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Stack {
    /// Linux.
    Linux,
    /// Windows (NT kernel).
    Windows,
    /// FreeBSD or macOS / iOS (BSD-derived stacks).
    BsdApple,
    /// Not recognised.
    Unknown,
}

/// How sure the guess is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Confidence {
    /// One clue.
    Low,
    /// The layout and one more clue agree.
    Medium,
    /// Layout, initial TTL and window all agree.
    High,
}

/// One option kind in a SYN's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Kind {
    /// End of list.
    Eol,
    /// No-operation.
    Nop,
    /// Maximum segment size.
    Mss,
    /// Window scale.
    Ws,
    /// SACK permitted.
    Sok,
    /// Timestamps.
    Ts,
    /// Anything else.
    Other,
}

impl Filler for Kind {
    const FILLER: Self = Kind::Eol;
}

/// A clue and what it points to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Clue {
    /// The initial TTL (observed TTL rounded up) and the family it suggests.
    InitialTtl {
        /// The observed TTL.
        observed: u8,
        /// Rounded up to 32, 64, 128 or 255.
        initial: u8,
    },
    /// The option layout matches this family's.
    Layout(Stack),
    /// The window is a multiple of the MSS (Linux).
    WindowMssMultiple {
        /// Window / MSS.
        factor: u16,
        /// Of the MSS less the timestamps option's 12 bytes.
        less_timestamps: bool,
    },
    /// The window is one this family uses.
    Window(Stack),
    /// The SYN (or SYN-ACK) retransmission schedule ([`backoff_fits`]).
    SynBackoff {
        /// The first interval, ms.
        initial_rto_ms: u32,
        /// Intervals equal to the first before doubling.
        equal: u32,
        /// It fits the guessed family's rules.
        fits: bool,
    },
}

impl Filler for Clue {
    const FILLER: Self = Clue::Layout(Stack::Unknown);
}

impl Clue {
    /// The code (`initial_ttl`, `layout`, `window_mss_multiple`, `window`, `syn_backoff`).
    pub fn code(&self) -> &'static str {
        match self {
            Self::InitialTtl { .. } => "initial_ttl",
            Self::Layout(_) => "layout",
            Self::WindowMssMultiple { .. } => "window_mss_multiple",
            Self::Window(_) => "window",
            Self::SynBackoff { .. } => "syn_backoff",
        }
    }
}

/// What a SYN (or SYN-ACK) shows of its sender.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SynPrint {
    /// IP TTL / hop limit as captured.
    pub ttl: u8,
    /// The raw window field.
    pub window: u16,
    /// Option kinds in order (EOL padding collapsed to one `Eol`).
    pub layout: OptionLayout,
    /// MSS option value.
    pub mss: Option<u16>,
    /// Window scale shift.
    pub wscale: Option<u8>,
}

impl SynPrint {
    /// The print of a segment (meant for SYNs and SYN-ACKs).
    pub fn of(seg: &Segment<'_>) -> Self {
        let mut p = Self {
            ttl: seg.ip.ttl,
            window: seg.window,
            layout: OptionLayout::new(),
            mss: None,
            wscale: None,
        };
        for opt in seg.options.iter() {
            let Ok(opt) = opt else { break };
            let k = match opt {
                TcpOption::Eol => Kind::Eol,
                TcpOption::Nop => Kind::Nop,
                TcpOption::Mss(v) => {
                    p.mss = Some(v);
                    Kind::Mss
                }
                TcpOption::WindowScale(s) => {
                    p.wscale = Some(s);
                    Kind::Ws
                }
                TcpOption::SackPermitted => Kind::Sok,
                TcpOption::Timestamps { .. } => Kind::Ts,
                _ => Kind::Other,
            };
            if k == Kind::Eol && p.layout.last() == Some(&Kind::Eol) {
                continue;
            }
            // Never full: 40 option bytes at most, one a kind at least.
            if !p.layout.push(k) {
                break;
            }
        }
        p
    }

    /// The option layout as p0f writes it (`mss,sok,ts,nop,ws`).
    pub fn layout_str(&self) -> String {
        // Each name has at most 3 letters: one allocation, no list of names.
        let mut s = String::with_capacity(self.layout.len() * 4);
        let _ = self.write_layout(&mut s);
        s
    }

    /// Writes [`SynPrint::layout_str`] into `w` (no allocation of its own).
    pub fn write_layout<W: std::fmt::Write>(&self, w: &mut W) -> std::fmt::Result {
        for (i, k) in self.layout.iter().enumerate() {
            if i > 0 {
                w.write_char(',')?;
            }
            w.write_str(k.as_str())?;
        }
        Ok(())
    }
}

/// The guess, with its evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct StackGuess {
    /// The family.
    pub stack: Stack,
    /// How sure.
    pub confidence: Confidence,
    /// What was seen.
    pub evidence: Evidence,
    /// The SYN (or SYN-ACK) it was read from.
    pub print: SynPrint,
}

/// The TTL a host started with: the observed value rounded up to the usual
/// initial values (32, 64, 128, 255).
pub fn initial_ttl(observed: u8) -> u8 {
    [32u8, 64, 128]
        .into_iter()
        .find(|&t| observed <= t)
        .unwrap_or(255)
}

/// The family whose SYN option layout this is (p0f `olayout`). A SYN-ACK
/// echoes only what the SYN offered, so its layout is matched only when the
/// SYN offered everything.
pub fn layout_family(layout: &[Kind]) -> Stack {
    use Kind::*;
    // EOL padding at the end does not change the family.
    let l: &[Kind] = match layout.split_last() {
        Some((Eol, rest)) => rest,
        _ => layout,
    };
    match l {
        [Mss, Sok, Ts, Nop, Ws] | [Mss, Nop, Nop, Sok, Nop, Ws] => Stack::Linux,
        [Mss, Nop, Ws, Nop, Nop, Sok] | [Mss, Nop, Nop, Sok] => Stack::Windows,
        [Mss, Nop, Ws, Nop, Nop, Ts, Sok] | [Mss, Nop, Ws, Sok, Ts] => Stack::BsdApple,
        _ => Stack::Unknown,
    }
}

/// The family an initial TTL points to: 128 Windows, 64 none (Linux,
/// FreeBSD and macOS alike), anything else none of ours.
pub fn ttl_family(initial: u8) -> Option<Stack> {
    match initial {
        128 => Some(Stack::Windows),
        64 => None,
        _ => Some(Stack::Unknown),
    }
}

/// Guesses the stack from a SYN's print (kept in the guess).
pub fn guess(p: SynPrint) -> StackGuess {
    let mut evidence = Evidence::new();
    let initial = initial_ttl(p.ttl);
    evidence.push(Clue::InitialTtl {
        observed: p.ttl,
        initial,
    });
    let by_ttl = ttl_family(initial);
    let family = layout_family(&p.layout);
    if family != Stack::Unknown {
        evidence.push(Clue::Layout(family));
    }
    // Linux rounds its initial window to the MSS, less the 12 bytes of the
    // timestamps option when they are on (a SYN-ACK's `mss - 12`).
    let ts = p.layout.contains(&Kind::Ts);
    let unit = p.mss.into_iter().flat_map(|m| {
        [(m, false), (m.saturating_sub(12), true)]
            .into_iter()
            .filter(move |&(u, less)| u > 0 && (!less || ts))
    });
    let mss_multiple = unit
        .filter(|&(u, _)| p.window.is_multiple_of(u) && p.window / u >= 2)
        .map(|(u, less_timestamps)| Clue::WindowMssMultiple {
            factor: p.window / u,
            less_timestamps,
        })
        .next();
    let window = match (mss_multiple, p.window) {
        (Some(clue), _) if family == Stack::Linux => {
            evidence.push(clue);
            Some(Stack::Linux)
        }
        (_, 8192 | 16384) if family == Stack::Windows => Some(Stack::Windows),
        (_, 65535) if matches!(family, Stack::Windows | Stack::BsdApple) => Some(family),
        _ => None,
    };
    if let Some(w) = window
        && !matches!(evidence.last(), Some(Clue::WindowMssMultiple { .. }))
    {
        evidence.push(Clue::Window(w));
    }
    let ttl_agrees = match by_ttl {
        None => family != Stack::Windows,
        Some(s) => s == family,
    };
    let (stack, confidence) = if family == Stack::Unknown {
        match by_ttl {
            Some(Stack::Windows) => (Stack::Windows, Confidence::Low),
            _ => (Stack::Unknown, Confidence::Low),
        }
    } else if !ttl_agrees {
        (Stack::Unknown, Confidence::Low)
    } else if window.is_some() {
        (family, Confidence::High)
    } else {
        (family, Confidence::Medium)
    };
    StackGuess {
        stack,
        confidence,
        evidence,
        print: p,
    }
}

#[cfg(test)]
mod tests {
    use super::Kind::*;
    use super::*;

    fn print(ttl: u8, window: u16, layout: &[Kind], mss: u16, wscale: Option<u8>) -> SynPrint {
        SynPrint {
            ttl,
            window,
            layout: OptionLayout::from(layout),
            mss: Some(mss),
            wscale,
        }
    }

    #[test]
    fn the_labs_linux_syn() {
        // DESIGN.md's lab SYN: TTL 64, win 59220, [mss 8460, sackOK, TS, nop,
        // wscale 10]: p0f's Linux layout; 59220 = 7 x 8460.
        let g = guess(print(64, 59220, &[Mss, Sok, Ts, Nop, Ws], 8460, Some(10)));
        assert_eq!((g.stack, g.confidence), (Stack::Linux, Confidence::High));
        assert!(g.evidence.contains(&Clue::WindowMssMultiple {
            factor: 7,
            less_timestamps: false
        }));
        // Its SYN-ACK: win 59136 = 7 x (8460 - 12), the timestamps option's
        // 12 bytes taken off the MSS.
        let g = guess(print(64, 59136, &[Mss, Sok, Ts, Nop, Ws], 8460, Some(10)));
        assert_eq!((g.stack, g.confidence), (Stack::Linux, Confidence::High));
        assert!(g.evidence.contains(&Clue::WindowMssMultiple {
            factor: 7,
            less_timestamps: true
        }));
        // Three hops away (TTL 61) it is still an initial 64.
        let g = guess(print(61, 64240, &[Mss, Sok, Ts, Nop, Ws], 1460, Some(7)));
        assert_eq!(g.stack, Stack::Linux);
        assert!(g.evidence.contains(&Clue::InitialTtl {
            observed: 61,
            initial: 64
        }));
    }

    #[test]
    fn windows_7_and_later() {
        // p0f: `*:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0`.
        let g = guess(print(
            128,
            8192,
            &[Mss, Nop, Ws, Nop, Nop, Sok],
            1460,
            Some(8),
        ));
        assert_eq!((g.stack, g.confidence), (Stack::Windows, Confidence::High));
        // Windows 10's 64240 window is no Windows default p0f lists: medium.
        let g = guess(print(
            127,
            64240,
            &[Mss, Nop, Ws, Nop, Nop, Sok],
            1460,
            Some(8),
        ));
        assert_eq!(
            (g.stack, g.confidence),
            (Stack::Windows, Confidence::Medium)
        );
    }

    #[test]
    fn macos_and_freebsd() {
        // p0f: macOS `*:64:0:*:65535,6:mss,nop,ws,nop,nop,ts,sok,eol+1`,
        // FreeBSD 9+ `*:64:0:*:65535,6:mss,nop,ws,sok,ts`.
        let mac = [Mss, Nop, Ws, Nop, Nop, Ts, Sok, Eol];
        let g = guess(print(64, 65535, &mac, 1460, Some(6)));
        assert_eq!((g.stack, g.confidence), (Stack::BsdApple, Confidence::High));
        let g = guess(print(64, 65535, &[Mss, Nop, Ws, Sok, Ts], 1460, Some(6)));
        assert_eq!(g.stack, Stack::BsdApple);
    }

    #[test]
    fn contradictions_and_strangers_are_unknown() {
        // A Linux layout with an initial TTL of 128: something rewrote it.
        let g = guess(print(128, 64240, &[Mss, Sok, Ts, Nop, Ws], 1460, Some(7)));
        assert_eq!((g.stack, g.confidence), (Stack::Unknown, Confidence::Low));
        // hping3's bare SYN: no options at all, TTL 64.
        let g = guess(SynPrint {
            ttl: 64,
            window: 512,
            layout: OptionLayout::new(),
            mss: None,
            wscale: None,
        });
        assert_eq!(g.stack, Stack::Unknown);
        // Solaris 8 puts the MSS last: not a family we know.
        let g = guess(print(
            64,
            32850,
            &[Nop, Ws, Nop, Nop, Ts, Nop, Nop, Sok, Mss],
            1460,
            Some(1),
        ));
        assert_eq!(g.stack, Stack::Unknown);
    }

    #[test]
    fn backoff_schedules() {
        // Linux 6.5+ defaults (1 s five times, then doubling) and FreeBSD's /
        // XNU's tcp_syn_backoff table times 1 s give the same first ten intervals.
        let table = [1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0];
        assert!(backoff_fits(Stack::Linux, &table));
        assert!(backoff_fits(Stack::BsdApple, &table));
        assert!(!backoff_fits(Stack::Windows, &table));
        // Linux before 6.5: doubling from 1 s; not the BSD table (1 s five times).
        assert!(backoff_fits(Stack::Linux, &[1.0, 2.0, 4.0]));
        assert!(!backoff_fits(Stack::BsdApple, &[1.0, 2.0, 4.0]));
        // Windows: TcpInitialRTT 3 s, doubling.
        assert!(backoff_fits(Stack::Windows, &[3.0, 6.0]));
        assert!(!backoff_fits(Stack::Linux, &[3.0, 6.0]));
        // The table past its end stays at 64 s.
        let mut long = table.to_vec();
        long.extend([64.0, 64.0, 64.0, 64.0]);
        assert!(backoff_fits(Stack::BsdApple, &long));
        // A medium guess whose backoff fits becomes high; one that does not, low.
        let mut g = guess(print(
            127,
            64240,
            &[Mss, Nop, Ws, Nop, Nop, Sok],
            1460,
            Some(8),
        ));
        assert_eq!(g.confidence, Confidence::Medium);
        add_backoff(&mut g, &[3.0, 6.0]);
        assert_eq!((g.stack, g.confidence), (Stack::Windows, Confidence::High));
        add_backoff(&mut g, &[1.0, 2.0]);
        assert_eq!((g.stack, g.confidence), (Stack::Windows, Confidence::Low));
    }

    #[test]
    fn initial_ttls() {
        assert_eq!(
            [1, 32, 33, 64, 65, 128, 129, 255].map(initial_ttl),
            [32, 32, 64, 64, 128, 128, 255, 255]
        );
    }
}

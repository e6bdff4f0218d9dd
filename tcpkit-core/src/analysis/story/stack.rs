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
//! The layout decides the family; the initial TTL and the window agree or
//! not, which sets the confidence. A layout p0f does not list, or a TTL that
//! contradicts it, gives [`Stack::Unknown`] with the evidence collected.
//! Not yet used by the story; the SYN retransmission schedule and the
//! timestamp clock rate are not read yet.

use crate::wire::{Segment, TcpOption};

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

/// A clue and what it points to.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    pub layout: Vec<Kind>,
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
            layout: Vec::new(),
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
            if !(k == Kind::Eol && p.layout.last() == Some(&Kind::Eol)) {
                p.layout.push(k);
            }
        }
        p
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
    pub evidence: Vec<Clue>,
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

/// Guesses the stack from a SYN's print.
pub fn guess(p: &SynPrint) -> StackGuess {
    let mut evidence = Vec::new();
    let initial = initial_ttl(p.ttl);
    evidence.push(Clue::InitialTtl {
        observed: p.ttl,
        initial,
    });
    let by_ttl = match initial {
        128 => Some(Stack::Windows),
        64 => None, // Linux, FreeBSD and macOS alike
        _ => Some(Stack::Unknown),
    };
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
            layout: layout.to_vec(),
            mss: Some(mss),
            wscale,
        }
    }

    #[test]
    fn the_labs_linux_syn() {
        // DESIGN.md's lab SYN: TTL 64, win 59220, [mss 8460, sackOK, TS, nop,
        // wscale 10]: p0f's Linux layout; 59220 = 7 x 8460.
        let g = guess(&print(64, 59220, &[Mss, Sok, Ts, Nop, Ws], 8460, Some(10)));
        assert_eq!((g.stack, g.confidence), (Stack::Linux, Confidence::High));
        assert!(g.evidence.contains(&Clue::WindowMssMultiple {
            factor: 7,
            less_timestamps: false
        }));
        // Its SYN-ACK: win 59136 = 7 x (8460 - 12), the timestamps option's
        // 12 bytes taken off the MSS.
        let g = guess(&print(64, 59136, &[Mss, Sok, Ts, Nop, Ws], 8460, Some(10)));
        assert_eq!((g.stack, g.confidence), (Stack::Linux, Confidence::High));
        assert!(g.evidence.contains(&Clue::WindowMssMultiple {
            factor: 7,
            less_timestamps: true
        }));
        // Three hops away (TTL 61) it is still an initial 64.
        let g = guess(&print(61, 64240, &[Mss, Sok, Ts, Nop, Ws], 1460, Some(7)));
        assert_eq!(g.stack, Stack::Linux);
        assert!(g.evidence.contains(&Clue::InitialTtl {
            observed: 61,
            initial: 64
        }));
    }

    #[test]
    fn windows_7_and_later() {
        // p0f: `*:128:0:*:8192,8:mss,nop,ws,nop,nop,sok:df,id+:0`.
        let g = guess(&print(
            128,
            8192,
            &[Mss, Nop, Ws, Nop, Nop, Sok],
            1460,
            Some(8),
        ));
        assert_eq!((g.stack, g.confidence), (Stack::Windows, Confidence::High));
        // Windows 10's 64240 window is no Windows default p0f lists: medium.
        let g = guess(&print(
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
        let g = guess(&print(64, 65535, &mac, 1460, Some(6)));
        assert_eq!((g.stack, g.confidence), (Stack::BsdApple, Confidence::High));
        let g = guess(&print(64, 65535, &[Mss, Nop, Ws, Sok, Ts], 1460, Some(6)));
        assert_eq!(g.stack, Stack::BsdApple);
    }

    #[test]
    fn contradictions_and_strangers_are_unknown() {
        // A Linux layout with an initial TTL of 128: something rewrote it.
        let g = guess(&print(128, 64240, &[Mss, Sok, Ts, Nop, Ws], 1460, Some(7)));
        assert_eq!((g.stack, g.confidence), (Stack::Unknown, Confidence::Low));
        // hping3's bare SYN: no options at all, TTL 64.
        let g = guess(&SynPrint {
            ttl: 64,
            window: 512,
            layout: vec![],
            mss: None,
            wscale: None,
        });
        assert_eq!(g.stack, Stack::Unknown);
        // Solaris 8 puts the MSS last: not a family we know.
        let g = guess(&print(
            64,
            32850,
            &[Nop, Ws, Nop, Nop, Ts, Nop, Nop, Sok, Mss],
            1460,
            Some(1),
        ));
        assert_eq!(g.stack, Stack::Unknown);
    }

    #[test]
    fn initial_ttls() {
        assert_eq!(
            [1, 32, 33, 64, 65, 128, 129, 255].map(initial_ttl),
            [32, 32, 64, 64, 128, 128, 255, 255]
        );
    }
}

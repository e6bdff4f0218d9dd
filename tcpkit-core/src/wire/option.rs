//! TCP options (RFC 9293, 3.1): a zero-copy iterator over the option bytes.
//!
//! "An option may begin on any octet boundary. There are two cases for the
//! format of an option: Case 1: A single octet of option-kind. Case 2: An octet
//! of option-kind (Kind), an octet of option-length, and the actual
//! option-data octets."

use super::seq::SeqNumber;

/// Option kind numbers (IANA "TCP Option Kind Numbers").
pub mod kind {
    /// End of option list.
    pub const EOL: u8 = 0;
    /// No-operation.
    pub const NOP: u8 = 1;
    /// Maximum segment size.
    pub const MSS: u8 = 2;
    /// Window scale (RFC 7323).
    pub const WSCALE: u8 = 3;
    /// SACK permitted (RFC 2018).
    pub const SACK_PERM: u8 = 4;
    /// SACK blocks (RFC 2018).
    pub const SACK: u8 = 5;
    /// Timestamps (RFC 7323).
    pub const TIMESTAMPS: u8 = 8;
    /// MD5 signature (RFC 2385).
    pub const MD5: u8 = 19;
    /// User timeout (RFC 5482).
    pub const USER_TIMEOUT: u8 = 28;
    /// TCP authentication option (RFC 5925).
    pub const AO: u8 = 29;
    /// Multipath TCP (RFC 8684).
    pub const MPTCP: u8 = 30;
    /// TCP Fast Open cookie (RFC 7413).
    pub const FAST_OPEN: u8 = 34;
    /// AccECN order 0.
    pub const ACCECN0: u8 = 172;
    /// AccECN order 1.
    pub const ACCECN1: u8 = 174;
    /// RFC 3692-style experiment 1.
    pub const EXPERIMENTAL1: u8 = 253;
    /// RFC 3692-style experiment 2.
    pub const EXPERIMENTAL2: u8 = 254;
}

/// Experiment identifiers (RFC 6994) of the experimental kinds 253 and 254.
pub mod exid {
    /// TCP Fast Open before kind 34 was assigned (RFC 7413, 4.1.1).
    pub const FAST_OPEN: u16 = 0xf989;
    /// AccECN order 0 (draft-ietf-tcpm-accurate-ecn, experimental form).
    pub const ACCECN0: u16 = 0xacc0;
    /// AccECN order 1.
    pub const ACCECN1: u16 = 0xacc1;
}

/// One decoded TCP option, borrowing its data from the segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TcpOption<'a> {
    /// End of option list; the bytes after it are padding.
    Eol,
    /// No-operation (padding between options).
    Nop,
    /// Maximum segment size.
    Mss(u16),
    /// Window scale shift count (not clamped: RFC 7323 says use 14 if larger).
    WindowScale(u8),
    /// SACK permitted.
    SackPermitted,
    /// SACK blocks: `(left edge, right edge)` pairs.
    Sack(SackBlocks<'a>),
    /// Timestamps: TSval and TSecr.
    Timestamps {
        /// Timestamp value of the sender.
        val: u32,
        /// Timestamp echo reply.
        ecr: u32,
    },
    /// MD5 signature (16-byte digest).
    Md5(&'a [u8]),
    /// TCP-AO: key ids and MAC.
    Ao {
        /// KeyID.
        key_id: u8,
        /// RNextKeyID.
        rnext_key_id: u8,
        /// Message authentication code.
        mac: &'a [u8],
    },
    /// User timeout: granularity bit (minutes when set) and the timeout.
    UserTimeout {
        /// `true`: minutes, `false`: seconds.
        minutes: bool,
        /// 15-bit timeout.
        timeout: u16,
    },
    /// Multipath TCP: subtype (high nibble of the first data byte) and data.
    Mptcp {
        /// MPTCP option subtype.
        subtype: u8,
        /// All option data after kind and length.
        data: &'a [u8],
    },
    /// TCP Fast Open cookie (empty: cookie request). `experimental` for kind 254 / exid 0xf989.
    FastOpen {
        /// The cookie bytes (empty for a cookie request).
        cookie: &'a [u8],
        /// Carried in the experimental kind 254 with exid 0xf989.
        experimental: bool,
    },
    /// Accurate ECN option (kind 172/174, or 254 with exid 0xacc0/0xacc1).
    AccEcn {
        /// 0 or 1: the order of the counters.
        order: u8,
        /// Counter bytes.
        data: &'a [u8],
        /// Carried in the experimental kind 254.
        experimental: bool,
    },
    /// A kind with a fixed length (MSS 4, window scale 3, SACK-permitted 2,
    /// timestamps 10, MD5 18, user timeout 4; SACK 2 + 8n; TCP-AO at least 4;
    /// MPTCP at least 3) whose length byte says otherwise. `data` is every byte
    /// after kind and length. tcpdump prints such an option with its normal
    /// name and value followed by `[len N]` (print-tcp.c reads only the
    /// specified data length and then compares it with the length byte).
    BadLength {
        /// Option kind.
        kind: u8,
        /// Option data (after kind and length), as long as the length byte says.
        data: &'a [u8],
    },
    /// Any other kind, with its data (after kind and length).
    Unknown {
        /// Option kind.
        kind: u8,
        /// Option data.
        data: &'a [u8],
    },
}

/// A malformed or cut option: iteration stops after it.
///
/// Two cases, as tcpdump tells them apart (print-tcp.c): the length byte is
/// below 2 or runs past the end of the option space the header's data offset
/// declares (`truncated == false`, tcpdump prints `[bad opt]`), or the option
/// lies within the declared header but the capture ends inside it
/// (`truncated == true`, tcpdump prints what was captured, then `[|tcp]`).
/// The captured bytes of the option are `options.bytes()[offset..]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionError {
    /// Offset of the option in the option bytes.
    pub offset: usize,
    /// The option kind.
    pub kind: u8,
    /// The length byte, when captured.
    pub len: Option<u8>,
    /// The option is cut by the end of the capture, not malformed.
    pub truncated: bool,
}

/// SACK blocks of one option, zero-copy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SackBlocks<'a>(&'a [u8]);

impl<'a> SackBlocks<'a> {
    /// Number of complete 8-byte blocks.
    pub fn len(&self) -> usize {
        self.0.len() / 8
    }

    /// No complete block.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The blocks as `(left, right)` edges.
    pub fn iter(&self) -> impl Iterator<Item = (SeqNumber, SeqNumber)> + 'a {
        self.0.chunks_exact(8).map(|c| {
            (
                SeqNumber(u32::from_be_bytes([c[0], c[1], c[2], c[3]])),
                SeqNumber(u32::from_be_bytes([c[4], c[5], c[6], c[7]])),
            )
        })
    }
}

/// The option bytes of a TCP header (as far as they were captured), and how
/// many option bytes the header's data offset declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Options<'a> {
    bytes: &'a [u8],
    declared: u8,
}

impl<'a> Options<'a> {
    /// Wraps complete option bytes (declared length = `bytes.len()`, at most 40
    /// bytes are meaningful; a longer slice is kept whole).
    pub fn new(bytes: &'a [u8]) -> Self {
        Self {
            bytes,
            declared: u8::try_from(bytes.len()).unwrap_or(u8::MAX),
        }
    }

    /// Wraps the captured option bytes of a header whose data offset declares
    /// `declared` option bytes (`data offset * 4 - 20`); `bytes` may be shorter
    /// when the snaplen cut the header.
    pub fn with_declared(bytes: &'a [u8], declared: u8) -> Self {
        Self {
            bytes,
            declared: declared.max(u8::try_from(bytes.len()).unwrap_or(u8::MAX)),
        }
    }

    /// The captured option bytes.
    pub fn bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Option bytes the header declares (data offset * 4 - 20).
    pub fn declared_len(&self) -> usize {
        usize::from(self.declared)
    }

    /// Fewer option bytes were captured than the header declares.
    pub fn is_truncated(&self) -> bool {
        self.bytes.len() < self.declared_len()
    }

    /// The captured bytes after the first well-formed EOL (RFC 9293: "used at
    /// the end of all options, not the end of each option ... the remainder of
    /// the header is padding"), or `None` without one. tcpdump shows non-zero
    /// padding after EOL; this is where a renderer finds it.
    pub fn after_eol(&self) -> Option<&'a [u8]> {
        let mut it = self.iter();
        loop {
            let at = it.offset();
            match it.next()? {
                Ok(TcpOption::Eol) => return self.bytes.get(at + 1..),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    }

    /// The Timestamps option's `(val, ecr)` when the options are exactly
    /// the layout RFC 7323 recommends for every segment after the handshake
    /// (Appendix A: NOP, NOP, Timestamps; 12 bytes, nothing else), which
    /// [`Options::iter`] would yield as `Nop`, `Nop`, `Timestamps`. `None`
    /// for any other layout: iterate then. A fast path for the hot loops.
    #[inline]
    pub fn usual_timestamps(&self) -> Option<(u32, u32)> {
        match *self.bytes {
            [
                kind::NOP,
                kind::NOP,
                kind::TIMESTAMPS,
                10,
                a,
                b,
                c,
                d,
                e,
                f,
                g,
                h,
            ] => Some((
                u32::from_be_bytes([a, b, c, d]),
                u32::from_be_bytes([e, f, g, h]),
            )),
            _ => None,
        }
    }

    /// Iterates the options; a malformed option is yielded as `Err` and ends it.
    pub fn iter(&self) -> OptionIter<'a> {
        OptionIter {
            bytes: self.bytes,
            declared: self.declared_len(),
            pos: 0,
        }
    }
}

impl<'a> IntoIterator for Options<'a> {
    type Item = Result<TcpOption<'a>, OptionError>;
    type IntoIter = OptionIter<'a>;
    fn into_iter(self) -> OptionIter<'a> {
        self.iter()
    }
}

/// Iterator over [`TcpOption`]s.
#[derive(Debug, Clone)]
pub struct OptionIter<'a> {
    bytes: &'a [u8],
    declared: usize,
    pos: usize,
}

impl<'a> OptionIter<'a> {
    /// Byte offset of the next option.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

/// Big-endian u16 at the start of `b` (0 when shorter; callers check lengths).
fn be16(b: &[u8]) -> u16 {
    match b {
        [x, y, ..] => u16::from_be_bytes([*x, *y]),
        _ => 0,
    }
}

/// Big-endian u32 at the start of `b` (0 when shorter; callers check lengths).
fn be32(b: &[u8]) -> u32 {
    match b {
        [a, b, c, d, ..] => u32::from_be_bytes([*a, *b, *c, *d]),
        _ => 0,
    }
}

/// Classifies one well-framed option (`kind`, `data` after kind and length).
#[inline]
fn classify(k: u8, data: &[u8]) -> TcpOption<'_> {
    let bad = TcpOption::BadLength { kind: k, data };
    match k {
        kind::MSS => match data {
            [_, _] => TcpOption::Mss(be16(data)),
            _ => bad,
        },
        kind::WSCALE => match data {
            [s] => TcpOption::WindowScale(*s),
            _ => bad,
        },
        kind::SACK_PERM if data.is_empty() => TcpOption::SackPermitted,
        kind::SACK if data.len().is_multiple_of(8) => TcpOption::Sack(SackBlocks(data)),
        kind::TIMESTAMPS if data.len() == 8 => TcpOption::Timestamps {
            val: be32(data),
            ecr: be32(data.get(4..).unwrap_or_default()),
        },
        kind::MD5 if data.len() == 16 => TcpOption::Md5(data),
        kind::AO => match data {
            [key_id, rnext_key_id, mac @ ..] => TcpOption::Ao {
                key_id: *key_id,
                rnext_key_id: *rnext_key_id,
                mac,
            },
            _ => bad,
        },
        kind::USER_TIMEOUT if data.len() == 2 => {
            let v = be16(data);
            TcpOption::UserTimeout {
                minutes: v & 0x8000 != 0,
                timeout: v & 0x7fff,
            }
        }
        kind::MPTCP => match data.first() {
            Some(b) => TcpOption::Mptcp {
                subtype: b >> 4,
                data,
            },
            None => bad,
        },
        kind::FAST_OPEN => TcpOption::FastOpen {
            cookie: data,
            experimental: false,
        },
        kind::ACCECN0 | kind::ACCECN1 => TcpOption::AccEcn {
            order: u8::from(k == kind::ACCECN1),
            data,
            experimental: false,
        },
        kind::EXPERIMENTAL1 | kind::EXPERIMENTAL2 => match data {
            [x, y, rest @ ..] => match u16::from_be_bytes([*x, *y]) {
                exid::FAST_OPEN => TcpOption::FastOpen {
                    cookie: rest,
                    experimental: true,
                },
                exid::ACCECN0 => TcpOption::AccEcn {
                    order: 0,
                    data: rest,
                    experimental: true,
                },
                exid::ACCECN1 => TcpOption::AccEcn {
                    order: 1,
                    data: rest,
                    experimental: true,
                },
                _ => TcpOption::Unknown { kind: k, data },
            },
            _ => TcpOption::Unknown { kind: k, data },
        },
        kind::SACK_PERM | kind::SACK | kind::TIMESTAMPS | kind::MD5 | kind::USER_TIMEOUT => bad,
        _ => TcpOption::Unknown { kind: k, data },
    }
}

impl<'a> Iterator for OptionIter<'a> {
    type Item = Result<TcpOption<'a>, OptionError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let rest = self.bytes.get(self.pos..)?;
        let (&k, after_kind) = rest.split_first()?;
        let offset = self.pos;
        match k {
            kind::EOL => {
                // RFC 9293: EOL ends the list; what follows is padding.
                self.pos = self.bytes.len();
                return Some(Ok(TcpOption::Eol));
            }
            kind::NOP => {
                self.pos += 1;
                return Some(Ok(TcpOption::Nop));
            }
            _ => {}
        }
        // Room the header declares from this option on (never less than captured).
        let declared_rest = self.declared.saturating_sub(offset).max(rest.len());
        let mut fail = |len: Option<u8>, truncated| {
            self.pos = self.bytes.len();
            Some(Err(OptionError {
                offset,
                kind: k,
                len,
                truncated,
            }))
        };
        let Some(&len) = after_kind.first() else {
            // The length byte itself is missing: cut by the capture when the
            // header declares more bytes, else the option space ends here.
            return fail(None, declared_rest > rest.len());
        };
        let n = usize::from(len);
        if len < 2 || n > declared_rest {
            return fail(Some(len), false);
        }
        let Some(data) = rest.get(2..n) else {
            return fail(Some(len), true);
        };
        self.pos += n;
        Some(Ok(classify(k, data)))
    }
}

impl core::iter::FusedIterator for OptionIter<'_> {}

impl<'a> SackBlocks<'a> {
    /// The raw block bytes (a multiple of 8).
    pub fn bytes(&self) -> &'a [u8] {
        self.0
    }
}

#[cfg(test)]
mod tests;

//! Window scaling (RFC 7323, 2.2): the shift a side announced in its SYN
//! applies to the windows it sends, but only if both SYN and SYN-ACK carried the
//! option: "If a Window Scale option is received in a `<SYN>` segment ... and
//! the other side also sent one, window scaling is enabled in both directions."
//! "The window field in a segment where the SYN bit is set ... MUST NOT be scaled."
//!
//! The rules below are tshark's (`verify_tcp_window_scaling` in packet-tcp.c):
//! a side's factor stays unknown until its SYN (or SYN-ACK) is seen.

use super::WindowScale;

/// A side's scaling state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scale {
    /// Not known (handshake not seen): tshark -1.
    Unknown,
    /// Known not to be used: tshark -2.
    NotUsed,
    /// The announced shift, clamped to 14 (RFC 7323: "use 14 instead").
    Shift(u8),
}

impl Scale {
    /// The public form.
    pub fn public(self) -> WindowScale {
        match self {
            Scale::Unknown => WindowScale::Unknown,
            Scale::NotUsed => WindowScale::NotUsed,
            Scale::Shift(s) => WindowScale::Shift(s),
        }
    }

    /// The shift to apply to a window field (0 unless a shift is known).
    pub fn shift(self) -> u32 {
        match self {
            Scale::Shift(s) => u32::from(s),
            _ => 0,
        }
    }
}

/// Applies the handshake rules after a SYN (`is_synack` false) or SYN-ACK has
/// been seen and its own Window Scale option (if any) recorded in `fwd`.
pub(crate) fn verify(is_synack: bool, fwd: &mut Scale, rev: &mut Scale) {
    if *fwd == Scale::Unknown {
        // This SYN (or SYN-ACK) had no option: nobody scales. The reverse side
        // is set too in case its SYN-ACK is never seen.
        *fwd = Scale::NotUsed;
        *rev = Scale::NotUsed;
    } else if is_synack && *rev == Scale::NotUsed {
        // SYN-ACK with the option answering a SYN without it: not used.
        *fwd = Scale::NotUsed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_sides_announce() {
        let (mut c, mut s) = (Scale::Shift(7), Scale::Unknown);
        verify(false, &mut c, &mut s); // SYN with wscale 7
        assert_eq!((c, s), (Scale::Shift(7), Scale::Unknown));
        s = Scale::Shift(10); // SYN-ACK with wscale 10
        verify(true, &mut s, &mut c);
        assert_eq!((c, s), (Scale::Shift(7), Scale::Shift(10)));
    }

    #[test]
    fn syn_without_option_disables_both() {
        let (mut c, mut s) = (Scale::Unknown, Scale::Unknown);
        verify(false, &mut c, &mut s);
        assert_eq!((c, s), (Scale::NotUsed, Scale::NotUsed));
        // The SYN-ACK's option cannot turn it back on.
        s = Scale::Shift(10);
        verify(true, &mut s, &mut c);
        assert_eq!(s, Scale::NotUsed);
    }

    #[test]
    fn synack_without_option_disables_both() {
        let (mut c, mut s) = (Scale::Shift(7), Scale::Unknown);
        verify(false, &mut c, &mut s);
        verify(true, &mut s, &mut c);
        assert_eq!((c, s), (Scale::NotUsed, Scale::NotUsed));
        assert_eq!(WindowScale::NotUsed.tshark_value(), -2);
    }
}

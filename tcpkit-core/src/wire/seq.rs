//! TCP sequence numbers: 32-bit values compared modulo 2^32.
//!
//! RFC 9293, 3.4: "it is essential to remember that the actual sequence number
//! space is finite, though very large ... all arithmetic dealing with sequence
//! numbers must be performed modulo 2**32."

use core::cmp::Ordering;
use core::fmt;
use core::ops::{Add, Sub};

/// A TCP sequence or acknowledgment number with wrapping arithmetic.
///
/// Ordering is the RFC 1982 serial-number order: `a < b` when `b - a`,
/// taken modulo 2^32, is in `1..2^31`. It is not a total order (a value and its
/// opposite across the circle compare by the sign of the 32-bit difference).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct SeqNumber(pub u32);

impl SeqNumber {
    /// The signed distance from `other` to `self` (`self - other`) in the
    /// circular sequence space, in `-2^31..2^31`.
    #[inline]
    pub fn diff(self, other: SeqNumber) -> i32 {
        self.0.wrapping_sub(other.0) as i32
    }

    /// `self` strictly after `other`.
    #[inline]
    pub fn after(self, other: SeqNumber) -> bool {
        self.diff(other) > 0
    }

    /// `self` strictly before `other`.
    #[inline]
    pub fn before(self, other: SeqNumber) -> bool {
        self.diff(other) < 0
    }
}

impl Add<u32> for SeqNumber {
    type Output = SeqNumber;
    #[inline]
    fn add(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_add(rhs))
    }
}

impl Sub<u32> for SeqNumber {
    type Output = SeqNumber;
    #[inline]
    fn sub(self, rhs: u32) -> SeqNumber {
        SeqNumber(self.0.wrapping_sub(rhs))
    }
}

impl Sub for SeqNumber {
    type Output = i32;
    #[inline]
    fn sub(self, rhs: SeqNumber) -> i32 {
        self.diff(rhs)
    }
}

impl PartialOrd for SeqNumber {
    #[inline]
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.diff(*other).cmp(&0))
    }
}

impl fmt::Display for SeqNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_across_zero() {
        let a = SeqNumber(u32::MAX - 1);
        let b = a + 4; // 2
        assert_eq!(b, SeqNumber(2));
        assert!(b.after(a));
        assert!(a.before(b));
        assert_eq!(b - a, 4);
        assert_eq!(a - b, -4);
    }

    #[test]
    fn equal_is_neither_before_nor_after() {
        let a = SeqNumber(7);
        assert!(!a.after(a) && !a.before(a));
        assert_eq!(a.partial_cmp(&a), Some(Ordering::Equal));
    }
}

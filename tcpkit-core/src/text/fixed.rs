//! Floats with a fixed number of decimals, as `format!("{x:.N}")` writes
//! them, without the float formatting machinery (which takes a thousand
//! instructions and more a number): the text prints several per line.
//!
//! `{x:.N}` is the exact value of the binary float rounded to `N` decimals,
//! a tie to the even digit. The exact value of a non-negative `x` below
//! 2^64 is its integer part plus a fraction `m * 2^-k` (`m` < 2^53): the
//! fraction times 10^N is `m * 10^N / 2^k`, whose rounding needs only a
//! 128-bit product, a shift and a comparison with the half. Anything else
//! (negative, not finite, 2^64 or more, more than nine decimals) goes
//! through `core::fmt`.

use crate::wire::{decimal_text, nine_digits_text};
use std::fmt;

/// `x` with `decimals` digits after the point, as `{x:.decimals$}` writes it.
/// For a plain `{}` (no width, fill or sign of its own).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Fixed(pub f64, pub usize);

impl fmt::Display for Fixed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_fixed(f, self.0, self.1)
    }
}

/// Writes [`Fixed`]`(x, decimals)` into `w` (into a `String`: no formatting
/// machinery at all, for a number the fast path takes).
#[inline]
pub(crate) fn write_fixed<W: fmt::Write + ?Sized>(
    w: &mut W,
    x: f64,
    decimals: usize,
) -> fmt::Result {
    let mut text = [0u8; FIXED_MAX];
    match fixed_text(x, decimals, &mut text) {
        Some(n) => w.write_str(
            text.get(..n)
                .and_then(|t| std::str::from_utf8(t).ok())
                .unwrap_or_default(),
        ),
        None => write!(w, "{x:.decimals$}"),
    }
}

/// The longest text of [`fixed_text`]: 20 digits, the point, nine decimals
/// (and the scratch bytes of the digit writers).
const FIXED_MAX: usize = 48;

/// Writes `x` with `decimals` digits after the point (rounded half to even)
/// at the start of `dst` and returns its length; `None` for what it leaves
/// to `core::fmt` (see the module doc).
fn fixed_text(x: f64, decimals: usize, dst: &mut [u8; FIXED_MAX]) -> Option<usize> {
    // 2^64 as a float: the integer parts below it fit a u64.
    const TWO_64: f64 = 18_446_744_073_709_551_616.0;
    if x.is_sign_negative() || !x.is_finite() || x >= TWO_64 || decimals > 9 {
        return None;
    }
    // Exact: x is below 2^64, its fraction is a float too.
    let mut int = x as u64;
    let frac = x - int as f64;
    let scale = 10u64.pow(decimals as u32);
    let mut scaled = round_scaled(frac, scale, int & 1 == 1);
    if scaled == scale {
        // The fraction rounded up to one.
        int += 1;
        scaled = 0;
    }
    let int_digits = dst.first_chunk_mut::<24>()?;
    let mut n = decimal_text(int, int_digits);
    if decimals > 0 {
        *dst.get_mut(n)? = b'.';
        // The decimals are the first of nine digits of scaled * 10^(9 - N).
        let nine = dst.get_mut(n + 1..)?.first_chunk_mut::<9>()?;
        nine_digits_text(scaled * 10u64.pow(9 - decimals as u32), nine);
        n += 1 + decimals;
    }
    Some(n)
}

/// `frac` (0 <= frac < 1) times `scale` (<= 10^9), rounded half to even:
/// the last digit kept is the integer part's (`int_odd`) when `scale` is 1.
fn round_scaled(frac: f64, scale: u64, int_odd: bool) -> u64 {
    if frac == 0.0 {
        return 0;
    }
    // frac = m * 2^-k exactly (a subnormal has no implicit bit).
    let bits = frac.to_bits();
    let exp = ((bits >> 52) & 0x7ff) as u32;
    let mantissa = bits & ((1 << 52) - 1);
    let (m, k) = if exp == 0 {
        (mantissa, 1074)
    } else {
        (mantissa | 1 << 52, 1075 - exp)
    };
    // m * scale < 2^83: below half of 2^k when k > 84, so it rounds to 0.
    if k > 84 {
        return 0;
    }
    let v = u128::from(m) * u128::from(scale);
    let q = v >> k;
    let rest = v & ((1u128 << k) - 1);
    let half = 1u128 << (k - 1);
    let odd = if scale == 1 { int_odd } else { q & 1 == 1 };
    let up = rest > half || (rest == half && odd);
    (q + u128::from(up)) as u64
}

#[cfg(test)]
mod tests {
    use super::Fixed;

    /// std's `{x:.N}` is the oracle.
    fn check(x: f64) {
        for n in 0..=9 {
            assert_eq!(Fixed(x, n).to_string(), format!("{x:.n$}"), "{x:e} .{n}");
        }
    }

    #[test]
    fn as_std_on_ties_and_edges() {
        // Exact ties at every decimal count (k / 2^j), their neighbours,
        // carries into the integer part, powers of two and of ten.
        for j in 0..=12 {
            for k in 0..=(3u64 << j) {
                let x = k as f64 / (1u64 << j) as f64;
                check(x);
                check(f64::from_bits(x.to_bits() + 1));
                if x > 0.0 {
                    check(f64::from_bits(x.to_bits() - 1));
                }
            }
        }
        for e in -1074..64 {
            check(2f64.powi(e));
        }
        for e in -20..20 {
            check(10f64.powi(e));
            check(0.5 * 10f64.powi(e));
        }
        for x in [0.0, 0.999_999_999_5, 9.999_999_999_5, 1e19, 1.8e19, 5e-324] {
            check(x);
        }
    }

    #[test]
    fn as_std_on_times() {
        // Nanoseconds as the text makes them: seconds, ms and µs of them.
        let mut state = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..20_000 {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            let r = state.wrapping_mul(0x2545_f491_4f6c_dd1d);
            let ns = r >> (r % 64);
            let s = ns as f64 / 1e9;
            for x in [s, s * 1e3, s * 1e6, f64::from_bits(r >> 1)] {
                check(x);
            }
        }
    }

    #[test]
    fn the_rest_as_std() {
        for x in [-0.0, -1.25, -1e-9, f64::NAN, f64::INFINITY, 2e19, 1e300] {
            check(x);
        }
    }
}

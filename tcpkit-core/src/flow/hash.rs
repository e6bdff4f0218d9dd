//! A fast, non-cryptographic hasher for the connection table, seeded per process.
//!
//! The table is keyed by 4-tuples an attacker can choose (a SYN flood picks
//! ports freely), so the hash is seeded from std's `RandomState` once per
//! process; the mixing itself is the FxHash multiply-rotate step, which costs
//! a few cycles per word instead of SipHash's rounds.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

const K: u64 = 0xf135_7aea_2e62_a9c5;

/// Builds [`FastHasher`]s, all starting from the per-process random seed.
#[derive(Debug, Clone, Copy)]
pub struct FastHashBuilder {
    seed: u64,
}

impl Default for FastHashBuilder {
    fn default() -> Self {
        static SEED: OnceLock<u64> = OnceLock::new();
        let seed = *SEED.get_or_init(|| RandomState::new().hash_one(0x7463_706b_6974_u64) | 1);
        Self { seed }
    }
}

impl BuildHasher for FastHashBuilder {
    type Hasher = FastHasher;
    #[inline]
    fn build_hasher(&self) -> FastHasher {
        FastHasher { h: self.seed }
    }
}

/// FxHash-style word mixer (multiply, rotate) with a random initial state.
#[derive(Debug, Clone, Copy)]
pub struct FastHasher {
    h: u64,
}

impl FastHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.h = (self.h.rotate_left(5) ^ w).wrapping_mul(K);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w) ^ ((rest.len() as u64) << 56));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u16(&mut self, i: u16) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }
    #[inline]
    fn write_u128(&mut self, i: u128) {
        self.add(i as u64);
        self.add((i >> 64) as u64);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        // A final avalanche so that the low bits hashbrown uses depend on every input bit.
        let mut x = self.h;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::hash::Hash;

    fn h<T: Hash>(b: &FastHashBuilder, v: T) -> u64 {
        b.hash_one(v)
    }

    #[test]
    fn same_seed_same_hash_and_inputs_differ() {
        let b = FastHashBuilder::default();
        assert_eq!(h(&b, (1u32, 2u16)), h(&b, (1u32, 2u16)));
        assert_ne!(h(&b, (1u32, 2u16)), h(&b, (1u32, 3u16)));
        assert_ne!(h(&b, [1u8, 2, 3]), h(&b, [1u8, 2, 4]));
    }
}

//! Rows of integers kept compactly and exactly: each value is written as the
//! difference from the same column of the previous row (wrapping, so every
//! `i64` round-trips), zigzag-mapped and LEB128-encoded. The report keeps one
//! row per answered attempt and per established connection of the whole
//! capture (for [`Report::merge`](super::Report::merge)); consecutive rows
//! are close in time, so a row takes a few bytes a column instead of eight.
//! The bytes grow as one buffer up to [`CHUNK`], then in chunks of that size
//! (no doubling's spare half, no copy of the whole at a growth).

/// Bytes of a full chunk.
const CHUNK: usize = 64 << 10;

/// Rows of `K` integers in the order pushed.
#[derive(Debug, Clone)]
pub(crate) struct PackedRows<const K: usize> {
    /// Full chunks, each ending with a whole row.
    full: Vec<Box<[u8]>>,
    /// The chunk being written.
    tail: Vec<u8>,
    len: usize,
    /// The last row pushed (the base of the next one's differences).
    last: [i64; K],
}

impl<const K: usize> Default for PackedRows<K> {
    fn default() -> Self {
        Self {
            full: Vec::new(),
            tail: Vec::new(),
            len: 0,
            last: [0; K],
        }
    }
}

/// The most bytes a row of `k` values takes (10 per value).
const fn row_max(k: usize) -> usize {
    10 * k
}

impl<const K: usize> PackedRows<K> {
    /// Appends a row.
    pub fn push(&mut self, row: [i64; K]) {
        if self.tail.len() + row_max(K) > CHUNK {
            let full = std::mem::replace(&mut self.tail, Vec::with_capacity(CHUNK));
            self.full.push(full.into_boxed_slice());
        }
        for (v, prev) in row.iter().zip(&self.last) {
            let d = v.wrapping_sub(*prev);
            // Zigzag: small magnitudes, either sign, give small numbers.
            let mut z = ((d << 1) ^ (d >> 63)) as u64;
            while z >= 0x80 {
                self.tail.push((z as u8) | 0x80);
                z >>= 7;
            }
            self.tail.push(z as u8);
        }
        self.last = row;
        self.len += 1;
    }

    /// The rows, in the order pushed.
    pub fn iter(&self) -> Rows<'_, K> {
        Rows {
            chunks: &self.full,
            tail: &self.tail,
            bytes: &[],
            prev: [0; K],
            left: self.len,
        }
    }

    /// Appends `other`'s rows after these.
    pub fn append(&mut self, other: &Self) {
        for row in other.iter() {
            self.push(row);
        }
    }

    /// The same rows with `f` applied to each.
    pub fn map(&self, mut f: impl FnMut([i64; K]) -> [i64; K]) -> Self {
        let mut out = Self::default();
        for row in self.iter() {
            out.push(f(row));
        }
        out
    }
}

/// The rows of a [`PackedRows`].
#[derive(Debug, Clone)]
pub(crate) struct Rows<'a, const K: usize> {
    /// Full chunks not yet read.
    chunks: &'a [Box<[u8]>],
    /// The chunk being written, read after them.
    tail: &'a [u8],
    /// What is left of the chunk being read.
    bytes: &'a [u8],
    prev: [i64; K],
    left: usize,
}

impl<const K: usize> Iterator for Rows<'_, K> {
    type Item = [i64; K];

    fn next(&mut self) -> Option<[i64; K]> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        // Rows do not straddle chunks.
        while self.bytes.is_empty() {
            match self.chunks.split_first() {
                Some((c, rest)) => {
                    self.bytes = c;
                    self.chunks = rest;
                }
                None => self.bytes = std::mem::take(&mut self.tail),
            }
        }
        for p in &mut self.prev {
            let mut z = 0u64;
            let mut shift = 0;
            while let Some((&b, rest)) = self.bytes.split_first() {
                self.bytes = rest;
                z |= u64::from(b & 0x7f) << shift;
                shift += 7;
                if b < 0x80 {
                    break;
                }
            }
            let d = ((z >> 1) as i64) ^ -((z & 1) as i64);
            *p = p.wrapping_add(d);
        }
        Some(self.prev)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<const K: usize> ExactSizeIterator for Rows<'_, K> {}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any rows come back exactly, in order, also after an append and
        /// a map.
        #[test]
        fn rows_round_trip(rows in prop::collection::vec(any::<[i64; 3]>(), 0..200),
                           more in prop::collection::vec(any::<[i64; 3]>(), 0..50)) {
            let mut p = PackedRows::<3>::default();
            for r in &rows {
                p.push(*r);
            }
            prop_assert_eq!(p.iter().len(), rows.len());
            prop_assert_eq!(p.iter().collect::<Vec<_>>(), rows.clone());
            let mut q = PackedRows::<3>::default();
            for r in &more {
                q.push(*r);
            }
            p.append(&q);
            let all: Vec<_> = rows.iter().chain(&more).copied().collect();
            prop_assert_eq!(p.iter().collect::<Vec<_>>(), all.clone());
            let m = p.map(|[a, b, c]| [a.wrapping_add(1), b, c]);
            let want: Vec<_> = all.iter().map(|&[a, b, c]| [a.wrapping_add(1), b, c]).collect();
            prop_assert_eq!(m.iter().collect::<Vec<_>>(), want);
        }
    }

    /// Rows a millisecond apart take a few bytes each, not 8 per column:
    /// a difference of 1,000,000 ns is 21 bits, three 7-bit groups; 1 is one.
    #[test]
    fn close_rows_are_small() {
        let mut p = PackedRows::<2>::default();
        for i in 0..1000i64 {
            p.push([1_796_435_932_219_884_000 + i * 1_000_000, i]);
        }
        // The first row's absolute time takes 9 bytes.
        assert_eq!(p.tail.len(), 9 + 1 + 999 * (3 + 1));
    }

    /// Past one chunk the rows go on in further chunks, and come back.
    #[test]
    fn rows_span_chunks() {
        let mut p = PackedRows::<2>::default();
        let rows: Vec<[i64; 2]> = (0..100_000i64).map(|i| [i * 1_000_000, -i]).collect();
        for r in &rows {
            p.push(*r);
        }
        assert!(p.full.len() >= 5, "{} chunks", p.full.len());
        assert!(p.full.iter().all(|c| c.len() > CHUNK - row_max(2)));
        assert_eq!(p.iter().collect::<Vec<_>>(), rows);
    }
}

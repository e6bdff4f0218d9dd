//! Short lists kept in place. [`FixedList`] holds a bounded list: a SYN's
//! option layout (at most 40 kinds: its options take at most 40 bytes, RFC
//! 9293 3.1), a stack guess's clues (at most 4), the states an endpoint went
//! through (at most 5). [`SpillList`] holds the first few items of a list
//! most connections keep short (RTT samples, TSvals sent, original sends)
//! and moves to the heap past them. Every connection's story has two of
//! each, so a `Vec` would be an allocation apiece, and one more place to
//! read cold when the record is written.

use std::fmt;
use std::ops::Deref;

/// An item a [`FixedList`] can hold: copyable, with a value for the unused
/// room (never read as an item).
pub trait Filler: Copy {
    /// The value the unused room holds.
    const FILLER: Self;
}

impl Filler for u64 {
    const FILLER: Self = 0;
}

/// A list of at most `N` items (`N` at most 255) held in place, read as a
/// slice; a push beyond `N` is refused.
#[derive(Clone, Copy)]
pub struct FixedList<T: Filler, const N: usize> {
    items: [T; N],
    len: u8,
}

impl<T: Filler, const N: usize> FixedList<T, N> {
    /// The most items it holds.
    pub const CAPACITY: usize = {
        assert!(N <= u8::MAX as usize, "a FixedList holds at most 255 items");
        N
    };

    /// An empty list.
    pub const fn new() -> Self {
        Self {
            items: [T::FILLER; N],
            len: 0,
        }
    }

    /// Appends `x`; `false` (and nothing changes) when the list is full.
    pub fn push(&mut self, x: T) -> bool {
        let len = usize::from(self.len);
        match self.items.get_mut(len) {
            // (Naming CAPACITY checks N <= 255 when the type is built.)
            Some(slot) if len < Self::CAPACITY => {
                *slot = x;
                self.len += 1;
                true
            }
            _ => false,
        }
    }

    /// Keeps only the items `keep` says yes to, in order.
    pub fn retain(&mut self, mut keep: impl FnMut(&T) -> bool) {
        let mut kept = 0;
        for i in 0..usize::from(self.len) {
            let Some(&x) = self.items.get(i) else { break };
            if keep(&x) {
                if let Some(slot) = self.items.get_mut(kept) {
                    *slot = x;
                }
                kept += 1;
            }
        }
        // The room past `len` is never read: what is left there stays.
        self.len = kept as u8;
    }

    /// The items, in order.
    pub fn as_slice(&self) -> &[T] {
        self.items.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// The items, in order, to change in place.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.items
            .get_mut(..usize::from(self.len))
            .unwrap_or_default()
    }
}

impl<T: Filler, const N: usize> Default for FixedList<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Filler, const N: usize> Deref for FixedList<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<'a, T: Filler, const N: usize> IntoIterator for &'a FixedList<T, N> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.as_slice().iter()
    }
}

/// The first `N` items of `items` (the rest do not fit).
impl<T: Filler, const N: usize> From<&[T]> for FixedList<T, N> {
    fn from(items: &[T]) -> Self {
        let mut list = Self::new();
        for &x in items {
            if !list.push(x) {
                break;
            }
        }
        list
    }
}

impl<T: Filler + PartialEq, const N: usize> PartialEq for FixedList<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl<T: Filler + Eq, const N: usize> Eq for FixedList<T, N> {}

impl<T: Filler + fmt::Debug, const N: usize> fmt::Debug for FixedList<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// As a sequence, as a `Vec` of the items would be.
#[cfg(feature = "serde")]
impl<T: Filler + serde::Serialize, const N: usize> serde::Serialize for FixedList<T, N> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(self.as_slice())
    }
}

/// A list held in place while it has at most `N` items, moved to the heap
/// (with room for `2 N`) by the push that would overflow: for the lists
/// most connections keep short and a few make long (RTT samples).
#[derive(Clone)]
pub enum SpillList<T: Filler, const N: usize> {
    /// At most `N` items, in place.
    Inline(FixedList<T, N>),
    /// On the heap.
    Heap(Vec<T>),
}

impl<T: Filler, const N: usize> SpillList<T, N> {
    /// An empty list (in place).
    pub const fn new() -> Self {
        Self::Inline(FixedList::new())
    }

    /// Appends `x`.
    #[inline]
    pub fn push(&mut self, x: T) {
        match self {
            Self::Inline(l) => {
                if !l.push(x) {
                    self.spill(x);
                }
            }
            Self::Heap(v) => v.push(x),
        }
    }

    /// Moves the full list in place to the heap, then appends `x`: once in
    /// a list's life, out of the callers' way.
    #[cold]
    #[inline(never)]
    fn spill(&mut self, x: T) {
        let mut v = Vec::with_capacity(2 * N.max(1));
        v.extend_from_slice(self.as_slice());
        v.push(x);
        *self = Self::Heap(v);
    }

    /// Keeps only the items `keep` says yes to, in order.
    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        match self {
            Self::Inline(l) => l.retain(keep),
            Self::Heap(v) => v.retain(keep),
        }
    }

    /// Frees spare heap room, down to the items or `keep` if more.
    pub fn shrink_to(&mut self, keep: usize) {
        if let Self::Heap(v) = self {
            v.shrink_to(keep);
        }
    }

    /// The items, in order.
    pub fn as_slice(&self) -> &[T] {
        match self {
            Self::Inline(l) => l.as_slice(),
            Self::Heap(v) => v,
        }
    }

    /// The items, in order, to change in place.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        match self {
            Self::Inline(l) => l.as_mut_slice(),
            Self::Heap(v) => v,
        }
    }
}

impl<T: Filler, const N: usize> Default for SpillList<T, N> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Filler, const N: usize> Deref for SpillList<T, N> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Filler + fmt::Debug, const N: usize> fmt::Debug for SpillList<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Filler for u16 {
        const FILLER: Self = 0;
    }

    #[test]
    fn holds_up_to_its_capacity_and_refuses_more() {
        let mut l = FixedList::<u16, 3>::new();
        assert!(l.is_empty());
        assert!(l.push(7) && l.push(8) && l.push(9));
        assert!(!l.push(10), "a fourth item does not fit");
        assert_eq!(l.as_slice(), &[7, 8, 9]);
        assert_eq!(format!("{l:?}"), "[7, 8, 9]");
    }

    #[test]
    fn retain_keeps_the_order_and_frees_the_room() {
        let mut l = FixedList::<u16, 5>::from(&[1, 2, 3, 4, 5][..]);
        l.retain(|&x| x % 2 == 1);
        assert_eq!(l.as_slice(), &[1, 3, 5]);
        assert!(l.push(6) && l.push(7));
        assert!(!l.push(8));
        assert_eq!(l.as_slice(), &[1, 3, 5, 6, 7]);
    }

    #[test]
    fn a_spill_list_moves_to_the_heap_past_its_room_and_keeps_everything() {
        let mut l = SpillList::<u16, 3>::new();
        for x in 1..=3 {
            l.push(x);
        }
        assert!(matches!(l, SpillList::Inline(_)));
        l.push(4);
        assert!(matches!(&l, SpillList::Heap(v) if v.capacity() >= 6));
        assert_eq!(l.as_slice(), &[1, 2, 3, 4]);
        l.retain(|&x| x > 2);
        l.as_mut_slice().reverse();
        assert_eq!(l.as_slice(), &[4, 3]);
    }

    #[test]
    fn from_a_slice_keeps_what_fits_and_compares_by_items() {
        assert_eq!(
            FixedList::<u16, 2>::from(&[5, 6, 7][..]).as_slice(),
            &[5, 6]
        );
        let mut a = FixedList::<u16, 4>::new();
        assert!(a.push(1) && a.push(2));
        assert_eq!(a, FixedList::from(&[1, 2][..]));
        assert_ne!(a, FixedList::from(&[1, 2, 3][..]));
    }
}

//! The connection table: a hash map from [`FlowKey`] to a slot of a slab.
//!
//! Slots are recycled: a slot freed by a finished connection keeps its heap
//! buffers (the value decides what to keep through [`Slot::recycle`]), so that
//! in the steady state a new connection costs no allocation.

use super::FlowKey;
use super::hash::FastHashBuilder;
use std::collections::HashMap;

/// What a table value must offer so that its slot can be reused.
pub trait Slot {
    /// Forget the connection but keep reusable buffers.
    fn recycle(&mut self);
}

/// Slots per chunk of the slab (64 connections, about 40 KB: small enough for
/// the allocator to reuse freed chunks instead of mapping fresh pages).
const CHUNK: usize = 64;

/// A map from flow key to values stored in a recycled slab.
///
/// The slab grows by chunks of `CHUNK` (64) values that never move: growing it
/// copies no value and never holds two copies of the table at once.
#[derive(Debug)]
pub struct Table<V> {
    map: HashMap<FlowKey, u32, FastHashBuilder>,
    chunks: Vec<Vec<V>>,
    len: usize,
    keys: Vec<Option<FlowKey>>,
    free: Vec<u32>,
}

impl<V: Slot + Default> Default for Table<V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<V: Slot + Default> Table<V> {
    /// An empty table.
    pub fn new() -> Self {
        Self {
            map: HashMap::with_hasher(FastHashBuilder::default()),
            chunks: Vec::new(),
            len: 0,
            keys: Vec::new(),
            free: Vec::new(),
        }
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// No live entry.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The slot of `key`, if live.
    #[inline]
    pub fn find(&self, key: &FlowKey) -> Option<u32> {
        self.map.get(key).copied()
    }

    /// Inserts `key` into a fresh (recycled) slot and returns it. The key must not be live.
    pub fn insert(&mut self, key: FlowKey) -> u32 {
        let slot = match self.free.pop() {
            Some(s) => s,
            None => {
                if self.chunks.last().is_none_or(|c| c.len() == CHUNK) {
                    self.chunks.push(Vec::with_capacity(CHUNK));
                }
                if let Some(c) = self.chunks.last_mut() {
                    c.push(V::default());
                }
                self.keys.push(None);
                self.len += 1;
                (self.len - 1) as u32
            }
        };
        if let Some(k) = self.keys.get_mut(slot as usize) {
            *k = Some(key);
        }
        self.map.insert(key, slot);
        slot
    }

    /// Removes the entry in `slot`; the slot's value is recycled.
    pub fn remove(&mut self, slot: u32) {
        if let Some(k) = self.keys.get_mut(slot as usize).and_then(Option::take) {
            self.map.remove(&k);
            if let Some(v) = self.get_mut(slot) {
                v.recycle();
            }
            self.free.push(slot);
        }
    }

    /// The value in `slot`.
    #[inline]
    pub fn get(&self, slot: u32) -> Option<&V> {
        let s = slot as usize;
        self.chunks.get(s / CHUNK)?.get(s % CHUNK)
    }

    /// The value in `slot`, mutably.
    #[inline]
    pub fn get_mut(&mut self, slot: u32) -> Option<&mut V> {
        let s = slot as usize;
        self.chunks.get_mut(s / CHUNK)?.get_mut(s % CHUNK)
    }

    /// Number of slots, live or free (slots are `0..slab_len()`).
    #[inline]
    pub fn slab_len(&self) -> usize {
        self.len
    }

    /// Is `slot` live?
    #[inline]
    pub fn is_live(&self, slot: u32) -> bool {
        self.keys.get(slot as usize).is_some_and(Option::is_some)
    }

    /// The key of the live entry in `slot`.
    #[inline]
    pub fn key(&self, slot: u32) -> Option<&FlowKey> {
        self.keys.get(slot as usize).and_then(Option::as_ref)
    }

    /// Slots of all live entries (in slab order).
    pub fn live_slots(&self) -> impl Iterator<Item = u32> + '_ {
        self.keys
            .iter()
            .enumerate()
            .filter(|(_, k)| k.is_some())
            .map(|(i, _)| i as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::super::Endpoint;
    use super::*;

    #[derive(Default, Debug)]
    struct V {
        buf: Vec<u8>,
        used: bool,
    }
    impl Slot for V {
        fn recycle(&mut self) {
            self.buf.clear();
            self.used = false;
        }
    }

    fn key(port: u16) -> FlowKey {
        let a = Endpoint {
            ip: "10.0.0.1".parse().unwrap(),
            port,
        };
        let b = Endpoint {
            ip: "10.0.0.2".parse().unwrap(),
            port: 80,
        };
        FlowKey::new(a, b).0
    }

    #[test]
    fn slots_are_recycled_with_their_buffers() {
        let mut t: Table<V> = Table::new();
        let s = t.insert(key(1));
        let v = t.get_mut(s).unwrap();
        v.buf.extend_from_slice(&[1, 2, 3]);
        v.used = true;
        let cap = v.buf.capacity();
        t.remove(s);
        assert_eq!(t.find(&key(1)), None);
        let s2 = t.insert(key(2));
        assert_eq!(s2, s);
        let v = t.get(s2).unwrap();
        assert!(!v.used && v.buf.is_empty());
        assert_eq!(v.buf.capacity(), cap);
        assert_eq!(t.len(), 1);
        assert_eq!(t.live_slots().collect::<Vec<_>>(), vec![s2]);
    }
}

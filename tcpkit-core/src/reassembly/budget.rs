//! A memory budget shared by many stream reassemblers.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A cap on the bytes buffered by all the [`StreamReassembler`]s that hold a
/// clone of it (for example every direction of every connection of one
/// capture).
///
/// Cloning is cheap and shares the counter. A reassembler charges the budget
/// for what it buffers (out-of-order data plus a fixed overhead per buffered
/// range) and gives it back when the data is delivered or the reassembler is
/// dropped. The budget is never refused: a reassembler that finds it
/// exceeded stops waiting for its missing bytes (reporting them as a
/// [`GapReason::DroppedOverBudget`] gap) so that its buffer drains.
///
/// [`StreamReassembler`]: super::StreamReassembler
/// [`GapReason::DroppedOverBudget`]: super::GapReason::DroppedOverBudget
#[derive(Debug, Clone)]
pub struct ReassemblyBudget {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    limit: usize,
    used: AtomicUsize,
}

impl ReassemblyBudget {
    /// A budget of `limit` bytes in total.
    pub fn new(limit: usize) -> Self {
        Self {
            inner: Arc::new(Inner {
                limit,
                used: AtomicUsize::new(0),
            }),
        }
    }

    /// The cap, in bytes.
    pub fn limit(&self) -> usize {
        self.inner.limit
    }

    /// The bytes currently charged by all holders.
    pub fn used(&self) -> usize {
        self.inner.used.load(Ordering::Relaxed)
    }

    /// More is charged than the cap allows.
    pub fn exceeded(&self) -> bool {
        self.used() > self.inner.limit
    }

    pub(crate) fn charge(&self, n: usize) {
        self.inner.used.fetch_add(n, Ordering::Relaxed);
    }

    pub(crate) fn release(&self, n: usize) {
        // Saturating: a holder never releases more than it charged, but stay
        // safe if that invariant were ever broken.
        let _ = self
            .inner
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |u| {
                Some(u.saturating_sub(n))
            });
    }
}

//! What several fuzz targets share (each includes it with `#[path]`): the
//! link-type selector and the check of the connection numbers handed out.
#![allow(dead_code)]

use std::collections::BTreeMap;
use tcpkit_core::analysis::Connection;
use tcpkit_core::capture::LinkType;

/// Link types the decoder knows, so most inputs reach past the link layer
/// (`seed_push.py` has the same list).
pub const LINKS: [u16; 15] = [
    0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 129, 178, 228, 242, 276,
];

/// The link type a selector byte names: the `sel`-th of [`LINKS`], or the
/// byte itself past them (link types the decoder may not know).
pub fn link(sel: u8) -> LinkType {
    LinkType(match LINKS.get(usize::from(sel)) {
        Some(&l) => l,
        None => u16::from(sel),
    })
}

/// The connection numbers handed out: each once, or again only for the part
/// after an eviction (the earlier part `evicted`, the later `resumed_frame`
/// set); in the end exactly `0..connections`.
#[derive(Debug, Default)]
pub struct Numbers {
    /// Each number, and whether its last part was evicted.
    last_evicted: BTreeMap<u64, bool>,
}

impl Numbers {
    /// One record handed out.
    pub fn handed(&mut self, rec: &Connection) {
        if let Some(evicted) = self.last_evicted.insert(rec.conn.0, rec.evicted) {
            assert!(
                evicted && rec.resumed_frame.is_some(),
                "connection handed out again without an eviction"
            );
        }
    }

    /// At the end: the numbers are exactly `0..connections`.
    pub fn check(&self, connections: u64) {
        assert_eq!(self.last_evicted.len() as u64, connections);
        assert!(self.last_evicted.keys().copied().eq(0..connections));
    }
}

//! Connection numbers assigned after the fact.
//!
//! tshark numbers connections (`tcp.stream`) in the order of the frame that
//! opened each: its first frame, or the SYN that reused a 4-tuple. A
//! connection's number is therefore the rank of its first frame among every
//! connection's first frame, whoever analysed it: parts of a capture split
//! by connection (4-tuple), each analysed by its own [`Analyzer`](super::Analyzer)
//! with the capture's frame numbers, get the whole capture's numbers from
//! [`Renumber`], and their reports merge
//! ([`Report::renumber`](crate::report::Report::renumber),
//! [`Report::merge`](crate::report::Report::merge)).

use super::Connection;
use crate::flow::ConnId;

/// The whole capture's connection numbers, from every connection's first
/// frame ([`Connection::first_frame`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renumber {
    /// Every connection's first frame, sorted, each once.
    first_frames: Vec<u64>,
}

impl Renumber {
    /// The numbering of the connections whose first frames these are (the
    /// records of every part; the two records of a connection split by an
    /// eviction share their first frame, so they count once).
    pub fn by_first_frame(first_frames: impl IntoIterator<Item = u64>) -> Self {
        let mut first_frames: Vec<u64> = first_frames.into_iter().collect();
        first_frames.sort_unstable();
        first_frames.dedup();
        Self { first_frames }
    }

    /// The number of the connection opened at `first_frame`, if it is one of them.
    pub fn get(&self, first_frame: u64) -> Option<ConnId> {
        self.first_frames
            .binary_search(&first_frame)
            .ok()
            .map(|i| ConnId(i as u64))
    }

    /// Number of connections.
    pub fn len(&self) -> usize {
        self.first_frames.len()
    }

    /// No connection.
    pub fn is_empty(&self) -> bool {
        self.first_frames.is_empty()
    }
}

impl Connection {
    /// Gives the record the number `conn`.
    pub fn renumber(&mut self, conn: ConnId) {
        self.conn = conn;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rank_of_the_first_frame() {
        let r = Renumber::by_first_frame([40, 7, 19, 7]);
        assert_eq!(r.len(), 3);
        assert_eq!(
            [r.get(7), r.get(19), r.get(40), r.get(8)],
            [Some(ConnId(0)), Some(ConnId(1)), Some(ConnId(2)), None]
        );
    }
}

//! Both directions of one connection.

use super::budget::ReassemblyBudget;
use super::stream::{Ready, ReassemblyConfig, StreamReassembler};
use crate::flow::Direction;
use crate::wire::Segment;

/// The two [`StreamReassembler`]s of one connection, indexed by
/// [`Direction`], optionally sharing a [`ReassemblyBudget`] (with each other
/// and with other connections).
#[derive(Debug)]
pub struct ConnectionStreams {
    dirs: [StreamReassembler; 2],
}

impl ConnectionStreams {
    /// Two reassemblers with `cfg`'s per-direction cap, charging `budget` if
    /// given.
    pub fn new(cfg: ReassemblyConfig, budget: Option<ReassemblyBudget>) -> Self {
        let make = || match &budget {
            Some(b) => StreamReassembler::with_budget(cfg.clone(), b.clone()),
            None => StreamReassembler::new(cfg.clone()),
        };
        Self {
            dirs: [make(), make()],
        }
    }

    /// Feeds a segment travelling in `dir` (see [`StreamReassembler::push`]).
    pub fn push<'s, 'a>(
        &'s mut self,
        frame: u64,
        dir: Direction,
        seg: &Segment<'a>,
    ) -> Ready<'s, 'a> {
        self.get_mut(dir).push(frame, seg)
    }

    /// The reassembler of `dir`.
    pub fn get(&self, dir: Direction) -> &StreamReassembler {
        match dir {
            Direction::ClientToServer => &self.dirs[0],
            Direction::ServerToClient => &self.dirs[1],
        }
    }

    /// The reassembler of `dir`, mutably (for [`StreamReassembler::finish`]).
    pub fn get_mut(&mut self, dir: Direction) -> &mut StreamReassembler {
        match dir {
            Direction::ClientToServer => &mut self.dirs[0],
            Direction::ServerToClient => &mut self.dirs[1],
        }
    }
}

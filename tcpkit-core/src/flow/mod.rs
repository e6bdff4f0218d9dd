//! Connections: which connection a segment belongs to, and in which direction.
//!
//! Connections are numbered from 0 in order of first appearance, exactly like
//! tshark's `tcp.stream`; a reused 4-tuple (a new SYN with another ISN after the
//! old connection closed) opens a new number.

mod hash;
mod key;
mod table;

pub use hash::{FastHashBuilder, FastHasher};
pub use key::{FlowKey, FlowKeyV4};
pub use table::{Slot, Table};

use crate::wire::Segment;
use std::net::IpAddr;

/// A connection's number: 0, 1, 2 ... in order of first appearance (tshark's `tcp.stream`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ConnId(pub u64);

/// Which way a segment travels within its connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum Direction {
    /// From the client (the side that sent the first SYN; with no SYN seen, the
    /// sender of the first segment) to the server.
    ClientToServer,
    /// From the server to the client.
    ServerToClient,
}

impl Direction {
    /// The other direction.
    pub fn reverse(self) -> Self {
        match self {
            Self::ClientToServer => Self::ServerToClient,
            Self::ServerToClient => Self::ClientToServer,
        }
    }

    /// `"c2s"` or `"s2c"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientToServer => "c2s",
            Self::ServerToClient => "s2c",
        }
    }

    /// 0 for client-to-server, 1 for server-to-client (for per-direction arrays).
    pub fn index(self) -> usize {
        self as usize
    }
}

/// An IP address and port.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Endpoint {
    /// Address.
    pub ip: IpAddr,
    /// Port.
    pub port: u16,
}

impl Endpoint {
    /// The sending and the receiving endpoint of a segment.
    pub fn of(seg: &Segment<'_>) -> (Endpoint, Endpoint) {
        (
            Endpoint {
                ip: seg.ip.src,
                port: seg.sport,
            },
            Endpoint {
                ip: seg.ip.dst,
                port: seg.dport,
            },
        )
    }
}

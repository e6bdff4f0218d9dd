//! Connection analysis: per-segment facts (tshark-compatible) and, per
//! connection, its story (handshake, states, retransmissions, RTT/RTO, close).
//!
//! [`Analyzer`] is the one driver: push segments in capture order, get one
//! [`SegmentFacts`] back for each, and collect finished connections.

// PLACEHOLDER: the analyzer is specified here; its implementation lands with the
// connections issue.

//! "Follow TCP stream": one direction of one connection of a capture,
//! reassembled and written out.
//!
//! Connections are numbered by [`Analysis`] (stories off), exactly like
//! tshark's `tcp.stream` (port reuse opens a new number) and like every other
//! consumer of the driver, and its client/server roles decide the direction.

use super::stream::{
    EndReason, Gap, ReassemblyConfig, StreamEvent, StreamReassembler, StreamStats,
};
use crate::analysis::AnalyzerConfig;
use crate::capture::{Packet, PacketSource, SliceReader};
use crate::driver::{Analysis, Event, InputCounts, SegmentRow};
use crate::error::{CaptureError, DecodeError};
use crate::flow::{ConnId, Direction, Endpoint};
use std::fmt;
use std::io::{self, Write};

/// Which connection to follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnSelector {
    /// The connection with this number (tshark's `tcp.stream`).
    Index(u64),
    /// The first connection between these two endpoints (either order).
    Endpoints(Endpoint, Endpoint),
}

impl fmt::Display for ConnSelector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Index(n) => write!(f, "connection {n}"),
            Self::Endpoints(a, b) => {
                write!(f, "connection {}:{} <-> {}:{}", a.ip, a.port, b.ip, b.port)
            }
        }
    }
}

/// Why following a stream failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FollowError {
    /// The capture could not be read (further).
    #[error(transparent)]
    Capture(#[from] CaptureError),
    /// Writing the output failed.
    #[error("writing the stream: {0}")]
    Io(#[from] io::Error),
    /// No such connection in the capture.
    #[error("{selector} not found ({connections} TCP connections in the capture{})",
        first_decode_error.map(|(f, e)| format!("; frame {f} could not be decoded: {e}")).unwrap_or_default())]
    NoSuchConnection {
        /// What was asked for.
        selector: ConnSelector,
        /// How many distinct connections were seen (up to the one asked for).
        connections: u64,
        /// The first packet that could not be decoded, if any.
        first_decode_error: Option<(u64, DecodeError)>,
    },
}

/// What [`Follower::finish`] and [`follow_capture`] report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowSummary {
    /// The client of the connection followed.
    pub client: Endpoint,
    /// The server.
    pub server: Endpoint,
    /// The direction followed.
    pub dir: Direction,
    /// Bytes written (the stream without its gaps).
    pub bytes_written: u64,
    /// Where bytes are missing, in stream order; adjacent gaps of the same
    /// reason are merged.
    pub gaps: Vec<Gap>,
    /// Why the stream ended.
    pub end: Option<EndReason>,
    /// The reassembler's counters.
    pub stats: StreamStats,
    /// Packets that could not be decoded (skipped).
    pub undecodable_packets: u64,
}

/// Follows one direction of one connection, packet by packet: works with any
/// reader, including one that lends each packet only until the next.
#[derive(Debug)]
pub struct Follower {
    selector: ConnSelector,
    dir: Direction,
    /// Numbers the connections of packets given with
    /// [`push_packet`](Follower::push_packet) (rows given with
    /// [`push_row`](Follower::push_row) come numbered).
    analysis: Option<Analysis>,
    /// The connection followed, once seen: its number, client and server.
    target: Option<(ConnId, Endpoint, Endpoint)>,
    /// Connections seen so far (for the "not found" message).
    connections: u64,
    reasm: StreamReassembler,
    gaps: Vec<Gap>,
    written: u64,
    end: Option<EndReason>,
    undecodable: u64,
    first_decode_error: Option<(u64, DecodeError)>,
}

impl Follower {
    /// Follows `dir` of the connection `selector` picks.
    pub fn new(selector: ConnSelector, dir: Direction, cfg: ReassemblyConfig) -> Self {
        Self {
            selector,
            dir,
            analysis: None,
            target: None,
            connections: 0,
            reasm: StreamReassembler::new(cfg),
            gaps: Vec::new(),
            written: 0,
            end: None,
            undecodable: 0,
            first_decode_error: None,
        }
    }

    /// Takes the next packet of the capture; writes to `out` what became
    /// deliverable. The packet goes through an [`Analysis`] of the follower's
    /// own (push form, stories off), which numbers the connections.
    pub fn push_packet<W: Write + ?Sized>(
        &mut self,
        packet: &Packet<'_>,
        out: &mut W,
    ) -> io::Result<()> {
        let mut a = self.analysis.take().unwrap_or_else(|| {
            Analysis::live(AnalyzerConfig {
                story: false,
                ..AnalyzerConfig::default()
            })
        });
        // The push form only refuses after `finish_input`, never called here.
        let _ = a.push_packet(packet);
        let mut r = Ok(());
        while let Some(ev) = a.next_event() {
            if let (Ok(Event::Segment(row)), Ok(())) = (ev, &r) {
                r = self.push_row(&row, out);
            }
        }
        self.note_input(a.counts());
        self.analysis = Some(a);
        r
    }

    /// What the input held besides segments (undecodable packets, for the
    /// "not found" message), when the rows come from an [`Analysis`] of the
    /// caller's ([`push_row`](Follower::push_row)).
    pub fn note_input(&mut self, counts: InputCounts) {
        self.undecodable = counts.undecodable;
        self.first_decode_error = counts.first_undecodable;
    }

    /// Takes the next segment row of an [`Analysis`] (stories may be off);
    /// writes to `out` what became deliverable. Rows without facts (not
    /// analysable) belong to no connection and are skipped.
    pub fn push_row<W: Write + ?Sized>(
        &mut self,
        row: &SegmentRow<'_>,
        out: &mut W,
    ) -> io::Result<()> {
        let (seg, frame) = (&row.segment, row.packet.frame);
        let Some(facts) = row.facts else {
            return Ok(());
        };
        if facts.new_conn {
            self.connections += 1;
        }
        let (src, dst) = Endpoint::of(seg);
        match self.target {
            Some((conn, _, _)) if conn != facts.conn => return Ok(()),
            Some(_) => {}
            None => {
                let hit = match self.selector {
                    ConnSelector::Index(n) => facts.conn.0 == n,
                    ConnSelector::Endpoints(a, b) => (src, dst) == (a, b) || (src, dst) == (b, a),
                };
                if !hit {
                    return Ok(());
                }
                let (client, server) = match facts.dir {
                    Direction::ClientToServer => (src, dst),
                    Direction::ServerToClient => (dst, src),
                };
                self.target = Some((facts.conn, client, server));
            }
        }
        let Self {
            reasm,
            gaps,
            written,
            end,
            ..
        } = self;
        if facts.dir != self.dir {
            // The other side's acknowledgments tell which holes were received
            // but not captured.
            if seg.flags.ack() && !seg.flags.rst() {
                for ev in reasm.ack(seg.ack) {
                    emit(ev, out, gaps, written, end)?;
                }
            }
            return Ok(());
        }
        for ev in reasm.push(frame, seg) {
            emit(ev, out, gaps, written, end)?;
        }
        Ok(())
    }

    /// Ends the capture: flushes what is left and says what was written.
    pub fn finish<W: Write + ?Sized>(mut self, out: &mut W) -> Result<FollowSummary, FollowError> {
        let Some((_, client, server)) = self.target else {
            return Err(FollowError::NoSuchConnection {
                selector: self.selector,
                connections: self.connections,
                first_decode_error: self.first_decode_error,
            });
        };
        let Self {
            reasm,
            gaps,
            written,
            end,
            ..
        } = &mut self;
        for ev in reasm.finish() {
            emit(ev, out, gaps, written, end)?;
        }
        out.flush()?;
        Ok(FollowSummary {
            client,
            server,
            dir: self.dir,
            bytes_written: self.written,
            gaps: self.gaps,
            end: self.end,
            stats: *self.reasm.stats(),
            undecodable_packets: self.undecodable,
        })
    }
}

fn emit<W: Write + ?Sized>(
    ev: StreamEvent<'_>,
    out: &mut W,
    gaps: &mut Vec<Gap>,
    written: &mut u64,
    end: &mut Option<EndReason>,
) -> io::Result<()> {
    match ev {
        StreamEvent::Data(c) => {
            out.write_all(&c.data)?;
            *written += c.data.len() as u64;
        }
        StreamEvent::Gap(g) => match gaps.last_mut() {
            Some(last) if last.reason == g.reason && last.offset + last.len == g.offset => {
                last.len += g.len;
            }
            _ => gaps.push(g),
        },
        StreamEvent::End { reason, .. } => *end = Some(reason),
    }
    Ok(())
}

/// Reassembles `dir` of the connection `selector` picks in a capture held in
/// memory (or mapped), writes its bytes to `out` and returns where the gaps
/// were. This is what `tcpkit stream CAPTURE CONN --dir c2s|s2c` runs.
pub fn follow_capture<W: Write + ?Sized>(
    capture: &[u8],
    selector: ConnSelector,
    dir: Direction,
    cfg: ReassemblyConfig,
    out: &mut W,
) -> Result<FollowSummary, FollowError> {
    follow_packets(SliceReader::new(capture)?, selector, dir, cfg, out)
}

/// As [`follow_capture`], for packets from any reader that yields them as an
/// iterator (the first reader error ends the run and is returned).
pub fn follow_packets<'a, I, W>(
    packets: I,
    selector: ConnSelector,
    dir: Direction,
    cfg: ReassemblyConfig,
    out: &mut W,
) -> Result<FollowSummary, FollowError>
where
    I: IntoIterator<Item = Result<Packet<'a>, CaptureError>>,
    W: Write + ?Sized,
{
    let mut f = Follower::new(selector, dir, cfg);
    for packet in packets {
        f.push_packet(&packet?, out)?;
    }
    f.finish(out)
}

/// As [`follow_capture`], for any [`PacketSource`]: a
/// [`StreamReader`](crate::capture::StreamReader) over a file or pipe (each
/// packet lent only until the next; memory stays bounded) or a
/// [`SliceReader`].
pub fn follow_source<S, W>(
    source: &mut S,
    selector: ConnSelector,
    dir: Direction,
    cfg: ReassemblyConfig,
    out: &mut W,
) -> Result<FollowSummary, FollowError>
where
    S: PacketSource + ?Sized,
    W: Write + ?Sized,
{
    let mut f = Follower::new(selector, dir, cfg);
    while let Some(packet) = source.next_packet() {
        f.push_packet(&packet?, out)?;
    }
    f.finish(out)
}

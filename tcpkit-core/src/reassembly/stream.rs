//! One direction of a TCP connection put back into its byte stream.

use super::budget::ReassemblyBudget;
use crate::wire::{Segment, SeqNumber};
use std::collections::{BTreeMap, VecDeque};
use std::fmt;
use std::ops::Deref;

/// What one buffered range (of data or of known-missing bytes) costs on top of
/// its data bytes, charged against the caps.
pub const RANGE_OVERHEAD: usize = 64;

/// Which copy of the bytes wins when segments overlap (retransmissions,
/// repacketised data, overlapping fragments of an evasion attempt).
///
/// RFC 9293 3.10.7.4 lets a receiver trim a segment to the part that is new
/// ("segments with higher beginning sequence numbers may be held for later
/// processing"); Linux keeps the bytes it already queued and drops the
/// overlapping part of the newcomer, i.e. the first copy wins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OverlapPolicy {
    /// The bytes that arrived first are kept (Linux, the default).
    #[default]
    FirstWins,
    /// A later copy replaces bytes that are still buffered. Bytes already
    /// delivered cannot be taken back: for them the first copy stays.
    LastWins,
}

/// How a [`StreamReassembler`] behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Most bytes this direction may buffer while waiting for missing data
    /// (out-of-order data plus [`RANGE_OVERHEAD`] per buffered range). Past it,
    /// the reassembler stops waiting and reports the hole as a
    /// [`GapReason::DroppedOverBudget`] gap. 0 disables buffering altogether.
    pub max_buffered_bytes: usize,
    /// Which copy wins when copies of the same bytes differ.
    pub overlap: OverlapPolicy,
    /// How many of the last delivered bytes to keep (copied) so that later
    /// retransmissions of them can be compared and conflicts reported. 0 (the
    /// default) keeps none: retransmissions of delivered bytes are counted as
    /// duplicates but not compared. Buffered copies are always compared.
    pub history_bytes: usize,
}

impl Default for ReassemblyConfig {
    /// 8 MiB per direction (a quarter of Linux's default `tcp_rmem` max of
    /// 32 MiB), first copy wins, no history.
    fn default() -> Self {
        Self {
            max_buffered_bytes: 8 << 20,
            overlap: OverlapPolicy::FirstWins,
            history_bytes: 0,
        }
    }
}

/// Why some bytes of the stream are missing from the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum GapReason {
    /// The bytes were on the wire but the capture cut the packet short
    /// (snaplen): the IP length says they exist, the capture does not hold them.
    Truncated,
    /// No captured packet carried these bytes (loss at the capture point, a
    /// capture that started late or stopped early), and the stream went on
    /// past them: reported once the receiver acknowledged past them
    /// ([`StreamReassembler::ack`]), at RST, or at the end of the capture.
    NotCaptured,
    /// The reassembler stopped waiting for these bytes because its buffer cap
    /// (per direction or shared) was reached; a copy arriving later is dropped.
    DroppedOverBudget,
}

impl GapReason {
    /// `"truncated"`, `"not_captured"` or `"dropped_over_budget"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Truncated => "truncated",
            Self::NotCaptured => "not_captured",
            Self::DroppedOverBudget => "dropped_over_budget",
        }
    }
}

impl fmt::Display for GapReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Truncated => "cut off by the capture's snaplen",
            Self::NotCaptured => "never captured",
            Self::DroppedOverBudget => "dropped over the reassembly memory cap",
        })
    }
}

/// A run of stream bytes that cannot be delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct Gap {
    /// Stream offset of the first missing byte.
    pub offset: u64,
    /// How many bytes are missing.
    pub len: u64,
    /// Why.
    pub reason: GapReason,
}

impl fmt::Display for Gap {
    /// `bytes 62..8448 (8386) missing: cut off by the capture's snaplen`
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "bytes {}..{} ({}) missing: {}",
            self.offset,
            self.offset + self.len,
            self.len,
            self.reason
        )
    }
}

/// The bytes of a [`Chunk`]: borrowed from the packet when it arrived in
/// order, owned when it had to wait in the reassembler's buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChunkData<'a> {
    /// Zero-copy: the payload bytes of the packet just pushed.
    Borrowed(&'a [u8]),
    /// Bytes that were buffered (moved out of the buffer, not copied again).
    Owned(Vec<u8>),
}

impl ChunkData<'_> {
    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        match self {
            Self::Borrowed(b) => b,
            Self::Owned(v) => v,
        }
    }

    /// The bytes as an owned vector (copies borrowed bytes).
    pub fn into_owned(self) -> Vec<u8> {
        match self {
            Self::Borrowed(b) => b.to_vec(),
            Self::Owned(v) => v,
        }
    }
}

impl Deref for ChunkData<'_> {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for ChunkData<'_> {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

/// In-order stream bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chunk<'a> {
    /// Stream offset of the first byte (0 = the first byte after the SYN).
    pub offset: u64,
    /// Frame number of the packet whose copy of the bytes this is.
    pub frame: u64,
    /// The bytes.
    pub data: ChunkData<'a>,
}

/// Why a stream ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub enum EndReason {
    /// Every byte up to the FIN was delivered or reported as a gap.
    Fin,
    /// The sender reset the connection (RFC 9293 3.10.7: its data will not be
    /// retransmitted); what was still missing became gaps.
    Rst,
    /// [`StreamReassembler::finish`] was called (end of capture) before a FIN
    /// or RST ended the stream.
    CaptureEnd,
}

/// What a [`StreamReassembler`] yields, in stream order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StreamEvent<'a> {
    /// Bytes at `offset`.
    Data(Chunk<'a>),
    /// Missing bytes, never invented.
    Gap(Gap),
    /// The stream is over at `offset` (its length); nothing follows.
    End {
        /// Length of the stream.
        offset: u64,
        /// Why it ended.
        reason: EndReason,
    },
}

/// Counters of one direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct StreamStats {
    /// Bytes delivered as [`StreamEvent::Data`].
    pub delivered_bytes: u64,
    /// Bytes reported as gaps.
    pub gap_bytes: u64,
    /// Payload bytes that arrived for offsets already delivered or reported
    /// as a gap (retransmissions, late copies).
    pub duplicate_bytes: u64,
    /// Payload bytes that arrived for offsets still buffered.
    pub overlap_bytes: u64,
    /// Overlaps where the new copy differed from the copy held (one per
    /// segment and held range compared).
    pub conflicts: u64,
    /// Lowest stream offset at which two copies were seen to differ.
    pub first_conflict_offset: Option<u64>,
    /// Payload bytes before stream offset 0 (before the SYN or the first
    /// segment seen).
    pub before_start_bytes: u64,
    /// Payload bytes past the FIN, or pushed after the stream ended.
    pub after_end_bytes: u64,
    /// Most bytes charged at once (data + range overhead).
    pub peak_buffered_bytes: usize,
}

#[derive(Debug)]
struct Held {
    frame: u64,
    data: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Open,
    Closing(EndReason),
    Ended,
}

/// Reassembles one direction of one TCP connection.
///
/// Feed it that direction's segments in capture order with
/// [`push`](Self::push); each call returns an iterator of what became
/// deliverable, in stream order. Bytes that arrive in order come out borrowed
/// from the packet (no copy); only out-of-order bytes are copied into a
/// bounded buffer, and come out owned once the hole before them is filled.
///
/// Stream offsets are `u64`: offset 0 is the first byte after the SYN (or,
/// when no SYN was seen, the first sequence number seen), and the 32-bit
/// sequence numbers are unwrapped against the delivery point (RFC 9293 3.4:
/// arithmetic modulo 2^32), so offsets stay exact across wraparound and past
/// 4 GiB.
///
/// Gaps are never glued: bytes the wire had but the capture cut off (the IP
/// length says a segment is longer than what was captured) are reported
/// at once as [`GapReason::Truncated`]; a hole nobody filled is reported when
/// the stream is reset, at [`finish`](Self::finish), or when the buffer cap
/// forces the reassembler to stop waiting.
#[derive(Debug)]
pub struct StreamReassembler {
    cfg: ReassemblyConfig,
    budget: Option<ReassemblyBudget>,
    base: Option<SeqNumber>,
    next: u64,
    held: BTreeMap<u64, Held>,
    truncated: BTreeMap<u64, u64>,
    charged: usize,
    fin: Option<u64>,
    acked: u64,
    high: u64,
    phase: Phase,
    history: VecDeque<u8>,
    stats: StreamStats,
}

impl Default for StreamReassembler {
    fn default() -> Self {
        Self::new(ReassemblyConfig::default())
    }
}

impl StreamReassembler {
    /// A reassembler with its own per-direction cap only.
    pub fn new(cfg: ReassemblyConfig) -> Self {
        Self {
            cfg,
            budget: None,
            base: None,
            next: 0,
            held: BTreeMap::new(),
            truncated: BTreeMap::new(),
            charged: 0,
            fin: None,
            acked: 0,
            high: 0,
            phase: Phase::Open,
            history: VecDeque::new(),
            stats: StreamStats::default(),
        }
    }

    /// A reassembler that also charges `budget`, shared with others.
    pub fn with_budget(cfg: ReassemblyConfig, budget: ReassemblyBudget) -> Self {
        let mut r = Self::new(cfg);
        r.budget = Some(budget);
        r
    }

    /// The next stream offset to be delivered: everything before it has been
    /// yielded as data or gap.
    pub fn next_offset(&self) -> u64 {
        self.next
    }

    /// The sequence number of stream offset 0, once a segment was seen.
    pub fn base_seq(&self) -> Option<SeqNumber> {
        self.base
    }

    /// The stream offset of the FIN, once seen.
    pub fn fin_offset(&self) -> Option<u64> {
        self.fin
    }

    /// Bytes currently charged (buffered data + range overhead).
    pub fn buffered_bytes(&self) -> usize {
        self.charged
    }

    /// The stream has yielded its [`StreamEvent::End`].
    pub fn is_ended(&self) -> bool {
        self.phase == Phase::Ended
    }

    /// The counters so far.
    pub fn stats(&self) -> &StreamStats {
        &self.stats
    }

    /// Feeds one segment of this direction (`frame` is its frame number,
    /// kept with the bytes) and returns what became deliverable.
    ///
    /// Uses `seg.seq`, the SYN/FIN/RST flags, `seg.payload` (the captured
    /// bytes) and `seg.payload_len` (the length on the wire; captured bytes
    /// short of it are a [`GapReason::Truncated`] gap). Consume the iterator
    /// before pushing again: what is left in it when it is dropped is copied
    /// into the buffer and comes out at the next call.
    pub fn push<'s, 'a>(&'s mut self, frame: u64, seg: &Segment<'a>) -> Ready<'s, 'a> {
        let rst = seg.flags.rst();
        // RFC 9293 3.5.3 / RFC 1122 4.2.2.12: data in a RST is a diagnostic,
        // not stream data (Linux never queues it).
        let wire_len = if rst { 0 } else { u64::from(seg.payload_len) };
        let payload: &'a [u8] = if rst { &[] } else { seg.payload };
        if rst {
            self.stats.after_end_bytes += u64::from(seg.payload_len);
        }
        let open = self.phase == Phase::Open;
        let data_seq = if seg.flags.syn() {
            seg.seq + 1
        } else {
            seg.seq
        };
        let pristine = self.stats.delivered_bytes == 0
            && self.stats.gap_bytes == 0
            && self.held.is_empty()
            && self.truncated.is_empty()
            && self.fin.is_none();
        if open && (self.base.is_none() || (seg.flags.syn() && pristine)) {
            self.base = Some(data_seq);
        }
        let off = self.offset_of(data_seq);
        let captured = payload.get(..wire_len as usize).unwrap_or(payload);
        let wire_len = wire_len.max(captured.len() as u64);
        let mut end = off + wire_len as i64;
        let mut cap_end = off + captured.len() as i64;
        if open && seg.flags.fin() && self.fin.is_none() && end >= 0 && end as u64 >= self.next {
            self.fin = Some(end as u64);
            self.clip_to_fin(end as u64);
        }
        if let Some(f) = self.fin {
            let f = f as i64;
            if end > f {
                self.stats.after_end_bytes += (end - f.max(off)) as u64;
                end = f.max(off);
                cap_end = cap_end.min(end);
            }
        }
        if off < 0 {
            self.stats.before_start_bytes += (end.min(0) - off) as u64;
        }
        // Captured bytes at [lo, cap_hi), missing wire bytes at [cap_hi, hi).
        let lo = off.max(0) as u64;
        let cap_hi = cap_end.max(off.max(0)) as u64;
        let hi = end.max(0) as u64;
        if wire_len > 0 || seg.flags.fin() {
            self.high = self.high.max(hi);
        }
        let data = captured
            .get((lo as i64 - off) as usize..(cap_hi as i64 - off) as usize)
            .unwrap_or(&[]);
        if lo < self.next {
            let dup_end = cap_hi.min(self.next);
            if dup_end > lo {
                self.stats.duplicate_bytes += dup_end - lo;
                self.compare_history(lo, &data[..(dup_end - lo) as usize]);
            }
            self.stats.duplicate_bytes += hi.min(self.next).saturating_sub(cap_hi);
        }
        if !open {
            // Ended or closing: bytes not already delivered are past the end.
            self.stats.after_end_bytes += hi.saturating_sub(lo.max(self.next));
            return Ready {
                r: self,
                piece: None,
            };
        }
        self.compare_held(lo, data);
        if hi > cap_hi.max(self.next) {
            self.insert_truncated(cap_hi.max(self.next), hi);
        }
        let mut piece = None;
        if !data.is_empty() {
            if lo <= self.next {
                if cap_hi > self.next {
                    piece = Some(Piece {
                        offset: lo,
                        frame,
                        data,
                    });
                }
            } else {
                self.insert_held(lo, data, frame);
            }
        }
        // A reset ends the stream only if it lies within what was sent (RFC
        // 5961 3.2 has receivers ignore a RST outside the window; a blind or
        // stale one must not cut the stream here either).
        if rst && off >= 0 && off as u64 <= self.high.max(self.next) {
            self.phase = Phase::Closing(EndReason::Rst);
        }
        Ready { r: self, piece }
    }

    /// Tells the reassembler that the receiver acknowledged this direction up
    /// to `ack` (the acknowledgment number of a segment going the other way).
    ///
    /// RFC 9293 3.4: an acknowledgment means "the receiver has received all
    /// the sequence numbers up to but not including this one". A hole below
    /// it that the capture never showed will not be retransmitted, so the
    /// reassembler stops waiting for it at once: it becomes a
    /// [`GapReason::NotCaptured`] gap as soon as data after it is buffered
    /// (tshark calls it "ACKed segment that wasn't captured"). Gaps are never
    /// reported past the data held, so a bogus acknowledgment cannot erase
    /// bytes still to come.
    pub fn ack(&mut self, ack: SeqNumber) -> Ready<'_, 'static> {
        if self.phase == Phase::Open && self.base.is_some() {
            // Never past what this direction was seen to send: an
            // acknowledgment of unseen bytes proves nothing about later holes.
            let off = self.offset_of(ack).min(self.high as i64);
            if off > self.acked as i64 {
                self.acked = off as u64;
            }
        }
        Ready {
            r: self,
            piece: None,
        }
    }

    /// Ends the stream (end of capture): what is still missing becomes
    /// [`GapReason::NotCaptured`] gaps, buffered data is delivered, and a final
    /// [`StreamEvent::End`] follows (reason [`EndReason::Fin`] when the FIN
    /// was reached, [`EndReason::CaptureEnd`] otherwise).
    pub fn finish(&mut self) -> Ready<'_, 'static> {
        if self.phase == Phase::Open {
            self.phase = Phase::Closing(EndReason::CaptureEnd);
        }
        Ready {
            r: self,
            piece: None,
        }
    }

    /// What is deliverable without a new segment (after an iterator was
    /// dropped before its end).
    pub fn drain(&mut self) -> Ready<'_, 'static> {
        Ready {
            r: self,
            piece: None,
        }
    }

    /// Signed stream offset of `seq`, unwrapped against the delivery point.
    fn offset_of(&self, seq: SeqNumber) -> i64 {
        let base = self.base.unwrap_or(seq);
        let next_seq = base + (self.next as u32);
        self.next as i64 + i64::from(seq.diff(next_seq))
    }

    fn charge(&mut self, n: usize) {
        self.charged += n;
        self.stats.peak_buffered_bytes = self.stats.peak_buffered_bytes.max(self.charged);
        if let Some(b) = &self.budget {
            b.charge(n);
        }
    }

    fn release(&mut self, n: usize) {
        self.charged = self.charged.saturating_sub(n);
        if let Some(b) = &self.budget {
            b.release(n);
        }
    }

    fn over_budget(&self) -> bool {
        self.charged > self.cfg.max_buffered_bytes
            || self.budget.as_ref().is_some_and(|b| b.exceeded())
    }

    fn conflict(&mut self, at: u64) {
        self.stats.conflicts += 1;
        self.stats.first_conflict_offset =
            Some(self.stats.first_conflict_offset.map_or(at, |f| f.min(at)));
    }

    /// Compares bytes at `lo` (all before `next`) with the kept history.
    fn compare_history(&mut self, lo: u64, data: &[u8]) {
        let hist_lo = self.next - self.history.len() as u64;
        let from = lo.max(hist_lo);
        let to = lo + data.len() as u64;
        if from >= to {
            return;
        }
        let mut differ = None;
        for at in from..to {
            let old = self.history.get((at - hist_lo) as usize);
            let new = data.get((at - lo) as usize);
            if old != new {
                differ = Some(at);
                break;
            }
        }
        if let Some(at) = differ {
            self.conflict(at);
        }
    }

    /// Compares (and, when the last copy wins, overwrites) the held bytes
    /// that overlap `data` at `lo`.
    fn compare_held(&mut self, lo: u64, data: &[u8]) {
        if data.is_empty() || self.held.is_empty() {
            return;
        }
        let hi = lo + data.len() as u64;
        let from = match self.held.range(..=lo).next_back() {
            Some((&k, h)) if k + h.data.len() as u64 > lo => k,
            _ => lo,
        };
        let last_wins = self.cfg.overlap == OverlapPolicy::LastWins;
        let mut first_diff: Option<u64> = None;
        let mut diffs = 0;
        let mut overlap = 0;
        for (&k, h) in self.held.range_mut(from..hi) {
            let a = k.max(lo);
            let b = (k + h.data.len() as u64).min(hi);
            if a >= b {
                continue;
            }
            let old = &mut h.data[(a - k) as usize..(b - k) as usize];
            let new = &data[(a - lo) as usize..(b - lo) as usize];
            overlap += b - a;
            if let Some(i) = old.iter().zip(new).position(|(x, y)| x != y) {
                diffs += 1;
                let at = a + i as u64;
                first_diff = Some(first_diff.map_or(at, |f| f.min(at)));
                if last_wins {
                    old.copy_from_slice(new);
                }
            }
        }
        self.stats.overlap_bytes += overlap;
        if let Some(at) = first_diff {
            self.conflict(at);
            self.stats.conflicts += diffs - 1;
        }
    }

    /// Buffers the parts of `data` at `lo` that no held range covers.
    fn insert_held(&mut self, lo: u64, data: &[u8], frame: u64) {
        let hi = lo + data.len() as u64;
        let mut cur = lo;
        if let Some((&k, h)) = self.held.range(..=lo).next_back() {
            cur = cur.max(k + h.data.len() as u64);
        }
        while cur < hi {
            let (to, skip_to) = match self.held.range(cur..hi).next() {
                Some((&k, h)) => (k, k + h.data.len() as u64),
                None => (hi, hi),
            };
            if to > cur {
                let bytes = data[(cur - lo) as usize..(to - lo) as usize].to_vec();
                self.charge(bytes.len() + RANGE_OVERHEAD);
                self.held.insert(cur, Held { frame, data: bytes });
            }
            cur = skip_to;
        }
    }

    fn insert_truncated(&mut self, lo: u64, hi: u64) {
        match self.truncated.get_mut(&lo) {
            Some(e) => *e = (*e).max(hi),
            None => {
                self.truncated.insert(lo, hi);
                self.charge(RANGE_OVERHEAD);
            }
        }
    }

    /// Drops what was buffered past the FIN (RFC 9293 3.10.7.4: nothing
    /// follows the FIN in sequence space), counting it as past the end.
    fn clip_to_fin(&mut self, f: u64) {
        let mut freed = 0;
        let mut past = 0;
        for (_, h) in self.held.split_off(&f) {
            past += h.data.len() as u64;
            freed += h.data.len() + RANGE_OVERHEAD;
        }
        if let Some((&k, h)) = self.held.range_mut(..f).next_back() {
            let keep = f.saturating_sub(k) as usize;
            if h.data.len() > keep {
                past += (h.data.len() - keep) as u64;
                freed += h.data.len() - keep;
                h.data.truncate(keep);
            }
        }
        freed += self.truncated.split_off(&f).len() * RANGE_OVERHEAD;
        for end in self.truncated.values_mut() {
            *end = (*end).min(f);
        }
        self.stats.after_end_bytes += past;
        self.release(freed);
    }

    fn deliver(&mut self, data: &[u8]) {
        self.stats.delivered_bytes += data.len() as u64;
        let cap = self.cfg.history_bytes;
        if cap == 0 {
            return;
        }
        let keep = &data[data.len().saturating_sub(cap)..];
        let excess = (self.history.len() + keep.len()).saturating_sub(cap);
        self.history.drain(..excess.min(self.history.len()));
        self.history.extend(keep);
    }

    fn gap(&mut self, to: u64, reason: GapReason) -> StreamEvent<'static> {
        let g = Gap {
            offset: self.next,
            len: to - self.next,
            reason,
        };
        self.stats.gap_bytes += g.len;
        self.history.clear();
        self.next = to;
        StreamEvent::Gap(g)
    }

    fn end(&mut self, reason: EndReason) -> StreamEvent<'static> {
        self.phase = Phase::Ended;
        let held: usize = self
            .held
            .values()
            .map(|h| h.data.len() + RANGE_OVERHEAD)
            .sum();
        let ranges = self.truncated.len() * RANGE_OVERHEAD;
        self.held.clear();
        self.truncated.clear();
        self.release(held + ranges);
        StreamEvent::End {
            offset: self.next,
            reason,
        }
    }

    /// The lowest offset above `next` where something is known: held data,
    /// a truncated range, or the FIN.
    fn next_known(&self) -> Option<u64> {
        let h = self.held.keys().next().copied();
        let t = self.truncated.keys().next().copied();
        [h, t, self.fin].into_iter().flatten().min()
    }
}

impl Drop for StreamReassembler {
    fn drop(&mut self) {
        if let Some(b) = &self.budget {
            b.release(self.charged);
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Piece<'a> {
    offset: u64,
    frame: u64,
    data: &'a [u8],
}

/// The events made deliverable by one [`StreamReassembler::push`] (or
/// [`finish`](StreamReassembler::finish)), in stream order. Borrowed chunks
/// live as long as the pushed packet's bytes.
#[derive(Debug)]
#[must_use = "the events are the reassembled stream; what is not consumed waits for the next call"]
pub struct Ready<'s, 'a> {
    r: &'s mut StreamReassembler,
    piece: Option<Piece<'a>>,
}

impl<'a> Iterator for Ready<'_, 'a> {
    type Item = StreamEvent<'a>;

    fn next(&mut self) -> Option<StreamEvent<'a>> {
        let r = &mut *self.r;
        loop {
            if r.phase == Phase::Ended {
                return None;
            }
            // 1. Held data at the delivery point: the first copy (or the
            //    overwritten one, last-wins) has priority over the new piece.
            if let Some(entry) = r.held.first_entry()
                && *entry.key() <= r.next
            {
                let (k, h) = entry.remove_entry();
                r.release(h.data.len() + RANGE_OVERHEAD);
                let end = k + h.data.len() as u64;
                if end <= r.next {
                    continue;
                }
                let mut data = h.data;
                if k < r.next {
                    data.drain(..(r.next - k) as usize);
                }
                let offset = r.next;
                r.next = end;
                r.deliver(&data);
                return Some(StreamEvent::Data(Chunk {
                    offset,
                    frame: h.frame,
                    data: ChunkData::Owned(data),
                }));
            }
            // 2. The in-order part of the segment just pushed, borrowed.
            if let Some(p) = self.piece {
                let p_end = p.offset + p.data.len() as u64;
                if p_end <= r.next || p.offset > r.next {
                    self.piece = None;
                    if p.offset > r.next {
                        r.insert_held(p.offset, p.data, p.frame);
                    }
                    continue;
                }
                let to = r.held.keys().next().map_or(p_end, |&k| k.min(p_end));
                let bytes = &p.data[(r.next - p.offset) as usize..(to - p.offset) as usize];
                let offset = r.next;
                r.next = to;
                if to == p_end {
                    self.piece = None;
                }
                r.deliver(bytes);
                return Some(StreamEvent::Data(Chunk {
                    offset,
                    frame: p.frame,
                    data: ChunkData::Borrowed(bytes),
                }));
            }
            // 3. Bytes known to be on the wire but cut by the snaplen.
            if let Some((&k, &end)) = r.truncated.first_key_value() {
                if end <= r.next {
                    r.truncated.remove(&k);
                    r.release(RANGE_OVERHEAD);
                    continue;
                }
                if k <= r.next {
                    let to = r.held.keys().next().map_or(end, |&h| h.min(end));
                    if to >= end {
                        r.truncated.remove(&k);
                        r.release(RANGE_OVERHEAD);
                    }
                    return Some(r.gap(to, GapReason::Truncated));
                }
            }
            // 4. The FIN reached.
            if r.fin.is_some_and(|f| f <= r.next) {
                return Some(r.end(EndReason::Fin));
            }
            // 5. Stop waiting for a hole the receiver acknowledged (it was
            //    received, the capture missed it), up to the data held.
            if r.acked > r.next
                && let Some(to) = r.next_known().filter(|&k| k > r.next)
            {
                return Some(r.gap(to.min(r.acked), GapReason::NotCaptured));
            }
            // 6. Stop waiting for a hole: at RST / end of capture, or when
            //    the buffer is over its cap.
            let closing = match r.phase {
                Phase::Closing(reason) => Some(reason),
                _ => None,
            };
            if closing.is_none() && !r.over_budget() {
                return None;
            }
            match (r.next_known(), closing) {
                (Some(to), Some(_)) if to > r.next => {
                    return Some(r.gap(to, GapReason::NotCaptured));
                }
                (Some(to), None) if to > r.next => {
                    return Some(r.gap(to, GapReason::DroppedOverBudget));
                }
                (_, Some(reason)) => return Some(r.end(reason)),
                _ => return None,
            }
        }
    }
}

impl Drop for Ready<'_, '_> {
    fn drop(&mut self) {
        if let Some(p) = self.piece.take() {
            let p_end = p.offset + p.data.len() as u64;
            let from = p.offset.max(self.r.next);
            if from < p_end {
                let data = &p.data[(from - p.offset) as usize..];
                self.r.insert_held(from, data, p.frame);
            }
        }
    }
}

//! The row of one TCP segment: the packet's own fields, then what the
//! per-segment analysis found (tshark's meanings).
//!
//! One row per analysed segment: `tcpkit segments --json` prints it as one
//! JSON object per line ([`super::json::write_segment`]), the Arrow segment
//! batches hold one row each (`arrow::SegmentBatchBuilder`, feature `arrow`).
//! The columns, in order, are the statics below ([`COLUMNS`]); a TCP option is
//! a struct of [`option::FIELDS`] with a `kind` and the fields that kind has.

use super::{Sink, Type, field, fields};
use crate::analysis::SegmentFacts;
use crate::wire::{OptionError, Segment, SeqNumber, TcpOption, flag_letters};

field! {
    /// The row field of a segment (a struct of [`COLUMNS`]).
    SEGMENT: "segment", Type::Struct(&COLUMNS), false, "One TCP segment and its per-segment analysis."
}

fields! {
    /// The columns of a segment row, in order.
    COLUMNS = [
        FRAME: "frame", Type::UInt64, false,
            "1-based record number in the capture file (tshark's `frame.number`).";
        TS_NS: "ts_ns", Type::Timestamp, false,
            "Capture time, nanoseconds since the Unix epoch (UTC).";
        SRC: "src", Type::Utf8, false,
            "Source IP address (of the innermost IP header, for tunnelled segments).";
        DST: "dst", Type::Utf8, false, "Destination IP address.";
        SPORT: "sport", Type::UInt16, false, "Source port.";
        DPORT: "dport", Type::UInt16, false, "Destination port.";
        FLAGS: "flags", Type::Utf8, false,
            "The TCP flags as tcpdump prints them inside `Flags [...]` (`S`, `S.`, `P.`, `FE.`).";
        SEQ_RAW: "seq_raw", Type::UInt32, false, "Sequence number field (absolute).";
        ACK_RAW: "ack_raw", Type::UInt32, false, "Acknowledgment number field (absolute).";
        LEN: "len", Type::UInt32, false,
            "Payload length on the wire, from the IP length fields (may exceed what was captured).";
        HDR_LEN: "hdr_len", Type::UInt8, false,
            "TCP header length in bytes, from the data offset field.";
        WIN: "win", Type::UInt16, false, "Window field (unscaled).";
        TRUNCATED: "truncated", Type::Bool, false,
            "Part of the segment (header or payload) was cut by the snaplen.";
        OPTIONS: "options", Type::List(&option::OPTION), false,
            "The TCP options in header order; a malformed or cut option ends the list.";
        CONN: "conn", Type::UInt64, false,
            "Connection number (tshark's `tcp.stream`).";
        SEQ: "seq", Type::UInt64, false,
            "Relative sequence number (tshark's `tcp.seq`), exact beyond 4 GiB.";
        ACK: "ack", Type::UInt64, false,
            "Relative acknowledgment number (`tcp.ack`); the raw field when the ACK flag is not set.";
        SCALE: "scale", Type::Int64, true,
            "Window scale factor in force (`tcp.window_size_scalefactor`): -1 unknown, -2 not used, else the multiplier; null on SYNs.";
        WIN_SCALED: "win_scaled", Type::UInt64, false,
            "Window in bytes (`tcp.window_size`): the field shifted by the scale when it is known.";
        ANALYSIS: "analysis", Type::List(&ANALYSIS_ITEM), false,
            "tshark's `tcp.analysis.*` flags of the segment (`retransmission`, `duplicate_ack`, ...), plus `persist_probe`.";
        DUP_ACK_NUM: "dup_ack_num", Type::UInt32, true,
            "Duplicate-ACK number (`tcp.analysis.duplicate_ack_num`).";
        DUP_ACK_FRAME: "dup_ack_frame", Type::UInt64, true,
            "The frame this duplicate ACK duplicates (`tcp.analysis.duplicate_ack_frame`).";
        ACK_RTT: "ack_rtt", Type::Duration, true,
            "Time from the segment this ACK acknowledges to this ACK (`tcp.analysis.ack_rtt`).";
        ACKS_FRAME: "acks_frame", Type::UInt64, true,
            "The frame this ACK acknowledges (`tcp.analysis.acks_frame`).";
        IRTT: "irtt", Type::Duration, true,
            "SYN to the handshake's ACK (`tcp.analysis.initial_rtt`), once known.";
        BYTES_IN_FLIGHT: "bytes_in_flight", Type::UInt64, true,
            "Bytes sent and not yet acknowledged (`tcp.analysis.bytes_in_flight`).";
    ]
}

field! {
    /// The item of [`ANALYSIS`]: one flag name.
    ANALYSIS_ITEM: "item", Type::Utf8, false, "A `tcp.analysis` flag name."
}

/// The fields of a TCP option.
pub mod option {
    use super::super::{Type, field, fields};

    field! {
        /// The item of the `options` list: one option.
        OPTION: "item", Type::Struct(&FIELDS), false, "One TCP option: its `kind` and the fields of that kind."
    }

    fields! {
        /// The fields of an option, in order; each kind has `kind` and its own.
        FIELDS = [
            KIND: "kind", Type::Utf8, false,
                "`eol`, `nop`, `mss`, `wscale`, `sack_perm`, `sack`, `ts`, `md5`, `ao`, `uto`, `mptcp`, `tfo`, `accecn`, `bad_length` (a known kind whose length byte is wrong), `unknown`, `malformed` (impossible length: the list ends) or `cut` (cut by the snaplen: the list ends).";
            VALUE: "value", Type::UInt16, true, "`mss`: the maximum segment size.";
            SHIFT: "shift", Type::UInt8, true, "`wscale`: the shift count.";
            BLOCKS: "blocks", Type::List(&BLOCK), true,
                "`sack`: the blocks, edges relative to the peer's base as tshark shows them (`tcp.options.sack_le` / `sack_re`).";
            BLOCKS_RAW: "blocks_raw", Type::List(&BLOCK_RAW), true,
                "`sack`: the blocks' raw edges.";
            VAL: "val", Type::UInt32, true, "`ts`: TSval.";
            ECR: "ecr", Type::UInt32, true, "`ts`: TSecr.";
            DIGEST: "digest", Type::Binary, true, "`md5`: the 16-byte digest.";
            KEY_ID: "key_id", Type::UInt8, true, "`ao`: KeyID.";
            RNEXT_KEY_ID: "rnext_key_id", Type::UInt8, true, "`ao`: RNextKeyID.";
            MAC: "mac", Type::Binary, true, "`ao`: the message authentication code.";
            MINUTES: "minutes", Type::Bool, true, "`uto`: the timeout is in minutes (else seconds).";
            TIMEOUT: "timeout", Type::UInt16, true, "`uto`: the 15-bit timeout.";
            SUBTYPE: "subtype", Type::UInt8, true, "`mptcp`: the option subtype.";
            ORDER: "order", Type::UInt8, true, "`accecn`: 0 or 1, the order of the counters.";
            CODE: "code", Type::UInt8, true,
                "`bad_length`, `unknown`, `malformed`, `cut`: the option kind number.";
            DATA: "data", Type::Binary, true,
                "`mptcp`, `accecn`, `bad_length`, `unknown`: the option data after kind and length (for `accecn` in kind 254, after the ExID).";
            COOKIE: "cookie", Type::Binary, true, "`tfo`: the cookie (empty: a cookie request).";
            EXPERIMENTAL: "experimental", Type::Bool, true,
                "`tfo`, `accecn`: carried in the experimental kind 254 with its ExID.";
            OFFSET: "offset", Type::UInt16, true,
                "`malformed`, `cut`: the option's offset in the option bytes.";
            LEN: "len", Type::UInt8, true,
                "`malformed`, `cut`: the option's length byte (null when not captured).";
        ]
    }

    field! {
        /// The item of `blocks`: one SACK block, `[left, right]` in JSON.
        BLOCK: "item", Type::Tuple(&EDGES), false, "One SACK block (relative edges)."
    }

    field! {
        /// The item of `blocks_raw`: one SACK block, `[left, right]` in JSON.
        BLOCK_RAW: "item", Type::Tuple(&EDGES_RAW), false, "One SACK block (raw edges)."
    }

    fields! {
        @in_array
        /// A relative SACK block's edges.
        EDGES = [
            LEFT: "left", Type::UInt64, false, "Left edge (the first sequence number of the block).";
            RIGHT: "right", Type::UInt64, false, "Right edge (the sequence number after the block).";
        ]
    }

    fields! {
        @in_array
        /// A raw SACK block's edges.
        EDGES_RAW = [
            LEFT_RAW: "left", Type::UInt32, false, "Left edge, raw.";
            RIGHT_RAW: "right", Type::UInt32, false, "Right edge, raw.";
        ]
    }
}

/// Hands one segment row to `s`: the packet fields of `seg` (record `frame`,
/// captured at `ts_ns`), then the analysis fields of `facts`.
pub fn visit<S: Sink + ?Sized>(
    s: &mut S,
    frame: u64,
    ts_ns: i64,
    seg: &Segment<'_>,
    facts: &SegmentFacts,
) {
    s.begin(&SEGMENT);
    s.u64(&FRAME, frame);
    s.i64(&TS_NS, ts_ns);
    s.addr(&SRC, &seg.ip.src);
    s.addr(&DST, &seg.ip.dst);
    s.u64(&SPORT, u64::from(seg.sport));
    s.u64(&DPORT, u64::from(seg.dport));
    s.str(&FLAGS, flag_letters(seg.flags).as_str());
    s.u64(&SEQ_RAW, u64::from(seg.seq.0));
    s.u64(&ACK_RAW, u64::from(seg.ack.0));
    s.u64(&LEN, u64::from(seg.payload_len));
    s.u64(&HDR_LEN, u64::from(seg.header_len));
    s.u64(&WIN, u64::from(seg.window));
    s.bool(&TRUNCATED, seg.truncated);
    s.begin(&OPTIONS);
    for o in seg.options.iter() {
        match o {
            Ok(o) => visit_option(s, &o, seg.ack, facts),
            Err(e) => visit_bad_option(s, &e),
        }
    }
    s.end();
    let f = facts;
    s.u64(&CONN, f.conn.0);
    s.u64(&SEQ, f.seq);
    s.u64(&ACK, f.ack);
    s.opt_i64(&SCALE, f.scale.map(|s| s.tshark_value()));
    s.u64(&WIN_SCALED, f.win_scaled);
    s.begin(&ANALYSIS);
    for name in f.flags.names() {
        s.str(&ANALYSIS_ITEM, name);
    }
    s.end();
    s.opt_u64(
        &DUP_ACK_NUM,
        (f.dup_ack_num > 0).then_some(u64::from(f.dup_ack_num)),
    );
    s.opt_u64(&DUP_ACK_FRAME, f.dup_ack_of);
    s.opt_u64(&ACK_RTT, f.ack_rtt_ns);
    s.opt_u64(&ACKS_FRAME, f.acks_frame);
    s.opt_u64(&IRTT, f.irtt_ns);
    s.opt_u64(&BYTES_IN_FLIGHT, f.bytes_in_flight);
    s.end();
}

/// One well-formed option. SACK edges are made relative with `facts` (the
/// segment's raw acknowledgment number is `seg_ack`).
fn visit_option<S: Sink + ?Sized>(
    s: &mut S,
    o: &TcpOption<'_>,
    seg_ack: SeqNumber,
    facts: &SegmentFacts,
) {
    use option::*;
    s.begin(&OPTION);
    match *o {
        TcpOption::Eol => s.str(&KIND, "eol"),
        TcpOption::Nop => s.str(&KIND, "nop"),
        TcpOption::Mss(v) => {
            s.str(&KIND, "mss");
            s.u64(&VALUE, u64::from(v));
        }
        TcpOption::WindowScale(v) => {
            s.str(&KIND, "wscale");
            s.u64(&SHIFT, u64::from(v));
        }
        TcpOption::SackPermitted => s.str(&KIND, "sack_perm"),
        TcpOption::Sack(blocks) => {
            s.str(&KIND, "sack");
            s.begin(&BLOCKS);
            for (l, r) in blocks.iter() {
                s.begin(&BLOCK);
                s.u64(&LEFT, facts.ack_space_rel(l, seg_ack));
                s.u64(&RIGHT, facts.ack_space_rel(r, seg_ack));
                s.end();
            }
            s.end();
            s.begin(&BLOCKS_RAW);
            for (l, r) in blocks.iter() {
                s.begin(&BLOCK_RAW);
                s.u64(&LEFT_RAW, u64::from(l.0));
                s.u64(&RIGHT_RAW, u64::from(r.0));
                s.end();
            }
            s.end();
        }
        TcpOption::Timestamps { val, ecr } => {
            s.str(&KIND, "ts");
            s.u64(&VAL, u64::from(val));
            s.u64(&ECR, u64::from(ecr));
        }
        TcpOption::Md5(d) => {
            s.str(&KIND, "md5");
            s.bytes(&DIGEST, d);
        }
        TcpOption::Ao {
            key_id,
            rnext_key_id,
            mac,
        } => {
            s.str(&KIND, "ao");
            s.u64(&KEY_ID, u64::from(key_id));
            s.u64(&RNEXT_KEY_ID, u64::from(rnext_key_id));
            s.bytes(&MAC, mac);
        }
        TcpOption::UserTimeout { minutes, timeout } => {
            s.str(&KIND, "uto");
            s.bool(&MINUTES, minutes);
            s.u64(&TIMEOUT, u64::from(timeout));
        }
        TcpOption::Mptcp { subtype, data } => {
            s.str(&KIND, "mptcp");
            s.u64(&SUBTYPE, u64::from(subtype));
            s.bytes(&DATA, data);
        }
        TcpOption::FastOpen {
            cookie,
            experimental,
        } => {
            s.str(&KIND, "tfo");
            s.bytes(&COOKIE, cookie);
            s.bool(&EXPERIMENTAL, experimental);
        }
        TcpOption::AccEcn {
            order,
            data,
            experimental,
        } => {
            s.str(&KIND, "accecn");
            s.u64(&ORDER, u64::from(order));
            s.bytes(&DATA, data);
            s.bool(&EXPERIMENTAL, experimental);
        }
        TcpOption::BadLength { kind, data } => {
            s.str(&KIND, "bad_length");
            s.u64(&CODE, u64::from(kind));
            s.bytes(&DATA, data);
        }
        TcpOption::Unknown { kind, data } => {
            s.str(&KIND, "unknown");
            s.u64(&CODE, u64::from(kind));
            s.bytes(&DATA, data);
        }
    }
    s.end();
}

/// A malformed option (`malformed`: its length is impossible) or one cut by
/// the snaplen (`cut`); the list ends with it.
fn visit_bad_option<S: Sink + ?Sized>(s: &mut S, e: &OptionError) {
    use option::*;
    s.begin(&OPTION);
    s.str(&KIND, if e.truncated { "cut" } else { "malformed" });
    s.u64(&CODE, u64::from(e.kind));
    s.u64(&OFFSET, e.offset as u64);
    s.opt_u64(&LEN, e.len.map(u64::from));
    s.end();
}

//! A digest of every column of every Arrow batch `tcpkit.analyze()` builds
//! from a capture (segments, connections, findings, listeners): one line a
//! column a batch, `table batch column sha256`. The check that a change to
//! the column builders changes no Arrow output: run it before and after on
//! every test capture and diff the listings
//! (`bench/arrow-digest.sh` does).
//!
//! The digest is of the logical content: the type, the length, which slots
//! are null, the values of the valid slots (and a list's item counts), so
//! two equal arrays hash alike whatever their buffers' layout.
//!
//! `cargo run --release -p tcpkit-examples --example arrow_digest -- CAPTURE...`

use arrow_array::cast::AsArray;
use arrow_array::{Array, ArrowPrimitiveType, RecordBatch};
use sha2::{Digest, Sha256};
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::arrow::{
    ConnectionBatchBuilder, SegmentBatchBuilder, findings_batch, listeners_batch,
};
use tcpkit_core::{Analysis, Event};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for path in std::env::args().skip(1) {
        println!("# {path}");
        let mut a = match Analysis::open(&path, AnalyzerConfig::default()) {
            Ok(a) => a,
            Err(e) => {
                println!("open error: {e}");
                continue;
            }
        };
        // Small batches for small captures: several batches, and a batch
        // boundary inside the options of a capture.
        let size = 1000;
        let mut segments = SegmentBatchBuilder::new(size);
        let mut connections = ConnectionBatchBuilder::new(size);
        let mut seg_batches = Vec::new();
        let mut conn_batches = Vec::new();
        let mut report = None;
        while let Some(event) = a.next_event() {
            match event {
                Err(e) => {
                    println!("read error: {e}");
                    break;
                }
                Ok(Event::Segment(row)) => {
                    let Some(facts) = &row.facts else { continue };
                    if let Some(b) =
                        segments.push(row.packet.frame, row.packet.ts_ns, &row.segment, facts)?
                    {
                        seg_batches.push(b);
                    }
                }
                Ok(Event::Connection(c)) => conn_batches.extend(connections.push(&c)?),
                Ok(Event::Report(r)) => report = Some(r),
            }
        }
        seg_batches.extend(segments.finish()?);
        conn_batches.extend(connections.finish()?);
        print_batches("segments", &seg_batches);
        print_batches("connections", &conn_batches);
        if let Some(r) = report {
            print_batches("findings", &[findings_batch(&r)?]);
            print_batches("listeners", &[listeners_batch(&r)?]);
        }
    }
    Ok(())
}

fn print_batches(table: &str, batches: &[RecordBatch]) {
    for (i, b) in batches.iter().enumerate() {
        for (f, c) in b.schema().fields().iter().zip(b.columns()) {
            let mut h = Sha256::new();
            hash_array(&mut h, c.as_ref());
            let d = h.finalize();
            let hex: String = d.iter().map(|b| format!("{b:02x}")).collect();
            println!("{table} {i} {} {hex}", f.name());
        }
    }
}

fn hash_primitive<T: ArrowPrimitiveType>(h: &mut Sha256, a: &dyn Array) {
    let a = a.as_primitive::<T>();
    for i in 0..a.len() {
        if a.is_valid(i) {
            h.update(format!("{:?};", a.value(i)));
        }
    }
}

/// The logical content of `a` into `h`.
fn hash_array(h: &mut Sha256, a: &dyn Array) {
    use arrow_array::types::*;
    use arrow_schema::DataType as D;
    h.update(format!("{:?}/{}/", a.data_type(), a.len()));
    for i in 0..a.len() {
        h.update([u8::from(a.is_valid(i))]);
    }
    match a.data_type() {
        D::Boolean => {
            let a = a.as_boolean();
            for i in 0..a.len() {
                if a.is_valid(i) {
                    h.update([u8::from(a.value(i))]);
                }
            }
        }
        D::UInt8 => hash_primitive::<UInt8Type>(h, a),
        D::UInt16 => hash_primitive::<UInt16Type>(h, a),
        D::UInt32 => hash_primitive::<UInt32Type>(h, a),
        D::UInt64 => hash_primitive::<UInt64Type>(h, a),
        D::Int64 => hash_primitive::<Int64Type>(h, a),
        D::Float64 => hash_primitive::<Float64Type>(h, a),
        D::Timestamp(..) => hash_primitive::<TimestampNanosecondType>(h, a),
        D::Duration(..) => hash_primitive::<DurationNanosecondType>(h, a),
        D::Utf8 => {
            let a = a.as_string::<i32>();
            for i in 0..a.len() {
                if a.is_valid(i) {
                    h.update(format!("{}:{};", a.value(i).len(), a.value(i)));
                }
            }
        }
        D::Binary => {
            let a = a.as_binary::<i32>();
            for i in 0..a.len() {
                if a.is_valid(i) {
                    h.update(a.value(i).len().to_le_bytes());
                    h.update(a.value(i));
                }
            }
        }
        D::Struct(_) => {
            for c in a.as_struct().columns() {
                hash_array(h, c.as_ref());
            }
        }
        D::List(_) => {
            let l = a.as_list::<i32>();
            for i in 0..l.len() {
                h.update(l.value_length(i).to_le_bytes());
            }
            let first = l.value_offsets()[0] as usize;
            let last = l.value_offsets()[l.len()] as usize;
            hash_array(h, l.values().slice(first, last - first).as_ref());
        }
        other => h.update(format!("unhandled {other:?}")),
    }
}

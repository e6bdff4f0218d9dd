//! JSON and Arrow come from one declaration of the columns: on every lab
//! capture and every capture of the tcpdump corpus, each segment's JSON
//! object (as `tcpkit segments --json` prints it) and its Arrow row hold the
//! same values, field by field (nested options, SACK blocks, nulls); the same
//! for each connection's JSON object and Arrow row. The Arrow builder rejects
//! any field visited that the schema does not declare (or of another type, or
//! null where not nullable), so these passes also check every visited field
//! against the declared schema.
#![cfg(feature = "arrow")]

use arrow_array::cast::AsArray;
use arrow_array::types::{
    DurationNanosecondType, Float64Type, Int64Type, TimestampNanosecondType, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};
use arrow_array::{Array, RecordBatch};
use serde_json::{Map, Value};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig};
use tcpkit_core::arrow::{self as tarrow, RecordBatchReader};
use tcpkit_core::schema::{self, Field, Type};
use tcpkit_core::wire;
use tcpkit_core::{Analysis, Event};

fn testdata() -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../testdata");
    assert!(
        p.join("captures/lab").is_dir(),
        "no testdata at {}",
        p.display()
    );
    p
}

/// Every lab capture (`captures/lab/*/capture*.pcap*`).
fn lab_captures() -> Vec<PathBuf> {
    let mut v = Vec::new();
    for d in std::fs::read_dir(testdata().join("captures/lab")).unwrap() {
        let d = d.unwrap().path();
        if !d.is_dir() {
            continue;
        }
        for f in std::fs::read_dir(&d).unwrap() {
            let f = f.unwrap().path();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            if name.starts_with("capture") && name.contains(".pcap") {
                v.push(f);
            }
        }
    }
    v.sort();
    assert!(v.len() >= 17, "{v:?}");
    v
}

/// Every capture of the tcpdump corpus (options of every kind, damaged headers).
fn corpus_captures() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(testdata().join("corpus/tcpdump"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            n.ends_with(".pcap") || n.ends_with(".pcapng")
        })
        .collect();
    v.sort();
    v
}

/// Lowercase hex.
fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

/// The JSON value of row `i` of `a`, read as declared by `f`: what the JSON
/// writer should have written for it (objects without their null fields).
fn value(f: &Field, a: &dyn Array, i: usize) -> Value {
    if a.is_null(i) {
        return Value::Null;
    }
    match f.ty {
        Type::Bool => a.as_boolean().value(i).into(),
        Type::UInt8 => a.as_primitive::<UInt8Type>().value(i).into(),
        Type::UInt16 => a.as_primitive::<UInt16Type>().value(i).into(),
        Type::UInt32 => a.as_primitive::<UInt32Type>().value(i).into(),
        Type::UInt64 => a.as_primitive::<UInt64Type>().value(i).into(),
        Type::Int64 => a.as_primitive::<Int64Type>().value(i).into(),
        Type::Float64 => a.as_primitive::<Float64Type>().value(i).into(),
        Type::Timestamp => a.as_primitive::<TimestampNanosecondType>().value(i).into(),
        Type::Duration => {
            // The JSON writes seconds with nine decimals; parse the same text.
            let ns = a.as_primitive::<DurationNanosecondType>().value(i);
            assert!(ns >= 0, "{}: negative duration {ns}", f.name);
            serde_json::from_str(&format!("{}.{:09}", ns / 1_000_000_000, ns % 1_000_000_000))
                .unwrap()
        }
        Type::Utf8 => a.as_string::<i32>().value(i).into(),
        Type::Binary => hex(a.as_binary::<i32>().value(i)).into(),
        Type::Struct(fields) => {
            let s = a.as_struct();
            let mut m = Map::new();
            for (k, cf) in fields.iter().enumerate() {
                let v = value(cf, s.column(k).as_ref(), i);
                if !v.is_null() {
                    m.insert(cf.name.to_owned(), v);
                }
            }
            Value::Object(m)
        }
        Type::Tuple(fields) => {
            let s = a.as_struct();
            Value::Array(
                (0..fields.len())
                    .map(|k| value(fields[k], s.column(k).as_ref(), i))
                    .collect(),
            )
        }
        Type::List(item) => {
            let l = a.as_list::<i32>();
            let v = l.value(i);
            Value::Array((0..v.len()).map(|j| value(item, v.as_ref(), j)).collect())
        }
        _ => panic!("{}: a type this test does not know: {:?}", f.name, f.ty),
    }
}

/// `v` with every null field of every object removed (the JSON writes an
/// absent field for a TCP option's fields that its kind lacks, `null` for a
/// field that has no value: Arrow has null for both).
fn without_nulls(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (k, without_nulls(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(without_nulls).collect()),
        v => v,
    }
}

/// The rows of `batches` as JSON values, read through the declared `row`.
fn rows(row: &Field, batches: &[RecordBatch]) -> Vec<Value> {
    let mut out = Vec::new();
    for b in batches {
        let s: arrow_array::StructArray = b.clone().into();
        for i in 0..b.num_rows() {
            out.push(value(row, &s, i));
        }
    }
    out
}

/// Records the declared paths that some row gave a non-null value.
fn seen_paths(row: &Field, v: &Value, prefix: &str, seen: &mut BTreeSet<String>) {
    match (row.ty, v) {
        (Type::Struct(fields), Value::Object(m)) => {
            for f in fields {
                if let Some(x) = m.get(f.name).filter(|x| !x.is_null()) {
                    let p = format!("{prefix}{}", f.name);
                    seen.insert(p.clone());
                    seen_paths(f, x, &format!("{p}."), seen);
                }
            }
        }
        (Type::Tuple(fields), Value::Array(a)) => {
            for (f, x) in fields.iter().zip(a) {
                let p = format!("{prefix}{}", f.name);
                seen.insert(p.clone());
                seen_paths(f, x, &format!("{p}."), seen);
            }
        }
        (Type::List(item), Value::Array(a)) => {
            for x in a {
                let p = format!("{prefix}{}", item.name);
                seen.insert(p.clone());
                seen_paths(item, x, &format!("{p}."), seen);
            }
        }
        _ => {}
    }
}

/// An analysis of `path` (stories as asked), or `None` when it is no capture.
fn analysis(path: &Path, story: bool) -> Option<Analysis> {
    let cfg = AnalyzerConfig {
        story,
        ..AnalyzerConfig::default()
    };
    Analysis::open(path, cfg).ok()
}

/// The segments of `path` as JSON objects (parsed; as `tcpkit segments
/// --json` writes them) and through the Arrow reader.
fn segment_rows(path: &Path, batch_size: usize) -> (Vec<Value>, Vec<Value>) {
    let mut json = Vec::new();
    if let Some(mut a) = analysis(path, false) {
        let mut line = String::new();
        while let Some(Ok(ev)) = a.next_event() {
            let Event::Segment(row) = ev else {
                continue;
            };
            let Some(f) = row.facts else {
                continue;
            };
            line.clear();
            let p = row.packet;
            schema::json::write_segment(&mut line, p.frame, p.ts_ns, &row.segment, &f).unwrap();
            json.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}")));
        }
    }
    let mut batches = Vec::new();
    if let Some(a) = analysis(path, false) {
        let reader = tarrow::segments_reader(a, batch_size);
        assert_eq!(reader.schema(), tarrow::segment_schema());
        for b in reader {
            match b {
                Ok(b) => {
                    assert!(b.num_rows() <= batch_size);
                    for c in b.columns() {
                        c.to_data().validate_full().unwrap();
                    }
                    batches.push(b);
                }
                // A damaged capture: the rows before the damage came first.
                Err(_) => break,
            }
        }
    }
    (json, rows(&schema::segment::SEGMENT, &batches))
}

/// The option fields absent from every option of a batch are columns of
/// nulls over one zero buffer that they share, and valid arrays. The lab's
/// Linux hosts configured no TCP-MD5 or TCP-AO key, so no option there has
/// a digest or a MAC.
#[test]
fn columns_of_nulls_share_one_buffer() {
    let path = lab_captures().into_iter().next().unwrap();
    let a = analysis(&path, false).unwrap();
    let batch = tarrow::segments_reader(a, 0).next().unwrap().unwrap();
    let options = batch.column_by_name("options").unwrap().as_list::<i32>();
    let option = options.values().as_struct();
    let digest = option.column_by_name("digest").unwrap().to_data();
    let mac = option.column_by_name("mac").unwrap().to_data();
    assert!(!digest.is_empty());
    assert_eq!(digest.null_count(), digest.len());
    assert_eq!(mac.null_count(), mac.len());
    assert_eq!(digest.buffers()[0].as_ptr(), mac.buffers()[0].as_ptr());
    for c in batch.columns() {
        c.to_data().validate_full().unwrap();
    }
}

#[test]
fn segments_json_and_arrow_agree_on_every_capture() {
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for (i, path) in lab_captures()
        .into_iter()
        .chain(corpus_captures())
        .enumerate()
    {
        // Batch sizes that do and do not divide the row counts.
        let (json, arrow) = segment_rows(&path, [97, 1000, 1][i % 3]);
        assert_eq!(json.len(), arrow.len(), "{}", path.display());
        for (k, (j, a)) in json.into_iter().zip(arrow).enumerate() {
            seen_paths(&schema::segment::SEGMENT, &j, "", &mut seen);
            assert_eq!(
                without_nulls(j),
                a,
                "{} row {k}: JSON (left) and Arrow (right) differ",
                path.display()
            );
            total += 1;
        }
    }
    // The option kinds no capture carries (TCP-AO, user timeout), on a
    // segment made here: kind 29 length 6 (KeyID 1, RNextKeyID 2, MAC aa bb),
    // kind 28 length 4 (granularity bit set: minutes, timeout 5).
    let opts = [29, 6, 1, 2, 0xaa, 0xbb, 28, 4, 0x80, 5, 1, 0];
    let seg = wire::Segment {
        ip: wire::IpInfo {
            src: "192.0.2.1".parse().unwrap(),
            dst: "2001:db8::1".parse().unwrap(),
            version: 4,
            tos: 0,
            ttl: 64,
            id: 0,
            frag: 0,
            flow_label: 0,
            total_len: 72,
        },
        sport: 1,
        dport: 2,
        seq: wire::SeqNumber(7),
        ack: wire::SeqNumber(0),
        flags: wire::TcpFlags(wire::TcpFlags::SYN),
        window: 100,
        checksum: 0,
        urgent: 0,
        header_len: 32,
        header_captured: 32,
        options: wire::Options::new(&opts),
        payload: &[],
        payload_len: 0,
        truncated: false,
    };
    let f = Analyzer::new(AnalyzerConfig::default()).observe(1, 5, &seg);
    let mut line = String::new();
    schema::json::write_segment(&mut line, 1, 5, &seg, &f).unwrap();
    let j: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(
        j["options"][0],
        serde_json::json!({"kind": "ao", "key_id": 1, "rnext_key_id": 2, "mac": "aabb"})
    );
    assert_eq!(
        j["options"][1],
        serde_json::json!({"kind": "uto", "minutes": true, "timeout": 5})
    );
    let mut b = tarrow::SegmentBatchBuilder::new(10);
    assert!(b.push(1, 5, &seg, &f).unwrap().is_none());
    let batch = b.finish().unwrap().unwrap();
    seen_paths(&schema::segment::SEGMENT, &j, "", &mut seen);
    assert_eq!(
        without_nulls(j),
        rows(&schema::segment::SEGMENT, &[batch])[0]
    );
    assert!(total > 7_000, "{total} segments");
    // Every declared field had a value somewhere, so every one was compared.
    let mut declared = BTreeSet::new();
    schema::walk(schema::segment::SEGMENT.children(), |p, _| {
        declared.insert(p.to_owned());
    });
    let unseen: Vec<_> = declared.difference(&seen).collect();
    assert!(unseen.is_empty(), "never given a value: {unseen:?}");
}

/// The connections of `path` as JSON objects (parsed; as `tcpkit flows
/// --json` writes them) and through the Arrow reader.
fn connection_rows(path: &Path, batch_size: usize) -> (Vec<Value>, Vec<Value>) {
    let mut a = analysis(path, true).unwrap();
    let mut json = Vec::new();
    while let Some(ev) = a.next_event() {
        if let Event::Connection(rec) = ev.unwrap() {
            let mut line = String::new();
            schema::json::write_connection(&mut line, &rec).unwrap();
            json.push(serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}")));
        }
    }
    let reader = tarrow::connections_reader(analysis(path, true).unwrap(), batch_size);
    assert_eq!(reader.schema(), tarrow::connection_schema());
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    assert!(batches.iter().all(|b| b.num_rows() <= batch_size));
    (json, rows(&schema::connection::CONNECTION, &batches))
}

#[test]
fn connections_json_and_arrow_agree_on_every_lab_capture() {
    let mut seen = BTreeSet::new();
    let mut total = 0;
    for (i, path) in lab_captures().into_iter().enumerate() {
        let (json, arrow) = connection_rows(&path, [7, 1000, 1][i % 3]);
        assert_eq!(json.len(), arrow.len(), "{}", path.display());
        for (k, (j, a)) in json.into_iter().zip(arrow).enumerate() {
            seen_paths(&schema::connection::CONNECTION, &j, "", &mut seen);
            assert_eq!(
                without_nulls(j),
                a,
                "{} connection {k}: JSON (left) and Arrow (right) differ",
                path.display()
            );
            total += 1;
        }
    }
    assert!(total > 500, "{total} connections");
    let mut declared = BTreeSet::new();
    schema::walk(schema::connection::CONNECTION.children(), |p, _| {
        declared.insert(p.to_owned());
    });
    let unseen: Vec<_> = declared.difference(&seen).collect();
    // No lab connection sends keep-alives long enough for their settings to
    // be inferred, nor a segment more often than a train lists, nor is
    // evicted and resumed under the default memory budget, nor goes without
    // window scaling (the only case with an `options` note): every other
    // declared field had a value somewhere, so every one was compared.
    let lab_lacks = [
        "inferred.keepalive_intvl_s",
        "inferred.keepalive_probes",
        "inferred.keepalive_time_s",
        "notes.item.window_scaling",
        "resumed_frame",
        "resumed_ts_ns",
        "trains.item.more",
    ];
    assert!(
        unseen.iter().all(|p| lab_lacks.contains(&p.as_str())),
        "never given a value: {unseen:?}"
    );
}

/// A reader goes through the Arrow C stream interface (what Python's
/// `__arrow_c_stream__` and the C ABI hand out) and comes back whole.
#[test]
fn readers_cross_the_c_stream_interface() {
    use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
    let path = testdata().join("captures/lab/bulk-loss-sack/capture.pcap");
    let direct: usize = tarrow::segments_reader(analysis(&path, false).unwrap(), 500)
        .map(|b| b.unwrap().num_rows())
        .sum();
    // tshark.tsv: one line per frame; the TCP ones have a `tcp.stream`.
    let tsv = std::fs::read_to_string(path.with_file_name("tshark.tsv")).unwrap();
    let mut lines = tsv.lines();
    let head: Vec<&str> = lines.next().unwrap().split('\t').collect();
    let col = head.iter().position(|h| *h == "tcp.stream").unwrap();
    let tcp = lines
        .filter(|l| l.split('\t').nth(col).is_some_and(|v| !v.is_empty()))
        .count();
    assert_eq!(direct, tcp);
    let reader = tarrow::segments_reader(analysis(&path, false).unwrap(), 500);
    let stream = FFI_ArrowArrayStream::new(Box::new(reader));
    let back = ArrowArrayStreamReader::try_new(stream).unwrap();
    assert_eq!(back.schema(), tarrow::segment_schema());
    let rows: usize = back.map(|b| b.unwrap().num_rows()).sum();
    assert_eq!(rows, direct);
    let flows = tarrow::connections_reader(analysis(&path, true).unwrap(), 0);
    let back = ArrowArrayStreamReader::try_new(FFI_ArrowArrayStream::new(Box::new(flows))).unwrap();
    assert_eq!(back.map(|b| b.unwrap().num_rows()).sum::<usize>(), 1);
}

/// A capture cut in the middle: every row before the cut, then the error,
/// then nothing, from both readers.
#[test]
fn readers_give_everything_before_damage_then_the_error() {
    let path = testdata().join("captures/lab/many-short-connections/capture.pcap");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.truncate(bytes.len() / 2 + 7);
    let open = |story| {
        let cfg = AnalyzerConfig {
            story,
            ..AnalyzerConfig::default()
        };
        Analysis::from_bytes(bytes.clone(), cfg).unwrap()
    };
    // What the driver yields before its error.
    let (mut segs, mut conns) = (0, 0);
    let mut a = open(true);
    let mut errors = 0;
    while let Some(ev) = a.next_event() {
        match ev {
            Ok(Event::Segment(row)) => segs += usize::from(row.facts.is_some()),
            Ok(Event::Connection(_)) => conns += 1,
            Ok(Event::Report(_)) => {}
            Err(_) => errors += 1,
        }
    }
    assert_eq!(errors, 1);
    assert!(
        segs > 100 && conns > 10,
        "{segs} segments, {conns} connections"
    );
    for (reader, want) in [
        (
            Box::new(tarrow::segments_reader(open(false), 64)) as Box<dyn RecordBatchReader>,
            segs,
        ),
        (Box::new(tarrow::connections_reader(open(true), 8)), conns),
    ] {
        let items: Vec<_> = reader.collect();
        let (last, batches) = items.split_last().unwrap();
        assert!(last.is_err(), "the error comes last");
        let rows: usize = batches.iter().map(|b| b.as_ref().unwrap().num_rows()).sum();
        assert_eq!(rows, want);
    }
}

/// The capture-wide report: `tcpkit report --json`'s listeners and findings
/// (written from `schema::report`) and the Arrow listener and finding tables
/// hold the same values on every lab capture, and every declared field of a
/// finding is given a value by some capture (the codes the lab has).
#[test]
fn report_json_and_arrow_agree_on_every_lab_capture() {
    let mut seen = BTreeSet::new();
    let mut codes = BTreeSet::new();
    for path in lab_captures() {
        let mut a = analysis(&path, true).unwrap();
        let mut report = None;
        while let Some(ev) = a.next_event() {
            if let Event::Report(r) = ev.unwrap() {
                report = Some(r);
            }
        }
        let report = report.expect("a report");
        let mut line = String::new();
        schema::json::write_report(&mut line, &report).unwrap();
        let json: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(
            json["connections"].as_u64(),
            Some(report.connections),
            "{}",
            path.display()
        );
        let findings = tarrow::findings_batch(&report).unwrap();
        assert_eq!(findings.schema(), tarrow::finding_schema());
        let listeners = tarrow::listeners_batch(&report).unwrap();
        assert_eq!(listeners.schema(), tarrow::listener_schema());
        for (name, row, batch) in [
            ("findings", &schema::report::FINDING, findings),
            ("listeners", &schema::report::LISTENER, listeners),
        ] {
            let j = json[name].as_array().unwrap().clone();
            let a = rows(row, &[batch]);
            assert_eq!(j.len(), a.len(), "{} {name}", path.display());
            for (j, a) in j.into_iter().zip(a) {
                if name == "findings" {
                    codes.insert(j["code"].as_str().unwrap().to_owned());
                    seen_paths(row, &j, "", &mut seen);
                }
                assert_eq!(without_nulls(j), a, "{} {name}", path.display());
            }
        }
    }
    // The lab's listeners: a SYN flood, SYN cookies, an accept-queue
    // overflow, a refused port; its zero-window capture; a client behind a
    // smaller MTU.
    for c in [
        "syn_flood",
        "syn_cookies",
        "accept_queue_overflow",
        "refusing",
        "zero_window",
        "mtu_mismatch",
    ] {
        assert!(codes.contains(c), "no {c} in {codes:?}");
    }
    let mut declared = BTreeSet::new();
    schema::walk(schema::report::FINDING.children(), |p, _| {
        declared.insert(p.to_owned());
    });
    let unseen: Vec<_> = declared.difference(&seen).collect();
    // No lab capture has an eviction under the default memory budget.
    let lab_lacks = ["evicted", "resumed", "forgotten"];
    assert!(
        unseen.iter().all(|p| lab_lacks.contains(&p.as_str())),
        "never given a value: {unseen:?}"
    );
}

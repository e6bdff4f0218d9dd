//! `--arrow`: the rows of `--json` as an Arrow IPC stream. On every capture
//! of the test data the stream holds the batches the library builds
//! (`tcpkit_core::arrow`, checked value by value against the JSON in
//! tcpkit-core's `schema_arrow` tests), one row per JSON line, in the same
//! order; on a cut capture, the rows before the damage and one error line.

mod common;

use arrow_array::RecordBatch;
use arrow_array::cast::AsArray;
use arrow_array::types::UInt64Type;
use arrow_ipc::reader::StreamReader;
use std::path::Path;
use tcpkit_core::Analysis;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::arrow::{ArrowError, SchemaRef, connections_reader, segments_reader};

/// The batches of an IPC stream, with its schema.
fn read_stream(bytes: &[u8]) -> (SchemaRef, Vec<RecordBatch>) {
    let reader = StreamReader::try_new(bytes, None).expect("an Arrow IPC stream");
    let schema = reader.schema();
    let batches = reader.collect::<Result<_, _>>().expect("its batches");
    (schema, batches)
}

/// The `u64` column `name` of all batches, in order.
fn column(batches: &[RecordBatch], name: &str) -> Vec<u64> {
    batches
        .iter()
        .flat_map(|b| {
            let c = b.column_by_name(name).expect("the column");
            c.as_primitive::<UInt64Type>().values().to_vec()
        })
        .collect()
}

/// The `u64` field `name` of each JSON line of `out`.
fn json_field(out: &[u8], name: &str) -> Vec<u64> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("a JSON line");
            v[name].as_u64().expect("an integer")
        })
        .collect()
}

/// The library's batches, concatenated into one per schema (batch bounds may
/// differ: the values may not).
fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> RecordBatch {
    arrow_select::concat::concat_batches(schema, batches).expect("same schema")
}

/// `COMMAND --arrow CAP` against `COMMAND --json CAP` (the same exit status and
/// error, the `columns` of each row) and against `want`, the library's batches
/// up to the damage, if any (a reader ends with the error after them).
fn check(
    cap: &Path,
    command: &str,
    schema: &SchemaRef,
    columns: &[&str],
    want: impl Iterator<Item = Result<RecordBatch, ArrowError>>,
) {
    let name = format!("{command} {}", cap.display());
    let arrow = common::run(&[command.as_ref(), "--arrow".as_ref(), cap.as_os_str()]);
    let json = common::run(&[command.as_ref(), "--json".as_ref(), cap.as_os_str()]);
    assert_eq!(arrow.status.code(), json.status.code(), "{name}");
    assert_eq!(arrow.stderr, json.stderr, "{name}: the same error, if any");
    let (got_schema, got) = read_stream(&arrow.stdout);
    assert_eq!(&got_schema, schema, "{name}");
    for c in columns {
        assert_eq!(column(&got, c), json_field(&json.stdout, c), "{name}: {c}");
    }
    let want: Vec<RecordBatch> = want.map_while(Result::ok).collect();
    assert_eq!(concat(schema, &got), concat(schema, &want), "{name}");
}

#[test]
fn arrow_streams_hold_the_librarys_batches_and_the_json_rows() {
    let no_story = AnalyzerConfig {
        story: false,
        ..AnalyzerConfig::default()
    };
    for cap in &common::captures() {
        let open = |cfg| Analysis::open(cap, cfg).expect("open");
        let segments = segments_reader(open(no_story), 0);
        let schema = tcpkit_core::arrow::segment_schema();
        check(cap, "segments", &schema, &["frame", "conn"], segments);
        let flows = connections_reader(open(AnalyzerConfig::default()), 0);
        let schema = tcpkit_core::arrow::connection_schema();
        check(cap, "flows", &schema, &["conn"], flows);
    }
}

/// The demo capture cut 10 bytes short: its last record (frame 12, not TCP)
/// is damaged. The stream is complete (readable to its end) with the 8 TCP
/// segments before it, and the damage is one line on stderr, exit 1, as
/// `--json` does (`cli.rs`, `cut_capture_prints_what_precedes_then_one_error_line`).
#[test]
fn a_cut_capture_keeps_the_rows_before_the_damage() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo.pcap");
    let data = std::fs::read(demo).expect("demo");
    let tmp = std::env::temp_dir().join(format!("tcpkit-arrow-{}.pcap", std::process::id()));
    std::fs::write(&tmp, &data[..data.len() - 10]).expect("write");
    let seg = common::run(&["segments".as_ref(), "--arrow".as_ref(), tmp.as_os_str()]);
    let flows = common::run(&["flows".as_ref(), "--arrow".as_ref(), tmp.as_os_str()]);
    let flows_json = common::run(&["flows".as_ref(), "--json".as_ref(), tmp.as_os_str()]);
    let _ = std::fs::remove_file(&tmp);
    for out in [&seg, &flows] {
        assert_eq!(out.status.code(), Some(1));
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(err.contains("frame 12, byte offset 883: "), "{err}");
    }
    let (_, batches) = read_stream(&seg.stdout);
    assert_eq!(column(&batches, "frame"), (3..=10).collect::<Vec<u64>>());
    // The one connection, handed out at the end of what could be read, as
    // `--json` writes it.
    let (_, batches) = read_stream(&flows.stdout);
    let conns = json_field(&flows_json.stdout, "conn");
    assert_eq!(conns.len(), 1);
    assert_eq!(column(&batches, "conn"), conns);
}

#[test]
fn arrow_excludes_the_other_outputs() {
    let demo = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/demo.pcap");
    for args in [
        ["segments", "--arrow", "--json"],
        ["segments", "--arrow", "--count"],
        ["segments", "--arrow", "--analyze-only"],
        ["flows", "--arrow", "--json"],
    ] {
        let out = common::run(&[&args[..], &[demo.to_str().expect("utf-8")]].concat());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

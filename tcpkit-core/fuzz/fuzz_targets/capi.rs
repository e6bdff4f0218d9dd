//! Fuzz target: the C ABI (feature `capi`, the only `unsafe` of the library
//! besides the optional map) over arbitrary bytes taken as a capture, called
//! as a C tool calls it, under the address sanitizer cargo-fuzz builds with.
//!
//! An analyzer from the bytes (`tcpkit_analyzer_from_bytes`, a four-connection
//! budget, so that evictions run too): every connection taken, every accessor
//! of each (summary, explanation, states of both sides, trains with their
//! frames and times, notes) read to its last byte, the report with its
//! explanation and findings, the last error's message. Then two more analyzers
//! of the same bytes, moved into the Arrow C streams of segments and of
//! connections (batches of 5 rows), each read to its end through arrow-rs's
//! importer.
//!
//! Checks beyond "no panic" and no sanitizer report: each string is
//! NUL-terminated at its length; a connection comes with `OK` and the end
//! with `END`, never both an error and a report; the report counts the
//! connection numbers handed out; the Arrow streams give as many connection
//! rows as the analyzer gave connections.
#![no_main]

use arrow_array::RecordBatchReader;
use arrow_array::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeSet;
use std::mem::MaybeUninit;
use std::ptr;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::capi::*;

/// Every byte of `s` read (the sanitizer checks each), and its NUL.
fn read_str(s: &tcpkit_str) -> usize {
    assert!(!s.data.is_null(), "a string is never NULL");
    // SAFETY: the library's contract: `len` bytes and a NUL at `data`.
    let bytes = unsafe { std::slice::from_raw_parts(s.data.cast::<u8>(), s.len + 1) };
    assert_eq!(bytes[s.len], 0, "NUL-terminated at its length");
    bytes.iter().map(|&b| usize::from(b)).sum()
}

/// Options with a four-connection budget and a short linger.
fn options() -> *mut tcpkit_options {
    let mut o = ptr::null_mut();
    // SAFETY: `o` is writable; the options are live until freed by the caller.
    unsafe {
        assert_eq!(tcpkit_options_new(&mut o), tcpkit_status::Ok);
        let budget = AnalyzerConfig::default().budget_for_live(4);
        assert_eq!(
            tcpkit_options_set_memory_budget(o, budget),
            tcpkit_status::Ok
        );
        assert_eq!(
            tcpkit_options_set_linger_ns(o, 1_000_000),
            tcpkit_status::Ok
        );
    }
    o
}

/// An analyzer of `data` (None: the bytes do not start as a capture).
fn analyzer(data: &[u8], opts: *const tcpkit_options) -> Option<*mut tcpkit_analyzer> {
    let mut a = ptr::null_mut();
    // SAFETY: `data` is `len` readable bytes; `opts` live; `a` writable.
    let status = unsafe { tcpkit_analyzer_from_bytes(data.as_ptr(), data.len(), opts, &mut a) };
    if status != tcpkit_status::Ok {
        assert!(a.is_null(), "no analyzer on failure");
        read_str(&tcpkit_last_error_message());
        return None;
    }
    Some(a)
}

/// Reads every accessor of connection `c`; returns its number.
///
/// # Safety
/// `c` is a live connection.
unsafe fn read_connection(c: *const tcpkit_connection) -> u64 {
    let mut sum = 0;
    // SAFETY (whole body): `c` is live by the caller's contract; every `out`
    // is a writable local; what the library writes is valid while `c` is.
    unsafe {
        let mut s = ptr::null();
        assert_eq!(tcpkit_connection_summary(c, &mut s), tcpkit_status::Ok);
        let conn = (*s).conn;
        let mut text = MaybeUninit::uninit();
        assert_eq!(
            tcpkit_connection_explain(c, text.as_mut_ptr()),
            tcpkit_status::Ok
        );
        sum ^= read_str(&text.assume_init());
        for side in [1, 2] {
            for i in 0.. {
                let mut st = MaybeUninit::<tcpkit_state_change>::uninit();
                match tcpkit_connection_state(c, side, i, st.as_mut_ptr()) {
                    tcpkit_status::Ok => sum ^= read_str(&st.assume_init().state),
                    tcpkit_status::End => break,
                    other => panic!("state {i} of side {side}: {other:?}"),
                }
            }
        }
        for i in 0.. {
            let mut t = MaybeUninit::<tcpkit_train>::uninit();
            match tcpkit_connection_train(c, i, t.as_mut_ptr()) {
                tcpkit_status::Ok => {
                    let t = t.assume_init();
                    sum ^= read_str(&t.kind) ^ read_str(&t.verdict);
                    let frames = std::slice::from_raw_parts(t.frames, t.sends);
                    let times = std::slice::from_raw_parts(t.ts_ns, t.sends);
                    sum ^= frames
                        .iter()
                        .zip(times)
                        .fold(0, |x, (&f, &t)| x ^ f as usize ^ t as usize);
                }
                tcpkit_status::End => break,
                other => panic!("train {i}: {other:?}"),
            }
        }
        for i in 0.. {
            let mut n = MaybeUninit::uninit();
            match tcpkit_connection_note(c, i, n.as_mut_ptr()) {
                tcpkit_status::Ok => sum ^= read_str(&n.assume_init()),
                tcpkit_status::End => break,
                other => panic!("note {i}: {other:?}"),
            }
        }
        std::hint::black_box(sum);
        conn
    }
}

/// Reads an analyzer's report: its explanation, count and findings; returns
/// the count.
///
/// # Safety
/// `a` is a live analyzer that answered `END`.
unsafe fn read_report(a: *const tcpkit_analyzer) -> u64 {
    // SAFETY (whole body): `a` live; the report lives as long; every `out`
    // is a writable local.
    unsafe {
        let mut r = ptr::null();
        assert_eq!(tcpkit_analyzer_report(a, &mut r), tcpkit_status::Ok);
        let mut text = MaybeUninit::uninit();
        assert_eq!(
            tcpkit_report_explain(r, text.as_mut_ptr()),
            tcpkit_status::Ok
        );
        read_str(&text.assume_init());
        let mut n = 0;
        assert_eq!(tcpkit_report_connections(r, &mut n), tcpkit_status::Ok);
        for i in 0.. {
            let mut f = MaybeUninit::<tcpkit_finding>::uninit();
            match tcpkit_report_finding(r, i, f.as_mut_ptr()) {
                tcpkit_status::Ok => {
                    let f = f.assume_init();
                    read_str(&f.code);
                    read_str(&f.text);
                }
                tcpkit_status::End => break,
                other => panic!("finding {i}: {other:?}"),
            }
        }
        n
    }
}

/// Rows of the Arrow stream `take` makes of a fresh analyzer of `data`, read
/// to the end (or to the error at the damage).
fn stream_rows(
    data: &[u8],
    opts: *const tcpkit_options,
    take: unsafe extern "C" fn(
        *mut tcpkit_analyzer,
        usize,
        *mut FFI_ArrowArrayStream,
    ) -> tcpkit_status,
) -> usize {
    let a = analyzer(data, opts).expect("the same bytes open again");
    let mut stream = FFI_ArrowArrayStream::empty();
    // SAFETY: `a` live and spent by the call; `stream` writable.
    assert_eq!(unsafe { take(a, 5, &mut stream) }, tcpkit_status::Ok);
    // SAFETY: `a` from `tcpkit_analyzer_from_bytes`, not used after.
    unsafe { tcpkit_analyzer_free(a) };
    let reader = ArrowArrayStreamReader::try_new(stream).expect("a stream with a schema");
    let width = reader.schema().fields().len();
    let mut rows = 0;
    for batch in reader {
        match batch {
            Ok(b) => {
                assert_eq!(b.num_columns(), width);
                rows += b.num_rows();
            }
            // The damage ends the stream after the rows before it.
            Err(_) => break,
        }
    }
    rows
}

fuzz_target!(|data: &[u8]| {
    let opts = options();
    let Some(a) = analyzer(data, opts) else {
        // SAFETY: from `tcpkit_options_new`, not used after.
        unsafe { tcpkit_options_free(opts) };
        return;
    };
    let (mut numbers, mut records, mut failed) = (BTreeSet::new(), 0, false);
    loop {
        let mut c = ptr::null_mut();
        // SAFETY: `a` live; `c` writable.
        match unsafe { tcpkit_analyzer_next_connection(a, &mut c) } {
            tcpkit_status::Ok => {
                // SAFETY: `c` was just handed out; freed once, here.
                unsafe {
                    numbers.insert(read_connection(c));
                    tcpkit_connection_free(c);
                }
                records += 1;
            }
            tcpkit_status::End => break,
            _ => {
                // Damage: said once, with where; the rest comes after it.
                read_str(&tcpkit_last_error_message());
                assert!(!failed, "one error");
                failed = true;
            }
        }
    }
    // SAFETY: `a` answered END.
    let counted = unsafe { read_report(a) };
    assert_eq!(
        counted,
        numbers.len() as u64,
        "the report counts the numbers"
    );
    // SAFETY: from `tcpkit_analyzer_from_bytes`, not used after.
    unsafe { tcpkit_analyzer_free(a) };
    stream_rows(data, opts, tcpkit_analyzer_arrow_segments);
    let rows = stream_rows(data, opts, tcpkit_analyzer_arrow_connections);
    if !failed {
        assert_eq!(rows, records, "a connection row per connection record");
    }
    // SAFETY: from `tcpkit_options_new`, not used after.
    unsafe { tcpkit_options_free(opts) };
});

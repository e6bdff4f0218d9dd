//! Fuzz target: the threaded analysis (`AnalyzerConfig::threads`) over
//! arbitrary bytes taken as a capture, against one thread. Under `cfg(fuzzing)`
//! a chunk of the threads' work is 8 packet records, so that inputs of a few
//! dozen packets cross many chunks: the end or damage inside a chunk, the
//! merge of the workers' chunks.
//!
//! Checks beyond "no panic": two threads over the bytes in memory (one
//! feeder thread hands the packets to both) and three threads over the same
//! bytes in a file read by path (mapped once for all with the `mmap`
//! feature) yield what one thread yields, event for event: every connection
//! record, the error, the report and the counters. The connections are
//! handed out late (closed ones after 1 ms, idle ones after 2 s) so that most
//! come out during the reading, where the merge must put them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::Write;
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::capture::SliceReader;
use tcpkit_core::{Analysis, Event};

/// Everything an analysis yields, as comparable text, then its counters.
fn events(a: Result<Analysis, tcpkit_core::Error>) -> Vec<String> {
    let mut a = match a {
        Ok(a) => a.segments(false),
        Err(e) => return vec![format!("open: {e}")],
    };
    let mut v = Vec::new();
    while let Some(ev) = a.next_event() {
        v.push(match ev {
            Ok(Event::Segment(_)) => unreachable!("segments are off"),
            Ok(Event::Connection(c)) => format!("connection {c:?}"),
            Ok(Event::Report(r)) => format!("report {r:?}"),
            // The same damage, named by the input: the file's name differs.
            Err(e) => format!("error {}", e.to_string().split_once(": ").map_or("", |x| x.1)),
        });
    }
    v.push(format!("counts {:?}", a.counts()));
    v.push(format!("stats {:?}", a.stats()));
    v.push(format!("times {:?} {:?}", a.first_ts_ns(), a.last_ts_ns()));
    v
}

fn config(threads: usize) -> AnalyzerConfig {
    AnalyzerConfig {
        closed_linger_ns: 1_000_000,
        linger_ns: 3_000_000_000,
        idle_timeout_ns: Some(2_000_000_000),
        threads,
        ..AnalyzerConfig::default()
    }
}

fuzz_target!(|data: &[u8]| {
    if SliceReader::new(data).is_err() {
        return;
    }
    let one = events(Analysis::from_bytes(data.to_vec(), config(1)));
    let fed = events(Analysis::from_bytes(data.to_vec(), config(2)));
    assert!(one == fed, "2 threads over bytes:\n{one:#?}\n{fed:#?}");
    // One file per fuzzing process, rewritten for each input (nothing maps
    // it then: the analysis over it is over).
    let path = std::env::temp_dir().join(format!("tcpkit-fuzz-threads-{}.pcap", std::process::id()));
    let written = std::fs::File::create(&path).and_then(|mut f| f.write_all(data));
    if written.is_ok() {
        let mapped = events(Analysis::open(&path, config(3)));
        assert!(one == mapped, "3 threads over a file:\n{one:#?}\n{mapped:#?}");
    }
});

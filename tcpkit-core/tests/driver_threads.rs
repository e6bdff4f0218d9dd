//! `AnalyzerConfig::threads`: the threaded `Analysis` (workers each reading
//! the capture and analysing their 4-tuples, the merge) yields what one thread yields, event for event
//! (every connection record, in the same order with the same numbers, the
//! report, the counters), on every capture of the test data and on a
//! synthetic capture of thousands of interleaved connections.

mod synthetic;

use std::path::{Path, PathBuf};
use tcpkit_core::analysis::AnalyzerConfig;
use tcpkit_core::{Analysis, Event};

fn testdata() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../testdata"))
}

/// Every capture file of the test data: the lab's and the corpora's.
fn captures() -> Vec<PathBuf> {
    let td = testdata();
    let mut v = Vec::new();
    for d in std::fs::read_dir(td.join("captures/lab"))
        .unwrap()
        .flatten()
    {
        v.extend(
            ["capture.pcap", "capture.pcapng"]
                .iter()
                .map(|n| d.path().join(n))
                .filter(|p| p.is_file()),
        );
    }
    for c in ["tcpdump", "libpcap"] {
        for f in std::fs::read_dir(td.join("corpus").join(c))
            .unwrap()
            .flatten()
        {
            let p = f.path();
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            if name.ends_with(".pcap") || name.ends_with(".pcapng") {
                v.push(p);
            }
        }
    }
    v.sort();
    assert!(v.len() > 100, "the lab captures and the corpora");
    v
}

/// Everything an analysis yields, as comparable text, then its counters.
fn run(a: Result<Analysis, tcpkit_core::Error>) -> Vec<String> {
    let mut a = match a {
        Ok(a) => a.segments(false),
        Err(e) => return vec![format!("open: {e}")],
    };
    let mut v = Vec::new();
    while let Some(ev) = a.next_event() {
        v.push(match ev {
            Ok(Event::Segment(_)) => "segment".to_string(),
            Ok(Event::Connection(c)) => format!("connection {c:?}"),
            Ok(Event::Report(r)) => format!("report {r:?}"),
            Err(e) => format!("error {e}"),
        });
    }
    v.push(format!("counts {:?}", a.counts()));
    v.push(format!("stats {:?}", a.stats()));
    v.push(format!("times {:?} {:?}", a.first_ts_ns(), a.last_ts_ns()));
    v
}

fn threads(cfg: AnalyzerConfig, n: usize) -> AnalyzerConfig {
    AnalyzerConfig { threads: n, ..cfg }
}

/// The configurations compared: the default, and one that hands connections
/// out soon (closed ones after 1 ms, finished ones after 3 s, idle ones
/// after 2 s), so that most come out while the capture is read, at the frame
/// where one thread hands them out, and the stories the cross-check holds
/// (until 3 s after their next SYN was due) too.
fn configs() -> [AnalyzerConfig; 2] {
    [
        AnalyzerConfig::default(),
        AnalyzerConfig {
            closed_linger_ns: 1_000_000,
            linger_ns: 3_000_000_000,
            idle_timeout_ns: Some(2_000_000_000),
            ..AnalyzerConfig::default()
        },
    ]
}

fn same(p: &Path, cfg: AnalyzerConfig, n: usize) {
    let one = run(Analysis::open(p, cfg));
    let many = run(Analysis::open(p, threads(cfg, n)));
    assert_eq!(one.len(), many.len(), "{} with {n} threads", p.display());
    for (a, b) in one.iter().zip(&many) {
        assert!(a == b, "{} with {n} threads:\n{a}\n{b}", p.display());
    }
}

#[test]
fn threads_give_the_events_of_one_thread_on_every_capture() {
    for p in captures() {
        for cfg in configs() {
            same(&p, cfg, 2);
        }
    }
}

/// The synthetic capture (see `synthetic`): thousands of connections, 7 % of
/// them SYN trains held for the cross-check, port reuses, capture time
/// going back, sweeps every second: 1, 2, 3 and 5 threads agree.
#[test]
fn threads_give_the_events_of_one_thread_on_many_connections() {
    let bytes = synthetic::many_connections(4000);
    let dir = std::env::temp_dir().join(format!("tcpkit-threads-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("many.pcap");
    std::fs::write(&path, &bytes).unwrap();
    for cfg in configs() {
        let one = run(Analysis::open(&path, cfg));
        let conns = one.iter().filter(|l| l.starts_with("connection")).count();
        // 4,000 connections and the port reuses' second ones.
        assert!(conns > 4000, "{conns}");
        for n in [2, 3, 5] {
            same(&path, cfg, n);
        }
        // From memory as from a file.
        let b = run(Analysis::from_bytes(bytes.clone(), threads(cfg, 2)));
        assert!(b == one);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A capture cut inside a record: the threads give the same connections
/// before the error, the error once, then the rest and the report.
#[test]
fn threads_give_the_damage_of_one_thread() {
    let mut bytes = synthetic::many_connections(600);
    bytes.truncate(bytes.len() * 2 / 3);
    let one = run(Analysis::from_bytes(
        bytes.clone(),
        AnalyzerConfig::default(),
    ));
    assert_eq!(one.iter().filter(|l| l.starts_with("error")).count(), 1);
    let two = run(Analysis::from_bytes(
        bytes,
        threads(AnalyzerConfig::default(), 2),
    ));
    assert!(one == two);
}

/// A capture file cut inside a record after several chunks (thousands of
/// packets each), read by path (mapped for the threads when the `mmap`
/// feature is on, where a worker learns where its chunks start from the
/// others): 2, 3 and 5 threads give the connections before the error, the
/// error once, then the rest, as one thread does.
#[test]
fn threads_give_the_damage_of_one_thread_in_a_file() {
    let mut bytes = synthetic::many_connections(4000);
    bytes.truncate(bytes.len() * 2 / 3 + 5);
    let dir = std::env::temp_dir().join(format!("tcpkit-damage-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cut.pcap");
    std::fs::write(&path, &bytes).unwrap();
    let one = run(Analysis::open(&path, AnalyzerConfig::default()));
    assert_eq!(one.iter().filter(|l| l.starts_with("error")).count(), 1);
    // Cut after several chunks of the threads' reading.
    assert!(one.iter().filter(|l| l.starts_with("connection")).count() > 1500);
    for n in [2, 3, 5] {
        same(&path, AnalyzerConfig::default(), n);
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Rotated files read as one (`open_many`) and several files in memory.
#[test]
fn threads_read_rotated_files_as_one_thread_does() {
    let lab = testdata().join("captures/lab");
    let parts = ["handshake-close", "many-short-connections", "zero-window"]
        .map(|s| lab.join(s).join("capture.pcap"));
    assert!(parts.iter().all(|p| p.is_file()));
    let one = run(Analysis::open_many(&parts, AnalyzerConfig::default()));
    let two = run(Analysis::open_many(
        &parts,
        threads(AnalyzerConfig::default(), 2),
    ));
    assert!(one == two);
}

/// With a memory budget too small for the capture, each analyser evicts
/// within its share, at other points than one analyser (the output may
/// differ: see `AnalyzerConfig::threads`); every connection still comes out
/// under its number, and the budget is kept.
#[test]
fn threads_under_eviction_keep_every_connection() {
    let bytes = synthetic::many_connections(2000);
    let cfg = AnalyzerConfig {
        memory_budget: AnalyzerConfig::default().budget_for_live(64),
        ..AnalyzerConfig::default()
    };
    let mut a = Analysis::from_bytes(bytes, threads(cfg, 2))
        .unwrap()
        .segments(false);
    let mut numbers = std::collections::BTreeSet::new();
    let mut report = None;
    while let Some(ev) = a.next_event() {
        match ev.unwrap() {
            Event::Connection(c) => {
                numbers.insert(c.conn.0);
            }
            Event::Report(r) => report = Some(r),
            Event::Segment(_) => unreachable!("segments are off"),
        }
    }
    let st = a.stats();
    assert!(st.evicted > 0, "{st:?}");
    assert_eq!(numbers.len() as u64, st.connections);
    assert_eq!(numbers.last().copied(), st.connections.checked_sub(1));
    assert_eq!(report.unwrap().connections, st.connections);
    // Each of the two analysers keeps to half the budget: at most 32 live
    // connections each.
    assert!(st.peak_live <= 64, "{st:?}");
}

/// A named pipe given by path is read once (by the feeder), not opened
/// again by each worker (which would split its bytes between them): the
/// threads give what one thread gives reading the same bytes.
#[cfg(unix)]
#[test]
fn threads_read_a_named_pipe_once() {
    let bytes = synthetic::many_connections(300);
    let dir = std::env::temp_dir().join(format!("tcpkit-fifo-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("capture.pcap");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    if !made.is_ok_and(|s| s.success()) {
        eprintln!("no mkfifo: skipped");
        return;
    }
    let cfg = threads(AnalyzerConfig::default(), 2);
    let writer = {
        let (fifo, bytes) = (fifo.clone(), bytes.clone());
        std::thread::spawn(move || std::fs::write(fifo, bytes).unwrap())
    };
    let two = run(Analysis::open(&fifo, cfg));
    writer.join().unwrap();
    let one = run(Analysis::from_bytes(bytes, AnalyzerConfig::default()));
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(one == two);
}

/// The Arrow stream of connections asks for no segment rows, so threads
/// apply to it: the same batches as one thread.
#[cfg(feature = "arrow")]
#[test]
fn threads_give_the_arrow_connections_of_one_thread() {
    use tcpkit_core::arrow::connections_reader;
    let bytes = synthetic::many_connections(1000);
    let batches = |n: usize| -> Vec<_> {
        let a = Analysis::from_bytes(bytes.clone(), threads(AnalyzerConfig::default(), n));
        connections_reader(a.unwrap(), 256)
            .map(Result::unwrap)
            .collect()
    };
    let one = batches(1);
    assert!(one.len() > 3, "{} batches", one.len());
    assert!(one == batches(2));
}

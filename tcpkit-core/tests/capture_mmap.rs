//! The memory-mapped input (cargo feature `mmap`) reads what the slice reader
//! reads. Run with `cargo test -p tcpkit-core --features mmap`.
#![cfg(feature = "mmap")]

mod capture_support;

use capture_support::{all_captures, read_slice};
use tcpkit_core::capture::open_mmap;

#[test]
fn mmap_equals_slice() {
    for path in all_captures().into_iter().take(30) {
        let map = open_mmap(&path).unwrap();
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(map.as_bytes(), &bytes[..]);
        let (a, _) = read_slice(&bytes);
        let b: Vec<capture_support::Owned> =
            map.reader().unwrap().map(|p| p.unwrap().into()).collect();
        assert_eq!(a, b, "{}", path.display());
    }
    assert!(open_mmap("/nonexistent/x.pcap").is_err());
}

/// `Analysis::mmap` yields what `Analysis::open` (streaming) yields.
#[test]
fn the_driver_over_a_map_equals_the_stream() {
    use tcpkit_core::analysis::AnalyzerConfig;
    use tcpkit_core::{Analysis, Event};
    let describe = |a: &mut Analysis| {
        let mut v = Vec::new();
        while let Some(ev) = a.next_event() {
            v.push(match ev {
                Ok(Event::Segment(r)) => format!("{} {:?}", r.packet.frame, r.facts),
                Ok(Event::Connection(c)) => format!("{c:?}"),
                Ok(Event::Report(r)) => format!("{r:?}"),
                Err(e) => e.to_string(),
            });
        }
        v
    };
    let mut compared = 0;
    for path in all_captures().into_iter().take(30) {
        let (Ok(mut m), Ok(mut s)) = (
            Analysis::mmap(&path, AnalyzerConfig::default()),
            Analysis::open(&path, AnalyzerConfig::default()),
        ) else {
            continue;
        };
        assert_eq!(describe(&mut m), describe(&mut s), "{}", path.display());
        compared += 1;
    }
    assert!(compared >= 10, "{compared} captures compared");
    let e = Analysis::mmap("/nonexistent/x.pcap", AnalyzerConfig::default()).unwrap_err();
    assert!(e.to_string().starts_with("/nonexistent/x.pcap: "), "{e}");
}

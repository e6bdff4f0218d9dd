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

//! Fuzz target: any link type and bytes through `wire::decode`, then every
//! accessor a consumer uses (options, EOL padding). Must never panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcpkit_core::capture::{LinkType, Packet};
use tcpkit_core::wire;

/// Link types the decoder knows, so most inputs reach past the link layer.
const LINKS: [u16; 15] = [0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 129, 178, 228, 242, 276];

fuzz_target!(|input: &[u8]| {
    let Some((&sel, rest)) = input.split_first() else {
        return;
    };
    let Some((&extra, data)) = rest.split_first() else {
        return;
    };
    let link = match LINKS.get(usize::from(sel)) {
        Some(&l) => l,
        None => u16::from(sel),
    };
    // orig_len: the captured length, or a larger wire length (snaplen cut).
    let orig_len = data.len() as u32 + u32::from(extra) * 97;
    let packet = Packet {
        frame: 1,
        ts_ns: 0,
        link_type: LinkType(link),
        orig_len,
        data,
        interface: 0,
    };
    if let Ok(Some(seg)) = wire::decode(&packet) {
        assert!(seg.payload.len() <= data.len());
        assert!(usize::from(seg.header_captured) <= data.len());
        let mut n = 0;
        for item in seg.options.iter() {
            n += 1;
            assert!(n <= 40 + seg.options.bytes().len());
            if let Ok(wire::TcpOption::Sack(b)) = item {
                for _ in b.iter() {}
            }
        }
        let _ = seg.options.after_eol();
    }
});

//! Fuzz target: any link type and bytes through `wire::decode`, then every
//! accessor a consumer uses (options, EOL padding). Must never panic.
#![no_main]

#[path = "common.rs"]
mod common;

use libfuzzer_sys::fuzz_target;
use tcpkit_core::capture::Packet;
use tcpkit_core::wire;

fuzz_target!(|input: &[u8]| {
    let Some((&sel, rest)) = input.split_first() else {
        return;
    };
    let Some((&extra, data)) = rest.split_first() else {
        return;
    };
    // orig_len: the captured length, or a larger wire length (snaplen cut).
    let orig_len = data.len() as u32 + u32::from(extra) * 97;
    let packet = Packet {
        frame: 1,
        ts_ns: 0,
        link_type: common::link(sel),
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

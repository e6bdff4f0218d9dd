//! Fuzz target: the capture readers over arbitrary bytes.
//!
//! Checks beyond "no panic": the slice reader stops after its first error;
//! the stream reader (fed in small irregular reads) yields the same packets
//! and the same error; every packet's bytes lie within the input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tcpkit_core::capture::{PacketSource, SliceReader, StreamReader};

struct Chunks<'a> {
    data: &'a [u8],
    n: usize,
}

impl std::io::Read for Chunks<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.n += 1;
        let k = (1 + self.n * 37 % 4096).min(buf.len()).min(self.data.len());
        buf[..k].copy_from_slice(&self.data[..k]);
        self.data = &self.data[k..];
        Ok(k)
    }
}

fuzz_target!(|data: &[u8]| {
    let mut slice_out = Vec::new();
    let slice_err = match SliceReader::new(data) {
        Ok(mut r) => {
            let mut err = None;
            for p in r.by_ref() {
                match p {
                    Ok(p) => {
                        assert!(p.data.len() <= data.len());
                        slice_out.push((
                            p.frame,
                            p.ts_ns,
                            p.orig_len,
                            p.data.to_vec(),
                            p.interface,
                        ));
                    }
                    Err(e) => {
                        err = Some(e.to_string());
                        break;
                    }
                }
            }
            assert!(r.next().is_none());
            err
        }
        Err(e) => Some(e.to_string()),
    };
    let mut stream_out = Vec::new();
    let stream_err = match StreamReader::new(Chunks { data, n: 0 }) {
        Ok(mut r) => {
            let mut err = None;
            while let Some(p) = r.next_packet() {
                match p {
                    Ok(p) => stream_out.push((
                        p.frame,
                        p.ts_ns,
                        p.orig_len,
                        p.data.to_vec(),
                        p.interface,
                    )),
                    Err(e) => {
                        err = Some(e.to_string());
                        break;
                    }
                }
            }
            assert!(r.next_packet().is_none());
            err
        }
        Err(e) => Some(e.to_string()),
    };
    assert_eq!(slice_out, stream_out);
    assert_eq!(slice_err, stream_err);
});

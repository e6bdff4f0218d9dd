//! Differential test against pcap-parser 0.17 (an independent nom-based
//! reader) over every capture of testdata/corpus/tcpdump and
//! testdata/captures/lab: same packet count, bytes, original lengths and
//! timestamps.
//!
//! Documented differences, where we follow libpcap (what tcpdump reads with)
//! and pcap-parser does not:
//! - a pcap record whose captured length exceeds the file's snapshot length is
//!   cut to the snapshot length by libpcap (`pcap_next_packet`, sf-pcap.c);
//!   pcap-parser hands out every captured byte. We compare our bytes with the
//!   first `snaplen` bytes of pcap-parser's.
//! - a simple packet block's captured length is min(original length, snapshot
//!   length of interface 0); pcap-parser keeps the whole padded body.

mod capture_support;

use capture_support::{Owned, all_captures, read_slice};
use pcap_parser::pcapng::Block;
use pcap_parser::{PcapBlockOwned, PcapError, create_reader};

/// What pcap-parser sees: (ts_ns, orig_len, data, snaplen cut applies).
fn theirs(bytes: &[u8]) -> Vec<(i64, u32, Vec<u8>)> {
    let mut out = Vec::new();
    let mut reader = create_reader(1 << 20, bytes).expect("pcap-parser opens it");
    let mut nanos = false;
    // (units per second, offset) per interface of the current section.
    let mut ifaces: Vec<(u64, i64)> = Vec::new();
    loop {
        match reader.next() {
            Ok((offset, block)) => {
                match block {
                    PcapBlockOwned::LegacyHeader(h) => nanos = h.is_nanosecond_precision(),
                    PcapBlockOwned::Legacy(b) => {
                        let frac = i64::from(b.ts_usec) * if nanos { 1 } else { 1000 };
                        out.push((
                            i64::from(b.ts_sec) * 1_000_000_000 + frac,
                            b.origlen,
                            b.data.to_vec(),
                        ));
                    }
                    PcapBlockOwned::NG(Block::SectionHeader(_)) => ifaces.clear(),
                    PcapBlockOwned::NG(Block::InterfaceDescription(idb)) => {
                        ifaces.push((idb.ts_resolution().expect("valid tsresol"), idb.ts_offset()));
                    }
                    PcapBlockOwned::NG(Block::EnhancedPacket(epb)) => {
                        let (res, off) = ifaces[epb.if_id as usize];
                        let t = (u64::from(epb.ts_high) << 32) | u64::from(epb.ts_low);
                        let ns = (i128::from(t / res) + i128::from(off)) * 1_000_000_000
                            + i128::from(t % res) * 1_000_000_000 / i128::from(res);
                        out.push((
                            ns as i64,
                            epb.origlen,
                            epb.data[..epb.caplen as usize].to_vec(),
                        ));
                    }
                    PcapBlockOwned::NG(Block::SimplePacket(spb)) => {
                        out.push((0, spb.origlen, spb.data.to_vec()));
                    }
                    PcapBlockOwned::NG(_) => {}
                }
                reader.consume(offset);
            }
            Err(PcapError::Eof) => break,
            Err(PcapError::Incomplete(_)) => {
                if reader.reader_exhausted() {
                    break;
                }
                reader.refill().expect("refill");
            }
            Err(e) => panic!("pcap-parser error {e:?}"),
        }
    }
    out
}

#[test]
fn same_packets_as_pcap_parser() {
    let mut files = 0;
    let mut packets = 0;
    let mut cut_by_snaplen = 0;
    for path in all_captures() {
        let bytes = std::fs::read(&path).unwrap();
        let name = path.display().to_string();
        let (ours, err) = read_slice(&bytes);
        assert!(err.is_none(), "{name}: {err:?}");
        let theirs = theirs(&bytes);
        assert_eq!(ours.len(), theirs.len(), "{name}: packet count");
        for (o, (ts, orig, data)) in ours.iter().zip(&theirs) {
            let Owned { frame, .. } = o;
            assert_eq!(o.ts_ns, *ts, "{name} frame {frame}: ts");
            assert_eq!(o.orig_len, *orig, "{name} frame {frame}: orig_len");
            if o.data.len() < data.len() {
                // Only the libpcap snaplen cut may shorten a packet.
                let snaplen = u32::from_le_bytes(bytes[16..20].try_into().unwrap());
                let snaplen_be = u32::from_be_bytes(bytes[16..20].try_into().unwrap());
                assert!(
                    o.data.len() as u32 == snaplen || o.data.len() as u32 == snaplen_be,
                    "{name} frame {frame}: {} bytes vs {}",
                    o.data.len(),
                    data.len()
                );
                cut_by_snaplen += 1;
                assert_eq!(
                    o.data[..],
                    data[..o.data.len()],
                    "{name} frame {frame}: data"
                );
            } else {
                assert_eq!(o.data, *data, "{name} frame {frame}: data");
            }
        }
        files += 1;
        packets += ours.len();
    }
    assert!(files >= 120, "{files} captures");
    // The four tcpdump fuzz captures whose record exceeds the snaplen
    // (bgp-bgp_capabilities_print-oobr-1/2, bgp_mp_reach_nlri-oobr,
    // mptcp-dss-oobr), one record each.
    assert_eq!(cut_by_snaplen, 4, "records cut to the snaplen");
    eprintln!("{files} captures, {packets} packets agree with pcap-parser");
}

//! A zero-copy view of a TCP header (RFC 9293, 3.1 "Header Format").
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! |                        Sequence Number                        |
//! |                    Acknowledgment Number                      |
//! |  Data |       |C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//! |           Checksum            |         Urgent Pointer        |
//! |                           [Options]                           |
//! ```
//!
//! The low bit of the reserved nibble is AccECN's AE flag (RFC 9768).
//! A [`TcpHeader`] may hold fewer bytes than a whole header (the snaplen cut
//! it): every accessor reads a field only when all of its bytes are present
//! and returns 0 otherwise, so none can panic.

use super::TcpFlags;
use super::option::Options;
use super::seq::SeqNumber;

/// Byte ranges of the fixed header fields.
mod field {
    use core::ops::Range;
    pub const SRC_PORT: Range<usize> = 0..2;
    pub const DST_PORT: Range<usize> = 2..4;
    pub const SEQ_NUM: Range<usize> = 4..8;
    pub const ACK_NUM: Range<usize> = 8..12;
    pub const FLAGS: Range<usize> = 12..14;
    pub const WIN_SIZE: Range<usize> = 14..16;
    pub const CHECKSUM: Range<usize> = 16..18;
    pub const URGENT: Range<usize> = 18..20;
    /// Options start after the fixed 20 bytes.
    pub const OPTIONS: usize = 20;
}

/// Length of the fixed part of the header.
pub const HEADER_LEN: usize = field::OPTIONS;

/// A TCP header over a buffer that starts at the header (and may hold the
/// payload after it, or be cut short).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TcpHeader<T: AsRef<[u8]>> {
    buffer: T,
}

/// Why [`TcpHeader::new_checked`] refused a buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TooShort {
    /// Bytes present.
    pub len: usize,
}

impl<T: AsRef<[u8]>> TcpHeader<T> {
    /// Wraps any buffer; accessors of fields past its end return 0.
    pub fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer holding at least the fixed 20-byte header.
    pub fn new_checked(buffer: T) -> Result<Self, TooShort> {
        let len = buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(TooShort { len });
        }
        Ok(Self { buffer })
    }

    /// The underlying buffer.
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Bytes present in the buffer.
    pub fn captured_len(&self) -> usize {
        self.buffer.as_ref().len()
    }

    fn u16_at(&self, r: core::ops::Range<usize>) -> u16 {
        match self.buffer.as_ref().get(r) {
            Some(&[a, b]) => u16::from_be_bytes([a, b]),
            _ => 0,
        }
    }

    fn u32_at(&self, r: core::ops::Range<usize>) -> u32 {
        match self.buffer.as_ref().get(r) {
            Some(&[a, b, c, d]) => u32::from_be_bytes([a, b, c, d]),
            _ => 0,
        }
    }

    /// Source port.
    pub fn src_port(&self) -> u16 {
        self.u16_at(field::SRC_PORT)
    }
    /// Destination port.
    pub fn dst_port(&self) -> u16 {
        self.u16_at(field::DST_PORT)
    }
    /// Sequence number.
    pub fn seq_number(&self) -> SeqNumber {
        SeqNumber(self.u32_at(field::SEQ_NUM))
    }
    /// Acknowledgment number.
    pub fn ack_number(&self) -> SeqNumber {
        SeqNumber(self.u32_at(field::ACK_NUM))
    }
    /// Header length in bytes from the data offset (0 when not captured; may
    /// be below 20 in a malformed header).
    pub fn header_len(&self) -> u8 {
        match self.buffer.as_ref().get(field::FLAGS.start) {
            Some(b) => (b >> 4) * 4,
            None => 0,
        }
    }
    /// The nine flag bits (CWR..FIN plus AE).
    pub fn flags(&self) -> TcpFlags {
        TcpFlags(self.u16_at(field::FLAGS) & 0x1ff)
    }
    /// The three reserved bits between the data offset and AE.
    pub fn reserved(&self) -> u8 {
        ((self.u16_at(field::FLAGS) >> 9) & 0x7) as u8
    }
    /// Window field (unscaled).
    pub fn window(&self) -> u16 {
        self.u16_at(field::WIN_SIZE)
    }
    /// Checksum field.
    pub fn checksum(&self) -> u16 {
        self.u16_at(field::CHECKSUM)
    }
    /// Urgent pointer field.
    pub fn urgent(&self) -> u16 {
        self.u16_at(field::URGENT)
    }
}

impl<'a> TcpHeader<&'a [u8]> {
    /// The captured option bytes (within the declared header length).
    pub fn options(&self) -> Options<'a> {
        let hl = usize::from(self.header_len());
        let declared = hl.saturating_sub(HEADER_LEN);
        let end = hl.min(self.buffer.len());
        let bytes = self.buffer.get(field::OPTIONS..end).unwrap_or_default();
        Options::with_declared(bytes, u8::try_from(declared).unwrap_or(u8::MAX))
    }

    /// Bytes after the declared header (empty if the header is cut or its
    /// data offset is below 5).
    pub fn payload(&self) -> &'a [u8] {
        let hl = usize::from(self.header_len());
        if hl < HEADER_LEN {
            return &[];
        }
        self.buffer.get(hl..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::TcpOption;
    use hex_literal::hex;

    /// ssh.pcap frame 1, the TCP header (bytes 34..78 of the frame). tshark:
    /// 62146 -> 22, seq_raw 4082233688, hdr_len 44, win 65535; tcpdump:
    /// `Flags [S], seq 4082233688, win 65535, options [mss 1460,nop,wscale
    /// 6,nop,nop,TS val 1948436430 ecr 0,sackOK,eol], length 0`.
    const SYN: [u8; 44] = hex!(
        "f2c2 0016 f351 f158 0000 0000 b002 ffff ec12 0000"
        "0204 05b4 0103 0306 0101 080a 7422 c7ce 0000 0000 0402 0000"
    );

    #[test]
    fn fields_of_a_syn() {
        let h = TcpHeader::new_checked(&SYN[..]).unwrap();
        assert_eq!(h.src_port(), 62146);
        assert_eq!(h.dst_port(), 22);
        assert_eq!(h.seq_number(), SeqNumber(4082233688));
        assert_eq!(h.ack_number(), SeqNumber(0));
        assert_eq!(h.header_len(), 44);
        assert_eq!(h.flags(), TcpFlags(TcpFlags::SYN));
        assert_eq!(h.window(), 65535);
        assert_eq!(h.checksum(), 0xec12);
        let opts: Vec<_> = h.options().iter().collect();
        assert_eq!(
            opts,
            vec![
                Ok(TcpOption::Mss(1460)),
                Ok(TcpOption::Nop),
                Ok(TcpOption::WindowScale(6)),
                Ok(TcpOption::Nop),
                Ok(TcpOption::Nop),
                Ok(TcpOption::Timestamps {
                    val: 1948436430,
                    ecr: 0
                }),
                Ok(TcpOption::SackPermitted),
                Ok(TcpOption::Eol),
            ]
        );
        assert_eq!(h.options().after_eol(), Some(&[0u8][..]));
        assert!(h.payload().is_empty());
    }

    #[test]
    fn short_buffer_refused_then_read_as_zero() {
        assert_eq!(
            TcpHeader::new_checked(&SYN[..19]),
            Err(TooShort { len: 19 })
        );
        // Cut after the ports and 2 bytes of the sequence number.
        let h = TcpHeader::new_unchecked(&SYN[..6]);
        assert_eq!((h.src_port(), h.dst_port()), (62146, 22));
        assert_eq!(h.seq_number(), SeqNumber(0));
        assert_eq!(h.header_len(), 0);
        assert!(h.options().bytes().is_empty());
        let empty = TcpHeader::new_unchecked(&[][..]);
        assert_eq!(empty.window(), 0);
    }

    #[test]
    fn options_cut_by_snaplen_keep_declared_length() {
        let h = TcpHeader::new_unchecked(&SYN[..30]);
        let o = h.options();
        assert_eq!(o.bytes().len(), 10);
        assert_eq!(o.declared_len(), 24);
        assert!(o.is_truncated());
    }
}

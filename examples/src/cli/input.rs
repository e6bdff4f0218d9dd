//! Opening a capture and turning reader errors into one-line messages.
//!
//! The one place that knows how a capture file is read: streaming, with a
//! bounded buffer (a capture of any size needs a few hundred KiB).

use super::CliError;
use std::fs::File;
use std::path::Path;
use tcpkit_core::capture::{self, Packet, PacketSource, StreamReader};

/// A capture open for reading.
#[derive(Debug)]
pub struct Capture {
    /// The path as the user gave it (for messages).
    pub name: String,
    reader: StreamReader<File>,
    failed: bool,
}

impl Capture {
    /// Opens the file and checks its header; an unreadable file or a header
    /// libpcap would refuse is an error naming the file and the reason.
    pub fn open(path: &Path) -> Result<Self, CliError> {
        let name = path.display().to_string();
        let reader = capture::open(path).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
        Ok(Self {
            name,
            reader,
            failed: false,
        })
    }

    /// The next packet in file order, or the error (naming the file, the frame
    /// and byte offset and the reason) at the first damage; then `None`.
    pub fn next_packet(&mut self) -> Option<Result<Packet<'_>, CliError>> {
        if self.failed {
            return None;
        }
        match self.reader.next_packet()? {
            Ok(p) => Some(Ok(p)),
            Err(e) => {
                self.failed = true;
                Some(Err(CliError::Input(format!("{}: {e}", self.name))))
            }
        }
    }

    /// Timestamps of interface `iface` are finer than microseconds (pcap's
    /// nanosecond magic, pcapng's `if_tsresol`): print nine fraction digits,
    /// as tcpdump does for nanosecond captures.
    pub fn nanosecond(&self, iface: u32) -> bool {
        self.reader
            .interfaces()
            .get(iface as usize)
            .is_some_and(|i| i.tsresol.units_per_second() > 1_000_000)
    }
}

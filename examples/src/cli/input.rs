//! Opening a capture and turning reader errors into one-line messages.
//!
//! The one place that knows how a capture file is read: when the streaming /
//! memory-mapped readers land, only this module changes.

use super::CliError;
use std::path::Path;
use tcpkit_core::capture::{Packet, SliceReader};

/// A capture loaded for reading.
#[derive(Debug)]
pub struct Capture {
    /// The path as the user gave it (for messages).
    pub name: String,
    bytes: Vec<u8>,
}

impl Capture {
    /// Reads the file; an unreadable file is an error naming it.
    pub fn open(path: &Path) -> Result<Self, CliError> {
        let name = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
        Ok(Self { name, bytes })
    }

    /// Timestamps carry nanoseconds (pcap magic 0xa1b23c4d in either order):
    /// print nine fraction digits, as tcpdump does.
    pub fn nanosecond(&self) -> bool {
        matches!(
            self.bytes.get(..4),
            Some([0x4d, 0x3c, 0xb2, 0xa1]) | Some([0xa1, 0xb2, 0x3c, 0x4d])
        )
    }

    /// Calls `f` on every packet in file order. Stops with an error naming the
    /// file, the frame and byte offset and the reason at the first damage
    /// (after every packet before it); `f` returning `false` stops early.
    pub fn for_each_packet(
        &self,
        mut f: impl FnMut(&Packet<'_>) -> Result<bool, CliError>,
    ) -> Result<(), CliError> {
        let reader = SliceReader::new(&self.bytes)
            .map_err(|e| CliError::Input(format!("{}: {e}", self.name)))?;
        for item in reader {
            let p = item.map_err(|e| CliError::Input(format!("{}: {e}", self.name)))?;
            if !f(&p)? {
                break;
            }
        }
        Ok(())
    }
}

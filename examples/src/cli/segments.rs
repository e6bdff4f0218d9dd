//! `tcpkit segments`: one line per TCP segment as tcpdump prints it, or one
//! JSON object per segment with `--json`.
//!
//! Packets that are not TCP are skipped (tcpdump would print them; we print
//! TCP only); packets that do not decode are skipped and counted (`--stats`).

use super::input::Capture;
use super::output::Output;
use super::{CliError, json};
use std::fmt::Write as _;
use std::path::PathBuf;
use tcpkit_core::wire::{self, RenderOptions, Renderer, write_decimal, write_timestamp};

/// Arguments of `tcpkit segments`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// More detail, as tcpdump's -v (IP header, TCP checksum), -vv (seq on every segment).
    #[arg(short = 'v', action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Absolute sequence numbers (tcpdump's -S).
    #[arg(short = 'S', long = "absolute-tcp-sequence-numbers")]
    pub absolute: bool,
    /// One JSON object per segment instead of text.
    #[arg(long)]
    pub json: bool,
    /// Print packet counts (TCP, not TCP, undecodable) on stderr at the end.
    #[arg(long)]
    pub stats: bool,
    /// The capture file (pcap or pcapng).
    pub capture: PathBuf,
}

/// What the pass saw.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Stats {
    /// Packet records read.
    pub packets: u64,
    /// TCP segments written.
    pub tcp: u64,
    /// Packets that decoded to something other than TCP.
    pub not_tcp: u64,
    /// Packets that could not be decoded.
    pub decode_errors: u64,
}

/// Runs `tcpkit segments`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let mut cap = Capture::open(&args.capture)?;
    let mut renderer = Renderer::new(RenderOptions {
        verbose: args.verbose,
        absolute: args.absolute,
        ..RenderOptions::default()
    });
    let mut stats = Stats::default();
    // Reused for every segment: no allocation per segment once they are grown.
    let (mut head, mut body) = (String::with_capacity(64), String::with_capacity(512));
    let result = loop {
        let Some(item) = cap.next_packet() else {
            break Ok(());
        };
        let p = match item {
            Ok(p) => p,
            Err(e) => break Err(e),
        };
        stats.packets += 1;
        let (frame, ts_ns, iface) = (p.frame, p.ts_ns, p.interface);
        let mut layers = wire::Encapsulation::new();
        let seg = match wire::decode_layers(&p, &mut layers) {
            Ok(Some(s)) => s,
            Ok(None) => {
                stats.not_tcp += 1;
                continue;
            }
            Err(_) => {
                stats.decode_errors += 1;
                continue;
            }
        };
        stats.tcp += 1;
        body.clear();
        head.clear();
        // Where the segment's own line starts in `body` (after a line of
        // tunnel headers, with -v).
        let mut split = 0;
        // Writing into a String cannot fail.
        let _ = if args.json {
            json::write_segment(&mut body, frame, ts_ns, &seg, |_| Ok(()))
        } else {
            // tcpdump prints the tunnel headers before the inner packet: on
            // the same line without -v, on a line of its own (here with the
            // frame's lead again) with -v.
            let _ = renderer.write_encapsulation(&mut body, &layers);
            if renderer.encapsulation_on_own_line() && layers.is_tunnelled() {
                body.push('\n');
                split = body.len();
            }
            renderer.write_segment_in(&mut body, &seg, &layers)
        };
        body.push('\n');
        if !args.json {
            // The packet is no longer borrowed: the reader can be asked about
            // the packet's interface (its IDB may have come just before it).
            let nanos = cap.nanosecond(iface);
            // tcpdump -# pads the number to five columns.
            let digits = frame.checked_ilog10().unwrap_or(0) as usize + 1;
            head.extend(std::iter::repeat_n(' ', 5usize.saturating_sub(digits)));
            let _ = write_decimal(&mut head, frame)
                .and_then(|()| head.write_str("  "))
                .and_then(|()| write_timestamp(&mut head, ts_ns, nanos))
                .and_then(|()| head.write_char(' '));
            out.write(head.as_bytes())?;
            if split > 0 {
                out.write(body.as_bytes().get(..split).unwrap_or_default())?;
                out.write(head.as_bytes())?;
            }
        }
        out.write(body.as_bytes().get(split..).unwrap_or_default())?;
        // Once the reader of our output is gone, stop unless counts were asked for.
        if out.is_closed() && !args.stats {
            break Ok(());
        }
    };
    out.flush()?;
    if args.stats {
        eprintln!(
            "tcpkit: {}: {} packets, {} TCP segments, {} not TCP, {} not decodable",
            cap.name, stats.packets, stats.tcp, stats.not_tcp, stats.decode_errors
        );
    }
    result
}

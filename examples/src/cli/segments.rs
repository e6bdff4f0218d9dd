//! `tcpkit segments`: one line per TCP segment as tcpdump prints it, or one
//! JSON object per segment with `--json`, or those rows as an Arrow IPC stream
//! with `--arrow` ([`super::arrow`]).
//!
//! Packets that are not TCP are skipped (tcpdump would print them; we print
//! TCP only); packets that do not decode are skipped and counted (`--stats`).
//!
//! Everything is read through [`Analysis`], the one driver. With `--json`
//! every segment also goes through the per-segment analysis and its object
//! carries the analysis fields ([`tcpkit_core::schema::segment`], written by
//! [`tcpkit_core::schema::json::write_segment`]). A segment whose TCP
//! header is shorter than the 20 bytes of a minimal header cannot be analysed
//! ([`Segment::analysable`](tcpkit_core::wire::Segment::analysable), decided
//! in the core for every command): it opens no connection number, `--json`
//! writes no object for it, and it is counted (`--stats`: "header too
//! short"). The text lines show it as tcpdump does.
//!
//! Two modes write no segments, for benchmarks and quick counts:
//! `--count` reads and decodes only; `--analyze-only` also runs the analysis.
//! Both print their counts on stdout.

use super::CliError;
use super::arrow::{self, ArrowOut};
use super::input;
use super::output::Output;
use std::fmt::Write as _;
use std::path::PathBuf;
use tcpkit_core::analysis::{AnalysisFlags, AnalyzerConfig};
use tcpkit_core::arrow::SegmentBatchBuilder;
use tcpkit_core::schema::json;
use tcpkit_core::text::{RenderOptions, Renderer, write_timestamp};
use tcpkit_core::wire::{self, LineBuf, write_decimal};
use tcpkit_core::{Analysis, Event};

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
    /// The rows of --json as an Arrow IPC stream (binary: redirect it).
    #[arg(long, conflicts_with = "json")]
    pub arrow: bool,
    /// Print packet counts (TCP, not TCP, undecodable) on stderr at the end.
    #[arg(long)]
    pub stats: bool,
    /// Read and decode only, write no segments: print the counts on stdout.
    #[arg(long, conflicts_with_all = ["json", "arrow", "analyze_only"])]
    pub count: bool,
    /// Read, decode and analyse every segment, write none: print the counts
    /// (segments, connections, analysis flags) on stdout.
    #[arg(long, conflicts_with_all = ["json", "arrow"])]
    pub analyze_only: bool,
    /// Seconds (capture time) a closed connection is kept after both FINs or a
    /// RST so that late segments still find it (default: the library's, 120).
    /// Shorter keeps less in memory on captures of many short connections.
    #[arg(long, value_name = "SECS")]
    pub linger: Option<f64>,
    /// Seconds (capture time) of silence after which a connection whose close
    /// is complete (both FINs acknowledged, or a RST) is handed out at the
    /// latest (default: the library's, 10); sooner when its RTTs bound the
    /// time a late retransmission could take (three RTOs, at least 1 s).
    #[arg(long, value_name = "SECS")]
    pub closed_linger: Option<f64>,
    /// The capture file (pcap or pcapng); `-` reads standard input.
    pub capture: PathBuf,
}

/// Bytes of JSON lines written to the output at a time (the output's own
/// buffer: a batch this long goes through without being copied into it).
const JSON_BATCH: usize = 1 << 16;

/// Runs `tcpkit segments`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let mut renderer = Renderer::new(RenderOptions {
        verbose: args.verbose,
        absolute: args.absolute,
        ..RenderOptions::default()
    });
    let analyse = args.json || args.arrow || args.analyze_only;
    // Per-segment facts only: the connection stories are `flows`' and `report`'s.
    let mut cfg = AnalyzerConfig {
        story: false,
        ..AnalyzerConfig::default()
    };
    for (flag, arg, field) in [
        ("--linger", args.linger, &mut cfg.linger_ns),
        (
            "--closed-linger",
            args.closed_linger,
            &mut cfg.closed_linger_ns,
        ),
    ] {
        if let Some(secs) = arg {
            if !(secs.is_finite() && secs >= 0.0) {
                return Err(CliError::Input(format!(
                    "{flag} {secs}: not a number of seconds"
                )));
            }
            // Saturates at u64::MAX for absurd values.
            *field = (secs * 1e9) as u64;
        }
    }
    let mut a: Analysis = input::open(&args.capture, cfg)?.analyse(analyse);
    if args.arrow {
        return write_arrow(a, args.stats, out);
    }
    // Segments carrying each analysis flag (`--analyze-only`), by bit.
    let mut flag_counts = [0u64; 32];
    // Reused for every segment: no allocation per segment once they are grown.
    // The JSON lines gather in `body` and go out a batch at a time.
    let (mut head, mut body) = (LineBuf::with_capacity(64), LineBuf::with_capacity(512));
    if args.json {
        body = LineBuf::with_capacity(JSON_BATCH + 4096);
    }
    let mut damage = None;
    loop {
        // Matched where the driver returned it, by reference: the row is
        // large, moving it costs.
        let next = a.next_event();
        let Some(ev) = &next else { break };
        let row = match ev {
            Ok(Event::Segment(row)) => row,
            Ok(_) => continue,
            Err(e) => {
                damage = Some(CliError::Input(e.to_string()));
                continue;
            }
        };
        if args.count {
            continue;
        }
        let (frame, ts_ns, iface) = (row.packet.frame, row.packet.ts_ns, row.packet.interface);
        if args.analyze_only {
            if let Some(f) = &row.facts {
                let mut bits = f.flags.0;
                while bits != 0 {
                    flag_counts[bits.trailing_zeros() as usize] += 1;
                    bits &= bits - 1;
                }
            }
            continue;
        }
        if !args.json {
            body.clear();
        }
        head.clear();
        // Where the segment's own line starts in `body` (after a line of
        // tunnel headers, with -v).
        let mut split = 0;
        // Writing into a String cannot fail.
        let _ = if args.json {
            let Some(facts) = &row.facts else {
                // Not analysable: no object (see the module doc).
                continue;
            };
            json::write_segment_to(&mut body, frame, ts_ns, &row.segment, facts)
        } else {
            // Only the text lines print the encapsulation: decoded again,
            // with its layers (the driver takes the plain, faster decoder).
            let mut layers = wire::Encapsulation::new();
            let Ok(Some(seg)) = wire::decode_layers(&row.packet, &mut layers) else {
                continue;
            };
            // tcpdump prints the tunnel headers before the inner packet: on
            // the same line without -v, on a line of its own (here with the
            // frame's lead again) with -v.
            let _ = renderer.write_encapsulation(&mut body, &layers);
            if renderer.encapsulation_on_own_line() && layers.is_tunnelled() {
                let _ = body.write_char('\n');
                split = body.len();
            }
            renderer.write_segment_in(&mut body, &seg, &layers)
        };
        let _ = body.write_char('\n');
        if !args.json {
            // The packet is no longer borrowed: the reader can be asked about
            // the packet's interface (its IDB may have come just before it).
            let nanos = a
                .interfaces()
                .get(iface as usize)
                .is_some_and(|i| i.tsresol.units_per_second() > 1_000_000);
            // tcpdump -# pads the number to five columns.
            let digits = frame.checked_ilog10().unwrap_or(0) as usize + 1;
            for _ in digits..5 {
                let _ = head.write_char(' ');
            }
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
        if !args.json {
            out.write(body.as_bytes().get(split..).unwrap_or_default())?;
        } else if body.len() >= JSON_BATCH {
            out.write(body.as_bytes())?;
            body.clear();
        }
        // Once the reader of our output is gone, stop unless counts were asked for.
        if out.is_closed() && !args.stats {
            break;
        }
    }
    if args.json {
        out.write(body.as_bytes())?;
    }
    let stats = a.counts();
    if args.count || args.analyze_only {
        let mut line = format!(
            "packets {} tcp {} not_tcp {} not_decodable {}",
            stats.packets, stats.tcp, stats.not_tcp, stats.undecodable
        );
        if args.analyze_only {
            let st = a.stats();
            let _ = write!(
                line,
                " header_too_short {} connections {} peak_live {} evicted {} resumed {} forgotten {} reopened {}",
                stats.short_header,
                st.connections,
                st.peak_live,
                st.evicted,
                st.resumed,
                st.forgotten,
                st.reopened
            );
            for &(bit, name) in AnalysisFlags::NAMES {
                let n = flag_counts[bit.trailing_zeros() as usize];
                if n > 0 {
                    let _ = write!(line, " {name} {n}");
                }
            }
        }
        line.push('\n');
        out.write(line.as_bytes())?;
    }
    out.flush()?;
    if args.stats {
        print_stats(&a);
    }
    damage.map_or(Ok(()), Err)
}

/// `--arrow`: the rows `--json` writes, as Arrow batches ([`super::arrow`]).
fn write_arrow(mut a: Analysis, stats: bool, out: &mut Output) -> Result<(), CliError> {
    let mut rows = SegmentBatchBuilder::new(arrow::DEFAULT_BATCH_SIZE);
    let mut stream = ArrowOut::start(out, &rows.schema())?;
    let mut damage = None;
    loop {
        // By reference, where the driver returned it (as in `run`).
        let next = a.next_event();
        let Some(ev) = &next else { break };
        match ev {
            Ok(Event::Segment(row)) => {
                // Not analysable: no row, as no JSON object.
                let Some(facts) = &row.facts else { continue };
                let (frame, ts_ns) = (row.packet.frame, row.packet.ts_ns);
                let batch = rows.push(frame, ts_ns, &row.segment, facts);
                stream.write(batch.map_err(arrow::error)?)?;
            }
            Ok(_) => {}
            Err(e) => damage = Some(CliError::Input(e.to_string())),
        }
        if stream.is_closed() && !stats {
            break;
        }
    }
    stream.finish(rows.finish().map_err(arrow::error)?)?;
    if stats {
        print_stats(&a);
    }
    damage.map_or(Ok(()), Err)
}

/// `--stats`: the packet counts, on standard error.
fn print_stats(a: &Analysis) {
    let stats = a.counts();
    eprintln!(
        "tcpkit: {}: {}, {}, {} not TCP, {} not decodable, {} header too short to analyse",
        a.name(),
        tcpkit_core::text::count(stats.packets, "packet"),
        tcpkit_core::text::count(stats.tcp, "TCP segment"),
        stats.not_tcp,
        stats.undecodable,
        stats.short_header
    );
}

//! Running the per-segment analysis and the story over a capture: every
//! [`Connection`] with its story and the capture-wide [`Report`].
//!
//! One pass; the analyzer finishes a connection's story as soon as it hands the
//! connection out, so the builders alive at once are bounded by the live
//! connections (the finished stories are kept for the output, in number order).

use super::CliError;
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig, Connection};
use tcpkit_core::capture::PacketSource;
use tcpkit_core::report::Report;
use tcpkit_core::wire;

/// The lab's handshake-close capture, shipped with the command (`tcpkit report`
/// with no argument).
pub const DEMO: &[u8] = include_bytes!("../../data/demo.pcap");

/// Everything the story commands print.
#[derive(Debug)]
pub struct Loaded {
    /// Every connection with its story, in connection-number order.
    pub flows: Vec<Connection>,
    /// Capture-wide findings.
    pub report: Report,
    /// Time of the first packet (ns), the origin of relative times.
    pub first_ts_ns: Option<i64>,
    /// Time of the last packet (ns).
    pub last_ts_ns: Option<i64>,
}

/// Reads `src` to the end (`name` for messages). `keep`: keep the stories
/// (`false` when only the capture-wide report is wanted: memory then stays
/// bounded by the live connections).
pub fn load<S: PacketSource>(src: &mut S, name: &str, keep: bool) -> Result<Loaded, CliError> {
    let mut an = Analyzer::new(AnalyzerConfig::default());
    let mut flows = Vec::new();
    let (mut first, mut last) = (None, None::<i64>);
    let take = |rec: Connection, flows: &mut Vec<Connection>| {
        if keep && rec.story.is_some() {
            flows.push(rec);
        }
    };
    while let Some(p) = src.next_packet() {
        let p = p.map_err(|e| CliError::Input(format!("{name}: {e}")))?;
        first.get_or_insert(p.ts_ns);
        last = Some(last.map_or(p.ts_ns, |l| l.max(p.ts_ns)));
        let Ok(Some(seg)) = wire::decode(&p) else {
            continue;
        };
        an.observe(p.frame, p.ts_ns, &seg);
        while let Some(rec) = an.pop_finished() {
            take(rec, &mut flows);
        }
    }
    let finished = an.finish();
    for rec in finished.connections {
        take(rec, &mut flows);
    }
    flows.sort_by_key(|f| f.conn);
    tcpkit_core::analysis::story::cross_check(&mut flows);
    Ok(Loaded {
        flows,
        report: finished.report.unwrap_or_default(),
        first_ts_ns: first,
        last_ts_ns: last,
    })
}

/// Reads the capture file at `path` (`keep`: as for [`load`]).
pub fn load_path(path: &std::path::Path, keep: bool) -> Result<Loaded, CliError> {
    let name = path.display().to_string();
    let mut r =
        tcpkit_core::capture::open(path).map_err(|e| CliError::Input(format!("{name}: {e}")))?;
    load(&mut r, &name, keep)
}

/// Reads the demo capture shipped with the command (`keep`: as for [`load`]).
pub fn load_demo(keep: bool) -> Result<Loaded, CliError> {
    let mut r = tcpkit_core::capture::SliceReader::new(DEMO)
        .map_err(|e| CliError::Input(format!("demo capture: {e}")))?;
    load(&mut r, "demo capture", keep)
}

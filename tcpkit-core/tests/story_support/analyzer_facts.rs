//! The whole pipeline: our reader, decoder and [`Analyzer`] with its stories
//! and report, as `tcpkit flows` and `tcpkit report` run it.

use std::path::Path;
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig, Connection};
use tcpkit_core::capture::{self, PacketSource};
use tcpkit_core::report::Report;
use tcpkit_core::wire;

/// Every connection's story and the report of the capture at `path`.
pub fn stories_from_analyzer(path: &Path) -> (Vec<Connection>, Report) {
    let mut reader = capture::open(path).unwrap();
    let mut an = Analyzer::new(AnalyzerConfig::default());
    let mut flows = Vec::new();
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        let Ok(Some(seg)) = wire::decode(&p) else {
            continue;
        };
        an.observe(p.frame, p.ts_ns, &seg);
        while let Some(rec) = an.pop_finished() {
            flows.push(rec);
        }
    }
    let finished = an.finish();
    flows.extend(finished.connections);
    flows.sort_by_key(|f| f.conn);
    tcpkit_core::analysis::story::cross_check(&mut flows);
    (flows, finished.report.expect("stories are on by default"))
}

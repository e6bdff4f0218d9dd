//! The whole pipeline: [`Analysis`] with its stories and report, as
//! `tcpkit flows` and `tcpkit report` run it.

use std::path::Path;
use tcpkit_core::analysis::{AnalyzerConfig, Connection};
use tcpkit_core::report::Report;
use tcpkit_core::{Analysis, Event};

/// Every connection's story (in connection-number order) and the report of
/// the capture at `path`.
pub fn stories_from_analyzer(path: &Path) -> (Vec<Connection>, Report) {
    let mut a = Analysis::open(path, AnalyzerConfig::default()).unwrap();
    let mut flows = Vec::new();
    let mut report = None;
    while let Some(ev) = a.next_event() {
        match ev.unwrap() {
            Event::Segment(_) => {}
            Event::Connection(c) => flows.push(*c),
            Event::Report(r) => report = Some(*r),
        }
    }
    flows.sort_by_key(|f| f.conn);
    (flows, report.expect("the report comes last"))
}

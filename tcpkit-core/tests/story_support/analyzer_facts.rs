//! The whole pipeline: our reader, decoder, per-segment analysis ([`Analyzer`])
//! and story, as `tcpkit flows` runs it.

use std::collections::HashMap;
use std::path::Path;
use tcpkit_core::analysis::story::{ConnectionStory, StoryBuilder};
use tcpkit_core::analysis::{Analyzer, AnalyzerConfig};
use tcpkit_core::capture::{self, PacketSource};
use tcpkit_core::flow::ConnId;
use tcpkit_core::report::{Diagnostics, Report};
use tcpkit_core::wire;

/// Every connection's story and the report of the capture at `path`.
pub fn stories_from_analyzer(path: &Path) -> (Vec<ConnectionStory>, Report) {
    let mut reader = capture::open(path).unwrap();
    let mut an = Analyzer::new(AnalyzerConfig::default());
    // Boxed: the table moves only pointers when it grows.
    let mut builders: HashMap<ConnId, Box<StoryBuilder>> = HashMap::new();
    let mut flows = Vec::new();
    let mut last = i64::MIN;
    while let Some(p) = reader.next_packet() {
        let p = p.unwrap();
        last = last.max(p.ts_ns);
        let Ok(Some(seg)) = wire::decode(&p) else {
            continue;
        };
        let facts = an.observe(p.frame, p.ts_ns, &seg);
        builders
            .entry(facts.conn)
            .or_insert_with(|| Box::new(StoryBuilder::new(facts.conn)))
            .observe(p.frame, p.ts_ns, &seg, &facts);
        while let Some(rec) = an.pop_finished() {
            if let Some(b) = builders.remove(&rec.conn) {
                flows.push(b.finish(last));
            }
        }
    }
    for rec in an.finish().connections {
        if let Some(b) = builders.remove(&rec.conn) {
            flows.push(b.finish(last));
        }
    }
    flows.extend(builders.into_values().map(|b| b.finish(last)));
    flows.sort_by_key(|f| f.conn);
    tcpkit_core::analysis::story::cross_check(&mut flows);
    let mut d = Diagnostics::new();
    for f in &flows {
        d.add(f);
    }
    (flows, d.finish())
}

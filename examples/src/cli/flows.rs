//! `tcpkit flows`: one line (or, with `--json`, one JSON object; with
//! `--arrow`, one row of an Arrow IPC stream, see [`super::arrow`]) per
//! connection, printed as each connection finishes (see [`tcpkit_core::Analysis`]
//! for the order).

use super::CliError;
use super::arrow::{self, ArrowOut};
use super::input::{self, Outcome};
use super::output::Output;
use std::fmt::Write;
use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;
use tcpkit_core::Analysis;
use tcpkit_core::analysis::{AnalyzerConfig, Connection};
use tcpkit_core::arrow::ConnectionBatchBuilder;
use tcpkit_core::wire::LineBuf;

/// Arguments of `tcpkit flows`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// One JSON object per connection (one per line) instead of text.
    #[arg(long)]
    pub json: bool,
    /// The rows of --json as an Arrow IPC stream (binary: redirect it).
    #[arg(long, conflicts_with = "json")]
    pub arrow: bool,
    /// Threads: with N of 2 or more, N threads each read the capture (a
    /// capture file is mapped into memory once for all: do not rewrite it
    /// meanwhile) and analyse their share of the connections, split by
    /// 4-tuple; the same bytes as with 1 (while the memory budget, split
    /// between them, evicts nothing).
    #[arg(short = 'j', long, default_value_t = 1)]
    pub threads: usize,
    /// The capture file (pcap or pcapng); `-` reads standard input.
    pub capture: PathBuf,
}

/// Runs `tcpkit flows`.
pub fn run(args: &Args, out: &mut Output) -> Result<(), CliError> {
    let cfg = AnalyzerConfig {
        threads: args.threads,
        ..AnalyzerConfig::default()
    };
    let a = input::open(&args.capture, cfg)?
        .segments(false)
        .report(false);
    if args.arrow {
        return write_arrow(a, out);
    }
    let mut damage = None;
    let mut line = String::with_capacity(1024);
    let mut json = LineBuf::with_capacity(4096);
    // With threads, one more formats every other batch of the JSON lines.
    let mut split = (args.json && args.threads > 1)
        .then(SplitJson::start)
        .flatten();
    for (ev, t0) in input::outcomes(a) {
        let rec = match ev {
            Outcome::Connection(c) => c,
            Outcome::Report(_) => continue,
            Outcome::Damage(e) => {
                damage.get_or_insert(e);
                continue;
            }
        };
        if rec.story.is_none() {
            continue;
        }
        let f = &*rec;
        if let Some(split) = split.as_mut() {
            split.push(rec, out)?;
        } else if args.json {
            json.clear();
            json_line(&mut json, f);
            out.write(json.as_bytes())?;
        } else {
            line.clear();
            tcpkit_core::text::flows_line(&mut line, f, t0);
            line.push('\n');
            out.write(line.as_bytes())?;
        }
        if out.is_closed() {
            break;
        }
    }
    if let Some(split) = split.as_mut() {
        split.finish(out)?;
    }
    out.flush()?;
    damage.map_or(Ok(()), Err)
}

/// `--arrow`: the rows `--json` writes, as Arrow batches ([`super::arrow`]).
fn write_arrow(a: Analysis, out: &mut Output) -> Result<(), CliError> {
    let mut rows = ConnectionBatchBuilder::new(arrow::DEFAULT_BATCH_SIZE);
    let mut stream = ArrowOut::start(out, &rows.schema())?;
    let mut damage = None;
    for (ev, _) in input::outcomes(a) {
        match ev {
            Outcome::Connection(rec) if rec.story.is_some() => {
                stream.write(rows.push(&rec).map_err(arrow::error)?)?;
            }
            Outcome::Damage(e) => {
                damage.get_or_insert(e);
            }
            Outcome::Connection(_) | Outcome::Report(_) => {}
        }
        if stream.is_closed() {
            break;
        }
    }
    stream.finish(rows.finish().map_err(arrow::error)?)?;
    damage.map_or(Ok(()), Err)
}

/// Appends connection `c` to `buf` as one JSON line.
fn json_line(buf: &mut LineBuf, c: &Connection) {
    // Writing into a LineBuf cannot fail.
    let _ = tcpkit_core::schema::json::write_connection_to(buf, c);
    let _ = buf.write_char('\n');
}

/// Connections in a batch of JSON lines.
const BATCH: usize = 128;

/// JSON lines formatted by two threads, batch about, written in order. With
/// threads the analysis hands out the connections still open at the end of
/// the capture (up to a quarter of them: closed ones linger) all at once,
/// after its workers are done: one thread would format them alone.
// The analysis hands connections out boxed: unboxing them into the batch
// would copy each.
#[allow(clippy::vec_box)]
struct SplitJson {
    /// Batches (and a buffer to fill) to the formatting thread, and its
    /// lines back, in order.
    to: Option<SyncSender<(Vec<Box<Connection>>, LineBuf)>>,
    from: Receiver<LineBuf>,
    thread: Option<JoinHandle<()>>,
    batch: Vec<Box<Connection>>,
    /// The next batch is the other thread's.
    theirs: bool,
    /// Their batches not yet written, and this thread's lines.
    waiting: usize,
    mine: LineBuf,
    /// Their buffers, written, for their next batches.
    spare: Vec<LineBuf>,
}

impl SplitJson {
    /// `None` when the thread cannot be started (then one thread formats).
    fn start() -> Option<Self> {
        let (to, batches) = sync_channel::<(Vec<Box<Connection>>, LineBuf)>(2);
        let (done, from) = sync_channel(2);
        let thread = std::thread::Builder::new()
            .name("tcpkit-json".into())
            .spawn(move || {
                for (batch, mut buf) in batches {
                    buf.clear();
                    for c in &batch {
                        json_line(&mut buf, c);
                    }
                    drop(batch);
                    if done.send(buf).is_err() {
                        return;
                    }
                }
            })
            .ok()?;
        Some(Self {
            to: Some(to),
            from,
            thread: Some(thread),
            batch: Vec::with_capacity(BATCH),
            theirs: true,
            waiting: 0,
            mine: LineBuf::with_capacity(BATCH * 4096),
            spare: Vec::new(),
        })
    }

    fn push(&mut self, c: Box<Connection>, out: &mut Output) -> Result<(), CliError> {
        self.batch.push(c);
        if self.batch.len() < BATCH {
            return Ok(());
        }
        self.flush_batch(out)
    }

    /// Formats the batch (or has it formatted); writes what is due.
    fn flush_batch(&mut self, out: &mut Output) -> Result<(), CliError> {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        let theirs = self.theirs;
        self.theirs = !theirs;
        if theirs && let Some(to) = &self.to {
            let buf = self
                .spare
                .pop()
                .unwrap_or_else(|| LineBuf::with_capacity(BATCH * 4096));
            if to.send((batch, buf)).is_ok() {
                self.waiting += 1;
                return Ok(());
            }
            return Err(CliError::Input("the JSON thread stopped".into()));
        }
        self.mine.clear();
        for c in &batch {
            json_line(&mut self.mine, c);
        }
        self.write_theirs(out)?;
        out.write(self.mine.as_bytes())
    }

    /// Writes the other thread's batches handed over so far.
    fn write_theirs(&mut self, out: &mut Output) -> Result<(), CliError> {
        while self.waiting > 0 {
            let buf = self
                .from
                .recv()
                .map_err(|_| CliError::Input("the JSON thread stopped".into()))?;
            self.waiting -= 1;
            out.write(buf.as_bytes())?;
            self.spare.push(buf);
        }
        Ok(())
    }

    /// The last batch, and every line still due.
    fn finish(&mut self, out: &mut Output) -> Result<(), CliError> {
        if !self.batch.is_empty() {
            self.flush_batch(out)?;
        }
        self.write_theirs(out)
    }
}

impl Drop for SplitJson {
    fn drop(&mut self) {
        self.to = None;
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

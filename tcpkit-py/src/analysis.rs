//! `tcpkit.analyze()` and `tcpkit.Analyzer`: the core driver
//! ([`tcpkit_core::Analysis`]) run with the GIL released, its events handed to
//! the core's Arrow batch builders ([`tcpkit_core::arrow`]); the finished
//! connections and the report are kept for `explain()` and `Connection`.
//! Nothing is analysed here.

use crate::errors::to_pyerr;
use crate::sink::PySink;
use crate::table::Table;
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyList, PyString, PyTuple};
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tcpkit_core::analysis::{AnalyzerConfig, Connection};
use tcpkit_core::arrow::{ConnectionBatchBuilder, RecordBatch, SegmentBatchBuilder};
use tcpkit_core::capture::{LinkType, Packet};
use tcpkit_core::report::Report;
use tcpkit_core::{Analysis, Error, Event};

/// Events handled between two checks for Ctrl-C and two progress calls.
const EVENTS_PER_STEP: usize = 1 << 16;

/// Counts the bytes a reader hands out (for the progress bar).
struct Counted<R> {
    inner: R,
    read: Arc<AtomicU64>,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// A Python binary file object (`read(n) -> bytes`) as an `io::Read`: the GIL
/// is taken for each read only.
struct PyReader(Py<PyAny>);

impl Read for PyReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        Python::attach(|py| {
            let chunk = self
                .0
                .call_method1(py, "read", (buf.len(),))
                .map_err(|e| io::Error::other(e.to_string()))?;
            let chunk = chunk.bind(py);
            let bytes: &[u8] = if let Ok(b) = chunk.cast::<PyBytes>() {
                b.as_bytes()
            } else {
                return Err(io::Error::other(format!(
                    "read() returned {}, not bytes: open the file in binary mode",
                    chunk
                        .get_type()
                        .name()
                        .map_or_else(|_| "?".into(), |n| n.to_string())
                )));
            };
            let n = bytes.len().min(buf.len());
            buf[..n].copy_from_slice(&bytes[..n]);
            Ok(n)
        })
    }
}

/// What `analyze(**options)` asks for: the [`AnalyzerConfig`] (each keyword
/// its field of the same name) and `segments`, the core's switch for segment
/// rows ([`Analysis::segments`], default on).
#[derive(Debug, Clone)]
pub struct Options {
    pub cfg: AnalyzerConfig,
    pub segments: bool,
}

/// The [`Options`] from `analyze(**options)`.
pub fn config(options: Option<&Bound<'_, PyDict>>) -> PyResult<Options> {
    let mut o = Options {
        cfg: AnalyzerConfig::default(),
        segments: true,
    };
    let Some(options) = options else {
        return Ok(o);
    };
    for (k, v) in options.iter() {
        let key: String = k.extract()?;
        let cfg = &mut o.cfg;
        match key.as_str() {
            "linger_ns" => cfg.linger_ns = v.extract()?,
            "closed_linger_ns" => cfg.closed_linger_ns = v.extract()?,
            "idle_timeout_ns" => cfg.idle_timeout_ns = v.extract()?,
            "memory_budget" => cfg.memory_budget = v.extract()?,
            "max_unacked" => cfg.max_unacked = v.extract()?,
            "story" => cfg.story = v.extract()?,
            "threads" => cfg.threads = v.extract()?,
            "segments" => o.segments = v.extract()?,
            other => {
                return Err(PyTypeError::new_err(format!(
                    "analyze() got an unexpected keyword argument '{other}' (the options are \
                     segments and the fields of tcpkit_core::analysis::AnalyzerConfig: linger_ns, \
                     closed_linger_ns, idle_timeout_ns, memory_budget, max_unacked, story, threads)"
                )));
            }
        }
    }
    Ok(o)
}

impl Options {
    /// A `ValueError` when `threads` of 2 or more is asked for where the core
    /// analyses on one thread only: with segment rows (`rows`) or in the push
    /// form (`live`), rather than silently running on one.
    pub fn check_threads(&self, rows: bool, live: bool) -> PyResult<()> {
        let n = self.cfg.threads;
        if n <= 1 {
            return Ok(());
        }
        if live {
            return Err(PyValueError::new_err(format!(
                "threads={n}: the push form (tcpkit.Analyzer) analyses on one thread, its packets \
                 coming one at a time from the caller; leave threads at 1"
            )));
        }
        if rows {
            return Err(PyValueError::new_err(format!(
                "threads={n} needs segments=False: the core analyses on threads only when it \
                 builds no segment rows (connections, findings and the report); leave threads \
                 at 1 for segment rows"
            )));
        }
        Ok(())
    }
}

/// What the driver's events became.
#[derive(Debug)]
struct Collected {
    /// Whether segment rows were asked for.
    rows: bool,
    segments: SegmentBatchBuilder,
    connections: ConnectionBatchBuilder,
    segment_batches: Vec<RecordBatch>,
    connection_batches: Vec<RecordBatch>,
    // Boxed as the analysis hands them out: unboxing would copy each.
    #[allow(clippy::vec_box)]
    records: Vec<Box<Connection>>,
    report: Option<Box<Report>>,
    error: Option<Error>,
}

impl Collected {
    fn new(batch_size: usize, rows: bool) -> Self {
        Self {
            rows,
            segments: SegmentBatchBuilder::new(batch_size),
            connections: ConnectionBatchBuilder::new(batch_size),
            segment_batches: Vec::new(),
            connection_batches: Vec::new(),
            records: Vec::new(),
            report: None,
            error: None,
        }
    }

    /// Takes up to `max` events; `Ok(true)` once the driver has no more
    /// (for now, in the push form).
    fn step(&mut self, a: &mut Analysis, max: usize) -> Result<bool, String> {
        for _ in 0..max {
            match a.next_event() {
                None => return Ok(true),
                Some(Err(e)) => {
                    // The driver goes on with the connections and the report.
                    self.error.get_or_insert(e);
                }
                // By reference: the row is large, moving it costs.
                Some(Ok(Event::Segment(ref row))) => {
                    // A segment the core could not analyse (header under 20
                    // bytes) has no row, as in `segments --json`.
                    let Some(facts) = &row.facts else { continue };
                    if let Some(b) = self
                        .segments
                        .push(row.packet.frame, row.packet.ts_ns, &row.segment, facts)
                        .map_err(|e| e.to_string())?
                    {
                        self.segment_batches.push(b);
                    }
                }
                Some(Ok(Event::Connection(c))) => {
                    if let Some(b) = self.connections.push(&c).map_err(|e| e.to_string())? {
                        self.connection_batches.push(b);
                    }
                    // Kept boxed as handed out: no copy of the record, no
                    // vector of whole records to grow.
                    self.records.push(c);
                }
                Some(Ok(Event::Report(r))) => self.report = Some(r),
            }
        }
        Ok(false)
    }

    fn finish(mut self, t0_ns: i64) -> Result<Analyzed, String> {
        if let Some(b) = self.segments.finish().map_err(|e| e.to_string())? {
            self.segment_batches.push(b);
        }
        if let Some(b) = self.connections.finish().map_err(|e| e.to_string())? {
            self.connection_batches.push(b);
        }
        Ok(Analyzed {
            segments: self
                .rows
                .then(|| Table::new("segments", self.segments.schema(), self.segment_batches)),
            connections: Table::new(
                "connections",
                self.connections.schema(),
                self.connection_batches,
            ),
            records: self.records,
            report: self.report,
            t0_ns,
            error: self.error,
        })
    }
}

#[derive(Debug)]
struct Analyzed {
    /// `None` when the segment rows were off.
    segments: Option<Table>,
    connections: Table,
    // Boxed as the analysis hands them out: unboxing would copy each.
    #[allow(clippy::vec_box)]
    records: Vec<Box<Connection>>,
    report: Option<Box<Report>>,
    t0_ns: i64,
    error: Option<Error>,
}

/// The result of an analysis (private: `tcpkit.Analysis` wraps it).
#[pyclass(frozen, module = "tcpkit._tcpkit", name = "_Results")]
#[derive(Debug)]
pub struct Results {
    /// `None` when the analysis ran with `segments=False`.
    #[pyo3(get)]
    segments: Option<Py<Table>>,
    #[pyo3(get)]
    connections: Py<Table>,
    // Boxed as the analysis hands them out: unboxing would copy each.
    #[allow(clippy::vec_box)]
    records: Vec<Box<Connection>>,
    report: Option<Box<Report>>,
    /// The capture's first packet (connection texts count time from it).
    t0_ns: i64,
    /// The exception for the damage met, if any.
    #[pyo3(get)]
    error: Option<Py<PyAny>>,
}

impl Results {
    fn new(py: Python<'_>, a: Analyzed) -> PyResult<Self> {
        let error = a.error.map(|e| to_pyerr(py, &e).into_value(py).into_any());
        Ok(Self {
            segments: a.segments.map(|t| Py::new(py, t)).transpose()?,
            connections: Py::new(py, a.connections)?,
            records: a.records,
            report: a.report,
            t0_ns: a.t0_ns,
            error,
        })
    }

    fn record(&self, i: usize) -> PyResult<&Connection> {
        self.records
            .get(i)
            .map(|c| &**c)
            .ok_or_else(|| pyo3::exceptions::PyIndexError::new_err("connection index out of range"))
    }
}

#[pymethods]
impl Results {
    /// Number of connections.
    fn __len__(&self) -> usize {
        self.records.len()
    }

    /// Connection `i` (in the order the analysis handed them out) as a dict
    /// of the connection schema.
    fn connection<'py>(&self, py: Python<'py>, i: usize) -> PyResult<Bound<'py, PyAny>> {
        let mut sink = PySink::new(py);
        tcpkit_core::schema::connection::visit(&mut sink, self.record(i)?);
        sink.finish()
    }

    /// What `tcpkit report` prints for connection `i` (its block).
    fn explain(&self, i: usize) -> PyResult<String> {
        Ok(self.record(i)?.explain(self.t0_ns))
    }

    /// The capture-wide report as a dict of the report schema
    /// ([`tcpkit_core::schema::report`]): counters, `listeners`, `findings`;
    /// `None` when the input did not end.
    fn report<'py>(&self, py: Python<'py>) -> PyResult<Option<Bound<'py, PyAny>>> {
        let Some(r) = self.report.as_deref() else {
            return Ok(None);
        };
        let mut sink = PySink::new(py);
        tcpkit_core::schema::report::visit(&mut sink, r);
        sink.finish().map(Some)
    }

    /// The English of each finding ([`tcpkit_core::text::finding`]), in the
    /// report's order.
    fn finding_texts(&self) -> Vec<String> {
        self.report.as_deref().map_or_else(Vec::new, |r| {
            r.findings.iter().map(tcpkit_core::text::finding).collect()
        })
    }

    /// The report's findings and listeners as Arrow tables (one row each).
    fn report_tables(&self, py: Python<'_>) -> PyResult<(Py<Table>, Py<Table>)> {
        let empty = Report::default();
        let r = self.report.as_deref().unwrap_or(&empty);
        let findings = tcpkit_core::arrow::findings_batch(r)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        let listeners = tcpkit_core::arrow::listeners_batch(r)
            .map_err(|e| PyRuntimeError::new_err(e.to_string()))?;
        Ok((
            Py::new(
                py,
                Table::new(
                    "findings",
                    tcpkit_core::arrow::finding_schema(),
                    vec![findings],
                ),
            )?,
            Py::new(
                py,
                Table::new(
                    "listeners",
                    tcpkit_core::arrow::listener_schema(),
                    vec![listeners],
                ),
            )?,
        ))
    }

    /// What `tcpkit report` prints after the connections (listeners, findings).
    fn explain_report(&self) -> PyResult<String> {
        self.report
            .as_ref()
            .map(|r| r.explain())
            .ok_or_else(|| PyRuntimeError::new_err("no report: the input did not end"))
    }
}

/// Rows per batch of the tables kept in memory, `batch_size` or, for 0,
/// the whole table in one batch (ended early only where Arrow's 32-bit
/// offsets need it: `RowBuilder::full`): one chunk a column, which
/// `to_pandas()` and NumPy take as it is. On the benchmark capture's 3.8 M
/// segments, `to_pandas()` then takes 0.04 s and 70 MiB, against 0.7-1.0 s
/// and 320 MiB of copies from 8,192-row batches.
fn table_batch_size(batch_size: usize) -> usize {
    if batch_size == 0 {
        usize::MAX
    } else {
        batch_size
    }
}

/// Runs `a` (its segment rows on when `rows`) to its end: the GIL released for each step, Ctrl-C and the
/// progress callback between steps.
fn run(
    py: Python<'_>,
    mut a: Analysis,
    batch_size: usize,
    rows: bool,
    progress: Option<&Bound<'_, PyAny>>,
    read: &AtomicU64,
) -> PyResult<Results> {
    let mut c = Collected::new(batch_size, rows);
    in_steps(py, progress, read, || c.step(&mut a, EVENTS_PER_STEP))?
        .map_err(PyRuntimeError::new_err)?;
    let t0 = a.first_ts_ns().unwrap_or(0);
    let analyzed = py
        .detach(|| c.finish(t0))
        .map_err(PyRuntimeError::new_err)?;
    Results::new(py, analyzed)
}

/// `tcpkit.analyze` (see `python/tcpkit/__init__.py`): `source` is a path
/// (str or os.PathLike), bytes-like, a binary file object, or a list of the
/// files of a rotated capture (paths, bytes or `(name, bytes)` pairs).
#[pyfunction]
#[pyo3(signature = (source, *, progress=None, batch_size=0, options=None))]
pub fn _analyze(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    progress: Option<&Bound<'_, PyAny>>,
    batch_size: usize,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Results> {
    let o = config(options)?;
    let batch_size = table_batch_size(batch_size);
    o.check_threads(o.segments, false)?;
    let read = Arc::new(AtomicU64::new(0));
    let a = open(py, source, o.cfg, &read)?.segments(o.segments);
    run(py, a, batch_size, o.segments, progress, &read)
}

/// Packet records read between two checks for Ctrl-C and two progress calls
/// of [`_check`] (whose records cost a fraction of an analysed event's).
const RECORDS_PER_STEP: u64 = 1 << 20;

/// The damage a pass of [`_analyze`] over `source` would meet, as the same
/// `CaptureError` (None: it reads to the end): the capture's records read
/// through without decoding ([`Analysis::check`]), the GIL released.
/// `options` are refused as [`_analyze`] refuses them, and otherwise unused.
#[pyfunction]
#[pyo3(signature = (source, *, progress=None, options=None))]
pub fn _check(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    progress: Option<&Bound<'_, PyAny>>,
    options: Option<&Bound<'_, PyDict>>,
) -> PyResult<Option<Py<PyAny>>> {
    let o = config(options)?;
    o.check_threads(o.segments, false)?;
    let read = Arc::new(AtomicU64::new(0));
    let mut a = open(py, source, o.cfg, &read)?;
    let checked = in_steps(py, progress, &read, || a.check(RECORDS_PER_STEP))?;
    Ok(checked
        .err()
        .map(|e| to_pyerr(py, &e).into_value(py).into_any()))
}

/// Runs `step` (a bounded amount of work, `Ok(true)` once there is no more)
/// with the GIL released until it ends or fails, checking for Ctrl-C and
/// telling `progress` the bytes `read` after each step; the failure, if any.
fn in_steps<E: Send>(
    py: Python<'_>,
    progress: Option<&Bound<'_, PyAny>>,
    read: &AtomicU64,
    mut step: impl FnMut() -> Result<bool, E> + Send,
) -> PyResult<Result<(), E>> {
    loop {
        let done = py.detach(&mut step);
        py.check_signals()?;
        if let Some(p) = progress {
            p.call1((read.load(Ordering::Relaxed),))?;
        }
        match done {
            Ok(false) => {}
            Ok(true) => return Ok(Ok(())),
            Err(e) => return Ok(Err(e)),
        }
    }
}

/// The driver over `source` (see [`_analyze`]); `read` counts the bytes read.
pub fn open(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    cfg: AnalyzerConfig,
    read: &Arc<AtomicU64>,
) -> PyResult<Analysis> {
    let opened = if source.is_instance_of::<PyList>() || source.is_instance_of::<PyTuple>() {
        many(py, source, cfg)?
    } else if let Ok(b) = source.cast::<PyBytes>() {
        let bytes = b.as_bytes().to_vec();
        read.store(bytes.len() as u64, Ordering::Relaxed);
        py.detach(|| Analysis::from_bytes(bytes, cfg))
    } else if let Ok(b) = source.cast::<PyByteArray>() {
        let bytes = b.to_vec();
        read.store(bytes.len() as u64, Ordering::Relaxed);
        py.detach(|| Analysis::from_bytes(bytes, cfg))
    } else if source.is_instance_of::<PyString>() || source.hasattr("__fspath__")? {
        let path: PathBuf = source.extract()?;
        let name = path.display().to_string();
        let file =
            std::fs::File::open(&path).map_err(|e| to_pyerr(py, &Error::from(e).named(&name)))?;
        let r = Counted {
            inner: file,
            read: Arc::clone(read),
        };
        py.detach(|| Analysis::from_reader(r, &name, cfg))
    } else if source.hasattr("read")? {
        let name = source
            .getattr("name")
            .and_then(|n| n.str().map(|s| s.to_string()))
            .unwrap_or_else(|_| "stream".to_owned());
        let r = Counted {
            inner: PyReader(source.clone().unbind()),
            read: Arc::clone(read),
        };
        py.detach(|| Analysis::from_reader(r, &name, cfg))
    } else {
        return Err(PyTypeError::new_err(format!(
            "analyze() needs a path, bytes or a binary file object, not {}",
            source.get_type().name()?
        )));
    };
    opened.map_err(|e| to_pyerr(py, &e))
}

/// The files of a rotated capture (a list of paths, or of `(name, bytes)`
/// pairs), read as one by [`Analysis::open_many`] / [`Analysis::from_many_bytes`].
fn many(
    py: Python<'_>,
    source: &Bound<'_, PyAny>,
    cfg: AnalyzerConfig,
) -> PyResult<Result<Analysis, Error>> {
    let bytes_of = |o: &Bound<'_, PyAny>| -> Option<Vec<u8>> {
        if let Ok(b) = o.cast::<PyBytes>() {
            Some(b.as_bytes().to_vec())
        } else {
            o.cast::<PyByteArray>().ok().map(|b| b.to_vec())
        }
    };
    let mut paths = Vec::new();
    let mut parts = Vec::new();
    for (i, item) in source.try_iter()?.enumerate() {
        let item = item?;
        if let Some(data) = bytes_of(&item) {
            parts.push((format!("capture {i} in memory"), data));
        } else if let Ok(t) = item.cast::<PyTuple>()
            && t.len() == 2
            && let Some(data) = bytes_of(&t.get_item(1)?)
        {
            parts.push((t.get_item(0)?.str()?.to_string(), data));
        } else if item.is_instance_of::<PyString>() || item.hasattr("__fspath__")? {
            paths.push(item.extract::<PathBuf>()?);
        } else {
            return Err(PyTypeError::new_err(format!(
                "analyze() takes a list of paths, of bytes or of (name, bytes) pairs, not of {}",
                item.get_type().name()?
            )));
        }
    }
    if !paths.is_empty() && !parts.is_empty() {
        return Err(PyTypeError::new_err(
            "analyze() takes a list of paths or a list of bytes, not both",
        ));
    }
    Ok(py.detach(|| {
        if parts.is_empty() {
            Analysis::open_many(paths, cfg)
        } else {
            Analysis::from_many_bytes(parts, cfg)
        }
    }))
}

/// `tcpkit.Analyzer`: packets pushed one by one (a live capture, a replay).
#[pyclass(module = "tcpkit._tcpkit", name = "_Live")]
#[derive(Debug)]
pub struct Live {
    inner: Mutex<Option<(Analysis, Collected)>>,
    frames: AtomicU64,
}

#[pymethods]
impl Live {
    #[new]
    #[pyo3(signature = (*, batch_size=0, options=None))]
    fn new(batch_size: usize, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let o = config(options)?;
        o.check_threads(o.segments, true)?;
        let batch_size = table_batch_size(batch_size);
        let a = Analysis::live(o.cfg).segments(o.segments);
        Ok(Self {
            inner: Mutex::new(Some((a, Collected::new(batch_size, o.segments)))),
            frames: AtomicU64::new(0),
        })
    }

    /// One packet: its capture time (ns since the epoch), its link type
    /// (a LINKTYPE_ number: 1 Ethernet, 101 raw IP, 113 Linux SLL...) and
    /// its bytes from the link-layer header on; `orig_len`, the packet's
    /// length on the wire when the capture cut it (default: `len(data)`).
    #[pyo3(signature = (ts_ns, link_type, data, *, orig_len=None))]
    fn push(
        &self,
        py: Python<'_>,
        ts_ns: i64,
        link_type: i64,
        data: &[u8],
        orig_len: Option<i64>,
    ) -> PyResult<()> {
        // Out of range: a ValueError that says which and why (as the C ABI's
        // INVALID_ARGUMENT), not the OverflowError of the conversion.
        let link_type = u16::try_from(link_type).map_err(|_| {
            PyValueError::new_err(format!(
                "link_type {link_type} is not a LINKTYPE_ number (0 to 65535)"
            ))
        })?;
        let orig_len = orig_len
            .map(|n| {
                u32::try_from(n).map_err(|_| {
                    PyValueError::new_err(format!(
                        "orig_len {n} is not a length on the wire (0 to 4294967295)"
                    ))
                })
            })
            .transpose()?;
        let mut guard = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("poisoned"))?;
        let (a, c) = guard
            .as_mut()
            .ok_or_else(|| PyValueError::new_err("push() after finish()"))?;
        let frame = self.frames.fetch_add(1, Ordering::Relaxed) + 1;
        let packet = Packet {
            frame,
            ts_ns,
            link_type: LinkType(link_type),
            orig_len: orig_len.unwrap_or(u32::try_from(data.len()).unwrap_or(u32::MAX)),
            data,
            interface: 0,
        };
        a.push_packet(&packet).map_err(|e| to_pyerr(py, &e))?;
        c.step(a, usize::MAX).map_err(PyRuntimeError::new_err)?;
        Ok(())
    }

    /// No more packets: the remaining connections and the report.
    fn finish(&self, py: Python<'_>) -> PyResult<Results> {
        let taken = self
            .inner
            .lock()
            .map_err(|_| PyRuntimeError::new_err("poisoned"))?
            .take();
        let (mut a, mut c) = taken.ok_or_else(|| PyValueError::new_err("finish() called twice"))?;
        a.finish_input();
        let analyzed = py
            .detach(|| {
                c.step(&mut a, usize::MAX)?;
                c.finish(a.first_ts_ns().unwrap_or(0))
            })
            .map_err(PyRuntimeError::new_err)?;
        Results::new(py, analyzed)
    }
}

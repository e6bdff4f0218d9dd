"""``tcpkit.analyze``, ``Analysis``, ``Connection`` and ``Analyzer``: a thin face
over the extension module, which runs the core's driver and builds its Arrow
batches. Nothing here analyses: every value comes from the core."""

from __future__ import annotations

import functools
import html
import io
import os
from collections.abc import Callable, Iterator, Mapping
from typing import IO, Any, Literal

from tcpkit import _progress
from tcpkit._record import Record
from tcpkit._records import ConnectionFields, FindingFields, Listener
from tcpkit._tcpkit import BatchStream, CaptureError, Table, _analyze, _check, _Live, _Results, _stream

__all__ = ["analyze", "stream", "Analysis", "Connection", "Analyzer", "Finding", "Listener", "Record"]

Source = (
    str
    | os.PathLike[str]
    | bytes
    | bytearray
    | IO[bytes]
    | list[str | os.PathLike[str]]
    | list[bytes | bytearray | tuple[str, bytes | bytearray]]
)


class Connection(ConnectionFields):
    """One connection: the columns of ``Analysis.connections`` as typed attributes
    (``conn``, ``client``, ``server``, ``handshake``, ``options``, ``window_scale``,
    ``trains``, ``rtt``, ``close``, ``states``, ``inferred``, ``notes`` ...: see
    :class:`tcpkit._records.ConnectionFields`), and :meth:`explain`, the text
    ``tcpkit report`` prints for it. The story's fields are None when the analysis
    ran with ``story=False``."""

    __slots__ = ("_results", "_index")

    def __init__(self, results: _Results, index: int) -> None:
        super().__init__(results.connection(index))
        self._results = results
        self._index = index

    def explain(self) -> str:
        """What ``tcpkit report`` prints for this connection (times from the
        capture's first packet)."""
        return self._results.explain(self._index)

    def __repr__(self) -> str:
        c, s = self._d["client"], self._d["server"]
        return (
            f"<tcpkit.Connection {self._d['conn']}: {c['ip']}:{c['port']} -> {s['ip']}:{s['port']} "
            f"{self._d['handshake']['outcome']}>"
        )

    def _repr_html_(self) -> str:
        return _html_table([self._d])


class Finding(FindingFields):
    """One capture-wide finding of ``tcpkit report``: its ``code`` (``syn_flood``,
    ``syn_cookies``, ``accept_queue_overflow``, ``refusing``, ``zero_window``,
    ``mtu_mismatch``, ``never_answered``, ``memory_budget``), that code's numbers as typed attributes
    (the other codes' are None; :attr:`params` has only this code's), and
    :attr:`text`, what the report says about it (``tcpkit_core::text``)."""

    __slots__ = ("text",)
    text: str
    """The finding in words, as ``tcpkit report`` prints it."""

    def __init__(self, d: Mapping[str, Any], text: str) -> None:
        super().__init__(d)
        self.text = text

    @property
    def params(self) -> dict[str, Any]:
        """This code's numbers (the fields that are not None, ``code`` left out)."""
        return {k: self[k] for k, v in self._d.items() if k != "code" and v is not None}

    def __repr__(self) -> str:
        return f"<tcpkit.Finding {self.code}: {self.text}>"

    def _repr_html_(self) -> str:
        return f"<p><b>{html.escape(self.code)}</b>: {html.escape(self.text)}</p>"


def _sub(d: Mapping[str, Any] | None, *keys: str) -> Any:
    """``d[k1][k2]...``, None when a level is None (the story's fields without a story)."""
    v: Any = d
    for k in keys:
        if v is None:
            return None
        v = v[k]
    return v


_HTML_COLUMNS = (
    ("conn", lambda d: d["conn"]),
    ("client", lambda d: f"{d['client']['ip']}:{d['client']['port']}"),
    ("server", lambda d: f"{d['server']['ip']}:{d['server']['port']}"),
    ("handshake", lambda d: d["handshake"]["outcome"]),
    ("packets c2s/s2c", lambda d: f"{d['packets']['c2s']}/{d['packets']['s2c']}"),
    ("bytes c2s/s2c", lambda d: f"{d['bytes']['c2s']}/{d['bytes']['s2c']}"),
    ("retx c2s/s2c", lambda d: f"{d['retransmissions']['c2s']}/{d['retransmissions']['s2c']}"),
    ("first FIN / RST", lambda d: f"{_sub(d, 'close', 'first_fin_by') or '-'} / {_sub(d, 'close', 'rst_by') or '-'}"),
    ("client states", lambda d: " > ".join(s["state"] for s in _sub(d, "states", "client") or [])),
    ("server states", lambda d: " > ".join(s["state"] for s in _sub(d, "states", "server") or [])),
)


def _html_table(rows: list[Mapping[str, Any]], more: int = 0) -> str:
    head = "".join(f"<th>{html.escape(n)}</th>" for n, _ in _HTML_COLUMNS)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(f(r)))}</td>" for _, f in _HTML_COLUMNS) + "</tr>" for r in rows
    )
    tail = f"<p>... and {more} more</p>" if more else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{tail}"


class Analysis:
    """What :func:`analyze` found in a capture.

    - ``segments``: one row per TCP segment (the columns of ``tcpkit segments --json``);
    - ``connections``: one row per connection (the columns of ``tcpkit flows --json``);

    both tables implement the Arrow PyCapsule interface (``pyarrow.table(t)``,
    ``polars.DataFrame(t)``, ``duckdb.sql("select * from t")``) and have
    ``to_pandas()``, ``to_polars()``, ``to_arrow()``. ``len(a)``, ``a[i]`` and
    iteration give :class:`Connection` objects; :meth:`explain` the report's
    capture-wide text. ``error`` is the :class:`CaptureError` where the capture
    was damaged (with ``errors="keep"``), else None.

    From a path or bytes, each table is read from the capture the first time
    it (or anything of the connections) is asked for: see :func:`analyze`.
    """

    __slots__ = ("_stories", "_rows", "_segments", "_error")

    def __init__(self, stories: _Results | _Pass, rows: _Pass | None = None, error: CaptureError | None = None) -> None:
        """``stories``: the results with the connections, or the pass that
        reads them when first asked for; ``rows``: the pass that reads the
        segment rows when first asked for (None: they are in ``stories``, or
        were not asked for); ``error``: the damage the passes meet (read from
        ``stories`` when it is done)."""
        self._stories = stories
        self._rows = rows
        self._segments: Table | None = None
        self._error = error
        if isinstance(stories, _Results):
            self._segments = stories.segments
            e = stories.error
            assert e is None or isinstance(e, CaptureError)
            self._error = e

    @property
    def _results(self) -> _Results:
        """The connections' results, read the first time they are asked for."""
        if isinstance(self._stories, _Pass):
            self._stories = self._stories.read()
        return self._stories

    @property
    def segments(self) -> Table:
        """One row per TCP segment; a ValueError when the analysis ran with
        ``segments=False``. From a path or bytes, the rows are read the first
        time this is asked for (see :func:`analyze`)."""
        if self._segments is None and self._rows is not None:
            self._segments = self._rows.read().segments
            self._rows = None
        if self._segments is None:
            raise ValueError(
                "this analysis ran with segments=False (no segment rows): "
                "call tcpkit.analyze(source) without segments=False to get them"
            )
        return self._segments

    @property
    def connections(self) -> Table:
        """One row per connection."""
        return self._results.connections

    @property
    def error(self) -> CaptureError | None:
        """Where reading stopped on a damaged capture (``errors="keep"``), else None."""
        return self._error

    def __len__(self) -> int:
        return len(self._results)

    def __getitem__(self, i: int) -> Connection:
        n = len(self._results)
        if i < 0:
            i += n
        if not 0 <= i < n:
            raise IndexError("connection index out of range")
        return Connection(self._results, i)

    def __iter__(self) -> Iterator[Connection]:
        for i in range(len(self._results)):
            yield Connection(self._results, i)

    @property
    def findings(self) -> list[Finding]:
        """The capture-wide findings, in the order ``tcpkit report`` prints them
        (the listeners', then the memory budget's, then each connection's)."""
        report = self._results.report()
        if report is None:
            return []
        texts = self._results.finding_texts()
        return [Finding(d, t) for d, t in zip(report["findings"], texts, strict=True)]

    @property
    def listeners(self) -> list[Listener]:
        """Each listening socket (server ip:port): the connection attempts to it and
        what became of them, by address."""
        report = self._results.report()
        return [] if report is None else [Listener(d) for d in report["listeners"]]

    @property
    def findings_table(self) -> Table:
        """The findings as a table (one row each: ``code``, then every code's
        numbers, null where the code has none)."""
        return self._results.report_tables()[0]

    @property
    def listeners_table(self) -> Table:
        """The listeners as a table (one row each)."""
        return self._results.report_tables()[1]

    def explain(self) -> str:
        """What ``tcpkit report`` prints after the connections: the listeners and
        the capture-wide findings."""
        return self._results.explain_report()

    def _counts(self) -> str:
        t = self._segments
        if t is not None:
            rows = f"{len(t)} segments"
        else:
            rows = "segment rows not read yet" if self._rows is not None else "no segment rows"
        conns = "connections not read yet" if isinstance(self._stories, _Pass) else f"{len(self)} connections"
        return f"tcpkit.Analysis: {rows}, {conns}"

    def __repr__(self) -> str:
        return f"<{self._counts()}>"

    def _repr_html_(self) -> str:
        shown = [self[i]._d for i in range(min(len(self), 20))]
        summary = f"<p>{self._counts()}</p>"
        findings = "".join(f"<li>{f._repr_html_()}</li>" for f in self.findings)
        found = f"<p>Findings:</p><ul>{findings}</ul>" if findings else "<p>Findings: none</p>"
        return summary + _html_table(shown, more=max(0, len(self) - 20)) + found


def analyze(
    source: Source,
    *,
    progress: bool | _progress.Callback | None = None,
    errors: Literal["raise", "keep"] = "raise",
    batch_size: int = 0,
    **options: Any,
) -> Analysis:
    """Analyses a capture (pcap or pcapng) in one pass.

    ``source``: a path (str or os.PathLike), the capture's bytes, or a binary
    file object (a pipe included); or a list of the files of one capture
    rotated by ``tcpdump -C``/``-G`` (paths, bytes or ``(name, bytes)`` pairs),
    read as one capture: in the order of their first packet's time (not of
    their names), frame numbers going on from file to file, a connection that
    spans two files one connection (the core's ``Analysis::open_many``). The GIL is released while the core works;
    Ctrl-C stops it (KeyboardInterrupt).

    ``progress``: ``True`` shows the bytes read (tqdm when installed, a text
    bar otherwise), a callable is called with the bytes read so far; ``None``
    (default) shows a bar in a notebook for files of 8 MB and more.

    ``errors``: on a damaged capture, ``"raise"`` raises :class:`CaptureError`
    (file, offset, frame, reason); ``"keep"`` returns everything read before
    the damage (every connection, the report) with ``Analysis.error`` set.

    ``batch_size``: rows per Arrow batch of the tables; 0 (default): each
    table in one batch, split only where Arrow's 32-bit offsets need it (2 GiB
    of a column's strings), so that each column is one chunk, which
    ``to_pandas()`` and NumPy share rather than copy.

    ``options``: the fields of the core's ``AnalyzerConfig``, same names and
    defaults (``linger_ns``, ``closed_linger_ns``, ``idle_timeout_ns``,
    ``memory_budget``, ``max_unacked``, ``story``, ``threads``), and
    ``segments``:

    - ``segments`` (default True), the core's ``Analysis::segments``. From a
      path, bytes, or a list of them (a source that can be read again), with
      one thread and stories on, ``analyze()`` only reads the capture's
      records through, without decoding them (the core's
      ``Analysis::check``: the damage, raised or kept as ``errors`` says,
      for a small part of a pass's time), and each table is read from the
      capture the first time it is asked for: the connections (with the
      findings, the report and everything of a :class:`Connection`) in a
      pass without segment rows, the segment rows in a pass of their own,
      stories off as ``tcpkit segments`` (the rows do not depend on them). A
      job that needs one table pays for that table only. If a file was
      written or replaced since ``analyze()`` (its inode, size, modification
      or status-change time differ), such a pass raises RuntimeError. From a
      file object (a pipe cannot be read twice), a bytearray (it may
      change), or with ``story=False``, ``analyze()`` reads both in its one
      pass. ``segments=False``: no rows at all (``Analysis.segments`` then
      raises ValueError), the connections read in the one pass.
    - ``story`` (default True): False builds no stories (the connections'
      story columns None, no findings): for a job that needs only the
      segment rows, as ``tcpkit segments`` builds none.
    - ``threads`` (default 1): N analyses on N threads, only with
      ``segments=False`` (the core builds segment rows on one thread; N above
      1 with segment rows raises ValueError): the same connections, order and
      report as one thread unless an analyser reaches its share
      (``memory_budget / N``) of the memory budget.
    """
    if errors not in ("raise", "keep"):
        raise ValueError(f'errors must be "raise" or "keep", not {errors!r}')
    total: int | None = None
    name = "capture"
    if isinstance(source, (str, os.PathLike)):
        name = os.fsdecode(source)
        try:
            total = os.path.getsize(source)
        except OSError:
            total = None  # the extension raises the right error
    elif isinstance(source, (bytes, bytearray)):
        total = len(source)
    elif isinstance(source, list) and source:
        first = source[0]
        name = os.fsdecode(first) if isinstance(first, (str, os.PathLike)) else "capture"
    elif isinstance(source, io.TextIOBase):
        raise TypeError("analyze() reads bytes: open the file in binary mode ('rb')")
    label = os.path.basename(name) or name
    # Two passes pay only when the stories, which the rows do not need, are built.
    two_passes = (
        options.get("segments", True) and options.get("story", True) and options.get("threads", 1) in (0, 1)
    )
    read = functools.partial(_read, source, progress, total, label, batch_size)
    if two_passes and _rereadable(source):
        stamps = [(p, _stamp(p)) for p in _paths(source)]
        with _progress.shown(progress, total, label) as callback:
            error = _check(source, progress=callback, options=options or None)
        if errors == "raise" and error is not None:
            raise error
        assert error is None or isinstance(error, CaptureError)
        stories = _Pass(functools.partial(read, {**options, "segments": False}), stamps)
        rows = _Pass(functools.partial(read, {**options, "segments": True, "story": False}), stamps)
        return Analysis(stories, rows, error)
    results = read(options)
    if errors == "raise" and results.error is not None:
        raise results.error
    return Analysis(results)


def _read(
    source: Source,
    progress: bool | _progress.Callback | None,
    total: int | None,
    label: str,
    batch_size: int,
    options: dict[str, Any],
) -> _Results:
    """One pass of the extension over ``source``, with its progress bar."""
    with _progress.shown(progress, total, label) as callback:
        return _analyze(source, progress=callback, batch_size=batch_size, options=options or None)


def _pieces(source: Source) -> list[Any]:
    """The pieces of ``source``: the list's items, or the source alone."""
    return source if isinstance(source, list) else [source]


def _rereadable(source: Source) -> bool:
    """A source :class:`_Pass` can read again and find the same: a path,
    bytes (not a bytearray, which may change), or a list of them (or of
    ``(name, bytes)`` pairs)."""
    return bool(_pieces(source)) and all(
        isinstance(p, (str, os.PathLike, bytes)) or (isinstance(p, tuple) and len(p) == 2 and isinstance(p[1], bytes))
        for p in _pieces(source)
    )


def _paths(source: Source) -> list[str | os.PathLike[str]]:
    """The files among ``source``'s pieces."""
    return [p for p in _pieces(source) if isinstance(p, (str, os.PathLike))]


def _stamp(path: str | os.PathLike[str]) -> tuple[int, ...] | None:
    """What changes when a file is written or replaced (None when it cannot be
    read): its device and inode (a new file renamed over it), size, modification
    time, and status-change time (set by the system on every write; a program can
    put the modification time back, not this one)."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns


class _Pass:
    """A pass of :func:`analyze` over a source that can be read again, made
    when its table is first asked for. ``analyze()`` has already raised (or,
    with ``errors="keep"``, recorded) any damage, which this pass meets at the
    same place: its rows and connections stop there too."""

    __slots__ = ("_read", "_stamps")

    def __init__(
        self, read: Callable[[], _Results], stamps: list[tuple[str | os.PathLike[str], tuple[int, ...] | None]]
    ) -> None:
        """``read``: the pass (:func:`_read` with everything bound); ``stamps``:
        the files' :func:`_stamp` when ``analyze()`` was called."""
        self._read = read
        self._stamps = stamps

    def read(self) -> _Results:
        for path, stamp in self._stamps:
            if _stamp(path) != stamp:
                raise RuntimeError(
                    f"{os.fsdecode(path)}: changed since tcpkit.analyze() was called (written "
                    "or replaced): its connections and segment rows are read from the file "
                    "when first asked for; analyze it again"
                )
        return self._read()


def stream(
    source: Source,
    *,
    table: Literal["segments", "connections"] = "segments",
    batch_size: int = 0,
    **options: Any,
) -> BatchStream:
    """The rows of one table made while the capture is read, one Arrow batch in
    memory at a time: for captures whose whole table would not fit (``analyze``
    keeps both tables whole, read any number of times). A one-shot Arrow
    PyCapsule stream::

        reader = pyarrow.RecordBatchReader.from_stream(tcpkit.stream("big.pcap"))
        for batch in reader: ...

    ``table``: ``"segments"`` (stories off unless ``story=True`` is given: segment
    rows do not need them) or ``"connections"`` (no segment rows built, so
    ``threads=N`` applies); ``batch_size``: rows per batch (0: the core's
    default, 8,192); ``source`` and ``options`` as for :func:`analyze` (but no
    ``segments``: ``table`` says which rows). The reading happens as the consumer asks
    for batches; a damaged capture gives every batch before the damage, then the
    consumer's error for the stream (pyarrow raises it with the core's message).
    """
    return _stream(source, table=table, batch_size=batch_size, options=options or None)


class Analyzer:
    """Packets that come from no file (a live sniffer, a replay): :meth:`push` each
    one, then :meth:`finish` for the :class:`Analysis` (the same rows and
    connections as :func:`analyze` on a capture of the same packets). ``batch_size``
    and options as for :func:`analyze` (``segments=False`` included), but one thread only: the
    packets come one at a time from the caller (``threads`` above 1 raises
    ValueError)."""

    __slots__ = ("_live",)

    def __init__(self, *, batch_size: int = 0, **options: Any) -> None:
        self._live = _Live(batch_size=batch_size, options=options or None)

    def push(self, ts_ns: int, link_type: int, data: bytes, *, orig_len: int | None = None) -> None:
        """One packet: capture time in ns since the epoch, its LINKTYPE_ number
        (1 Ethernet, 101 raw IP, 113 Linux cooked...), its bytes from the link
        header on, and ``orig_len``, its length on the wire when the capture cut
        it (default ``len(data)``). Frames are numbered from 1 in push order.
        A link type outside 0..65535, or an ``orig_len`` outside 0..2**32-1,
        raises ValueError; a push after ``finish()`` too."""
        self._live.push(ts_ns, link_type, data, orig_len=orig_len)

    def finish(self) -> Analysis:
        """No more packets: the analysis of those pushed."""
        return Analysis(self._live.finish())

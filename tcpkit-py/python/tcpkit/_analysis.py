"""``tcpkit.analyze``, ``Analysis``, ``Connection`` and ``Analyzer``: a thin face
over the extension module, which runs the core's driver and builds its Arrow
batches. Nothing here analyses: every value comes from the core."""

from __future__ import annotations

import html
import io
import os
from collections.abc import Iterator, Mapping
from typing import IO, Any, Literal

from tcpkit import _progress
from tcpkit._tcpkit import CaptureError, Table, _analyze, _Live, _Results

__all__ = ["analyze", "Analysis", "Connection", "Analyzer", "Record"]

Source = str | os.PathLike[str] | bytes | bytearray | IO[bytes]


class Record(Mapping[str, Any]):
    """A struct of the schema: fields as attributes (``c.handshake.irtt``) and as keys
    (``c["handshake"]["irtt"]``). Times are integer nanoseconds, as in the core."""

    __slots__ = ("_d",)

    def __init__(self, d: Mapping[str, Any]) -> None:
        self._d = d

    def __getitem__(self, key: str) -> Any:
        return _wrap(self._d[key])

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __getattr__(self, name: str) -> Any:
        try:
            return _wrap(self._d[name])
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> list[str]:
        return list(self._d)

    def to_dict(self) -> dict[str, Any]:
        """The plain nested dict (lists, dicts, ints, strings)."""
        return dict(self._d)

    def __repr__(self) -> str:
        return f"Record({self._d!r})"


def _wrap(v: Any) -> Any:
    if isinstance(v, dict):
        return Record(v)
    if isinstance(v, list):
        return [_wrap(x) for x in v]
    return v


class Connection(Record):
    """One connection: the columns of ``Analysis.connections`` as attributes
    (``conn``, ``client``, ``server``, ``handshake``, ``options``, ``window_scale``,
    ``trains``, ``rtt``, ``close``, ``states``, ``inferred``, ``notes`` ...), and
    :meth:`explain`, the text ``tcpkit report`` prints for it."""

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


_HTML_COLUMNS = (
    ("conn", lambda d: d["conn"]),
    ("client", lambda d: f"{d['client']['ip']}:{d['client']['port']}"),
    ("server", lambda d: f"{d['server']['ip']}:{d['server']['port']}"),
    ("handshake", lambda d: d["handshake"]["outcome"]),
    ("packets c2s/s2c", lambda d: f"{d['packets']['c2s']}/{d['packets']['s2c']}"),
    ("bytes c2s/s2c", lambda d: f"{d['bytes']['c2s']}/{d['bytes']['s2c']}"),
    ("retx c2s/s2c", lambda d: f"{d['retransmissions']['c2s']}/{d['retransmissions']['s2c']}"),
    ("first FIN / RST", lambda d: f"{d['close']['first_fin_by'] or '-'} / {d['close']['rst_by'] or '-'}"),
    ("client states", lambda d: " > ".join(s["state"] for s in d["states"]["client"])),
    ("server states", lambda d: " > ".join(s["state"] for s in d["states"]["server"])),
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
    """

    __slots__ = ("_results",)

    def __init__(self, results: _Results) -> None:
        self._results = results

    @property
    def segments(self) -> Table:
        """One row per TCP segment."""
        return self._results.segments

    @property
    def connections(self) -> Table:
        """One row per connection."""
        return self._results.connections

    @property
    def error(self) -> CaptureError | None:
        """Where reading stopped on a damaged capture (``errors="keep"``), else None."""
        e = self._results.error
        assert e is None or isinstance(e, CaptureError)
        return e

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

    def explain(self) -> str:
        """What ``tcpkit report`` prints after the connections: the listeners and
        the capture-wide findings."""
        return self._results.explain_report()

    def __repr__(self) -> str:
        return f"<tcpkit.Analysis: {len(self.segments)} segments, {len(self)} connections>"

    def _repr_html_(self) -> str:
        shown = [self[i]._d for i in range(min(len(self), 20))]
        summary = f"<p>tcpkit.Analysis: {len(self.segments)} segments, {len(self)} connections</p>"
        return summary + _html_table(shown, more=max(0, len(self) - 20))


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
    file object (a pipe included). The GIL is released while the core works;
    Ctrl-C stops it (KeyboardInterrupt).

    ``progress``: ``True`` shows the bytes read (tqdm when installed, a text
    bar otherwise), a callable is called with the bytes read so far; ``None``
    (default) shows a bar in a notebook for files of 8 MB and more.

    ``errors``: on a damaged capture, ``"raise"`` raises :class:`CaptureError`
    (file, offset, frame, reason); ``"keep"`` returns everything read before
    the damage (every connection, the report) with ``Analysis.error`` set.

    ``batch_size``: rows per Arrow batch (0: the core's default).

    ``options``: the fields of the core's ``AnalyzerConfig``, same names and
    defaults (``linger_ns``, ``closed_linger_ns``, ``idle_timeout_ns``,
    ``memory_budget``, ``max_unacked``, ``story``).
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
    elif isinstance(source, io.TextIOBase):
        raise TypeError("analyze() reads bytes: open the file in binary mode ('rb')")
    callback, close = _progress.make(progress, total, os.path.basename(name) or name)
    try:
        results = _analyze(source, progress=callback, batch_size=batch_size, options=options or None)
    finally:
        close()
    if errors == "raise" and results.error is not None:
        raise results.error
    return Analysis(results)


class Analyzer:
    """Packets that come from no file (a live sniffer, a replay): :meth:`push` each
    one, then :meth:`finish` for the :class:`Analysis` (the same rows and
    connections as :func:`analyze` on a capture of the same packets)."""

    __slots__ = ("_live",)

    def __init__(self, *, batch_size: int = 0, **options: Any) -> None:
        self._live = _Live(batch_size=batch_size, options=options or None)

    def push(self, ts_ns: int, link_type: int, data: bytes, *, orig_len: int | None = None) -> None:
        """One packet: capture time in ns since the epoch, its LINKTYPE_ number
        (1 Ethernet, 101 raw IP, 113 Linux cooked...), its bytes from the link
        header on, and ``orig_len``, its length on the wire when the capture cut
        it (default ``len(data)``). Frames are numbered from 1 in push order."""
        self._live.push(ts_ns, link_type, data, orig_len=orig_len)

    def finish(self) -> Analysis:
        """No more packets: the analysis of those pushed."""
        return Analysis(self._live.finish())

"""``tcpkit.dask``: many captures as Dask DataFrames (extra ``tcpkit[dask]``).

Each partition is one *group* of files analysed by the core in one pass on a
worker (:func:`tcpkit.analyze` of the group's files); nothing is analysed in
Python and there is no scheduler of our own: the DataFrames are built with
``dask.dataframe.from_map`` and run wherever Dask runs (the local threads, a
``LocalCluster``, a scheduler address).

Groups. A group is the files of one capture rotated by ``tcpdump -C`` or
``-G``: the core reads them as one capture, in the order of their first
packet's time (not of their names), frame numbers going on across the files,
so a connection that spans two files is one connection
(``Analysis::open_many``). ``paths`` is

- a list of lists: each inner list is a group;
- a path, a glob (``"caps/*.pcap*"``), an fsspec URL or a list of them: each
  file its own group, unless ``group_by`` says otherwise:
  ``group_by="rotation"`` puts together the files whose names differ only by
  the number ``tcpdump -C`` appends (``x.pcap``, ``x.pcap1``, ``x.pcap2``...),
  ``group_by=callable`` groups by ``callable(path)``, ``group_by="one"`` makes
  all the files one capture.

Each group is one partition; connection numbers start from 1 in each group
(as if each group were analysed alone). The ``source`` column names the group:
the key of ``group_by`` (the name without the rotation number for
``"rotation"``), else the group's first file as given.

Local files are read by the core (streaming); other fsspec URLs are read
through fsspec into memory on the worker, whole, one group at a time.
"""

from __future__ import annotations

import importlib
import os
import re
from collections.abc import Callable, Sequence
from typing import Any

import tcpkit

__all__ = ["groups", "read_connections", "read_segments", "report"]

Path = str | os.PathLike[str]
Paths = Path | Sequence[Path] | Sequence[Sequence[Path]]

# A pcap file with no packet (nanosecond magic, Ethernet): its analysis gives
# the tables' Arrow schemas, for the DataFrames' meta.
_EMPTY_PCAP = (
    b"\x4d\x3c\xb2\xa1" + b"\x02\x00\x04\x00" + b"\x00" * 8 + b"\x00\x00\x04\x00" + b"\x01\x00\x00\x00"
)

_ROTATION = re.compile(r"\d+$")


def _expand(p: str) -> list[str]:
    import fsspec

    if any(c in p for c in "*?["):
        fs, _, found = fsspec.get_fs_token_paths(p)
        proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        return sorted(f if proto == "file" else fs.unstrip_protocol(f) for f in found)
    return [p]


def groups(paths: Paths, group_by: str | Callable[[str], Any] | None = None) -> list[tuple[str, list[str]]]:
    """The groups ``paths`` makes (see the module doc): ``(source, files)``, in
    order (groups as given; files as given, the core orders them by time)."""

    if isinstance(paths, (str, os.PathLike)):
        paths = [os.fspath(paths)]
    items = list(paths)
    if items and all(not isinstance(i, (str, os.PathLike)) for i in items):
        if group_by is not None:
            raise ValueError("group_by is for a flat list of files; a list of lists is already grouped")
        out = []
        for g in items:
            assert not isinstance(g, (str, os.PathLike))
            files = [f for p in g for f in _expand(os.fspath(p))]
            if not files:
                raise ValueError("an empty group of files")
            out.append((files[0], files))
        return out
    flat = [os.fspath(p) for p in items if isinstance(p, (str, os.PathLike))]
    if len(flat) != len(items):
        raise TypeError("paths: a path, a glob, a list of them, or a list of lists (groups), not a mix")
    files = [f for p in flat for f in _expand(p)]
    if not files:
        raise FileNotFoundError(f"no capture file in {paths!r}")
    if group_by is None:
        return [(f, [f]) for f in files]
    if group_by == "one":
        return [(files[0], files)]
    if group_by == "rotation":
        key: Callable[[str], Any] = lambda f: _ROTATION.sub("", f)  # noqa: E731
    elif callable(group_by):
        key = group_by
    else:
        raise ValueError(f'group_by must be None, "one", "rotation" or a callable, not {group_by!r}')
    by: dict[str, list[str]] = {}
    for f in files:
        by.setdefault(str(key(f)), []).append(f)
    return list(by.items())


def _sources(files: list[str]) -> list[Any]:
    """What :func:`tcpkit.analyze` takes for the files: local paths as they are,
    other URLs as ``(url, bytes)`` read through fsspec."""
    import fsspec

    out: list[Any] = []
    for f in files:
        fs, path = fsspec.core.url_to_fs(f)
        proto = fs.protocol if isinstance(fs.protocol, str) else fs.protocol[0]
        if proto in ("file", "local"):
            out.append(path)
        else:
            with fs.open(path, "rb") as fh:
                out.append((f, fh.read()))
    return out


def _analysis(files: list[str], options: dict[str, Any], segments: bool) -> tcpkit.Analysis:
    """The analysis of one group; ``segments``: whether segment rows are needed
    (the connections and the report never need them, and the rows need no
    stories: one pass builds them with stories off, whatever ``story`` says)."""
    if segments:
        return tcpkit.analyze(_sources(files), **{**options, "story": False, "segments": True})
    return tcpkit.analyze(_sources(files), **{**options, "segments": False})


def _frame(table: Any, source: str | None) -> Any:
    """An Arrow table as a pandas DataFrame with every column ``pd.ArrowDtype``
    (the Arrow types kept), plus ``source``."""
    import pandas as pd
    import pyarrow as pa

    t = pa.table(table)
    if source is not None:
        t = t.append_column("source", pa.repeat(pa.scalar(source, pa.string()), t.num_rows))
    return t.to_pandas(types_mapper=pd.ArrowDtype)


def _meta(kind: str) -> Any:
    """The empty frame of ``kind``: its columns and types (stories off: one pass,
    the same schema)."""
    return _frame(getattr(tcpkit.analyze(_EMPTY_PCAP, story=False), kind), "")


class _Partition:
    """One group -> one partition (picklable, for the workers)."""

    def __init__(self, kind: str, options: dict[str, Any]) -> None:
        self.kind = kind
        self.options = options

    def __call__(self, group: tuple[str, list[str]]) -> Any:
        source, files = group
        return _frame(getattr(_analysis(files, self.options, self.kind == "segments"), self.kind), source)


def _read(kind: str, paths: Paths, group_by: Any, options: dict[str, Any]) -> Any:
    # Dask is typed in part: used as Any.
    dd: Any = importlib.import_module("dask.dataframe")
    gs = groups(paths, group_by)
    return dd.from_map(_Partition(kind, options), gs, meta=_meta(kind), enforce_metadata=False)


def read_connections(paths: Paths, *, group_by: str | Callable[[str], Any] | None = None, **options: Any) -> Any:
    """A Dask DataFrame of the connections, one partition per group of files
    (module doc): the columns and Arrow types of ``tcpkit.analyze(...).connections``
    (as ``pd.ArrowDtype``), plus ``source``. ``options``: those of
    :func:`tcpkit.analyze` (the core's ``AnalyzerConfig`` fields)."""
    return _read("connections", paths, group_by, options)


def read_segments(paths: Paths, *, group_by: str | Callable[[str], Any] | None = None, **options: Any) -> Any:
    """A Dask DataFrame of the TCP segments, one partition per group of files:
    the columns and Arrow types of ``tcpkit.analyze(...).segments`` plus ``source``.
    ``options``: those of :func:`tcpkit.analyze`; each partition reads its files
    once, with no stories (``story`` is ignored: the rows do not depend on them)."""
    return _read("segments", paths, group_by, options)


def _report(group: tuple[str, list[str]], options: dict[str, Any]) -> tuple[str, str]:
    return group[0], _analysis(group[1], options, segments=False).explain()


def report(
    paths: Paths, *, group_by: str | Callable[[str], Any] | None = None, **options: Any
) -> dict[str, str]:
    """The capture-wide report of each group (listeners, SYN floods,
    accept-queue overflows, refused ports), as ``tcpkit report`` prints it
    (``Analysis.explain()``), by ``source``; computed on the workers with the
    current Dask scheduler. The files of one group are one capture, so its
    report is that of the concatenated files. Reports of different groups are
    not merged (different captures: see the limits in docs/dask.md)."""
    dask: Any = importlib.import_module("dask")
    gs = groups(paths, group_by)
    tasks = [dask.delayed(_report)(g, options) for g in gs]
    return dict(dask.compute(*tasks))

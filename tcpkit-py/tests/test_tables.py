"""The Arrow tables hold the CLI's JSON, value for value, on every lab capture; and
pyarrow, polars, pandas and duckdb read them through the Arrow PyCapsule interface."""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from conftest import LAB_CAPTURES, lab_id

pa = pytest.importorskip("pyarrow")

import tcpkit  # noqa: E402


@cache
def analyzed(capture: Path) -> Any:
    return tcpkit.analyze(capture)


@cache
def cli_json(command: str, capture: Path) -> list[dict[str, Any]]:
    """The command's JSON lines; decimals kept exact (durations are seconds with nine decimals)."""
    out = subprocess.run(
        [sys.executable, "-m", "tcpkit", command, "--json", str(capture)], capture_output=True, check=True
    ).stdout
    return [json.loads(line, parse_float=Decimal) for line in out.splitlines()]


def from_arrow(v: Any, t: Any) -> Any:
    """An Arrow value (read with timestamps and durations as int64) in the JSON's terms."""
    if v is None:
        return None
    if pa.types.is_struct(t):
        return {t.field(i).name: from_arrow(v[t.field(i).name], t.field(i).type) for i in range(t.num_fields)}
    if pa.types.is_list(t):
        return [from_arrow(x, t.value_type) for x in v]
    if pa.types.is_duration(t):
        return Decimal(v) / Decimal(10**9)
    if pa.types.is_binary(t):
        return v.hex()
    if pa.types.is_floating(t):
        return Decimal(repr(v))
    return v


def from_json(v: Any, t: Any) -> Any:
    """A JSON value in the same terms: absent struct fields as None, `[a, b]` tuples as structs."""
    if v is None:
        return None
    if pa.types.is_struct(t):
        names = [t.field(i).name for i in range(t.num_fields)]
        if isinstance(v, list):
            v = dict(zip(names, v, strict=True))
        extra = set(v) - set(names)
        assert not extra, f"JSON fields missing from the Arrow schema: {extra}"
        return {n: from_json(v.get(n), t.field(n).type) for n in names}
    if pa.types.is_list(t):
        return [from_json(x, t.value_type) for x in v]
    if pa.types.is_duration(t):
        return Decimal(v)
    if pa.types.is_floating(t):
        return Decimal(v)
    return v


def as_int64(t: Any) -> Any:
    """The type with every timestamp and duration as int64 (exact nanoseconds in Python);
    fields made nullable (a non-nullable field of a null struct holds masked nulls)."""
    if pa.types.is_timestamp(t) or pa.types.is_duration(t):
        return pa.int64()
    if pa.types.is_struct(t):
        return pa.struct([pa.field(f.name, as_int64(f.type)) for f in t])
    if pa.types.is_list(t):
        return pa.list_(pa.field(t.value_field.name, as_int64(t.value_type)))
    return t


def rows(table: Any) -> list[dict[str, Any]]:
    t = pa.table(table)
    ints = pa.schema([pa.field(f.name, as_int64(f.type)) for f in t.schema])
    return [{f.name: from_arrow(r[f.name], f.type) for f in t.schema} for r in t.cast(ints).to_pylist()]


def expected(command: str, capture: Path, schema: Any) -> list[dict[str, Any]]:
    return [{f.name: from_json(o.get(f.name), f.type) for f in schema} for o in cli_json(command, capture)]


def check_equal(got: list[dict[str, Any]], want: list[dict[str, Any]]) -> None:
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert g == w


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_segments_equal_segments_json(capture: Path) -> None:
    seg = analyzed(capture).segments
    want = expected("segments", capture, pa.table(seg).schema)
    assert want, "the capture has segments"
    check_equal(rows(seg), want)
    # Every JSON key is a column (absent keys were nullable fields).
    assert {k for o in cli_json("segments", capture) for k in o} <= set(seg.column_names)


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_connections_equal_flows_json(capture: Path) -> None:
    conns = analyzed(capture).connections
    want = expected("flows", capture, pa.table(conns).schema)
    assert want, "the capture has connections"
    check_equal(rows(conns), want)


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
@pytest.mark.parametrize("command", ["segments", "flows"])
def test_cli_arrow_stream_is_the_table(capture: Path, command: str) -> None:
    """`tcpkit segments|flows --arrow` writes the tables `analyze()` gives (segments
    as with story=False, whose rows are the same), readable by pyarrow and polars."""
    out = subprocess.run(
        [sys.executable, "-m", "tcpkit", command, "--arrow", str(capture)], capture_output=True, check=True
    ).stdout
    got = pa.ipc.open_stream(out).read_all()
    a = analyzed(capture)
    want = pa.table(a.segments if command == "segments" else a.connections)
    assert got.num_rows == want.num_rows > 0
    assert got.equals(want)
    pl = pytest.importorskip("polars")
    assert pl.read_ipc_stream(out).height == want.num_rows


def test_timestamps_and_durations_are_typed() -> None:
    t = pa.table(analyzed(LAB_CAPTURES[0]).segments)
    assert t.schema.field("ts_ns").type == pa.timestamp("ns", tz="UTC")
    assert t.schema.field("ack_rtt").type == pa.duration("ns")
    assert "doc" in {k.decode() for k in (t.schema.field("ts_ns").metadata or {})}


BULK = next(p for p in LAB_CAPTURES if p.parent.name == "bulk-loss-sack")


def test_pyarrow_reads_the_capsule_every_time() -> None:
    seg = analyzed(BULK).segments
    first = pa.table(seg)
    assert first.num_rows == len(seg) == seg.num_rows > 0
    assert pa.table(seg).equals(first)  # a second read gives the same rows
    reader = pa.RecordBatchReader.from_stream(seg)
    assert sum(b.num_rows for b in reader) == first.num_rows
    assert pa.schema(seg) == first.schema  # __arrow_c_schema__
    assert seg.to_arrow().equals(first)


def test_polars_reads_the_capsule() -> None:
    pl = pytest.importorskip("polars")
    a = analyzed(BULK)
    df = pl.DataFrame(a.segments)
    assert df.height == len(a.segments)
    assert df["frame"].to_list() == pa.table(a.segments)["frame"].to_pylist()
    assert df["ts_ns"].dtype == pl.Datetime("ns", "UTC")
    assert a.connections.to_polars().height == len(a.connections)


def test_pandas_reads_the_table() -> None:
    pd = pytest.importorskip("pandas")
    a = analyzed(BULK)
    df = a.segments.to_pandas()
    assert isinstance(df, pd.DataFrame) and len(df) == len(a.segments)
    assert str(df["ts_ns"].dtype) == "datetime64[ns, UTC]"
    assert str(df["ack_rtt"].dtype) == "timedelta64[ns]"
    assert df["len"].sum() == sum(r["len"] for r in cli_json("segments", BULK))


def test_pandas_zero_copy_has_the_same_values() -> None:
    pd = pytest.importorskip("pandas")
    a = analyzed(BULK)
    t = pa.table(a.segments)
    df = a.segments.to_pandas(zero_copy=True)
    assert all(isinstance(d, pd.ArrowDtype) for d in df.dtypes)
    # Every column is the table's own: the same Arrow type and values, nulls included.
    back = pa.Table.from_pandas(df, preserve_index=False)
    for name in t.column_names:
        assert back.column(name).equals(t.column(name)), name
    assert df["len"].sum() == sum(r["len"] for r in cli_json("segments", BULK))


def test_duckdb_scans_the_capsule() -> None:
    duckdb = pytest.importorskip("duckdb")
    a = analyzed(BULK)
    segments = a.segments  # noqa: F841 (read by name by duckdb)
    got = duckdb.sql("select conn, count(*), sum(len) from segments group by conn order by conn").fetchall()
    want: dict[int, list[int]] = {}
    for r in cli_json("segments", BULK):
        w = want.setdefault(r["conn"], [0, 0])
        w[0] += 1
        w[1] += r["len"]
    assert [(c, n, int(s)) for c, n, s in got] == [(c, n, s) for c, (n, s) in sorted(want.items())]


def test_each_column_is_one_chunk_which_pandas_shares() -> None:
    """``batch_size=0`` (the default): each table is one batch, so each column one
    chunk, and ``to_pandas()`` takes a number column without nulls as it is (NumPy
    over the table's buffer, no copy); a ``batch_size`` splits the same rows."""
    np = pytest.importorskip("numpy")
    pytest.importorskip("pandas")
    # Three copies of the capture read as one rotated capture: more rows than the
    # core's streaming batch (8,192), which used to split the tables.
    pieces = [BULK] * 3
    a = tcpkit.analyze(pieces)
    t = pa.table(a.segments)
    assert t.num_rows == 3 * len(cli_json("segments", BULK)) > 8192
    assert {t.column(name).num_chunks for name in t.column_names} == {1}
    assert {c.num_chunks for c in pa.table(a.connections).columns} == {1}
    frame = t.column("frame").chunk(0)
    df = a.segments.to_pandas()
    assert np.shares_memory(df["frame"].to_numpy(), np.frombuffer(frame.buffers()[1], dtype=np.uint8))
    split = pa.table(tcpkit.analyze(pieces, batch_size=1000).segments)
    assert split.column("frame").num_chunks == -(-t.num_rows // 1000)
    assert split.equals(t)

"""``tcpkit.analyze([...])`` and ``tcpkit.dask`` on rotated captures: every lab pcap
cut into pieces at record boundaries (what ``tcpdump -C`` writes: each piece the
file's header, then whole records), the pieces read as one capture give what
the whole file gives, row for row, on a 2-worker ``LocalCluster``."""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import LAB_CAPTURES, lab_id

pa = pytest.importorskip("pyarrow")
pd = pytest.importorskip("pandas")
dd = pytest.importorskip("dask.dataframe")
distributed = pytest.importorskip("distributed")

import tcpkit  # noqa: E402
import tcpkit.dask as tkd  # noqa: E402

PCAPS = [p for p in LAB_CAPTURES if p.suffix == ".pcap"]


def records(data: bytes) -> tuple[bytes, list[bytes]]:
    """A pcap file's header and its records (header + bytes), as they are."""
    magic = data[:4]
    endian = "<" if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    at, out = 24, []
    while at < len(data):
        (caplen,) = struct.unpack_from(endian + "I", data, at + 8)
        out.append(data[at : at + 16 + caplen])
        at += 16 + caplen
    assert at == len(data)
    return data[:24], out


def cut(capture: Path, cuts: list[int], into: Path) -> list[Path]:
    """The capture as ``tcpdump -C`` pieces cut before the records of index
    ``cuts``: ``capture.pcap``, ``capture.pcap1``, ..."""
    header, recs = records(capture.read_bytes())
    into.mkdir(parents=True, exist_ok=True)
    bounds = [0, *cuts, len(recs)]
    files = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        f = into / ("capture.pcap" + (str(i) if i else ""))
        f.write_bytes(header + b"".join(recs[a:b]))
        files.append(f)
    return files


def cuts_of(capture: Path) -> list[int]:
    n = len(records(capture.read_bytes())[1])
    return sorted({1, n // 3, n // 2, 2 * n // 3 + 1} - {0, n})


@pytest.fixture(scope="module")
def rotated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, list[Path]]]:
    """Each lab pcap and its pieces."""
    root = tmp_path_factory.mktemp("rotated")
    return {lab_id(p): (p, cut(p, cuts_of(p), root / lab_id(p))) for p in PCAPS}


@pytest.fixture(scope="module")
def client() -> Iterator[Any]:
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:
        yield c


def same(df: Any, table: Any) -> bool:
    """A computed partition (without ``source``) holds the table: the same columns
    with the table's Arrow types, and the same values row for row."""
    t = pa.table(table)
    df = df.drop(columns="source")
    assert list(df.columns) == t.column_names
    for f in t.schema:
        assert df.dtypes[f.name].pyarrow_dtype == f.type, f.name
    rows: list[Any] = pa.Table.from_pandas(df, preserve_index=False).to_pylist()
    return rows == t.to_pylist()


def spans(whole: Any, pieces: list[Path]) -> int:
    """Connections with segments in two pieces or more (from the whole file's rows)."""
    seg = pa.table(whole.segments).select(["frame", "conn"]).to_pylist()
    sizes = [len(records(p.read_bytes())[1]) for p in pieces]
    ends = [sum(sizes[: i + 1]) for i in range(len(sizes))]
    piece_of = {}
    for r in seg:
        i = next(i for i, e in enumerate(ends) if r["frame"] <= e)
        piece_of.setdefault(r["conn"], set()).add(i)
    return sum(len(s) > 1 for s in piece_of.values())


def test_analyze_list_is_the_concatenation(rotated: dict[str, tuple[Path, list[Path]]]) -> None:
    spanning = 0
    for name, (whole_path, pieces) in rotated.items():
        whole = tcpkit.analyze(whole_path)
        # Handed over out of order: the core orders them by first packet time.
        got = tcpkit.analyze(list(reversed(pieces)))
        assert pa.table(got.connections).equals(pa.table(whole.connections)), name
        assert pa.table(got.segments).equals(pa.table(whole.segments)), name
        assert got.explain() == whole.explain(), name
        mem = tcpkit.analyze([(str(p), p.read_bytes()) for p in pieces])
        assert pa.table(mem.connections).equals(pa.table(whole.connections)), name
        spanning += spans(whole, pieces)
    assert spanning > 0, "no connection spans two pieces: the test would not see a split one"


def test_analyze_list_rejects_a_mix() -> None:
    with pytest.raises(TypeError):
        tcpkit.analyze([str(PCAPS[0]), PCAPS[0].read_bytes()])
    with pytest.raises(TypeError):
        tcpkit.analyze([1, 2])


def test_read_connections_and_segments_on_the_cluster(
    client: Any, rotated: dict[str, tuple[Path, list[Path]]]
) -> None:
    groups = [[str(p) for p in pieces] for _, pieces in rotated.values()]
    conns = tkd.read_connections(groups)
    segs = tkd.read_segments(groups)
    assert conns.npartitions == len(groups)
    for ddf in (conns, segs):
        assert all(isinstance(t, pd.ArrowDtype) for t in ddf.dtypes), ddf.dtypes
    got_c, got_s = client.compute([conns, segs], sync=True)
    assert list(got_c.dtypes.index) == list(conns.dtypes.index)
    assert (got_c.dtypes == conns.dtypes).all()
    for name, (whole_path, pieces) in rotated.items():
        whole = tcpkit.analyze(whole_path)
        src = str(pieces[0])
        c = got_c[got_c["source"] == src]
        s = got_s[got_s["source"] == src]
        assert same(c, pa.table(whole.connections)), name
        assert same(s, pa.table(whole.segments)), name


def test_segment_partitions_read_their_files_once(
    rotated: dict[str, tuple[Path, list[Path]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A segments partition needs no stories: with ``story=True`` asked for, it
    still reads its files once (stories off), and gives the same rows."""
    import tcpkit._analysis as analysis

    passes: list[dict[str, Any]] = []
    read = analysis._read

    def counted(*args: Any, **kwargs: Any) -> Any:
        passes.append(kwargs.get("options", args[-1]))
        return read(*args, **kwargs)

    monkeypatch.setattr(analysis, "_read", counted)
    whole_path, pieces = next(iter(rotated.values()))
    group = [[str(p) for p in pieces]]
    ddf = tkd.read_segments(group, story=True)
    assert len(passes) == 1, passes  # the empty frame of its columns
    got = ddf.compute(scheduler="sync")
    assert len(passes) == 2 and passes[1]["story"] is False, passes
    assert same(got, pa.table(tcpkit.analyze(whole_path).segments))


def test_report_on_the_cluster(client: Any, rotated: dict[str, tuple[Path, list[Path]]]) -> None:
    groups = [[str(p) for p in pieces] for _, pieces in rotated.values()]
    got = tkd.report(groups)
    for name, (whole_path, pieces) in rotated.items():
        assert got[str(pieces[0])] == tcpkit.analyze(whole_path).explain(), name


def test_glob_grouped_by_rotation(client: Any, rotated: dict[str, tuple[Path, list[Path]]]) -> None:
    # Two captures' pieces in one directory, under two names.
    name, (whole_path, pieces) = next(iter(rotated.items()))
    d = pieces[0].parent.parent / "flat"
    d.mkdir(exist_ok=True)
    for p in pieces:
        (d / p.name.replace("capture", "a")).write_bytes(p.read_bytes())
        (d / p.name.replace("capture", "b")).write_bytes(p.read_bytes())
    gs = tkd.groups(str(d / "*.pcap*"), group_by="rotation")
    assert [g for g, _ in gs] == [str(d / "a.pcap"), str(d / "b.pcap")]
    assert [len(f) for _, f in gs] == [len(pieces), len(pieces)]
    df = tkd.read_connections(str(d / "*.pcap*"), group_by="rotation").compute()
    whole = pa.table(tcpkit.analyze(whole_path).connections)
    for g, _ in gs:
        assert same(df[df["source"] == g], whole), g
    # Without grouping: one partition per file.
    assert tkd.read_connections(str(d / "*.pcap*")).npartitions == 2 * len(pieces)


def test_fsspec_urls(rotated: dict[str, tuple[Path, list[Path]]]) -> None:
    fsspec = pytest.importorskip("fsspec")
    name, (whole_path, pieces) = next(iter(rotated.items()))
    fs = fsspec.filesystem("memory")
    urls = []
    for p in pieces:
        fs.pipe(f"/tcpkit-test/{p.name}", p.read_bytes())
        urls.append(f"memory:///tcpkit-test/{p.name}")
    # The memory filesystem lives in this process: the synchronous scheduler.
    df = tkd.read_connections([urls]).compute(scheduler="sync")
    whole = pa.table(tcpkit.analyze(whole_path).connections)
    assert same(df, whole)
    assert set(df["source"]) == {urls[0]} or len(df) == 0
    fs.rm("/tcpkit-test", recursive=True)
    assert os.path.exists(pieces[0])

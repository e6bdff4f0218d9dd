"""``tcpkit.stream``: one table made while the capture is read, one batch at a time,
holding the same rows as ``analyze``'s tables."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LAB_CAPTURES, lab_id
from test_analyze import BULK, cut_capture

import tcpkit

pa = pytest.importorskip("pyarrow")


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_streamed_batches_are_the_tables(capture: Path) -> None:
    a = tcpkit.analyze(capture)
    reader = pa.RecordBatchReader.from_stream(tcpkit.stream(capture, batch_size=7))
    batches = list(reader)
    assert all(b.num_rows <= 7 for b in batches)
    assert pa.Table.from_batches(batches, schema=reader.schema).equals(pa.table(a.segments))
    connections = pa.table(tcpkit.stream(capture.read_bytes(), table="connections"))
    assert connections.equals(pa.table(a.connections))


def test_a_stream_is_read_once() -> None:
    s = tcpkit.stream(BULK)
    assert pa.table(s).num_rows > 0
    with pytest.raises(ValueError, match="read already"):
        pa.table(s)


def test_bad_table() -> None:
    with pytest.raises(ValueError, match="segments"):
        tcpkit.stream(BULK, table="flows")  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        tcpkit.stream("/nonexistent/capture.pcap")


def test_a_damaged_capture_gives_the_rows_before_it_then_the_error(tmp_path: Path) -> None:
    p, frame, _ = cut_capture(tmp_path)
    reader = pa.RecordBatchReader.from_stream(tcpkit.stream(p, batch_size=100))
    got = []
    with pytest.raises(Exception, match="cut short"):
        for b in reader:
            got.extend(b.column("frame").to_pylist())
    want = pa.table(tcpkit.analyze(p, errors="keep").segments).column("frame").to_pylist()
    assert got == want and max(got) < frame

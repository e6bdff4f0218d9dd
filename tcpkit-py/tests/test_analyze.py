"""tcpkit.analyze and tcpkit.Analyzer: sources, errors, connections, progress, Ctrl-C, the GIL."""

from __future__ import annotations

import io
import os
import signal
import struct
import subprocess
import sys
import threading
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from conftest import LAB_CAPTURES, lab_id
from test_tables import cli_json

import tcpkit

pa = pytest.importorskip("pyarrow")

BULK = next(p for p in LAB_CAPTURES if p.parent.name == "bulk-loss-sack")
PCAPS = [p for p in LAB_CAPTURES if p.suffix == ".pcap"]


def frames(table: Any) -> list[int]:
    return pa.table(table)["frame"].to_pylist()


def pcap_records(data: bytes) -> tuple[int, bool, list[tuple[int, bytes]]]:
    """A classic pcap file (little-endian, as the lab's are): link type, nanosecond
    resolution, and (ts_ns, packet bytes, length on the wire) per record. Test-side
    reading only."""
    magic, _, _, _, _, _, link = struct.unpack_from("<IHHiIII", data, 0)
    assert magic in (0xA1B2C3D4, 0xA1B23C4D), hex(magic)
    nano = magic == 0xA1B23C4D
    out = []
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack_from("<IIII", data, off)
        off += 16
        out.append((sec * 10**9 + frac * (1 if nano else 1000), data[off : off + incl], orig))
        off += incl
    return link, nano, out


@pytest.mark.parametrize("capture", PCAPS, ids=lab_id)
def test_bytes_file_object_and_pathlike_give_the_same_tables(capture: Path) -> None:
    by_path = tcpkit.analyze(str(capture))
    want_s, want_c = pa.table(by_path.segments), pa.table(by_path.connections)
    for source in (capture, capture.read_bytes(), bytearray(capture.read_bytes())):
        a = tcpkit.analyze(source)
        assert pa.table(a.segments).equals(want_s)
        assert pa.table(a.connections).equals(want_c)
    with open(capture, "rb") as f:
        a = tcpkit.analyze(f)
    assert pa.table(a.segments).equals(want_s)
    a = tcpkit.analyze(io.BytesIO(capture.read_bytes()))
    assert pa.table(a.connections).equals(want_c)


def test_a_pipe() -> None:
    """`cat capture | python`: the capture read from a pipe (no seek)."""
    code = (
        "import sys, tcpkit; a = tcpkit.analyze(sys.stdin.buffer);"
        "print(len(a.segments), len(a.connections))"
    )
    with open(BULK, "rb") as f:
        out = subprocess.run([sys.executable, "-c", code], stdin=f, capture_output=True, check=True).stdout
    want = (len(cli_json("segments", BULK)), len(cli_json("flows", BULK)))
    assert tuple(map(int, out.split())) == want


@pytest.mark.parametrize("capture", PCAPS, ids=lab_id)
def test_analyzer_push_gives_the_same_rows(capture: Path) -> None:
    """Packets pushed one by one (a live capture) give the rows of the file, frame numbers
    counted from 1 as in the file."""
    link, _, records = pcap_records(capture.read_bytes())
    live = tcpkit.Analyzer()
    for ts_ns, data, orig in records:
        live.push(ts_ns, link, data, orig_len=orig)
    a = live.finish()
    want = tcpkit.analyze(capture)
    assert pa.table(a.segments).equals(pa.table(want.segments))
    assert pa.table(a.connections).equals(pa.table(want.connections))
    with pytest.raises(ValueError, match="after finish"):
        live.push(0, link, b"")


def test_missing_file() -> None:
    with pytest.raises(FileNotFoundError) as e:
        tcpkit.analyze("/no/such/capture.pcap")
    assert e.value.filename == "/no/such/capture.pcap"


def test_not_a_capture(tmp_path: Path) -> None:
    p = tmp_path / "notes.txt"
    p.write_bytes(b"this is not a capture file at all\n")
    with pytest.raises(tcpkit.CaptureError) as e:
        tcpkit.analyze(p)
    assert isinstance(e.value, ValueError)
    assert e.value.file == str(p)
    assert e.value.offset == 0 and e.value.frame is None
    assert "magic" in e.value.reason


def cut_capture(tmp_path: Path) -> tuple[Path, int, int]:
    """The bulk capture cut in the middle of a record: (path, the cut record's frame, its offset)."""
    data = BULK.read_bytes()
    _, _, records = pcap_records(data)
    off, frame = 24, 0
    for frame, (_, pkt, _) in enumerate(records, start=1):  # noqa: B007
        if off > len(data) // 2:
            break
        off += 16 + len(pkt)
    p = tmp_path / "cut.pcap"
    p.write_bytes(data[: off + 20])  # the record header and 4 bytes of the packet
    return p, frame, off


def test_damaged_capture_raises_with_where_and_why(tmp_path: Path) -> None:
    p, frame, off = cut_capture(tmp_path)
    with pytest.raises(tcpkit.CaptureError) as e:
        tcpkit.analyze(p)
    err = e.value
    assert (err.file, err.frame, err.offset) == (str(p), frame, off)
    assert "cut short" in err.reason
    # The message is the command's error line.
    cli = subprocess.run([sys.executable, "-m", "tcpkit", "flows", str(p)], capture_output=True)
    assert cli.stderr.decode() == f"tcpkit: {err}\n"


def test_damaged_capture_kept(tmp_path: Path) -> None:
    """errors="keep": every row before the damage, every connection, and where it stopped."""
    p, frame, _ = cut_capture(tmp_path)
    a = tcpkit.analyze(p, errors="keep")
    # Known from the check of the records, before any table is read.
    assert repr(a).endswith("segment rows not read yet, connections not read yet>")
    assert isinstance(a.error, tcpkit.CaptureError) and a.error.frame == frame
    assert frames(a.segments) == [r["frame"] for r in cli_json("segments", BULK) if r["frame"] < frame]
    assert len(a.connections) == len(a) == 1


def test_bad_arguments() -> None:
    with pytest.raises(TypeError, match="path, bytes or a binary file"):
        tcpkit.analyze(42)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="unexpected keyword argument 'lingr_ns'"):
        tcpkit.analyze(BULK, lingr_ns=1)
    with pytest.raises(ValueError, match="errors must be"):
        tcpkit.analyze(BULK, errors="ignore")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="binary mode"):
        with open(BULK, encoding="latin-1") as text:
            tcpkit.analyze(text)  # type: ignore[arg-type]


def test_options_reach_the_core() -> None:
    """story=False (AnalyzerConfig.story): the connections' counters, no story."""
    a = tcpkit.analyze(BULK, story=False)
    assert len(a.segments) == len(cli_json("segments", BULK))
    with_story = cli_json("flows", BULK)[0]
    c = a[0].to_dict()
    assert c["packets"] == with_story["packets"]
    assert c["trains"] is None and c["states"] is None and c["rtt"] is None
    assert with_story["states"] is not None


def test_batch_size() -> None:
    a = tcpkit.analyze(BULK, batch_size=100)
    batches = list(pa.RecordBatchReader.from_stream(a.segments))
    assert len(batches) == -(-len(a.segments) // 100)
    assert all(b.num_rows == 100 for b in batches[:-1])


def ns(v: Any) -> Any:
    """JSON durations (Decimal seconds) as the integer nanoseconds of the Python objects."""
    if isinstance(v, Decimal):
        return int(v * 10**9)
    if isinstance(v, dict):
        return {k: ns(x) for k, x in v.items()}
    if isinstance(v, list):
        return [ns(x) for x in v]
    return v


def fill(got: Any, want: Any) -> Any:
    """JSON leaves absent struct fields out; the objects have them as None."""
    if isinstance(got, dict) and isinstance(want, dict):
        return {k: fill(got[k], want.get(k)) for k in got}
    if isinstance(got, list) and isinstance(want, list) and len(got) == len(want):
        return [fill(g, w) for g, w in zip(got, want, strict=True)]
    return want


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_connections_are_the_flows_json(capture: Path) -> None:
    a = tcpkit.analyze(capture)
    want = [ns(o) for o in cli_json("flows", capture)]
    got = [c.to_dict() for c in a]
    assert len(got) == len(a) == len(want)
    for g, w in zip(got, want, strict=True):
        # Tuples ([left, right]) are lists in JSON.
        assert g == fill(g, w)


def test_connection_attributes() -> None:
    a = tcpkit.analyze(BULK)
    c = a[0]
    assert c is not a[0] and c.to_dict() == a[-1].to_dict()
    w = cli_json("flows", BULK)[0]
    assert c.conn == c["conn"] == w["conn"]
    assert c.client.ip == w["client"]["ip"] and c.server.port == w["server"]["port"]
    assert c.handshake.outcome == w["handshake"]["outcome"]
    assert c.handshake.irtt == int(w["handshake"]["irtt"] * 10**9)
    assert c.options.client.mss == w["options"]["client"]["mss"]
    assert [t.verdict for t in c.trains] == [t["verdict"] for t in w["trains"]]
    assert [s.state for s in c.states.client] == [s["state"] for s in w["states"]["client"]]
    with pytest.raises(AttributeError):
        c.no_such_field  # noqa: B018
    with pytest.raises(IndexError):
        a[len(a)]
    assert "<table>" in c._repr_html_() and "<table>" in a._repr_html_()
    assert repr(c).startswith("<tcpkit.Connection 0: 198.18.12.15:34112 -> 198.18.12.12:9527")


def test_progress_callback_sees_every_byte() -> None:
    seen: list[int] = []
    tcpkit.analyze(BULK, progress=seen.append)
    assert seen and seen[-1] == BULK.stat().st_size
    assert seen == sorted(seen)


def test_each_table_is_read_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    """From a path, analyze() only reads the records through (the damage) and
    each table's pass is made the first time it is asked for: the progress
    callback sees the whole file once in analyze(), once more for the
    connections, once more for the segment rows, then never again."""
    import tcpkit._analysis as analysis

    passes: list[dict[str, Any]] = []
    read = analysis._read

    def counted(*args: Any, **kwargs: Any) -> Any:
        passes.append(args[-1])
        return read(*args, **kwargs)

    monkeypatch.setattr(analysis, "_read", counted)
    seen: list[int] = []
    a = tcpkit.analyze(BULK, progress=seen.append)
    size = BULK.stat().st_size
    assert seen.count(size) == 1 and passes == []
    assert repr(a) == "<tcpkit.Analysis: segment rows not read yet, connections not read yet>"
    assert len(a) == 1  # the connections' pass: no segment rows
    assert seen.count(size) == 2 and passes == [{"segments": False}]
    a.findings, a[0].explain(), a.connections  # noqa: B018  (the same pass)
    assert seen.count(size) == 2
    n = len(a.segments)  # the rows' pass: stories off, as `tcpkit segments`
    assert seen.count(size) == 3 and passes[1] == {"segments": True, "story": False}
    a.segments, a.connections  # noqa: B018  (read once, kept)
    assert seen.count(size) == 3 and len(passes) == 2
    assert repr(a) == f"<tcpkit.Analysis: {n} segments, 1 connections>"
    # One segment row per TCP segment, as `tcpkit segments --json` prints them.
    assert n == len(cli_json("segments", BULK))
    # A job that needs the rows only never builds a story.
    passes.clear()
    tcpkit.analyze(BULK).segments.to_pandas()
    assert passes == [{"segments": True, "story": False}]


def test_a_capture_rewritten_before_its_rows_are_read(tmp_path: Path) -> None:
    """The rows' pass reads the file again: a file changed since analyze() is
    refused, by name, rather than giving rows of another capture."""
    p = tmp_path / "c.pcap"
    p.write_bytes(BULK.read_bytes())
    a = tcpkit.analyze(p)
    p.write_bytes(BULK.read_bytes()[: BULK.stat().st_size // 2])
    with pytest.raises(RuntimeError, match=f"{p}: changed since tcpkit.analyze"):
        a.segments  # noqa: B018
    with pytest.raises(RuntimeError, match=f"{p}: changed since tcpkit.analyze"):
        len(a)
    # Rewritten in place with as many bytes, its modification time put back:
    # the status-change time, which no program can set, still tells.
    p.write_bytes(BULK.read_bytes())
    a = tcpkit.analyze(p)
    st = p.stat()
    data = bytearray(BULK.read_bytes())
    data[-1] ^= 0xFF
    time.sleep(0.01)  # a later status-change time on any clock granularity
    p.write_bytes(bytes(data))
    os.utime(p, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (p.stat().st_size, p.stat().st_mtime_ns) == (st.st_size, st.st_mtime_ns)
    with pytest.raises(RuntimeError, match=f"{p}: changed since tcpkit.analyze"):
        a.segments  # noqa: B018
    # Replaced by another file renamed over it, same size and times: a new inode.
    a = tcpkit.analyze(p)
    st = p.stat()
    q = tmp_path / "new.pcap"
    q.write_bytes(p.read_bytes())
    os.utime(q, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(q, p)
    with pytest.raises(RuntimeError, match=f"{p}: changed since tcpkit.analyze"):
        a.segments  # noqa: B018
    # Untouched, the rows are read.
    a = tcpkit.analyze(p)
    assert len(a.segments) > 0
    # A bytearray may change too: its rows are built in the one pass.
    n = len(cli_json("segments", BULK))
    assert repr(tcpkit.analyze(bytearray(BULK.read_bytes()))).startswith(f"<tcpkit.Analysis: {n} segments,")


def test_progress_bar_on_stderr(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)  # the plain bar
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    tcpkit.analyze(BULK, progress=True)
    err = capsys.readouterr().err
    size = BULK.stat().st_size / 1e6
    assert err.endswith(f"capture.pcap: 100% {size:.1f}/{size:.1f} MB\n")


def big_capture(copies: int) -> bytes:
    """The bulk capture's records repeated `copies` times, times moving on: a large input."""
    data = BULK.read_bytes()
    head, body = data[:24], data[24:]
    _, nano, records = pcap_records(data)
    span = records[-1][0] - records[0][0] + 10**9
    out = [head]
    for k in range(copies):
        shift = k * span // (1 if nano else 1000)
        off = 0
        while off < len(body):
            sec, frac, incl, orig = struct.unpack_from("<IIII", body, off)
            unit = 10**9 if nano else 10**6
            t = sec * unit + frac + shift
            out.append(struct.pack("<IIII", t // unit, t % unit, incl, orig))
            out.append(body[off + 16 : off + 16 + incl])
            off += 16 + incl
    return b"".join(out)


def test_ctrl_c_interrupts(tmp_path: Path) -> None:
    """SIGINT while the core works stops it from inside (checked between batches)."""
    p = tmp_path / "big.pcap"
    p.write_bytes(big_capture(100))
    started = time.monotonic()
    tcpkit.analyze(p, story=False)
    full = time.monotonic() - started
    timer = threading.Timer(full / 3, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt) as e:
            tcpkit.analyze(p, story=False)
    finally:
        timer.cancel()
    # Raised by the extension's call, not by Python after it returned.
    assert "_analyze(" in str(e.traceback[-1].statement)


def test_the_gil_is_released() -> None:
    """Another Python thread runs while the core works."""
    data = big_capture(50)
    ticks = 0
    stop = threading.Event()

    def tick() -> None:
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    try:
        tcpkit.analyze(data, story=False)
    finally:
        stop.set()
        t.join()
    # Held, the GIL would let the thread run only between the core's batches
    # of 65,536 events (a handful here); released, it ticks about every ms.
    assert ticks > 50


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_explain_is_the_report_text(capture: Path) -> None:
    """Each connection's explain(), then the analysis' explain(), is what `tcpkit report` prints."""
    a = tcpkit.analyze(capture)
    text = "".join(c.explain() + "\n" for c in a if c.to_dict().get("handshake") is not None) + a.explain()
    cli = subprocess.run([sys.executable, "-m", "tcpkit", "report", str(capture)], capture_output=True, check=True)
    assert text == cli.stdout.decode()


def _same_results(a: tcpkit.Analysis, b: tcpkit.Analysis) -> None:
    """The connections (table and records), findings and report text of two analyses agree."""
    assert pa.table(a.connections).equals(pa.table(b.connections))
    assert [c.to_dict() for c in a] == [c.to_dict() for c in b]
    assert [f.text for f in a.findings] == [f.text for f in b.findings]
    assert a.explain() == b.explain()


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_segments_off_keeps_the_connections(capture: Path) -> None:
    """segments=False (the core's Analysis::segments(false)) builds no segment rows
    and changes nothing else; Analysis.segments then says how to get them."""
    full = tcpkit.analyze(capture)
    lean = tcpkit.analyze(capture, segments=False)
    _same_results(full, lean)
    with pytest.raises(ValueError, match="segments=False"):
        lean.segments  # noqa: B018
    assert "no segment rows" in repr(lean)


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_threads_keep_the_connections(capture: Path) -> None:
    """threads=2 (AnalyzerConfig::threads, with segment rows off): the same
    connections, order and report as one thread (no analyser reaches its
    memory budget on these small captures)."""
    one = tcpkit.analyze(capture, segments=False)
    two = tcpkit.analyze(capture, segments=False, threads=2)
    _same_results(one, two)


def test_segments_off_in_the_push_form() -> None:
    """tcpkit.Analyzer(segments=False): connections, no segment rows."""
    full = tcpkit.analyze(BULK)
    link, _, records = pcap_records(BULK.read_bytes())
    live = tcpkit.Analyzer(segments=False)
    for ts_ns, data, orig in records:
        live.push(ts_ns, link, data, orig_len=orig)
    lean = live.finish()
    _same_results(full, lean)
    with pytest.raises(ValueError, match="segments=False"):
        lean.segments  # noqa: B018


def test_unknown_option_lists_segments_and_threads() -> None:
    with pytest.raises(TypeError, match="segments.*threads"):
        tcpkit.analyze(BULK, segment=False)


def test_threads_need_segments_off() -> None:
    """The core analyses on threads only without segment rows: threads=2 with
    them, or in the push form, is an error that says so, never one thread in
    silence."""
    with pytest.raises(ValueError, match="threads=2 needs segments=False"):
        tcpkit.analyze(BULK, threads=2)
    with pytest.raises(ValueError, match="threads=2 needs segments=False"):
        tcpkit.stream(BULK, table="segments", threads=2)
    with pytest.raises(ValueError, match="push form"):
        tcpkit.Analyzer(segments=False, threads=2)


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_stream_of_connections_on_threads(capture: Path) -> None:
    """stream(table="connections", threads=2) builds no segment rows, so the
    threads apply: the same batches as analyze()'s connections table."""
    streamed = pa.RecordBatchReader.from_stream(tcpkit.stream(capture, table="connections", threads=2)).read_all()
    assert streamed.equals(pa.table(tcpkit.analyze(capture, segments=False).connections))

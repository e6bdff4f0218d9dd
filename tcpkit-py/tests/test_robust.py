"""Hostile bytes through every Python entry point that takes bytes: ``tcpkit.analyze`` (bytes,
``errors="keep"``), ``tcpkit.stream``, ``tcpkit.Analyzer.push``. Whatever the bytes, the binding
raises ``tcpkit.CaptureError`` (a ``ValueError``) or returns; never a ``PanicException`` (a Rust
panic crossing into Python) or another exception, and what it returns reads to the end. The core's
own fuzz targets (tcpkit-core/fuzz: ``analyze``, ``push``, ``capi``) search far wider; these are
deterministic, so a regression fails here, in the suite."""

from __future__ import annotations

import random
import struct

import pytest
from conftest import LAB_CAPTURES
from test_analyze import pcap_records

import tcpkit

pa = pytest.importorskip("pyarrow")

# A small capture of many connections (handshakes, data, resets, closes); cut and mutated below.
SMALL = next(p for p in LAB_CAPTURES if p.parent.name == "accept-queue-overflow")


def read_all(a: tcpkit.Analysis) -> None:
    """Every table and record of `a` read, as a notebook would."""
    pa.table(a.segments)
    pa.table(a.connections)
    for c in a:
        c.explain()
    a.findings  # noqa: B018


def analyze_kept(data: bytes) -> tcpkit.Analysis | None:
    """`analyze(data, errors="keep")` read to the end; None when the bytes are no capture
    at all (refused with a CaptureError that says where)."""
    try:
        a = tcpkit.analyze(data, errors="keep", progress=False)
    except tcpkit.CaptureError as e:
        assert isinstance(e, ValueError) and e.offset is not None and e.reason
        return None
    read_all(a)
    if a.error is not None:
        assert isinstance(a.error, tcpkit.CaptureError)
        assert a.error.offset is not None and 0 <= a.error.offset <= len(data)
    return a


def test_every_cut_of_a_capture() -> None:
    """Each length of the capture (every byte of its file header, then every 3rd byte):
    under 24 bytes no capture; from there the rows before the cut, and the error at it."""
    data = SMALL.read_bytes()
    assert len(data) < 10_000, "a small capture keeps this quick"
    whole = pa.table(tcpkit.analyze(data).segments)
    for n in [*range(0, 40), *range(40, len(data) + 1, 3), len(data)]:
        a = analyze_kept(data[:n])
        if n < 24:
            # A pcap file header is 24 bytes: nothing shorter is a capture.
            assert a is None, n
            continue
        assert a is not None, n
        got = pa.table(a.segments)
        # The per-segment analysis looks only back: the rows of a cut capture are the
        # first rows of the whole one, value for value.
        assert got.equals(whole.slice(0, got.num_rows)), n
        if n == len(data):
            assert a.error is None and got.equals(whole)


@pytest.mark.parametrize("seed", range(6))
def test_flipped_bytes(seed: int) -> None:
    """Bytes of the records (headers and packets) overwritten at random: a CaptureError
    or an analysis, read to the end; `stream` gives the same rows as `analyze`."""
    rng = random.Random(seed)
    data = bytearray(SMALL.read_bytes())
    for _ in range(40):
        mutated = bytearray(data)
        for _ in range(rng.randint(1, 12)):
            at = rng.randrange(24, len(mutated))
            mutated[at] = rng.choice([0, 0xFF, 0x80, 0x7F, rng.randrange(256)])
        a = analyze_kept(bytes(mutated))
        if a is None:
            continue
        rows = pa.RecordBatchReader.from_stream(tcpkit.stream(bytes(mutated), batch_size=7))
        try:
            streamed = rows.read_all()
        except pa.ArrowInvalid:
            # The stream ends with the damage as an error, after the rows before it.
            assert a.error is not None
            continue
        assert streamed.num_rows == pa.table(a.segments).num_rows


@pytest.mark.parametrize("seed", range(4))
def test_random_packets_pushed(seed: int) -> None:
    """Random packets of every link type the decoder knows (and some it does not) on a
    clock that goes back and forth, some with a length on the wire shorter than captured:
    pushed, finished, read; numbers out of range are a ValueError."""
    rng = random.Random(seed)
    _, _, records = pcap_records(SMALL.read_bytes())
    links = [0, 1, 9, 12, 14, 50, 101, 104, 108, 113, 129, 178, 228, 242, 276, 147, 65535]
    live = tcpkit.Analyzer()
    ts = 1_700_000_000 * 10**9
    for i in range(300):
        ts += rng.randint(-10**9, 10**9)
        if i % 3 == 0:
            # A real packet (Ethernet), some of it overwritten.
            _, pkt, orig = rng.choice(records)
            pkt = bytearray(pkt)
            for _ in range(rng.randint(0, 4)):
                pkt[rng.randrange(len(pkt))] = rng.randrange(256)
            # Its length on the wire: as captured, longer (cut), or shorter (nonsense).
            live.push(ts, 1, bytes(pkt), orig_len=max(0, orig + rng.choice([0, 0, 100, 10**6, -30, -orig])))
        else:
            live.push(ts, rng.choice(links), rng.randbytes(rng.randint(0, 120)))
    # Numbers out of range: a ValueError that says which (not the conversion's OverflowError).
    for link in (1 << 16, -1):
        with pytest.raises(ValueError, match=f"link_type {link} is not a LINKTYPE_ number"):
            live.push(ts, link, b"")
    for orig_len in (1 << 32, -1):
        with pytest.raises(ValueError, match=f"orig_len {orig_len} is not a length on the wire"):
            live.push(ts, 1, b"", orig_len=orig_len)
    read_all(live.finish())


def test_pcap_header_fields_at_their_extremes() -> None:
    """A valid file header with each field at an extreme (snaplen 0 and 2^32-1, link type
    2^16-1 and 2^32-1, both byte orders and resolutions), then one record of the capture:
    refused with where and why, or analysed."""
    _, _, records = pcap_records(SMALL.read_bytes())
    _, pkt, orig = records[0]
    for endian, magic in [("<", 0xA1B2C3D4), (">", 0xA1B2C3D4), ("<", 0xA1B23C4D)]:
        for snaplen in (0, 96, 0xFFFFFFFF):
            for link in (1, 0xFFFF, 0xFFFFFFFF):
                head = struct.pack(endian + "IHHiIII", magic, 2, 4, 0, 0, snaplen, link)
                rec = struct.pack(endian + "IIII", 1, 0, len(pkt), orig) + pkt
                analyze_kept(head + rec)

"""Benchmark (not a test): a capture cut into 16 rotated pieces (as ``tcpdump -C``
writes them), its connections on a 2-worker LocalCluster versus one process.

    .venv/bin/python tcpkit-py/bench/bench_dask.py /work/bench/big.pcap /tmp/rotated

Four runs, wall time and the connections found:
- one process, the pieces as one capture: ``tcpkit.analyze(pieces)``;
- the cluster, the pieces as one capture (one group, so one worker):
  ``read_connections([pieces])``;
- one process, the pieces as 16 captures, one after the other;
- the cluster, the pieces as 16 captures: ``read_connections(pieces)``
  (16 partitions; a connection spanning two pieces counts in both).
"""

from __future__ import annotations

import struct
import sys
import time
from collections.abc import Callable
from pathlib import Path

import distributed

import tcpkit
import tcpkit.dask as tkd


def cut(capture: Path, n: int, into: Path) -> list[Path]:
    """``n`` pieces of about equal size, cut at record boundaries."""
    into.mkdir(parents=True, exist_ok=True)
    data = capture.read_bytes()
    endian = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    header, at, target = data[:24], 24, len(data) / n
    bounds = [24]
    while at < len(data):
        (caplen,) = struct.unpack_from(endian + "I", data, at + 8)
        at += 16 + caplen
        if at - 24 >= target * len(bounds) and len(bounds) < n:
            bounds.append(at)
    bounds.append(len(data))
    files = []
    for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)):
        f = into / ("capture.pcap" + (str(i) if i else ""))
        f.write_bytes(header + data[a:b])
        files.append(f)
    return files


def timed(label: str, f: Callable[[], int]) -> None:
    t = time.perf_counter()
    rows = f()
    print(f"{label:60s} {time.perf_counter() - t:7.2f} s  {rows} connections", flush=True)


def main() -> None:
    capture, into = Path(sys.argv[1]), Path(sys.argv[2])
    pieces = [str(p) for p in cut(capture, 16, into)]
    opts = {"story": True}
    timed("one process, one capture of 16 files", lambda: len(tcpkit.analyze(pieces, **opts)))
    timed(
        "one process, 16 captures",
        lambda: sum(len(tcpkit.analyze(p, **opts)) for p in pieces),
    )
    with distributed.LocalCluster(n_workers=2, processes=True, threads_per_worker=1) as c, distributed.Client(c):
        timed("LocalCluster(2), one capture of 16 files", lambda: len(tkd.read_connections([pieces], **opts).compute()))
        timed("LocalCluster(2), 16 captures", lambda: len(tkd.read_connections(pieces, **opts).compute()))


if __name__ == "__main__":
    main()

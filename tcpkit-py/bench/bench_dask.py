"""Benchmark (not a test): a capture cut into 16 rotated pieces (as ``tcpdump -C``
writes them), its connections on a 2-worker LocalCluster versus one process.

    .venv/bin/python tcpkit-py/bench/bench_dask.py /work/bench/big.pcap /tmp/rotated

Each run is its own fresh Python process (and, for the cluster, its own fresh
``LocalCluster(n_workers=2, processes=True, threads_per_worker=1)``), one after
the other:

- ``whole``: ``tcpkit.analyze(capture)``, the file as it is (the reference);
- ``one-capture/process``: ``tcpkit.analyze(pieces)``, the 16 pieces as one
  rotated capture (connections spanning pieces joined);
- ``one-capture/cluster``: ``read_connections([pieces])``, the same on the
  cluster (one group, so one partition: one worker does the work);
- ``16-captures/process``: the pieces as 16 separate captures, one after the
  other in one process (a connection spanning two pieces counts in both);
- ``16-captures/cluster``: ``read_connections(pieces)``, 16 partitions.

For each: wall time of the work (the cluster's start-up is printed apart), CPU
time (user + sys) of every process involved (the client, which also runs the
scheduler, the workers and their nannies), peak RSS of each process, and the
connections table, saved so that the parent checks that the cluster gives
exactly what one process gives, and the rotated pieces what the whole file
gives. Then the pieces are deleted.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

PIECES = 16


def cut(capture: Path, n: int, into: Path) -> list[Path]:
    """``n`` pieces of about equal size, cut at record boundaries (pcap only)."""
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


def usage() -> tuple[float, int]:
    """CPU seconds (user + sys) and peak RSS (KiB) of this process."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime, r.ru_maxrss


def save(table: Any, path: Path) -> None:
    import pyarrow as pa
    import pyarrow.feather as feather

    feather.write_feather(pa.table(table), str(path), compression="uncompressed")


def from_frame(df: Any) -> Any:
    import pyarrow as pa

    return pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)


def run(mode: str, capture: str, pieces: list[str], out: Path) -> dict[str, Any]:
    """One measurement, in this (fresh) process."""
    import pyarrow as pa

    import tcpkit

    res: dict[str, Any] = {"mode": mode}
    cpu0, _ = usage()
    if mode.endswith("/cluster"):
        import distributed

        import tcpkit.dask as tkd

        t = time.perf_counter()
        cluster = distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
        )
        client = distributed.Client(cluster)
        # What a partition imports, loaded before the clock starts.
        client.run(lambda: [__import__(m) for m in ("pandas", "pyarrow", "dask.dataframe", "tcpkit.dask")])
        res["startup_s"] = time.perf_counter() - t
        w0 = client.run(usage)
        n0 = client.run(usage, nanny=True)
        cpu0, _ = usage()
        t = time.perf_counter()
        groups: list[Any] = [pieces] if mode.startswith("one-capture") else pieces
        df = tkd.read_connections(groups).compute()
        res["wall_s"] = time.perf_counter() - t
        cpu1, rss = usage()
        w1 = client.run(usage)
        n1 = client.run(usage, nanny=True)
        res["cpu_client_s"] = cpu1 - cpu0
        res["cpu_workers_s"] = [w1[k][0] - w0[k][0] for k in sorted(w1)]
        res["cpu_nannies_s"] = sum(n1[k][0] - n0[k][0] for k in n1)
        res["cpu_s"] = res["cpu_client_s"] + sum(res["cpu_workers_s"]) + res["cpu_nannies_s"]
        res["rss_client_mib"] = rss / 1024
        res["rss_workers_mib"] = [w1[k][1] / 1024 for k in sorted(w1)]
        client.close()
        cluster.close()
        table = from_frame(df)
        if mode.startswith("one-capture"):
            table = table.drop_columns(["source"])
    else:
        t = time.perf_counter()
        if mode == "whole":
            table = pa.table(tcpkit.analyze(capture).connections)
        elif mode == "one-capture/process":
            table = pa.table(tcpkit.analyze(pieces).connections)
        else:
            parts = []
            for p in pieces:
                c = pa.table(tcpkit.analyze(p).connections)
                parts.append(c.append_column("source", pa.repeat(pa.scalar(p, pa.string()), c.num_rows)))
            table = pa.concat_tables(parts)
        res["wall_s"] = time.perf_counter() - t
        cpu1, rss = usage()
        res["cpu_s"] = cpu1 - cpu0
        res["rss_client_mib"] = rss / 1024
        # Through pandas as the cluster's partitions are (``pd.ArrowDtype``), so
        # that both sides carry the same Arrow schema (nullability included).
        import pandas as pd

        table = from_frame(table.to_pandas(types_mapper=pd.ArrowDtype))
    res["connections"] = table.num_rows
    save(table, out / (mode.replace("/", "-") + ".feather"))
    return res


def same(a: Path, b: Path) -> bool:
    """The two saved tables hold the same values, column for column, row for row."""
    import pyarrow.feather as feather

    x, y = feather.read_table(str(a)), feather.read_table(str(b))
    if x.column_names != y.column_names or x.num_rows != y.num_rows:
        return False
    return bool(x.combine_chunks().equals(y.combine_chunks()))


def main() -> None:
    if sys.argv[1] == "--run":
        mode, capture, into = sys.argv[2], sys.argv[3], Path(sys.argv[4])
        pieces = sorted((str(p) for p in into.glob("capture.pcap*")), key=lambda p: int(p[len(str(into)) + 13 :] or 0))
        print(json.dumps(run(mode, capture, pieces, into / "out")), flush=True)
        return
    capture, into = Path(sys.argv[1]), Path(sys.argv[2])
    t = time.perf_counter()
    pieces = cut(capture, PIECES, into)
    (into / "out").mkdir(exist_ok=True)
    sizes = [p.stat().st_size for p in pieces]
    print(f"# {capture}: {len(pieces)} pieces of {min(sizes) >> 20}-{max(sizes) >> 20} MiB, cut in {time.perf_counter() - t:.1f} s")
    print(f"# load average before: {os.getloadavg()}")
    modes = ["whole", "one-capture/process", "one-capture/cluster", "16-captures/process", "16-captures/cluster"]
    results = []
    for mode in modes:
        p = subprocess.run(
            [sys.executable, __file__, "--run", mode, str(capture), str(into)],
            check=True,
            stdout=subprocess.PIPE,
            text=True,
        )
        r = json.loads(p.stdout.strip().splitlines()[-1])
        r["load"] = os.getloadavg()[0]
        results.append(r)
        print(json.dumps(r), flush=True)
    out = into / "out"
    checks = {
        "pieces as one capture == whole file": same(out / "one-capture-process.feather", out / "whole.feather"),
        "cluster == one process (one capture of 16 files)": same(
            out / "one-capture-cluster.feather", out / "one-capture-process.feather"
        ),
        "cluster == one process (16 captures)": same(
            out / "16-captures-cluster.feather", out / "16-captures-process.feather"
        ),
    }
    print()
    print("| run | wall s | CPU s (all processes) | peak RSS MiB | connections | load |")
    print("|---|---|---|---|---|---|")
    for r in results:
        rss = f"{r['rss_client_mib']:.0f}"
        cpu = f"{r['cpu_s']:.2f}"
        if "rss_workers_mib" in r:
            rss += " client + " + " / ".join(f"{m:.0f}" for m in r["rss_workers_mib"]) + " workers"
            cpu += " (workers " + " + ".join(f"{c:.2f}" for c in r["cpu_workers_s"]) + f", client {r['cpu_client_s']:.2f})"
        print(f"| {r['mode']} | {r['wall_s']:.2f} | {cpu} | {rss} | {r['connections']:,} | {r['load']:.1f} |")
    for r in results:
        if "startup_s" in r:
            print(f"# {r['mode']}: cluster start-up {r['startup_s']:.1f} s (not in the wall time)")
    for k, v in checks.items():
        print(f"# {k}: {'identical' if v else 'DIFFERENT'}")
    shutil.rmtree(into)


if __name__ == "__main__":
    main()

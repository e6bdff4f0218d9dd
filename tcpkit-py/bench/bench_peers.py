"""Benchmark (not a test): ``tcpkit.analyze`` beside the Rust CLI and the Python
peers (NFStream, dpkt, scapy) on the same capture, in one run (issue 9).

    scripts/python-env.sh                      # the project's .venv with the wheel
    python3 -m venv bench/.venv && bench/.venv/bin/pip install dpkt nfstream scapy pandas
    .venv/bin/python tcpkit-py/bench/bench_peers.py /work/bench/big.pcap [--scapy-packets 100000]
    .venv/bin/python tcpkit-py/bench/bench_peers.py /work/bench/big.pcap --only-tcpkit   # CLI + analyze() rows
    .venv/bin/python tcpkit-py/bench/bench_peers.py --help

The peers live in ``bench/.venv`` (git-ignored), never in the project's
requirements. Every job is its own process, run one after the other (never two
at once). For each: wall time, CPU time (user + sys, the process and every child
it waited for, from ``wait4``), the peak RSS of the process tree (the sum over
the process and its children, sampled every 20 ms with psutil) and the load
average when it ended. The Python jobs also print what they measured inside
(the interpreter and imports apart from the work).

Jobs:
- ``tcpkit segments --json > /dev/null`` and ``tcpkit flows --json > /dev/null``
  (the Rust command for the same analysis), and ``--arrow`` (the same tables
  the Python jobs build, written as an Arrow IPC stream);
- ``tcpkit.analyze(path).segments.to_pandas()`` and ``.connections.to_pandas()``;
- ``tcpkit.analyze(path, segments=False).connections.to_pandas()`` (the
  connections-only job as the docs tell it: no segment rows built), and
  ``tcpkit.analyze(path, story=False).segments.to_pandas()`` (the segments-only
  job: no stories, as ``segments --json`` builds none);
- ``pyobjects``: what one Python object per segment would cost: the first
  100,000 rows of the segments table as Python dicts (``to_pylist``), measured
  with tracemalloc and extrapolated to every segment;
- NFStream: ``NFStreamer(source=path, statistical_analysis=False).to_pandas()``
  (its defaults otherwise: nDPI dissection, meters on every core);
- dpkt: ``bench/dpkt_loop.py`` (decode, count per 4-tuple), and a loop that
  builds the per-segment table as pandas columns (what a notebook does with it);
- scapy on the first ``--scapy-packets`` packets only (``PcapReader`` streaming,
  ``rdpcap`` whole in memory), per-segment columns into pandas, CPU and memory
  extrapolated linearly to the whole capture (and printed as such).
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
# The first jobs: the CLI, the start-up, tcpkit's Python jobs, the CLI's Arrow output.
TCPKIT_JOBS = 9
# tcpkit's Python jobs: names[PY_JOBS].
PY_JOBS = slice(3, 7)
COLS = ("ts", "src", "dst", "sport", "dport", "seq", "ack", "flags", "win", "len")


def cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- the jobs, each run in its own process ----------------------------------


def job_tcpkit(kind: str, path: str, **options: Any) -> dict[str, Any]:
    c0 = cpu()
    import pandas  # noqa: F401
    import pyarrow  # noqa: F401

    import tcpkit

    c1, t = cpu(), time.perf_counter()
    a = tcpkit.analyze(path, progress=False, **options)
    c2, t2 = cpu(), time.perf_counter()
    table = getattr(a, kind)  # its pass, when analyze() left it for the first ask
    c3, t3 = cpu(), time.perf_counter()
    df = table.to_pandas()
    c4, t4 = cpu(), time.perf_counter()
    return {
        "rows": len(df),
        "import_cpu": c1 - c0,
        "analyze_cpu": c2 - c1,
        "analyze_wall": t2 - t,
        "table_cpu": c3 - c2,
        "table_wall": t3 - t2,
        "to_pandas_cpu": c4 - c3,
        "to_pandas_wall": t4 - t3,
        "work_cpu": c4 - c1,
        "work_wall": t4 - t,
    }


def job_pyobjects(path: str, n: int) -> dict[str, Any]:
    import tracemalloc

    import pyarrow as pa

    import tcpkit

    t = pa.table(tcpkit.analyze(path, progress=False).segments)
    sl = t.slice(0, n)
    tracemalloc.start()
    rows = sl.to_pylist()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"rows": t.num_rows, "sample": len(rows), "bytes_per_row": size / len(rows), "columns": t.num_columns}


def job_nfstream(path: str) -> dict[str, Any]:
    from nfstream import NFStreamer

    c0, t = cpu(), time.perf_counter()
    df = NFStreamer(source=path, statistical_analysis=False).to_pandas()
    return {"rows": len(df), "work_cpu_self": cpu() - c0, "work_wall": time.perf_counter() - t}


def segment_columns(packets: Any, decode: Any, limit: int = 0) -> dict[str, list[Any]]:
    """Per-segment columns (lists) from an iterable of packets and a decoder
    returning a tuple of COLS or None."""
    cols: dict[str, list[Any]] = {c: [] for c in COLS}
    lists = [cols[c] for c in COLS]
    n = 0
    for p in packets:
        n += 1
        if limit and n > limit:
            break
        row = decode(p)
        if row is None:
            continue
        for lst, v in zip(lists, row, strict=True):
            lst.append(v)
    cols["_packets"] = [min(n, limit) if limit else n]
    return cols


def job_dpkt_pandas(path: str) -> dict[str, Any]:
    import dpkt
    import pandas as pd

    def decode(p: Any) -> tuple[Any, ...] | None:
        ts, buf = p
        try:
            eth = dpkt.ethernet.Ethernet(buf)
        except (dpkt.dpkt.UnpackError, dpkt.dpkt.NeedData):
            return None
        ip = eth.data
        if isinstance(ip, dpkt.ip.IP):
            plen = ip.len - ip.hl * 4
        elif isinstance(ip, dpkt.ip6.IP6):
            plen = ip.plen
        else:
            return None
        seg = ip.data
        if not isinstance(seg, dpkt.tcp.TCP):
            return None
        return (ts, ip.src, ip.dst, seg.sport, seg.dport, seg.seq, seg.ack, seg.flags, seg.win, plen - seg.off * 4)

    c0, t = cpu(), time.perf_counter()
    with open(path, "rb") as f:
        cols = segment_columns(dpkt.pcap.Reader(f), decode)
    packets = cols.pop("_packets")[0]
    df = pd.DataFrame(cols)
    return {"rows": len(df), "packets": packets, "work_cpu": cpu() - c0, "work_wall": time.perf_counter() - t}


def job_scapy(path: str, n: int, whole: bool) -> dict[str, Any]:
    import pandas as pd
    from scapy.all import IP, TCP, IPv6, PcapReader, rdpcap  # type: ignore[attr-defined]

    def decode(p: Any) -> tuple[Any, ...] | None:
        if TCP not in p:
            return None
        ip = p[IP] if IP in p else p[IPv6]
        t = p[TCP]
        plen = ip.len - ip.ihl * 4 if IP in p else ip.plen
        return (float(p.time), ip.src, ip.dst, t.sport, t.dport, t.seq, t.ack, int(t.flags), t.window, plen - t.dataofs * 4)

    c0, t, m0 = cpu(), time.perf_counter(), rss_mib()
    if whole:
        pkts = rdpcap(path, count=n)
        cols = segment_columns(pkts, decode)
    else:
        with PcapReader(path) as r:
            cols = segment_columns(r, decode, limit=n)
    packets = cols.pop("_packets")[0]
    df = pd.DataFrame(cols)
    return {
        "rows": len(df),
        "packets": packets,
        "work_cpu": cpu() - c0,
        "work_wall": time.perf_counter() - t,
        "rss_before_mib": m0,
    }


def child(args: list[str]) -> None:
    name, path = args[0], args[1]
    if name in ("segments", "connections"):
        r = job_tcpkit(name, path)
    elif name == "connections-lean":
        r = job_tcpkit("connections", path, segments=False)
    elif name == "segments-lean":
        r = job_tcpkit("segments", path, story=False)
    elif name == "pyobjects":
        r = job_pyobjects(path, int(args[2]))
    elif name == "nfstream":
        r = job_nfstream(path)
    elif name == "dpkt-pandas":
        r = job_dpkt_pandas(path)
    elif name in ("scapy-reader", "scapy-rdpcap"):
        r = job_scapy(path, int(args[2]), name == "scapy-rdpcap")
    else:
        raise SystemExit(f"unknown job {name}")
    r["rss_self_mib"] = rss_mib()
    print(json.dumps(r), flush=True)


# ---- the harness --------------------------------------------------------------


def run(cmd: list[str], stdout: Any = subprocess.PIPE) -> dict[str, Any]:
    """Runs ``cmd`` (stderr dropped): wall time, CPU of it and of the children
    it waited for (``wait4``), peak RSS of the process tree (sampled; at least
    the largest process's), the last JSON line it printed."""
    import psutil

    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=stdout, stderr=subprocess.DEVNULL)
    peak = [0]
    done = threading.Event()
    out_lines: list[str] = []

    def read() -> None:
        if p.stdout is not None:
            out_lines.extend(p.stdout.read().decode().splitlines())

    def sample() -> None:
        try:
            root = psutil.Process(p.pid)
            while not done.is_set():
                total = 0
                for q in [root, *root.children(recursive=True)]:
                    try:
                        total += q.memory_info().rss
                    except psutil.NoSuchProcess:
                        pass
                peak[0] = max(peak[0], total)
                time.sleep(0.02)
        except psutil.NoSuchProcess:
            pass

    threads = [threading.Thread(target=read, daemon=True), threading.Thread(target=sample, daemon=True)]
    for th in threads:
        th.start()
    _, status, ru = os.wait4(p.pid, 0)
    wall = time.perf_counter() - t
    p.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    for th in threads:
        th.join()
    if p.returncode != 0:
        raise RuntimeError(f"{cmd}: exit {p.returncode}")
    res: dict[str, Any] = {
        "wall": wall,
        "cpu": ru.ru_utime + ru.ru_stime,
        "maxrss_mib": ru.ru_maxrss / 1024,
        "peak_tree_mib": max(peak[0] / 2**20, ru.ru_maxrss / 1024),
        "load": os.getloadavg()[0],
    }
    for line in reversed(out_lines):
        if line.startswith("{"):
            res["inner"] = json.loads(line)
            break
    return res


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__)
        return
    if sys.argv[1] == "--child":
        child(sys.argv[2:])
        return
    path = sys.argv[1]
    scapy_n = 100_000
    if "--scapy-packets" in sys.argv:
        scapy_n = int(sys.argv[sys.argv.index("--scapy-packets") + 1])
    py = str(ROOT / ".venv" / "bin" / "python")
    peers = str(ROOT / "bench" / ".venv" / "bin" / "python")
    cli = str(ROOT / "target" / "release" / "tcpkit")
    me = str(Path(__file__).resolve())
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    packets = int(
        subprocess.run(["capinfos", "-c", "-M", path], capture_output=True, text=True).stdout.split(":")[-1].strip()
    )
    subprocess.run(["cat", path], stdout=subprocess.DEVNULL, check=True)  # warm the page cache
    print(f"# {path}: {packets:,} packets; tcpkit at {commit}; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    print(f"# {os.cpu_count()} cores; load average at the start: {os.getloadavg()}", flush=True)

    devnull = subprocess.DEVNULL
    jobs: list[tuple[str, list[str], Any]] = [
        ("tcpkit segments --json > /dev/null (CLI)", [cli, "segments", "--json", path], devnull),
        ("tcpkit flows --json > /dev/null (CLI)", [cli, "flows", "--json", path], devnull),
        ("python: import tcpkit, pandas, pyarrow", [py, "-c", "import tcpkit, pandas, pyarrow"], devnull),
        ("tcpkit.analyze(p).segments.to_pandas()", [py, me, "--child", "segments", path], subprocess.PIPE),
        ("tcpkit.analyze(p).connections.to_pandas()", [py, me, "--child", "connections", path], subprocess.PIPE),
        (
            "tcpkit.analyze(p, segments=False).connections.to_pandas()",
            [py, me, "--child", "connections-lean", path],
            subprocess.PIPE,
        ),
        (
            "tcpkit.analyze(p, story=False).segments.to_pandas()",
            [py, me, "--child", "segments-lean", path],
            subprocess.PIPE,
        ),
        ("tcpkit segments --arrow > /dev/null (CLI)", [cli, "segments", "--arrow", path], devnull),
        ("tcpkit flows --arrow > /dev/null (CLI)", [cli, "flows", "--arrow", path], devnull),
        ("NFStreamer(p, statistical_analysis=False).to_pandas()", [peers, me, "--child", "nfstream", path], subprocess.PIPE),
        ("dpkt loop (bench/dpkt_loop.py: decode, count per 4-tuple)", [peers, str(ROOT / "bench" / "dpkt_loop.py"), path], devnull),
        ("dpkt: per-segment columns -> pandas", [peers, me, "--child", "dpkt-pandas", path], subprocess.PIPE),
        (f"scapy PcapReader, first {scapy_n:,} packets -> pandas", [peers, me, "--child", "scapy-reader", path, str(scapy_n)], subprocess.PIPE),
        (f"scapy rdpcap, first {scapy_n:,} packets -> pandas", [peers, me, "--child", "scapy-rdpcap", path, str(scapy_n)], subprocess.PIPE),
        ("one Python object per segment (to_pylist of 100,000 rows)", [py, me, "--child", "pyobjects", path, "100000"], subprocess.PIPE),
    ]
    if "--only-tcpkit" in sys.argv:
        # A new build of tcpkit beside an earlier run of the peers: its rows only.
        jobs = jobs[:TCPKIT_JOBS]
    res: dict[str, dict[str, Any]] = {}
    for name, cmd, out in jobs:
        r = run(cmd, out)
        res[name] = r
        print(json.dumps({"job": name, **r}), flush=True)

    names = [n for n, _, _ in jobs]
    segs = res[names[3]]["inner"]["rows"]
    print()
    print(f"{packets:,} packets, {segs:,} TCP segments; load average at the end {os.getloadavg()[0]:.1f}")
    print()
    print("| job | wall s | CPU s | peak RSS MiB (tree) | segments/s (CPU) | × tcpkit (CPU) | load |")
    print("|---|---|---|---|---|---|---|")
    base_seg = res[names[3]]["cpu"]
    base_conn = res[names[4]]["cpu"]
    for i, name in enumerate(names[:-1] if len(names) > TCPKIT_JOBS else names):
        r = res[name]
        c, w, m = r["cpu"], r["wall"], r["peak_tree_mib"]
        note = ""
        if name.startswith("scapy"):
            n = r["inner"]["packets"]
            f = packets / n
            # The work (inside the process) scaled, the start-up and imports as measured.
            i = r["inner"]
            c_est = r["cpu"] + i["work_cpu"] * (f - 1)
            w_est = r["wall"] + i["work_wall"] * (f - 1)
            m_est = i["rss_before_mib"] + (r["peak_tree_mib"] - i["rss_before_mib"]) * f
            note = f" (measured on {n:,}: {w:.1f} s wall, {c:.1f} s CPU, {m:.0f} MiB; whole capture extrapolated)"
            c, w, m = c_est, w_est, m_est
        base = base_conn if ("flows" in name or "connections" in name or "NFStream" in name) else base_seg
        ratio = "-" if i == 2 else f"{c / base:.2f}"
        rate = "-" if i == 2 else (f"{segs / c / 1e6:.2f} M" if segs / c >= 1e6 else f"{segs / c / 1e3:.1f} k")
        print(f"| {name}{note} | {w:.2f} | {c:.2f} | {m:.0f} | {rate} | {ratio} | {r['load']:.1f} |")
    print()
    for k in names[PY_JOBS]:
        i = res[k]["inner"]
        print(
            f"# {k}: analyze {i['analyze_cpu']:.2f} s CPU ({i['analyze_wall']:.2f} wall), "
            f"the table {i['table_cpu']:.2f} s CPU ({i['table_wall']:.2f} wall), "
            f"to_pandas {i['to_pandas_cpu']:.2f} s CPU, imports {i['import_cpu']:.2f} s; rows {i['rows']:,}"
        )
    cli_s, cli_f = res[names[0]]["cpu"], res[names[1]]["cpu"]
    print(
        f"# issue 9 bar (<= 1.5x the CLI, CPU): segments.to_pandas() {res[names[3]]['cpu'] / cli_s:.2f}x "
        f"(work only, no imports: {res[names[3]]['inner']['work_cpu'] / cli_s:.2f}x) of `segments --json`; "
        f"connections.to_pandas() {res[names[4]]['cpu'] / cli_f:.2f}x "
        f"(work only: {res[names[4]]['inner']['work_cpu'] / cli_f:.2f}x) of `flows --json`; "
        f"with segments=False {res[names[5]]['cpu'] / cli_f:.2f}x "
        f"(work only: {res[names[5]]['inner']['work_cpu'] / cli_f:.2f}x); "
        f"segments with story=False {res[names[6]]['cpu'] / cli_s:.2f}x "
        f"(work only: {res[names[6]]['inner']['work_cpu'] / cli_s:.2f}x)"
    )
    arrow_s, arrow_f = res[names[7]]["cpu"], res[names[8]]["cpu"]
    print(
        f"# beside the CLI writing the same tables (`--arrow`, CPU): segments.to_pandas() "
        f"{res[names[3]]['cpu'] / arrow_s:.2f}x (work only {res[names[3]]['inner']['work_cpu'] / arrow_s:.2f}x), "
        f"story=False {res[names[6]]['cpu'] / arrow_s:.2f}x (work only {res[names[6]]['inner']['work_cpu'] / arrow_s:.2f}x) "
        f"of `segments --arrow`; connections.to_pandas() {res[names[4]]['cpu'] / arrow_f:.2f}x "
        f"(work only {res[names[4]]['inner']['work_cpu'] / arrow_f:.2f}x) of `flows --arrow`"
    )
    if len(names) <= TCPKIT_JOBS:
        return
    po = res[names[-1]]["inner"]
    est = po["bytes_per_row"] * segs / 2**20
    print(
        f"# one Python dict per segment ({po['columns']} columns): {po['bytes_per_row']:.0f} bytes a row "
        f"(tracemalloc, {po['sample']:,} rows) -> {est:,.0f} MiB for {segs:,} segments, against "
        f"{res[names[3]]['peak_tree_mib']:.0f} MiB peak for analyze().segments.to_pandas()"
    )


if __name__ == "__main__":
    main()

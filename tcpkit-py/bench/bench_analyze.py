"""Benchmark (not a test): ``tcpkit.analyze(capture)`` to pandas beside the Rust command
for the same analysis (issue 9's bar: at most 1.5x), CPU time (user + sys) and peak RSS,
one process at a time.

    .venv/bin/python tcpkit-py/bench/bench_analyze.py /work/bench/big.pcap [target/release/tcpkit]

Prints, each on its own line:
- ``tcpkit segments --json CAPTURE > /dev/null`` and ``tcpkit flows --json CAPTURE > /dev/null``;
- Python: ``a = tcpkit.analyze(capture)`` (both tables and the stories, one pass), then
  ``a.segments.to_pandas()`` and ``a.connections.to_pandas()`` (pandas and pyarrow imported
  before the clock starts), in a child process;
- ``tcpkit.stream(capture)`` read batch by batch by pyarrow (the segments, no stories), in a
  child process;
and the Python figure over each command's and over their sum.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

CHILD_ANALYZE = """
import sys, time, resource
import pandas, pyarrow
import tcpkit
t0 = time.process_time()
a = tcpkit.analyze(sys.argv[1], progress=False)
t1 = time.process_time()
s = a.segments.to_pandas()
c = a.connections.to_pandas()
t2 = time.process_time()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{t2 - t0:.2f} {t1 - t0:.2f} {t2 - t1:.2f} {len(s)} {len(c)} {rss:.0f}")
"""

CHILD_STREAM = """
import sys, time, resource
import pyarrow as pa
import tcpkit
t0 = time.process_time()
n = sum(b.num_rows for b in pa.RecordBatchReader.from_stream(tcpkit.stream(sys.argv[1])))
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{time.process_time() - t0:.2f} {n} {rss:.0f}")
"""


def cli(binary: str, args: list[str], capture: str) -> float:
    """CPU seconds of one run of the command, output to /dev/null."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open("/dev/null", "wb") as null:
        subprocess.run([binary, *args, capture], stdout=null, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"tcpkit {' '.join(args)}: {cpu:.2f} s CPU, peak RSS {after.ru_maxrss / 1024:.0f} MiB (largest child so far)")
    return cpu


def main() -> None:
    capture = sys.argv[1]
    binary = sys.argv[2] if len(sys.argv) > 2 else str(Path(__file__).resolve().parents[2] / "target/release/tcpkit")
    seg = cli(binary, ["segments", "--json"], capture)
    flows = cli(binary, ["flows", "--json"], capture)
    out = subprocess.run([sys.executable, "-c", CHILD_ANALYZE, capture], capture_output=True, text=True, check=True)
    total, analyze, pandas, nseg, ncon, rss = out.stdout.split()
    print(
        f"python analyze + to_pandas: {total} s CPU (analyze {analyze} s, to_pandas {pandas} s), "
        f"{nseg} segments, {ncon} connections, peak RSS {rss} MiB"
    )
    t = float(total)
    print(f"ratio: {t / seg:.2f}x segments --json, {t / flows:.2f}x flows --json, {t / (seg + flows):.2f}x their sum")
    out = subprocess.run([sys.executable, "-c", CHILD_STREAM, capture], capture_output=True, text=True, check=True)
    cpu, n, rss = out.stdout.split()
    print(f"python stream (segments, batch by batch): {cpu} s CPU, {n} rows, peak RSS {rss} MiB")


if __name__ == "__main__":
    main()

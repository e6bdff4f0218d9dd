"""tcpkit from Python in a few lines: a capture to Arrow tables, pandas, polars, duckdb,
one connection's fields and its time-sequence graph.

    .venv/bin/python examples/python/quickstart.py [CAPTURE] [OUT.png]
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import matplotlib

matplotlib.use("Agg")

import tcpkit
import tcpkit.plot

ROOT = Path(__file__).resolve().parents[2]
capture = sys.argv[1] if len(sys.argv) > 1 else ROOT / "testdata/captures/lab/bulk-loss-sack/capture.pcap"
out = sys.argv[2] if len(sys.argv) > 2 else "time-sequence.png"

a = tcpkit.analyze(capture)
print(a)

segments = a.segments.to_pandas()  # one row per TCP segment, no Python object per row
print(segments[["frame", "ts_ns", "conn", "flags", "seq", "ack", "len", "win_scaled"]].head())

connections = a.connections.to_polars()  # one row per connection
print(connections.select("conn", "client", "server", "retransmissions"))

# duckdb scans the table through the Arrow PyCapsule interface, by its variable name.
segs = a.segments
print(duckdb.sql("select conn, count(*) as segments, sum(len) as bytes from segs group by conn").fetchall())

c = a[0]
print(c.handshake.outcome, c.options.client.mss, c.window_scale.client, [t.verdict for t in c.trains][:3])

ax = tcpkit.plot.time_sequence(a.segments, conn=c.conn)
ax.figure.savefig(out, dpi=100)
print("wrote", out)

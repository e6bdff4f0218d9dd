"""tcpkit: what every TCP connection in a packet capture did.

    import tcpkit
    a = tcpkit.analyze("capture.pcap")
    a.segments.to_pandas()          # one row per TCP segment
    a.connections.to_polars()       # one row per connection
    a[0].handshake.outcome          # a connection's fields, typed
    a.findings                      # SYN flood, accept-queue overflow, ... (typed)

The command line, in-process: ``python -m tcpkit report capture.pcap`` (or the
``tcpkit`` console script) prints what ``cargo tcpkit report capture.pcap`` prints.
"""

from tcpkit._analysis import Analysis, Analyzer, Connection, Finding, Listener, Record, analyze, stream
from tcpkit._tcpkit import BatchStream, CaptureError, Table, __version__

__all__ = [
    "Analysis",
    "Analyzer",
    "BatchStream",
    "CaptureError",
    "Connection",
    "Finding",
    "Listener",
    "Record",
    "Table",
    "__version__",
    "analyze",
    "stream",
]

"""tcpkit: what every TCP connection in a packet capture did.

    import tcpkit
    a = tcpkit.analyze("capture.pcap")
    a.segments.to_pandas()          # one row per TCP segment
    a.connections.to_polars()       # one row per connection
    a[0].handshake.outcome          # a connection's fields

The command line, in-process: ``python -m tcpkit report capture.pcap`` (or the
``tcpkit`` console script) prints what ``cargo tcpkit report capture.pcap`` prints.
"""

from tcpkit._analysis import Analysis, Analyzer, Connection, Record, analyze
from tcpkit._tcpkit import CaptureError, Table, __version__

__all__ = [
    "Analysis",
    "Analyzer",
    "CaptureError",
    "Connection",
    "Record",
    "Table",
    "__version__",
    "analyze",
]

"""tcpkit: what every TCP connection in a packet capture did.

The command line, in-process: ``python -m tcpkit report capture.pcap`` (or the
``tcpkit`` console script) prints what ``cargo tcpkit report capture.pcap`` prints.
"""

from tcpkit._tcpkit import __version__

__all__ = ["__version__"]

"""``python -m tcpkit ARGS...``: the ``tcpkit`` command, run in this process.

The Rust command writes straight to file descriptors 1 and 2, so the bytes are
those of the ``tcpkit`` binary; its exit status is returned.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
from collections.abc import Sequence

from tcpkit._tcpkit import run_cli


def main(argv: Sequence[str | os.PathLike[str]] | None = None) -> int:
    """Runs ``tcpkit`` with ``argv`` (default: ``sys.argv[1:]``); returns its exit status."""
    args = [os.fsdecode(a) for a in (sys.argv[1:] if argv is None else argv)]
    # What Python printed so far goes out before the command's own bytes.
    sys.stdout.flush()
    sys.stderr.flush()
    # Ctrl-C ends the command at once, as it ends the binary (Python's handler
    # would only run once the command returned).
    if threading.current_thread() is not threading.main_thread():
        return run_cli(["tcpkit", *args])
    previous = signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        return run_cli(["tcpkit", *args])
    finally:
        signal.signal(signal.SIGINT, previous)


if __name__ == "__main__":
    sys.exit(main())

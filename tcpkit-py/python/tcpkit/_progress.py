"""Progress of a long read: tqdm when installed, a plain text bar otherwise."""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from typing import IO, Any

#: A progress callback receives the bytes read so far.
Callback = Callable[[int], None]

#: Files at least this large show a bar by default in a notebook.
NOTEBOOK_THRESHOLD = 8 << 20


def in_notebook() -> bool:
    """Running under a Jupyter (IPython) kernel."""
    ipython = sys.modules.get("IPython")
    if ipython is None:
        return False
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    return shell is not None and type(shell).__name__ == "ZMQInteractiveShell"


class PlainBar:
    """``name:  42% 12.3/29.0 MB`` on one line of ``stream``, rewritten at most
    ten times a second, closed with a newline."""

    def __init__(self, total: int | None, name: str, stream: IO[str] | None = None) -> None:
        self.total = total
        self.name = name
        self.stream = stream if stream is not None else sys.stderr
        self.done = 0
        self._shown = 0.0

    def __call__(self, done: int) -> None:
        self.done = done
        now = time.monotonic()
        if now - self._shown >= 0.1:
            self._shown = now
            self._draw()

    def _draw(self) -> None:
        mb = self.done / 1e6
        if self.total:
            pct = min(100, self.done * 100 // self.total)
            text = f"{self.name}: {pct:3d}% {mb:.1f}/{self.total / 1e6:.1f} MB"
        else:
            text = f"{self.name}: {mb:.1f} MB"
        self.stream.write("\r" + text)
        self.stream.flush()

    def close(self) -> None:
        self._draw()
        self.stream.write("\n")
        self.stream.flush()


class TqdmBar:
    """The same, drawn by tqdm (``tqdm.auto``: a widget in a notebook)."""

    def __init__(self, tqdm: Any, total: int | None, name: str) -> None:
        self.bar = tqdm(total=total, desc=name, unit="B", unit_scale=True, unit_divisor=1024)

    def __call__(self, done: int) -> None:
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        self.bar.close()


def make(progress: bool | Callback | None, total: int | None, name: str) -> tuple[Callback | None, Callable[[], None]]:
    """The callback for ``analyze(progress=...)`` and what closes it.

    ``None``: a bar in a notebook for files of at least 8 MB, none otherwise;
    ``True``/``False``: a bar or none; a callable: called with the bytes read.
    """
    if progress is None:
        progress = in_notebook() and total is not None and total >= NOTEBOOK_THRESHOLD
    if progress is False:
        return None, lambda: None
    if progress is True:
        try:
            from tqdm.auto import tqdm
        except ImportError:
            plain = PlainBar(total, name)
            return plain, plain.close
        bar = TqdmBar(tqdm, total, name)
        return bar, bar.close
    return progress, lambda: None


@contextlib.contextmanager
def shown(progress: bool | Callback | None, total: int | None, name: str) -> Iterator[Callback | None]:
    """:func:`make`'s callback for the ``with`` block, closed when it ends."""
    callback, close = make(progress, total, name)
    try:
        yield callback
    finally:
        close()

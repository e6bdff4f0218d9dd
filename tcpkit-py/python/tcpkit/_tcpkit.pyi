"""The extension module (private): import ``tcpkit`` instead."""

from collections.abc import Sequence

__all__ = ["__version__", "run_cli"]

__version__: str

def run_cli(argv: Sequence[str]) -> int: ...

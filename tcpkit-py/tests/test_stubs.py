"""The type stubs (`_tcpkit.pyi`) match the extension module, and the package type-checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PKG = Path(__file__).resolve().parents[1]
PY = PKG / "python" / "tcpkit"
CONFIG = str(PKG / "pyproject.toml")


def test_stubtest() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "tcpkit._tcpkit", "--mypy-config-file", CONFIG],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr


def test_mypy_strict_on_the_package() -> None:
    r = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", CONFIG, "--no-incremental", str(PY)],
        capture_output=True,
        text=True,
    )
    assert r.returncode == 0, r.stdout + r.stderr

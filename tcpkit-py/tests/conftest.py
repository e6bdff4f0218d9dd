"""Shared fixtures: where the lab captures and the `tcpkit` binary are."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _lab_dir() -> Path:
    """The lab captures, carried in the repository (testdata/)."""
    for d in (ROOT / "testdata" / "captures" / "lab",):
        if d.is_dir():
            return d
    raise RuntimeError("no lab captures in testdata/captures/lab")


LAB = _lab_dir()
LAB_CAPTURES = sorted(p for d in sorted(LAB.iterdir()) if d.is_dir() for p in d.glob("capture.pcap*"))
assert LAB_CAPTURES, f"no capture under {LAB}"


def lab_id(p: Path) -> str:
    return p.parent.name


@pytest.fixture(scope="session")
def tcpkit_bin() -> Path:
    """The `tcpkit` binary to compare with: $TCPKIT_BIN, else target/release/tcpkit
    (test.sh builds it). Missing is a failure, not a skip."""
    b = Path(os.environ.get("TCPKIT_BIN", ROOT / "target" / "release" / "tcpkit"))
    if not b.is_file():
        pytest.fail(f"{b} is missing: build it with `cargo build --release -p tcpkit-examples --bin tcpkit`")
    return b

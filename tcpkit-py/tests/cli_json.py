"""The CLI's JSON outputs (`segments --json`, `flows --json`), run in-process through
`python -m tcpkit`, as the tests' reference data."""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any


@cache
def json_lines(command: str, capture: Path) -> list[dict[str, Any]]:
    out = subprocess.run(
        [sys.executable, "-m", "tcpkit", command, "--json", str(capture)],
        capture_output=True,
        check=True,
    ).stdout
    return [json.loads(line) for line in out.splitlines()]


def segments(capture: Path) -> list[dict[str, Any]]:
    return json_lines("segments", capture)


def flows(capture: Path) -> list[dict[str, Any]]:
    return json_lines("flows", capture)

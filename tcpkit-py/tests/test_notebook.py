"""The notebook of examples/python runs from top to bottom on the lab captures."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "examples" / "python" / "handshakes-and-closes.ipynb"


def test_notebook_runs(tmp_path: Path) -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 6, "every plot cell drew its picture"
    nbformat.write(nb, tmp_path / "executed.ipynb")
    if dest := os.environ.get("TCPKIT_NOTEBOOK_OUT"):
        nbformat.write(nb, dest)


def test_quickstart_script(tmp_path: Path) -> None:
    import subprocess
    import sys

    out = tmp_path / "ts.png"
    r = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "python" / "quickstart.py"),
         str(ROOT / "testdata/captures/lab/bulk-loss-sack/capture.pcap"), str(out)],
        capture_output=True, text=True,
    )
    assert r.returncode == 0, r.stderr
    assert out.stat().st_size > 10000
    assert "established 8460 10" in r.stdout

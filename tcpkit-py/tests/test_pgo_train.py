"""scripts/pgo_train.py, the training run of `scripts/build-pgo.sh wheel`: it
must keep working with the package's API (a call it makes that fails would
train the profile on nothing), on good captures and on ones that raise."""

from __future__ import annotations

import subprocess
import sys

from conftest import LAB_CAPTURES, ROOT

SCRIPT = ROOT / "scripts" / "pgo_train.py"


def test_the_training_run_reads_good_and_damaged_captures() -> None:
    damaged = sorted((ROOT / "testdata" / "corpus" / "libpcap").glob("*.pcap*"))
    assert damaged, "no damaged captures in testdata/corpus/libpcap"
    paths = [str(p) for p in LAB_CAPTURES[:3] + damaged[:2]]
    r = subprocess.run(
        [sys.executable, str(SCRIPT), *paths],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""

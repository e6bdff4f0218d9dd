"""`python -m tcpkit` and the `tcpkit` console script print exactly what the binary prints."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import LAB_CAPTURES, lab_id

import tcpkit.__main__

# Every subcommand, with the flags that change what is printed.
COMMANDS = [
    ["segments"],
    ["segments", "-vv", "-S"],
    ["segments", "--json"],
    ["segments", "--arrow"],
    ["segments", "--stats", "--count"],
    ["flows"],
    ["flows", "--json"],
    ["flows", "--arrow"],
    ["report"],
    ["report", "--json"],
    ["ss", "--at", "0.5", "--every", "1"],
    ["stream", "--dir", "s2c"],
]


def run(cmd: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(cmd, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)


def same(binary: list[str], python: list[str]) -> subprocess.CompletedProcess[bytes]:
    want = run(binary)
    got = run(python)
    assert got.returncode == want.returncode, got.stderr
    assert got.stderr == want.stderr
    assert got.stdout == want.stdout
    return want


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_lab_capture_byte_for_byte(tcpkit_bin: Path, capture: Path, args: list[str]) -> None:
    argv = [*args, str(capture)]
    if args[0] == "stream":
        argv.append("0")
    want = same([str(tcpkit_bin), *argv], [sys.executable, "-m", "tcpkit", *argv])
    if args[0] != "stream":
        assert want.stdout, "the command printed nothing: the comparison would prove little"


def test_console_script(tcpkit_bin: Path) -> None:
    script = shutil.which("tcpkit", path=str(Path(sys.executable).parent))
    assert script, "the `tcpkit` console script is not installed beside this Python"
    capture = str(LAB_CAPTURES[0])
    same([str(tcpkit_bin), "report", capture], [script, "report", capture])


@pytest.mark.parametrize(
    "args",
    [[], ["--help"], ["--version"], ["bogus"], ["segments", "--no-such-flag", "x"], ["ss", "x"]],
    ids=repr,
)
def test_usage_and_help(tcpkit_bin: Path, args: list[str]) -> None:
    want = same([str(tcpkit_bin), *args], [sys.executable, "-m", "tcpkit", *args])
    assert want.returncode in (0, 2)


def test_missing_file(tcpkit_bin: Path, tmp_path: Path) -> None:
    missing = str(tmp_path / "no-such.pcap")
    want = same([str(tcpkit_bin), "flows", missing], [sys.executable, "-m", "tcpkit", "flows", missing])
    assert want.returncode == 1
    assert missing.encode() in want.stderr


@pytest.mark.parametrize("command", ["segments", "flows", "report"])
def test_cut_capture(tcpkit_bin: Path, tmp_path: Path, command: str) -> None:
    """A capture cut in the middle of a record: same lines before the damage, same error line."""
    data = LAB_CAPTURES[0].read_bytes()
    cut = tmp_path / "cut.pcap"
    cut.write_bytes(data[: len(data) * 2 // 3])
    want = same([str(tcpkit_bin), command, str(cut)], [sys.executable, "-m", "tcpkit", command, str(cut)])
    assert want.returncode == 1
    assert b"byte offset" in want.stderr


def test_python_output_comes_first(tcpkit_bin: Path) -> None:
    """What Python printed before the command is not overtaken by the command's bytes."""
    capture = str(LAB_CAPTURES[0])
    code = f"import tcpkit.__main__ as m, sys; print('before'); rc = m.main(['flows', {capture!r}]); print('after', rc)"
    got = run([sys.executable, "-c", code])
    want = run([str(tcpkit_bin), "flows", capture])
    assert got.stdout == b"before\n" + want.stdout + b"after 0\n"


def test_main_returns_exit_status(tmp_path: Path) -> None:
    assert tcpkit.__main__.main(["flows", str(tmp_path / "missing.pcap")]) == 1

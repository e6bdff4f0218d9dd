"""tcpkit.plot draws what the tables say: each mark is counted against the rows."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import LAB

pd = pytest.importorskip("pandas")
matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from cli_json import flows, segments  # noqa: E402
from matplotlib.collections import LineCollection  # noqa: E402

import tcpkit.plot as tp  # noqa: E402

BULK = LAB / "bulk-loss-sack" / "capture.pcap"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def collection(ax, label: str) -> LineCollection | None:
    found = [c for c in ax.collections if c.get_label() == label]
    return found[0] if found else None


def line(ax, label: str):
    return next(ln for ln in ax.get_lines() if ln.get_label() == label)


def saved(ax, tmp_path: Path, name: str) -> None:
    out = tmp_path / f"{name}.png"
    ax.figure.savefig(out, dpi=60)
    assert out.stat().st_size > 5000


def test_time_sequence(tmp_path: Path) -> None:
    rows = segments(BULK)
    df = pd.DataFrame(rows)
    ax = tp.time_sequence(df, 0, direction="c2s")
    client = next(r for r in rows if r["flags"] == "S")
    c2s = [r for r in rows if r["conn"] == 0 and r["src"] == client["src"] and r["sport"] == client["sport"]]
    s2c = [r for r in rows if r["conn"] == 0 and r not in c2s]
    retx = [r for r in c2s if r["len"] > 0 and "retransmission" in r["analysis"] or "fast_retransmission" in r["analysis"]]
    data = [r for r in c2s if r["len"] > 0]
    assert retx, "the capture has retransmissions: the test needs some"
    assert len(collection(ax, "retransmission").get_segments()) == len(retx)
    assert len(collection(ax, "data").get_segments()) == len(data) - len(retx)
    bars = collection(ax, "retransmission").get_segments()
    assert sorted(b[0][1] for b in bars) == sorted(r["seq"] for r in retx)
    blocks = [b for r in s2c for o in r["options"] if o["kind"] == "sack" for b in o["blocks"]]
    assert blocks
    assert sorted((s[0][1], s[1][1]) for s in collection(ax, "SACK").get_segments()) == sorted(
        (lo, hi) for lo, hi in blocks
    )
    acks = [r for r in s2c if "." in r["flags"]]
    assert list(line(ax, "ACK").get_ydata()) == [r["ack"] for r in acks]
    assert list(line(ax, "advertised window").get_ydata()) == [r["ack"] + r["win_scaled"] for r in acks]
    saved(ax, tmp_path, "time_sequence")


def test_time_sequence_default_direction_and_zoom() -> None:
    df = pd.DataFrame(segments(BULK))
    ax = tp.time_sequence(df, 0, between=(2.98, 2.99))
    assert "c2s" in ax.get_title()  # the client sent the bulk
    lo, hi = ax.get_xlim()
    assert lo < 2.98 and hi > 2.99 and hi - lo < 0.02


def test_unknown_connection() -> None:
    with pytest.raises(ValueError, match="connection 99"):
        tp.time_sequence(pd.DataFrame(segments(BULK)), 99)


def test_rtt(tmp_path: Path) -> None:
    rows = [r for r in segments(BULK) if r["conn"] == 0]
    ax = tp.rtt(pd.DataFrame(rows), 0)
    samples = [r["ack_rtt"] for r in rows if r["ack_rtt"] is not None]
    drawn = [y for ln in ax.get_lines() for y in ln.get_ydata()]
    assert sorted(drawn) == pytest.approx(sorted(s * 1e3 for s in samples))
    saved(ax, tmp_path, "rtt")


@pytest.mark.parametrize("lab", ["syn-sent-timeout", "fin-wait1-retries"])
def test_backoff(tmp_path: Path, lab: str) -> None:
    conn = flows(LAB / lab / "capture.pcap")[0]
    ax = tp.backoff(conn)
    longest = max(conn["trains"], key=lambda t: len(t["frames"]))
    heights = [p.get_height() for p in ax.patches]
    sends = longest["ts_ns"]
    assert heights == pytest.approx([(b - a) / 1e9 for a, b in zip(sends, sends[1:])], abs=1e-9)
    assert ax.get_yscale() == "log"
    assert longest["verdict"] in ax.get_title()
    saved(ax, tmp_path, f"backoff-{lab}")


@pytest.mark.parametrize("lab", ["fin-wait1-retries", "simultaneous-close", "syn-sent-timeout"])
def test_states(tmp_path: Path, lab: str) -> None:
    conn = flows(LAB / lab / "capture.pcap")[0]
    ax = tp.states(conn)
    n = len(conn["states"]["client"]) + len(conn["states"]["server"])
    assert len(ax.patches) == n
    legend = {t.get_text() for t in ax.get_legend().get_texts()}
    assert legend == {s["state"] for side in conn["states"].values() for s in side}
    saved(ax, tmp_path, f"states-{lab}")

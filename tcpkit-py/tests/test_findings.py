"""``Analysis.findings`` and ``Analysis.listeners``: typed values from the core's
report schema, checked against the lab's manifests (what the kernel counted, what
the capture shows), and the same words as ``tcpkit report``."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import LAB, LAB_CAPTURES, lab_id

import tcpkit

pa = pytest.importorskip("pyarrow")


def lab(name: str) -> tuple[tcpkit.Analysis, dict[str, Any]]:
    d = LAB / name
    return tcpkit.analyze(d / "capture.pcap"), json.loads((d / "manifest.json").read_text())


def fact(m: dict[str, Any], key: str) -> Any:
    return m["facts"][key]["value"]


def server(m: dict[str, Any]) -> dict[str, Any]:
    s = m["topology"]["server"]
    return {"ip": s["addr"], "port": s["port"]}


def nstat(m: dict[str, Any], key: str) -> int:
    delta: int = m["ss_summary"]["per_ns"]["server"]["nstat"][key]["delta"]
    return delta


def one(a: tcpkit.Analysis, code: str) -> tcpkit.Finding:
    found = [f for f in a.findings if f.code == code]
    assert len(found) == 1, a.findings
    return found[0]


def test_syn_flood() -> None:
    a, m = lab("syn-flood-small-backlog")
    f = one(a, "syn_flood")
    assert f.listener is not None and f.listener.to_dict() == server(m)
    assert f.attempts == fact(m, "distinct_client_ports") == 300
    assert f.answered == fact(m, "streams_answered_with_synack")
    # The client drops every SYN-ACK (iptables), so no handshake completes.
    assert f.established == 0
    assert f.unanswered == fact(m, "streams") - fact(m, "streams_answered_with_synack")
    # ss's SYN-RECV peak; the kernel dropped the others (ListenDrops).
    assert f.max_half_open == fact(m, "server_max_simultaneous_by_state")["SYN-RECV"]
    assert f.unanswered == nstat(m, "TcpExtListenDrops")
    assert f.cookie_answers == nstat(m, "TcpExtSyncookiesSent") == 0
    # Only this code's numbers are set.
    assert set(f.params) == {
        "listener",
        "attempts",
        "answered",
        "established",
        "max_half_open",
        "unanswered",
        "cookie_answers",
    }
    assert f.waiting is None and f.first_conn is None
    (listener,) = a.listeners
    assert (listener.ip, listener.port) == (server(m)["ip"], server(m)["port"])
    assert listener.findings == ["syn_flood"]
    assert listener.clients == fact(m, "distinct_client_ports")
    assert listener.syns == fact(m, "syns_seen")


def test_syn_cookies() -> None:
    a, m = lab("syn-cookies")
    f = one(a, "syn_cookies")
    assert f.listener is not None and f.listener.to_dict() == server(m)
    assert f.cookie_answers == nstat(m, "TcpExtSyncookiesSent")
    assert f.cookies_completed == nstat(m, "TcpExtSyncookiesRecv")
    assert f.max_half_open == fact(m, "server_max_simultaneous_by_state")["SYN-RECV"]
    assert f.cookie_answers + f.queued_answers == fact(m, "streams_answered_with_synack")
    (listener,) = a.listeners
    assert len(listener.cookie_connections) == nstat(m, "TcpExtSyncookiesSent")
    assert listener.findings == ["syn_flood", "syn_cookies"]


def test_accept_queue_overflow() -> None:
    a, m = lab("accept-queue-overflow")
    f = one(a, "accept_queue_overflow")
    assert f.listener is not None and f.listener.to_dict() == server(m)
    assert f.unanswered == len(fact(m, "server_capture_unanswered_stream")) == 1
    # The application never accepts: every completed handshake waits.
    assert f.waiting == fact(m, "server_capture_handshakes_complete")
    backlog = next(e["backlog"] for e in m["app_events"] if e["event"] == "listening-no-accept")
    assert f.backlog == backlog == fact(m, "server_listeners")["0.0.0.0:9527"]["sendq_backlog"]
    (listener,) = a.listeners
    assert listener.backlog_estimate == backlog


def test_refused_port() -> None:
    a, m = lab("rst-refused-and-abort")
    f = one(a, "refusing")
    ip, port = fact(m, "stream0_client_server").split(" -> ")[1].rsplit(":", 1)
    assert f.listener is not None and (f.listener.ip, f.listener.port) == (ip, int(port))
    assert fact(m, "stream0_first_fin_or_rst") == "server RST,ACK"
    assert f.refused == 1
    assert f"port {port}" in f.text


def test_zero_window() -> None:
    a, m = lab("zero-window")
    f = one(a, "zero_window")
    assert f.count == fact(m, "zero_window_episode")["zero_window_frames"]
    # The server paused its reads: it advertised the zero window.
    assert any(e["role"] == "server" and e["event"] == "pausing-reads" for e in m["app_events"])
    assert f.side == "server"
    assert f.endpoint is not None and f.endpoint.to_dict() == server(m)
    # One connection in the lab, so one advertiser on one connection.
    assert (f.first_conn, f.connections) == (0, 1)


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_findings_as_the_report_prints_them(capture: Path, tcpkit_bin: Path) -> None:
    """The words are the core's: each finding's ``text`` is its line of ``tcpkit
    report``, and the values are those of ``report --json``; the Arrow tables hold
    the same rows."""
    a = tcpkit.analyze(capture)
    text = subprocess.run([tcpkit_bin, "report", capture], capture_output=True, text=True, check=True).stdout
    lines = text[text.rindex("\nFindings:") :].splitlines()[1:]
    assert [f"  {f.code}: {f.text}" for f in a.findings] == [ln for ln in lines if ln.startswith("  ")]
    report = json.loads(
        subprocess.run([tcpkit_bin, "report", "--json", capture], capture_output=True, text=True, check=True).stdout
    )
    assert [{k: v for k, v in f.to_dict().items() if v is not None} for f in a.findings] == report["findings"]
    assert [lst.to_dict() for lst in a.listeners] == report["listeners"]
    rows = pa.table(a.findings_table).to_pylist()
    assert [{k: v for k, v in r.items() if v is not None} for r in rows] == report["findings"]
    assert pa.table(a.listeners_table).to_pylist() == report["listeners"]


def test_findings_in_the_notebook_view() -> None:
    a, _ = lab("syn-flood-small-backlog")
    html = a._repr_html_()
    assert "<b>syn_flood</b>" in html
    assert a.findings[0]._repr_html_().startswith("<p><b>syn_flood</b>")
    assert "<table>" in a[0]._repr_html_()

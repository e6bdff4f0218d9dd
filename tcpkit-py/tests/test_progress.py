"""The progress bar: tqdm when installed, plain text otherwise, off by default outside notebooks."""

from __future__ import annotations

import builtins
import io

import pytest

from tcpkit import _progress


def test_plain_bar_counts_and_ends_with_a_newline() -> None:
    out = io.StringIO()
    bar = _progress.PlainBar(2_000_000, "x.pcap", out)
    bar(500_000)
    bar(2_000_000)  # within 0.1 s: not redrawn
    bar.close()
    text = out.getvalue()
    assert text.startswith("\rx.pcap:  25% 0.5/2.0 MB")
    assert text.endswith("\rx.pcap: 100% 2.0/2.0 MB\n")


def test_plain_bar_without_total() -> None:
    out = io.StringIO()
    bar = _progress.PlainBar(None, "-", out)
    bar(3_000_000)
    bar.close()
    assert out.getvalue().endswith("-: 3.0 MB\n")


def test_default_is_off_outside_a_notebook() -> None:
    cb, close = _progress.make(None, 1 << 30, "big.pcap")
    assert cb is None
    close()


def test_true_uses_tqdm_when_installed() -> None:
    pytest.importorskip("tqdm")
    cb, close = _progress.make(True, 100, "x")
    assert isinstance(cb, _progress.TqdmBar)
    cb(60)
    assert cb.bar.n == 60
    close()


def test_true_without_tqdm_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    real = builtins.__import__

    def no_tqdm(name: str, *args, **kwargs):  # type: ignore[no-untyped-def]
        if name.startswith("tqdm"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tqdm)
    cb, close = _progress.make(True, 100, "x")
    assert isinstance(cb, _progress.PlainBar)
    close()


def test_a_callable_is_called_as_is() -> None:
    seen: list[int] = []
    cb, _ = _progress.make(seen.append, None, "x")
    assert cb is not None
    cb(7)
    assert seen == [7]

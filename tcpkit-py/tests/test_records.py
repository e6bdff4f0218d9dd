"""The typed record classes (``tcpkit._records``) are generated from the core's
column declarations and cannot drift from them: the committed file is what the
generator writes from the built extension's schema, and every connection's,
listener's and finding's values have exactly the declared attributes, of the
declared Python types."""

from __future__ import annotations

import subprocess
import sys
import types
import typing
from pathlib import Path
from typing import Any

import pytest
from conftest import LAB_CAPTURES, lab_id

import tcpkit
from tcpkit import _records
from tcpkit._record import Record
from tcpkit._tcpkit import _schema

GEN = Path(__file__).resolve().parents[1] / "scripts" / "gen_records.py"


def test_the_generated_file_is_up_to_date() -> None:
    r = subprocess.run([sys.executable, str(GEN), "--check"], capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr


def fields(cls: type[Record]) -> dict[str, Any]:
    """The declared attributes of a record class (not ``Record``'s own)."""
    hints = typing.get_type_hints(cls, vars(_records))
    return {k: v for k, v in hints.items() if not k.startswith("_")}


def check(value: Any, hint: Any, where: str) -> None:
    """``value`` is of the type ``hint`` (as the generator writes them)."""
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            assert type(None) in args, where
            return
        (hint,) = [a for a in args if a is not type(None)]
        origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is list:
        assert isinstance(value, list), where
        for i, v in enumerate(value):
            check(v, args[0], f"{where}[{i}]")
    elif isinstance(hint, type) and issubclass(hint, Record):
        assert isinstance(value, hint), f"{where}: {type(value).__name__}, not {hint.__name__}"
        hints = fields(hint)
        assert set(value) == set(hints), f"{where}: {sorted(set(value) ^ set(hints))}"
        for k, h in hints.items():
            check(getattr(value, k), h, f"{where}.{k}")
    elif hint is int:
        assert isinstance(value, int) and not isinstance(value, bool), where
    else:
        assert isinstance(value, hint), f"{where}: {value!r} is not {hint}"


@pytest.mark.parametrize("capture", LAB_CAPTURES, ids=lab_id)
def test_values_have_the_declared_types(capture: Path) -> None:
    a = tcpkit.analyze(capture)
    for c in a:
        check(c, _records.ConnectionFields, f"conn {c.conn}")
        assert isinstance(c, _records.ConnectionFields)
    for f in a.findings:
        check(f, _records.FindingFields, f.code)
    for listener in a.listeners:
        check(listener, _records.Listener, "listener")


def test_without_stories_the_story_fields_are_none() -> None:
    a = tcpkit.analyze(LAB_CAPTURES[0], story=False)
    c = a[0]
    check(c, _records.ConnectionFields, "conn 0")
    assert c.trains is None and c.close is None and c.states is None
    assert "<table>" in c._repr_html_()


def test_classes_follow_the_schema() -> None:
    """Each row's declared fields are the class's attributes, in order."""
    for row, cls in (
        ("connection", _records.ConnectionFields),
        ("listener", _records.Listener),
        ("finding", _records.FindingFields),
    ):
        declared = [c[0] for c in _schema(row)[5]]
        assert list(fields(cls)) == declared, row

"""The base of the typed record classes (``tcpkit._records``): a struct of the
core's schema, its fields as attributes and as keys."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

__all__ = ["Record"]


class Record(Mapping[str, Any]):
    """A struct of the schema: fields as attributes (``c.handshake.irtt``) and as keys
    (``c["handshake"]["irtt"]``). Times are integer nanoseconds, as in the core; a
    field the value's kind lacks (a note's numbers of another code) is None."""

    __slots__ = ("_d",)

    # Field name -> the record class of its values (a struct, or a list of structs).
    _kinds: ClassVar[dict[str, type[Record]]] = {}

    def __init__(self, d: Mapping[str, Any]) -> None:
        self._d = d

    def _value(self, key: str) -> Any:
        v = self._d[key]
        kind = self._kinds.get(key)
        if kind is None or v is None:
            return v
        if isinstance(v, list):
            return [kind(x) for x in v]
        return kind(v)

    def __getitem__(self, key: str) -> Any:
        return self._value(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._d)

    def __len__(self) -> int:
        return len(self._d)

    def __getattr__(self, name: str) -> Any:
        try:
            return self._value(name)
        except KeyError:
            raise AttributeError(name) from None

    def __dir__(self) -> list[str]:
        return list(self._d)

    def to_dict(self) -> dict[str, Any]:
        """The plain nested dict (lists, dicts, ints, strings)."""
        return dict(self._d)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._d!r})"

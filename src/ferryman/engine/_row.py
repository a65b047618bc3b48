"""Rows: named tuples built once per column set, and mapping views of them.

A result's rows share one ``Row`` subclass made for its column names (and
cached by them), so building a row is a single C-level tuple construction
and ``row.name`` is a property lookup, as with ``collections.namedtuple``.
Names that are not identifiers, or that start with ``_``, are still reached
through ``row._mapping``.
"""

from __future__ import annotations

import keyword
from collections.abc import Iterator, Mapping, Sequence
from operator import itemgetter
from typing import Any

from .. import exc

__all__ = ["ResultKeys", "Row", "RowMapping", "row_class"]


class Row(tuple[Any, ...]):
    """A result row: a tuple whose values are also reachable by column name.

    ``row.name``, ``row[0]``, ``row._mapping["name"]``, ``row._asdict()``,
    ``row._fields``, ``row._t`` (the plain tuple). Rows compare and hash as
    tuples.
    """

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _index: dict[str, int] = {}

    @property
    def _mapping(self) -> RowMapping:
        return RowMapping(self)

    @property
    def _t(self) -> tuple[Any, ...]:
        return tuple(self)

    def _tuple(self) -> tuple[Any, ...]:
        return tuple(self)

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))

    def __getattr__(self, name: str) -> Any:
        raise AttributeError(f"Row has no column {name!r}; its columns are {list(self._fields)}")

    def __repr__(self) -> str:
        return repr(tuple(self))

    def __reduce__(self) -> Any:
        return (_rebuild, (self._fields, tuple(self)))


def _rebuild(fields: tuple[str, ...], values: tuple[Any, ...]) -> Row:
    return row_class(fields)(values)


def _ambiguous(name: str) -> property:
    def get(row: Row) -> Any:
        raise exc.InvalidRequestError(
            f"Ambiguous column name {name!r} in result set: more than one column has it; "
            "give the columns distinct labels (SELECT a.id AS a_id, ...) or use the row's index"
        )

    return property(get)


_CLASSES: dict[tuple[str, ...], type[Row]] = {}


def row_class(fields: tuple[str, ...]) -> type[Row]:
    """The ``Row`` subclass for these column names (made once, then cached)."""
    cls = _CLASSES.get(fields)
    if cls is not None:
        return cls
    index: dict[str, int] = {}
    namespace: dict[str, Any] = {"__slots__": (), "_fields": fields, "_index": index}
    duplicates = set()
    for position, name in enumerate(fields):
        if name in index:
            duplicates.add(name)
            continue
        index[name] = position
    for name, position in index.items():
        if name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_"):
            namespace[name] = (
                _ambiguous(name) if name in duplicates else property(itemgetter(position))
            )
    for name in duplicates:
        index[name] = -1
    cls = type("Row", (Row,), namespace)
    cls.__module__ = "ferryman.engine"
    if len(_CLASSES) < 10_000:
        _CLASSES[fields] = cls
    return cls


class RowMapping(Mapping[str, Any]):
    """A read-only mapping view of a row: ``mapping["name"]``, ``dict(mapping)``."""

    __slots__ = ("_row",)

    def __init__(self, row: Row) -> None:
        self._row = row

    def __getitem__(self, key: str) -> Any:
        try:
            position = self._row._index[key]
        except (KeyError, TypeError):
            if isinstance(key, int):
                return self._row[key]
            raise KeyError(
                f"{key!r}: the row has no such column; its columns are {list(self._row._fields)}"
            ) from None
        if position < 0:
            return getattr(self._row, key)  # raises the ambiguity error
        return self._row[position]

    def __iter__(self) -> Iterator[str]:
        return iter(self._row._index)

    def __len__(self) -> int:
        return len(self._row._index)

    def __contains__(self, key: object) -> bool:
        return key in self._row._index

    def __hash__(self) -> int:
        return hash(self._row)

    def __repr__(self) -> str:
        return repr(dict(self))


class ResultKeys(Sequence[str]):
    """The column names of a result; compares equal to a list or tuple of names."""

    __slots__ = ("_keys",)

    def __init__(self, keys: tuple[str, ...]) -> None:
        self._keys = keys

    def __getitem__(self, index: Any) -> Any:
        return self._keys[index]

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __eq__(self, other: object) -> bool:
        if isinstance(other, ResultKeys):
            return self._keys == other._keys
        if isinstance(other, (list, tuple)):
            return list(self._keys) == list(other)
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self._keys)

    def __repr__(self) -> str:
        return f"ResultKeys({list(self._keys)!r})"

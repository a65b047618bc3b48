"""Rows: named tuples built once per column set, and mapping views of them.

A result's rows share one ``Row`` subclass made for its column names (and
cached by them), so building a row is a single C-level tuple construction
and ``row.name`` is a property lookup, as with ``collections.namedtuple``.
Names that are not identifiers, or that start with ``_``, are still reached
through ``row._mapping``.

``Row`` itself holds only behaviour; the concrete classes add it to a
sequence type. Usually that is ``tuple``; a driver whose own records behave
as tuples (asyncpg's ``Record``) can have its rows built directly as
``Row`` classes over its record type (``row_class(keys, base=Record)``), so
that no row is copied at all.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .. import exc

__all__ = ["ResultKeys", "Row", "RowMapping", "row_class"]


class Row:
    """A result row: a tuple whose values are also reachable by column name.

    ``row.name``, ``row[0]``, ``row._mapping["name"]``, ``row._asdict()``,
    ``row._fields``, ``row._t`` (the plain tuple). Rows compare and hash as
    tuples; ``value in row`` looks among the values.
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

    def __contains__(self, value: object) -> bool:
        return value in tuple(self)

    if TYPE_CHECKING:  # what the sequence base class provides

        def __getitem__(self, index: Any) -> Any: ...
        def __iter__(self) -> Iterator[Any]: ...
        def __len__(self) -> int: ...


def _rebuild(fields: tuple[str, ...], values: tuple[Any, ...]) -> Row:
    return row_class(fields)(values)


def _ambiguous(name: str) -> property:
    def get(row: Row) -> Any:
        raise exc.InvalidRequestError(
            f"Ambiguous column name {name!r} in result set: more than one column has it; "
            "give the columns distinct labels (SELECT a.id AS a_id, ...) or use the row's index"
        )

    return property(get)


RowClass = Callable[[Iterable[Any]], Row]
ROW_CLASSES: dict[Any, RowClass] = {}  # by column names (and base, for driver records)


class _TupleRow(Row, tuple[Any, ...]):
    __slots__ = ()

    def __contains__(self, value: object) -> bool:
        return tuple.__contains__(self, value)


def row_class(fields: tuple[str, ...], base: type | None = None) -> RowClass:
    """The ``Row`` class for these column names over ``base`` (``tuple`` by default,
    or a driver's record type), made once and then cached."""
    key = fields if base is None else (fields, base)
    cls = ROW_CLASSES.get(key)
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
    bases = (_TupleRow,) if base is None else (Row, base)
    made = type("Row", bases, namespace)
    made.__module__ = "ferryman.engine"
    if len(ROW_CLASSES) < 10_000:
        ROW_CLASSES[key] = made
    return made


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

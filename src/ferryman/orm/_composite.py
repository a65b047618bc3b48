"""``composite()``: several columns seen as one value object.

::

    @dataclasses.dataclass
    class Point:
        x: int
        y: int

    class Vertex(Base):
        ...
        x1: Mapped[int]
        y1: Mapped[int]
        start = composite(Point, "x1", "y1")   # or composite(Point, x1, y1)

    vertex.start                                  # Point(x=1, y=2), from x1 and y1
    vertex.start = Point(3, 4)                    # sets x1 and y1
    select(Vertex).where(Vertex.start == Point(3, 4))

The value class is built from the columns in order; it is taken apart with its
``__composite_values__()`` if it has one, else as a dataclass (or any iterable).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from .. import exc
from ..sql._elements import and_, or_

__all__ = ["composite"]


def composite(value_class: Any, *attrs: Any) -> Composite:
    """The columns ``attrs`` (names, or the class body's ``mapped_column()`` objects)
    seen as one ``value_class`` object (see the module docstring)."""
    if not attrs:
        raise exc.ArgumentError("composite() takes the value class and its column attributes")
    return Composite(value_class, attrs)


class Composite:
    def __init__(self, value_class: Any, attrs: tuple[Any, ...]) -> None:
        self.value_class = value_class
        self._given = attrs
        self.keys: list[str] = []
        self.key = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.key = name
        self.owner = owner

    def _keys(self, owner: type) -> list[str]:
        if not self.keys:
            namespace = vars(owner)
            for given in self._given:
                if isinstance(given, str):
                    self.keys.append(given)
                    continue
                found = [k for k, v in namespace.items() if v is given]
                if not found:  # the class body's mapped_column(): instrumented since
                    made = getattr(given, "columns_made", None) or []
                    mapper = owner.__mapper__  # type: ignore[attr-defined]
                    found = [mapper.key_by_column[c] for c in made if c in mapper.key_by_column]
                if not found:
                    raise exc.ArgumentError(
                        f"{owner.__name__}.{self.key} = composite(...): {given!r} is not a "
                        f"column attribute of {owner.__name__}"
                    )
                self.keys.append(found[0])
            mapper = owner.__mapper__  # type: ignore[attr-defined]
            unknown = [k for k in self.keys if k not in mapper.column_keys]
            if unknown:
                raise exc.ArgumentError(
                    f"{owner.__name__}.{self.key} = composite(...): {owner.__name__} has no "
                    f"mapped column(s) {unknown}"
                )
        return self.keys

    def _values(self, value: Any) -> list[Any]:
        if hasattr(value, "__composite_values__"):
            values = list(value.__composite_values__())
        elif dataclasses.is_dataclass(value):
            values = [getattr(value, f.name) for f in dataclasses.fields(value)]
        else:
            values = list(value)
        if len(values) != len(self.keys):
            raise exc.ArgumentError(
                f"{self.key}: {value!r} gives {len(values)} values for {len(self.keys)} columns"
            )
        return values

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        owner = owner or type(obj)
        keys = self._keys(owner)
        if obj is None:
            return _Comparator(self, owner)
        values = [getattr(obj, k) for k in keys]
        if all(v is None for v in values):
            return None
        return self.value_class(*values)

    def __set__(self, obj: Any, value: Any) -> None:
        keys = self._keys(type(obj))
        values = [None] * len(keys) if value is None else self._values(value)
        for key, item in zip(keys, values, strict=True):
            setattr(obj, key, item)


class _Comparator:
    """``Vertex.start`` on the class: its columns, compared together."""

    def __init__(self, composite: Composite, owner: type) -> None:
        self.composite = composite
        self.owner = owner

    @property
    def columns(self) -> list[Any]:
        return [getattr(self.owner, k) for k in self.composite.keys]

    def __eq__(self, value: Any) -> Any:
        if value is None:
            return and_(*[c.is_(None) for c in self.columns])
        values = self.composite._values(value)
        return and_(*[c == v for c, v in zip(self.columns, values, strict=True)])

    def __ne__(self, value: Any) -> Any:
        if value is None:
            return or_(*[c.is_not(None) for c in self.columns])
        values = self.composite._values(value)
        return or_(*[c != v for c, v in zip(self.columns, values, strict=True)])

    __hash__ = None  # type: ignore[assignment]

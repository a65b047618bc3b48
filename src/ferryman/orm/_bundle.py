"""``Bundle``: several columns selected together, read back as one value.

::

    bundle = Bundle("names", User.name, User.fullname)
    for (names,) in session.execute(select(bundle)):
        names.name, names.fullname

A session query returns one ``Row`` (by the columns' names) per bundle; subclass
``Bundle`` and override ``make()`` for another shape.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import exc
from ..engine._row import row_class
from ..sql._elements import ColumnElement, coerce

__all__ = ["Bundle"]


class Bundle(ColumnElement):
    """Columns grouped under one name in an ORM ``select()`` (see the module
    docstring); ``bundle.c.name`` is one of its columns."""

    __slots__ = ("__dict__",)
    __visit_name__ = "bundle"

    def __init__(self, name: str, *exprs: Any, single_entity: bool = False) -> None:
        if not exprs:
            raise exc.ArgumentError(f"Bundle({name!r}) needs at least one column")
        self.name = name
        self.exprs = tuple(coerce(e) for e in exprs)
        self.keys = tuple(
            str(getattr(e, "key", None) or getattr(e, "name", None) or f"col{i}")
            for i, e in enumerate(exprs)
        )
        self.single_entity = single_entity
        self._row = row_class(self.keys)

    @property
    def c(self) -> Any:
        from types import SimpleNamespace

        return SimpleNamespace(**dict(zip(self.keys, self.exprs, strict=True)))

    columns = c

    def _orm_entity_key(self) -> Any:
        return ("bundle", type(self), self.name, self.keys)

    def _key(self, binds: list[Any]) -> Any:
        return ("bundle", type(self), self.name, tuple(e._key(binds) for e in self.exprs))

    def make(self, values: Sequence[Any]) -> Any:
        """What the query returns for one row's values of the bundle's columns."""
        return self._row(values)

    def _compiler_dispatch(self, compiler: Any, **kw: Any) -> str:
        raise exc.CompileError(
            f"Bundle {self.name!r} is read by a session: session.execute(select(bundle)) "
            "(a connection selects its columns: select(*bundle.exprs))"
        )

    def __repr__(self) -> str:
        return f"Bundle({self.name!r}, {', '.join(self.keys)})"

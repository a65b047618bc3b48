"""Derived FROM items: subqueries, aliases, CTEs, LATERAL, VALUES lists,
table-valued functions, and the ``excluded`` row of an upsert.

Each has its own columns (``.c``), ``DerivedColumn`` objects that render as
``name.column`` and remember the table column they carry, so that joins can
infer their ON clause through them.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ._elements import BindParameter, ColumnElement
from ._schema import Column, FromClause, Table
from ._types import NullType

__all__ = [
    "CTE",
    "Alias",
    "ColumnClause",
    "ColumnValued",
    "ColumnValuedColumn",
    "DerivedColumn",
    "Excluded",
    "Lateral",
    "Subquery",
    "TableValued",
    "Values",
    "column",
    "values",
]


class DerivedColumn(ColumnElement):
    """A column of a subquery, alias or CTE: ``subq.c.name``."""

    __slots__ = ("name", "source", "table", "type")
    __visit_name__ = "derived_column"

    def __init__(self, name: str, table: Any, type_: Any, source: Any = None) -> None:
        self.name = name
        self.table = table
        self.type = type_
        # The table column it carries, if any (for joins inferred from foreign keys).
        self.source = source

    def _key(self, binds: list[BindParameter]) -> Any:
        # The column's FROM may be implicit (only its columns are selected): its whole
        # structure, and its values, are part of the statement through its columns.
        return ("derived_column", self.name, self.table._key(binds))

    @property
    def key(self) -> str:
        return self.name


class _Derived(FromClause):
    """Rows from something else under a name: the base of subqueries, aliases, CTEs."""

    def __init__(self, element: Any, name: str | None) -> None:
        from ._schema import ColumnCollection

        self.element = element
        self.name = name
        self._token = object()  # identifies this FROM (and copies of it: a recursive CTE)
        self.c = self.columns = ColumnCollection()
        for column in _output_columns(element):
            source = column
            while not isinstance(source, Column) and hasattr(source, "element"):
                source = source.element  # a label of a column
            if not isinstance(source, Column):
                source = getattr(source, "source", None)  # a column of a subquery
            self.c._add(DerivedColumn(column.name, self, getattr(column, "type", None), source))

    def _identity(self) -> Any:
        return (type(self).__name__, self.name, id(self._token))

    def _key(self, binds: list[BindParameter]) -> Any:
        return (*self._identity(), self.element._key(binds))


def _output_columns(element: Any) -> list[Any]:
    """The named columns a statement or table produces."""
    if isinstance(element, Table):
        return list(element.c)
    if isinstance(element, _Derived):
        return list(element.c)
    if type(element).__name__ == "CompoundSelect":
        return _output_columns(element.selects[0])
    columns = []
    for column in element.selected_columns:
        name = getattr(column, "name", None)
        if not isinstance(name, str):
            raise exc.ArgumentError(
                f"A subquery column needs a name: give {column} a .label('name')"
            )
        columns.append(column)
    return columns


class Subquery(_Derived):
    """``(SELECT ...) AS name``: from ``select(...).subquery()``."""

    __visit_name__ = "subquery"


class Alias(_Derived):
    """``table AS name``: from ``table.alias()``, to use one table twice."""

    __visit_name__ = "alias"


class TableValued(_Derived):
    """A set-returning function as a FROM item: ``func.json_each(t.c.doc).table_valued(
    "key", "value")``; its columns are ``.c.key`` and ``.c.value``."""

    __visit_name__ = "table_valued"

    def __init__(self, function: Any, names: tuple[str, ...], name: str | None) -> None:
        from ._schema import ColumnCollection

        if not names or not all(isinstance(n, str) and n for n in names):
            raise exc.ArgumentError("table_valued() needs the names of the function's columns")
        self.element = function
        self.name = name
        self._token = object()
        self.c = self.columns = ColumnCollection()
        for column_name in names:
            self.c._add(DerivedColumn(column_name, self, NullType()))

    def _key(self, binds: list[BindParameter]) -> Any:
        return (*self._identity(), tuple(self.c.keys()), self.element._key(binds))


class ColumnValued(_Derived):
    """A set-returning function used as a single column (``SELECT v FROM f(...) AS v``):
    from ``func.json_array_elements_text(doc).column_valued("v")``."""

    __visit_name__ = "column_valued"

    def __init__(self, function: Any, name: str | None) -> None:
        from ._schema import ColumnCollection

        self.element = function
        self.name = name
        self._token = object()
        self.c = self.columns = ColumnCollection()
        self.column = ColumnValuedColumn(name or "value", self, function.type)

    def _key(self, binds: list[BindParameter]) -> Any:
        return (*self._identity(), self.element._key(binds))


class ColumnValuedColumn(DerivedColumn):
    """The value column of a ``ColumnValued`` FROM item."""

    __slots__ = ()
    __visit_name__ = "column_valued_column"


class Lateral(Subquery):
    """``LATERAL (SELECT ...) AS name``: a subquery that may refer to the FROM items
    before it (PostgreSQL). From ``select(...).lateral()``."""

    __visit_name__ = "lateral"


class ColumnClause(ColumnElement):
    """A named column with no table: ``column("id", Integer)`` (for ``values()``)."""

    __slots__ = ("name", "table", "type")
    __visit_name__ = "column_clause"

    def __init__(self, name: str, type_: Any = None) -> None:
        from ._types import to_instance

        self.name = name
        self.table = None
        self.type = to_instance(type_)

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("column_clause", self.name, self.type._key())


def column(name: str, type_: Any = None) -> ColumnClause:
    return ColumnClause(name, type_)


class Values(_Derived):
    """Literal rows as a FROM item: ``values(column("id", Integer), column("name",
    String), name="v").data([(1, "a"), (2, "b")])``. Every value is a bound parameter."""

    __visit_name__ = "values"

    def __init__(self, *columns: ColumnClause, name: str | None = None) -> None:
        from ._schema import ColumnCollection

        if not columns or not all(isinstance(c, ColumnClause) for c in columns):
            raise exc.ArgumentError("values() takes column('name', Type) objects")
        self.element = None
        self.name = name
        self._token = object()
        self._columns = columns
        self._rows: tuple[tuple[BindParameter, ...], ...] = ()
        self.c = self.columns = ColumnCollection()
        for col in columns:
            self.c._add(DerivedColumn(col.name, self, col.type))

    def data(self, rows: Any) -> Values:
        new = Values(*self._columns, name=self.name)
        new._token = self._token
        width = len(self._columns)
        made = []
        for row in rows:
            if len(row) != width:
                raise exc.ArgumentError(f"values() rows need {width} values, got {row!r}")
            made.append(
                tuple(
                    BindParameter(None, v, c.type) for v, c in zip(row, self._columns, strict=True)
                )
            )
        if not made:
            raise exc.ArgumentError("values().data() needs at least one row")
        new._rows = tuple(made)
        return new

    def _key(self, binds: list[BindParameter]) -> Any:
        rows = tuple(tuple(v._key(binds) for v in row) for row in self._rows)
        return ("values", self.name, id(self._token), tuple(self.c.keys()), rows)


def values(*columns: ColumnClause, name: str | None = None) -> Values:
    return Values(*columns, name=name)


class Excluded(Alias):
    """``excluded``: the row an ``INSERT ... ON CONFLICT DO UPDATE`` proposed."""

    def __init__(self, table: Any) -> None:
        super().__init__(table, "excluded")

    def _identity(self) -> Any:
        return ("excluded", self.element)

    def _key(self, binds: list[BindParameter]) -> Any:
        return self._identity()


class CTE(_Derived):
    """``WITH name AS (SELECT ...)``: from ``select(...).cte()``; ``recursive=True`` and
    ``cte.union_all(select(...))`` for a recursive one."""

    __visit_name__ = "cte"

    def __init__(self, element: Any, name: str | None, recursive: bool = False) -> None:
        super().__init__(element, name)
        self.recursive = recursive

    def _key(self, binds: list[BindParameter]) -> Any:
        return (*self._identity(), self.recursive, self.element._key(binds))

    def _compound(self, keyword: str, other: Any) -> CTE:
        from ._selectable import CompoundSelect

        new = CTE(CompoundSelect(keyword, [self.element, other]), self.name, self.recursive)
        new._token = self._token  # the same CTE: the recursive part refers to it by name
        return new

    def union_all(self, other: Any) -> CTE:
        return self._compound("UNION ALL", other)

    def union(self, other: Any) -> CTE:
        return self._compound("UNION", other)

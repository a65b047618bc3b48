"""One INSERT for any number of rows on PostgreSQL: ``unnest`` over one array per
column.

``INSERT INTO t (a, b) SELECT u.a, u.b FROM unnest($1::T[], $2::U[]) WITH
ORDINALITY AS u(a, b, ord) ORDER BY u.ord RETURNING ...`` has the same text
whatever the row count, so the driver prepares it once, and its parameters are
one array per column (no limit on rows from the 32,767-parameter cap). The
``ORDER BY`` makes the rows go in, and take their sequence values, in the
given order. The unit of work uses it for batches of new objects, and an
``UPDATE ... FROM unnest(...)`` for batches of changed ones.
"""

from __future__ import annotations

from typing import Any

from ...sql._elements import BindParameter, ClauseElement
from ...sql._types import NullType

__all__ = ["UnnestInsert", "UnnestUpdate", "unnest_ddl"]


def unnest_ddl(column: Any) -> str | None:
    """The array element type to cast a column's values to, or None when unnest
    can't carry them (array columns: unnest would flatten them)."""
    type_ = column.type
    if getattr(type_, "item_type", None) is not None:
        return None
    try:
        return str(type_.ddl("postgresql"))
    except Exception:
        return None


class UnnestInsert(ClauseElement):
    """See the module docstring. ``arrays``: one list of values per column, already
    converted for the driver (the binds carry no type)."""

    __visit_name__ = "unnest_insert"

    def __init__(
        self,
        table: Any,
        columns: list[Any],
        casts: list[str],
        arrays: list[list[Any]],
        returning: list[Any],
    ) -> None:
        self.table = table
        self.columns = columns
        self.casts = casts
        self.returning = returning
        self.binds = [BindParameter(None, values, NullType()) for values in arrays]

    def _key(self, binds: list[BindParameter]) -> Any:
        binds.extend(self.binds)
        return ("unnest_insert", self.table, tuple(self.columns), tuple(self.returning))


class UnnestUpdate(ClauseElement):
    """``UPDATE t SET a = u.v0 ... FROM unnest(...) AS u(v0, ..., k0) WHERE t.id = u.k0``:
    many rows, each with its own values, in one statement of fixed text. ``arrays``:
    the new values per column, then the key values per key column."""

    __visit_name__ = "unnest_update"

    def __init__(
        self,
        table: Any,
        columns: list[Any],
        keys: list[Any],
        casts: list[str],
        arrays: list[list[Any]],
    ) -> None:
        self.table = table
        self.columns = columns
        self.keys = keys
        self.casts = casts
        self.binds = [BindParameter(None, values, NullType()) for values in arrays]

    def _key(self, binds: list[BindParameter]) -> Any:
        binds.extend(self.binds)
        return ("unnest_update", self.table, tuple(self.columns), tuple(self.keys))

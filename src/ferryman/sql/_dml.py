"""``insert()``, ``update()``, ``delete()``.

Values given with ``.values()`` become bound parameters in the statement.
Without ``.values()``, the columns come from the parameters passed to
``execute()`` (``conn.execute(insert(t), [{"a": 1}, {"a": 2}])`` is an
executemany), so the engine's cache key includes those parameter names.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ._elements import BindParameter, ClauseElement, coerce
from ._schema import Column, Table

__all__ = [
    "Delete",
    "Insert",
    "Update",
    "UpsertInsert",
    "delete",
    "insert",
    "update",
    "upsert_insert",
]


class _DML(ClauseElement):
    _uses_parameter_names = True  # the parameters' names shape the SQL
    # the mapped class given instead of a table (update(User)): the session then keeps
    # its objects in step (see AsyncSession.execute)
    _entity: Any = None
    _returning_entity: Any = None  # returning(User): the session returns objects
    _execution_options: dict[str, Any] = {}  # never changed in place: replaced

    def __init__(self, table: Any) -> None:
        if not isinstance(table, Table) and hasattr(table, "__clause_element__"):
            if hasattr(table, "__mapper__"):
                self._entity = table
            table = table.__clause_element__()  # a mapped class: its table
        if not isinstance(table, Table):
            raise exc.ArgumentError(
                f"{type(self).__name__.lower()}() takes a Table, not {table!r}"
            )
        self.table = table
        self._values: tuple[tuple[Column, ClauseElement], ...] = ()
        self._multi: tuple[tuple[tuple[Column, ClauseElement], ...], ...] = ()
        self._where: tuple[ClauseElement, ...] = ()
        self._returning: tuple[Any, ...] = ()
        self._from_select: tuple[tuple[Column, ...], Any] | None = None

    def _copy(self, **changes: Any) -> Any:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        new.__dict__.pop("_memo", None)  # the copy has its own structure and binds
        return new

    def _column(self, key: Any) -> Column:
        if isinstance(key, Column):
            if key.table is not self.table:
                raise exc.ArgumentError(f"{key!r} is not a column of table {self.table.name!r}")
            return key
        if key not in self.table.c:
            raise exc.ArgumentError(
                f"Table {self.table.name!r} has no column {key!r}; its columns are "
                f"{self.table.c.keys()}"
            )
        return self.table.c[key]

    def _pairs(self, values: dict[Any, Any]) -> tuple[tuple[Column, ClauseElement], ...]:
        pairs = []
        for key, value in values.items():
            column = self._column(key)
            pairs.append((column, coerce(value, column.type)))
        return tuple(pairs)

    def values(self, *args: Any, **kwargs: Any) -> Any:
        """``values(name="x")``, ``values({"name": "x"})``, or a list of dicts (one
        multi-row INSERT)."""
        if (
            args
            and isinstance(args[0], (list, tuple))
            and args[0]
            and isinstance(args[0][0], dict)
        ):
            if not isinstance(self, Insert):
                raise exc.ArgumentError("Only insert() takes several rows in values()")
            rows = tuple(self._pairs(row) for row in args[0])
            names = {tuple(c.name for c, _ in row) for row in rows}
            if len(names) > 1:
                raise exc.ArgumentError("Every row given to values() needs the same keys")
            return self._copy(_multi=rows, _values=())
        values: dict[Any, Any] = {}
        for arg in args:
            if not isinstance(arg, dict):
                raise exc.ArgumentError(f"values() takes a dict or keyword arguments, not {arg!r}")
            values.update(arg)
        values.update(kwargs)
        merged = dict(self._values)
        merged.update(self._pairs(values))
        return self._copy(_values=tuple(merged.items()))

    def ordered_values(self, *pairs: tuple[Any, Any]) -> Any:
        """``values()`` in this order: ``ordered_values((t.c.b, 1), (t.c.a, 2))``."""
        values: dict[Any, Any] = {}
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise exc.ArgumentError(
                    f"ordered_values() takes (column, value) pairs, not {pair!r}"
                )
            values[pair[0]] = pair[1]
        return self.values(values)

    def from_select(self, names: Any, select: Any) -> Any:
        """``INSERT INTO t (a, b) SELECT ...``."""
        if not isinstance(self, Insert):
            raise exc.ArgumentError("Only insert() has from_select()")
        columns = tuple(self._column(name) for name in names)
        if len(columns) != len(select.selected_columns):
            raise exc.ArgumentError(
                f"from_select() names {len(columns)} columns but the select() has "
                f"{len(select.selected_columns)}"
            )
        return self._copy(_from_select=(columns, select))

    def where(self, *conditions: Any) -> Any:
        if isinstance(self, Insert):
            raise exc.ArgumentError("insert() has no WHERE clause")
        return self._copy(_where=self._where + tuple(coerce(c) for c in conditions))

    filter = where

    def returning(self, *columns: Any) -> Any:
        """Rows back from the statement (``RETURNING``), on PostgreSQL and SQLite ≥ 3.35
        (and for INSERT / DELETE on MariaDB ≥ 10.5). ``returning(User)`` of a mapped
        class, run by a session, gives ``User`` objects."""
        expanded: list[Any] = []
        entity = None
        for column in columns:
            if hasattr(column, "__mapper__"):
                if len(columns) != 1 or self._returning:
                    raise exc.ArgumentError(
                        f"returning({column.__name__}) takes the class alone: its objects "
                        "come back (or give columns: returning(User.id, User.name))"
                    )
                entity = column
                expanded.extend(column.__table__.c)
            else:
                expanded.extend(column.c if isinstance(column, Table) else [column])
        returned = self._returning + tuple(coerce(c) for c in expanded)
        if entity is not None:
            return self._copy(_returning=returned, _returning_entity=entity)
        return self._copy(_returning=returned)

    def execution_options(self, **options: Any) -> Any:
        """Options for the run, such as ``synchronize_session`` for a session."""
        return self._copy(_execution_options={**self._execution_options, **options})

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            type(self).__name__,
            self.table,
            tuple((c, v._key(binds)) for c, v in self._values),
            tuple(tuple((c, v._key(binds)) for c, v in row) for row in self._multi),
            tuple(w._key(binds) for w in self._where),
            tuple(r._key(binds) for r in self._returning),
            (self._from_select[0], self._from_select[1]._key(binds))
            if self._from_select is not None
            else None,
        )


class Insert(_DML):
    __visit_name__ = "insert"


class Update(_DML):
    __visit_name__ = "update"


class Delete(_DML):
    __visit_name__ = "delete"
    _uses_parameter_names = False


def insert(table: Any) -> Insert:
    return Insert(table)


def update(table: Any) -> Update:
    return Update(table)


def delete(table: Any) -> Delete:
    return Delete(table)


class UpsertInsert(Insert):
    """``INSERT ... ON CONFLICT`` (PostgreSQL, SQLite): what to do when the row exists.

    Made by ``ferryman.dialects.postgresql.insert`` / ``ferryman.dialects.sqlite.insert``.
    """

    def __init__(self, table: Any) -> None:
        super().__init__(table)
        self._on_conflict: tuple[Any, ...] | None = None

    @property
    def excluded(self) -> Any:
        """The row that was proposed for insertion: ``stmt.excluded.name``."""
        from ._derived import Excluded

        return Excluded(self.table).c

    def _target(self, index_elements: Any, constraint: Any) -> tuple[Any, ...]:
        if constraint is not None:
            name = constraint if isinstance(constraint, str) else getattr(constraint, "name", None)
            if not name:
                raise exc.ArgumentError("on_conflict constraint= takes a constraint name")
            return ("constraint", name)
        if index_elements is None:
            return ()
        return tuple(self._column(element).name for element in index_elements)

    def on_conflict_do_nothing(self, index_elements: Any = None, constraint: Any = None) -> Any:
        """``ON CONFLICT [(columns)] DO NOTHING``."""
        return self._copy(
            _on_conflict=("nothing", self._target(index_elements, constraint), (), None)
        )

    def on_conflict_do_update(
        self,
        index_elements: Any = None,
        constraint: Any = None,
        set_: Any = None,
        where: Any = None,
    ) -> Any:
        """``ON CONFLICT (columns) DO UPDATE SET ... [WHERE ...]``; ``set_`` maps columns
        to values or expressions such as ``stmt.excluded.name``."""
        if not set_:
            raise exc.ArgumentError("on_conflict_do_update() needs set_={column: value, ...}")
        if index_elements is None and constraint is None:
            raise exc.ArgumentError(
                "on_conflict_do_update() needs index_elements=[...] or constraint=... to say "
                "which conflict it handles"
            )
        pairs = self._pairs(dict(set_))
        condition = coerce(where) if where is not None else None
        target = self._target(index_elements, constraint)
        return self._copy(_on_conflict=("update", target, pairs, condition))

    def _key(self, binds: list[BindParameter]) -> Any:
        key = super()._key(binds)
        if self._on_conflict is None:
            return key
        action, target, pairs, condition = self._on_conflict
        extra = (
            action,
            target,
            tuple((c, v._key(binds)) for c, v in pairs),
            condition._key(binds) if condition is not None else None,
        )
        return (key, extra)


def upsert_insert(table: Any) -> UpsertInsert:
    """``insert(t).values(...).on_conflict_do_update(index_elements=[t.c.id],
    set_={"name": stmt.excluded.name})`` and ``on_conflict_do_nothing()``: the
    ``insert`` of ``ferryman.dialects.postgresql`` and ``ferryman.dialects.sqlite``."""
    return UpsertInsert(table)

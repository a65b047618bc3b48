"""``inspect(engine)`` / ``inspect(connection)``: what the database holds.

``Inspector`` reads the catalog through the dialect (``dialect.reflection``) on a
sync connection: the one given, or one of the engine's for each call. In async
code, inspect the sync connection that ``run_sync`` hands over::

    names = await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

from ..sql._reflect import catalog

__all__ = ["Inspector"]


class Inspector:
    """Tables, views, columns, keys and indexes of a database (plain dicts and lists,
    as SQLAlchemy's inspector gives them)."""

    def __init__(self, bind: Any) -> None:
        self.bind = bind
        self.dialect = bind.dialect
        self._catalog = catalog(bind)  # raises for a dialect without reflection

    @contextlib.contextmanager
    def _conn(self) -> Iterator[Any]:
        if hasattr(self.bind, "execute"):  # a connection: its transaction, as it is
            yield self.bind
        else:
            with self.bind.connect() as conn:
                yield conn

    def _read(self, what: Callable[..., Any], *args: Any) -> Any:
        with self._conn() as conn:
            return what(conn, *args)

    def get_table_names(self, schema: str | None = None) -> list[str]:
        """The tables' names, sorted."""
        return self._read(self._catalog.table_names, schema)  # type: ignore[no-any-return]

    def get_view_names(self, schema: str | None = None) -> list[str]:
        return self._read(self._catalog.view_names, schema)  # type: ignore[no-any-return]

    def has_table(self, table_name: str, schema: str | None = None) -> bool:
        return table_name in self.get_table_names(schema)

    def get_columns(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Per column: ``name``, ``type`` (a ferryman type), ``nullable``, ``default``
        (the SQL text, or None), ``autoincrement``, ``primary_key``;
        ``exc.NoSuchTableError`` for a table that is not there."""
        return self._read(self._catalog.columns, table_name, schema)  # type: ignore[no-any-return]

    def get_pk_constraint(self, table_name: str, schema: str | None = None) -> dict[str, Any]:
        """``{"name": ..., "constrained_columns": [...]}``."""
        return self._read(self._catalog.pk_constraint, table_name, schema)  # type: ignore[no-any-return]

    def get_foreign_keys(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Per foreign key: ``name``, ``constrained_columns``, ``referred_schema``,
        ``referred_table``, ``referred_columns``, ``options`` (``ondelete``,
        ``onupdate``)."""
        return self._read(self._catalog.foreign_keys, table_name, schema)  # type: ignore[no-any-return]

    def get_indexes(self, table_name: str, schema: str | None = None) -> list[dict[str, Any]]:
        """Per index (not the primary key's): ``name``, ``column_names``, ``unique``,
        ``duplicates_constraint`` (the UNIQUE constraint it serves, if any)."""
        return self._read(self._catalog.indexes, table_name, schema)  # type: ignore[no-any-return]

    def __repr__(self) -> str:
        return f"<Inspector {self.dialect.name}>"

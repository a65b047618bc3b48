"""``MetaData.reflect(bind)`` and ``Table(name, metadata, autoload_with=bind)``:
tables built from what the database says about them.

The catalog is read through the connection's dialect (``dialect.reflection``:
``dialects/sqlite/_reflection.py``, ``dialects/postgresql/_reflection.py``); this
module turns its answers into ``Column``, ``ForeignKeyConstraint``,
``UniqueConstraint`` and ``Index`` objects.
"""

from __future__ import annotations

import inspect
from typing import Any

from .. import exc
from ._ddl import _connection
from ._elements import literal_column
from ._schema import (
    Column,
    ForeignKeyConstraint,
    Index,
    MetaData,
    Table,
    UniqueConstraint,
)

__all__ = ["catalog", "reflect_metadata", "reflect_table"]


def catalog(conn: Any) -> Any:
    """The reflection module of a sync connection's dialect."""
    dialect = getattr(conn, "dialect", None)
    reflection = getattr(dialect, "reflection", None)
    if reflection is None:
        name = getattr(dialect, "name", type(conn).__name__)
        raise exc.InvalidRequestError(f"Reflection is not available for {name}")
    return reflection


def _sync_connection(bind: Any) -> tuple[Any, Any]:
    if any(
        inspect.iscoroutinefunction(getattr(bind, name, None)) for name in ("execute", "dispose")
    ):  # an AsyncConnection or AsyncEngine
        raise exc.ArgumentError(
            "Reflection reads the catalog with a sync connection; in async code use "
            "'await conn.run_sync(metadata.reflect)' or "
            "'await conn.run_sync(lambda c: Table(name, metadata, autoload_with=c))'"
        )
    return _connection(bind)


def reflect_table(table: Table, bind: Any) -> None:
    """Give ``table`` (just made, without columns) the database's columns, keys and
    indexes; a table it references is reflected into the same ``MetaData`` too."""
    conn, manager = _sync_connection(bind)
    try:
        _fill(table, conn)
    finally:
        if manager is not None:
            manager.__exit__(None, None, None)


def reflect_metadata(
    metadata: MetaData,
    bind: Any,
    schema: str | None = None,
    views: bool = False,
    only: Any = None,
) -> None:
    """Every table of the database (or schema), or those named in ``only``, not in
    ``metadata`` yet."""
    conn, manager = _sync_connection(bind)
    try:
        reflection = catalog(conn)
        names = reflection.table_names(conn, schema)
        if views:
            names += reflection.view_names(conn, schema)
        if only is not None:
            wanted = list(only)
            missing = [name for name in wanted if name not in names]
            if missing:
                raise exc.NoSuchTableError(
                    f"reflect(only=...) names tables the database does not have: {missing}"
                )
            names = wanted
        for name in names:
            if _known(metadata, name, schema) is None:
                _fill(Table(name, metadata, schema=schema), conn)
    finally:
        if manager is not None:
            manager.__exit__(None, None, None)


def _known(metadata: MetaData, name: str, schema: str | None) -> Table | None:
    return metadata.tables.get(f"{schema}.{name}" if schema else name)


def _fill(table: Table, conn: Any) -> None:
    reflection = catalog(conn)
    name, schema = table.name, table.schema
    infos = reflection.columns(conn, name, schema)
    pk = reflection.pk_constraint(conn, name, schema)["constrained_columns"]
    for info in infos:
        default = info["default"]
        generated = info["autoincrement"] and info["name"] in pk
        Column(
            info["name"],
            info["type"],
            primary_key=info["name"] in pk,
            nullable=info["nullable"],
            # a key the database makes (serial, rowid) keeps no default of its own
            # the default's SQL as the database gave it (a ":name" in it is no parameter)
            server_default=(
                literal_column(default) if default is not None and not generated else None
            ),
            autoincrement=True if generated else "auto",
            comment=info.get("comment"),
        )._set_table(table)
    table.primary_key.columns = [table.c[column] for column in pk]
    for fk in reflection.foreign_keys(conn, name, schema):
        target = fk["referred_table"]
        target_schema = fk["referred_schema"] if fk["referred_schema"] is not None else schema
        if _known(table.metadata, target, target_schema) is None and target != name:
            _fill(Table(target, table.metadata, schema=target_schema), conn)
        prefix = f"{target_schema}.{target}" if target_schema else target
        ForeignKeyConstraint(
            fk["constrained_columns"],
            [f"{prefix}.{column}" for column in fk["referred_columns"]],
            name=fk["name"],
            ondelete=fk["options"].get("ondelete"),
            onupdate=fk["options"].get("onupdate"),
        )._set_table(table)
    for index in reflection.indexes(conn, name, schema):
        columns = [table.c[column] for column in index["column_names"]]
        if index["duplicates_constraint"] is not None:
            constraint_name = index["duplicates_constraint"]
            auto = constraint_name.startswith("sqlite_autoindex_")
            UniqueConstraint(*columns, name=None if auto else constraint_name)._set_table(table)
        elif columns:
            Index(index["name"], *columns, unique=index["unique"])

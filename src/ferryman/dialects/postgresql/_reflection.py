"""Reflection on PostgreSQL: the ``pg_catalog`` tables, in the given schema (the
connection's current schema by default).

Every function takes a sync connection and returns what ``Inspector`` hands out.
"""

from __future__ import annotations

from typing import Any

from ... import exc
from ...sql import text
from .._reflection import type_from_name

__all__ = ["columns", "foreign_keys", "indexes", "pk_constraint", "table_names", "view_names"]

_SCHEMA = "coalesce(:schema, current_schema())"


def _rows(conn: Any, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(text(sql), params).all())


def _names(conn: Any, kinds: str, schema: str | None) -> list[str]:
    listed = ", ".join(f"'{kind}'" for kind in kinds)  # constants of this module
    rows = _rows(
        conn,
        "SELECT c.relname FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = {_SCHEMA} AND c.relkind IN ({listed}) ORDER BY c.relname",
        schema=schema,
    )
    return [row[0] for row in rows]


def table_names(conn: Any, schema: str | None) -> list[str]:
    return _names(conn, "rp", schema)  # tables, partitioned tables


def view_names(conn: Any, schema: str | None) -> list[str]:
    return _names(conn, "vm", schema)  # views, materialized views


def _oid(conn: Any, table: str, schema: str | None) -> int:
    rows = _rows(
        conn,
        "SELECT c.oid FROM pg_catalog.pg_class c "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        f"WHERE n.nspname = {_SCHEMA} AND c.relname = :table "
        "AND c.relkind IN ('r', 'p', 'v', 'm', 'f')",
        schema=schema,
        table=table,
    )
    if not rows:
        where = f"schema {schema!r}" if schema else "the current schema"
        raise exc.NoSuchTableError(f"No table or view {table!r} in {where}")
    return int(rows[0][0])


def _attnames(conn: Any, oid: int, numbers: list[int]) -> list[str]:
    rows = _rows(
        conn,
        "SELECT attnum, attname FROM pg_catalog.pg_attribute "
        "WHERE attrelid = :oid AND attnum = ANY(:numbers)",
        oid=oid,
        numbers=numbers,
    )
    by_number = dict(rows)
    return [by_number[number] for number in numbers]


def columns(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    oid = _oid(conn, table, schema)
    pk = set(pk_constraint(conn, table, schema, oid)["constrained_columns"])
    out = []
    for name, type_name, notnull, default, identity in _rows(
        conn,
        "SELECT a.attname, pg_catalog.format_type(a.atttypid, a.atttypmod), a.attnotnull, "
        "pg_catalog.pg_get_expr(d.adbin, d.adrelid), a.attidentity "
        "FROM pg_catalog.pg_attribute a "
        "LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum "
        "WHERE a.attrelid = :oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
        oid=oid,
    ):
        out.append(
            {
                "name": name,
                "type": type_from_name(type_name),
                "nullable": not notnull,
                "default": default,
                # serial (a nextval() default) or an identity column
                "autoincrement": bool(identity) or (default or "").startswith("nextval("),
                "primary_key": name in pk,
            }
        )
    return out


def pk_constraint(
    conn: Any, table: str, schema: str | None, oid: int | None = None
) -> dict[str, Any]:
    oid = _oid(conn, table, schema) if oid is None else oid
    rows = _rows(
        conn,
        "SELECT conname, conkey FROM pg_catalog.pg_constraint "
        "WHERE conrelid = :oid AND contype = 'p'",
        oid=oid,
    )
    if not rows:
        return {"name": None, "constrained_columns": []}
    name, numbers = rows[0]
    return {"name": name, "constrained_columns": _attnames(conn, oid, list(numbers))}


_ACTIONS = {"a": None, "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def foreign_keys(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    oid = _oid(conn, table, schema)
    out = []
    for name, numbers, target, target_table, target_schema, referred, upd, dele in _rows(
        conn,
        "SELECT con.conname, con.conkey, con.confrelid, c.relname, n.nspname, con.confkey, "
        "con.confupdtype, con.confdeltype FROM pg_catalog.pg_constraint con "
        "JOIN pg_catalog.pg_class c ON c.oid = con.confrelid "
        "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
        "WHERE con.conrelid = :oid AND con.contype = 'f' ORDER BY con.conname",
        oid=oid,
    ):
        options = {}
        for key, code in (("onupdate", upd), ("ondelete", dele)):
            if isinstance(code, bytes):  # a "char" column, as asyncpg reads it
                code = code.decode()
            action = _ACTIONS.get(code)
            if action is not None:
                options[key] = action
        out.append(
            {
                "name": name,
                "constrained_columns": _attnames(conn, oid, list(numbers)),
                "referred_schema": target_schema if schema is not None else None,
                "referred_table": target_table,
                "referred_columns": _attnames(conn, target, list(referred)),
                "options": options,
            }
        )
    return out


def indexes(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    oid = _oid(conn, table, schema)
    out = []
    for name, unique, keys, constraint in _rows(
        conn,
        "SELECT c.relname, i.indisunique, i.indkey::int2[], con.conname "
        "FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid "
        "LEFT JOIN pg_catalog.pg_constraint con ON con.conindid = i.indexrelid "
        "AND con.contype = 'u' "
        "WHERE i.indrelid = :oid AND NOT i.indisprimary ORDER BY c.relname",
        oid=oid,
    ):
        numbers = [number for number in keys if number > 0]  # 0: an expression
        out.append(
            {
                "name": name,
                "column_names": _attnames(conn, oid, numbers),
                "unique": bool(unique),
                "duplicates_constraint": constraint,
            }
        )
    return out

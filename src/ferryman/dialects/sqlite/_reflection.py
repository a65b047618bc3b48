"""Reflection on SQLite: ``sqlite_master`` and the ``PRAGMA`` table functions.

Every function takes a sync connection and returns what ``Inspector`` hands out.
A PRAGMA takes no bound parameters: table names go in as quoted identifiers.
"""

from __future__ import annotations

from typing import Any

from ... import exc
from ...sql import text
from .._reflection import type_from_name

__all__ = ["columns", "foreign_keys", "indexes", "pk_constraint", "table_names", "view_names"]


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _rows(conn: Any, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    return list(conn.execute(text(sql), params).all())


def _names(conn: Any, kind: str) -> list[str]:
    rows = _rows(
        conn,
        "SELECT name FROM sqlite_master WHERE type = :kind AND name NOT LIKE 'sqlite~_%' "
        "ESCAPE '~' ORDER BY name",
        {"kind": kind},
    )
    return [row[0] for row in rows]


def table_names(conn: Any, schema: str | None) -> list[str]:
    return _names(conn, "table")


def view_names(conn: Any, schema: str | None) -> list[str]:
    return _names(conn, "view")


def _table_info(conn: Any, table: str) -> list[Any]:
    rows = _rows(conn, f"PRAGMA table_info({_quote(table)})")
    if not rows:
        raise exc.NoSuchTableError(f"No table or view {table!r} in this SQLite database")
    return rows


def columns(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    info = _table_info(conn, table)
    single_pk = sum(1 for row in info if row[5]) == 1
    out = []
    for _cid, name, declared, notnull, default, pk in info:
        type_ = type_from_name(declared)
        out.append(
            {
                "name": name,
                "type": type_,
                "nullable": not notnull and not pk,
                "default": default,
                # an INTEGER PRIMARY KEY alone is the rowid: SQLite makes its values
                "autoincrement": bool(pk) and single_pk and declared.upper() == "INTEGER",
                "primary_key": bool(pk),
            }
        )
    return out


def pk_constraint(conn: Any, table: str, schema: str | None) -> dict[str, Any]:
    info = sorted((row for row in _table_info(conn, table) if row[5]), key=lambda row: row[5])
    return {"name": None, "constrained_columns": [row[1] for row in info]}


def foreign_keys(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    _table_info(conn, table)  # raises for an unknown table
    by_id: dict[int, dict[str, Any]] = {}
    for fk_id, _seq, target, source, referred, on_update, on_delete, _match in _rows(
        conn, f"PRAGMA foreign_key_list({_quote(table)})"
    ):
        fk = by_id.setdefault(
            fk_id,
            {
                "name": None,
                "constrained_columns": [],
                "referred_schema": None,
                "referred_table": target,
                "referred_columns": [],
                "options": {
                    key: value
                    for key, value in (("onupdate", on_update), ("ondelete", on_delete))
                    if value and value != "NO ACTION"
                },
            },
        )
        fk["constrained_columns"].append(source)
        fk["referred_columns"].append(referred)
    return [by_id[key] for key in sorted(by_id)]


def indexes(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    _table_info(conn, table)
    out = []
    for _seq, name, unique, origin, _partial in _rows(conn, f"PRAGMA index_list({_quote(table)})"):
        if origin == "pk":
            continue  # the primary key's own index
        cols = sorted(_rows(conn, f"PRAGMA index_info({_quote(name)})"), key=lambda row: row[0])
        out.append(
            {
                "name": name,
                "column_names": [row[2] for row in cols],
                "unique": bool(unique),
                # "u": made by a UNIQUE constraint of the table, not by CREATE INDEX
                "duplicates_constraint": name if origin == "u" else None,
            }
        )
    return sorted(out, key=lambda index: index["name"])

"""Reflection on MySQL and MariaDB: ``information_schema``, in the given schema (a
database; the connection's current one, ``DATABASE()``, by default).

Every function takes a sync connection and returns what ``Inspector`` hands out.
What the two servers report differently is evened out here:

* MariaDB has no JSON type: its ``JSON`` is ``LONGTEXT`` with a ``json_valid()``
  CHECK, which reads back as ``JSON``.
* Defaults come back as SQL that ``CREATE TABLE ... DEFAULT`` takes again. MariaDB
  reports string literals quoted in its own escaping and a ``DEFAULT NULL`` as
  ``NULL``; MySQL reports literals bare and expressions with escaped quotes. Both
  become one form: ``'it''s'`` literals, ``(expression)`` expressions, no default
  for ``NULL``.
* A UNIQUE constraint and a unique index are the same thing in MySQL: every unique
  index is reported as serving a constraint of its name.
"""

from __future__ import annotations

import re
from typing import Any

from ... import exc
from ...sql import text
from ...sql._types import (
    JSON,
    Boolean,
    Enum,
    Integer,
    LargeBinary,
    SmallInteger,
    Text,
    TypeEngine,
)
from .._reflection import type_from_name

__all__ = ["columns", "foreign_keys", "indexes", "pk_constraint", "table_names", "view_names"]

_SCHEMA = "COALESCE(:schema, DATABASE())"


def _this_table(alias: str = "") -> str:
    """The WHERE condition for the table ``:table`` in the schema ``:schema``. The
    plain equality lets the server read only this table's metadata; the binary one
    tells `Foo` from `foo` (information_schema compares names case-insensitively)."""
    return (
        f"{alias}table_schema = {_SCHEMA} AND {alias}table_name = :table "
        f"AND CAST({alias}table_name AS BINARY) = CAST(:table AS BINARY)"
    )


def _rows(conn: Any, sql: str, **params: Any) -> list[Any]:
    return list(conn.execute(text(sql), params).all())


def _str(value: Any) -> Any:
    """Some servers hand information_schema text to the driver as bytes."""
    return value.decode() if isinstance(value, bytes) else value


def _mariadb(conn: Any) -> bool:
    return bool(getattr(conn.dialect, "is_mariadb", False))


def _names(conn: Any, kinds: tuple[str, ...], schema: str | None) -> list[str]:
    listed = ", ".join(f"'{kind}'" for kind in kinds)  # constants of this module
    rows = _rows(
        conn,
        "SELECT table_name FROM information_schema.tables "
        f"WHERE table_schema = {_SCHEMA} AND table_type IN ({listed})",
        schema=schema,
    )
    return sorted(_str(row[0]) for row in rows)


def table_names(conn: Any, schema: str | None) -> list[str]:
    return _names(conn, ("BASE TABLE", "SYSTEM VERSIONED"), schema)  # not sequences


def view_names(conn: Any, schema: str | None) -> list[str]:
    return _names(conn, ("VIEW",), schema)


def _missing(conn: Any, table: str, schema: str | None) -> exc.NoSuchTableError:
    database = schema if schema is not None else conn.execute(text("SELECT DATABASE()")).scalar()
    if database is None:
        return exc.NoSuchTableError(
            f"No table or view {table!r}: the connection has no current database "
            "(name one in the URL, or pass schema=...)"
        )
    return exc.NoSuchTableError(f"No table or view {table!r} in database {_str(database)!r}")


def _check_exists(conn: Any, table: str, schema: str | None) -> None:
    sql = f"SELECT 1 FROM information_schema.tables WHERE {_this_table()}"
    if not _rows(conn, sql, schema=schema, table=table):
        raise _missing(conn, table, schema)


# -- columns -----------------------------------------------------------------

# Names type_from_name does not know, or knows otherwise than MySQL means them.
_MYSQL_TYPES: dict[str, type[TypeEngine]] = {
    "tinyint": SmallInteger,
    "mediumint": Integer,
    "tinytext": Text,
    "text": Text,
    "mediumtext": Text,
    "longtext": Text,
    "tinyblob": LargeBinary,
    "blob": LargeBinary,
    "mediumblob": LargeBinary,
    "longblob": LargeBinary,
    "binary": LargeBinary,
    "varbinary": LargeBinary,
}
_LITERAL = re.compile(r"'((?:[^'\\]|''|\\.)*)'", re.DOTALL)
_UNESCAPE = {"0": "\0", "n": "\n", "r": "\r", "t": "\t", "b": "\b", "Z": "\x1a"}
_ESCAPE = re.compile(r"\\(.)|''", re.DOTALL)


def _unquote(body: str) -> str:
    """The value of a MySQL string literal's body (``''`` and backslash escapes)."""

    def one(match: re.Match[str]) -> str:
        char = match.group(1)
        if char is None:
            return "'"
        if char in "%_":  # LIKE's escapes keep their backslash in a plain string
            return "\\" + char
        return _UNESCAPE.get(char, char)

    return _ESCAPE.sub(one, body)


def _quote(value: str) -> str:
    """``value`` as a MySQL string literal, as ferryman's MySQL compiler writes one."""
    escaped = value.replace("\\", "\\\\").replace("'", "''")
    for char, letter in (("\0", "0"), ("\n", "n"), ("\r", "r"), ("\x1a", "Z")):
        escaped = escaped.replace(char, "\\" + letter)
    return f"'{escaped}'"


def _column_type(data_type: str, column_type: str, json_columns: bool) -> TypeEngine:
    data_type = data_type.lower()
    if data_type == "enum":  # enum('a','b''c'): the values, as they are spelled
        return Enum(*(_unquote(value) for value in _LITERAL.findall(column_type)))
    if data_type == "tinyint" and column_type.lower().startswith("tinyint(1)"):
        return Boolean()  # what BOOL and BOOLEAN are made of
    if json_columns:
        return JSON()
    mysql_type = _MYSQL_TYPES.get(data_type)
    if mysql_type is not None:
        return mysql_type()
    # int(10) unsigned zerofill, double(8,2) unsigned: the attributes change no type
    bare = re.sub(r"\s+(unsigned|zerofill)\b", "", column_type.lower())
    return type_from_name(bare)


_NOW = re.compile(r"^(current_timestamp|now|localtime|localtimestamp)(\(\d*\))?$", re.I)
# MySQL reports these types' literal defaults bare, and they are SQL as they are
_NUMERIC = frozenset(
    {"tinyint", "smallint", "mediumint", "int", "integer", "bigint", "decimal", "numeric"}
    | {"float", "double", "real", "bit", "year"}
)


_BINARY = frozenset({"binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"})


def _parenthesized(sql: str) -> bool:
    if not (sql.startswith("(") and sql.endswith(")")):
        return False
    depth = 0
    for index, char in enumerate(sql):  # the first "(" must close at the very end
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth == 0:
            return index == len(sql) - 1
    return False


def _expression(sql: str) -> str:
    """An expression default in the parentheses MySQL needs around one."""
    if _NOW.match(sql) or _parenthesized(sql):
        return sql
    return f"({sql})"


def _default(raw: Any, data_type: str, extra: str, mariadb: bool) -> str | None:
    """A default as SQL that ``CREATE TABLE`` takes again (see the module docstring)."""
    if raw is None:
        return None
    reported = str(_str(raw))
    if mariadb:  # 10.2.7 and later: literals quoted, DEFAULT NULL spelled NULL
        if reported == "NULL":
            return None
        literal = _LITERAL.fullmatch(reported)
        if literal is not None:
            return _quote(_unquote(literal.group(1)))
        if re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?|[bx]'[0-9a-f]*'", reported, re.I):
            return reported  # a number, b'101', x'0A'
        return _expression(reported)
    if "default_generated" in extra.lower():
        # MySQL 8 escapes the quotes in an expression: concat(_utf8mb4\'a\')
        return _expression(reported.replace("\\'", "'"))
    if _NOW.match(reported) or data_type.lower() in _NUMERIC:
        return reported
    if data_type.lower() in _BINARY and re.fullmatch(r"0x[0-9a-f]*", reported, re.I):
        return reported  # MySQL 8 spells a binary column's literal in hex
    return _quote(reported)


def _json_columns(conn: Any, table: str, schema: str | None) -> set[str]:
    """The columns a MariaDB ``JSON`` became: a ``json_valid()`` CHECK on each."""
    rows = _rows(
        conn,
        "SELECT check_clause FROM information_schema.check_constraints "
        f"WHERE constraint_schema = {_SCHEMA} AND table_name = :table",
        schema=schema,
        table=table,
    )
    found = set()
    for (clause,) in rows:
        match = re.fullmatch(r"\s*json_valid\(`((?:[^`]|``)+)`\)\s*", _str(clause), re.I)
        if match is not None:
            found.add(match.group(1).replace("``", "`"))
    return found


def columns(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    rows = _rows(
        conn,
        "SELECT column_name, data_type, column_type, is_nullable, column_default, extra, "
        f"column_comment FROM information_schema.columns WHERE {_this_table()} "
        "ORDER BY ordinal_position",
        schema=schema,
        table=table,
    )
    if not rows:  # every table and view has a column
        raise _missing(conn, table, schema)
    rows = [tuple(_str(value) for value in row) for row in rows]
    mariadb = _mariadb(conn)
    json_columns = set()
    if mariadb and any(row[1].lower() == "longtext" for row in rows):
        json_columns = _json_columns(conn, table, schema)
    pk = set(_pk_columns(conn, table, schema))
    out = []
    for name, data_type, column_type, nullable, default, extra, comment in rows:
        json = data_type.lower() == "longtext" and name in json_columns
        out.append(
            {
                "name": name,
                "type": _column_type(data_type, column_type, json),
                "nullable": nullable == "YES",
                "default": _default(default, data_type, extra or "", mariadb),
                "autoincrement": "auto_increment" in (extra or "").lower(),
                "primary_key": name in pk,
                "comment": comment or None,
            }
        )
    return out


# -- keys and indexes ----------------------------------------------------------


def _index_rows(conn: Any, table: str, schema: str | None, where: str = "") -> list[Any]:
    return _rows(
        conn,
        "SELECT index_name, non_unique, column_name FROM information_schema.statistics "
        f"WHERE {_this_table()}{where} ORDER BY index_name, seq_in_index",
        schema=schema,
        table=table,
    )


def _pk_columns(conn: Any, table: str, schema: str | None) -> list[str]:
    rows = _index_rows(conn, table, schema, " AND index_name = 'PRIMARY'")
    return [_str(row[2]) for row in rows]


def pk_constraint(conn: Any, table: str, schema: str | None) -> dict[str, Any]:
    _check_exists(conn, table, schema)
    # The key is always called PRIMARY: a name given to it in CREATE TABLE is dropped.
    return {"name": None, "constrained_columns": _pk_columns(conn, table, schema)}


# InnoDB's RESTRICT and NO ACTION are the same, and the default: no option to keep.
_DEFAULT_ACTIONS = frozenset({"RESTRICT", "NO ACTION"})


def foreign_keys(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    _check_exists(conn, table, schema)
    return _foreign_keys(conn, table, schema)


def _foreign_keys(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    by_name: dict[str, dict[str, Any]] = {}
    for name, column, own_schema, target_schema, target, referred, upd, dele in _rows(
        conn,
        "SELECT k.constraint_name, k.column_name, k.table_schema, k.referenced_table_schema, "
        "k.referenced_table_name, k.referenced_column_name, r.update_rule, r.delete_rule "
        "FROM information_schema.key_column_usage k "
        "JOIN information_schema.referential_constraints r "
        "ON r.constraint_schema = k.constraint_schema "
        "AND r.constraint_name = k.constraint_name AND r.table_name = k.table_name "
        f"WHERE {_this_table('k.')} AND k.referenced_table_name IS NOT NULL "
        "ORDER BY k.ordinal_position",
        schema=schema,
        table=table,
    ):
        name, target_schema = _str(name), _str(target_schema)
        fk = by_name.setdefault(
            name,
            {
                "name": name,
                "constrained_columns": [],
                # as asked for, or the other database's name when it is in another one
                "referred_schema": (
                    target_schema
                    if schema is not None or target_schema != _str(own_schema)
                    else None
                ),
                "referred_table": _str(target),
                "referred_columns": [],
                "options": {
                    key: _str(action)
                    for key, action in (("onupdate", upd), ("ondelete", dele))
                    if action and _str(action) not in _DEFAULT_ACTIONS
                },
            },
        )
        fk["constrained_columns"].append(_str(column))
        fk["referred_columns"].append(_str(referred))
    return [by_name[name] for name in sorted(by_name)]


def _made_for(index: dict[str, Any], fks: list[dict[str, Any]]) -> bool:
    """Whether InnoDB made this index itself, to serve a foreign key: it does for a
    key no index starts with, naming it after the constraint or its first column
    (``parent_id``, ``parent_id_2``)."""
    if index["unique"]:
        return False
    for fk in fks:
        if index["column_names"] != fk["constrained_columns"]:
            continue
        first = re.escape(fk["constrained_columns"][0])
        if index["name"] == fk["name"] or re.fullmatch(rf"{first}(_\d+)?", index["name"]):
            return True
    return False


def indexes(conn: Any, table: str, schema: str | None) -> list[dict[str, Any]]:
    _check_exists(conn, table, schema)
    by_name: dict[str, dict[str, Any]] = {}
    for name, non_unique, column in _index_rows(
        conn, table, schema, " AND index_name <> 'PRIMARY'"
    ):
        name = _str(name)
        index = by_name.setdefault(
            name,
            {
                "name": name,
                "column_names": [],
                "unique": not int(non_unique),
                "duplicates_constraint": None if int(non_unique) else name,
            },
        )
        if column is not None:  # None: a functional key part (MySQL 8)
            index["column_names"].append(_str(column))
    fks = _foreign_keys(conn, table, schema)
    # An index InnoDB made for a foreign key comes back when the key is created again.
    return [by_name[name] for name in sorted(by_name) if not _made_for(by_name[name], fks)]

"""The SQLite dialect: SQL flavour and error mapping shared by sqlite3 and aiosqlite."""

from __future__ import annotations

import sqlite3
from typing import Any, ClassVar

from ... import exc
from ...sql import SQLCompiler, TextClause, text
from .._base import Dialect

__all__ = ["SQLiteDialect", "connect_args", "translate_error"]


class SQLiteCompiler(SQLCompiler):
    """SQLite's flavour: no ILIKE, OFFSET needs a LIMIT, no row locks."""

    def visit_ilike(self, binary: Any, left: str, hint: str | None) -> str:
        right = self._operand(binary.right, "ILIKE", name_hint=hint)
        return f"lower({left}) LIKE lower({right})"

    def limit_clause(self, select: Any) -> str:
        if select._offset is not None and select._limit is None:
            return " LIMIT -1 OFFSET " + self.process(select._offset)
        return super().limit_clause(select)

    def for_update_clause(self, options: dict[str, Any]) -> str:
        return ""  # SQLite locks the whole database; there is nothing to add

    def visit_function(self, function: Any, **kw: Any) -> str:
        if function.name.lower() == "now" and not function.args:
            return "CURRENT_TIMESTAMP"
        return super().visit_function(function, **kw)


class SQLiteDialect(Dialect):
    name: ClassVar[str] = "sqlite"
    default_isolation_level: ClassVar[str] = "SERIALIZABLE"
    isolation_levels: ClassVar[frozenset[str]] = frozenset({"SERIALIZABLE", "AUTOCOMMIT"})
    statement_compiler: ClassVar[type[SQLCompiler]] = SQLiteCompiler

    def __init__(self, driver: str) -> None:
        super().__init__("qmark", driver)

    def has_table_query(self, name: str, schema: str | None) -> TextClause:
        master = f'"{schema}".sqlite_master' if schema else "sqlite_master"
        query = f"SELECT name FROM {master} WHERE type = 'table' AND name = :name"
        return text(query).bindparams(name=name)


# Result codes whose failure is the statement's fault (it does not compile:
# syntax, missing table or column), reported as ProgrammingError as on PostgreSQL.
_PROGRAMMING = {"SQLITE_ERROR"}
_BY_CLASS: list[tuple[type[BaseException], type[exc.DBAPIError]]] = [
    (sqlite3.IntegrityError, exc.IntegrityError),
    (sqlite3.ProgrammingError, exc.ProgrammingError),
    (sqlite3.DataError, exc.DataError),
    (sqlite3.NotSupportedError, exc.NotSupportedError),
    (sqlite3.InternalError, exc.InternalError),
    (sqlite3.OperationalError, exc.OperationalError),
    (sqlite3.InterfaceError, exc.InterfaceError),
    (sqlite3.DatabaseError, exc.DatabaseError),
]


def translate_error(err: BaseException) -> exc.DBAPIError:
    """A ferryman error for a sqlite3 exception (aiosqlite raises the same classes)."""
    name = getattr(err, "sqlite_errorname", None)
    cls: type[exc.DBAPIError] = exc.DBAPIError
    for driver_cls, ours in _BY_CLASS:
        if isinstance(err, driver_cls):
            cls = ours
            break
    if cls is exc.OperationalError and name in _PROGRAMMING:
        cls = exc.ProgrammingError
    if isinstance(err, (TypeError, OverflowError, ValueError)):
        cls = exc.DataError
    return cls(str(err), orig=err, sqlstate=name)


def connect_args(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The sqlite3.connect() arguments for a URL's parts.

    ``sqlite://`` and ``sqlite:///:memory:`` open a private in-memory database;
    ``sqlite:///file.db`` a file relative to the working directory,
    ``sqlite:////abs/file.db`` an absolute path; ``?mode=ro`` and other URI
    options are passed through as a ``file:`` URI.
    """
    database = params.get("database") or ":memory:"
    query = dict(params.get("query") or {})
    kwargs: dict[str, Any] = {"isolation_level": None, "check_same_thread": False}
    if "timeout" in query:
        kwargs["timeout"] = float(query.pop("timeout"))
    uri = str(query.pop("uri", "")).lower() in ("true", "1") or database.startswith("file:")
    if query:
        database = ("" if database.startswith("file:") else "file:") + database
        database += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        uri = True
    kwargs["uri"] = uri
    kwargs.update(params.get("connect_args") or {})
    return database, kwargs

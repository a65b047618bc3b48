"""The SQLite dialect: SQL flavour and error mapping shared by sqlite3 and aiosqlite."""

from __future__ import annotations

import sqlite3
from typing import Any, ClassVar

from ... import exc
from .._base import Dialect

__all__ = ["SQLiteDialect", "connect_args", "translate_error"]


class SQLiteDialect(Dialect):
    name: ClassVar[str] = "sqlite"
    default_isolation_level: ClassVar[str] = "SERIALIZABLE"
    isolation_levels: ClassVar[frozenset[str]] = frozenset({"SERIALIZABLE", "AUTOCOMMIT"})

    def __init__(self, driver: str) -> None:
        super().__init__("qmark", driver)


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

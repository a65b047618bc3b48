"""The ``sqlite://`` driver: the standard library's sqlite3, in autocommit mode.

The connection is opened with ``isolation_level=None`` so that sqlite3 never
begins transactions behind our back; ferryman sends ``BEGIN`` itself.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Sequence
from operator import itemgetter
from typing import Any

from .._base import RawResult
from ._dialect import SQLiteDialect, connect_args, translate_error

_ERRORS = (sqlite3.Error, OverflowError, ValueError)
_first = itemgetter(0)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_KEYS_CACHE_SIZE = 512


class SQLite3Stream:
    __slots__ = ("_cursor", "keys")

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        desc = cursor.description
        self.keys = tuple([d[0] for d in desc]) if desc else None

    def fetchmany(self, size: int) -> list[Any]:
        try:
            return self._cursor.fetchmany(size)
        except _ERRORS as err:
            raise translate_error(err) from err

    def close(self) -> None:
        self._cursor.close()


class SQLite3Connection:
    """A sqlite3 connection behind the ``DriverConnection`` protocol."""

    __slots__ = ("_keys", "driver_connection")
    rows_ready = False

    def __init__(self, raw: sqlite3.Connection) -> None:
        self.driver_connection = raw
        # Column names by SQL text, for statements without a "*": their names are
        # then fixed by the text itself, and reading cursor.description (a tuple of
        # 7-tuples built on every call) would be a third of a small query's cost.
        self._keys: dict[str, tuple[str, ...]] = {}

    def execute(self, sql: str, params: Any) -> RawResult:
        try:
            cursor = self.driver_connection.execute(sql, () if params is None else params)
            keys = self._keys.get(sql)
            if keys is None:
                desc = cursor.description
                if desc is None:
                    return RawResult((None, (), cursor.rowcount, cursor.lastrowid))
                keys = tuple(map(_first, desc))
                if "*" not in sql:
                    if len(self._keys) >= _KEYS_CACHE_SIZE:
                        self._keys.clear()
                    self._keys[sql] = keys
            rows = cursor.fetchall()
        except _ERRORS as err:
            raise translate_error(err) from err
        return RawResult((keys, rows, -1, None))

    def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult:
        if _RETURNING.search(sql):
            return self._executemany_returning(sql, seq)
        try:
            cursor = self.driver_connection.executemany(sql, seq)
        except _ERRORS as err:
            raise translate_error(err) from err
        return RawResult((None, (), cursor.rowcount, None))

    def _executemany_returning(self, sql: str, seq: Sequence[Any]) -> RawResult:
        """sqlite3's executemany drops RETURNING rows: run each parameter set instead."""
        rows: list[Any] = []
        keys: tuple[str, ...] | None = None
        try:
            for params in seq:
                cursor = self.driver_connection.execute(sql, params)
                if keys is None and cursor.description:
                    keys = tuple(map(_first, cursor.description))
                rows.extend(cursor.fetchall())
        except _ERRORS as err:
            raise translate_error(err) from err
        return RawResult((keys, rows, len(seq), None))

    def command(self, sql: str) -> None:
        try:
            self.driver_connection.execute(sql)
        except _ERRORS as err:
            raise translate_error(err) from err

    def stream(self, sql: str, params: Any, in_transaction: bool) -> SQLite3Stream:
        try:
            return SQLite3Stream(
                self.driver_connection.execute(sql, () if params is None else params)
            )
        except _ERRORS as err:
            raise translate_error(err) from err

    def ping(self) -> None:
        self.command("SELECT 1")

    def close(self) -> None:
        self.driver_connection.close()

    def terminate(self) -> None:
        self.driver_connection.close()


class SQLite3Driver:
    name = "pysqlite"
    is_async = False
    extra = None
    dialect = SQLiteDialect("pysqlite")

    @staticmethod
    def connect(params: dict[str, Any]) -> SQLite3Connection:
        database, kwargs = connect_args(params)
        try:
            raw = sqlite3.connect(database, **kwargs)
            raw.execute("PRAGMA foreign_keys = ON")
        except _ERRORS as err:
            raise translate_error(err) from err
        return SQLite3Connection(raw)


driver = SQLite3Driver()

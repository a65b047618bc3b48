# Generated from src/ferryman/dialects/postgresql/_psycopg_async.py by tools/async_to_sync.py: do not edit.
# Change the async source and run the tool again.
"""Sync twin of ``_psycopg_async.py``, generated from it: see that module.

The psycopg 3 driver, async flavour (``postgresql+psycopg_async://``, and
``postgresql+psycopg://`` given to ``create_async_engine``).

This module is the source of ``_psycopg.py``, the sync flavour, which
``tools/async_to_sync.py`` generates from it.

Connections run in psycopg's autocommit mode: ferryman sends ``BEGIN``
itself, so both PostgreSQL drivers see the same statements. One client
cursor per connection is reused for every statement; ``stream()`` opens a
named (server-side) cursor so that memory stays flat however many rows come.
"""

from __future__ import annotations
from collections.abc import Sequence
from typing import Any
import psycopg
from ... import exc
from .._base import RawResult
from ._dialect import PGDialect, connect_kwargs
from ._psycopg_base import RETURNING, cursor_names, description_keys, result_keys, translate_error

ASYNC = False


class PsycopgStream:
    __slots__ = ("_cursor", "keys")

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.keys = description_keys(cursor.description)

    def fetchmany(self, size: int) -> Any:
        try:
            return self._cursor.fetchmany(size)
        except psycopg.Error as err:
            error = translate_error(err, self._cursor.connection)
            if error.connection_invalidated:
                try:
                    self._cursor.close()
                except psycopg.Error:
                    pass
            raise error from err

    def close(self) -> None:
        try:
            self._cursor.close()
        except psycopg.Error as err:
            raise translate_error(err, self._cursor.connection) from err


class PsycopgConnection:
    """A psycopg connection behind the driver-connection protocol."""

    __slots__ = ("_cursor", "_encoding", "_names", "driver_connection")
    rows_ready = False

    def __init__(self, raw: Any) -> None:
        self.driver_connection = raw
        self._cursor = raw.cursor()
        self._encoding = raw.info.encoding
        self._names: dict[tuple[bytes | None, ...], tuple[str, ...]] = {}

    def _result_keys(self) -> tuple[str, ...] | None:
        return result_keys(self._cursor, self._names, self._encoding)

    def execute(self, sql: str, params: Any) -> RawResult:
        cursor = self._cursor
        try:
            cursor.execute(sql, params)
            keys = self._result_keys()
            if keys is None:
                return RawResult((None, (), cursor.rowcount, None))
            rows = cursor.fetchall()
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err
        return RawResult((keys, rows, cursor.rowcount, None))

    def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult:
        cursor = self._cursor
        returning = RETURNING.search(sql) is not None
        try:
            cursor.executemany(sql, seq, returning=returning)
            if not returning:
                return RawResult((None, (), cursor.rowcount, None))
            keys = description_keys(cursor.description)
            rows: list[Any] = []
            while True:
                rows.extend(cursor.fetchall())
                if not cursor.nextset():
                    break
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err
        return RawResult((keys, rows, len(rows), None))

    def command(self, sql: str) -> None:
        try:
            self._cursor.execute(sql)
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err

    def stream(self, sql: str, params: Any, in_transaction: bool) -> PsycopgStream:
        name = f"ferryman_stream_{next(cursor_names)}"
        cursor = self.driver_connection.cursor(name=name, withhold=not in_transaction)
        try:
            cursor.execute(sql, params)
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err
        return PsycopgStream(cursor)

    def ping(self) -> None:
        self.command(";")

    def close(self) -> None:
        self.driver_connection.close()

    def terminate(self) -> None:
        self.driver_connection.pgconn.finish()


class PsycopgDriver:
    name = "psycopg"
    is_async = ASYNC
    extra = "postgresql"
    dialect = PGDialect("format", "psycopg")

    @staticmethod
    def connect(params: dict[str, Any]) -> PsycopgConnection:
        kwargs: dict[str, Any] = {"connect_timeout": 10, **connect_kwargs(params)}
        kwargs.update(params.get("query") or {})
        kwargs.update(params.get("connect_args") or {})
        try:
            raw = psycopg.Connection.connect(autocommit=True, **kwargs)
        except psycopg.Error as err:
            raise exc.OperationalError(
                f"could not connect: {err}", orig=err, sqlstate=getattr(err, "sqlstate", None)
            ) from err
        return PsycopgConnection(raw)


driver = PsycopgDriver()

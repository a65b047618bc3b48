"""The psycopg 3 driver, async flavour (``postgresql+psycopg_async://``, and
``postgresql+psycopg://`` given to ``create_async_engine``).

This module is the source of ``_psycopg.py``, the sync flavour, which
``tools/async_to_sync.py`` generates from it.

Connections run in psycopg's autocommit mode: ferryman sends ``BEGIN``
itself, so both PostgreSQL drivers see the same statements. One client
cursor per connection is reused for every statement; ``stream()`` opens a
named (server-side) cursor so that memory stays flat however many rows come.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from typing import Any

import psycopg
from psycopg.pq import ExecStatus

from ... import exc
from .._base import RawResult
from ._dialect import PGDialect, connect_kwargs, error_for_sqlstate

ASYNC = True

_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_cursor_names = itertools.count(1)


def translate_error(err: BaseException, raw: Any = None) -> exc.DBAPIError:
    broken = raw is not None and (raw.broken or raw.closed)
    sqlstate = getattr(err, "sqlstate", None)
    if isinstance(err, psycopg.DatabaseError) and sqlstate:
        return error_for_sqlstate(str(err), sqlstate, err, disconnect=broken)
    if isinstance(err, psycopg.OperationalError) or broken:
        return exc.OperationalError(str(err), orig=err, connection_invalidated=True)
    if isinstance(err, psycopg.DataError):
        return exc.DataError(str(err), orig=err)
    if isinstance(err, psycopg.ProgrammingError):
        return exc.ProgrammingError(str(err), orig=err)
    return exc.InterfaceError(str(err), orig=err)


def _keys(description: Any) -> tuple[str, ...] | None:
    return tuple([column.name for column in description]) if description else None


_TUPLES_OK = ExecStatus.TUPLES_OK
_KEYS_CACHE_SIZE = 512


class PsycopgAsyncStream:
    __slots__ = ("_cursor", "keys")

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.keys = _keys(cursor.description)

    async def fetchmany(self, size: int) -> Any:
        try:
            return await self._cursor.fetchmany(size)
        except psycopg.Error as err:
            raise translate_error(err, self._cursor.connection) from err

    async def close(self) -> None:
        try:
            await self._cursor.close()
        except psycopg.Error as err:
            raise translate_error(err, self._cursor.connection) from err


class PsycopgAsyncConnection:
    """A psycopg connection behind the driver-connection protocol."""

    __slots__ = ("_cursor", "_encoding", "_names", "driver_connection")
    rows_ready = False

    def __init__(self, raw: Any) -> None:
        self.driver_connection = raw
        self._cursor = raw.cursor()
        self._encoding = raw.info.encoding
        self._names: dict[tuple[bytes | None, ...], tuple[str, ...]] = {}

    def _result_keys(self) -> tuple[str, ...] | None:
        """The column names of the current result, read from libpq's result directly:
        ``cursor.description`` builds a ``Column`` object per column on every call."""
        result = self._cursor.pgresult
        if result is None or result.status != _TUPLES_OK:
            return None
        raw_names = tuple([result.fname(i) for i in range(result.nfields)])
        keys = self._names.get(raw_names)
        if keys is None:
            if len(self._names) >= _KEYS_CACHE_SIZE:
                self._names.clear()
            keys = tuple([(name or b"?column?").decode(self._encoding) for name in raw_names])
            self._names[raw_names] = keys
        return keys

    async def execute(self, sql: str, params: Any) -> RawResult:
        cursor = self._cursor
        try:
            await cursor.execute(sql, params)
            keys = self._result_keys()
            if keys is None:
                return RawResult(None, (), cursor.rowcount)
            rows = await cursor.fetchall()
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err
        return RawResult(keys, rows, cursor.rowcount)

    async def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult:
        cursor = self._cursor
        returning = _RETURNING.search(sql) is not None
        try:
            await cursor.executemany(sql, seq, returning=returning)
            if not returning:
                return RawResult(None, (), cursor.rowcount)
            keys = _keys(cursor.description)
            rows: list[Any] = []
            while True:
                rows.extend(await cursor.fetchall())
                if not cursor.nextset():
                    break
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err
        return RawResult(keys, rows, len(rows))

    async def command(self, sql: str) -> None:
        try:
            await self._cursor.execute(sql)
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err

    async def stream(self, sql: str, params: Any, in_transaction: bool) -> PsycopgAsyncStream:
        name = f"ferryman_stream_{next(_cursor_names)}"
        cursor = self.driver_connection.cursor(name=name, withhold=not in_transaction)
        try:
            await cursor.execute(sql, params)
        except psycopg.Error as err:
            raise translate_error(err, self.driver_connection) from err
        return PsycopgAsyncStream(cursor)

    async def ping(self) -> None:
        await self.command(";")

    async def close(self) -> None:
        await self.driver_connection.close()

    def terminate(self) -> None:
        self.driver_connection.pgconn.finish()


class PsycopgAsyncDriver:
    name = "psycopg"
    is_async = ASYNC
    extra = "postgresql"
    dialect = PGDialect("format", "psycopg")

    @staticmethod
    async def connect(params: dict[str, Any]) -> PsycopgAsyncConnection:
        kwargs: dict[str, Any] = {"connect_timeout": 10, **connect_kwargs(params)}
        kwargs.update(params.get("query") or {})
        kwargs.update(params.get("connect_args") or {})
        try:
            raw = await psycopg.AsyncConnection.connect(autocommit=True, **kwargs)
        except psycopg.Error as err:
            raise exc.OperationalError(
                f"could not connect: {err}", orig=err, sqlstate=getattr(err, "sqlstate", None)
            ) from err
        return PsycopgAsyncConnection(raw)


driver = PsycopgAsyncDriver()

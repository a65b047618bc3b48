"""The ``postgresql+asyncpg://`` driver.

asyncpg speaks PostgreSQL's extended protocol directly and returns
``Record`` objects. Statements are prepared once per connection and kept in a
small LRU cache (the prepared statement also tells us the result columns and,
through its status line, the row count).
"""

from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import asyncpg

from ... import exc
from .._base import RawResult
from ._dialect import STALE_PLAN_HINT, PGDialect, error_for_sqlstate, rowcount_from_status

_CACHE_SIZE = 256
_CLIENT_ERRORS = (
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
    OSError,
    asyncio.TimeoutError,
)


def translate_error(err: BaseException, raw: Any = None) -> exc.DBAPIError:
    closed = raw is not None and raw.is_closed()
    if isinstance(err, asyncpg.PostgresError):
        return error_for_sqlstate(str(err), err.sqlstate, err, disconnect=closed)
    if isinstance(err, asyncpg.exceptions.DataError):
        return exc.DataError(str(err), orig=err)
    if isinstance(err, (OSError, asyncio.TimeoutError)) or closed:
        return exc.OperationalError(
            str(err) or type(err).__name__, orig=err, connection_invalidated=True
        )
    return exc.InterfaceError(str(err), orig=err)


_DDL = re.compile(r"\s*(ALTER|CREATE|DROP|COMMENT)\b", re.I)


def _stale_plan(sql: str) -> exc.DBAPIError:
    return exc.NotSupportedError(STALE_PLAN_HINT, sqlstate="0A000")


class AsyncpgStream:
    __slots__ = ("_cursor", "keys")

    def __init__(self, cursor: Any, keys: tuple[str, ...] | None) -> None:
        self._cursor = cursor
        self.keys = keys

    async def fetchmany(self, size: int) -> list[Any]:
        try:
            return await self._cursor.fetch(size)  # type: ignore[no-any-return]
        except (asyncpg.PostgresError, *_CLIENT_ERRORS) as err:
            raise translate_error(err) from err

    async def close(self) -> None:
        cursor, self._cursor = self._cursor, None
        if cursor is None or not getattr(cursor, "_portal_name", None):
            return
        # asyncpg's Cursor has no public close(). Left open, the portal would keep its
        # table locks until the transaction ends (a DROP TABLE in it then fails).
        try:
            await cursor._close_portal(None)
        except (asyncpg.PostgresError, *_CLIENT_ERRORS) as err:
            raise translate_error(err) from err


class AsyncpgConnection:
    """An asyncpg connection behind the ``AsyncDriverConnection`` protocol.

    Given a ``row_class`` factory (the engine's), asyncpg builds each row directly
    as a ferryman ``Row`` over its own ``Record`` (``rows_ready``): no row is copied.
    """

    __slots__ = ("_row_class", "_statements", "driver_connection", "rows_ready")

    def __init__(self, raw: asyncpg.Connection, row_class: Any = None) -> None:
        self.driver_connection = raw
        self._row_class = row_class
        self.rows_ready = row_class is not None
        self._statements: OrderedDict[str, tuple[Any, tuple[str, ...] | None]] = OrderedDict()

    async def _prepare(self, sql: str) -> tuple[Any, tuple[str, ...] | None]:
        raw = self.driver_connection
        statement = await raw.prepare(sql)
        keys = tuple([attr.name for attr in statement.get_attributes()]) or None
        if keys is not None and self._row_class is not None:
            # The record class is fixed when a statement is prepared, and the column
            # names are known only after: prepare once more (once per statement).
            record_class = self._row_class(keys, asyncpg.Record)
            statement = await raw.prepare(sql, record_class=record_class)
        entry = (statement, keys)
        cache = self._statements
        if _DDL.match(sql):
            # Schema changes invalidate the plans prepared so far (a "SELECT *" would
            # fail with "cached plan must not change result type"): start afresh.
            cache.clear()
            return entry
        cache[sql] = entry
        if len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
        return entry

    async def execute(self, sql: str, params: Any) -> RawResult:
        try:
            try:
                statement, keys = self._statements.get(sql) or await self._prepare(sql)
                rows = await statement.fetch(*(params or ()))
            except (
                asyncpg.InvalidCachedStatementError,
                asyncpg.exceptions.OutdatedSchemaCacheError,
            ):
                # The schema changed under a cached plan: drop the cache, and run again
                # if no transaction was spoiled by the failure.
                self._statements.clear()
                if self.driver_connection.is_in_transaction():
                    raise _stale_plan(sql) from None
                statement, keys = await self._prepare(sql)
                rows = await statement.fetch(*(params or ()))
        except (asyncpg.PostgresError, *_CLIENT_ERRORS) as err:
            raise translate_error(err, self.driver_connection) from err
        if keys is not None:  # rows came back: as many as the statement matched
            return RawResult((keys, rows, len(rows), None))
        return RawResult((keys, rows, rowcount_from_status(statement.get_statusmsg()), None))

    async def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult:
        try:
            statement, keys = self._statements.get(sql) or await self._prepare(sql)
            if keys is None:
                await statement.executemany(seq)
                return RawResult((None, (), -1, None))
            rows = await statement.fetchmany(seq)
        except (asyncpg.PostgresError, *_CLIENT_ERRORS) as err:
            raise translate_error(err, self.driver_connection) from err
        return RawResult((keys, rows, len(rows), None))

    async def command(self, sql: str) -> None:
        try:
            await self.driver_connection.execute(sql)
        except (asyncpg.PostgresError, *_CLIENT_ERRORS) as err:
            raise translate_error(err, self.driver_connection) from err

    async def stream(self, sql: str, params: Any, in_transaction: bool) -> AsyncpgStream:
        try:
            statement, keys = self._statements.get(sql) or await self._prepare(sql)
            if not in_transaction:
                # asyncpg cursors need a transaction; outside one, read it all at once.
                return _BufferedStream(keys, await statement.fetch(*(params or ())))  # type: ignore[return-value]
            cursor = await statement.cursor(*(params or ()))
        except (asyncpg.PostgresError, *_CLIENT_ERRORS) as err:
            raise translate_error(err, self.driver_connection) from err
        return AsyncpgStream(cursor, keys)

    async def ping(self) -> None:
        # Not ";": asyncpg fails on the empty query's reply (it has no status line).
        await self.command("SELECT 1")

    async def close(self) -> None:
        await self.driver_connection.close(timeout=5)

    def terminate(self) -> None:
        self.driver_connection.terminate()


class _BufferedStream:
    __slots__ = ("_rows", "keys")

    def __init__(self, keys: tuple[str, ...] | None, rows: list[Any]) -> None:
        self.keys = keys
        self._rows = rows

    async def fetchmany(self, size: int) -> list[Any]:
        chunk, self._rows = self._rows[:size], self._rows[size:]
        return chunk

    async def close(self) -> None:
        self._rows = []


class AsyncpgDriver:
    name = "asyncpg"
    is_async = True
    extra = "postgresql"
    dialect = PGDialect("numeric_dollar", "asyncpg")

    @staticmethod
    async def connect(params: dict[str, Any]) -> AsyncpgConnection:
        kwargs: dict[str, Any] = {"timeout": 10}
        for key, ours in (
            ("host", "host"),
            ("port", "port"),
            ("username", "user"),
            ("password", "password"),
            ("database", "database"),
        ):
            if params.get(key) is not None:
                kwargs[ours] = params[key]
        kwargs.update(params.get("query") or {})
        kwargs.update(params.get("connect_args") or {})
        try:
            raw = await asyncpg.connect(**kwargs)
        except (asyncpg.PostgresError, *_CLIENT_ERRORS) as err:
            sqlstate = getattr(err, "sqlstate", None)
            raise exc.OperationalError(
                f"could not connect: {err}", orig=err, sqlstate=sqlstate
            ) from err
        return AsyncpgConnection(raw, params.get("row_class"))


driver = AsyncpgDriver()

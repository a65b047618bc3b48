"""The asyncmy driver (``mysql+asyncmy://``, ``mariadb+asyncmy://``).

This module is the source of ``_pymysql.py``, the sync flavour over pymysql,
which ``tools/async_to_sync.py`` generates from it: asyncmy is pymysql's API
with ``await``.

Connections run in autocommit mode, so that ferryman sends ``START
TRANSACTION`` itself, and with ``CLIENT.FOUND_ROWS``, so that an UPDATE's row
count is the rows it matched (MySQL counts only the rows whose values changed,
which would read as a lost row to the ORM). One buffered cursor per connection
runs every statement; ``stream()`` opens an unbuffered cursor, which reads rows
from the socket as they are fetched. MySQL can't run a statement while such a
cursor has rows unread, so a statement sent meanwhile first reads the rest of
the stream into memory (nothing is lost; that stream's memory is then no longer
flat).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ... import exc
from .._base import RawResult
from ._dialect import MySQLDialect, connect_kwargs, translate_error

ASYNC = True

if ASYNC:
    import asyncmy as mysql_lib
    from asyncmy.constants import CLIENT
    from asyncmy.cursors import SSCursor
else:
    import pymysql as mysql_lib
    from pymysql.constants import CLIENT
    from pymysql.cursors import SSCursor

_ERRORS = (mysql_lib.Error, OSError, EOFError, TypeError, ValueError, OverflowError)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)
_SELECT = re.compile(r"\bSELECT\b", re.I)
_FLAGS = CLIENT.FOUND_ROWS | CLIENT.MULTI_RESULTS
STATEMENT_CACHE_SIZE = 256  # prepared statements kept per connection (asyncmy)
_IN_TRANS = 1  # SERVER_STATUS_IN_TRANS: the server's session is in a transaction


def _keys(description: Any) -> tuple[str, ...]:
    return tuple([d[0] for d in description])


class AsyncmyStream:
    """An unbuffered cursor's rows; ``drain()`` reads the rest into memory."""

    __slots__ = ("_buffer", "_cursor", "_owner", "keys")

    def __init__(self, cursor: Any, owner: AsyncmyConnection) -> None:
        self._cursor = cursor
        self._owner = owner
        self._buffer: list[Any] | None = None
        desc = cursor.description
        self.keys = _keys(desc) if desc else None

    async def drain(self) -> None:
        try:
            rest = list(await self._cursor.fetchall())
        except _ERRORS as err:
            raise self._owner.error(err) from err
        self._buffer = rest
        await self._release()

    async def fetchmany(self, size: int) -> Any:
        if self._buffer is not None:
            batch, self._buffer = self._buffer[:size], self._buffer[size:]
            return batch
        try:
            rows = await self._cursor.fetchmany(size)
        except _ERRORS as err:
            raise self._owner.error(err) from err
        if len(rows) < size:
            await self._release()
        return rows

    async def _release(self) -> None:
        if self._owner._stream is self:
            self._owner._stream = None
        try:
            await self._cursor.close()
        except _ERRORS:
            pass

    async def close(self) -> None:
        self._buffer = []
        if self._owner._stream is self:
            self._owner._stream = None
            try:
                await self._cursor.close()  # reads what is left of the result off the socket
            except _ERRORS as err:
                raise self._owner.error(err) from err


class AsyncmyConnection:
    """A pymysql / asyncmy connection behind the driver-connection protocol."""

    __slots__ = ("_cursor", "_stream", "driver_connection")
    rows_ready = False

    def __init__(self, raw: Any) -> None:
        self.driver_connection = raw
        self._cursor = raw.cursor()
        self._stream: AsyncmyStream | None = None

    def error(self, err: BaseException) -> exc.DBAPIError:
        return translate_error(err, broken=not self._open())

    def _open(self) -> bool:
        raw = self.driver_connection
        if ASYNC:
            return bool(raw.connected)
        return bool(raw.open)

    async def _free(self) -> None:
        """Read an open stream's remaining rows, so that the socket is free."""
        if self._stream is not None:
            await self._stream.drain()

    async def execute(self, sql: str, params: Any) -> RawResult:
        if self._stream is not None:
            await self._free()
        cursor = self._cursor
        raw = self.driver_connection
        try:
            in_transaction = raw.server_status & _IN_TRANS
            await cursor.execute(sql, params)
            if in_transaction and not raw.server_status & _IN_TRANS:
                # DDL commits the transaction it runs in: open the next one at once,
                # so that what follows still runs in a transaction (savepoints work,
                # rollback undoes it), as ferryman's state says
                await cursor.execute("BEGIN")
            desc = cursor.description
            if desc is None:
                return RawResult((None, (), cursor.rowcount, cursor.lastrowid or None))
            rows = await cursor.fetchall()
        except _ERRORS as err:
            raise self.error(err) from err
        return RawResult((_keys(desc), rows, cursor.rowcount, None))

    async def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult:
        if self._stream is not None:
            await self._free()
        cursor = self._cursor
        try:
            if _RETURNING.search(sql):  # the driver keeps only the last result's rows
                rows: list[Any] = []
                keys = None
                for params in seq:
                    await cursor.execute(sql, params)
                    if keys is None and cursor.description:
                        keys = _keys(cursor.description)
                    rows.extend(await cursor.fetchall())
                return RawResult((keys, rows, len(seq), None))
            if ASYNC:  # noqa: SIM102 - the sync twin is generated without this block
                if _SELECT.search(sql):
                    # MariaDB's bulk execution evaluates a subquery once for every
                    # row (its result for the first row's values): one per row
                    count = 0
                    for params in seq:
                        await cursor.execute(sql, params)
                        count += cursor.rowcount
                    return RawResult((None, (), count, None))
            await cursor.executemany(sql, seq)
        except _ERRORS as err:
            raise self.error(err) from err
        return RawResult((None, (), cursor.rowcount, None))

    async def command(self, sql: str) -> None:
        if self._stream is not None:
            await self._free()
        try:
            for part in sql.split(";"):  # BEGIN with an isolation level is two statements
                await self._cursor.execute(part)
        except _ERRORS as err:
            raise self.error(err) from err

    async def stream(self, sql: str, params: Any, in_transaction: bool) -> AsyncmyStream:
        if self._stream is not None:
            await self._free()
        cursor = self.driver_connection.cursor(SSCursor)
        try:
            await cursor.execute(sql, params)
        except _ERRORS as err:
            raise self.error(err) from err
        stream = AsyncmyStream(cursor, self)
        if stream.keys is not None:
            self._stream = stream
        return stream

    async def ping(self) -> None:
        if self._stream is not None:
            await self._free()
        try:
            await self.driver_connection.ping(reconnect=False)
        except _ERRORS as err:
            raise translate_error(err, broken=True) from err

    async def close(self) -> None:
        raw = self.driver_connection
        try:
            if ASYNC:
                await raw.ensure_closed()
            else:
                raw.close()
        except _ERRORS:
            self.terminate()

    def terminate(self) -> None:
        raw = self.driver_connection
        if ASYNC:
            raw.close()
        else:
            raw._force_close()


class AsyncmyDriver:
    if ASYNC:
        name = "asyncmy"
    else:
        name = "pymysql"
    is_async = ASYNC
    extra = "mysql"

    def __init__(self, dialect: MySQLDialect | None = None) -> None:
        self.dialect = dialect or MySQLDialect(self.name)
        self._initialized = False

    def for_engine(self) -> AsyncmyDriver:
        """A driver with a dialect of its own, which learns the engine's server."""
        return type(self)(self.dialect.for_engine())

    async def connect(self, params: dict[str, Any]) -> AsyncmyConnection:
        kwargs: dict[str, Any] = {"connect_timeout": 10, **connect_kwargs(params)}
        kwargs["autocommit"] = True
        kwargs["client_flag"] = kwargs.get("client_flag", 0) | _FLAGS
        if ASYNC:
            # asyncmy runs statements with parameters as server-side prepared
            # statements (binary rows, no escaping), and an executemany as one
            # bulk round trip on MariaDB, when it keeps a statement cache
            kwargs.setdefault("stmt_cache_size", STATEMENT_CACHE_SIZE)
        try:
            raw = await mysql_lib.connect(**kwargs)
        except _ERRORS as err:
            error = translate_error(err)
            raise exc.OperationalError(
                f"could not connect: {error.message}", orig=err, errno=error.errno
            ) from err
        if not self._initialized:
            self.dialect.initialize(raw.get_server_info())
            self._initialized = True
        return AsyncmyConnection(raw)


driver = AsyncmyDriver()

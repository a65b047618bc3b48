"""The ``sqlite+aiosqlite://`` driver: sqlite3 run on aiosqlite's worker thread.

Each operation is one hop to that thread: the statement runs and its rows are
fetched in a single function, rather than one hop to execute and another to
fetch.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from typing import Any

import aiosqlite

from ... import exc
from .._base import RawResult
from ._dialect import SQLiteDialect, connect_args, translate_error
from ._sqlite3 import SQLite3Connection, SQLite3Stream

_ERRORS = (sqlite3.Error, OverflowError, ValueError)


class AiosqliteStream:
    __slots__ = ("_conn", "_stream", "keys")

    def __init__(self, conn: aiosqlite.Connection, stream: SQLite3Stream) -> None:
        self._conn = conn
        self._stream = stream
        self.keys = stream.keys

    async def fetchmany(self, size: int) -> list[Any]:
        return await self._conn._execute(self._stream.fetchmany, size)  # type: ignore[no-any-return]

    async def close(self) -> None:
        await self._conn._execute(self._stream.close)


class AiosqliteConnection:
    """An aiosqlite connection behind the ``AsyncDriverConnection`` protocol.

    The work on the thread is done by a ``SQLite3Connection`` over the same
    sqlite3 connection, so the two SQLite drivers behave alike by construction.
    """

    __slots__ = ("_sync", "driver_connection")
    rows_ready = False

    def __init__(self, raw: aiosqlite.Connection) -> None:
        self.driver_connection = raw
        self._sync = SQLite3Connection(raw._conn)

    async def _run(self, fn: Any, *args: Any) -> Any:
        try:
            return await self.driver_connection._execute(fn, *args)
        except ValueError as err:  # aiosqlite's "Connection closed"
            raise exc.InterfaceError(str(err), orig=err, connection_invalidated=True) from err

    async def execute(self, sql: str, params: Any) -> RawResult:
        return await self._run(self._sync.execute, sql, params)  # type: ignore[no-any-return]

    async def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult:
        return await self._run(self._sync.executemany, sql, seq)  # type: ignore[no-any-return]

    async def command(self, sql: str) -> None:
        await self._run(self._sync.command, sql)

    async def stream(self, sql: str, params: Any, in_transaction: bool) -> AiosqliteStream:
        stream = await self._run(self._sync.stream, sql, params, True)
        return AiosqliteStream(self.driver_connection, stream)

    async def ping(self) -> None:
        await self.command("SELECT 1")

    async def close(self) -> None:
        await self.driver_connection.close()

    def terminate(self) -> None:
        # Closing on the worker thread and stopping it needs no await here.
        self.driver_connection.stop()


class AiosqliteDriver:
    name = "aiosqlite"
    is_async = True
    extra = "aiosqlite"
    dialect = SQLiteDialect("aiosqlite")

    @staticmethod
    async def connect(params: dict[str, Any]) -> AiosqliteConnection:
        database, kwargs = connect_args(params)
        thread = None
        try:
            pending = aiosqlite.connect(database, **kwargs)
            # A program that ends without closing its engine must still exit: the
            # worker thread must not keep the interpreter alive (committed data is
            # already on disk; an open transaction is lost, as it would be anyway).
            thread = getattr(pending, "_thread", None)
            if thread is not None:
                thread.daemon = True
            raw = await pending
            await raw.execute("PRAGMA foreign_keys = ON")
        except asyncio.CancelledError:
            # Cancelled while connecting: the worker thread goes on opening the
            # database; have it close what it opens, and stop (nobody else will).
            pending.stop()
            raise
        except _ERRORS as err:
            if thread is not None and thread.is_alive():
                # aiosqlite stops its worker on a failed connect; let it finish while
                # this loop runs (it reports back to the loop, which may close soon).
                await asyncio.get_running_loop().run_in_executor(None, thread.join, 5)
            raise translate_error(err) from err
        return AiosqliteConnection(raw)


driver = AiosqliteDriver()

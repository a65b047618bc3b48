"""The DB-API-style connection that pool events receive.

A ``connect``, ``checkout`` or ``checkin`` listener is handed
``dbapi_connection``, as in SQLAlchemy: an object with ``cursor()`` (a cursor
with ``execute(sql, params)``, ``executemany()``, ``fetchone()``,
``fetchmany()``, ``fetchall()``, ``description``, ``rowcount``, ``close()``)
and ``driver_connection``, the driver's own connection (a ``sqlite3``,
``psycopg``, ``asyncpg``, ``pymysql`` or ``asyncmy`` connection).

It runs on ferryman's driver adapter, so SQL is written in the driver's own
placeholder style (as ``exec_driver_sql()`` takes it), errors are
``ferryman.exc`` errors, and every statement commits on its own (connections
run in autocommit mode between ferryman's transactions).

Over an async driver the cursor is still synchronous: a plain function
listener runs in a worker thread, and each cursor call is submitted to the
event loop and waited for (the ``run_sync`` bridge). ``run_async(fn)`` runs
``fn(driver_connection)``'s awaitable the same way. A coroutine function
listener runs on the event loop itself and awaits the driver connection
directly (``await dbapi_connection.driver_connection.set_type_codec(...)``);
the cursor can't block the loop it would need, and says so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from typing import Any, TypeVar

from .. import exc

__all__ = ["DBAPIConnection", "DBAPICursor"]

T = TypeVar("T")


class DBAPIConnection:
    """A driver connection seen through the DB-API (see the module docstring)."""

    __slots__ = ("_driver", "_loop")

    def __init__(self, driver: Any, loop: asyncio.AbstractEventLoop | None) -> None:
        self._driver = driver  # ferryman's adapter (dialects/_base.py's protocol)
        self._loop = loop  # the event loop of an async driver, else None

    @property
    def driver_connection(self) -> Any:
        """The driver's own connection object."""
        return self._driver.driver_connection

    def cursor(self) -> DBAPICursor:
        return DBAPICursor(self)

    def run_async(self, fn: Callable[[Any], Awaitable[T]]) -> T:
        """``fn(driver_connection)``'s awaitable, run on the event loop and waited for:
        how a plain function listener calls an async driver's own methods
        (``dbapi_connection.run_async(lambda conn: conn.set_type_codec(...))``)."""
        if self._loop is None:
            raise exc.InvalidRequestError(
                f"run_async() is for async drivers; {type(self.driver_connection).__name__} "
                "is a sync driver's connection: call its methods directly"
            )
        awaitable = fn(self.driver_connection)
        return self._wait(_as_coroutine(awaitable))

    def _run(self, method: str, *args: Any) -> Any:
        result = getattr(self._driver, method)(*args)
        if self._loop is None:
            return result
        return self._wait(result)

    def _wait(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self._loop
        assert loop is not None
        try:
            running: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            coro.close()
            raise exc.InvalidRequestError(
                "dbapi_connection's cursor() and run_async() wait for the event loop, so "
                "they can't be used on it: in a coroutine function listener, await the "
                "driver's connection instead (await dbapi_connection.driver_connection."
                "execute(...)), or make the listener a plain function (ferryman runs it in "
                "a worker thread)"
            )
        return asyncio.run_coroutine_threadsafe(coro, loop).result()

    def __repr__(self) -> str:
        return f"<DBAPIConnection {self.driver_connection!r}>"


async def _as_coroutine(awaitable: Awaitable[T]) -> T:
    return await awaitable


class DBAPICursor:
    """A cursor over a ``DBAPIConnection``: each ``execute()`` reads its rows at once."""

    __slots__ = ("_closed", "_conn", "_pos", "_rows", "arraysize", "description", "rowcount")

    def __init__(self, conn: DBAPIConnection) -> None:
        self._conn = conn
        self._rows: Sequence[Any] = ()
        self._pos = 0
        self._closed = False
        self.description: tuple[tuple[Any, ...], ...] | None = None
        self.rowcount = -1
        self.arraysize = 1

    def _check(self) -> None:
        if self._closed:
            raise exc.ResourceClosedError("This cursor is closed; open another with cursor()")

    def _take(self, raw: Any) -> None:
        keys, rows, rowcount, _ = raw
        self._rows = rows
        self._pos = 0
        self.rowcount = rowcount
        self.description = (
            tuple((key, None, None, None, None, None, None) for key in keys)
            if keys is not None
            else None
        )

    def execute(self, sql: str, params: Any = None) -> DBAPICursor:
        """Run ``sql`` (in the driver's placeholder style) with ``params``."""
        self._check()
        self._take(self._conn._run("execute", sql, params))
        return self

    def executemany(self, sql: str, seq: Sequence[Any]) -> DBAPICursor:
        self._check()
        self._take(self._conn._run("executemany", sql, list(seq)))
        return self

    def fetchone(self) -> Any:
        self._check()
        if self._pos >= len(self._rows):
            return None
        row = self._rows[self._pos]
        self._pos += 1
        return row

    def fetchmany(self, size: int | None = None) -> list[Any]:
        self._check()
        size = self.arraysize if size is None else size
        rows = list(self._rows[self._pos : self._pos + size])
        self._pos += len(rows)
        return rows

    def fetchall(self) -> list[Any]:
        self._check()
        rows = list(self._rows[self._pos :])
        self._pos = len(self._rows)
        return rows

    def __iter__(self) -> Any:
        return iter(self.fetchall())

    def close(self) -> None:
        self._closed = True
        self._rows = ()

    def __enter__(self) -> DBAPICursor:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

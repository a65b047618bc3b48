"""``AsyncConnection.run_sync``: a sync connection whose I/O runs on the event loop.

The user's sync function runs in a worker thread. It receives a
``SyncConnectionView``: a ``Connection`` sharing the async connection's state
(same transaction, same savepoints, same pool entry) whose driver is a
``BridgeDriver``. Each driver call is submitted to the event loop with
``run_coroutine_threadsafe`` and the thread waits for its result, so the
statements run on the async driver, in order, on the one connection, with no
greenlets and no second connection.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine, Sequence
from typing import Any, TypeVar

from .. import exc
from ._connection import Connection
from ._engine import Engine
from ._entry import PoolEntry

__all__ = ["BridgeDriver", "SyncConnectionView", "bridged_sync_engine"]

T = TypeVar("T")


def _call(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    if threading.get_ident() == getattr(loop, "_thread_id", None):
        coro.close()
        raise exc.InvalidRequestError(
            "A run_sync() connection was used from the event loop's own thread; use it only "
            "inside the function given to run_sync()"
        )
    return asyncio.run_coroutine_threadsafe(coro, loop).result()


class _BridgeStream:
    __slots__ = ("_loop", "_stream", "keys")

    def __init__(self, stream: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._stream = stream
        self._loop = loop
        self.keys = stream.keys

    def fetchmany(self, size: int) -> Any:
        return _call(self._loop, self._stream.fetchmany(size))

    def close(self) -> None:
        _call(self._loop, self._stream.close())


class BridgeDriver:
    """A sync driver connection over an async one, used from a worker thread."""

    __slots__ = ("_async", "_loop")

    def __init__(self, driver: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._async = driver
        self._loop = loop

    @property
    def driver_connection(self) -> Any:
        return self._async.driver_connection

    @property
    def rows_ready(self) -> bool:
        return bool(self._async.rows_ready)

    def execute(self, sql: str, params: Any) -> Any:
        return _call(self._loop, self._async.execute(sql, params))

    def executemany(self, sql: str, seq: Sequence[Any]) -> Any:
        return _call(self._loop, self._async.executemany(sql, seq))

    def command(self, sql: str) -> None:
        _call(self._loop, self._async.command(sql))

    def stream(self, sql: str, params: Any, in_transaction: bool) -> _BridgeStream:
        stream = _call(self._loop, self._async.stream(sql, params, in_transaction))
        return _BridgeStream(stream, self._loop)

    def ping(self) -> None:
        _call(self._loop, self._async.ping())

    def close(self) -> None:
        _call(self._loop, self._async.close())

    def terminate(self) -> None:
        self._loop.call_soon_threadsafe(self._async.terminate)


class SyncConnectionView(Connection):
    """The ``Connection`` that ``AsyncConnection.run_sync`` hands to its function."""

    def __init__(self, async_connection: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._async_connection = async_connection
        self._loop = loop
        super().__init__(async_connection.engine.sync_engine, async_connection._s)
        self._set_entry(async_connection._s.entry)

    _wraps = True

    def _wrap(self, driver: Any) -> Any:
        return BridgeDriver(driver, self._loop)

    def _connect_entry(self) -> PoolEntry:
        return _call(self._loop, self._async_connection._connect_entry())  # type: ignore[no-any-return]

    def _release_entry(self, entry: PoolEntry, discard: bool) -> None:
        _call(self._loop, self._async_connection._release_entry(entry, discard))

    def _async_twin(self, listener: Any) -> Any:
        return self._async_connection

    def _await(self, coro: Any) -> Any:
        return _call(self._loop, coro)


class _NoPool:
    """The pool of ``AsyncEngine.sync_engine``: its connections live on the event loop
    (in the async engine's pool, whose event listeners it shares)."""

    def __init__(self, pool: Any) -> None:
        self._pool = pool

    @property
    def dispatch(self) -> Any:
        return self._pool.dispatch

    def connect(self) -> PoolEntry:
        raise exc.InvalidRequestError(
            "AsyncEngine.sync_engine can't open connections itself: they live on the event "
            "loop. Use 'async with engine.connect() as conn: await conn.run_sync(fn)'"
        )

    def release(self, entry: PoolEntry, *, discard: bool = False) -> None:
        raise exc.InvalidRequestError("AsyncEngine.sync_engine has no connections to release")

    def dispose(self) -> None:
        pass

    def checkedout(self) -> int:
        return 0

    def status(self) -> str:
        return "no pool: connections belong to the AsyncEngine"


def bridged_sync_engine(async_engine: Any) -> Engine:
    return Engine(
        async_engine.url,
        async_engine._driver_spec,
        _NoPool(async_engine.pool),  # type: ignore[arg-type]
        echo=async_engine._echo,
        isolation_level=async_engine._isolation_level,
        options=async_engine._options,
        cache=async_engine._cache,
        dispatch=async_engine.dispatch,
    )

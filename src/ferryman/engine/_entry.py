"""A pooled connection: the driver connection plus the pool's bookkeeping."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncio

    from ._dbapi import DBAPIConnection

__all__ = ["PoolEntry"]


class PoolEntry:
    """One driver connection as the pool tracks it.

    ``conn.connection`` (sync) / ``await conn.get_raw_connection()`` (async)
    return it: ``driver_connection`` is the driver's own connection object
    (an ``asyncpg.Connection``, a ``psycopg.Connection``, a
    ``sqlite3.Connection``) for driver-level work such as COPY or LISTEN;
    ``dbapi_connection`` is ferryman's adapter over it; ``info`` is a dict
    that lives as long as the connection. Pool event listeners receive it as
    their ``connection_record``.
    """

    __slots__ = ("_dbapi", "created_at", "dbapi_connection", "generation", "info")

    def __init__(self, driver: Any, generation: int) -> None:
        self.dbapi_connection = driver
        self.generation = generation
        self.created_at = time.monotonic()
        self.info: dict[str, Any] = {}
        self._dbapi: DBAPIConnection | None = None

    def dbapi(self, loop: asyncio.AbstractEventLoop | None) -> DBAPIConnection:
        """The DB-API-style connection pool events hand their listeners (one per
        connection, so that what a listener sets on it stays)."""
        adapter = self._dbapi
        if adapter is None:
            from ._dbapi import DBAPIConnection

            adapter = self._dbapi = DBAPIConnection(self.dbapi_connection, loop)
        return adapter

    @property
    def driver(self) -> Any:
        return self.dbapi_connection

    @property
    def driver_connection(self) -> Any:
        return self.dbapi_connection.driver_connection

    def __repr__(self) -> str:
        return f"<PoolEntry {self.driver_connection!r}>"

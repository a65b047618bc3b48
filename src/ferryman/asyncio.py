"""The async front end: ``from ferryman.asyncio import create_async_engine``.

Everything here awaits the database natively (no greenlets, no thread per
query); ``AsyncConnection.run_sync`` runs sync helpers against the same
connection.
"""

from .engine._connection_async import AsyncConnection
from .engine._create import create_async_engine
from .engine._engine_async import AsyncEngine
from .engine._result_async import AsyncMappingResult, AsyncResult, AsyncScalarResult
from .engine._transaction_async import AsyncTransaction
from .orm import (
    AsyncAttrs,
    AsyncSession,
    AsyncSessionTransaction,
    async_sessionmaker,
)

__all__ = [
    "AsyncAttrs",
    "AsyncConnection",
    "AsyncEngine",
    "AsyncMappingResult",
    "AsyncResult",
    "AsyncScalarResult",
    "AsyncSession",
    "AsyncSessionTransaction",
    "AsyncTransaction",
    "async_sessionmaker",
    "create_async_engine",
]

for _cls in (
    AsyncConnection,
    AsyncEngine,
    AsyncTransaction,
    AsyncResult,
    AsyncScalarResult,
    AsyncMappingResult,
):
    _cls.__module__ = "ferryman.asyncio"

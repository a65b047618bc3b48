"""Connection pools: ``create_engine(url, poolclass=NullPool)`` and friends.

``QueuePool`` (the default), ``NullPool`` and ``StaticPool`` may be given to
``create_async_engine`` too; it uses their async forms.
"""

from .engine._entry import PoolEntry
from .engine._pool import NullPool, Pool, QueuePool, StaticPool
from .engine._pool_async import AsyncAdaptedQueuePool, AsyncNullPool, AsyncPool, AsyncStaticPool

__all__ = [
    "AsyncAdaptedQueuePool",
    "AsyncNullPool",
    "AsyncPool",
    "AsyncStaticPool",
    "NullPool",
    "Pool",
    "PoolEntry",
    "QueuePool",
    "StaticPool",
]

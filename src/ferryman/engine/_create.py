"""``create_engine()`` and ``create_async_engine()``: from a URL to an engine.

The URL picks the backend and driver (``dialects.load_driver``), the
driver picks sync or async, and the URL picks the default pool: one shared
connection for an in-memory SQLite database (its data lives only as long as
its connection), a bounded LIFO queue pool otherwise.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..dialects import load_driver
from ._echo import Echo
from ._engine import Engine
from ._engine_async import AsyncEngine
from ._pool import NullPool, Pool, QueuePool, StaticPool
from ._pool_async import AsyncAdaptedQueuePool, AsyncNullPool, AsyncPool, AsyncStaticPool
from ._row import row_class
from ._url import URL, make_url

__all__ = ["create_async_engine", "create_engine"]

_TO_ASYNC: dict[type, type] = {
    QueuePool: AsyncAdaptedQueuePool,
    NullPool: AsyncNullPool,
    StaticPool: AsyncStaticPool,
}
_TO_SYNC: dict[type, type] = {value: key for key, value in _TO_ASYNC.items()}

_OPTIONS = frozenset(
    {
        "echo",
        "hide_parameters",
        "pool_size",
        "max_overflow",
        "pool_timeout",
        "pool_pre_ping",
        "pool_recycle",
        "pool_use_lifo",
        "poolclass",
        "isolation_level",
        "connect_args",
        "execution_options",
        "future",
    }
)


def _in_memory_sqlite(url: URL) -> bool:
    database = url.database or ""
    return url.get_backend_name() == "sqlite" and (
        database in ("", ":memory:") or url.query.get("mode") == "memory"
    )


def _build(url_or_str: str | URL, is_async: bool, kwargs: dict[str, Any]) -> Any:
    unknown = set(kwargs) - _OPTIONS
    if unknown:
        name = "create_async_engine" if is_async else "create_engine"
        raise exc.ArgumentError(
            f"Invalid argument(s) {sorted(unknown)} sent to {name}(); valid arguments are "
            + ", ".join(sorted(_OPTIONS))
        )
    url = make_url(url_or_str)
    driver = load_driver(url.get_backend_name(), url.get_driver_name(), is_async)
    if hasattr(driver, "for_engine"):  # a dialect that learns its server (MySQL / MariaDB)
        driver = driver.for_engine()
    dialect = driver.dialect
    isolation_level = kwargs.get("isolation_level")
    if isolation_level is not None:
        isolation_level = dialect.normalize_isolation_level(isolation_level)
    connect_args = kwargs.get("connect_args") or {}
    if not isinstance(connect_args, dict):
        raise exc.ArgumentError(f"connect_args must be a dict, not {connect_args!r}")
    params = {
        "host": url.host,
        "port": url.port,
        "username": url.username,
        "password": url.password,
        "database": url.database,
        "query": dict(url.query),
        "connect_args": connect_args,
        "row_class": row_class,
    }

    def creator() -> Any:
        return driver.connect(params)

    poolclass: Any = kwargs.get("poolclass")
    if poolclass is None:
        poolclass = StaticPool if _in_memory_sqlite(url) else QueuePool
    if is_async:
        poolclass = _TO_ASYNC.get(poolclass, poolclass)
        base: type = AsyncPool
    else:
        poolclass = _TO_SYNC.get(poolclass, poolclass)
        base = Pool
    if not (isinstance(poolclass, type) and issubclass(poolclass, base)):
        raise exc.ArgumentError(
            f"poolclass must be one of QueuePool, NullPool, StaticPool, not {poolclass!r}"
        )
    pool_options: dict[str, Any] = {
        "pool_size": kwargs.get("pool_size", 5),
        "max_overflow": kwargs.get("max_overflow", 10),
        "timeout": kwargs.get("pool_timeout", 30.0),
        "pre_ping": kwargs.get("pool_pre_ping", False),
        "recycle": kwargs.get("pool_recycle", -1),
        "use_lifo": kwargs.get("pool_use_lifo", True),
    }
    factory: Any = poolclass
    if poolclass in (NullPool, StaticPool, AsyncNullPool, AsyncStaticPool):
        pool = factory(creator)
    else:
        pool = factory(creator, **pool_options)
    engine_cls = AsyncEngine if is_async else Engine
    options = dict(kwargs.get("execution_options") or {})
    engine = engine_cls(
        url,
        driver,
        pool,
        echo=Echo(kwargs.get("echo", False), kwargs.get("hide_parameters", False)),
        isolation_level=isolation_level,
    )
    if options:
        engine = engine.execution_options(**options)
    return engine


def create_engine(url: str | URL, **kwargs: Any) -> Engine:
    """A sync ``Engine`` for a URL such as ``sqlite:///app.db`` or
    ``postgresql+psycopg://user@host/db``.

    Options: ``echo`` (True / "debug"), ``hide_parameters``, ``pool_size``,
    ``max_overflow``, ``pool_timeout``, ``pool_pre_ping``, ``pool_recycle``,
    ``pool_use_lifo``, ``poolclass``, ``isolation_level``, ``connect_args``
    (passed to the driver's connect), ``execution_options``.
    """
    return _build(url, False, kwargs)  # type: ignore[no-any-return]


def create_async_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An ``AsyncEngine`` for a URL with an async driver: ``sqlite+aiosqlite://``,
    ``postgresql+asyncpg://``, ``postgresql+psycopg://``. Same options as
    ``create_engine()``."""
    return _build(url, True, kwargs)  # type: ignore[no-any-return]

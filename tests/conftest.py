"""Test fixtures: one test body, every driver.

Tests are written once, as ``async def`` bodies that ``await`` engine and
connection calls. The ``engine`` fixture gives each body, in turn, an engine
for every driver pairing:

* ``sqlite`` (stdlib sqlite3, sync), ``aiosqlite`` (async)
* ``psycopg`` (sync), ``psycopg_async`` (async), ``asyncpg`` (async)
* ``pymysql`` (sync), ``asyncmy`` (async), on MariaDB

For a sync driver the engine is wrapped in ``AsAsync``: every call that is a
coroutine on the async front end runs the sync method and hands back an
already-finished awaitable, so ``await conn.execute(...)`` and
``async with engine.connect() as conn`` run the sync API underneath. Results
from ``execute()`` are plain ``Result`` objects on both front ends.

Restrict a test with markers, which narrow the parametrization (nothing is
skipped): ``@pytest.mark.backends("postgresql")``,
``@pytest.mark.drivers("asyncpg", "psycopg_async")``, ``@pytest.mark.async_only``,
``@pytest.mark.sync_only``.

PostgreSQL must be running on 127.0.0.1:5432 (trust auth, user ``root``,
database ``test``) and MariaDB on 127.0.0.1:3306 (user ``root``, no password,
database ``test``); the session starts them if they are down. Override with
``FERRYMAN_TEST_PG`` and ``FERRYMAN_TEST_MYSQL`` (a user@host:port/database
URL tail).
"""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from ferryman import create_engine
from ferryman.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncMappingResult,
    AsyncResult,
    AsyncScalarResult,
    AsyncTransaction,
    create_async_engine,
)
from ferryman.engine import (
    Connection,
    Engine,
    MappingResult,
    Result,
    ScalarResult,
    Transaction,
)
from ferryman.orm import (
    AsyncSession,
    AsyncSessionTransaction,
    Session,
    SessionTransaction,
)

pytest_plugins = ["ferryman.testing"]  # query_counter, no_n_plus_one

PG = os.environ.get("FERRYMAN_TEST_PG", "root@127.0.0.1:5432/test")
MYSQL = os.environ.get("FERRYMAN_TEST_MYSQL", "root@127.0.0.1:3306/test")

# name -> (backend, is_async, url factory taking a temporary folder)
DRIVERS: dict[str, tuple[str, bool, Callable[[Path], str]]] = {
    "sqlite": ("sqlite", False, lambda tmp: f"sqlite:///{tmp / 'test.db'}"),
    "aiosqlite": ("sqlite", True, lambda tmp: f"sqlite+aiosqlite:///{tmp / 'test.db'}"),
    "psycopg": ("postgresql", False, lambda tmp: f"postgresql+psycopg://{PG}"),
    "psycopg_async": ("postgresql", True, lambda tmp: f"postgresql+psycopg_async://{PG}"),
    "asyncpg": ("postgresql", True, lambda tmp: f"postgresql+asyncpg://{PG}"),
    "pymysql": ("mysql", False, lambda tmp: f"mysql+pymysql://{MYSQL}"),
    "asyncmy": ("mysql", True, lambda tmp: f"mysql+asyncmy://{MYSQL}"),
}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "driver" not in metafunc.fixturenames:
        return
    names = list(DRIVERS)
    if marker := metafunc.definition.get_closest_marker("backends"):
        names = [n for n in names if DRIVERS[n][0] in marker.args]
    if marker := metafunc.definition.get_closest_marker("drivers"):
        names = [n for n in names if n in marker.args]
    if metafunc.definition.get_closest_marker("async_only"):
        names = [n for n in names if DRIVERS[n][1]]
    if metafunc.definition.get_closest_marker("sync_only"):
        names = [n for n in names if not DRIVERS[n][1]]
    metafunc.parametrize("driver", names)


def _up(port: int) -> bool:
    host = "127.0.0.1"
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def _start(name: str, port: int, commands: list[list[str]]) -> None:
    if _up(port):
        return
    for command in commands:
        subprocess.run(command, check=False, capture_output=True)
    deadline = time.monotonic() + 30
    while not _up(port):
        if time.monotonic() > deadline:
            pytest.exit(f"{name} is not running on 127.0.0.1:{port} and could not be started")
        time.sleep(0.2)


@pytest.fixture(scope="session", autouse=True)
def _servers_running() -> None:
    """Start the machine's PostgreSQL and MariaDB if they are down (CI runs on a
    fresh machine)."""
    versions = os.listdir("/etc/postgresql") if os.path.isdir("/etc/postgresql") else []
    _start(
        "PostgreSQL",
        5432,
        [["pg_ctlcluster", "--skip-systemctl-redirect", v, "main", "start"] for v in versions],
    )
    mariadbd = ["start-stop-daemon", "--start", "--oknodo", "--background"]
    _start("MariaDB", 3306, [[*mariadbd, "--exec", "/usr/sbin/mariadbd"]])


@pytest.fixture
def backend(driver: str) -> str:
    return DRIVERS[driver][0]


@pytest.fixture
def is_async(driver: str) -> bool:
    return DRIVERS[driver][1]


@pytest.fixture
def url(driver: str, tmp_path: Path) -> str:
    return DRIVERS[driver][2](tmp_path)


@pytest.fixture
async def make_engine(driver: str, url: str) -> AsyncIterator[Any]:
    """``make_engine(**kwargs)``: an engine for this driver (disposed after the test)."""
    made: list[Any] = []

    def make(url_: str | None = None, **kwargs: Any) -> Any:
        target = url_ or url
        if DRIVERS[driver][1]:
            engine = create_async_engine(target, **kwargs)
        else:
            engine = AsAsync(create_engine(target, **kwargs))
        made.append(engine)
        return engine

    yield make
    for engine in made:
        await engine.dispose()


@pytest.fixture
def engine(make_engine: Any) -> Any:
    """An engine for this test's driver with default options."""
    return make_engine()


# -- the sync-as-async wrapper ---------------------------------------------------

_TWINS: dict[type, type] = {
    Engine: AsyncEngine,
    Connection: AsyncConnection,
    Transaction: AsyncTransaction,
    Result: AsyncResult,
    ScalarResult: AsyncScalarResult,
    MappingResult: AsyncMappingResult,
    Session: AsyncSession,
    SessionTransaction: AsyncSessionTransaction,
}
_RETURNS_AWAITABLE = {"connect", "begin", "begin_nested"}
_STREAMING = {"stream", "stream_scalars"}
_CHAINED = {"scalars", "mappings", "columns", "unique", "yield_per"}


class _Done:
    """What a sync call returned, usable with ``await`` and ``async with``."""

    def __init__(self, value: Any, streamed: bool = False) -> None:
        self._value = value
        self._streamed = streamed

    def __await__(self) -> Any:
        if False:  # pragma: no cover - makes this a generator
            yield
        return _wrap(self._value, self._streamed)

    async def __aenter__(self) -> Any:
        return _wrap(self._value.__enter__(), self._streamed)

    async def __aexit__(self, *exc_info: Any) -> Any:
        return self._value.__exit__(*exc_info)


def _wrap(value: Any, streamed: bool = False) -> Any:
    if isinstance(value, (Engine, Connection, Transaction, Session, SessionTransaction)):
        return AsAsync(value)
    if streamed and isinstance(value, (Result, ScalarResult, MappingResult)):
        return AsAsync(value)
    return value


class AsAsync:
    """A sync engine / connection / transaction / streamed result with the async API."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)
        twin = next(_TWINS[cls] for cls in type(target).__mro__ if cls in _TWINS)
        object.__setattr__(self, "_twin", twin)

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        twin_attr = getattr(self._twin, name, None)
        streamed = name in _STREAMING or isinstance(
            self._target, (Result, ScalarResult, MappingResult)
        )
        if callable(attr) and (
            inspect.iscoroutinefunction(twin_attr)
            or inspect.isasyncgenfunction(twin_attr)
            or name in _RETURNS_AWAITABLE
        ):
            if inspect.isasyncgenfunction(twin_attr):
                return lambda *a, **k: _AsyncIter(attr(*a, **k))

            def call(*args: Any, **kwargs: Any) -> _Done:
                return _Done(attr(*args, **kwargs), streamed)

            return call
        if callable(attr):
            chained = streamed and name in (
                "scalars",
                "mappings",
                "columns",
                "unique",
                "yield_per",
            )
            return lambda *a, **k: _wrap(attr(*a, **k), chained)
        return _wrap(attr)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._target, name, value)

    def __aiter__(self) -> _AsyncIter:
        return _AsyncIter(iter(self._target))

    def __contains__(self, item: Any) -> bool:
        return item in self._target

    async def __aenter__(self) -> Any:
        return _wrap(self._target.__enter__())

    async def __aexit__(self, *exc_info: Any) -> Any:
        return self._target.__exit__(*exc_info)

    def __repr__(self) -> str:
        return f"AsAsync({self._target!r})"


class _AsyncIter:
    def __init__(self, iterator: Any) -> None:
        self._it = iter(iterator)

    def __aiter__(self) -> _AsyncIter:
        return self

    async def __anext__(self) -> Any:
        try:
            return next(self._it)
        except StopIteration:
            raise StopAsyncIteration from None


def unwrap(obj: Any) -> Any:
    """The real object behind an ``AsAsync`` wrapper (or the object itself)."""
    return obj._target if isinstance(obj, AsAsync) else obj


def _pg_admin_url() -> str:
    return f"postgresql://{PG}"


@pytest.fixture
def pg_admin() -> Any:
    """A plain psycopg connection (autocommit) for out-of-band work: killing backends."""
    import psycopg

    conn = psycopg.connect(_pg_admin_url(), autocommit=True)
    yield conn
    conn.close()


@pytest.fixture
def make_session(engine: Any, is_async: bool) -> Any:
    """``make_session(**kwargs)``: an ``AsyncSession`` on this test's engine, or for a
    sync driver a ``Session`` wrapped so the same ``await`` calls work."""

    def make(**kwargs: Any) -> Any:
        if is_async:
            return AsyncSession(engine, **kwargs)
        return AsAsync(Session(unwrap(engine), **kwargs))

    return make

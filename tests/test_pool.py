"""The connection pool, seen through engines on every driver.

Sizes and counters, exhaustion, LIFO reuse, reset on return, recycling,
``dispose()``, ``NullPool`` / ``StaticPool``, and many tasks sharing a small
pool. Raw driver connections are compared by identity to tell "the same
connection came back" from "a new one was opened".
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import time
from typing import Any

import pytest

from ferryman import exc, text
from ferryman.pool import AsyncNullPool, AsyncStaticPool, NullPool, StaticPool

from .conftest import unwrap

ASYNC_DRIVERS = ("aiosqlite", "psycopg_async", "asyncpg")


async def raw_of(conn: Any) -> Any:
    """The driver's own connection object behind a ferryman connection."""
    return (await conn.get_raw_connection()).driver_connection


def raw_closed(raw: Any) -> bool:
    """Whether a driver connection (any of the four libraries) is closed."""
    if isinstance(raw, sqlite3.Connection):
        try:
            raw.in_transaction  # noqa: B018 - raises on a closed connection
        except sqlite3.ProgrammingError:
            return True
        return False
    if hasattr(raw, "is_closed"):  # asyncpg
        return bool(raw.is_closed())
    if hasattr(raw, "pgconn"):  # psycopg, sync or async
        return bool(raw.closed)
    if hasattr(raw, "server_status"):  # pymysql, asyncmy
        return not (raw.connected if hasattr(raw, "connected") else raw.open)
    return raw._connection is None  # aiosqlite


def raw_in_transaction(raw: Any) -> bool:
    """Whether the database session behind a driver connection is inside a transaction."""
    if hasattr(raw, "is_in_transaction"):  # asyncpg
        return bool(raw.is_in_transaction())
    if hasattr(raw, "pgconn"):  # psycopg
        from psycopg import pq

        return raw.info.transaction_status != pq.TransactionStatus.IDLE
    if hasattr(raw, "server_status"):  # pymysql, asyncmy: the server's status flags
        return bool(raw.server_status & 1)  # SERVER_STATUS_IN_TRANS
    return bool(raw.in_transaction)  # sqlite3, aiosqlite


async def scalar(conn: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
    return (await conn.execute(text(sql), params)).scalar()


async def recreate(engine: Any, ddl: str, table: str) -> None:
    async with engine.connect() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await conn.execute(text(ddl))
        await conn.commit()


# -- sizes and counters ---------------------------------------------------------


async def test_sizes_and_counters(make_engine):
    engine = make_engine(pool_size=2, max_overflow=1, pool_timeout=0.2)
    pool = engine.pool
    assert pool.size() == 2
    assert pool.checkedout() == 0
    async with contextlib.AsyncExitStack() as stack:
        conns = []
        for expected in (1, 2, 3):
            conns.append(await stack.enter_async_context(engine.connect()))
            assert pool.checkedout() == expected
        assert pool.overflow() == 1
        assert pool.checkedin() == 0
        status = pool.status()
        assert "Pool size: 2" in status
        assert "Current Overflow: 1" in status
        assert "Checked out connections: 3" in status
        for conn in conns:
            assert await scalar(conn, "SELECT 1") == 1
        raws = {id(await raw_of(conn)) for conn in conns}
        assert len(raws) == 3
        # pool_size + max_overflow are all out: a fourth checkout times out.
        with pytest.raises(exc.TimeoutError):
            async with engine.connect():
                pass
        assert pool.checkedout() == 3
    # Back in the pool: pool_size connections kept, the overflow one closed.
    assert pool.checkedout() == 0
    assert pool.checkedin() == 2
    assert pool.overflow() == 0
    assert "Connections in pool: 2" in pool.status()


async def test_pool_size_zero_means_no_limit(make_engine):
    engine = make_engine(pool_size=0, pool_timeout=0.2)
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(4):
            conn = await stack.enter_async_context(engine.connect())
            assert await scalar(conn, "SELECT 1") == 1
        assert engine.pool.checkedout() == 4
    assert engine.pool.checkedout() == 0


async def test_bad_pool_arguments(make_engine):
    with pytest.raises(exc.ArgumentError, match="pool_size"):
        make_engine(pool_size=-1)
    with pytest.raises(exc.ArgumentError, match="max_overflow"):
        make_engine(max_overflow=-2)
    with pytest.raises(exc.ArgumentError, match="pool_timeout"):
        make_engine(pool_timeout=-1)


# -- exhaustion -----------------------------------------------------------------


async def test_exhausted_pool_times_out(make_engine):
    """pool_size=1, max_overflow=0: while one task holds the connection, another
    waits pool_timeout seconds and gets exc.TimeoutError naming the sizes.

    On a sync driver the holder's checkout completes at once and the second
    checkout blocks the thread for the timeout, so the same body covers both."""
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=0.2)
    held = asyncio.Event()
    release = asyncio.Event()

    async def holder() -> int:
        async with engine.connect() as conn:
            value = await scalar(conn, "SELECT 1")
            held.set()
            await release.wait()
            return value  # type: ignore[no-any-return]

    task = asyncio.create_task(holder())
    try:
        await asyncio.wait_for(held.wait(), 5)
        assert engine.pool.checkedout() == 1
        started = time.monotonic()
        with pytest.raises(exc.TimeoutError) as info:
            async with engine.connect() as conn:
                await scalar(conn, "SELECT 1")
        waited = time.monotonic() - started
    finally:
        release.set()
        assert await asyncio.wait_for(task, 5) == 1
    assert 0.15 <= waited < 3
    message = str(info.value)
    assert "size 1" in message
    assert "overflow 0" in message
    assert "timeout 0.20" in message
    # The holder gave it back: the pool works again and nothing leaked.
    assert engine.pool.checkedout() == 0
    async with engine.connect() as conn:
        assert await scalar(conn, "SELECT 2") == 2


async def test_timed_out_checkout_does_not_leak_a_slot(make_engine):
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=0.05)
    async with engine.connect() as first:
        await scalar(first, "SELECT 1")
        for _ in range(3):
            with pytest.raises(exc.TimeoutError):
                async with engine.connect():
                    pass
        assert engine.pool.checkedout() == 1
    for _ in range(3):
        async with engine.connect() as conn:
            assert await scalar(conn, "SELECT 1") == 1
    assert engine.pool.checkedout() == 0


# -- reuse ----------------------------------------------------------------------


async def test_lifo_reuse(make_engine):
    engine = make_engine(pool_size=3, max_overflow=0)
    async with engine.connect() as conn:
        first = await raw_of(conn)
    async with engine.connect() as conn:
        assert await raw_of(conn) is first
        await scalar(conn, "SELECT 1")
    # Two out, returned a then b: the next checkout gets b, the most recent.
    a = await engine.connect()
    b = await engine.connect()
    raw_a, raw_b = await raw_of(a), await raw_of(b)
    assert raw_a is not raw_b
    await a.close()
    await b.close()
    async with engine.connect() as conn:
        assert await raw_of(conn) is raw_b
        async with engine.connect() as other:
            assert await raw_of(other) is raw_a
    assert not raw_closed(raw_a)
    assert not raw_closed(raw_b)


async def test_returned_connection_is_rolled_back(make_engine):
    engine = make_engine(pool_size=1, max_overflow=0)
    await recreate(engine, "CREATE TABLE pool_reset (id INTEGER PRIMARY KEY)", "pool_reset")
    async with engine.connect() as conn:
        raw = await raw_of(conn)
        await conn.execute(text("INSERT INTO pool_reset (id) VALUES (1)"))
        assert conn.in_transaction()
        assert raw_in_transaction(raw)
        assert await scalar(conn, "SELECT count(*) FROM pool_reset") == 1
    # Closed without commit: rolled back before the pool took it back.
    assert not raw_in_transaction(raw)
    async with engine.connect() as conn:
        assert await raw_of(conn) is raw  # the very same session
        assert not conn.in_transaction()
        assert await scalar(conn, "SELECT count(*) FROM pool_reset") == 0
        assert conn.in_transaction()
        await conn.execute(text("DROP TABLE pool_reset"))
        await conn.commit()
        assert not conn.in_transaction()


async def test_committed_work_survives_return(make_engine):
    engine = make_engine(pool_size=1, max_overflow=0)
    await recreate(engine, "CREATE TABLE pool_keep (id INTEGER PRIMARY KEY)", "pool_keep")
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO pool_keep (id) VALUES (1)"))
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO pool_keep (id) VALUES (2)"))
        await conn.commit()
        await conn.execute(text("INSERT INTO pool_keep (id) VALUES (3)"))
    async with engine.connect() as conn:
        ids = (await conn.execute(text("SELECT id FROM pool_keep ORDER BY id"))).scalars()
        assert ids.all() == [1, 2]


async def test_recycle_zero_replaces_the_connection(make_engine):
    engine = make_engine(pool_size=1, max_overflow=0, pool_recycle=0)
    async with engine.connect() as conn:
        first = await raw_of(conn)
        assert await scalar(conn, "SELECT 1") == 1
    time.sleep(0.01)  # older than 0 seconds, whatever the clock's resolution
    async with engine.connect() as conn:
        second = await raw_of(conn)
        assert second is not first
        assert await scalar(conn, "SELECT 1") == 1
    assert raw_closed(first)
    assert not raw_closed(second)
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 1


async def test_recycle_keeps_young_connections(make_engine):
    engine = make_engine(pool_size=1, max_overflow=0, pool_recycle=3600)
    async with engine.connect() as conn:
        first = await raw_of(conn)
    async with engine.connect() as conn:
        assert await raw_of(conn) is first


async def test_pre_ping_keeps_a_live_connection(make_engine):
    engine = make_engine(pool_size=1, max_overflow=0, pool_pre_ping=True)
    async with engine.connect() as conn:
        first = await raw_of(conn)
        await scalar(conn, "SELECT 1")
    async with engine.connect() as conn:
        assert await raw_of(conn) is first
        assert await scalar(conn, "SELECT 1") == 1


# -- dispose --------------------------------------------------------------------


async def test_dispose_closes_idle_and_later_returned_connections(make_engine):
    engine = make_engine(pool_size=3, max_overflow=0)
    idle = await engine.connect()
    raw_idle = await raw_of(idle)
    await idle.close()
    busy = await engine.connect()
    raw_busy = await raw_of(busy)
    assert raw_busy is raw_idle  # LIFO: the idle one came back out
    other = await engine.connect()
    raw_other = await raw_of(other)
    await other.close()  # idle again
    await engine.dispose()
    assert raw_closed(raw_other)  # idle: closed by dispose()
    assert not raw_closed(raw_busy)  # checked out: still in use
    assert await scalar(busy, "SELECT 1") == 1
    assert engine.pool.checkedout() == 1
    await busy.close()
    assert raw_closed(raw_busy)  # closed on its way back, not pooled
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 0
    async with engine.connect() as conn:
        fresh = await raw_of(conn)
        assert fresh is not raw_busy
        assert fresh is not raw_other
        assert await scalar(conn, "SELECT 1") == 1
    # The slots came back: the whole pool can still be checked out.
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(3):
            conn = await stack.enter_async_context(engine.connect())
            await scalar(conn, "SELECT 1")
        assert engine.pool.checkedout() == 3
    assert engine.pool.checkedin() == 3


# -- NullPool and StaticPool ----------------------------------------------------


async def test_null_pool_opens_a_connection_each_time(make_engine, is_async):
    engine = make_engine(poolclass=NullPool)
    assert isinstance(engine.pool, AsyncNullPool if is_async else NullPool)
    seen = []
    for _ in range(3):
        async with engine.connect() as conn:
            raw = await raw_of(conn)
            assert await scalar(conn, "SELECT 1") == 1
            assert engine.pool.checkedout() == 1
        assert raw_closed(raw)
        seen.append(raw)
    assert len({id(raw) for raw in seen}) == 3
    assert engine.pool.checkedout() == 0


async def test_async_pool_classes_are_accepted_too(make_engine, is_async):
    engine = make_engine(poolclass=AsyncNullPool)
    assert isinstance(engine.pool, AsyncNullPool if is_async else NullPool)
    async with engine.connect() as conn:
        assert await scalar(conn, "SELECT 1") == 1


@pytest.mark.backends("sqlite")
async def test_static_pool_for_in_memory_sqlite(make_engine, is_async):
    engine = make_engine("sqlite+aiosqlite://" if is_async else "sqlite://")
    assert isinstance(engine.pool, AsyncStaticPool if is_async else StaticPool)
    async with engine.connect() as conn:
        raw = await raw_of(conn)
        await conn.execute(text("CREATE TABLE mem (id INTEGER PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO mem (id) VALUES (1), (2)"))
        await conn.commit()
    async with engine.connect() as conn:
        assert await raw_of(conn) is raw
        assert await scalar(conn, "SELECT count(*) FROM mem") == 2
        await conn.execute(text("INSERT INTO mem (id) VALUES (3)"))
    # Not committed: rolled back when that connection closed.
    async with engine.connect() as conn:
        assert await scalar(conn, "SELECT count(*) FROM mem") == 2
    assert engine.pool.checkedout() == 0


@pytest.mark.backends("sqlite")
async def test_memory_uri_sqlite_gets_static_pool_too(make_engine, is_async):
    engine = make_engine("sqlite+aiosqlite:///:memory:" if is_async else "sqlite:///:memory:")
    assert isinstance(engine.pool, AsyncStaticPool if is_async else StaticPool)


# -- many tasks, one small pool -------------------------------------------------


@pytest.mark.drivers(*ASYNC_DRIVERS)
async def test_many_tasks_share_a_small_pool(make_engine):
    engine = make_engine(pool_size=5, max_overflow=0, pool_timeout=0.05)
    outcomes: list[str] = []

    async def work(n: int) -> None:
        try:
            async with engine.connect() as conn:
                value = await scalar(conn, "SELECT CAST(:n AS INTEGER)", {"n": n})
                assert value == n
                await asyncio.sleep(0.002)  # hold it a moment: the queue builds up
        except exc.TimeoutError:
            outcomes.append("timeout")
        else:
            outcomes.append("ok")

    await asyncio.wait_for(asyncio.gather(*(work(n) for n in range(200))), 30)
    assert len(outcomes) == 200
    assert outcomes.count("ok") >= 5
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() <= 5
    # Every slot is free again: five connections at once, and a sixth times out.
    async with contextlib.AsyncExitStack() as stack:
        for _ in range(5):
            conn = await stack.enter_async_context(engine.connect())
            assert await scalar(conn, "SELECT 1") == 1
        with pytest.raises(exc.TimeoutError):
            await engine.connect()
    assert engine.pool.checkedout() == 0


@pytest.mark.drivers(*ASYNC_DRIVERS)
async def test_waiting_tasks_get_connections_as_they_free_up(make_engine):
    """With a generous timeout nobody times out: 40 tasks queue for 2 connections."""
    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=10)
    active = 0
    peak = 0

    async def work(n: int) -> int:
        nonlocal active, peak
        async with engine.connect() as conn:
            active += 1
            peak = max(peak, active)
            value = await scalar(conn, "SELECT CAST(:n AS INTEGER)", {"n": n})
            await asyncio.sleep(0.001)
            active -= 1
            return value  # type: ignore[no-any-return]

    results = await asyncio.wait_for(asyncio.gather(*(work(n) for n in range(40))), 20)
    assert results == list(range(40))
    assert peak <= 2
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 2


@pytest.mark.sync_only
async def test_sync_pool_under_threads(make_engine: Any) -> None:
    """Eight threads share a sync pool of three: every checkout is served, the
    counts stay consistent, and every connection comes back."""
    import threading

    engine = unwrap(make_engine(pool_size=2, max_overflow=1, pool_timeout=10))
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(25):
                with engine.connect() as conn:
                    assert conn.execute(text("SELECT 1")).scalar() == 1
                    assert engine.pool.checkedout() <= 3
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() <= 2


def test_sync_queue_hands_items_between_threads() -> None:
    """The sync pool's queue: lock-free put/get_nowait, a condition only for waits;
    under contention no item is lost or handed out twice, and waits time out."""
    import threading

    from ferryman.engine._compat import NOTHING, Queue

    q: Queue[int] = Queue()
    q.put(1)
    q.put(2)
    held: set[int] = set()
    guard = threading.Lock()
    failures: list[str] = []

    def work() -> None:
        for _ in range(300):
            item = q.get(5.0)
            if item is NOTHING:
                failures.append("timed out")
                return
            with guard:
                if item in held:
                    failures.append(f"{item} handed out twice")
                held.add(item)
            with guard:
                held.discard(item)
            q.put(item)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures
    assert sorted([q.get_nowait(), q.get_nowait()]) == [1, 2]
    assert q.get(0.05) is NOTHING  # empty: the wait times out


@pytest.mark.drivers(*ASYNC_DRIVERS)
async def test_a_waiting_task_is_not_starved(make_engine):
    """Tasks that give their connection back and ask again at once do not take it
    from under a task already waiting: it gets the next one, well before its timeout."""
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=3)
    stop = asyncio.Event()

    async def hog() -> None:
        while not stop.is_set():
            async with engine.connect() as conn:
                await scalar(conn, "SELECT 1")

    hogs = [asyncio.create_task(hog()) for _ in range(3)]
    await asyncio.sleep(0.05)
    started = time.monotonic()
    async with engine.connect() as conn:
        assert await scalar(conn, "SELECT 2") == 2
    assert time.monotonic() - started < 1
    stop.set()
    await asyncio.gather(*hogs)
    assert engine.pool.checkedout() == 0


@pytest.mark.drivers("sqlite", "psycopg")
def test_a_waiting_thread_is_not_starved(make_engine):
    """The sync pool is fair the same way, between threads."""
    import threading

    engine = unwrap(make_engine(pool_size=1, max_overflow=0, pool_timeout=3))
    stop = threading.Event()

    def hog() -> None:
        while not stop.is_set():
            with engine.connect() as conn:
                conn.execute(text("SELECT 1")).scalar()

    hogs = [threading.Thread(target=hog) for _ in range(3)]
    for thread in hogs:
        thread.start()
    time.sleep(0.05)
    started = time.monotonic()
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT 2")).scalar() == 2
        assert time.monotonic() - started < 1
    finally:
        stop.set()
        for thread in hogs:
            thread.join()
    assert engine.pool.checkedout() == 0

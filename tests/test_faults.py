"""Faults on PostgreSQL: cancelled queries, killed backends, dead pooled connections.

Backends are killed out of band through the ``pg_admin`` connection
(``pg_terminate_backend``). Each engine tags its sessions with a unique
``application_name`` so that ``pg_stat_activity`` can tell ours apart from
anything else running on the server.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import threading
import time
from typing import Any

import pytest

from ferryman import exc, text

pytestmark = pytest.mark.backends("postgresql")

_names = itertools.count(1)


def tagged(driver: str) -> tuple[str, dict[str, Any]]:
    """A unique application_name and the connect_args that set it for ``driver``."""
    name = f"ferryman_faults_{os.getpid()}_{next(_names)}"
    if driver == "asyncpg":
        return name, {"server_settings": {"application_name": name}}
    return name, {"application_name": name}


async def scalar(conn: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
    return (await conn.execute(text(sql), params)).scalar()


async def backend_pid(conn: Any) -> int:
    return await scalar(conn, "SELECT pg_backend_pid()")  # type: ignore[no-any-return]


def sessions(pg_admin: Any, name: str) -> list[tuple[int, str, str]]:
    """(pid, state, query) of every session tagged ``name``."""
    return pg_admin.execute(  # type: ignore[no-any-return]
        "SELECT pid, coalesce(state, ''), query FROM pg_stat_activity "
        "WHERE application_name = %s AND pid <> pg_backend_pid()",
        (name,),
    ).fetchall()


def terminate(pg_admin: Any, pid: int) -> None:
    assert pg_admin.execute("SELECT pg_terminate_backend(%s)", (pid,)).fetchone()[0]


async def kill(pg_admin: Any, pid: int) -> None:
    """Terminate a backend and wait until the server has let it go."""
    terminate(pg_admin, pid)
    deadline = time.monotonic() + 5
    while pg_admin.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", (pid,)).fetchone():
        assert time.monotonic() < deadline, f"backend {pid} did not exit"
        await asyncio.sleep(0.02)


async def assert_nothing_left_dirty(pg_admin: Any, name: str) -> None:
    """No session of ours is idle in a transaction or still running pg_sleep (polled:
    the server needs a moment to notice a dropped or cancelled session)."""
    deadline = time.monotonic() + 3
    while True:
        bad = [
            row
            for row in sessions(pg_admin, name)
            if row[1].startswith("idle in transaction")
            or (row[1] == "active" and "pg_sleep" in row[2])
        ]
        if not bad:
            return
        assert time.monotonic() < deadline, f"sessions left dirty: {bad}"
        await asyncio.sleep(0.05)


async def recreate(engine: Any, table: str) -> None:
    async with engine.connect() as conn:
        await conn.execute(text(f"DROP TABLE IF EXISTS {table}"))
        await conn.execute(text(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY)"))
        await conn.commit()


async def ids(engine: Any, table: str) -> list[int]:
    async with engine.connect() as conn:
        result = await conn.execute(text(f"SELECT id FROM {table} ORDER BY id"))
        return result.scalars().all()  # type: ignore[no-any-return]


# -- (a) interrupted statements ---------------------------------------------------


@pytest.mark.drivers("psycopg_async", "asyncpg")
async def test_cancelled_query_returns_nothing_dirty(make_engine, pg_admin, driver):
    name, args = tagged(driver)
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=2, connect_args=args)
    started = time.monotonic()
    conn = await engine.connect()
    old_pid = await backend_pid(conn)
    assert conn.in_transaction()
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(conn.execute(text("SELECT pg_sleep(5)")), 0.2)
    await conn.close()
    assert not conn.in_transaction()
    assert engine.pool.checkedout() == 0
    # The only slot is free again and what it gives is clean.
    async with engine.connect() as conn:
        assert not conn.in_transaction()
        assert await scalar(conn, "SELECT CAST(:x AS INTEGER) + 1", {"x": 41}) == 42
        new_pid = await backend_pid(conn)
        await conn.commit()
        await assert_nothing_left_dirty(pg_admin, name)
    assert engine.pool.checkedout() == 0
    await assert_nothing_left_dirty(pg_admin, name)
    # The interrupted session was not handed out again, and nobody waited for pg_sleep.
    assert new_pid != old_pid
    assert time.monotonic() - started < 4


@pytest.mark.drivers("psycopg_async", "asyncpg")
async def test_cancelled_query_inside_connect_block(make_engine, pg_admin, driver):
    """The usual shape: the timeout hits inside 'async with engine.connect()'."""
    name, args = tagged(driver)
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=2, connect_args=args)

    async def slow() -> None:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT pg_sleep(5)"))

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(slow(), 0.2)
    assert engine.pool.checkedout() == 0
    for _ in range(2):
        async with engine.connect() as conn:
            assert await scalar(conn, "SELECT 1") == 1
    await assert_nothing_left_dirty(pg_admin, name)


async def test_statement_timeout_leaves_nothing_dirty(make_engine, pg_admin, driver):
    """A server-side timeout (the sync driver's way to interrupt a query): an
    OperationalError, the connection stays, and rollback() makes it usable."""
    name, args = tagged(driver)
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=2, connect_args=args)
    async with engine.connect() as conn:
        pid = await backend_pid(conn)
        await conn.execute(text("SET LOCAL statement_timeout = 200"))
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as info:
            await conn.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 3
        err = info.value
        assert err.sqlstate == "57014"
        assert not err.connection_invalidated
        assert "pg_sleep" in err.statement
        assert conn.in_transaction()
        # PostgreSQL refuses everything in a failed transaction until it is rolled back.
        with pytest.raises(exc.InternalError) as info:
            await conn.execute(text("SELECT 1"))
        assert info.value.sqlstate == "25P02"
        await conn.rollback()
        assert not conn.in_transaction()
        assert await backend_pid(conn) == pid  # not invalidated: same session
        assert await scalar(conn, "SHOW statement_timeout") == "0"
    assert engine.pool.checkedout() == 0
    # Closed without committing that last transaction: rolled back on return.
    async with engine.connect() as conn:
        assert await backend_pid(conn) == pid
        assert await scalar(conn, "SELECT 1") == 1
        await conn.commit()
        await assert_nothing_left_dirty(pg_admin, name)
    await assert_nothing_left_dirty(pg_admin, name)


# -- (b) a backend killed under an open transaction -----------------------------------


async def test_killed_backend_invalidates_the_connection(make_engine, pg_admin):
    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=2)
    async with engine.connect() as conn:
        pid = await backend_pid(conn)
        assert conn.in_transaction()
        assert engine.pool.checkedout() == 1
        await kill(pg_admin, pid)

        with pytest.raises(exc.OperationalError) as info:
            await conn.execute(text("SELECT 1"))
        err = info.value
        assert err.connection_invalidated
        assert err.orig is not None
        assert err.statement == "SELECT 1"
        assert conn.invalidated
        assert engine.pool.checkedout() == 0  # the broken connection was discarded

        # The transaction died with the connection: it must be rolled back first.
        assert conn.in_transaction()
        with pytest.raises(exc.PendingRollbackError):
            await conn.execute(text("SELECT 1"))
        with pytest.raises(exc.PendingRollbackError):
            await conn.commit()
        assert engine.pool.checkedout() == 0
        await conn.rollback()
        assert not conn.in_transaction()

        # The same Connection goes on, on a new database session.
        new_pid = await backend_pid(conn)
        assert new_pid != pid
        assert not conn.invalidated
        assert conn.in_transaction()
        assert engine.pool.checkedout() == 1
        await conn.commit()
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 1
    async with engine.connect() as conn:
        assert await backend_pid(conn) == new_pid  # the new one was pooled


async def test_killed_backend_while_others_are_busy(make_engine, pg_admin):
    """Losing one connection does not disturb the others checked out of the pool."""
    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=2)
    async with engine.connect() as victim, engine.connect() as bystander:
        victim_pid = await backend_pid(victim)
        bystander_pid = await backend_pid(bystander)
        assert engine.pool.checkedout() == 2
        await kill(pg_admin, victim_pid)
        with pytest.raises(exc.OperationalError) as info:
            await victim.execute(text("SELECT 1"))
        assert info.value.connection_invalidated
        assert engine.pool.checkedout() == 1
        assert await backend_pid(bystander) == bystander_pid
        await victim.rollback()
        assert await backend_pid(victim) not in (victim_pid, bystander_pid)
        assert engine.pool.checkedout() == 2
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 2


# -- (c) dead connections waiting in the pool -------------------------------------------


async def test_pre_ping_replaces_a_dead_pooled_connection(make_engine, pg_admin):
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=2, pool_pre_ping=True)
    async with engine.connect() as conn:
        pid = await backend_pid(conn)
    assert engine.pool.checkedin() == 1
    await kill(pg_admin, pid)
    async with engine.connect() as conn:
        new_pid = await backend_pid(conn)  # no error at all
        assert new_pid != pid
        assert engine.pool.checkedout() == 1
    assert engine.pool.checkedout() == 0
    assert engine.pool.checkedin() == 1
    async with engine.connect() as conn:
        assert await backend_pid(conn) == new_pid  # a live connection is kept


async def test_without_pre_ping_one_error_then_recovery(make_engine, pg_admin):
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=2)
    async with engine.connect() as conn:
        pid = await backend_pid(conn)
    await kill(pg_admin, pid)
    errors = 0
    async with engine.connect() as conn:
        try:
            await conn.execute(text("SELECT 1"))
        except exc.OperationalError as err:
            assert err.connection_invalidated
            errors += 1
        assert errors == 1
        assert engine.pool.checkedout() == 0
        # Nothing had begun, so nothing needs rolling back: the connection reconnects.
        assert not conn.in_transaction()
        new_pid = await backend_pid(conn)
        assert new_pid != pid
    for _ in range(3):
        async with engine.connect() as conn:
            assert await backend_pid(conn) == new_pid
    assert engine.pool.checkedout() == 0


# -- (d) what survives a kill -------------------------------------------------------


class _KillLater:
    """Terminate a backend from a thread after a delay (works while a sync driver blocks)."""

    def __init__(self, pg_admin: Any, pid: int, delay: float) -> None:
        self._timer = threading.Timer(delay, terminate, (pg_admin, pid))

    def __enter__(self) -> _KillLater:
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.join(5)


async def test_kill_mid_transaction_keeps_only_committed_rows(make_engine, pg_admin):
    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=2)
    await recreate(engine, "fault_rows")
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO fault_rows (id) VALUES (1)"))
        await conn.commit()
        await conn.execute(text("INSERT INTO fault_rows (id) VALUES (2)"))
        pid = await backend_pid(conn)
        started = time.monotonic()
        with _KillLater(pg_admin, pid, 0.3), pytest.raises(exc.OperationalError) as info:
            await conn.execute(text("SELECT pg_sleep(5)"))
        assert time.monotonic() - started < 4
        assert info.value.connection_invalidated
        with pytest.raises(exc.PendingRollbackError):
            await conn.commit()
        await conn.rollback()
        # The same connection, reconnected, sees the committed row only.
        result = await conn.execute(text("SELECT id FROM fault_rows ORDER BY id"))
        assert result.scalars().all() == [1]
        await conn.execute(text("INSERT INTO fault_rows (id) VALUES (3)"))
        await conn.commit()
    assert await ids(engine, "fault_rows") == [1, 3]
    assert engine.pool.checkedout() == 0
    async with engine.connect() as conn:
        await conn.execute(text("DROP TABLE fault_rows"))
        await conn.commit()


async def test_kill_inside_begin_block_rolls_back(make_engine, pg_admin):
    """'async with engine.begin()' whose connection dies: the block raises, nothing
    is committed, and the pool is whole afterwards."""
    engine = make_engine(pool_size=1, max_overflow=0, pool_timeout=2)
    await recreate(engine, "fault_block")
    with pytest.raises(exc.OperationalError) as info:
        async with engine.begin() as conn:
            await conn.execute(text("INSERT INTO fault_block (id) VALUES (1), (2)"))
            await kill(pg_admin, await backend_pid(conn))
            await conn.execute(text("INSERT INTO fault_block (id) VALUES (3)"))
    assert info.value.connection_invalidated
    assert engine.pool.checkedout() == 0
    assert await ids(engine, "fault_block") == []
    async with engine.begin() as conn:
        await conn.execute(text("INSERT INTO fault_block (id) VALUES (4)"))
    assert await ids(engine, "fault_block") == [4]
    async with engine.connect() as conn:
        await conn.execute(text("DROP TABLE fault_block"))
        await conn.commit()


@pytest.mark.drivers("psycopg", "psycopg_async", "asyncpg")
async def test_server_restart_recovers_with_pre_ping(make_engine: Any, driver: str) -> None:
    """A private server restarted under a pool of idle connections: with pool_pre_ping
    no user sees an error; without it, one error per stale connection, then recovery."""
    from .private_pg import PrivatePostgres

    server = PrivatePostgres()
    server.start()
    try:
        scheme = {"psycopg": "postgresql+psycopg", "psycopg_async": "postgresql+psycopg_async",
                  "asyncpg": "postgresql+asyncpg"}[driver]  # fmt: skip
        url = f"{scheme}://root@{server.address}/postgres"
        pinged = make_engine(url, pool_pre_ping=True, pool_size=2)
        plain = make_engine(url, pool_size=1)
        for engine in (pinged, plain):
            async with engine.connect() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        server.restart()
        async with pinged.connect() as conn:
            assert (await conn.execute(text("SELECT 2"))).scalar() == 2
        with pytest.raises(exc.OperationalError) as info:
            async with plain.connect() as conn:
                await conn.execute(text("SELECT 3"))
        assert info.value.connection_invalidated
        async with plain.connect() as conn:
            assert (await conn.execute(text("SELECT 4"))).scalar() == 4
    finally:
        server.close()


# -- (c) a backend killed during a flush, and during a streamed read ------------------


async def test_kill_during_a_flush_writes_the_objects_once(make_engine, pg_admin, make_session):
    from ferryman import Integer
    from ferryman.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Parcel(Base):
        __tablename__ = "fault_parcels"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=2)
    async with engine.connect() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS fault_parcels"))
        # each row's default takes 0.2 s: an INSERT of five rows is still running when
        # the backend is killed
        await conn.execute(
            text(
                "CREATE TABLE fault_parcels (id INTEGER PRIMARY KEY, "
                "slow TEXT DEFAULT (pg_sleep(0.2)::text))"
            )
        )
        await conn.commit()
    session = make_session()
    session.add(Parcel(id=1))
    await session.commit()  # committed before the fault: it must stay, once
    parcels = [Parcel(id=i) for i in range(2, 7)]
    session.add_all(parcels)
    async with engine.connect() as conn:  # the session's connection comes back pooled
        pass
    conn = await session.connection()
    pid = await backend_pid(conn)
    with _KillLater(pg_admin, pid, 0.3), pytest.raises(exc.OperationalError) as info:
        await session.commit()  # the flush's INSERT is killed
    assert info.value.connection_invalidated
    assert all(p.id in range(2, 7) for p in parcels)
    with pytest.raises(exc.PendingRollbackError):
        await session.flush()
    await session.rollback()
    assert all(inspect_pending(p) for p in parcels)  # still to be written
    await session.commit()  # on a new connection
    await session.close()
    assert await ids(engine, "fault_parcels") == [1, 2, 3, 4, 5, 6]
    assert engine.pool.checkedout() == 0
    async with engine.connect() as conn:
        await conn.execute(text("DROP TABLE fault_parcels"))
        await conn.commit()


def inspect_pending(obj: Any) -> bool:
    from ferryman import inspect

    return bool(inspect(obj).pending)


async def test_kill_during_a_streamed_read(make_engine, pg_admin):
    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=2)
    query = text("SELECT i, pg_sleep(0.002) FROM generate_series(1, 5000) AS i")
    async with engine.connect() as conn:
        pid = await backend_pid(conn)
        result = await conn.stream(query, execution_options={"yield_per": 50})
        first = await result.fetchmany(50)
        assert [row[0] for row in first] == list(range(1, 51))
        await kill(pg_admin, pid)
        with pytest.raises(exc.OperationalError) as info:
            while await result.fetchmany(50):
                pass
        assert info.value.connection_invalidated
        assert engine.pool.checkedout() == 0  # the broken connection was discarded
        await conn.rollback()
    async with engine.connect() as conn:  # the next checkout works
        assert await backend_pid(conn) != pid
    assert engine.pool.checkedout() == 0


# -- (d) cancellation at every await point ---------------------------------------------


@pytest.mark.async_only
@pytest.mark.backends("postgresql", "sqlite")
@pytest.mark.timeout(120)
async def test_cancelled_at_every_await_point_of_a_unit_of_work(make_engine, driver):
    """One task reads, adds, flushes and commits; it is cancelled after 0, 1, 2 ...
    turns of the event loop (and after a few short delays), so that the cancellation
    lands at each await point of execute, fetch, flush and commit in turn. Each
    time: no connection kept out of the pool, nothing half-committed, and the next
    unit of work runs."""
    from ferryman import Integer, select
    from ferryman.asyncio import async_sessionmaker
    from ferryman.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Parcel(Base):
        __tablename__ = "fault_cancel_parcels"
        id: Mapped[int] = mapped_column(Integer, primary_key=True)

    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=5)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    Sessions = async_sessionmaker(engine)
    completed: set[int] = set()

    async def unit_of_work(new_id: int) -> None:
        async with Sessions() as session:
            (await session.scalars(select(Parcel).limit(5))).all()
            session.add(Parcel(id=new_id))
            await session.flush()
            await session.commit()
        completed.add(new_id)

    waits = [("turns", n) for n in range(40)] + [("ms", n / 2) for n in range(1, 12)]

    async def cancelled(work: Any, kind: str, amount: float) -> bool:
        """Run ``work`` in a task cancelled after ``amount`` turns of the loop or
        milliseconds; whether the cancellation caught it."""
        task = asyncio.create_task(work)
        if kind == "turns":
            for _ in range(int(amount)):
                await asyncio.sleep(0)
        else:
            await asyncio.sleep(amount / 1000)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return True
        return False

    for new_id, (kind, amount) in enumerate(waits, 1):
        await cancelled(unit_of_work(new_id), kind, amount)
        assert engine.pool.checkedout() == 0, (kind, amount)

    # One session through all of it: after a cancelled operation, rollback() makes it
    # usable again, whichever await point the cancellation hit.
    session = Sessions()
    reused = 2000

    async def in_the_same_session(new_id: int) -> None:
        (await session.scalars(select(Parcel).limit(5))).all()
        session.add(Parcel(id=new_id))
        await session.flush()
        await session.commit()
        completed.add(new_id)

    for kind, amount in waits:
        reused += 1
        if await cancelled(in_the_same_session(reused), kind, amount):
            await session.rollback()
            for obj in list(session.new):
                session.expunge(obj)
        assert engine.pool.checkedout() == 0, (kind, amount)
    await in_the_same_session(3000)
    await session.close()

    await unit_of_work(1000)  # the pool and the database are fine
    async with engine.connect() as conn:
        stored = set((await conn.execute(select(Parcel.id))).scalars().all())
    assert completed <= stored  # what finished is there (once: it is the key)
    attempted = set(range(1, len(waits) + 1)) | set(range(2001, reused + 1))
    assert stored <= completed | attempted  # nothing from nowhere
    assert {1000, 3000} <= stored
    assert engine.pool.checkedout() == 0
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_lock_timeout_is_a_clear_error(make_engine):
    engine = make_engine(pool_size=2, max_overflow=0, pool_timeout=2)
    await recreate(engine, "fault_locks")
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO fault_locks (id) VALUES (1)"))
        await conn.commit()
    async with engine.connect() as holder:
        await holder.execute(text("SELECT id FROM fault_locks WHERE id = 1 FOR UPDATE"))
        async with engine.connect() as conn:
            await conn.execute(text("SET LOCAL lock_timeout = 100"))
            started = time.monotonic()
            with pytest.raises(exc.OperationalError) as info:
                await conn.execute(text("UPDATE fault_locks SET id = 2 WHERE id = 1"))
            assert time.monotonic() - started < 3
            error = info.value
            assert error.sqlstate == "55P03" and "lock" in str(error)
            assert not error.connection_invalidated and not error.retryable
            await conn.rollback()  # the connection is fine after rollback
            assert await scalar(conn, "SELECT count(*) FROM fault_locks") == 1
        await holder.rollback()
    assert engine.pool.checkedout() == 0
    async with engine.connect() as conn:
        await conn.execute(text("DROP TABLE fault_locks"))
        await conn.commit()

"""Connections and transactions, on every driver pairing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ferryman import exc, text
from ferryman.asyncio import AsyncConnection

from .conftest import unwrap

CREATE = "CREATE TABLE tx_items (id INTEGER PRIMARY KEY, name VARCHAR(50))"
INSERT = text("INSERT INTO tx_items (id, name) VALUES (:id, :name)")
COUNT = text("SELECT count(*) FROM tx_items")


async def _fresh_table(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DROP TABLE IF EXISTS tx_items")
        await conn.exec_driver_sql(CREATE)


async def _count(engine: Any) -> int:
    async with engine.connect() as conn:
        return int((await conn.execute(COUNT)).scalar_one())


async def test_select_with_bind(engine: Any) -> None:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT CAST(:x AS INTEGER) + 1 AS y"), {"x": 41})
        assert result.scalar_one() == 42


async def test_autobegin_and_commit(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        assert not conn.in_transaction()
        await conn.execute(INSERT, {"id": 1, "name": "a"})
        assert conn.in_transaction()
        await conn.commit()
        assert not conn.in_transaction()
    assert await _count(engine) == 1


async def test_close_rolls_back_uncommitted_work(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        await conn.execute(INSERT, {"id": 1, "name": "a"})
    assert await _count(engine) == 0


async def test_engine_begin_commits_or_rolls_back(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.begin() as conn:
        await conn.execute(INSERT, {"id": 1, "name": "a"})
    with pytest.raises(ZeroDivisionError):
        async with engine.begin() as conn:
            await conn.execute(INSERT, {"id": 2, "name": "b"})
            1 / 0  # noqa: B018
    assert await _count(engine) == 1


async def test_explicit_begin_commit_rollback(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        trans = await conn.begin()
        assert trans.is_active
        await conn.execute(INSERT, {"id": 1, "name": "a"})
        await trans.rollback()
        assert not trans.is_active
        assert not conn.in_transaction()
        async with conn.begin() as trans2:
            await conn.execute(INSERT, {"id": 2, "name": "b"})
        assert not trans2.is_active
    assert await _count(engine) == 1


async def test_begin_inside_autobegun_transaction_is_refused(engine: Any) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        with pytest.raises(exc.InvalidRequestError, match="already begun"):
            conn.begin()
        await conn.rollback()
        async with conn.begin():
            pass


async def test_commit_twice_and_after_rollback(engine: Any) -> None:
    async with engine.connect() as conn:
        trans = await conn.begin()
        await trans.commit()
        with pytest.raises(exc.InvalidRequestError, match="already committed"):
            await trans.commit()
        await trans.rollback()  # harmless: nothing left to undo
        trans = await conn.begin()
        await trans.rollback()
        with pytest.raises(exc.InvalidRequestError, match="rolled back"):
            await trans.commit()


async def test_savepoints_nest_release_and_roll_back(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        await conn.execute(INSERT, {"id": 1, "name": "outer"})
        async with conn.begin_nested():
            await conn.execute(INSERT, {"id": 2, "name": "kept"})
            inner = await conn.begin_nested()
            assert conn.in_nested_transaction()
            await conn.execute(INSERT, {"id": 3, "name": "dropped"})
            await inner.rollback()
        with pytest.raises(exc.IntegrityError):
            async with conn.begin_nested():
                await conn.execute(INSERT, {"id": 1, "name": "duplicate"})
        assert not conn.in_nested_transaction()
        # the outer transaction survived the failed savepoint
        names = (await conn.execute(text("SELECT name FROM tx_items ORDER BY id"))).scalars()
        assert names.all() == ["outer", "kept"]
        await conn.commit()
    assert await _count(engine) == 2


async def test_releasing_outer_savepoint_ends_inner_ones(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        outer = await conn.begin_nested()
        inner = await conn.begin_nested()
        await conn.execute(INSERT, {"id": 1, "name": "x"})
        await outer.commit()
        assert not inner.is_active
        with pytest.raises(exc.InvalidRequestError, match="inactive"):
            await inner.commit()
        await conn.commit()
    assert await _count(engine) == 1


async def test_savepoint_without_transaction_autobegins(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        async with conn.begin_nested():
            await conn.execute(INSERT, {"id": 1, "name": "x"})
        assert conn.in_transaction()
        await conn.rollback()
    assert await _count(engine) == 0


async def test_autocommit_isolation(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT")
        assert conn.get_isolation_level() == "AUTOCOMMIT"
        await conn.execute(INSERT, {"id": 1, "name": "a"})
        await conn.rollback()  # nothing to undo: the row is already committed
    assert await _count(engine) == 1


async def test_isolation_level_cannot_change_inside_transaction(engine: Any) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        with pytest.raises(exc.InvalidRequestError, match="isolation level"):
            conn.execution_options(isolation_level="AUTOCOMMIT")
        with pytest.raises(exc.ArgumentError, match="valid levels"):
            await conn.rollback()
            conn.execution_options(isolation_level="SOMETIMES")


@pytest.mark.backends("postgresql")
async def test_isolation_level_reaches_the_server(make_engine: Any) -> None:
    engine = make_engine(isolation_level="serializable")
    async with engine.connect() as conn:
        level = (await conn.execute(text("SHOW transaction_isolation"))).scalar()
        assert level == "serializable"
    async with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ")
        level = (await conn.execute(text("SHOW transaction_isolation"))).scalar()
        assert level == "repeatable read"


async def test_engine_execution_options_share_the_pool(engine: Any) -> None:
    autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
    assert unwrap(autocommit).pool is unwrap(engine).pool
    async with autocommit.connect() as conn:
        assert conn.get_isolation_level() == "AUTOCOMMIT"
    with pytest.raises(exc.ArgumentError, match="Unknown execution option"):
        engine.execution_options(colour="blue")


async def test_closed_connection_refuses_work(engine: Any) -> None:
    conn = await engine.connect()
    await conn.close()
    assert conn.closed
    await conn.close()  # closing twice is fine
    with pytest.raises(exc.ResourceClosedError, match="closed"):
        await conn.execute(text("SELECT 1"))


async def test_invalidate_discards_the_driver_connection(engine: Any) -> None:
    async with engine.connect() as conn:
        first = (await conn.get_raw_connection()).driver_connection
        await conn.execute(text("SELECT 1"))
        await conn.invalidate()
        assert conn.invalidated
        with pytest.raises(exc.PendingRollbackError):
            await conn.execute(text("SELECT 1"))
        await conn.rollback()
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        assert not conn.invalidated
        assert (await conn.get_raw_connection()).driver_connection is not first


async def test_raw_connection_is_the_drivers_own(engine: Any, driver: str) -> None:
    import sqlite3

    async with engine.connect() as conn:
        raw = (await conn.get_raw_connection()).driver_connection
        module = {
            "sqlite": sqlite3.Connection,
            "aiosqlite": __import__("aiosqlite").Connection,
            "psycopg": __import__("psycopg").Connection,
            "psycopg_async": __import__("psycopg").AsyncConnection,
            "asyncpg": __import__("asyncpg").Connection,
            "pymysql": __import__("pymysql").connections.Connection,
            "asyncmy": __import__("asyncmy").Connection,
        }[driver]
        assert isinstance(raw, module)


async def test_exec_driver_sql_uses_driver_placeholders(engine: Any, driver: str) -> None:
    await _fresh_table(engine)
    mark = {"sqlite": "?", "aiosqlite": "?", "asyncpg": "$1"}.get(driver, "%s")
    async with engine.begin() as conn:
        await conn.exec_driver_sql(f"INSERT INTO tx_items (id, name) VALUES (1, {mark})", ("a",))
        rows = await conn.exec_driver_sql("SELECT id, name FROM tx_items")
        assert rows.all() == [(1, "a")]


async def test_bad_parameters_are_argument_errors(engine: Any) -> None:
    async with engine.connect() as conn:
        with pytest.raises(exc.ArgumentError, match="dict"):
            await conn.execute(text("SELECT 1"), 5)
        with pytest.raises(exc.ObjectNotExecutableError, match="text"):
            await conn.execute("SELECT 1")


@pytest.mark.async_only
async def test_run_sync_shares_the_transaction(engine: Any) -> None:
    await _fresh_table(engine)

    def work(sync_conn: Any, start: int) -> int:
        assert sync_conn.in_transaction()
        sync_conn.execute(INSERT, [{"id": start + i, "name": "s"} for i in range(3)])
        with sync_conn.begin_nested():
            sync_conn.execute(INSERT, {"id": 100, "name": "nested"})
        return int(sync_conn.execute(COUNT).scalar_one())

    async with engine.connect() as conn:
        await conn.execute(INSERT, {"id": 0, "name": "async"})
        assert await conn.run_sync(work, 1) == 5
        # the async side sees the same, uncommitted transaction
        assert (await conn.execute(COUNT)).scalar_one() == 5
        await conn.rollback()
        assert (await conn.execute(COUNT)).scalar_one() == 0
    assert unwrap(engine).sync_engine.dialect is unwrap(engine).dialect


@pytest.mark.async_only
async def test_run_sync_errors_propagate(engine: Any) -> None:
    def fail(sync_conn: Any) -> None:
        sync_conn.execute(text("SELECT * FROM no_such_table_here"))

    async with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError):
            await conn.run_sync(fail)
        await conn.rollback()
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1


@pytest.mark.async_only
async def test_sync_engine_of_async_engine_opens_nothing(engine: Any) -> None:
    with pytest.raises(exc.InvalidRequestError, match="run_sync"):
        engine.sync_engine.connect()


@pytest.mark.async_only
async def test_async_connection_awaitable_and_transaction_not_started(engine: Any) -> None:
    conn = await engine.connect()
    assert isinstance(conn, AsyncConnection)
    trans = conn.begin()
    with pytest.raises(exc.InvalidRequestError, match="not started"):
        await trans.commit()
    await trans
    await trans.commit()
    with pytest.raises(exc.InvalidRequestError, match="buffers"):
        await conn.execute(text("SELECT 1"), execution_options={"stream_results": True})
    await conn.close()


@pytest.mark.async_only
async def test_concurrent_connections_are_independent(engine: Any) -> None:
    await _fresh_table(engine)

    async def insert(n: int) -> None:
        async with engine.begin() as conn:
            await conn.execute(INSERT, {"id": n, "name": f"t{n}"})

    await asyncio.gather(*(insert(n) for n in range(10)))
    assert await _count(engine) == 10


@pytest.mark.sync_only
async def test_sync_stream_results_option(engine: Any) -> None:
    conn = unwrap(engine).connect()
    try:
        result = conn.execute(
            text("SELECT 1 AS a UNION ALL SELECT 2"), execution_options={"yield_per": 1}
        )
        assert [row.a for row in result] == [1, 2]
    finally:
        conn.close()


async def test_get_transaction_handles(engine: Any) -> None:
    await _fresh_table(engine)
    async with engine.connect() as conn:
        assert conn.get_transaction() is None
        await conn.execute(INSERT, {"id": 1, "name": "a"})
        trans = conn.get_transaction()
        assert trans.is_active and not trans.nested
        await conn.begin_nested()
        assert conn.get_nested_transaction().is_active
        await trans.commit()  # commits the autobegun transaction, savepoint included
        assert not conn.in_transaction()
    assert await _count(engine) == 1

"""Error mapping: one failure, one ``ferryman.exc`` class, whatever the driver.

Statement errors carry ``orig``, ``statement``, ``params`` and ``sqlstate``
and leave the connection usable after ``rollback()``. Connection failures
(nothing listening, no such database, a wrong password, an SQLite file that
cannot be created) are ``OperationalError``. The wrong-password case needs
password authentication, so it runs against a private PostgreSQL instance
started for this module.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from ferryman import exc, text

from .private_pg import PrivatePostgres

PG_DRIVERS = ("psycopg", "psycopg_async", "asyncpg")


async def scalar(conn: Any, sql: str, params: dict[str, Any] | None = None) -> Any:
    return (await conn.execute(text(sql), params)).scalar()


async def make_table(engine: Any) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS err_items"))
        await conn.execute(
            text(
                "CREATE TABLE err_items (id INTEGER PRIMARY KEY, "
                "code VARCHAR(20) NOT NULL UNIQUE, note VARCHAR(20))"
            )
        )
        await conn.execute(
            text("INSERT INTO err_items (id, code, note) VALUES (:id, :code, :note)"),
            {"id": 1, "code": "a", "note": "first"},
        )
        await conn.commit()


async def check_usable_after_rollback(conn: Any) -> None:
    """After the failure and a rollback(), the same connection works and the
    committed row is intact."""
    await conn.rollback()
    assert not conn.in_transaction()
    assert await scalar(conn, "SELECT count(*) FROM err_items") == 1
    await conn.execute(
        text("INSERT INTO err_items (id, code) VALUES (:id, :code)"), {"id": 2, "code": "b"}
    )
    await conn.commit()
    assert await scalar(conn, "SELECT count(*) FROM err_items") == 2
    await conn.execute(text("DROP TABLE err_items"))
    await conn.commit()


# -- statement errors ----------------------------------------------------------------


async def test_unique_violation(engine, backend):
    await make_table(engine)
    sql = "INSERT INTO err_items (id, code, note) VALUES (:id, :code, :note)"
    params = {"id": 7, "code": "a", "note": "dup"}
    async with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            await conn.execute(text(sql), params)
        err = info.value
        assert isinstance(err, exc.DatabaseError)
        assert isinstance(err, exc.DBAPIError)
        assert err.orig is not None
        assert err.statement is not None
        assert "INSERT INTO err_items" in err.statement
        assert err.params == params
        assert not err.connection_invalidated
        expected = {"postgresql": "23505", "mysql": "23000"}
        assert err.sqlstate == expected.get(backend, "SQLITE_CONSTRAINT_UNIQUE")
        if backend == "mysql":
            assert err.errno == 1062
        message = str(err)
        assert "INSERT INTO err_items" in message
        assert "'dup'" in message
        assert err.sqlstate in message
        assert type(err.orig).__name__ in message
        await check_usable_after_rollback(conn)


async def test_not_null_violation(engine, backend):
    await make_table(engine)
    async with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            await conn.execute(
                text("INSERT INTO err_items (id, code) VALUES (:id, :code)"),
                {"id": 5, "code": None},
            )
        err = info.value
        assert err.orig is not None
        assert err.params == {"id": 5, "code": None}
        expected = {"postgresql": "23502", "mysql": "23000"}
        assert err.sqlstate == expected.get(backend, "SQLITE_CONSTRAINT_NOTNULL")
        await check_usable_after_rollback(conn)


async def test_primary_key_violation_in_executemany(engine):
    await make_table(engine)
    rows = [{"id": 10, "code": "x"}, {"id": 1, "code": "y"}]
    async with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            await conn.execute(text("INSERT INTO err_items (id, code) VALUES (:id, :code)"), rows)
        assert info.value.params == rows
        await check_usable_after_rollback(conn)


async def test_syntax_error(engine, backend):
    await make_table(engine)
    async with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError) as info:
            await conn.execute(text("SELEC id FROM err_items"))
        err = info.value
        assert err.statement == "SELEC id FROM err_items"
        assert err.orig is not None
        assert "SELEC id FROM err_items" in str(err)
        expected = {"postgresql": "42601", "mysql": "42000"}
        assert err.sqlstate == expected.get(backend, "SQLITE_ERROR")
        await check_usable_after_rollback(conn)


async def test_missing_table(engine, backend):
    await make_table(engine)
    async with engine.connect() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS err_nowhere"))
        await conn.commit()
        with pytest.raises(exc.ProgrammingError) as info:
            await conn.execute(text("SELECT id FROM err_nowhere WHERE id = :id"), {"id": 3})
        err = info.value
        assert "err_nowhere" in str(err)
        assert "{'id': 3}" in str(err)
        expected = {"postgresql": "42P01", "mysql": "42S02"}
        assert err.sqlstate == expected.get(backend, "SQLITE_ERROR")
        await check_usable_after_rollback(conn)


async def test_missing_column(engine, backend):
    await make_table(engine)
    async with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError) as info:
            await conn.execute(text("SELECT nothing_here FROM err_items"))
        expected = {"postgresql": "42703", "mysql": "42S22"}
        assert info.value.sqlstate == expected.get(backend, "SQLITE_ERROR")
        await check_usable_after_rollback(conn)


@pytest.mark.backends("postgresql")
async def test_division_by_zero(engine):
    await make_table(engine)
    async with engine.connect() as conn:
        with pytest.raises(exc.DataError) as info:
            await conn.execute(
                text("SELECT id / CAST(:zero AS INTEGER) FROM err_items"), {"zero": 0}
            )
        err = info.value
        assert err.sqlstate == "22012"
        assert err.params == {"zero": 0}
        message = str(err)
        assert "SELECT id /" in message
        assert "{'zero': 0}" in message
        await check_usable_after_rollback(conn)


@pytest.mark.backends("postgresql")
async def test_failed_transaction_refuses_statements_until_rollback(engine):
    await make_table(engine)
    async with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            await conn.execute(
                text("INSERT INTO err_items (id, code) VALUES (:id, :code)"),
                {"id": 1, "code": "z"},
            )
        with pytest.raises(exc.InternalError) as info:
            await conn.execute(text("SELECT 1"))
        assert info.value.sqlstate == "25P02"
        await check_usable_after_rollback(conn)


async def test_hide_parameters(make_engine):
    engine = make_engine(hide_parameters=True)
    await make_table(engine)
    async with engine.connect() as conn:
        with pytest.raises(exc.IntegrityError) as info:
            await conn.execute(
                text("INSERT INTO err_items (id, code) VALUES (:id, :code)"),
                {"id": 1, "code": "secret-value"},
            )
        message = str(info.value)
        assert "INSERT INTO err_items" in message
        assert "secret-value" not in message
        assert "hidden" in message
        await check_usable_after_rollback(conn)


async def test_error_inside_begin_block_rolls_back(engine):
    await make_table(engine)
    with pytest.raises(exc.IntegrityError):
        async with engine.begin() as conn:
            await conn.execute(
                text("INSERT INTO err_items (id, code) VALUES (:id, :code)"),
                {"id": 2, "code": "b"},
            )
            await conn.execute(
                text("INSERT INTO err_items (id, code) VALUES (:id, :code)"),
                {"id": 3, "code": "a"},
            )
    async with engine.connect() as conn:
        assert await scalar(conn, "SELECT count(*) FROM err_items") == 1
        await conn.execute(text("DROP TABLE err_items"))
        await conn.commit()


# -- connection failures ----------------------------------------------------------------


def _scheme(url: str) -> str:
    return url.split("://", 1)[0]


@pytest.mark.drivers(*PG_DRIVERS)
async def test_nothing_listening(make_engine, url):
    engine = make_engine(f"{_scheme(url)}://root@127.0.0.1:1/test", pool_size=1, max_overflow=0)
    for _ in range(2):  # a failed connect gives its pool slot back
        started = time.monotonic()
        with pytest.raises(exc.OperationalError) as info:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert time.monotonic() - started < 5
        assert info.value.orig is not None
        assert engine.pool.checkedout() == 0


@pytest.mark.drivers(*PG_DRIVERS)
async def test_no_such_database(make_engine, url):
    target = f"{_scheme(url)}://root@127.0.0.1:5432/ferryman_no_such_database"
    engine = make_engine(target, pool_size=1, max_overflow=0, pool_timeout=1)
    for _ in range(2):
        with pytest.raises(exc.OperationalError) as info:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert "ferryman_no_such_database" in str(info.value)
        assert engine.pool.checkedout() == 0


@pytest.mark.backends("sqlite")
async def test_sqlite_file_in_missing_directory(make_engine, url, tmp_path):
    target = url.split("///", 1)[0] + f"///{tmp_path / 'missing' / 'deeper' / 'x.db'}"
    engine = make_engine(target, pool_size=1, max_overflow=0, pool_timeout=1)
    for _ in range(2):
        with pytest.raises(exc.OperationalError) as info:
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        assert info.value.orig is not None
        assert info.value.sqlstate == "SQLITE_CANTOPEN"
        assert engine.pool.checkedout() == 0
    assert not (tmp_path / "missing").exists()


# -- a private PostgreSQL instance with password authentication ---------------------------

PASSWORD = "ferryman-right-pw"


@pytest.fixture(scope="session")
def password_pg() -> Iterator[str]:
    """A throwaway PostgreSQL server with scram-sha-256 authentication for user root:
    yields its ``host:port``."""
    server = PrivatePostgres(password=PASSWORD)
    try:
        server.start()
        yield server.address
    finally:
        server.close()
        assert not server.base.exists()


@pytest.mark.drivers(*PG_DRIVERS)
async def test_wrong_password(make_engine, url, password_pg):
    scheme = _scheme(url)
    bad = make_engine(f"{scheme}://root:not-the-password@{password_pg}/postgres", pool_size=1)
    with pytest.raises(exc.OperationalError) as info:
        async with bad.connect() as conn:
            await conn.execute(text("SELECT 1"))
    err = info.value
    assert err.orig is not None
    assert "not-the-password" not in str(err)
    assert "password" in str(err).lower()
    assert bad.pool.checkedout() == 0

    good = make_engine(f"{scheme}://root:{PASSWORD}@{password_pg}/postgres", pool_size=1)
    async with good.connect() as conn:
        assert await scalar(conn, "SELECT current_user") == "root"
        assert await scalar(conn, "SELECT CAST(:x AS INTEGER) * 2", {"x": 21}) == 42


async def test_a_bindparam_nobody_gave_a_value_is_an_error(engine: Any) -> None:
    from ferryman import Column, Integer, MetaData, String, Table, bindparam, select

    table = Table(
        "err_named", MetaData(), Column("id", Integer, primary_key=True), Column("code", String(9))
    )
    stmt = select(table.c.id).where(table.c.code == bindparam("code"))
    async with engine.connect() as conn:
        await conn.run_sync(table.metadata.create_all)
        assert (await conn.execute(stmt, {"code": "x"})).all() == []
        with pytest.raises(
            exc.StatementError, match="value is required for bind parameter 'code'"
        ):
            await conn.execute(stmt)  # not a silent NULL
        with pytest.raises(exc.StatementError, match="'code'"):
            await conn.execute(stmt, {"other": 1})
        await conn.rollback()
        await conn.run_sync(table.metadata.drop_all)

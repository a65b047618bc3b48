"""Engine and pool events (``ferryman.event``) on every driver pairing: plain function
listeners everywhere (called directly by sync engines, in a worker thread over the
run_sync bridge by async ones), coroutine listeners on async engines, and the
errors of listen() / remove()."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any

import pytest

from ferryman import create_engine, event, exc, text
from ferryman.asyncio import AsyncConnection, AsyncEngine
from ferryman.engine import Connection, Engine, ExceptionContext, PoolEntry, Result
from ferryman.pool import AsyncPool, Pool, QueuePool

from .conftest import unwrap

# the driver's own placeholder, for the DB-API-style cursor
PLACEHOLDER = {
    "sqlite": "?",
    "aiosqlite": "?",
    "psycopg": "%s",
    "psycopg_async": "%s",
    "asyncpg": "$1",
    "pymysql": "%s",
    "asyncmy": "%s",
}
DRIVER_MODULE = {
    "sqlite": "sqlite3",
    "aiosqlite": "aiosqlite",
    "psycopg": "psycopg",
    "psycopg_async": "psycopg",
    "asyncpg": "asyncpg",
    "pymysql": "pymysql",
    "asyncmy": "asyncmy",
}


@pytest.fixture
def listen() -> Any:
    """``listen(target, name, fn, **kw)``: event.listen, undone after the test."""
    added: list[tuple[Any, str, Any]] = []

    def add(target: Any, identifier: str, fn: Any, **kw: Any) -> Any:
        event.listen(target, identifier, fn, **kw)
        added.append((target, identifier, fn))
        return fn

    yield add
    for target, identifier, fn in reversed(added):
        if event.contains(target, identifier, fn):
            event.remove(target, identifier, fn)


async def test_connect_listener_gets_a_dbapi_connection(
    make_engine: Any, driver: str, listen: Any
) -> None:
    engine = make_engine(poolclass=QueuePool)
    seen: list[Any] = []

    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SELECT 40 + {PLACEHOLDER[driver]}", (2,))
        seen.append(cursor.fetchone()[0])
        assert cursor.description is not None and len(cursor.description) == 1
        cursor.close()
        module = type(dbapi_connection.driver_connection).__module__
        seen.append(module.split(".")[0])
        assert isinstance(connection_record, PoolEntry)
        connection_record.info["tagged"] = True

    listen(unwrap(engine), "connect", on_connect)
    async with engine.connect() as conn:
        assert (await conn.scalar(text("SELECT 1"))) == 1
        raw = await conn.get_raw_connection()
        assert raw.info["tagged"]
    assert seen == [42, DRIVER_MODULE[driver]]
    async with engine.connect() as conn:  # the pooled connection: no second connect
        await conn.scalar(text("SELECT 1"))
    assert len(seen) == 2


async def test_checkout_and_checkin(make_engine: Any, listen: Any) -> None:
    engine = make_engine(poolclass=QueuePool)
    events: list[tuple[str, Any]] = []
    listen(unwrap(engine), "connect", lambda dbapi, record: events.append(("connect", dbapi)))
    listen(
        unwrap(engine),
        "checkout",
        lambda dbapi, record, proxy: events.append(("checkout", dbapi)),
    )
    listen(unwrap(engine), "checkin", lambda dbapi, record: events.append(("checkin", dbapi)))
    for _ in range(2):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    assert [name for name, _ in events] == [
        "connect",
        "checkout",
        "checkin",
        "checkout",
        "checkin",
    ]
    assert len({id(dbapi) for _, dbapi in events}) == 1  # one DB-API connection throughout


async def test_checkin_of_a_discarded_connection(make_engine: Any, listen: Any) -> None:
    engine = make_engine(poolclass=QueuePool)
    checked_in: list[Any] = []
    listen(unwrap(engine), "checkin", lambda dbapi, record: checked_in.append(dbapi))
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        await conn.invalidate()  # discarded, not pooled: no DB-API connection to show
    assert checked_in == [None]


@pytest.mark.backends("sqlite")
async def test_handle_error_when_connecting(
    make_engine: Any, driver: str, listen: Any, tmp_path: Any
) -> None:
    scheme = {"sqlite": "sqlite", "aiosqlite": "sqlite+aiosqlite"}[driver]
    engine = make_engine(f"{scheme}:///{tmp_path / 'missing' / 'x.db'}")  # no such folder
    contexts: list[ExceptionContext] = []
    listen(unwrap(engine), "handle_error", contexts.append)
    with pytest.raises(exc.OperationalError):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    assert len(contexts) == 1 and contexts[0].statement is None


async def test_stream_fires_execute_events(engine: Any, listen: Any) -> None:
    seen: list[tuple[str, str]] = []
    listen(
        unwrap(engine),
        "before_execute",
        lambda conn, element, multiparams, params, opts: seen.append(("before", str(element))),
    )
    listen(
        unwrap(engine),
        "after_execute",
        lambda conn, element, multiparams, params, opts, result: seen.append(
            ("after", str(element))
        ),
    )
    async with engine.connect() as conn:
        result = await conn.stream(text("SELECT 1 AS n"))
        assert [row.n async for row in result] == [1]
    assert seen == [("before", "SELECT 1 AS n"), ("after", "SELECT 1 AS n")]


async def test_checkout_disconnection_error_replaces_the_connection(
    make_engine: Any, listen: Any
) -> None:
    engine = make_engine(poolclass=QueuePool)
    opened: list[PoolEntry] = []

    def on_checkout(dbapi: Any, record: PoolEntry, proxy: Any) -> None:
        if not opened:
            opened.append(record)
            raise exc.DisconnectionError("stale connection")
        opened.append(record)

    listen(unwrap(engine), "checkout", on_checkout)
    async with engine.connect() as conn:
        assert (await conn.scalar(text("SELECT 1"))) == 1
    assert len(opened) == 2 and opened[0] is not opened[1]
    pool = unwrap(engine).pool
    assert pool.checkedout() == 0


async def test_a_checkout_listener_that_always_refuses(make_engine: Any, listen: Any) -> None:
    engine = make_engine(poolclass=QueuePool)

    def refuse(dbapi: Any, record: Any, proxy: Any) -> None:
        raise exc.DisconnectionError("no")

    listen(unwrap(engine), "checkout", refuse)
    with pytest.raises(exc.DisconnectionError, match="refused 3 connections"):
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
    assert unwrap(engine).pool.checkedout() == 0


async def test_before_and_after_execute(engine: Any, listen: Any) -> None:
    calls: list[tuple[Any, ...]] = []

    def before(conn: Any, clauseelement: Any, multiparams: Any, params: Any, options: Any) -> None:
        calls.append(("before", conn, clauseelement, multiparams, params, options))

    def after(
        conn: Any, clauseelement: Any, multiparams: Any, params: Any, options: Any, result: Any
    ) -> None:
        calls.append(("after", conn, clauseelement, multiparams, params, result))

    listen(unwrap(engine), "before_execute", before)
    listen(unwrap(engine), "after_execute", after)
    statement = text("SELECT CAST(:x AS INTEGER) + 1 AS y")
    async with engine.connect() as conn:
        result = await conn.execute(statement, {"x": 41})
        assert result.scalar_one() == 42
    name, conn_seen, element, multiparams, params, options = calls[0]
    assert name == "before" and element is statement
    assert isinstance(conn_seen, Connection)  # a plain function gets a sync connection
    assert multiparams == [] and params == {"x": 41} and isinstance(options, dict)
    name, _, element, _, _, result_seen = calls[1]
    assert name == "after" and element is statement and isinstance(result_seen, Result)


async def test_executemany_and_driver_sql_fire_execute_events(
    engine: Any, driver: str, listen: Any
) -> None:
    seen: list[tuple[Any, Any, Any]] = []
    listen(
        unwrap(engine),
        "before_execute",
        lambda conn, element, multiparams, params, options: seen.append(
            (element, multiparams, params)
        ),
    )
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DROP TABLE IF EXISTS ev_items")
        await conn.exec_driver_sql("CREATE TABLE ev_items (id INTEGER PRIMARY KEY)")
        insert = text("INSERT INTO ev_items (id) VALUES (:id)")
        await conn.execute(insert, [{"id": 1}, {"id": 2}])
        await conn.exec_driver_sql("DROP TABLE ev_items")
    assert seen[0] == ("DROP TABLE IF EXISTS ev_items", [], {})
    assert seen[2] == (insert, [{"id": 1}, {"id": 2}], {})


async def test_before_execute_retval_replaces_statement_and_parameters(
    engine: Any, listen: Any
) -> None:
    def rewrite(conn: Any, element: Any, multiparams: Any, params: Any, options: Any) -> Any:
        if str(element).startswith("SELECT 'original'"):
            return text("SELECT CAST(:n AS INTEGER) * 2"), [], {"n": 21}
        return element, multiparams, params

    listen(unwrap(engine), "before_execute", rewrite, retval=True)
    async with engine.connect() as conn:
        assert (await conn.scalar(text("SELECT 'original'"))) == 42


async def test_a_listener_runs_statements_on_its_connection(engine: Any, listen: Any) -> None:
    """A plain listener's connection is the one running the statement, in its
    transaction (for an async engine: through the run_sync bridge)."""
    counts: list[int] = []

    def count_rows(conn: Any, element: Any, multiparams: Any, params: Any, options: Any) -> None:
        if "ev_marker" in str(element):
            counts.append(conn.execute(text("SELECT count(*) FROM ev_rows")).scalar_one())

    async with engine.begin() as conn:
        await conn.exec_driver_sql("DROP TABLE IF EXISTS ev_rows")
        await conn.exec_driver_sql("CREATE TABLE ev_rows (id INTEGER PRIMARY KEY)")
    listen(unwrap(engine), "before_execute", count_rows)
    async with engine.connect() as conn:
        await conn.execute(text("INSERT INTO ev_rows (id) VALUES (1)"))  # not committed
        await conn.execute(text("SELECT 1 AS ev_marker"))
        assert conn.in_transaction()
        await conn.rollback()
    assert counts == [1]  # it saw the uncommitted row: same connection, same transaction
    async with engine.begin() as conn:
        await conn.exec_driver_sql("DROP TABLE ev_rows")


async def test_handle_error(engine: Any, listen: Any) -> None:
    contexts: list[ExceptionContext] = []
    listen(unwrap(engine), "handle_error", contexts.append)
    statement = text("SELECT missing_column FROM no_such_table WHERE 1 = :one")
    async with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError) as info:
            await conn.execute(statement, {"one": 1})
    (context,) = contexts
    assert context.ferryman_exception is info.value
    assert context.sqlalchemy_exception is info.value
    assert context.original_exception is info.value.orig
    assert not isinstance(context.original_exception, exc.FerrymanError)
    assert "no_such_table" in (context.statement or "")
    assert context.parameters == {"one": 1}
    assert context.is_disconnect is False
    assert isinstance(context.connection, Connection)
    assert context.engine is not None and context.dialect is unwrap(engine).dialect


class AppError(Exception):
    pass


async def test_handle_error_replaces_the_exception(engine: Any, listen: Any) -> None:
    def translate(context: ExceptionContext) -> BaseException:
        return AppError(f"wrapped {type(context.ferryman_exception).__name__}")

    listen(unwrap(engine), "handle_error", translate)
    async with engine.connect() as conn:
        with pytest.raises(AppError, match="wrapped ProgrammingError") as info:
            await conn.execute(text("SELECT * FROM no_such_table"))
        assert isinstance(info.value.__cause__, exc.ProgrammingError)
        await conn.rollback()
        assert (await conn.scalar(text("SELECT 1"))) == 1


async def test_handle_error_is_disconnect_discards_the_connection(
    make_engine: Any, listen: Any
) -> None:
    engine = make_engine(poolclass=QueuePool)
    connects: list[Any] = []
    listen(unwrap(engine), "connect", lambda dbapi, record: connects.append(dbapi))

    def lost(context: ExceptionContext) -> None:
        context.is_disconnect = True

    listen(unwrap(engine), "handle_error", lost)
    async with engine.connect() as conn:
        with pytest.raises(exc.ProgrammingError) as info:
            await conn.execute(text("SELECT * FROM no_such_table"))
        assert info.value.connection_invalidated and conn.invalidated
        await conn.rollback()
        assert (await conn.scalar(text("SELECT 1"))) == 1
    assert len(connects) == 2


async def test_execution_options_engine_shares_its_parents_listeners(
    engine: Any, listen: Any
) -> None:
    parent_seen: list[str] = []
    child_seen: list[str] = []
    listen(unwrap(engine), "before_execute", lambda c, e, m, p, o: parent_seen.append(str(e)))
    child = engine.execution_options(logging_token="child")
    listen(unwrap(child), "before_execute", lambda c, e, m, p, o: child_seen.append(str(e)))
    async with child.connect() as conn:
        await conn.execute(text("SELECT 1"))
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 2"))
    assert parent_seen == ["SELECT 1", "SELECT 2"]
    assert child_seen == ["SELECT 1"]


async def test_the_engine_class_reaches_every_engine(make_engine: Any, listen: Any) -> None:
    seen: list[str] = []
    listen(Engine, "before_execute", lambda c, e, m, p, o: seen.append(str(e)))
    engine = make_engine()  # made after the listener: it applies all the same
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    assert seen == ["SELECT 1"]


async def test_the_pool_class_reaches_every_pool(make_engine: Any, listen: Any) -> None:
    connected: list[Any] = []

    def on_connect(dbapi: Any, record: Any) -> None:
        connected.append(record)

    listen(Pool, "connect", on_connect)
    engine = make_engine(poolclass=QueuePool)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    assert len(connected) == 1
    event.remove(Pool, "connect", on_connect)
    assert not event.contains(Pool, "connect", on_connect)
    await engine.dispose()
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    assert len(connected) == 1


async def test_listen_on_a_pool_and_an_engine_is_the_same(make_engine: Any, listen: Any) -> None:
    engine = make_engine(poolclass=QueuePool)
    seen: list[str] = []

    def on_checkout(dbapi: Any, record: Any, proxy: Any) -> None:
        seen.append("checkout")

    listen(unwrap(engine).pool, "checkout", on_checkout)
    assert event.contains(unwrap(engine), "checkout", on_checkout)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
    assert seen == ["checkout"]


@pytest.mark.async_only
async def test_coroutine_listeners_are_awaited(engine: AsyncEngine, listen: Any) -> None:
    seen: list[Any] = []

    async def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        await asyncio.sleep(0)
        with pytest.raises(exc.InvalidRequestError, match="await the driver's connection"):
            dbapi_connection.cursor().execute("SELECT 1")
        seen.append(("connect", dbapi_connection.driver_connection is not None))

    async def before(conn: Any, element: Any, multiparams: Any, params: Any, opts: Any) -> None:
        await asyncio.sleep(0)
        seen.append(("before", type(conn)))

    async def on_error(context: ExceptionContext) -> None:
        seen.append(("error", type(context.connection)))

    listen(engine, "connect", on_connect)
    listen(engine, "before_execute", before)
    listen(engine, "handle_error", on_error)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        with pytest.raises(exc.ProgrammingError):
            await conn.execute(text("SELECT * FROM no_such_table"))
    assert seen == [
        ("connect", True),
        ("before", AsyncConnection),
        ("before", AsyncConnection),
        ("error", AsyncConnection),
    ]


@pytest.mark.async_only
async def test_listeners_inside_run_sync(engine: AsyncEngine, listen: Any) -> None:
    """Inside run_sync, statements fire the same listeners: a plain function in the
    worker thread with the sync connection, a coroutine on the loop with the async one."""
    seen: list[tuple[str, Any, bool]] = []
    loop_thread = threading.get_ident()

    def plain(conn: Any, element: Any, multiparams: Any, params: Any, opts: Any) -> None:
        seen.append(("plain", type(conn), threading.get_ident() == loop_thread))

    async def coroutine(conn: Any, element: Any, multiparams: Any, params: Any, opts: Any) -> None:
        seen.append(("coroutine", type(conn), threading.get_ident() == loop_thread))

    listen(engine.sync_engine, "before_execute", plain)
    listen(engine, "before_execute", coroutine)
    assert event.contains(engine, "before_execute", plain)
    async with engine.connect() as conn:
        await conn.run_sync(lambda sync_conn: sync_conn.execute(text("SELECT 1")))
    assert seen[0][0] == "plain" and issubclass(seen[0][1], Connection) and not seen[0][2]
    assert seen[1] == ("coroutine", AsyncConnection, True)


@pytest.mark.drivers("asyncpg")
async def test_asyncpg_codecs_registered_at_connect(make_engine: Any, listen: Any) -> None:
    """The reason users need async connect listeners: asyncpg type codecs."""
    engine = make_engine()

    async def codecs(dbapi_connection: Any, connection_record: Any) -> None:
        await dbapi_connection.driver_connection.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )

    def json_codec(dbapi_connection: Any, connection_record: Any) -> None:  # SQLAlchemy's way
        dbapi_connection.run_async(
            lambda driver_connection: driver_connection.set_type_codec(
                "json", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
            )
        )

    listen(engine, "connect", codecs)
    listen(engine.sync_engine, "connect", json_codec)
    async with engine.connect() as conn:
        statement = text(
            """SELECT CAST('{"a": 1, "b": [true, null]}' AS jsonb) AS b, """
            """CAST('[1, 2]' AS json) AS j"""
        )
        row = (await conn.execute(statement)).one()
        # a parameter goes through the codec's encoder
        echoed = await conn.exec_driver_sql("SELECT CAST($1 AS jsonb)", ({"x": [1]},))
        assert echoed.scalar() == {"x": [1]}
    assert row.b == {"a": 1, "b": [True, None]}
    assert row.j == [1, 2]


@pytest.mark.sync_only
async def test_a_sync_engine_refuses_coroutine_listeners(engine: Any) -> None:
    async def before(conn: Any, element: Any, multiparams: Any, params: Any, opts: Any) -> None:
        pass

    with pytest.raises(exc.ArgumentError, match=r"can.t await|nothing there can await"):
        event.listen(unwrap(engine), "before_execute", before)


async def test_once_insert_and_named(engine: Any, listen: Any) -> None:
    order: list[str] = []
    listen(unwrap(engine), "before_execute", lambda *a: order.append("first"))
    listen(unwrap(engine), "before_execute", lambda *a: order.append("inserted"), insert=True)
    listen(unwrap(engine), "before_execute", lambda *a: order.append("once"), once=True)

    def named(**kw: Any) -> None:
        order.append("named:" + ",".join(sorted(kw)))

    listen(unwrap(engine), "before_execute", named, named=True)
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))
        await conn.execute(text("SELECT 2"))
    named_line = "named:clauseelement,conn,execution_options,multiparams,params"
    assert order == [
        "inserted",
        "first",
        "once",
        named_line,
        "inserted",
        "first",
        named_line,
    ]


def test_unknown_event_names_the_events() -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(exc.InvalidRequestError, match="No such event 'before_exec'") as info:
        event.listen(engine, "before_exec", print)
    assert "before_execute" in str(info.value) and "before_insert" in str(info.value)


def test_wrong_target_names_the_valid_events_and_targets() -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(exc.InvalidRequestError) as info:
        event.listen(engine, "before_insert", print)
    message = str(info.value)
    assert "has no event 'before_insert'" in message
    assert "before_execute" in message and "mapped class" in message
    with pytest.raises(exc.InvalidRequestError, match="not an event target"):
        event.listen(object(), "connect", print)


def test_options_are_checked() -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(exc.ArgumentError, match="Unknown option"):
        event.listen(engine, "connect", print, asynchronous=True)
    with pytest.raises(exc.ArgumentError, match="retval=True"):
        event.listen(engine, "connect", print, retval=True)
    with pytest.raises(exc.ArgumentError, match="raw=True"):
        event.listen(engine, "connect", print, raw=True)
    with pytest.raises(exc.ArgumentError, match="callable"):
        event.listen(engine, "connect", "print")


def test_remove_and_contains() -> None:
    engine = create_engine("sqlite://")

    def on_connect(dbapi: Any, record: Any) -> None:
        pass

    assert not event.contains(engine, "connect", on_connect)
    event.listen(engine, "connect", on_connect)
    assert event.contains(engine, "connect", on_connect)
    assert event.contains(engine.pool, "connect", on_connect)
    assert engine.pool.dispatch.connect
    event.remove(engine, "connect", on_connect)
    assert not event.contains(engine, "connect", on_connect)
    assert not engine.pool.dispatch.connect
    with pytest.raises(exc.InvalidRequestError, match="No listener"):
        event.remove(engine, "connect", on_connect)


def test_listens_for_decorates() -> None:
    engine = create_engine("sqlite://")

    @event.listens_for(engine, "before_execute")
    def seen(conn: Any, element: Any, multiparams: Any, params: Any, options: Any) -> None:
        calls.append(str(element))

    calls: list[str] = []
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert calls == ["SELECT 1"] and callable(seen)
    engine.dispose()


def test_async_pool_classes_are_targets() -> None:
    def on_connect(dbapi: Any, record: Any) -> None:
        pass

    event.listen(AsyncPool, "connect", on_connect)
    try:
        assert event.contains(AsyncPool, "connect", on_connect)
        assert not event.contains(Pool, "connect", on_connect)
    finally:
        event.remove(AsyncPool, "connect", on_connect)

"""Hostile input, property-based (Hypothesis): arbitrary strings (quotes, unicode,
NULs where the backend allows them, very long), numbers at their type's limits,
datetimes with zones, JSON trees and bytes go through Core and the ORM and come
back exactly, on every driver; identifiers with quotes and spaces are quoted.

A value never changes the SQL: it always travels as a bound parameter. The
tests draw with Hypothesis in sync test functions; an async driver runs each
example in an event loop of its own (its engine with a NullPool)."""

from __future__ import annotations

import asyncio
import datetime
import decimal
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ferryman import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Integer,
    LargeBinary,
    MetaData,
    NullPool,
    Numeric,
    String,
    Table,
    Text,
    create_engine,
    delete,
    insert,
    select,
)
from ferryman.asyncio import AsyncSession, create_async_engine
from ferryman.orm import DeclarativeBase, Mapped, Session, mapped_column

from .conftest import DRIVERS

EXAMPLES = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

meta = MetaData()
values = Table(
    "hi_values",
    meta,
    Column("id", Integer, primary_key=True),
    Column("text", Text),
    Column("big", BigInteger),
    Column("small", Integer),
    Column("real", Double),
    Column("num", Numeric(30, 4)),
    Column("stamp", DateTime(timezone=True)),
    Column("day", Date),
    Column("doc", JSON),
    Column("blob", LargeBinary),
    Column("flag", Boolean),
)
odd = Table(
    'hi "odd" table',
    meta,
    Column("id", Integer, primary_key=True),
    Column('a "quoted" col', String(200)),
    Column("with space", String(200)),
)


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "hi_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    text: Mapped[str | None] = mapped_column(Text)
    doc: Mapped[Any] = mapped_column(JSON, nullable=True)
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)


def texts(backend: str) -> st.SearchStrategy[str]:
    """Any text the backend can store: PostgreSQL's text takes no NUL, and neither
    backend takes lone surrogates (they are not UTF-8)."""
    banned = ["Cs"]
    excluded = "\x00" if backend == "postgresql" else ""
    one = st.characters(exclude_categories=banned, exclude_characters=excluded)
    return st.one_of(
        st.text(one, max_size=50),
        st.text(one, min_size=5000, max_size=20000),  # very long
        st.sampled_from(["'", "''", '"', "\\", "'; DROP TABLE hi_values; --", ":name", "%s", "?"]),
    )


BIGINT = st.integers(-(2**63), 2**63 - 1)
NUMERIC = st.decimals(
    min_value=decimal.Decimal("-99999999999.9999"),
    max_value=decimal.Decimal("99999999999.9999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
STAMPS = st.datetimes(
    min_value=datetime.datetime(1, 1, 2),
    max_value=datetime.datetime(9999, 12, 30),
    timezones=st.sampled_from(
        [
            datetime.UTC,
            datetime.timezone(datetime.timedelta(hours=5, minutes=30)),
            datetime.timezone(datetime.timedelta(hours=-8)),
        ]
    ),
)
JSON_TREES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**53), 2**53)
    | st.floats(allow_nan=False, allow_infinity=False, width=64)
    | st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(
                st.characters(exclude_categories=["Cs"], exclude_characters="\x00"), max_size=8
            ),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)


def _run(driver: str, url: str, work: Callable[[Any], Any]) -> Any:
    """``work(connection)`` on a sync engine, or awaited on an async one."""
    if DRIVERS[driver][1]:

        async def run() -> Any:
            engine = create_async_engine(url, poolclass=NullPool)
            try:
                async with engine.begin() as conn:
                    return await work(conn)
            finally:
                await engine.dispose()

        return asyncio.run(run())
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as conn:
            return work(conn)
    finally:
        engine.dispose()


async def _maybe(value: Any) -> Any:
    return await value if asyncio.iscoroutine(value) else value


@pytest.fixture
def tables(driver: str, tmp_path: Path) -> str:
    url = DRIVERS[driver][2](tmp_path)

    async def make(conn: Any) -> None:
        await _maybe(conn.run_sync(meta.drop_all))
        await _maybe(conn.run_sync(meta.create_all))
        await _maybe(conn.run_sync(Base.metadata.drop_all))
        await _maybe(conn.run_sync(Base.metadata.create_all))

    _run(driver, url, lambda conn: make(conn) if DRIVERS[driver][1] else _sync(make, conn))
    return url


def _sync(fn: Callable[[Any], Any], conn: Any) -> Any:
    """Run an ``async def`` written with ``_maybe`` on a sync connection."""
    coroutine = fn(conn)
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    raise AssertionError("a sync connection's work awaited something")


def _both(driver: str, url: str, fn: Callable[[Any], Any]) -> Any:
    return _run(driver, url, lambda conn: fn(conn) if DRIVERS[driver][1] else _sync(fn, conn))


def test_values_round_trip_through_core(tables: str, driver: str, backend: str) -> None:
    @EXAMPLES
    @given(
        text=texts(backend),
        big=BIGINT,
        small=st.integers(-(2**31), 2**31 - 1),
        real=st.floats(allow_nan=False, allow_infinity=False, width=64),
        num=NUMERIC,
        stamp=STAMPS,
        day=st.dates(min_value=datetime.date(1, 1, 1), max_value=datetime.date(9999, 12, 31)),
        doc=JSON_TREES,
        blob=st.binary(max_size=2000),
        flag=st.booleans(),
    )
    def check(**row: Any) -> None:
        async def work(conn: Any) -> Any:
            await _maybe(conn.execute(delete(values)))
            await _maybe(conn.execute(insert(values).values(id=1, **row)))
            result = await _maybe(conn.execute(select(values).where(values.c.text == row["text"])))
            return result.one()._asdict()

        got = _both(driver, tables, work)
        assert got["text"] == row["text"]
        assert got["big"] == row["big"] and got["flag"] is row["flag"]
        assert got["small"] == row["small"]
        assert got["real"] == row["real"]  # the same double, to the last bit
        assert got["num"] == row["num"]
        assert got["stamp"] == row["stamp"]  # the same instant
        assert got["day"] == row["day"]
        assert got["doc"] == row["doc"]
        assert bytes(got["blob"]) == row["blob"]

    check()


def test_values_round_trip_through_the_orm(tables: str, driver: str, backend: str) -> None:
    @EXAMPLES
    @given(text=texts(backend), doc=JSON_TREES, blob=st.binary(max_size=500))
    def check(text: str, doc: Any, blob: bytes) -> None:
        def sync_work() -> Any:
            engine = create_engine(tables, poolclass=NullPool)
            try:
                with Session(engine) as session:
                    session.execute(delete(Item))
                    session.add(Item(id=1, text=text, doc=doc, blob=blob))
                    session.commit()
                with Session(engine) as session:
                    item = session.scalars(select(Item).where(Item.text == text)).one()
                    return item.text, item.doc, item.blob
            finally:
                engine.dispose()

        async def async_work() -> Any:
            engine = create_async_engine(tables, poolclass=NullPool)
            try:
                async with AsyncSession(engine) as session:
                    await session.execute(delete(Item))
                    session.add(Item(id=1, text=text, doc=doc, blob=blob))
                    await session.commit()
                async with AsyncSession(engine) as session:
                    item = (await session.scalars(select(Item).where(Item.text == text))).one()
                    return item.text, item.doc, item.blob
            finally:
                await engine.dispose()

        got = asyncio.run(async_work()) if DRIVERS[driver][1] else sync_work()
        assert got == (text, doc, blob)

    check()


def test_identifiers_with_quotes_and_spaces(tables: str, driver: str) -> None:
    async def work(conn: Any) -> Any:
        quoted, spaced = odd.c['a "quoted" col'], odd.c["with space"]
        await _maybe(conn.execute(insert(odd).values({quoted: 'x"y', spaced: "a b"})))
        stmt = select(quoted, spaced).where(spaced == "a b")
        return tuple((await _maybe(conn.execute(stmt))).one())

    assert _both(driver, tables, work) == ('x"y', "a b")

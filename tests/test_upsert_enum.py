"""Upserts (INSERT ... ON CONFLICT), enums, and PostgreSQL's own types."""

from __future__ import annotations

import enum
import ipaddress
from typing import Any

import pytest

from ferryman import (
    Column,
    CreateTable,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    exc,
    func,
    insert,
    select,
)
from ferryman.dialects import mysql, postgresql, sqlite
from ferryman.dialects.mysql import MySQLDialect
from ferryman.dialects.postgresql import ARRAY, INET, JSONB, TSVECTOR, PGDialect
from ferryman.dialects.sqlite import SQLiteDialect


class Mood(enum.Enum):
    happy = "h"
    sad = "s"


metadata = MetaData()
counters = Table(
    "ue_counters",
    metadata,
    Column("key", String(20), primary_key=True),
    Column("hits", Integer, nullable=False),
    Column("mood", Enum(Mood)),
    Column("stage", Enum("draft", "live", name="ue_stage")),
)


def upsert_for(backend: str) -> Any:
    return postgresql.insert if backend == "postgresql" else sqlite.insert


@pytest.fixture
async def tables(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


on_conflict = pytest.mark.backends("sqlite", "postgresql")  # MySQL: ON DUPLICATE KEY


@on_conflict
async def test_upsert_counts_hits(tables: Any, backend: str) -> None:
    upsert = upsert_for(backend)
    async with tables.begin() as conn:
        for _ in range(3):
            stmt = upsert(counters).values(key="home", hits=1)
            stmt = stmt.on_conflict_do_update(
                index_elements=[counters.c.key],
                set_={"hits": counters.c.hits + stmt.excluded.hits},
            )
            await conn.execute(stmt)
        hits = select(counters.c.hits).where(counters.c.key == "home")
        assert (await conn.execute(hits)).scalar_one() == 3


@on_conflict
async def test_upsert_do_nothing_and_where(tables: Any, backend: str) -> None:
    upsert = upsert_for(backend)
    async with tables.begin() as conn:
        await conn.execute(insert(counters).values(key="a", hits=5))
        ignored = upsert(counters).values(key="a", hits=99).on_conflict_do_nothing()
        assert (await conn.execute(ignored)).rowcount in (0, -1)
        stmt = upsert(counters).values(key="a", hits=1)
        guarded = stmt.on_conflict_do_update(
            index_elements=["key"], set_={"hits": 0}, where=counters.c.hits > 10
        )
        await conn.execute(guarded)
        assert (await conn.execute(select(counters.c.hits))).scalar_one() == 5
        returned = await conn.execute(
            upsert(counters)
            .values(key="b", hits=7)
            .on_conflict_do_nothing(index_elements=["key"])
            .returning(counters.c.key, counters.c.hits)
        )
        assert returned.one() == ("b", 7)


@on_conflict
async def test_upsert_needs_a_target(tables: Any, backend: str) -> None:
    with pytest.raises(exc.ArgumentError, match="index_elements"):
        upsert_for(backend)(counters).values(key="x", hits=1).on_conflict_do_update(
            set_={"hits": 1}
        )


@pytest.mark.backends("mysql")
async def test_on_duplicate_key_update(tables: Any) -> None:
    async with tables.begin() as conn:
        for _ in range(3):
            stmt = mysql.insert(counters).values(key="home", hits=1)
            stmt = stmt.on_duplicate_key_update(hits=counters.c.hits + stmt.inserted.hits)
            await conn.execute(stmt)
        hits = select(counters.c.hits).where(counters.c.key == "home")
        assert (await conn.execute(hits)).scalar_one() == 3
        # several rows, a dict of plain values, then pairs in the order given
        rows = [{"key": "home", "hits": 10}, {"key": "away", "hits": 20}]
        stmt = mysql.insert(counters).values(rows)
        await conn.execute(stmt.on_duplicate_key_update({"hits": stmt.inserted.hits}))
        pairs = [(counters.c.hits, 7), ("stage", "live")]
        stmt = mysql.insert(counters).values(key="away", hits=0)
        await conn.execute(stmt.on_duplicate_key_update(pairs))
        rows = await conn.execute(
            select(counters.c.key, counters.c.hits, counters.c.stage).order_by(counters.c.key)
        )
        assert rows.all() == [("away", 7, "live"), ("home", 10, None)]


def test_on_duplicate_key_update_sql_and_errors() -> None:
    dialect = MySQLDialect("pymysql")
    stmt = mysql.insert(counters).values(key="k", hits=1)
    sql = stmt.on_duplicate_key_update(hits=stmt.inserted.hits + 1).compile(dialect=dialect)
    assert sql.string == (
        "INSERT INTO ue_counters (`key`, hits) VALUES (%s, %s) "
        "ON DUPLICATE KEY UPDATE hits = VALUES(hits) + %s"
    )
    with pytest.raises(exc.ArgumentError, match="at least one"):
        stmt.on_duplicate_key_update()
    with pytest.raises(exc.ArgumentError, match="no column 'nope'"):
        stmt.on_duplicate_key_update(nope=1)
    with pytest.raises(exc.CompileError, match="on_duplicate_key_update"):
        postgresql.insert(counters).values(key="k", hits=1).on_conflict_do_nothing().compile(
            dialect=dialect
        )


async def test_enums_round_trip_and_refuse_strangers(tables: Any) -> None:
    async with tables.begin() as conn:
        await conn.execute(insert(counters).values(key="k", hits=1, mood=Mood.sad, stage="live"))
        row = (await conn.execute(select(counters.c.mood, counters.c.stage))).one()
        assert row == (Mood.sad, "live")
        by_member = select(counters.c.key).where(counters.c.mood == Mood.sad)
        assert (await conn.execute(by_member)).scalar_one() == "k"
        with pytest.raises(exc.StatementError, match="not one of"):
            await conn.execute(insert(counters).values(key="z", hits=1, stage="deleted"))


@pytest.mark.backends("sqlite")
async def test_sqlite_enforces_enums_with_check(tables: Any) -> None:
    async with tables.begin() as conn:
        with pytest.raises(exc.IntegrityError):
            await conn.exec_driver_sql(
                "INSERT INTO ue_counters (key, hits, stage) VALUES ('x', 1, 'deleted')"
            )


@pytest.mark.backends("mysql")
async def test_mysql_enforces_native_enums(tables: Any) -> None:
    async with tables.begin() as conn:
        with pytest.raises(exc.DataError):
            await conn.exec_driver_sql(
                "INSERT INTO ue_counters (`key`, hits, stage) VALUES ('x', 1, 'deleted')"
            )


def test_enum_ddl_per_dialect() -> None:
    pg = CreateTable(counters).compile(dialect=PGDialect("format", "psycopg")).string
    assert '\tmood "mood",' in pg and '\tstage "ue_stage"' in pg
    lite = CreateTable(counters).compile(dialect=SQLiteDialect("pysqlite")).string
    assert "CHECK (stage IN ('draft', 'live'))" in lite
    assert "CHECK (mood IN ('happy', 'sad'))" in lite
    my = CreateTable(counters).compile(dialect=MySQLDialect("pymysql")).string
    assert "\tmood ENUM('happy', 'sad'),\n\tstage ENUM('draft', 'live')," in my
    assert "CHECK" not in my
    with pytest.raises(exc.ArgumentError, match="name="):
        Enum("a", "b").ddl("postgresql")
    with pytest.raises(exc.ArgumentError, match="Enum"):
        Enum()


@pytest.mark.backends("postgresql")
async def test_postgresql_types(make_engine: Any) -> None:
    engine = make_engine()
    meta = MetaData()
    docs = Table(
        "ue_docs",
        meta,
        Column("id", Integer, primary_key=True),
        Column("body", JSONB),
        Column("tags", ARRAY(String(20))),
        Column("host", INET),
        Column("search", TSVECTOR),
    )
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(
            insert(docs).values(
                id=1,
                body={"a": [1, "ü"]},
                tags=["x", "y"],
                host=ipaddress.ip_address("10.0.0.1"),
                search=func.to_tsvector("english", "The quick brown foxes"),
            )
        )
        row = (await conn.execute(select(docs))).one()
        assert row.body == {"a": [1, "ü"]}
        assert row.tags == ["x", "y"]
        assert str(row.host) == "10.0.0.1"
        assert "'fox'" in str(row.search) and "'quick'" in str(row.search)
        await conn.run_sync(meta.drop_all)


async def test_enum_values_callable(engine: Any) -> None:
    meta = MetaData()
    moods = Table(
        "ue_moods",
        meta,
        Column("id", Integer, primary_key=True),
        Column(
            "mood",
            Enum(Mood, name="ue_mood_values", values_callable=lambda e: [m.value for m in e]),
        ),
    )
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(insert(moods).values(id=1, mood=Mood.sad))
        raw = await conn.exec_driver_sql("SELECT mood FROM ue_moods")
        assert str(raw.scalar()) == "s"  # stored as the member's value
        assert (await conn.execute(select(moods.c.mood))).scalar() is Mood.sad
        await conn.run_sync(meta.drop_all)


@pytest.mark.backends("postgresql")
async def test_array_index_and_slice(make_engine: Any) -> None:
    engine = make_engine()
    meta = MetaData()
    grid = Table(
        "ue_grid", meta, Column("id", Integer, primary_key=True), Column("cells", ARRAY(Integer))
    )
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(insert(grid).values(id=1, cells=[10, 20, 30]))
        row = (await conn.execute(select(grid.c.cells[2], grid.c.cells[2:3]))).one()
        assert tuple(row) == (20, [20, 30])
        found = select(grid.c.id).where(grid.c.cells[1] == 10)
        assert (await conn.execute(found)).scalar() == 1
        await conn.run_sync(meta.drop_all)

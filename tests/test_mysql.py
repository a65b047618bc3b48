"""What only MySQL / MariaDB has: its DDL, RETURNING on MariaDB and the last row id
where it is missing, DDL's implicit commit, its error numbers, a lost connection,
streaming beside other statements, isolation levels and the server it reads.

Every other test module runs its bodies on MariaDB too (pymysql and asyncmy).
"""

from __future__ import annotations

import asyncio
import datetime
import decimal
import threading
import uuid
from typing import Any, Optional

import pytest

from ferryman import (
    JSON,
    Boolean,
    Column,
    CreateTable,
    DateTime,
    Enum,
    ForeignKey,
    Identity,
    Integer,
    Interval,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    Time,
    Uuid,
    create_engine,
    delete,
    exc,
    func,
    insert,
    select,
    text,
    update,
)
from ferryman.dialects.mysql import MySQLDialect
from ferryman.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .conftest import MYSQL, unwrap

pytestmark = pytest.mark.backends("mysql")

metadata = MetaData()
things = Table(
    "my_things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), nullable=False, comment="what it's called"),
    Column("body", Text),
    Column("flag", Boolean),
    Column("at", DateTime),
    Column("at_utc", DateTime(timezone=True)),
    Column("time", Time),
    Column("span", Interval),
    Column("price", Numeric(10, 2)),
    Column("exact", Numeric),
    Column("doc", JSON),
    Column("token", Uuid),
    Column("stage", Enum("draft", "live", name="my_stage")),
    Column("created_at", DateTime, server_default=func.now()),
    comment="things to test",
)


def mysql_dialect(version: str = "10.11.19-MariaDB") -> MySQLDialect:
    dialect = MySQLDialect("pymysql")
    dialect.initialize(version)
    return dialect


@pytest.fixture
async def table(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


# -- DDL -----------------------------------------------------------------------------


def test_create_table_speaks_mysql() -> None:
    ddl = CreateTable(things).compile(dialect=mysql_dialect()).string
    assert ddl.startswith("CREATE TABLE my_things (\n\tid INTEGER NOT NULL AUTO_INCREMENT,")
    for line in [
        "name VARCHAR(40) NOT NULL COMMENT 'what it''s called',",
        "body LONGTEXT,",
        "flag BOOL,",
        "at DATETIME(6),",
        "time TIME(6),",
        "span BIGINT,",
        "price DECIMAL(10, 2),",
        "exact DECIMAL(65, 30),",
        "doc JSON,",
        "token UUID,",
        "stage ENUM('draft', 'live'),",
        "created_at DATETIME(6) DEFAULT (CURRENT_TIMESTAMP(6)),",
        "PRIMARY KEY (id)",
    ]:
        assert "\t" + line in ddl
    assert ddl.endswith(") ENGINE=InnoDB COMMENT='things to test'")
    old = CreateTable(things).compile(dialect=mysql_dialect("8.0.36")).string
    assert "token CHAR(36)," in old  # MySQL has no UUID type


def test_varchar_needs_a_length_and_other_refusals() -> None:
    meta = MetaData()
    loose = Table("my_loose", meta, Column("id", Integer, primary_key=True), Column("s", String))
    with pytest.raises(exc.CompileError, match=r"my_loose\.s\).*String\(255\)"):
        CreateTable(loose).compile(dialect=mysql_dialect())
    dialect = mysql_dialect()
    with pytest.raises(exc.CompileError, match=r"UPDATE \.\.\. RETURNING"):
        update(things).values(name="x").returning(things.c.id).compile(dialect=dialect)
    mysql8 = mysql_dialect("8.0.36")
    with pytest.raises(exc.CompileError, match=r"MySQL has no INSERT \.\.\. RETURNING"):
        insert(things).values(name="x").returning(things.c.id).compile(dialect=mysql8)
    with pytest.raises(exc.CompileError, match="LATERAL"):
        select(things.c.id).select_from(select(things.c.id).lateral()).compile(dialect=dialect)


def test_identity_start_and_key_order() -> None:
    meta = MetaData()
    counted = Table(
        "my_counted", meta, Column("id", Integer, Identity(start=100), primary_key=True)
    )
    ddl = CreateTable(counted).compile(dialect=mysql_dialect()).string
    assert "id INTEGER NOT NULL AUTO_INCREMENT" in ddl
    assert ddl.endswith("ENGINE=InnoDB AUTO_INCREMENT=100")
    both = Table(
        "my_both",
        meta,
        Column("tenant", Integer, primary_key=True, autoincrement=False),
        Column("id", Integer, primary_key=True, autoincrement=True),
    )
    with pytest.raises(exc.CompileError, match="must come first in the primary key"):
        CreateTable(both).compile(dialect=mysql_dialect())


def test_sql_flavour() -> None:
    dialect = mysql_dialect()

    def sql(stmt: Any) -> str:
        return stmt.compile(dialect=dialect).string

    assert sql(select(things.c.name + "!" + things.c.body)) == (
        "SELECT CONCAT(my_things.name, %s, my_things.body) FROM my_things"
    )
    assert sql(select(things.c.id).order_by(things.c.at.desc().nulls_last())).endswith(
        "ORDER BY my_things.at IS NULL ASC, my_things.at DESC"
    )
    assert sql(select(things.c.id).offset(5)) == (
        "SELECT my_things.id FROM my_things LIMIT 18446744073709551615 OFFSET %s"
    )
    assert sql(select(things.c.id).with_for_update(read=True, skip_locked=True)).endswith(
        "LOCK IN SHARE MODE SKIP LOCKED"
    )
    assert sql(select(func.count().filter(things.c.flag))) == (
        "SELECT count(CASE WHEN my_things.flag THEN 1 END) FROM my_things"
    )
    assert sql(select(things.c.doc["a"].as_string())) == (
        "SELECT JSON_UNQUOTE(JSON_EXTRACT(my_things.doc, %s)) FROM my_things"
    )
    assert sql(select(things.c.id).order_by(things.c.name.collate("utf8mb4_bin"))).endswith(
        "ORDER BY my_things.name COLLATE utf8mb4_bin"
    )
    assert sql(insert(things)) == "INSERT INTO my_things () VALUES ()"
    other = Table("my_other", MetaData(), Column("id", Integer), Column("name", String(9)))
    assert sql(update(things).values(name=other.c.name).where(things.c.id == other.c.id)) == (
        "UPDATE my_things, my_other SET my_things.name = my_other.name "
        "WHERE my_things.id = my_other.id"
    )
    assert sql(delete(things).where(things.c.id == other.c.id)) == (
        "DELETE my_things FROM my_things, my_other WHERE my_things.id = my_other.id"
    )


def test_server_versions() -> None:
    maria = mysql_dialect("5.5.5-10.11.19-MariaDB-0+deb12u1")
    assert (maria.is_mariadb, maria.server_version, maria.supports_returning) == (
        True,
        (10, 11, 19),
        True,
    )
    assert mysql_dialect("10.4.30-MariaDB").supports_returning is False
    assert mysql_dialect("10.6.1-MariaDB").supports_native_uuid is False
    mysql = mysql_dialect("8.0.36")
    assert (mysql.is_mariadb, mysql.supports_returning, mysql.supports_native_uuid) == (
        False,
        False,
        False,
    )


async def test_each_engine_learns_its_own_server(engine: Any) -> None:
    async with engine.connect() as conn:
        await conn.scalar(text("SELECT 1"))
    assert engine.dialect.is_mariadb and engine.dialect.server_version >= (10, 5)
    other = create_engine(f"mariadb+pymysql://{MYSQL}")
    assert other.dialect is not unwrap(engine).dialect
    other.dispose()


# -- values ----------------------------------------------------------------------------


async def test_values_round_trip(table: Any) -> None:
    token = uuid.uuid4()
    at = datetime.datetime(2026, 1, 2, 3, 4, 5, 123456)
    aware = datetime.datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
    )
    row = {
        "name": "one",
        "body": "x" * 70_000 + " \\ ' \" %s",
        "flag": True,
        "at": at,
        "at_utc": aware,
        "time": datetime.time(23, 59, 58, 999_999),
        "span": datetime.timedelta(days=3, microseconds=7),
        "price": decimal.Decimal("12.34"),
        "exact": decimal.Decimal("0.000000000000000000000000000001"),
        "doc": {"a": [1, 2.5, None, "é"], "b": {"c": True}},
        "token": token,
        "stage": "live",
    }
    async with table.begin() as conn:
        await conn.execute(insert(things).values(row))
        got = (await conn.execute(select(things).where(things.c.name == "one"))).one()
    assert got.at == at  # microseconds kept (DATETIME(6))
    assert got.at_utc == aware and got.at_utc.tzinfo is datetime.UTC
    for key in ("body", "flag", "time", "span", "price", "exact", "doc", "token", "stage"):
        assert getattr(got, key) == row[key], key
    assert type(got.flag) is bool and isinstance(got.token, uuid.UUID)
    async with table.connect() as conn:
        for column in (things.c.flag, things.c.at, things.c.token, things.c.body, things.c.doc):
            empty = select(func.count()).select_from(things).where(column.in_([]))
            assert await conn.scalar(empty) == 0, column.name
    assert isinstance(got.created_at, datetime.datetime) and got.created_at.year >= 2026


async def test_json_paths(table: Any) -> None:
    async with table.begin() as conn:
        await conn.execute(
            insert(things),
            [
                {"name": "a", "doc": {"n": 1, "tags": ["x", "y"], "ok": True, "f": 1.5}},
                {"name": "b", "doc": {"n": 2, "tags": ["z"], "ok": False, "f": 0.25}},
            ],
        )
        doc = things.c.doc
        rows = await conn.execute(
            select(things.c.name, doc["tags"][0].as_string(), doc["f"].as_float()).where(
                doc["n"].as_integer() > 1
            )
        )
        assert rows.all() == [("b", "z", 0.25)]
        flagged = select(things.c.name).where(doc["ok"].as_boolean())
        assert (await conn.execute(flagged)).scalars().all() == ["a"]
        path = select(doc[("tags", 1)].as_string()).where(things.c.name == "a")
        assert (await conn.execute(path)).scalar_one() == "y"


# -- RETURNING and the last row id ------------------------------------------------------


class Base(DeclarativeBase):
    type_annotation_map = {str: String(100)}


class Owner(Base):
    __tablename__ = "my_owners"
    __mapper_args__ = {"eager_defaults": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    pets: Mapped[list[Pet]] = relationship(back_populates="owner")


class Pet(Base):
    __tablename__ = "my_pets"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("my_owners.id"))
    name: Mapped[str]
    nickname: Mapped[Optional[str]]
    owner: Mapped[Owner] = relationship(back_populates="pets")


@pytest.fixture
async def zoo(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


@pytest.mark.parametrize("server", ["mariadb", "mysql"])
async def test_orm_insert_fetches_keys_and_defaults(
    zoo: Any, make_session: Any, server: str, query_counter: Any
) -> None:
    """MariaDB: one multi-row INSERT ... RETURNING. MySQL (no RETURNING): one INSERT
    per object whose key is the last row id, and server defaults loaded on access."""
    async with zoo.connect() as conn:
        await conn.scalar(text("SELECT 1"))  # the first connection sets the dialect up
    if server == "mysql":
        zoo.dialect.initialize("8.0.36")  # the same SQL MySQL 8 gets, run on MariaDB
    owners = [Owner(name=f"o{i}", pets=[Pet(name=f"p{i}{j}") for j in range(3)]) for i in range(4)]
    async with make_session() as session:
        session.add_all(owners)
        with query_counter(unwrap(zoo)) as counted:
            await session.flush()
        inserts = [q.sql for q in counted.statements if q.sql.startswith("INSERT")]
        assert len(inserts) == (2 if server == "mariadb" else 4 + 12)
        assert ("RETURNING" in inserts[0]) is (server == "mariadb")
        ids = [o.id for o in owners]
        assert len(set(ids)) == 4 and all(isinstance(i, int) for i in ids)
        for owner in owners:
            assert {p.owner_id for p in owner.pets} == {owner.id}
        if server == "mariadb":
            assert all(isinstance(o.created_at, datetime.datetime) for o in owners)
        await session.commit()
        stored = await session.execute(select(Pet.owner_id, func.count()).group_by(Pet.owner_id))
        assert sorted(stored.all()) == sorted((i, 3) for i in ids)
    async with zoo.begin() as conn:
        result = await conn.execute(insert(Owner.__table__).values(name="core"))
        (key,) = result.inserted_primary_key
        assert key == max(ids) + 1


async def test_delete_returning_on_mariadb(zoo: Any) -> None:
    owners = Owner.__table__
    async with zoo.begin() as conn:
        await conn.execute(insert(owners), [{"name": "a"}, {"name": "b"}, {"name": "c"}])
        gone = await conn.execute(
            delete(owners).where(owners.c.name != "b").returning(owners.c.name)
        )
        assert sorted(gone.scalars().all()) == ["a", "c"]


# -- transactions ------------------------------------------------------------------


async def test_ddl_commits_but_the_transaction_goes_on(zoo: Any) -> None:
    """DDL commits the work before it (MySQL can't help that); what follows is in a new
    transaction, so a savepoint and a rollback still work as ferryman says."""
    owners = Owner.__table__
    meta = MetaData()
    Table("my_scratch", meta, Column("id", Integer, primary_key=True))
    async with zoo.connect() as conn:
        await conn.execute(insert(owners).values(name="before"))
        await conn.run_sync(meta.create_all)  # commits "before"
        await conn.execute(insert(owners).values(name="after"))
        with pytest.raises(exc.IntegrityError):
            async with conn.begin_nested():
                await conn.execute(insert(owners).values(id=1, name="dup"))
        await conn.rollback()  # "after" goes
        names = await conn.execute(select(owners.c.name))
        assert names.scalars().all() == ["before"]
        await conn.run_sync(meta.drop_all)
        await conn.commit()


async def test_isolation_levels(make_engine: Any) -> None:
    meta = MetaData()
    notes = Table("my_notes", meta, Column("id", Integer, primary_key=True))
    setup = make_engine()
    async with setup.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
    seen = {}
    for level in ("REPEATABLE READ", "READ COMMITTED"):
        engine = make_engine(isolation_level=level)
        async with engine.connect() as conn:
            first = await conn.scalar(select(func.count()).select_from(notes))
            async with setup.begin() as other:
                await other.execute(insert(notes))
            seen[level] = await conn.scalar(select(func.count()).select_from(notes)) - first
            await conn.rollback()
    assert seen == {"REPEATABLE READ": 0, "READ COMMITTED": 1}
    async with setup.begin() as conn:
        await conn.run_sync(meta.drop_all)


# -- errors ------------------------------------------------------------------------


async def test_error_numbers_and_classes(zoo: Any) -> None:
    owners = Owner.__table__
    async with zoo.connect() as conn:
        await conn.execute(insert(owners).values(id=1, name="a"))
        cases = [
            (insert(owners).values(id=1, name="b"), exc.IntegrityError, 1062),
            (insert(Pet.__table__).values(owner_id=99, name="x"), exc.IntegrityError, 1452),
            (text("INSERT INTO my_owners (id, name) VALUES (5, NULL)"), exc.IntegrityError, 1048),
            (text("SELECT nothing FROM my_owners"), exc.ProgrammingError, 1054),
            (text("INSERT INTO my_owners (name) VALUES (REPEAT('x', 500))"), exc.DataError, 1406),
        ]
        for statement, cls, errno in cases:
            with pytest.raises(cls) as caught:
                async with conn.begin_nested():
                    await conn.execute(statement)
            assert caught.value.errno == errno
            assert f"({errno})" in str(caught.value)
            assert not caught.value.retryable and not caught.value.connection_invalidated
        await conn.rollback()


def _lock_timeout_in_other_session(started: threading.Event) -> None:
    other = create_engine(f"mysql+pymysql://{MYSQL}")
    try:
        with other.begin() as conn:
            conn.execute(text("UPDATE my_owners SET name = 'held' WHERE id = 1"))
            started.set()
            conn.execute(text("SELECT SLEEP(3)"))
    finally:
        other.dispose()


async def test_lock_wait_timeout_is_retryable(zoo: Any) -> None:
    async with zoo.begin() as conn:
        await conn.execute(insert(Owner.__table__).values(id=1, name="a"))
    started = threading.Event()
    holder = threading.Thread(target=_lock_timeout_in_other_session, args=(started,))
    holder.start()
    try:
        await asyncio.to_thread(started.wait, 10)
        async with zoo.connect() as conn:
            await conn.execute(text("SET SESSION innodb_lock_wait_timeout = 1"))
            with pytest.raises(exc.OperationalError) as caught:
                await conn.execute(text("UPDATE my_owners SET name = 'mine' WHERE id = 1"))
            assert caught.value.errno == 1205 and caught.value.retryable
            await conn.rollback()
            await conn.execute(text("SET SESSION innodb_lock_wait_timeout = 50"))
    finally:
        await asyncio.to_thread(holder.join)


async def test_a_killed_connection_is_a_disconnect(engine: Any) -> None:
    async with engine.connect() as conn:
        own_id = await conn.scalar(text("SELECT CONNECTION_ID()"))
        killer = create_engine(f"mysql+pymysql://{MYSQL}", isolation_level="AUTOCOMMIT")
        with killer.connect() as other:
            other.execute(text(f"KILL CONNECTION {int(own_id)}"))
        killer.dispose()
        with pytest.raises(exc.OperationalError) as caught:
            await conn.scalar(text("SELECT 1"))
        assert caught.value.connection_invalidated
        await conn.rollback()
        assert await conn.scalar(text("SELECT CONNECTION_ID()")) != own_id  # a new one
    async with engine.connect() as conn:
        assert await conn.scalar(text("SELECT 1")) == 1


async def test_url_options() -> None:
    with pytest.raises(exc.ArgumentError, match=r"Unknown MySQL URL option.*sslmode"):
        create_engine(f"mysql+pymysql://{MYSQL}?sslmode=require").connect()
    engine = create_engine(f"mariadb+pymysql://{MYSQL}?charset=utf8mb4&connect_timeout=5")
    with engine.connect() as conn:
        assert conn.scalar(text("SELECT @@character_set_client")) == "utf8mb4"
    engine.dispose()
    with pytest.raises(exc.ArgumentError, match=r"mysql\+asyncmy://"):
        from ferryman.asyncio import create_async_engine

        create_async_engine(f"mysql+pymysql://{MYSQL}")


# -- streaming -----------------------------------------------------------------------


async def test_a_statement_beside_an_open_stream(zoo: Any) -> None:
    """An unbuffered stream holds the socket: a statement run meanwhile reads the rest
    of the stream into memory first, and both give every row."""
    owners = Owner.__table__
    async with zoo.begin() as conn:
        await conn.execute(insert(owners), [{"name": f"o{i:03}"} for i in range(250)])
    async with zoo.connect() as conn:
        stream = await conn.stream(select(owners.c.name).order_by(owners.c.id))
        names = []
        async for partition in stream.partitions(100):
            names.extend(row.name for row in partition)
            count = await conn.scalar(select(func.count()).select_from(owners))
            assert count == 250
        assert names == [f"o{i:03}" for i in range(250)]


async def test_pre_ping_replaces_a_killed_idle_connection(make_engine: Any) -> None:
    engine = make_engine(pool_size=1, max_overflow=0, pool_pre_ping=True)
    async with engine.connect() as conn:
        own_id = await conn.scalar(text("SELECT CONNECTION_ID()"))
    killer = create_engine(f"mysql+pymysql://{MYSQL}", isolation_level="AUTOCOMMIT")
    with killer.connect() as other:
        other.execute(text(f"KILL CONNECTION {int(own_id)}"))
    killer.dispose()
    async with engine.connect() as conn:  # the ping fails: a new connection, no error
        assert await conn.scalar(text("SELECT CONNECTION_ID()")) != own_id

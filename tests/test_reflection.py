"""Reflection: ``inspect(engine / connection)`` and ``MetaData.reflect()`` /
``Table(..., autoload_with=...)`` on every driver; in async code through
``run_sync``, as the async API offers it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from ferryman import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Double,
    Enum,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    Uuid,
    exc,
    func,
    insert,
    inspect,
    select,
    text,
)
from ferryman.cli import main

from .conftest import unwrap

meta = MetaData()
parents = Table(
    "rf_parents",
    meta,
    Column("id", Integer, primary_key=True),
    Column("name", String(40), nullable=False, unique=True),
    Column("price", Numeric(10, 2)),
    Column("made", DateTime, server_default=func.now()),
    Column("active", Boolean),
    Column("notes", Text),
)
children = Table(
    "rf_children",
    meta,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("rf_parents.id", ondelete="CASCADE")),
    Column("a", Integer),
    Column("b", String(10)),
)
Index("ix_rf_children_b_a", children.c.b, children.c.a)


@pytest.fixture
async def tables(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.execute(text("DROP VIEW IF EXISTS rf_names"))
        await conn.run_sync(meta.create_all)
        await conn.execute(text("CREATE VIEW rf_names AS SELECT name FROM rf_parents"))
    yield engine
    async with engine.begin() as conn:
        await conn.execute(text("DROP VIEW IF EXISTS rf_names"))
        await conn.run_sync(meta.drop_all)


async def _inspect(engine: Any, fn: Any) -> Any:
    """``fn(inspector)`` on a sync connection: run_sync's, in async code too."""
    async with engine.connect() as conn:
        return await conn.run_sync(lambda sync_conn: fn(inspect(sync_conn)))


async def test_tables_columns_keys_and_indexes(tables: Any) -> None:
    names = await _inspect(tables, lambda i: i.get_table_names())
    assert {"rf_parents", "rf_children"} <= set(names) and names == sorted(names)
    assert "rf_names" in await _inspect(tables, lambda i: i.get_view_names())
    assert "rf_names" not in names

    columns = {c["name"]: c for c in await _inspect(tables, lambda i: i.get_columns("rf_parents"))}
    assert list(columns) == ["id", "name", "price", "made", "active", "notes"]
    assert isinstance(columns["id"]["type"], Integer) and columns["id"]["primary_key"]
    assert columns["id"]["autoincrement"] and not columns["id"]["nullable"]
    assert isinstance(columns["name"]["type"], String) and columns["name"]["type"].length == 40
    assert columns["name"]["nullable"] is False and columns["price"]["nullable"] is True
    assert (columns["price"]["type"].precision, columns["price"]["type"].scale) == (10, 2)
    assert isinstance(columns["made"]["type"], DateTime) and columns["made"]["default"]
    assert isinstance(columns["active"]["type"], Boolean)
    assert isinstance(columns["notes"]["type"], Text)

    pk = await _inspect(tables, lambda i: i.get_pk_constraint("rf_children"))
    assert pk["constrained_columns"] == ["id"]
    (fk,) = await _inspect(tables, lambda i: i.get_foreign_keys("rf_children"))
    assert fk["constrained_columns"] == ["parent_id"]
    assert (fk["referred_table"], fk["referred_columns"]) == ("rf_parents", ["id"])
    assert fk["options"] == {"ondelete": "CASCADE"}
    (index,) = await _inspect(tables, lambda i: i.get_indexes("rf_children"))
    assert index == {
        "name": "ix_rf_children_b_a",
        "column_names": ["b", "a"],
        "unique": False,
        "duplicates_constraint": None,
    }
    (unique,) = await _inspect(tables, lambda i: i.get_indexes("rf_parents"))
    assert unique["unique"] and unique["column_names"] == ["name"]
    assert unique["duplicates_constraint"] is not None  # the UNIQUE constraint's index


async def test_reflected_tables_run_queries(tables: Any) -> None:
    reflected = MetaData()
    async with tables.begin() as conn:
        await conn.run_sync(reflected.reflect)
        assert {"rf_parents", "rf_children"} <= set(reflected.tables)
        kids = reflected.tables["rf_children"]
        assert [c.name for c in kids.primary_key.columns] == ["id"]
        (key,) = kids.c.parent_id.foreign_keys
        assert key.column is reflected.tables["rf_parents"].c.id
        mom = reflected.tables["rf_parents"]
        await conn.execute(insert(mom).values(id=1, name="Ada", price=2.5))
        await conn.execute(insert(kids).values(parent_id=1, a=1, b="x"))
        row = (
            await conn.execute(
                select(mom.c.name, kids.c.b).join_from(mom, kids).where(mom.c.id == 1)
            )
        ).one()
        assert tuple(row) == ("Ada", "x")
        assert (await conn.scalar(select(mom.c.made))) is not None  # the server default
    only = MetaData()
    async with tables.connect() as conn:
        await conn.run_sync(lambda c: only.reflect(c, only=["rf_parents"]))
        assert list(only.tables) == ["rf_parents"]
        loaded = MetaData()
        await conn.run_sync(lambda c: Table("rf_children", loaded, autoload_with=c))
        assert set(loaded.tables) == {"rf_children", "rf_parents"}  # what it refers to too
        views = MetaData()
        await conn.run_sync(lambda c: views.reflect(c, views=True))
        assert [c.name for c in views.tables["rf_names"].c] == ["name"]


async def test_reflection_errors(tables: Any, is_async: bool) -> None:
    with pytest.raises(exc.NoSuchTableError, match="'rf_nothing'"):
        await _inspect(tables, lambda i: i.get_columns("rf_nothing"))
    async with tables.connect() as conn:
        with pytest.raises(exc.NoSuchTableError, match="rf_nothing"):
            await conn.run_sync(lambda c: MetaData().reflect(c, only=["rf_nothing"]))
        with pytest.raises(exc.ArgumentError, match="give no Column"):
            await conn.run_sync(
                lambda c: Table("rf_parents", MetaData(), Column("id", Integer), autoload_with=c)
            )
        failed = MetaData()
        with pytest.raises(exc.NoSuchTableError):
            await conn.run_sync(lambda c: Table("rf_nothing", failed, autoload_with=c))
        assert not failed.tables  # nothing half-made is left behind
    if is_async:
        with pytest.raises(exc.NoInspectionAvailable, match="run_sync"):
            inspect(tables)
        async with tables.connect() as conn:
            with pytest.raises(exc.ArgumentError, match="run_sync"):
                MetaData().reflect(conn)
    else:
        engine = unwrap(tables)  # a sync engine: inspect() takes it directly
        assert "rf_parents" in inspect(engine).get_table_names()
        assert inspect(engine).has_table("rf_children")


@pytest.mark.sync_only
def test_ferryman_inspect_prints_the_schema(
    tables: Any, url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["inspect", url]) == 0
    out = capsys.readouterr().out
    assert "table rf_children" in out and "view rf_names" in out
    assert "foreign key (parent_id) -> rf_parents (id) ON DELETE CASCADE" in out
    assert "index ix_rf_children_b_a (b, a)" in out
    assert "PRIMARY KEY" in out and "NOT NULL" in out


# MySQL / MariaDB: the types, defaults and keys information_schema spells its own way
my_meta = MetaData()
Table(
    "rf_kinds",
    my_meta,
    Column("id", BigInteger, primary_key=True),
    Column("label", String(30), server_default="it's a \\ and\nline", comment="for 'users'"),
    Column("flag", Boolean, server_default=text("1")),
    Column("ratio", Double),
    Column("amount", Numeric(12, 3), server_default=text("-2.5")),
    Column("stamp", DateTime, server_default=func.now()),
    Column("at", Time),
    Column("day", Date, server_default="2024-02-29"),
    Column("body", Text),
    Column("raw", LargeBinary),
    Column("doc", JSON),  # MariaDB: LONGTEXT with a json_valid() CHECK
    Column("mood", Enum("ok", "it's", "a\\b")),
    Column("token", Uuid),
    Column("small", SmallInteger),
    Column("word", String(5), server_default="NULL"),  # the string, not SQL NULL
    Column("bare", String(5)),
)
Table(
    "rf_owners",
    my_meta,
    Column("id", Integer, primary_key=True),
    Column(
        "kind_id", BigInteger, ForeignKey("rf_kinds.id", ondelete="SET NULL", onupdate="CASCADE")
    ),
)


@pytest.fixture
async def my_tables(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(my_meta.drop_all)
        await conn.run_sync(my_meta.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(my_meta.drop_all)


@pytest.mark.backends("mysql")
async def test_mysql_types_defaults_and_keys(my_tables: Any) -> None:
    native_uuid = await _inspect(my_tables, lambda i: i.dialect.supports_native_uuid)
    columns = {
        c["name"]: c for c in await _inspect(my_tables, lambda i: i.get_columns("rf_kinds"))
    }
    types = {name: type(column["type"]) for name, column in columns.items()}
    assert types == {
        "id": BigInteger,
        "label": String,
        "flag": Boolean,
        "ratio": Double,
        "amount": Numeric,
        "stamp": DateTime,
        "at": Time,
        "day": Date,
        "body": Text,
        "raw": LargeBinary,
        "doc": JSON,
        "mood": Enum,
        "token": Uuid if native_uuid else String,
        "small": SmallInteger,
        "word": String,
        "bare": String,
    }
    assert columns["mood"]["type"].enums == ("ok", "it's", "a\\b")
    assert columns["label"]["type"].length == 30
    assert columns["id"]["autoincrement"] and not columns["label"]["autoincrement"]
    assert columns["label"]["comment"] == "for 'users'" and columns["body"]["comment"] is None
    defaults = {name: column["default"] for name, column in columns.items()}
    assert defaults["label"] == "'it''s a \\\\ and\\nline'"  # as MySQL's compiler quotes
    assert (defaults["flag"], defaults["amount"]) == ("1", "-2.500")
    assert defaults["stamp"].lower() == "current_timestamp(6)"
    assert (defaults["day"], defaults["word"]) == ("'2024-02-29'", "'NULL'")
    assert defaults["bare"] is None and defaults["doc"] is None

    (fk,) = await _inspect(my_tables, lambda i: i.get_foreign_keys("rf_owners"))
    assert fk["referred_schema"] is None and fk["referred_table"] == "rf_kinds"
    assert fk["options"] == {"onupdate": "CASCADE", "ondelete": "SET NULL"}
    # the index InnoDB made for the foreign key is left out: it comes with the key
    assert await _inspect(my_tables, lambda i: i.get_indexes("rf_owners")) == []
    pk = await _inspect(my_tables, lambda i: i.get_pk_constraint("rf_owners"))
    assert pk == {"name": None, "constrained_columns": ["id"]}
    with pytest.raises(exc.NoSuchTableError, match="'RF_KINDS' in database"):
        await _inspect(my_tables, lambda i: i.get_indexes("RF_KINDS"))  # names are exact


@pytest.mark.backends("mysql")
async def test_mysql_reflected_tables_are_created_again(my_tables: Any) -> None:
    reflected = MetaData()
    async with my_tables.begin() as conn:
        await conn.run_sync(lambda c: reflected.reflect(c, only=["rf_owners", "rf_kinds"]))
        await conn.run_sync(my_meta.drop_all)
        await conn.run_sync(reflected.create_all)  # from what the database said
        kinds = reflected.tables["rf_kinds"]
        await conn.execute(insert(kinds).values(id=1, doc={"a": [1]}, mood="it's"))
        row = (
            await conn.execute(
                select(kinds.c.label, kinds.c.flag, kinds.c.day, kinds.c.word, kinds.c.doc)
            )
        ).one()
        assert tuple(row) == (
            "it's a \\ and\nline",
            True,
            datetime.date(2024, 2, 29),
            "NULL",
            {"a": [1]},
        )
        assert await conn.scalar(select(kinds.c.stamp)) is not None
        assert kinds.c.label.comment == "for 'users'"  # comments come back too


async def test_a_default_with_a_colon_is_created_again(engine: Any) -> None:
    meta = MetaData()
    Table(
        "rf_colon",
        meta,
        Column("id", Integer, primary_key=True),
        Column("at", String(20), server_default="at :noon"),
    )
    reflected = MetaData()
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.run_sync(lambda c: reflected.reflect(c, only=["rf_colon"]))
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(reflected.create_all)  # ":noon" is no parameter
        table = reflected.tables["rf_colon"]
        await conn.execute(insert(table).values(id=1))
        assert await conn.scalar(select(table.c.at)) == "at :noon"
        await conn.run_sync(reflected.drop_all)

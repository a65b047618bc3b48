"""Every column type's values round-trip exactly, on every driver pairing."""

from __future__ import annotations

import datetime
import decimal
import uuid
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
    Float,
    Integer,
    Interval,
    LargeBinary,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    Unicode,
    Uuid,
    exc,
    insert,
    select,
    update,
)
from ferryman.types import TypeDecorator

TZ = datetime.timezone(datetime.timedelta(hours=5, minutes=30))


class Tags(TypeDecorator):
    """A list of tags stored as one comma-separated string."""

    impl = String(200)

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return ",".join(value)

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value.split(",") if value else []


metadata = MetaData()
things = Table(
    "ty_things",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("big", BigInteger),
    Column("small", SmallInteger),
    Column("flag", Boolean),
    Column("ratio", Float),
    Column("precise", Double),
    Column("money", Numeric(14, 4)),
    Column("name", String(50)),
    Column("body", Text),
    Column("uni", Unicode(20)),
    Column("day", Date),
    Column("moment", Time),
    Column("stamp", DateTime),
    Column("stamp_tz", DateTime(timezone=True)),
    Column("span", Interval),
    Column("blob", LargeBinary),
    Column("doc", JSON),
    Column("ident", Uuid),
    Column("tags", Tags()),
)

VALUES: dict[str, Any] = {
    "big": 2**62,
    "small": -32768,
    "flag": True,
    "ratio": 1.5,
    "precise": 3.141592653589793,
    "money": decimal.Decimal("12345678.1230"),
    "name": "Ada",
    "body": "x" * 5000 + "'; --",
    "uni": "Ωmega ≈ ç √ 中",
    "day": datetime.date(2000, 2, 29),
    "moment": datetime.time(13, 14, 15, 161718),
    "stamp": datetime.datetime(2024, 2, 29, 23, 59, 58, 123456),
    "stamp_tz": datetime.datetime(2024, 7, 1, 8, 30, 0, 5, tzinfo=TZ),
    "span": datetime.timedelta(days=3, seconds=5, microseconds=7),
    "blob": b"\x00\x01\xffNUL\x00end",
    "doc": {"name": "ünïcødé ✓", "list": [1, 2.5, None, True], "nested": {"a": "b"}},
    "ident": uuid.UUID("12345678-1234-5678-1234-567812345678"),
    "tags": ["red", "green"],
}


@pytest.fixture
async def table(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


async def test_every_type_round_trips(table: Any) -> None:
    async with table.begin() as conn:
        new_id = (
            await conn.execute(insert(things).values(**VALUES).returning(things.c.id))
        ).scalar_one()
        row = (await conn.execute(select(things).where(things.c.id == new_id))).one()
        for name, value in VALUES.items():
            got = getattr(row, name)
            assert got == value, name
            if name == "money":
                assert str(got) == "12345678.1230"
            if name == "stamp_tz":
                assert got.utcoffset() is not None
        assert isinstance(row.flag, bool)
        assert isinstance(row.ident, uuid.UUID)


async def test_values_come_back_through_returning_and_streams(table: Any) -> None:
    async with table.begin() as conn:
        returned = await conn.execute(
            insert(things).values(**VALUES).returning(things.c.stamp, things.c.money)
        )
        assert returned.one() == (VALUES["stamp"], VALUES["money"])
        streamed = await conn.stream(select(things.c.day, things.c.doc))
        assert await streamed.all() == [(VALUES["day"], VALUES["doc"])]


async def test_nulls_pass_through_every_processor(table: Any) -> None:
    async with table.begin() as conn:
        await conn.execute(insert(things).values(id=1))
        row = (await conn.execute(select(things).where(things.c.id == 1))).one()
        assert all(value is None for value in row[1:])


async def test_executemany_converts_each_row(table: Any) -> None:
    rows = [
        {"stamp": VALUES["stamp"] + datetime.timedelta(days=i), "money": decimal.Decimal(i)}
        for i in range(5)
    ]
    async with table.begin() as conn:
        await conn.execute(insert(things), rows)
        got = await conn.execute(select(things.c.stamp, things.c.money).order_by(things.c.stamp))
        assert [tuple(r) for r in got.all()] == [(r["stamp"], r["money"]) for r in rows]


async def test_untyped_bindparams_take_the_column_type(table: Any) -> None:
    """``bindparam("x")`` in values() or a comparison converts like its column."""
    from ferryman import bindparam, update

    async with table.begin() as conn:
        await conn.execute(insert(things).values(id=1, name="a"))
        stmt = (
            update(things)
            .where(things.c.id == bindparam("i"))
            .values(money=bindparam("m"), doc=bindparam("d"), tags=bindparam("t"))
        )
        await conn.execute(stmt, [{"i": 1, "m": VALUES["money"], "d": VALUES["doc"], "t": ["x"]}])
        row = (await conn.execute(select(things.c.money, things.c.doc, things.c.tags))).one()
        assert tuple(row) == (VALUES["money"], VALUES["doc"], ["x"])
        found = select(things.c.id).where(things.c.money == bindparam("m"))
        assert (await conn.execute(found, {"m": VALUES["money"]})).scalar_one() == 1


async def test_comparisons_use_converted_values(table: Any) -> None:
    async with table.begin() as conn:
        await conn.execute(insert(things).values(**VALUES))
        cutoff = VALUES["stamp"] - datetime.timedelta(microseconds=1)
        later = select(things.c.name).where(things.c.stamp > cutoff, things.c.flag == True)  # noqa: E712
        assert (await conn.execute(later)).scalar_one() == "Ada"
        by_uuid = select(things.c.name).where(things.c.ident == VALUES["ident"])
        assert (await conn.execute(by_uuid)).scalar_one() == "Ada"
        by_day = select(things.c.name).where(things.c.day.in_([VALUES["day"]]))
        assert (await conn.execute(by_day)).scalar_one() == "Ada"


@pytest.mark.parametrize(
    ("column", "value", "expected"),
    [
        ("big", "12", "an integer"),
        ("name", 42, "a string"),
        ("stamp", "2024-01-01", "a datetime"),
        ("money", "1.5", "a number"),
        ("flag", 7, "a bool"),
        ("ident", 12345, "a UUID"),
    ],
)
async def test_wrong_type_names_the_column(
    table: Any, column: str, value: Any, expected: str
) -> None:
    async with table.connect() as conn:
        with pytest.raises(exc.StatementError, match=f"column ty_things.{column}") as caught:
            await conn.execute(insert(things).values({column: value}))
        assert expected in str(caught.value)
        with pytest.raises(exc.StatementError, match=f"column ty_things.{column}"):
            await conn.execute(update(things).values({column: value}))
        with pytest.raises(exc.StatementError, match=f"column ty_things.{column}"):
            await conn.execute(insert(things), [{column: value}])


async def test_json_index_and_path_operators(engine: Any) -> None:
    meta = MetaData()
    docs = Table(
        "ty_docs",
        meta,
        Column("id", Integer, primary_key=True),
        Column("doc", JSON),
    )
    document = {"name": "Ada", "age": 36, "tags": ["x", "y"], "meta": {"ok": True, "n": 2.5}}
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(insert(docs).values(id=1, doc=document))
        await conn.execute(insert(docs).values(id=2, doc={"name": "Bob", "age": 7}))
        doc = docs.c.doc
        row = (
            await conn.execute(
                select(
                    doc["name"],
                    doc["name"].as_string(),
                    doc["age"].as_integer(),
                    doc["tags"],
                    doc[("tags", 1)].as_string(),
                    doc[("meta", "n")].as_float(),
                    doc["meta"],
                ).where(docs.c.id == 1)
            )
        ).one()
        assert tuple(row) == ("Ada", "Ada", 36, ["x", "y"], "y", 2.5, {"ok": True, "n": 2.5})
        adults = select(docs.c.id).where(doc["age"].as_integer() >= 18)
        assert (await conn.execute(adults)).scalars().all() == [1]
        named = select(docs.c.id).where(doc["name"].as_string() == "Bob")
        assert (await conn.execute(named)).scalars().all() == [2]
        missing = select(doc["nope"].as_string()).where(docs.c.id == 2)
        assert (await conn.execute(missing)).scalar() is None
        await conn.run_sync(meta.drop_all)
    with pytest.raises(exc.ArgumentError, match="Only JSON"):
        docs.c.id["x"]


set_returning = pytest.mark.backends("sqlite", "postgresql")  # MySQL: JSON_TABLE only


@set_returning
async def test_table_valued_functions(engine: Any) -> None:
    from ferryman import func

    meta = MetaData()
    bags = Table("ty_bags", meta, Column("id", Integer, primary_key=True), Column("doc", JSON))
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(insert(bags).values(id=1, doc={"a": 1, "b": 2}))
        each = func.json_each(bags.c.doc).table_valued("key", "value")
        stmt = (
            select(each.c.key).select_from(bags, each).where(bags.c.id == 1).order_by(each.c.key)
        )
        assert (await conn.execute(stmt)).scalars().all() == ["a", "b"]
        await conn.run_sync(meta.drop_all)


@set_returning
async def test_column_valued_function(engine: Any, backend: str) -> None:
    from ferryman import func

    meta = MetaData()
    lists = Table("ty_lists", meta, Column("id", Integer, primary_key=True), Column("doc", JSON))
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(insert(lists).values(id=1, doc=["a", "b", "c"]))
        name = "json_array_elements_text" if backend == "postgresql" else "json_each"
        item = getattr(func, name)(lists.c.doc).column_valued("item")
        stmt = select(item).select_from(lists).where(lists.c.id == 1)
        assert sorted((await conn.execute(stmt)).scalars().all()) == ["a", "b", "c"]
        await conn.run_sync(meta.drop_all)


def test_mysql_refuses_set_returning_functions() -> None:
    from ferryman import func
    from ferryman.dialects.mysql import MySQLDialect

    meta = MetaData()
    lists = Table("ty_lists", meta, Column("id", Integer, primary_key=True), Column("doc", JSON))
    dialect = MySQLDialect("pymysql")
    each = func.json_each(lists.c.doc).table_valued("key", "value")
    with pytest.raises(exc.CompileError, match=r"table-valued function json_each\(\)"):
        select(each.c.key).select_from(lists, each).compile(dialect=dialect)
    item = func.json_each(lists.c.doc).column_valued("item")
    with pytest.raises(exc.CompileError, match=r"json_each\(\)"):
        select(item).select_from(lists).compile(dialect=dialect)

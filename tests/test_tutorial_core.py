"""The Core part of SQLAlchemy 2.0's Unified Tutorial, with ferryman imports.

The statements below are the ones the tutorial teaches (text(), tables and
metadata, insert, select with joins, grouping, subqueries and CTEs, update
and delete with RETURNING); they must give the same results on every driver.
"""

from __future__ import annotations

from typing import Any

import pytest

import ferryman as sa
from ferryman import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    delete,
    desc,
    exc,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    update,
)

metadata_obj = MetaData()
user_table = Table(
    "user_account",
    metadata_obj,
    Column("id", Integer, primary_key=True),
    Column("name", String(30)),
    Column("fullname", String(255)),  # the page has String: MySQL needs a length
)
address_table = Table(
    "address",
    metadata_obj,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("user_account.id"), nullable=False),
    Column("email_address", String(255), nullable=False),
)


@pytest.fixture
async def tutorial(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(metadata_obj.drop_all)
        await conn.run_sync(metadata_obj.create_all)
        await conn.execute(
            insert(user_table),
            [
                {"name": "spongebob", "fullname": "Spongebob Squarepants"},
                {"name": "sandy", "fullname": "Sandy Cheeks"},
                {"name": "patrick", "fullname": "Patrick Star"},
            ],
        )
        scalar_subq = (
            select(user_table.c.id)
            .where(user_table.c.name == bindparam("username"))
            .scalar_subquery()
        )
        await conn.execute(
            insert(address_table).values(user_id=scalar_subq),
            [
                {"username": "spongebob", "email_address": "spongebob@sqlalchemy.org"},
                {"username": "sandy", "email_address": "sandy@sqlalchemy.org"},
                {"username": "sandy", "email_address": "sandy@squirrelpower.org"},
            ],
        )
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata_obj.drop_all)


async def test_working_with_transactions_and_text(engine: Any) -> None:
    async with engine.connect() as conn:
        result = await conn.execute(text("select 'hello world'"))
        assert result.all() == [("hello world",)]
        await conn.execute(text("DROP TABLE IF EXISTS some_table"))
        await conn.execute(text("CREATE TABLE some_table (x int, y int)"))
        await conn.execute(
            text("INSERT INTO some_table (x, y) VALUES (:x, :y)"),
            [{"x": 1, "y": 1}, {"x": 2, "y": 4}],
        )
        await conn.commit()
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO some_table (x, y) VALUES (:x, :y)"),
            [{"x": 6, "y": 8}, {"x": 9, "y": 10}],
        )
    async with engine.connect() as conn:
        result = await conn.execute(
            text("SELECT x, y FROM some_table WHERE y > :y ORDER BY x, y"), {"y": 2}
        )
        assert [f"x: {row.x}  y: {row.y}" for row in result] == [
            "x: 2  y: 4",
            "x: 6  y: 8",
            "x: 9  y: 10",
        ]
        await conn.execute(text("DROP TABLE some_table"))
        await conn.commit()


def test_printed_statements() -> None:
    stmt = insert(user_table).values(name="spongebob", fullname="Spongebob Squarepants")
    assert str(stmt) == ("INSERT INTO user_account (name, fullname) VALUES (:name, :fullname)")
    assert stmt.compile().params == {"name": "spongebob", "fullname": "Spongebob Squarepants"}
    assert str(select(user_table).where(user_table.c.name == "spongebob")) == (
        "SELECT user_account.id, user_account.name, user_account.fullname FROM user_account "
        "WHERE user_account.name = :name_1"
    )
    assert user_table.c.keys() == ["id", "name", "fullname"]
    assert sa.text is text and sa.select is select


async def test_select_joins_and_conditions(tutorial: Any) -> None:
    async with tutorial.connect() as conn:
        stmt = (
            select(address_table.c.email_address)
            .where(user_table.c.name == "squidward")
            .where(address_table.c.user_id == user_table.c.id)
        )
        assert (await conn.execute(stmt)).all() == []
        stmt = select(user_table.c.name, address_table.c.email_address).join_from(
            user_table, address_table
        )
        assert len((await conn.execute(stmt)).all()) == 3
        stmt = select(address_table.c.email_address).where(
            and_(
                or_(user_table.c.name == "squidward", user_table.c.name == "sandy"),
                address_table.c.user_id == user_table.c.id,
            )
        )
        assert sorted((await conn.execute(stmt)).scalars().all()) == [
            "sandy@sqlalchemy.org",
            "sandy@squirrelpower.org",
        ]
        labelled = select(
            ("Username: " + user_table.c.name).label("username"),
        ).order_by(user_table.c.name)
        assert [row.username for row in await conn.execute(labelled)] == [
            "Username: patrick",
            "Username: sandy",
            "Username: spongebob",
        ]
        literal = select(literal_column("'some phrase'").label("p"), user_table.c.name).order_by(
            user_table.c.name
        )
        assert (await conn.execute(literal)).first() == ("some phrase", "patrick")


async def test_group_by_having_and_label_ordering(tutorial: Any) -> None:
    async with tutorial.connect() as conn:
        stmt = (
            select(user_table.c.name, func.count(address_table.c.id).label("count"))
            .join(address_table)
            .group_by(user_table.c.name)
            .having(func.count(address_table.c.id) > 1)
        )
        assert (await conn.execute(stmt)).all() == [("sandy", 2)]
        stmt = (
            select(address_table.c.user_id, func.count(address_table.c.id).label("num_addresses"))
            .group_by("user_id")
            .order_by("user_id", desc("num_addresses"))
        )
        assert (await conn.execute(stmt)).all() == [(1, 1), (2, 2)]


async def test_subqueries_ctes_and_unions(tutorial: Any) -> None:
    async with tutorial.connect() as conn:
        subq = (
            select(func.count(address_table.c.id).label("count"), address_table.c.user_id)
            .group_by(address_table.c.user_id)
            .subquery()
        )
        stmt = (
            select(user_table.c.name, user_table.c.fullname, subq.c.count)
            .join_from(user_table, subq)
            .order_by(user_table.c.id)
        )
        assert (await conn.execute(stmt)).all() == [
            ("spongebob", "Spongebob Squarepants", 1),
            ("sandy", "Sandy Cheeks", 2),
        ]
        cte = (
            select(func.count(address_table.c.id).label("count"), address_table.c.user_id)
            .group_by(address_table.c.user_id)
            .cte()
        )
        stmt = (
            select(user_table.c.name, cte.c.count)
            .join_from(user_table, cte)
            .order_by(user_table.c.name)
        )
        assert (await conn.execute(stmt)).all() == [("sandy", 2), ("spongebob", 1)]
        stmt1 = select(user_table).where(user_table.c.name == "sandy")
        stmt2 = select(user_table).where(user_table.c.name == "spongebob")
        u = sa.union_all(stmt1, stmt2).subquery()
        names = select(u.c.name).order_by(u.c.name)
        assert (await conn.execute(names)).scalars().all() == ["sandy", "spongebob"]
        exists_stmt = select(user_table.c.name).where(
            ~sa.exists(
                select(address_table.c.id).where(address_table.c.user_id == user_table.c.id)
            )
        )
        assert (await conn.execute(exists_stmt)).scalars().all() == ["patrick"]


async def test_update_and_delete(tutorial: Any, backend: str) -> None:
    async with tutorial.begin() as conn:
        stmt = (
            update(user_table)
            .where(user_table.c.name == "patrick")
            .values(fullname="Patrick the Star")
        )
        assert (await conn.execute(stmt)).rowcount == 1
        stmt = (
            update(user_table)
            .where(user_table.c.name == bindparam("oldname"))
            .values(name=bindparam("newname"))
        )
        await conn.execute(
            stmt,
            [
                {"oldname": "jack", "newname": "ed"},
                {"oldname": "wendy", "newname": "mary"},
                {"oldname": "patrick", "newname": "pat"},
            ],
        )
        scalar_subq = (
            select(address_table.c.email_address)
            .where(address_table.c.user_id == user_table.c.id)
            .order_by(address_table.c.id)
            .limit(1)
            .scalar_subquery()
        )
        await conn.execute(update(user_table).values(fullname=scalar_subq))
        sandy = update(user_table).where(user_table.c.name == "sandy")
        returning = sandy.values(fullname="Sandy Squirrel").returning(
            user_table.c.id, user_table.c.name
        )
        if backend == "mysql":  # MariaDB has RETURNING on INSERT and DELETE only
            with pytest.raises(exc.CompileError, match=r"UPDATE \.\.\. RETURNING"):
                await conn.execute(returning)
            await conn.execute(sandy.values(fullname="Sandy Squirrel"))
        else:
            assert (await conn.execute(returning)).all() == [(2, "sandy")]
        names = select(user_table.c.name, user_table.c.fullname).order_by(user_table.c.id)
        assert (await conn.execute(names)).all() == [
            ("spongebob", "spongebob@sqlalchemy.org"),
            ("sandy", "Sandy Squirrel"),
            ("pat", None),
        ]
        deleted = await conn.execute(
            delete(user_table).where(user_table.c.name == "pat").returning(user_table.c.id)
        )
        assert deleted.all() == [(3,)]

"""Subqueries, CTEs, set operations, CASE and window functions, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import (
    Column,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    case,
    except_,
    exists,
    func,
    insert,
    intersect,
    select,
    union,
    union_all,
)
from ferryman.dialects.postgresql import PGDialect

metadata = MetaData()
staff = Table(
    "q_staff",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(20), nullable=False),
    Column("boss_id", ForeignKey("q_staff.id")),
    Column("salary", Integer, nullable=False),
)
tasks = Table(
    "q_tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("owner_id", ForeignKey("q_staff.id"), nullable=False),
    Column("done", Integer, nullable=False),
)
STAFF = [
    {"id": 1, "name": "ceo", "boss_id": None, "salary": 300},
    {"id": 2, "name": "cto", "boss_id": 1, "salary": 200},
    {"id": 3, "name": "dev", "boss_id": 2, "salary": 100},
    {"id": 4, "name": "intern", "boss_id": 3, "salary": 10},
    {"id": 5, "name": "cfo", "boss_id": 1, "salary": 200},
]
TASKS = [
    {"id": 1, "owner_id": 3, "done": 1},
    {"id": 2, "owner_id": 3, "done": 0},
    {"id": 3, "owner_id": 4, "done": 1},
    {"id": 4, "owner_id": 2, "done": 1},
]


@pytest.fixture
async def company(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        for row in STAFF:  # one by one: each boss exists before the staff under them
            await conn.execute(insert(staff).values(**row))
        await conn.execute(insert(tasks), TASKS)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


async def rows(engine: Any, stmt: Any) -> list[tuple[Any, ...]]:
    async with engine.connect() as conn:
        return [tuple(row) for row in (await conn.execute(stmt)).all()]


async def test_subquery_in_from(company: Any) -> None:
    done = (
        select(tasks.c.owner_id, func.count().label("n"))
        .where(tasks.c.done == 1)
        .group_by(tasks.c.owner_id)
        .subquery()
    )
    stmt = (
        select(staff.c.name, done.c.n)
        .join(done, staff.c.id == done.c.owner_id)
        .order_by(staff.c.name)
    )
    assert await rows(company, stmt) == [("cto", 1), ("dev", 1), ("intern", 1)]


async def test_correlated_exists_and_scalar_subquery(company: Any) -> None:
    has_tasks = exists(select(tasks.c.id).where(tasks.c.owner_id == staff.c.id))
    stmt = select(staff.c.name).where(has_tasks).order_by(staff.c.name)
    assert await rows(company, stmt) == [("cto",), ("dev",), ("intern",)]
    no_tasks = select(staff.c.name).where(~has_tasks).order_by(staff.c.name)
    assert await rows(company, no_tasks) == [("ceo",), ("cfo",)]
    count = (
        select(func.count(tasks.c.id))
        .where(tasks.c.owner_id == staff.c.id)
        .scalar_subquery()
        .label("tasks")
    )
    stmt = select(staff.c.name, count).order_by(count.desc(), staff.c.name).limit(2)
    assert await rows(company, stmt) == [("dev", 2), ("cto", 1)]


async def test_self_join_through_an_alias(company: Any) -> None:
    boss = staff.alias("boss")
    stmt = (
        select(staff.c.name, boss.c.name.label("boss"))
        .join(boss, staff.c.boss_id == boss.c.id)
        .where(boss.c.salary >= 200)
        .order_by(staff.c.name)
    )
    assert await rows(company, stmt) == [("cfo", "ceo"), ("cto", "ceo"), ("dev", "cto")]


async def test_set_operations(company: Any) -> None:
    rich = select(staff.c.id).where(staff.c.salary >= 200)
    busy = select(tasks.c.owner_id.label("id"))
    assert await rows(company, union(rich, busy).order_by(staff.c.id)) == [
        (1,), (2,), (3,), (4,), (5,),
    ]  # fmt: skip
    assert len(await rows(company, union_all(rich, busy))) == 7
    assert await rows(company, intersect(rich, busy)) == [(2,)]
    assert sorted(await rows(company, except_(rich, busy))) == [(1,), (5,)]


async def test_recursive_cte_walks_the_tree(company: Any) -> None:
    chain = (
        select(staff.c.id, staff.c.name, staff.c.boss_id)
        .where(staff.c.name == "intern")
        .cte("chain", recursive=True)
    )
    chain = chain.union_all(
        select(staff.c.id, staff.c.name, staff.c.boss_id).join(
            chain, staff.c.id == chain.c.boss_id
        )
    )
    names = await rows(company, select(chain.c.name))
    assert [n for (n,) in names] == ["intern", "dev", "cto", "ceo"]


async def test_cte_binds_keep_their_order(company: Any) -> None:
    """The WITH clause is written before the statement that uses it but compiled
    after it: placeholders must still line up with their values."""
    well_paid = select(staff.c.id, staff.c.name).where(staff.c.salary > 150).cte("well_paid")
    stmt = select(well_paid.c.name).where(well_paid.c.id != 5).order_by(well_paid.c.name)
    assert await rows(company, stmt) == [("ceo",), ("cto",)]
    assert stmt.compile(dialect=PGDialect("numeric_dollar", "asyncpg")).string == (
        "WITH well_paid AS (SELECT q_staff.id, q_staff.name FROM q_staff WHERE q_staff.salary "
        "> $1) SELECT well_paid.name FROM well_paid WHERE well_paid.id != $2 ORDER BY "
        "well_paid.name"
    )


async def test_case_and_window_functions(company: Any) -> None:
    band = case((staff.c.salary >= 200, "high"), (staff.c.salary >= 100, "mid"), else_="low")
    stmt = select(staff.c.name, band.label("band")).order_by(staff.c.id)
    assert [b for _, b in await rows(company, stmt)] == ["high", "high", "mid", "low", "high"]
    ranked = select(
        staff.c.name,
        func.rank().over(order_by=staff.c.salary.desc()).label("rank"),
        func.sum(staff.c.salary).over(partition_by=staff.c.boss_id).label("team"),
    ).order_by(staff.c.id)
    result = await rows(company, ranked)
    assert [(name, rank) for name, rank, _ in result] == [
        ("ceo", 1), ("cto", 2), ("dev", 4), ("intern", 5), ("cfo", 2),
    ]  # fmt: skip
    assert result[1][2] == 400  # cto and cfo share a boss


async def test_aggregate_filter(company: Any) -> None:
    stmt = select(func.count().label("all"), func.count().filter(tasks.c.done == 1).label("done"))
    assert await rows(company, stmt) == [(4, 3)]


async def test_insert_from_select_and_update_from(company: Any, backend: str) -> None:
    from ferryman import delete, exc, tuple_, type_coerce, update

    meta = MetaData()
    archive = Table(
        "q_archive",
        meta,
        Column("id", Integer, primary_key=True),
        Column("name", String(20)),
    )
    async with company.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        copy = insert(archive).from_select(
            ["id", "name"], select(staff.c.id, staff.c.name).where(staff.c.salary < 150)
        )
        await conn.execute(copy)
        copied = select(archive.c.name).order_by(archive.c.id)
        assert (await conn.execute(copied)).scalars().all() == ["dev", "intern"]
        # UPDATE ... FROM another table
        renamed = update(archive).values(name=staff.c.name + "!").where(archive.c.id == staff.c.id)
        await conn.execute(renamed)
        names = (await conn.execute(select(archive.c.name).order_by(archive.c.id))).scalars()
        assert names.all() == ["dev!", "intern!"]
        # a scalar subquery in the WHERE of an UPDATE
        last_owner = select(func.max(tasks.c.owner_id)).scalar_subquery()
        await conn.execute(update(archive).where(archive.c.id == last_owner).values(name="last"))
        last = select(archive.c.name).where(archive.c.id == 4)
        assert (await conn.execute(last)).scalar() == "last"
        # row values
        pairs = select(staff.c.name).where(
            tuple_(staff.c.id, staff.c.boss_id).in_([(2, 1), (3, 2), (9, 9)])
        )
        assert sorted((await conn.execute(pairs)).scalars().all()) == ["cto", "dev"]
        coerced = select(type_coerce(staff.c.salary, String()).label("s")).where(staff.c.id == 1)
        assert (await conn.execute(coerced)).scalar() in (300, "300")
        multi = delete(archive).where(archive.c.id == staff.c.id, staff.c.name == "dev")
        if backend == "sqlite":
            with pytest.raises(exc.ArgumentError, match="subquery"):
                await conn.execute(multi)
        else:
            assert (await conn.execute(multi)).rowcount == 1
        await conn.run_sync(meta.drop_all)


def test_ordered_values_and_within_group_sql() -> None:
    from ferryman import update

    stmt = update(staff).ordered_values((staff.c.salary, 1), (staff.c.name, "x"))
    assert str(stmt) == "UPDATE q_staff SET salary = :salary, name = :name"
    median = func.percentile_cont(0.5).within_group(staff.c.salary)
    assert str(select(median)) == (
        "SELECT percentile_cont(:param_1) WITHIN GROUP (ORDER BY q_staff.salary) FROM q_staff"
    )


async def test_values_construct(company: Any) -> None:
    from ferryman import column, values

    raises = values(column("id", Integer), column("bonus", Integer), name="raises").data(
        [(2, 20), (3, 30)]
    )
    stmt = (
        select(staff.c.name, staff.c.salary + raises.c.bonus)
        .join(raises, staff.c.id == raises.c.id)
        .order_by(staff.c.id)
    )
    assert await rows(company, stmt) == [("cto", 220), ("dev", 130)]


@pytest.mark.backends("postgresql")
async def test_lateral_subquery(company: Any) -> None:
    latest = (
        select(tasks.c.id.label("task_id"))
        .where(tasks.c.owner_id == staff.c.id)
        .order_by(tasks.c.id.desc())
        .limit(1)
        .lateral("latest")
    )
    from ferryman import true

    stmt = select(staff.c.name, latest.c.task_id).join(latest, true()).order_by(staff.c.name)
    assert await rows(company, stmt) == [("cto", 4), ("dev", 2), ("intern", 3)]


async def test_remaining_constructs(company: Any, backend: str) -> None:
    """in_(subquery), DISTINCT in an aggregate, COLLATE, an empty INSERT, FOR UPDATE,
    WITHIN GROUP, NUL characters in text (SQLite and MySQL keep them; PostgreSQL refuses
    them)."""
    from ferryman import Text, exc, text

    async with company.begin() as conn:
        busy = select(staff.c.name).where(
            staff.c.id.in_(select(tasks.c.owner_id).where(tasks.c.done == 1))
        )
        assert sorted((await conn.execute(busy)).scalars().all()) == ["cto", "dev", "intern"]
        owners = select(func.count(tasks.c.owner_id.distinct()))
        assert (await conn.execute(owners)).scalar() == 3
        collation = {"postgresql": "C", "mysql": "utf8mb4_bin"}.get(backend, "BINARY")
        ordered = select(staff.c.name).order_by(staff.c.name.collate(collation))
        assert (await conn.execute(ordered)).scalars().first() == "ceo"
        locked = select(staff.c.id).where(staff.c.id == 1).with_for_update()
        assert (await conn.execute(locked)).scalar() == 1
        if backend == "postgresql":
            median = select(func.percentile_cont(0.5).within_group(staff.c.salary))
            assert (await conn.execute(median)).scalar() == 200

    meta = MetaData()
    notes = Table(
        "q_notes",
        meta,
        Column("id", Integer, primary_key=True),
        Column("body", Text, server_default=text("'empty'")),
    )
    async with company.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        result = await conn.execute(insert(notes))
        (new_id,) = result.inserted_primary_key
        body = select(notes.c.body).where(notes.c.id == new_id)
        assert (await conn.execute(body)).scalar() == "empty"
        with_nul = "a\x00b"
        if backend in ("sqlite", "mysql"):
            await conn.execute(insert(notes).values(id=9, body=with_nul))
            stored = select(notes.c.body).where(notes.c.id == 9)
            assert (await conn.execute(stored)).scalar() == with_nul
        else:
            with pytest.raises(exc.StatementError):
                async with conn.begin_nested():
                    await conn.execute(insert(notes).values(id=9, body=with_nul))
        await conn.run_sync(meta.drop_all)

"""Rows and results, buffered and streamed, on every backend."""

from __future__ import annotations

import pickle
import tracemalloc
from typing import Any

import pytest

from ferryman import Row, exc, text
from ferryman.engine import ResultKeys, RowMapping

ROWS = [(1, "ann", 10), (2, "bob", 20), (3, "cy", 20), (4, "dee", 30), (5, "eve", 30)]
SELECT_ALL = text("SELECT id, name, score FROM result_people ORDER BY id")


async def _people(conn: Any) -> None:
    """A fresh ``result_people`` table with ROWS in it."""
    await conn.execute(text("DROP TABLE IF EXISTS result_people"))
    await conn.execute(
        text(
            "CREATE TABLE result_people (id INTEGER PRIMARY KEY, name VARCHAR(20), score INTEGER)"
        )
    )
    await conn.execute(
        text("INSERT INTO result_people (id, name, score) VALUES (:id, :name, :score)"),
        [{"id": i, "name": n, "score": s} for i, n, s in ROWS],
    )


async def _drop(conn: Any) -> None:
    await conn.execute(text("DROP TABLE IF EXISTS result_people"))
    await conn.commit()


# -- Row -------------------------------------------------------------------------------


async def test_row_access(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        row = (await conn.execute(SELECT_ALL)).first()
        assert isinstance(row, Row)
        assert row.id == 1
        assert row.name == "ann"
        assert row[0] == 1
        assert row[-1] == 10
        assert row[0:2] == (1, "ann")
        assert len(row) == 3
        assert row._fields == ("id", "name", "score")
        assert row._asdict() == {"id": 1, "name": "ann", "score": 10}
        assert row._t == (1, "ann", 10)
        assert row._tuple() == (1, "ann", 10)
        identifier, name, score = row
        assert (identifier, name, score) == (1, "ann", 10)
        await _drop(conn)


async def test_row_mapping(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        row = (await conn.execute(SELECT_ALL)).first()
        mapping = row._mapping
        assert isinstance(mapping, RowMapping)
        assert mapping["name"] == "ann"
        assert mapping["id"] == 1
        assert dict(mapping) == {"id": 1, "name": "ann", "score": 10}
        assert list(mapping) == ["id", "name", "score"]
        assert len(mapping) == 3
        assert "name" in mapping
        assert "nope" not in mapping
        assert mapping.get("nope", "default") == "default"
        assert list(mapping.keys()) == ["id", "name", "score"]
        assert list(mapping.values()) == [1, "ann", 10]
        with pytest.raises(KeyError, match=r"'nope'.*columns are \['id', 'name', 'score'\]"):
            mapping["nope"]
        await _drop(conn)


async def test_row_equality_hash_repr(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        rows = (await conn.execute(SELECT_ALL)).all()
        assert rows == ROWS
        assert rows[0] == (1, "ann", 10)
        assert rows[0] != (1, "ann", 11)
        assert (1, "ann", 10) == rows[0]  # noqa: SIM300 - the tuple side
        assert "ann" in rows[0] and 10 in rows[0] and "name" not in rows[0]
        assert hash(rows[0]) == hash((1, "ann", 10))
        assert rows[0] in {(1, "ann", 10)}
        assert len(set(rows) | set(ROWS)) == len(ROWS)
        assert {rows[1]: "x"}[(2, "bob", 20)] == "x"
        assert repr(rows[0]) == "(1, 'ann', 10)"
        again = (await conn.execute(SELECT_ALL)).all()
        assert again == rows
        assert hash(again[2]) == hash(rows[2])
        assert rows[0] < rows[1]
        await _drop(conn)


async def test_row_pickles(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        row = (await conn.execute(SELECT_ALL)).first()
        copy = pickle.loads(pickle.dumps(row))
        assert copy == row
        assert isinstance(copy, Row)
        assert copy._fields == ("id", "name", "score")
        assert copy.name == "ann"
        assert copy._mapping["score"] == 10
        rows = pickle.loads(pickle.dumps((await conn.execute(SELECT_ALL)).all()))
        assert [r.name for r in rows] == ["ann", "bob", "cy", "dee", "eve"]
        await _drop(conn)


async def test_row_unknown_attribute(engine: Any) -> None:
    async with engine.connect() as conn:
        row = (await conn.execute(text("SELECT 1 AS alpha, 2 AS beta"))).one()
        with pytest.raises(AttributeError, match="gamma") as info:
            row.gamma  # noqa: B018
        assert "['alpha', 'beta']" in str(info.value)
        assert not hasattr(row, "gamma")
        assert getattr(row, "gamma", None) is None


async def test_row_names_that_are_not_identifiers(engine: Any) -> None:
    async with engine.connect() as conn:
        row = (
            await conn.execute(text('SELECT 1 AS "my col", 2 AS "_private", 3 AS "class"'))
        ).one()
        assert row._fields == ("my col", "_private", "class")
        assert row._mapping["my col"] == 1
        assert row._mapping["_private"] == 2
        assert row._mapping["class"] == 3
        assert row._asdict() == {"my col": 1, "_private": 2, "class": 3}


async def test_ambiguous_column_names(engine: Any) -> None:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT 1 AS x, 2 AS x, 3 AS y"))
        assert result.keys() == ["x", "x", "y"]
        row = result.one()
        assert row == (1, 2, 3)
        assert row[1] == 2
        assert row.y == 3
        with pytest.raises(exc.InvalidRequestError, match="Ambiguous column name 'x'"):
            row.x  # noqa: B018
        with pytest.raises(exc.InvalidRequestError, match="Ambiguous column name 'x'"):
            row._mapping["x"]
        assert row._mapping["y"] == 3
        dupes = await conn.execute(text("SELECT 1 AS x, 2 AS x"))
        with pytest.raises(exc.InvalidRequestError, match="Ambiguous column name 'x'"):
            dupes.scalars("x")
        assert dupes.scalars(1).all() == [2]


# -- Result: one row, one value --------------------------------------------------------


async def test_scalar_methods(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        assert (await conn.execute(SELECT_ALL)).scalar() == 1
        assert (
            await conn.execute(text("SELECT id FROM result_people WHERE id > 100"))
        ).scalar() is None
        one = text("SELECT name FROM result_people WHERE id = :id")
        assert (await conn.execute(one, {"id": 2})).scalar_one() == "bob"
        assert (await conn.execute(one, {"id": 2})).scalar_one_or_none() == "bob"
        assert (await conn.execute(one, {"id": 99})).scalar_one_or_none() is None
        with pytest.raises(exc.NoResultFound, match="scalar_one"):
            (await conn.execute(one, {"id": 99})).scalar_one()
        with pytest.raises(exc.MultipleResultsFound):
            (await conn.execute(SELECT_ALL)).scalar_one()
        with pytest.raises(exc.MultipleResultsFound):
            (await conn.execute(SELECT_ALL)).scalar_one_or_none()
        assert await conn.scalar(one, {"id": 3}) == "cy"
        assert (await conn.scalars(SELECT_ALL)).all() == [1, 2, 3, 4, 5]
        await _drop(conn)


async def test_scalars(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        assert (await conn.execute(SELECT_ALL)).scalars().all() == [1, 2, 3, 4, 5]
        assert (await conn.execute(SELECT_ALL)).scalars(1).all() == [n for _, n, _ in ROWS]
        assert (await conn.execute(SELECT_ALL)).scalars("score").all() == [10, 20, 20, 30, 30]
        assert (await conn.execute(SELECT_ALL)).scalars(-1).first() == 10
        assert (await conn.execute(SELECT_ALL)).scalars("score").unique().all() == [10, 20, 30]
        scalars = (await conn.execute(SELECT_ALL)).scalars("name")
        assert scalars.fetchone() == "ann"
        assert scalars.fetchmany(2) == ["bob", "cy"]
        assert list(scalars) == ["dee", "eve"]
        with pytest.raises(exc.MultipleResultsFound):
            (await conn.execute(SELECT_ALL)).scalars().one()
        with pytest.raises(exc.ArgumentError, match=r"No column 'nope'.*'id', 'name', 'score'"):
            (await conn.execute(SELECT_ALL)).scalars("nope")
        with pytest.raises(exc.ArgumentError, match="out of range"):
            (await conn.execute(SELECT_ALL)).scalars(3)
        await _drop(conn)


async def test_all_first_one(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        assert (await conn.execute(SELECT_ALL)).all() == ROWS
        assert (await conn.execute(SELECT_ALL)).first() == ROWS[0]
        empty = text("SELECT id, name FROM result_people WHERE id < 0")
        assert (await conn.execute(empty)).first() is None
        assert (await conn.execute(empty)).all() == []
        one = text("SELECT id, name FROM result_people WHERE id = :id")
        row = (await conn.execute(one, {"id": 4})).one()
        assert (row.id, row.name) == (4, "dee")
        assert (await conn.execute(one, {"id": 4})).one_or_none() == (4, "dee")
        assert (await conn.execute(empty)).one_or_none() is None
        with pytest.raises(exc.NoResultFound, match="No row was found"):
            (await conn.execute(empty)).one()
        with pytest.raises(exc.MultipleResultsFound, match=r"one\(\)"):
            (await conn.execute(SELECT_ALL)).one()
        with pytest.raises(exc.MultipleResultsFound, match=r"one_or_none\(\)"):
            (await conn.execute(SELECT_ALL)).one_or_none()
        assert issubclass(exc.NoResultFound, exc.InvalidRequestError)
        await _drop(conn)


# -- Result: many rows -----------------------------------------------------------------


async def test_mappings(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        maps = (await conn.execute(SELECT_ALL)).mappings().all()
        assert [dict(m) for m in maps] == [{"id": i, "name": n, "score": s} for i, n, s in ROWS]
        assert maps[1]["name"] == "bob"
        first = (await conn.execute(SELECT_ALL)).mappings().first()
        assert dict(first) == {"id": 1, "name": "ann", "score": 10}
        one = text("SELECT id, name FROM result_people WHERE id = 5")
        assert dict((await conn.execute(one)).mappings().one()) == {"id": 5, "name": "eve"}
        scores = text("SELECT score FROM result_people ORDER BY id")
        unique = (await conn.execute(scores)).mappings().unique().all()
        assert [m["score"] for m in unique] == [10, 20, 30]
        mapping_result = (await conn.execute(SELECT_ALL)).mappings()
        assert mapping_result.keys() == ["id", "name", "score"]
        assert mapping_result.fetchone()["id"] == 1
        assert [m["id"] for m in mapping_result.fetchmany(2)] == [2, 3]
        assert [m["id"] for m in mapping_result] == [4, 5]
        with pytest.raises(exc.MultipleResultsFound):
            (await conn.execute(SELECT_ALL)).mappings().one()
        await _drop(conn)


async def test_fetch_methods(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.execute(SELECT_ALL)
        assert result.fetchone() == ROWS[0]
        assert result.fetchmany(2) == ROWS[1:3]
        assert result.fetchmany() == [ROWS[3]]  # one row by default
        assert result.fetchall() == [ROWS[4]]
        assert result.fetchone() is None
        assert result.fetchmany(10) == []
        assert result.fetchall() == []
        assert result.all() == []
        await _drop(conn)


async def test_partitions(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        parts = list((await conn.execute(SELECT_ALL)).partitions(2))
        assert parts == [ROWS[0:2], ROWS[2:4], ROWS[4:5]]
        assert list((await conn.execute(SELECT_ALL)).partitions()) == [ROWS]
        scalar_parts = list((await conn.execute(SELECT_ALL)).scalars().partitions(3))
        assert scalar_parts == [[1, 2, 3], [4, 5]]
        empty = text("SELECT id FROM result_people WHERE id < 0")
        assert list((await conn.execute(empty)).partitions(2)) == []
        await _drop(conn)


async def test_unique(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        scores = text("SELECT score, score * 2 AS twice FROM result_people ORDER BY id")
        assert (await conn.execute(scores)).unique().all() == [(10, 20), (20, 40), (30, 60)]
        by_parity = (await conn.execute(SELECT_ALL)).unique(lambda row: row.score % 20)
        assert by_parity.all() == [ROWS[0], ROWS[1]]
        lowered = (await conn.execute(SELECT_ALL)).scalars("name").unique(lambda n: len(n))
        assert lowered.all() == ["ann", "cy"]
        # unique() applies across fetchmany() calls too.
        result = (await conn.execute(scores)).unique()
        assert result.fetchmany(2) == [(10, 20), (20, 40)]
        assert result.fetchmany(2) == [(30, 60)]
        assert result.fetchmany(2) == []
        await _drop(conn)


async def test_columns(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        rows = (await conn.execute(SELECT_ALL)).columns("name", "id").all()
        assert rows == [(n, i) for i, n, _ in ROWS]
        assert rows[0]._fields == ("name", "id")
        assert rows[0].name == "ann"
        by_index = (await conn.execute(SELECT_ALL)).columns(2).first()
        assert by_index == (10,)
        assert by_index.score == 10
        mixed = (await conn.execute(SELECT_ALL)).columns(0, "score").mappings().first()
        assert dict(mixed) == {"id": 1, "score": 10}
        with pytest.raises(exc.ArgumentError, match="nope"):
            (await conn.execute(SELECT_ALL)).columns("nope")
        await _drop(conn)


async def test_keys(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.execute(SELECT_ALL)
        keys = result.keys()
        assert isinstance(keys, ResultKeys)
        assert keys == ["id", "name", "score"]
        assert keys == ("id", "name", "score")
        assert keys != ["id", "name"]
        assert list(keys) == ["id", "name", "score"]
        assert "name" in keys
        assert keys[1] == "name"
        assert len(keys) == 3
        result.all()
        assert result.keys() == ["id", "name", "score"]  # still known after reading
        assert result.returns_rows
        await _drop(conn)


async def test_iteration(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.execute(SELECT_ALL)
        assert [row.name for row in result] == ["ann", "bob", "cy", "dee", "eve"]
        assert list(result) == []
        result = await conn.execute(SELECT_ALL)
        assert next(iter(result)) == ROWS[0]
        assert result.fetchall() == ROWS[1:]
        assert list(await conn.execute(text("SELECT 1 AS x WHERE 1 = 0"))) == []
        await _drop(conn)


async def test_closed_after_first(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.execute(SELECT_ALL)
        assert not result.closed
        assert result.first() == ROWS[0]
        assert result.closed
        with pytest.raises(exc.ResourceClosedError):
            result.all()
        with pytest.raises(exc.ResourceClosedError):
            result.fetchone()
        with pytest.raises(exc.ResourceClosedError):
            result.scalars()
        for method in ("one", "scalar", "scalar_one"):
            result = await conn.execute(text("SELECT 1 AS a"))
            getattr(result, method)()
            with pytest.raises(exc.ResourceClosedError):
                result.all()
        result = await conn.execute(SELECT_ALL)
        result.close()
        with pytest.raises(exc.ResourceClosedError, match="closed"):
            result.fetchmany(2)
        await _drop(conn)


async def test_statement_without_rows(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.execute(
            text("UPDATE result_people SET score = score + 1 WHERE score = 20")
        )
        assert result.rowcount == 2
        assert not result.returns_rows
        assert result.keys() == []
        for method in ("all", "first", "one", "fetchone", "fetchall", "scalar", "scalars"):
            with pytest.raises(exc.ResourceClosedError, match="does not return rows"):
                getattr(result, method)()
        with pytest.raises(exc.ResourceClosedError):
            list(result)
        assert result.rowcount == 2
        await _drop(conn)


async def test_rowcount(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        update = text("UPDATE result_people SET name = :name WHERE score >= :score")
        assert (await conn.execute(update, {"name": "x", "score": 20})).rowcount == 4
        assert (await conn.execute(update, {"name": "x", "score": 99})).rowcount == 0
        delete = text("DELETE FROM result_people WHERE id IN (1, 2)")
        assert (await conn.execute(delete)).rowcount == 2
        assert (await conn.execute(text("DELETE FROM result_people"))).rowcount == 3
        insert = text("INSERT INTO result_people (id, name, score) VALUES (10, 'a', 1)")
        assert (await conn.execute(insert)).rowcount == 1
        await _drop(conn)


@pytest.mark.backends("sqlite")
async def test_lastrowid_on_sqlite(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        insert = text("INSERT INTO result_people (name, score) VALUES (:name, 1)")
        result = await conn.execute(insert, {"name": "new"})
        assert result.lastrowid == 6
        assert (await conn.execute(insert, {"name": "newer"})).lastrowid == 7
        got = text("SELECT name FROM result_people WHERE id = :id")
        assert (await conn.execute(got, {"id": result.lastrowid})).scalar_one() == "new"
        await _drop(conn)


async def test_inserted_primary_key_for_text(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        insert = text("INSERT INTO result_people (id, name, score) VALUES (9, 'z', 1)")
        result = await conn.execute(insert)
        with pytest.raises(exc.InvalidRequestError, match="RETURNING"):
            result.inserted_primary_key  # noqa: B018
        returning = text(
            "INSERT INTO result_people (id, name, score) VALUES (10, 'zz', 1) RETURNING id"
        )
        assert (await conn.execute(returning)).scalar_one() == 10
        await _drop(conn)


async def test_result_repr(engine: Any) -> None:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT 1 AS a, 2 AS b"))
        assert "['a', 'b']" in repr(result)


# -- streaming -------------------------------------------------------------------------


async def test_stream_async_for(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.stream(SELECT_ALL)
        assert result.keys() == ["id", "name", "score"]
        seen = [row async for row in result]
        assert seen == ROWS
        assert seen[0].name == "ann"
        assert isinstance(seen[0], Row)
        # Everything read: the result reads as empty, and the connection is free.
        assert await result.fetchall() == []
        assert (await conn.execute(text("SELECT COUNT(*) FROM result_people"))).scalar() == 5
        await _drop(conn)


async def test_stream_fetch_methods(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.stream(SELECT_ALL)
        assert await result.fetchone() == ROWS[0]
        assert await result.fetchmany(2) == ROWS[1:3]
        assert await result.fetchall() == ROWS[3:]
        assert await result.fetchone() is None
        assert await result.fetchmany(3) == []
        result = await conn.stream(SELECT_ALL)
        assert await result.all() == ROWS
        result = await conn.stream(SELECT_ALL)
        assert await result.first() == ROWS[0]
        with pytest.raises(exc.ResourceClosedError):
            await result.fetchone()
        result = await conn.stream(text("SELECT id FROM result_people WHERE id = 3"))
        assert await result.one() == (3,)
        result = await conn.stream(SELECT_ALL)
        with pytest.raises(exc.MultipleResultsFound):
            await result.one_or_none()
        result = await conn.stream(SELECT_ALL)
        assert await result.scalar() == 1
        await _drop(conn)


async def test_stream_partitions(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.stream(SELECT_ALL)
        parts = [part async for part in result.partitions(2)]
        assert parts == [ROWS[0:2], ROWS[2:4], ROWS[4:5]]
        result = await conn.stream(SELECT_ALL, execution_options={"yield_per": 3})
        parts = [part async for part in result.partitions()]
        assert parts == [ROWS[0:3], ROWS[3:5]]
        await _drop(conn)


async def test_stream_scalars_and_mappings(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        scalars = (await conn.stream(SELECT_ALL)).scalars("name")
        assert [name async for name in scalars] == ["ann", "bob", "cy", "dee", "eve"]
        scalars = (await conn.stream(SELECT_ALL)).scalars()
        assert await scalars.fetchmany(2) == [1, 2]
        assert await scalars.all() == [3, 4, 5]
        mappings = (await conn.stream(SELECT_ALL)).mappings()
        first = await mappings.fetchone()
        assert dict(first) == {"id": 1, "name": "ann", "score": 10}
        assert [m["name"] async for m in mappings] == ["bob", "cy", "dee", "eve"]
        unique = (await conn.stream(SELECT_ALL)).scalars("score").unique()
        assert await unique.all() == [10, 20, 30]
        streamed = await conn.stream_scalars(SELECT_ALL)
        assert [value async for value in streamed] == [1, 2, 3, 4, 5]
        one = await conn.stream_scalars(text("SELECT name FROM result_people WHERE id = 2"))
        assert await one.one() == "bob"
        await _drop(conn)


async def test_stream_yield_per(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.stream(SELECT_ALL, execution_options={"yield_per": 2})
        assert await result.fetchmany() == ROWS[0:2]  # yield_per sets the default batch
        assert [row async for row in result] == ROWS[2:]
        result = await conn.stream(SELECT_ALL)
        result.yield_per(4)
        assert [part async for part in result.partitions()] == [ROWS[0:4], ROWS[4:]]
        with pytest.raises(exc.ArgumentError, match="positive"):
            result.yield_per(0)
        await _drop(conn)


async def test_stream_closed_early(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        big = text(
            "SELECT a.id AS a, b.id AS b FROM result_people a, result_people b ORDER BY a.id, b.id"
        )
        result = await conn.stream(big)
        assert await result.fetchmany(3) == [(1, 1), (1, 2), (1, 3)]
        await result.close()
        assert result.closed
        with pytest.raises(exc.ResourceClosedError):
            await result.fetchone()
        # The same connection runs the next statement, and the transaction goes on.
        await conn.execute(text("UPDATE result_people SET score = 0 WHERE id = 1"))
        assert (
            await conn.execute(text("SELECT score FROM result_people WHERE id = 1"))
        ).scalar() == 0
        again = await conn.stream(SELECT_ALL)
        assert (await again.fetchone()).id == 1
        await again.close()
        await conn.rollback()
        await _drop(conn)


async def test_stream_loop_broken_early_keeps_the_rest(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.stream(SELECT_ALL, execution_options={"yield_per": 2})
        async for row in result:
            if row.id == 3:
                break
        assert await result.fetchall() == ROWS[3:]
        await _drop(conn)


async def test_stream_interleaved_with_execute(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        result = await conn.stream(SELECT_ALL)
        names = []
        async for row in result:
            other = text("SELECT name FROM result_people WHERE id = :id")
            names.append((await conn.execute(other, {"id": row.id})).scalar_one())
        assert names == ["ann", "bob", "cy", "dee", "eve"]
        await _drop(conn)


async def test_stream_result_after_commit_in_block(engine: Any) -> None:
    async with engine.connect() as conn:
        await _people(conn)
        await conn.commit()
        result = await conn.stream(SELECT_ALL)
        assert await result.fetchmany(2) == ROWS[:2]
        await result.close()
        await conn.commit()
    async with engine.connect() as conn:
        assert (await conn.execute(text("SELECT COUNT(*) FROM result_people"))).scalar() == 5
        await _drop(conn)


@pytest.mark.backends("postgresql")
async def test_stream_memory_stays_flat(engine: Any) -> None:
    async with engine.connect() as conn:
        await conn.execute(text("SELECT 1"))  # connect before measuring
        tracemalloc.start()
        try:
            result = await conn.stream(
                text("SELECT generate_series(1, 1000000) AS n"),
                execution_options={"yield_per": 5000},
            )
            total = 0
            count = 0
            async for part in result.partitions():
                count += len(part)
                total += sum(row[0] for row in part)
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert count == 1_000_000
        assert total == 1_000_000 * 1_000_001 // 2
        assert peak < 20 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB while streaming"


async def test_column_names_follow_schema_changes(engine: Any) -> None:
    """Column names may be cached per statement, but never across a schema change
    that renames what a ``*`` stands for."""
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS result_shape"))
        await conn.execute(text("CREATE TABLE result_shape (id INTEGER PRIMARY KEY, a INTEGER)"))
        await conn.execute(text("INSERT INTO result_shape (id, a) VALUES (1, 2)"))
    star = text("SELECT * FROM result_shape")
    async with engine.begin() as conn:
        assert (await conn.execute(star)).keys() == ["id", "a"]
        await conn.execute(text("ALTER TABLE result_shape RENAME COLUMN a TO b"))
        await conn.execute(text("ALTER TABLE result_shape ADD COLUMN c INTEGER"))
    async with engine.connect() as conn:
        row = (await conn.execute(star)).one()
        assert row._fields == ("id", "b", "c")
        assert (row.b, row.c) == (2, None)
        await conn.execute(text("DROP TABLE result_shape"))
        await conn.commit()


@pytest.mark.backends("postgresql")
async def test_statement_prepared_before_another_connection_alters_the_table(
    make_engine: Any,
) -> None:
    engine = make_engine(pool_size=2)
    star = text("SELECT * FROM result_shape2")
    async with engine.begin() as conn:
        await conn.execute(text("DROP TABLE IF EXISTS result_shape2"))
        await conn.execute(text("CREATE TABLE result_shape2 (id INTEGER PRIMARY KEY)"))
        await conn.execute(text("INSERT INTO result_shape2 (id) VALUES (1)"))
    async with engine.connect() as reader, engine.connect() as writer:
        for _ in range(6):  # psycopg prepares a statement on its fifth run
            assert (await reader.execute(star)).all() == [(1,)]
        await reader.commit()
        await writer.execute(text("ALTER TABLE result_shape2 ADD COLUMN extra INTEGER"))
        await writer.commit()
        try:
            row = (await reader.execute(star)).one()
        except exc.NotSupportedError as err:
            assert "run the transaction again" in str(err)
            await reader.rollback()
            row = (await reader.execute(star)).one()
        assert row._fields == ("id", "extra")
        await reader.rollback()
        await writer.execute(text("DROP TABLE result_shape2"))
        await writer.commit()

"""text(): compiling per paramstyle (pure), then running on every backend."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import TextClause, bindparam, exc, text

PARAMSTYLES = ("qmark", "numeric_dollar", "format")


async def _fresh_table(conn: Any, name: str = "text_items") -> None:
    await conn.execute(text(f"DROP TABLE IF EXISTS {name}"))
    await conn.execute(
        text(f"CREATE TABLE {name} (id INTEGER PRIMARY KEY, name VARCHAR(40), qty INTEGER)")
    )


# -- compiling (no database) -----------------------------------------------------------


@pytest.mark.parametrize(
    ("paramstyle", "sql"),
    [
        ("qmark", "SELECT * FROM t WHERE a = ? AND b > ?"),
        ("numeric_dollar", "SELECT * FROM t WHERE a = $1 AND b > $2"),
        ("format", "SELECT * FROM t WHERE a = %s AND b > %s"),
    ],
)
def test_compile_per_paramstyle(paramstyle: str, sql: str) -> None:
    compiled = text("SELECT * FROM t WHERE a = :a AND b > :b_2")._compile(paramstyle)
    assert compiled.sql == sql
    assert compiled.positional({"a": 1, "b_2": 2, "unused": 3}) == (1, 2)
    assert compiled.paramstyle == paramstyle


@pytest.mark.parametrize(
    ("paramstyle", "sql", "names", "values"),
    [
        ("qmark", "SELECT ?, ?, ?, ?", ("x", "y", "x", "x"), (1, 2, 1, 1)),
        ("numeric_dollar", "SELECT $1, $2, $1, $1", ("x", "y"), (1, 2)),
        ("format", "SELECT %s, %s, %s, %s", ("x", "y", "x", "x"), (1, 2, 1, 1)),
    ],
)
def test_repeated_names(
    paramstyle: str, sql: str, names: tuple[str, ...], values: tuple[int, ...]
) -> None:
    compiled = text("SELECT :x, :y, :x, :x")._compile(paramstyle)
    assert compiled.sql == sql
    assert compiled.names == names
    assert tuple(compiled.positional({"x": 1, "y": 2})) == values


def test_single_and_no_parameters() -> None:
    one = text("SELECT :only")._compile("qmark")
    assert one.sql == "SELECT ?"
    assert tuple(one.positional({"only": 7})) == (7,)
    none = text("SELECT 1")._compile("numeric_dollar")
    assert none.sql == "SELECT 1"
    assert tuple(none.positional({})) == ()


@pytest.mark.parametrize("paramstyle", PARAMSTYLES)
def test_escaped_colon(paramstyle: str) -> None:
    clause = text(r"SELECT '12\:30' AS t, :x AS x, 'a\:b\:c'")
    compiled = clause._compile(paramstyle)
    mark = {"qmark": "?", "numeric_dollar": "$1", "format": "%s"}[paramstyle]
    assert compiled.sql == f"SELECT '12:30' AS t, {mark} AS x, 'a:b:c'"
    assert clause.bind_names == ("x",)


@pytest.mark.parametrize("paramstyle", PARAMSTYLES)
def test_cast_is_untouched(paramstyle: str) -> None:
    compiled = text("SELECT x::text, '1'::integer FROM t WHERE y = :y")._compile(paramstyle)
    mark = {"qmark": "?", "numeric_dollar": "$1", "format": "%s"}[paramstyle]
    assert compiled.sql == f"SELECT x::text, '1'::integer FROM t WHERE y = {mark}"
    assert compiled.names == ("y",)


def test_bind_followed_by_cast() -> None:
    clause = text("SELECT :value::integer, :ids::int[]")
    assert clause.bind_names == ("value", "ids")
    assert clause._compile("numeric_dollar").sql == "SELECT $1::integer, $2::int[]"
    assert clause._compile("format").sql == "SELECT %s::integer, %s::int[]"


def test_colons_that_are_not_binds() -> None:
    clause = text("SELECT '10:15:00', a:b, x::y FROM t")
    assert clause.bind_names == ()
    assert clause._compile("qmark").sql == "SELECT '10:15:00', a:b, x::y FROM t"


@pytest.mark.parametrize(
    ("paramstyle", "sql"),
    [
        ("qmark", "SELECT '100%' WHERE n LIKE 'a%' AND m = ?"),
        ("numeric_dollar", "SELECT '100%' WHERE n LIKE 'a%' AND m = $1"),
        ("format", "SELECT '100%%' WHERE n LIKE 'a%%' AND m = %s"),
    ],
)
def test_percent_doubled_only_for_format(paramstyle: str, sql: str) -> None:
    assert text("SELECT '100%' WHERE n LIKE 'a%' AND m = :m")._compile(paramstyle).sql == sql


def test_bind_names_in_order_of_first_appearance() -> None:
    clause = text("SELECT :b, :a, :b, :c_1")
    assert clause.bind_names == ("b", "a", "c_1")
    assert str(clause) == "SELECT :b, :a, :b, :c_1"
    assert "SELECT :b" in repr(clause)


def test_bindparams_and_columns_return_copies() -> None:
    clause = text("SELECT :x AS a")
    bound = clause.bindparams(x=1)
    assert bound is not clause
    assert bound._bind_defaults == {"x": 1}
    assert clause._bind_defaults == {}
    named = clause.columns("renamed")
    assert named is not clause
    assert named._column_names == ("renamed",)
    assert clause._column_names is None
    assert isinstance(named, TextClause)


def test_expanding_render() -> None:
    clause = text("SELECT 1 WHERE a = :a AND b IN :ids AND c = :c").bindparams(
        bindparam("ids", expanding=True)
    )
    for paramstyle, sql in [
        ("qmark", "SELECT 1 WHERE a = ? AND b IN (?, ?, ?) AND c = ?"),
        ("numeric_dollar", "SELECT 1 WHERE a = $1 AND b IN ($2, $3, $4) AND c = $5"),
        ("format", "SELECT 1 WHERE a = %s AND b IN (%s, %s, %s) AND c = %s"),
    ]:
        compiled = clause._compile(paramstyle)
        rendered, values = compiled.render_expanding({"a": 0, "ids": [1, 2, 3], "c": 4})
        assert rendered == sql
        assert values == [0, 1, 2, 3, 4]


def test_expanding_needs_a_sequence() -> None:
    clause = text("SELECT 1 WHERE b IN :ids").bindparams(bindparam("ids", expanding=True))
    compiled = clause._compile("qmark")
    for bad in ("abc", 5, b"xy"):
        with pytest.raises(exc.ArgumentError, match="'ids' needs a list or tuple"):
            compiled.render_expanding({"ids": bad})
    assert compiled.render_expanding({"ids": (1, 2)}) == ("SELECT 1 WHERE b IN (?, ?)", [1, 2])


def test_missing_parameter_at_compile_level() -> None:
    compiled = text("SELECT :a, :missing_one")._compile("qmark")
    with pytest.raises(exc.StatementError, match="'missing_one'") as info:
        compiled.positional({"a": 1})
    assert info.value.statement == "SELECT ?, ?"


def test_wrong_bindparams_key() -> None:
    clause = text("SELECT :a, :b")
    with pytest.raises(exc.ArgumentError, match="no bind parameter 'c'") as info:
        clause.bindparams(c=1)
    assert "['a', 'b']" in str(info.value)
    with pytest.raises(exc.ArgumentError, match="no bind parameter 'zz'"):
        clause.bindparams(bindparam("zz", expanding=True))
    with pytest.raises(exc.ArgumentError, match="bindparam"):
        clause.bindparams("a")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", [None, 1, b"SELECT 1", ["SELECT 1"]])
def test_text_needs_a_string(value: Any) -> None:
    with pytest.raises(exc.ArgumentError, match="text\\(\\) needs a SQL string"):
        text(value)


def test_bindparam_needs_a_key() -> None:
    with pytest.raises(exc.ArgumentError):
        bindparam("")
    with pytest.raises(exc.ArgumentError):
        bindparam(None)  # type: ignore[arg-type]


def test_columns_needs_names() -> None:
    with pytest.raises(exc.ArgumentError, match="columns"):
        text("SELECT 1").columns(3)


# -- running text() on every backend ---------------------------------------------------


async def test_parameters_on_every_backend(engine: Any) -> None:
    async with engine.connect() as conn:
        stmt = text("SELECT CAST(:x AS INTEGER) AS a, CAST(:y AS VARCHAR(10)) AS b, :x + 1 AS c")
        result = await conn.execute(stmt, {"x": 41, "y": "hi"})
        assert result.all() == [(41, "hi", 42)]


async def test_repeated_parameter_runs(engine: Any) -> None:
    async with engine.connect() as conn:
        await _fresh_table(conn)
        await conn.execute(
            text("INSERT INTO text_items (id, name, qty) VALUES (:n, :s, :n + 1)"),
            {"n": 7, "s": "seven"},
        )
        stmt = text("SELECT id, name, qty FROM text_items WHERE id = :n AND qty = :n + 1")
        assert tuple((await conn.execute(stmt, {"n": 7})).one()) == (7, "seven", 8)
        assert (await conn.execute(stmt, {"n": 8})).all() == []
        await conn.execute(text("DROP TABLE text_items"))


async def test_escaped_colon_and_percent_on_every_backend(engine: Any) -> None:
    async with engine.connect() as conn:
        stmt = text(r"SELECT '12\:30' AS t, '100%' AS p, CAST(:x AS INTEGER) AS x")
        assert (await conn.execute(stmt, {"x": 3})).one() == ("12:30", "100%", 3)
        await _fresh_table(conn)
        await conn.execute(
            text("INSERT INTO text_items (id, name) VALUES (1, 'a%b'), (2, 'ab'), (3, 'c')")
        )
        like = text("SELECT id FROM text_items WHERE name LIKE 'a%' AND id > :lo ORDER BY id")
        assert (await conn.execute(like, {"lo": 0})).scalars().all() == [1, 2]
        await conn.execute(text("DROP TABLE text_items"))


@pytest.mark.backends("postgresql")
async def test_bind_with_cast_on_postgresql(engine: Any) -> None:
    async with engine.connect() as conn:
        stmt = text("SELECT :n::integer + 1 AS n, :s::text AS s, '5'::integer AS five")
        assert (await conn.execute(stmt, {"n": 1, "s": "x"})).one() == (2, "x", 5)


async def test_bindparams_defaults(engine: Any) -> None:
    async with engine.connect() as conn:
        stmt = text("SELECT CAST(:a AS INTEGER) AS a, CAST(:b AS INTEGER) AS b").bindparams(
            a=1, b=2
        )
        assert (await conn.execute(stmt)).one() == (1, 2)
        # Given parameters win over the defaults; the others still apply.
        assert (await conn.execute(stmt, {"b": 20})).one() == (1, 20)
        with_obj = text("SELECT CAST(:a AS INTEGER) AS a").bindparams(bindparam("a", 9))
        assert (await conn.execute(with_obj)).scalar() == 9


async def test_expanding_in_list(engine: Any) -> None:
    async with engine.connect() as conn:
        await _fresh_table(conn)
        await conn.execute(
            text("INSERT INTO text_items (id, name, qty) VALUES (:id, :name, :qty)"),
            [{"id": i, "name": f"item{i}", "qty": i * 10} for i in range(1, 6)],
        )
        stmt = text(
            "SELECT id FROM text_items WHERE id IN :ids AND qty >= :min ORDER BY id"
        ).bindparams(bindparam("ids", expanding=True))
        assert (await conn.execute(stmt, {"ids": [1, 3, 5], "min": 0})).scalars().all() == [
            1,
            3,
            5,
        ]
        assert (await conn.execute(stmt, {"ids": (2,), "min": 0})).scalars().all() == [2]
        assert (await conn.execute(stmt, {"ids": [1, 3, 5], "min": 30})).scalars().all() == [
            3,
            5,
        ]
        # Different list lengths reuse the compiled statement and still work.
        assert (await conn.execute(stmt, {"ids": list(range(100)), "min": 0})).scalars().all() == [
            1,
            2,
            3,
            4,
            5,
        ]
        names = text("SELECT id FROM text_items WHERE name IN :names ORDER BY id").bindparams(
            bindparam("names", expanding=True)
        )
        assert (
            await conn.execute(names, {"names": ["item2", "item4", "zz"]})
        ).scalars().all() == [
            2,
            4,
        ]
        await conn.execute(text("DROP TABLE text_items"))


async def test_expanding_empty_list(engine: Any) -> None:
    async with engine.connect() as conn:
        await _fresh_table(conn)
        await conn.execute(text("INSERT INTO text_items (id, name, qty) VALUES (1, 'a', 1)"))
        stmt = text("SELECT id FROM text_items WHERE id IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        assert (await conn.execute(stmt, {"ids": []})).all() == []
        negated = text("SELECT id FROM text_items WHERE id NOT IN :ids").bindparams(
            bindparam("ids", expanding=True)
        )
        assert (await conn.execute(negated, {"ids": []})).scalars().all() == [1]
        await conn.execute(text("DROP TABLE text_items"))


async def test_expanding_executemany_is_refused(engine: Any) -> None:
    async with engine.connect() as conn:
        stmt = text("SELECT 1 WHERE 1 IN :ids").bindparams(bindparam("ids", expanding=True))
        with pytest.raises(exc.ArgumentError, match="executemany"):
            await conn.execute(stmt, [{"ids": [1]}, {"ids": [2]}])


async def test_columns_renames_result_keys(engine: Any) -> None:
    async with engine.connect() as conn:
        stmt = text("SELECT 1 AS x, 2 AS y").columns("a", "b")
        result = await conn.execute(stmt)
        assert result.keys() == ["a", "b"]
        row = result.one()
        assert (row.a, row.b) == (1, 2)
        assert row._mapping["b"] == 2
        mapped = (await conn.execute(stmt)).mappings().one()
        assert dict(mapped) == {"a": 1, "b": 2}
        # The plain statement keeps the database's names.
        assert (await conn.execute(text("SELECT 1 AS x, 2 AS y"))).keys() == ["x", "y"]


async def test_missing_parameter(engine: Any) -> None:
    async with engine.connect() as conn:
        stmt = text("SELECT CAST(:present AS INTEGER), CAST(:absent_value AS INTEGER)")
        with pytest.raises(exc.StatementError, match="'absent_value'") as info:
            await conn.execute(stmt, {"present": 1})
        assert not isinstance(info.value, exc.DBAPIError)
        with pytest.raises(exc.StatementError, match="'present'"):
            await conn.execute(stmt)
        # The connection is still usable.
        assert (await conn.execute(stmt, {"present": 1, "absent_value": 2})).one() == (1, 2)


async def test_missing_parameter_in_executemany(engine: Any) -> None:
    async with engine.connect() as conn:
        await _fresh_table(conn)
        stmt = text("INSERT INTO text_items (id, name) VALUES (:id, :name)")
        with pytest.raises(exc.StatementError, match="'name'"):
            await conn.execute(stmt, [{"id": 1, "name": "a"}, {"id": 2}])
        with pytest.raises(exc.ArgumentError, match="list of dicts"):
            await conn.execute(stmt, [{"id": 1, "name": "a"}, (2, "b")])
        await conn.execute(text("DROP TABLE text_items"))


async def test_plain_string_is_not_executable(engine: Any) -> None:
    async with engine.connect() as conn:
        with pytest.raises(exc.ObjectNotExecutableError, match=r"text\(") as info:
            await conn.execute("SELECT 1")
        assert "exec_driver_sql" in str(info.value)
        assert info.value.target == "SELECT 1"
        assert isinstance(info.value, exc.ArgumentError)
        with pytest.raises(exc.ObjectNotExecutableError):
            await conn.execute(42)
        with pytest.raises(exc.ObjectNotExecutableError):
            await conn.scalar("SELECT 1")
        assert (await conn.execute(text("SELECT 1"))).scalar() == 1


async def test_bad_parameters_type(engine: Any) -> None:
    async with engine.connect() as conn:
        with pytest.raises(exc.ArgumentError, match="Parameters must be"):
            await conn.execute(text("SELECT CAST(:x AS INTEGER)"), "x")


async def test_executemany_1000_rows(engine: Any, driver: str) -> None:
    async with engine.connect() as conn:
        await _fresh_table(conn)
        rows = [{"id": i, "name": f"name {i}", "qty": i % 7} for i in range(1000)]
        result = await conn.execute(
            text("INSERT INTO text_items (id, name, qty) VALUES (:id, :name, :qty)"), rows
        )
        if driver == "asyncpg":
            assert result.rowcount == -1  # asyncpg's executemany reports no count
        else:
            assert result.rowcount == 1000
        assert (await conn.execute(text("SELECT COUNT(*) FROM text_items"))).scalar() == 1000
        total = (await conn.execute(text("SELECT SUM(qty) FROM text_items"))).scalar()
        assert total == sum(i % 7 for i in range(1000))
        last = (await conn.execute(text("SELECT name FROM text_items WHERE id = 999"))).scalar()
        assert last == "name 999"
        await conn.commit()
    async with engine.connect() as conn:
        # Committed: another connection sees the rows.
        assert (await conn.execute(text("SELECT COUNT(*) FROM text_items"))).scalar() == 1000
        updated = await conn.execute(
            text("UPDATE text_items SET qty = :qty WHERE id = :id"),
            [{"id": 1, "qty": 100}, {"id": 2, "qty": 200}, {"id": 5000, "qty": 1}],
        )
        if driver != "asyncpg":
            assert updated.rowcount == 2
        await conn.execute(text("DROP TABLE text_items"))
        await conn.commit()


async def test_executemany_with_defaults(engine: Any) -> None:
    async with engine.connect() as conn:
        await _fresh_table(conn)
        stmt = text("INSERT INTO text_items (id, name, qty) VALUES (:id, :name, :qty)").bindparams(
            qty=5
        )
        await conn.execute(stmt, [{"id": 1, "name": "a"}, {"id": 2, "name": "b", "qty": 9}])
        got = (await conn.execute(text("SELECT id, qty FROM text_items ORDER BY id"))).all()
        assert got == [(1, 5), (2, 9)]
        await conn.execute(text("DROP TABLE text_items"))

"""The expression language against the real databases, on every driver pairing."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import (
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    exc,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)

metadata = MetaData()
authors = Table(
    "ex_authors",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False, unique=True),
    Column("born", Integer),
    Column("created_at", DateTime, server_default=func.now()),
    Column("note", Text),
)
books = Table(
    "ex_books",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("author_id", ForeignKey("ex_authors.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("pages", Integer, server_default="100"),
    Index("ix_ex_books_title", "title"),
)
AUTHORS = [
    {"name": "Ursula", "born": 1929},
    {"name": "Iain", "born": 1954},
    {"name": "Octavia", "born": 1947},
]


async def _fresh(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        await conn.execute(insert(authors), AUTHORS)
        ids = dict((await conn.execute(select(authors.c.name, authors.c.id))).all())
        await conn.execute(
            insert(books),
            [
                {"author_id": ids["Ursula"], "title": "The Dispossessed"},
                {"author_id": ids["Ursula"], "title": "The Lathe of Heaven"},
                {"author_id": ids["Iain"], "title": "Excession"},
            ],
        )


async def _cleanup(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)


@pytest.fixture
async def library(engine: Any) -> Any:
    await _fresh(engine)
    yield engine
    await _cleanup(engine)


async def test_create_all_is_idempotent_and_drop_all_removes(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.create_all)
        await conn.run_sync(metadata.create_all)  # checkfirst: nothing to do
        assert (await conn.execute(select(func.count()).select_from(books))).scalar() == 0
        await conn.run_sync(metadata.drop_all)
        await conn.run_sync(metadata.drop_all)  # checkfirst: nothing left to drop
        with pytest.raises(exc.ProgrammingError):
            async with conn.begin_nested():
                await conn.execute(select(authors))


async def test_select_where_order(library: Any) -> None:
    async with library.connect() as conn:
        stmt = select(authors.c.name).where(authors.c.born > 1930).order_by(authors.c.born.desc())
        assert (await conn.execute(stmt)).scalars().all() == ["Iain", "Octavia"]
        one = await conn.execute(select(authors).where(authors.c.name == "Ursula"))
        row = one.one()
        assert (row.name, row.born) == ("Ursula", 1929)
        assert row.created_at is not None


async def test_join_group_by_having(library: Any) -> None:
    async with library.connect() as conn:
        stmt = (
            select(authors.c.name, func.count(books.c.id).label("n"))
            .join(books)
            .group_by(authors.c.name)
            .having(func.count(books.c.id) >= 1)
            .order_by(authors.c.name)
        )
        assert (await conn.execute(stmt)).all() == [("Iain", 1), ("Ursula", 2)]
        outer = (
            select(authors.c.name, func.count(books.c.id))
            .outerjoin(books)
            .group_by(authors.c.name)
            .order_by(authors.c.name)
        )
        assert (await conn.execute(outer)).all() == [("Iain", 1), ("Octavia", 0), ("Ursula", 2)]


async def test_limit_offset_distinct(library: Any) -> None:
    async with library.connect() as conn:
        ordered = select(authors.c.name).order_by(authors.c.name)
        assert (await conn.execute(ordered.limit(2))).scalars().all() == ["Iain", "Octavia"]
        assert (await conn.execute(ordered.offset(1))).scalars().all() == ["Octavia", "Ursula"]
        distinct = select(books.c.author_id).distinct().order_by(books.c.author_id)
        assert len((await conn.execute(distinct)).all()) == 2


async def test_in_lists_of_any_length_and_empty(library: Any) -> None:
    async with library.connect() as conn:
        for names, expected in (
            (["Ursula"], 1),
            (["Ursula", "Iain", "nobody"], 2),
            ([], 0),
        ):
            stmt = select(authors.c.id).where(authors.c.name.in_(names))
            assert len((await conn.execute(stmt)).all()) == expected
        not_in = select(authors.c.name).where(authors.c.name.not_in([])).order_by(authors.c.name)
        assert len((await conn.execute(not_in)).all()) == 3


async def test_like_contains_escape(library: Any) -> None:
    async with library.begin() as conn:
        await conn.execute(insert(authors).values(name="50%_off", born=2000))
        await conn.execute(insert(authors).values(name="500 off", born=2000))
        found = select(authors.c.name).where(authors.c.name.contains("%_", autoescape=True))
        assert (await conn.execute(found)).scalars().all() == ["50%_off"]
        prefix = select(authors.c.name).where(authors.c.name.startswith("Oct"))
        assert (await conn.execute(prefix)).scalars().all() == ["Octavia"]
        insensitive = select(authors.c.name).where(authors.c.name.ilike("iain"))
        assert (await conn.execute(insensitive)).scalars().all() == ["Iain"]


async def test_insert_returning_and_defaults(library: Any) -> None:
    async with library.begin() as conn:
        stmt = insert(books).values(author_id=1, title="New").returning(books.c.id, books.c.pages)
        row = (await conn.execute(stmt)).one()
        assert row.pages == 100 and row.id > 0
        many = await conn.execute(
            insert(books).returning(books.c.title),
            [{"author_id": 1, "title": "A"}, {"author_id": 1, "title": "B"}],
        )
        assert sorted(many.scalars().all()) == ["A", "B"]
        multi = insert(authors).values([{"name": "X", "born": 1}, {"name": "Y", "born": 2}])
        assert (await conn.execute(multi)).rowcount == 2


async def test_update_and_delete(library: Any) -> None:
    async with library.begin() as conn:
        result = await conn.execute(
            update(authors).where(authors.c.born < 1950).values(born=authors.c.born + 1)
        )
        assert result.rowcount == 2
        born = select(authors.c.born).where(authors.c.name == "Ursula")
        assert (await conn.execute(born)).scalar() == 1930
        params = update(authors).where(authors.c.name == bindparam("who"))
        await conn.execute(params, {"who": "Iain", "born": 1})
        assert (
            await conn.execute(select(authors.c.born).where(authors.c.name == "Iain"))
        ).scalar() == 1
        gone = await conn.execute(
            delete(books).where(books.c.title.like("The%")).returning(books.c.title)
        )
        assert sorted(gone.scalars().all()) == ["The Dispossessed", "The Lathe of Heaven"]
        # ON DELETE CASCADE removes the remaining book with its author
        await conn.execute(delete(authors).where(authors.c.name == "Iain"))
        assert (await conn.execute(select(func.count()).select_from(books))).scalar() == 0


async def test_constraint_violations_are_integrity_errors(library: Any) -> None:
    async with library.connect() as conn:
        with pytest.raises(exc.IntegrityError):
            await conn.execute(insert(authors).values(name="Ursula"))
        await conn.rollback()
        with pytest.raises(exc.IntegrityError):
            await conn.execute(insert(books).values(author_id=999, title="orphan"))
        await conn.rollback()


@pytest.mark.parametrize(
    "value",
    [
        "O'Brien",
        "'; DROP TABLE ex_authors; --",
        'quote " and backslash \\',
        "ünïcødé ✓ 中文 🙂",
        "x" * 10_000,
        "line\nbreak\ttab",
    ],
)
async def test_hostile_strings_round_trip(library: Any, value: str) -> None:
    async with library.begin() as conn:
        stmt = insert(authors).values(name="hostile", note=value).returning(authors.c.id)
        new_id = (await conn.execute(stmt)).scalar_one()
        found = await conn.execute(select(authors.c.note).where(authors.c.id == new_id))
        assert found.scalar_one() == value
        by_value = await conn.execute(select(authors.c.id).where(authors.c.note == value))
        assert by_value.scalar_one() == new_id
        assert (await conn.execute(select(func.count()).select_from(authors))).scalar() == 4


async def test_statement_shape_is_compiled_once(
    library: Any, capsys: Any, make_engine: Any
) -> None:
    engine = make_engine(echo=True)
    async with engine.connect() as conn:
        for born in (1900, 1940, 1950):
            await conn.execute(select(authors.c.name).where(authors.c.born > born))
    out = capsys.readouterr().out
    assert out.count("[generated in") == 1
    assert out.count("[cached since") == 2
    assert "(1940,)" in out


async def test_select_with_text_fragments(library: Any) -> None:
    async with library.connect() as conn:
        stmt = select(authors.c.name).where(text("born > :year")).order_by(authors.c.name)
        names = (await conn.execute(stmt, {"year": 1950})).scalars().all()
        assert names == ["Iain"]


async def test_python_defaults_and_onupdate(engine: Any) -> None:
    import itertools

    meta = MetaData()
    numbers = itertools.count(1)
    events = Table(
        "ex_events",
        meta,
        Column("id", Integer, primary_key=True),
        Column("kind", String(10), default="note"),
        Column("seq", Integer, default=lambda: next(numbers)),
        Column("stamp", DateTime, default=func.now()),
        Column("version", Integer, default=1, onupdate=lambda: 2),
    )
    async with engine.begin() as conn:
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        await conn.execute(insert(events).values(id=1))
        await conn.execute(insert(events), [{"id": 2}, {"id": 3, "kind": "alert"}])
        await conn.execute(insert(events).values([{"id": 4}, {"id": 5}]))
        rows = (await conn.execute(select(events).order_by(events.c.id))).all()
        assert [(r.kind, r.seq, r.version) for r in rows] == [
            ("note", 1, 1),
            ("note", 2, 1),
            ("alert", 3, 1),
            ("note", 4, 1),
            ("note", 5, 1),
        ]
        assert all(r.stamp is not None for r in rows)
        await conn.execute(update(events).where(events.c.id == 1).values(kind="edited"))
        row = (await conn.execute(select(events).where(events.c.id == 1))).one()
        assert (row.kind, row.version) == ("edited", 2)
        await conn.run_sync(meta.drop_all)


async def test_foreign_key_cycle_with_use_alter(engine: Any, backend: str) -> None:
    meta = MetaData()
    Table(
        "ex_cycle_a",
        meta,
        Column("id", Integer, primary_key=True),
        Column("b_id", ForeignKey("ex_cycle_b.id", use_alter=True, name="fk_cycle_a_b")),
    )
    Table(
        "ex_cycle_b",
        meta,
        Column("id", Integer, primary_key=True),
        Column("a_id", ForeignKey("ex_cycle_a.id")),
    )
    async with engine.begin() as conn:
        if backend == "sqlite":
            with pytest.raises(exc.InvalidRequestError, match="use_alter"):
                await conn.run_sync(meta.create_all)
            return
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        a, b = meta.tables["ex_cycle_a"], meta.tables["ex_cycle_b"]
        await conn.execute(insert(a).values(id=1))
        await conn.execute(insert(b).values(id=1, a_id=1))
        await conn.execute(update(a).values(b_id=1))
        with pytest.raises(exc.IntegrityError):
            async with conn.begin_nested():
                await conn.execute(update(a).values(b_id=99))
        await conn.run_sync(meta.drop_all)


async def test_sequences_identity_comments_and_schemas(engine: Any, backend: str) -> None:
    from ferryman import Identity, Sequence

    schema = "ferryman_schema_test" if backend == "postgresql" else None
    meta = MetaData(schema=schema)
    parents = Table(
        "ex_parents",
        meta,
        Column("id", Integer, Identity(start=100), primary_key=True),
        Column("name", String(20), comment="what it is called"),
        comment="parents of things",
    )
    kids = Table(
        "ex_kids",
        meta,
        Column("id", Integer, Sequence("ex_kids_seq", start=500, schema=schema), primary_key=True),
        Column("parent_id", ForeignKey(parents.c.id)),
    )
    async with engine.begin() as conn:
        if schema:
            await conn.exec_driver_sql(f"CREATE SCHEMA IF NOT EXISTS {schema}")
        await conn.run_sync(meta.drop_all)
        await conn.run_sync(meta.create_all)
        parent = (
            await conn.execute(insert(parents).values(name="p").returning(parents.c.id))
        ).scalar_one()
        kid = (
            await conn.execute(insert(kids).values(parent_id=parent).returning(kids.c.id))
        ).scalar_one()
        if backend == "postgresql":
            assert (parent, kid) == (100, 500)
            comment = await conn.execute(
                text("SELECT obj_description(CAST(:t AS regclass))"),
                {"t": f"{schema}.ex_parents"},
            )
            assert comment.scalar() == "parents of things"
        joined = select(kids.c.id, parents.c.name).join(parents)
        assert (await conn.execute(joined)).one() == (kid, "p")
        await conn.run_sync(meta.drop_all)
        if schema:
            await conn.exec_driver_sql(f"DROP SCHEMA {schema}")


async def test_inserted_primary_key(library: Any) -> None:
    async with library.begin() as conn:
        result = await conn.execute(insert(authors).values(name="Mary", born=1797))
        (new_id,) = result.inserted_primary_key
        assert isinstance(new_id, int) and result.rowcount == 1
        with pytest.raises(exc.ResourceClosedError):
            result.all()  # the key was asked for by ferryman, not returned as rows
        name = select(authors.c.name).where(authors.c.id == new_id)
        assert (await conn.execute(name)).scalar_one() == "Mary"
        given = await conn.execute(insert(authors).values(id=500, name="Given"))
        assert given.inserted_primary_key == (500,)
        many = await conn.execute(insert(authors), [{"name": "A"}, {"name": "B"}])
        with pytest.raises(exc.InvalidRequestError, match="single-row"):
            many.inserted_primary_key  # noqa: B018
        rows = await conn.execute(insert(authors).values(name="R").returning(authors.c.name))
        assert rows.scalar_one() == "R"


@pytest.mark.sync_only
async def test_statement_cache_is_bounded_and_thread_safe(engine: Any) -> None:
    """Many statement shapes from several threads: the cache stays within its size."""
    import threading

    from .conftest import unwrap

    sync_engine = unwrap(engine)
    sync_engine._cache.size = 20
    errors: list[BaseException] = []

    def work(offset: int) -> None:
        try:
            with sync_engine.connect() as conn:
                for i in range(60):
                    conn.execute(select(literal_column(str(offset * 1000 + i)).label("n")))
        except BaseException as err:  # reported below
            errors.append(err)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert not errors
    assert len(sync_engine._cache) <= 20


async def test_reused_statements_and_their_copies(library: Any) -> None:
    base = select(authors.c.name).order_by(authors.c.name)
    by_year = base.where(authors.c.born > bindparam("year"))
    async with library.connect() as conn:
        for _ in range(2):  # the same statement object twice: structure remembered
            assert len((await conn.execute(base)).all()) == 3
            assert (await conn.execute(by_year, {"year": 1950})).scalars().all() == ["Iain"]
        narrower = by_year.where(authors.c.name != "Iain")
        assert (await conn.execute(narrower, {"year": 1900})).scalars().all() == [
            "Octavia",
            "Ursula",
        ]
        assert (await conn.execute(base.limit(1))).scalars().all() == ["Iain"]

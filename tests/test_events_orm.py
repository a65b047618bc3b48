"""ORM events (``ferryman.event``) on every driver pairing, sync and async: session
events, the mapper events of a flush (whose listeners may run statements on the
connection they get), load / init, and attribute events."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ferryman import ForeignKey, String, event, exc, func, insert, inspect, select
from ferryman.asyncio import AsyncSession, async_sessionmaker
from ferryman.engine import Connection
from ferryman.orm import (
    AttributeEventToken,
    DeclarativeBase,
    InstanceState,
    Mapped,
    MappedAsDataclass,
    Mapper,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
    sessionmaker,
    validates,
)
from ferryman.orm._events import persistence_listeners
from ferryman.orm.attributes import NEVER_SET, NO_VALUE, OP_APPEND, OP_REMOVE, OP_REPLACE

from .conftest import AsAsync, unwrap


class Base(DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "ev_authors"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    slug: Mapped[str | None] = mapped_column(String(60))
    books: Mapped[list[Book]] = relationship(
        back_populates="author", cascade="all, delete-orphan", order_by="Book.title"
    )


class Book(Base):
    __tablename__ = "ev_books"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))
    author_id: Mapped[int] = mapped_column(ForeignKey("ev_authors.id"))
    author: Mapped[Author] = relationship(back_populates="books")


class AuditEntry(Base):
    __tablename__ = "ev_audit"
    id: Mapped[int] = mapped_column(primary_key=True)
    action: Mapped[str] = mapped_column(String(20))
    detail: Mapped[str] = mapped_column(String(100))


class Tag(Base):
    """A class with a constructor of its own."""

    __tablename__ = "ev_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(30))

    def __init__(self, label: str, shout: bool = False) -> None:
        self.label = label.upper() if shout else label


class Topic(Base):
    """A tree: rows of one table referring to each other (written level by level)."""

    __tablename__ = "ev_topics"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("ev_topics.id"))
    children: Mapped[list[Topic]] = relationship(
        back_populates="parent", cascade="all, delete-orphan", order_by="Topic.name"
    )
    parent: Mapped[Topic | None] = relationship(back_populates="children", remote_side=[id])


class OtherBase(DeclarativeBase):
    """A registry of its own: listeners on the classes above don't concern it."""


class Plain(OtherBase):
    __tablename__ = "ev_plain"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


@pytest.fixture
async def tables(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


@pytest.fixture
def listen() -> Any:
    """``listen(target, name, fn, **kw)``: event.listen, undone after the test."""
    added: list[tuple[Any, str, Any]] = []

    def add(target: Any, identifier: str, fn: Any, **kw: Any) -> Any:
        event.listen(target, identifier, fn, **kw)
        added.append((target, identifier, fn))
        return fn

    yield add
    for target, identifier, fn in reversed(added):
        if event.contains(target, identifier, fn):
            event.remove(target, identifier, fn)


async def _audit(make_session: Any) -> list[tuple[str, str]]:
    async with make_session() as session:
        rows = await session.execute(
            select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


async def test_flush_events_fire_around_the_statements(
    tables: Any, make_session: Any, listen: Any
) -> None:
    seen: list[tuple[str, str, Any]] = []

    def recorder(name: str) -> Any:
        def record(mapper: Any, connection: Any, target: Any) -> None:
            assert isinstance(mapper, Mapper) and mapper.class_ is type(target)
            assert isinstance(connection, Connection)  # sync, in the flush's transaction
            seen.append((name, type(target).__name__, target.id))

        return record

    for name in (
        "before_insert",
        "after_insert",
        "before_update",
        "after_update",
        "before_delete",
        "after_delete",
    ):
        listen(Author, name, recorder(name))
        listen(Book, name, recorder(name))
    async with make_session() as session:
        session.add(Author(name="Ann", books=[Book(title="One")]))
        await session.commit()
    assert [(name, cls) for name, cls, _ in seen] == [
        ("before_insert", "Author"),
        ("after_insert", "Author"),
        ("before_insert", "Book"),
        ("after_insert", "Book"),
    ]
    assert seen[0][2] is None and seen[1][2] is not None  # the key came with the INSERT
    assert seen[3][2] is not None
    seen.clear()
    async with make_session() as session:
        author = (await session.scalars(select(Author))).one()
        author.name = "Anne"
        await session.commit()
    assert [(name, cls) for name, cls, _ in seen] == [
        ("before_update", "Author"),
        ("after_update", "Author"),
    ]
    seen.clear()
    async with make_session() as session:
        author = (await session.scalars(select(Author).options(selectinload(Author.books)))).one()
        await session.delete(author)
        await session.commit()
    assert [(name, cls) for name, cls, _ in seen] == [
        ("before_delete", "Book"),
        ("after_delete", "Book"),
        ("before_delete", "Author"),
        ("after_delete", "Author"),
    ]


async def test_flush_events_of_a_tree(tables: Any, make_session: Any, listen: Any) -> None:
    seen: list[tuple[str, str, bool]] = []

    def recorder(name: str) -> Any:
        def record(mapper: Any, connection: Any, target: Topic) -> None:
            seen.append((name, target.name, target.parent_id is not None))

        return record

    for name in ("before_insert", "after_insert", "before_update", "before_delete"):
        listen(Topic, name, recorder(name))
    async with make_session() as session:
        session.add(Topic(name="root", children=[Topic(name="leaf")]))
        await session.commit()
    # level by level: the leaf's foreign key is known before its before_insert
    assert seen == [
        ("before_insert", "root", False),
        ("after_insert", "root", False),
        ("before_insert", "leaf", True),
        ("after_insert", "leaf", True),
    ]
    seen.clear()
    async with make_session() as session:
        root = (
            await session.scalars(
                select(Topic).where(Topic.name == "root").options(selectinload(Topic.children))
            )
        ).one()
        root.name = "top"
        await session.delete(root)
        await session.commit()
    assert sorted(seen) == [("before_delete", "leaf", True), ("before_delete", "top", False)]


async def test_values_set_in_before_listeners_are_written(
    tables: Any, make_session: Any, listen: Any
) -> None:
    def slugify(mapper: Any, connection: Any, target: Author) -> None:
        target.slug = target.name.lower().replace(" ", "-")

    listen(Author, "before_insert", slugify)
    listen(Author, "before_update", slugify)
    async with make_session() as session:
        session.add(Author(name="Ann Lee"))
        await session.commit()
    async with make_session() as session:
        author = (await session.scalars(select(Author))).one()
        assert author.slug == "ann-lee"
        author.name = "Ann Smith"
        await session.commit()
    async with make_session() as session:
        assert (await session.scalar(select(Author.slug))) == "ann-smith"


async def test_listener_statements_run_in_the_flush_transaction(
    tables: Any, make_session: Any, listen: Any
) -> None:
    audit = AuditEntry.__table__

    def log_insert(mapper: Any, connection: Any, target: Author) -> None:
        connection.execute(insert(audit).values(action="insert", detail=target.name))

    listen(Author, "after_insert", log_insert)
    async with make_session() as session:
        session.add(Author(name="Ann"))
        await session.flush()
        assert (await session.scalar(select(func.count()).select_from(AuditEntry))) == 1
        await session.rollback()  # the listener's row goes with the flush's
    assert await _audit(make_session) == []
    async with make_session() as session:
        session.add(Author(name="Bob"))
        await session.commit()
    assert await _audit(make_session) == [("insert", "Bob")]


async def test_before_flush_may_add_and_query(
    tables: Any, make_session: Any, listen: Any, is_async: bool
) -> None:
    calls: list[Any] = []

    def before_flush(session: Any, flush_context: Any, instances: Any) -> None:
        assert type(session) is Session and flush_context.session is session
        assert instances is None
        # a query inside does not flush again (that would call this listener again)
        count = session.execute(select(func.count()).select_from(Author)).scalar_one()
        calls.append((count, session.info.get("request")))
        for obj in list(session.new):
            if isinstance(obj, Author):
                session.add(AuditEntry(action="new", detail=obj.name))

    async with make_session(info={"request": 7}) as session:
        listen(unwrap(session), "before_flush", before_flush)
        session.add(Author(name="Ann"))
        await session.commit()
        session.add(Author(name="Bob"))
        await session.flush()
        await session.commit()
    assert calls == [(0, 7), (1, 7)]
    assert await _audit(make_session) == [("new", "Ann"), ("new", "Bob")]
    async with make_session() as other:  # a listener of one session is that session's
        other.add(Author(name="Cy"))
        await other.commit()
    assert len(calls) == 2


async def test_after_commit_on_a_sessionmaker(
    tables: Any, engine: Any, is_async: bool, listen: Any
) -> None:
    committed: list[Any] = []
    if is_async:
        factory: Any = async_sessionmaker(engine)
        make: Any = factory
    else:
        factory = sessionmaker(unwrap(engine))
        make = lambda: AsAsync(factory())  # noqa: E731
    listen(factory, "after_commit", committed.append)
    async with make() as session:
        session.add(Author(name="Ann"))
        await session.commit()
        assert len(committed) == 1 and type(committed[0]) is Session
        assert not committed[0].in_transaction()
        await session.commit()  # nothing to write: still a commit
    assert len(committed) == 2
    maker = async_sessionmaker if is_async else sessionmaker
    other = maker(engine if is_async else unwrap(engine))
    session = other()
    try:
        await session.commit() if is_async else session.commit()
    finally:
        await session.close() if is_async else session.close()
    assert len(committed) == 2  # another factory's session


async def test_load_fires_for_objects_made_from_rows(
    tables: Any, make_session: Any, listen: Any
) -> None:
    loaded: list[tuple[str, str]] = []

    def on_load(target: Any, context: Any) -> None:
        assert type(context.session) is Session
        loaded.append((type(target).__name__, getattr(target, "name", None) or target.title))

    listen(Author, "load", on_load)
    listen(Book, "load", on_load)
    async with make_session() as session:
        session.add(Author(name="Ann", books=[Book(title="One"), Book(title="Two")]))
        await session.commit()
    async with make_session() as session:
        await session.scalars(select(Author))
        assert loaded == [("Author", "Ann")]
        await session.scalars(select(Author))  # in the identity map already: no load
        assert loaded == [("Author", "Ann")]
        await session.scalars(select(Book).order_by(Book.title))
        assert loaded[1:] == [("Book", "One"), ("Book", "Two")]
    loaded.clear()
    async with make_session() as session:
        stmt = select(Author).options(joinedload(Author.books))
        (await session.execute(stmt)).unique().scalars().all()
        assert sorted(loaded) == [("Author", "Ann"), ("Book", "One"), ("Book", "Two")]
    loaded.clear()
    async with make_session() as session:
        await session.scalars(select(Author).options(selectinload(Author.books)))
        assert sorted(loaded) == [("Author", "Ann"), ("Book", "One"), ("Book", "Two")]


async def test_init_fires_before_the_constructor(listen: Any) -> None:
    calls: list[tuple[str, Any, Any]] = []

    def on_init(target: Any, args: Any, kwargs: Any) -> None:
        calls.append((type(target).__name__, args, dict(kwargs)))
        if "name" in kwargs:
            kwargs["name"] = kwargs["name"].title()  # kwargs may be changed in place

    listen(Author, "init", on_init)
    listen(Tag, "init", on_init)
    author = Author(name="ann")
    tag = Tag("new", shout=True)
    assert author.name == "Ann" and tag.label == "NEW"
    assert calls == [("Author", (), {"name": "ann"}), ("Tag", ("new",), {"shout": True})]


def test_init_of_dataclass_classes_and_set_after_validates(listen: Any) -> None:
    calls: list[Any] = []

    class DataBase(MappedAsDataclass, DeclarativeBase):
        pass

    # registered before the class exists: reaches it through propagate=True
    listen(DataBase, "init", lambda target, args, kwargs: calls.append(args), propagate=True)

    class Guide(DataBase):
        __tablename__ = "ev_guides"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str] = mapped_column(String(50))

        @validates("name")
        def _stripped(self, key: str, value: str) -> str:
            return value.strip()

    listen(Guide.name, "set", lambda target, value, old, initiator: calls.append(value))
    guide = Guide("  ann ")  # the dataclass constructor, positional arguments and all
    assert guide.name == "ann"
    assert calls == [("  ann ",), "ann"]  # a set listener sees the validated value


async def test_set_events(tables: Any, make_session: Any, listen: Any) -> None:
    seen: list[tuple[Any, Any, str]] = []

    def strip(target: Any, value: Any, oldvalue: Any, initiator: Any) -> Any:
        assert isinstance(initiator, AttributeEventToken)
        assert initiator.key == "name" and initiator.op == OP_REPLACE
        seen.append((value, oldvalue, target.__dict__.get("name", "-")))
        return value.strip()

    listen(Author.name, "set", strip, retval=True)
    author = Author(name="  Ann ")  # the constructor sets through the attribute
    assert author.name == "Ann"
    assert seen == [("  Ann ", NEVER_SET, "-")]
    async with make_session() as session:
        session.add(author)
        await session.commit()
    seen.clear()
    async with make_session() as session:
        author = (await session.scalars(select(Author))).one()
        author.name = " Anne"
        session.expire(author, ["name"])
        author.name = "Ann "
        assert seen == [(" Anne", "Ann", "Ann"), ("Ann ", NO_VALUE, "-")]
        assert author.name == "Ann"


async def test_collection_and_relationship_events(listen: Any) -> None:
    seen: list[tuple[str, str, str]] = []

    def on_append(target: Any, value: Any, initiator: Any) -> None:
        assert initiator.op == OP_APPEND
        seen.append(("append", target.name, value.title))

    def on_remove(target: Any, value: Any, initiator: Any) -> None:
        assert initiator.op == OP_REMOVE
        seen.append(("remove", target.name, value.title))

    def on_set(target: Any, value: Any, oldvalue: Any, initiator: Any) -> None:
        seen.append(("set", target.title, value.name if value is not None else "None"))

    listen(Author.books, "append", on_append)
    listen(Author.books, "remove", on_remove)
    listen(Book.author, "set", on_set)
    ann, bob = Author(name="Ann"), Author(name="Bob")
    one = Book(title="One")
    ann.books.append(one)  # and one.author = ann, through back_populates
    one.author = bob  # moves it: removed from Ann's books, appended to Bob's
    bob.books.remove(one)
    # each event fires before its change, and before what the change does to the
    # other side of the relationship
    assert seen == [
        ("append", "Ann", "One"),
        ("set", "One", "Ann"),
        ("set", "One", "Bob"),
        ("remove", "Ann", "One"),
        ("append", "Bob", "One"),
        ("remove", "Bob", "One"),
        ("set", "One", "None"),
    ]


async def test_append_retval_replaces_the_item(listen: Any) -> None:
    def titled(target: Any, value: Any, initiator: Any) -> Any:
        return value if isinstance(value, Book) else Book(title=str(value))

    listen(Author.books, "append", titled, retval=True)
    ann = Author(name="Ann")
    ann.books.append("Notes")  # type: ignore[arg-type]
    assert [b.title for b in ann.books] == ["Notes"] and ann.books[0].author is ann


async def test_propagate_reaches_mapped_subclasses(
    tables: Any, make_session: Any, listen: Any
) -> None:
    inserted: list[str] = []

    def on_insert(mapper: Any, connection: Any, target: Any) -> None:
        inserted.append(type(target).__name__)

    with pytest.raises(exc.InvalidRequestError, match="propagate=True"):
        event.listen(Base, "before_insert", on_insert)
    listen(Base, "before_insert", on_insert, propagate=True)
    async with make_session() as session:
        session.add(Author(name="Ann", books=[Book(title="One")]))
        session.add(Tag("x"))
        await session.commit()
    assert sorted(inserted) == ["Author", "Book", "Tag"]


async def test_mapper_and_mapper_class_targets(
    tables: Any, make_session: Any, listen: Any
) -> None:
    per_mapper: list[str] = []
    every: list[str] = []

    def on_mapper(mapper: Any, connection: Any, target: Any) -> None:
        per_mapper.append(type(target).__name__)

    def on_every(mapper: Any, connection: Any, target: Any) -> None:
        every.append(type(target).__name__)

    listen(inspect(Author), "after_insert", on_mapper)
    assert event.contains(Author, "after_insert", on_mapper)
    listen(Mapper, "after_insert", on_every)
    async with make_session() as session:
        session.add(Author(name="Ann", books=[Book(title="One")]))
        await session.commit()
    assert per_mapper == ["Author"]
    assert every == ["Author", "Book"]


async def test_raw_listeners_get_the_state(tables: Any, make_session: Any, listen: Any) -> None:
    states: list[Any] = []
    listen(Author, "after_insert", lambda m, c, state: states.append(state), raw=True)
    async with make_session() as session:
        author = Author(name="Ann")
        session.add(author)
        await session.commit()
    assert isinstance(states[0], InstanceState) and states[0].object is author


async def test_removing_the_last_flush_listener(tables: Any, make_session: Any) -> None:
    before = persistence_listeners[0]
    calls: list[Any] = []

    def on_insert(mapper: Any, connection: Any, target: Any) -> None:
        calls.append(target)

    event.listen(Author, "before_insert", on_insert)
    assert persistence_listeners[0] == before + 1
    event.remove(Author, "before_insert", on_insert)
    assert persistence_listeners[0] == before
    assert not event.contains(Author, "before_insert", on_insert)
    async with make_session() as session:
        session.add(Author(name="Ann"))
        await session.commit()
    assert calls == []


async def test_listeners_elsewhere_leave_a_one_statement_commit_alone(
    make_engine: Any, is_async: bool, listen: Any, caplog: Any
) -> None:
    engine = make_engine(echo=True)
    async with engine.begin() as conn:
        await conn.run_sync(OtherBase.metadata.drop_all)
        await conn.run_sync(OtherBase.metadata.create_all)
    listen(Author, "before_insert", lambda mapper, connection, target: None)
    session = AsyncSession(engine) if is_async else AsAsync(Session(unwrap(engine)))
    caplog.clear()
    async with session:
        session.add(Plain(name="p"))
        await session.commit()  # one INSERT, atomic on its own: no BEGIN, no thread
    sent = [r.getMessage().split()[0] for r in caplog.records if r.name == "ferryman.engine"]
    assert "BEGIN" not in sent and "INSERT" in sent
    async with engine.begin() as conn:
        await conn.run_sync(OtherBase.metadata.drop_all)


@pytest.mark.async_only
async def test_async_flush_listeners_run_in_a_worker_thread(
    tables: Any, engine: Any, listen: Any
) -> None:
    loop_thread = threading.get_ident()
    seen: list[Any] = []

    def on_update(mapper: Any, connection: Any, target: Author) -> None:
        seen.append((threading.get_ident() != loop_thread, type(connection).__name__))
        # sync code: what isn't loaded loads (the bridge does the I/O on the loop)
        seen.append([book.title for book in target.books])

    listen(Author, "before_update", on_update)
    async with AsyncSession(engine) as session:
        session.add(Author(name="Ann", books=[Book(title="One")]))
        await session.commit()
    async with AsyncSession(engine) as session:
        author = (await session.scalars(select(Author))).one()
        author.name = "Anne"
        await session.commit()
    assert seen == [(True, "SyncConnectionView"), ["One"]]


async def test_session_class_targets(tables: Any, make_session: Any, listen: Any) -> None:
    commits: list[Any] = []

    def on_commit(session: Any) -> None:
        commits.append(session)

    def on_flush(session: Any, flush_context: Any, instances: Any) -> None:
        commits.append(type(session))

    listen(AsyncSession, "after_commit", on_commit)  # its sync_session_class: Session
    assert event.contains(Session, "after_commit", on_commit)
    listen(Session, "before_flush", on_flush)  # SQLAlchemy's advice for asyncio users
    async with make_session() as session:
        session.add(Author(name="Ann"))
        await session.commit()
    assert commits[0] is Session and len(commits) == 2


@pytest.mark.async_only
async def test_an_async_sessions_sync_session_is_the_same_target(
    tables: Any, engine: Any, listen: Any
) -> None:
    async with AsyncSession(engine, info={"user": "ann"}) as session:
        commits: list[Any] = []
        listen(session.sync_session, "after_commit", commits.append)
        assert event.contains(session, "after_commit", commits.append)
        session.add(Author(name="Ann"))
        await session.commit()
        assert commits == [session.sync_session]
        assert session.sync_session.info["user"] == "ann"
        with pytest.raises(exc.InvalidRequestError, match="run_sync"):
            session.sync_session.execute(select(Author))


async def test_before_execute_sees_the_orm_select(
    tables: Any, engine: Any, make_session: Any, listen: Any
) -> None:
    seen: list[Any] = []
    listen(
        unwrap(engine),
        "before_execute",
        lambda conn, element, multiparams, params, options: seen.append(element),
    )
    statement = select(Author).where(Author.name == "Ann")
    async with make_session() as session:
        assert (await session.scalars(statement)).all() == []
        session.add(Author(name="Ann"))
        await session.flush()  # the ORM's INSERT: its SQL as str()
        assert (await session.scalars(statement)).one().name == "Ann"
    assert seen[0] is statement and seen[-1] is statement
    assert any(str(element).startswith("INSERT INTO ev_authors") for element in seen)


def test_orm_listeners_must_be_plain_functions() -> None:
    async def on_insert(mapper: Any, connection: Any, target: Any) -> None:
        pass

    with pytest.raises(exc.ArgumentError, match=r"runs? synchronously"):
        event.listen(Author, "before_insert", on_insert)


def test_wrong_targets_for_orm_events() -> None:
    with pytest.raises(exc.InvalidRequestError, match="has no event 'before_flush'") as info:
        event.listen(Author, "before_flush", print)
    assert "Session" in str(info.value)
    with pytest.raises(exc.InvalidRequestError, match="has no event 'before_insert'"):
        event.listen(Author.name, "before_insert", print)
    with pytest.raises(exc.InvalidRequestError, match="has no event 'set'"):
        event.listen(Author, "set", print)

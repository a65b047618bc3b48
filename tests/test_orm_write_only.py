"""``relationship(lazy="write_only")`` (and ``lazy="dynamic"`` in sync code):
collections too large to load, changed with add() / remove() and read with
statements, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import ForeignKey, String, exc, func, select
from ferryman.orm import (
    DeclarativeBase,
    DynamicMapped,
    Mapped,
    Session,
    WriteOnlyMapped,
    mapped_column,
    relationship,
)

from .conftest import unwrap


class Base(DeclarativeBase):
    pass


class Feed(Base):
    __tablename__ = "wo_feeds"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    entries: Mapped[list[Entry]] = relationship(
        lazy="write_only", back_populates="feed", cascade="all, delete-orphan"
    )
    recent: Mapped[list[Entry]] = relationship(
        lazy="dynamic", viewonly=True, order_by="Entry.id.desc()"
    )


class Entry(Base):
    __tablename__ = "wo_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    feed_id: Mapped[int | None] = mapped_column(ForeignKey("wo_feeds.id"))
    title: Mapped[str] = mapped_column(String(40))
    feed: Mapped[Feed | None] = relationship(back_populates="entries")


@pytest.fixture
async def feeds(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_write_only_collections(feeds: Any, make_session: Any, query_counter: Any) -> None:
    async with make_session() as session:
        feed = Feed(id=1, name="news", entries=[Entry(id=1, title="first")])  # a new object
        session.add(feed)
        feed.entries.add_all([Entry(id=2, title="second"), Entry(id=3, title="third")])
        await session.commit()
    async with make_session() as session:
        feed = await session.get(Feed, 1)
        with query_counter(unwrap(feeds)) as counted:
            feed.entries.add(Entry(id=4, title="fourth"))  # nothing loaded, nothing sent yet
        assert counted.count == 0
        page = feed.entries.select().order_by(Entry.id).limit(2)
        assert [e.title for e in (await session.scalars(page)).all()] == ["first", "second"]
        total = select(func.count()).select_from(feed.entries.select().subquery())
        assert await session.scalar(total) == 4
        third = await session.get(Entry, 3)
        feed.entries.remove(third)  # delete-orphan: the row goes
        await session.execute(feed.entries.update().values(title="renamed"))
        await session.commit()
        with pytest.raises(exc.InvalidRequestError, match="write-only"):
            list(feed.entries)
        with pytest.raises(exc.InvalidRequestError, match="can't be replaced"):
            feed.entries = []
    async with make_session() as session:
        titles = await session.scalars(select(Entry.title).order_by(Entry.id))
        assert titles.all() == ["renamed", "renamed", "renamed"]


@pytest.mark.sync_only
async def test_dynamic_relationships_in_sync_code(feeds: Any) -> None:
    with Session(unwrap(feeds)) as session:
        feed = Feed(id=1, name="news")
        session.add(feed)
        session.flush()
        feed.entries.add_all([Entry(id=i, title=f"t{i}") for i in range(1, 4)])
        session.commit()
        assert [e.id for e in feed.recent] == [3, 2, 1]
        assert feed.recent.filter(Entry.id > 1).count() == 2
        assert len(feed.recent) == 3 and feed.recent[0].title == "t3"


@pytest.mark.async_only
async def test_dynamic_relationships_need_sync_code(feeds: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(Feed(id=1, name="news"))
        await session.commit()
        feed = await session.get(Feed, 1)
        with pytest.raises(exc.InvalidRequestError, match="only in a sync Session"):
            feed.recent.count()


class Board(Base):
    """The annotations say it: WriteOnlyMapped / DynamicMapped, no lazy= needed."""

    __tablename__ = "wo_boards"
    id: Mapped[int] = mapped_column(primary_key=True)
    pins: WriteOnlyMapped[Pin] = relationship(back_populates="board")
    history: DynamicMapped[Pin] = relationship(viewonly=True)


class Pin(Base):
    __tablename__ = "wo_pins"
    id: Mapped[int] = mapped_column(primary_key=True)
    board_id: Mapped[int | None] = mapped_column(ForeignKey("wo_boards.id"))
    board: Mapped[Board | None] = relationship(back_populates="pins")


async def test_write_only_and_dynamic_annotations(feeds: Any, make_session: Any) -> None:
    from ferryman.orm._write_only import AppenderQuery, WriteOnlyCollection

    assert Board.pins.prop.lazy == "write_only" and Board.pins.prop.uselist
    assert Board.history.prop.lazy == "dynamic"
    board = Board(id=1)
    assert isinstance(board.pins, WriteOnlyCollection)
    assert isinstance(board.history, AppenderQuery)
    async with make_session() as session:
        board.pins.add(Pin(id=1))
        session.add(board)
        await session.commit()
        assert await session.scalar(select(func.count()).select_from(Pin)) == 1

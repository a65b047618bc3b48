"""``version_id_col``: optimistic locking. Each UPDATE / DELETE finds its row by key
and the version the session loaded; a row another transaction changed meanwhile is
a ``StaleDataError`` naming the object. On every driver."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from ferryman import Column, Integer, String, exc, select
from ferryman.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Doc(Base):
    __tablename__ = "ver_docs"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(nullable=False)
    __mapper_args__ = {"version_id_col": version}


class Tagged(Base):
    """A version made by a function of the last one: random hex strings."""

    __tablename__ = "ver_tagged"
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(100))
    tag: Mapped[str] = mapped_column(String(32))
    __mapper_args__ = {"version_id_col": tag, "version_id_generator": lambda _: uuid.uuid4().hex}


@pytest.fixture
async def docs(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_versions_move_on_and_stale_writes_fail(docs: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add_all([Doc(id=1, body="one"), Doc(id=2, body="two")])
        await session.commit()
    async with make_session() as mine, make_session() as theirs:
        doc = await mine.get(Doc, 1)
        assert doc.version == 1  # a new row's version
        other = await theirs.get(Doc, 1)
        other.body = "theirs"
        await theirs.commit()  # the row's version is 2 now
        doc.body = "mine"
        with pytest.raises(exc.StaleDataError, match=r"<Doc 1>.*version 1") as caught:
            await mine.commit()
        assert isinstance(caught.value, exc.FlushError)
        await mine.rollback()
        doc = await mine.get(Doc, 1)
        assert (doc.body, doc.version) == ("theirs", 2)
        doc.body = "mine, after all"
        await mine.commit()
    async with make_session() as mine, make_session() as theirs:
        two = await mine.get(Doc, 2)
        (await theirs.get(Doc, 2)).body = "changed"
        await theirs.commit()
        await mine.delete(two)
        with pytest.raises(exc.StaleDataError, match="DELETE of <Doc 2>"):
            await mine.commit()
        await mine.rollback()
    async with make_session() as session:
        rows = await session.execute(select(Doc.body, Doc.version).order_by(Doc.id))
        assert rows.all() == [("mine, after all", 3), ("changed", 2)]


async def test_a_version_generator(docs: Any, make_session: Any) -> None:
    async with make_session(expire_on_commit=False) as session:
        item = Tagged(id=1, body="a")
        session.add(item)
        await session.commit()
        first = item.tag
        item.body = "b"
        await session.commit()
        assert len(first) == len(item.tag) == 32 and item.tag != first
    async with make_session() as session:
        assert (await session.get(Tagged, 1)).tag == item.tag


def test_version_id_col_must_be_a_column() -> None:
    with pytest.raises(exc.ArgumentError, match="is not a column of Wrong"):

        class Wrong(Base):
            __tablename__ = "ver_wrong"
            id: Mapped[int] = mapped_column(primary_key=True)
            __mapper_args__ = {"version_id_col": Column("elsewhere", Integer)}

"""``MappedAsDataclass``: mapped classes with a dataclass's ``__init__``,
``__repr__`` and ``__eq__``, on every driver."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from ferryman import ForeignKey, String, exc, select
from ferryman.orm import (
    DeclarativeBase,
    Mapped,
    MappedAsDataclass,
    mapped_column,
    relationship,
    selectinload,
)


class Base(MappedAsDataclass, DeclarativeBase):
    pass


class Author(Base):
    __tablename__ = "dc_authors"
    id: Mapped[int] = mapped_column(init=False, primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    pen_name: Mapped[str | None] = mapped_column(String(40), default=None)
    secret: Mapped[str] = mapped_column(String(40), default="", repr=False, compare=False)
    books: Mapped[list[Book]] = relationship(
        default_factory=list, back_populates="author", compare=False
    )


class Book(Base, kw_only=True):
    __tablename__ = "dc_books"
    id: Mapped[int] = mapped_column(init=False, primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    pages: Mapped[int] = mapped_column(default=100)
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("dc_authors.id"), init=False, default=None, repr=False
    )
    author: Mapped[Author | None] = relationship(default=None, back_populates="books")


@pytest.fixture
async def shelf(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


def test_the_dataclass_methods() -> None:
    assert str(inspect.signature(Author.__init__)) == (
        "(self, name, pen_name=<object>, secret=<object>, books=<object>)".replace(
            "<object>", repr(inspect.signature(Author.__init__).parameters["pen_name"].default)
        )
    )
    assert list(inspect.signature(Book.__init__).parameters) == [
        "self",
        "title",
        "pages",
        "author",
    ]
    ann = Author("Ann", books=[Book(title="One")])
    assert (ann.pen_name, ann.secret, ann.books[0].pages) == (None, "", 100)
    assert ann.books[0].author is ann  # the relationship's other side, as always
    assert repr(ann) == "Author(id=<not loaded>, name='Ann', pen_name=None, books=[Book(id=None)])"
    assert repr(Book(title="Two", pages=5)) == (
        "Book(id=<not loaded>, title='Two', pages=5, author=None)"
    )
    assert Author("Ann", secret="x") == Author("Ann", secret="y")  # compare=False
    assert Author("Ann") != Author("Bob")
    assert len({Author("Ann"), Author("Ann")}) == 2  # hashable, by identity
    with pytest.raises(TypeError):
        Book("positional")  # kw_only=True on the class
    with pytest.raises(TypeError):
        Author()  # name is required


def test_field_order_and_options_are_checked() -> None:
    with pytest.raises(exc.ArgumentError, match="'late' has no default but follows 'early'"):

        class Wrong(Base):
            __tablename__ = "dc_wrong"
            id: Mapped[int] = mapped_column(init=False, primary_key=True)
            early: Mapped[int] = mapped_column(default=1)
            late: Mapped[int]

    with pytest.raises(exc.ArgumentError, match="default or default_factory, not both"):

        class Both(Base):
            __tablename__ = "dc_both"
            id: Mapped[int] = mapped_column(init=False, primary_key=True)
            tags: Mapped[list[Book]] = relationship(default=None, default_factory=list)


async def test_dataclass_objects_in_a_session(shelf: Any, make_session: Any) -> None:
    ann = Author("Ann", pen_name="A. N.", books=[Book(title="One"), Book(title="Two", pages=7)])
    async with make_session() as session:
        session.add(ann)
        await session.commit()
    async with make_session() as session:
        stmt = select(Author).options(selectinload(Author.books))
        loaded = (await session.scalars(stmt)).one()
        expected = Author("Ann", pen_name="A. N.")
        assert loaded != expected  # its id is 1, the new one's is not set
        expected.id = loaded.id
        assert loaded == expected  # books are compare=False
        assert [(b.title, b.pages) for b in loaded.books] == [("One", 100), ("Two", 7)]
        assert repr(loaded).startswith("Author(id=1, name='Ann', pen_name='A. N.', books=[")

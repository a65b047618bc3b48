"""Deferred columns and column loader options (``deferred=True``, ``deferred()``,
``defer()``, ``undefer()``, ``undefer_group()``, ``load_only()``), on every driver:
what the SELECT holds, what loads later (sync) and what async code is told."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import Column, Integer, String, Text, exc, select
from ferryman.orm import (
    DeclarativeBase,
    Mapped,
    defer,
    deferred,
    load_only,
    mapped_column,
    undefer,
    undefer_group,
)


class Base(DeclarativeBase):
    pass


class Article(Base):
    __tablename__ = "df_articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text, deferred=True)
    summary: Mapped[str | None] = mapped_column(Text, deferred=True, deferred_group="extra")
    notes: Mapped[str | None] = mapped_column(Text, deferred_group="extra")
    views = deferred(Column(Integer, default=0))


@pytest.fixture
async def articles(engine: Any, make_session: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with make_session() as session:
        session.add(Article(id=1, title="T", body="B" * 50, summary="S", notes="N", views=7))
        await session.commit()
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


def _selected(stmt: Any) -> str:
    return str(stmt).split(" FROM ")[0]


def test_what_the_select_holds() -> None:
    from ferryman.orm._loading import orm_compiled

    def sql(stmt: Any) -> str:
        context, _ = orm_compiled(stmt)
        return _selected(context.core)

    base = "SELECT df_articles.id, df_articles.title"
    assert sql(select(Article)) == base
    assert sql(select(Article).options(undefer(Article.body))) == base + ", df_articles.body"
    assert sql(select(Article).options(undefer_group("extra"))) == (
        base + ", df_articles.summary, df_articles.notes"
    )
    assert sql(select(Article).options(load_only(Article.views))) == (
        "SELECT df_articles.id, df_articles.views"
    )
    assert sql(select(Article).options(defer(Article.title))) == "SELECT df_articles.id"
    with pytest.raises(exc.ArgumentError, match="takes column attributes"):
        defer("title")
    with pytest.raises(exc.ArgumentError, match="one class"):

        class Other(Base):
            __tablename__ = "df_other"
            id: Mapped[int] = mapped_column(primary_key=True)

        load_only(Article.title, Other.id)
    with pytest.raises(exc.ArgumentError, match="primary key column can't be deferred"):

        class Broken(Base):
            __tablename__ = "df_broken"
            id: Mapped[int] = mapped_column(primary_key=True, deferred=True)


async def test_deferred_columns_load_when_read(
    articles: Any, make_session: Any, is_async: bool
) -> None:
    async with make_session() as session:
        article = (await session.scalars(select(Article))).one()
        assert "body" not in article.__dict__ and article.title == "T"
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError, match=r"undefer\(Article\.body\)"):
                article.body  # noqa: B018
            assert (
                await article.awaitable_attrs.body == "B" * 50
                if hasattr(article, "awaitable_attrs")
                else True
            )
            await session.refresh(article, ["summary"])
        else:
            assert article.body == "B" * 50  # one SELECT of the column, in sync code
            assert article.summary == "S"
            assert article.notes == "N"  # loaded with summary: the same group
        assert article.summary == "S"
        article.title = "T2"
        await session.commit()  # a change beside unloaded columns writes only itself
    async with make_session() as session:
        stmt = select(Article).options(undefer(Article.body), load_only(Article.title))
        article = (await session.scalars(stmt)).one()
        assert (article.title, article.body) == ("T2", "B" * 50)
        assert "views" not in article.__dict__
        grouped = (await session.scalars(select(Article).options(undefer_group("extra")))).one()
        assert grouped is article and (article.summary, article.notes) == ("S", "N")

"""``synonym()``, ``query_expression()`` with ``with_expression()``, and
``subqueryload()`` / ``lazy="subquery"``, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import ForeignKey, String, exc, select
from ferryman.orm import (
    DeclarativeBase,
    Mapped,
    mapped_column,
    query_expression,
    relationship,
    subqueryload,
    synonym,
    with_expression,
)


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "mo_teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    title = synonym("name")
    members: Mapped[list[Member]] = relationship(lazy="subquery", order_by="Member.id")


class Member(Base):
    __tablename__ = "mo_members"
    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("mo_teams.id"))
    points: Mapped[int]
    bonus: Mapped[int]
    score: Mapped[int | None] = query_expression()


@pytest.fixture
async def league(engine: Any, make_session: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with make_session() as session:
        session.add_all([Team(id=1, title="reds"), Team(id=2, name="blues")])
        await session.commit()
        session.add_all(
            [
                Member(id=1, team_id=1, points=3, bonus=1),
                Member(id=2, team_id=1, points=5, bonus=0),
                Member(id=3, team_id=2, points=1, bonus=9),
            ]
        )
        await session.commit()
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_synonyms_expressions_and_subquery_loading(league: Any, make_session: Any) -> None:
    async with make_session() as session:
        reds = (await session.scalars(select(Team).where(Team.title == "reds"))).one()
        assert reds.title == reds.name == "reds"  # a synonym reads and writes its target
        assert [m.id for m in reds.members] == [1, 2]  # lazy="subquery": loaded at once
        reds.title = "crimson"
        await session.commit()
    async with make_session() as session:
        plain = (await session.scalars(select(Member).order_by(Member.id))).all()
        assert [m.score for m in plain] == [None, None, None]  # no with_expression()
    async with make_session() as session:
        stmt = (
            select(Member)
            .options(with_expression(Member.score, Member.points * 2 + Member.bonus))
            .order_by(Member.id)
        )
        assert [m.score for m in (await session.scalars(stmt)).all()] == [7, 10, 11]
        teams = await session.scalars(
            select(Team).options(subqueryload(Team.members)).order_by(Team.id)
        )
        assert [(t.name, len(t.members)) for t in teams.all()] == [("crimson", 2), ("blues", 1)]
    with pytest.raises(exc.ArgumentError, match="query_expression"):
        with_expression(Member.points, Member.bonus)


async def test_bundles(league: Any, make_session: Any) -> None:
    from ferryman.orm import Bundle

    class Pair(Bundle):
        def make(self, values: Any) -> Any:
            return tuple(values)

    points = Bundle("points", Member.id, Member.points)
    async with make_session() as session:
        stmt = select(Team.name, points).join(Team.members).order_by(Member.id)
        rows = (await session.execute(stmt)).all()
        assert [(name, p.id, p.points) for name, p in rows] == [
            ("reds", 1, 3),
            ("reds", 2, 5),
            ("blues", 3, 1),
        ]
        assert rows[0]._fields == ("name", "points")
        mine = await session.scalars(
            select(Pair("p", Member.id, Member.bonus)).order_by(Member.id)
        )
        assert mine.all() == [(1, 1), (2, 0), (3, 9)]
        assert points.c.points is points.exprs[1]
    with pytest.raises(exc.ArgumentError, match="at least one column"):
        Bundle("empty")


async def test_loader_criteria(league: Any, make_session: Any) -> None:
    from ferryman.orm import selectinload, with_loader_criteria

    async with make_session() as session:
        strong = with_loader_criteria(Member, Member.points >= 3)
        members = await session.scalars(select(Member).options(strong).order_by(Member.id))
        assert [m.id for m in members.all()] == [1, 2]
        stmt = (
            select(Team)
            .options(
                selectinload(Team.members), with_loader_criteria(Member, lambda m: m.bonus > 0)
            )
            .order_by(Team.id)
            .execution_options(populate_existing=True)
        )
        teams = (await session.scalars(stmt)).all()
        assert [[m.id for m in t.members] for t in teams] == [[1], [3]]
    with pytest.raises(exc.ArgumentError, match="mapped class"):
        with_loader_criteria("Member", True)

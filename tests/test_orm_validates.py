"""``@validates``: values checked (or changed) as they are given, for columns,
many-to-one relationships and collections, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import ForeignKey, String, exc, select
from ferryman.orm import DeclarativeBase, Mapped, mapped_column, relationship, validates


class Base(DeclarativeBase):
    pass


class Team(Base):
    __tablename__ = "va_teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    players: Mapped[list[Player]] = relationship(back_populates="team")
    seen: list[tuple[str, bool]]

    @validates("name")
    def _name(self, key: str, value: str) -> str:
        return value.strip().title()

    @validates("players", include_removes=True)
    def _players(self, key: str, player: Player, is_remove: bool) -> Player:
        self.__dict__.setdefault("seen", []).append((player.name, is_remove))
        if not is_remove and len(self.players) >= 2:
            raise ValueError(f"{self.name} is full")
        return player


class Player(Base):
    __tablename__ = "va_players"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    email: Mapped[str] = mapped_column(String(80))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("va_teams.id"))
    team: Mapped[Team | None] = relationship(back_populates="players")

    @validates("email")
    def _email(self, key: str, value: str) -> str:
        if "@" not in value:
            raise ValueError(f"{value!r} is no email address")
        return value.lower()

    @validates("team", include_backrefs=False)
    def _team(self, key: str, team: Team | None) -> Team | None:
        if team is not None and team.name == "Closed":
            raise ValueError("that team takes nobody")
        return team


@pytest.fixture
async def league(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_values_are_checked_as_they_are_given(league: Any, make_session: Any) -> None:
    team = Team(name="  red lions ")
    assert team.name == "Red Lions"  # __init__ goes through the validator
    ann = Player(name="ann", email="ANN@X.ORG")
    assert ann.email == "ann@x.org"
    with pytest.raises(ValueError, match="no email address"):
        Player(name="bob", email="bob")
    team.players.append(ann)
    team.players.append(Player(name="cy", email="cy@x.org"))
    with pytest.raises(ValueError, match="Red Lions is full"):
        team.players.append(Player(name="dan", email="dan@x.org"))
    assert [p.name for p in team.players] == ["ann", "cy"]  # nothing half-added
    closed = Team(name="closed")
    with pytest.raises(ValueError, match="takes nobody"):
        ann.team = closed
    eve = Player(name="eve", email="eve@x.org")
    closed.players.append(eve)  # from the other side: include_backrefs=False skips it
    assert eve.team is closed

    async with make_session(expire_on_commit=False) as session:
        session.add_all([team, closed])
        await session.commit()
        ann.email = "Ann@Y.org"
        team.players.remove(ann)
        await session.commit()
        assert team.seen == [("ann", False), ("cy", False), ("dan", False), ("ann", True)]
    async with make_session() as session:
        rows = await session.execute(select(Player.name, Player.email).order_by(Player.name))
        assert rows.all() == [("ann", "ann@y.org"), ("cy", "cy@x.org"), ("eve", "eve@x.org")]
        loaded = (await session.scalars(select(Team).where(Team.name == "Red Lions"))).one()
        assert loaded.name == "Red Lions"  # loaded rows are not run through validators


def test_validates_needs_mapped_names() -> None:
    with pytest.raises(exc.ArgumentError, match="attribute names"):
        validates()
    with pytest.raises(exc.ArgumentError, match="no mapped attribute 'nickname'"):

        class Broken(Base):
            __tablename__ = "va_broken"
            id: Mapped[int] = mapped_column(primary_key=True)

            @validates("nickname")
            def _nickname(self, key: str, value: str) -> str:
                return value

"""User-style ORM code that must type-check under ``mypy --strict`` (checked by
tests/test_codebase.py): attribute types come from ``Mapped[...]``."""

from __future__ import annotations

import datetime
from typing import assert_type

from ferryman import ForeignKey, String, func, select
from ferryman.asyncio import AsyncSession, async_sessionmaker, create_async_engine
from ferryman.orm import DeclarativeBase, Mapped, Session, mapped_column, relationship


class Base(DeclarativeBase):
    pass


class Country(Base):
    __tablename__ = "countries"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    travelers: Mapped[list[Traveler]] = relationship(back_populates="destination")


class Traveler(Base):
    __tablename__ = "travelers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    nickname: Mapped[str | None]
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    destination_id: Mapped[int | None] = mapped_column(ForeignKey("countries.id"))
    destination: Mapped[Country | None] = relationship(back_populates="travelers")


def sync_code(session: Session) -> None:
    traveler = Traveler(name="Ada")
    assert_type(traveler.id, int)
    assert_type(traveler.nickname, str | None)
    assert_type(traveler.created_at, datetime.datetime)
    assert_type(traveler.destination, Country | None)
    assert_type(Country(name="x").travelers, list[Traveler])
    traveler.name = "Bea"
    session.add(traveler)
    stmt = select(Traveler).where(Traveler.name == "Ada", Traveler.id > 3)
    stmt = stmt.where(Traveler.name.like("A%")).order_by(Traveler.created_at.desc())
    session.execute(stmt)


async def async_code() -> None:
    engine = create_async_engine("sqlite+aiosqlite://")
    factory = async_sessionmaker(engine, expire_on_commit=False)
    async with factory() as session:
        assert_type(session, AsyncSession)
        await session.commit()

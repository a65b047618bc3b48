"""Models shared by the ORM tests: the issue's Country / Traveler flow, and a
User / Address / Profile set for relationships and cascades."""

from __future__ import annotations

import datetime
from typing import Any

from ferryman import Column, ForeignKey, Integer, String, func
from ferryman.orm import AsyncAttrs, DeclarativeBase, Mapped, mapped_column, relationship


class Base(AsyncAttrs, DeclarativeBase):
    pass


class Country(Base):
    __tablename__ = "orm_countries"
    id = Column(Integer, primary_key=True)
    name = Column(String(128), nullable=False)
    travelers = relationship("Traveler", back_populates="destination")


class Traveler(Base):
    __tablename__ = "orm_travelers"
    __mapper_args__ = {"eager_defaults": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    destination_id: Mapped[int | None] = mapped_column(ForeignKey("orm_countries.id"))
    destination: Mapped[Country | None] = relationship(back_populates="travelers")


class Note(Base):
    """Server defaults without eager_defaults."""

    __tablename__ = "orm_notes"
    __mapper_args__ = {"eager_defaults": False}
    id: Mapped[int] = mapped_column(primary_key=True)
    body: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())


class User(Base):
    __tablename__ = "orm_users"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    fullname: Mapped[str | None] = mapped_column(String(100))
    addresses: Mapped[list[Address]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="Address.email"
    )
    profile: Mapped[Profile | None] = relationship(back_populates="user", uselist=False)


class Address(Base):
    __tablename__ = "orm_addresses"
    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(100))
    user_id: Mapped[int] = mapped_column(ForeignKey("orm_users.id"))
    user: Mapped[User] = relationship(back_populates="addresses")


class Profile(Base):
    __tablename__ = "orm_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    bio: Mapped[str] = mapped_column(String(200), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("orm_users.id"), unique=True)
    user: Mapped[User | None] = relationship(back_populates="profile")


class Counter(Base):
    """A Python-side ``onupdate``: every UPDATE sets ``revision`` from ``next_revision``."""

    __tablename__ = "orm_counters"
    id: Mapped[int] = mapped_column(primary_key=True)
    value: Mapped[int] = mapped_column(default=0)
    revision: Mapped[str] = mapped_column(String(20), default="new", onupdate=lambda: "updated")
    step: Mapped[int | None]  # an integer column the database does not fill


async def create_tables(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)


async def drop_tables(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)

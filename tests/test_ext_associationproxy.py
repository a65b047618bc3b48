"""``ferryman.ext.associationproxy``: an attribute of related objects seen through a
relationship, on objects and in queries, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import ForeignKey, String, exc, select
from ferryman.ext.associationproxy import association_proxy
from ferryman.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload


class Base(DeclarativeBase):
    pass


class Cook(Base):
    __tablename__ = "ap_cooks"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    skills: Mapped[list[Skill]] = relationship(
        back_populates="cook", cascade="all, delete-orphan", order_by="Skill.id"
    )
    skill_names = association_proxy("skills", "name")
    kitchen_id: Mapped[int | None] = mapped_column(ForeignKey("ap_kitchens.id"))
    kitchen: Mapped[Kitchen | None] = relationship()
    kitchen_name = association_proxy(
        "kitchen", "name", creator=lambda name: Kitchen(name=name.upper())
    )


class Skill(Base):
    __tablename__ = "ap_skills"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    cook_id: Mapped[int] = mapped_column(ForeignKey("ap_cooks.id"))
    cook: Mapped[Cook] = relationship(back_populates="skills")


class Kitchen(Base):
    __tablename__ = "ap_kitchens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))


@pytest.fixture
async def kitchen(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_proxied_values(kitchen: Any, make_session: Any) -> None:
    ann = Cook(name="ann")
    ann.skill_names.append("bread")
    ann.skill_names.extend(["soup", "pie"])
    assert ann.skill_names == ["bread", "soup", "pie"] and "soup" in ann.skill_names
    assert [s.name for s in ann.skills] == ["bread", "soup", "pie"]  # the real objects
    ann.skill_names.remove("soup")
    ann.skill_names[0] = "sourdough"  # changes the related object's attribute
    ann.kitchen_name = "north"  # made by the creator
    bob = Cook(name="bob")
    bob.skill_names = ["grill"]
    async with make_session() as session:
        session.add_all([ann, bob])
        await session.commit()
    async with make_session() as session:
        stmt = select(Cook).options(selectinload(Cook.skills), selectinload(Cook.kitchen))
        cooks = {c.name: c for c in (await session.scalars(stmt)).all()}
        assert cooks["ann"].skill_names == ["sourdough", "pie"]
        assert cooks["ann"].kitchen_name == "NORTH" and cooks["bob"].kitchen_name is None
        cooks["ann"].kitchen_name = "south"  # an existing target: its attribute changes
        await session.commit()
    async with make_session() as session:
        bakers = select(Cook.name).where(Cook.skill_names.contains("pie"))
        assert (await session.scalars(bakers)).all() == ["ann"]
        grills = select(Cook.name).where(Cook.skill_names.any(name="grill"))
        assert (await session.scalars(grills)).all() == ["bob"]
        southern = select(Cook.name).where(Cook.kitchen_name == "south")
        assert (await session.scalars(southern)).all() == ["ann"]


def test_proxy_errors() -> None:
    with pytest.raises(exc.ArgumentError, match="is a collection"):
        Cook.skill_names == "x"  # noqa: B015
    with pytest.raises(exc.ArgumentError, match="takes name="):
        Cook.skill_names.any(level=3)

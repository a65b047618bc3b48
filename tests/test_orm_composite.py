"""``composite()``: several columns seen as one value object, on every driver."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from ferryman import exc, select
from ferryman.orm import DeclarativeBase, Mapped, composite, mapped_column


@dataclasses.dataclass
class Point:
    x: int
    y: int


class Size:
    """Not a dataclass: taken apart with __composite_values__()."""

    def __init__(self, w: int, h: int) -> None:
        self.w, self.h = w, h

    def __composite_values__(self) -> tuple[int, int]:
        return self.w, self.h

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Size) and (self.w, self.h) == (other.w, other.h)


class Base(DeclarativeBase):
    pass


class Box(Base):
    __tablename__ = "co_boxes"
    id: Mapped[int] = mapped_column(primary_key=True)
    x1: Mapped[int | None]
    y1: Mapped[int | None]
    w: Mapped[int] = mapped_column(default=1)
    h: Mapped[int] = mapped_column(default=1)
    corner = composite(Point, "x1", "y1")
    size = composite(Size, w, h)


@pytest.fixture
async def boxes(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_composites(boxes: Any, make_session: Any) -> None:
    box = Box(id=1, corner=Point(1, 2), size=Size(3, 4))
    assert (box.x1, box.y1, box.w, box.h) == (1, 2, 3, 4)
    empty = Box(id=2)
    assert empty.corner is None and empty.size is None  # defaults come with the INSERT
    async with make_session() as session:
        session.add_all([box, empty])
        await session.commit()
    async with make_session() as session:
        found = await session.scalars(select(Box).where(Box.corner == Point(1, 2)))
        loaded = found.one()
        assert loaded.corner == Point(1, 2) and loaded.size == Size(3, 4)
        loaded.corner = Point(5, 6)  # writes both columns
        await session.commit()
        nowhere = await session.scalars(select(Box.id).where(Box.corner == None))  # noqa: E711
        assert nowhere.all() == [2]
        moved = await session.scalars(select(Box.x1).where(Box.corner != Point(9, 9)))
        assert moved.all() == [5]
        assert (await session.get(Box, 2)).size == Size(1, 1)
    with pytest.raises(exc.ArgumentError, match="gives 3 values for 2 columns"):
        Box(corner=(1, 2, 3))

"""``column_property()``: attributes computed by SQL with the object's query (an
expression of its columns, a correlated subquery), deferred ones loading when read,
on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import ForeignKey, String, exc, func, select
from ferryman.orm import (
    DeclarativeBase,
    Mapped,
    column_property,
    mapped_column,
    undefer,
)


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "cp_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("cp_buyers.id"))
    amount: Mapped[int]


class Buyer(Base):
    __tablename__ = "cp_buyers"
    id: Mapped[int] = mapped_column(primary_key=True)
    first: Mapped[str] = mapped_column(String(30))
    last: Mapped[str] = mapped_column(String(30))
    fullname = column_property(first + " " + last)
    total = column_property(
        select(func.coalesce(func.sum(Order.amount), 0))
        .where(Order.buyer_id == id)
        .scalar_subquery(),
        deferred=True,
    )


@pytest.fixture
async def shop(engine: Any, make_session: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with make_session() as session:
        session.add_all([Buyer(id=1, first="Ann", last="Lee"), Buyer(id=2, first="Bo", last="Yu")])
        await session.commit()
        session.add_all([Order(buyer_id=1, amount=5), Order(buyer_id=1, amount=7)])
        await session.commit()
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_computed_attributes(shop: Any, make_session: Any, is_async: bool) -> None:
    async with make_session() as session:
        buyers = (await session.scalars(select(Buyer).order_by(Buyer.id))).all()
        assert [b.fullname for b in buyers] == ["Ann Lee", "Bo Yu"]  # with the query
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError, match=r"undefer\(Buyer\.total\)"):
                buyers[0].total  # noqa: B018
        else:
            assert buyers[0].total == 12  # deferred: loaded when read
        rich = select(Buyer.fullname).where(Buyer.total > 10)  # usable in SQL
        assert (await session.scalars(rich)).all() == ["Ann Lee"]
        ranked = select(Buyer.id).order_by(Buyer.fullname.desc())
        assert (await session.scalars(ranked)).all() == [2, 1]
        buyers[1].first = "Bob"  # the columns change; the expression is read-only SQL
        await session.commit()
    async with make_session() as session:
        stmt = select(Buyer).options(undefer(Buyer.total)).where(Buyer.id == 2)
        bob = (await session.scalars(stmt)).one()
        assert (bob.fullname, bob.total) == ("Bob Yu", 0)


def test_column_property_needs_sql() -> None:
    with pytest.raises(exc.ArgumentError, match="takes a SQL expression"):
        column_property("first || last")

"""Many new objects in one flush: every column type survives the batched INSERT
(multi-row VALUES on SQLite, one ``unnest`` INSERT on PostgreSQL), keys and server
defaults come back matched to the right objects, and a bad value is named."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

import pytest

from ferryman import JSON, Enum, LargeBinary, Numeric, String, exc, func, select
from ferryman.orm import DeclarativeBase, Mapped, mapped_column


class Mood(enum.Enum):
    HAPPY = "happy"
    SAD = "sad"


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "orm_bulk_things"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    price: Mapped[decimal.Decimal | None] = mapped_column(Numeric(12, 4))
    at: Mapped[datetime.datetime | None] = mapped_column(
        __import__("ferryman").DateTime(timezone=True)
    )
    day: Mapped[datetime.date | None]
    token: Mapped[uuid.UUID | None]
    flag: Mapped[bool | None]
    blob: Mapped[bytes | None] = mapped_column(LargeBinary)
    doc: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    mood: Mapped[Mood | None] = mapped_column(Enum(Mood, name="orm_bulk_mood"))
    label: Mapped[str | None] = mapped_column(Enum("a", "b", native_enum=False))
    created: Mapped[datetime.datetime] = mapped_column(server_default=func.now())


@pytest.fixture
async def things(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


def _thing(i: int) -> Thing:
    full = i % 3 != 0  # every third object leaves the optional columns NULL
    return Thing(
        name=f"thing {i} 'quoted' \N{SNOWMAN}",
        price=decimal.Decimal(f"{i}.1234") if full else None,
        at=datetime.datetime(2026, 1, 1, 12, i % 60, tzinfo=datetime.UTC) if full else None,
        day=datetime.date(2026, 1, 1 + i % 28) if full else None,
        token=uuid.UUID(int=i) if full else None,
        flag=(i % 2 == 0) if full else None,
        blob=bytes([i % 256, 0, 255]) if full else None,
        doc={"i": i, "tags": ["x", "y"], "nested": {"ok": True}} if full else None,
        mood=Mood.HAPPY if i % 2 else Mood.SAD,
        label="a" if full else None,
    )


async def test_many_objects_round_trip(things: Any, make_session: Any) -> None:
    made = [_thing(i) for i in range(250)]
    expected = {t.name: t for t in made}
    async with make_session(expire_on_commit=False) as session:
        session.add_all(made)
        await session.commit()
    ids = {t.id for t in made}
    assert len(ids) == 250
    assert all(isinstance(t.created, datetime.datetime) for t in made)
    async with make_session() as session:
        loaded = (await session.scalars(select(Thing))).all()
        assert len(loaded) == 250
        for thing in loaded:
            original = expected[thing.name]
            assert thing.id == original.id  # the key went to the object that has its row
            for key in ("price", "day", "token", "flag", "blob", "doc", "mood", "label"):
                assert getattr(thing, key) == getattr(original, key), key
            assert thing.at == original.at


async def test_bad_value_in_a_batch_names_the_column(things: Any, make_session: Any) -> None:
    async with make_session() as session:
        good, bad = _thing(1), _thing(2)
        bad.day = "not a date"  # type: ignore[assignment]
        session.add_all([good, bad])
        with pytest.raises(exc.StatementError, match="day"):
            await session.flush()
        assert good.id is None and bad.id is None


async def test_many_changed_objects(things: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add_all([_thing(i) for i in range(1, 40)])
        await session.commit()
    async with make_session() as session:
        loaded = (await session.scalars(select(Thing).order_by(Thing.id))).all()
        for thing in loaded:
            thing.price = decimal.Decimal("9.5000")
            thing.doc = {"changed": thing.id}
            thing.mood = Mood.SAD
            thing.day = None
        await session.commit()
    async with make_session() as session:
        again = (await session.scalars(select(Thing).order_by(Thing.id))).all()
        assert {t.price for t in again} == {decimal.Decimal("9.5000")}
        assert [t.doc for t in again] == [{"changed": t.id} for t in again]
        assert {t.mood for t in again} == {Mood.SAD} and {t.day for t in again} == {None}


async def test_update_of_a_row_deleted_meanwhile(things: Any, make_session: Any) -> None:
    from ferryman import text

    async with make_session() as session:
        session.add_all([_thing(1), _thing(2)])
        await session.commit()
    async with make_session() as session:
        first, second = (await session.scalars(select(Thing).order_by(Thing.id))).all()
        first.name, second.name = "one", "two"
        async with make_session() as other:
            await other.execute(
                text("DELETE FROM orm_bulk_things WHERE id = :i"), {"i": second.id}
            )
            await other.commit()
        with pytest.raises(exc.FlushError, match="matched 1 rows, expected 2"):
            await session.commit()


async def test_changes_to_many_objects_some_to_the_same_value(
    things: Any, make_session: Any
) -> None:
    """Objects changing one column each, one of them to the value it had (no UPDATE
    for that one), another to a value of another type that compares equal: every
    real change is written, whichever path the flush takes."""
    async with make_session() as session:
        session.add_all([Thing(name=f"t{i}", price=decimal.Decimal(i)) for i in range(6)])
        await session.commit()
    async with make_session(expire_on_commit=False) as session:
        objects = (await session.scalars(select(Thing).order_by(Thing.id))).all()
        for thing in objects:
            thing.name = thing.name + "!"
        objects[2].name = "t2"  # back to what it was: nothing to write for it
        await session.commit()
        objects[4].price = decimal.Decimal("4.0")  # equal to 4: no change
        objects[5].price = decimal.Decimal("5.5")
        await session.commit()
    async with make_session() as session:
        rows = await session.execute(select(Thing.name, Thing.price).order_by(Thing.id))
        assert [(n, float(p)) for n, p in rows.all()] == [
            ("t0!", 0.0),
            ("t1!", 1.0),
            ("t2", 2.0),
            ("t3!", 3.0),
            ("t4!", 4.0),
            ("t5!", 5.5),
        ]

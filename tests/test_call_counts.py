"""Python function calls per ORM operation, counted with cProfile on the sync SQLite
front end (deterministic, unlike timings). The budgets sit about 20% above today's
counts: a change that makes a hot path much more expensive fails here, and a change
that makes one cheaper should lower its budget."""

from __future__ import annotations

import cProfile
import pstats
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ferryman import ForeignKey, String, create_engine, func, select
from ferryman.orm import (
    DeclarativeBase,
    Mapped,
    Session,
    mapped_column,
    relationship,
    selectinload,
)


class Base(DeclarativeBase):
    pass


class Person(Base):
    __tablename__ = "cc_people"
    __mapper_args__ = {"eager_defaults": True}
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    age: Mapped[int]
    created: Mapped[str] = mapped_column(String(30), server_default=func.current_timestamp())
    pets: Mapped[list[Pet]] = relationship(back_populates="owner")


class Pet(Base):
    __tablename__ = "cc_pets"
    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("cc_people.id"))
    owner: Mapped[Person] = relationship(back_populates="pets")


N = 200


@pytest.fixture
def engine(tmp_path: Path) -> Any:
    engine = create_engine(f"sqlite:///{tmp_path / 'counts.db'}")
    with engine.begin() as conn:
        Base.metadata.create_all(conn)
    with Session(engine) as session:
        people = [Person(name=f"p{i}", age=i, pets=[Pet(), Pet()]) for i in range(N)]
        session.add_all(people)
        session.commit()
    yield engine
    engine.dispose()


def _calls(fn: Callable[[], Any]) -> int:
    fn()  # warm the caches first: the counts are for the steady state
    profile = cProfile.Profile()
    profile.enable()
    fn()
    profile.disable()
    return int(pstats.Stats(profile).total_calls)  # type: ignore[attr-defined]


def test_insert_per_object(engine: Any) -> None:
    def run() -> None:
        with Session(engine) as session:
            session.add_all([Person(name="x", age=1) for _ in range(N)])
            session.commit()

    assert _calls(run) / N <= 33


def test_load_per_object(engine: Any) -> None:
    def run() -> None:
        with Session(engine) as session:
            assert len(session.scalars(select(Person)).all()) >= N

    assert _calls(run) / N <= 5


def test_get_in_a_fresh_session(engine: Any) -> None:
    def run() -> None:
        for i in range(1, 51):
            with Session(engine) as session:
                session.get(Person, i)

    assert _calls(run) / 50 <= 113


def test_change_and_commit_per_object(engine: Any) -> None:
    def run() -> None:
        with Session(engine) as session:
            for person in session.scalars(select(Person).limit(N)):
                person.age += 1
            session.commit()

    assert _calls(run) / N <= 42


def test_selectinload_per_parent(engine: Any) -> None:
    def run() -> None:
        with Session(engine) as session:
            stmt = select(Person).options(selectinload(Person.pets)).limit(N)
            assert len(session.scalars(stmt).all()) == N

    assert _calls(run) / N <= 34

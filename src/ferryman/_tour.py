"""``ferryman tour``: a guided walk through async database access with ferryman.

Each step prints its own code (the body of its function below, exactly what
runs), then runs it: the engines log every statement (``echo=True``) and
``show()`` prints what came back. The steps, in the order a newcomer meets
them:

1. engines from URLs, sync and async, and a first ``text()`` query;
2. a mapped class whose ``created_at`` the database fills, in a sync ``Session``;
3. the same in an ``AsyncSession``: the error for an expired attribute, and its fixes;
4. a relationship: cascade, the error for a relationship nobody loaded, loader options;
5. schema changes from async code with ``run_sync``.

The tour makes its tables (``tour_countries``, ``tour_travelers``) and drops them
at the end.
"""

from __future__ import annotations

import datetime
import inspect
import os
import sys
import textwrap
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from . import ForeignKey, String, exc, func, select, text
from .asyncio import AsyncSession, create_async_engine
from .engine import create_engine
from .orm import (
    AsyncAttrs,
    DeclarativeBase,
    Mapped,
    Session,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
)

__all__ = ["STEPS", "Urls", "run"]


class Base(AsyncAttrs, DeclarativeBase):
    pass


class Country(Base):
    __tablename__ = "tour_countries"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    travelers: Mapped[list[Traveler]] = relationship(back_populates="country")


class Traveler(Base):
    __tablename__ = "tour_travelers"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    country_id: Mapped[int | None] = mapped_column(ForeignKey("tour_countries.id"))
    country: Mapped[Country | None] = relationship(back_populates="travelers")


@dataclass(frozen=True)
class Urls:
    """The database twice: for the sync engine and for the async one."""

    sync: str
    async_: str


# -- output ------------------------------------------------------------------------------

_COLORS = {"title": "1;36", "code": "33", "result": "32", "error": "31"}


def _colored() -> bool:
    """Colours on a terminal; plain text when piped, or with NO_COLOR set."""
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def _paint(kind: str, line: str) -> str:
    return f"\x1b[{_COLORS[kind]}m{line}\x1b[0m" if _colored() else line


def _say(kind: str, line: str) -> None:
    print(_paint(kind, line), flush=True)


def show(value: Any) -> None:
    """Print a result of the step's code."""
    _say("result", f"-> {value}")


def caught(error: Exception) -> None:
    """Print an error the step's code caught on purpose: its class and message."""
    _say("error", f"-> caught {type(error).__name__}: {error}")


def _code_of(step: Callable[..., Any]) -> str:
    """The body of a step function, without its ``def`` line and docstring."""
    lines = inspect.getsource(step).splitlines()
    body = lines[1:]
    doc = step.__doc__
    if doc is not None:
        ends = next(i for i, line in enumerate(body) if line.rstrip().endswith('"""'))
        body = body[ends + 1 :]
    return textwrap.dedent("\n".join(body)).strip("\n")


# -- the steps ---------------------------------------------------------------------------


async def step_1_engines(urls: Urls) -> None:
    """Engines from URLs: a sync one and an async one; text() runs SQL as written."""
    engine = create_engine(urls.sync, echo=True)
    with engine.connect() as conn:
        show(conn.execute(text("SELECT 'Hello'")).scalar())
    engine.dispose()

    async_engine = create_async_engine(urls.async_, echo=True)
    async with async_engine.connect() as conn:
        result = await conn.execute(text("SELECT 'Hello, async'"))
        show(result.scalar())
    await async_engine.dispose()


async def step_2_sync_session(urls: Urls) -> None:
    """A mapped class; the database fills created_at (server_default=func.now()).
    In sync code, reading an attribute that commit() expired loads it again."""
    engine = create_engine(urls.sync, echo=True)
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        ada = Traveler(name="Ada")
        session.add(ada)
        # one INSERT ... RETURNING: a statement is atomic on its own, so no BEGIN and
        # COMMIT around it; then commit() expires every attribute
        session.commit()
        show(ada.created_at)  # a SELECT loads it again
    engine.dispose()


async def step_3_async_session(urls: Urls) -> None:
    """The same in an AsyncSession. Async code never does I/O behind your back:
    reading an expired attribute raises, and the error names the fixes."""
    engine = create_async_engine(urls.async_, echo=True)
    async with AsyncSession(engine) as session:
        bob = Traveler(name="Bob")
        session.add(bob)
        await session.commit()
        try:
            show(bob.created_at)
        except exc.UnloadedAttributeError as error:
            caught(error)
        await session.refresh(bob)  # fix 1: load it now, with an explicit SELECT
        show(bob.created_at)

    # fix 2: the INSERT's RETURNING brought created_at back (eager_defaults, on
    # wherever the database has RETURNING): keep the values after commit
    async with AsyncSession(engine, expire_on_commit=False) as session:
        cleo = Traveler(name="Cleo")
        session.add(cleo)
        await session.commit()
        show(cleo.created_at)  # no SELECT
    await engine.dispose()


async def step_4_relationships(urls: Urls) -> None:
    """A relationship: adding a traveler adds her country (cascade). A relationship
    nobody loaded raises in async code; loader options load it with the query."""
    engine = create_async_engine(urls.async_, echo=True)
    async with AsyncSession(engine) as session:
        session.add(Traveler(name="Dora", country=Country(name="Norway")))
        await session.commit()  # two INSERTs: the country first

    async with AsyncSession(engine) as session:
        stmt = select(Traveler).where(Traveler.name == "Dora")
        dora = (await session.scalars(stmt)).one()
        show(dora)  # the repr says what is not loaded
        try:
            show(dora.country)
        except exc.UnloadedAttributeError as error:
            caught(error)
        dora = (await session.scalars(stmt.options(selectinload(Traveler.country)))).one()
        show(dora.country.name)  # loaded by a second SELECT ... WHERE id IN (...)
        result = await session.scalars(select(Country).options(joinedload(Country.travelers)))
        norway = result.unique().one()  # one SELECT with a LEFT OUTER JOIN
        show([traveler.name for traveler in norway.travelers])
    await engine.dispose()


async def step_5_run_sync(urls: Urls) -> None:
    """Sync helpers from async code: run_sync hands them a sync connection on the
    same transaction (here: the schema, made again)."""
    engine = create_async_engine(urls.async_, echo=True)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
        tables = await conn.run_sync(lambda sync_conn: sorted(Base.metadata.tables))
        show(tables)
    await engine.dispose()


STEPS: list[Callable[[Urls], Awaitable[None]]] = [
    step_1_engines,
    step_2_sync_session,
    step_3_async_session,
    step_4_relationships,
    step_5_run_sync,
]


# -- running -----------------------------------------------------------------------------


def _tables(urls: Urls, make: bool) -> None:
    """Make the tour's tables afresh (a step run on its own needs them), or drop them;
    quietly, outside the tour's output."""
    engine = create_engine(urls.sync)
    try:
        Base.metadata.drop_all(engine)
        if make:
            Base.metadata.create_all(engine)
    finally:
        engine.dispose()


async def run(urls: Urls, only: int | None = None) -> None:
    """Run every step, or only step ``only`` (1-based)."""
    if only is not None and not 1 <= only <= len(STEPS):
        raise exc.ArgumentError(f"--step takes 1 to {len(STEPS)}, not {only}")
    chosen = range(len(STEPS)) if only is None else [only - 1]
    _tables(urls, make=only is not None and only > 2)
    try:
        for index in chosen:
            step = STEPS[index]
            print(flush=True)
            _say("title", f"== Step {index + 1} of {len(STEPS)} ==")
            for line in inspect.cleandoc(step.__doc__ or "").splitlines():
                _say("title", line)
            print(flush=True)
            for line in _code_of(step).splitlines():
                _say("code", f"    {line}")
            print(flush=True)
            await step(urls)
    finally:
        _tables(urls, make=False)

"""Soak: many tasks doing mixed ORM reads and writes for a while on a small pool.

    python bench/soak.py                        # 50 tasks, 60 s, pool of 10, asyncpg and psycopg
    python bench/soak.py --seconds 10 --tasks 20

Each task loops over short units of work, each in its own ``AsyncSession``: a
``get()``, a filtered ``select`` of 20 rows, a change committed, an insert, and now
and then a delete. The run fails (exit 1) on any error, on a connection left
checked out, or on memory that keeps growing (the resident size sampled after a
quarter of the run and at its end). It prints throughput (units of work per
second) per driver.

Not part of the package; nothing in ``src/`` imports it.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import sys
import time
from dataclasses import dataclass, field

from ferryman import Integer, String, delete, select
from ferryman.asyncio import async_sessionmaker, create_async_engine
from ferryman.orm import DeclarativeBase, Mapped, mapped_column

DEFAULT_PG_URL = "postgresql://root@127.0.0.1:5432/test"
ROWS = 1_000
GROWTH_LIMIT = 32 * 2**20  # bytes of resident memory the second part of a run may add


class Base(DeclarativeBase):
    pass


class Item(Base):
    __tablename__ = "soak_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    hits: Mapped[int] = mapped_column(Integer, default=0)


def _rss() -> int:
    """Resident memory of this process, in bytes (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@dataclass
class Outcome:
    driver: str
    units: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)
    leaked: int = 0
    growth: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors and not self.leaked and self.growth < GROWTH_LIMIT


async def soak(url: str, driver: str, seconds: float, tasks: int, pool: int) -> Outcome:
    """Run the soak on ``url`` (an async URL); the table is made and dropped here."""
    engine = create_async_engine(url, pool_size=pool, max_overflow=0, pool_timeout=30)
    outcome = Outcome(driver)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
            await conn.run_sync(Base.metadata.create_all)
        Sessions = async_sessionmaker(engine, expire_on_commit=False)
        async with Sessions() as session:
            session.add_all([Item(name=f"item {i}") for i in range(ROWS)])
            await session.commit()
        deadline = time.monotonic() + seconds
        samples: dict[str, int] = {}

        async def worker(seed: int) -> None:
            rng = random.Random(seed)
            while time.monotonic() < deadline:
                try:
                    async with Sessions() as session:
                        one = await session.get(Item, rng.randint(1, ROWS))
                        low = rng.randint(1, ROWS)
                        stmt = select(Item).where(Item.id >= low).order_by(Item.id).limit(20)
                        some = (await session.scalars(stmt)).all()
                        if one is not None:
                            one.hits += 1
                        if some:
                            some[0].name = f"seen by {seed}"
                        session.add(Item(name=f"new from {seed}"))
                        await session.commit()
                        if rng.random() < 0.1:
                            await session.execute(
                                delete(Item).where(Item.name == f"new from {seed}")
                            )
                            await session.commit()
                    outcome.units += 1
                except Exception as error:  # every error counts: the run must have none
                    outcome.errors.append(f"{type(error).__name__}: {error}"[:200])
                    return

        async def sampler() -> None:
            await asyncio.sleep(seconds / 4)
            samples["early"] = _rss()

        started = time.monotonic()
        await asyncio.gather(sampler(), *(worker(seed) for seed in range(tasks)))
        outcome.seconds = time.monotonic() - started
        outcome.growth = _rss() - samples.get("early", _rss())
        outcome.leaked = engine.pool.checkedout()
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)
    finally:
        await engine.dispose()
    return outcome


def _pg(url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + url.split("://", 1)[1]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument(
        "--pg-url", default=os.environ.get("FERRYMAN_BENCH_PG_URL", DEFAULT_PG_URL)
    )
    args = parser.parse_args(argv)
    outcomes: list[Outcome] = []
    for driver in ("asyncpg", "psycopg_async"):
        outcome = asyncio.run(
            soak(_pg(args.pg_url, driver), driver, args.seconds, args.tasks, args.pool)
        )
        outcomes.append(outcome)
    print(
        f"soak: {args.tasks} tasks, pool of {args.pool}, {args.seconds:g} s per driver "
        "(a unit of work: get, select 20, change, insert, commit; 1 in 10 a delete)"
    )
    print(
        f"{'driver':<16}{'units':>10}{'units/s':>10}{'errors':>8}{'leaked':>8}{'RSS growth':>12}"
    )
    for o in outcomes:
        print(
            f"{o.driver:<16}{o.units:>10}{o.units / o.seconds:>10.0f}{len(o.errors):>8}"
            f"{o.leaked:>8}{o.growth / 2**20:>10.1f} MB"
        )
        for error in o.errors[:3]:
            print(f"    {error}")
    return 0 if all(o.ok for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())

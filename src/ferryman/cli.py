"""The ``ferryman`` command: ``ferryman tour`` walks through the core API.

The tour runs on an embedded SQLite database in a temporary folder: no
server, nothing to configure. ``--url`` runs it against another database.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from . import __version__, exc, text
from .asyncio import create_async_engine
from .engine import create_engine


def _step(title: str) -> None:
    print(f"\n== {title} ==", flush=True)


def _sync_part(url: str) -> None:
    _step("1. A sync engine from a URL; the first statement begins a transaction")
    engine = create_engine(url, echo=True)
    with engine.connect() as conn:
        print("->", conn.execute(text("SELECT 'Hello'")).scalar(), flush=True)

    _step("2. engine.begin(): a transaction committed at the end of the block")
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS travelers")
        conn.execute(
            text("CREATE TABLE travelers (id INTEGER PRIMARY KEY, name VARCHAR(50), km INTEGER)")
        )
        conn.execute(
            text("INSERT INTO travelers (id, name, km) VALUES (:id, :name, :km)"),
            [{"id": 1, "name": "Ada", "km": 120}, {"id": 2, "name": "Grace", "km": 80}],
        )

    _step("3. A savepoint rolled back on error; the outer transaction goes on")
    with engine.begin() as conn:
        try:
            with conn.begin_nested():
                conn.execute(text("INSERT INTO travelers (id, name) VALUES (1, 'Dup')"))
        except exc.IntegrityError as err:
            print("-> caught IntegrityError:", err.orig, flush=True)
        rows = conn.execute(text("SELECT id, name, km FROM travelers ORDER BY id")).all()
        print("->", [(row.id, row.name, row.km) for row in rows], flush=True)
    engine.dispose()


async def _async_part(url: str) -> None:
    _step("4. The same with an AsyncEngine: await execute(), async with begin()")
    engine = create_async_engine(url, echo=True)
    async with engine.begin() as conn:
        result = await conn.execute(
            text("SELECT name FROM travelers WHERE km > :km ORDER BY name"), {"km": 100}
        )
        print("->", result.scalars().all(), flush=True)

    _step("5. Streaming rows as they come, and run_sync for sync helpers")
    async with engine.connect() as conn:
        stream = await conn.stream(text("SELECT id, name FROM travelers ORDER BY id"))
        async for row in stream:
            print("-> streamed", tuple(row), flush=True)
        count = await conn.run_sync(
            lambda sync_conn: sync_conn.execute(text("SELECT count(*) FROM travelers")).scalar()
        )
        print("-> counted in run_sync:", count, flush=True)
    await engine.dispose()


def tour(url: str | None) -> int:
    with tempfile.TemporaryDirectory() as folder:
        if url is None:
            path = Path(folder) / "tour.db"
            sync_url, async_url = f"sqlite:///{path}", f"sqlite+aiosqlite:///{path}"
        else:
            sync_url = async_url = url
            if "+asyncpg" in url or "+aiosqlite" in url or "+psycopg_async" in url:
                sync_url = (
                    url.replace("+asyncpg", "+psycopg")
                    .replace("+aiosqlite", "")
                    .replace("+psycopg_async", "+psycopg")
                )
        print(f"ferryman {__version__} tour on {sync_url}", flush=True)
        _sync_part(sync_url)
        asyncio.run(_async_part(async_url))
    print("\nDone.", flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ferryman", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ferryman {__version__}")
    commands = parser.add_subparsers(dest="command")
    tour_parser = commands.add_parser("tour", help="a guided walk through ferryman")
    tour_parser.add_argument("--url", help="database URL (default: SQLite in a temp folder)")
    args = parser.parse_args(argv)
    if args.command != "tour":
        parser.print_help()
        return 0
    try:
        return tour(args.url)
    except exc.FerrymanError as err:
        print(f"ferryman: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

"""The ``ferryman`` command: ``ferryman tour`` walks through async database access
with ferryman (see ``_tour``).

The tour runs on an embedded SQLite database in a temporary folder: no
server, nothing to configure. ``--url`` runs it against another database (given
with either its sync or its async driver), ``--step N`` runs one step.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

from . import __version__, exc


def tour(url: str | None, step: int | None = None) -> int:
    """Run the tour (see ``ferryman._tour``) on ``url``, or on SQLite in a temporary
    folder."""
    from ._tour import Urls, run

    with tempfile.TemporaryDirectory() as folder:
        if url is None:
            path = Path(folder) / "tour.db"
            urls = Urls(f"sqlite:///{path}", f"sqlite+aiosqlite:///{path}")
        else:
            urls = Urls(_sync_twin(url), _async_twin(url))
        print(f"ferryman {__version__} tour on {urls.async_}", flush=True)
        asyncio.run(run(urls, step))
    print("\nDone.", flush=True)
    return 0


def _sync_twin(url: str) -> str:
    """The URL of the same database for the sync engine."""
    for driver, sync in (("+asyncpg", "+psycopg"), ("+psycopg_async", "+psycopg")):
        url = url.replace(driver, sync)
    return url.replace("+aiosqlite", "")


def _async_twin(url: str) -> str:
    """The URL of the same database for the async engine."""
    scheme, sep, rest = url.partition("://")
    if scheme in ("sqlite",):
        return f"sqlite+aiosqlite{sep}{rest}"
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+asyncpg{sep}{rest}"
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ferryman", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ferryman {__version__}")
    commands = parser.add_subparsers(dest="command")
    tour_parser = commands.add_parser("tour", help="a guided walk through ferryman")
    tour_parser.add_argument("--url", help="database URL (default: SQLite in a temp folder)")
    tour_parser.add_argument("--step", type=int, help="run only this step (1 to 5)")
    args = parser.parse_args(argv)
    if args.command != "tour":
        parser.print_help()
        return 0
    try:
        return tour(args.url, args.step)
    except exc.FerrymanError as err:
        reason = " ".join(str(err).split())  # one line, whatever the driver wrote
        print(f"ferryman: {reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

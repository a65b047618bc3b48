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
from typing import Any

from . import __version__, exc
from .types import NullType


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


def inspect_database(url: str) -> int:
    """Print the tables (and views) of the database at ``url``: columns, types, keys
    and indexes."""
    from . import inspect
    from .engine import create_engine

    engine = create_engine(_sync_twin(url))
    try:
        with engine.connect() as conn:
            inspector = inspect(conn)
            dialect = conn.dialect.name
            tables = inspector.get_table_names()
            views = inspector.get_view_names()
            print(f"{url}: {len(tables)} table(s), {len(views)} view(s)")
            for kind, names in (("table", tables), ("view", views)):
                for name in names:
                    _print_table(inspector, dialect, kind, name)
    finally:
        engine.dispose()
    return 0


def _print_table(inspector: Any, dialect: str, kind: str, name: str) -> None:
    print(f"\n{kind} {name}")
    columns = inspector.get_columns(name)
    width = max(len(column["name"]) for column in columns)
    for column in columns:
        type_ = column["type"]
        # a type ferryman does not know (or an untyped SQLite column) reads as NullType
        type_name = "(unknown type)" if isinstance(type_, NullType) else type_.ddl(dialect)
        parts = [f"  {column['name']:<{width}}  {type_name}"]
        parts.append("NULL" if column["nullable"] else "NOT NULL")
        if column["primary_key"]:
            parts.append("PRIMARY KEY")
        if column["default"] is not None:
            parts.append(f"DEFAULT {column['default']}")
        print("  ".join(parts))
    if kind == "view":
        return
    for fk in inspector.get_foreign_keys(name):
        print(
            f"  foreign key ({', '.join(fk['constrained_columns'])}) -> "
            f"{fk['referred_table']} ({', '.join(fk['referred_columns'])})"
            + "".join(f" ON {key[2:].upper()} {value}" for key, value in fk["options"].items())
        )
    for index in inspector.get_indexes(name):
        unique = "unique " if index["unique"] else ""
        print(f"  {unique}index {index['name']} ({', '.join(index['column_names'])})")


def _sync_twin(url: str) -> str:
    """The URL of the same database for the sync engine."""
    pairs = (("+asyncpg", "+psycopg"), ("+psycopg_async", "+psycopg"), ("+asyncmy", "+pymysql"))
    for driver, sync in pairs:
        url = url.replace(driver, sync)
    return url.replace("+aiosqlite", "")


def _async_twin(url: str) -> str:
    """The URL of the same database for the async engine."""
    scheme, sep, rest = url.partition("://")
    if scheme in ("sqlite",):
        return f"sqlite+aiosqlite{sep}{rest}"
    if scheme in ("postgresql", "postgres", "postgresql+psycopg"):
        return f"postgresql+asyncpg{sep}{rest}"
    if scheme in ("mysql", "mariadb", "mysql+pymysql", "mariadb+pymysql"):
        return f"{scheme.split('+')[0]}+asyncmy{sep}{rest}"
    return url


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ferryman", description=__doc__.splitlines()[0])
    parser.add_argument("--version", action="version", version=f"ferryman {__version__}")
    commands = parser.add_subparsers(dest="command")
    tour_parser = commands.add_parser("tour", help="a guided walk through ferryman")
    tour_parser.add_argument("--url", help="database URL (default: SQLite in a temp folder)")
    tour_parser.add_argument("--step", type=int, help="run only this step (1 to 5)")
    inspect_parser = commands.add_parser(
        "inspect", help="the tables, columns, types, keys and indexes of a database"
    )
    inspect_parser.add_argument("url", help="database URL (sync or async driver)")
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        if args.command == "inspect":
            return inspect_database(args.url)
        return tour(args.url, args.step)
    except exc.FerrymanError as err:
        reason = " ".join(str(err).split())  # one line, whatever the driver wrote
        print(f"ferryman: {reason}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())

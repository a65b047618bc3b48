"""Core benchmark: ferryman vs the raw driver vs SQLAlchemy Core, per driver stack.

Run ``python bench/core.py --help``; ``bench/README.md`` explains the output.

Theory of operation:

* A *stack* is one driver used three ways: raw (the driver's own API, in its
  fastest idiomatic form), ferryman Core and SQLAlchemy Core. The drivers:
  asyncpg and psycopg (sync and async) on PostgreSQL, sqlite3 and aiosqlite,
  asyncmy and pymysql on MariaDB. The ferryman
  and SQLAlchemy implementations are one class (``CoreSync`` /
  ``CoreAsync``) given either library's ``create_engine`` and ``text``, so
  they run exactly the same code.
* Workloads: W1 single-row parametrized selects on one connection, W2 one
  select fetching every row of a table into a list, W3 one executemany insert
  into an empty table, committed.
* Connections are opened, and every statement run once (warm-up: prepared
  statements, compiled caches), before anything is timed. A timed cell
  covers the workload only: table truncation, checks of what came back and
  ending read transactions happen outside it, with the garbage collector
  off (as ``timeit`` does).
* Cells are interleaved (raw, ferryman, SQLAlchemy, then ferryman,
  SQLAlchemy, raw, ...: the order rotates each repeat) so that drift on a
  shared machine hits all three alike, and each reports its best of
  ``--repeat`` runs.
* For the sqlite3 stack, W1 is also run under ``cProfile`` to count function
  calls per query: unlike time, that count is deterministic (STYLE.md, 15).

This script is not part of the package and nothing in ``src/`` imports it;
SQLAlchemy is a bench-only dependency (``pip install 'ferryman[bench]'``).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import importlib.metadata
import os
import platform
import pstats
import re
import shutil
import sqlite3
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite
import asyncmy
import asyncpg
import psycopg
import pymysql

import ferryman
import ferryman.asyncio
from _mariadb import DEFAULT_MYSQL_URL, AdminConnection, connect_args, with_driver
from _timing import call as _call
from _timing import timed as _timed

try:
    import sqlalchemy
    import sqlalchemy.ext.asyncio
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("bench/core.py compares against SQLAlchemy: pip install 'ferryman[bench]'")

SELECT_ONE = "SELECT id, name, email, age FROM bench_users WHERE id = :id"
SELECT_ALL = "SELECT id, name, email, age, created_at FROM bench_users"
INSERT = "INSERT INTO bench_users_insert (id, name, email, age) VALUES (:id, :name, :email, :age)"
TABLES = ("bench_users", "bench_users_insert")
DDL = (
    "CREATE TABLE {table} (id integer primary key, name varchar(50), email varchar(100), "
    "age integer, created_at {stamp} default {now})"
)
DEFAULT_PG_URL = "postgresql://root@127.0.0.1:5432/test"
SLOW_RATIO = 1.2  # ferryman/raw above this is marked in the tables


@dataclass(frozen=True)
class Sizes:
    selects: int  # W1: number of single-row selects
    rows: int  # W2: rows in bench_users, all fetched
    inserts: int  # W3: rows in the executemany


FULL = Sizes(selects=5_000, rows=10_000, inserts=10_000)
QUICK = Sizes(selects=500, rows=1_000, inserts=1_000)
WARMUP = 20  # selects / inserted rows in the untimed warm-up
STATEMENT_CACHE = 64  # raw asyncmy: prepared statements kept per connection


def driver_sql(sql: str, paramstyle: str) -> str:
    """``:name`` binds as the raw driver writes them (``$1``, ``%s``, ``?``)."""
    counter = iter(range(1, 1000))
    marks = {"numeric_dollar": lambda: f"${next(counter)}", "format": lambda: "%s"}
    mark = marks.get(paramstyle, lambda: "?")
    return re.sub(r":(\w+)", lambda _match: mark(), sql)


def user_rows(count: int) -> list[dict[str, Any]]:
    return [
        {"id": i, "name": f"user {i}", "email": f"user{i}@example.com", "age": 20 + i % 60}
        for i in range(1, count + 1)
    ]


def as_tuples(rows: Sequence[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [(r["id"], r["name"], r["email"], r["age"]) for r in rows]


# -- raw driver implementations ---------------------------------------------------------------


class RawAsyncpg:
    label = "asyncpg"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.select_one = driver_sql(SELECT_ONE, "numeric_dollar")
        self.select_all = SELECT_ALL
        self.insert = driver_sql(INSERT, "numeric_dollar")

    async def open(self) -> None:
        self.conn = await asyncpg.connect(self.dsn)

    async def w1(self, ids: Sequence[int]) -> int:
        found = 0
        for i in ids:
            row = await self.conn.fetchrow(self.select_one, i)
            found += row is not None
        return found

    async def w2(self) -> list[Any]:
        return await self.conn.fetch(self.select_all)

    async def w3(self, rows: list[dict[str, Any]], tuples: list[tuple[Any, ...]]) -> None:
        async with self.conn.transaction():
            await self.conn.executemany(self.insert, tuples)

    async def end(self) -> None:
        pass

    async def close(self) -> None:
        await self.conn.close()


class RawPsycopg:
    label = "psycopg"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn
        self.select_one = driver_sql(SELECT_ONE, "format")
        self.select_all = SELECT_ALL
        self.insert = driver_sql(INSERT, "format")

    def open(self) -> None:
        self.conn = psycopg.connect(self.dsn)
        self.cur = self.conn.cursor()

    def w1(self, ids: Sequence[int]) -> int:
        cur, found = self.cur, 0
        for i in ids:
            cur.execute(self.select_one, (i,))
            found += cur.fetchone() is not None
        return found

    def w2(self) -> list[Any]:
        self.cur.execute(self.select_all)
        return self.cur.fetchall()

    def w3(self, rows: list[dict[str, Any]], tuples: list[tuple[Any, ...]]) -> None:
        self.cur.executemany(self.insert, tuples)
        self.conn.commit()

    def end(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()


class RawPsycopgAsync(RawPsycopg):
    label = "psycopg AsyncConnection"

    async def open(self) -> None:
        self.conn = await psycopg.AsyncConnection.connect(self.dsn)
        self.cur = self.conn.cursor()

    async def w1(self, ids: Sequence[int]) -> int:
        cur, found = self.cur, 0
        for i in ids:
            await cur.execute(self.select_one, (i,))
            found += await cur.fetchone() is not None
        return found

    async def w2(self) -> list[Any]:
        await self.cur.execute(self.select_all)
        return await self.cur.fetchall()

    async def w3(self, rows: list[dict[str, Any]], tuples: list[tuple[Any, ...]]) -> None:
        await self.cur.executemany(self.insert, tuples)
        await self.conn.commit()

    async def end(self) -> None:
        await self.conn.rollback()

    async def close(self) -> None:
        await self.conn.close()


class RawSqlite3:
    label = "sqlite3"

    def __init__(self, path: str) -> None:
        self.path = path
        self.select_one = driver_sql(SELECT_ONE, "qmark")
        self.select_all = SELECT_ALL
        self.insert = driver_sql(INSERT, "qmark")

    def open(self) -> None:
        self.conn = sqlite3.connect(self.path, isolation_level=None)

    def w1(self, ids: Sequence[int]) -> int:
        # One read transaction, as ferryman's autobegin sends: without it SQLite takes
        # and drops the file lock around every statement (~6 us each on a file).
        if not self.conn.in_transaction:
            self.conn.execute("BEGIN")
        found = 0
        for i in ids:
            found += self.conn.execute(self.select_one, (i,)).fetchone() is not None
        return found

    def w2(self) -> list[Any]:
        self.conn.execute("BEGIN")
        return self.conn.execute(self.select_all).fetchall()

    def w3(self, rows: list[dict[str, Any]], tuples: list[tuple[Any, ...]]) -> None:
        self.conn.execute("BEGIN")
        self.conn.executemany(self.insert, tuples)
        self.conn.execute("COMMIT")

    def end(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


class RawAiosqlite(RawSqlite3):
    label = "aiosqlite"

    async def open(self) -> None:
        self.conn = await aiosqlite.connect(self.path, isolation_level=None)

    async def w1(self, ids: Sequence[int]) -> int:
        # execute_fetchall: one hop to aiosqlite's thread per query (execute + fetch).
        if not self.conn.in_transaction:
            await self.conn.execute("BEGIN")
        found = 0
        for i in ids:
            rows = await self.conn.execute_fetchall(self.select_one, (i,))
            found += bool(rows)
        return found

    async def w2(self) -> list[Any]:
        await self.conn.execute("BEGIN")
        return list(await self.conn.execute_fetchall(self.select_all))

    async def w3(self, rows: list[dict[str, Any]], tuples: list[tuple[Any, ...]]) -> None:
        await self.conn.execute("BEGIN")
        await self.conn.executemany(self.insert, tuples)
        await self.conn.execute("COMMIT")

    async def end(self) -> None:
        if self.conn.in_transaction:
            await self.conn.execute("ROLLBACK")

    async def close(self) -> None:
        await self.conn.close()


class RawPymysql(RawPsycopg):
    """pymysql as its users write it: the default mode (not autocommit: the first
    statement opens a transaction on the server, with no round trip of its own),
    one cursor, ``executemany`` (which pymysql sends as multi-row ``INSERT``s) and
    ``commit()``: the psycopg code, the same DB-API calls. pymysql has no prepared
    statements: everything goes as text. ``dsn`` is the MariaDB URL."""

    label = "pymysql"

    def open(self) -> None:
        self.conn = pymysql.connect(**connect_args(self.dsn))
        self.cur = self.conn.cursor()


class RawAsyncmy(RawPsycopgAsync):
    """asyncmy, pymysql's API with ``await`` (the psycopg async code, the same DB-API
    calls), at its fastest: the connection's statement cache on
    (``stmt_cache_size``), so that every statement with parameters runs as a
    server-side prepared statement (binary parameters and rows; W2 passes ``()`` so
    that it is one too), and the executemany goes to MariaDB as one
    ``COM_STMT_BULK_EXECUTE``. ``dsn`` is the MariaDB URL."""

    label = "asyncmy"

    async def open(self) -> None:
        self.conn = await asyncmy.connect(
            **connect_args(self.dsn), stmt_cache_size=STATEMENT_CACHE
        )
        self.cur = self.conn.cursor()

    async def w2(self) -> list[Any]:
        await self.cur.execute(self.select_all, ())
        return await self.cur.fetchall()

    async def close(self) -> None:
        await self.conn.ensure_closed()


# -- ferryman and SQLAlchemy: one implementation, two libraries ---------------------------------


class CoreSync:
    """SQLAlchemy 2.0-style Core code; ``lib`` is ``ferryman`` or ``sqlalchemy``."""

    def __init__(self, lib: Any, url: str) -> None:
        self.lib = lib
        self.url = url
        name = "SQLAlchemy" if lib is sqlalchemy else "ferryman"
        self.label = f"{name} {url.split('://')[0]}"
        self.select_one = lib.text(SELECT_ONE)
        self.select_all = lib.text(SELECT_ALL)
        self.insert = lib.text(INSERT)
        self.users = lib.Table(
            "bench_users",
            lib.MetaData(),
            lib.Column("id", lib.Integer, primary_key=True),
            lib.Column("name", lib.String(50)),
            lib.Column("email", lib.String(100)),
            lib.Column("age", lib.Integer),
        )

    def open(self) -> None:
        self.engine = self.lib.create_engine(self.url)
        self.conn = self.engine.connect()

    def w1(self, ids: Sequence[int]) -> int:
        conn, found = self.conn, 0
        for i in ids:
            found += conn.execute(self.select_one, {"id": i}).first() is not None
        return found

    def w2(self) -> list[Any]:
        return self.conn.execute(self.select_all).all()

    def w4(self, ids: Sequence[int]) -> int:
        """W1 written with select(): a new statement object per query, as apps do."""
        conn, users, found = self.conn, self.users, 0
        select, columns = self.lib.select, (users.c.id, users.c.name, users.c.email, users.c.age)
        for i in ids:
            found += conn.execute(select(*columns).where(users.c.id == i)).first() is not None
        return found

    def w3(self, rows: list[dict[str, Any]], tuples: list[tuple[Any, ...]]) -> None:
        self.conn.execute(self.insert, rows)
        self.conn.commit()

    def end(self) -> None:
        self.conn.rollback()

    def close(self) -> None:
        self.conn.close()
        self.engine.dispose()


class CoreAsync(CoreSync):
    def __init__(self, lib: Any, create_async_engine: Callable[..., Any], url: str) -> None:
        super().__init__(lib, url)
        self.create_async_engine = create_async_engine

    async def open(self) -> None:
        self.engine = self.create_async_engine(self.url)
        self.conn = await self.engine.connect().__aenter__()

    async def w1(self, ids: Sequence[int]) -> int:
        conn, found = self.conn, 0
        for i in ids:
            result = await conn.execute(self.select_one, {"id": i})
            found += result.first() is not None
        return found

    async def w2(self) -> list[Any]:
        result = await self.conn.execute(self.select_all)
        return result.all()

    async def w4(self, ids: Sequence[int]) -> int:
        conn, users, found = self.conn, self.users, 0
        select, columns = self.lib.select, (users.c.id, users.c.name, users.c.email, users.c.age)
        for i in ids:
            result = await conn.execute(select(*columns).where(users.c.id == i))
            found += result.first() is not None
        return found

    async def w3(self, rows: list[dict[str, Any]], tuples: list[tuple[Any, ...]]) -> None:
        await self.conn.execute(self.insert, rows)
        await self.conn.commit()

    async def end(self) -> None:
        await self.conn.rollback()

    async def close(self) -> None:
        await self.conn.close()
        await self.engine.dispose()


for _raw in (
    RawAsyncpg,
    RawPsycopg,
    RawPsycopgAsync,
    RawSqlite3,
    RawAiosqlite,
    RawPymysql,
    RawAsyncmy,
):
    _raw.w4 = _raw.w1  # type: ignore[attr-defined]  # the raw driver runs the same SQL


# -- stacks: which driver, which database, how to reset it ------------------------------------


class Admin:
    """A side connection (autocommit) for schema, truncation and checks; never timed."""

    def __init__(self, kind: str, target: str) -> None:
        self.kind = kind
        if kind == "postgresql":
            self.conn: Any = psycopg.connect(target, autocommit=True)
        elif kind == "mysql":
            self.conn = AdminConnection(target)
        else:
            self.conn = sqlite3.connect(target, isolation_level=None)

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def setup(self, rows: list[dict[str, Any]]) -> None:
        # PostgreSQL's timestamp (without time zone) is MariaDB's datetime.
        now = "now()" if self.kind == "postgresql" else "CURRENT_TIMESTAMP"
        stamp = "datetime" if self.kind == "mysql" else "timestamp"
        for table in TABLES:
            self.run(f"DROP TABLE IF EXISTS {table}")
            self.run(DDL.format(table=table, stamp=stamp, now=now))
        style = "qmark" if self.kind == "sqlite" else "format"
        seed = driver_sql(INSERT.replace("bench_users_insert", "bench_users"), style)
        if self.kind == "postgresql":
            with self.conn.cursor() as cur:
                cur.executemany(seed, as_tuples(rows))
        elif self.kind == "mysql":
            self.conn.executemany(seed, as_tuples(rows))
        else:
            self.run("BEGIN")
            self.conn.executemany(seed, as_tuples(rows))
            self.run("COMMIT")
        self.clear()

    def clear(self) -> None:
        if self.kind == "postgresql":
            self.run("TRUNCATE bench_users_insert")
        elif self.kind == "mysql":
            self.run("TRUNCATE TABLE bench_users_insert")
        else:
            self.run("DELETE FROM bench_users_insert")

    def inserted(self) -> int:
        return self.run("SELECT count(*) FROM bench_users_insert").fetchone()[0]

    def close(self) -> None:
        for table in TABLES:
            self.run(f"DROP TABLE IF EXISTS {table}")
        self.conn.close()


@dataclass
class Stack:
    name: str
    backend: str  # "postgresql", "mysql" or "sqlite"
    is_async: bool
    make: Callable[[str], list[Any]]  # target (database URL or file path) -> [raw, ferryman, SA]


def _pg(url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + url.split("://", 1)[1]


def _sync_pair(url: str) -> list[Any]:
    return [CoreSync(ferryman, url), CoreSync(sqlalchemy, url)]


def _async_pair(url: str) -> list[Any]:
    return [
        CoreAsync(ferryman, ferryman.asyncio.create_async_engine, url),
        CoreAsync(sqlalchemy, sqlalchemy.ext.asyncio.create_async_engine, url),
    ]


STACKS = {
    "asyncpg": Stack(
        "asyncpg",
        "postgresql",
        True,
        lambda t: [RawAsyncpg(t), *_async_pair(_pg(t, "asyncpg"))],
    ),
    "psycopg": Stack(
        "psycopg",
        "postgresql",
        False,
        lambda t: [RawPsycopg(t), *_sync_pair(_pg(t, "psycopg"))],
    ),
    "psycopg_async": Stack(
        "psycopg_async",
        "postgresql",
        True,
        lambda t: [RawPsycopgAsync(t), *_async_pair(_pg(t, "psycopg_async"))],
    ),
    "sqlite3": Stack(
        "sqlite3",
        "sqlite",
        False,
        lambda t: [RawSqlite3(t), *_sync_pair(f"sqlite:///{t}")],
    ),
    "aiosqlite": Stack(
        "aiosqlite",
        "sqlite",
        True,
        lambda t: [RawAiosqlite(t), *_async_pair(f"sqlite+aiosqlite:///{t}")],
    ),
    "asyncmy": Stack(
        "asyncmy",
        "mysql",
        True,
        lambda t: [RawAsyncmy(t), *_async_pair(with_driver(t, "asyncmy"))],
    ),
    "pymysql": Stack(
        "pymysql",
        "mysql",
        False,
        lambda t: [RawPymysql(t), *_sync_pair(with_driver(t, "pymysql"))],
    ),
}


# -- running ----------------------------------------------------------------------------------


def rotated(impls: list[Any], rep: int) -> list[tuple[int, Any]]:
    """(index, impl) pairs, starting one further along each repeat, so that no
    implementation always runs right after another one's cleanup."""
    pairs = list(enumerate(impls))
    shift = rep % len(pairs)
    return pairs[shift:] + pairs[:shift]


@dataclass
class Line:
    workload: str
    best: list[float]  # seconds: raw, ferryman, SQLAlchemy


W1_CHUNK = 250


async def run_stack(
    stack: Stack, sizes: Sizes, repeat: int, urls: dict[str, str], tmpdir: str
) -> tuple[list[Any], list[Line], str | None]:
    target = urls.get(stack.backend) or os.path.join(tmpdir, "bench.sqlite")
    users = user_rows(max(sizes.rows, sizes.inserts))
    admin = Admin(stack.backend, target)
    admin.setup(users[: sizes.rows])
    impls = stack.make(target)
    ids = [i % sizes.rows + 1 for i in range(sizes.selects)]
    inserts = users[: sizes.inserts]
    insert_tuples = as_tuples(inserts)
    try:
        for impl in impls:
            await _call(impl.open)
        for impl in impls:  # warm-up: prepare, compile, fill caches
            await _call(impl.w1, ids[:WARMUP])
            await _call(impl.end)
            await _call(impl.w2)
            await _call(impl.end)
            await _call(impl.w3, inserts[:WARMUP], insert_tuples[:WARMUP])
            admin.clear()

        lines = [
            Line(f"W1 {sizes.selects} single-row selects", [float("inf")] * 3),
            Line(f"W2 fetch {sizes.rows} rows", [float("inf")] * 3),
            Line(f"W3 insert {sizes.inserts} rows (executemany)", [float("inf")] * 3),
            Line(f"W4 {sizes.selects} single-row select()s", [float("inf")] * 3),
        ]
        # Single-row latency drifts with the machine's load from one second to the
        # next: run W1 and W4 in chunks, the three implementations taking turns chunk
        # by chunk, and add up each one's chunks.
        chunks = [ids[i : i + W1_CHUNK] for i in range(0, len(ids), W1_CHUNK)]
        for line, workload in ((lines[0], "w1"), (lines[3], "w4")):
            for rep in range(repeat):
                totals = [0.0] * len(impls)
                for c, chunk in enumerate(chunks):
                    for k, impl in rotated(impls, rep + c):
                        elapsed, found = await _timed(getattr(impl, workload), chunk)
                        assert found == len(chunk), (impl.label, workload, found)
                        totals[k] += elapsed
                for k, impl in enumerate(impls):
                    await _call(impl.end)
                    line.best[k] = min(line.best[k], totals[k])
        for rep in range(repeat):
            for k, impl in rotated(impls, rep):
                elapsed, rows = await _timed(impl.w2)
                await _call(impl.end)
                assert len(rows) == sizes.rows and len(rows[0]) == 5, (impl.label, "W2")
                del rows
                lines[1].best[k] = min(lines[1].best[k], elapsed)
        for rep in range(repeat):
            for k, impl in rotated(impls, rep):
                admin.clear()
                elapsed, _none = await _timed(impl.w3, inserts, insert_tuples)
                assert admin.inserted() == sizes.inserts, (impl.label, "W3")
                lines[2].best[k] = min(lines[2].best[k], elapsed)
        admin.clear()

        calls = None
        if stack.name == "sqlite3":
            calls = call_counts(impls, ids[:1000])
        return impls, lines, calls
    finally:
        for impl in impls:
            if hasattr(impl, "conn"):
                await _call(impl.close)
        admin.close()


def call_counts(impls: list[Any], ids: Sequence[int]) -> str:
    """Function calls per W1 query under cProfile (sync implementations only)."""
    per_query = []
    for impl in impls:
        profile = cProfile.Profile()
        profile.enable()
        impl.w1(ids)
        profile.disable()
        impl.end()
        total = pstats.Stats(profile).total_calls
        per_query.append(total / len(ids))
    raw, ours, theirs = per_query
    return (
        f"W1 function calls per query (cProfile, {len(ids)} queries): raw {raw:.1f}, "
        f"ferryman {ours:.1f}, SQLAlchemy {theirs:.1f} "
        f"(SQLAlchemy/ferryman {theirs / ours:.2f}x)"
    )


# -- printing ---------------------------------------------------------------------------------

HEADERS = (
    "workload",
    "raw ms",
    "ferryman ms",
    "SQLAlchemy ms",
    "ferryman/raw",
    "SQLAlchemy/raw",
    "ferryman vs SQLAlchemy",
)


def table_rows(lines: list[Line]) -> list[list[str]]:
    out = []
    for line in lines:
        raw, ours, theirs = line.best
        mark = " *" if ours / raw > SLOW_RATIO else ""
        out.append(
            [
                line.workload,
                f"{raw * 1e3:.1f}",
                f"{ours * 1e3:.1f}",
                f"{theirs * 1e3:.1f}",
                f"{ours / raw:.2f}x{mark}",
                f"{theirs / raw:.2f}x",
                f"{theirs / ours:.2f}x faster",
            ]
        )
    return out


def render(title: str, rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        align = ["---"] + ["---:"] * (len(HEADERS) - 1)
        body = [HEADERS, align, *rows]
        return f"#### {title}\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in body)
    widths = [max(len(r[i]) for r in [HEADERS, *rows]) for i in range(len(HEADERS))]

    def fmt(r: Sequence[str]) -> str:
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        return "  ".join(cells)

    rule = "-" * len(fmt(HEADERS))
    return "\n".join([title, rule, fmt(HEADERS), rule, *map(fmt, rows), rule])


def versions() -> str:
    version = importlib.metadata.version
    return (
        f"Python {platform.python_version()}, ferryman {ferryman.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, asyncpg {asyncpg.__version__}, "
        f"psycopg {psycopg.__version__}, aiosqlite {aiosqlite.__version__}, "
        f"asyncmy {version('asyncmy')}, PyMySQL {version('pymysql')}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stack",
        action="append",
        choices=list(STACKS),
        help="driver stack to run (repeatable; default: all)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell, best kept (5)")
    parser.add_argument("--quick", action="store_true", help="a tenth of the rows: smoke run")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("FERRYMAN_BENCH_PG_URL", DEFAULT_PG_URL),
        help=f"libpq URL of the PostgreSQL database (default {DEFAULT_PG_URL}, "
        "or $FERRYMAN_BENCH_PG_URL)",
    )
    parser.add_argument(
        "--mysql-url",
        default=os.environ.get("FERRYMAN_BENCH_MYSQL_URL", DEFAULT_MYSQL_URL),
        help=f"URL of the MariaDB database for the asyncmy and pymysql stacks (default "
        f"{DEFAULT_MYSQL_URL}, or $FERRYMAN_BENCH_MYSQL_URL)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = QUICK if args.quick else FULL
    names = list(dict.fromkeys(args.stack or STACKS))

    print(versions())
    print(
        f"best of {args.repeat} interleaved runs per cell; ratios < 1 are faster than raw; "
        f"'*' marks ferryman/raw > {SLOW_RATIO}"
    )
    urls = {"postgresql": args.pg_url, "mysql": args.mysql_url}
    tmpdir = tempfile.mkdtemp(prefix="ferryman-bench-")
    try:
        for name in names:
            stack = STACKS[name]
            impls, lines, calls = asyncio.run(run_stack(stack, sizes, args.repeat, urls, tmpdir))
            title = f"{name}: " + " | ".join(impl.label for impl in impls)
            print()
            print(render(title, table_rows(lines), args.markdown))
            if calls:
                print(("\n" if args.markdown else "") + calls)
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    main()

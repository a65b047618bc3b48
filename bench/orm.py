"""ORM benchmark: ferryman's ORM vs hand-written SQL on the raw driver vs SQLAlchemy's ORM.

Run ``python bench/orm.py --help``; ``bench/README.md`` explains the output.

Theory of operation:

* Three stacks. ``postgresql``: hand-written SQL on raw asyncpg and on raw
  psycopg 3 (``AsyncConnection``), ferryman's ``AsyncSession`` on asyncpg and
  on psycopg (async), SQLAlchemy's async ORM on asyncpg, and Tortoise ORM on
  asyncpg when it is installed. Every cell's ratio is to raw asyncpg; an extra
  column gives ferryman psycopg against raw psycopg, so that each ferryman
  driver is also compared with its own raw driver. ``sqlite``:
  hand-written SQL on the stdlib ``sqlite3`` module, ferryman's sync
  ``Session`` and SQLAlchemy's sync ``Session`` on a database file.
  ``mysql`` (MariaDB): hand-written SQL on raw asyncmy, ferryman's
  ``AsyncSession`` and SQLAlchemy's async ORM on ``mysql+asyncmy``; every
  ratio is to raw asyncmy.
* The ferryman and SQLAlchemy implementations are one class (``OrmAsync`` /
  ``OrmSync``) given either library, and the models one declaration
  (``declare_models``), so both run exactly the same code. Every ORM does the
  work SQLAlchemy's ORM does: objects built and added to a session, primary
  keys and server defaults fetched back on insert (``eager_defaults``), one
  object per row (identity map), only changed columns written (change
  tracking). The raw implementations do the same database work by hand, the
  fastest way a careful programmer would write it (``unnest`` arrays, one
  multi-row ``INSERT ... RETURNING``, ``= ANY($1)``, ``IN (...)`` lists).
* Workloads: W1 insert objects, W2 load every user, W3 primary-key gets each
  in a fresh session, W4 load, change one attribute each and commit, W5
  parents with their children by ``selectinload``, W6 (PostgreSQL, MariaDB)
  small queries from concurrent tasks sharing a small pool.
* As in ``bench/core.py``: everything is opened and each workload run once
  at a small size before anything is timed; a timed cell covers only the
  workload (resetting tables and checking what came back happen outside it),
  with the garbage collector off; cells are interleaved, the starting
  contender rotating each repeat, W3 in chunks taken in turns; each cell
  reports its best of ``--repeat`` runs.
* A workload that raises, or returns the wrong thing, is kept in the table
  as a failed cell with a numbered reason under it, never skipped silently.
* The sqlite stack also counts function calls per object under ``cProfile``
  (deterministic, the number to watch for regressions) and measures memory
  per loaded object with ``tracemalloc``, and the peak while streaming users
  1,000 at a time (``yield_per``) at two sizes, a tenth and all of them: flat
  memory means the two peaks match.

This script is not part of the package and nothing in ``src/`` imports it;
SQLAlchemy and Tortoise ORM are bench-only dependencies (``pip install
'ferryman[bench]'``); without Tortoise its column says n/a, and why.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import importlib.metadata
import os
import platform
import pstats
import shutil
import sqlite3
import sys
import tempfile
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import asyncmy
import asyncpg
import psycopg

import ferryman
import ferryman.asyncio
import ferryman.orm
from _mariadb import DEFAULT_MYSQL_URL, AdminConnection, connect_args, with_driver
from _timing import call as _call
from _timing import timed as _timed

try:
    import sqlalchemy
    import sqlalchemy.ext.asyncio
    import sqlalchemy.orm
except ImportError:  # pragma: no cover - a setup problem, said plainly
    sys.exit("bench/orm.py compares against SQLAlchemy: pip install 'ferryman[bench]'")

try:
    import tortoise
    from tortoise import Tortoise, fields
    from tortoise.fields.db_defaults import SqlDefault
    from tortoise.models import Model as TortoiseModel
    from tortoise.transactions import in_transaction

    TORTOISE_MISSING = None
except ImportError as error:  # optional: its column says n/a and why
    tortoise = None
    TORTOISE_MISSING = f"cannot be imported ({error}); pip install 'tortoise-orm>=1.1.1'"

USERS = "bench_orm_users"
POSTS = "bench_orm_posts"
NEW_USERS = "bench_orm_users_new"  # W1 inserts here: same columns as USERS
TABLES = (POSTS, USERS, NEW_USERS)  # drop order
USER_COLUMNS = "id, name, email, age, created_at"
POST_COLUMNS = "id, user_id, title, body"
BODY = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 3
DEFAULT_PG_URL = "postgresql://root@127.0.0.1:5432/test"
CHILDREN = 10  # W5: posts per parent
TASKS = 20  # W6: concurrent tasks ...
POOL = 10  # ... sharing a pool of this many connections
GET_CHUNK = 100  # W3 runs in chunks of this many gets, contenders taking turns
SQLITE_MAX_ROWS = 10_000  # rows per multi-row INSERT: 3 values each, under 32,766
STATEMENT_CACHE = 64  # raw asyncmy: prepared statements kept per connection


@dataclass(frozen=True)
class Sizes:
    inserts: int  # W1: objects inserted
    rows: int  # W2: users in the table, all loaded
    gets: int  # W3: primary-key gets, each in a fresh session
    updates: int  # W4: objects loaded, changed and committed
    parents: int  # W5: parents loaded, CHILDREN posts each
    queries: int  # W6: single-object queries from TASKS tasks
    memory: int  # objects loaded for the memory table
    stream: int  # users streamed for the streaming-memory table (and a tenth of it)


FULL = Sizes(10_000, 10_000, 1_000, 1_000, 1_000, 2_000, 100_000, 1_000_000)
QUICK = Sizes(500, 1_000, 100, 100, 50, 200, 5_000, 20_000)
WARMUP = Sizes(20, 0, 20, 20, 5, 40, 0, 0)  # the untimed first run of each workload


async def _no_reset(conn: Any) -> None:
    """The raw pool's release step: nothing (see the raw asyncpg contender's open())."""


def user_values(count: int, start: int = 1) -> list[tuple[str, str, int]]:
    """(name, email, age) for users start .. start + count - 1."""
    return [
        (f"user {i}", f"user{i}@example.com", 20 + i % 60) for i in range(start, start + count)
    ]


def post_values(parents: int) -> list[tuple[int, str, str]]:
    """(user_id, title, body): CHILDREN posts for each of users 1 .. parents."""
    return [
        (u, f"post {j} by user {u}", BODY) for u in range(1, parents + 1) for j in range(CHILDREN)
    ]


# -- the models: one declaration, given either library ------------------------------------------


def declare_models(sql: Any, orm: Any) -> SimpleNamespace:
    """``User`` (with ``posts``), ``Post`` and ``NewUser`` (W1's table) declared with
    ``sql`` = ``ferryman`` or ``sqlalchemy`` and ``orm`` = its ``.orm`` module."""

    class Base(orm.DeclarativeBase):
        pass

    def user_class(name: str, table: str, **extra: Any) -> Any:
        namespace = {
            "__tablename__": table,
            "__mapper_args__": {"eager_defaults": True},
            "id": orm.mapped_column(sql.Integer, primary_key=True),
            "name": orm.mapped_column(sql.String(50)),
            "email": orm.mapped_column(sql.String(100)),
            "age": orm.mapped_column(sql.Integer),
            "created_at": orm.mapped_column(sql.DateTime, server_default=sql.func.now()),
            **extra,
        }
        return type(name, (Base,), namespace)

    user = user_class("User", USERS, posts=orm.relationship("Post", back_populates="user"))
    new_user = user_class("NewUser", NEW_USERS)

    class Post(Base):
        __tablename__ = POSTS
        id = orm.mapped_column(sql.Integer, primary_key=True)
        user_id = orm.mapped_column(sql.Integer, sql.ForeignKey(f"{USERS}.id"))
        title = orm.mapped_column(sql.String(200))
        body = orm.mapped_column(sql.Text)
        user = orm.relationship("User", back_populates="posts")

    return SimpleNamespace(User=user, Post=Post, NewUser=new_user)


FERRYMAN_MODELS = declare_models(ferryman, ferryman.orm)
SQLALCHEMY_MODELS = declare_models(sqlalchemy, sqlalchemy.orm)

if tortoise is not None:

    class TortoiseUser(TortoiseModel):
        id = fields.IntField(primary_key=True)
        name = fields.CharField(max_length=50)
        email = fields.CharField(max_length=100)
        age = fields.IntField()
        created_at = fields.DatetimeField(db_default=SqlDefault("now()"))

        class Meta:
            table = USERS

    class TortoiseNewUser(TortoiseModel):
        id = fields.IntField(primary_key=True)
        name = fields.CharField(max_length=50)
        email = fields.CharField(max_length=100)
        age = fields.IntField()
        created_at = fields.DatetimeField(db_default=SqlDefault("now()"))

        class Meta:
            table = NEW_USERS

    class TortoisePost(TortoiseModel):
        id = fields.IntField(primary_key=True)
        user: Any = fields.ForeignKeyField(
            "models.TortoiseUser", related_name="posts", source_field="user_id"
        )
        title = fields.CharField(max_length=200)
        body = fields.TextField()

        class Meta:
            table = POSTS


# -- raw drivers: the same database work, written by hand ---------------------------------------


class RawAsyncpg:
    label = "raw asyncpg"
    insert = (
        f"INSERT INTO {NEW_USERS} (name, email, age) "
        "SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::int[]) RETURNING id, created_at"
    )
    select_all = f"SELECT {USER_COLUMNS} FROM {USERS}"
    select_one = f"SELECT {USER_COLUMNS} FROM {USERS} WHERE id = $1"
    select_first = f"SELECT {USER_COLUMNS} FROM {USERS} WHERE id <= $1"
    update = (
        f"UPDATE {USERS} AS u SET age = v.age "
        "FROM unnest($1::int[], $2::int[]) AS v(id, age) WHERE u.id = v.id"
    )
    select_posts = f"SELECT {POST_COLUMNS} FROM {POSTS} WHERE user_id = ANY($1::int[])"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def open(self) -> None:
        # Hand-written code knows its connections are clean: no reset query on release
        # (asyncpg's default reset is a round trip per acquire/release).
        self.pool = await asyncpg.create_pool(
            self.dsn, min_size=POOL, max_size=POOL, reset=_no_reset
        )

    async def w1(self, values: list[tuple[str, str, int]]) -> list[Any]:
        names, emails, ages = (list(column) for column in zip(*values, strict=True))
        async with self.pool.acquire() as conn, conn.transaction():
            return await conn.fetch(self.insert, names, emails, ages)

    def inserted(self, result: list[Any], values: list[Any]) -> list[tuple[Any, Any, Any]]:
        return [(r[0], v[0], r[1]) for r, v in zip(result, values, strict=True)]

    async def w2(self) -> list[Any]:
        async with self.pool.acquire() as conn:
            return await conn.fetch(self.select_all)

    async def w3(self, ids: Sequence[int]) -> int:
        found, fetchrow = 0, self.pool.fetchrow  # acquire, query, release: per get
        for i in ids:
            found += await fetchrow(self.select_one, i) is not None
        return found

    async def w4(self, count: int) -> int:
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(self.select_first, count)
            await conn.execute(self.update, [r[0] for r in rows], [r[3] + 1 for r in rows])
        return len(rows)

    async def w5(self, count: int) -> tuple[int, int]:
        async with self.pool.acquire() as conn:
            users = await conn.fetch(self.select_first, count)
            posts = await conn.fetch(self.select_posts, [u[0] for u in users])
        children: defaultdict[int, list[Any]] = defaultdict(list)
        for post in posts:
            children[post[1]].append(post)
        return len(users), sum(len(children[u[0]]) for u in users)

    async def w6(self, groups: Sequence[Sequence[int]]) -> int:
        async def task(ids: Sequence[int]) -> int:
            found = 0
            async with self.pool.acquire() as conn:
                for i in ids:
                    found += await conn.fetchrow(self.select_one, i) is not None
            return found

        return sum(await asyncio.gather(*(task(ids) for ids in groups)))

    async def close(self) -> None:
        await self.pool.close()


def _percent(sql: str) -> str:
    """asyncpg's ``$n`` placeholders as psycopg's ``%b`` (a parameter sent in binary)."""
    for n in range(9, 0, -1):
        sql = sql.replace(f"${n}", "%b")
    return sql


class RawPsycopg:
    """The same statements as raw asyncpg on psycopg 3's ``AsyncConnection``, in
    autocommit mode (as asyncpg: a statement outside ``transaction()`` commits
    itself). The pool is ten connections in an ``asyncio.Queue`` (psycopg_pool is not
    a bench dependency): a get takes a connection, a put gives it back, with no
    reset, as for raw asyncpg. Each connection keeps one cursor for every statement;
    every statement is a server-side prepared one from its first run
    (``prepare=True``), and parameters go in binary (``%b``: the W1 arrays of
    strings cost about half as much to send as in text)."""

    label = "raw psycopg"
    insert = _percent(RawAsyncpg.insert)
    select_all = RawAsyncpg.select_all
    select_one = _percent(RawAsyncpg.select_one)
    select_first = _percent(RawAsyncpg.select_first)
    update = _percent(RawAsyncpg.update)
    select_posts = _percent(RawAsyncpg.select_posts)

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    async def open(self) -> None:
        self.pool: asyncio.Queue[Any] = asyncio.Queue()
        self.conns: list[Any] = []
        for _ in range(POOL):
            conn = await psycopg.AsyncConnection.connect(self.dsn, autocommit=True)
            self.conns.append(conn)
            self.pool.put_nowait(conn.cursor())

    async def w1(self, values: list[tuple[str, str, int]]) -> list[Any]:
        names, emails, ages = (list(column) for column in zip(*values, strict=True))
        cur = await self.pool.get()
        try:
            async with cur.connection.transaction():
                await cur.execute(self.insert, (names, emails, ages), prepare=True)
                return await cur.fetchall()
        finally:
            self.pool.put_nowait(cur)

    inserted = RawAsyncpg.inserted

    async def w2(self) -> list[Any]:
        cur = await self.pool.get()
        try:
            await cur.execute(self.select_all, prepare=True)
            return await cur.fetchall()
        finally:
            self.pool.put_nowait(cur)

    async def w3(self, ids: Sequence[int]) -> int:
        found, pool, sql = 0, self.pool, self.select_one
        for i in ids:  # take a connection, query, give it back: per get
            cur = await pool.get()
            try:
                await cur.execute(sql, (i,), prepare=True)
                found += await cur.fetchone() is not None
            finally:
                pool.put_nowait(cur)
        return found

    async def w4(self, count: int) -> int:
        cur = await self.pool.get()
        try:
            async with cur.connection.transaction():
                await cur.execute(self.select_first, (count,), prepare=True)
                rows = await cur.fetchall()
                params = ([r[0] for r in rows], [r[3] + 1 for r in rows])
                await cur.execute(self.update, params, prepare=True)
        finally:
            self.pool.put_nowait(cur)
        return len(rows)

    async def w5(self, count: int) -> tuple[int, int]:
        cur = await self.pool.get()
        try:
            await cur.execute(self.select_first, (count,), prepare=True)
            users = await cur.fetchall()
            await cur.execute(self.select_posts, ([u[0] for u in users],), prepare=True)
            posts = await cur.fetchall()
        finally:
            self.pool.put_nowait(cur)
        children: defaultdict[int, list[Any]] = defaultdict(list)
        for post in posts:
            children[post[1]].append(post)
        return len(users), sum(len(children[u[0]]) for u in users)

    async def w6(self, groups: Sequence[Sequence[int]]) -> int:
        async def task(ids: Sequence[int]) -> int:
            found, sql = 0, self.select_one
            cur = await self.pool.get()
            try:
                for i in ids:
                    await cur.execute(sql, (i,), prepare=True)
                    found += await cur.fetchone() is not None
            finally:
                self.pool.put_nowait(cur)
            return found

        return sum(await asyncio.gather(*(task(ids) for ids in groups)))

    async def close(self) -> None:
        for conn in self.conns:
            await conn.close()


class RawAsyncmy:
    """Hand-written SQL on asyncmy (MariaDB), the fastest way found for each workload.
    asyncmy's own pool of ten: a checkout makes no round trip and a release sends
    nothing (it drops a connection left inside a transaction, which this code never
    does). Connections are in autocommit mode, so that a read leaves no transaction
    open; W4 sends ``BEGIN`` and ``COMMIT`` itself. Every statement but W1's runs as
    a server-side prepared statement from the pool's statement cache
    (``stmt_cache_size``: binary parameters and rows); W2 passes ``()`` as its
    parameters so that it is one too. W1's 30,000 parameters go in one text
    statement, escaped by ``cursor.mogrify``: preparing a statement that size costs
    more than it saves. W4's update is an ``executemany``, which asyncmy sends to
    MariaDB as one ``COM_STMT_BULK_EXECUTE``; MariaDB has no ``UPDATE ... FROM``
    arrays, and a ``CASE`` or a join on a ``UNION ALL`` of rows measured slower."""

    label = "raw asyncmy"
    select_all = f"SELECT {USER_COLUMNS} FROM {USERS}"
    select_one = f"SELECT {USER_COLUMNS} FROM {USERS} WHERE id = %s"
    select_first = f"SELECT {USER_COLUMNS} FROM {USERS} WHERE id <= %s"
    update = f"UPDATE {USERS} SET age = %s WHERE id = %s"

    def __init__(self, url: str) -> None:
        self.url = url

    async def open(self) -> None:
        self.pool = await asyncmy.create_pool(
            minsize=POOL,
            maxsize=POOL,
            autocommit=True,
            stmt_cache_size=STATEMENT_CACHE,
            **connect_args(self.url),
        )

    @staticmethod
    def insert_sql(rows: int) -> str:
        marks = ", ".join(["(%s, %s, %s)"] * rows)
        return (
            f"INSERT INTO {NEW_USERS} (name, email, age) VALUES {marks} RETURNING id, created_at"
        )

    async def w1(self, values: list[tuple[str, str, int]]) -> list[Any]:
        params = [v for row in values for v in row]
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            # One statement in autocommit mode: its own transaction.
            await cur.execute(cur.mogrify(self.insert_sql(len(values)), params))
            return await cur.fetchall()

    inserted = RawAsyncpg.inserted

    async def w2(self) -> list[Any]:
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(self.select_all, ())
            return await cur.fetchall()

    async def w3(self, ids: Sequence[int]) -> int:
        found, acquire, sql = 0, self.pool.acquire, self.select_one
        for i in ids:  # take a connection, query, give it back: per get
            async with acquire() as conn, conn.cursor() as cur:
                await cur.execute(sql, (i,))
                found += await cur.fetchone() is not None
        return found

    async def w4(self, count: int) -> int:
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await conn.begin()  # on an error the pool drops the connection, mid-transaction
            await cur.execute(self.select_first, (count,))
            rows = await cur.fetchall()
            await cur.executemany(self.update, [(r[3] + 1, r[0]) for r in rows])
            await conn.commit()
        return len(rows)

    async def w5(self, count: int) -> tuple[int, int]:
        async with self.pool.acquire() as conn, conn.cursor() as cur:
            await cur.execute(self.select_first, (count,))
            users = await cur.fetchall()
            marks = ", ".join(["%s"] * len(users))
            sql = f"SELECT {POST_COLUMNS} FROM {POSTS} WHERE user_id IN ({marks})"
            await cur.execute(sql, [u[0] for u in users])
            posts = await cur.fetchall()
        children: defaultdict[int, list[Any]] = defaultdict(list)
        for post in posts:
            children[post[1]].append(post)
        return len(users), sum(len(children[u[0]]) for u in users)

    async def w6(self, groups: Sequence[Sequence[int]]) -> int:
        async def task(ids: Sequence[int]) -> int:
            found, sql = 0, self.select_one
            async with self.pool.acquire() as conn, conn.cursor() as cur:
                for i in ids:
                    await cur.execute(sql, (i,))
                    found += await cur.fetchone() is not None
            return found

        return sum(await asyncio.gather(*(task(ids) for ids in groups)))

    async def close(self) -> None:
        self.pool.close()
        await self.pool.wait_closed()


class RawSqlite3:
    label = "raw sqlite3"
    select_all = f"SELECT {USER_COLUMNS} FROM {USERS}"
    select_one = f"SELECT {USER_COLUMNS} FROM {USERS} WHERE id = ?"
    select_first = f"SELECT {USER_COLUMNS} FROM {USERS} WHERE id <= ?"
    update = f"UPDATE {USERS} SET age = ? WHERE id = ?"

    def __init__(self, path: str) -> None:
        self.path = path

    def open(self) -> None:
        self.conn = sqlite3.connect(self.path, isolation_level=None)

    @staticmethod
    def insert_sql(rows: int) -> str:
        marks = ", ".join(["(?, ?, ?)"] * rows)
        return (
            f"INSERT INTO {NEW_USERS} (name, email, age) VALUES {marks} RETURNING id, created_at"
        )

    def w1(self, values: list[tuple[str, str, int]]) -> list[Any]:
        conn, out = self.conn, []
        conn.execute("BEGIN")
        for start in range(0, len(values), SQLITE_MAX_ROWS):
            batch = values[start : start + SQLITE_MAX_ROWS]
            params = [v for row in batch for v in row]
            out += conn.execute(self.insert_sql(len(batch)), params).fetchall()
        conn.execute("COMMIT")
        return out

    inserted = RawAsyncpg.inserted

    def w2(self) -> list[Any]:
        return self.conn.execute(self.select_all).fetchall()

    def w3(self, ids: Sequence[int]) -> int:
        execute, found = self.conn.execute, 0
        for i in ids:
            found += execute(self.select_one, (i,)).fetchone() is not None
        return found

    def w4(self, count: int) -> int:
        conn = self.conn
        conn.execute("BEGIN")
        rows = conn.execute(self.select_first, (count,)).fetchall()
        conn.executemany(self.update, [(r[3] + 1, r[0]) for r in rows])
        conn.execute("COMMIT")
        return len(rows)

    def w5(self, count: int) -> tuple[int, int]:
        users = self.conn.execute(self.select_first, (count,)).fetchall()
        marks = ", ".join(["?"] * len(users))
        sql = f"SELECT {POST_COLUMNS} FROM {POSTS} WHERE user_id IN ({marks})"
        posts = self.conn.execute(sql, [u[0] for u in users]).fetchall()
        children: defaultdict[int, list[Any]] = defaultdict(list)
        for post in posts:
            children[post[1]].append(post)
        return len(users), sum(len(children[u[0]]) for u in users)

    def close(self) -> None:
        self.conn.close()


# -- ferryman and SQLAlchemy: one implementation, two libraries ---------------------------------


class OrmAsync:
    """SQLAlchemy 2.0-style async ORM code; ``lib`` is ``ferryman`` or ``sqlalchemy``."""

    def __init__(self, label: str, lib: Any, aio: Any, models: SimpleNamespace, url: str):
        self.label = label
        self.lib, self.aio, self.models, self.url = lib, aio, models, url
        self.selectinload = lib.orm.selectinload

    async def open(self) -> None:
        self.engine = self.aio.create_async_engine(self.url, pool_size=POOL, max_overflow=0)
        self.Session = self.aio.async_sessionmaker(self.engine, expire_on_commit=False)

    async def w1(self, values: list[tuple[str, str, int]]) -> list[Any]:
        new_user = self.models.NewUser
        async with self.Session() as session:
            objects = [new_user(name=n, email=e, age=a) for n, e, a in values]
            session.add_all(objects)
            await session.commit()
        return objects

    def inserted(self, result: list[Any], values: list[Any]) -> list[tuple[Any, Any, Any]]:
        return [(o.id, o.name, o.created_at) for o in result]

    async def w2(self) -> list[Any]:
        async with self.Session() as session:
            return (await session.scalars(self.lib.select(self.models.User))).all()

    async def w3(self, ids: Sequence[int]) -> int:
        user, found = self.models.User, 0
        for i in ids:
            async with self.Session() as session:
                found += await session.get(user, i) is not None
        return found

    async def w4(self, count: int) -> int:
        user = self.models.User
        async with self.Session() as session:
            users = (await session.scalars(self.lib.select(user).where(user.id <= count))).all()
            for u in users:
                u.age += 1
            await session.commit()
        return len(users)

    async def w5(self, count: int) -> tuple[int, int]:
        user = self.models.User
        stmt = self.lib.select(user).where(user.id <= count)
        async with self.Session() as session:
            users = (await session.scalars(stmt.options(self.selectinload(user.posts)))).all()
            return len(users), sum(len(u.posts) for u in users)

    async def w6(self, groups: Sequence[Sequence[int]]) -> int:
        user, select = self.models.User, self.lib.select

        async def task(ids: Sequence[int]) -> int:
            found = 0
            async with self.Session() as session:
                for i in ids:
                    result = await session.execute(select(user).where(user.id == i))
                    found += result.scalar_one() is not None
            return found

        return sum(await asyncio.gather(*(task(ids) for ids in groups)))

    async def close(self) -> None:
        await self.engine.dispose()


class OrmSync:
    """The same workloads with the sync ``Session``."""

    def __init__(self, label: str, lib: Any, models: SimpleNamespace, url: str) -> None:
        self.label = label
        self.lib, self.models, self.url = lib, models, url
        self.selectinload = lib.orm.selectinload

    def open(self) -> None:
        self.engine = self.lib.create_engine(self.url)
        self.Session = self.lib.orm.sessionmaker(self.engine, expire_on_commit=False)

    def w1(self, values: list[tuple[str, str, int]]) -> list[Any]:
        new_user = self.models.NewUser
        with self.Session() as session:
            objects = [new_user(name=n, email=e, age=a) for n, e, a in values]
            session.add_all(objects)
            session.commit()
        return objects

    inserted = OrmAsync.inserted

    def w2(self) -> list[Any]:
        with self.Session() as session:
            return session.scalars(self.lib.select(self.models.User)).all()

    def w3(self, ids: Sequence[int]) -> int:
        user, found = self.models.User, 0
        for i in ids:
            with self.Session() as session:
                found += session.get(user, i) is not None
        return found

    def w4(self, count: int) -> int:
        user = self.models.User
        with self.Session() as session:
            users = session.scalars(self.lib.select(user).where(user.id <= count)).all()
            for u in users:
                u.age += 1
            session.commit()
        return len(users)

    def w5(self, count: int) -> tuple[int, int]:
        user = self.models.User
        stmt = self.lib.select(user).where(user.id <= count)
        with self.Session() as session:
            users = session.scalars(stmt.options(self.selectinload(user.posts))).all()
            return len(users), sum(len(u.posts) for u in users)

    def close(self) -> None:
        self.engine.dispose()


# -- Tortoise ORM -------------------------------------------------------------------------------


class TortoiseOrm:
    """Tortoise's idiomatic calls for the same work. It has no session, identity map
    or change tracking: queries take a pool connection each, outside a transaction,
    and W4 names the changed field to ``bulk_update``. ``bulk_create`` fetches no
    ids, so W1 saves object by object (one INSERT ... RETURNING each)."""

    label = "Tortoise asyncpg"

    def __init__(self, dsn: str) -> None:
        self.url = "asyncpg://" + dsn.split("://", 1)[1]
        self.url += ("&" if "?" in self.url else "?") + f"minsize={POOL}&maxsize={POOL}"
        self.missing = TORTOISE_MISSING

    async def open(self) -> None:
        await Tortoise.init(db_url=self.url, modules={"models": [__name__]}, use_tz=False)

    async def w1(self, values: list[tuple[str, str, int]]) -> list[Any]:
        objects = []
        async with in_transaction() as conn:
            for n, e, a in values:
                obj = TortoiseNewUser(name=n, email=e, age=a)
                await obj.save(using_db=conn)
                objects.append(obj)
        return objects

    inserted = OrmAsync.inserted

    async def w2(self) -> list[Any]:
        return await TortoiseUser.all()

    async def w3(self, ids: Sequence[int]) -> int:
        found = 0
        for i in ids:
            found += await TortoiseUser.get_or_none(id=i) is not None
        return found

    async def w4(self, count: int) -> int:
        async with in_transaction() as conn:
            users = await TortoiseUser.filter(id__lte=count).using_db(conn)
            for u in users:
                u.age += 1
            await TortoiseUser.bulk_update(users, fields=["age"], using_db=conn)
        return len(users)

    async def w5(self, count: int) -> tuple[int, int]:
        users = await TortoiseUser.filter(id__lte=count).prefetch_related("posts")
        return len(users), sum(len(u.posts) for u in users)

    async def w6(self, groups: Sequence[Sequence[int]]) -> int:
        async def task(ids: Sequence[int]) -> int:
            found = 0
            for i in ids:
                found += await TortoiseUser.get(id=i) is not None
            return found

        return sum(await asyncio.gather(*(task(ids) for ids in groups)))

    async def close(self) -> None:
        await Tortoise.close_connections()


# -- stacks: which database, which contenders, how to reset it ----------------------------------


class Admin:
    """A side connection (autocommit) for schema, seeding, resets and checks; never timed."""

    def __init__(self, backend: str, target: str) -> None:
        self.backend = backend
        if backend == "postgresql":
            self.conn: Any = psycopg.connect(target, autocommit=True)
        elif backend == "mysql":
            self.conn = AdminConnection(target)
        else:
            self.conn = sqlite3.connect(target, isolation_level=None)

    def run(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.conn.execute(sql, params)

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self.run(sql, params).fetchone()[0]

    def setup(self, sizes: Sizes) -> None:
        # PostgreSQL's timestamp (without time zone) is MariaDB's datetime; MariaDB
        # ignores a REFERENCES written on the column, so its foreign key is a clause.
        pg, my = self.backend == "postgresql", self.backend == "mysql"
        serial, stamp, now = {
            "postgresql": ("serial", "timestamp", "now()"),
            "mysql": ("integer AUTO_INCREMENT", "datetime", "CURRENT_TIMESTAMP"),
        }.get(self.backend, ("integer", "timestamp", "CURRENT_TIMESTAMP"))
        for table in TABLES:
            self.run(f"DROP TABLE IF EXISTS {table}")
        for table in (USERS, NEW_USERS):
            self.run(
                f"CREATE TABLE {table} (id {serial} PRIMARY KEY, name varchar(50), "
                f"email varchar(100), age integer, created_at {stamp} DEFAULT {now})"
            )
        if my:
            self.run(
                f"CREATE TABLE {POSTS} (id {serial} PRIMARY KEY, user_id integer, "
                f"title varchar(200), body text, INDEX {POSTS}_user_id (user_id), "
                f"FOREIGN KEY (user_id) REFERENCES {USERS}(id))"
            )
        else:
            self.run(
                f"CREATE TABLE {POSTS} (id {serial} PRIMARY KEY, "
                f"user_id integer REFERENCES {USERS}(id), title varchar(200), body text)"
            )
            self.run(f"CREATE INDEX {POSTS}_user_id ON {POSTS} (user_id)")
        self.add_users(user_values(sizes.rows))
        self.copy(POSTS, ("user_id", "title", "body"), post_values(sizes.parents))
        if pg:
            self.run(f"ANALYZE {USERS}")
            self.run(f"ANALYZE {POSTS}")
        elif my:
            self.run(f"ANALYZE TABLE {USERS}, {POSTS}").fetchall()

    def add_users(self, values: list[tuple[str, str, int]]) -> None:
        self.copy(USERS, ("name", "email", "age"), values)

    def copy(self, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]) -> None:
        names = ", ".join(columns)
        if self.backend == "postgresql":
            with self.conn.cursor() as cur, cur.copy(f"COPY {table} ({names}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        elif self.backend == "mysql":
            marks = ", ".join(["%s"] * len(columns))
            self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
        else:
            marks = ", ".join("?" * len(columns))
            self.run("BEGIN")
            self.conn.executemany(f"INSERT INTO {table} ({names}) VALUES ({marks})", rows)
            self.run("COMMIT")

    def clear_new_users(self) -> None:
        if self.backend == "postgresql":
            self.run(f"TRUNCATE {NEW_USERS} RESTART IDENTITY")
        elif self.backend == "mysql":
            self.run(f"TRUNCATE TABLE {NEW_USERS}")  # restarts AUTO_INCREMENT too
        else:
            self.run(f"DELETE FROM {NEW_USERS}")

    def new_user_names(self) -> dict[int, str]:
        return dict(self.run(f"SELECT id, name FROM {NEW_USERS}").fetchall())

    def age_total(self, count: int) -> int:
        mark = "?" if self.backend == "sqlite" else "%s"
        # int(): MariaDB's sum() of integers is a DECIMAL.
        return int(self.scalar(f"SELECT sum(age) FROM {USERS} WHERE id <= {mark}", (count,)))

    def server(self) -> str:
        return f"server {self.scalar('SELECT version()')}"

    def close(self) -> None:
        for table in TABLES:
            self.run(f"DROP TABLE IF EXISTS {table}")
        self.conn.close()


def _pg(url: str, driver: str) -> str:
    return f"postgresql+{driver}://" + url.split("://", 1)[1]


def _postgresql(url: str) -> list[Any]:
    fm, sa, fm_models, sa_models = ferryman, sqlalchemy, FERRYMAN_MODELS, SQLALCHEMY_MODELS
    on_asyncpg, on_psycopg = _pg(url, "asyncpg"), _pg(url, "psycopg_async")
    return [
        RawAsyncpg(url),
        OrmAsync("ferryman asyncpg", fm, fm.asyncio, fm_models, on_asyncpg),
        RawPsycopg(url),
        OrmAsync("ferryman psycopg", fm, fm.asyncio, fm_models, on_psycopg),
        OrmAsync("SQLAlchemy asyncpg", sa, sa.ext.asyncio, sa_models, on_asyncpg),
        TortoiseOrm(url),
    ]


def _mysql(url: str) -> list[Any]:
    on_asyncmy = with_driver(url, "asyncmy")
    return [
        RawAsyncmy(url),
        OrmAsync("ferryman asyncmy", ferryman, ferryman.asyncio, FERRYMAN_MODELS, on_asyncmy),
        OrmAsync(
            "SQLAlchemy asyncmy", sqlalchemy, sqlalchemy.ext.asyncio, SQLALCHEMY_MODELS, on_asyncmy
        ),
    ]


def _sqlite(path: str) -> list[Any]:
    return [
        RawSqlite3(path),
        OrmSync("ferryman sqlite3", ferryman, FERRYMAN_MODELS, f"sqlite:///{path}"),
        OrmSync("SQLAlchemy sqlite3", sqlalchemy, SQLALCHEMY_MODELS, f"sqlite:///{path}"),
    ]


@dataclass
class Stack:
    name: str
    backend: str  # "postgresql", "mysql" or "sqlite"
    make: Callable[[str], list[Any]]  # target (database URL or file path) -> contenders, raw first
    workloads: tuple[str, ...]
    versus: tuple[int, int]  # indexes of ferryman and SQLAlchemy on the same driver
    # (ferryman, raw) index pairs on a driver other than the first contender's: a
    # "ferryman X / raw X" column each, the ratio the project's goal is stated in
    same_driver: tuple[tuple[int, int], ...] = ()


STACKS = {
    "postgresql": Stack(
        "postgresql",
        "postgresql",
        _postgresql,
        ("w1", "w2", "w3", "w4", "w5", "w6"),
        versus=(1, 4),
        same_driver=((3, 2),),
    ),
    "sqlite": Stack("sqlite", "sqlite", _sqlite, ("w1", "w2", "w3", "w4", "w5"), (1, 2)),
    "mysql": Stack("mysql", "mysql", _mysql, ("w1", "w2", "w3", "w4", "w5", "w6"), (1, 2)),
}


# -- running ------------------------------------------------------------------------------------


def rotated(pairs: list[tuple[int, Any]], rep: int) -> list[tuple[int, Any]]:
    """The (index, contender) pairs, starting one further along each repeat, so
    that no contender always runs right after another one's cleanup."""
    if not pairs:
        return []
    shift = rep % len(pairs)
    return pairs[shift:] + pairs[:shift]


class WrongResult(Exception):
    """A workload returned something other than what it was asked for."""


def _expect(got: Any, wanted: Any, what: str) -> None:
    if got != wanted:
        raise WrongResult(f"{what}: got {got!r}, expected {wanted!r}")


@dataclass
class Failure:
    reason: str


NA = "n/a"


@dataclass
class Line:
    workload: str
    cells: list[Any]  # per contender: best seconds (float), a Failure, or NA


class Runner:
    """Runs one stack's workloads on its contenders, interleaved, keeping the best time."""

    def __init__(self, stack: Stack, sizes: Sizes, repeat: int, admin: Admin) -> None:
        self.stack, self.sizes, self.repeat, self.admin = stack, sizes, repeat, admin
        self.contenders: list[Any] = []
        self.skipped: dict[int, str] = {}  # contender index -> why it has no numbers
        self.warming = False

    async def run(self, contenders: list[Any]) -> list[Line]:
        self.contenders = contenders
        for k, contender in enumerate(contenders):
            missing = getattr(contender, "missing", None)
            if missing:
                self.skipped[k] = missing
                continue
            try:
                await _call(contender.open)
            except Exception as error:
                self.skipped[k] = f"could not start: {type(error).__name__}: {error}"
        workloads = self.stack.workloads
        lines = {w: Line(self.title(w), [float("inf")] * len(contenders)) for w in workloads}
        for line in lines.values():
            for k in self.skipped:
                line.cells[k] = NA
        self.warming = True
        for w in workloads:  # warm-up: prepared statements, compiled caches, mappers
            await getattr(self, w)(lines[w], WARMUP)
        self.warming = False
        for line in lines.values():  # forget warm-up times; a warm-up failure stays
            line.cells = [c if isinstance(c, Failure | str) else float("inf") for c in line.cells]
        for w in workloads:
            await getattr(self, w)(lines[w], self.sizes)
        return list(lines.values())

    def title(self, workload: str) -> str:
        s = self.sizes
        return {
            "w1": f"W1 insert {s.inserts} objects",
            "w2": f"W2 load {s.rows} objects",
            "w3": f"W3 {s.gets} gets, fresh sessions",
            "w4": f"W4 change {s.updates} objects",
            "w5": f"W5 {s.parents} parents + {s.parents * CHILDREN} children",
            "w6": f"W6 {s.queries} queries, {TASKS} tasks",
        }[workload]

    def live(self, line: Line) -> list[tuple[int, Any]]:
        """(index, contender) of those still running this workload."""
        return [
            (k, c)
            for k, c in enumerate(self.contenders)
            if k not in self.skipped and not isinstance(line.cells[k], Failure)
        ]

    def repeats(self) -> range:
        return range(1 if self.warming else self.repeat)

    async def cell(self, line: Line, k: int, run: Callable[..., Any], *args: Any) -> float | None:
        """Seconds for one run, or None if it raised or came back wrong: then the
        cell is marked failed, with the reason, and the contender leaves this line."""
        try:
            return await run(self.contenders[k], *args)
        except Exception as error:  # the table shows it; the run goes on
            text = str(error).strip()
            reason = f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"[:300]
            if self.warming:
                reason = f"in the warm-up (smaller): {reason}"
            line.cells[k] = Failure(reason)
            return None

    def keep(self, line: Line, k: int, seconds: float | None) -> None:
        if seconds is not None and not isinstance(line.cells[k], Failure):
            line.cells[k] = min(line.cells[k], seconds)

    async def rounds(self, line: Line, run: Callable[[Any], Any]) -> None:
        """Each contender runs ``run`` in turn, the first one rotating every repeat."""
        for rep in self.repeats():
            for k, _contender in rotated(self.live(line), rep):
                self.keep(line, k, await self.cell(line, k, run))

    async def w1(self, line: Line, sizes: Sizes) -> None:
        values = user_values(sizes.inserts)

        async def run(contender: Any) -> float:
            self.admin.clear_new_users()
            elapsed, result = await _timed(contender.w1, values)
            got = contender.inserted(result, values)  # (id, name, created_at) per object
            rows = self.admin.new_user_names()
            _expect(len(rows), len(values), "rows inserted")
            _expect(len({i for i, _n, _c in got}), len(values), "distinct ids")
            _expect(sum(rows.get(i) != n for i, n, _c in got), 0, "objects with another's id")
            _expect(sum(c is None for _i, _n, c in got), 0, "created_at not fetched")
            return elapsed

        await self.rounds(line, run)
        self.admin.clear_new_users()

    async def w2(self, line: Line, sizes: Sizes) -> None:
        async def run(contender: Any) -> float:
            elapsed, result = await _timed(contender.w2)
            _expect(len(result), self.sizes.rows, "objects loaded")  # the whole table
            return elapsed

        await self.rounds(line, run)

    async def w3(self, line: Line, sizes: Sizes) -> None:
        ids = [1 + (i * 7919) % self.sizes.rows for i in range(sizes.gets)]  # spread out
        chunks = [ids[i : i + GET_CHUNK] for i in range(0, len(ids), GET_CHUNK)]

        async def run(contender: Any, chunk: list[int]) -> float:
            elapsed, found = await _timed(contender.w3, chunk)
            _expect(found, len(chunk), "objects found")
            return elapsed

        # Single-object latency drifts with the machine's load from one second to the
        # next: the contenders take turns chunk by chunk, and each one's chunks add up.
        for rep in self.repeats():
            totals = [0.0] * len(self.contenders)
            for c, chunk in enumerate(chunks):
                for k, _contender in rotated(self.live(line), rep + c):
                    totals[k] += await self.cell(line, k, run, chunk) or 0.0
            for k, _contender in self.live(line):
                self.keep(line, k, totals[k])

    async def w4(self, line: Line, sizes: Sizes) -> None:
        count = sizes.updates

        async def run(contender: Any) -> float:
            before = self.admin.age_total(count)
            elapsed, changed = await _timed(contender.w4, count)
            _expect(changed, count, "objects changed")
            _expect(self.admin.age_total(count) - before, count, "ages raised in total")
            return elapsed

        await self.rounds(line, run)

    async def w5(self, line: Line, sizes: Sizes) -> None:
        count = sizes.parents

        async def run(contender: Any) -> float:
            elapsed, loaded = await _timed(contender.w5, count)
            _expect(loaded, (count, count * CHILDREN), "(parents, children)")
            return elapsed

        await self.rounds(line, run)

    async def w6(self, line: Line, sizes: Sizes) -> None:
        per_task = sizes.queries // TASKS
        groups = [range(t * per_task + 1, (t + 1) * per_task + 1) for t in range(TASKS)]

        async def run(contender: Any) -> float:
            elapsed, found = await _timed(contender.w6, groups)
            _expect(found, per_task * TASKS, "objects found")
            return elapsed

        await self.rounds(line, run)

    async def close(self) -> None:
        for k, contender in enumerate(self.contenders):
            if k not in self.skipped:
                try:
                    await _call(contender.close)
                except Exception as error:  # report, and go on closing the others
                    print(f"closing {contender.label}: {type(error).__name__}: {error}")


# -- sqlite extras: call counts and memory per object -------------------------------------------


def call_counts(contenders: list[Any], admin: Admin, sizes: Sizes) -> list[list[Any]]:
    """Function calls per object (per get for W3) under cProfile, for each contender,
    at QUICK's sizes in every run (W2: the whole table), so that counts compare."""
    rows, inserts, gets = sizes.rows, QUICK.inserts, QUICK.gets
    updates, parents = QUICK.updates, QUICK.parents
    ids = [1 + (i * 7919) % rows for i in range(gets)]
    values = user_values(inserts)
    cases = [
        ("W1 insert, per object", inserts, lambda c: c.w1(values)),
        ("W2 load, per object", rows, lambda c: c.w2()),
        ("W3 get in a fresh session, per get", gets, lambda c: c.w3(ids)),
        ("W4 change and commit, per object", updates, lambda c: c.w4(updates)),
        (f"W5 selectinload, per parent + {CHILDREN} children", parents, lambda c: c.w5(parents)),
    ]
    table = []
    for title, units, work in cases:
        row: list[Any] = [title]
        for contender in contenders:
            profile = cProfile.Profile()
            try:
                admin.clear_new_users()
                work(contender)  # once unprofiled: statements of this size compiled
                admin.clear_new_users()
                profile.enable()
                try:
                    work(contender)
                finally:
                    profile.disable()
            except Exception as error:
                row.append(Failure(f"{type(error).__name__}: {error}"[:300]))
                continue
            row.append(pstats.Stats(profile).total_calls / units)
        table.append(row)
    admin.clear_new_users()
    return table


def memory_per_object(contenders: list[Any], admin: Admin, objects: int, rows: int) -> list[Any]:
    """tracemalloc bytes per loaded user, kept (after a collection, the session still
    open) and at the peak of the load: one row per contender."""
    admin.add_users(user_values(objects - rows, start=rows + 1))
    out = []
    for contender in contenders:
        gc.collect()
        tracemalloc.start()
        try:
            base = tracemalloc.get_traced_memory()[0]
            if isinstance(contender, RawSqlite3):
                loaded = contender.conn.execute(contender.select_all).fetchall()
                session = None
            else:
                session = contender.Session()
                loaded = session.scalars(contender.lib.select(contender.models.User)).all()
            _expect(len(loaded), objects, "objects loaded")
            gc.collect()
            kept, peak = tracemalloc.get_traced_memory()
            out.append(((kept - base) / objects, (peak - base) / objects))
            del loaded
            if session is not None:
                session.close()
        except Exception as error:
            out.append(Failure(f"{type(error).__name__}: {error}"[:300]))
        finally:
            tracemalloc.stop()
    return out


STREAM_BATCH = 1_000  # yield_per / fetchmany size when streaming


def stream_peaks(contenders: list[Any], admin: Admin, sizes: Sizes) -> list[Any]:
    """Peak tracemalloc bytes while streaming a tenth of ``sizes.stream`` users and
    all of them (the objects dropped as the loop goes): one pair per contender."""
    present = admin.scalar(f"SELECT count(*) FROM {USERS}")
    admin.add_users(user_values(sizes.stream - present, start=present + 1))
    out = []
    for contender in contenders:
        peaks = []
        try:
            for count in (sizes.stream // 10, sizes.stream):
                gc.collect()
                tracemalloc.start()
                try:
                    base = tracemalloc.get_traced_memory()[0]
                    _expect(_stream(contender, count), count, "users streamed")
                    peaks.append(tracemalloc.get_traced_memory()[1] - base)
                finally:
                    tracemalloc.stop()
            out.append(tuple(peaks))
        except Exception as error:
            out.append(Failure(f"{type(error).__name__}: {error}"[:300]))
    return out


def _stream(contender: Any, count: int) -> int:
    seen = 0
    if isinstance(contender, RawSqlite3):
        cursor = contender.conn.execute(contender.select_all + " LIMIT ?", (count,))
        while batch := cursor.fetchmany(STREAM_BATCH):
            seen += len(batch)
        return seen
    user, select = contender.models.User, contender.lib.select
    stmt = select(user).limit(count).execution_options(yield_per=STREAM_BATCH)
    with contender.Session() as session:
        for _ in session.scalars(stmt):
            seen += 1
    return seen


# -- printing -----------------------------------------------------------------------------------


class Notes:
    """Numbered reasons for failed and n/a cells, printed under the table."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def mark(self, failure: Failure, who: str, where: str) -> str:
        self.lines.append(f"[{len(self.lines) + 1}] {who}, {where}: {failure.reason}")
        return f"failed [{len(self.lines)}]"


def timing_rows(runner: Runner, lines: list[Line], notes: Notes) -> list[list[str]]:
    labels = [c.label for c in runner.contenders]
    ours, theirs = runner.stack.versus
    out = []
    for line in lines:
        raw = line.cells[0]
        cells = [line.workload]
        for k, cell in enumerate(line.cells):
            if cell == NA:
                cells.append(NA)
            elif isinstance(cell, Failure):
                cells.append(notes.mark(cell, labels[k], line.workload))
            elif k == 0 or not isinstance(raw, float):
                cells.append(f"{cell * 1e3:.1f} ms")
            else:
                cells.append(f"{cell * 1e3:.1f} ms {cell / raw:5.2f}x")
        a, b = line.cells[ours], line.cells[theirs]
        both = isinstance(a, float) and isinstance(b, float)
        cells.append(f"{b / a:.2f}x faster" if both else "-")
        for fm, raw in runner.stack.same_driver:
            cells.append(ratio(line.cells[raw], line.cells[fm]))
        out.append(cells)
    return out


def ratio(a: Any, b: Any) -> str:
    return f"{b / a:.2f}x" if isinstance(a, float) and isinstance(b, float) and a else "-"


def render(title: str, headers: Sequence[str], rows: list[list[str]], markdown: bool) -> str:
    if markdown:
        align = ["---"] + ["---:"] * (len(headers) - 1)
        body = [list(headers), align, *rows]
        return f"#### {title}\n\n" + "\n".join("| " + " | ".join(r) + " |" for r in body)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]

    def fmt(r: Sequence[str]) -> str:
        cells = [r[0].ljust(widths[0])]
        cells += [c.rjust(w) for c, w in zip(r[1:], widths[1:], strict=True)]
        return "  ".join(cells)

    rule = "-" * len(fmt(headers))
    return "\n".join([title, rule, fmt(headers), rule, *map(fmt, rows), rule])


def versions() -> str:
    tortoise_version = tortoise.__version__ if tortoise is not None else "not installed"
    return (
        f"Python {platform.python_version()}, ferryman {ferryman.__version__}, "
        f"SQLAlchemy {sqlalchemy.__version__}, Tortoise ORM {tortoise_version}, "
        f"asyncpg {asyncpg.__version__}, psycopg {psycopg.__version__}, "
        f"asyncmy {importlib.metadata.version('asyncmy')}, "
        f"SQLite {sqlite3.sqlite_version}"
    )


@dataclass
class Report:
    blocks: list[str] = field(default_factory=list)
    failures: int = 0


async def run_stack(
    stack: Stack, sizes: Sizes, repeat: int, urls: dict[str, str], tmpdir: str, markdown: bool
) -> Report:
    target = urls.get(stack.backend) or os.path.join(tmpdir, "orm.sqlite")
    admin = Admin(stack.backend, target)
    runner = Runner(stack, sizes, repeat, admin)
    report = Report()
    try:
        admin.setup(sizes)
        lines = await runner.run(stack.make(target))
        notes = Notes()
        labels = [c.label for c in runner.contenders]
        headers = ["workload", *labels, "ferryman vs SQLAlchemy"]
        headers += [f"{labels[fm]} / {labels[raw]}" for fm, raw in stack.same_driver]
        rows = timing_rows(runner, lines, notes)
        for k, reason in runner.skipped.items():
            notes.lines.append(f"{labels[k]}: n/a, {reason}")
        report.failures += sum(isinstance(c, Failure) for line in lines for c in line.cells)
        server = f" ({admin.server()})" if stack.backend == "mysql" else ""
        title = (
            f"{stack.name}{server}: best of {repeat}; per contender: time, ratio to {labels[0]}"
        )
        if stack.same_driver:
            title += "; last column(s): ferryman / raw on the same driver"
        block = render(title, headers, rows, markdown)
        if notes.lines:
            block += "\n" + ("\n" if markdown else "") + "\n".join(notes.lines)
        report.blocks.append(block)
        if stack.backend == "sqlite":
            live = [c for k, c in enumerate(runner.contenders) if k not in runner.skipped]
            report.blocks += sqlite_extras(live, stack, admin, sizes, markdown, report)
        return report
    finally:
        await runner.close()
        admin.close()


def sqlite_extras(
    contenders: list[Any], stack: Stack, admin: Admin, sizes: Sizes, markdown: bool, report: Report
) -> list[str]:
    """The call-count and memory tables (sync contenders only)."""
    labels = [c.label for c in contenders]
    ours, theirs = stack.versus
    notes = Notes()
    rows = []
    for title, *counts in call_counts(contenders, admin, sizes):
        cells = [title]
        for label, count in zip(labels, counts, strict=True):
            if isinstance(count, Failure):
                report.failures += 1
                cells.append(notes.mark(count, label, title))
            else:
                cells.append(f"{count:.1f}")
        cells.append(ratio(counts[ours], counts[theirs]))
        rows.append(cells)
    headers = ["function calls (cProfile)", *labels, "SQLAlchemy/ferryman"]
    calls = render("sqlite: Python function calls per object", headers, rows, markdown)
    if notes.lines:
        calls += "\n" + "\n".join(notes.lines)

    measured = memory_per_object(contenders, admin, sizes.memory, sizes.rows)
    memory = _tracemalloc_table(
        f"sqlite: memory for {sizes.memory} users loaded with select(User)",
        [
            ("kept (session open), bytes per object", 0),
            ("peak while loading, bytes per object", 1),
        ],
        lambda value: f"{value:,.0f}",
        labels,
        measured,
        stack,
        report,
        markdown,
    )
    peaks = stream_peaks(contenders, admin, sizes)
    streaming = _tracemalloc_table(
        f"sqlite: memory while streaming users, yield_per={STREAM_BATCH}",
        [(f"{sizes.stream // 10:,} users, peak MB", 0), (f"{sizes.stream:,} users, peak MB", 1)],
        lambda value: f"{value / 1e6:,.1f}",
        labels,
        peaks,
        stack,
        report,
        markdown,
    )
    return [calls, memory, streaming]


def _tracemalloc_table(
    title: str,
    lines: list[tuple[str, int]],
    show: Callable[[float], str],
    labels: list[str],
    measured: list[Any],
    stack: Stack,
    report: Report,
    markdown: bool,
) -> str:
    """A memory table: a line per (name, index into each contender's measured pair);
    a failed contender is noted once, under the table."""
    ours, theirs = stack.versus
    notes = Notes()
    rows = []
    for name, pick in lines:
        cells = [name]
        for label, got in zip(labels, measured, strict=True):
            if isinstance(got, Failure):
                report.failures += pick == 0
                cells.append(notes.mark(got, label, title) if pick == 0 else "-")
            else:
                cells.append(show(got[pick]))
        a, b = measured[ours], measured[theirs]
        fine = not isinstance(a, Failure) and not isinstance(b, Failure)
        cells.append(ratio(float(a[pick]), float(b[pick])) if fine else "-")
        rows.append(cells)
    headers = ["tracemalloc", *labels, "SQLAlchemy/ferryman"]
    table = render(title, headers, rows, markdown)
    if notes.lines:
        table += "\n" + "\n".join(notes.lines)
    return table


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stack",
        action="append",
        choices=list(STACKS),
        help="stack to run (repeatable; default: all)",
    )
    parser.add_argument("--repeat", type=int, default=5, help="runs per cell, best kept (5)")
    parser.add_argument(
        "--quick", action="store_true", help="a tenth of the rows or less: smoke run"
    )
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 if any cell failed (for smoke runs)"
    )
    parser.add_argument(
        "--pg-url",
        default=os.environ.get("FERRYMAN_BENCH_PG_URL", DEFAULT_PG_URL),
        help=f"libpq URL of the PostgreSQL database (default {DEFAULT_PG_URL}, "
        "or $FERRYMAN_BENCH_PG_URL)",
    )
    parser.add_argument(
        "--mysql-url",
        default=os.environ.get("FERRYMAN_BENCH_MYSQL_URL", DEFAULT_MYSQL_URL),
        help=f"URL of the MariaDB database (default {DEFAULT_MYSQL_URL}, "
        "or $FERRYMAN_BENCH_MYSQL_URL)",
    )
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    sizes = QUICK if args.quick else FULL
    names = list(dict.fromkeys(args.stack or STACKS))

    print(versions())
    print(
        f"best of {args.repeat} interleaved runs per cell; 'Nx' is time relative to the raw "
        "driver's hand-written SQL in the same run (lower is better)"
    )
    failures = 0
    urls = {"postgresql": args.pg_url, "mysql": args.mysql_url}
    tmpdir = tempfile.mkdtemp(prefix="ferryman-bench-orm-")
    try:
        for name in names:
            report = asyncio.run(
                run_stack(STACKS[name], sizes, args.repeat, urls, tmpdir, args.markdown)
            )
            for block in report.blocks:
                print()
                print(block)
            failures += report.failures
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    if failures:
        print(f"\n{failures} failed cell(s): see the numbered notes under the tables")
    return 1 if failures and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())

"""Round trips per ORM operation, counted (not timed) on every driver: what the
session sends to the database for common units of work. A session that only
reads sends no BEGIN / ROLLBACK (on MySQL, whose REPEATABLE READ gives a
transaction's reads one snapshot, only at READ COMMITTED); a unit of work of one
statement sends just it."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from ferryman import select
from ferryman.asyncio import AsyncSession
from ferryman.orm import Session, selectinload

from .conftest import AsAsync, unwrap
from .orm_models import Address, Traveler, User, create_tables, drop_tables


class _Sent(logging.Handler):
    """The statements an engine sends, from its echo log."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.sent: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if message.startswith("[") or "nothing is sent" in message:
            return  # a parameters line, or a transaction step the driver never sees
        if message.startswith(("Col ", "Row ")):
            return
        self.sent.append(message.split()[0] if message.split() else message)


@pytest.fixture
async def counted(make_engine: Any, is_async: bool) -> Any:
    engine = make_engine(echo=True)
    await create_tables(engine)
    handler = _Sent()
    logger = logging.getLogger("ferryman.engine")
    logger.addHandler(handler)

    def session(**kwargs: Any) -> Any:
        if is_async:
            return AsyncSession(engine, **kwargs)
        return AsAsync(Session(unwrap(engine), **kwargs))

    async with session() as s:
        s.add_all([User(name="ann", addresses=[Address(email="a@x")]), User(name="bob")])
        await s.commit()
    handler.sent.clear()
    yield session, handler.sent
    logger.removeHandler(handler)
    await drop_tables(engine)


def _in_snapshot(backend: str, sent: list[str], *statements: str) -> list[str]:
    """What a session whose first statement is a read sends: the statements alone, or
    on MySQL (REPEATABLE READ) inside the transaction that holds one snapshot."""
    if backend != "mysql":
        return list(statements)
    end = "COMMIT" if any(s != "SELECT" for s in statements) or sent[-1] == "COMMIT" else None
    return ["BEGIN", *statements, end or "ROLLBACK"]


async def test_get_in_a_fresh_session(counted: Any, backend: str) -> None:
    session, sent = counted
    async with session() as s:
        assert (await s.get(User, 1)).name == "ann"
    assert sent == _in_snapshot(backend, sent, "SELECT")


async def test_a_read_only_session(counted: Any, backend: str) -> None:
    session, sent = counted
    async with session() as s:
        users = (await s.scalars(select(User).options(selectinload(User.addresses)))).all()
        assert len(users) == 2
        await s.scalar(select(User.name).where(User.id == 2))
        await s.commit()
    assert sent == _in_snapshot(backend, sent, "SELECT", "SELECT", "SELECT")


@contextlib.asynccontextmanager
async def _session_at(make_engine: Any, is_async: bool, level: str) -> AsyncIterator[Any]:
    """A session on a new engine at isolation ``level``, and the statements it sends."""
    engine = make_engine(isolation_level=level, echo=True)
    await create_tables(engine)
    handler = _Sent()
    logging.getLogger("ferryman.engine").addHandler(handler)
    try:
        session = AsyncSession(engine) if is_async else AsAsync(Session(unwrap(engine)))
        async with session as s:
            yield s, handler.sent
    finally:
        logging.getLogger("ferryman.engine").removeHandler(handler)
        await drop_tables(engine)


@pytest.mark.backends("mysql")
async def test_read_committed_reads_alone_on_mysql(make_engine: Any, is_async: bool) -> None:
    async with _session_at(make_engine, is_async, "READ COMMITTED") as (s, sent):
        await s.scalars(select(User))
        s.add(User(name="dan"))
        await s.commit()
        assert sent == ["SELECT", "INSERT"]


async def test_add_and_commit_one_object(counted: Any) -> None:
    session, sent = counted
    async with session() as s:
        s.add(Traveler(name="Ada"))  # INSERT ... RETURNING id, created_at
        await s.commit()
    assert sent == ["INSERT"]
    async with session() as s, s.begin():
        s.add(User(name="cat"))
    assert sent == ["INSERT", "INSERT"]


async def test_load_change_commit_one_object(counted: Any, backend: str) -> None:
    session, sent = counted
    async with session() as s:
        user = await s.get(User, 2)
        user.fullname = "Bob"
        await s.commit()
    assert sent == _in_snapshot(backend, sent, "SELECT", "UPDATE")


async def test_a_unit_of_work_of_several_statements_is_one_transaction(counted: Any) -> None:
    session, sent = counted
    async with session() as s:
        s.add(User(name="cat", addresses=[Address(email="c@x")]))
        await s.commit()
    assert sent == ["BEGIN", "INSERT", "INSERT", "COMMIT"]


async def test_reads_after_a_write_are_in_its_transaction(counted: Any) -> None:
    session, sent = counted
    async with session() as s:
        s.add(User(name="cat"))
        await s.flush()
        assert await s.scalar(select(User.name).where(User.name == "cat")) == "cat"
        await s.rollback()
    assert sent == ["BEGIN", "INSERT", "SELECT", "ROLLBACK"]
    async with session() as s:
        assert await s.scalar(select(User.name).where(User.name == "cat")) is None


async def test_for_update_begins_first(counted: Any, backend: str) -> None:
    session, sent = counted
    async with session() as s:
        await s.get(User, 1, with_for_update=True)
    if backend == "postgresql":
        assert sent == ["BEGIN", "SELECT", "ROLLBACK"]


async def test_repeatable_read_begins_first(make_engine: Any, is_async: bool) -> None:
    async with _session_at(make_engine, is_async, "SERIALIZABLE") as (s, sent):
        await s.scalars(select(User))
        assert sent[0] == "BEGIN"


async def test_changing_many_objects(counted: Any, backend: str) -> None:
    session, sent = counted
    async with session() as s:
        for user in (await s.scalars(select(User))).all():
            user.fullname = f"{user.name}!"
        await s.commit()
    if backend == "postgresql":
        assert sent == ["SELECT", "UPDATE"]  # one UPDATE ... FROM unnest, atomic alone
    elif backend == "mysql":
        assert sent == ["BEGIN", "SELECT", "UPDATE", "COMMIT"]  # one snapshot
    else:
        assert sent == ["SELECT", "BEGIN", "UPDATE", "COMMIT"]  # an executemany
    async with session() as s:
        names = (await s.scalars(select(User.fullname).order_by(User.name))).all()
        assert names == ["ann!", "bob!"]


async def test_changes_that_move_foreign_keys_stay_in_one_transaction(counted: Any) -> None:
    session, sent = counted
    async with session() as s:
        s.add(Address(email="b@x", user_id=2))
        await s.commit()
    sent.clear()
    async with session() as s:
        bob = await s.get(User, 2)
        first, second = (await s.scalars(select(Address).order_by(Address.email))).all()
        first.user = bob  # its user_id changes during the flush
        first.email = "a2@x"
        second.email = "b2@x"
        await s.commit()
    assert "BEGIN" in sent and sent[-1] == "COMMIT"  # two UPDATEs, one transaction
    async with session() as s:
        rows = await s.execute(select(Address.email, Address.user_id).order_by(Address.email))
        assert [tuple(r) for r in rows.all()] == [("a2@x", 2), ("b2@x", 2)]

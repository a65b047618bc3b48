"""``ferryman.testing``: counting the statements a block runs, and catching N+1
queries, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import exc, select, text
from ferryman.orm import Session, selectinload
from ferryman.testing import NPlusOneWarning, count_queries, detect_n_plus_one

from .conftest import unwrap
from .orm_models import User, create_tables, drop_tables


@pytest.fixture
async def orm(engine: Any) -> Any:
    await create_tables(engine)
    async with engine.begin() as conn:
        for i in range(1, 9):
            await conn.execute(
                text("INSERT INTO orm_users (id, name) VALUES (:id, :name)"),
                {"id": i, "name": f"user{i}"},
            )
            await conn.execute(
                text("INSERT INTO orm_addresses (email, user_id) VALUES (:email, :id)"),
                {"email": f"u{i}@x.org", "id": i},
            )
    yield engine
    await drop_tables(engine)


async def test_count_queries_counts_and_records(orm: Any, make_session: Any) -> None:
    with count_queries(orm) as queries:
        async with make_session() as session:
            users = (
                await session.scalars(select(User).options(selectinload(User.addresses)))
            ).all()
            assert len(users) == 8
    queries.assert_count(2)  # the users, then all their addresses in one SELECT
    first, second = queries.statements
    assert first.sql.startswith("SELECT orm_users.id") and "orm_addresses" in second.sql
    assert first.where.startswith("tests/")  # the test (or its sync wrapper) ran it
    with pytest.raises(AssertionError) as caught:
        queries.assert_count(1)
    message = str(caught.value)
    assert "expected 1 statement(s), 2 ran" in message and "1. SELECT orm_users.id" in message
    with count_queries(orm) as none:
        pass
    assert none.count == 0 and "0 statement(s)" in none.report()


@pytest.mark.sync_only
def test_n_plus_one_is_caught(orm: Any) -> None:
    engine = unwrap(orm)
    with Session(engine) as session:
        users = session.scalars(select(User)).all()
        with (
            pytest.warns(NPlusOneWarning, match="ran 6 times") as caught,
            detect_n_plus_one(engine, threshold=5) as queries,
        ):
            emails = [u.addresses[0].email for u in users]  # a lazy load per user
        assert len(emails) == 8 and queries.count == 8
        message = str(caught[0].message)
        assert "It loads User.addresses object by object" in message
        assert ".options(selectinload(User.addresses))" in message
        assert "test_testing.py" in message
        assert queries.statements[0].loading == "User.addresses"
    with (
        Session(engine) as session,
        pytest.raises(exc.InvalidRequestError, match="N\\+1"),
        detect_n_plus_one(session, threshold=3, raise_error=True),
    ):
        for user in session.scalars(select(User)).all():
            user.addresses  # noqa: B018
    with Session(engine) as session, detect_n_plus_one(engine, threshold=3) as queries:
        stmt = select(User).options(selectinload(User.addresses))
        assert all(u.addresses for u in session.scalars(stmt).all())  # no warning
    assert queries.count == 2


@pytest.mark.sync_only
def test_the_pytest_fixtures(orm: Any, query_counter: Any, no_n_plus_one: Any) -> None:
    engine = unwrap(orm)
    with query_counter(engine) as queries, engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert queries.count == 1
    with (
        pytest.raises(exc.InvalidRequestError),
        no_n_plus_one(engine, threshold=2),
        engine.connect() as conn,
    ):
        for _ in range(3):
            conn.execute(text("SELECT 1"))


def test_bad_arguments() -> None:
    with (
        pytest.raises(exc.ArgumentError, match="engine, a connection or a session"),
        count_queries(object()),
    ):
        pass


@pytest.mark.async_only
async def test_n_plus_one_through_awaitable_attrs(orm: Any) -> None:
    from ferryman.asyncio import AsyncSession

    async with AsyncSession(orm) as session:
        users = (await session.scalars(select(User))).all()
        with (
            pytest.warns(NPlusOneWarning, match="selectinload\\(User.addresses\\)"),
            detect_n_plus_one(orm, threshold=2),
        ):
            for user in users:
                await user.awaitable_attrs.addresses  # one SELECT per user

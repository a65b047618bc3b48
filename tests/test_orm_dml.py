"""ORM-enabled INSERT / UPDATE / DELETE (``insert(User)``, ``update(User)``,
``delete(User)`` run by a session): objects back from ``returning(User)``, updates by
primary key from a list of dicts, and the session's objects kept in step with what
the statement did (``synchronize_session``), on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import delete, exc, func, insert, select, update

from .orm_models import User, create_tables, drop_tables


@pytest.fixture
async def users(engine: Any) -> Any:
    await create_tables(engine)
    yield engine
    await drop_tables(engine)


async def test_bulk_insert_and_returning_objects(users: Any, make_session: Any) -> None:
    async with make_session() as session:
        await session.execute(insert(User), [{"name": "ann"}, {"name": "bob"}])
        made = await session.scalars(
            insert(User).returning(User), [{"name": "cy", "fullname": "Cy C"}, {"name": "dan"}]
        )
        cy, dan = made.all()
        assert (cy.name, cy.fullname, dan.name) == ("cy", "Cy C", "dan")
        assert cy in session and await session.get(User, cy.id) is cy  # the session's own
        await session.commit()
        assert await session.scalar(select(func.count(User.id))) == 4


async def test_update_and_delete_keep_the_session_in_step(
    users: Any, make_session: Any, query_counter: Any
) -> None:
    async with make_session() as session:
        session.add_all([User(name=n, fullname=f"{n}!") for n in ("ann", "bob", "cy")])
        await session.commit()
    async with make_session() as session:
        everyone = (await session.scalars(select(User).order_by(User.id))).all()
        ann, bob, cy = everyone
        result = await session.execute(
            update(User).where(User.name != "cy").values(fullname=User.name + "?")
        )
        assert result.rowcount == 2
        assert (ann.fullname, bob.fullname, cy.fullname) == ("ann?", "bob?", "cy!")
        assert not session.dirty  # the new values are the rows', not changes to write
        await session.execute(
            update(User).where(User.name == "cy").values(fullname="untouched"),
            execution_options={"synchronize_session": False},
        )
        assert cy.fullname == "cy!"  # False: the object was left as it was
        await session.commit()
        gone = await session.execute(delete(User).where(User.name == "bob"))
        assert gone.rowcount == 1 and bob not in session
        await session.rollback()  # the delete is undone: bob is back
        assert bob in session
        await session.execute(delete(User).where(User.name == "bob"))
        await session.commit()
        assert bob not in session
    async with make_session() as session:
        rows = await session.execute(select(User.name, User.fullname).order_by(User.id))
        assert rows.all() == [("ann", "ann?"), ("cy", "untouched")]


async def test_update_by_primary_key(users: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add_all([User(id=1, name="ann"), User(id=2, name="bob")])
        await session.commit()
    async with make_session(expire_on_commit=False) as session:
        ann = await session.get(User, 1)
        result = await session.execute(
            update(User), [{"id": 1, "fullname": "Ann A"}, {"id": 2, "fullname": "Bob B"}]
        )
        assert result.rowcount in (2, 0)  # 0: a driver that can't count an executemany
        assert ann.fullname == "Ann A"
        await session.commit()
        with pytest.raises(exc.ArgumentError, match="lacks the key"):
            await session.execute(update(User), [{"fullname": "nobody"}])
        with pytest.raises(exc.ArgumentError, match="synchronize_session='maybe'"):
            await session.execute(
                update(User).values(fullname="x"),
                execution_options={"synchronize_session": "maybe"},
            )
    async with make_session() as session:
        names = await session.scalars(select(User.fullname).order_by(User.id))
        assert names.all() == ["Ann A", "Bob B"]


async def test_objects_from_a_textual_statement(users: Any, make_session: Any) -> None:
    from ferryman import text

    async with make_session() as session:
        session.add_all([User(id=1, name="ann", fullname="Ann A"), User(id=2, name="bob")])
        await session.commit()
    async with make_session() as session:
        held = await session.get(User, 1)
        held.fullname = "changed here"  # not flushed: the loaded row doesn't override it
        stmt = select(User).from_statement(
            text("SELECT id, name, fullname FROM orm_users WHERE id >= :low ORDER BY id")
        )
        with session.no_autoflush:
            found = (await session.execute(stmt, {"low": 1})).scalars().all()
        assert found[0] is held and held.fullname == "changed here"
        assert (found[1].name, found[1].fullname) == ("bob", None)
        pairs = select(User, User.name).from_statement(
            text("SELECT id, name FROM orm_users ORDER BY id")
        )
        rows = (await session.execute(pairs)).all()
        assert [(u.id, n) for u, n in rows] == [(1, "ann"), (2, "bob")]
        with pytest.raises(exc.InvalidRequestError, match="no column 'id'"):
            await session.execute(select(User).from_statement(text("SELECT name FROM orm_users")))
    with pytest.raises(exc.ArgumentError, match="loads mapped classes"):
        select(User.__table__.c.id).from_statement(text("SELECT 1"))

"""``result.freeze()`` and ``merge_frozen_result()``: rows kept to be read again (a
query cache), and a frozen ORM result's objects put into another session."""

from __future__ import annotations

from typing import Any

from ferryman import select, text
from ferryman.engine.result import FrozenResult
from ferryman.orm.loading import merge_frozen_result

from .conftest import unwrap
from .orm_models import User, create_tables, drop_tables


async def test_a_frozen_result_reads_again(engine: Any) -> None:
    async with engine.connect() as conn:
        result = await conn.execute(text("SELECT 1 AS a, 'x' AS b UNION ALL SELECT 2, 'y'"))
        frozen = result.freeze()
    assert (
        isinstance(frozen, FrozenResult) and repr(frozen) == "<FrozenResult 2 row(s) ['a', 'b']>"
    )
    assert frozen().all() == [(1, "x"), (2, "y")]
    again = frozen()  # a new result each time, over the same rows
    assert [row.b for row in again] == ["x", "y"]
    assert frozen().scalars("b").all() == ["x", "y"]
    assert frozen().mappings().first() == {"a": 1, "b": "x"}
    assert frozen.data == [(1, "x"), (2, "y")]


async def test_merging_a_frozen_orm_result(engine: Any, make_session: Any, is_async: bool) -> None:
    await create_tables(engine)
    try:
        async with make_session() as session:
            session.add_all([User(name="ann", fullname="Ann A"), User(name="bob")])
            await session.commit()
        statement = select(User, User.name).order_by(User.id)
        async with make_session() as session:
            frozen = (await session.execute(statement)).freeze()
        async with make_session() as session:
            bob = await session.get(User, 2)  # already in this session's identity map
            if is_async:
                merged = await merge_frozen_result(session, statement, frozen, load=False)
            else:  # a sync Session: it runs right away
                merged = merge_frozen_result(unwrap(session), statement, frozen, load=False)
            rows = merged().all()
            assert [(u.name, name) for u, name in rows] == [("ann", "ann"), ("bob", "bob")]
            assert rows[1][0] is bob  # the session's own object
            assert rows[0][0] in session and rows[0][0].fullname == "Ann A"
            assert frozen.data[0][0] is not rows[0][0]  # the cached objects stay as they were
    finally:
        await drop_tables(engine)

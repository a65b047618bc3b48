"""``session.query()``: the 1.x Query API as older code bases write it, on a sync
``Session`` and inside ``AsyncSession.run_sync``, on every driver."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import exc, func, select
from ferryman.asyncio import AsyncSession
from ferryman.orm import Session, selectinload

from .conftest import unwrap
from .orm_models import Address, User, create_tables, drop_tables


@pytest.fixture
async def people(engine: Any) -> Any:
    await create_tables(engine)
    async with engine.begin() as conn:
        await conn.execute(
            User.__table__.insert(),
            [
                {"id": 1, "name": "ann", "fullname": "Ann A"},
                {"id": 2, "name": "bob", "fullname": None},
                {"id": 3, "name": "cy", "fullname": "Cy C"},
            ],
        )
        await conn.execute(
            Address.__table__.insert(),
            [
                {"id": 1, "email": "ann@a", "user_id": 1},
                {"id": 2, "email": "ann@b", "user_id": 1},
                {"id": 3, "email": "cy@c", "user_id": 3},
            ],
        )
    yield engine
    await drop_tables(engine)


def _queries(session: Session) -> dict[str, Any]:
    """What the 1.x code reads, as plain values to compare."""
    q = session.query
    out: dict[str, Any] = {}
    out["all"] = [u.name for u in q(User).order_by(User.id).all()]
    out["filter"] = [u.name for u in q(User).filter(User.id > 1).order_by(User.name)]
    out["filter_by"] = q(User).filter_by(name="bob").one().id
    out["first"] = q(User).order_by(User.name.desc()).first().name
    out["none"] = q(User).filter(User.name == "nobody").first()
    out["one_or_none"] = q(User).filter_by(name="zed").one_or_none()
    out["count"] = q(User).filter(User.fullname.is_not(None)).count()
    out["get"] = q(User).get(3).name
    out["rows"] = [tuple(r) for r in q(User.name, User.fullname).order_by(User.id).limit(2)]
    out["join"] = [
        u.name for u in q(User).join(User.addresses).filter(Address.email.like("%@c")).all()
    ]
    out["join_filter_by"] = [u.name for u in q(User).join(Address).filter_by(id=2).all()]
    out["pairs"] = [
        (u.name, a.email)
        for u, a in q(User, Address)
        .join(User.addresses)
        .order_by(Address.id)
        .offset(1)
        .limit(2)
        .all()
    ]
    out["scalar"] = q(func.count(Address.id)).filter(Address.user_id == 1).scalar()
    out["grouped"] = (
        q(User.name, func.count(Address.id))
        .join(User.addresses)
        .group_by(User.name)
        .having(func.count(Address.id) > 1)
        .all()
    )
    out["entities"] = q(User).filter_by(name="cy").with_entities(User.fullname).scalar()
    out["distinct"] = q(Address.user_id).distinct().count()
    out["exists"] = session.query(q(User).filter_by(name="ann").exists()).scalar()
    loaded = q(User).options(selectinload(User.addresses)).filter_by(id=1).one()
    out["loaded"] = [a.email for a in loaded.addresses]
    out["statement"] = str(q(User.name).filter_by(id=1).statement)
    return out


EXPECTED = {
    "all": ["ann", "bob", "cy"],
    "filter": ["bob", "cy"],
    "filter_by": 2,
    "first": "cy",
    "none": None,
    "one_or_none": None,
    "count": 2,
    "get": "cy",
    "rows": [("ann", "Ann A"), ("bob", None)],
    "join": ["cy"],
    "join_filter_by": ["ann"],
    "pairs": [("ann", "ann@b"), ("cy", "cy@c")],
    "scalar": 2,
    "grouped": [("ann", 2)],
    "entities": "Cy C",
    "distinct": 2,
    "exists": True,
    "loaded": ["ann@a", "ann@b"],
    "statement": "SELECT orm_users.name FROM orm_users WHERE orm_users.id = :id_1",
}


async def test_the_1x_query_api(people: Any, is_async: bool) -> None:
    if is_async:
        async with AsyncSession(people) as session:
            got = await session.run_sync(_queries)
    else:
        with Session(unwrap(people)) as session:
            got = _queries(session)
    assert got == EXPECTED


@pytest.mark.sync_only
async def test_bulk_update_and_delete_and_errors(people: Any) -> None:
    with Session(unwrap(people)) as session:
        ann = session.query(User).get(1)
        assert ann.fullname == "Ann A"
        changed = session.query(User).filter(User.id < 3).update({User.fullname: "someone"})
        assert changed == 2
        assert ann.fullname == "someone"  # expired by the bulk update, loaded again
        gone = session.query(Address).filter_by(user_id=3).delete()
        assert gone == 1
        assert session.query(Address).count() == 2
        session.commit()
        with pytest.raises(exc.ArgumentError, match="at least one entity"):
            session.query()
        with pytest.raises(exc.InvalidRequestError, match="no mapped attribute 'nope'"):
            session.query(User).filter_by(nope=1)
        assert session.query(User.name).filter_by(name="ann").scalar() == "ann"  # User's
        with pytest.raises(exc.InvalidRequestError, match="columns only"):
            session.query(func.count()).filter_by(name="ann")
        with pytest.raises(exc.InvalidRequestError, match="one mapped class"):
            session.query(User.name).get(1)
        with pytest.raises(exc.MultipleResultsFound):
            session.query(User).one()
    assert not hasattr(AsyncSession, "query")  # async code: select(), or run_sync
    assert str(select(User.name).with_only_columns(User.id)) == (
        "SELECT orm_users.id FROM orm_users"
    )

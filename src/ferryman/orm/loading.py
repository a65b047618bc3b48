"""``merge_frozen_result()``: the objects of a frozen ORM result put into a session
(``sqlalchemy.orm.loading`` users import it from here).

A result cache keeps ``result.freeze()`` of a query; to hand the cached rows out
again, their objects join the session that asks, as ``session.merge()`` would
join them (the identity map's object when it has one)::

    frozen = (await session.execute(stmt)).freeze()     # cache this
    ...
    merged = await merge_frozen_result(session, stmt, frozen, load=False)
    users = merged().scalars().all()
"""

from __future__ import annotations

from typing import Any

from ..engine._frozen import FrozenResult

__all__ = ["merge_frozen_result"]


def _mapped(value: Any) -> bool:
    return hasattr(type(value), "__mapper__")


def merge_frozen_result(
    session: Any, statement: Any, frozen_result: FrozenResult, load: bool = True
) -> Any:
    """A ``FrozenResult`` whose objects are ``session``'s (merged; ``load=False``
    trusts the frozen values and runs no query). With an ``AsyncSession`` it returns
    an awaitable. ``statement`` is the query the result came from (kept for
    SQLAlchemy's signature)."""
    from ._session_async import AsyncSession

    if isinstance(session, AsyncSession):  # the same, on its sync view
        return session.run_sync(merge_frozen_result, statement, frozen_result, load)
    rows = [
        tuple(session.merge(v, load=load) if _mapped(v) else v for v in row)
        for row in frozen_result.data
    ]
    return frozen_result.with_new_rows(rows)

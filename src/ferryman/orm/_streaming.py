"""``AsyncSession.stream(select(Model))``: objects built batch by batch from a
server-side cursor, so memory stays flat however many rows there are."""

from __future__ import annotations

from typing import Any

from .. import exc
from ..engine._result_async import AsyncResult
from ._loading import build_rows, statement_key
from ._query import ORMStatement, compile_orm_select

__all__ = ["stream_orm"]


class _ObjectStream:
    """A driver-stream lookalike whose batches are rows of objects."""

    __slots__ = ("_context", "_core", "_inner")

    def __init__(self, inner: AsyncResult, context: Any, core: Any) -> None:
        self._inner = inner
        self._context = context
        self._core = core

    async def fetchmany(self, size: int) -> Any:
        raw = await self._inner._core.fetch(size)
        rows, _ = build_rows(self._context, raw, self._core, False)
        return rows

    async def close(self) -> None:
        await self._inner.close()


async def stream_orm(core: Any, conn: Any, stmt: Any, params: Any) -> AsyncResult:
    key, binds = statement_key(stmt)
    context = compile_orm_select(stmt, key, binds)
    if context.unique_required or any(
        kind == "entity" and load.selectin for kind, load in context.items
    ):
        raise exc.InvalidRequestError(
            "stream() builds objects batch by batch, so it can't run selectin loads or "
            "joined loads of collections; use execute() for this statement, or load the "
            "relationships separately"
        )
    inner = await conn.stream(ORMStatement(context, key, binds), params)
    return AsyncResult(context.keys, (), _ObjectStream(inner, context, core))

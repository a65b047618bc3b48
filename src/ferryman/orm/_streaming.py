"""ORM objects streamed batch by batch (``AsyncSession.stream(select(Model))``, and
``yield_per`` in a sync ``Session``), with memory that stays flat however many rows
there are.

Objects enter the identity map as in any query, so that a row seen twice gives
the same object. The map holds its objects strongly, though, and a stream of a
million rows would keep a million objects. So when the stream reads its next
batch, the session lets go of the objects of the batches already handed out:
each leaves the identity map, and one that is still alive after that (the
caller kept it, another object refers to it, it has unflushed changes, which
the session's change sets hold) goes straight back. Only objects nobody can
reach any more disappear, and nothing can be lost with them. An object still
held when its batch is let go is looked at again at the next batch (a caller
often keeps the previous batch while it asks for the next), then left in the
map for good.
"""

from __future__ import annotations

import weakref
from typing import Any

from .. import exc
from ..engine._result import Result
from ..engine._result_async import AsyncResult
from ._loading import build_rows

__all__ = ["AsyncObjectStream", "ObjectBatches", "ObjectStream", "check_streamable"]


def check_streamable(context: Any) -> None:
    if context.unique_required or any(
        kind == "entity" and load.selectin for kind, load in context.items
    ):
        raise exc.InvalidRequestError(
            "A stream builds objects batch by batch, so it can't run selectin loads or "
            "joined loads of collections; use execute() without yield_per for this "
            "statement, or load the relationships separately"
        )


class ObjectBatches:
    """Builds each batch's rows of objects and lets go of the ones handed out before
    (see the module docstring)."""

    __slots__ = ("_context", "_core", "_held", "_maps", "_populate", "_recheck")

    def __init__(self, context: Any, core: Any, populate: bool) -> None:
        self._context = context
        self._core = core
        self._populate = populate
        # Per entity and joined entity: (identity map, positions of the primary key).
        self._maps: list[tuple[dict[Any, Any], tuple[int, ...]]] = []
        for kind, load in context.items:
            if kind == "entity":
                self._add_maps(load)
        self._held: list[tuple[Any, dict[Any, Any], Any]] = []  # the last batch's objects
        self._recheck: list[tuple[Any, dict[Any, Any], Any]] = []  # alive at the last look

    def _add_maps(self, load: Any) -> None:
        cls, _, _, _, pk, _, _ = load.prepared()
        if hasattr(cls, "__weakref__"):  # a class with __slots__ only: held strongly
            self._maps.append((self._core.identity_map_for(load.mapper), pk))
        for _, child in load.joined:  # parents first: letting one go frees its children
            self._add_maps(child)

    def build(self, raw: Any) -> list[Any]:
        """The rows of objects for the batch of raw rows ``raw``."""
        self._let_go()
        rows, _ = build_rows(self._context, raw, self._core, self._populate)
        held: list[tuple[Any, dict[Any, Any], Any]] = []
        ref = weakref.ref
        for imap, pk in self._maps:
            if len(pk) == 1:
                p0 = pk[0]
                idents: Any = (r[p0] for r in raw)
            else:
                idents = (tuple([r[i] for i in pk]) for r in raw)
            for ident in idents:
                obj = imap.get(ident)  # None for an outer join's missing side
                if obj is not None:
                    held.append((ref(obj), imap, ident))
        self._held = held
        return rows

    def _let_go(self) -> None:
        recheck, self._recheck = self._recheck, []
        for entries, again in ((self._held, self._recheck), (recheck, None)):
            for ref, imap, ident in entries:
                if imap.get(ident) is not ref() or ref() is None:
                    continue  # expunged, deleted or already let go
                del imap[ident]
                obj = ref()
                if obj is not None:  # still reachable: it stays in the session
                    imap[ident] = obj
                    if again is not None:
                        again.append((ref, imap, ident))
                    del obj
        self._held = []

    def close(self) -> None:
        self._held = self._recheck = []


class AsyncObjectStream:
    """A driver-stream lookalike whose batches are rows of objects."""

    __slots__ = ("_batches", "_inner")

    def __init__(self, inner: AsyncResult, batches: ObjectBatches) -> None:
        self._inner = inner
        self._batches = batches

    async def fetchmany(self, size: int) -> Any:
        return self._batches.build(await self._inner._core.fetch(size))

    async def close(self) -> None:
        self._batches.close()
        await self._inner.close()


class ObjectStream:
    """The sync twin of ``AsyncObjectStream``."""

    __slots__ = ("_batches", "_inner")

    def __init__(self, inner: Result, batches: ObjectBatches) -> None:
        self._inner = inner
        self._batches = batches

    def fetchmany(self, size: int) -> Any:
        return self._batches.build(self._inner._core.fetch(size))

    def close(self) -> None:
        self._batches.close()
        self._inner.close()

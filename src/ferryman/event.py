"""Events: ``listen()``, ``listens_for()``, ``remove()``, ``contains()``.

``event.listen(target, "name", fn)`` registers ``fn`` to be called when
``target`` fires the event ``name``, with the arguments SQLAlchemy documents
for it::

    from ferryman import event

    @event.listens_for(engine, "before_execute")
    def log(conn, clauseelement, multiparams, params, execution_options):
        ...

Targets and their events:

* an ``Engine`` or ``AsyncEngine`` (or its ``sync_engine``: the same listeners),
  the ``Engine`` class (every engine) or the ``AsyncEngine`` class (every async
  engine): ``before_execute``, ``after_execute``, ``handle_error``, and the pool
  events of its pool;
* a pool, or a pool class (``Pool``: every pool): ``connect``, ``checkout``,
  ``checkin``;
* a ``Session`` or ``AsyncSession``, a ``sessionmaker`` or
  ``async_sessionmaker`` (the sessions it makes), the ``Session`` class or a
  subclass, the ``AsyncSession`` class (its ``sync_session_class``), an
  ``AsyncSession``'s ``sync_session``: ``before_flush``, ``after_commit``;
* a mapped class or its ``Mapper``, the ``Mapper`` class (every mapped class), or
  any class with ``propagate=True`` (its mapped subclasses, such as those of a
  declarative base or a mixin): ``before_insert``, ``after_insert``,
  ``before_update``, ``after_update``, ``before_delete``, ``after_delete``,
  ``load``, ``init``;
* a mapped attribute (``User.name``, ``User.addresses``): ``set``, ``append``,
  ``remove``.

Options: ``retval=True`` (``before_execute``, ``set``, ``append``: the
listener's return value replaces the statement and parameters, or the value),
``propagate=True``, ``raw=True`` (ORM events: the target's ``InstanceState``
instead of the object), ``once=True``, ``insert=True`` (before the listeners
already there), ``named=True`` (the arguments as keywords).

Connection and pool events of an async engine may be coroutine functions:
they are awaited on the event loop. Plain functions given to an async engine
run in a worker thread, handed sync objects (a ``Connection``, a DB-API-style
connection) whose statements run on the async connection through the
``run_sync`` bridge. ORM events are plain functions, called synchronously where
the event happens (see ``ferryman.orm._events``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar

from . import exc
from .engine import Engine
from .engine._bridge import _NoPool
from .engine._dispatch import (
    Dispatch,
    EngineDispatch,
    PoolDispatch,
    class_dispatch,
    make_listener,
)
from .engine._engine_async import AsyncEngine
from .engine._pool import NullPool, Pool, QueuePool, StaticPool
from .engine._pool_async import AsyncAdaptedQueuePool, AsyncNullPool, AsyncPool, AsyncStaticPool
from .orm import (
    AsyncSession,
    Mapper,
    QueryableAttribute,
    Session,
    async_sessionmaker,
    sessionmaker,
)
from .orm._events import (
    NO_ATTRIBUTE_LISTENERS,
    PERSISTENCE_EVENTS,
    AttributeDispatch,
    MapperDispatch,
    SessionDispatch,
    persistence_listeners,
)

__all__ = ["contains", "listen", "listens_for", "remove"]

F = TypeVar("F", bound=Callable[..., Any])

# Each family of events: its names, with the arguments listeners receive.
ENGINE_EVENTS: dict[str, tuple[str, ...]] = {
    "before_execute": ("conn", "clauseelement", "multiparams", "params", "execution_options"),
    "after_execute": (
        "conn",
        "clauseelement",
        "multiparams",
        "params",
        "execution_options",
        "result",
    ),
    "handle_error": ("exception_context",),
}
POOL_EVENTS: dict[str, tuple[str, ...]] = {
    "connect": ("dbapi_connection", "connection_record"),
    "checkout": ("dbapi_connection", "connection_record", "connection_proxy"),
    "checkin": ("dbapi_connection", "connection_record"),
}
SESSION_EVENTS: dict[str, tuple[str, ...]] = {
    "before_flush": ("session", "flush_context", "instances"),
    "after_commit": ("session",),
}
MAPPER_EVENTS: dict[str, tuple[str, ...]] = {
    **{name: ("mapper", "connection", "target") for name in PERSISTENCE_EVENTS},
    "load": ("target", "context"),
    "init": ("target", "args", "kwargs"),
}
ATTRIBUTE_EVENTS: dict[str, tuple[str, ...]] = {
    "set": ("target", "value", "oldvalue", "initiator"),
    "append": ("target", "value", "initiator"),
    "remove": ("target", "value", "initiator"),
}
_FAMILIES: dict[str, tuple[dict[str, tuple[str, ...]], str]] = {
    "engine": (ENGINE_EVENTS, "an Engine or AsyncEngine, or the Engine / AsyncEngine class"),
    "pool": (POOL_EVENTS, "a pool or pool class, or an engine (for its pool)"),
    "session": (
        SESSION_EVENTS,
        "a Session or AsyncSession, a sessionmaker or async_sessionmaker, or the Session "
        "/ AsyncSession class",
    ),
    "mapper": (
        MAPPER_EVENTS,
        "a mapped class or its Mapper, the Mapper class, or a base class with propagate=True",
    ),
    "attribute": (ATTRIBUTE_EVENTS, "a mapped attribute such as User.name or User.addresses"),
}
_RETVAL = frozenset({"before_execute", "set", "append"})
_ORM = frozenset({"mapper", "attribute"})
_OPTIONS = frozenset({"propagate", "retval", "raw", "once", "insert", "named"})
_POOL_TWINS: dict[type, type] = {
    Pool: AsyncPool,
    QueuePool: AsyncAdaptedQueuePool,
    NullPool: AsyncNullPool,
    StaticPool: AsyncStaticPool,
}


def listen(target: Any, identifier: str, fn: Callable[..., Any], **kw: Any) -> None:
    """Call ``fn`` when ``target`` fires ``identifier`` (see the module docstring for
    targets, events and options)."""
    unknown = set(kw) - _OPTIONS
    if unknown:
        raise exc.ArgumentError(
            f"Unknown option(s) {sorted(unknown)} for event.listen(); the options are "
            + ", ".join(sorted(_OPTIONS))
        )
    if not callable(fn):
        raise exc.ArgumentError(f"event.listen() needs a callable listener, not {fn!r}")
    family = _family_of(identifier)
    dispatches, sync_only = _dispatches(target, identifier, family, bool(kw.get("propagate")))
    is_async = inspect.iscoroutinefunction(fn)
    if is_async and family not in ("engine", "pool"):
        raise exc.ArgumentError(
            f"{_name(fn)} is a coroutine function; {identifier!r} is an ORM event, whose "
            "listeners run synchronously inside the session's work: give a plain function "
            "(await things after the session call returns)"
        )
    if is_async and sync_only:
        raise exc.ArgumentError(
            f"{_name(fn)} is a coroutine function, and {target!r} is sync: nothing there "
            "can await it. Give a plain function, or listen on an async engine"
        )
    if kw.get("retval") and identifier not in _RETVAL:
        raise exc.ArgumentError(
            f"retval=True: {identifier!r} listeners' return values are not used; it "
            "applies to " + ", ".join(sorted(_RETVAL))
        )
    if kw.get("raw") and family not in _ORM:
        raise exc.ArgumentError(
            f"raw=True hands ORM event listeners the InstanceState; {identifier!r} is not "
            "an ORM event"
        )
    table = _FAMILIES[family][0]
    listener = make_listener(
        identifier,
        fn,
        table[identifier],
        is_async=is_async,
        named=bool(kw.get("named")),
        once=bool(kw.get("once")),
        propagate=bool(kw.get("propagate")),
        retval=bool(kw.get("retval")),
        raw=bool(kw.get("raw")),
        insert=bool(kw.get("insert")),
    )
    for dispatch in dispatches:
        dispatch.add(listener)
    if identifier in PERSISTENCE_EVENTS:
        persistence_listeners[0] += 1


def listens_for(target: Any, identifier: str, **kw: Any) -> Callable[[F], F]:
    """``listen()`` as a decorator: ``@event.listens_for(engine, "connect")``."""

    def decorate(fn: F) -> F:
        listen(target, identifier, fn, **kw)
        return fn

    return decorate


def remove(target: Any, identifier: str, fn: Callable[..., Any]) -> None:
    """Undo ``listen(target, identifier, fn)`` (the same target, name and function)."""
    family = _family_of(identifier)
    dispatches, _ = _dispatches(target, identifier, family, True, creating=False)
    listener = dispatches[0].own(identifier, fn)
    if listener is None:
        raise exc.InvalidRequestError(
            f"No listener {_name(fn)} for {identifier!r} on {target!r} to remove; it was "
            "registered on another target, or removed already"
        )
    for dispatch in dispatches:  # the listener went to these together (pool twins)
        if listener in dispatch._own:
            dispatch.discard(listener)
    if identifier in PERSISTENCE_EVENTS:
        persistence_listeners[0] -= 1


def contains(target: Any, identifier: str, fn: Callable[..., Any]) -> bool:
    """Whether ``fn`` listens for ``identifier`` on ``target`` (registered there)."""
    family = _family_of(identifier)
    dispatches, _ = _dispatches(target, identifier, family, True, creating=False)
    return dispatches[0].own(identifier, fn) is not None


# -- from a target to the dispatches a listener goes to --------------------------------


def _family_of(identifier: Any) -> str:
    if isinstance(identifier, str):
        for family, (table, _) in _FAMILIES.items():
            if identifier in table:
                return family
    known = "; ".join(f"on {where}: {', '.join(table)}" for table, where in _FAMILIES.values())
    raise exc.InvalidRequestError(f"No such event {identifier!r}. ferryman's events are {known}")


def _families_of(target: Any) -> list[str]:
    """The event families ``target`` can take (empty: not an event target)."""
    if isinstance(target, (Engine, AsyncEngine)) or _subclass(target, (Engine, AsyncEngine)):
        return ["engine", "pool"]
    if isinstance(target, (Pool, AsyncPool)) or _subclass(target, (Pool, AsyncPool)):
        return ["pool"]
    if isinstance(target, (Session, AsyncSession, sessionmaker, async_sessionmaker)):
        return ["session"]
    if _subclass(target, (Session, AsyncSession)):
        return ["session"]
    if isinstance(target, Mapper) or _subclass(target, Mapper):
        return ["mapper"]
    if isinstance(target, QueryableAttribute):
        return ["attribute"]
    if isinstance(target, type):
        return ["mapper"]
    return []


def _subclass(target: Any, classes: type | tuple[type, ...]) -> bool:
    return isinstance(target, type) and issubclass(target, classes)


def _dispatches(
    target: Any, identifier: str, family: str, propagate: bool, creating: bool = True
) -> tuple[list[Dispatch], bool]:
    """The dispatches a listener for ``identifier`` on ``target`` goes to, and whether
    the target is sync only (a coroutine function can't be awaited there)."""
    families = _families_of(target)
    if family not in families:
        where = _FAMILIES[family][1]
        if families:
            events = [name for f in families for name in _FAMILIES[f][0]]
            raise exc.InvalidRequestError(
                f"{target!r} has no event {identifier!r}; its events are "
                f"{', '.join(events)}. {identifier!r} is an event of {where}"
            )
        raise exc.InvalidRequestError(
            f"{target!r} is not an event target; {identifier!r} is an event of {where}"
        )
    if family == "engine":
        return _engine_dispatches(target), _sync_engine(target)
    if family == "pool":
        return _pool_dispatches(target), _sync_pool(target)
    if family == "session":
        return [_session_dispatch(target, creating)], True
    if family == "mapper":
        return [_mapper_dispatch(target, propagate)], True
    return [_attribute_dispatch(target, creating)], True


def _engine_dispatches(target: Any) -> list[Dispatch]:
    if isinstance(target, (Engine, AsyncEngine)):
        return [target.dispatch]
    if target is Engine:  # every engine: the async ones too
        return [
            class_dispatch(EngineDispatch, Engine),
            class_dispatch(EngineDispatch, AsyncEngine),
        ]
    return [class_dispatch(EngineDispatch, target)]


def _sync_engine(target: Any) -> bool:
    if isinstance(target, Engine):
        return not isinstance(target.pool, _NoPool)  # not an AsyncEngine's sync_engine
    return _subclass(target, Engine) and target is not Engine


def _pool_dispatches(target: Any) -> list[Dispatch]:
    if isinstance(target, (Engine, AsyncEngine)):
        return [target.pool.dispatch]
    if isinstance(target, (Pool, AsyncPool)):
        return [target.dispatch]
    if target is Engine:
        target = Pool
    elif _subclass(target, AsyncEngine):
        target = AsyncPool
    elif _subclass(target, Engine):
        target = Pool
    found: list[Dispatch] = [class_dispatch(PoolDispatch, target)]
    twin = _POOL_TWINS.get(target)
    if twin is not None:  # QueuePool: also the QueuePool of async engines
        found.append(class_dispatch(PoolDispatch, twin))
    return found


def _sync_pool(target: Any) -> bool:
    if isinstance(target, Engine):
        return _sync_engine(target)
    if isinstance(target, Pool):
        return True
    return _subclass(target, Pool) and target is not Pool and target not in _POOL_TWINS


def _session_dispatch(target: Any, creating: bool) -> Dispatch:
    if isinstance(target, (sessionmaker, async_sessionmaker)):
        return target.dispatch
    if isinstance(target, type):
        if issubclass(target, AsyncSession):
            target = target.sync_session_class
        return class_dispatch(SessionDispatch, target)
    view = None
    if isinstance(target, Session) and target._core.async_front is not None:
        # an AsyncSession's sync_session, or the session of its run_sync()
        view, target = target, target._core.async_front
    if creating and not target.__dict__.get("_own_dispatch"):
        # listeners of this session alone: a dispatch of its own, under the shared one
        target.dispatch = SessionDispatch([(target.dispatch, False)])
        target._own_dispatch = True
        for sync in (view, target.__dict__.get("_sync_session")):
            if sync is not None:
                sync.dispatch = target.dispatch
    return target.dispatch  # type: ignore[no-any-return]


def _mapper_dispatch(target: Any, propagate: bool) -> Dispatch:
    if isinstance(target, Mapper):
        target = target.class_
    elif not propagate and not (
        target.__dict__.get("__mapper__") is not None or _subclass(target, Mapper)
    ):
        raise exc.InvalidRequestError(
            f"{target.__name__} is not mapped; mapper events on an unmapped class "
            f"reach its mapped subclasses only with propagate=True: "
            f"event.listen({target.__name__}, ..., propagate=True)"
        )
    return class_dispatch(MapperDispatch, target)


def _attribute_dispatch(target: Any, creating: bool) -> Dispatch:
    prop = target.prop
    if prop.dispatch is NO_ATTRIBUTE_LISTENERS and creating:
        prop.dispatch = AttributeDispatch()
        prop.parent.attribute_events = True
    return prop.dispatch  # type: ignore[no-any-return]


def _name(fn: Any) -> str:
    return str(getattr(fn, "__qualname__", None) or repr(fn))

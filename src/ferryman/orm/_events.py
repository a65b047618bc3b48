"""ORM events: what sessions, the unit of work, loaders and attributes fire.

The dispatches (``engine/_dispatch.py`` explains them) live where the events
fire: ``session.dispatch`` (shared by the sessions of one class or one
sessionmaker until a listener is registered on one session), ``mapper.dispatch``
(its parents: the ``Mapper`` class, the mapped class, and its base classes for
listeners registered with ``propagate=True``) and ``prop.dispatch`` for the
attribute events of one mapped attribute.

Every ORM listener is a plain function and runs synchronously where the event
happens; none is awaited. Mapper events (``before_insert`` ...) fire inside the
flush plan and receive ``(mapper, connection, target)`` where ``connection``
is a sync ``Connection`` in the flush's transaction. A sync ``Session`` runs
the plan as usual; an ``AsyncSession`` with flush listeners runs its whole flush
in a worker thread over its connection (the ``run_sync`` bridge), so that a
listener's statements, and the sync ``Session`` it gets, can do I/O without
blocking the event loop. ``load``, ``init`` and attribute events run in the
caller's thread and do no I/O of their own.
"""

from __future__ import annotations

import functools
from typing import Any

from ..engine._dispatch import SKIPPED, Dispatch, Listener, class_dispatch, dispatch_for_classes
from ._state import NO_VALUE, instance_state

__all__ = [
    "NEVER_SET",
    "NO_ATTRIBUTE_LISTENERS",
    "OP_APPEND",
    "OP_REMOVE",
    "OP_REPLACE",
    "SESSION_DISPATCH",
    "AttributeDispatch",
    "AttributeEventToken",
    "FlushContext",
    "FlushEvents",
    "LoadContext",
    "MapperDispatch",
    "SessionDispatch",
    "fire_append",
    "fire_load",
    "fire_remove",
    "fire_set",
    "flush_needs_events",
    "mapper_dispatch",
    "session_dispatch_for",
]


class _Symbol:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name

    def __bool__(self) -> bool:
        return False


# The old value a ``set`` listener gets for an attribute that was never given one
# (a new object); ``NO_VALUE`` is the one for an attribute not loaded (or expired).
NEVER_SET: Any = _Symbol("NEVER_SET")

OP_APPEND = "append"
OP_REMOVE = "remove"
OP_REPLACE = "replace"

PERSISTENCE_EVENTS = (
    "before_insert",
    "after_insert",
    "before_update",
    "after_update",
    "before_delete",
    "after_delete",
)


class SessionDispatch(Dispatch):
    """A session's events."""

    EVENTS = ("before_flush", "after_commit")
    __slots__ = ("after_commit", "before_flush")

    before_flush: tuple[Listener, ...]
    after_commit: tuple[Listener, ...]


class MapperDispatch(Dispatch):
    """A mapper's events: the flush's, and the instance events ``load`` and
    ``init``. ``persistence``: a flush event has a listener."""

    EVENTS = (*PERSISTENCE_EVENTS, "load", "init")
    __slots__ = (*PERSISTENCE_EVENTS, "init", "load", "mapper", "persistence", "ready")

    before_insert: tuple[Listener, ...]
    after_insert: tuple[Listener, ...]
    before_update: tuple[Listener, ...]
    after_update: tuple[Listener, ...]
    before_delete: tuple[Listener, ...]
    after_delete: tuple[Listener, ...]
    load: tuple[Listener, ...]
    init: tuple[Listener, ...]
    persistence: bool

    def __init__(self, parents: Any = (), mapper: Any = None) -> None:
        self.mapper = mapper
        self.ready = False
        super().__init__(parents)

    def class_ready(self) -> None:
        """The mapped class is complete (its constructor is the one it keeps, a
        dataclass's included): ``init`` listeners may wrap it from now on."""
        self.ready = True
        self._derive()

    def _derive(self) -> None:
        self.persistence = any(getattr(self, name) for name in PERSISTENCE_EVENTS)
        if self.init and self.ready:
            _fire_init_from(self.mapper.class_)


class AttributeDispatch(Dispatch):
    """The events of one mapped attribute."""

    EVENTS = ("set", "append", "remove")
    __slots__ = ("append", "remove", "set")

    set: tuple[Listener, ...]
    append: tuple[Listener, ...]
    remove: tuple[Listener, ...]


# What every attribute has until a listener is registered on it (event.listen gives
# the attribute a dispatch of its own then): never given listeners.
NO_ATTRIBUTE_LISTENERS = AttributeDispatch()

# Session class -> the dispatch its sessions share (sessions read it with a subscript:
# no call per session). Session classes are few and long-lived.
SESSION_DISPATCH: dict[type, SessionDispatch] = {}


def session_dispatch_for(cls: type) -> SessionDispatch:
    """The dispatch shared by the sessions of ``cls`` (a ``Session`` class)."""
    found = SESSION_DISPATCH.get(cls)
    if found is None:
        found = SESSION_DISPATCH[cls] = dispatch_for_classes(SessionDispatch, cls)
    return found


def mapper_dispatch(mapper: Any) -> MapperDispatch:
    """A mapper's dispatch: listeners of the ``Mapper`` class and of its mapped class,
    and the ``propagate=True`` ones of the class's bases."""
    cls = mapper.class_
    parents: list[tuple[Dispatch, bool]] = [
        (class_dispatch(MapperDispatch, type(mapper)), False),
        (class_dispatch(MapperDispatch, cls), False),
    ]
    for base in cls.__mro__[1:]:
        if base is not object:
            parents.append((class_dispatch(MapperDispatch, base), True))
    return MapperDispatch(parents, mapper)


# -- instance events -------------------------------------------------------------------


def _fire_init_from(cls: type) -> None:
    """Make ``cls``'s constructor fire ``init`` (done once, when the first ``init``
    listener reaches the class: classes nobody listens to keep their constructor)."""
    current: Any = getattr(cls, "__init__")  # noqa: B009 (mypy: not cls.__init__)
    if getattr(current, "_fm_fires_init", False):
        return

    @functools.wraps(current)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        listeners = type(self).__mapper__.dispatch.init
        if listeners:
            for listener in listeners:
                target = instance_state(self) if listener.raw else self
                listener.call(target, args, kwargs)
        current(self, *args, **kwargs)

    __init__._fm_fires_init = True  # type: ignore[attr-defined]
    cls.__init__ = __init__  # type: ignore[misc]


class LoadContext:
    """The ``context`` a ``load`` listener gets: ``session`` is the sync ``Session``
    that loaded the object (an ``AsyncSession``'s ``sync_session``)."""

    __slots__ = ("session",)

    def __init__(self, session: Any) -> None:
        self.session = session

    def __repr__(self) -> str:
        return f"<LoadContext {self.session!r}>"


def fire_load(core: Any, mapper: Any, objects: list[Any]) -> None:
    """``load`` for objects a query just made from rows."""
    context = LoadContext(_sync_session(core))
    listeners = mapper.dispatch.load
    for obj in objects:
        for listener in listeners:
            listener.call(instance_state(obj) if listener.raw else obj, context)


def _sync_session(core: Any) -> Any:
    front = core.async_front
    if front is not None:
        return front.sync_session
    return core.sync_front


# -- attribute events ------------------------------------------------------------------


class AttributeEventToken:
    """The ``initiator`` attribute listeners get: which attribute (``key``, ``prop``)
    and which operation (``op``: ``OP_REPLACE``, ``OP_APPEND`` or ``OP_REMOVE``)."""

    __slots__ = ("key", "op", "prop")

    def __init__(self, prop: Any, op: str) -> None:
        self.prop = prop
        self.key = prop.key
        self.op = op

    def __repr__(self) -> str:
        return f"<AttributeEventToken {self.prop.parent.class_.__name__}.{self.key} {self.op}>"


def fire_set(prop: Any, obj: Any, value: Any) -> Any:
    """``set`` before ``obj.<prop> = value``: the value to set (a ``retval=True``
    listener may replace it)."""
    state = instance_state(obj)
    old = obj.__dict__.get(prop.key, NO_VALUE if state.key is not None else NEVER_SET)
    token = AttributeEventToken(prop, OP_REPLACE)
    for listener in prop.dispatch.set:
        returned = listener.call(state if listener.raw else obj, value, old, token)
        if listener.retval and returned is not SKIPPED:
            value = returned
    return value


def fire_append(prop: Any, obj: Any, value: Any) -> Any:
    """``append`` before ``value`` joins the collection: the item to add."""
    token = AttributeEventToken(prop, OP_APPEND)
    for listener in prop.dispatch.append:
        returned = listener.call(instance_state(obj) if listener.raw else obj, value, token)
        if listener.retval and returned is not SKIPPED:
            value = returned
    return value


def fire_remove(prop: Any, obj: Any, value: Any) -> None:
    """``remove`` before ``value`` leaves the collection."""
    token = AttributeEventToken(prop, OP_REMOVE)
    for listener in prop.dispatch.remove:
        listener.call(instance_state(obj) if listener.raw else obj, value, token)


# -- the flush ---------------------------------------------------------------------------

# How many listeners of flush events are registered (ferryman.event keeps count): while
# there are none, a flush looks no further.
persistence_listeners = [0]


def flush_needs_events(session: Any) -> bool:
    """Whether a flush of ``session`` has listeners to call: ``before_flush``, or a
    flush event on a mapper of the session's objects or of their registries (a
    cascade can reach the other classes of a registry)."""
    if session.dispatch.before_flush:
        return True
    if not persistence_listeners[0]:
        return False
    core = session._core
    registries = {
        state.mapper.registry
        for states in (core.new.values(), core.dirty_states, core.deleted.values())
        for state in states
    }
    return any(m.dispatch.persistence for registry in registries for m in registry.mappers)


class FlushContext:
    """The ``flush_context`` a ``before_flush`` listener gets: the ``session`` being
    flushed, and its ``new``, ``dirty`` and ``deleted`` objects at that moment."""

    __slots__ = ("session",)

    def __init__(self, session: Any) -> None:
        self.session = session

    @property
    def new(self) -> list[Any]:
        return list(self.session.new)

    @property
    def dirty(self) -> list[Any]:
        return list(self.session.dirty)

    @property
    def deleted(self) -> list[Any]:
        return list(self.session.deleted)

    def __repr__(self) -> str:
        return f"<FlushContext {self.session!r}>"


class FlushEvents:
    """What the flush plan calls mapper events through: the sync ``Session`` being
    flushed and its ``Connection`` (the plan itself has neither)."""

    __slots__ = ("connection", "session")

    def __init__(self, session: Any, connection: Any) -> None:
        self.session = session
        self.connection = connection

    def fire(self, name: str, mapper: Any, states: list[Any]) -> None:
        """``name`` (a flush event) for each of ``states``, if ``mapper`` has listeners."""
        listeners: tuple[Listener, ...] = getattr(mapper.dispatch, name)
        if not listeners:
            return
        connection = self.connection
        for state in states:
            for listener in listeners:
                listener.call(mapper, connection, state if listener.raw else state.obj)

"""Event listeners, as the objects that fire them see them (pure: no I/O).

``ferryman.event.listen(target, "name", fn)`` files a ``Listener`` with one or
more ``Dispatch`` objects: the target's own (an engine's, a pool's, a
session's), or a class-level one (every ``Engine``, every ``Pool``). A
``Dispatch`` has one attribute per event it knows, a tuple of the listeners
that apply to it: those of its parents (the dispatches of its classes, the
engine an ``execution_options()`` engine came from) and its own, in the order
they were registered (``insert=True`` ones first). A firing site reads that
tuple; an empty tuple is false, so an event with no listener costs one
attribute check and no call.

Adding or removing a listener recomputes the tuples of the dispatch it went to
and of every dispatch below it (a dispatch knows its children weakly).
"""

from __future__ import annotations

import itertools
import threading
import weakref
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, TypeVar

from .. import exc

__all__ = [
    "SKIPPED",
    "Dispatch",
    "EngineDispatch",
    "ExceptionContext",
    "Listener",
    "PoolDispatch",
    "class_dispatch",
    "dispatch_for_classes",
    "make_listener",
]

D = TypeVar("D", bound="Dispatch")

_order = itertools.count(1)


class _Skipped:
    __slots__ = ()

    def __repr__(self) -> str:
        return "SKIPPED"


# What a once=True listener returns after its one call: a firing site that uses
# return values (retval=True) keeps the value it had.
SKIPPED: Any = _Skipped()
# Guards registration: the listener lists and the parent/child links (firing reads
# the tuples without it).
_lock = threading.RLock()


class Listener:
    """One ``listen()`` call: the user's function, and how to call it.

    ``call`` is the function itself, or a thin wrapper for ``named=True`` (the
    arguments as keywords) and ``once=True``. ``retval`` and ``raw`` are applied by
    the firing site, which knows what the event returns and which argument is the
    target. ``is_async``: a coroutine function (connection events of async engines
    await it).
    """

    __slots__ = (
        "call",
        "fn",
        "identifier",
        "is_async",
        "order",
        "propagate",
        "raw",
        "retval",
    )

    def __init__(
        self,
        identifier: str,
        fn: Callable[..., Any],
        call: Callable[..., Any],
        *,
        is_async: bool,
        propagate: bool = False,
        retval: bool = False,
        raw: bool = False,
        insert: bool = False,
    ) -> None:
        self.identifier = identifier
        self.fn = fn
        self.call = call
        self.is_async = is_async
        self.propagate = propagate
        self.retval = retval
        self.raw = raw
        number = next(_order)
        self.order = -number if insert else number  # insert=True: ahead of the others

    def __repr__(self) -> str:
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        return f"<Listener {self.identifier!r} {name}>"


def make_listener(
    identifier: str,
    fn: Callable[..., Any],
    argnames: tuple[str, ...],
    *,
    is_async: bool,
    named: bool = False,
    once: bool = False,
    **flags: bool,
) -> Listener:
    """A ``Listener`` for ``fn``; ``argnames`` name the event's arguments (for
    ``named=True``)."""
    call = fn
    if named:
        call = _named(fn, argnames, is_async)
    if once:
        call = _once(call, is_async)
    return Listener(identifier, fn, call, is_async=is_async, **flags)


def _named(fn: Callable[..., Any], argnames: tuple[str, ...], is_async: bool) -> Any:
    if is_async:

        async def named_async(*args: Any) -> Any:
            return await fn(**dict(zip(argnames, args, strict=False)))

        return named_async

    def named_sync(*args: Any) -> Any:
        return fn(**dict(zip(argnames, args, strict=False)))

    return named_sync


def _once(fn: Callable[..., Any], is_async: bool) -> Any:
    done = threading.Event()
    guard = threading.Lock()

    def first() -> bool:
        with guard:
            if done.is_set():
                return False
            done.set()
            return True

    if is_async:

        async def once_async(*args: Any) -> Any:
            if first():
                return await fn(*args)
            return SKIPPED

        return once_async

    def once_sync(*args: Any) -> Any:
        if first():
            return fn(*args)
        return SKIPPED

    return once_sync


class Dispatch:
    """The listeners one object fires, one tuple per event (see the module docstring).

    ``parents`` are ``(dispatch, propagated_only)`` pairs: with ``propagated_only``
    only the parent's listeners registered with ``propagate=True`` apply (a mapped
    class's base classes, for mapper events).
    """

    __slots__ = ("__weakref__", "_children", "_own", "_parents")
    EVENTS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parents: Iterable[tuple[Dispatch, bool]] = ()) -> None:
        self._own: list[Listener] = []
        self._parents = tuple(parents)
        self._children: weakref.WeakSet[Dispatch] = weakref.WeakSet()
        with _lock:
            for parent, _ in self._parents:
                parent._children.add(self)
            self._refresh()

    def listeners(self, propagated_only: bool = False) -> list[Listener]:
        """Every listener that applies here, in firing order."""
        found: dict[int, Listener] = {}
        for parent, only in self._parents:
            for listener in parent.listeners(only or propagated_only):
                found[id(listener)] = listener
        for listener in self._own:
            if listener.propagate or not propagated_only:
                found[id(listener)] = listener
        return sorted(found.values(), key=_by_order)

    def own(self, identifier: str, fn: Any) -> Listener | None:
        """The listener of ``fn`` for ``identifier`` registered on this very dispatch."""
        for listener in self._own:
            if listener.identifier == identifier and listener.fn == fn:
                return listener
        return None

    def add(self, listener: Listener) -> None:
        with _lock:
            self._own.append(listener)
            self._changed()

    def discard(self, listener: Listener) -> None:
        with _lock:
            self._own.remove(listener)
            self._changed()

    def _changed(self) -> None:
        self._refresh()
        for child in list(self._children):
            child._changed()

    def _refresh(self) -> None:
        every = self.listeners()
        for name in self.EVENTS:
            setattr(self, name, tuple([one for one in every if one.identifier == name]))
        self._derive()

    def _derive(self) -> None:
        """Set attributes computed from the tuples (subclasses)."""


def _by_order(listener: Listener) -> int:
    return listener.order


# per kind of dispatch: class -> its class-level dispatch (weakly: a class made at run
# time, a test's mapped classes, can go away)
_CLASS_DISPATCH: dict[type, weakref.WeakKeyDictionary[type, Dispatch]] = {}


def class_dispatch(kind: type[D], owner: type) -> D:
    """The class-level dispatch of ``kind`` for ``owner`` (a class): the listeners
    registered on the class itself, which the dispatches of its objects (and of its
    subclasses' objects) take as a parent."""
    with _lock:
        per_class = _CLASS_DISPATCH.get(kind)
        if per_class is None:
            per_class = _CLASS_DISPATCH[kind] = weakref.WeakKeyDictionary()
        found = per_class.get(owner)
        if found is None:
            found = per_class[owner] = kind()
    return found  # type: ignore[return-value]


def dispatch_for_classes(kind: type[D], cls: type, *extra: Dispatch) -> D:
    """A dispatch for an object of ``cls``: the class-level dispatches of its classes
    (and ``extra`` ones) as parents."""
    parents: list[tuple[Dispatch, bool]] = [
        (class_dispatch(kind, c), False) for c in reversed(cls.__mro__) if c is not object
    ]
    parents += [(one, False) for one in extra]
    return kind(parents)


# -- the engine layer's dispatches ---------------------------------------------------


class EngineDispatch(Dispatch):
    """An engine's statement events. ``execute_events``: one of the execute events
    has a listener (the connection takes its slower path only then)."""

    EVENTS = ("before_execute", "after_execute", "handle_error")
    __slots__ = ("after_execute", "before_execute", "execute_events", "handle_error")

    before_execute: tuple[Listener, ...]
    after_execute: tuple[Listener, ...]
    handle_error: tuple[Listener, ...]
    execute_events: bool

    def _derive(self) -> None:
        self.execute_events = bool(self.before_execute or self.after_execute)


class PoolDispatch(Dispatch):
    """A pool's connection events."""

    EVENTS = ("connect", "checkout", "checkin")
    __slots__ = ("checkin", "checkout", "connect")

    connect: tuple[Listener, ...]
    checkout: tuple[Listener, ...]
    checkin: tuple[Listener, ...]


class ExceptionContext:
    """What a ``handle_error`` listener receives about a failed operation.

    * ``original_exception``: the driver's exception (``err.orig``), or the ferryman
      error itself when the driver raised none;
    * ``ferryman_exception``: the ``exc.DBAPIError`` ferryman raises for it (also
      readable as ``sqlalchemy_exception``, for code ported from SQLAlchemy);
    * ``statement``, ``parameters``: the SQL sent and its parameters as given (None
      when the failure was connecting);
    * ``connection``, ``engine``, ``dialect``: where it happened (for an async
      engine, a plain function gets a sync ``Connection`` over the same connection,
      a coroutine function the ``AsyncConnection``);
    * ``is_disconnect``: the connection is lost. A listener may set it: True makes
      ferryman discard the connection, False keeps it;
    * ``chained_exception``: the exception an earlier listener returned, if any.

    A listener may raise an exception of its own (it propagates at once) or return
    one: the last exception returned is raised in place of ``ferryman_exception``.
    """

    __slots__ = (
        "chained_exception",
        "connection",
        "dialect",
        "engine",
        "ferryman_exception",
        "is_disconnect",
        "original_exception",
        "parameters",
        "statement",
    )

    def __init__(
        self,
        error: exc.DBAPIError,
        statement: str | None,
        parameters: Any,
        connection: Any,
        engine: Any,
    ) -> None:
        self.ferryman_exception = error
        self.original_exception: BaseException = error.orig if error.orig is not None else error
        self.statement = statement
        self.parameters = parameters
        self.connection = connection
        self.engine = engine
        self.dialect = engine.dialect
        self.is_disconnect = error.connection_invalidated
        self.chained_exception: BaseException | None = None

    @property
    def sqlalchemy_exception(self) -> exc.DBAPIError:
        """``ferryman_exception``, under the name SQLAlchemy code reads it by."""
        return self.ferryman_exception

    def __repr__(self) -> str:
        return f"<ExceptionContext {type(self.ferryman_exception).__name__}>"

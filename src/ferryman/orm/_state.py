"""Instance state: what the ORM knows about one mapped object.

Attribute *values* live in the object's own ``__dict__`` (reading a loaded
attribute is one dict lookup). Everything else lives in an ``InstanceState``
kept in that dict under ``_fm_state`` (an object loaded from a row holds a
shared ``Loaded`` marker there instead, until something needs its state:
``instance_state()`` makes it then):

* ``key``: the identity (primary key: the value itself for a one-column key,
  else a tuple) once the row exists, ``None`` before;
* ``session``: the ``SessionCore`` it belongs to, if any;
* ``committed``: for each attribute changed since load, the value it had (the
  history's "deleted" side and what an UPDATE compares against);
* ``expired``: attribute keys dropped by ``expire()`` / commit (they load
  again on access in sync code; async code raises and says how to load them);
* ``status``: the lifecycle, moved only through ``transition()`` below.

The lifecycle is one table, every legal move listed; anything else is a bug
in the caller and raises naming the state, the event and the object.
"""

from __future__ import annotations

from typing import Any

from .. import exc

__all__ = [
    "DELETED",
    "DETACHED",
    "NO_VALUE",
    "PENDING",
    "PERSISTENT",
    "TRANSIENT",
    "InstanceState",
    "Loaded",
    "instance_state",
]

TRANSIENT = "transient"  # not in a session, no row
PENDING = "pending"  # added to a session, not flushed yet
PERSISTENT = "persistent"  # in a session, with a row
DELETED = "deleted"  # its DELETE was flushed; the transaction has not ended
DETACHED = "detached"  # has (or had) a row, belongs to no session


class _NoValue:
    __slots__ = ()

    def __repr__(self) -> str:
        return "NO_VALUE"

    def __bool__(self) -> bool:
        return False


NO_VALUE: Any = _NoValue()

# (state, event) -> new state
TRANSITIONS: dict[tuple[str, str], str] = {
    (TRANSIENT, "add"): PENDING,
    (PENDING, "flush_insert"): PERSISTENT,
    (PENDING, "expunge"): TRANSIENT,
    (PENDING, "rollback"): TRANSIENT,
    (PERSISTENT, "flush_delete"): DELETED,
    (PERSISTENT, "expunge"): DETACHED,
    (PERSISTENT, "close"): DETACHED,
    (PERSISTENT, "rollback_insert"): TRANSIENT,
    (DELETED, "commit"): DETACHED,
    (DELETED, "rollback"): PERSISTENT,
    (DELETED, "expunge"): DETACHED,
    (DELETED, "close"): DETACHED,
    (DETACHED, "add"): PERSISTENT,
    (DETACHED, "load"): PERSISTENT,
    (TRANSIENT, "load"): PERSISTENT,
}


class InstanceState:
    """The ORM's bookkeeping for one object (see the module docstring)."""

    __slots__ = (
        "__weakref__",
        "committed",
        "deleted",
        "expired",
        "key",
        "lazy",
        "mapper",
        "modified",
        "obj",
        "session",
        "status",
    )

    def __init__(
        self, obj: Any, mapper: Any, key: Any = None, session: Any = None, status: str = TRANSIENT
    ) -> None:
        self.obj = obj
        self.mapper = mapper
        self.key = key
        self.session = session
        self.committed: dict[str, Any] | None = None
        self.expired: set[str] | None = None
        self.lazy: dict[str, str] | None = None  # per-object loader strategies (raiseload ...)
        self.modified = False
        self.deleted = False  # session.delete() was called; flushed when status is DELETED
        self.status = status

    def transition(self, event: str) -> None:
        new = TRANSITIONS.get((self.status, event))
        if new is None:
            raise exc.InvalidRequestError(
                f"Can't {event.replace('_', ' ')} {self.describe()}: it is {self.status}"
            )
        self.status = new

    def holds_any(self, keys: frozenset[str]) -> bool:
        """Whether one of ``keys`` (relationships: few) is loaded on the object or
        was changed: else a flush has nothing to do along them for it."""
        d, committed = self.obj.__dict__, self.committed
        for key in keys:  # noqa: SIM110 (a loop, not any(): no generator per object)
            if key in d or (committed is not None and key in committed):
                return True
        return False

    def describe(self) -> str:
        name = self.mapper.class_.__name__
        if self.key is None:
            return f"<{name} at 0x{id(self.obj):x}>"
        ident = self.key if isinstance(self.key, tuple) else (self.key,)
        return f"<{name} {', '.join(map(repr, ident))}>"

    # -- what inspect(obj) shows --

    @property
    def transient(self) -> bool:
        return self.status == TRANSIENT

    @property
    def pending(self) -> bool:
        return self.status == PENDING

    @property
    def persistent(self) -> bool:
        return self.status == PERSISTENT

    @property
    def was_deleted(self) -> bool:
        return self.status == DELETED or (self.status == DETACHED and self.deleted)

    @property
    def detached(self) -> bool:
        return self.status == DETACHED

    @property
    def identity(self) -> tuple[Any, ...] | None:
        if self.key is None:
            return None
        return self.key if isinstance(self.key, tuple) else (self.key,)

    @property
    def identity_key(self) -> tuple[Any, ...] | None:
        ident = self.identity
        return None if ident is None else (self.mapper.class_, ident, None)

    @property
    def has_identity(self) -> bool:
        return self.key is not None

    @property
    def object(self) -> Any:
        return self.obj

    @property
    def class_(self) -> type:
        return self.mapper.class_  # type: ignore[no-any-return]

    @property
    def dict(self) -> dict[str, Any]:
        return self.obj.__dict__  # type: ignore[no-any-return]

    @property
    def unloaded(self) -> set[str]:
        """Keys of the mapped attributes that are not loaded (expired or never loaded)."""
        d = self.obj.__dict__
        return {key for key in self.mapper.attrs_by_key if key not in d}

    @property
    def expired_attributes(self) -> set[str]:
        return set(self.expired or ())

    @property
    def attrs(self) -> _Attrs:
        return _Attrs(self)

    @property
    def async_session(self) -> Any:
        core = self.session
        return None if core is None else core.async_front

    def __repr__(self) -> str:
        return f"<InstanceState {self.describe()} {self.status}>"


class History(tuple[Any, ...]):
    """``(added, unchanged, deleted)``: an attribute's change since it was loaded."""

    __slots__ = ()

    @property
    def added(self) -> list[Any]:
        return self[0]  # type: ignore[no-any-return]

    @property
    def unchanged(self) -> list[Any]:
        return self[1]  # type: ignore[no-any-return]

    @property
    def deleted(self) -> list[Any]:
        return self[2]  # type: ignore[no-any-return]

    def has_changes(self) -> bool:
        return bool(self[0] or self[2])

    def empty(self) -> bool:
        return not (self[0] or self[1] or self[2])


class AttributeState:
    """One attribute of one object: ``inspect(obj).attrs.name``."""

    __slots__ = ("key", "state")

    def __init__(self, state: InstanceState, key: str) -> None:
        self.state = state
        self.key = key

    @property
    def loaded_value(self) -> Any:
        return self.state.obj.__dict__.get(self.key, NO_VALUE)

    @property
    def value(self) -> Any:
        return getattr(self.state.obj, self.key)

    @property
    def history(self) -> History:
        d = self.state.obj.__dict__
        committed = self.state.committed or {}
        current = d.get(self.key, NO_VALUE)
        prop = self.state.mapper.attrs_by_key[self.key]
        if getattr(prop, "uselist", False):
            items = list(current) if current is not NO_VALUE else []
            old = committed.get(self.key, NO_VALUE)
            if old is NO_VALUE:
                return History((items, [], []) if self.state.key is None else ([], items, []))
            old_ids = {id(o) for o in old}
            new_ids = {id(o) for o in items}
            return History(
                (
                    [o for o in items if id(o) not in old_ids],
                    [o for o in items if id(o) in old_ids],
                    [o for o in old if id(o) not in new_ids],
                )
            )
        if self.key in committed:
            old = committed[self.key]
            if current is NO_VALUE:
                return History(([], [], [] if old is NO_VALUE else [old]))
            if old is not NO_VALUE and old == current:
                return History(([], [current], []))
            return History(([current], [], [] if old is NO_VALUE else [old]))
        if current is NO_VALUE:
            return History(([], [], []))
        if self.state.key is None:
            return History(([current], [], []))
        return History(([], [current], []))

    def __repr__(self) -> str:
        return f"<AttributeState {self.key}>"


class _Attrs:
    """``inspect(obj).attrs``: ``.name`` or ``["name"]`` gives an ``AttributeState``."""

    __slots__ = ("_state",)

    def __init__(self, state: InstanceState) -> None:
        self._state = state

    def __getitem__(self, key: str) -> AttributeState:
        if key not in self._state.mapper.attrs_by_key:
            raise KeyError(f"{self._state.mapper.class_.__name__} has no mapped attribute {key!r}")
        return AttributeState(self._state, key)

    def __getattr__(self, key: str) -> AttributeState:
        try:
            return self[key]
        except KeyError as err:
            raise AttributeError(str(err)) from None

    def __iter__(self) -> Any:
        return (AttributeState(self._state, key) for key in self._state.mapper.attrs_by_key)

    def keys(self) -> list[str]:
        return list(self._state.mapper.attrs_by_key)

    def __len__(self) -> int:
        return len(self._state.mapper.attrs_by_key)


class Loaded:
    """What a loaded object's ``__dict__`` holds until its ``InstanceState`` is needed:
    one shared marker per session and mapper, so that loading a row makes no state
    object. ``instance_state()`` replaces it with the real state on first need (the
    identity is read from the primary key values, which a loaded object has).
    ``session`` is None once the session closed (the objects are then detached)."""

    __slots__ = ("mapper", "session")

    def __init__(self, mapper: Any, session: Any) -> None:
        self.mapper = mapper
        self.session = session

    def upgrade(self, obj: Any) -> InstanceState:
        mapper = self.mapper
        d = obj.__dict__
        session = self.session
        pk = mapper.pk_keys
        ident = d.get(pk[0]) if len(pk) == 1 else mapper.identity_of(d)
        state = InstanceState(obj, mapper, ident, session, PERSISTENT if session else DETACHED)
        d["_fm_state"] = state
        return state


def instance_state(obj: Any) -> InstanceState:
    """The state of a mapped object (made on first need for objects built without
    ``__init__`` or loaded from a row); ``UnmappedInstanceError`` for anything else."""
    try:
        state = obj.__dict__["_fm_state"]
        if type(state) is Loaded:
            return state.upgrade(obj)
        return state  # type: ignore[no-any-return]
    except (KeyError, AttributeError):
        mapper = getattr(type(obj), "__mapper__", None)
        if mapper is None:
            raise exc.UnmappedInstanceError(
                f"{obj!r} is not an instance of a mapped class; the session only takes "
                "objects of classes declared on a DeclarativeBase (or mapped by a registry)"
            ) from None
        state = InstanceState(obj, mapper)
        obj.__dict__["_fm_state"] = state
        return state

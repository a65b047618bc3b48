"""The state a session keeps, shared by its sync and async front ends.

``SessionCore`` holds the identity map (one dict per mapper, primary key ->
object), the pending objects, the objects marked for deletion, the dirty
objects, and what was flushed in the current transaction (to undo on
rollback). It does no I/O: the front ends (``Session``, ``AsyncSession``)
run its plans on their connection.

``AsyncSession.run_sync(fn)`` hands ``fn`` a sync ``Session`` over the same
core, so both see one identity map. ``sync_front`` is the session that may load
attributes on access: the ``Session`` itself, or that temporary sync session
while ``fn`` runs (only in ``fn``'s thread).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

from .. import exc
from ._state import (
    DELETED,
    DETACHED,
    NO_VALUE,
    PENDING,
    PERSISTENT,
    TRANSIENT,
    InstanceState,
    Loaded,
    instance_state,
)

__all__ = ["IdentityMap", "SessionCore"]

_NO_DICT: dict[str, Any] = {}


class SessionCore:
    """Identity map and change sets of one session (see the module docstring)."""

    def __init__(self) -> None:
        self.identity: dict[Any, dict[Any, Any]] = {}
        self.new: dict[int, InstanceState] = {}  # in the order added
        self.deleted: dict[int, InstanceState] = {}
        self.dirty_states: set[InstanceState] = set()
        self.flushed_new: list[InstanceState] = []  # inserted in this transaction
        self.flushed_deleted: list[InstanceState] = []  # deleted in this transaction
        self.dialect: Any = None
        self.async_front: Any = None
        self.sync_front: Any = None
        self.loader_thread: int | None = None
        self.markers: dict[Any, Loaded] = {}  # per mapper: see _state.Loaded
        # (mapper, states, keys): changed objects a commit found to be one UPDATE
        self.unnest_update: tuple[Any, list[InstanceState], list[str]] | None = None

    # -- identity map --

    def identity_map_for(self, mapper: Any) -> dict[Any, Any]:
        imap = self.identity.get(mapper)
        if imap is None:
            imap = self.identity[mapper] = {}
        return imap

    def marker_for(self, mapper: Any) -> Loaded:
        """The stand-in state that objects of ``mapper`` loaded by this session hold."""
        marker = self.markers.get(mapper)
        if marker is None:
            marker = self.markers[mapper] = Loaded(mapper, self)
        return marker

    def identity_get(self, mapper: Any, ident: Any) -> Any:
        imap = self.identity.get(mapper)
        return None if imap is None else imap.get(ident)

    def objects(self) -> Iterator[Any]:
        for imap in self.identity.values():
            yield from imap.values()

    def sync_loader(self) -> Any:
        """The sync session that may load attributes now, or None (async code)."""
        front = self.sync_front
        if front is None:
            return None
        if self.loader_thread is not None and self.loader_thread != threading.get_ident():
            return None  # run_sync's session loads only in run_sync's thread
        return front

    # -- adding, deleting --

    def add(self, obj: Any) -> None:
        state = getattr(obj, "__dict__", {}).get("_fm_state")
        if type(state) is not InstanceState:
            state = instance_state(obj)
        if state.status == TRANSIENT:  # the common case (no session, no row yet)
            state.status = PENDING  # TRANSITIONS[(TRANSIENT, "add")]
            state.session = self
            self.new[id(state)] = state
            if state.mapper.relationships:
                self._cascade_from(state)
            return
        if state.session is not None and state.session is not self:
            raise exc.InvalidRequestError(
                f"{state.describe()} is already attached to another session; expunge it "
                "there first, or use session.merge(obj) to copy its state into this one"
            )
        if state.status == DELETED or (state.deleted and state.status == DETACHED):
            raise exc.InvalidRequestError(
                f"{state.describe()} was deleted; it can't be added again (make a new object)"
            )
        if state.status == DETACHED:
            existing = self.identity_get(state.mapper, state.key)
            if existing is not None and existing is not obj:
                raise exc.InvalidRequestError(
                    f"Can't attach {state.describe()}: another object with the same identity "
                    "is already in this session; use session.merge(obj)"
                )
            state.transition("add")
            state.session = self
            self.identity_map_for(state.mapper)[state.key] = obj
            if state.modified:
                self.dirty_states.add(state)
        self._cascade_from(state)

    def cascade_add(self, obj: Any) -> None:
        """An object reached through a save-update relationship joins the session."""
        state = instance_state(obj)
        if state.session is self:
            return
        if state.status in (TRANSIENT, DETACHED) and not state.deleted:
            self.add(obj)

    def _cascade_from(self, state: InstanceState) -> None:
        relationships = state.mapper.relationships
        if not relationships:
            return
        d = state.obj.__dict__
        for rel in relationships.values():
            if "save-update" not in rel.cascade or rel.key not in d:
                continue
            value = d[rel.key]
            for item in value if rel.uselist else ([value] if value is not None else []):
                self.cascade_add(item)
        if "_fm_write_only_pending" in d:  # added to a write-only collection before the
            for item in d.pop("_fm_write_only_pending"):  # object joined a session
                self.cascade_add(item)

    def cascade_pending(self) -> None:
        """Before a flush: whatever new and changed objects reach joins the session."""
        for state in [*self.new.values(), *self.dirty_states]:
            keys = state.mapper.relationship_keys
            if keys and state.holds_any(keys):
                self._cascade_from(state)

    def add_all(self, objects: Any) -> None:
        """``add()`` of each object; the common case (a new object of a class without
        relationships) without a call per object."""
        new, add = self.new, self.add
        for obj in objects:
            state = getattr(obj, "__dict__", _NO_DICT).get("_fm_state")
            if (
                type(state) is InstanceState
                and state.status == TRANSIENT
                and not state.mapper.relationships
            ):
                state.status = PENDING  # TRANSITIONS[(TRANSIENT, "add")]
                state.session = self
                new[id(state)] = state
            else:
                add(obj)

    def delete(self, obj: Any) -> None:
        state = instance_state(obj)
        if state.status == PENDING:
            raise exc.InvalidRequestError(
                f"{state.describe()} is pending (never flushed); use session.expunge(obj) to "
                "drop it instead of delete()"
            )
        if state.status == TRANSIENT:
            raise exc.InvalidRequestError(
                f"{state.describe()} is not persisted (transient); there is no row to delete"
            )
        if state.status == DETACHED:
            self.add(obj)
        if state.session is not self:
            raise exc.InvalidRequestError(f"{state.describe()} belongs to another session")
        if state.status == DELETED:
            return
        state.deleted = True
        self.deleted[id(state)] = state

    def expunge(self, obj: Any) -> None:
        state = instance_state(obj)
        if state.session is not self:
            raise exc.InvalidRequestError(f"{state.describe()} is not in this session")
        self._detach(state, "expunge")

    def _detach(self, state: InstanceState, event: str) -> None:
        if state.key is not None:
            imap = self.identity.get(state.mapper)
            if imap is not None and imap.get(state.key) is state.obj:
                del imap[state.key]
        self.new.pop(id(state), None)
        self.deleted.pop(id(state), None)
        self.dirty_states.discard(state)
        if state.status == PENDING:
            state.transition("expunge")
        elif state.status in (PERSISTENT, DELETED):
            state.transition(event)
        state.session = None

    # -- expiry --

    def expire(self, state: InstanceState, keys: list[str] | None = None) -> None:
        if state.key is None:
            raise exc.InvalidRequestError(
                f"{state.describe()} has no row yet (it is {state.status}); only persistent "
                "objects can be expired"
            )
        d = state.obj.__dict__
        mapper = state.mapper
        if keys is None:
            keys = list(mapper.attrs_by_key)
            state.committed = None
            if state.modified:
                state.modified = False
                self.dirty_states.discard(state)
        else:
            unknown = [k for k in keys if k not in mapper.attrs_by_key]
            if unknown:
                raise exc.InvalidRequestError(
                    f"{mapper.class_.__name__} has no mapped attribute(s) {unknown}"
                )
            if state.committed:
                for key in keys:
                    state.committed.pop(key, None)
        pk_keys = mapper.pk_keys
        for key in keys:
            d.pop(key, None)
        if any(k not in d for k in pk_keys):
            # The primary key is the object's identity: it stays (as the identity says,
            # an unflushed change of it included) and needs no reload; a flush after
            # expiry finds its row by it.
            ident = state.key
            values = (ident,) if len(pk_keys) == 1 else ident
            for key, value in zip(pk_keys, values, strict=True):
                d[key] = value
            keys = [k for k in keys if k not in pk_keys]
        state.expired = (state.expired or set()) | set(keys)

    def expire_all(self) -> None:
        for obj in list(self.objects()):
            self.expire(instance_state(obj))

    # -- transaction ends --

    def has_changes(self) -> bool:
        return bool(self.new or self.deleted or self.dirty_states)

    def after_commit(self, expire: bool) -> None:
        for state in self.flushed_deleted:
            if state.status == DELETED:
                state.transition("commit")
                state.session = None
        self.flushed_new.clear()
        self.flushed_deleted.clear()
        if expire:
            self.expire_all()

    def after_rollback(self, since_new: int = 0, since_deleted: int = 0) -> None:
        """Undo what the rolled-back transaction (or savepoint: the ``since_`` marks)
        flushed: inserted objects leave the session, deleted ones come back, and
        every persistent object is expired (its row may be different now)."""
        for state in self.flushed_new[since_new:]:
            if state.status == PERSISTENT:
                imap = self.identity.get(state.mapper)
                if imap is not None and imap.get(state.key) is state.obj:
                    del imap[state.key]
                self.dirty_states.discard(state)
                state.transition("rollback_insert")
                state.key = None
                state.session = None
                state.expired = None
        for state in self.flushed_deleted[since_deleted:]:
            if state.status == DELETED:
                state.transition("rollback")
                state.deleted = False
                self.identity_map_for(state.mapper)[state.key] = state.obj
        del self.flushed_new[since_new:]
        del self.flushed_deleted[since_deleted:]
        for state in list(self.deleted.values()):
            state.deleted = False
        self.deleted.clear()
        self.expire_all()

    def close(self) -> None:
        for imap in self.identity.values():
            for obj in imap.values():  # every one is persistent: detach them in bulk
                state = obj.__dict__["_fm_state"]
                if type(state) is InstanceState:
                    state.session = None
                    state.status = DETACHED
        for marker in self.markers.values():
            marker.session = None  # objects still holding it are detached now
        self.markers.clear()
        for state in list(self.new.values()):
            self._detach(state, "expunge")
        for state in self.flushed_deleted:
            if state.status == DELETED:
                state.transition("close")
                state.session = None
        self.identity.clear()
        self.new.clear()
        self.deleted.clear()
        self.dirty_states.clear()
        self.flushed_new.clear()
        self.flushed_deleted.clear()

    # -- merge --

    def adopt_copy(self, source: Any, mapper: Any, ident: Any) -> Any:
        """A new persistent object of this session with ``source``'s loaded column values,
        clean (``merge(load=False)`` of an object the identity map lacks)."""
        state = getattr(source, "__dict__", {}).get("_fm_state")
        if isinstance(state, InstanceState) and state.modified:
            raise exc.InvalidRequestError(
                f"merge(load=False) takes unchanged objects; {state.describe()} has changes "
                "that were never flushed: use merge() (or flush them first)"
            )
        sd = source.__dict__
        values = {p.key: sd[p.key] for p in mapper.column_attrs if p.key in sd}
        return self.adopt_values(mapper, values, ident)

    def adopt_values(
        self, mapper: Any, values: dict[str, Any], ident: Any = None, refresh: bool = True
    ) -> Any:
        """The session's object for a row's values: the identity map's (``refresh``:
        given the values where it has no unflushed change; else only those it lacks),
        or a new persistent one, clean."""
        if ident is None:
            ident = mapper.identity_of(values)
        existing = self.identity_get(mapper, ident)
        if existing is not None:
            if not refresh:
                d = existing.__dict__
                values = {k: v for k, v in values.items() if k not in d}
            self.set_clean(instance_state(existing), values, keep_changes=True)
            return existing
        target = mapper.class_.__new__(mapper.class_)
        d = target.__dict__
        d.update(values)
        d["_fm_state"] = self.marker_for(mapper)
        self.identity_map_for(mapper)[ident] = target
        return target

    def set_clean(
        self, state: InstanceState, values: dict[str, Any], keep_changes: bool = False
    ) -> None:
        """Values the row has now (read back from the database), set with no history;
        ``keep_changes``: an attribute changed since the load keeps its new value."""
        d = state.obj.__dict__
        committed = state.committed
        for key, value in values.items():
            if committed and key in committed:
                if keep_changes:
                    continue
                del committed[key]
            d[key] = value
            if state.expired:
                state.expired.discard(key)

    def deleted_by_statement(self, state: InstanceState) -> None:
        """A DELETE statement removed the object's row: it leaves the session as a
        flushed delete would (commit detaches it, rollback brings it back)."""
        if state.status != PERSISTENT:
            return
        self.identity_map_for(state.mapper).pop(state.key, None)
        state.transition("flush_delete")
        state.deleted = True
        self.flushed_deleted.append(state)
        self.dirty_states.discard(state)

    def set_loaded_collection(self, target: Any, rel: Any, items: list[Any]) -> None:
        """A collection set as loaded (no change to flush)."""
        from ._attributes import new_collection

        target.__dict__[rel.key] = new_collection(target, rel, items)

    def merge_values(self, source: Any, target: Any) -> None:
        """Copy the loaded column values of ``source`` onto ``target`` (as changes)."""
        sd = source.__dict__
        mapper = type(source).__mapper__
        for prop in mapper.column_attrs:
            value = sd.get(prop.key, NO_VALUE)
            if value is not NO_VALUE and target.__dict__.get(prop.key, NO_VALUE) != value:
                setattr(target, prop.key, value)


class IdentityMap:
    """``session.identity_map``: the persistent objects, by identity key
    ``(class, (primary key values), None)``."""

    def __init__(self, core: SessionCore) -> None:
        self._core = core

    def _keys(self) -> Iterator[tuple[Any, Any]]:
        for mapper, imap in self._core.identity.items():
            for ident, obj in imap.items():
                yield (mapper.class_, ident if isinstance(ident, tuple) else (ident,), None), obj

    def keys(self) -> list[Any]:
        return [k for k, _ in self._keys()]

    def values(self) -> list[Any]:
        return [o for _, o in self._keys()]

    def items(self) -> list[Any]:
        return list(self._keys())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.keys())

    def __len__(self) -> int:
        return sum(len(m) for m in self._core.identity.values())

    def __contains__(self, key: Any) -> bool:
        return any(k == key for k, _ in self._keys())

    def __getitem__(self, key: Any) -> Any:
        for k, obj in self._keys():
            if k == key:
                return obj
        raise KeyError(key)

    def get(self, key: Any, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

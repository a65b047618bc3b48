"""Instrumented attributes: the descriptors a mapped class gets for its columns and
relationships.

On the class, ``User.name`` is a SQL expression (``User.name == "x"``); on an
instance it is the value, read straight from ``obj.__dict__``. Writing records
the old value in the state (for history and for an UPDATE of only what changed)
and tells the session the object is dirty.

A value missing from ``__dict__`` was never loaded or was expired. What
happens then is the point of ferryman's async story: a sync ``Session`` loads
it (a SELECT, as users of SQLAlchemy expect); async code never does I/O on
attribute access, and raises ``UnloadedAttributeError`` naming the attribute
and the ways to load it.

Relationships keep both sides in step in memory (``back_populates`` /
``backref``): setting ``traveler.destination = norway`` appends ``traveler`` to
``norway.travelers`` if that collection is loaded, and vice versa. Collections
are ``InstrumentedList``s that report appends and removals.

Attribute events (``set``, ``append``, ``remove``: ``ferryman.event``) fire
before the change, and before what it does to the other side of a relationship;
they cost one check of the property's ``dispatch`` per change when nobody
listens.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Generic, SupportsIndex, TypeVar

from .. import exc
from ..sql._elements import ColumnOperators
from ._events import fire_append, fire_remove, fire_set
from ._state import NO_VALUE, InstanceState, Loaded, instance_state

__all__ = [
    "ColumnAttribute",
    "InstrumentedAttribute",
    "InstrumentedList",
    "QueryableAttribute",
    "RelationshipAttribute",
]


_T = TypeVar("_T")


def _state_of(obj: Any) -> InstanceState:
    state = obj.__dict__.get("_fm_state")
    if type(state) is InstanceState:
        return state
    return instance_state(obj)  # made now, or upgraded from a loaded object's marker


def _note_change(state: InstanceState, key: str, old: Any) -> None:
    """Remember ``old`` as the loaded value of ``key`` (first change only) and mark the
    object dirty in its session."""
    if state.key is None:
        return  # pending / transient: everything is inserted anyway
    committed = state.committed
    if committed is None:
        committed = state.committed = {}
    if key not in committed:
        committed[key] = old
    if not state.modified:
        state.modified = True
        if state.session is not None:
            state.session.dirty_states.add(state)


class QueryableAttribute(Generic[_T]):
    """A mapped attribute seen from the class: usable in SQL expressions."""

    __slots__ = ("class_", "key", "parententity", "prop")

    def __init__(self, class_: type, key: str, prop: Any, parententity: Any = None) -> None:
        self.class_ = class_
        self.key = key
        self.prop = prop
        self.parententity = parententity  # an aliased class, when reached through one

    def _orm_entity_key(self) -> Any:
        return ("attr", self.parententity or self.class_, self.key)

    def __get__(self, obj: Any, cls: Any = None) -> Any:
        """On the class: the attribute itself; on an object: its value (loaded, or
        see ``missing()``)."""
        if obj is None:
            return self
        try:
            return obj.__dict__[self.key]
        except KeyError:
            return missing(obj, self)

    def __repr__(self) -> str:
        return f"{self.class_.__name__}.{self.key}"

    def __str__(self) -> str:
        return f"{self.class_.__name__}.{self.key}"

    def __hash__(self) -> int:
        return id(self)


class ColumnAttribute(QueryableAttribute[_T]):
    """``User.name``: a column of a mapped class."""

    __slots__ = ("column", "validator")

    if TYPE_CHECKING:  # the column operators, delegated below

        def __getattr__(self, name: str) -> Any: ...
        def __eq__(self, other: Any) -> Any: ...
        def __ne__(self, other: Any) -> Any: ...
        def __lt__(self, other: Any) -> Any: ...
        def __le__(self, other: Any) -> Any: ...
        def __gt__(self, other: Any) -> Any: ...
        def __ge__(self, other: Any) -> Any: ...
        def __add__(self, other: Any) -> Any: ...
        def __sub__(self, other: Any) -> Any: ...
        def __mul__(self, other: Any) -> Any: ...
        def __truediv__(self, other: Any) -> Any: ...
        def __neg__(self) -> Any: ...
        def __invert__(self) -> Any: ...

    def __init__(self, class_: type, key: str, prop: Any, column: Any, parententity: Any = None):
        super().__init__(class_, key, prop, parententity)
        self.column = column
        self.validator: Any = None  # a @validates method: (obj, key, value) -> value

    def __clause_element__(self) -> Any:
        return self.column

    @property
    def expression(self) -> Any:
        return self.column

    @property
    def type(self) -> Any:
        return self.column.type

    @property
    def name(self) -> str:
        return self.key

    def __set__(self, obj: Any, value: Any) -> None:
        d = obj.__dict__
        key = self.key
        if self.validator is not None:
            value = self.validator(obj, key, value)
        if self.prop.dispatch.set:  # after @validates, as SQLAlchemy's are listeners first
            value = fire_set(self.prop, obj, value)
        state = d.get("_fm_state")
        if type(state) is Loaded:  # the first change of a loaded object: _note_change()
            state = state.upgrade(obj)
            if state.key is not None:
                state.committed = {key: d.get(key, NO_VALUE)}
                state.modified = True
                if state.session is not None:
                    state.session.dirty_states.add(state)
            d[key] = value
            return
        if type(state) is not InstanceState:
            state = instance_state(obj)
        if state.key is not None:
            _note_change(state, key, d.get(key, NO_VALUE))
            if state.expired:
                state.expired.discard(key)
        d[key] = value

    def __delete__(self, obj: Any) -> None:
        d = obj.__dict__
        state = _state_of(obj)
        if self.key in d:
            _note_change(state, self.key, d[self.key])
            d[self.key] = None
        else:
            raise AttributeError(self.key)


def _delegate(name: str) -> Any:
    def method(self: ColumnAttribute[Any], *args: Any, **kwargs: Any) -> Any:
        return getattr(self.column, name)(*args, **kwargs)

    method.__name__ = name
    return method


for _name, _value in list(vars(ColumnOperators).items()):
    if (
        callable(_value)
        and _name not in ("__init__", "_operate", "__hash__")
        and (not _name.startswith("_") or _name.startswith("__"))
    ):
        setattr(ColumnAttribute, _name, _delegate(_name))
# The comparisons, which every query's where() makes, call the column's operator
# directly (no getattr, no argument packing).
ColumnAttribute.__eq__ = lambda self, other: self.column == other  # type: ignore[method-assign]
ColumnAttribute.__ne__ = lambda self, other: self.column != other  # type: ignore[method-assign]
ColumnAttribute.__lt__ = lambda self, other: self.column < other  # type: ignore[method-assign]
ColumnAttribute.__le__ = lambda self, other: self.column <= other  # type: ignore[method-assign]
ColumnAttribute.__gt__ = lambda self, other: self.column > other  # type: ignore[method-assign]
ColumnAttribute.__ge__ = lambda self, other: self.column >= other  # type: ignore[method-assign]
for _name in ("label", "cast", "collate", "op"):
    if not hasattr(ColumnAttribute, _name) or _name == "op":
        setattr(ColumnAttribute, _name, _delegate(_name))

InstrumentedAttribute = ColumnAttribute


class RelationshipAttribute(QueryableAttribute[_T]):
    """``User.addresses``: a relationship of a mapped class."""

    __slots__ = ()

    def __clause_element__(self) -> Any:
        return self.prop.join_condition(None, None)

    def _join_steps(self, right: Any) -> list[tuple[Any, Any]]:
        """``(FROM item, ON clause)`` for each join ``select(A).join(A.bs)`` makes: one,
        or two through a many-to-many's secondary table."""
        steps: list[tuple[Any, Any]] = self.prop.join_steps(right, self.parententity)
        return steps

    def __eq__(self, other: Any) -> Any:
        return self.prop.compare(other, self.parententity)

    def __ne__(self, other: Any) -> Any:
        from ..sql import not_

        return not_(self.prop.compare(other, self.parententity))

    __hash__ = QueryableAttribute.__hash__

    def any(self, criterion: Any = None, **kwargs: Any) -> Any:
        """``EXISTS`` a related row (matching ``criterion``): for collections."""
        return self.prop.exists_clause(criterion, kwargs, self.parententity)

    def has(self, criterion: Any = None, **kwargs: Any) -> Any:
        """``EXISTS`` the related row (matching ``criterion``): for one object."""
        return self.prop.exists_clause(criterion, kwargs, self.parententity)

    def contains(self, other: Any) -> Any:
        """The rows whose collection holds ``other``: ``where(Post.tags.contains(tag))``."""
        return self.prop.contains(other, self.parententity)

    def __set__(self, obj: Any, value: Any) -> None:
        if self.prop.mapper is None:
            self.prop.parent.registry.configure()
        if self.prop.lazy in ("write_only", "dynamic"):
            from ._write_only import set_big_collection

            set_big_collection(obj, self.prop, value)
            return
        if self.prop.uselist:
            set_collection(obj, self.prop, value)
        else:
            set_scalar(obj, self.prop, value)

    def __delete__(self, obj: Any) -> None:
        self.__set__(obj, [] if self.prop.uselist else None)


# -- what a missing value does ------------------------------------------------------


def missing(obj: Any, attr: QueryableAttribute[Any]) -> Any:
    """The value of an attribute not in ``obj.__dict__``: a default for new objects, a
    load in a sync session, an ``UnloadedAttributeError`` in async code."""
    state = _state_of(obj)
    prop = attr.prop
    key = attr.key
    if prop.is_relationship and prop.mapper is None:
        prop.parent.registry.configure()
    if getattr(prop, "lazy", None) in ("write_only", "dynamic"):
        from ._write_only import big_collection

        return big_collection(obj, prop)  # never loaded: a writer / a query
    if state.key is None:  # transient or pending: nothing to load
        if getattr(prop, "uselist", False):
            return obj.__dict__.setdefault(key, new_collection(obj, prop, ()))
        return None
    lazy = getattr(prop, "lazy", "select")
    if state.lazy is not None:
        lazy = state.lazy.get(key, lazy)
    if lazy == "noload":
        value = new_collection(obj, prop, ()) if prop.uselist else None
        obj.__dict__[key] = value
        return value
    if lazy == "raise_on_sql" and _known_without_sql(obj, prop):
        # no SQL needed: the target is in the identity map (or the key is NULL)
        ident = prop.foreign_ident(state)
        value = None if ident is None else state.session.identity_get(prop.mapper, ident)
        obj.__dict__[key] = value
        return value
    if lazy == "raise" or lazy == "raise_on_sql":
        raise exc.InvalidRequestError(
            f"{state.mapper.class_.__name__}.{key} is not available due to lazy={lazy!r}; "
            f"load it in the query: .options(selectinload({state.mapper.class_.__name__}.{key}))"
        )
    core = state.session
    if core is None:
        raise exc.DetachedInstanceError(
            f"{state.describe()} is not bound to a session, so {state.mapper.class_.__name__}."
            f"{key} can't be loaded; load it before the session closes (a loader option or "
            "session.refresh()), keep values after commit with expire_on_commit=False, or "
            "add the object to a session (session.add(obj) / session.merge(obj))"
        )
    loader = core.sync_loader()
    if loader is None:
        raise exc.UnloadedAttributeError(unloaded_message(state, key))
    loader._load_attribute(state, key)
    try:
        return obj.__dict__[key]
    except KeyError:
        raise exc.ObjectDeletedError(
            f"{state.describe()} has no row any more (deleted, or its transaction rolled back)"
        ) from None


def _known_without_sql(obj: Any, prop: Any) -> bool:
    """A many-to-one whose target is already in the identity map (or is NULL)."""
    if prop.uselist or prop.direction != "MANYTOONE":
        return False
    state = _state_of(obj)
    d = obj.__dict__
    if any(prop.parent.key_by_column[p] not in d for p, _ in prop.pairs):
        return False  # the foreign key itself is not loaded
    ident = prop.foreign_ident(state)
    if ident is None:
        return True
    core = state.session
    return core is not None and core.identity_get(prop.mapper, ident) is not None


def unloaded_message(state: InstanceState, key: str) -> str:
    """The error for async code reading an unloaded attribute: what, why, and each fix."""
    cls = state.mapper.class_.__name__
    var = cls.lower()
    prop = state.mapper.attrs_by_key[key]
    expired = bool(state.expired and key in state.expired)
    if getattr(prop, "is_relationship", False):
        return (
            f"{cls}.{key} is not loaded, and async code never loads implicitly. Load it "
            f"with the query: .options(selectinload({cls}.{key})) or "
            f".options(joinedload({cls}.{key})); or load it now: "
            f"await {var}.awaitable_attrs.{key} (needs AsyncAttrs on the base class) or "
            f"await session.refresh({var}, [{key!r}])"
        )
    why = (
        "it was expired (by commit(), rollback() or expire())"
        if expired
        else "the query left it out (a deferred column, or load_only())"
    )
    fixes = [f"await session.refresh({var}, [{key!r}])", f"await {var}.awaitable_attrs.{key}"]
    if not expired:
        fixes.insert(0, f"load it with the query: .options(undefer({cls}.{key}))")
    if expired:
        fixes.append("keep values after commit: async_sessionmaker(..., expire_on_commit=False)")
    column = getattr(prop, "column", None)
    if column is not None and (
        getattr(column, "server_default", None) is not None
        or getattr(column, "primary_key", False)
    ):
        fixes.append('fetch server defaults on INSERT: __mapper_args__ = {"eager_defaults": True}')
    return (
        f"{cls}.{key} of {state.describe()} is not loaded: {why}, and async code never "
        "loads implicitly. Fixes: " + "; ".join(fixes)
    )


# -- relationships: setting values and keeping both sides in step -------------------


def _cascade_add(state: InstanceState, prop: Any, item: Any) -> None:
    core = state.session
    if core is not None and item is not None and "save-update" in prop.cascade:
        core.cascade_add(item)


def set_scalar(obj: Any, prop: Any, value: Any, initiator: Any = None) -> None:
    """``child.parent = value``: record the change, update the other side, cascade."""
    d = obj.__dict__
    key = prop.key
    validator = prop.validator
    if validator is not None and (initiator is None or validator[2]):
        value = _validated(validator, obj, key, value, False)
    if prop.dispatch.set:
        value = fire_set(prop, obj, value)
    old = d.get(key, NO_VALUE)
    if old is value:
        return
    if value is not None:
        _check_target(prop, value)
    state = _state_of(obj)
    _note_change(state, key, old)
    d[key] = value
    reverse = prop.reverse
    if reverse is not None:
        # The old target lets go of obj even when the new one started the change
        # (bob.addresses.append(a) takes a out of ann.addresses).
        if old is not None and old is not NO_VALUE:
            _unlink(old, reverse, obj, prop)
        if value is not None and initiator is not reverse:
            _link(value, reverse, obj, prop)
    _cascade_add(state, prop, value)


def _validated(validator: Any, obj: Any, key: str, value: Any, is_remove: bool) -> Any:
    function, include_removes, _ = validator
    if include_removes:
        return function(obj, key, value, is_remove)
    return function(obj, key, value)


def _check_target(prop: Any, value: Any) -> None:
    if not isinstance(value, prop.mapper.class_):
        raise exc.ArgumentError(
            f"{prop.parent.class_.__name__}.{prop.key} takes {prop.mapper.class_.__name__} "
            f"objects, not {value!r}"
        )


def _link(target: Any, reverse: Any, obj: Any, initiator: Any) -> None:
    """Put ``obj`` on ``target``'s side of the relationship (if that side is loaded, or
    ``target`` is new)."""
    if reverse.lazy in ("write_only", "dynamic"):
        return  # a collection never held in memory: the foreign key says it all
    td = target.__dict__
    if reverse.uselist:
        collection = td.get(reverse.key)
        if collection is None:
            if _state_of(target).key is not None:
                return  # not loaded: it will load with obj in it after the flush
            collection = td[reverse.key] = new_collection(target, reverse, ())
        if not any(o is obj for o in collection):
            collection._append(obj, initiator)
    elif td.get(reverse.key, NO_VALUE) is not obj:
        set_scalar(target, reverse, obj, initiator)


def _unlink(target: Any, reverse: Any, obj: Any, initiator: Any) -> None:
    if reverse.lazy in ("write_only", "dynamic"):
        return
    td = target.__dict__
    if reverse.uselist:
        collection = td.get(reverse.key)
        if collection is not None:
            for i, item in enumerate(collection):
                if item is obj:
                    collection._remove_at(i, initiator)
                    break
    elif td.get(reverse.key, NO_VALUE) is obj:
        set_scalar(target, reverse, None, initiator)


def set_collection(obj: Any, prop: Any, value: Any) -> None:
    """``parent.children = [...]``: the old items are removed, the new ones appended."""
    if value is None or isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        raise exc.ArgumentError(
            f"{prop.parent.class_.__name__}.{prop.key} is a collection: assign a list, "
            f"not {value!r}"
        )
    items = list(value)
    d = obj.__dict__
    current = d.get(prop.key)
    if current is None:  # not loaded: the new list replaces whatever the row has
        _note_change(_state_of(obj), prop.key, NO_VALUE)
        current = d[prop.key] = new_collection(obj, prop, ())
    keep = {id(o) for o in items}
    for i in range(len(current) - 1, -1, -1):
        if id(current[i]) not in keep:
            current._remove_at(i, None)
    present = {id(o) for o in current}
    for item in items:
        if id(item) not in present:
            current._append(item, None)


def _check_single_parent(prop: Any, owner: Any, item: Any) -> None:
    """A many-to-many with ``single_parent=True``: ``item`` may be in one parent's
    collection at a time (as far as its own side, when loaded, tells)."""
    reverse = prop.reverse
    if prop.secondary is None or reverse is None or not isinstance(item, prop.mapper.class_):
        return
    others = [o for o in item.__dict__.get(reverse.key) or () if o is not owner]
    if others:
        raise exc.InvalidRequestError(
            f"{item!r} already belongs to {others[0]!r} through {prop.name}, which allows "
            "one parent per object (single_parent=True); remove it from there first"
        )


class InstrumentedList(list[Any]):
    """A relationship collection: a list that keeps the other side and the session
    informed of appends and removals."""

    __slots__ = ("_owner", "_prop")

    _owner: Any
    _prop: Any

    def _changing(self) -> InstanceState:
        """Before the first change since load: remember the items as they were."""
        state = _state_of(self._owner)
        if state.key is not None and (
            state.committed is None or self._prop.key not in state.committed
        ):
            _note_change(state, self._prop.key, list(self))
        return state

    def _added(self, item: Any, initiator: Any) -> None:
        prop = self._prop
        _check_target(prop, item)
        reverse = prop.reverse
        if reverse is not None and initiator is not reverse:
            _link(item, reverse, self._owner, prop)
        _cascade_add(_state_of(self._owner), prop, item)

    def _removed(self, item: Any, initiator: Any) -> None:
        reverse = self._prop.reverse
        if reverse is not None and initiator is not reverse:
            _unlink(item, reverse, self._owner, self._prop)

    def _validate(self, item: Any, initiator: Any, is_remove: bool = False) -> Any:
        """``item`` as the collection's ``@validates`` method takes it (or as it is)."""
        validator = self._prop.validator
        if validator is None or (initiator is not None and not validator[2]):
            return item
        if is_remove and not validator[1]:
            return item  # removals are checked only with include_removes=True
        return _validated(validator, self._owner, self._prop.key, item, is_remove)

    def _append(self, item: Any, initiator: Any) -> None:
        if self._prop.validator is not None:
            item = self._validate(item, initiator)
        if self._prop.dispatch.append:
            item = fire_append(self._prop, self._owner, item)
        if initiator is None and self._prop.single_parent:
            _check_single_parent(self._prop, self._owner, item)
        self._changing()
        list.append(self, item)
        self._added(item, initiator)

    def _remove_at(self, index: int, initiator: Any) -> None:
        if self._prop.validator is not None:
            self._validate(self[index], initiator, is_remove=True)
        if self._prop.dispatch.remove:
            fire_remove(self._prop, self._owner, self[index])
        self._changing()
        item = list.pop(self, index)
        self._removed(item, initiator)

    def append(self, item: Any) -> None:
        self._append(item, None)

    def extend(self, items: Iterable[Any]) -> None:
        for item in list(items):
            self._append(item, None)

    def __iadd__(self, items: Iterable[Any]) -> InstrumentedList:  # type: ignore[misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, item: Any) -> None:
        item = self._validate(item, None)
        if self._prop.dispatch.append:
            item = fire_append(self._prop, self._owner, item)
        if self._prop.single_parent:
            _check_single_parent(self._prop, self._owner, item)
        self._changing()
        list.insert(self, index, item)
        self._added(item, None)

    def remove(self, item: Any) -> None:
        for i, existing in enumerate(self):
            if existing is item or existing == item:
                self._remove_at(i, None)
                return
        raise ValueError(
            f"{item!r} is not in {self._prop.parent.class_.__name__}.{self._prop.key}"
        )

    def pop(self, index: SupportsIndex = -1) -> Any:
        item = self[index]
        self._remove_at(int(index) % len(self), None)
        return item

    def clear(self) -> None:
        for i in range(len(self) - 1, -1, -1):
            self._remove_at(i, None)

    def __setitem__(self, index: Any, value: Any) -> None:
        events = self._prop.dispatch
        if isinstance(index, slice):
            old = self[index]
            value = [self._validate(item, None) for item in value]
            for item in old:
                self._validate(item, None, is_remove=True)
            if events.remove:
                for item in old:
                    fire_remove(self._prop, self._owner, item)
            if events.append:
                value = [fire_append(self._prop, self._owner, item) for item in value]
            self._changing()
            list.__setitem__(self, index, value)
            for item in old:
                self._removed(item, None)
            for item in self[index]:
                self._added(item, None)
            return
        old = self[index]
        value = self._validate(value, None)
        self._validate(old, None, is_remove=True)
        if events.remove:
            fire_remove(self._prop, self._owner, old)
        if events.append:
            value = fire_append(self._prop, self._owner, value)
        self._changing()
        list.__setitem__(self, index, value)
        self._removed(old, None)
        self._added(value, None)

    def __delitem__(self, index: Any) -> None:
        old = self[index] if isinstance(index, slice) else [self[index]]
        for item in old:
            self._validate(item, None, is_remove=True)
        if self._prop.dispatch.remove:
            for item in old:
                fire_remove(self._prop, self._owner, item)
        self._changing()
        list.__delitem__(self, index)
        for item in old:
            self._removed(item, None)

    def __reduce__(self) -> Any:
        return (list, (list(self),))


def new_collection(owner: Any, prop: Any, items: Iterable[Any]) -> InstrumentedList:
    collection = InstrumentedList(items)
    collection._owner = owner
    collection._prop = prop
    return collection

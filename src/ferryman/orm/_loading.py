"""Loading objects from rows: queries, selectin loads, lazy loads, refreshes.

Every function here that needs the database is a *plan* (see ``_plan``): it
yields statements and receives results, so one implementation serves
``Session`` and ``AsyncSession``.

Rows become objects through a row loader made once per query execution from
the cached ``EntityLoad`` (mapper, column positions, joined relationships):
look the primary key up in the identity map; if the object is new, fill its
``__dict__`` from the row in one ``update(zip(keys, row))``; if it exists, keep
its values (pending changes win) but fill what was expired.

A mapper with ``load`` listeners takes the general row loader, which collects
the objects it made; ``build_rows`` fires ``load`` for them once the rows are
built (one check of ``mapper.dispatch`` per query when nobody listens).
"""

from __future__ import annotations

from contextvars import ContextVar
from operator import itemgetter
from typing import Any

from .. import exc
from ..dialects.postgresql._types import ARRAY
from ..engine._result import Result
from ..sql import BindParameter, and_, bindparam, cast, func, or_, select
from ..sql._selectable import Join
from ..sql._types import BigInteger, Integer, SmallInteger, String, Uuid
from ._attributes import new_collection
from ._events import fire_load
from ._options import relationship_criterion
from ._plan import Execute, Plan, rows_of
from ._query import EntityLoad, ORMStatement, QueryContext, compile_orm_select
from ._state import PERSISTENT, InstanceState, instance_state

__all__ = [
    "LOADING_ATTRIBUTE",
    "MISSING",
    "build_rows",
    "get_plan",
    "get_statement",
    "identity_lookup",
    "load_attribute_plan",
    "orm_compiled",
    "populate_existing",
    "query_plan",
    "refresh_plan",
]

_IN_CHUNK = 500

# "Class.attribute" while a session loads that attribute on its own (a lazy load,
# awaitable_attrs): ferryman.testing names it when the loads repeat (N+1).
LOADING_ATTRIBUTE: ContextVar[str | None] = ContextVar("ferryman_loading_attribute", default=None)


def statement_key(stmt: Any) -> tuple[Any, list[Any]]:
    memo = stmt.__dict__.get("_memo")
    if memo is None:
        binds: list[Any] = []
        key = stmt._key(binds)
        memo = stmt.__dict__["_memo"] = (key, binds)
    return memo  # type: ignore[no-any-return]


def query_plan(core: Any, stmt: Any, params: Any, options: dict[str, Any]) -> Plan:
    """Run an ORM select; return a buffered ``Result`` of objects (and columns)."""
    context, step = query_step(stmt, params, options)
    result = yield step
    populate = populate_existing(stmt, options)
    rows, selectins = build_rows(context, rows_of(result), core, populate)
    for load, objects in selectins:
        yield from _selectin_loads(core, load, objects, populate)
    return orm_result(context, rows)


def query_step(stmt: Any, params: Any, options: dict[str, Any]) -> tuple[QueryContext, Execute]:
    """The statement an ORM select runs (and its cached context)."""
    if options:
        _check_options(options)
    context, orm_statement = orm_compiled(stmt)
    return context, Execute(orm_statement, params, not stmt._for_update)


def orm_compiled(stmt: Any) -> tuple[QueryContext, ORMStatement]:
    """The context of an ORM select and the statement the engine runs for it, kept on
    the select (a statement run again skips this)."""
    state = stmt.__dict__
    compiled = state.get("_orm_compiled")
    if compiled is None:
        memo = state.get("_memo")  # statement_key(), inline
        if memo is None:
            binds: list[Any] = []
            memo = state["_memo"] = (stmt._key(binds), binds)
        key, binds = memo
        context = compile_orm_select(stmt, key, binds)
        orm_statement = ORMStatement(context, key, binds)
        orm_statement._event_element = stmt  # what before_execute listeners see
        compiled = state["_orm_compiled"] = (context, orm_statement)
    return compiled  # type: ignore[no-any-return]


def populate_existing(stmt: Any, options: dict[str, Any]) -> bool:
    return bool(
        options.get("populate_existing") or stmt._execution_options.get("populate_existing")
    )


def orm_result(context: QueryContext, rows: list[Any]) -> Result:
    out = Result(context.keys, rows)
    if context.unique_required:
        out._core.require_unique = (
            "The result holds objects with a joined eager load of a collection, so a row "
            "repeats per related row: call .unique() on the result (result.unique()."
            "scalars().all()), or use selectinload() for the collection"
        )
    return out


_ORM_OPTIONS = frozenset({"populate_existing", "yield_per"})


def _check_options(options: dict[str, Any]) -> None:
    unknown = set(options) - _ORM_OPTIONS
    if unknown:
        raise exc.ArgumentError(
            f"Unknown execution option(s) {sorted(unknown)} for an ORM query; known: "
            f"{sorted(_ORM_OPTIONS)}"
        )


def build_rows(
    context: QueryContext, raw_rows: Any, core: Any, populate: bool
) -> tuple[list[Any], list[tuple[EntityLoad, dict[int, Any]]]]:
    """The result rows (tuples of objects and values), and for each load with selectin
    relationships, the objects it returned."""
    selectins: list[tuple[EntityLoad, dict[int, Any]]] = []
    if (
        not populate
        and len(context.items) == 1
        and context.items[0][0] == "entity"
        and not context.items[0][1].mapper.dispatch.load
    ):
        load = context.items[0][1]
        plain = load.plain
        if plain is None:
            plain = _plain_loader(load)
        if plain:  # one entity, nothing eager: no per-execution setup
            mapper = load.mapper
            imap = core.identity.get(mapper)
            if imap is None:
                imap = core.identity_map_for(mapper)
            marker = core.markers.get(mapper)
            if marker is None:
                marker = core.marker_for(mapper)
            return plain(raw_rows, imap, marker), selectins
    getters = []
    made: list[tuple[Any, list[Any]]] = []  # (mapper, new objects) for load listeners
    for kind, item in context.items:
        if kind == "entity":
            getters.append(_row_loader(item, core, populate, selectins, made))
        elif kind == "bundle":
            start, count, bundle = item
            end = start + count
            getters.append(lambda raw, s=start, e=end, b=bundle: b.make(raw[s:e]))
        else:
            getters.append(itemgetter(item))
    if len(getters) == 1:
        get = getters[0]
        rows = [(get(raw),) for raw in raw_rows]
    else:
        rows = [tuple([get(raw) for get in getters]) for raw in raw_rows]
    for mapper, objects in made:
        if objects:
            fire_load(core, mapper, objects)
    return rows, selectins


def _row_loader(
    load: EntityLoad, core: Any, populate: bool, selectins: list[Any], made: list[Any]
) -> Any:
    """A function from a row to the object of ``load`` (made once per execution). With
    ``load`` listeners on the mapper, the objects it makes go into a list in ``made``."""
    mapper = load.mapper
    cls, keys, start, end, pk, lazy, noload = load.prepared()
    new = cls.__new__
    imap = core.identity_map_for(mapper)
    single = len(pk) == 1
    p0 = pk[0]
    joined = [
        (rel, _row_loader(child, core, populate, selectins, made)) for rel, child in load.joined
    ]
    fresh_objects: list[Any] | None = None
    if mapper.dispatch.load:
        fresh_objects = []
        made.append((mapper, fresh_objects))
    populating: dict[int, Any] = {}
    returned: dict[int, Any] | None = None
    if load.selectin:
        returned = {}
        selectins.append((load, returned))
    state_class = InstanceState

    def load_row(row: Any) -> Any:
        if single:
            ident = row[p0]
            if ident is None:
                return None
        else:
            ident = tuple([row[i] for i in pk])
            if None in ident:
                return None
        obj = imap.get(ident)
        if obj is None:
            obj = new(cls)
            d = obj.__dict__
            d.update(zip(keys, row if start == 0 else row[start:end], strict=False))
            state = d["_fm_state"] = state_class(obj, mapper, ident, core, PERSISTENT)
            imap[ident] = obj
            fresh = True
            if fresh_objects is not None:
                fresh_objects.append(obj)
        else:
            d = obj.__dict__
            state = d["_fm_state"]
            if type(state) is not state_class:
                state = instance_state(obj)
            fresh = populate and id(obj) not in populating
            if fresh:
                d.update(zip(keys, row if start == 0 else row[start:end], strict=False))
                state.committed = None
                state.expired = None
                if state.modified:
                    state.modified = False
                    core.dirty_states.discard(state)
            else:
                if state.expired:
                    _fill_expired(state, d, keys, row, start)
                if mapper.partly_loaded:  # deferred / load_only(): fill what it lacks
                    for i, key in enumerate(keys, start):
                        if key not in d:
                            d[key] = row[i]
        if lazy is not None:
            if state.lazy is None:
                state.lazy = dict(lazy)
            else:
                state.lazy.update(lazy)
            for key in noload:
                if key not in d:
                    rel = mapper.relationships[key]
                    d[key] = new_collection(obj, rel, ()) if rel.uselist else None
        for rel, child_loader in joined:
            child = child_loader(row)
            key = rel.key
            if rel.uselist:
                entry = populating.get(id(obj))
                if entry is None or key not in entry:
                    if entry is None:
                        entry = populating[id(obj)] = {}
                    if fresh or key not in d:
                        collection = d[key] = new_collection(obj, rel, ())
                        entry[key] = (collection, set())
                        _forget_expired(state, key)
                    else:
                        entry[key] = None
                slot = entry[key]
                if slot is not None and child is not None and id(child) not in slot[1]:
                    slot[1].add(id(child))
                    list.append(slot[0], child)
                    _set_reverse(rel, child, obj)
            elif fresh or key not in d:
                d[key] = child
                _forget_expired(state, key)
        if returned is not None:
            returned[id(obj)] = obj
        return obj

    return load_row


_PLAIN_MAKERS: dict[Any, Any] = {}
_PLAIN_SOURCE = """
def make(new, cls, fallback):
    def load_plain(rows, imap, marker):
        out = []
        append = out.append
        for row in rows:
            ident = row[{p0}]
            obj = imap.get(ident)
            if obj is None:
                if ident is None:
                    append((None,))
                    continue
                obj = new(cls)
                d = obj.__dict__
                {targets} = {source}
                d["_fm_state"] = marker  # the InstanceState is made if and when needed
                imap[ident] = obj
                append((obj,))
            else:
                append((fallback(obj, row),))  # already in the session: fill what was expired
        return out

    return load_plain
"""


def _plain_loader_maker(keys: tuple[str, ...], p0: int, exact: bool) -> Any:
    """The plain loader's factory for these attribute names, generated once: it turns
    a batch of rows into result rows ``(obj,)`` in one loop, each row's values going
    into ``__dict__`` by one unpacking assignment (twice as fast as
    ``dict.update(zip(...))``). ``exact``: the row has exactly these columns."""
    maker = _PLAIN_MAKERS.get((keys, p0, exact))
    if maker is None:
        targets = ", ".join(f"d[{key!r}]" for key in keys) + ","
        source = "row" if exact else f"row[:{len(keys)}]"
        namespace: dict[str, Any] = {}
        exec(_PLAIN_SOURCE.format(p0=p0, targets=targets, source=source), namespace)
        maker = _PLAIN_MAKERS[(keys, p0, exact)] = namespace["make"]
    return maker


def _plain_loader(load: EntityLoad) -> Any:
    """``load(rows, identity_map, marker)`` (the result rows of a batch) for an entity
    with one key column and nothing loaded eagerly (None otherwise); made once per
    entity load."""
    plain = load.plain
    if plain is False:
        return None
    if plain is None:
        cls, keys, start, _, pk, lazy, _ = load.prepared()
        if len(pk) != 1 or start != 0 or load.joined or load.selectin or lazy is not None:
            load.plain = False
            return None

        mapper = load.mapper

        def existing(obj: Any, row: Any) -> Any:
            d = obj.__dict__
            state = d["_fm_state"]
            if type(state) is InstanceState and state.expired:  # (a marker never is)
                _fill_expired(state, d, keys, row, 0)
            if mapper.partly_loaded:  # deferred columns, load_only(): fill what it lacks
                for i, key in enumerate(keys):
                    if key not in d:
                        d[key] = row[i]
            return obj

        make = _plain_loader_maker(tuple(keys), pk[0], True)
        plain = load.plain = make(cls.__new__, cls, existing)
    return plain


def _fill_expired(state: Any, d: dict[str, Any], keys: list[str], row: Any, start: int) -> None:
    expired = state.expired
    for i, key in enumerate(keys):
        if key in expired:
            d[key] = row[start + i]
            expired.discard(key)
    if not expired:
        state.expired = None


def _forget_expired(state: Any, key: str) -> None:
    if type(state) is InstanceState and state.expired:
        state.expired.discard(key)


def _set_reverse(rel: Any, child: Any, parent: Any) -> None:
    """A loaded one-to-many also tells each child its parent (the row says so)."""
    reverse = rel.reverse
    if reverse is not None and not reverse.uselist:
        cd = child.__dict__
        if reverse.key not in cd:
            cd[reverse.key] = parent


# -- selectin --------------------------------------------------------------------------


def _selectin_loads(core: Any, load: EntityLoad, objects: dict[int, Any], populate: bool) -> Plan:
    for rel, sub_options in load.selectin:
        parents = [o for o in objects.values() if populate or rel.key not in o.__dict__]
        if not parents:
            continue
        if rel.direction == "MANYTOONE":
            yield from _selectin_many_to_one(core, rel, parents, sub_options, populate)
        elif rel.secondary is not None:
            yield from _selectin_many_to_many(core, rel, parents, sub_options, populate)
        else:
            yield from _selectin_one_to_many(core, rel, parents, sub_options, populate)


def _chunk_size(core: Any, columns: list[Any]) -> int:
    return 10_000 if _array_any(core, columns) else _IN_CHUNK


def _array_any(core: Any, columns: list[Any]) -> bool:
    """PostgreSQL can take the keys as one array parameter (``col = any($1)``): one
    statement text for any number of keys, no 500-parameter chunks."""
    dialect = core.dialect
    if dialect is None or dialect.name != "postgresql" or len(columns) != 1:
        return False
    type_ = columns[0].type
    return type(type_) in (Integer, BigInteger, SmallInteger, String, Uuid)


def _in_criteria(columns: list[Any], values: list[Any], core: Any = None) -> Any:
    if core is not None and _array_any(core, columns):
        column = columns[0]
        array = ARRAY(column.type)
        return column == func.any(cast(BindParameter(None, values, array), array))
    if len(columns) == 1:
        return columns[0].in_(values)
    return or_(*[and_(*[c == v for c, v in zip(columns, vs, strict=True)]) for vs in values])


def _selectin_one_to_many(
    core: Any, rel: Any, parents: list[Any], sub_options: tuple[Any, ...], populate: bool
) -> Plan:
    parent_keys = [rel.parent.key_by_column[p] for p, _ in rel.pairs]
    child_keys = [rel.mapper.key_by_column[t] for _, t in rel.pairs]
    target_columns = [t for _, t in rel.pairs]
    by_value: dict[Any, list[Any]] = {}
    key, uselist = rel.key, rel.uselist
    single = len(child_keys) == 1
    for parent in parents:
        d = parent.__dict__
        d[key] = new_collection(parent, rel, ()) if uselist else None
        state = d["_fm_state"]
        if type(state) is InstanceState and state.expired:
            state.expired.discard(key)
        if single:
            value = d.get(parent_keys[0])
            if value is None:
                continue
        else:
            value = tuple(d.get(k) for k in parent_keys)
            if None in value:
                continue
        found = by_value.get(value)
        if found is None:
            by_value[value] = [parent]
        else:
            found.append(parent)
    values = list(by_value)
    reverse = rel.reverse
    reverse_key = reverse.key if reverse is not None and not reverse.uselist else None
    child_key = child_keys[0]
    rows = yield from _load_by_keys(
        core, rel.mapper, target_columns, values, sub_options, rel.order_by, populate
    )
    append = list.append
    for (child,) in rows:
        cd = child.__dict__
        value = cd.get(child_key) if single else tuple(cd.get(k) for k in child_keys)
        for parent in by_value.get(value, ()):
            if uselist:
                append(parent.__dict__[key], child)
            else:
                parent.__dict__[key] = child
            if reverse_key is not None and reverse_key not in cd:
                cd[reverse_key] = parent  # the child's side, known from the row


def _selectin_many_to_many(
    core: Any, rel: Any, parents: list[Any], sub_options: tuple[Any, ...], populate: bool
) -> Plan:
    """One SELECT of the targets joined to the secondary table, with the secondary's
    parent columns beside each target to tell whose it is: ``SELECT tags.*,
    post_tags.post_id FROM tags JOIN post_tags ON ... WHERE post_tags.post_id IN
    (...)``; a target linked to several of the parents comes once per parent."""
    by_value = _group_parents(rel, parents, [p for p, _ in rel.parent_pairs])
    if not by_value:
        return
    columns = [s for _, s in rel.parent_pairs]
    target = rel.mapper.local_table
    _, on_target = rel.secondary_conditions(None, None, None)
    base = select(rel.mapper.class_, *columns).select_from(Join(target, rel.secondary, on_target))
    if sub_options:
        base = base.options(*sub_options)
    if rel.order_by:
        base = base.order_by(*rel.order_by)
    values = list(by_value)
    key, uselist, single = rel.key, rel.uselist, len(columns) == 1
    size = _chunk_size(core, columns)
    for i in range(0, len(values), size):
        stmt = base.where(_in_criteria(columns, values[i : i + size], core))
        result = yield from query_plan(core, stmt, None, {"populate_existing": populate})
        rows = result._core.rows
        if result._core.require_unique:  # a joined collection repeats each row
            rows = list({(id(row[0]), *row[1:]): row for row in rows}.values())
        for row in rows:
            child = row[0]
            for parent in by_value.get(row[1] if single else tuple(row[1:]), ()):
                if uselist:
                    list.append(parent.__dict__[key], child)
                else:
                    parent.__dict__[key] = child


def _group_parents(rel: Any, parents: list[Any], columns: list[Any]) -> dict[Any, list[Any]]:
    """Give each parent an empty collection (or None) for ``rel`` and group the parents
    by the values of their ``columns`` (those with a NULL among them have nothing)."""
    keys = [rel.parent.key_by_column[c] for c in columns]
    single = len(keys) == 1
    by_value: dict[Any, list[Any]] = {}
    for parent in parents:
        d = parent.__dict__
        d[rel.key] = new_collection(parent, rel, ()) if rel.uselist else None
        _forget_expired(d["_fm_state"], rel.key)
        value = d.get(keys[0]) if single else tuple(d.get(k) for k in keys)
        if value is None or (not single and None in value):
            continue
        found = by_value.get(value)
        if found is None:
            by_value[value] = [parent]
        else:
            found.append(parent)
    return by_value


def _load_by_keys(
    core: Any,
    mapper: Any,
    columns: list[Any],
    values: list[Any],
    sub_options: tuple[Any, ...],
    order_by: list[Any],
    populate: bool,
) -> Plan:
    """Load the objects of ``mapper`` whose ``columns`` hold one of ``values`` (in as
    few statements as the dialect allows); return their result rows."""
    rows: list[Any] = []
    size = _chunk_size(core, columns)
    for i in range(0, len(values), size):
        stmt = select(mapper.class_).where(_in_criteria(columns, values[i : i + size], core))
        if sub_options:
            stmt = stmt.options(*sub_options)
        if order_by:
            stmt = stmt.order_by(*order_by)
        result = yield from query_plan(core, stmt, None, {"populate_existing": populate})
        found = result._core.rows
        if result._core.require_unique:  # a joined collection repeats each object
            found = list({id(row[0]): row for row in found}.values())
        rows.extend(found)
    return rows


def _selectin_many_to_one(
    core: Any, rel: Any, parents: list[Any], sub_options: tuple[Any, ...], populate: bool
) -> Plan:
    imap = core.identity_map_for(rel.mapper)
    idents: dict[Any, None] = {}
    for parent in parents:
        ident = rel.foreign_ident_of(parent.__dict__)
        if ident is not None and (populate or sub_options or ident not in imap):
            idents[ident] = None
    yield from _load_by_keys(
        core, rel.mapper, rel.mapper.primary_key, list(idents), sub_options, [], populate
    )
    for parent in parents:
        d = parent.__dict__
        ident = rel.foreign_ident_of(d)
        d[rel.key] = None if ident is None else imap.get(ident)
        _forget_expired(d["_fm_state"], rel.key)


# -- one object: attributes, refresh, get ------------------------------------------------


def load_attribute_plan(core: Any, state: InstanceState, key: str) -> Plan:
    """Load ``key`` of a persistent object: a relationship by its own query, a column
    together with every other expired column of the object."""
    mapper = state.mapper
    prop = mapper.attrs_by_key[key]
    if prop.is_relationship:
        yield from _relationship_plan(core, state, prop)
        return
    d = state.obj.__dict__
    expired = state.expired or ()
    group = mapper.deferred_keys.get(key)
    keys = [
        p.key
        for p in (*mapper.column_attrs, *mapper.expression_attrs)
        if p.key == key
        or (
            p.key not in d
            and (
                p.key in expired
                or (group is not None and mapper.deferred_keys.get(p.key) == group)
            )
        )
    ]
    yield from refresh_plan(core, state, keys)


def _relationship_plan(core: Any, state: InstanceState, rel: Any) -> Plan:
    obj = state.obj
    d = obj.__dict__
    rel.parent.registry.configure()
    if rel.direction == "MANYTOONE":
        fk_keys = [rel.parent.key_by_column[p] for p, _ in rel.pairs]
        if all(d.get(k) is None for k in fk_keys) and all(k in d for k in fk_keys):
            d[rel.key] = None
            _forget_expired(state, rel.key)
            return
        ident = rel.foreign_ident(state)
        if ident is not None:
            target = core.identity_map_for(rel.mapper).get(ident)
            if target is not None:
                d[rel.key] = target
                _forget_expired(state, rel.key)
                return
    if any(rel.parent.key_by_column[c] not in d for c in rel.local_columns):
        # the key columns were expired too: load the object's expired columns first
        keys = [p.key for p in rel.parent.column_attrs if p.key not in d]
        yield from refresh_plan(core, state, keys)
    stmt = select(rel.mapper.class_).where(relationship_criterion(rel, d))
    if rel.order_by:
        stmt = stmt.order_by(*rel.order_by)
    result = yield from query_plan(core, stmt, None, {})
    objects = [row[0] for row in result._core.rows]
    if rel.uselist:
        d[rel.key] = new_collection(obj, rel, objects)
        for child in objects:
            _set_reverse(rel, child, obj)
    else:
        d[rel.key] = objects[0] if objects else None
    _forget_expired(state, rel.key)


def refresh_plan(core: Any, state: InstanceState, keys: list[str] | None) -> Plan:
    """Load column values (all when ``keys`` is None, overwriting changes) and the
    named relationships of one persistent object."""
    mapper = state.mapper
    obj = state.obj
    d = obj.__dict__
    if keys is None:
        column_keys = [p.key for p in mapper.column_attrs]
        rel_keys = [k for k in mapper.relationships if k in d]
    else:
        unknown = [k for k in keys if k not in mapper.attrs_by_key]
        if unknown:
            raise exc.InvalidRequestError(
                f"{mapper.class_.__name__} has no mapped attribute(s) {unknown}; its "
                f"attributes are {list(mapper.attrs_by_key)}"
            )
        column_keys = [k for k in keys if not mapper.attrs_by_key[k].is_relationship]
        rel_keys = [k for k in keys if mapper.attrs_by_key[k].is_relationship]
    if column_keys:
        ident = state.identity or ()
        columns = [mapper.attrs_by_key[k].column for k in column_keys]
        criteria = [c == v for c, v in zip(mapper.primary_key, ident, strict=True)]
        result = yield Execute(select(*columns).where(*criteria), None, True)
        rows = rows_of(result)
        if not rows:
            raise exc.ObjectDeletedError(
                f"{state.describe()} has no row any more: it was deleted (or its insert "
                "rolled back)"
            )
        committed = state.committed
        for key, value in zip(column_keys, rows[0], strict=True):
            d[key] = value
            if committed:
                committed.pop(key, None)
            _forget_expired(state, key)
    for key in rel_keys:
        d.pop(key, None)
        yield from _relationship_plan(core, state, mapper.relationships[key])


MISSING: Any = object()  # identity_lookup(): not answered by the identity map


def identity_lookup(core: Any, mapper: Any, ident: tuple[Any, ...]) -> Any:
    """``session.get()`` from the identity map: the object, None (deleted in this
    session), or ``MISSING`` (a SELECT is needed: absent, or expired)."""
    if len(ident) != len(mapper.primary_key):
        raise exc.InvalidRequestError(
            f"{mapper.class_.__name__} has a {len(mapper.primary_key)}-column primary key; "
            f"get() was given {len(ident)} value(s): {ident!r}"
        )
    imap = core.identity.get(mapper)
    obj = imap.get(ident[0] if len(ident) == 1 else ident) if imap else None
    if obj is None:
        return MISSING
    state = obj.__dict__["_fm_state"]
    if type(state) is not InstanceState:
        return obj  # loaded, untouched since: neither deleted nor expired
    if state.deleted:
        return None
    return MISSING if state.expired else obj


def get_statement(
    mapper: Any, ident: tuple[Any, ...], options: tuple[Any, ...], with_for_update: Any
) -> tuple[Any, Any]:
    """``session.get()``'s SELECT by primary key and its parameters."""
    if options or with_for_update:
        stmt = select(mapper.class_).where(
            *[c == v for c, v in zip(mapper.primary_key, ident, strict=True)]
        )
        if options:
            stmt = stmt.options(*options)
        if with_for_update:
            stmt = stmt.with_for_update(
                **(with_for_update if isinstance(with_for_update, dict) else {})
            )
        return stmt, None
    # One statement per class, its key values as parameters: nothing to build or
    # traverse per call.
    stmt = mapper._loaders.get("get")
    if stmt is None:
        stmt = mapper._loaders["get"] = select(mapper.class_).where(
            *[c == bindparam(f"fm_pk_{i}") for i, c in enumerate(mapper.primary_key)]
        )
    return stmt, {f"fm_pk_{i}": v for i, v in enumerate(ident)}


def get_plan(core: Any, mapper: Any, ident: tuple[Any, ...]) -> Plan:
    """``session.get()`` as a plan (no options): the identity map first, else a SELECT
    by primary key."""
    obj = identity_lookup(core, mapper, ident)
    if obj is not MISSING:
        return obj
    stmt, params = get_statement(mapper, ident, (), None)
    result = yield from query_plan(core, stmt, params, {})
    rows = result._core.rows
    return rows[0][0] if rows else None

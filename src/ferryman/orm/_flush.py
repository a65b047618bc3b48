"""The unit of work: a flush as a plan.

``flush_plan(core)`` writes the session's changes:

1. cascades: objects reachable through ``save-update`` relationships join the
   flush; ``delete`` cascades and ``delete-orphan`` removals mark objects
   deleted (loading collections that are not loaded, through the plan);
2. mappers are ordered so that a table comes after the tables its foreign
   keys point to; for each mapper in that order, foreign keys are copied from
   the related objects (``child.parent_id = parent.id``), then its new objects
   are INSERTed in batches (one multi-row ``INSERT ... RETURNING`` per batch of
   objects with the same columns, fetching primary keys and server defaults
   in the same statement) and its changed objects UPDATEd (only the changed
   columns; objects changing the same columns share one executemany);
3. deletes run last, children before parents.

Nothing in the session changes until every statement has succeeded: values
the flush writes into objects (new keys, copied foreign keys, defaults) are
recorded in an undo log and put back if a statement fails, so a failed flush
leaves every object as it was (pending objects stay pending).
"""

from __future__ import annotations

from operator import itemgetter
from typing import Any

from .. import exc
from ..dialects.postgresql._bulk import UnnestInsert, UnnestUpdate, unnest_ddl
from ..sql import bindparam, delete, insert, select, update
from ..sql._elements import BindParameter, ClauseElement
from ._attributes import new_collection
from ._options import relationship_criterion
from ._plan import Execute, Plan, rows_of
from ._state import DELETED, NO_VALUE, PERSISTENT, InstanceState, instance_state

__all__ = ["flush_plan"]

_MAX_PARAMS = 30000  # below SQLite's 32766 and asyncpg's 32767 parameters per statement


class BulkInsert(ClauseElement):
    """``INSERT INTO t (cols) VALUES (...), (...) [RETURNING ...]`` built without a
    bind object per value: the compiled form (cached per table, columns, row count
    and RETURNING) is made from a real ``insert()`` on first use only."""

    _uses_parameter_names = True

    def __init__(
        self, table: Any, columns: list[Any], rows: list[list[Any]], returning: list[Any]
    ):
        self.table = table
        self.columns = columns
        self.rows = rows
        self.returning = returning
        key = ("orm_bulk_insert", table, tuple(columns), len(rows), tuple(returning))
        self._memo = (key, ())
        # the values in placeholder order (row by row), for the engine to send as they are
        self._values_in_order = [v for row in rows for v in row]

    def _real(self) -> Any:
        stmt = insert(self.table)
        if self.columns:
            rows = [
                {c: BindParameter(None, v, c.type) for c, v in zip(self.columns, row, strict=True)}
                for row in self.rows
            ]
            stmt = stmt.values(rows if len(rows) > 1 else rows[0])
        if self.returning:
            stmt = stmt.returning(*self.returning)
        return stmt

    def _key(self, binds: list[Any]) -> Any:
        real = self._real()
        self.__dict__["_compiled_from"] = real
        real._key(binds)
        return self._memo[0]

    def _compiler_dispatch(self, compiler: Any, **kw: Any) -> str:
        return self.__dict__["_compiled_from"]._compiler_dispatch(compiler, **kw)  # type: ignore[no-any-return]


class _Undo:
    """What the flush wrote into objects, to put back if it fails."""

    def __init__(self) -> None:
        self.log: list[tuple[dict[str, Any], str, Any]] = []

    def set(self, d: dict[str, Any], key: str, value: Any) -> None:
        self.log.append((d, key, d.get(key, NO_VALUE)))
        d[key] = value

    def undo(self) -> None:
        for d, key, old in reversed(self.log):
            if old is NO_VALUE:
                d.pop(key, None)
            else:
                d[key] = old


def _sort_mappers(mappers: set[Any]) -> list[Any]:
    """Mappers whose tables are referenced come first."""
    ordered: list[Any] = []
    visiting: set[Any] = set()

    def visit(mapper: Any) -> None:
        if mapper in ordered:
            return
        if mapper in visiting:
            raise exc.FlushError(
                f"Foreign keys form a cycle through {mapper.class_.__name__}; rows of these "
                "classes can't be ordered for INSERT (use ForeignKey(..., use_alter=True) and "
                "flush in two steps)"
            )
        visiting.add(mapper)
        for dep in sorted(mapper.dependencies, key=lambda m: m.local_table.name):
            if dep in mappers:
                visit(dep)
        visiting.discard(mapper)
        ordered.append(mapper)

    for mapper in sorted(mappers, key=lambda m: m.local_table.name):
        visit(mapper)
    return ordered


def single_statement_flush(core: Any) -> bool:
    """Whether the flush is one statement: one new object (one INSERT), one changed
    object (one UPDATE), or on PostgreSQL changed objects of one class that change the
    same columns (one UPDATE ... FROM unnest), with nothing else to write through their
    relationships."""
    if core.deleted:
        return False
    if not core.new and len(core.dirty_states) > 1:
        return _one_unnest_update(core)
    if len(core.new) + len(core.dirty_states) != 1:
        return False
    state = next(iter(core.new.values())) if core.new else next(iter(core.dirty_states))
    return _writes_only_itself(state)


def _one_unnest_update(core: Any) -> bool:
    dialect = core.dialect
    if dialect is None or dialect.name != "postgresql":
        return False
    states = list(core.dirty_states)
    mapper = states[0].mapper
    changed = None
    known = core.changed_keys = {}  # reused by the flush that follows
    relationships = mapper.relationships
    for state in states:
        if state.mapper is not mapper or state.status != PERSISTENT:
            return False
        if not _writes_only_itself(state):
            return False
        committed = state.committed or {}
        if any(key in committed for key in relationships):
            return False  # its foreign keys change during the flush: not known yet
        keys = _changed_keys(state)
        known[id(state)] = keys
        if changed is None:
            changed = keys
        elif keys != changed:
            return False
    if not changed:
        return False
    columns = [mapper.attrs_by_key[k].column for k in changed]
    return _unnest_casts(core.dialect, columns + mapper.primary_key) is not None


def _writes_only_itself(state: InstanceState) -> bool:
    d = state.obj.__dict__
    committed = state.committed or {}
    for rel in state.mapper.relationships.values():
        if rel.key not in d:
            continue
        value = d[rel.key]
        if rel.uselist:
            if value or rel.key in committed:
                return False
        elif value is not None:
            target = instance_state(value) if "_fm_state" in value.__dict__ else None
            if rel.direction != "MANYTOONE" or target is None or target.key is None:
                return False
        elif rel.key in committed and rel.direction != "MANYTOONE":
            return False
    return True


def flush_plan(core: Any) -> Plan:
    """Write the session's pending changes (see the module docstring)."""
    undo = _Undo()
    try:
        result = yield from _flush(core, undo)
    except BaseException:
        undo.undo()
        raise
    finally:
        core.changed_keys = None  # only ever good for the flush right after the check
    return result


def _flush(core: Any, undo: _Undo) -> Plan:
    for mapper in {s.mapper for s in (*core.new.values(), *core.dirty_states)}:
        mapper.registry.configure()
    core.cascade_pending()
    to_delete: dict[int, InstanceState] = dict(core.deleted)
    yield from _cascade_deletes(core, to_delete, undo)
    _orphans(core, to_delete)
    new = [s for s in core.new.values() if id(s) not in to_delete]
    mappers = {s.mapper for s in new} | {s.mapper for s in core.dirty_states}
    mappers |= {s.mapper for s in to_delete.values()}
    order = _sort_mappers(mappers)
    inserted: list[tuple[InstanceState, Any]] = []
    updated: list[InstanceState] = []
    expire_after: list[tuple[InstanceState, list[str]]] = []
    for mapper in order:
        related = bool(mapper.relationships)  # nothing to copy between objects without
        mine_new = [s for s in new if s.mapper is mapper] if len(order) > 1 else new
        if related:
            for state in mine_new:
                _sync_many_to_one(state, undo)
        mine_dirty = [
            s
            for s in core.dirty_states
            if s.mapper is mapper and id(s) not in to_delete and s.status == PERSISTENT
        ]
        if related:
            for state in mine_dirty:
                _sync_many_to_one(state, undo)
        if mine_new:
            done = yield from _insert(core, mapper, mine_new, undo, expire_after)
            inserted.extend(done)
        if mine_dirty:
            changed = yield from _update(core, mapper, mine_dirty, undo, expire_after)
            updated.extend(changed)
        if related:
            for state in mine_new + mine_dirty:
                _sync_one_to_many(core, state, undo, to_delete)
    for mapper in reversed(order):
        states = [s for s in to_delete.values() if s.mapper is mapper and s.key is not None]
        if states:
            yield from _delete(mapper, states)
    _finish(core, inserted, updated, to_delete, expire_after)


def _sync_many_to_one(state: InstanceState, undo: _Undo) -> None:
    """``child.parent_id = child.parent.id`` for every loaded many-to-one."""
    d = state.obj.__dict__
    mapper = state.mapper
    for rel in mapper.relationships.values():
        if rel.direction != "MANYTOONE" or rel.viewonly or rel.key not in d:
            continue
        target = d[rel.key]
        changed = state.committed is not None and rel.key in state.committed
        if target is None:
            if changed or state.key is None:
                if (
                    state.key is None
                    and all(d.get(mapper.key_by_column[p]) is not None for p, _ in rel.pairs)
                    and not changed
                ):
                    continue  # a new object given the key column directly
                for parent_col, _ in rel.pairs:
                    _set_fk(state, mapper.key_by_column[parent_col], None, undo)
            continue
        td = target.__dict__
        tstate = instance_state(target) if "_fm_state" in td else None
        if tstate is None or (tstate.key is None and tstate.session is None):
            raise exc.FlushError(
                f"{state.describe()}.{rel.key} refers to {target!r}, which is not in the "
                "session: add it (session.add()) or keep the default save-update cascade"
            )
        for parent_col, target_col in rel.pairs:
            value = td.get(rel.mapper.key_by_column[target_col])
            _set_fk(state, mapper.key_by_column[parent_col], value, undo)


def _set_fk(state: InstanceState, key: str, value: Any, undo: _Undo) -> None:
    d = state.obj.__dict__
    old = d.get(key, NO_VALUE)
    if old is value or (old is not NO_VALUE and old == value and type(old) is type(value)):
        return
    if state.key is not None:
        committed = state.committed
        if committed is None:
            committed = state.committed = {}
        if key not in committed:
            undo.log.append((committed, key, NO_VALUE))
            committed[key] = old
    undo.set(d, key, value)


def _sync_one_to_many(
    core: Any, state: InstanceState, undo: _Undo, to_delete: dict[int, InstanceState]
) -> None:
    """After the parent is written: each child in its collections gets the parent's
    key; children removed from a collection get NULL (unless they are deleted)."""
    d = state.obj.__dict__
    mapper = state.mapper
    for rel in mapper.relationships.values():
        if rel.direction != "ONETOMANY" or rel.viewonly or rel.key not in d:
            continue
        values = [d.get(mapper.key_by_column[p]) for p, _ in rel.pairs]
        target_keys = [rel.mapper.key_by_column[t] for _, t in rel.pairs]
        for child in d[rel.key] if rel.uselist else [d[rel.key]]:
            if child is None:
                continue
            cstate = instance_state(child)
            if id(cstate) in to_delete:
                continue
            _mark_fk_change(core, cstate, target_keys, values, undo)
        old = (state.committed or {}).get(rel.key, NO_VALUE)
        if old is NO_VALUE or old is None:
            continue
        current = d[rel.key] if rel.uselist else [d[rel.key]]
        current_ids = {id(o) for o in current if o is not None}
        for child in old if rel.uselist else [old]:
            if child is None or id(child) in current_ids:
                continue
            cstate = instance_state(child)
            if id(cstate) in to_delete or cstate.key is None:
                continue
            if all(child.__dict__.get(k) == v for k, v in zip(target_keys, values, strict=True)):
                _mark_fk_change(core, cstate, target_keys, [None] * len(values), undo)


def _mark_fk_change(
    core: Any, cstate: InstanceState, keys: list[str], values: list[Any], undo: _Undo
) -> None:
    cd = cstate.obj.__dict__
    if all(cd.get(k, NO_VALUE) == v for k, v in zip(keys, values, strict=True)):
        return
    for key, value in zip(keys, values, strict=True):
        _set_fk(cstate, key, value, undo)
    if cstate.key is not None and cstate not in core.dirty_states:
        core.dirty_states.add(cstate)
        cstate.modified = True


def _cascade_deletes(core: Any, to_delete: dict[int, InstanceState], undo: _Undo) -> Plan:
    """Objects deleted through ``cascade="delete"``; children of deleted parents that
    are not deleted get their foreign key set to NULL (loading them if needed)."""
    queue = list(to_delete.values())
    while queue:
        state = queue.pop()
        d = state.obj.__dict__
        for rel in state.mapper.relationships.values():
            if rel.direction != "ONETOMANY" or rel.viewonly:
                continue
            if "delete" not in rel.cascade and rel.passive_deletes:
                continue
            if rel.key in d:
                children = list(d[rel.key]) if rel.uselist else [d[rel.key]]
            elif state.key is None or (rel.passive_deletes and "delete" in rel.cascade):
                continue
            else:
                stmt = select(rel.mapper.class_).where(relationship_criterion(rel, d))
                from ._loading import query_plan

                result = yield from query_plan(core, stmt, None, {})
                children = [row[0] for row in result._core.rows]
            for child in children:
                if child is None:
                    continue
                cstate = instance_state(child)
                if "delete" in rel.cascade:
                    if id(cstate) not in to_delete:
                        if cstate.key is None:
                            core.new.pop(id(cstate), None)
                            continue
                        to_delete[id(cstate)] = cstate
                        queue.append(cstate)
                elif cstate.key is not None and id(cstate) not in to_delete:
                    keys = [rel.mapper.key_by_column[t] for _, t in rel.pairs]
                    _mark_fk_change(core, cstate, keys, [None] * len(keys), undo)


def _orphans(core: Any, to_delete: dict[int, InstanceState]) -> None:
    """Children removed from a ``delete-orphan`` collection are deleted."""
    for state in list(core.dirty_states):
        committed = state.committed or {}
        d = state.obj.__dict__
        for rel in state.mapper.relationships.values():
            if "delete-orphan" not in rel.cascade or rel.key not in committed:
                continue
            old = committed[rel.key]
            if old is NO_VALUE or old is None:
                continue
            current = (
                {id(o) for o in (d.get(rel.key) or ())} if rel.uselist else {id(d.get(rel.key))}
            )
            for child in old if rel.uselist else [old]:
                if child is not None and id(child) not in current:
                    if _has_other_parent(core, rel, child):
                        continue  # moved to another parent, not orphaned
                    cstate = instance_state(child)
                    if cstate.key is not None:
                        to_delete[id(cstate)] = cstate
                    else:
                        core.new.pop(id(cstate), None)


def _has_other_parent(core: Any, rel: Any, child: Any) -> bool:
    reverse = rel.reverse
    if reverse is not None and not reverse.uselist:
        return child.__dict__.get(reverse.key) is not None
    for state in [*core.new.values(), *core.dirty_states]:
        if state.mapper is rel.parent:
            value = state.obj.__dict__.get(rel.key)
            items = value if rel.uselist else [value]
            if items is not None and any(item is child for item in items):
                return True
    return False


def _insert(
    core: Any,
    mapper: Any,
    states: list[InstanceState],
    undo: _Undo,
    expire_after: list[tuple[InstanceState, list[str]]],
) -> Plan:
    """INSERT new objects, batched by the columns they give; set keys and defaults."""
    table = mapper.local_table
    dialect = core.dialect
    returning_ok = dialect is not None and dialect.supports_returning
    eager = mapper.eager_defaults
    fetch_defaults = returning_ok and eager in ("auto", True)
    groups: dict[tuple[str, ...], list[InstanceState]] = {}
    defaults = [
        (p.key, p.column.default) for p in mapper.column_attrs if p.column.default is not None
    ]
    generated = {p.key for p in mapper.column_attrs if _server_generated(p.column)}
    keys = [p.key for p in mapper.column_attrs]
    log = undo.log
    for state in states:
        d = state.obj.__dict__
        for key, default in defaults:
            if key not in d:
                value = default.arg if hasattr(default, "arg") else default
                undo.set(d, key, value() if callable(value) else value)
        given = tuple([k for k in keys if k in d and (d[k] is not None or k not in generated)])
        group = groups.get(given)
        if group is None:
            groups[given] = [state]
        else:
            group.append(state)
    done: list[tuple[InstanceState, Any]] = []
    for given, group in groups.items():
        columns = [mapper.attrs_by_key[k].column for k in given]
        missing = [p for p in mapper.column_attrs if p.key not in given]
        missing_pk = [p for p in missing if p.column.primary_key]
        for p in missing_pk:
            if not _server_generated(p.column):
                raise exc.FlushError(
                    f"{group[0].describe()} has no value for primary key "
                    f"{mapper.class_.__name__}.{p.key}, and the database won't make one; "
                    "set it before flushing"
                )
        server = [p for p in missing if not p.column.primary_key and _has_server_value(p.column)]
        fetch = missing_pk + (server if fetch_defaults else [])
        returning = [p.column for p in fetch] if returning_ok else []
        casts = _unnest_casts(dialect, columns)
        batch = _batch_size(
            len(columns),
            len(group),
            bool(missing_pk) and bool(returning),
            mapper,
            returning_ok,
            casts is not None,
        )
        for i in range(0, len(group), batch):
            chunk = group[i : i + batch]
            if len(given) > 1:
                values_of = itemgetter(*given)  # one C-level call per object
                rows = [values_of(s.obj.__dict__) for s in chunk]
            else:
                rows = [[s.obj.__dict__[k] for k in given] for s in chunk]
            if casts is not None and len(chunk) > 1:
                arrays = _arrays(dialect, table, columns, rows)
                result = yield Execute(UnnestInsert(table, columns, casts, arrays, returning))
            else:
                result = yield Execute(BulkInsert(table, columns, rows, returning))
            got = rows_of(result) if returning else None
            if got is not None and len(got) != len(chunk):
                raise exc.FlushError(
                    f"INSERT into {table.name!r} returned {len(got)} rows for {len(chunk)} objects"
                )
            if got is not None and len(chunk) > 1 and missing_pk:
                by_key = (
                    itemgetter(0) if len(missing_pk) == 1 else itemgetter(*range(len(missing_pk)))
                )
                got = sorted(got, key=by_key)
            fetch_keys = [p.key for p in fetch]
            left = [p for p in missing if p not in fetch]
            # columns the INSERT left out: NULL unless the database chose a value
            null_keys = [
                p.key for p in left if not (_has_server_value(p.column) or p.column.primary_key)
            ]
            expire_keys = [p.key for p in left if p.key not in null_keys]
            pk_keys = mapper.pk_keys
            pk_key = pk_keys[0] if len(pk_keys) == 1 else None
            for j, state in enumerate(chunk):
                d = state.obj.__dict__
                if got is not None:
                    for key, value in zip(fetch_keys, got[j], strict=True):
                        log.append((d, key, d.get(key, NO_VALUE)))
                        d[key] = value
                elif missing_pk:
                    if len(missing_pk) != 1 or result.lastrowid is None:
                        raise exc.FlushError(
                            f"Can't learn the new primary key of {state.describe()}: the "
                            "database has no RETURNING and no last row id"
                        )
                    undo.set(d, missing_pk[0].key, result.lastrowid)
                for key in null_keys:
                    if key not in d:
                        log.append((d, key, NO_VALUE))
                        d[key] = None
                if expire_keys:
                    unfetched = [k for k in expire_keys if k not in d]
                    if unfetched:  # the database chose them: load on demand
                        expire_after.append((state, unfetched))
                done.append((state, d[pk_key] if pk_key is not None else mapper.identity_of(d)))
    return done


def _unnest_casts(dialect: Any, columns: list[Any]) -> list[str] | None:
    """The array casts for an ``unnest`` INSERT on PostgreSQL (None: use VALUES)."""
    if dialect is None or dialect.name != "postgresql" or not columns:
        return None
    if any(c.name == "fm_ord" for c in columns):
        return None  # the name unnest's ordinality column goes by
    casts = [unnest_ddl(c) for c in columns]
    return None if None in casts else casts  # type: ignore[return-value]


def _arrays(dialect: Any, table: Any, columns: list[Any], rows: list[list[Any]]) -> list[Any]:
    """One list of driver-ready values per column (what a bind would convert)."""
    arrays = []
    for j, column in enumerate(columns):
        values = [row[j] for row in rows]
        process = dialect.bind_processor(column.type)
        if process is not None:
            try:
                values = [None if v is None else process(v) for v in values]
            except (TypeError, ValueError, OverflowError) as err:
                raise exc.StatementError(
                    f"A value for column {table.name}.{column.name} can't be sent: {err}"
                ) from err
        arrays.append(values)
    return arrays


def _server_generated(column: Any) -> bool:
    """The database makes this primary key's value (autoincrement, identity, sequence,
    or a server default)."""
    if column.server_default is not None or column.identity is not None:
        return True
    if column.sequence is not None:
        return True
    table = column.table
    pk = table.primary_key.columns if table is not None else []
    from ..sql._types import Integer

    return column.autoincrement is True or (
        column.autoincrement == "auto" and len(pk) == 1 and isinstance(column.type, Integer)
    )


def _has_server_value(column: Any) -> bool:
    return column.server_default is not None or column.identity is not None


def _batch_size(
    ncols: int, nrows: int, needs_order: bool, mapper: Any, returning: bool, unnest: bool
) -> int:
    if not returning and any(_server_generated(c) for c in mapper.primary_key):
        return 1  # one row per statement: the driver's last row id is the key
    if needs_order and not all(_monotonic(c) for c in mapper.primary_key):
        return 1  # keys that can't be matched to rows by order
    if ncols == 0:
        return 1  # INSERT ... DEFAULT VALUES
    if unnest:
        return max(1, min(nrows, 10_000))  # one array per column, whatever the count
    return max(1, min(nrows, _MAX_PARAMS // ncols, 1000))


def _monotonic(column: Any) -> bool:
    """Keys that grow in insertion order (sequences, autoincrement integers): a
    multi-row INSERT's RETURNING rows sorted by key match its VALUES rows."""
    from ..sql._types import Integer

    return isinstance(column.type, Integer) and column.server_default is None


def _update(
    core: Any,
    mapper: Any,
    states: list[InstanceState],
    undo: _Undo,
    expire_after: list[tuple[InstanceState, list[str]]],
) -> Plan:
    """UPDATE the changed columns; objects changing the same columns share one
    executemany."""
    groups: dict[tuple[str, ...], list[tuple[InstanceState, dict[str, Any]]]] = {}
    changed_states: list[InstanceState] = []
    onupdate = [(p.key, p.column.onupdate) for p in mapper.column_attrs if p.column.onupdate]
    server = [p.key for p in mapper.column_attrs if p.column.server_onupdate is not None]
    pk_names = [(f"pk_{i}", key) for i, key in enumerate(mapper.pk_keys)]
    known, core.changed_keys = core.changed_keys, None  # worked out by the commit's check
    for state in states:
        d = state.obj.__dict__
        committed = state.committed or {}
        keys = known.pop(id(state), None) if known else None
        if keys is None:
            keys = _changed_keys(state)
        changed_states.append(state)
        if not keys:
            continue
        for key, default in onupdate:
            if key not in keys:
                value = default.arg if hasattr(default, "arg") else default
                undo.set(d, key, value() if callable(value) else value)
                keys.append(key)
        params = {f"v_{k}": d[k] for k in keys}
        for name, key in pk_names:
            old = committed.get(key, NO_VALUE)
            params[name] = d[key] if old is NO_VALUE else old
        group = groups.get(tuple(keys))
        if group is None:
            groups[tuple(keys)] = [(state, params)]
        else:
            group.append((state, params))
        if server:
            expire_after.append((state, server))
    table = mapper.local_table
    dialect = core.dialect
    for changed, items in groups.items():
        columns = [mapper.attrs_by_key[k].column for k in changed]
        casts = _unnest_casts(dialect, columns + mapper.primary_key)
        if casts is not None and len(items) > 1:
            names = [f"v_{k}" for k in changed] + [f"pk_{i}" for i in range(len(mapper.pk_keys))]
            rows = [[params[n] for n in names] for _, params in items]
            arrays = _arrays(dialect, table, columns + mapper.primary_key, rows)
            stmt = UnnestUpdate(table, columns, mapper.primary_key, casts, arrays)
            result = yield Execute(stmt)
        else:
            stmt = _update_statement(mapper, table, changed)
            result = yield Execute(stmt, [params for _, params in items])
        if result.rowcount not in (-1, len(items)):
            raise exc.FlushError(
                f"UPDATE of {table.name!r} matched {result.rowcount} rows, expected "
                f"{len(items)}: a row was deleted or its key changed in another transaction"
            )
    return changed_states


def _changed_keys(state: InstanceState) -> list[str]:
    """The column keys whose value differs from the one loaded."""
    d = state.obj.__dict__
    committed = state.committed or {}
    keys = []
    for prop in state.mapper.column_attrs:
        key = prop.key
        if key not in committed:
            continue
        old = committed[key]
        new = d.get(key, NO_VALUE)
        if new is NO_VALUE or (old is not NO_VALUE and old is new):
            continue
        if old is not NO_VALUE and type(old) is type(new) and old == new:
            continue
        keys.append(key)
    return keys


def _update_statement(mapper: Any, table: Any, keys: tuple[str, ...]) -> Any:
    cache = mapper._loaders
    stmt = cache.get(("update", keys))
    if stmt is None:
        stmt = (
            update(table)
            .where(*[c == bindparam(f"pk_{i}") for i, c in enumerate(mapper.primary_key)])
            .values({mapper.attrs_by_key[k].column: bindparam(f"v_{k}") for k in keys})
        )
        cache[("update", keys)] = stmt
    return stmt


def _delete(mapper: Any, states: list[InstanceState]) -> Plan:
    cache = mapper._loaders
    stmt = cache.get("delete")
    if stmt is None:
        stmt = delete(mapper.local_table).where(
            *[c == bindparam(f"pk_{i}") for i, c in enumerate(mapper.primary_key)]
        )
        cache["delete"] = stmt
    params = []
    for state in states:
        ident = state.identity or ()
        params.append({f"pk_{i}": v for i, v in enumerate(ident)})
    result = yield Execute(stmt, params)
    if result.rowcount not in (-1, len(states)):
        raise exc.FlushError(
            f"DELETE from {mapper.local_table.name!r} matched {result.rowcount} rows, expected "
            f"{len(states)}: a row was already deleted in another transaction"
        )


def _finish(
    core: Any,
    inserted: list[tuple[InstanceState, Any]],
    updated: list[InstanceState],
    deleted: dict[int, InstanceState],
    expire_after: list[tuple[InstanceState, list[str]]],
) -> None:
    """Every statement succeeded: move objects along their lifecycle."""
    new, flushed = core.new, core.flushed_new
    per_mapper: dict[Any, Any] = {}
    for state, ident in inserted:
        mapper = state.mapper
        known = per_mapper.get(mapper)
        if known is None:
            collections = [r for r in mapper.relationships.values() if r.uselist]
            known = per_mapper[mapper] = (core.identity_map_for(mapper), collections)
        imap, collections = known
        state.key = ident
        state.status = PERSISTENT  # TRANSITIONS[(PENDING, "flush_insert")]
        obj = imap[ident] = state.obj
        new.pop(id(state), None)
        flushed.append(state)
        if collections:  # a new row has no children yet but those in its collections
            d = obj.__dict__
            for rel in collections:
                if rel.key not in d:
                    d[rel.key] = new_collection(obj, rel, ())
    for state in updated:
        state.committed = None
        state.modified = False
        core.dirty_states.discard(state)
    for state in list(core.dirty_states):
        if state.status != PERSISTENT:
            core.dirty_states.discard(state)
            state.modified = False
    for state in deleted.values():
        if state.key is None:
            continue
        core.identity_map_for(state.mapper).pop(state.key, None)
        if state.status != DELETED:
            state.transition("flush_delete")
        state.deleted = True
        core.flushed_deleted.append(state)
        core.dirty_states.discard(state)
        core.deleted.pop(id(state), None)
    core.deleted.clear()
    for state, keys in expire_after:
        d = state.obj.__dict__
        for key in keys:
            d.pop(key, None)
        state.expired = (state.expired or set()) | set(keys)

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

Given ``events`` (a ``FlushEvents``: the session has listeners), the plan fires
``before_insert`` / ``after_insert``, ``before_update`` / ``after_update`` and
``before_delete`` / ``after_delete`` around each mapper's statements; values a
``before_`` listener sets on its target are written by the statement that
follows. What listeners change is not in the undo log.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql import select
from ._attributes import new_collection
from ._options import relationship_criterion
from ._plan import Plan
from ._secondary import secondary_plan
from ._state import DELETED, NO_VALUE, PERSISTENT, InstanceState, instance_state
from ._write import Undo, changed_keys, delete_rows, insert_rows, unnest_casts, update_rows

__all__ = ["flush_plan", "single_statement_flush"]


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
    if mapper.version_key is not None:
        return False  # each row is checked against its version
    changed = changed_keys(states[0])
    if len(changed) != 1:
        changed_key = None
    else:
        changed_key = changed[0]
    relationships = mapper.relationship_keys
    for state in states:
        if state.mapper is not mapper or state.status != PERSISTENT:
            return False
        committed = state.committed
        d = state.obj.__dict__
        if relationships and (  # state.holds_any(relationships), inline
            not relationships.isdisjoint(d)
            or (committed and not relationships.isdisjoint(committed))
        ):
            if not _writes_only_itself(state):
                return False
            if committed and any(key in committed for key in relationships):
                return False  # its foreign keys change during the flush: not known yet
        if changed_key is not None and committed is not None and len(committed) == 1:
            # the common case, changed_keys() inline: the one key, to a new value
            old = committed.get(changed_key, NO_VALUE)
            new = d.get(changed_key, NO_VALUE)
            if (
                old is not NO_VALUE
                and new is not NO_VALUE
                and old is not new
                and (type(old) is not type(new) or old != new)
            ):
                continue
        if changed_keys(state) != changed:
            return False
    if not changed:
        return False
    columns = [mapper.attrs_by_key[k].column for k in changed]
    if unnest_casts(core.dialect, columns + mapper.primary_key) is None:
        return False
    core.unnest_update = (mapper, states, changed)  # the flush right after takes it as is
    return True


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


def flush_plan(core: Any, events: Any = None) -> Plan:
    """Write the session's pending changes (see the module docstring)."""
    undo = Undo()
    try:
        result = yield from _flush(core, undo, events)
    except BaseException:
        undo.undo()
        raise
    finally:
        # only ever good for the flush right after the check
        core.unnest_update = None
    return result


def _flush(core: Any, undo: Undo, events: Any) -> Plan:
    verified = core.unnest_update
    if (
        verified is not None
        and events is None
        and not core.new
        and not core.deleted
        and len(core.dirty_states) == len(verified[1])
    ):
        # The commit's check found one UPDATE of objects that write nothing through
        # their relationships: no cascades, orphans or foreign keys to look at.
        mapper, states, keys = verified
        later: list[tuple[InstanceState, list[str]]] = []  # (expire_after)
        done = yield from update_rows(core, mapper, states, undo, later, keys)
        _finish(core, [], done, {}, later)
        return
    for mapper in {s.mapper for s in (*core.new.values(), *core.dirty_states)}:
        mapper.registry.configure()
    core.cascade_pending()
    to_delete: dict[int, InstanceState] = dict(core.deleted)
    _orphans(core, to_delete)  # first: an orphan's own delete cascade goes on below it
    yield from _cascade_deletes(core, to_delete, undo)
    new = [s for s in core.new.values() if id(s) not in to_delete]
    mappers = {s.mapper for s in new} | {s.mapper for s in core.dirty_states}
    mappers |= {s.mapper for s in to_delete.values()}
    order = _sort_mappers(mappers)
    inserted: list[tuple[InstanceState, Any]] = []
    updated: list[InstanceState] = []
    expire_after: list[tuple[InstanceState, list[str]]] = []
    for mapper in order:
        if mapper.tree_relationships:
            yield from _write_tree(
                core, mapper, new, to_delete, undo, inserted, updated, expire_after, events
            )
            continue
        # the relationships whose foreign keys the flush copies (none: nothing to do)
        to_one = any(r.direction == "MANYTOONE" for r in mapper.relationships.values())
        to_many = any(r.direction == "ONETOMANY" for r in mapper.relationships.values())
        mine_new = [s for s in new if s.mapper is mapper] if len(order) > 1 else new
        if to_one:
            for state in mine_new:
                _sync_many_to_one(state, undo, to_delete)
        mine_dirty = [
            s
            for s in core.dirty_states
            if s.mapper is mapper and id(s) not in to_delete and s.status == PERSISTENT
        ]
        if to_one:
            for state in mine_dirty:
                _sync_many_to_one(state, undo, to_delete)
        if mine_new:
            if events is not None:
                events.fire("before_insert", mapper, mine_new)
            done = yield from insert_rows(core, mapper, mine_new, undo, expire_after)
            inserted.extend(done)
            if events is not None:
                events.fire("after_insert", mapper, mine_new)
        if mine_dirty:
            if events is not None:
                events.fire("before_update", mapper, mine_dirty)
            changed = yield from update_rows(core, mapper, mine_dirty, undo, expire_after)
            updated.extend(changed)
            if events is not None:
                events.fire("after_update", mapper, mine_dirty)
        if to_many:
            keys = mapper.relationship_keys
            for state in mine_new + mine_dirty:
                if state.holds_any(keys):
                    _sync_one_to_many(core, state, undo, to_delete)
    if any(m.secondary_relationships for m in order):
        flushed = [*new, *updated, *to_delete.values()]
        yield from secondary_plan(core, flushed, {id(s) for s in new}, to_delete)
    for mapper in reversed(order):
        states = [s for s in to_delete.values() if s.mapper is mapper and s.key is not None]
        if not states:
            continue
        if events is not None:
            events.fire("before_delete", mapper, states)
        if mapper.tree_relationships:
            for level in (yield from _tree_delete_levels(core, mapper, states)):
                yield from delete_rows(mapper, level)
        else:
            yield from delete_rows(mapper, states)
        if events is not None:
            events.fire("after_delete", mapper, states)
    _finish(core, inserted, updated, to_delete, expire_after)


# -- rows of one table that refer to each other (trees) ---------------------------------


def _write_tree(
    core: Any,
    mapper: Any,
    new: list[InstanceState],
    to_delete: dict[int, InstanceState],
    undo: Undo,
    inserted: list[tuple[InstanceState, Any]],
    updated: list[InstanceState],
    expire_after: list[tuple[InstanceState, list[str]]],
    events: Any,
) -> Plan:
    """INSERT and UPDATE the objects of a mapper whose rows refer to rows of the same
    table: new objects go in by levels (the parents, then their children, whose
    foreign keys take the parents' new keys, and so on), one batch per level."""
    keys = mapper.relationship_keys
    dirty = [s for s in core.dirty_states if s.mapper is mapper and s.status == PERSISTENT]
    for state in dirty:  # their keys are known: their children get them before any INSERT
        if id(state) not in to_delete and state.holds_any(keys):
            _sync_one_to_many(core, state, undo, to_delete)
    for level in _insert_levels(mapper, [s for s in new if s.mapper is mapper]):
        for state in level:
            _sync_many_to_one(state, undo, to_delete)
        if events is not None:
            events.fire("before_insert", mapper, level)
        inserted.extend((yield from insert_rows(core, mapper, level, undo, expire_after)))
        if events is not None:
            events.fire("after_insert", mapper, level)
        for state in level:
            if state.holds_any(keys):
                _sync_one_to_many(core, state, undo, to_delete)
    mine_dirty = [
        s
        for s in core.dirty_states
        if s.mapper is mapper and id(s) not in to_delete and s.status == PERSISTENT
    ]
    for state in mine_dirty:
        _sync_many_to_one(state, undo, to_delete)
    if mine_dirty:
        if events is not None:
            events.fire("before_update", mapper, mine_dirty)
        updated.extend((yield from update_rows(core, mapper, mine_dirty, undo, expire_after)))
        if events is not None:
            events.fire("after_update", mapper, mine_dirty)


def _insert_levels(mapper: Any, states: list[InstanceState]) -> list[list[InstanceState]]:
    """New objects of one table in INSERT order: each level holds the objects whose
    related new objects (through the mapper's self-referential relationships) are in
    the levels before it."""
    if len(states) < 2:
        return [states] if states else []
    index = {id(s.obj): i for i, s in enumerate(states)}
    waits: list[set[int]] = [set() for _ in states]  # who each one waits for
    for i, state in enumerate(states):
        d = state.obj.__dict__
        for rel in mapper.tree_relationships:
            value = d.get(rel.key)
            if value is None:
                continue
            if rel.direction == "MANYTOONE":
                j = index.get(id(value))
                if j is not None:
                    waits[i].add(j)
                continue
            for child in value if rel.uselist else [value]:
                j = index.get(id(child))
                if j is not None:
                    waits[j].add(i)
    levels = []
    left = set(range(len(states)))
    while left:
        ready = [i for i in sorted(left) if not (waits[i] & left)]
        if not ready:
            cycle = ", ".join(states[i].describe() for i in sorted(left)[:3])
            raise exc.FlushError(
                f"New {mapper.class_.__name__} objects refer to each other in a cycle "
                f"({cycle}, ...) through {', '.join(r.name for r in mapper.tree_relationships)}"
                "; no order of INSERTs can give each its parent's key first: flush them "
                "without one of the links, then set it and flush again"
            )
        levels.append([states[i] for i in ready])
        left.difference_update(ready)
    return levels


def _tree_delete_levels(core: Any, mapper: Any, states: list[InstanceState]) -> Plan:
    """Objects of one table to DELETE, in levels: the rows that refer to others of the
    set (children) before the rows they refer to. Reads the foreign keys the objects
    had in the database (loading those that were expired)."""
    if len(states) < 2:
        return [states]
    links = []  # (foreign key keys, referenced keys)
    for rel in mapper.tree_relationships:
        pairs = rel.pairs if rel.direction == "MANYTOONE" else [(t, p) for p, t in rel.pairs]
        if [r for _, r in pairs] == mapper.primary_key:
            link = [mapper.key_by_column[fk] for fk, _ in pairs]
            if link not in links:
                links.append(link)
    if not links:
        return [states]
    for state in states:
        missing = [k for link in links for k in link if k not in state.obj.__dict__]
        if missing:
            from ._loading import refresh_plan

            yield from refresh_plan(core, state, missing)
    index = {s.key: i for i, s in enumerate(states)}
    waits: list[set[int]] = [set() for _ in states]  # a parent waits for its children
    for i, state in enumerate(states):
        d, committed = state.obj.__dict__, state.committed or {}
        for link in links:
            values = [committed[k] if k in committed else d.get(k) for k in link]
            if any(v is None or v is NO_VALUE for v in values):
                continue
            j = index.get(values[0] if len(values) == 1 else tuple(values))
            if j is not None and j != i:
                waits[j].add(i)
    levels = []
    left = set(range(len(states)))
    while left:
        # a cycle (rows referring to each other) can't be ordered: one statement
        ready = [i for i in sorted(left) if not (waits[i] & left)] or sorted(left)
        levels.append([states[i] for i in ready])
        left.difference_update(ready)
    return levels


def _sync_many_to_one(
    state: InstanceState, undo: Undo, to_delete: dict[int, InstanceState]
) -> None:
    """``child.parent_id = child.parent.id`` for every loaded many-to-one (except to a
    parent being deleted: the delete cascade decided that foreign key)."""
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
        if id(tstate) in to_delete:
            continue
        for parent_col, target_col in rel.pairs:
            value = td.get(rel.mapper.key_by_column[target_col])
            _set_fk(state, mapper.key_by_column[parent_col], value, undo)


def _set_fk(state: InstanceState, key: str, value: Any, undo: Undo) -> None:
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
    core: Any, state: InstanceState, undo: Undo, to_delete: dict[int, InstanceState]
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
    core: Any, cstate: InstanceState, keys: list[str], values: list[Any], undo: Undo
) -> None:
    cd = cstate.obj.__dict__
    if all(cd.get(k, NO_VALUE) == v for k, v in zip(keys, values, strict=True)):
        return
    for key, value in zip(keys, values, strict=True):
        _set_fk(cstate, key, value, undo)
    if cstate.key is not None and cstate not in core.dirty_states:
        core.dirty_states.add(cstate)
        cstate.modified = True


def _cascade_deletes(core: Any, to_delete: dict[int, InstanceState], undo: Undo) -> Plan:
    """Objects deleted through ``cascade="delete"`` (one-to-many and many-to-many);
    children of deleted parents that are not deleted get their foreign key set to NULL
    (loading them if needed). A many-to-many's secondary rows are ``_secondary``'s."""
    queue = list(to_delete.values())
    while queue:
        state = queue.pop()
        d = state.obj.__dict__
        for rel in state.mapper.relationships.values():
            if rel.direction == "MANYTOONE" or rel.viewonly:
                continue
            if rel.secondary is not None and "delete" not in rel.cascade:
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
        committed = state.committed
        if not committed or not state.holds_any(state.mapper.relationship_keys):
            continue  # no relationship changed
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
    every = len(inserted) == len(new)  # every pending object inserted (they come from new)
    if every:
        new.clear()
    flushed.extend([state for state, _ in inserted])
    last = imap = collections = None
    for state, ident in inserted:
        mapper = state.mapper
        if mapper is not last:
            last, known = mapper, per_mapper.get(mapper)
            if known is None:
                collections = [
                    r
                    for r in mapper.relationships.values()
                    if r.uselist and r.lazy not in ("write_only", "dynamic")
                ]
                known = per_mapper[mapper] = (core.identity_map_for(mapper), collections)
            imap, collections = known
        state.key = ident
        state.status = PERSISTENT  # TRANSITIONS[(PENDING, "flush_insert")]
        obj = imap[ident] = state.obj  # type: ignore[index]
        if not every:
            new.pop(id(state), None)
        if collections:  # a new row has no children yet but those in its collections
            d = obj.__dict__
            for rel in collections:
                if rel.key not in d:
                    d[rel.key] = new_collection(obj, rel, ())
    for state in updated:
        state.committed = None
        state.modified = False
    core.dirty_states.difference_update(updated)
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

"""The rows of many-to-many secondary tables, as the flush writes them.

A many-to-many relationship (``Post.tags`` through ``post_tags``) holds no
foreign key in either object: each link is a row of the secondary table. The
flush works the links out from the collections' history, after every INSERT
and UPDATE of the objects (both sides have their keys then) and before any
DELETE of them:

* a new object: a row for each object in its collection;
* a changed collection: rows for the objects added since it was loaded, and
  DELETEs for those removed; a collection assigned without being loaded
  (``post.tags = [...]``) replaces every row the object had;
* a deleted object: a DELETE of all its rows (unless ``passive_deletes=True``:
  the database's ``ON DELETE CASCADE`` does it).

Both sides of a ``back_populates`` pair see the same change, so the rows are
keyed by their values and written once. Per table: one executemany DELETE of
the links removed (its row count checked), one of the objects' rows, then
one executemany INSERT. Nothing here changes an object, so a failed flush
leaves the collections and their history as they were.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql import bindparam, delete, insert
from ._plan import Execute, Plan
from ._state import NO_VALUE, InstanceState, instance_state

__all__ = ["secondary_plan"]


class _Links:
    """The secondary rows a flush adds and removes, per (table, columns)."""

    def __init__(self) -> None:
        self.added: dict[tuple[Any, tuple[str, ...]], dict[tuple[Any, ...], None]] = {}
        self.removed: dict[tuple[Any, tuple[str, ...]], dict[tuple[Any, ...], None]] = {}
        self.cleared: dict[tuple[Any, tuple[str, ...]], dict[tuple[Any, ...], None]] = {}

    @staticmethod
    def put(into: dict[Any, Any], table: Any, row: dict[str, Any]) -> None:
        names = tuple(sorted(row))
        into.setdefault((table, names), {})[tuple(row[n] for n in names)] = None


def secondary_plan(
    core: Any, states: list[InstanceState], new: set[int], to_delete: dict[int, InstanceState]
) -> Plan:
    """Write the secondary rows for the many-to-many relationships of ``states`` (the
    objects of the flush; ``new``: the ids of those it inserted)."""
    links = _Links()
    for state in states:
        rels = state.mapper.secondary_relationships
        if rels:
            _collect(state, rels, id(state) in new, to_delete, links)
    for (table, names), rows in links.removed.items():
        stmt = delete(table).where(*[table.c[n] == bindparam(f"k_{n}") for n in names])
        params = [{f"k_{n}": v for n, v in zip(names, row, strict=True)} for row in rows]
        result = yield Execute(stmt, params)
        if result.rowcount not in (-1, len(params)):
            raise exc.FlushError(
                f"DELETE from {table.name!r} matched {result.rowcount} rows, expected "
                f"{len(params)}: a link was removed (or its object deleted) in another "
                "transaction"
            )
    for (table, names), rows in links.cleared.items():
        stmt = delete(table).where(*[table.c[n] == bindparam(f"k_{n}") for n in names])
        yield Execute(stmt, [{f"k_{n}": v for n, v in zip(names, r, strict=True)} for r in rows])
    for (table, names), rows in links.added.items():
        params = [dict(zip(names, row, strict=True)) for row in rows]
        yield Execute(insert(table), params)


def _collect(
    state: InstanceState,
    rels: list[Any],
    is_new: bool,
    to_delete: dict[int, InstanceState],
    links: _Links,
) -> None:
    d = state.obj.__dict__
    committed = state.committed
    deleting = id(state) in to_delete
    for rel in rels:
        added: list[Any]
        removed: list[Any]
        if deleting:
            if not rel.passive_deletes and state.key is not None:
                links.put(links.cleared, rel.secondary, _side(state, rel, rel.parent_pairs))
            continue
        if is_new:
            if rel.key not in d:
                continue
            added, removed = _items(d[rel.key]), []
        else:
            if committed is None or rel.key not in committed or rel.key not in d:
                continue
            current, old = _items(d[rel.key]), committed[rel.key]
            if old is NO_VALUE:  # assigned without being loaded: it replaces every link
                links.put(links.cleared, rel.secondary, _side(state, rel, rel.parent_pairs))
                added, removed = current, []
            else:
                old_items = _items(old)
                before, after = {id(o) for o in old_items}, {id(o) for o in current}
                added = [o for o in current if id(o) not in before]
                removed = [o for o in old_items if id(o) not in after]
        changes = [(o, links.added) for o in added] + [(o, links.removed) for o in removed]
        for item, into in changes:
            istate = instance_state(item)
            if id(istate) in to_delete:
                continue  # its rows go with it
            if into is links.removed and istate.key is None:
                continue  # never written
            row = _side(state, rel, rel.parent_pairs)
            row.update(_side(istate, rel, rel.target_pairs, state))
            links.put(into, rel.secondary, row)


def _items(value: Any) -> list[Any]:
    if value is None or value is NO_VALUE:
        return []
    if isinstance(value, list):
        return [o for o in value if o is not None]
    return [value]


def _side(
    state: InstanceState, rel: Any, pairs: list[Any], owner: InstanceState | None = None
) -> dict[str, Any]:
    """The secondary columns' values for one side of a link: ``{secondary column name:
    value of the object's column}``."""
    d = state.obj.__dict__
    keys = state.mapper.key_by_column
    pk = state.mapper.primary_key
    row = {}
    for column, secondary_column in pairs:
        value = d.get(keys[column], NO_VALUE)
        if value is NO_VALUE and column in pk and state.identity is not None:
            value = state.identity[pk.index(column)]  # expired, but it is the key
        if value is None or value is NO_VALUE:
            if owner is not None and (state.session is None or state.session is not owner.session):
                raise exc.FlushError(
                    f"{owner.describe()}.{rel.key} holds {state.describe()}, which is not in "
                    "the session: add it (session.add()) or keep the default save-update "
                    "cascade"
                )
            raise exc.FlushError(
                f"{state.describe()} has no value for {state.mapper.class_.__name__}."
                f"{keys[column]}, which the rows of {rel.secondary.name!r} ({rel.name}) need"
            )
        row[secondary_column.name] = value
    return row

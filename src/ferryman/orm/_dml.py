"""ORM-enabled INSERT / UPDATE / DELETE: ``session.execute(update(User).where(...)
.values(...))`` and friends, given the mapped class rather than its table.

* ``returning(User)`` brings back ``User`` objects (the session's own where it has
  them, refreshed from the row).
* ``session.execute(update(User), [{"id": 1, "name": "x"}, ...])``: a list of
  dicts and no WHERE updates each row by its primary key (one executemany per set
  of columns given).
* The objects of the session that the statement changed are kept in step
  (``synchronize_session``): an UPDATE brings back the rows' new values with
  ``RETURNING`` and sets them on the objects, clean (where the database has no
  UPDATE ... RETURNING, the keys are selected before and the new values after);
  a DELETE takes its objects out of the session, as a flushed delete
  would (a rollback brings them back). "auto", "fetch" and "evaluate" all do this
  (nothing is evaluated in Python, which could differ from SQL's answer); False
  leaves the objects as they are.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..engine._result import Result
from ..sql import and_, bindparam, or_, select, update
from ._plan import Execute, Plan
from ._state import instance_state

__all__ = [
    "dml_by_primary_key",
    "dml_insert",
    "dml_synchronized",
    "objects_from_rows",
    "objects_result",
]


def objects_result(core: Any, mapper: Any, rows: Any) -> Result:
    """A result of ``returning(Model)`` rows (the table's columns): one object per row."""
    keys = [mapper.key_by_column.get(c) for c in mapper.local_table.c]
    objects = []
    for row in rows:
        values = {k: v for k, v in zip(keys, row, strict=True) if k is not None}
        objects.append((core.adopt_values(mapper, values),))
    return Result((mapper.class_.__name__,), objects, rowcount=len(objects))


def objects_from_rows(
    core: Any, entities: tuple[Any, ...], keys: list[str], rows: Any, populate: bool
) -> Result:
    """``select(User).from_statement(text(...))``: each entity built from the columns
    of the rows that carry its column names (a mapped class: its object, the
    session's own when it has one; an attribute: its value)."""
    position = {key: i for i, key in enumerate(keys)}
    makers: list[tuple[Any, Any]] = []
    for entity in entities:
        mapper = getattr(entity, "__mapper__", None)
        if mapper is not None:
            found = [
                (p.key, position[p.column.name])
                for p in mapper.column_attrs
                if p.column.name in position
            ]
            missing = [c.name for c in mapper.primary_key if c.name not in position]
            if missing:
                raise exc.InvalidRequestError(
                    f"from_statement(): the rows have no column {missing[0]!r}, the primary "
                    f"key of {mapper.class_.__name__}; select it (the columns are matched "
                    f"by name: the rows have {keys})"
                )
            makers.append((mapper, found))
        else:
            name = getattr(getattr(entity, "column", None), "name", None) or getattr(
                entity, "key", None
            )
            if name not in position:
                raise exc.InvalidRequestError(
                    f"from_statement(): the rows have no column {name!r} for {entity!r}"
                )
            makers.append((None, position[name]))
    out = []
    for row in rows:
        items = []
        for mapper, found in makers:
            if mapper is None:
                items.append(row[found])
            else:
                values = {key: row[i] for key, i in found}
                items.append(core.adopt_values(mapper, values, refresh=populate))
        out.append(tuple(items))
    names = tuple(str(getattr(e, "__name__", None) or getattr(e, "key", "?")) for e in entities)
    return Result(names, out)


def dml_insert(core: Any, mapper: Any, statement: Any, params: Any) -> Plan:
    """``insert(Model)`` with a list of dicts: the dicts that give the same columns run
    as one executemany (runs in the list's order, so ``returning(Model)`` gives the
    objects in that order), each dict's missing columns left to their defaults."""
    runs: list[list[Any]] = []
    for values in params:
        if runs and set(runs[-1][0]) == set(values):
            runs[-1].append(values)
        else:
            runs.append([values])
    rows: list[Any] = []
    rowcount = 0
    for run in runs:
        result = yield Execute(statement, run)
        rowcount += max(result.rowcount, 0)
        if statement._returning:
            rows.extend(result.all())
    if statement._returning_entity is not None:
        return objects_result(core, mapper, rows)
    if statement._returning:
        return Result(tuple(result.keys()), [tuple(r) for r in rows], rowcount=len(rows))
    return Result(None, (), rowcount=rowcount)


def _changed_columns(mapper: Any, statement: Any, params: Any) -> list[tuple[str, Any]]:
    """(attribute key, column) of what an UPDATE sets."""
    changed = []
    for column, _ in statement._values:
        key = mapper.key_by_column.get(column)
        if key is not None:
            changed.append((key, column))
    if isinstance(params, dict):
        given = {k for k, _ in changed}
        for name in params:
            if name in mapper.column_keys and name not in given:
                changed.append((name, mapper.attrs_by_key[name].column))
    return changed


def dml_synchronized(core: Any, mapper: Any, statement: Any, params: Any, dialect: Any) -> Plan:
    """Run an UPDATE / DELETE of ``mapper``'s rows and bring the session's objects in
    step with what it did (see the module docstring)."""
    kind = statement.__visit_name__
    pk = mapper.primary_key
    changed = _changed_columns(mapper, statement, params) if kind == "update" else []
    returning_ok = (
        not statement._returning
        and getattr(dialect, "supports_returning", False)
        and (kind != "update" or getattr(dialect, "supports_update_returning", True))
    )
    matched: list[tuple[tuple[Any, ...], tuple[Any, ...] | None]] = []
    if returning_ok:
        result = yield Execute(statement.returning(*pk, *[c for _, c in changed]), params)
        n = len(pk)
        for row in result.all():
            matched.append((tuple(row[:n]), tuple(row[n:])))
        out = Result(None, (), rowcount=len(matched))
    else:
        found = yield Execute(
            select(*pk).where(*statement._where), params if isinstance(params, dict) else None
        )
        matched = [(tuple(row), None) for row in found.all()]
        out = yield Execute(statement, params)
        if statement._returning_entity is not None:
            out = objects_result(core, mapper, out.all())
        if changed and matched:  # no UPDATE ... RETURNING: read the new values back
            n = len(pk)
            if n == 1:
                which = pk[0].in_([ident[0] for ident, _ in matched])
            else:
                which = or_(
                    *[
                        and_(*[c == v for c, v in zip(pk, ident, strict=True)])
                        for ident, _ in matched
                    ]
                )
            fresh = yield Execute(select(*pk, *[c for _, c in changed]).where(which))
            matched = [(tuple(row[:n]), tuple(row[n:])) for row in fresh.all()]
    keys = [k for k, _ in changed]
    for ident, values in matched:
        obj = core.identity_get(mapper, ident[0] if len(ident) == 1 else ident)
        if obj is None:
            continue
        state = instance_state(obj)
        if kind == "delete":
            core.deleted_by_statement(state)
        elif values is not None:
            core.set_clean(state, dict(zip(keys, values, strict=True)))
        elif keys:
            core.expire(state, keys)
    return out


def dml_by_primary_key(
    core: Any, mapper: Any, statement: Any, params: list[Any], sync: bool
) -> Plan:
    """``update(User)`` run with a list of dicts, each with the primary key: each row
    updated by its key (one executemany per set of columns given)."""
    if statement._values:
        raise exc.ArgumentError(
            f"update({mapper.class_.__name__}) with a list of dicts updates each row by its "
            "primary key from the dicts: leave out .values() (or give no list)"
        )
    pk_keys = mapper.pk_keys
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in params:
        missing = [k for k in pk_keys if k not in values]
        unknown = [k for k in values if k not in mapper.column_keys]
        if missing or unknown:
            raise exc.ArgumentError(
                f"update({mapper.class_.__name__}) by primary key: {values!r} "
                + (f"lacks the key {missing}" if missing else f"names no column {unknown}")
            )
        keys = tuple(k for k in values if k not in pk_keys)
        groups.setdefault(keys, []).append(values)
    table = mapper.local_table
    total = 0
    for keys, dicts in groups.items():
        if not keys:
            continue
        stmt = (
            update(table)
            .where(*[mapper.attrs_by_key[k].column == bindparam(f"pk_{k}") for k in pk_keys])
            .values({mapper.attrs_by_key[k].column: bindparam(f"v_{k}") for k in keys})
        )
        rows = [
            {**{f"pk_{k}": d[k] for k in pk_keys}, **{f"v_{k}": d[k] for k in keys}} for d in dicts
        ]
        result = yield Execute(stmt, rows)
        total += max(result.rowcount, 0)
        for d in dicts if sync else ():
            ident = d[pk_keys[0]] if len(pk_keys) == 1 else tuple(d[k] for k in pk_keys)
            obj = core.identity_get(mapper, ident)
            if obj is not None:
                core.set_clean(instance_state(obj), {k: d[k] for k in keys})
    return Result(None, (), rowcount=total)

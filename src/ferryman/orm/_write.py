"""The statements a flush writes: batched INSERTs, UPDATEs and DELETEs.

``_flush`` decides what to write and in which order; the functions here turn the
objects of one mapper into statements (plans yielding them) and put what comes
back (keys, server defaults) into the objects, recording each write in the undo
log so that a failed flush leaves the objects as they were.

* INSERT: objects giving the same columns are batched. On PostgreSQL a batch is
  one ``INSERT ... SELECT FROM unnest(arrays)`` (``dialects/postgresql/_bulk``);
  elsewhere a multi-row ``INSERT ... VALUES`` of up to 1,000 rows
  (``BulkInsert``). RETURNING brings back the keys and server defaults.
* UPDATE: only the changed columns; objects changing the same columns share one
  statement (``UPDATE ... FROM unnest`` on PostgreSQL, an executemany elsewhere).
* DELETE: an executemany by primary key.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import repeat
from operator import itemgetter
from typing import Any

from .. import exc
from ..dialects.postgresql._bulk import UnnestInsert, UnnestUpdate, unnest_ddl
from ..sql import bindparam, delete, insert, update
from ..sql._compiler_base import convert_column
from ..sql._elements import BindParameter, ClauseElement
from ._plan import Execute, Plan, rows_of
from ._state import NO_VALUE, InstanceState

__all__ = [
    "BulkInsert",
    "Undo",
    "changed_keys",
    "delete_rows",
    "insert_rows",
    "unnest_casts",
    "update_rows",
]


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


class Undo:
    """What the flush wrote into objects, to put back if it fails."""

    def __init__(self) -> None:
        # (an object's __dict__, key, old value), or (a list of them, key, NO_VALUE)
        self.log: list[tuple[Any, str, Any]] = []

    def set(self, d: dict[str, Any], key: str, value: Any) -> None:
        self.log.append((d, key, d.get(key, NO_VALUE)))
        d[key] = value

    def set_column(self, dicts: list[dict[str, Any]], key: str, values: Sequence[Any]) -> None:
        """``set()`` for many objects: ``key`` of each of ``dicts`` gets its value."""
        if any(map(dict.__contains__, dicts, repeat(key))):
            for d, value in zip(dicts, values, strict=True):
                self.set(d, key, value)
            return
        self.log.append((dicts, key, NO_VALUE))  # none had it: undo drops it from all
        for d, value in zip(dicts, values, strict=True):
            d[key] = value

    def undo(self) -> None:
        for d, key, old in reversed(self.log):
            if type(d) is list:  # a set_column() entry
                for one in d:
                    one.pop(key, None)
            elif old is NO_VALUE:
                d.pop(key, None)
            else:
                d[key] = old


def insert_rows(
    core: Any,
    mapper: Any,
    states: list[InstanceState],
    undo: Undo,
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
    if mapper.version_key is not None:  # a new row's version: the generator's first
        defaults.append((mapper.version_key, lambda: mapper.version_generator(None)))
    generated = frozenset(p.key for p in mapper.column_attrs if _server_generated(p.column))
    keys = [p.key for p in mapper.column_attrs]
    column_keys = mapper.column_keys
    # The columns an object gives, in order, by the keys of its __dict__ (objects made
    # alike have them in the same order): one C-level tuple() and lookup per object.
    # Not for objects that hold a generated column: whether it counts depends on its
    # value (None: the database makes it).
    shapes: dict[tuple[str, ...], tuple[str, ...]] = {}
    log = undo.log
    group: list[InstanceState] = []
    given: tuple[str, ...] | None = None
    for state in states:
        d = state.obj.__dict__
        for key, default in defaults:
            if key not in d:
                value = default.arg if hasattr(default, "arg") else default
                undo.set(d, key, value() if callable(value) else value)
        shape = tuple(d)
        same = shapes.get(shape)
        if same is None:
            present = column_keys.intersection(d)
            if not generated.isdisjoint(present):  # a generated column left None: not given
                present = frozenset([k for k in present if d[k] is not None or k not in generated])
            same = tuple([k for k in keys if k in present])
            if generated.isdisjoint(shape):
                shapes[shape] = same
        if same is not given:
            given = same
            group = groups.get(given)  # type: ignore[assignment]
            if group is None:
                group = groups[given] = []
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
        casts = unnest_casts(dialect, columns)
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
            dicts = [s.obj.__dict__ for s in chunk]
            if casts is not None and len(chunk) > 1:
                data = [list(map(itemgetter(k), dicts)) for k in given]  # column by column
                arrays = _arrays(dialect, table, columns, data)
                result = yield Execute(UnnestInsert(table, columns, casts, arrays, returning))
            else:
                if len(given) > 1:
                    rows = list(map(itemgetter(*given), dicts))  # one C-level call per object
                else:
                    rows = [[d[k] for k in given] for d in dicts]
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
            if got is not None:  # what RETURNING brought back, column by column
                for key, values in zip(fetch_keys, zip(*got, strict=True), strict=True):
                    undo.set_column(dicts, key, values)
            per_object = (got is None and missing_pk) or null_keys or expire_keys
            for state, d in zip(chunk, dicts, strict=True) if per_object else ():
                if got is None and missing_pk:
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
            if pk_key is not None:
                done.extend(zip(chunk, map(itemgetter(pk_key), dicts), strict=True))
            else:
                done.extend((s, mapper.identity_of(d)) for s, d in zip(chunk, dicts, strict=True))
    return done


def unnest_casts(dialect: Any, columns: list[Any]) -> list[str] | None:
    """The array casts for an ``unnest`` INSERT on PostgreSQL (None: use VALUES)."""
    if dialect is None or dialect.name != "postgresql" or not columns:
        return None
    if any(c.name == "fm_ord" for c in columns):
        return None  # the name unnest's ordinality column goes by
    casts = [unnest_ddl(c) for c in columns]
    return None if None in casts else casts  # type: ignore[return-value]


def _arrays(dialect: Any, table: Any, columns: list[Any], data: list[list[Any]]) -> list[Any]:
    """One list of driver-ready values per column (what a bind would convert), from
    the values column by column."""
    arrays = []
    for column, values in zip(columns, data, strict=True):
        process = dialect.bind_processor(column.type)
        if process is not None:
            try:
                values = convert_column(process, values)
            except (TypeError, ValueError, OverflowError) as err:
                raise exc.StatementError(
                    f"A value for column {table.name}.{column.name} can't be sent: {err}"
                ) from err
        arrays.append(values)
    return arrays


def _server_generated(column: Any) -> bool:
    """The database makes this column's value when the INSERT leaves it out: a
    server default, identity or sequence, or a primary key's autoincrement."""
    if column.server_default is not None or column.identity is not None:
        return True
    if column.sequence is not None:
        return True
    if not column.primary_key:
        return False  # autoincrement is a primary key's
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


def update_rows(
    core: Any,
    mapper: Any,
    states: list[InstanceState],
    undo: Undo,
    expire_after: list[tuple[InstanceState, list[str]]],
    same_keys: list[str] | None = None,
) -> Plan:
    """UPDATE the changed columns; objects changing the same columns share one
    executemany. ``same_keys``: every object changed these columns (known already)."""
    if mapper.version_key is not None:
        return (yield from _update_versioned(mapper, states, undo, expire_after))
    # per set of changed keys: the objects' __dict__s
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    moved: dict[int, dict[str, Any]] = {}  # id(__dict__) -> old values of a changed key
    changed_states: list[InstanceState] = []
    onupdate = [(p.key, p.column.onupdate) for p in mapper.column_attrs if p.column.onupdate]
    server = [p.key for p in mapper.column_attrs if p.column.server_onupdate is not None]
    pk_keys = mapper.pk_keys
    if same_keys and not onupdate and not server and set(pk_keys).isdisjoint(same_keys):
        # one group, no per-object work (a key left unchanged is the key the row has)
        groups[tuple(same_keys)] = [s.obj.__dict__ for s in states]
        changed_states.extend(states)
        states = []
    for state in states:
        d = state.obj.__dict__
        keys = changed_keys(state)
        changed_states.append(state)
        if not keys:
            continue
        for key, default in onupdate:
            if key not in keys:
                value = default.arg if hasattr(default, "arg") else default
                undo.set(d, key, value() if callable(value) else value)
                keys.append(key)
        committed = state.committed
        if committed:
            for key in pk_keys:
                if key in committed:
                    moved[id(d)] = committed  # the row is found by its old key
                    break
        group = groups.get(tuple(keys))
        if group is None:
            groups[tuple(keys)] = [d]
        else:
            group.append(d)
        if server:
            expire_after.append((state, server))
    table = mapper.local_table
    dialect = core.dialect
    for changed, dicts in groups.items():
        # the values, column by column: the changed ones, then the key the row has
        values = [list(map(itemgetter(k), dicts)) for k in (*changed, *pk_keys)]
        for i, d in enumerate(dicts) if moved else ():
            old = moved.get(id(d))
            if old is None:
                continue
            for j, key in enumerate(pk_keys, len(changed)):
                if old.get(key, NO_VALUE) is not NO_VALUE:
                    values[j][i] = old[key]
        columns = [mapper.attrs_by_key[k].column for k in changed]
        casts = unnest_casts(dialect, columns + mapper.primary_key)
        if casts is not None and len(dicts) > 1:
            arrays = _arrays(dialect, table, columns + mapper.primary_key, values)
            stmt = UnnestUpdate(table, columns, mapper.primary_key, casts, arrays)
            result = yield Execute(stmt)
        else:
            names = [f"v_{k}" for k in changed] + [f"pk_{i}" for i in range(len(pk_keys))]
            stmt = _update_statement(mapper, table, changed)
            rows = zip(*values, strict=True)
            result = yield Execute(stmt, [dict(zip(names, row, strict=True)) for row in rows])
        if result.rowcount not in (-1, len(dicts)):
            raise exc.StaleDataError(
                f"UPDATE of {table.name!r} matched {result.rowcount} rows, expected "
                f"{len(dicts)}: a row was deleted or its key changed in another transaction"
            )
    return changed_states


def changed_keys(state: InstanceState) -> list[str]:
    """The column keys whose value differs from the one loaded (in column order)."""
    d = state.obj.__dict__
    committed = state.committed
    if not committed:
        return []
    if len(committed) == 1:  # the common case: one attribute changed
        for key, old in committed.items():
            if key not in state.mapper.column_keys:
                return []
            new = d.get(key, NO_VALUE)
            if new is NO_VALUE or (old is not NO_VALUE and old is new):
                return []
            if old is not NO_VALUE and type(old) is type(new) and old == new:
                return []
            return [key]
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


def _update_versioned(
    mapper: Any,
    states: list[InstanceState],
    undo: Undo,
    expire_after: list[tuple[InstanceState, list[str]]],
) -> Plan:
    """UPDATE objects with a version counter one by one: each finds its row by its key
    and the version it loaded, and moves the version on; a row that is not found
    (another transaction changed or deleted it) is a ``StaleDataError``."""
    changed_states: list[InstanceState] = []
    vkey = mapper.version_key
    onupdate = [(p.key, p.column.onupdate) for p in mapper.column_attrs if p.column.onupdate]
    server = [p.key for p in mapper.column_attrs if p.column.server_onupdate is not None]
    for state in states:
        d = state.obj.__dict__
        keys = [k for k in changed_keys(state) if k != vkey]
        changed_states.append(state)
        if not keys:
            continue
        for key, default in onupdate:
            if key not in keys:
                value = default.arg if hasattr(default, "arg") else default
                undo.set(d, key, value() if callable(value) else value)
                keys.append(key)
        committed = state.committed or {}
        old = committed.get(vkey, d.get(vkey, NO_VALUE))
        if old is NO_VALUE:
            raise exc.FlushError(
                f"{state.describe()} has no loaded {mapper.class_.__name__}.{vkey} (its "
                "version counter), so its row can't be checked: load it before changing"
            )
        new = mapper.version_generator(old)
        stmt = _versioned_statement(mapper, "update", tuple(keys))
        params = {f"v_{k}": d[k] for k in keys}
        params["v_version"] = new
        params["version_was"] = old
        for i, key in enumerate(mapper.pk_keys):
            params[f"pk_{i}"] = committed.get(key, d[key])
        result = yield Execute(stmt, params)
        if result.rowcount == 0:
            raise exc.StaleDataError(
                f"UPDATE of {state.describe()} found no row with version {old!r}: another "
                "transaction changed or deleted it since it was loaded; roll back, load it "
                "again and redo the change"
            )
        undo.set(d, vkey, new)
        if server:
            expire_after.append((state, server))
    return changed_states


def _versioned_statement(mapper: Any, kind: str, keys: tuple[str, ...]) -> Any:
    cache = mapper._loaders
    stmt = cache.get((kind, "versioned", keys))
    if stmt is None:
        table = mapper.local_table
        vcol = mapper.attrs_by_key[mapper.version_key].column
        where = [c == bindparam(f"pk_{i}") for i, c in enumerate(mapper.primary_key)]
        where.append(vcol == bindparam("version_was"))
        if kind == "delete":
            stmt = delete(table).where(*where)
        else:
            values = {mapper.attrs_by_key[k].column: bindparam(f"v_{k}") for k in keys}
            values[vcol] = bindparam("v_version")
            stmt = update(table).where(*where).values(values)
        cache[(kind, "versioned", keys)] = stmt
    return stmt


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


def delete_rows(mapper: Any, states: list[InstanceState]) -> Plan:
    if mapper.version_key is not None:  # one by one, each checking its version
        vkey = mapper.version_key
        stmt = _versioned_statement(mapper, "delete", ())
        for state in states:
            d = state.obj.__dict__
            committed = state.committed or {}
            one = {f"pk_{i}": v for i, v in enumerate(state.identity or ())}
            one["version_was"] = committed.get(vkey, d.get(vkey))
            result = yield Execute(stmt, one)
            if result.rowcount == 0:
                raise exc.StaleDataError(
                    f"DELETE of {state.describe()} found no row with version "
                    f"{one['version_was']!r}: another transaction changed or deleted it "
                    "since it was loaded"
                )
        return
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
        raise exc.StaleDataError(
            f"DELETE from {mapper.local_table.name!r} matched {result.rowcount} rows, expected "
            f"{len(states)}: a row was already deleted in another transaction"
        )

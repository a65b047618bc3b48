"""``select()`` and joins.

A ``Select`` is immutable: every method returns a new one (``where()``
chains with AND). Its FROM list is what its columns and conditions refer to
(tables, or explicit ``select_from()`` / ``join_from()`` / ``join()``).
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ._derived import CTE, DerivedColumn, Lateral, Subquery
from ._elements import BindParameter, ClauseElement, ColumnElement, by_name, coerce, literal_column
from ._schema import Column, FromClause, Table
from ._types import NullType

__all__ = [
    "CompoundSelect",
    "Exists",
    "Join",
    "ScalarSelect",
    "Select",
    "except_",
    "exists",
    "intersect",
    "select",
    "union",
    "union_all",
]


class Join(FromClause):
    """``left JOIN right ON onclause`` (the ON clause inferred from foreign keys when
    not given)."""

    __visit_name__ = "join"

    def __init__(
        self,
        left: Any,
        right: Any,
        onclause: Any = None,
        *,
        isouter: bool = False,
        full: bool = False,
    ) -> None:
        self.left = left
        self.right = right
        self.isouter = isouter
        self.full = full
        self.onclause = coerce(onclause) if onclause is not None else _infer_onclause(left, right)

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            "join",
            self.left._key(binds),
            self.right._key(binds),
            self.onclause._key(binds),
            self.isouter,
            self.full,
        )

    def _tables(self) -> list[Any]:
        return _tables_of(self.left) + _tables_of(self.right)


def _tables_of(from_: Any) -> list[Any]:
    return from_._tables() if isinstance(from_, Join) else [from_]


def _columns_of(from_: Any) -> list[Any]:
    return list(from_.c) if hasattr(from_, "c") else []


def _in(from_: Any, target: Column) -> Any:
    """The column of ``from_`` that is ``target`` (a table column) or derives from it."""
    for column in _columns_of(from_):
        if column is target or getattr(column, "source", None) is target:
            return column
    return None


def _fk_links(a: Any, b: Any) -> list[tuple[Any, Any]]:
    """(column of a, column of b) pairs where a's column references b's by foreign key;
    subqueries, aliases and CTEs take part through the columns they are made of."""
    links = []
    for column in _columns_of(a):
        base = column if isinstance(column, Column) else getattr(column, "source", None)
        if not isinstance(base, Column):
            continue
        for fk in base.foreign_keys:
            target = _in(b, fk.column)
            if target is not None:
                links.append((column, target))
    return links


def _infer_onclause(left: Any, right: Any) -> ClauseElement:
    conditions: list[Any] = []
    for table in _tables_of(left):
        for column, target in _fk_links(right, table):
            conditions.append(column == target)
        if table is not right:
            for column, target in _fk_links(table, right):
                conditions.append(target == column)
    if not conditions:
        raise exc.ArgumentError(
            f"Can't find a foreign key between {_name(left)} and {_name(right)} to join on; "
            "give the ON clause: .join(right, left.c.x == right.c.y)"
        )
    if len(conditions) > 1:
        raise exc.ArgumentError(
            f"More than one foreign key links {_name(left)} and {_name(right)}; "
            "give the ON clause explicitly"
        )
    condition: ClauseElement = conditions[0]
    return condition


def _links(left: Any, right: Any) -> bool:
    try:
        _infer_onclause(left, right)
    except exc.ArgumentError:
        return False
    return True


def _name(from_: Any) -> str:
    return getattr(from_, "name", None) or type(from_).__name__


class Select(ClauseElement):
    """``SELECT ...``: build with ``select(columns or tables)`` and chain methods."""

    __visit_name__ = "select"

    # What a plain select(...) has; a copy that changes one sets it on the instance.
    _options: tuple[Any, ...] = ()
    _execution_options: dict[str, Any] = {}  # never changed in place: replaced
    _where: tuple[ClauseElement, ...] = ()
    _froms: tuple[Any, ...] = ()
    _order_by: tuple[ClauseElement, ...] = ()
    _group_by: tuple[ClauseElement, ...] = ()
    _having: tuple[ClauseElement, ...] = ()
    _limit: Any = None
    _offset: Any = None
    _distinct = False
    _for_update: dict[str, Any] | None = None
    _correlate_except: tuple[Any, ...] | None = None
    _head: Any = None  # see _HEADS

    def __init__(self, *entities: Any) -> None:
        if len(entities) == 1 and isinstance(entities[0], type):
            head = _HEADS.get(entities[0])
            if head is not None:  # select(Model) again
                self._columns: tuple[Any, ...] = head[0]
                self._entities: tuple[Any, ...] | None = head[1]
                self._head = head
                return
        columns: list[Any] = []
        for entity in entities:
            if isinstance(entity, (list, tuple)):
                columns.extend(entity)
            else:
                columns.append(entity)
        # ORM entities (mapped classes, their attributes, aliases) are kept as given
        # for the session, which loads objects from them; the SQL uses their tables
        # and columns (``__clause_element__()``).
        self._entities = None
        self._columns = tuple(columns)
        for c in columns:  # a loop, not all(...): this runs for every query built
            if not isinstance(c, ColumnElement) or c.__visit_name__ == "bundle":
                if any(hasattr(c, "_orm_entity_key") for c in columns):
                    self._entities = self._columns
                self._columns = tuple([_column_entity(c) for c in columns])
                break
        if len(entities) == 1 and isinstance(entities[0], type) and self._entities is not None:
            binds: list[Any] = []
            head = (
                self._columns,
                self._entities,
                tuple([c._key(binds) for c in self._columns]),
                self._entity_key(),
            )
            if not binds:
                if len(_HEADS) >= _HEADS_SIZE:
                    _HEADS.clear()
                _HEADS[entities[0]] = self._head = head

    def _copy(self, **changes: Any) -> Select:
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        new.__dict__.pop("_memo", None)  # the copy has its own structure and binds
        new.__dict__.pop("_orm_compiled", None)
        return new

    def from_statement(self, statement: Any) -> FromStatement:
        """This select's entities loaded from another statement's rows, matched by
        column name: ``select(User).from_statement(text("SELECT * FROM users ..."))``
        (run by a session)."""
        if self._entities is None:
            raise exc.ArgumentError(
                "from_statement() loads mapped classes: select(User).from_statement(...)"
            )
        return FromStatement(self._entities, statement)

    def with_only_columns(self, *entities: Any) -> Select:
        """The same FROM items, conditions and ordering, other columns (or entities)
        selected."""
        fresh = Select(*entities)
        return self._copy(_columns=fresh._columns, _entities=fresh._entities, _head=fresh._head)

    def where(self, *conditions: Any) -> Select:
        """Add conditions (joined with AND to those already there)."""
        for c in conditions:  # a loop, not all(...): this runs for every query built
            if not isinstance(c, ClauseElement):
                conditions = tuple([coerce(c) for c in conditions])
                break
        new = _new(type(self))  # _copy(_where=...), inline
        d = new.__dict__
        d.update(self.__dict__)
        d["_where"] = self._where + conditions
        if "_memo" in d or "_orm_compiled" in d:
            d.pop("_memo", None)
            d.pop("_orm_compiled", None)
        return new

    filter = where

    def options(self, *options: Any) -> Select:
        """ORM loader options: ``select(User).options(selectinload(User.addresses))``."""
        for option in options:
            if not hasattr(option, "_option_key"):
                raise exc.ArgumentError(
                    f"options() takes loader options such as selectinload(User.addresses), "
                    f"not {option!r}"
                )
        return self._copy(_options=self._options + options)

    def execution_options(self, **options: Any) -> Select:
        """Options for running this statement (``populate_existing=True`` ...)."""
        return self._copy(_execution_options={**self._execution_options, **options})

    def get_execution_options(self) -> dict[str, Any]:
        return dict(self._execution_options)

    def filter_by(self, **values: Any) -> Select:
        """``where(table.c.name == value, ...)`` on the last table selected from
        (or the last entity: ``select(User).filter_by(name="x")``)."""
        froms = self.get_final_froms()
        if not froms:
            raise exc.InvalidRequestError("filter_by() needs a table to select from")
        table = froms[-1]
        tables = _tables_of(table)
        entity = self._entity_for(tables)
        if entity is not None:
            return self.where(*(getattr(entity, name) == value for name, value in values.items()))
        conditions = []
        for name, value in values.items():
            for candidate in reversed(tables):
                if isinstance(candidate, Table) and name in candidate.c:
                    conditions.append(candidate.c[name] == value)
                    break
            else:
                raise exc.InvalidRequestError(f"filter_by(): no column {name!r} in {_name(table)}")
        return self.where(*conditions)

    def _entity_for(self, tables: list[Any]) -> Any:
        """The ORM entity selected or joined last among ``tables``, if any."""
        for candidate in reversed(self._joined_entities()):
            if candidate.__clause_element__() in tables:
                return candidate
        return None

    def _joined_entities(self) -> list[Any]:
        entities = [e for e in self._entities or () if hasattr(e, "_orm_entity_key")]
        entities = [e for e in entities if hasattr(e, "__mapper__") or hasattr(e, "_aliased")]
        return entities + list(getattr(self, "_join_entities", ()))

    def order_by(self, *clauses: Any) -> Select:
        if len(clauses) == 1 and clauses[0] is None:
            return self._copy(_order_by=())
        return self._copy(_order_by=self._order_by + tuple(by_name(c) for c in clauses))

    def group_by(self, *clauses: Any) -> Select:
        return self._copy(_group_by=self._group_by + tuple(by_name(c) for c in clauses))

    def having(self, *conditions: Any) -> Select:
        return self._copy(_having=self._having + tuple(coerce(c) for c in conditions))

    def limit(self, limit: Any) -> Select:
        return self._copy(_limit=_count_bind(limit, "limit"))

    def offset(self, offset: Any) -> Select:
        return self._copy(_offset=_count_bind(offset, "offset"))

    def distinct(self) -> Select:
        return self._copy(_distinct=True)

    def with_for_update(
        self, *, nowait: bool = False, skip_locked: bool = False, read: bool = False
    ) -> Select:
        return self._copy(_for_update={"nowait": nowait, "skip_locked": skip_locked, "read": read})

    def correlate_except(self, *froms: Any) -> Select:
        """Inside another statement, take these FROM items as this select's own even
        when the enclosing statement has them too (every other FROM item the two share
        refers to the enclosing statement's row, as without this call)."""
        items = tuple(_from_item(f) for f in froms)
        return self._copy(_correlate_except=(self._correlate_except or ()) + items)

    def select_from(self, *froms: Any) -> Select:
        froms = tuple(_from_item(f) for f in froms)
        return self._copy(_froms=self._froms + froms)

    def join_from(
        self,
        left: Any,
        right: Any,
        onclause: Any = None,
        *,
        isouter: bool = False,
        full: bool = False,
    ) -> Select:
        via, right, onclause = _relationship_steps(right, onclause)
        left, right = _from_item(left), _from_item(right)
        froms = list(self._froms)
        for i, item in enumerate(froms):
            # ``left`` already in a join: the new join extends it (a table appears once)
            if isinstance(item, Join) and any(t is left for t in item._tables()):
                if onclause is None:
                    onclause = _infer_onclause(left, right)
                joined = _join_via(item, via, isouter, full)
                froms[i] = Join(joined, right, onclause, isouter=isouter, full=full)
                return self._copy(_froms=tuple(froms))
        joined = _join_via(left, via, isouter, full)
        return self._copy(
            _froms=(*self._froms, Join(joined, right, onclause, isouter=isouter, full=full))
        )

    def join(
        self, right: Any, onclause: Any = None, *, isouter: bool = False, full: bool = False
    ) -> Select:
        """Join ``right`` to the FROM clause (to its last item; ON inferred from FKs).
        ``right`` may be a relationship (``select(User).join(User.addresses)``) and the ON
        clause one too (``.join(Address, User.addresses)``)."""
        joined_entity = None
        via, right, onclause = _relationship_steps(right, onclause)
        if hasattr(right, "_orm_entity_key"):
            joined_entity = right
        if not isinstance(right, FromClause) and hasattr(right, "__clause_element__"):
            right = right.__clause_element__()
        if onclause is not None and hasattr(onclause, "__clause_element__"):
            onclause = onclause.__clause_element__()
        skip = [right, *[_from_item(item) for item, _ in via]]
        froms = [f for f in self.get_final_froms() if all(f is not s for s in skip)]
        if not froms:
            raise exc.InvalidRequestError("join() needs something to join from")
        position = len(froms) - 1
        if onclause is None:  # join from the first FROM item linked to ``right``
            for i, candidate in enumerate(froms):
                if _links(candidate, right):
                    position = i
                    break
        joined = _join_via(froms[position], via, isouter, full)
        joined = Join(joined, right, onclause, isouter=isouter, full=full)
        froms[position] = joined
        if joined_entity is None:
            return self._copy(_froms=tuple(froms))
        entities = (*getattr(self, "_join_entities", ()), joined_entity)
        return self._copy(_froms=tuple(froms), _join_entities=entities)

    def outerjoin(self, right: Any, onclause: Any = None, *, full: bool = False) -> Select:
        return self.join(right, onclause, isouter=True, full=full)

    def get_final_froms(self) -> list[Any]:
        """The FROM list: explicit froms (joins absorb their tables), then the tables of
        the columns and conditions that are not already there."""
        froms: list[Any] = list(self._froms)
        covered = {id(t) for f in froms for t in _tables_of(f)}
        for element in (*self._columns, *self._where):
            for table in _referenced_tables(element):
                if id(table) not in covered:
                    covered.add(id(table))
                    froms.append(table)
        return froms

    @property
    def selected_columns(self) -> list[Any]:
        return list(_expand(self._columns))

    def subquery(self, name: str | None = None) -> Subquery:
        """This select as a FROM item: ``(SELECT ...) AS name``."""
        return Subquery(self, name)

    def alias(self, name: str | None = None) -> Subquery:
        return Subquery(self, name)

    def cte(self, name: str | None = None, recursive: bool = False) -> CTE:
        """This select as a common table expression (``WITH name AS (...)``)."""
        return CTE(self, name, recursive)

    def lateral(self, name: str | None = None) -> Lateral:
        """This select as a LATERAL subquery (PostgreSQL)."""
        return Lateral(self, name)

    def scalar_subquery(self) -> ScalarSelect:
        """This one-column select as a value: ``(SELECT ...)``."""
        return ScalarSelect(self)

    def exists(self) -> Exists:
        return Exists(self)

    def union(self, *others: Any) -> CompoundSelect:
        return _compound("UNION", self, *others)

    def union_all(self, *others: Any) -> CompoundSelect:
        return _compound("UNION ALL", self, *others)

    def except_(self, *others: Any) -> CompoundSelect:
        return _compound("EXCEPT", self, *others)

    def intersect(self, *others: Any) -> CompoundSelect:
        return _compound("INTERSECT", self, *others)

    def _entity_key(self) -> tuple[Any, ...]:
        entity_keys = []
        for entity in self._entities or ():
            orm_key = getattr(entity, "_orm_entity_key", None)
            entity_keys.append(orm_key() if orm_key is not None else None)
        return tuple(entity_keys)

    def _key(self, binds: list[BindParameter]) -> Any:
        head = self._head
        if head is not None and head[0] is self._columns and head[1] is self._entities:
            columns, entities = head[2], head[3]
        else:
            columns = tuple([element._key(binds) for element in self._columns])
            entities = self._entity_key() if self._entities is not None else None
        froms, where, group_by, having, order_by = (
            self._froms,
            self._where,
            self._group_by,
            self._having,
            self._order_by,
        )
        limit, offset, for_update = self._limit, self._offset, self._for_update
        return (
            "select",
            columns,
            tuple([element._key(binds) for element in froms]) if froms else (),
            (
                (where[0]._key(binds),)
                if len(where) == 1
                else tuple([element._key(binds) for element in where])
            )
            if where
            else (),
            tuple([element._key(binds) for element in group_by]) if group_by else (),
            tuple([element._key(binds) for element in having]) if having else (),
            tuple([element._key(binds) for element in order_by]) if order_by else (),
            limit._key(binds) if limit is not None else None,
            offset._key(binds) if offset is not None else None,
            self._distinct,
            tuple(sorted(for_update.items())) if for_update else None,
            entities,
            tuple([o._option_key(binds) for o in self._options])
            if entities is not None and self._options
            else None,
            tuple([f._key(binds) for f in self._correlate_except])
            if self._correlate_except is not None
            else None,
        )


_new = object.__new__

# select(Model) for a mapped class: (columns, entities, their keys), made on the
# first select() of the class, so that the next ones skip the work. Bounded: a
# program declaring classes without end (tests) starts it afresh.
_HEADS: dict[type, tuple[Any, ...]] = {}
_HEADS_SIZE = 1024


def forget_select_head(entity: type) -> None:
    """Drop what select(entity) reuses (the ORM calls this when it maps a class)."""
    _HEADS.pop(entity, None)


def _relationship_steps(right: Any, onclause: Any) -> tuple[list[Any], Any, Any]:
    """A join on an ORM relationship (``join(User.addresses)``, ``join(Address,
    User.addresses)``): the FROM items to join on the way (a many-to-many's secondary
    table), and the right side and ON clause of the last join."""
    if hasattr(right, "_join_steps"):
        steps = right._join_steps(None)
    elif onclause is not None and hasattr(onclause, "_join_steps"):
        steps = onclause._join_steps(right)
    else:
        return [], right, onclause
    *via, (right, onclause) = steps
    return via, right, onclause


def _join_via(left: Any, via: list[Any], isouter: bool, full: bool) -> Any:
    for item, onclause in via:
        left = Join(left, _from_item(item), onclause, isouter=isouter, full=full)
    return left


def _count_bind(value: Any, what: str) -> Any:
    if value is None:
        return None
    if isinstance(value, ClauseElement):
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise exc.ArgumentError(f"{what}() takes a non-negative integer, not {value!r}")
    return BindParameter(what, value)


def _from_item(item: Any) -> Any:
    """A FROM item: a table, join or subquery (a mapped class gives its table)."""
    if not isinstance(item, FromClause) and hasattr(item, "__clause_element__"):
        return item.__clause_element__()
    return item


def _column_entity(entity: Any) -> Any:
    if isinstance(entity, (ColumnElement, FromClause)):
        return entity
    clause = getattr(entity, "__clause_element__", None)
    if clause is not None:
        return clause()
    if hasattr(entity, "_is_textual"):
        return entity
    raise exc.ArgumentError(
        f"select() takes columns, tables and SQL expressions, not {entity!r}"
        + ("; for literal SQL use text() or literal_column()" if isinstance(entity, str) else "")
    )


def _expand(columns: Any) -> Any:
    for column in columns:
        if isinstance(column, FromClause):
            for table in _tables_of(column):
                yield from table.c
        else:
            yield column


_CHILDREN = (
    "left", "right", "element", "clauses", "args", "func", "criteria", "partition_by",
    "order_by", "value", "whens", "else_",
)  # fmt: skip


def _flatten(items: tuple[Any, ...]) -> list[Any]:
    out: list[Any] = []
    for item in items:
        out.extend(_flatten(item) if isinstance(item, tuple) else [item])
    return out


def _referenced_tables(element: Any) -> list[Any]:
    """The tables an expression refers to, in order of appearance."""
    found: list[Any] = []
    stack = [element]
    while stack:
        node = stack.pop(0)
        if isinstance(node, (Column, DerivedColumn)):
            if node.table is not None:
                found.append(node.table)
        elif isinstance(node, FromClause):
            found.extend(_tables_of(node))
        elif isinstance(node, BindParameter):
            continue  # a value, not an expression
        elif isinstance(node, (Select, CompoundSelect, ScalarSelect, Exists)):
            continue  # a subquery brings its own FROM (correlation is resolved there)
        else:
            for name in _CHILDREN:
                child = getattr(node, name, None)
                if isinstance(child, tuple):
                    stack.extend(_flatten(child))
                elif child is not None:
                    stack.append(child)
    return found


class FromStatement:
    """``select(User).from_statement(text(...))``: the entities to build from the rows
    of ``statement`` (a ``text()`` or any statement), by column name."""

    def __init__(self, entities: tuple[Any, ...], statement: Any) -> None:
        self._from_entities = entities
        self.element = statement
        self._execution_options: dict[str, Any] = {}

    def __str__(self) -> str:
        return str(self.element)


def select(*entities: Any) -> Select:
    """``select(users.c.id, users.c.name)``, ``select(users)``, ``select(func.count())``."""
    return Select(*entities)


class CompoundSelect(ClauseElement):
    """``SELECT ... UNION [ALL] SELECT ...`` (also EXCEPT, INTERSECT)."""

    __visit_name__ = "compound_select"

    def __init__(self, keyword: str, selects: list[Any]) -> None:
        self.keyword = keyword
        self.selects = tuple(selects)
        self._order_by: tuple[ClauseElement, ...] = ()
        self._limit: Any = None
        self._offset: Any = None

    def _copy(self, **changes: Any) -> CompoundSelect:
        new = object.__new__(CompoundSelect)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        new.__dict__.pop("_memo", None)  # the copy has its own structure and binds
        return new

    @property
    def selected_columns(self) -> list[Any]:
        return list(self.selects[0].selected_columns)

    def order_by(self, *clauses: Any) -> CompoundSelect:
        return self._copy(_order_by=self._order_by + tuple(by_name(c) for c in clauses))

    def limit(self, limit: Any) -> CompoundSelect:
        return self._copy(_limit=_count_bind(limit, "limit"))

    def offset(self, offset: Any) -> CompoundSelect:
        return self._copy(_offset=_count_bind(offset, "offset"))

    def subquery(self, name: str | None = None) -> Subquery:
        return Subquery(self, name)

    def cte(self, name: str | None = None, recursive: bool = False) -> CTE:
        return CTE(self, name, recursive)

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            "compound",
            self.keyword,
            tuple(s._key(binds) for s in self.selects),
            tuple(o._key(binds) for o in self._order_by),
            self._limit._key(binds) if self._limit is not None else None,
            self._offset._key(binds) if self._offset is not None else None,
        )


class ScalarSelect(ColumnElement):
    """``(SELECT x ...)`` used as a value: ``select(...).scalar_subquery()``."""

    __slots__ = ("element", "type")
    __visit_name__ = "scalar_select"

    def __init__(self, element: Any) -> None:
        self.element = element
        columns = element.selected_columns
        if len(columns) != 1:
            raise exc.ArgumentError("scalar_subquery() needs a select() of exactly one column")
        self.type = getattr(columns[0], "type", NullType())

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("scalar_select", self.element._key(binds))


class Exists(ColumnElement):
    """``EXISTS (SELECT ...)``."""

    __slots__ = ("element", "type")
    __visit_name__ = "exists"

    def __init__(self, element: Any) -> None:
        from ._types import Boolean

        self.element = element
        self.type = Boolean()

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("exists", self.element._key(binds))


def exists(element: Any = None) -> Exists:
    """``exists(select(...))``, or ``select(...).exists()``."""
    if element is None or not isinstance(element, (Select, CompoundSelect)):
        element = select(literal_column("1")) if element is None else select(element)
    return Exists(element)


def _compound(keyword: str, *selects: Any) -> CompoundSelect:
    if len(selects) < 2:
        raise exc.ArgumentError(f"{keyword.lower()}() needs at least two select()s")
    return CompoundSelect(keyword, list(selects))


def union(*selects: Any) -> CompoundSelect:
    return _compound("UNION", *selects)


def union_all(*selects: Any) -> CompoundSelect:
    return _compound("UNION ALL", *selects)


def except_(*selects: Any) -> CompoundSelect:
    return _compound("EXCEPT", *selects)


def intersect(*selects: Any) -> CompoundSelect:
    return _compound("INTERSECT", *selects)

"""ORM statements to Core statements plus a recipe for building objects.

``select(Traveler).options(joinedload(Traveler.destination))`` becomes:

* a Core ``Select`` of the entity's columns, with a LEFT OUTER JOIN to an
  alias of ``countries`` and that alias's columns added;
* a ``QueryContext``: for each item the statement returns, how to make it
  from a row (an ``EntityLoad``: the mapper, the column positions, the
  relationships filled from joined columns), which relationships load with a
  second SELECT afterwards (selectin), and which get a fixed strategy
  (raise / noload).

The context depends only on the statement's structure, so it is made once per
structure key and cached on the mapper registry; executions differ only in
their bound values, which travel with the statement's own binds.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql import ClauseElement
from ..sql._derived import Alias
from ..sql._elements import UnaryExpression
from ..sql._schema import Table
from ..sql._selectable import Join, Select

__all__ = ["EntityLoad", "QueryContext", "compile_orm_select", "entity_mapper"]

# Loader options about an entity's columns (the others are about relationships).
COLUMN_STRATEGIES = frozenset(
    {"defer", "undefer", "undefer_group", "load_only", "with_expression", "criteria"}
)

_CACHE: dict[Any, QueryContext] = {}
_CACHE_SIZE = 1000


def entity_mapper(entity: Any) -> Any:
    return getattr(entity, "__mapper__", None)


class EntityLoad:
    """How one entity's objects are made from a row."""

    __slots__ = (
        "from_",
        "joined",
        "keys",
        "lazy",
        "mapper",
        "plain",
        "positions",
        "selectin",
        "start",
        "static",
    )

    def __init__(self, mapper: Any, from_: Any, start: int, keys: Any = None) -> None:
        self.mapper = mapper
        self.from_ = from_  # the table or alias the columns come from
        self.start = start
        # the columns the query loads: all but the deferred ones, unless options said
        self.keys = list(keys) if keys is not None else mapper.loaded_keys
        if len(self.keys) < len(mapper.column_attrs):
            mapper.partly_loaded = True
        self.positions = list(range(start, start + len(self.keys)))
        self.joined: list[tuple[Any, EntityLoad]] = []  # (relationship, its load)
        self.selectin: list[tuple[Any, tuple[Any, ...]]] = []  # (relationship, sub-options)
        self.lazy: dict[str, str] = {}  # relationship key -> raise / raise_on_sql / noload
        self.static: Any = None  # what the row loader needs, worked out on first use
        self.plain: Any = None  # the generated plain loader, or False (see _loading)

    def prepared(self) -> Any:
        """(class, keys, start, end, key positions, lazy strategies, noload keys)."""
        static = self.static
        if static is None:
            mapper = self.mapper
            keys = self.keys
            start = self.start
            pk = tuple(start + keys.index(k) for k in mapper.pk_keys)
            noload = tuple(k for k, v in self.lazy.items() if v == "noload")
            static = self.static = (
                mapper.class_,
                keys,
                start,
                start + len(keys),
                pk,
                dict(self.lazy) or None,
                noload,
            )
        return static


class QueryContext:
    """The cached result of compiling one ORM statement structure."""

    __slots__ = (
        "core",
        "criteria",
        "eager_order",
        "first_binds",
        "items",
        "keys",
        "one_statement",
        "unique_required",
    )

    def __init__(self, core: Any, first_binds: list[Any]) -> None:
        self.core = core
        self.first_binds = first_binds
        self.items: list[tuple[str, Any]] = []  # ("entity", EntityLoad) | ("column", index)
        self.keys: tuple[str, ...] = ()
        self.unique_required = False
        self.eager_order: list[Any] = []  # joined collections' own order_by, adapted
        self.one_statement = True  # no selectin load: the query is its one statement
        self.criteria: tuple[Any, ...] = ()  # with_loader_criteria(): for the loads it runs


def compile_orm_select(stmt: Select, key: Any, binds: list[Any]) -> QueryContext:
    """The context for ``stmt`` (cached by its structure ``key``)."""
    context = _CACHE.get(key)
    if context is None:
        context = _compile(stmt, binds)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = context
    return context


def _options_for(options: tuple[Any, ...], depth: int, entity_mapper_: Any) -> list[Any]:
    return [
        o
        for o in options
        if len(o.chain) > depth
        and (isinstance(o.chain[depth][0], str) or o.chain[depth][0].prop.parent is entity_mapper_)
    ]


def _loaded_keys(mapper: Any, options: list[Any], expressions: bool) -> list[str]:
    """The column keys an entity's query loads, after defer / undefer /
    undefer_group / load_only options (which apply to the statement's entities);
    ``expressions``: its column_property() values too (the entity's own table)."""
    keys = set(mapper.loaded_keys)
    if expressions:
        keys.update(mapper.expression_keys)
    mine = [
        o.chain[0]
        for o in options
        if o.chain[0][1] != "criteria"
        and (isinstance(o.chain[0][0], str) or o.chain[0][0].prop.parent is mapper)
    ]
    for _attr, strategy, args in mine:  # load_only first: the others adjust what it left
        if strategy == "load_only":
            keys = set(dict(args)["keys"]) | set(mapper.pk_keys)
    for attr, strategy, _ in mine:
        if strategy == "undefer_group":  # every entity having that group
            keys.update(k for k, group in mapper.deferred_keys.items() if group == attr)
        elif strategy == "defer" and attr.key not in mapper.pk_keys:
            keys.discard(attr.key)
        elif strategy in ("undefer", "with_expression"):
            keys.add(attr.key)
    props = [*mapper.column_attrs, *(mapper.expression_attrs if expressions else ())]
    return [p.key for p in props if p.key in keys]


def _select_column(mapper: Any, source: Any, key: str, given: dict[str, Any]) -> Any:
    """What the SELECT has for an attribute: the table's (or alias's) column, or a
    column_property()'s expression (a with_expression() one: ``given``), labelled."""
    prop = mapper.attrs_by_key[key]
    if prop.is_expression:
        expression = given.get(key, prop.column)
        return expression.label(f"{mapper.local_table.name}_{key}")
    return source.c[prop.column.name]


def _compile(stmt: Select, binds: list[Any]) -> QueryContext:
    entities = stmt._entities or ()
    column_options = [o for o in stmt._options if o.chain[0][1] in COLUMN_STRATEGIES]
    options = tuple(o for o in stmt._options if o.chain[0][1] not in COLUMN_STRATEGIES)
    context = QueryContext(None, binds)
    context.criteria = tuple(o for o in column_options if o.chain[0][1] == "criteria")
    where_extra: list[Any] = []  # with_loader_criteria() of the statement's entities
    base: list[Any] = []  # the statement's own columns, entities expanded
    loads: list[EntityLoad] = []
    keys: list[str] = []
    for entity, core_column in zip(entities, stmt._columns, strict=True):
        mapper = entity_mapper(entity)
        if mapper is not None and isinstance(core_column, (Table, Alias)):
            own = core_column is mapper.local_table and bool(mapper.expression_attrs)
            keys_loaded = None
            if column_options or own:
                keys_loaded = _loaded_keys(mapper, column_options, own)
            load = EntityLoad(mapper, core_column, len(base), keys_loaded)
            given = {
                o.chain[0][0].key: dict(o.chain[0][2])["expr"]
                for o in column_options
                if o.chain[0][1] == "with_expression" and o.chain[0][0].prop.parent is mapper
            }
            if core_column is mapper.local_table:
                where_extra.extend(
                    dict(o.chain[0][2])["expr"]
                    for o in column_options
                    if o.chain[0][1] == "criteria" and entity_mapper(o.chain[0][0]) is mapper
                )
            base.extend(_select_column(mapper, core_column, k, given) for k in load.keys)
            loads.append(load)
            context.items.append(("entity", load))
            keys.append(getattr(entity, "__name__", mapper.class_.__name__))
        elif getattr(core_column, "__visit_name__", None) == "bundle":
            context.items.append(("bundle", (len(base), len(core_column.exprs), core_column)))
            base.extend(core_column.exprs)
            keys.append(core_column.name)
        else:
            context.items.append(("column", len(base)))
            base.append(core_column)
            keys.append(_column_key(entity, core_column, len(keys)))
    context.keys = tuple(keys)
    columns, joins = _eager(loads, options, base, context)
    context.one_statement = not any(_has_selectin(load) for load in loads)
    if joins and context.unique_required and (stmt._limit is not None or stmt._offset is not None):
        if where_extra:
            stmt = stmt._copy(_where=stmt._where + tuple(where_extra))
        context.core = _wrapped(stmt, base, loads, options, context)
        return context
    froms = list(stmt.get_final_froms())
    for parent_from, alias, onclause, outer in joins:
        froms = _attach_join(froms, parent_from, alias, onclause, outer)
    context.core = stmt._copy(
        _columns=tuple(columns),
        _froms=tuple(froms),
        _entities=None,
        _options=(),
        _order_by=stmt._order_by + tuple(context.eager_order),
        _where=stmt._where + tuple(where_extra),
    )
    return context


def _adapt_order(clause: Any, table: Any, alias: Any) -> Any:
    """A relationship's ``order_by`` on its table, moved onto the eager-load alias."""
    if isinstance(clause, UnaryExpression):
        return UnaryExpression(
            _adapt_order(clause.element, table, alias),
            clause.operator,
            clause.modifier,
            clause.type,
        )
    if getattr(clause, "table", None) is table:
        return alias.c[clause.name]
    return clause


def _eager(
    loads: list[EntityLoad], options: tuple[Any, ...], base: list[Any], context: QueryContext
) -> tuple[list[Any], list[Any]]:
    """Plan every entity's relationships: eager joins add their columns after ``base``."""
    columns = list(base)
    joins: list[tuple[Any, Any, Any, bool]] = []  # (parent from, alias, onclause, outer)
    alias_count = [0]
    context.eager_order = []
    for load in loads:
        load.joined, load.selectin, load.lazy, load.static = [], [], {}, None
        load.plain = None
        _plan_relationships(load, options, 0, columns, joins, alias_count, context, (load.mapper,))
    return columns, joins


def _wrapped(
    stmt: Select,
    base: list[Any],
    loads: list[EntityLoad],
    options: tuple[Any, ...],
    context: QueryContext,
) -> Any:
    """LIMIT / OFFSET with a joined eager load of a collection: the limit must count
    objects, not joined rows, so the statement becomes a subquery that the eager joins
    attach to: ``SELECT anon.*, b.* FROM (SELECT ... LIMIT n) AS anon LEFT JOIN b ...``."""
    from ..sql import select as core_select

    names = [getattr(c, "name", None) for c in base]
    if None in names or len(set(names)) != len(names):
        raise exc.InvalidRequestError(
            "joinedload() of a collection with limit() / offset() wraps the query in a "
            "subquery, which needs distinct column names; label the columns, or use "
            "selectinload() for the collection"
        )
    order_columns: list[Any] = []
    outer_order: list[Any] = []
    for i, clause in enumerate(stmt._order_by):
        modifiers = []
        element: Any = clause
        while isinstance(element, UnaryExpression) and element.operator is None:
            modifiers.append(element.modifier)
            element = element.element
        label = f"_order_{i}"
        order_columns.append(element.label(label))
        outer_order.append((label, modifiers))
    inner = stmt._copy(_columns=(*base, *order_columns), _entities=None, _options=())
    anon = inner.subquery("anon_1")
    for load in loads:
        load.from_ = anon
    outer_base = [anon.c[str(name)] for name in names]
    columns, joins = _eager(loads, options, outer_base, context)
    froms: list[Any] = [anon]
    for parent_from, alias, onclause, outer in joins:
        froms = _attach_join(froms, parent_from, alias, onclause, outer)
    ordering = []
    for label, modifiers in outer_order:
        expression: Any = anon.c[label]
        for modifier in reversed(modifiers):
            expression = UnaryExpression(expression, modifier=modifier)
        ordering.append(expression)
    return core_select(*columns).select_from(*froms).order_by(*ordering, *context.eager_order)


def _has_selectin(load: EntityLoad) -> bool:
    return bool(load.selectin) or any(_has_selectin(child) for _, child in load.joined)


def _column_key(entity: Any, column: Any, index: int) -> str:
    key = getattr(entity, "key", None) if hasattr(entity, "_orm_entity_key") else None
    if isinstance(key, str):
        return key
    name = getattr(column, "name", None)
    return name if isinstance(name, str) else f"_col{index}"


def _plan_relationships(
    load: EntityLoad,
    options: tuple[Any, ...],
    depth: int,
    columns: list[Any],
    joins: list[Any],
    alias_count: list[int],
    context: QueryContext,
    path: tuple[Any, ...],
) -> None:
    """Decide each relationship's strategy for ``load``: explicit options first, then
    the relationship's own ``lazy=``. ``path``: the mappers loaded on the way here, in
    this statement (a default eager load back to one of them is left lazy, unless the
    relationship's ``join_depth`` allows that many levels)."""
    mapper = load.mapper
    mapper.registry.configure()
    chosen: dict[str, tuple[str, dict[str, Any], list[Any]]] = {}
    star: str | None = None
    for option in _options_for(options, depth, mapper):
        attr, strategy, args = option.chain[depth]
        if isinstance(attr, str):
            star = strategy
            continue
        rest = [option] if len(option.chain) > depth + 1 else []
        if attr.prop.key in chosen:
            prev_strategy, prev_args, prev_rest = chosen[attr.prop.key]
            if strategy == prev_strategy or len(option.chain) > depth + 1:
                chosen[attr.prop.key] = (prev_strategy, prev_args, prev_rest + rest)
                continue
        chosen[attr.prop.key] = (strategy, dict(args), rest)
    for key, rel in mapper.relationships.items():
        if key in chosen:
            strategy, args, rest = chosen[key]
        else:
            strategy, args, rest = (star or rel.lazy), {}, []
            if star is None and rel.lazy in ("joined", "selectin") and rel.mapper in path:
                # a default eager load that would loop back: leave it lazy, or load
                # join_depth levels (a selectin load goes on in its own queries)
                if rel.join_depth is None or path.count(rel.mapper) > rel.join_depth:
                    continue
                if strategy == "selectin" and rel.self_referential:
                    args = {"recursion_depth": rel.join_depth}
        if strategy == "joined":
            outer = not (args.get("innerjoin") or (rel.innerjoin and not rel.uselist))
            alias = _eager_join(rel, load.from_, joins, alias_count, outer)
            child = EntityLoad(rel.mapper, alias, len(columns))
            if rel.uselist:
                context.eager_order.extend(
                    _adapt_order(o, rel.mapper.local_table, alias) for o in rel.order_by
                )
            _add_joined(load, rel, child, rest, depth, columns, joins, alias_count, context, path)
        elif strategy == "contains_eager":
            alias = args.get("alias")
            source = alias.__clause_element__() if hasattr(alias, "__clause_element__") else alias
            child = EntityLoad(rel.mapper, source or rel.mapper.local_table, len(columns))
            _add_joined(load, rel, child, rest, depth, columns, joins, alias_count, context, path)
        elif strategy == "selectin":
            sub = _shift(rest, depth + 1)
            if args.get("recursion_depth") is not None:
                sub += _recursion(rel, args["recursion_depth"], rest, depth)
            load.selectin.append((rel, (*sub, *context.criteria)))
        elif strategy in ("raise", "raise_on_sql", "noload"):
            load.lazy[key] = strategy
        elif key in chosen and strategy == "select":
            load.lazy[key] = "select"


def _add_joined(
    load: EntityLoad,
    rel: Any,
    child: EntityLoad,
    rest: list[Any],
    depth: int,
    columns: list[Any],
    joins: list[Any],
    alias_count: list[int],
    context: QueryContext,
    path: tuple[Any, ...],
) -> None:
    """Fill ``rel`` from columns of this same SELECT (joinedload, contains_eager)."""
    attrs = rel.mapper.attrs_by_key
    columns.extend(child.from_.c[attrs[k].column.name] for k in child.keys)
    load.joined.append((rel, child))
    if rel.uselist:
        context.unique_required = True
    _plan_relationships(
        child,
        tuple(rest),
        depth + 1,
        columns,
        joins,
        alias_count,
        context,
        (*path, rel.mapper),
    )


def _eager_join(
    rel: Any, parent_from: Any, joins: list[Any], count: list[int], outer: bool
) -> Any:
    """Add the joins that bring ``rel``'s rows into the statement (two through a
    many-to-many's secondary table, itself aliased); return the target's alias."""
    table = rel.mapper.local_table
    count[0] += 1
    alias = Alias(table, f"{table.name}_{count[0]}")
    if rel.secondary is None:
        joins.append((parent_from, alias, rel.join_condition(parent_from, alias), outer))
        return alias
    count[0] += 1
    secondary = Alias(rel.secondary, f"{rel.secondary.name}_{count[0]}")
    on_parent, on_target = rel.secondary_conditions(parent_from, secondary, alias)
    joins.append((parent_from, secondary, on_parent, outer))
    joins.append((secondary, alias, on_target, outer))
    return alias


def _recursion(rel: Any, depth: int, rest: list[Any], at: int) -> list[Any]:
    """``selectinload(Node.children, recursion_depth=N)``: the options for the next
    level's query, which loads the children's children (N - 1 more levels; -1: until
    a level comes back empty), each level with the rest of the option's chain."""
    from ._options import Load

    if not rel.self_referential:
        raise exc.InvalidRequestError(
            f"recursion_depth option on relationship {rel.name} not valid: it is for "
            f"self-referential relationships (a table linked to itself); use chained "
            f"loader options for {rel.name}"
        )
    if depth == 1:
        # the last level: the loaded objects' own collections stay unloaded, even
        # where the relationship's lazy="selectin" would load them
        return [Load(((rel.class_attribute, "select", ()),))]
    next_depth = depth - 1 if depth > 0 else -1
    link = (rel.class_attribute, "selectin", (("recursion_depth", next_depth),))
    tails = [o.chain[at + 1 :] for o in rest if len(o.chain) > at + 1]
    return [Load((link, *tail)) for tail in tails] or [Load((link,))]


def _shift(options: list[Any], depth: int) -> list[Any]:
    """Options for a second query: the chain from ``depth`` on."""
    from ._options import Load

    return [Load(o.chain[depth:]) for o in options if len(o.chain) > depth]


def _attach_join(
    froms: list[Any], parent_from: Any, alias: Any, onclause: Any, outer: bool
) -> list[Any]:
    """Join ``alias`` to the FROM item that holds ``parent_from``."""
    for i, item in enumerate(froms):
        tables = item._tables() if isinstance(item, Join) else [item]
        if any(t is parent_from for t in tables):
            froms[i] = Join(item, alias, onclause, isouter=outer)
            return froms
    froms.append(Join(parent_from, alias, onclause, isouter=outer))
    return froms


class ORMStatement(ClauseElement):
    """What the engine runs for an ORM select: the Core select of a ``QueryContext``
    under the ORM statement's structure key and with its binds (so that the compiled
    SQL is cached per structure and each execution brings its own values)."""

    __visit_name__ = "orm_statement"
    _event_element: Any  # the select it was compiled from (shown to before_execute)

    def __init__(self, context: QueryContext, key: Any, binds: list[Any]) -> None:
        self.context = context
        # The context stands for the structure key (one per key, hashed by identity:
        # cheaper than hashing the key's nested tuples again).
        self._memo = (("orm", context), binds)

    def _key(self, binds: list[Any]) -> Any:
        binds.extend(self.context.first_binds)  # the compiler numbers these
        return self._memo[0]

    def _compiler_dispatch(self, compiler: Any, **kw: Any) -> str:
        return self.context.core._compiler_dispatch(compiler, **kw)  # type: ignore[no-any-return]

    @property
    def selected_columns(self) -> list[Any]:
        return self.context.core.selected_columns  # type: ignore[no-any-return]

"""Loader options, ``aliased()`` and ``with_parent()``.

A loader option is a *chain*: ``selectinload(A.bs).joinedload(B.c)`` says
"load ``A.bs`` with a second SELECT, and in that SELECT join ``B.c``". Each
link is ``(relationship attribute, strategy, arguments)``. Options are
immutable and part of the statement's cache key.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql._derived import Alias
from ._attributes import ColumnAttribute, QueryableAttribute, RelationshipAttribute

__all__ = [
    "AliasedClass",
    "Load",
    "aliased",
    "contains_eager",
    "defer",
    "joinedload",
    "lazyload",
    "load_only",
    "noload",
    "raiseload",
    "selectinload",
    "subqueryload",
    "undefer",
    "undefer_group",
    "with_expression",
    "with_loader_criteria",
    "with_parent",
]

STRATEGIES = ("joined", "selectin", "select", "raise", "raise_on_sql", "noload", "contains_eager")


class Load:
    """A loader option: a chain of (attribute, strategy, arguments)."""

    __slots__ = ("chain",)

    def __init__(self, chain: tuple[tuple[Any, str, tuple[Any, ...]], ...]) -> None:
        self.chain = chain

    def _option_key(self, binds: list[Any]) -> Any:
        return tuple(
            (
                attr if isinstance(attr, str) else attr._orm_entity_key(),
                strategy,
                # with_expression()'s and with_loader_criteria()'s SQL: its structure,
                # its values among the statement's binds
                args[0][1]._key(binds) if strategy in ("with_expression", "criteria") else args,
            )
            for attr, strategy, args in self.chain
        )

    def _then(self, attr: Any, strategy: str, args: tuple[Any, ...] = ()) -> Load:
        if self.chain[-1][1] in ("defer", "undefer", "undefer_group", "load_only"):
            raise exc.ArgumentError(
                f"{self.chain[-1][1]}() is about columns and ends a chain: give "
                "relationship options on their own, .options(defer(A.x), selectinload(A.bs))"
            )
        _check_attr(attr, strategy)
        last = self.chain[-1][0]
        if (
            not isinstance(last, str)
            and not isinstance(attr, str)
            and attr.prop.parent is not last.prop.mapper
        ):
            target = last.prop.mapper.class_.__name__
            raise exc.ArgumentError(
                f"{strategy}load chain: {attr} does not start from {target}, where {last} leads"
            )
        return Load((*self.chain, (attr, strategy, args)))

    def joinedload(self, attr: Any, innerjoin: bool = False) -> Load:
        return self._then(attr, "joined", (("innerjoin", innerjoin),))

    def selectinload(self, attr: Any, recursion_depth: int | None = None) -> Load:
        return self._then(attr, "selectin", _recursion(recursion_depth))

    def subqueryload(self, attr: Any) -> Load:
        return self._then(attr, "selectin")

    def lazyload(self, attr: Any) -> Load:
        return self._then(attr, "select")

    def raiseload(self, attr: Any, sql_only: bool = False) -> Load:
        return self._then(attr, "raise_on_sql" if sql_only else "raise")

    def noload(self, attr: Any) -> Load:
        return self._then(attr, "noload")

    def contains_eager(self, attr: Any, alias: Any = None) -> Load:
        return self._then(attr, "contains_eager", (("alias", alias),))

    def options(self, *others: Load) -> list[Load]:
        return [Load((*self.chain, *o.chain)) for o in others]

    def __repr__(self) -> str:
        return "Load(" + " -> ".join(f"{a}:{s}" for a, s, _ in self.chain) + ")"


def _check_attr(attr: Any, strategy: str) -> None:
    if isinstance(attr, str):
        if strategy not in ("raise", "raise_on_sql", "select", "noload"):
            raise exc.ArgumentError(
                f"'*' works with raiseload / lazyload / noload, not {strategy}"
            )
        return
    if not isinstance(attr, RelationshipAttribute):
        kind = "a column" if isinstance(attr, ColumnAttribute) else repr(attr)
        raise exc.ArgumentError(
            f"{strategy} loading takes a relationship attribute such as User.addresses; "
            f"{attr} is {kind}"
        )


def _start(attr: Any, strategy: str, args: tuple[Any, ...] = ()) -> Load:
    _check_attr(attr, strategy)
    return Load(((attr, strategy, args),))


def joinedload(attr: Any, innerjoin: bool = False) -> Load:
    """Load the relationship in the same SELECT, with a LEFT OUTER JOIN (an inner join
    with ``innerjoin=True``). For collections, call ``.unique()`` on the result."""
    return _start(attr, "joined", (("innerjoin", innerjoin),))


def selectinload(attr: Any, recursion_depth: int | None = None) -> Load:
    """Load the relationship with a second SELECT ... WHERE key IN (...) for all the
    objects the query returned. For a self-referential relationship (a tree),
    ``recursion_depth=N`` goes on loading the loaded objects' own, N levels deep in N
    SELECTs (``-1``: until a level comes back empty)."""
    return _start(attr, "selectin", _recursion(recursion_depth))


def _recursion(depth: int | None) -> tuple[Any, ...]:
    if depth is None:
        return ()
    if not isinstance(depth, int) or isinstance(depth, bool) or (depth < 1 and depth != -1):
        raise exc.ArgumentError(
            f"selectinload(recursion_depth={depth!r}): give the number of levels to load, "
            "1 or more, or -1 for every level"
        )
    return (("recursion_depth", depth),)


def lazyload(attr: Any) -> Load:
    """Load on first access (sync code only; async code raises UnloadedAttributeError)."""
    return _start(attr, "select")


def raiseload(attr: Any, sql_only: bool = False) -> Load:
    """Raise on access instead of loading (``"*"`` for every relationship)."""
    return _start(attr, "raise_on_sql" if sql_only else "raise")


def noload(attr: Any) -> Load:
    """Never load: the attribute reads as empty (``None`` / ``[]``)."""
    return _start(attr, "noload")


def _column_option(attr: Any, strategy: str) -> None:
    if not isinstance(attr, ColumnAttribute):
        raise exc.ArgumentError(
            f"{strategy}() takes column attributes such as User.bio, not {attr!r}"
        )


def defer(attr: Any) -> Load:
    """Leave this column out of the query: it loads when first read (in sync code; in
    async code ``await obj.awaitable_attrs.name`` or ``session.refresh()``)."""
    _column_option(attr, "defer")
    return Load(((attr, "defer", ()),))


def undefer(attr: Any) -> Load:
    """Load a column declared ``deferred=True`` with the query after all."""
    _column_option(attr, "undefer")
    return Load(((attr, "undefer", ()),))


def undefer_group(name: str) -> Load:
    """Load the deferred columns of ``deferred_group=name`` with the query."""
    if not isinstance(name, str) or not name:
        raise exc.ArgumentError(f"undefer_group() takes a group name, not {name!r}")
    return Load(((name, "undefer_group", ()),))


def load_only(*attrs: Any) -> Load:
    """Load only these columns (and the primary key) of their class; the others load
    when first read, as deferred ones do."""
    if not attrs:
        raise exc.ArgumentError("load_only() takes the column attributes to load")
    for attr in attrs:
        _column_option(attr, "load_only")
    parents = {attr.prop.parent for attr in attrs}
    if len(parents) > 1:
        raise exc.ArgumentError("load_only() takes columns of one class; give one per class")
    keys = tuple(attr.key for attr in attrs)
    return Load(((attrs[0], "load_only", (("keys", keys),)),))


def with_expression(attr: Any, expression: Any) -> Load:
    """Fill a ``query_expression()`` attribute with this SQL in this query:
    ``select(User).options(with_expression(User.score, User.a + User.b))``."""
    _column_option(attr, "with_expression")
    if not getattr(attr.prop, "is_query_expression", False):
        raise exc.ArgumentError(
            f"with_expression() fills attributes declared with query_expression(); "
            f"{attr} is not one"
        )
    clause = (
        expression.__clause_element__()
        if hasattr(expression, "__clause_element__")
        else expression
    )
    return Load(((attr, "with_expression", (("expr", clause),)),))


def with_loader_criteria(entity: Any, criteria: Any, include_aliases: bool = False) -> Load:
    """A condition for every load of ``entity`` in this query: the statement's own
    rows of it, and the relationships its ``selectinload`` / ``lazy="selectin"`` loads
    bring (``with_loader_criteria(Post, Post.deleted.is_(False))``). ``criteria`` may be
    a function of the class. Joined eager loads and later lazy loads don't take it."""
    if getattr(entity, "__mapper__", None) is None:
        raise exc.ArgumentError(f"with_loader_criteria() takes a mapped class, not {entity!r}")
    if callable(criteria) and not hasattr(criteria, "_compiler_dispatch"):
        criteria = criteria(entity)
    clause = criteria.__clause_element__() if hasattr(criteria, "__clause_element__") else criteria
    return Load(((entity, "criteria", (("expr", clause),)),))


def subqueryload(attr: Any) -> Load:
    """SQLAlchemy's "load the relationship with the query as a subquery": here the same
    objects come from ``selectinload``'s second query, by the parents' keys (which
    costs less than running the first query again as a subquery)."""
    return _start(attr, "selectin")


def contains_eager(attr: Any, alias: Any = None) -> Load:
    """The query already joins the relationship's table (``.join(User.addresses)``):
    fill the relationship from those columns."""
    return _start(attr, "contains_eager", (("alias", alias),))


class AliasedClass:
    """``aliased(User)``: the class under another name in a query (to use it twice)."""

    def __init__(self, cls: type, name: str | None = None) -> None:
        mapper = getattr(cls, "__mapper__", None)
        if mapper is None:
            raise exc.ArgumentError(f"aliased() takes a mapped class, not {cls!r}")
        self._aliased = True
        self.__mapper__ = mapper
        self._alias = Alias(mapper.local_table, name)
        self._class = cls
        self.__name__ = name or cls.__name__

    def __clause_element__(self) -> Alias:
        return self._alias

    def _orm_entity_key(self) -> Any:
        return ("alias", self.__mapper__, self._alias)

    def __getattr__(self, key: str) -> Any:
        mapper = self.__dict__["__mapper__"]
        prop = mapper.attrs_by_key.get(key)
        if prop is None:
            raise AttributeError(f"{self!r} has no attribute {key!r}")
        if prop.is_relationship:
            attr: Any = RelationshipAttribute(self._class, key, prop, self)
        else:
            attr = ColumnAttribute(self._class, key, prop, self._alias.c[prop.column.name], self)
        self.__dict__[key] = attr
        return attr

    def __repr__(self) -> str:
        return f"aliased({self._class.__name__})"


def aliased(element: Any, name: str | None = None) -> Any:
    """An alias of a mapped class (or of a table, like ``table.alias()``)."""
    if hasattr(element, "__mapper__") and isinstance(element, type):
        return AliasedClass(element, name)
    if hasattr(element, "alias"):
        return element.alias(name)
    raise exc.ArgumentError(f"aliased() takes a mapped class or a table, not {element!r}")


def with_parent(instance: Any, prop: Any) -> Any:
    """``select(Address).where(with_parent(user, User.addresses))``: the rows related to
    ``instance`` through the relationship."""
    if not isinstance(prop, RelationshipAttribute):
        raise exc.ArgumentError(f"with_parent() takes a relationship attribute, not {prop!r}")
    return relationship_criterion(prop.prop, instance.__dict__)


def relationship_criterion(rel: Any, parent_dict: dict[str, Any]) -> Any:
    """``target.col = :value AND ...`` for the rows related to a parent's values
    (through the secondary table for a many-to-many)."""
    rel.parent.registry.configure()
    return rel.criterion(parent_dict)


def is_option(value: Any) -> bool:
    return isinstance(value, Load)


QueryableAttribute.__module__ = "ferryman.orm"

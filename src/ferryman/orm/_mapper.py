"""Mappers: how a class maps to a table, and its relationships.

A ``Mapper`` is made by the declarative layer for each mapped class. It knows
the table, the column attributes (key -> column, in table order) and the
relationships (``_relationships``). Relationships name their target lazily,
so classes can refer to each other in any order; ``configure_registry()``
resolves them all the first time the mappers are used, makes the backrefs,
pairs each relationship with its reverse, and notes what the unit of work
needs per mapper: the mappers whose rows must be inserted first
(``dependencies``), the many-to-many relationships whose secondary rows it
writes, and the relationships that link rows of its own table (a tree), whose
rows it orders among themselves.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql import and_
from ..sql._schema import Column, Table
from ._attributes import ColumnAttribute, RelationshipAttribute
from ._events import NO_ATTRIBUTE_LISTENERS, AttributeDispatch, MapperDispatch, mapper_dispatch
from ._relationships import RelationshipProperty

__all__ = ["ColumnProperty", "Mapper", "RelationshipProperty", "configure_mappers"]


def _next_version(current: int | None) -> int:
    return 1 if current is None else current + 1


class ColumnProperty:
    """A mapped column: ``key`` on the class, ``column`` in the table."""

    is_relationship = False
    is_expression = False  # a column_property(): a SQL expression, not a table column
    is_query_expression = False  # a query_expression(): with_expression() fills it
    uselist = False
    validator: Any = None  # (function, include_removes, include_backrefs): @validates

    def __init__(self, key: str, column: Column, parent: Mapper) -> None:
        self.key = key
        self.column = column
        self.parent = parent
        self.lazy = "select"
        self.dispatch: AttributeDispatch = NO_ATTRIBUTE_LISTENERS  # its set events

    def __repr__(self) -> str:
        return f"ColumnProperty({self.parent.class_.__name__}.{self.key})"


class Mapper:
    """How one class maps to one table."""

    def __init__(
        self,
        class_: type,
        local_table: Table,
        registry: Any,
        columns: list[tuple[str, Column]],
        relationships: dict[str, RelationshipProperty],
        eager_defaults: Any = "auto",
        version_key: str | None = None,
        version_generator: Any = None,
        deferred_keys: dict[str, str | None] | None = None,
    ) -> None:
        if eager_defaults not in ("auto", True, False):
            raise exc.ArgumentError(
                f"eager_defaults={eager_defaults!r}: use 'auto', True or False"
            )
        self.class_ = class_
        self.local_table = self.persist_selectable = local_table
        self.registry = registry
        self.eager_defaults = eager_defaults
        self.column_attrs = [ColumnProperty(key, column, self) for key, column in columns]
        self.key_by_column: dict[Column, str] = {p.column: p.key for p in self.column_attrs}
        self.column_keys = frozenset(self.key_by_column.values())
        self.primary_key: list[Column] = list(local_table.primary_key.columns)
        if not self.primary_key:
            raise exc.ArgumentError(
                f"Mapper for {class_.__name__} could not find a primary key in table "
                f"{local_table.name!r}; mark a column primary_key=True"
            )
        missing = [c.name for c in self.primary_key if c not in self.key_by_column]
        if missing:
            raise exc.ArgumentError(
                f"{class_.__name__} does not map primary key column(s) {missing}"
            )
        self.pk_keys = [self.key_by_column[c] for c in self.primary_key]
        self.relationships = relationships
        # Their keys: an object whose __dict__ holds none of them (and changed none)
        # gives the flush nothing to do along relationships.
        self.relationship_keys = frozenset(relationships)
        for key, rel in relationships.items():
            rel.key = key
            rel.parent = self
        self.attrs_by_key: dict[str, Any] = {p.key: p for p in self.column_attrs}
        self.attrs_by_key.update(relationships)
        self.configured = False
        self.dependencies: set[Mapper] = set()  # mappers whose rows go in first
        # set when configured: the relationships whose writes the flush orders specially
        self.secondary_relationships: list[RelationshipProperty] = []  # many-to-many
        self.tree_relationships: list[RelationshipProperty] = []  # rows of this table
        self._loaders: dict[Any, Any] = {}  # per-column-set row loaders (see _loading)
        self.validated_keys: frozenset[str] = frozenset()  # attributes with @validates
        # optimistic locking (__mapper_args__ version_id_col): the counter's key, and
        # what makes its next value from the current one
        self.version_key = version_key
        self.version_generator = version_generator or _next_version
        # columns queries leave out until read (key -> deferred group, or None)
        self.deferred_keys: dict[str, str | None] = dict(deferred_keys or {})
        pk = set(self.pk_keys)
        if pk & set(self.deferred_keys):
            raise exc.ArgumentError(
                f"{class_.__name__}: a primary key column can't be deferred "
                f"({sorted(pk & set(self.deferred_keys))})"
            )
        self.loaded_keys = [p.key for p in self.column_attrs if p.key not in self.deferred_keys]
        # objects of this class may lack some columns (deferred ones, or a load_only()
        # query ran): a query that loads them fills them in on the objects it meets
        self.partly_loaded = bool(self.deferred_keys)
        # column_property(): SQL expressions loaded with the object, never written
        self.expression_attrs: list[ColumnProperty] = []
        self.expression_keys: list[str] = []  # those loaded with the object's query
        self.dispatch: MapperDispatch = mapper_dispatch(self)  # mapper and instance events
        # an attribute of this class has had event listeners: the default constructor
        # then sets values through the attributes (firing their set events)
        self.attribute_events = False

    @property
    def relationship_key_columns(self) -> frozenset[str]:
        """Keys of the foreign key columns that a many-to-one relationship stands for
        (the default ``repr`` shows the relationship instead)."""
        keys: set[str] = set()
        for rel in self.relationships.values():
            if rel.direction == "MANYTOONE":
                keys.update(self.key_by_column[c] for c, _ in rel.pairs if not c.primary_key)
        return frozenset(keys)

    @property
    def attrs(self) -> dict[str, Any]:
        return dict(self.attrs_by_key)

    @property
    def columns(self) -> list[Column]:
        return [p.column for p in self.column_attrs]

    @property
    def c(self) -> Any:
        return self.local_table.c

    @property
    def tables(self) -> list[Table]:
        return [self.local_table]

    @property
    def entity(self) -> type:
        return self.class_

    @property
    def base_mapper(self) -> Mapper:
        return self

    def add_expression(
        self, key: str, expression: Any, deferred: bool, group: str | None, per_query: bool = False
    ) -> None:
        """A ``column_property()``: loaded with the object's query (unless deferred),
        never written."""
        if key in self.attrs_by_key:
            raise exc.ArgumentError(
                f"{self.class_.__name__}.{key}: column_property() names an attribute the "
                "class maps already"
            )
        clause = (
            expression.__clause_element__()
            if hasattr(expression, "__clause_element__")
            else expression
        )
        prop = ColumnProperty(key, clause, self)
        prop.is_expression = True
        prop.is_query_expression = per_query
        self.expression_attrs.append(prop)
        self.attrs_by_key[key] = prop
        if deferred:
            self.deferred_keys[key] = group
            self.partly_loaded = True
        else:
            self.expression_keys.append(key)
        setattr(self.class_, key, ColumnAttribute(self.class_, key, prop, clause))

    def instrument(self) -> None:
        """Put the attribute descriptors on the class."""
        for prop in self.column_attrs:
            setattr(
                self.class_, prop.key, ColumnAttribute(self.class_, prop.key, prop, prop.column)
            )
        for key, rel in self.relationships.items():
            setattr(self.class_, key, RelationshipAttribute(self.class_, key, rel))
        self._collect_validators()

    def _collect_validators(self) -> None:
        """The class's ``@validates`` methods, put on the attributes they check."""
        for klass in reversed(self.class_.__mro__):
            for name, value in vars(klass).items():
                spec = getattr(value, "__ferryman_validates__", None)
                if spec is None:
                    continue
                keys, include_removes, include_backrefs = spec
                for key in keys:
                    prop = self.attrs_by_key.get(key)
                    if prop is None:
                        raise exc.ArgumentError(
                            f"@validates({key!r}) on {self.class_.__name__}.{name}: "
                            f"{self.class_.__name__} has no mapped attribute {key!r}"
                        )
                    prop.validator = (value, include_removes, include_backrefs)
                    self.validated_keys |= {key}
                    if not prop.is_relationship:
                        vars(self.class_)[key].validator = value

    def identity_of(self, d: dict[str, Any]) -> Any:
        """The identity for the values in an object's ``__dict__`` (None if incomplete)."""
        keys = self.pk_keys
        if len(keys) == 1:
            return d.get(keys[0])
        values = tuple(d.get(k) for k in keys)
        return None if any(v is None for v in values) else values

    def add_relationship(self, key: str, rel: RelationshipProperty) -> None:
        if key in self.attrs_by_key:
            raise exc.ArgumentError(
                f"backref {key!r}: {self.class_.__name__} already has an attribute by that name"
            )
        rel.key = key
        rel.parent = self
        self.relationships[key] = rel
        self.relationship_keys = frozenset(self.relationships)
        self.attrs_by_key[key] = rel
        setattr(self.class_, key, RelationshipAttribute(self.class_, key, rel))

    def __repr__(self) -> str:
        return f"<Mapper {self.class_.__name__} -> {self.local_table.name}>"


def configure_mappers(registry: Any = None) -> None:
    """Resolve every relationship of every mapper (done on first use; call it yourself
    to surface configuration errors early)."""
    from ._declarative import _all_registries

    for reg in [registry] if registry is not None else _all_registries():
        reg.configure()


def configure_registry(mappers: list[Mapper]) -> None:
    pending = [m for m in mappers if not m.configured]
    if not pending:
        return
    for mapper in pending:
        for rel in list(mapper.relationships.values()):
            if not rel.direction:
                rel.configure()
    for mapper in pending:  # backrefs make relationships on the other class
        for rel in list(mapper.relationships.values()):
            if rel.backref is not None and rel.reverse is None:
                _make_backref(rel)
    for mapper in pending:
        for rel in mapper.relationships.values():
            if rel.reverse is None:
                rel.configure_reverse()
    # a backref may have given a mapper configured earlier a relationship: its lists
    # are made again too
    touched = {*pending, *(r.mapper for m in pending for r in m.relationships.values())}
    for mapper in sorted(touched, key=lambda m: m.local_table.name):
        for rel in mapper.relationships.values():
            if rel.mapper is mapper:
                continue  # rows of one table: ordered among themselves (_flush)
            if rel.direction == "MANYTOONE":
                mapper.dependencies.add(rel.mapper)
            elif rel.direction == "ONETOMANY" and not rel.viewonly:
                # the children's rows need this one's key, reverse side or not
                rel.mapper.dependencies.add(mapper)
        writes = [r for r in mapper.relationships.values() if not r.viewonly]
        mapper.secondary_relationships = [r for r in writes if r.secondary is not None]
        mapper.tree_relationships = [
            r for r in writes if r.self_referential and r.secondary is None
        ]
    # a foreign key with no relationship over it orders the rows too
    by_table = {m.local_table: m for m in mappers}
    for mapper in pending:
        for constraint in mapper.local_table.foreign_key_constraints:
            if constraint.use_alter:
                continue  # the way a schema breaks a cycle: no order from it
            try:
                target_table = constraint.elements[0].column.table
            except exc.FerrymanError:
                continue  # its table is not known (yet): nothing to order by
            target = by_table.get(target_table) if target_table is not None else None
            if target is not None and target is not mapper:
                mapper.dependencies.add(target)
    for mapper in pending:
        mapper.configured = True


def _make_backref(rel: RelationshipProperty) -> None:
    name, given = (rel.backref, {}) if isinstance(rel.backref, str) else rel.backref
    kwargs = dict(given)
    if rel.secondary is not None:
        kwargs.setdefault("secondary", rel.secondary)
        if rel.self_referential and "primaryjoin" not in kwargs:
            # the other way round: the parent's columns are this one's target columns
            kwargs.setdefault("primaryjoin", and_(*[t == s for t, s in rel.target_pairs]))
            kwargs.setdefault("secondaryjoin", and_(*[p == s for p, s in rel.parent_pairs]))
    elif rel.self_referential and "remote_side" not in kwargs:
        # the columns on this side are the far side of the reverse
        kwargs["remote_side"] = [p for p, _ in rel.pairs]
    other = RelationshipProperty(rel.parent.class_, back_populates=rel.key, **kwargs)
    rel.mapper.add_relationship(name, other)
    other.configure()
    rel.back_populates = name
    rel.reverse = other
    other.reverse = rel

"""Mappers: how a class maps to a table, and its relationships.

A ``Mapper`` is made by the declarative layer for each mapped class. It knows
the table, the column attributes (key -> column, in table order) and the
relationships. Relationships name their target lazily (a class, its name as
a string, or a callable), so classes can refer to each other in any order;
``configure()`` resolves them all the first time the mappers are used.

A relationship's *direction* comes from the foreign keys between the two
tables: the side holding the foreign key is many-to-one, the other
one-to-many. Its ``pairs`` are ``(parent column, target column)`` for the
join condition, and ``sync_pairs`` tell the unit of work which foreign key
column to copy from which primary key column.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql import and_, exists, literal_column, select
from ..sql._schema import Column, Table
from ._attributes import ColumnAttribute, RelationshipAttribute
from ._events import NO_ATTRIBUTE_LISTENERS, AttributeDispatch, MapperDispatch, mapper_dispatch

__all__ = ["ColumnProperty", "Mapper", "RelationshipProperty", "configure_mappers"]

_ALL_CASCADES = frozenset({"save-update", "merge", "refresh-expire", "expunge", "delete"})
_KNOWN_CASCADES = _ALL_CASCADES | {"delete-orphan", "all", "none"}
_LAZY = frozenset({"select", "joined", "selectin", "raise", "raise_on_sql", "noload", True, False})


def _next_version(current: int | None) -> int:
    return 1 if current is None else current + 1


class ColumnProperty:
    """A mapped column: ``key`` on the class, ``column`` in the table."""

    is_relationship = False
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


class RelationshipProperty:
    """What ``relationship()`` declares, resolved against the other mapper."""

    is_relationship = True
    validator: Any = None  # (function, include_removes, include_backrefs): @validates

    def __init__(
        self,
        argument: Any = None,
        *,
        back_populates: str | None = None,
        backref: Any = None,
        uselist: bool | None = None,
        cascade: str | None = None,
        order_by: Any = None,
        lazy: Any = "select",
        foreign_keys: Any = None,
        innerjoin: bool = False,
        viewonly: bool = False,
        passive_deletes: bool = False,
        single_parent: bool = False,
    ) -> None:
        if lazy not in _LAZY:
            raise exc.ArgumentError(
                f"relationship(lazy={lazy!r}): use one of 'select', 'joined', 'selectin', "
                "'raise', 'raise_on_sql', 'noload'"
            )
        if back_populates is not None and backref is not None:
            raise exc.ArgumentError("relationship() takes back_populates or backref, not both")
        self.argument = argument
        self.back_populates = back_populates
        self.backref = backref
        self._uselist = uselist
        self.cascade = _parse_cascade(cascade)
        self._order_by = order_by
        self.lazy = {True: "select", False: "joined"}.get(lazy, lazy)
        self._foreign_keys = foreign_keys
        self.innerjoin = innerjoin
        self.viewonly = viewonly
        self.passive_deletes = passive_deletes
        self.single_parent = single_parent
        self.key = ""
        self.parent: Mapper = None  # type: ignore[assignment]
        self.mapper: Mapper = None  # type: ignore[assignment]
        self.reverse: RelationshipProperty | None = None
        self.direction = ""
        self.uselist = bool(uselist)
        self.pairs: list[tuple[Column, Column]] = []  # (parent column, target column)
        self.order_by: list[Any] = []
        self.annotation_target: str | None = None
        self.annotation_uselist: bool | None = None
        self.dispatch: AttributeDispatch = NO_ATTRIBUTE_LISTENERS  # its attribute events

    @property
    def entity(self) -> Mapper:
        return self.mapper

    @property
    def class_attribute(self) -> Any:
        return getattr(self.parent.class_, self.key)

    def __repr__(self) -> str:
        owner = self.parent.class_.__name__ if self.parent is not None else "?"
        return f"RelationshipProperty({owner}.{self.key})"

    # -- configuration --

    def _resolve_target(self) -> Mapper:
        argument = self.argument if self.argument is not None else self.annotation_target
        if argument is None:
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key} names no class: "
                "give it relationship('Target') or annotate Mapped['Target']"
            )
        if callable(argument) and not isinstance(argument, type):
            argument = argument()
        if isinstance(argument, str):
            argument = self.parent.registry.resolve(argument, self)
        mapper = getattr(argument, "__mapper__", None)
        if mapper is None:
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key} targets {argument!r}, "
                "which is not a mapped class"
            )
        return mapper  # type: ignore[no-any-return]

    def configure(self) -> None:
        self.mapper = self._resolve_target()
        parent_table, target_table = self.parent.local_table, self.mapper.local_table
        chosen = _columns_of(self._foreign_keys)
        to_target = _fk_pairs(parent_table, target_table, chosen)
        to_parent = _fk_pairs(target_table, parent_table, chosen)
        if parent_table is target_table:
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key} links a table to "
                "itself; self-referential relationships (remote_side=...) are not supported yet"
            )
        if to_target and to_parent:
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key}: foreign keys run both "
                f"ways between {parent_table.name!r} and {target_table.name!r}; name the ones "
                "to use with foreign_keys=[...]"
            )
        if to_target:
            self.direction = "MANYTOONE"
            self.pairs = [(fk_col, ref_col) for fk_col, ref_col in to_target]
        elif to_parent:
            self.direction = "ONETOMANY"
            self.pairs = [(ref_col, fk_col) for fk_col, ref_col in to_parent]
        else:
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key}: no foreign key links "
                f"table {parent_table.name!r} and table {target_table.name!r}; add a "
                "ForeignKey to one of them"
            )
        fks = {fk for fk, _ in (to_target or to_parent)}
        if len({c.table for c in fks}) == 1 and len(fks) > len({r for _, r in self.pairs}):
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key}: more than one foreign "
                f"key links {parent_table.name!r} and {target_table.name!r}; name the one to "
                "use with foreign_keys=[...]"
            )
        if self._uselist is not None:
            self.uselist = self._uselist
        elif self.annotation_uselist is not None:
            self.uselist = self.annotation_uselist
        else:
            self.uselist = self.direction == "ONETOMANY"
        if self.uselist and self.direction == "MANYTOONE":
            raise exc.ArgumentError(
                f"relationship {self.parent.class_.__name__}.{self.key} is many-to-one (the "
                "foreign key is on this side), so it holds one object, not a list"
            )
        self.order_by = _order_by(self._order_by, self.mapper)

    def configure_reverse(self) -> None:
        if self.back_populates is not None:
            other = self.mapper.relationships.get(self.back_populates)
            if other is None:
                raise exc.ArgumentError(
                    f"relationship {self.parent.class_.__name__}.{self.key} has "
                    f"back_populates={self.back_populates!r}, but "
                    f"{self.mapper.class_.__name__} has no relationship by that name"
                )
            if other.mapper is not self.parent:
                raise exc.ArgumentError(
                    f"{self.parent.class_.__name__}.{self.key} and "
                    f"{self.mapper.class_.__name__}.{other.key} are declared as each other's "
                    "back_populates but do not link the same two classes"
                )
            self.reverse = other

    # -- the fk / pk values this relationship syncs --

    @property
    def foreign_key_columns(self) -> list[Column]:
        if self.direction == "MANYTOONE":
            return [p for p, _ in self.pairs]
        return [t for _, t in self.pairs]

    def foreign_ident(self, state: Any) -> Any:
        """For a many-to-one: the target's identity from the parent's foreign key values
        (``None`` if any is NULL or not loaded)."""
        return self.foreign_ident_of(state.obj.__dict__)

    def foreign_ident_of(self, d: dict[str, Any]) -> Any:
        """``foreign_ident`` from an object's ``__dict__``."""
        keys = self.parent.key_by_column
        values = []
        for parent_col, _ in self.pairs:
            value = d.get(keys[parent_col])
            if value is None:
                return None
            values.append(value)
        target_pk = self.mapper.primary_key
        if [t for _, t in self.pairs] != target_pk:
            return None  # references a non-primary unique key: no identity shortcut
        return values[0] if len(values) == 1 else tuple(values)

    # -- SQL --

    def join_condition(self, parent: Any, target: Any) -> Any:
        """``parent.x = target.y AND ...`` with the columns taken from aliases when given."""
        conditions = []
        for parent_col, target_col in self.pairs:
            left = _adapt(parent, parent_col)
            right = _adapt(target, target_col)
            conditions.append(left == right)
        return conditions[0] if len(conditions) == 1 else and_(*conditions)

    def join_parts(self, right: Any, parententity: Any) -> tuple[Any, Any]:
        target = right
        if target is None:
            target = self.mapper.local_table
        target_from = (
            target.__clause_element__() if hasattr(target, "__clause_element__") else target
        )
        parent_from = parententity.__clause_element__() if parententity is not None else None
        return target, self.join_condition(parent_from, target_from)

    def compare(self, other: Any, parententity: Any) -> Any:
        """``Traveler.destination == norway`` / ``== None``."""
        if self.uselist:
            raise exc.ArgumentError(
                f"{self.parent.class_.__name__}.{self.key} is a collection; compare with "
                f".any(...) or .contains(obj) instead of =="
            )
        parent_from = parententity.__clause_element__() if parententity is not None else None
        if other is None:
            if self.direction == "MANYTOONE":
                conditions = [_adapt(parent_from, p) == None for p, _ in self.pairs]  # noqa: E711
                return conditions[0] if len(conditions) == 1 else and_(*conditions)
            return ~self.exists_clause(None, {})
        if not isinstance(other, self.mapper.class_):
            raise exc.ArgumentError(
                f"{self.parent.class_.__name__}.{self.key} compares with a "
                f"{self.mapper.class_.__name__} object or None, not {other!r}"
            )
        d = other.__dict__
        keys = self.mapper.key_by_column
        if self.direction == "MANYTOONE":
            conditions = [_adapt(parent_from, p) == d.get(keys[t]) for p, t in self.pairs]
            return conditions[0] if len(conditions) == 1 else and_(*conditions)
        return self.exists_clause(and_(*[t == d.get(keys[t]) for _, t in self.pairs]), {})

    def exists_clause(self, criterion: Any, by_name: dict[str, Any]) -> Any:
        """``EXISTS (SELECT 1 FROM target WHERE <join> AND criterion)``: any() / has()."""
        conditions = [self.join_condition(None, None)]
        if criterion is not None:
            conditions.append(criterion)
        for name, value in by_name.items():
            conditions.append(getattr(self.mapper.class_, name) == value)
        return exists(
            select(literal_column("1")).select_from(self.mapper.local_table).where(*conditions)
        )


def _adapt(from_: Any, column: Column) -> Any:
    if from_ is None or from_ is column.table:
        return column
    return from_.c[column.name]


def _columns_of(spec: Any) -> set[Column] | None:
    if spec is None:
        return None
    items = spec if isinstance(spec, (list, tuple, set)) else [spec]
    columns = set()
    for item in items:
        element = item.__clause_element__() if hasattr(item, "__clause_element__") else item
        if not isinstance(element, Column):
            raise exc.ArgumentError(f"foreign_keys= takes columns, not {item!r}")
        columns.add(element)
    return columns


def _fk_pairs(table: Table, target: Table, chosen: set[Column] | None) -> list[tuple[Any, Any]]:
    """(foreign key column of ``table``, referenced column of ``target``) pairs."""
    pairs = []
    for column in table.c:
        if chosen is not None and column not in chosen:
            continue
        for fk in column.foreign_keys:
            ref = fk.column
            if ref.table is target:
                pairs.append((column, ref))
    return pairs


def _order_by(spec: Any, mapper: Mapper) -> list[Any]:
    if spec is None or spec is False:
        return []
    if (
        callable(spec)
        and not hasattr(spec, "__clause_element__")
        and not hasattr(spec, "_compiler_dispatch")
    ):
        spec = spec()
    items = spec if isinstance(spec, (list, tuple)) else [spec]
    out = []
    for item in items:
        if isinstance(item, str):
            item = _evaluate_string(item, mapper)
        out.append(item.__clause_element__() if hasattr(item, "__clause_element__") else item)
    return out


def _evaluate_string(text: str, mapper: Mapper) -> Any:
    """``order_by="Address.email"`` / ``"email"`` / ``"Address.email.desc()"``: Python
    expressions over the registry's class names (SQLAlchemy's string form)."""
    if text.isidentifier():
        return getattr(mapper.class_, text)
    from ..sql import asc, desc

    namespace: dict[str, Any] = {"desc": desc, "asc": asc}
    for name, classes in mapper.registry._classes.items():
        if name.isidentifier() and len(classes) == 1:
            namespace[name] = classes[0]
    try:
        return eval(text, namespace)
    except Exception as err:
        raise exc.ArgumentError(
            f"Can't evaluate {text!r} for {mapper.class_.__name__}: {err}"
        ) from None


def _parse_cascade(spec: str | None) -> frozenset[str]:
    if spec is None:
        return frozenset({"save-update", "merge"})
    names = {part.strip() for part in spec.split(",") if part.strip()}
    unknown = names - _KNOWN_CASCADES
    if unknown:
        raise exc.ArgumentError(
            f"Unknown cascade option(s) {sorted(unknown)}; known: "
            + ", ".join(sorted(_KNOWN_CASCADES))
        )
    result = set(names) - {"all", "none"}
    if "all" in names:
        result |= _ALL_CASCADES
    return frozenset(result)


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
        self.dependencies: set[Mapper] = set()
        self._loaders: dict[Any, Any] = {}  # per-column-set row loaders (see _loading)
        self.validated_keys: frozenset[str] = frozenset()  # attributes with @validates
        # optimistic locking (__mapper_args__ version_id_col): the counter's key, and
        # what makes its next value from the current one
        self.version_key = version_key
        self.version_generator = version_generator or _next_version
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
    for mapper in pending:
        for rel in mapper.relationships.values():
            if rel.direction == "MANYTOONE":
                mapper.dependencies.add(rel.mapper)
        mapper.configured = True


def _make_backref(rel: RelationshipProperty) -> None:
    name, kwargs = (rel.backref, {}) if isinstance(rel.backref, str) else rel.backref
    other = RelationshipProperty(rel.parent.class_, back_populates=rel.key, **kwargs)
    rel.mapper.add_relationship(name, other)
    other.configure()
    rel.back_populates = name
    rel.reverse = other
    other.reverse = rel

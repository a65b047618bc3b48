"""Declarative mapping: classes that describe their table.

Two styles, mixable in one class::

    class Country(Base):                      # classic
        __tablename__ = "countries"
        id = Column(Integer, primary_key=True)

    class Traveler(Base):                     # annotated
        __tablename__ = "travelers"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str | None]              # nullable, type from the annotation

When a subclass of the base is created, ``__init_subclass__`` collects its
columns and relationships (from the class and any mixins, ``declared_attr``
included), builds the ``Table`` in the registry's ``MetaData``, makes the
``Mapper`` and puts instrumented attributes on the class.

Annotations may be strings (``from __future__ import annotations``); they are
evaluated in the class's module, and relationship targets not defined yet are
read from the annotation text (``Mapped[list["Traveler"]]``).
"""

from __future__ import annotations

import typing
import weakref
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .. import exc
from ..sql import _types as types
from ..sql._schema import Column, Constraint, ForeignKey, Index, MetaData, Table
from ..sql._selectable import forget_select_head
from ._annotations import (
    UNRESOLVED,
    Mapped,
    big_collection_of,
    class_namespace,
    evaluate,
    mapped_origin,
    relationship_target,
    type_for,
    unwrap_annotation,
)
from ._attributes import new_collection
from ._mapper import Mapper, RelationshipProperty, configure_registry
from ._state import DETACHED, InstanceState, instance_state

__all__ = [
    "AsyncAttrs",
    "DeclarativeBase",
    "Mapped",
    "MappedColumn",
    "backref",
    "column_property",
    "declarative_base",
    "declared_attr",
    "deferred",
    "mapped_column",
    "query_expression",
    "registry",
    "relationship",
    "synonym",
    "validates",
]

T = TypeVar("T")
_REGISTRIES: weakref.WeakSet[registry] = weakref.WeakSet()


class MappedColumn:
    """What ``mapped_column()`` returns: a column to be made for the class."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs
        # the columns made from it (a mixin's makes one per class): a class body's
        # remote_side=[id] / foreign_keys=[...] names the mapped_column() itself
        self.columns_made: list[Column] = []
        # the column made early, for SQL written in the class body (see
        # __clause_element__); column() fills it in
        self._early: Column | None = None

    def __clause_element__(self) -> Column:
        """The column this makes, already now: the class body may use it in SQL
        (``fullname = column_property(first + " " + last)``); it gets its name and type
        when the class is mapped."""
        if self._early is None:
            given = [
                a
                for a in self.args
                if isinstance(a, types.TypeEngine)
                or (isinstance(a, type) and issubclass(a, types.TypeEngine))
            ]
            self._early = Column(given[0] if given else types.NullType())
        return self._early

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_early", "args", "kwargs", "columns_made"):
            raise AttributeError(name)
        return getattr(self.__clause_element__(), name)  # like(), desc(), label() ...

    def __add__(self, other: Any) -> Any:
        return self.__clause_element__() + other

    def __radd__(self, other: Any) -> Any:
        return other + self.__clause_element__()

    def __sub__(self, other: Any) -> Any:
        return self.__clause_element__() - other

    def __mul__(self, other: Any) -> Any:
        return self.__clause_element__() * other

    def __truediv__(self, other: Any) -> Any:
        return self.__clause_element__() / other

    def column(self, key: str, annotation: Any, type_map: dict[Any, Any], owner: str) -> Column:
        args = list(self.args)
        kwargs = dict(self.kwargs)
        name = args.pop(0) if args and isinstance(args[0], str) else kwargs.pop("name", key)
        has_type = (
            any(
                isinstance(a, types.TypeEngine)
                or (isinstance(a, type) and issubclass(a, types.TypeEngine))
                for a in args
            )
            or "type_" in kwargs
        )
        inner, nullable = unwrap_annotation(annotation)
        if not has_type:
            if any(isinstance(a, ForeignKey) for a in args) and inner is None:
                pass  # the type of the referenced column
            elif inner is not None:
                args.insert(0, type_for(inner, type_map, f"{owner}.{key}"))
            elif annotation is None:
                raise exc.ArgumentError(
                    f"{owner}.{key} = mapped_column() has no type: give one "
                    f"(mapped_column(String(50))) or annotate it ({key}: Mapped[str])"
                )
        if "nullable" not in kwargs and nullable is not None and not kwargs.get("primary_key"):
            kwargs["nullable"] = nullable
        for option in ("init", "repr", "default_factory", "compare", "kw_only", "sort_order"):
            kwargs.pop(option, None)
        for option in ("deferred", "deferred_group", "deferred_raiseload"):
            kwargs.pop(option, None)
        column = Column(name, *args, **kwargs)
        early = self._early
        if early is not None and not self.columns_made:
            # SQL in the class body refers to the early column: it becomes this one
            for slot in Column.__slots__:
                setattr(early, slot, getattr(column, slot))
            for fk in early.foreign_keys:
                fk.parent = early
            column = early
        self.columns_made.append(column)
        return column

    @property
    def deferred_group(self) -> Any:
        """``_NOT_DEFERRED``, or the group of a ``deferred=True`` column (None: none)."""
        if self.kwargs.get("deferred") or self.kwargs.get("deferred_group"):
            return self.kwargs.get("deferred_group")
        return _NOT_DEFERRED


def validates(
    *names: str, include_removes: bool = False, include_backrefs: bool = True
) -> Callable[[Any], Any]:
    """Check (or change) values given to attributes: ``@validates("email")`` on a
    method ``(self, key, value)`` that returns the value to store or raises. It runs
    when the attribute is set (``__init__`` keyword arguments included) and for
    each item appended to a collection; ``include_removes=True`` also passes
    removals, as ``(self, key, value, is_remove)``; ``include_backrefs=False`` skips
    the changes that the other side of a relationship makes. Rows loaded from the
    database are not checked."""
    if not names or not all(isinstance(n, str) for n in names):
        raise exc.ArgumentError('validates() takes attribute names: @validates("email")')

    def decorate(function: Any) -> Any:
        function.__ferryman_validates__ = (names, include_removes, include_backrefs)
        return function

    return decorate


_NOT_DEFERRED = object()


class _Deferred:
    """``deferred(Column(...), group=...)``: a classic column left out of queries until
    it is read."""

    def __init__(self, column: Column, group: str | None) -> None:
        self.column = column
        self.group = group


class _ColumnPropertySpec:
    """``column_property(expression)`` (or ``query_expression()``) in a class body."""

    def __init__(
        self, expression: Any, deferred: bool, group: str | None, per_query: bool = False
    ) -> None:
        self.expression = expression
        self.deferred = deferred or group is not None
        self.group = group
        self.per_query = per_query


def query_expression(default_expr: Any = None) -> Any:
    """An attribute a query fills with SQL of its choosing, ``with_expression(User.x,
    expr)``; without it the attribute is ``default_expr``'s value (None)."""
    from ..sql._elements import null

    expression = default_expr if default_expr is not None else null()
    return _ColumnPropertySpec(expression, False, None, per_query=True)


class synonym:
    """Another name for a mapped attribute: ``username = synonym("name")`` reads and
    writes ``name`` on objects, and is ``User.name`` in SQL."""

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise exc.ArgumentError(f"synonym() takes an attribute name, not {name!r}")
        self.name = name

    def __set_name__(self, owner: type, key: str) -> None:
        self.key = key

    def __get__(self, obj: Any, owner: type | None = None) -> Any:
        if obj is None:
            return getattr(owner, self.name)
        return getattr(obj, self.name)

    def __set__(self, obj: Any, value: Any) -> None:
        setattr(obj, self.name, value)


def column_property(expression: Any, *, deferred: bool = False, group: str | None = None) -> Any:
    """A read-only attribute computed by SQL when the object is loaded: an expression of
    the class's columns, or a correlated subquery (``select(func.count(Address.id))
    .where(Address.user_id == id).scalar_subquery()``). It loads with the object's
    query (``deferred=True``: when first read, or with ``undefer()``)."""
    if not hasattr(expression, "_compiler_dispatch") and not hasattr(
        expression, "__clause_element__"
    ):
        raise exc.ArgumentError(
            f"column_property() takes a SQL expression (of columns, or a scalar subquery), "
            f"not {expression!r}"
        )
    return _ColumnPropertySpec(expression, deferred, group)


def deferred(column: Column, *, group: str | None = None) -> Any:
    """A ``Column`` that queries leave out until it is read (``undefer()`` loads it
    with a query; ``group`` loads columns of one group together)."""
    if not isinstance(column, Column):
        raise exc.ArgumentError(
            f"deferred() takes a Column (or use mapped_column(..., deferred=True)), not {column!r}"
        )
    return _Deferred(column, group)


def mapped_column(*args: Any, **kwargs: Any) -> Any:
    """A column of a declarative class: ``Column``'s arguments, with the type and
    nullability taken from the ``Mapped[...]`` annotation when not given."""
    return MappedColumn(*args, **kwargs)


class _RelationshipSpec(RelationshipProperty):
    """A ``relationship()`` in a class body (a fresh property is made per class)."""

    def __init__(self, argument: Any = None, secondary: Any = None, **kwargs: Any) -> None:
        from ._dataclasses import DATACLASS_OPTIONS

        # the dataclass options (MappedAsDataclass) are not the relationship's
        self.dataclass_options = {k: kwargs.pop(k) for k in DATACLASS_OPTIONS if k in kwargs}
        if "default" in kwargs:
            self.dataclass_options["default"] = kwargs.pop("default")
        super().__init__(argument, secondary, **kwargs)
        self.spec_kwargs = kwargs

    def copy(self) -> RelationshipProperty:
        return RelationshipProperty(self.argument, self._secondary, **self.spec_kwargs)


def relationship(argument: Any = None, secondary: Any = None, **kwargs: Any) -> Any:
    """A link to another mapped class: many-to-one or one-to-many from the foreign
    keys between the two tables, many-to-many through the association table given as
    ``secondary`` (a ``Table``, its name, or a callable returning it). For a table
    linked to itself, ``remote_side=[Class.id]`` marks the many-to-one side."""
    return _RelationshipSpec(argument, secondary, **kwargs)


def backref(name: str, **kwargs: Any) -> tuple[str, dict[str, Any]]:
    """``relationship("User", backref=backref("addresses", order_by=...))``."""
    return (name, kwargs)


class declared_attr(Generic[T]):
    """A class-level attribute computed per mapped class (``__tablename__``, columns
    and relationships on mixins): the function gets the class."""

    def __init__(self, fn: Any, cascading: bool = False) -> None:
        self.fn = fn
        self.cascading = cascading
        self.__doc__ = fn.__doc__

    def __get__(self, obj: Any, cls: Any) -> Any:
        return self.fn(cls)

    @classmethod
    def directive(cls, fn: Any) -> declared_attr[Any]:
        return cls(fn)


# -- the registry --------------------------------------------------------------------


class registry:
    """The mapped classes of one base, and the ``MetaData`` of their tables."""

    def __init__(
        self,
        *,
        metadata: MetaData | None = None,
        type_annotation_map: dict[Any, Any] | None = None,
    ) -> None:
        self.metadata = metadata if metadata is not None else MetaData()
        self.type_annotation_map = dict(type_annotation_map or {})
        self._classes: dict[str, list[type]] = {}
        self.mappers: list[Mapper] = []
        _REGISTRIES.add(self)

    def resolve(self, name: str, rel: RelationshipProperty) -> type:
        found = self._classes.get(name) or self._classes.get(name.rpartition(".")[2])
        if not found:
            raise exc.InvalidRequestError(
                f"relationship {rel.parent.class_.__name__}.{rel.key} names class {name!r}, "
                f"which this registry does not know; mapped classes are "
                f"{sorted(self._classes)}"
            )
        if len(found) > 1:
            raise exc.InvalidRequestError(
                f"More than one mapped class is called {name!r}; name it by module path"
            )
        return found[0]

    def configure(self) -> None:
        configure_registry(self.mappers)

    def generate_base(self, name: str = "Base") -> type:
        return type(
            name,
            (_DeclarativeBody,),
            {"registry": self, "metadata": self.metadata, "__abstract__": True, "_fm_base": True},
        )

    def map_declaratively(self, cls: type) -> Mapper:
        return _map_class(cls, self)

    def dispose(self) -> None:
        self._classes.clear()
        self.mappers.clear()

    def __repr__(self) -> str:
        return f"<registry {len(self.mappers)} mappers>"


def _all_registries() -> list[registry]:
    return list(_REGISTRIES)


# -- what every mapped class gets ------------------------------------------------------


def _default_init(self: Any, **kwargs: Any) -> None:
    cls = type(self)
    mapper = cls.__mapper__
    if not mapper.configured:
        mapper.registry.configure()
    d = self.__dict__
    if "_fm_state" not in d:
        d["_fm_state"] = InstanceState(self, mapper)
    columns = mapper.column_keys
    validated = mapper.validated_keys
    if mapper.attribute_events:  # a set listener may want to see (or change) the values
        columns = frozenset()
    elif columns.issuperset(kwargs) and (not validated or validated.isdisjoint(kwargs)):
        d.update(kwargs)  # only columns: a new object has no history to keep
        return
    for key, value in kwargs.items():
        if key in columns and key not in validated:
            d[key] = value  # a new object: no history to keep
        elif key in mapper.attrs_by_key or hasattr(cls, key):
            setattr(self, key, value)
        else:
            raise TypeError(f"{key!r} is an invalid keyword argument for {cls.__name__}")


def _default_repr(self: Any) -> str:
    mapper = type(self).__mapper__
    if not mapper.configured:
        mapper.registry.configure()
    d = self.__dict__
    parts = []
    hidden = mapper.relationship_key_columns  # shown through their relationship
    for prop in mapper.column_attrs:
        if prop.key in hidden:
            continue
        parts.append(
            f"{prop.key}={d[prop.key]!r}" if prop.key in d else f"{prop.key}=<not loaded>"
        )
    for key, rel in mapper.relationships.items():
        if key not in d:
            parts.append(f"{key}=<not loaded>")
        elif rel.uselist:
            parts.append(f"{key}=[{', '.join(_short(o) for o in d[key])}]")
        else:
            parts.append(f"{key}={_short(d[key])}")
    return f"{type(self).__name__}({', '.join(parts)})"


def _short(obj: Any) -> str:
    """A related object inside a repr: its class and key (no recursion)."""
    if obj is None:
        return "None"
    mapper = getattr(type(obj), "__mapper__", None)
    if mapper is None:
        return repr(obj)
    d = obj.__dict__
    state = instance_state(obj) if "_fm_state" in d else None
    ident = state.identity if state is not None else None
    if ident is not None:
        values = dict(zip(mapper.pk_keys, ident, strict=True))
    else:
        values = {k: d.get(k) for k in mapper.pk_keys}
    return f"{type(obj).__name__}({', '.join(f'{k}={v!r}' for k, v in values.items())})"


class _ClassOnly:
    """A class-level method that instances do not have (so that an instance is never
    taken for a SQL expression)."""

    def __init__(self, fn: Any) -> None:
        self.fn = fn

    def __get__(self, obj: Any, cls: Any) -> Any:
        if obj is not None:
            raise AttributeError(self.fn.__name__)
        return self.fn.__get__(cls, type(cls))


def _clause_element(cls: Any) -> Any:
    return cls.__mapper__.local_table


def _orm_entity_key(cls: Any) -> Any:
    return ("entity", cls.__mapper__)


_clause_element.__name__ = "__clause_element__"


class _DeclarativeBody:
    """Behaviour shared by every declarative base."""

    __abstract__ = True
    registry: Any
    metadata: MetaData
    __mapper__: Mapper
    __table__: Table

    __clause_element__ = _ClassOnly(_clause_element)
    _orm_entity_key = _ClassOnly(_orm_entity_key)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("_fm_base"):
            return
        if _DeclarativeBody in cls.__bases__ or DeclarativeBase in cls.__bases__:
            _setup_base(cls)
            return
        if cls.__dict__.get("__abstract__"):
            return
        _map_class(cls, cls.registry)

    if not typing.TYPE_CHECKING:
        __init__ = _default_init

    __repr__ = _default_repr

    def __getstate__(self) -> dict[str, Any]:
        """Pickle the loaded values (and the identity), not the session."""
        d = dict(self.__dict__)
        state = instance_state(self) if d.pop("_fm_state", None) is not None else None
        if state is not None and state.key is not None:
            d["_fm_identity"] = state.key
        return d

    def __setstate__(self, values: dict[str, Any]) -> None:
        values = dict(values)
        key = values.pop("_fm_identity", None)
        mapper = type(self).__mapper__
        if not mapper.configured:
            mapper.registry.configure()
        for rel in mapper.relationships.values():
            if rel.uselist and isinstance(values.get(rel.key), list):
                values[rel.key] = new_collection(self, rel, values[rel.key])
        self.__dict__.update(values)
        state = instance_state(self)
        if key is not None:  # it had a row: detached, attachable with add() / merge()
            state.key = key
            state.status = DETACHED


class DeclarativeBase(_DeclarativeBody):
    """The base of your mapped classes::

        class Base(DeclarativeBase):
            pass

    ``Base.metadata`` holds the tables; ``type_annotation_map`` on the base adds
    annotation -> column type entries; ``metadata = MetaData(...)`` sets your own."""

    __abstract__ = True
    _fm_base = True

    if typing.TYPE_CHECKING:

        def __init__(self, **kwargs: Any) -> None: ...


def _setup_base(cls: type) -> None:
    own = cls.__dict__
    reg = own.get("registry")
    if not isinstance(reg, registry):
        reg = registry(
            metadata=own.get("metadata") if isinstance(own.get("metadata"), MetaData) else None,
            type_annotation_map=own.get("type_annotation_map"),
        )
    cls.registry = reg  # type: ignore[attr-defined]
    cls.metadata = reg.metadata  # type: ignore[attr-defined]


def declarative_base(
    *,
    metadata: MetaData | None = None,
    cls: type = object,
    name: str = "Base",
    type_annotation_map: dict[Any, Any] | None = None,
) -> Any:
    """``Base = declarative_base()``: the older spelling of ``class Base(DeclarativeBase)``."""
    reg = registry(metadata=metadata, type_annotation_map=type_annotation_map)
    bases = (_DeclarativeBody,) if cls is object else (cls, _DeclarativeBody)
    return type(
        name,
        bases,
        {"registry": reg, "metadata": reg.metadata, "__abstract__": True, "_fm_base": True},
    )


class AsyncAttrs:
    """Mixin for the base: ``await obj.awaitable_attrs.name`` loads ``name`` if it is
    not loaded (through the object's ``AsyncSession``) and returns it."""

    @property
    def awaitable_attrs(self) -> Any:
        return _AwaitableAttrs(self)


class _AwaitableAttrs:
    __slots__ = ("_obj",)

    def __init__(self, obj: Any) -> None:
        self._obj = obj

    def __getattr__(self, key: str) -> Any:
        obj = self._obj
        mapper = type(obj).__mapper__
        if key not in mapper.attrs_by_key:
            return _ready(getattr(obj, key))
        return _load_async(obj, key)


async def _ready(value: Any) -> Any:
    return value


async def _load_async(obj: Any, key: str) -> Any:
    d = obj.__dict__
    if key in d:
        return d[key]
    state = instance_state(obj)
    core = state.session
    if state.key is None or core is None or core.async_front is None:
        return getattr(obj, key)  # a default, a sync load, or the error that explains
    await core.async_front._load_attribute(state, key)
    return d[key]


# -- mapping one class ---------------------------------------------------------------


def _collect(cls: type) -> tuple[list[tuple[str, Any, Any, Any]], dict[str, Any]]:
    """(key, value, evaluated annotation, raw annotation) for every attribute the class
    and its unmapped bases declare, in declaration order; plus the class directives."""
    namespace = class_namespace(cls)
    seen: dict[str, tuple[str, Any, Any, Any]] = {}
    for klass in reversed(cls.__mro__):
        if klass is object or klass in (_DeclarativeBody, DeclarativeBase, AsyncAttrs):
            continue
        if "__mapper__" in vars(klass) and klass is not cls:
            raise exc.ArgumentError(
                f"{cls.__name__} subclasses the mapped class {klass.__name__}; "
                "mapped class inheritance is not supported yet"
            )
        annotations = vars(klass).get("__annotations__", {})
        names = list(annotations) + [n for n in vars(klass) if n not in annotations]
        for name in names:
            if name.startswith("__") or name in ("registry", "metadata", "_fm_base"):
                continue
            raw_value = vars(klass).get(name, UNRESOLVED)
            value = raw_value
            if isinstance(raw_value, declared_attr):
                value = raw_value.fn(cls)
            raw_annotation = annotations.get(name)
            annotation = evaluate(raw_annotation, namespace) if raw_annotation else None
            is_mapped_annotation = raw_annotation is not None and (
                mapped_origin(annotation) is not None
                or (
                    isinstance(raw_annotation, str)
                    and raw_annotation.strip().startswith(
                        ("Mapped[", "WriteOnlyMapped[", "DynamicMapped[")
                    )
                )
            )
            if value is UNRESOLVED and not is_mapped_annotation:
                continue
            if not (
                is_mapped_annotation
                or isinstance(
                    value,
                    (Column, MappedColumn, RelationshipProperty, _Deferred, _ColumnPropertySpec),
                )
            ):
                continue
            if isinstance(value, Column) and klass is not cls:
                value = _copy_column(value)
            seen[name] = (name, value, annotation, raw_annotation)
    directives = {}
    for name in ("__tablename__", "__table_args__", "__table__", "__mapper_args__"):
        value = getattr(cls, name, None)
        if value is not None:
            directives[name] = value
    return list(seen.values()), directives


def _copy_column(column: Column) -> Column:
    """A mixin's ``Column`` (each class gets its own)."""
    if column.table is None:
        copy = Column.__new__(Column)
        for slot in Column.__slots__:
            setattr(copy, slot, getattr(column, slot))
        copy.foreign_keys = [
            ForeignKey(
                fk._target,
                ondelete=fk.ondelete,
                onupdate=fk.onupdate,
                name=fk.name,
                use_alter=fk.use_alter,
            )
            for fk in column.foreign_keys
        ]
        for fk in copy.foreign_keys:
            fk.parent = copy
        return copy
    return column


def _map_class(cls: type, reg: registry) -> Mapper:
    from ._dataclasses import (
        DATACLASS_OPTIONS,
        NO_DEFAULT,
        Field,
        MappedAsDataclass,
        add_dataclass_methods,
    )

    items, directives = _collect(cls)
    owner = cls.__name__
    columns: list[tuple[str, Column]] = []
    relationships: dict[str, RelationshipProperty] = {}
    as_dataclass = issubclass(cls, MappedAsDataclass)
    deferred_keys: dict[str, str | None] = {}  # key -> group, of deferred columns
    expressions: dict[str, Any] = {}  # key -> column_property()
    fields: list[Field] = []
    for key, value, annotation, raw in items:
        if as_dataclass:
            if isinstance(value, MappedColumn):
                options = {k: value.kwargs[k] for k in DATACLASS_OPTIONS if k in value.kwargs}
                default = value.kwargs.get("default", NO_DEFAULT)
            elif isinstance(value, _RelationshipSpec):
                options = dict(value.dataclass_options)
                default = options.pop("default", NO_DEFAULT)
            else:
                options, default = {}, NO_DEFAULT
            kw_only = cls.__fm_dataclass__["kw_only"]  # type: ignore[attr-defined]
            fields.append(Field(key, options, default, kw_only))
        if isinstance(value, _ColumnPropertySpec):
            expressions[key] = value
            continue
        if isinstance(value, _Deferred):
            deferred_keys[key] = value.group
            value = value.column
        elif isinstance(value, MappedColumn) and value.deferred_group is not _NOT_DEFERRED:
            deferred_keys[key] = value.deferred_group
        if isinstance(value, RelationshipProperty):
            rel = value.copy() if isinstance(value, _RelationshipSpec) else value
            target, uselist = relationship_target(annotation, raw)
            rel.annotation_target = target
            rel.annotation_uselist = uselist
            big = big_collection_of(annotation, raw)
            if big is not None:  # WriteOnlyMapped[T] / DynamicMapped[T]: a collection
                rel.annotation_uselist = True
                if rel.lazy == "select":
                    rel.lazy = big
            relationships[key] = rel
        elif isinstance(value, Column):
            if not value.name:
                value.name = key
            columns.append((key, value))
        elif isinstance(value, MappedColumn):
            if annotation is UNRESOLVED:
                raise exc.ArgumentError(
                    f"{owner}.{key}: can't evaluate the annotation {raw!r}; import the names "
                    "it uses in the module that defines the class"
                )
            columns.append((key, value.column(key, annotation, reg.type_annotation_map, owner)))
        else:  # an annotation alone
            if annotation is UNRESOLVED:
                target, uselist = relationship_target(annotation, raw)
                raise exc.ArgumentError(
                    f"{owner}.{key}: can't evaluate the annotation {raw!r}; if it is a "
                    f"relationship, assign relationship() to it"
                )
            columns.append(
                (key, MappedColumn().column(key, annotation, reg.type_annotation_map, owner))
            )
    table = directives.get("__table__")
    if table is None:
        tablename = directives.get("__tablename__")
        if not tablename:
            raise exc.ArgumentError(
                f"Class {owner} has no __tablename__ (or __table__); set "
                f'__tablename__ = "..." or mark the class __abstract__ = True'
            )
        args, kwargs = _table_args(directives.get("__table_args__"), owner)
        table = Table(tablename, reg.metadata, *[c for _, c in columns], *args, **kwargs)
    else:
        if columns:
            names = [k for k, _ in columns]
            raise exc.ArgumentError(
                f"{owner} gives __table__ and also declares columns {names}; use one or the other"
            )
        columns = [(c.name, c) for c in table.c]
    mapper_args = dict(directives.get("__mapper_args__") or {})
    eager_defaults = mapper_args.pop("eager_defaults", "auto")
    version_key = _version_key(mapper_args.pop("version_id_col", None), items, columns, owner)
    version_generator = mapper_args.pop("version_id_generator", None)
    if version_generator is not None and not callable(version_generator):
        raise exc.ArgumentError(
            f"{owner}.__mapper_args__: version_id_generator takes a function of the "
            "current version (None for a new row) returning the next one"
        )
    if mapper_args:
        raise exc.ArgumentError(
            f"{owner}.__mapper_args__: unsupported option(s) {sorted(mapper_args)}"
        )
    mapper = Mapper(
        cls,
        table,
        reg,
        columns,
        relationships,
        eager_defaults,
        version_key=version_key,
        version_generator=version_generator,
        deferred_keys=deferred_keys,
    )
    for key, spec in expressions.items():
        mapper.add_expression(key, spec.expression, spec.deferred, spec.group, spec.per_query)
    cls.__mapper__ = mapper  # type: ignore[attr-defined]
    forget_select_head(cls)  # a class mapped again: select(cls) works out its parts anew
    cls.__table__ = table  # type: ignore[attr-defined]
    mapper.instrument()
    if as_dataclass:
        add_dataclass_methods(cls, fields)
    mapper.dispatch.class_ready()  # init listeners may wrap the constructor now
    reg._classes.setdefault(cls.__name__, []).append(cls)
    reg._classes.setdefault(f"{cls.__module__}.{cls.__qualname__}", []).append(cls)
    reg.mappers.append(mapper)
    return mapper


def _version_key(
    given: Any, items: list[Any], columns: list[tuple[str, Column]], owner: str
) -> str | None:
    """The key of ``version_id_col``: given as the class body's ``mapped_column()``,
    its ``Column``, or the attribute's name."""
    if given is None:
        return None
    for key, value, _, _ in items:
        if value is given:
            return str(key)
    for key, column in columns:
        if column is given or (isinstance(given, str) and key == given):
            return key
    raise exc.ArgumentError(
        f"{owner}.__mapper_args__: version_id_col={given!r} is not a column of {owner}; "
        "give the mapped_column() of the class body (version_id_col=version_id)"
    )


def _table_args(spec: Any, owner: str) -> tuple[list[Any], dict[str, Any]]:
    if spec is None:
        return [], {}
    if isinstance(spec, dict):
        return [], dict(spec)
    if isinstance(spec, tuple):
        if spec and isinstance(spec[-1], dict):
            return list(spec[:-1]), dict(spec[-1])
        return list(spec), {}
    raise exc.ArgumentError(
        f"{owner}.__table_args__ must be a tuple (constraints, then optionally a dict) or a "
        f"dict, not {spec!r}"
    )


__all__ += ["Constraint", "Index"]  # re-exported for __table_args__ users' convenience

"""The ORM: ``from ferryman.orm import DeclarativeBase, Mapped, mapped_column, Session``.

Classes declared on a ``DeclarativeBase`` map to tables; a ``Session`` (sync)
or ``AsyncSession`` (``ferryman.asyncio``) loads them with ``select(Model)``,
keeps one object per row (the identity map), and writes changes back in
dependency order when flushed. Async code never loads implicitly: an
attribute that is not loaded raises ``exc.UnloadedAttributeError`` naming the
loader option or call that loads it.
"""

from ..inspection import inspect
from ..sql import select
from ._annotations import DynamicMapped, WriteOnlyMapped
from ._attributes import (
    ColumnAttribute,
    InstrumentedAttribute,
    InstrumentedList,
    QueryableAttribute,
    RelationshipAttribute,
)
from ._bundle import Bundle
from ._composite import composite
from ._dataclasses import MappedAsDataclass
from ._declarative import (
    AsyncAttrs,
    DeclarativeBase,
    Mapped,
    MappedColumn,
    backref,
    column_property,
    declarative_base,
    declared_attr,
    deferred,
    mapped_column,
    query_expression,
    registry,
    relationship,
    synonym,
    validates,
)
from ._events import AttributeEventToken
from ._mapper import ColumnProperty, Mapper, RelationshipProperty, configure_mappers
from ._options import (
    AliasedClass,
    Load,
    aliased,
    contains_eager,
    defer,
    joinedload,
    lazyload,
    load_only,
    noload,
    raiseload,
    selectinload,
    subqueryload,
    undefer,
    undefer_group,
    with_expression,
    with_loader_criteria,
    with_parent,
)
from ._session import Session, SessionTransaction, sessionmaker
from ._session_async import AsyncSession, AsyncSessionTransaction, async_sessionmaker
from ._state import AttributeState, History, InstanceState

__all__ = [
    "AliasedClass",
    "AsyncAttrs",
    "AsyncSession",
    "AsyncSessionTransaction",
    "AttributeEventToken",
    "AttributeState",
    "Bundle",
    "ColumnAttribute",
    "ColumnProperty",
    "DeclarativeBase",
    "DynamicMapped",
    "History",
    "InstanceState",
    "InstrumentedAttribute",
    "InstrumentedList",
    "Load",
    "Mapped",
    "MappedAsDataclass",
    "MappedColumn",
    "Mapper",
    "QueryableAttribute",
    "RelationshipAttribute",
    "RelationshipProperty",
    "Session",
    "SessionTransaction",
    "WriteOnlyMapped",
    "aliased",
    "async_sessionmaker",
    "backref",
    "column_property",
    "composite",
    "configure_mappers",
    "contains_eager",
    "declarative_base",
    "declared_attr",
    "defer",
    "deferred",
    "inspect",
    "joinedload",
    "lazyload",
    "load_only",
    "mapped_column",
    "noload",
    "query_expression",
    "raiseload",
    "registry",
    "relationship",
    "select",
    "selectinload",
    "sessionmaker",
    "subqueryload",
    "synonym",
    "undefer",
    "undefer_group",
    "validates",
    "with_expression",
    "with_loader_criteria",
    "with_parent",
]

for _cls in (
    AliasedClass,
    AsyncAttrs,
    AttributeEventToken,
    ColumnAttribute,
    DeclarativeBase,
    InstanceState,
    InstrumentedList,
    Load,
    Mapped,
    Mapper,
    QueryableAttribute,
    RelationshipAttribute,
    RelationshipProperty,
    Session,
    SessionTransaction,
    registry,
    sessionmaker,
):
    _cls.__module__ = "ferryman.orm"
for _async_cls in (AsyncSession, AsyncSessionTransaction, async_sessionmaker):
    _async_cls.__module__ = "ferryman.asyncio"

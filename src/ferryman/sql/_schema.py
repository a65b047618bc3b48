"""Schema objects: ``MetaData``, ``Table``, ``Column``, keys, constraints, indexes.

A ``Table`` belongs to one ``MetaData`` and holds its columns in ``table.c``
(``table.c.name`` or ``table.c["name"]``). Foreign keys name their target as
``"table.column"`` (or a ``Column``) and are resolved against the same
``MetaData`` when first needed, so tables can be declared in any order.
``metadata.create_all(conn)`` / ``drop_all(conn)`` live in ``_ddl.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import exc
from ._elements import BindParameter, ClauseElement, ColumnElement, coerce
from ._types import Integer, NullType, TypeEngine, to_instance

__all__ = [
    "CheckConstraint",
    "Column",
    "ColumnCollection",
    "ForeignKey",
    "ForeignKeyConstraint",
    "Identity",
    "Index",
    "MetaData",
    "PrimaryKeyConstraint",
    "Sequence",
    "Table",
    "UniqueConstraint",
]


class ColumnCollection:
    """A table's columns, in order: ``t.c.name``, ``t.c["name"]``, ``"name" in t.c``."""

    def __init__(self) -> None:
        self._by_name: dict[str, Any] = {}

    def _add(self, column: Any) -> None:
        if column.name in self._by_name:
            raise exc.ArgumentError(f"Column {column.name!r} is given twice")
        self._by_name[column.name] = column
        if column.name not in type(self).__dict__ and not column.name.startswith("_"):
            self.__dict__[column.name] = column  # t.c.name without a Python-level lookup

    def __getattr__(self, name: str) -> Column:
        try:
            return self.__dict__["_by_name"][name]  # type: ignore[no-any-return]
        except KeyError:
            raise AttributeError(
                f"No column {name!r}; the columns are {list(self.__dict__['_by_name'])}"
            ) from None

    def __getitem__(self, name: str) -> Column:
        try:
            column: Column = self._by_name[name]
            return column
        except KeyError:
            raise KeyError(f"No column {name!r}; the columns are {list(self._by_name)}") from None

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[Column]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)

    def keys(self) -> list[str]:
        return list(self._by_name)

    def __repr__(self) -> str:
        return f"ColumnCollection({list(self._by_name)})"


class FromClause(ClauseElement):
    """Something rows come from: a table, a join, a subquery."""

    __slots__ = ()

    def join(
        self, right: Any, onclause: Any = None, isouter: bool = False, full: bool = False
    ) -> Any:
        from ._selectable import Join

        return Join(self, right, onclause, isouter=isouter, full=full)

    def outerjoin(self, right: Any, onclause: Any = None, full: bool = False) -> Any:
        return self.join(right, onclause, isouter=True, full=full)

    def select(self) -> Any:
        from ._selectable import select

        return select(self)

    def alias(self, name: str | None = None) -> Any:
        """This table under another name (``users AS u``), e.g. to join it to itself."""
        from ._derived import Alias

        return Alias(self, name)


class MetaData:
    """A collection of tables (and what they need: naming conventions, a schema)."""

    def __init__(
        self, schema: str | None = None, naming_convention: dict[str, str] | None = None
    ) -> None:
        self.schema = schema
        self.naming_convention = dict(naming_convention or {})
        self.tables: dict[str, Table] = {}

    def _add(self, table: Table) -> None:
        if table.fullname in self.tables:
            raise exc.InvalidRequestError(
                f"Table {table.fullname!r} is already defined for this MetaData; "
                "give it another name or reuse the existing Table object"
            )
        self.tables[table.fullname] = table

    @property
    def sorted_tables(self) -> list[Table]:
        """Tables in dependency order: a table after the tables it references."""
        from ._ddl import sort_tables

        return sort_tables(list(self.tables.values()))

    def create_all(self, bind: Any, tables: Any = None, checkfirst: bool = True) -> None:
        """Create the tables (and their indexes) on a sync connection or engine; in async
        code: ``await conn.run_sync(metadata.create_all)``."""
        from ._ddl import create_all

        create_all(self, bind, tables, checkfirst)

    def drop_all(self, bind: Any, tables: Any = None, checkfirst: bool = True) -> None:
        from ._ddl import drop_all

        drop_all(self, bind, tables, checkfirst)

    def reflect(
        self, bind: Any, schema: str | None = None, views: bool = False, only: Any = None
    ) -> None:
        """Add the database's tables (or those named in ``only``; views too with
        ``views=True``) that are not here yet, with their columns, keys and indexes.
        Takes a sync Connection or Engine; in async code
        ``await conn.run_sync(metadata.reflect)``."""
        from ._reflect import reflect_metadata

        reflect_metadata(self, bind, schema if schema is not None else self.schema, views, only)

    def __repr__(self) -> str:
        return f"MetaData(tables={list(self.tables)})"


class Table(FromClause):
    """A table: ``Table("users", metadata, Column("id", Integer, primary_key=True), ...)``."""

    __visit_name__ = "table"

    def __init__(
        self,
        name: str,
        metadata: MetaData,
        *items: Any,
        schema: str | None = None,
        comment: str | None = None,
        autoload_with: Any = None,
    ) -> None:
        if not isinstance(metadata, MetaData):
            raise exc.ArgumentError(
                f"Table({name!r}, ...) needs a MetaData as its second argument, got {metadata!r}"
            )
        self.name = name
        self.schema = schema if schema is not None else metadata.schema
        self.metadata = metadata
        self.comment = comment
        self.c = self.columns = ColumnCollection()
        self.constraints: list[Constraint] = []
        self.indexes: list[Index] = []
        self.primary_key = PrimaryKeyConstraint()
        self.primary_key.table = self
        for item in items:
            if isinstance(item, (Column, Constraint, Index)):
                item._set_table(self)
            else:
                raise exc.ArgumentError(
                    f"Table({name!r}, ...) takes Column, constraint and Index objects, "
                    f"not {item!r}"
                )
        if not self.primary_key.columns:
            self.primary_key.columns = [col for col in self.c if col.primary_key]
        metadata._add(self)
        if autoload_with is not None:  # columns, keys and indexes from the database
            if items:
                raise exc.ArgumentError(
                    f"Table({name!r}, ..., autoload_with=...) reads its columns from the "
                    "database; give no Column objects with it"
                )
            from ._reflect import reflect_table

            try:
                reflect_table(self, autoload_with)
            except BaseException:
                del metadata.tables[self.fullname]
                raise

    @property
    def fullname(self) -> str:
        return f"{self.schema}.{self.name}" if self.schema else self.name

    @property
    def foreign_keys(self) -> list[ForeignKey]:
        return [fk for col in self.c for fk in col.foreign_keys]

    @property
    def foreign_key_constraints(self) -> list[ForeignKeyConstraint]:
        return [c for c in self.constraints if isinstance(c, ForeignKeyConstraint)]

    def _key(self, binds: list[BindParameter]) -> Any:
        return self

    def insert(self) -> Any:
        from ._dml import insert

        return insert(self)

    def update(self) -> Any:
        from ._dml import update

        return update(self)

    def delete(self) -> Any:
        from ._dml import delete

        return delete(self)

    def __repr__(self) -> str:
        return f"Table({self.fullname!r}, columns={self.c.keys()})"


class Column(ColumnElement):
    """A table column: ``Column("name", String(50), nullable=False)``."""

    __slots__ = (
        "autoincrement",
        "comment",
        "default",
        "foreign_keys",
        "identity",
        "index",
        "name",
        "nullable",
        "onupdate",
        "primary_key",
        "sequence",
        "server_default",
        "server_onupdate",
        "table",
        "type",
        "unique",
    )
    __visit_name__ = "column"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        name: str | None = None
        type_: Any = None
        fks: list[ForeignKey] = []
        self.sequence: Sequence | None = None
        self.identity: Identity | None = None
        for arg in args:
            if isinstance(arg, str) and name is None and type_ is None:
                name = arg
            elif isinstance(arg, ForeignKey):
                fks.append(arg)
            elif isinstance(arg, Sequence):
                self.sequence = arg
            elif isinstance(arg, Identity):
                self.identity = arg
            elif isinstance(arg, TypeEngine) or (
                isinstance(arg, type) and issubclass(arg, TypeEngine)
            ):
                type_ = arg
            else:
                raise exc.ArgumentError(f"Unexpected argument to Column(): {arg!r}")
        known = {
            "primary_key", "nullable", "default", "server_default", "onupdate",
            "server_onupdate", "unique", "index", "autoincrement", "comment", "type_", "name",
        }  # fmt: skip
        unknown = set(kwargs) - known
        if unknown:
            raise exc.ArgumentError(f"Unknown Column() argument(s): {sorted(unknown)}")
        self.name: str = kwargs.get("name", name) or ""
        self.type = to_instance(kwargs.get("type_", type_))
        self.primary_key = bool(kwargs.get("primary_key", False))
        self.nullable = bool(kwargs.get("nullable", not self.primary_key))
        self.default = kwargs.get("default")
        self.server_default = kwargs.get("server_default")
        self.onupdate = kwargs.get("onupdate")
        self.server_onupdate = kwargs.get("server_onupdate")
        self.unique = kwargs.get("unique")
        self.index = kwargs.get("index")
        self.autoincrement = kwargs.get("autoincrement", "auto")
        self.comment = kwargs.get("comment")
        self.table: Table | None = None
        self.foreign_keys = fks
        for fk in fks:
            fk.parent = self

    def _set_table(self, table: Table) -> None:
        if not self.name:
            raise exc.ArgumentError(f"A Column of table {table.name!r} has no name")
        if self.table is not None:
            raise exc.ArgumentError(
                f"Column {self.name!r} already belongs to table {self.table.name!r}; "
                "make a new Column for each table"
            )
        self.table = table
        table.c._add(self)
        if isinstance(self.type, NullType) and self.foreign_keys:
            self.type = _DeferredType(self)
        for fk in self.foreign_keys:
            table.constraints.append(ForeignKeyConstraint._from_key(fk, table))
        if self.unique:
            UniqueConstraint(self.name, _table=table)
        if self.index:
            Index(None, self, unique=False)._set_table(table)

    @property
    def key(self) -> str:
        return self.name

    def _key(self, binds: list[BindParameter]) -> Any:
        return self

    __hash__ = ColumnElement.__hash__  # identity, in C: columns are cache-key parts

    def __repr__(self) -> str:
        owner = f"{self.table.name}." if self.table is not None else ""
        return f"Column({owner}{self.name}, {self.type!r})"


class _DeferredType(TypeEngine):
    """The type of a column left untyped because it has a foreign key: the type of
    the column it references."""

    def __init__(self, column: Column) -> None:
        self._column = column

    def _resolve(self) -> TypeEngine:
        target = self._column.foreign_keys[0].column
        return target.type

    def ddl(self, dialect: str) -> str:
        target = self._resolve()
        return "INTEGER" if isinstance(target, Integer) else target.ddl(dialect)

    def _key(self) -> tuple[Any, ...]:
        return (_DeferredType, id(self._column))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _DeferredType) and other._column is self._column

    def __ne__(self, other: object) -> bool:
        return not self == other

    def __hash__(self) -> int:
        return hash((_DeferredType, id(self._column)))

    def __repr__(self) -> str:
        try:
            return repr(self._resolve())  # the referenced column's type
        except Exception:  # the foreign key's table is not known yet
            fk = self._column.foreign_keys[0] if self._column.foreign_keys else None
            return f"<the type of {getattr(fk, 'target_fullname', fk)!r}>"


class Sequence:
    """``Column("id", Integer, Sequence("users_id_seq"), primary_key=True)``: a
    PostgreSQL sequence the column's default draws from (created and dropped with the
    table); other databases ignore it."""

    def __init__(
        self,
        name: str,
        start: int | None = None,
        increment: int | None = None,
        schema: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise exc.ArgumentError(f"Sequence() needs a name, not {name!r}")
        self.name = name
        self.start = start
        self.increment = increment
        self.schema = schema

    def __repr__(self) -> str:
        return f"Sequence({self.name!r})"


class Identity:
    """``Column("id", Integer, Identity(start=100), primary_key=True)``: a SQL standard
    identity column (``GENERATED BY DEFAULT AS IDENTITY`` on PostgreSQL; on SQLite an
    integer primary key numbers itself anyway)."""

    def __init__(
        self, start: int | None = None, increment: int | None = None, always: bool = False
    ) -> None:
        self.start = start
        self.increment = increment
        self.always = always


class ForeignKey:
    """``ForeignKey("users.id", ondelete="CASCADE")`` on a Column."""

    def __init__(
        self,
        target: Any,
        ondelete: str | None = None,
        onupdate: str | None = None,
        name: str | None = None,
        use_alter: bool = False,
    ) -> None:
        if not isinstance(target, (str, Column)):
            raise exc.ArgumentError(
                f"ForeignKey() needs 'table.column' or a Column, not {target!r}"
            )
        self._target = target
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.name = name
        self.use_alter = use_alter
        self.parent: Column | None = None

    @property
    def column(self) -> Column:
        """The referenced column (resolved through the parent table's MetaData)."""
        if isinstance(self._target, Column):
            return self._target
        parent = self.parent
        table = parent.table if parent is not None else None
        if table is None:
            raise exc.InvalidRequestError(
                f"ForeignKey({self._target!r}) is not attached to a table"
            )
        table_name, _, column_name = self._target.rpartition(".")
        target_table = table.metadata.tables.get(table_name)
        if target_table is None and table.schema and "." not in table_name:
            target_table = table.metadata.tables.get(f"{table.schema}.{table_name}")
        if target_table is None:
            raise exc.InvalidRequestError(
                f"Foreign key {table.name}.{parent.name if parent else '?'} references table "
                f"{table_name!r}, which is not in the same MetaData; define that table first "
                "or check the name"
            )
        if column_name not in target_table.c:
            raise exc.InvalidRequestError(
                f"Foreign key references {self._target!r}, but table {table_name!r} has no "
                f"column {column_name!r}; its columns are {target_table.c.keys()}"
            )
        return target_table.c[column_name]

    def references(self, table: Table) -> bool:
        return self.column.table is table

    def __repr__(self) -> str:
        return f"ForeignKey({self._target!r})"


class Constraint:
    def __init__(
        self, *columns: Any, name: str | None = None, _table: Table | None = None
    ) -> None:
        self.name = name
        self._column_names = [c if isinstance(c, str) else c.name for c in columns]
        self.columns: list[Column] = []
        self.table: Table | None = None
        if _table is not None:
            self._set_table(_table)

    def _set_table(self, table: Table) -> None:
        self.table = table
        self.columns = [table.c[name] for name in self._column_names]
        table.constraints.append(self)


class PrimaryKeyConstraint(Constraint):
    """A (composite) primary key: ``PrimaryKeyConstraint("a", "b")``."""

    def _set_table(self, table: Table) -> None:
        self.table = table
        self.columns = [table.c[name] for name in self._column_names]
        for column in self.columns:
            column.primary_key = True
            column.nullable = False
        table.primary_key = self


class UniqueConstraint(Constraint):
    pass


class CheckConstraint(Constraint):
    """``CheckConstraint("age >= 0", name="age_positive")``."""

    def __init__(self, sqltext: Any, name: str | None = None) -> None:
        super().__init__(name=name)
        self.sqltext = sqltext


class ForeignKeyConstraint(Constraint):
    """A (composite) foreign key: ``ForeignKeyConstraint(["a", "b"], ["t.a", "t.b"])``."""

    def __init__(
        self,
        columns: list[Any],
        refcolumns: list[Any],
        name: str | None = None,
        ondelete: str | None = None,
        onupdate: str | None = None,
        use_alter: bool = False,
    ) -> None:
        super().__init__(*columns, name=name)
        if len(columns) != len(refcolumns):
            raise exc.ArgumentError("ForeignKeyConstraint needs as many columns as refcolumns")
        self.elements = [
            ForeignKey(ref, ondelete, onupdate, name, use_alter) for ref in refcolumns
        ]
        self.ondelete = ondelete
        self.onupdate = onupdate
        self.use_alter = use_alter

    @classmethod
    def _from_key(cls, fk: ForeignKey, table: Table) -> ForeignKeyConstraint:
        constraint = cls.__new__(cls)
        Constraint.__init__(constraint, name=fk.name)
        constraint.elements = [fk]
        constraint.ondelete = fk.ondelete
        constraint.onupdate = fk.onupdate
        constraint.use_alter = fk.use_alter
        constraint.table = table
        constraint.columns = [fk.parent] if fk.parent is not None else []
        return constraint

    def _set_table(self, table: Table) -> None:
        super()._set_table(table)
        for column, fk in zip(self.columns, self.elements, strict=True):
            fk.parent = column
            column.foreign_keys.append(fk)

    @property
    def referred_table(self) -> Table:
        table = self.elements[0].column.table
        assert table is not None
        return table


class Index:
    """``Index("ix_users_email", users.c.email, unique=True)``."""

    def __init__(self, name: str | None, *expressions: Any, unique: bool = False) -> None:
        self.name = name
        self.unique = unique
        self._expressions = expressions
        self.columns: list[Column] = []
        self.table: Table | None = None
        tables = {e.table for e in expressions if isinstance(e, Column) and e.table is not None}
        if len(tables) == 1:
            self._set_table(tables.pop())

    def _set_table(self, table: Table) -> None:
        if self.table is table:
            return
        self.table = table
        self.columns = [table.c[e] if isinstance(e, str) else e for e in self._expressions]
        if self.name is None:
            self.name = constraint_name(self) or "ix_" + "_".join(
                [table.name] + [c.name for c in self.columns]
            )
        table.indexes.append(self)


_CONVENTION_KEYS = (
    ("PrimaryKeyConstraint", "pk"),
    ("ForeignKeyConstraint", "fk"),
    ("UniqueConstraint", "uq"),
    ("CheckConstraint", "ck"),
    ("Index", "ix"),
)


def constraint_name(item: Any) -> str | None:
    """The name of a constraint or index: its own, else the one its MetaData's
    ``naming_convention`` gives (``{"fk": "fk_%(table_name)s_%(column_0_name)s_"
    "%(referred_table_name)s", ...}``), else None (the database names it)."""
    table = item.table
    convention = table.metadata.naming_convention if table is not None else {}
    key = next((k for cls, k in _CONVENTION_KEYS if type(item).__name__ == cls), None)
    pattern = convention.get(key) if key else None
    if pattern is None or (item.name is not None and "%(constraint_name)s" not in pattern):
        return item.name  # type: ignore[no-any-return]
    columns = list(item.columns)
    tokens: dict[str, Any] = {
        "table_name": table.name,
        "constraint_name": item.name or "",
        "column_0_name": columns[0].name if columns else "",
        "column_0_label": f"{table.name}_{columns[0].name}" if columns else table.name,
        "column_0N_name": "_".join(c.name for c in columns),
    }
    if key == "fk":
        target = item.elements[0].column
        tokens["referred_table_name"] = target.table.name
        tokens["referred_column_0_name"] = target.name
    if key == "ck" and not item.name:
        raise exc.InvalidRequestError(
            f"The naming convention for check constraints on table {table.name!r} uses "
            "%(constraint_name)s: give the CheckConstraint a name"
        )
    try:
        return pattern % tokens  # type: ignore[no-any-return]
    except KeyError as err:
        raise exc.ArgumentError(
            f"Naming convention {pattern!r} uses an unknown token {err.args[0]!r}; known "
            f"tokens are {sorted(tokens)}"
        ) from None


def default_value(column: Column) -> ClauseElement:
    """The SQL for a column's server default (a string is quoted, SQL is kept)."""
    default = column.server_default
    if isinstance(default, str):
        return _Literal(default)
    return coerce(default)


class _Literal(ColumnElement):
    """A string rendered as a quoted SQL literal (for DDL defaults)."""

    __slots__ = ("value",)
    __visit_name__ = "string_literal"

    def __init__(self, value: str) -> None:
        self.value = value

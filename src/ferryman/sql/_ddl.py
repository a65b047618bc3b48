"""DDL: ``CreateTable`` / ``DropTable`` / ``CreateIndex`` / ``DropIndex`` and
``MetaData.create_all()`` / ``drop_all()``.

Tables are created in dependency order (a table after the tables its foreign
keys reference) and dropped in reverse. With ``checkfirst`` (the default) a
table that exists is left alone on create, and one that does not is skipped
on drop. A foreign-key cycle is an error that names the tables, unless one of
the keys says ``use_alter=True``.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ._elements import BindParameter, ClauseElement
from ._schema import MetaData, Table, constraint_name
from ._types import Enum

__all__ = [
    "AddConstraint",
    "CreateIndex",
    "CreateTable",
    "DropConstraint",
    "DropIndex",
    "DropTable",
    "create_all",
    "drop_all",
    "sort_tables",
]


class _DDLElement(ClauseElement):
    _uses_parameter_names = False

    def __init__(self, element: Any) -> None:
        self.element = element

    def _key(self, binds: list[BindParameter]) -> Any:
        return (self.__visit_name__, self.element)


class CreateTable(_DDLElement):
    """``CREATE TABLE``; ``str(CreateTable(table))`` shows the SQL."""

    __visit_name__ = "create_table"


class DropTable(_DDLElement):
    __visit_name__ = "drop_table"


class AddConstraint(_DDLElement):
    """``ALTER TABLE ... ADD CONSTRAINT`` (foreign keys with ``use_alter=True``)."""

    __visit_name__ = "add_constraint"


class DropConstraint(_DDLElement):
    __visit_name__ = "drop_constraint"


class CreateEnumType(_DDLElement):
    """``CREATE TYPE name AS ENUM (...)`` (PostgreSQL)."""

    __visit_name__ = "create_enum_type"

    def _key(self, binds: list[BindParameter]) -> Any:
        return (self.__visit_name__, self.element._key())


class DropEnumType(CreateEnumType):
    __visit_name__ = "drop_enum_type"


class CreateSequence(_DDLElement):
    __visit_name__ = "create_sequence"

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            self.__visit_name__,
            self.element.name,
            self.element.schema,
            self.element.start,
            self.element.increment,
        )


class DropSequence(CreateSequence):
    __visit_name__ = "drop_sequence"


class SetComment(_DDLElement):
    """``COMMENT ON TABLE / COLUMN ... IS '...'`` (PostgreSQL)."""

    __visit_name__ = "set_comment"


class CreateIndex(_DDLElement):
    __visit_name__ = "create_index"


class DropIndex(_DDLElement):
    __visit_name__ = "drop_index"


def sort_tables(tables: list[Table]) -> list[Table]:
    """Tables ordered so that each comes after the tables it references."""
    chosen = {id(t) for t in tables}
    ordered: list[Table] = []
    state: dict[int, str] = {}

    def visit(table: Table, path: list[Table]) -> None:
        mark = state.get(id(table))
        if mark == "done":
            return
        if mark == "visiting":
            cycle = " -> ".join(t.name for t in [*path[path.index(table) :], table])
            raise exc.InvalidRequestError(
                f"Foreign keys form a cycle ({cycle}); give one of them use_alter=True so "
                "that it is added after the tables are created"
            )
        state[id(table)] = "visiting"
        for constraint in table.foreign_key_constraints:
            if constraint.use_alter:
                continue
            target = constraint.referred_table
            if target is not table and id(target) in chosen:
                visit(target, [*path, table])
        state[id(table)] = "done"
        ordered.append(table)

    for table in sorted(tables, key=lambda t: t.fullname):
        visit(table, [])
    return ordered


def _connection(bind: Any) -> tuple[Any, Any]:
    """(connection, context manager to close) for a connection or an engine."""
    if hasattr(bind, "execute"):
        return bind, None
    if hasattr(bind, "begin"):
        manager = bind.begin()
        return manager.__enter__(), manager
    raise exc.ArgumentError(
        f"create_all()/drop_all() take a sync Connection or Engine, not {bind!r}; in async "
        "code use 'await conn.run_sync(metadata.create_all)'"
    )


def _has_table(conn: Any, table: Table) -> bool:
    query = conn.dialect.has_table_query(table.name, table.schema)
    return conn.execute(query).first() is not None


def _native_enums(conn: Any, tables: list[Table]) -> list[Enum]:
    """The distinct native enum types the tables use (PostgreSQL)."""
    if not getattr(conn.dialect, "supports_native_enum", False):
        return []
    found: dict[str, Enum] = {}
    for table in tables:
        for column in table.c:
            type_ = column.type
            if isinstance(type_, Enum) and type_.native_enum:
                type_.ddl(conn.dialect.name)  # raises for an unnamed enum
                found.setdefault(type_.name or "", type_)
    return list(found.values())


def _sequences(conn: Any, tables: list[Table]) -> list[Any]:
    if not getattr(conn.dialect, "supports_sequences", False):
        return []
    return [c.sequence for t in tables for c in t.c if c.sequence is not None]


def _has_type(conn: Any, type_: Enum) -> bool:
    return conn.execute(conn.dialect.has_type_query(type_.name)).first() is not None


def _run(metadata: MetaData, bind: Any, tables: Any, checkfirst: bool, create: bool) -> None:
    conn, manager = _connection(bind)
    try:
        chosen = list(tables) if tables is not None else list(metadata.tables.values())
        ordered = sort_tables(chosen)
        deferred = [
            (table, constraint)
            for table in ordered
            for constraint in table.foreign_key_constraints
            if constraint.use_alter
        ]
        if deferred and not getattr(conn.dialect, "supports_alter_constraint", True):
            table, constraint = deferred[0]
            raise exc.InvalidRequestError(
                f"{conn.dialect.name} can't add a foreign key to an existing table, so the "
                f"use_alter=True key of table {table.name!r} can't be created; break the "
                "cycle another way (make one side a plain column) for this database"
            )
        for table, constraint in deferred:
            if constraint_name(constraint) is None:
                raise exc.InvalidRequestError(
                    f"A use_alter=True foreign key of table {table.name!r} needs a "
                    "name (ForeignKey(..., name=...)) or a MetaData naming convention for 'fk'"
                )
        enums = _native_enums(conn, ordered)
        sequences = _sequences(conn, ordered)
        if create:
            for type_ in enums:
                if not checkfirst or not _has_type(conn, type_):
                    conn.execute(CreateEnumType(type_))
            for sequence in sequences:
                conn.execute(CreateSequence(sequence))
            created = []
            for table in ordered:
                if checkfirst and _has_table(conn, table):
                    continue
                conn.execute(CreateTable(table))
                created.append(table)
                for index in table.indexes:
                    conn.execute(CreateIndex(index))
                if getattr(conn.dialect, "supports_comments", False):
                    for item in (table, *table.c):
                        if item.comment:
                            conn.execute(SetComment(item))
            for table, constraint in deferred:
                if table in created:
                    conn.execute(AddConstraint(constraint))
        else:
            existing = [t for t in reversed(ordered) if not checkfirst or _has_table(conn, t)]
            for table, constraint in deferred:
                if table in existing:
                    conn.execute(DropConstraint(constraint))
            for table in existing:
                conn.execute(DropTable(table))
            for type_ in enums:
                if not checkfirst or _has_type(conn, type_):
                    conn.execute(DropEnumType(type_))
            for sequence in sequences:
                conn.execute(DropSequence(sequence))
    except BaseException as err:
        if manager is not None:
            manager.__exit__(type(err), err, err.__traceback__)
        raise
    if manager is not None:
        manager.__exit__(None, None, None)


def create_all(metadata: MetaData, bind: Any, tables: Any = None, checkfirst: bool = True) -> None:
    _run(metadata, bind, tables, checkfirst, create=True)


def drop_all(metadata: MetaData, bind: Any, tables: Any = None, checkfirst: bool = True) -> None:
    _run(metadata, bind, tables, checkfirst, create=False)

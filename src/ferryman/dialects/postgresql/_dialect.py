"""The PostgreSQL dialect: SQL flavour and the SQLSTATE error map used by every driver."""

from __future__ import annotations

import json
from typing import Any, ClassVar

from ... import exc
from ...sql import SQLCompiler, TextClause, text
from ...sql._schema import Column
from ...sql._types import (
    JSON,
    BigInteger,
    Integer,
    JSONIndexType,
    JSONPathType,
    SmallInteger,
    TypeEngine,
)
from .._base import Dialect
from . import _reflection

__all__ = [
    "PGDialect",
    "connect_kwargs",
    "error_for_sqlstate",
    "is_disconnect_sqlstate",
    "rowcount_from_status",
]


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _path_list(path: tuple[Any, ...]) -> list[str]:
    return [str(part) for part in path]


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


_SERIAL: dict[type, str] = {
    SmallInteger: "SMALLSERIAL",
    BigInteger: "BIGSERIAL",
    Integer: "SERIAL",
}


class PGCompiler(SQLCompiler):
    """PostgreSQL's flavour: an integer primary key is a SERIAL; native enum types."""

    def _array_param(self, bind: Any, cast: str) -> str:
        """An array parameter cast to ``cast[]``; psycopg gets it in binary, which skips
        quoting every element into array text (several times faster)."""
        mark = self.process(bind)
        if self.dialect.driver == "psycopg":
            self.binary_slots.add(int(mark.strip("\x00")))
        return f"CAST({mark} AS {cast}[])"

    def visit_cast(self, cast: Any, **kw: Any) -> str:
        """A bound list cast to an array (``col = any(CAST(:keys AS INTEGER[]))``) goes to
        psycopg in binary, like the bulk statements' arrays."""
        element = cast.element
        if type(element).__name__ == "BindParameter" and cast.type.ddl("postgresql").endswith(
            "[]"
        ):
            return self._array_param(element, cast.type.ddl("postgresql")[:-2])
        return super().visit_cast(cast, **kw)

    def visit_unnest_update(self, stmt: Any, **kw: Any) -> str:
        """``UPDATE ... FROM unnest(...)`` (``_bulk.py``)."""
        values = [f"fm_v{i}" for i in range(len(stmt.columns))]
        keys = [f"fm_k{i}" for i in range(len(stmt.keys))]
        arrays = ", ".join(
            self._array_param(bind, cast)
            for bind, cast in zip(stmt.binds, stmt.casts, strict=True)
        )
        table = self.table_name(stmt.table)
        sets = ", ".join(
            f"{self.quote(c.name)} = u.{v}" for c, v in zip(stmt.columns, values, strict=True)
        )
        where = " AND ".join(
            f"{table}.{self.quote(c.name)} = u.{k}" for c, k in zip(stmt.keys, keys, strict=True)
        )
        return (
            f"UPDATE {table} SET {sets} FROM unnest({arrays}) AS u({', '.join(values + keys)}) "
            f"WHERE {where}"
        )

    def visit_unnest_insert(self, stmt: Any, **kw: Any) -> str:
        """``INSERT ... SELECT ... FROM unnest(...) WITH ORDINALITY`` (``_bulk.py``)."""
        names = [self.quote(c.name) for c in stmt.columns]
        arrays = ", ".join(
            self._array_param(bind, cast)
            for bind, cast in zip(stmt.binds, stmt.casts, strict=True)
        )
        text = (
            f"INSERT INTO {self.table_name(stmt.table)} ({', '.join(names)}) "
            f"SELECT {', '.join('u.' + n for n in names)} FROM unnest({arrays}) "
            f"WITH ORDINALITY AS u({', '.join(names)}, fm_ord) ORDER BY u.fm_ord"
        )
        if stmt.returning:
            self._result_types = [c.type for c in stmt.returning]
            text += " RETURNING " + ", ".join(self.process(c) for c in stmt.returning)
        return text

    def column_ddl(self, column: Column) -> str:
        text = super().column_ddl(column)
        identity = column.identity
        if identity is not None:
            kind = "ALWAYS" if identity.always else "BY DEFAULT"
            options = []
            if identity.start is not None:
                options.append(f"START WITH {int(identity.start)}")
            if identity.increment is not None:
                options.append(f"INCREMENT BY {int(identity.increment)}")
            text += f" GENERATED {kind} AS IDENTITY"
            if options:
                text += " (" + " ".join(options) + ")"
        elif column.sequence is not None and column.server_default is None:
            name = self.sequence_name(column.sequence)
            text += f" DEFAULT nextval({self.render_literal(name)})"
        return text

    def sequence_name(self, sequence: Any) -> str:
        name = self.quote(sequence.name)
        return f"{self.quote(sequence.schema)}.{name}" if sequence.schema else name

    def visit_create_sequence(self, create: Any, **kw: Any) -> str:
        sequence = create.element
        text = f"CREATE SEQUENCE IF NOT EXISTS {self.sequence_name(sequence)}"
        if sequence.start is not None:
            text += f" START WITH {int(sequence.start)}"
        if sequence.increment is not None:
            text += f" INCREMENT BY {int(sequence.increment)}"
        return text

    def visit_drop_sequence(self, drop: Any, **kw: Any) -> str:
        return f"DROP SEQUENCE IF EXISTS {self.sequence_name(drop.element)}"

    def visit_set_comment(self, comment: Any, **kw: Any) -> str:
        target = comment.element
        if isinstance(target, Column):
            assert target.table is not None
            what = f"COLUMN {self.table_name(target.table)}.{self.quote(target.name)}"
        else:
            what = f"TABLE {self.table_name(target)}"
        return f"COMMENT ON {what} IS {self.render_literal(target.comment)}"

    def visit_create_enum_type(self, create: Any, **kw: Any) -> str:
        type_ = create.element
        labels = ", ".join(self.render_literal(value) for value in type_.enums)
        return f"CREATE TYPE {type_.ddl(self.dialect.name)} AS ENUM ({labels})"

    def visit_drop_enum_type(self, drop: Any, **kw: Any) -> str:
        return f"DROP TYPE {drop.element.ddl(self.dialect.name)}"

    def column_type(self, column: Column) -> str:
        table = column.table
        if (
            table is not None
            and column.identity is None
            and column.sequence is None
            and table.primary_key.columns == [column]
            and column.autoincrement in ("auto", True)
            and column.server_default is None
            and not column.foreign_keys
            and type(column.type) in _SERIAL
        ):
            return _SERIAL[type(column.type)]
        return super().column_type(column)


class PGDialect(Dialect):
    name: ClassVar[str] = "postgresql"
    default_isolation_level: ClassVar[str] = "READ COMMITTED"
    isolation_levels: ClassVar[frozenset[str]] = frozenset(
        {"READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE", "AUTOCOMMIT"}
    )

    statement_compiler: ClassVar[type[SQLCompiler]] = PGCompiler
    supports_native_enum: ClassVar[bool] = True
    reflection: ClassVar[Any] = _reflection
    supports_sequences: ClassVar[bool] = True
    supports_comments: ClassVar[bool] = True

    def has_type_query(self, name: str) -> TextClause:
        return text("SELECT typname FROM pg_catalog.pg_type WHERE typname = :name").bindparams(
            name=name
        )

    def begin_sql(self, isolation_level: str | None) -> str:
        if isolation_level is None or isolation_level == "AUTOCOMMIT":
            return "BEGIN"
        return f"BEGIN ISOLATION LEVEL {isolation_level}"

    def bind_converter(self, type_: TypeEngine) -> Any:
        if isinstance(type_, JSONPathType):
            return _path_list
        if isinstance(type_, JSONIndexType):
            return None  # sent as it is, cast in the SQL
        if isinstance(type_, JSON):
            if self.driver == "psycopg":
                from psycopg.types.json import Json

                return Json
            return _json_text
        return None

    def result_converter(self, type_: TypeEngine) -> Any:
        if isinstance(type_, JSON) and self.driver == "asyncpg":
            return _json_value
        return None

    def has_table_query(self, name: str, schema: str | None) -> TextClause:
        query = (
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n "
            "ON n.oid = c.relnamespace WHERE c.relname = :name AND c.relkind IN "
            "('r', 'p', 'v', 'm', 'f') AND n.nspname = "
            + ("CAST(:schema AS TEXT)" if schema else "current_schema()")
        )
        values = {"name": name, "schema": schema} if schema else {"name": name}
        return text(query).bindparams(**values)


# SQLSTATE class (first two characters) -> DBAPI error class. Same table for
# psycopg and asyncpg, so one failure is one class whatever the driver.
_BY_CLASS: dict[str, type[exc.DBAPIError]] = {
    "08": exc.OperationalError,  # connection exception
    "0A": exc.NotSupportedError,  # feature not supported
    "20": exc.ProgrammingError,  # case not found
    "21": exc.ProgrammingError,  # cardinality violation
    "22": exc.DataError,  # data exception
    "23": exc.IntegrityError,  # integrity constraint violation
    "24": exc.InternalError,  # invalid cursor state
    "25": exc.InternalError,  # invalid transaction state
    "26": exc.ProgrammingError,  # invalid SQL statement name
    "27": exc.OperationalError,  # triggered data change violation
    "28": exc.OperationalError,  # invalid authorization specification
    "2B": exc.InternalError,
    "2D": exc.InternalError,
    "2F": exc.InternalError,
    "34": exc.ProgrammingError,  # invalid cursor name
    "38": exc.InternalError,
    "39": exc.InternalError,
    "3B": exc.InternalError,
    "3D": exc.ProgrammingError,  # invalid catalog name
    "3F": exc.ProgrammingError,  # invalid schema name
    "40": exc.OperationalError,  # transaction rollback: serialization failure, deadlock
    "42": exc.ProgrammingError,  # syntax error or access rule violation
    "44": exc.ProgrammingError,  # WITH CHECK OPTION violation
    "53": exc.OperationalError,  # insufficient resources
    "54": exc.OperationalError,  # program limit exceeded
    "55": exc.OperationalError,  # object not in prerequisite state (lock not available)
    "57": exc.OperationalError,  # operator intervention (query canceled, shutdown)
    "58": exc.OperationalError,  # system error
    "72": exc.InternalError,  # snapshot failure
    "F0": exc.InternalError,
    "HV": exc.OperationalError,
    "P0": exc.InternalError,  # PL/pgSQL
    "XX": exc.InternalError,
}
_DISCONNECT_STATES = {"57P01", "57P02", "57P03", "08000", "08003", "08006", "08001", "08004"}


def is_disconnect_sqlstate(sqlstate: str | None) -> bool:
    return sqlstate is not None and (sqlstate in _DISCONNECT_STATES or sqlstate[:2] == "08")


def error_for_sqlstate(
    message: str, sqlstate: str | None, orig: BaseException, *, disconnect: bool = False
) -> exc.DBAPIError:
    cls = _BY_CLASS.get(sqlstate[:2], exc.DatabaseError) if sqlstate else exc.OperationalError
    if sqlstate == "0A000" and "cached plan must not change result type" in message:
        message = f"{STALE_PLAN_HINT} ({message})"
    if disconnect or is_disconnect_sqlstate(sqlstate):
        cls = exc.OperationalError
        disconnect = True
    return cls(message, orig=orig, sqlstate=sqlstate, connection_invalidated=disconnect)


STALE_PLAN_HINT = (
    "The result columns of this statement changed since it was prepared on this "
    "connection (a table it reads was altered, probably by another connection); "
    "the prepared statements are dropped: roll back and run the transaction again"
)


def rowcount_from_status(status: str | None) -> int:
    """``"UPDATE 3"`` → 3, ``"INSERT 0 5"`` → 5; -1 when the status has no count."""
    if not status:
        return -1
    last = status.rpartition(" ")[2]
    return int(last) if last.isdigit() else -1


def connect_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """Host, port, user, password, database from a URL's parts (only those given)."""
    mapping = {"host": "host", "port": "port", "username": "user", "password": "password"}
    kwargs = {ours: params[key] for key, ours in mapping.items() if params.get(key) is not None}
    if params.get("database"):
        kwargs["dbname"] = params["database"]
    return kwargs

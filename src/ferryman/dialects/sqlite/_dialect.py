"""The SQLite dialect: SQL flavour and error mapping shared by sqlite3 and aiosqlite."""

from __future__ import annotations

import datetime
import decimal
import json
import sqlite3
import uuid
from typing import Any, ClassVar

from ... import exc
from ...sql import SQLCompiler, TextClause, text
from ...sql._types import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Interval,
    JSONIndexType,
    JSONPathType,
    Numeric,
    Time,
    TypeEngine,
    Uuid,
)
from .._base import Dialect
from .._processors import json_path
from . import _reflection

__all__ = ["SQLiteDialect", "connect_args", "translate_error"]


def _text_to(parse: Any) -> Any:
    def read(value: Any) -> Any:
        return parse(value) if isinstance(value, str) else value

    def column(values: Any) -> list[Any]:  # a whole result column, no call per value
        return [parse(v) if isinstance(v, str) else v for v in values]

    read.column = column  # type: ignore[attr-defined]
    return read


def _decimal_reader(scale: int | None) -> Any:
    quantum = decimal.Decimal(1).scaleb(-scale) if scale is not None else None

    def read(value: Any) -> Any:
        if isinstance(value, decimal.Decimal):
            return value
        number = decimal.Decimal(str(value))
        return number.quantize(quantum) if quantum is not None else number

    return read


def _to_number(value: Any) -> Any:
    # A Decimal goes in as text; NUMERIC affinity stores it as a number.
    return str(value) if isinstance(value, decimal.Decimal) else value


def _date_text(value: Any) -> datetime.date:
    return datetime.date.fromisoformat(value[:10])


def _microseconds(value: datetime.timedelta) -> int:
    return value // datetime.timedelta(microseconds=1)


def _from_microseconds(value: Any) -> datetime.timedelta:
    return datetime.timedelta(microseconds=value)


def _uuid_text(value: str) -> uuid.UUID:
    return uuid.UUID(hex=value)


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


# SQLite has no date, time, decimal, boolean, JSON or UUID types: how each is stored.
_CONVERSIONS: list[tuple[type, tuple[Any, Any]]] = [
    (DateTime, (lambda v: v.isoformat(" "), _text_to(datetime.datetime.fromisoformat))),
    (Date, (lambda v: v.isoformat(), _text_to(_date_text))),
    (Time, (lambda v: v.isoformat(), _text_to(datetime.time.fromisoformat))),
    (Interval, (_microseconds, _from_microseconds)),
    (Boolean, (int, bool)),
    (JSON, (_json_text, _text_to(json.loads))),
    (Uuid, (lambda v: v.hex, _text_to(_uuid_text))),
    (Float, (None, float)),
    (Numeric, (_to_number, None)),
]


class SQLiteCompiler(SQLCompiler):
    """SQLite's flavour: no ILIKE, OFFSET needs a LIMIT, no row locks."""

    def visit_ilike(self, binary: Any, left: str, hint: str | None) -> str:
        right = self._operand(binary.right, "ILIKE", name_hint=hint)
        return f"lower({left}) LIKE lower({right})"

    def limit_clause(self, select: Any) -> str:
        if select._offset is not None and select._limit is None:
            return " LIMIT -1 OFFSET " + self.process(select._offset)
        return super().limit_clause(select)

    def visit_json_index(self, element: Any, **kw: Any) -> str:
        extract = f"JSON_EXTRACT({self.process(element.element)}, {self.process(element.index)})"
        if element.kind == "json":
            return f"JSON_QUOTE({extract})"  # JSON text back, whatever the value's type
        if element.kind in self._JSON_CASTS:
            sqlite_type = {"integer": "INTEGER", "float": "REAL", "boolean": "INTEGER"}
            return f"CAST({extract} AS {sqlite_type[element.kind]})"
        return extract

    def visit_table_valued(self, function: Any, **kw: Any) -> str:
        # SQLite names a table-valued function's columns itself (no column list).
        return f"{self.process(function.element)} AS {self.quote(self.name_of(function))}"

    def visit_values(self, values: Any, **kw: Any) -> str:
        # SQLite can't name a VALUES list's columns
        return self.values_as_union(values)

    def visit_lateral(self, lateral: Any, **kw: Any) -> str:
        raise exc.ArgumentError("SQLite has no LATERAL subqueries")

    def visit_column_valued_column(self, column: Any, **kw: Any) -> str:
        # SQLite's table-valued functions (json_each, ...) name their value column.
        return f"{self.quote(self.name_of(column.table))}.value"

    def delete_using(self, tables: list[Any]) -> str:
        names = ", ".join(t.name for t in tables)
        raise exc.ArgumentError(
            f"SQLite can't DELETE with other tables in the statement ({names}); use a "
            "subquery: .where(t.c.id.in_(select(...)))"
        )

    def for_update_clause(self, options: dict[str, Any]) -> str:
        return ""  # SQLite locks the whole database; there is nothing to add

    def visit_function(self, function: Any, **kw: Any) -> str:
        if function.name.lower() == "now" and not function.args:
            return "CURRENT_TIMESTAMP"
        return super().visit_function(function, **kw)


class SQLiteDialect(Dialect):
    name: ClassVar[str] = "sqlite"
    default_isolation_level: ClassVar[str] = "SERIALIZABLE"
    isolation_levels: ClassVar[frozenset[str]] = frozenset({"SERIALIZABLE", "AUTOCOMMIT"})
    statement_compiler: ClassVar[type[SQLCompiler]] = SQLiteCompiler
    supports_alter_constraint: ClassVar[bool] = False
    reflection: ClassVar[Any] = _reflection

    def __init__(self, driver: str) -> None:
        super().__init__("qmark", driver)

    def bind_converter(self, type_: TypeEngine) -> Any:
        if isinstance(type_, (JSONIndexType, JSONPathType)):
            return json_path
        for kind, (to_db, _) in _CONVERSIONS:
            if isinstance(type_, kind):
                return to_db
        return None

    def result_converter(self, type_: TypeEngine) -> Any:
        if isinstance(type_, Numeric) and not isinstance(type_, Float):
            return _decimal_reader(type_.scale)
        for kind, (_, from_db) in _CONVERSIONS:
            if isinstance(type_, kind):
                return from_db
        return None

    def has_table_query(self, name: str, schema: str | None) -> TextClause:
        master = f'"{schema}".sqlite_master' if schema else "sqlite_master"
        query = f"SELECT name FROM {master} WHERE type = 'table' AND name = :name"
        return text(query).bindparams(name=name)


# Result codes whose failure is the statement's fault (it does not compile:
# syntax, missing table or column), reported as ProgrammingError as on PostgreSQL.
_PROGRAMMING = {"SQLITE_ERROR"}
_BY_CLASS: list[tuple[type[BaseException], type[exc.DBAPIError]]] = [
    (sqlite3.IntegrityError, exc.IntegrityError),
    (sqlite3.ProgrammingError, exc.ProgrammingError),
    (sqlite3.DataError, exc.DataError),
    (sqlite3.NotSupportedError, exc.NotSupportedError),
    (sqlite3.InternalError, exc.InternalError),
    (sqlite3.OperationalError, exc.OperationalError),
    (sqlite3.InterfaceError, exc.InterfaceError),
    (sqlite3.DatabaseError, exc.DatabaseError),
]


def translate_error(err: BaseException) -> exc.DBAPIError:
    """A ferryman error for a sqlite3 exception (aiosqlite raises the same classes)."""
    name = getattr(err, "sqlite_errorname", None)
    cls: type[exc.DBAPIError] = exc.DBAPIError
    for driver_cls, ours in _BY_CLASS:
        if isinstance(err, driver_cls):
            cls = ours
            break
    if cls is exc.OperationalError and name in _PROGRAMMING:
        cls = exc.ProgrammingError
    if isinstance(err, (TypeError, OverflowError, ValueError)):
        cls = exc.DataError
    return cls(str(err), orig=err, sqlstate=name)


def connect_args(params: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The sqlite3.connect() arguments for a URL's parts.

    ``sqlite://`` and ``sqlite:///:memory:`` open a private in-memory database;
    ``sqlite:///file.db`` a file relative to the working directory,
    ``sqlite:////abs/file.db`` an absolute path; ``?mode=ro`` and other URI
    options are passed through as a ``file:`` URI.
    """
    database = params.get("database") or ":memory:"
    query = dict(params.get("query") or {})
    kwargs: dict[str, Any] = {"isolation_level": None, "check_same_thread": False}
    if "timeout" in query:
        kwargs["timeout"] = float(query.pop("timeout"))
    uri = str(query.pop("uri", "")).lower() in ("true", "1") or database.startswith("file:")
    if query:
        database = ("" if database.startswith("file:") else "file:") + database
        database += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        uri = True
    kwargs["uri"] = uri
    kwargs.update(params.get("connect_args") or {})
    return database, kwargs

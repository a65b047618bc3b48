"""The MySQL / MariaDB dialect: SQL flavour, types and the error map of both drivers.

One dialect serves MariaDB and MySQL. What differs between servers (``RETURNING``
on MariaDB 10.5 and later, the native ``UUID`` type of MariaDB 10.7) is read from
the server version when an engine's first connection opens (``initialize``); each
engine has a dialect of its own for that reason (``for_engine``).
"""

from __future__ import annotations

import copy
import datetime
import json
import re
import uuid
from typing import Any, ClassVar

from ... import exc
from ...sql import SQLCompiler, TextClause, text
from ...sql._schema import Column
from ...sql._types import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    Integer,
    Interval,
    JSONIndexType,
    JSONPathType,
    LargeBinary,
    Numeric,
    String,
    Text,
    Time,
    TypeDecorator,
    TypeEngine,
    Uuid,
)
from .._base import Dialect
from .._processors import json_path

__all__ = ["MySQLCompiler", "MySQLDialect", "connect_kwargs", "translate_error"]

# MySQL 8 and MariaDB reserved words that a plain lower-case name may collide with
# (the rest of the identifiers go unquoted, as in the other dialects' echo).
RESERVED = frozenset(
    """accessible add all alter analyze and as asc asensitive before between bigint binary
    blob both by call cascade case change char character check collate column condition
    constraint continue convert create cross cube cume_dist current_date current_role
    current_time current_timestamp current_user cursor database databases day_hour
    day_microsecond day_minute day_second dec decimal declare default delayed delete
    dense_rank desc describe deterministic distinct distinctrow div double drop dual each
    else elseif empty enclosed escaped except exists exit explain false fetch first_value
    float float4 float8 for force foreign from fulltext function generated get grant group
    grouping groups having high_priority hour_microsecond hour_minute hour_second if ignore
    in index infile inner inout insensitive insert int int1 int2 int3 int4 int8 integer
    intersect interval into io_after_gtids io_before_gtids is iterate join json_table key
    keys kill lag last_value lateral lead leading leave left like limit linear lines load
    localtime localtimestamp lock long longblob longtext loop low_priority master_bind
    master_ssl_verify_server_cert match maxvalue mediumblob mediumint mediumtext middleint
    minute_microsecond minute_second mod modifies natural not no_write_to_binlog nth_value
    ntile null numeric of offset on optimize optimizer_costs option optionally or order out
    outer outfile over partition percent_rank precision primary procedure purge range rank
    read reads read_write real recursive references regexp release rename repeat replace
    require resignal restrict return returning revoke right rlike row row_number rows
    schema schemas second_microsecond select sensitive separator set show signal smallint
    spatial specific sql sqlexception sqlstate sqlwarning sql_big_result
    sql_calc_found_rows sql_small_result ssl starting stored straight_join system table
    terminated then tinyblob tinyint tinytext to trailing trigger true undo union unique
    unlock unsigned update usage use using utc_date utc_time utc_timestamp values
    varbinary varchar varcharacter varying virtual when where while window with write xor
    year_month zerofill""".split()  # noqa: SIM905
)
_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
# An OFFSET needs a LIMIT: this one is "no limit" (the largest unsigned BIGINT).
_NO_LIMIT = "18446744073709551615"


def _json_text(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_value(value: Any) -> Any:
    return json.loads(value) if isinstance(value, (str, bytes)) else value


def _bool(value: Any) -> bool:
    return bool(value)


def _time_value(value: Any) -> Any:
    """MySQL's drivers read TIME as a timedelta (it is a duration up to 838 hours)."""
    if isinstance(value, datetime.timedelta):
        seconds, micro = divmod(value // datetime.timedelta(microseconds=1), 1_000_000)
        minutes, second = divmod(seconds, 60)
        hour, minute = divmod(minutes, 60)
        return datetime.time(hour % 24, minute, second, micro)
    return value


def _microseconds(value: datetime.timedelta) -> int:
    return value // datetime.timedelta(microseconds=1)


def _from_microseconds(value: Any) -> datetime.timedelta:
    return datetime.timedelta(microseconds=int(value))


def _uuid_text(value: Any) -> str:
    return str(value if isinstance(value, uuid.UUID) else uuid.UUID(str(value)))


def _uuid_value(value: Any) -> Any:
    if isinstance(value, bytes):
        value = value.decode()
    return uuid.UUID(value) if isinstance(value, str) else value


def _utc_naive(value: datetime.datetime) -> datetime.datetime:
    """An aware datetime as naive UTC (MySQL's DATETIME has no time zone)."""
    if value.tzinfo is None:
        return value
    return value.astimezone(datetime.UTC).replace(tzinfo=None)


def _utc_aware(value: Any) -> Any:
    return value.replace(tzinfo=datetime.UTC) if isinstance(value, datetime.datetime) else value


def _undecorated(type_: TypeEngine) -> TypeEngine:
    while isinstance(type_, TypeDecorator):
        type_ = type_.impl_instance
    return type_


# How values travel that MySQL's drivers don't take or give as the type's Python
# values: (to the database, from it); None: as they are.
_CONVERSIONS: list[tuple[Any, tuple[Any, Any]]] = [
    (JSONIndexType | JSONPathType, (json_path, None)),
    (JSON, (_json_text, _json_value)),
    (Interval, (_microseconds, _from_microseconds)),
    (Uuid, (_uuid_text, _uuid_value)),
    (Boolean, (None, _bool)),
    (Time, (None, _time_value)),
]


class MySQLCompiler(SQLCompiler):
    """MySQL's flavour: backtick identifiers, AUTO_INCREMENT, CONCAT(), ON DUPLICATE
    KEY UPDATE, multi-table UPDATE / DELETE, and no UPDATE ... RETURNING."""

    # -- identifiers and literals --

    def quote(self, name: str) -> str:
        if _PLAIN.match(name) and name not in RESERVED:
            return name
        return "`" + name.replace("`", "``") + "`"

    def render_literal(self, value: Any) -> str:
        if isinstance(value, str):
            if "\x00" in value:
                raise exc.ArgumentError("A NUL character can't be rendered as a SQL literal")
            # a backslash starts an escape in MySQL's string literals
            return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"
        return super().render_literal(value)

    # -- types --

    def type_ddl(self, type_: TypeEngine, where: str = "") -> str:
        """``type_`` as MySQL spells it in CREATE TABLE."""
        type_ = _undecorated(type_)
        if isinstance(type_, Enum):
            if type_.native_enum:
                return "ENUM(" + ", ".join(self.render_literal(v) for v in type_.enums) + ")"
            return f"VARCHAR({type_.length})"
        if isinstance(type_, Text):
            return "LONGTEXT"
        if isinstance(type_, String):
            if not type_.length:
                raise exc.CompileError(
                    f"VARCHAR needs a length on MySQL{where}: use String(255) (or another "
                    "length), or Text for text of any length"
                )
            collate = f" COLLATE {self.quote(type_.collation)}" if type_.collation else ""
            return f"VARCHAR({type_.length}){collate}"
        if isinstance(type_, Boolean):
            return "BOOL"
        if isinstance(type_, Float):
            return "DOUBLE"
        if isinstance(type_, Numeric):
            if type_.precision is None:
                return "DECIMAL(65, 30)"  # MySQL's bare DECIMAL would be DECIMAL(10, 0)
            if type_.scale is None:
                return f"DECIMAL({type_.precision})"
            return f"DECIMAL({type_.precision}, {type_.scale})"
        if isinstance(type_, DateTime):
            return "DATETIME(6)"
        if isinstance(type_, Time):
            return "TIME(6)"
        if isinstance(type_, Interval):
            return "BIGINT"  # whole microseconds
        if isinstance(type_, LargeBinary):
            return "LONGBLOB"
        if isinstance(type_, Uuid):
            return "UUID" if self.dialect.supports_native_uuid else "CHAR(36)"
        if isinstance(type_, JSON):
            return "JSON"
        return type_.ddl("mysql")

    def cast_type(self, type_: TypeEngine) -> str:
        """``type_`` as CAST takes it (a smaller set of names than CREATE TABLE's)."""
        type_ = _undecorated(type_)
        if isinstance(type_, Boolean | Integer):
            return "SIGNED"
        if isinstance(type_, Float):
            return "DOUBLE"
        if isinstance(type_, Numeric):
            return self.type_ddl(type_)
        if isinstance(type_, DateTime):
            return "DATETIME(6)"
        if isinstance(type_, Time):
            return "TIME(6)"
        if isinstance(type_, Date):
            return "DATE"
        if isinstance(type_, LargeBinary):
            return "BINARY"
        if isinstance(type_, String) and type_.length and not isinstance(type_, Text | Enum):
            return f"CHAR({type_.length})"
        if isinstance(type_, String | Uuid | JSON):
            return "CHAR"
        return type_.ddl("mysql")

    def visit_cast(self, cast: Any, **kw: Any) -> str:
        inner = self.process(cast.element, **kw)
        if isinstance(_undecorated(cast.type), JSON):
            return inner  # MariaDB has no CAST(... AS JSON): a JSON value is its text
        return f"CAST({inner} AS {self.cast_type(cast.type)})"

    # -- operators and functions --

    def visit_binary(self, binary: Any, **kw: Any) -> str:
        if binary.operator == "||":  # string concatenation; || is OR in MySQL
            parts = []
            for side in (binary.left, binary.right):
                if getattr(side, "operator", None) == "||":
                    parts.append(self.process(side, **kw)[len("CONCAT(") : -1])
                else:
                    parts.append(self.process(side, **kw))
            return f"CONCAT({', '.join(parts)})"
        return super().visit_binary(binary, **kw)

    def visit_ilike(self, binary: Any, left: str, hint: str | None) -> str:
        right = self._operand(binary.right, "ILIKE", name_hint=hint)
        text = f"lower({left}) LIKE lower({right})"
        if binary.escape is not None:
            text += f" ESCAPE {self.render_literal(binary.escape)}"
        return text

    def visit_unary(self, unary: Any, **kw: Any) -> str:
        modifier = getattr(unary, "modifier", None)
        if isinstance(modifier, str) and modifier.startswith('COLLATE "'):
            name = modifier[len('COLLATE "') : -1].replace('""', '"')
            inner = self._operand(unary.element, "COLLATE", **kw)
            return f"{inner} COLLATE {self.quote(name)}"
        if modifier in ("NULLS FIRST", "NULLS LAST"):
            # MySQL has no NULLS FIRST / LAST: order by "is null" first
            inner = self.process(unary.element, **kw)
            nulls_first = modifier == "NULLS FIRST"
            bare = inner.rsplit(" ", 1)[0] if inner.endswith((" ASC", " DESC")) else inner
            return f"{bare} IS NULL {'DESC' if nulls_first else 'ASC'}, {inner}"
        return super().visit_unary(unary, **kw)

    def visit_function(self, function: Any, **kw: Any) -> str:
        name = function.name.lower()
        if not function.args:
            if name in ("now", "current_timestamp", "localtimestamp", "localtime"):
                return "CURRENT_TIMESTAMP(6)"
            if name == "random":
                return "RAND()"
        return super().visit_function(function, **kw)

    def visit_function_filter(self, filtered: Any, **kw: Any) -> str:
        """``agg(x) FILTER (WHERE c)`` as ``agg(CASE WHEN c THEN x END)``: MySQL has no
        FILTER, and an aggregate skips the NULLs the CASE gives other rows."""
        from ...sql._elements import and_

        function = filtered.func
        condition = self.process(and_(*filtered.criteria))
        if function.name.lower() == "count" and not function.args:
            arguments = ["1"]
        else:
            arguments = [self.process(arg, **kw) for arg in function.args]
        if len(arguments) != 1:
            raise exc.CompileError(
                f"MySQL has no FILTER clause, and {function.name}() with "
                f"{len(arguments)} arguments can't be written with CASE; use a WHERE"
            )
        return f"{function.name}(CASE WHEN {condition} THEN {arguments[0]} END)"

    def visit_json_index(self, element: Any, **kw: Any) -> str:
        """``JSON_EXTRACT(doc, '$.key')``; a value read as text is unquoted."""
        extract = f"JSON_EXTRACT({self.process(element.element)}, {self.process(element.index)})"
        if element.kind == "json":
            return extract
        if element.kind == "integer":
            return f"CAST(JSON_UNQUOTE({extract}) AS SIGNED)"
        if element.kind == "boolean":
            return f"(JSON_UNQUOTE({extract}) = 'true')"
        if element.kind == "float":
            return f"CAST(JSON_UNQUOTE({extract}) AS DOUBLE)"
        return f"JSON_UNQUOTE({extract})"

    # -- statements --

    def limit_clause(self, select: Any) -> str:
        if select._offset is not None and select._limit is None:
            return f" LIMIT {_NO_LIMIT} OFFSET " + self.process(select._offset)
        return super().limit_clause(select)

    def for_update_clause(self, options: dict[str, Any]) -> str:
        text = " LOCK IN SHARE MODE" if options["read"] else " FOR UPDATE"
        if options["nowait"]:
            text += " NOWAIT"
        if options["skip_locked"]:
            text += " SKIP LOCKED"
        return text

    def visit_values(self, values: Any, **kw: Any) -> str:
        return self.values_as_union(values)

    def visit_lateral(self, lateral: Any, **kw: Any) -> str:
        raise exc.CompileError("MySQL and MariaDB have no LATERAL subqueries")

    def visit_table_valued(self, function: Any, **kw: Any) -> str:
        raise exc.CompileError(
            f"MySQL has no table-valued function {function.element.name}(); select from a "
            "table or a subquery instead"
        )

    def visit_column_valued(self, valued: Any, **kw: Any) -> str:
        raise exc.CompileError(
            f"MySQL has no set-returning function {valued.element.name}(); select from a "
            "table or a subquery instead"
        )

    def empty_insert(self) -> str:
        return "() VALUES ()"

    def _returning(self, stmt: Any) -> str:
        kind = stmt.__visit_name__
        if stmt._returning and (kind == "update" or not self.dialect.supports_returning):
            server = "MariaDB" if self.dialect.is_mariadb else "MySQL"
            which = "INSERT and DELETE" if self.dialect.is_mariadb else "no statement"
            raise exc.CompileError(
                f"{server} has no {kind.upper()} ... RETURNING ({server} takes it on "
                f"{which}); run a SELECT for the {kind}d rows instead"
            )
        return super()._returning(stmt)  # without RETURNING: the key is the last row id

    def on_conflict_clause(self, insert: Any) -> str:
        if getattr(insert, "_on_conflict", None) is not None:
            raise exc.CompileError(
                "MySQL has no ON CONFLICT: use ferryman.dialects.mysql.insert(...)"
                ".on_duplicate_key_update(...)"
            )
        pairs = getattr(insert, "_on_duplicate", None)
        if not pairs:
            return ""
        sets = ", ".join(
            f"{self.quote(column.name)} = "
            + self.process(value, name_hint=column.name, label=f"column {column.name}")
            for column, value in pairs
        )
        return f" ON DUPLICATE KEY UPDATE {sets}"

    def visit_derived_column(self, column: Any, **kw: Any) -> str:
        if column.table.name == "inserted" and getattr(column.table, "is_inserted_row", False):
            return f"VALUES({self.quote(column.name)})"  # ON DUPLICATE KEY UPDATE's row
        return super().visit_derived_column(column, **kw)

    def _multi_table(self, stmt: Any, head: Any) -> str:
        """An UPDATE / DELETE naming other tables, MySQL's way: ``head(target, tables)``
        writes what comes before the WHERE."""
        from ...sql._elements import and_

        extra = self._extra_froms(stmt)
        self._from_stack.append({id(stmt.table), *(id(t) for t in extra)})
        try:
            target = self.table_name(stmt.table)
            text: str = head(target, ", ".join([target, *(self.process(t) for t in extra)]))
            if stmt._where:
                text += " WHERE " + self.process(and_(*stmt._where))
        finally:
            self._from_stack.pop()
        return text

    def visit_update(self, update: Any, **kw: Any) -> str:
        if not self._extra_froms(update):
            return super().visit_update(update, **kw)

        def head(target: str, tables: str) -> str:
            # UPDATE t, other SET t.col = ...: columns named with their table
            pairs = self._dml_pairs(update)
            sets = ", ".join(f"{target}.{self.quote(c.name)} = {v}" for c, v in pairs)
            return f"UPDATE {tables} SET {sets}"

        return self._multi_table(update, head) + self._returning(update)

    def visit_delete(self, delete: Any, **kw: Any) -> str:
        if not self._extra_froms(delete):
            return super().visit_delete(delete, **kw)
        text = self._multi_table(delete, lambda target, tables: f"DELETE {target} FROM {tables}")
        if delete._returning:
            raise exc.CompileError(
                "MariaDB has no RETURNING on a DELETE that names other tables; select the "
                "rows first"
            )
        return text

    # -- DDL --

    def column_type(self, column: Column) -> str:
        where = f" (column {column.table.name}.{column.name})" if column.table is not None else ""
        return self.type_ddl(column.type, where)

    def _native_enum(self, type_: Enum) -> bool:
        return type_.native_enum  # ENUM(...) in the column itself, no CHECK

    def _autoincrement(self, column: Column) -> bool:
        table = column.table
        if table is None or not isinstance(column.type, Integer) or column.foreign_keys:
            return False
        if column.identity is not None or column.sequence is not None:
            return True
        pk = table.primary_key.columns
        return (
            column.primary_key
            and column.server_default is None
            and (
                column.autoincrement is True or (column.autoincrement == "auto" and pk == [column])
            )
        )

    def column_ddl(self, column: Column) -> str:
        text = super().column_ddl(column)
        if self._autoincrement(column):
            if column.nullable:
                text += " NOT NULL"
            text += " AUTO_INCREMENT"
        if column.comment:
            text += " COMMENT " + self.render_literal(column.comment)
        return text

    def visit_create_table(self, create: Any, **kw: Any) -> str:
        table = create.element
        auto = [c for c in table.c if self._autoincrement(c)]
        pk = table.primary_key.columns
        if auto and pk and auto[0] is not pk[0]:
            raise exc.CompileError(
                f"MySQL numbers only a key's first column: the AUTO_INCREMENT column "
                f"{table.name}.{auto[0].name} must come first in the primary key"
            )
        text = super().visit_create_table(create, **kw) + " ENGINE=InnoDB"
        if auto and auto[0].identity is not None and auto[0].identity.start is not None:
            text += f" AUTO_INCREMENT={int(auto[0].identity.start)}"
        if table.comment:
            text += " COMMENT=" + self.render_literal(table.comment)
        return text

    def visit_drop_constraint(self, drop: Any, **kw: Any) -> str:
        from ...sql._schema import ForeignKeyConstraint, UniqueConstraint, constraint_name

        constraint = drop.element
        name = self.quote(constraint_name(constraint) or "")
        table = self.table_name(constraint.table)
        if isinstance(constraint, ForeignKeyConstraint):
            return f"ALTER TABLE {table} DROP FOREIGN KEY {name}"
        if isinstance(constraint, UniqueConstraint):
            return f"ALTER TABLE {table} DROP INDEX {name}"
        return f"ALTER TABLE {table} DROP CONSTRAINT {name}"

    def visit_drop_index(self, drop: Any, **kw: Any) -> str:
        index = drop.element
        return f"DROP INDEX {self.quote(index.name)} ON {self.table_name(index.table)}"


class MySQLDialect(Dialect):
    name: ClassVar[str] = "mysql"
    default_isolation_level: ClassVar[str] = "REPEATABLE READ"
    isolation_levels: ClassVar[frozenset[str]] = frozenset(
        {"READ UNCOMMITTED", "READ COMMITTED", "REPEATABLE READ", "SERIALIZABLE", "AUTOCOMMIT"}
    )
    statement_compiler: ClassVar[type[SQLCompiler]] = MySQLCompiler
    default_level_holds_a_snapshot: ClassVar[bool] = True
    supports_update_returning: ClassVar[bool] = False  # MariaDB: INSERT and DELETE only

    def __init__(self, driver: str) -> None:
        super().__init__("format", driver)
        # Until a connection says otherwise: a MariaDB recent enough for RETURNING.
        self.server_version: tuple[int, ...] = ()
        self.is_mariadb = True
        self.supports_returning = True  # type: ignore[misc]
        self.supports_native_uuid = True

    @property
    def reflection(self) -> Any:
        from . import _reflection

        return _reflection

    def for_engine(self) -> MySQLDialect:
        """A dialect of this engine's own: ``initialize`` sets what its server has."""
        return copy.copy(self)

    def initialize(self, version: str) -> None:
        """Learn the server from its version string (``10.11.19-MariaDB-0+deb12u1``,
        ``8.0.36``)."""
        self.is_mariadb = "mariadb" in version.lower()
        if self.is_mariadb and version.startswith("5.5.5-"):
            version = version[len("5.5.5-") :]  # the prefix MariaDB gives old clients
        numbers = re.match(r"(\d+)\.(\d+)\.(\d+)", version)
        self.server_version = tuple(int(n) for n in numbers.groups()) if numbers else ()
        at_least = self.server_version >= (10, 5) if self.is_mariadb else False
        self.supports_returning = at_least  # type: ignore[misc]
        self.supports_native_uuid = self.is_mariadb and self.server_version >= (10, 7)
        self._processors = {}

    def begin_sql(self, isolation_level: str | None) -> str:
        if isolation_level is None or isolation_level == "AUTOCOMMIT":
            return "BEGIN"
        # two statements: the driver adapter sends them one by one
        return f"SET TRANSACTION ISOLATION LEVEL {isolation_level};BEGIN"

    def bind_converter(self, type_: TypeEngine) -> Any:
        return self._conversion(type_, 0)

    def result_converter(self, type_: TypeEngine) -> Any:
        return self._conversion(type_, 1)

    def _conversion(self, type_: TypeEngine, which: int) -> Any:
        if isinstance(type_, DateTime) and type_.timezone:  # stored as UTC, naive
            return (_utc_naive, _utc_aware)[which]
        for kind, pair in _CONVERSIONS:
            if isinstance(type_, kind):
                return pair[which]
        return None

    def has_table_query(self, name: str, schema: str | None) -> TextClause:
        query = (
            "SELECT table_name FROM information_schema.tables WHERE table_name = :name "
            "AND table_schema = " + ("CAST(:schema AS CHAR)" if schema else "DATABASE()")
        )
        values = {"name": name, "schema": schema} if schema else {"name": name}
        return text(query).bindparams(**values)

    def has_type_query(self, name: str) -> TextClause:
        raise exc.InvalidRequestError("MySQL has no named types: an ENUM lives in its column")


# Server error numbers -> (our class, SQLSTATE). The drivers drop the SQLSTATE the
# server sends, so the ones a caller acts on are restored here.
_ERRNO: dict[int, tuple[type[exc.DBAPIError], str | None]] = {
    1022: (exc.IntegrityError, "23000"),  # duplicate key
    1048: (exc.IntegrityError, "23000"),  # column cannot be null
    1062: (exc.IntegrityError, "23000"),  # duplicate entry
    1169: (exc.IntegrityError, "23000"),
    1216: (exc.IntegrityError, "23000"),  # foreign key: no parent row
    1217: (exc.IntegrityError, "23000"),  # foreign key: row is referenced
    1364: (exc.IntegrityError, "HY000"),  # NOT NULL column without a default
    1451: (exc.IntegrityError, "23000"),  # row is referenced
    1452: (exc.IntegrityError, "23000"),  # no parent row
    1557: (exc.IntegrityError, "23000"),
    1586: (exc.IntegrityError, "23000"),
    3819: (exc.IntegrityError, "HY000"),  # MySQL: CHECK constraint violated
    4025: (exc.IntegrityError, "23000"),  # MariaDB: CHECK constraint failed
    1205: (exc.OperationalError, "HY000"),  # lock wait timeout (retryable)
    1213: (exc.OperationalError, "40001"),  # deadlock (retryable)
    1317: (exc.OperationalError, "70100"),  # query interrupted
    3024: (exc.OperationalError, "HY000"),  # MySQL: max_execution_time exceeded
    1969: (exc.OperationalError, "70100"),  # MariaDB: max_statement_time exceeded
    1054: (exc.ProgrammingError, "42S22"),  # unknown column
    1064: (exc.ProgrammingError, "42000"),  # syntax error
    1146: (exc.ProgrammingError, "42S02"),  # no such table
    1050: (exc.ProgrammingError, "42S01"),  # table exists
    1264: (exc.DataError, "22003"),  # out of range
    1265: (exc.DataError, "01000"),  # data truncated
    1366: (exc.DataError, "HY000"),  # incorrect value
    1292: (exc.DataError, "22007"),  # incorrect date / time value
    1406: (exc.DataError, "22001"),  # data too long
    1690: (exc.DataError, "22003"),  # value out of range
    4078: (exc.DataError, "HY000"),  # MariaDB: illegal value for a type (UUID)
}
# Errors after which the connection is gone: server gone away, lost connection,
# out of sync, killed, shut down.
DISCONNECT_ERRNOS = frozenset({1053, 1077, 1078, 1079, 1080, 1927, 2006, 2013, 2014, 2045})
DISCONNECT_ERRNOS |= frozenset({2055, 4031})
_CLASSES = (
    "IntegrityError",
    "ProgrammingError",
    "DataError",
    "NotSupportedError",
    "InternalError",
    "OperationalError",
    "InterfaceError",
    "DatabaseError",
)


def translate_error(err: BaseException, broken: bool = False) -> exc.DBAPIError:
    """A ferryman error for a pymysql / asyncmy exception (both raise the same
    classes, carrying ``(errno, message)``); ``broken``: the socket is known gone."""
    args: tuple[Any, ...] = tuple(getattr(err, "args", ()))
    errno = args[0] if args and isinstance(args[0], int) else None
    message = str(args[1]) if len(args) > 1 else str(err)
    if errno is not None:
        message = f"({errno}) {message}"
    known = _ERRNO.get(errno) if errno is not None else None
    if known is not None:
        cls, sqlstate = known
    else:
        sqlstate = None
        cls = exc.DBAPIError
        names = {klass.__name__ for klass in type(err).__mro__}
        for name in _CLASSES:
            if name in names:
                cls = getattr(exc, name)
                break
        if isinstance(err, OSError | ConnectionError | EOFError):
            cls = exc.OperationalError
            broken = True
        elif isinstance(err, TypeError | ValueError | OverflowError):
            cls = exc.DataError
    disconnect = broken or errno in DISCONNECT_ERRNOS
    if disconnect:
        cls = exc.OperationalError
    return cls(
        message, orig=err, sqlstate=sqlstate, connection_invalidated=disconnect, errno=errno
    )


def connect_kwargs(params: dict[str, Any]) -> dict[str, Any]:
    """pymysql / asyncmy ``connect()`` arguments from a URL's parts."""
    mapping = {"host": "host", "username": "user", "password": "password"}
    kwargs: dict[str, Any] = {
        ours: params[key] for key, ours in mapping.items() if params.get(key) is not None
    }
    kwargs.setdefault("host", "localhost")
    if params.get("port") is not None:
        kwargs["port"] = int(params["port"])
    if params.get("database"):
        kwargs["database"] = params["database"]
    query = dict(params.get("query") or {})
    for name in ("connect_timeout", "read_timeout", "write_timeout"):
        if name in query:
            kwargs[name] = float(query.pop(name))
    if "unix_socket" in query:
        kwargs["unix_socket"] = query.pop("unix_socket")
    kwargs["charset"] = query.pop("charset", "utf8mb4")
    if query:
        raise exc.ArgumentError(
            f"Unknown MySQL URL option(s): {', '.join(sorted(query))}; known: charset, "
            "connect_timeout, read_timeout, write_timeout, unix_socket (pass others as "
            "connect_args={...})"
        )
    kwargs.update(params.get("connect_args") or {})
    return kwargs

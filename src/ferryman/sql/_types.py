"""Column types: the Python values a column holds and its name in DDL.

A type answers two questions: what is it called in each dialect's DDL
(``ddl(dialect_name)``), and which Python type it holds (``python_type``,
used to pick the type of a bound literal). Bind and result processing per
dialect are added on top of this.
"""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any

from .. import exc

__all__ = [
    "JSON",
    "BigInteger",
    "Boolean",
    "Date",
    "DateTime",
    "Double",
    "Enum",
    "Float",
    "Integer",
    "Interval",
    "LargeBinary",
    "NullType",
    "Numeric",
    "SmallInteger",
    "String",
    "Text",
    "Time",
    "TypeDecorator",
    "TypeEngine",
    "Unicode",
    "Uuid",
    "to_instance",
    "type_for_value",
]


class TypeEngine:
    """Base of every column type."""

    python_type: type = object
    _ddl_name = "NULL"

    def ddl(self, dialect: str) -> str:
        """The type as it is written in CREATE TABLE for ``dialect``."""
        return self._ddl_name

    def _key(self) -> tuple[Any, ...]:
        return (type(self), *sorted(vars(self).items()))

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if v is not None)
        return f"{type(self).__name__}({args})"


class NullType(TypeEngine):
    """The type of an expression whose type is not known."""


class Integer(TypeEngine):
    python_type = int
    _ddl_name = "INTEGER"


class SmallInteger(Integer):
    _ddl_name = "SMALLINT"


class BigInteger(Integer):
    _ddl_name = "BIGINT"


class Boolean(TypeEngine):
    python_type = bool
    _ddl_name = "BOOLEAN"


class Float(TypeEngine):
    python_type = float
    _ddl_name = "FLOAT"

    def ddl(self, dialect: str) -> str:
        return "DOUBLE PRECISION" if dialect == "postgresql" else "REAL"


class Double(Float):
    _ddl_name = "DOUBLE PRECISION"


class Numeric(TypeEngine):
    python_type = decimal.Decimal

    def __init__(self, precision: int | None = None, scale: int | None = None) -> None:
        self.precision = precision
        self.scale = scale

    def ddl(self, dialect: str) -> str:
        if self.precision is None:
            return "NUMERIC"
        if self.scale is None:
            return f"NUMERIC({self.precision})"
        return f"NUMERIC({self.precision}, {self.scale})"


class String(TypeEngine):
    python_type = str

    def __init__(self, length: int | None = None, collation: str | None = None) -> None:
        if length is not None and (not isinstance(length, int) or length < 1):
            raise exc.ArgumentError(f"String length must be a positive integer, not {length!r}")
        self.length = length
        self.collation = collation

    def ddl(self, dialect: str) -> str:
        name = f"VARCHAR({self.length})" if self.length else "VARCHAR"
        if self.collation:
            name += f' COLLATE "{self.collation}"'
        return name


class Unicode(String):
    pass


class Text(String):
    def ddl(self, dialect: str) -> str:
        return "TEXT"


class LargeBinary(TypeEngine):
    python_type = bytes

    def ddl(self, dialect: str) -> str:
        return "BYTEA" if dialect == "postgresql" else "BLOB"


class DateTime(TypeEngine):
    python_type = datetime.datetime

    def __init__(self, timezone: bool = False) -> None:
        self.timezone = timezone

    def ddl(self, dialect: str) -> str:
        if dialect == "postgresql":
            return "TIMESTAMP WITH TIME ZONE" if self.timezone else "TIMESTAMP WITHOUT TIME ZONE"
        return "DATETIME"


class Date(TypeEngine):
    python_type = datetime.date
    _ddl_name = "DATE"


class Time(TypeEngine):
    python_type = datetime.time

    def __init__(self, timezone: bool = False) -> None:
        self.timezone = timezone

    def ddl(self, dialect: str) -> str:
        if dialect == "postgresql" and self.timezone:
            return "TIME WITH TIME ZONE"
        return "TIME"


class Interval(TypeEngine):
    python_type = datetime.timedelta

    def ddl(self, dialect: str) -> str:
        # On SQLite an interval is stored as whole microseconds.
        return "INTERVAL" if dialect == "postgresql" else "INTEGER"


class JSON(TypeEngine):
    python_type = dict

    def ddl(self, dialect: str) -> str:
        return "JSON"


class JSONIndexType(TypeEngine):
    """A key into a JSON document (``doc["name"]``, ``doc[0]``): each dialect spells it."""


class JSONPathType(TypeEngine):
    """A path into a JSON document (``doc[("a", 0, "b")]``)."""


class Uuid(TypeEngine):
    python_type = uuid.UUID

    def ddl(self, dialect: str) -> str:
        return "UUID" if dialect == "postgresql" else "CHAR(32)"


class Enum(String):
    """One of a fixed set of values: ``Enum(MyPythonEnum)`` (stores member names,
    returns members) or ``Enum("draft", "published", name="status")``.

    A native ``CREATE TYPE ... AS ENUM`` on PostgreSQL (``create_all`` creates and
    drops it; it needs a ``name``), ``VARCHAR`` with a CHECK constraint elsewhere
    or with ``native_enum=False``.
    """

    def __init__(
        self,
        *enums: Any,
        name: str | None = None,
        native_enum: bool = True,
        length: int | None = None,
        values_callable: Any = None,
    ) -> None:
        self._by_value: dict[str, Any] = {}
        if len(enums) == 1 and isinstance(enums[0], type) and issubclass(enums[0], enum.Enum):
            self.enum_class: type[enum.Enum] | None = enums[0]
            members = list(enums[0])
            # Stored as member names, or as values_callable(EnumClass) spells them.
            values = values_callable(enums[0]) if values_callable else [m.name for m in members]
            self._by_value = dict(zip(values, members, strict=True))
            name = name or enums[0].__name__.lower()
        else:
            self.enum_class = None
            values = list(enums)
        if not values or not all(isinstance(v, str) for v in values):
            raise exc.ArgumentError("Enum() needs a Python Enum class or one or more strings")
        self.enums = tuple(values)
        self.name = name
        self.native_enum = native_enum
        super().__init__(length or max(len(v) for v in values))

    def ddl(self, dialect: str) -> str:
        if dialect == "postgresql" and self.native_enum:
            if not self.name:
                raise exc.ArgumentError(
                    f"Enum{self.enums} needs a name= to be a PostgreSQL type "
                    "(or native_enum=False)"
                )
            return '"' + self.name.replace('"', '""') + '"'
        return f"VARCHAR({self.length})"

    def to_db(self, value: Any) -> str:
        if self.enum_class is not None and isinstance(value, self.enum_class):
            return next(k for k, member in self._by_value.items() if member is value)
        if isinstance(value, str) and value in self.enums:
            return value
        raise ValueError(f"{value!r} is not one of {list(self.enums)}")

    def from_db(self, value: Any) -> Any:
        if self.enum_class is not None and isinstance(value, str):
            return self._by_value[value]
        return value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Enum) and (self.enums, self.name, self.native_enum) == (
            other.enums,
            other.name,
            other.native_enum,
        )

    def __hash__(self) -> int:
        return hash((Enum, self.enums, self.name))

    def _key(self) -> tuple[Any, ...]:
        return (Enum, self.enums, self.name, self.native_enum)


class TypeDecorator(TypeEngine):
    """A user type built on an existing one: set ``impl`` and override
    ``process_bind_param`` (Python → database) and ``process_result_value``.

    ::

        class Tags(TypeDecorator):
            impl = String
            def process_bind_param(self, value, dialect): return ",".join(value)
            def process_result_value(self, value, dialect): return value.split(",")
    """

    impl: Any = NullType
    cache_ok = True

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        impl = self.impl
        self.impl_instance = impl(*args, **kwargs) if isinstance(impl, type) else impl

    @property
    def python_type(self) -> type:  # type: ignore[override]
        python: type = self.impl_instance.python_type
        return python

    def ddl(self, dialect: str) -> str:
        return str(self.impl_instance.ddl(dialect))

    def process_bind_param(self, value: Any, dialect: Any) -> Any:
        return value

    def process_result_value(self, value: Any, dialect: Any) -> Any:
        return value

    def _key(self) -> tuple[Any, ...]:
        return (type(self), self.impl_instance._key())

    def __eq__(self, other: object) -> bool:
        return type(self) is type(other) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(type(self))


def to_instance(type_: Any) -> TypeEngine:
    """``Integer`` or ``Integer()`` → an instance; ``None`` → ``NullType()``."""
    if type_ is None:
        return NullType()
    if isinstance(type_, type) and issubclass(type_, TypeEngine):
        return type_()
    if isinstance(type_, TypeEngine):
        return type_
    raise exc.ArgumentError(f"Expected a column type such as Integer or String(50), got {type_!r}")


_BY_PYTHON: list[tuple[type, type[TypeEngine]]] = [
    (bool, Boolean),
    (int, Integer),
    (float, Float),
    (decimal.Decimal, Numeric),
    (str, String),
    (bytes, LargeBinary),
    (datetime.datetime, DateTime),
    (datetime.date, Date),
    (datetime.time, Time),
    (datetime.timedelta, Interval),
    (uuid.UUID, Uuid),
]


def type_for_value(value: Any) -> TypeEngine:
    """The type a literal value gets when nothing else says (``literal(5)``)."""
    for python, type_ in _BY_PYTHON:
        if isinstance(value, python):
            return type_()
    return NullType()

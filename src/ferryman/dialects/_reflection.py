"""What reflection shares between dialects: a column type from the name the
database gives it (``VARCHAR(50)``, ``character varying(50)``, ``timestamp with
time zone`` ...).

Each dialect's ``_reflection`` module reads its catalog with plain SQL on a sync
connection and returns plain dicts, as ``Inspector`` hands them out.
"""

from __future__ import annotations

import re

from ..sql._types import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Double,
    Float,
    Integer,
    Interval,
    LargeBinary,
    NullType,
    Numeric,
    SmallInteger,
    String,
    Text,
    Time,
    TypeEngine,
    Uuid,
)

__all__ = ["type_from_name"]

_SIMPLE: dict[str, type[TypeEngine]] = {
    "integer": Integer,
    "int": Integer,
    "int4": Integer,
    "serial": Integer,
    "bigint": BigInteger,
    "int8": BigInteger,
    "bigserial": BigInteger,
    "smallint": SmallInteger,
    "int2": SmallInteger,
    "boolean": Boolean,
    "bool": Boolean,
    "real": Float,
    "float": Float,
    "float4": Float,
    "double precision": Double,
    "double": Double,
    "float8": Double,
    "text": Text,
    "clob": Text,
    "blob": LargeBinary,
    "bytea": LargeBinary,
    "date": Date,
    "interval": Interval,
    "json": JSON,
    "jsonb": JSON,
    "uuid": Uuid,
}
_ARGS = re.compile(r"\(([^)]*)\)")


def type_from_name(name: str | None) -> TypeEngine:
    """The ferryman type for a type name as the database spells it (``NullType`` for
    one it does not know, or none: SQLite columns may have no type)."""
    if not name:
        return NullType()
    base = name.lower().strip()
    sizes: list[int] = []
    found = _ARGS.search(base)
    if found is not None:  # VARCHAR(50), NUMERIC(10, 2), timestamp(6) with time zone
        sizes = [int(part) for part in found.group(1).split(",") if part.strip().isdigit()]
        base = base[: found.start()] + base[found.end() :]
    base = " ".join(base.split())
    if base in ("varchar", "character varying", "nvarchar", "char", "character", "nchar"):
        return String(sizes[0]) if sizes else String()
    if base in ("numeric", "decimal"):
        return Numeric(*sizes[:2])
    if base in ("timestamp with time zone", "timestamptz"):
        return DateTime(timezone=True)
    if base in ("timestamp", "timestamp without time zone", "datetime"):
        return DateTime()
    if base in ("time", "time without time zone"):
        return Time()
    if base in ("time with time zone", "timetz"):
        return Time(timezone=True)
    simple = _SIMPLE.get(base)
    return simple() if simple is not None else NullType()

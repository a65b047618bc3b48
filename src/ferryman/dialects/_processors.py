"""Bind and result processors: how each column type's values travel.

A *bind processor* checks a Python value before it is sent (a string for an
Integer column is refused with an error naming the column, on every backend,
SQLite included) and converts it to what the driver takes. A *result
processor* turns what the driver returns into the column's Python type. Both
are picked once per compiled statement (per placeholder, per result column),
never per row.

The checks are the same for every dialect; the conversions are the
dialect's (``SQLiteDialect`` stores datetimes as ISO text, Decimals as
numbers with their scale restored on read, JSON as text, ...).
"""

from __future__ import annotations

import datetime
import decimal
import numbers
import uuid
from collections.abc import Callable
from typing import Any

from ..sql._types import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    Integer,
    Interval,
    LargeBinary,
    Numeric,
    String,
    Time,
    TypeDecorator,
    TypeEngine,
    Uuid,
)

__all__ = ["Processor", "check_for", "compose", "json_path"]

Processor = Callable[[Any], Any]


def _expect(kinds: tuple[type, ...] | type, what: str, exact: type | None = None) -> Processor:
    """A check that a value is one of ``kinds`` (``exact``: the usual type, tested first,
    since an isinstance() against an ABC such as numbers.Integral is slow)."""
    allows_bool = bool in _tuple(kinds)

    def check(value: Any) -> Any:
        if type(value) is exact:
            return value
        if not isinstance(value, kinds) or (isinstance(value, bool) and not allows_bool):
            raise TypeError(f"expected {what}, got {type(value).__name__}")
        return value

    # Values of this exact type pass unchanged: callers may skip the call for them.
    check.passes = exact  # type: ignore[attr-defined]
    return check


def _tuple(kinds: tuple[type, ...] | type) -> tuple[type, ...]:
    return kinds if isinstance(kinds, tuple) else (kinds,)


def _check_bool(value: Any) -> Any:
    if isinstance(value, bool) or value in (0, 1):
        return value
    raise TypeError(f"expected a bool, got {value!r}")


def _check_uuid(value: Any) -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        return uuid.UUID(value)
    raise TypeError(f"expected a UUID, got {type(value).__name__}")


def check_for(type_: TypeEngine) -> Processor | None:
    """The type check every dialect applies to a bound value of ``type_``."""
    if isinstance(type_, Boolean):
        return _check_bool
    if isinstance(type_, Integer):
        return _expect((numbers.Integral, bool), "an integer", int)
    if isinstance(type_, (Numeric, Float)):
        return _expect((numbers.Real, decimal.Decimal, bool), "a number", float)
    if isinstance(type_, String):
        return _expect(str, "a string", str)
    if isinstance(type_, DateTime):
        return _expect(datetime.datetime, "a datetime", datetime.datetime)
    if isinstance(type_, Date):
        return _expect(datetime.date, "a date")
    if isinstance(type_, Time):
        return _expect(datetime.time, "a time")
    if isinstance(type_, Interval):
        return _expect(datetime.timedelta, "a timedelta")
    if isinstance(type_, LargeBinary):
        return _expect((bytes, bytearray, memoryview), "bytes")
    if isinstance(type_, Uuid):
        return _check_uuid
    if isinstance(type_, JSON):
        return None
    return None


def compose(*steps: Processor | None) -> Processor | None:
    """One processor running ``steps`` in order (None when there is nothing to do)."""
    real = [step for step in steps if step is not None]
    if not real:
        return None
    if len(real) == 1:
        return real[0]

    def run(value: Any) -> Any:
        for step in real:
            value = step(value)
        return value

    return run


def decorated(
    type_: TypeEngine,
    dialect: Any,
    inner_bind: Callable[[TypeEngine], Any],
    inner_result: Callable[[TypeEngine], Any],
) -> tuple[Any, Any]:
    """Processors for a ``TypeDecorator``: its own step, then its implementation's."""
    assert isinstance(type_, TypeDecorator)
    impl = type_.impl_instance

    def bind(value: Any) -> Any:
        return type_.process_bind_param(value, dialect)

    def result(value: Any) -> Any:
        return type_.process_result_value(value, dialect)

    return compose(bind, inner_bind(impl)), compose(inner_result(impl), result)


def json_path(key: Any) -> str:
    """A JSON path for SQLite's and MySQL's JSON functions: ``$."name"``, ``$[0]``,
    ``$."a"[0]``, from a key or a tuple of keys."""
    path = "$"
    for part in key if isinstance(key, tuple) else (key,):
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += '."' + part.replace('"', '\\"') + '"'
    return path

"""SQL functions and special forms: ``func.<name>()``, window functions (``over``),
aggregate ``FILTER`` and ``WITHIN GROUP``, ``CASE``, row values (``tuple_``),
``type_coerce``, and JSON element access (``doc["key"]``)."""

from __future__ import annotations

from typing import Any

from .. import exc
from ._elements import BindParameter, ClauseElement, ColumnElement, coerce
from ._types import DateTime, Integer, NullType, String, to_instance

__all__ = [
    "ArrayIndex",
    "Case",
    "Function",
    "FunctionFilter",
    "JSONIndex",
    "Over",
    "Tuple",
    "TypeCoerce",
    "WithinGroup",
    "case",
    "func",
    "tuple_",
    "type_coerce",
]


_RETURN_TYPES: dict[str, Any] = {
    "count": Integer,
    "now": DateTime,
    "current_timestamp": DateTime,
    "lower": String,
    "upper": String,
    "length": Integer,
    "char_length": Integer,
}


_SAME_AS_FIRST = {"sum", "min", "max", "coalesce", "abs", "round"}


class Function(ColumnElement):
    """``name(arg, ...)``: any SQL function, made with ``func.name(...)``."""

    __slots__ = ("args", "name", "type")
    __visit_name__ = "function"

    def __init__(self, name: str, *args: Any, type_: Any = None) -> None:
        self.name = name
        self.args = tuple(coerce(arg) for arg in args)
        if type_ is not None:
            self.type = to_instance(type_)
        elif name.lower() in _RETURN_TYPES:
            self.type = to_instance(_RETURN_TYPES[name.lower()])
        elif name.lower() in _SAME_AS_FIRST and self.args:
            self.type = getattr(self.args[0], "type", NullType())
        else:
            self.type = NullType()

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("func", self.name, tuple(arg._key(binds) for arg in self.args))

    def over(self, partition_by: Any = None, order_by: Any = None) -> Over:
        """A window function: ``func.row_number().over(partition_by=..., order_by=...)``."""
        return Over(self, partition_by, order_by)

    def table_valued(self, *names: str, name: str | None = None) -> Any:
        """This set-returning function as a FROM item with these column names."""
        from ._derived import TableValued

        return TableValued(self, names, name)

    def column_valued(self, name: str | None = None) -> Any:
        """This set-returning function as one column of values (PostgreSQL style:
        ``SELECT v FROM f(...) AS v``; on SQLite its ``value`` column)."""
        from ._derived import ColumnValued

        return ColumnValued(self, name).column

    def within_group(self, *order_by: Any) -> WithinGroup:
        """An ordered-set aggregate: ``func.percentile_cont(0.5).within_group(t.c.x)``."""
        return WithinGroup(self, order_by)

    def filter(self, *criteria: Any) -> FunctionFilter:
        """An aggregate over some rows only: ``func.count().filter(t.c.done == True)``."""
        return FunctionFilter(self, criteria)


def _many(value: Any) -> tuple[ClauseElement, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(coerce(v) for v in value)
    return (coerce(value),)


class Over(ColumnElement):
    __slots__ = ("element", "order_by", "partition_by", "type")
    __visit_name__ = "over"

    def __init__(self, element: Function, partition_by: Any, order_by: Any) -> None:
        self.element = element
        self.partition_by = _many(partition_by)
        self.order_by = _many(order_by)
        self.type = element.type

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            "over",
            self.element._key(binds),
            tuple(p._key(binds) for p in self.partition_by),
            tuple(o._key(binds) for o in self.order_by),
        )


class FunctionFilter(ColumnElement):
    __slots__ = ("criteria", "func", "type")
    __visit_name__ = "function_filter"

    def __init__(self, func: Function, criteria: Any) -> None:
        self.func = func
        self.criteria = tuple(coerce(c) for c in criteria)
        self.type = func.type

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("filter", self.func._key(binds), tuple(c._key(binds) for c in self.criteria))

    def over(self, partition_by: Any = None, order_by: Any = None) -> Over:
        return Over(self, partition_by, order_by)  # type: ignore[arg-type]


class Tuple(ColumnElement):
    """``(a, b)``: a row value, e.g. ``tuple_(t.c.a, t.c.b).in_([(1, 2), (3, 4)])``."""

    __slots__ = ("clauses", "type")
    __visit_name__ = "tuple"

    def __init__(self, *clauses: Any) -> None:
        self.clauses = tuple(coerce(c) for c in clauses)
        self.type = NullType()

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("tuple", tuple(c._key(binds) for c in self.clauses))


def tuple_(*clauses: Any) -> Tuple:
    return Tuple(*clauses)


class TypeCoerce(ColumnElement):
    """An expression read and bound as another type, without a CAST in the SQL."""

    __slots__ = ("element", "type")
    __visit_name__ = "type_coerce"

    def __init__(self, element: Any, type_: Any) -> None:
        self.type = to_instance(type_)
        self.element = coerce(element, self.type)

    @property
    def name(self) -> Any:
        return getattr(self.element, "name", None)

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("type_coerce", self.type._key(), self.element._key(binds))


def type_coerce(expression: Any, type_: Any) -> TypeCoerce:
    return TypeCoerce(expression, type_)


class WithinGroup(ColumnElement):
    __slots__ = ("element", "order_by", "type")
    __visit_name__ = "within_group"

    def __init__(self, element: Function, order_by: Any) -> None:
        self.element = element
        self.order_by = tuple(coerce(o) for o in order_by)
        self.type = element.type

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            "within_group",
            self.element._key(binds),
            tuple(o._key(binds) for o in self.order_by),
        )


class JSONIndex(ColumnElement):
    """An element of a JSON document: ``doc["a"]`` (JSON), ``doc["a"].as_string()``,
    ``.as_integer()``, ``.as_float()``, ``.as_boolean()`` (SQL values)."""

    __slots__ = ("element", "index", "kind", "path", "type")
    __visit_name__ = "json_index"

    def __init__(self, element: ClauseElement, index: Any, kind: str = "json") -> None:
        from ._types import JSONIndexType, JSONPathType

        self.element = element
        self.path = isinstance(index, tuple)
        if self.path and not index:
            raise exc.ArgumentError("A JSON path needs at least one key")
        keys = index if self.path else (index,)
        if not all(isinstance(k, (str, int)) and not isinstance(k, bool) for k in keys):
            raise exc.ArgumentError(f"JSON keys are strings or integers, not {index!r}")
        key_type = JSONPathType() if self.path else JSONIndexType()
        self.index = (
            index if isinstance(index, BindParameter) else BindParameter(None, index, key_type)
        )
        self.kind = kind
        self.type = _JSON_KINDS[kind]()

    def _as(self, kind: str) -> JSONIndex:
        return JSONIndex(self.element, self.index.value, kind)

    def as_json(self) -> JSONIndex:
        return self._as("json")

    def as_string(self) -> JSONIndex:
        return self._as("string")

    def as_integer(self) -> JSONIndex:
        return self._as("integer")

    def as_float(self) -> JSONIndex:
        return self._as("float")

    def as_boolean(self) -> JSONIndex:
        return self._as("boolean")

    @property
    def int_key(self) -> bool:
        return isinstance(self.index.value, int)

    def _key(self, binds: list[BindParameter]) -> Any:
        shape = tuple(isinstance(k, int) for k in self.index.value) if self.path else self.int_key
        return (
            "json",
            self.kind,
            self.path,
            shape,
            self.element._key(binds),
            self.index._key(binds),
        )


def _json_kinds() -> dict[str, Any]:
    from ._types import JSON, Boolean, Float

    return {"json": JSON, "string": String, "integer": Integer, "float": Float, "boolean": Boolean}


_JSON_KINDS = _json_kinds()


class ArrayIndex(ColumnElement):
    """``arr[1]`` (PostgreSQL arrays count from 1) or ``arr[1:2]`` on an ARRAY column."""

    __slots__ = ("element", "index", "stop", "type")
    __visit_name__ = "array_index"

    def __init__(self, element: ClauseElement, index: Any) -> None:
        self.element = element
        item_type = element.type.item_type  # type: ignore[attr-defined]
        if isinstance(index, slice):
            if index.step is not None:
                raise exc.ArgumentError("ARRAY slices take no step")
            self.index: ClauseElement | None = coerce(index.start, Integer())
            self.stop: ClauseElement | None = coerce(index.stop, Integer())
            self.type = element.type  # type: ignore[attr-defined]
        elif isinstance(index, int) and not isinstance(index, bool):
            self.index, self.stop = coerce(index, Integer()), None
            self.type = item_type
        else:
            raise exc.ArgumentError(f"ARRAY indexes are integers or slices, not {index!r}")

    def _key(self, binds: list[BindParameter]) -> Any:
        stop = self.stop._key(binds) if self.stop is not None else None
        return ("array_index", self.element._key(binds), self.index._key(binds), stop)  # type: ignore[union-attr]


class Case(ColumnElement):
    """``CASE WHEN ... THEN ... ELSE ... END``: ``case((cond, value), ..., else_=x)``, or
    ``case({"a": 1, "b": 2}, value=column)``."""

    __slots__ = ("else_", "type", "value", "whens")
    __visit_name__ = "case"

    def __init__(self, *whens: Any, value: Any = None, else_: Any = None) -> None:
        pairs: list[tuple[Any, Any]] = []
        for when in whens:
            if isinstance(when, dict):
                pairs.extend(when.items())
            elif (
                isinstance(when, (list, tuple))
                and len(when) == 2
                and not isinstance(when[0], tuple)
            ):
                pairs.append((when[0], when[1]))
            elif isinstance(when, (list, tuple)):
                pairs.extend(when)
            else:
                raise exc.ArgumentError(f"case() takes (condition, value) pairs, not {when!r}")
        if not pairs:
            raise exc.ArgumentError("case() needs at least one (condition, value) pair")
        self.value = coerce(value) if value is not None else None
        self.whens = tuple((coerce(c), coerce(v)) for c, v in pairs)
        self.else_ = coerce(else_) if else_ is not None else None
        self.type = getattr(self.whens[0][1], "type", NullType())

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            "case",
            self.value._key(binds) if self.value is not None else None,
            tuple((c._key(binds), v._key(binds)) for c, v in self.whens),
            self.else_._key(binds) if self.else_ is not None else None,
        )


def case(*whens: Any, value: Any = None, else_: Any = None) -> Case:
    return Case(*whens, value=value, else_=else_)


class _FunctionGenerator:
    """``func.count()``, ``func.now()``, ``func.anything(x, y)``."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)

        def make(*args: Any, type_: Any = None) -> Function:
            return Function(name, *args, type_=type_)

        return make


func = _FunctionGenerator()

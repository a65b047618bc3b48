"""The expression tree: columns, bound values, operators, functions, labels.

Every node is immutable. Two methods make a node work with the engine:

* ``_key(binds)`` returns a hashable *structure* key (values excluded) and
  appends the node's ``BindParameter`` objects to ``binds`` in a fixed
  traversal order. Statements with the same structure share one compiled
  form in the engine's cache; their values are read from ``binds``.
* ``_compiler_dispatch(compiler, **kw)`` renders the node through the
  visitor method ``visit_<__visit_name__>`` of a dialect's compiler.

Python operators on columns build nodes: ``users.c.id == 5`` is a
``BinaryExpression`` whose right side is a ``BindParameter`` holding 5.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ._types import Boolean, DateTime, Integer, NullType, String, TypeEngine, to_instance
from ._types import type_for_value as _type_for_value

if TYPE_CHECKING:
    from ._compiler import SQLCompiler

__all__ = [
    "BinaryExpression",
    "BindParameter",
    "BooleanClauseList",
    "Case",
    "Cast",
    "ClauseElement",
    "ColumnElement",
    "Function",
    "FunctionFilter",
    "Label",
    "Null",
    "Over",
    "Tuple",
    "TypeCoerce",
    "UnaryExpression",
    "WithinGroup",
    "and_",
    "asc",
    "bindparam",
    "case",
    "cast",
    "desc",
    "false",
    "func",
    "literal",
    "literal_column",
    "not_",
    "null",
    "or_",
    "true",
    "tuple_",
    "type_coerce",
]


class ClauseElement:
    """Base of every SQL expression node."""

    __slots__ = ()
    __visit_name__ = "clause"
    _uses_parameter_names = False  # INSERT / UPDATE: parameter names shape the SQL

    def _key(self, binds: list[BindParameter]) -> Any:
        raise exc.ArgumentError(f"{type(self).__name__} cannot be part of a statement")

    def _compiler_dispatch(self, compiler: SQLCompiler, **kw: Any) -> str:
        visit = getattr(compiler, f"visit_{self.__visit_name__}")
        return visit(self, **kw)  # type: ignore[no-any-return]

    def compile(self, dialect: Any = None, compile_kwargs: dict[str, Any] | None = None) -> Any:
        """Compile for ``dialect`` (a generic one by default): ``.string``, ``.params``."""
        from ._compiler import compile_element

        return compile_element(self, dialect, **(compile_kwargs or {}))

    def __str__(self) -> str:
        return str(self.compile().string)


def coerce(value: Any, type_: TypeEngine | None = None) -> ClauseElement:
    """An expression for ``value``: itself if it is one, ``NULL`` for None, else a bind."""
    if isinstance(value, ClauseElement) or hasattr(type(value), "_compiler_dispatch"):
        return value  # type: ignore[no-any-return]
    if value is None:
        return Null()
    if hasattr(value, "__clause_element__"):
        return value.__clause_element__()  # type: ignore[no-any-return]
    return BindParameter(None, value, type_)


class ColumnOperators:
    """The Python operators and methods that build SQL expressions from a column."""

    __slots__ = ()
    type: TypeEngine

    def _operate(self, op: str, other: Any, result_type: TypeEngine | None = None) -> Any:
        right = coerce(other, None if isinstance(self.type, NullType) else self.type)
        return BinaryExpression(self, right, op, result_type or Boolean())  # type: ignore[arg-type]

    def __eq__(self, other: Any) -> Any:
        if other is None:
            return BinaryExpression(self, Null(), "IS", Boolean())  # type: ignore[arg-type]
        return self._operate("=", other)

    def __ne__(self, other: Any) -> Any:
        if other is None:
            return BinaryExpression(self, Null(), "IS NOT", Boolean())  # type: ignore[arg-type]
        return self._operate("!=", other)

    def __lt__(self, other: Any) -> Any:
        return self._operate("<", other)

    def __le__(self, other: Any) -> Any:
        return self._operate("<=", other)

    def __gt__(self, other: Any) -> Any:
        return self._operate(">", other)

    def __ge__(self, other: Any) -> Any:
        return self._operate(">=", other)

    def __add__(self, other: Any) -> Any:
        if isinstance(self.type, String):
            return self._operate("||", other, self.type)
        return self._operate("+", other, self.type)

    def __radd__(self, other: Any) -> Any:
        left = coerce(other, self.type)
        op = "||" if isinstance(self.type, String) else "+"
        return BinaryExpression(left, self, op, self.type)  # type: ignore[arg-type]

    def __rsub__(self, other: Any) -> Any:
        return BinaryExpression(coerce(other, self.type), self, "-", self.type)  # type: ignore[arg-type]

    def __rmul__(self, other: Any) -> Any:
        return BinaryExpression(coerce(other, self.type), self, "*", self.type)  # type: ignore[arg-type]

    def __rtruediv__(self, other: Any) -> Any:
        return BinaryExpression(coerce(other, self.type), self, "/", self.type)  # type: ignore[arg-type]

    def __sub__(self, other: Any) -> Any:
        return self._operate("-", other, self.type)

    def __mul__(self, other: Any) -> Any:
        return self._operate("*", other, self.type)

    def __truediv__(self, other: Any) -> Any:
        return self._operate("/", other, self.type)

    def __mod__(self, other: Any) -> Any:
        return self._operate("%", other, self.type)

    def __neg__(self) -> Any:
        return UnaryExpression(self, operator="-", type_=self.type)  # type: ignore[arg-type]

    def __invert__(self) -> Any:
        return not_(self)

    def __and__(self, other: Any) -> Any:
        return and_(self, other)

    def __or__(self, other: Any) -> Any:
        return or_(self, other)

    def is_(self, other: Any) -> Any:
        return BinaryExpression(self, coerce(other), "IS", Boolean())  # type: ignore[arg-type]

    def is_not(self, other: Any) -> Any:
        return BinaryExpression(self, coerce(other), "IS NOT", Boolean())  # type: ignore[arg-type]

    def like(self, pattern: Any, escape: str | None = None) -> Any:
        return self._operate("LIKE", pattern)._with_escape(escape)

    def ilike(self, pattern: Any, escape: str | None = None) -> Any:
        return self._operate("ILIKE", pattern)._with_escape(escape)

    def not_like(self, pattern: Any, escape: str | None = None) -> Any:
        return self._operate("NOT LIKE", pattern)._with_escape(escape)

    def _affix(self, value: Any, before: str, after: str, autoescape: bool) -> Any:
        if isinstance(value, str):
            if autoescape:
                value = value.replace("/", "//").replace("%", "/%").replace("_", "/_")
            return self.like(before + value + after, escape="/" if autoescape else None)
        pattern = coerce(value, String())
        if before:
            pattern = BinaryExpression(BindParameter(None, before, String()), pattern, "||")
        if after:
            pattern = BinaryExpression(pattern, BindParameter(None, after, String()), "||")
        return self._operate("LIKE", pattern)

    def contains(self, value: Any, autoescape: bool = False) -> Any:
        return self._affix(value, "%", "%", autoescape)

    def startswith(self, value: Any, autoescape: bool = False) -> Any:
        return self._affix(value, "", "%", autoescape)

    def endswith(self, value: Any, autoescape: bool = False) -> Any:
        return self._affix(value, "%", "", autoescape)

    def in_(self, values: Any) -> Any:
        """``col IN (...)``: a list (one expanding bind, so any length shares one
        compiled statement; an empty list is false), or a subquery."""
        if isinstance(values, ClauseElement):
            return BinaryExpression(self, values, "IN", Boolean())  # type: ignore[arg-type]
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise exc.ArgumentError(f"in_() takes a list of values or a subquery, not {values!r}")
        items = list(values)
        bind = BindParameter(None, items, self.type, expanding=True)
        return BinaryExpression(self, bind, "IN", Boolean())  # type: ignore[arg-type]

    def not_in(self, values: Any) -> Any:
        expression = self.in_(values)
        return BinaryExpression(expression.left, expression.right, "NOT IN", Boolean())

    def between(self, low: Any, high: Any) -> Any:
        bounds = BooleanClauseList("AND", [coerce(low, self.type), coerce(high, self.type)])
        return BinaryExpression(self, bounds, "BETWEEN", Boolean())  # type: ignore[arg-type]

    def desc(self) -> Any:
        return UnaryExpression(self, modifier="DESC")  # type: ignore[arg-type]

    def asc(self) -> Any:
        return UnaryExpression(self, modifier="ASC")  # type: ignore[arg-type]

    def nulls_first(self) -> Any:
        return UnaryExpression(self, modifier="NULLS FIRST")  # type: ignore[arg-type]

    def nulls_last(self) -> Any:
        return UnaryExpression(self, modifier="NULLS LAST")  # type: ignore[arg-type]

    def distinct(self) -> Any:
        return UnaryExpression(self, operator="DISTINCT", type_=self.type)  # type: ignore[arg-type]

    def __getitem__(self, index: Any) -> Any:
        """``doc["key"]``, ``doc[0]``, ``doc[("a", 0, "b")]`` on a JSON column."""
        from ._types import JSON

        if not isinstance(self.type, JSON):
            raise exc.ArgumentError(
                f"Only JSON expressions can be indexed, and {self} is {self.type!r}"
            )
        return JSONIndex(self, index)  # type: ignore[arg-type]

    def label(self, name: str) -> Label:
        return Label(name, self)  # type: ignore[arg-type]

    def cast(self, type_: Any) -> Cast:
        return Cast(self, type_)  # type: ignore[arg-type]

    def collate(self, collation: str) -> Any:
        return UnaryExpression(self, modifier=f'COLLATE "{collation}"', type_=self.type)  # type: ignore[arg-type]


class ColumnElement(ColumnOperators, ClauseElement):
    """An expression that has a value and a type (a column, a bind, a function...)."""

    __slots__ = ()
    type: TypeEngine = NullType()

    __hash__ = ClauseElement.__hash__

    def __bool__(self) -> bool:
        raise exc.ArgumentError(
            f"Boolean value of this SQL expression is not defined ({self}); use "
            "and_()/or_() or & / | to combine conditions, not and/or"
        )


class BindParameter(ColumnElement):
    """A value sent as a bound parameter. ``key`` is None for anonymous values
    (the compiler names them after the column they meet)."""

    __slots__ = ("expanding", "key", "type", "value")
    __visit_name__ = "bindparam"

    def __init__(
        self, key: str | None, value: Any = None, type_: Any = None, *, expanding: bool = False
    ) -> None:
        if key is not None and (not isinstance(key, str) or not key):
            raise exc.ArgumentError(f"bindparam() needs a non-empty string key, not {key!r}")
        self.key = key
        self.value = value
        if isinstance(type_, TypeEngine):
            self.type = type_
        elif type_ is None and value is not None and not expanding:
            self.type = _type_for_value(value)
        else:
            self.type = to_instance(type_)
        self.expanding = expanding

    def _key(self, binds: list[BindParameter]) -> Any:
        binds.append(self)
        return ("bind", self.key, self.expanding)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"BindParameter({self.key!r}, {self.value!r})"


def bindparam(
    key: str, value: Any = None, type_: Any = None, *, expanding: bool = False
) -> BindParameter:
    """A named bind parameter; its value comes from ``execute(stmt, {key: ...})``
    unless given here. ``expanding=True`` renders a list as ``(?, ?, ...)``."""
    if not isinstance(key, str) or not key:
        raise exc.ArgumentError(f"bindparam() needs a non-empty string key, not {key!r}")
    return BindParameter(key, value, type_, expanding=expanding)


def literal(value: Any, type_: Any = None) -> BindParameter:
    """A Python value as a bound SQL expression."""
    return BindParameter(None, value, type_)


class Null(ColumnElement):
    __slots__ = ()
    __visit_name__ = "null"

    def _key(self, binds: list[BindParameter]) -> Any:
        return "NULL"


def null() -> Null:
    return Null()


class LiteralColumn(ColumnElement):
    """SQL text used as a column expression (``literal_column("count(*)")``)."""

    __slots__ = ("text", "type")
    __visit_name__ = "literal_column"

    def __init__(self, text: str, type_: Any = None) -> None:
        self.text = text
        self.type = to_instance(type_)

    @property
    def name(self) -> str:
        return self.text

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("literal_column", self.text)


def literal_column(text: str, type_: Any = None) -> LiteralColumn:
    return LiteralColumn(text, type_)


class BinaryExpression(ColumnElement):
    __slots__ = ("escape", "left", "operator", "right", "type")
    __visit_name__ = "binary"

    def __init__(
        self,
        left: ClauseElement,
        right: ClauseElement,
        operator: str,
        type_: TypeEngine | None = None,
        escape: str | None = None,
    ) -> None:
        self.left = left
        self.right = right
        self.operator = operator
        self.type = type_ or NullType()
        self.escape = escape

    def _with_escape(self, escape: str | None) -> BinaryExpression:
        if escape is None:
            return self
        return BinaryExpression(self.left, self.right, self.operator, self.type, escape)

    def _key(self, binds: list[BindParameter]) -> Any:
        return (
            "binary",
            self.operator,
            self.left._key(binds),
            self.right._key(binds),
            self.escape,
        )

    def __bool__(self) -> bool:
        # ``col_a == col_b`` in a Python condition compares the columns themselves.
        if self.operator in ("=", "!=") and not isinstance(self.right, BindParameter):
            same = self.left is self.right
            return same if self.operator == "=" else not same
        return super().__bool__()


class BooleanClauseList(ColumnElement):
    """``a AND b AND c`` / ``a OR b``."""

    __slots__ = ("clauses", "operator", "type")
    __visit_name__ = "boolean_list"

    def __init__(self, operator: str, clauses: Sequence[ClauseElement]) -> None:
        self.operator = operator
        self.clauses = tuple(clauses)
        self.type = Boolean()

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("list", self.operator, tuple(c._key(binds) for c in self.clauses))


def _conditions(clauses: Iterable[Any]) -> list[ClauseElement]:
    out = []
    for clause in clauses:
        if isinstance(clause, bool):
            clause = True_() if clause else False_()
        out.append(coerce(clause))
    return out


def and_(*clauses: Any) -> ColumnElement:
    """All conditions: ``and_(a, b)`` (also ``a & b``, or chained ``.where()``)."""
    items = _conditions(clauses)
    if len(items) == 1:
        return items[0]  # type: ignore[return-value]
    return BooleanClauseList("AND", items)


def or_(*clauses: Any) -> ColumnElement:
    """Any of the conditions: ``or_(a, b)`` (also ``a | b``)."""
    items = _conditions(clauses)
    if len(items) == 1:
        return items[0]  # type: ignore[return-value]
    return BooleanClauseList("OR", items)


class True_(ColumnElement):
    __slots__ = ()
    __visit_name__ = "true"
    type = Boolean()

    def _key(self, binds: list[BindParameter]) -> Any:
        return "TRUE"


class False_(ColumnElement):
    __slots__ = ()
    __visit_name__ = "false"
    type = Boolean()

    def _key(self, binds: list[BindParameter]) -> Any:
        return "FALSE"


def true() -> True_:
    """SQL ``true`` (for example ``.join(lateral_subquery, true())``)."""
    return True_()


def false() -> False_:
    return False_()


class UnaryExpression(ColumnElement):
    """A prefix operator (``NOT x``, ``-x``, ``DISTINCT x``) or a suffix modifier
    (``x DESC``, ``x NULLS LAST``)."""

    __slots__ = ("element", "modifier", "operator", "type")
    __visit_name__ = "unary"

    def __init__(
        self,
        element: ClauseElement,
        operator: str | None = None,
        modifier: str | None = None,
        type_: TypeEngine | None = None,
    ) -> None:
        self.element = element
        self.operator = operator
        self.modifier = modifier
        self.type = type_ or NullType()

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("unary", self.operator, self.modifier, self.element._key(binds))

    def nulls_first(self) -> UnaryExpression:
        return UnaryExpression(self, modifier="NULLS FIRST")

    def nulls_last(self) -> UnaryExpression:
        return UnaryExpression(self, modifier="NULLS LAST")


def not_(clause: Any) -> UnaryExpression:
    return UnaryExpression(coerce(clause), operator="NOT", type_=Boolean())


class LabelReference(ColumnElement):
    """A column or label named by a string in ORDER BY / GROUP BY: ``order_by("n")``."""

    __slots__ = ("name", "type")
    __visit_name__ = "label_reference"

    def __init__(self, name: str) -> None:
        self.name = name
        self.type = NullType()

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("label_reference", self.name)


def by_name(clause: Any) -> ClauseElement:
    """ORDER BY / GROUP BY items: a string names a label or column."""
    return LabelReference(clause) if isinstance(clause, str) else coerce(clause)


def desc(column: Any) -> UnaryExpression:
    return UnaryExpression(by_name(column), modifier="DESC")


def asc(column: Any) -> UnaryExpression:
    return UnaryExpression(by_name(column), modifier="ASC")


class Label(ColumnElement):
    """``expression AS name``."""

    __slots__ = ("element", "name", "type")
    __visit_name__ = "label"

    def __init__(self, name: str, element: ClauseElement) -> None:
        self.name = name
        self.element = element
        self.type = getattr(element, "type", NullType())

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("label", self.name, self.element._key(binds))


class Cast(ColumnElement):
    """``CAST(expression AS type)``."""

    __slots__ = ("element", "type")
    __visit_name__ = "cast"

    def __init__(self, element: ClauseElement, type_: Any) -> None:
        self.type = to_instance(type_)
        self.element = coerce(element, self.type)

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("cast", self.type._key(), self.element._key(binds))


def cast(expression: Any, type_: Any) -> Cast:
    return Cast(expression, type_)


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
        from ._selectable import TableValued

        return TableValued(self, names, name)

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

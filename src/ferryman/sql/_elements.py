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

import datetime
import decimal
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from .. import exc
from ._types import Boolean, NullType, String, TypeEngine, to_instance
from ._types import type_for_value as _type_for_value

if TYPE_CHECKING:
    from ._compiler import SQLCompiler


__all__ = [
    "BinaryExpression",
    "BindParameter",
    "BooleanClauseList",
    "Cast",
    "ClauseElement",
    "ColumnElement",
    "Label",
    "Null",
    "UnaryExpression",
    "and_",
    "asc",
    "bindparam",
    "cast",
    "desc",
    "false",
    "literal",
    "literal_column",
    "not_",
    "null",
    "or_",
    "true",
]


class ClauseElement:
    """Base of every SQL expression node."""

    __slots__ = ()
    __visit_name__ = "clause"
    _uses_parameter_names = False  # INSERT / UPDATE: parameter names shape the SQL
    # text() has a cache key of its own; expressions are keyed by structure (``_key``).
    _cache_key: Any = None

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


# Plain Python values: a comparison with one makes its bind without the checks for
# expressions and ``__clause_element__`` (the common case of every query built).
_PLAIN = frozenset(
    {
        int,
        str,
        float,
        bool,
        bytes,
        decimal.Decimal,
        datetime.datetime,
        datetime.date,
        datetime.time,
        datetime.timedelta,
        uuid.UUID,
    }
)
_BOOLEAN = Boolean()  # types are immutable: comparisons share one


def coerce(value: Any, type_: TypeEngine | None = None) -> ClauseElement:
    """An expression for ``value``: itself if it is one, ``NULL`` for None, else a bind.
    A ``bindparam()`` given without a type takes ``type_`` (the column it meets), so
    that its values are converted like the column's."""
    if type(value) in _PLAIN:
        return BindParameter(None, value, type_)
    if isinstance(value, ClauseElement) or hasattr(type(value), "_compiler_dispatch"):
        if (
            type_ is not None
            and type(value) is BindParameter
            and isinstance(value.type, NullType)
            and not isinstance(type_, NullType)
        ):
            return BindParameter(
                value.key, value.value, type_, expanding=value.expanding, required=value.required
            )
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
        type_ = self.type
        right: ClauseElement
        if type(other) in _PLAIN:  # coerce(), without its calls
            bind = right = _new(BindParameter)
            bind.key, bind.value, bind.expanding, bind.required = None, other, False, False
            bind.type = _type_for_value(other) if isinstance(type_, NullType) else type_
        else:
            right = coerce(other, None if isinstance(type_, NullType) else type_)
        return BinaryExpression(self, right, op, result_type or _BOOLEAN)  # type: ignore[arg-type]

    def __eq__(self, other: Any) -> Any:
        if other is None:
            return BinaryExpression(self, Null(), "IS", _BOOLEAN)  # type: ignore[arg-type]
        return self._operate("=", other)

    def __ne__(self, other: Any) -> Any:
        if other is None:
            return BinaryExpression(self, Null(), "IS NOT", _BOOLEAN)  # type: ignore[arg-type]
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
        if isinstance(self.type, NullType) and (
            isinstance(other, str) or isinstance(getattr(other, "type", None), String)
        ):  # an untyped expression and text: the text says what + means
            return self._operate("||", other, String())
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
        from ._functions import ArrayIndex, JSONIndex
        from ._types import JSON

        if getattr(self.type, "item_type", None) is not None:  # an ARRAY
            return ArrayIndex(self, index)  # type: ignore[arg-type]
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


_new = object.__new__
_ANONYMOUS_BIND = ("bind", None, False)  # the key of every BindParameter(None, value)


class BindParameter(ColumnElement):
    """A value sent as a bound parameter. ``key`` is None for anonymous values
    (the compiler names them after the column they meet)."""

    __slots__ = ("expanding", "key", "required", "type", "value")
    __visit_name__ = "bindparam"

    def __init__(
        self,
        key: str | None,
        value: Any = None,
        type_: Any = None,
        *,
        expanding: bool = False,
        required: bool = False,
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
        # bindparam("name") without a value: the execution must give one
        self.required = required

    def _key(self, binds: list[BindParameter]) -> Any:
        binds.append(self)
        return ("bind", self.key, self.expanding)

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"BindParameter({self.key!r}, {self.value!r})"


_REQUIRED: Any = object()  # bindparam() given no value


def bindparam(
    key: str, value: Any = _REQUIRED, type_: Any = None, *, expanding: bool = False
) -> BindParameter:
    """A named bind parameter; its value comes from ``execute(stmt, {key: ...})``
    unless given here (an execution that gives none for a ``bindparam()`` without a
    value raises ``StatementError``). ``expanding=True`` renders a list as
    ``(?, ?, ...)``."""
    if not isinstance(key, str) or not key:
        raise exc.ArgumentError(f"bindparam() needs a non-empty string key, not {key!r}")
    required = value is _REQUIRED
    return BindParameter(
        key, None if required else value, type_, expanding=expanding, required=required
    )


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
        left = self.left._key(binds)
        right = self.right
        if type(right) is BindParameter and right.key is None and not right.expanding:
            binds.append(right)  # right._key(binds), without the call: ``col == value``
            return ("binary", self.operator, left, _ANONYMOUS_BIND, self.escape)
        return ("binary", self.operator, left, right._key(binds), self.escape)

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

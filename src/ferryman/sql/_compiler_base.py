"""The compiler's core: placeholders and their plan, identifiers, values, operators.

See ``_compiler.py`` for how the pieces fit.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Mapping, Sequence
from operator import itemgetter
from types import NoneType
from typing import Any

from .. import exc
from ._elements import (
    BinaryExpression,
    BindParameter,
    BooleanClauseList,
    Cast,
    ClauseElement,
    Label,
    LiteralColumn,
    UnaryExpression,
    and_,
)
from ._functions import Function
from ._schema import Column, Table
from ._text import _placeholder
from ._types import NullType

__all__ = ["LASTROWID", "BaseCompiler", "ExpressionCompiled"]

# ExpressionCompiled.primary_key of an INSERT whose new key is the driver's last
# row id (a database without RETURNING).
LASTROWID = ["<lastrowid>"]


RESERVED = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "both",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "current_catalog",
        "current_date",
        "current_role",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "desc",
        "distinct",
        "do",
        "else",
        "end",
        "except",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "grant",
        "group",
        "having",
        "in",
        "initially",
        "intersect",
        "into",
        "lateral",
        "leading",
        "limit",
        "localtime",
        "localtimestamp",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "placing",
        "primary",
        "references",
        "returning",
        "select",
        "session_user",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "user",
        "using",
        "variadic",
        "when",
        "where",
        "window",
        "with",
        "index",
        "key",
        "values",
    ]
)
_PLAIN = re.compile(r"^[a-z_][a-z0-9_$]*$")
_PRECEDENCE = {
    "OR": 2, "AND": 3, "NOT": 4, "IS": 5, "IS NOT": 5, "=": 5, "!=": 5, "<": 5, "<=": 5, ">": 5,
    ">=": 5, "LIKE": 5, "ILIKE": 5, "NOT LIKE": 5, "IN": 5, "NOT IN": 5, "BETWEEN": 5,
    "||": 6, "+": 7, "-": 7, "*": 8, "/": 8, "%": 8,
}  # fmt: skip


class ExpressionCompiled:
    """A compiled expression statement: SQL and where each placeholder's value comes
    from. Shared by every execution (and task) of statements with the same shape."""

    __slots__ = (
        "_bind_only",
        "_defaults",
        "_labels",
        "_many_getter",
        "_params",
        "_parts",
        "_passes",
        "_procs",
        "compile_time",
        "created_at",
        "expanding",
        "paramstyle",
        "plan",
        "primary_key",
        "process_rows",
        "result_keys",
        "result_processors",
        "sql",
        "string",
    )  # fmt: skip

    def __init__(
        self,
        sql: str,
        plan: list[tuple[int | None, str, bool]],
        parts: list[Any],
        paramstyle: str,
        compile_time: float,
    ) -> None:
        self.sql = self.string = sql
        self.plan = plan
        self._parts = parts
        self.paramstyle = paramstyle
        self.expanding = any(expanding for _, _, expanding in plan)
        self.result_keys = None
        self.compile_time = compile_time
        self.created_at = time.monotonic()
        self._params: dict[str, Any] = {}
        self._defaults: dict[int, Any] = {}
        # The names of the primary key columns an INSERT returns on its own account
        # (RETURNING added by ferryman for result.inserted_primary_key), if any.
        self.primary_key: list[str] | None = None
        # Per placeholder: a bind processor (conversion and type check) or None, and
        # what the value is for (a column), for error messages.
        self._procs: list[Any] | None = None
        # Per placeholder: the type whose values its processor returns unchanged (its
        # ``passes`` attribute: a pure type check), so that they skip the call.
        self._passes: list[Any] = []
        self._many_getter: Any = None  # see many_values
        # When every placeholder takes the value of one of the statement's own binds
        # (no names, defaults or IN lists): their indexes (set on the first run).
        self._bind_only: tuple[int, ...] | None = None
        self._labels: list[str | None] = []
        # Per result column: a processor for the values read back (None: none needed).
        self.result_processors: list[Any] | None = None
        # Converts a batch of result rows with them (see rows_processor).
        self.process_rows: Callable[[Sequence[Any]], list[Any]] | None = None

    def values(self, binds: Sequence[BindParameter], params: Mapping[str, Any]) -> list[Any]:
        """The parameter values, in placeholder order."""
        out = []
        defaults = self._defaults
        for slot, (index, name, _) in enumerate(self.plan):
            if name in params:
                out.append(params[name])
            elif index is not None and not binds[index].required:
                out.append(binds[index].value)
            elif slot in defaults:  # a column's Python-side default / onupdate
                default = defaults[slot]
                out.append(default() if callable(default) else default)
            else:
                raise exc.StatementError(
                    f"A value is required for bind parameter {name!r}: pass it in the "
                    f"parameters, conn.execute(stmt, {{{name!r}: ...}})",
                    self.sql,
                    dict(params),
                )
        if self._procs is not None:
            return self._process(out)
        return out

    def many_values(
        self, binds: Sequence[BindParameter], seq: Sequence[Mapping[str, Any]]
    ) -> list[Any]:
        """The parameter values of an executemany, one sequence per parameter set. When
        every set names every placeholder (the usual case), the values are picked with
        one C-level ``itemgetter`` call per set and converted column by column, with
        no Python call per set; otherwise (a statement's own values, defaults, bad
        values) each set goes through ``values()``, which explains errors."""
        getter = self._many_getter
        if getter is None:
            names = [name for _, name, _ in self.plan]
            if len(names) == 1:
                only = names[0]
                getter = self._many_getter = lambda params: (params[only],)
            else:
                getter = self._many_getter = itemgetter(*names) if names else (lambda p: ())
        try:
            rows = list(map(getter, seq))
        except (KeyError, TypeError):
            return [self.values(binds, p) for p in seq]
        if self._procs is None or not rows:
            return rows
        columns: list[Any] = list(zip(*rows, strict=True))
        try:
            for i, proc in enumerate(self._procs):
                if proc is not None:
                    columns[i] = convert_column(proc, columns[i])
        except (TypeError, ValueError, OverflowError):
            return [self.values(binds, p) for p in seq]  # raises, naming the value
        return list(zip(*columns, strict=True))

    def _process(self, values: list[Any]) -> list[Any]:
        procs: list[Any] = self._procs or []
        if len(values) == 1 and not self.expanding:  # the common single-value case
            proc, value = procs[0], values[0]
            if proc is None or value is None or type(value) is self._passes[0]:
                return values
            try:
                return [proc(value)]
            except (TypeError, ValueError, OverflowError):
                pass  # the loop below reports it
        elif not self.expanding and len(procs) == len(values):
            try:  # no IN lists: one comprehension (the loop below explains a failure)
                return [
                    value
                    if proc is None or value is None or type(value) is passes
                    else proc(value)
                    for proc, passes, value in zip(procs, self._passes, values, strict=True)
                ]
            except (TypeError, ValueError, OverflowError):
                pass
        out = []
        for slot, (proc, value) in enumerate(zip(procs, values, strict=True)):
            if proc is None or value is None:
                out.append(value)
                continue
            try:
                if self.plan[slot][2]:  # an IN list: each item
                    out.append([None if item is None else proc(item) for item in value])
                else:
                    out.append(proc(value))
            except (TypeError, ValueError, OverflowError) as err:
                what = self._labels[slot] or f"bind parameter {self.plan[slot][1]!r}"
                raise exc.StatementError(
                    f"Invalid value {value!r} for {what}: {err}", self.sql, values, err
                ) from None
        return out

    def render(self, values: list[Any]) -> tuple[str, list[Any]]:
        """SQL and values with expanding (IN list) parameters spelled out."""
        sql: list[str] = []
        flat: list[Any] = []
        slot = 0
        for part in self._parts:
            if isinstance(part, str):
                sql.append(part)
                continue
            value = values[slot]
            slot += 1
            empty = part[0]
            if empty is not None:  # an expanding (IN list) parameter
                items = list(value)
                if not items:
                    sql.append(empty)
                    continue
                groups = []
                for item in items:
                    if isinstance(item, tuple):  # a row value: tuple_(a, b).in_([(1, 2)])
                        marks = []
                        for part in item:
                            flat.append(part)
                            marks.append(_placeholder(self.paramstyle, len(flat), "p"))
                        groups.append("(" + ", ".join(marks) + ")")
                    else:
                        flat.append(item)
                        groups.append(_placeholder(self.paramstyle, len(flat), "p"))
                sql.append("(" + ", ".join(groups) + ")")
            else:
                flat.append(value)
                sql.append(_placeholder(self.paramstyle, len(flat), "p"))
        return "".join(sql), flat

    @property
    def params(self) -> dict[str, Any]:
        """The bound values by placeholder name (``stmt.compile().params``)."""
        return dict(self._params)

    def __str__(self) -> str:
        return self.sql


def _froms_of(from_: Any) -> list[Any]:
    left, right = getattr(from_, "left", None), getattr(from_, "right", None)
    if left is not None and right is not None:  # a join
        return _froms_of(left) + _froms_of(right)
    return [from_]


def _label(element: Any) -> str | None:
    if isinstance(element, Column) and element.table is not None:
        return f"column {element.table.name}.{element.name}"
    return None


class BaseCompiler:
    """Renders expressions: the placeholders and their plan, identifiers, values,
    operators and functions. Statement families are added by the subclasses in
    ``_compiler_select``, ``_compiler_dml`` and ``_compiler_ddl``."""

    def __init__(
        self,
        dialect: Any,
        binds: Sequence[BindParameter],
        param_names: Sequence[str] = (),
        literal_binds: bool = False,
    ) -> None:
        self.dialect = dialect
        self.paramstyle = dialect.paramstyle
        self.literal_binds = literal_binds
        self._bind_index = {id(bind): i for i, bind in enumerate(binds)}
        # placeholders (by slot) whose value a "format"-style driver (psycopg) should
        # receive in binary: a dialect's visit method adds them
        self.binary_slots: set[int] = set()
        self._slot_order: list[int] = []
        self._param_names = tuple(param_names)
        self._parts: list[Any] = []
        self._plan: list[tuple[int | None, str, bool]] = []
        self._names: dict[str, int] = {}
        self._bind_names: dict[int, str] = {}
        self._empty: dict[int, str] = {}
        self._types: list[Any] = []
        self._labels: list[str | None] = []
        self._result_types: list[Any] | None = None
        self.want_primary_key = False
        self._primary_key: list[str] | None = None
        self._defaults: dict[int, Any] = {}
        self._ctes: dict[int, str] = {}
        self._ctes_started: set[int] = set()
        self._cte_objects: list[Any] = []
        self._anon: dict[int, str] = {}
        self._from_stack: list[set[int]] = []

    # -- entry points --

    def compile(self, element: ClauseElement) -> ExpressionCompiled:
        started = time.perf_counter()
        parts = self._split(self.statement(element))
        if self.paramstyle == "format":  # a literal % must not read as a placeholder
            parts = [p.replace("%", "%%") if isinstance(p, str) else p for p in parts]
        sql: list[str] = []
        count = 0
        binary = self.binary_slots if self.paramstyle == "format" else None
        for part in parts:
            if isinstance(part, str):
                sql.append(part)
            else:
                count += 1
                if binary and self._slot_order[count - 1] in binary:
                    sql.append("%b")  # psycopg: this value goes in binary format
                    continue
                sql.append(_placeholder(self.paramstyle, count, self._plan[count - 1][1]))
        compiled = ExpressionCompiled(
            "".join(sql), self._plan, parts, self.paramstyle, time.perf_counter() - started
        )
        compiled._defaults = self._defaults
        compiled.primary_key = self._primary_key
        self._attach_processors(compiled)
        return compiled

    def _attach_processors(self, compiled: ExpressionCompiled) -> None:
        bind_processor = getattr(self.dialect, "bind_processor", None)
        result_processor = getattr(self.dialect, "result_processor", None)
        if bind_processor is not None:
            procs = [bind_processor(t) if t is not None else None for t in self._types]
            if any(procs):
                compiled._procs = procs
                compiled._passes = [getattr(p, "passes", None) for p in procs]
                compiled._labels = self._labels
        if result_processor is not None and self._result_types:
            results = [result_processor(t) if t is not None else None for t in self._result_types]
            if any(results):
                compiled.result_processors = results
                compiled.process_rows = rows_processor(results)

    def process(self, element: Any, **kw: Any) -> str:
        return element._compiler_dispatch(self, **kw)  # type: ignore[no-any-return]

    _MARK = "\x00{}\x00"

    def statement(self, element: ClauseElement) -> str:
        """The top-level statement, with the WITH clause of the CTEs it uses."""
        body = self.process(element)
        if not self._ctes:
            return body
        recursive = "RECURSIVE " if any(c.recursive for c in self._cte_objects) else ""
        return f"WITH {recursive}" + ", ".join(self._ctes.values()) + " " + body

    def _split(self, text: str) -> list[Any]:
        """Text and placeholders, in textual order; the plan (and everything kept per
        placeholder) is reordered to match, since a WITH clause is rendered after the
        statement that uses it but stands before it."""
        parts: list[Any] = []
        order: list[int] = []
        for i, piece in enumerate(text.split("\x00")):
            if i % 2 == 0:
                parts.append(piece)
            else:
                slot = int(piece)
                order.append(slot)
                expanding = self._plan[slot][2]
                parts.append((self._empty.get(slot) if expanding else None,))
        self._slot_order = order
        if order != list(range(len(self._plan))):  # reordered, or a placeholder dropped
            position = {slot: new for new, slot in enumerate(order)}
            self._plan = [self._plan[slot] for slot in order]
            self._types = [self._types[slot] for slot in order]
            self._labels = [self._labels[slot] for slot in order]
            self._defaults = {position[k]: v for k, v in self._defaults.items() if k in position}
        return parts

    # -- identifiers --

    def quote(self, name: str) -> str:
        if _PLAIN.match(name) and name not in RESERVED:
            return name
        return '"' + name.replace('"', '""') + '"'

    def table_name(self, table: Table) -> str:
        name = self.quote(table.name)
        return f"{self.quote(table.schema)}.{name}" if table.schema else name

    # -- leaves --

    def visit_bindparam(
        self, bind: BindParameter, name_hint: str | None = None, exact: bool = False, **kw: Any
    ) -> str:
        if self.literal_binds:
            return self.render_literal(bind.value)
        index = self._bind_index.get(id(bind))
        if bind.key is not None:
            name = bind.key
        else:
            name = self._bind_names.get(id(bind)) or self._anonymous(name_hint or "param", exact)
            self._bind_names[id(bind)] = name
        mark = self._placeholder_mark(index, name, bind.expanding, bind.type, kw.get("label"))
        if bind.expanding:
            # What an empty list becomes: a subquery with no rows, of the compared
            # column's type where it is known (PostgreSQL compares types strictly).
            compared = kw.get("compared_type")
            null = "NULL" if compared is None else f"CAST(NULL AS {self.cast_type(compared)})"
            self._empty[len(self._plan) - 1] = f"(SELECT {null} WHERE 1 = 0)"
        return mark

    def _anonymous(self, base: str, exact: bool = False) -> str:
        """A fresh parameter name: ``base`` itself first when ``exact`` (a column's
        value in INSERT / UPDATE), else ``base_1``, ``base_2``..."""
        if exact and base not in self._names:
            self._names[base] = 0
            return base
        count = self._names.get(base, 0) + 1
        self._names[base] = count
        return f"{base}_{count}"

    def _placeholder_mark(
        self,
        index: int | None,
        name: str,
        expanding: bool = False,
        type_: Any = None,
        label: str | None = None,
    ) -> str:
        self._plan.append((index, name, expanding))
        self._types.append(type_)
        self._labels.append(label)
        return self._MARK.format(len(self._plan) - 1)

    def render_literal(self, value: Any) -> str:
        """A value as a SQL literal, for DDL defaults and literal_binds debugging."""
        if value is None:
            return "NULL"
        if isinstance(value, bool):
            return self.visit_true(None) if value else self.visit_false(None)
        if isinstance(value, (int, float)):
            return repr(value)
        if isinstance(value, str):
            if "\x00" in value:
                raise exc.ArgumentError("A NUL character can't be rendered as a SQL literal")
            return "'" + value.replace("'", "''") + "'"
        if isinstance(value, (list, tuple)):
            return "(" + ", ".join(self.render_literal(v) for v in value) + ")"
        return self.render_literal(str(value))

    def visit_string_literal(self, element: Any, **kw: Any) -> str:
        return self.render_literal(element.value)

    def visit_null(self, element: Any, **kw: Any) -> str:
        return "NULL"

    def visit_true(self, element: Any, **kw: Any) -> str:
        return "true"

    def visit_false(self, element: Any, **kw: Any) -> str:
        return "false"

    def visit_literal_column(self, element: LiteralColumn, **kw: Any) -> str:
        return element.text

    def visit_column(self, column: Column, include_table: bool = True, **kw: Any) -> str:
        name = self.quote(column.name)
        if include_table and column.table is not None:
            return f"{self.table_name(column.table)}.{name}"
        return name

    def visit_table(self, table: Table, **kw: Any) -> str:
        return self.table_name(table)

    def visit_textclause(self, clause: Any, **kw: Any) -> str:
        from ._text import _BIND

        def bind(match: re.Match[str]) -> str:
            return self._placeholder_mark(None, match.group(1))

        return _BIND.sub(bind, clause.text).replace("\\:", ":")

    # -- operators --

    def visit_binary(self, binary: BinaryExpression, **kw: Any) -> str:
        op = binary.operator
        hint = getattr(binary.left, "name", None)
        if not isinstance(hint, str) or not hint.isidentifier():
            hint = None
        side = {"name_hint": hint, "label": _label(binary.left)}
        left = self._operand(binary.left, op, name_hint=hint)
        if op == "BETWEEN":
            low, high = binary.right.clauses  # type: ignore[attr-defined]
            return f"{left} BETWEEN {self.process(low, **side)} AND {self.process(high, **side)}"
        if op in ("IN", "NOT IN") and isinstance(binary.right, BindParameter):
            left_type = getattr(binary.left, "type", None)
            if left_type is not None and not isinstance(left_type, NullType):
                side["compared_type"] = left_type
            right = self.process(binary.right, **side)
            if self.literal_binds:
                values = list(binary.right.value or ())
                right = self.render_literal(values) if values else "(SELECT 1 WHERE 1 = 0)"
            return f"{left} {op} {right}"
        if op in ("IN", "NOT IN"):
            return f"{left} {op} ({self.process(binary.right)})"
        if op == "ILIKE":
            return self.visit_ilike(binary, left, hint)
        right = self._operand(binary.right, op, **side)
        text = f"{left} {op} {right}"
        if binary.escape is not None:
            text += f" ESCAPE {self.render_literal(binary.escape)}"
        return text

    def visit_ilike(self, binary: BinaryExpression, left: str, hint: str | None) -> str:
        return f"{left} ILIKE {self._operand(binary.right, 'ILIKE', name_hint=hint)}"

    def _operand(self, element: Any, op: str, **kw: Any) -> str:
        text = self.process(element, **kw)
        inner = getattr(element, "operator", None)
        if (
            isinstance(element, (BinaryExpression, BooleanClauseList))
            and inner is not None
            and _PRECEDENCE.get(inner, 9) <= _PRECEDENCE.get(op, 9)
        ):
            return f"({text})"
        return text

    def visit_boolean_list(self, clauses: BooleanClauseList, **kw: Any) -> str:
        if not clauses.clauses:
            return "1 = 1" if clauses.operator == "AND" else "1 = 0"
        return f" {clauses.operator} ".join(
            self._operand(c, clauses.operator, **kw) for c in clauses.clauses
        )

    def visit_unary(self, unary: UnaryExpression, **kw: Any) -> str:
        inner = self.process(unary.element, **kw)
        if isinstance(unary.element, (BinaryExpression, BooleanClauseList)) and unary.operator:
            inner = f"({inner})"
        if unary.operator == "-":
            return f"-{inner}"
        if unary.operator:
            return f"{unary.operator} {inner}"
        return f"{inner} {unary.modifier}"

    def column_clause(self, element: Any) -> str:
        """A selected (or returned) column: a label there is ``expression AS name``;
        a label nested inside it (a function's argument) is its expression alone."""
        if getattr(element, "__visit_name__", None) == "label":
            return self.process(element, within_columns=True)
        return self.process(element)

    def visit_label(self, label: Label, within_columns: bool = False, **kw: Any) -> str:
        if kw.get("in_order_by") and not within_columns:
            return self.quote(label.name)  # ORDER BY the selected column's name
        inner = self.process(label.element, **kw)
        if within_columns:
            return f"{inner} AS {self.quote(label.name)}"
        return inner

    def visit_cast(self, cast: Cast, **kw: Any) -> str:
        return f"CAST({self.process(cast.element, **kw)} AS {self.cast_type(cast.type)})"

    def cast_type(self, type_: Any) -> str:
        """``type_`` as CAST takes it (the CREATE TABLE spelling; MySQL's differs)."""
        return str(type_.ddl(self.dialect.name))

    _JSON_CASTS = {"integer": "INTEGER", "float": "DOUBLE PRECISION", "boolean": "BOOLEAN"}

    def visit_json_index(self, element: Any, **kw: Any) -> str:
        """PostgreSQL: ``doc -> 'key'``, ``doc ->> 'key'``, ``doc #> '{a,0}'``."""
        document = self._operand(element.element, "->")
        text = element.kind != "json"
        if element.path:
            key = f"CAST({self.process(element.index)} AS TEXT[])"
            operator = "#>>" if text else "#>"
        else:
            cast = "INTEGER" if element.int_key else "TEXT"
            key = f"CAST({self.process(element.index)} AS {cast})"
            operator = "->>" if text else "->"
        rendered = f"({document} {operator} {key})"
        if element.kind in self._JSON_CASTS:
            rendered = f"CAST({rendered} AS {self._JSON_CASTS[element.kind]})"
        return rendered

    def visit_array_index(self, element: Any, **kw: Any) -> str:
        array = self._operand(element.element, "[]")
        if element.stop is not None:
            return f"{array}[{self.process(element.index)}:{self.process(element.stop)}]"
        return f"{array}[{self.process(element.index)}]"

    def visit_label_reference(self, element: Any, **kw: Any) -> str:
        return self.quote(element.name)

    def visit_tuple(self, element: Any, **kw: Any) -> str:
        return "(" + ", ".join(self.process(c, **kw) for c in element.clauses) + ")"

    def visit_type_coerce(self, element: Any, **kw: Any) -> str:
        return self.process(element.element, **kw)

    def visit_within_group(self, element: Any, **kw: Any) -> str:
        order = ", ".join(self.process(o) for o in element.order_by)
        return f"{self.process(element.element)} WITHIN GROUP (ORDER BY {order})"

    def visit_case(self, case: Any, **kw: Any) -> str:
        text = "CASE"
        if case.value is not None:
            text += " " + self.process(case.value, **kw)
        for condition, result in case.whens:
            text += f" WHEN {self.process(condition, **kw)} THEN {self.process(result, **kw)}"
        if case.else_ is not None:
            text += f" ELSE {self.process(case.else_, **kw)}"
        return text + " END"

    def visit_over(self, over: Any, **kw: Any) -> str:
        window = []
        if over.partition_by:
            window.append("PARTITION BY " + ", ".join(self.process(p) for p in over.partition_by))
        if over.order_by:
            window.append("ORDER BY " + ", ".join(self.process(o) for o in over.order_by))
        return f"{self.process(over.element)} OVER ({' '.join(window)})"

    def visit_function_filter(self, filtered: Any, **kw: Any) -> str:
        condition = self.process(and_(*filtered.criteria))
        return f"{self.process(filtered.func)} FILTER (WHERE {condition})"

    def visit_function(self, function: Function, **kw: Any) -> str:
        if function.name.lower() == "count" and not function.args:
            return "count(*)"
        if (
            function.name.lower() in ("current_timestamp", "current_date", "current_time")
            and not function.args
        ):
            return function.name.upper()
        args = ", ".join(self.process(arg, **kw) for arg in function.args)
        return f"{function.name}({args})"


def rows_processor(processors: Sequence[Any]) -> Callable[[Sequence[Any]], list[Any]]:
    """A function converting a batch of raw rows with the columns' result processors.
    A few rows are converted row by row; a batch column by column: the rows are
    transposed (C-level ``zip``), each column that needs it converted in one pass (a
    processor's ``column`` form when it has one: no Python call per value), and
    transposed back."""
    steps = [(i, p) for i, p in enumerate(processors) if p is not None]

    def process(rows: Sequence[Any]) -> list[Any]:
        if len(rows) < _COLUMNWISE_ROWS:
            out = []
            for raw in rows:
                values = list(raw)
                for i, step in steps:
                    value = values[i]
                    if value is not None:
                        values[i] = step(value)
                out.append(values)
            return out
        columns: list[Any] = list(zip(*rows, strict=True))
        for i, step in steps:
            columns[i] = convert_column(step, columns[i])
        return list(zip(*columns, strict=True))

    return process


_COLUMNWISE_ROWS = 8  # below this, transposing costs more than it saves


def convert_column(processor: Callable[[Any], Any], values: Sequence[Any]) -> list[Any]:
    """``processor`` (a bind or result processor) applied to a column of values: None
    stays None, a value of the type the processor ``passes`` unchanged (a pure type
    check) skips the call, and a processor with a ``column`` form of its own (SQLite's
    text readers) converts the whole column with no Python call per value."""
    column: Callable[[Sequence[Any]], list[Any]] | None = getattr(processor, "column", None)
    if column is not None:
        return column(values)
    passes = getattr(processor, "passes", None)
    if passes is not None and set(map(type, values)) <= {passes, NoneType}:
        return list(values)  # every value passes as it is: one C-level check for all
    return [v if v is None or type(v) is passes else processor(v) for v in values]

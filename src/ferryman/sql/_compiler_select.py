"""SELECT: columns, FROM (joins, subqueries, aliases, CTEs, VALUES), set operations."""

from __future__ import annotations

from typing import Any

from .. import exc
from ._compiler_base import BaseCompiler, _froms_of
from ._elements import and_
from ._schema import Table
from ._types import NullType

__all__ = ["SelectCompiler"]


class SelectCompiler(BaseCompiler):
    """SELECT: columns, FROM items, correlation, set operations."""

    # -- statements --

    def visit_select(self, select: Any, **kw: Any) -> str:
        selected = select.selected_columns
        if self._result_types is None:
            self._result_types = [getattr(c, "type", None) for c in selected]
        froms = self._correlated(select.get_final_froms(), select._correlate_except)
        self._from_stack.append({id(t) for f in froms for t in _froms_of(f)})
        try:
            return self._select_body(select, selected, froms)
        finally:
            self._from_stack.pop()

    def _correlated(self, froms: list[Any], own: tuple[Any, ...] | None = None) -> list[Any]:
        """A nested select leaves out the FROM items of the selects around it (so that
        ``WHERE posts.user_id = users.id`` refers to the outer ``users`` row), except
        those it names with ``correlate_except()``."""
        if not self._from_stack:
            return froms
        outer = set().union(*self._from_stack)
        if own:
            outer = outer - {id(f) for f in own}
        kept = [f for f in froms if id(f) not in outer]
        return kept if kept else froms

    def _select_body(self, select: Any, selected: list[Any], froms: list[Any]) -> str:
        columns = [self.column_clause(c) for c in selected]
        if not columns:
            raise exc.ArgumentError("select() needs at least one column")
        text = "SELECT " + ("DISTINCT " if select._distinct else "") + ", ".join(columns)
        if froms:
            text += " FROM " + ", ".join(self.process(f) for f in froms)
        if select._where:
            text += " WHERE " + self.process(and_(*select._where))
        if select._group_by:
            text += " GROUP BY " + ", ".join(self.process(g) for g in select._group_by)
        if select._having:
            text += " HAVING " + self.process(and_(*select._having))
        if select._order_by:
            text += " ORDER BY " + ", ".join(
                self.process(o, in_order_by=True) for o in select._order_by
            )
        text += self.limit_clause(select)
        if select._for_update is not None:
            text += self.for_update_clause(select._for_update)
        return text

    def limit_clause(self, select: Any) -> str:
        text = ""
        if select._limit is not None:
            text += " LIMIT " + self.process(select._limit)
        if select._offset is not None:
            text += " OFFSET " + self.process(select._offset)
        return text

    def for_update_clause(self, options: dict[str, Any]) -> str:
        text = " FOR SHARE" if options["read"] else " FOR UPDATE"
        if options["nowait"]:
            text += " NOWAIT"
        if options["skip_locked"]:
            text += " SKIP LOCKED"
        return text

    # -- derived FROM items, compound selects, subquery values --

    def name_of(self, derived: Any) -> str:
        """A subquery's / alias's / CTE's name: its own, or ``anon_N`` in order of use."""
        if derived.name:
            return str(derived.name)
        token = id(derived._token)
        if token not in self._anon:
            self._anon[token] = f"anon_{len(self._anon) + 1}"
        return self._anon[token]

    def visit_derived_column(self, column: Any, **kw: Any) -> str:
        return f"{self.quote(self.name_of(column.table))}.{self.quote(column.name)}"

    def _detached(self, element: Any) -> str:
        """Render a derived table's select on its own: it correlates to nothing."""
        stack, self._from_stack = self._from_stack, []
        try:
            return self.process(element)
        finally:
            self._from_stack = stack

    def visit_subquery(self, subquery: Any, **kw: Any) -> str:
        return f"({self._detached(subquery.element)}) AS {self.quote(self.name_of(subquery))}"

    def visit_alias(self, alias: Any, **kw: Any) -> str:
        inner = self._detached(alias.element)
        if not isinstance(alias.element, Table):
            inner = f"({inner})"
        return f"{inner} AS {self.quote(self.name_of(alias))}"

    def visit_cte(self, cte: Any, **kw: Any) -> str:
        name = self.quote(self.name_of(cte))
        token = id(cte._token)
        if token not in self._ctes and token not in self._ctes_started:
            self._ctes_started.add(token)
            body = self._detached(cte.element)
            columns = ", ".join(self.quote(c.name) for c in cte.c) if cte.recursive else ""
            head = f"{name}({columns})" if columns else name
            self._ctes[token] = f"{head} AS ({body})"
            self._cte_objects.append(cte)
        return name

    def visit_table_valued(self, function: Any, **kw: Any) -> str:
        names = ", ".join(self.quote(c.name) for c in function.c)
        alias = self.quote(self.name_of(function))
        return f"{self.process(function.element)} AS {alias}({names})"

    def visit_lateral(self, lateral: Any, **kw: Any) -> str:
        # Not detached: a lateral subquery refers to the FROM items before it.
        return f"LATERAL ({self.process(lateral.element)}) AS {self.quote(self.name_of(lateral))}"

    def _typed_cell(self, value: Any) -> str:
        """A VALUES cell: cast when the column has a type (a bound parameter alone
        has none, and PostgreSQL would take it for text)."""
        cell = self.process(value)
        if isinstance(value.type, NullType) or self.literal_binds:
            return cell
        return f"CAST({cell} AS {self.cast_type(value.type)})"

    def visit_column_clause(self, column: Any, **kw: Any) -> str:
        return self.quote(column.name)

    def visit_values(self, values: Any, **kw: Any) -> str:
        rows = ", ".join(
            "(" + ", ".join(self._typed_cell(v) for v in row) + ")" for row in values._rows
        )
        names = ", ".join(self.quote(c.name) for c in values.c)
        return f"(VALUES {rows}) AS {self.quote(self.name_of(values))} ({names})"

    def values_as_union(self, values: Any) -> str:
        """A VALUES list as a derived table of ``SELECT ... UNION ALL`` rows, for
        databases that can't name a VALUES list's columns (SQLite, MySQL)."""
        names = [self.quote(c.name) for c in values.c]
        selects = []
        for number, row in enumerate(values._rows):
            cells = [self.process(v) for v in row]
            if number == 0:
                cells = [f"{cell} AS {name}" for cell, name in zip(cells, names, strict=True)]
            selects.append("SELECT " + ", ".join(cells))
        return f"({' UNION ALL '.join(selects)}) AS {self.quote(self.name_of(values))}"

    def visit_column_valued(self, valued: Any, **kw: Any) -> str:
        return f"{self.process(valued.element)} AS {self.quote(self.name_of(valued))}"

    def visit_column_valued_column(self, column: Any, **kw: Any) -> str:
        return self.quote(self.name_of(column.table))

    def visit_compound_select(self, compound: Any, **kw: Any) -> str:
        parts = [self._detached(select) for select in compound.selects]
        text = f" {compound.keyword} ".join(parts)
        if compound._order_by:
            text += " ORDER BY " + ", ".join(  # by output column name, as UNION requires
                self.process(o, in_order_by=True, include_table=False) for o in compound._order_by
            )
        return text + self.limit_clause(compound)

    def visit_scalar_select(self, scalar: Any, **kw: Any) -> str:
        return f"({self.process(scalar.element)})"

    def visit_exists(self, exists: Any, **kw: Any) -> str:
        return f"EXISTS ({self.process(exists.element)})"

    def visit_join(self, join: Any, **kw: Any) -> str:
        kind = "FULL OUTER JOIN" if join.full else ("LEFT OUTER JOIN" if join.isouter else "JOIN")
        left, right = self.process(join.left), self.process(join.right)
        return f"{left} {kind} {right} ON {self.process(join.onclause)}"

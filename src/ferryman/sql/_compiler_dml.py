"""INSERT, UPDATE, DELETE: values, Python-side defaults, ON CONFLICT, RETURNING."""

from __future__ import annotations

from typing import Any

from .. import exc
from ._compiler_base import LASTROWID, _label
from ._compiler_select import SelectCompiler
from ._elements import ClauseElement, and_
from ._schema import Column

__all__ = ["DMLCompiler"]


class DMLCompiler(SelectCompiler):
    """INSERT, UPDATE, DELETE: values, Python-side defaults, ON CONFLICT, RETURNING."""

    def _returning(self, stmt: Any) -> str:
        if not stmt._returning:
            return self._implicit_returning(stmt)
        return self._explicit_returning(stmt)

    def _implicit_returning(self, stmt: Any) -> str:
        """RETURNING the primary key of a single-row INSERT, for inserted_primary_key."""
        columns = stmt.table.primary_key.columns
        if (
            not self.want_primary_key
            or stmt.__visit_name__ != "insert"
            or stmt._multi
            or stmt._from_select is not None
            or not columns
        ):
            return ""
        if not getattr(self.dialect, "supports_returning", False):
            if len(columns) == 1:
                self._primary_key = LASTROWID  # the driver's last row id is the key
            return ""
        self._primary_key = [c.name for c in columns]
        self._result_types = [c.type for c in columns]
        return " RETURNING " + ", ".join(self.process(c) for c in columns)

    def _explicit_returning(self, stmt: Any) -> str:
        if self._result_types is None:
            self._result_types = [getattr(r, "type", None) for r in stmt._returning]
        return " RETURNING " + ", ".join(self.column_clause(r) for r in stmt._returning)

    def visit_insert(self, insert: Any, **kw: Any) -> str:
        table = self.table_name(insert.table)
        if insert._from_select is not None:
            columns, select = insert._from_select
            names = ", ".join(self.quote(c.name) for c in columns)
            text = f"INSERT INTO {table} ({names}) {self._detached(select)}"
            return text + self.on_conflict_clause(insert) + self._returning(insert)
        if insert._multi:
            columns = [c for c, _ in insert._multi[0]]
            given = {c.name for c in columns}
            rows = []
            for row in insert._multi:
                rendered = [self.process(v, name_hint=c.name, label=_label(c)) for c, v in row]
                defaults = self._default_pairs(insert, given)
                rendered.extend(value for _, value in defaults)
                rows.append("(" + ", ".join(rendered) + ")")
            columns += [c for c, _ in self._default_pairs_columns(insert, given)]
            names = ", ".join(self.quote(c.name) for c in columns)
            text = f"INSERT INTO {table} ({names}) VALUES {', '.join(rows)}"
            return text + self.on_conflict_clause(insert) + self._returning(insert)
        pairs = self._dml_pairs(insert)
        if not pairs:
            text = f"INSERT INTO {table} {self.empty_insert()}"
        else:
            names = ", ".join(self.quote(c.name) for c, _ in pairs)
            values = ", ".join(value for _, value in pairs)
            text = f"INSERT INTO {table} ({names}) VALUES ({values})"
        return text + self.on_conflict_clause(insert) + self._returning(insert)

    def on_conflict_clause(self, insert: Any) -> str:
        conflict = getattr(insert, "_on_conflict", None)
        if conflict is None:
            return ""
        action, target, pairs, condition = conflict
        text = " ON CONFLICT"
        if target and target[0] == "constraint":
            text += f" ON CONSTRAINT {self.quote(target[1])}"
        elif target:
            text += " (" + ", ".join(self.quote(name) for name in target) + ")"
        if action == "nothing":
            return text + " DO NOTHING"
        sets = ", ".join(
            f"{self.quote(column.name)} = "
            + self.process(value, name_hint=column.name, label=_label(column))
            for column, value in pairs
        )
        text += f" DO UPDATE SET {sets}"
        if condition is not None:
            text += " WHERE " + self.process(condition)
        return text

    def _default_pairs_columns(self, stmt: Any, given: set[str]) -> list[tuple[Column, Any]]:
        return [
            (c, c.default) for c in stmt.table.c if c.default is not None and c.name not in given
        ]

    def empty_insert(self) -> str:
        return "DEFAULT VALUES"

    def _dml_pairs(self, stmt: Any) -> list[tuple[Column, str]]:
        """(column, rendered value) for explicit values, then for parameter names, then
        for the columns' Python-side defaults (INSERT) or onupdate values (UPDATE)."""
        pairs: list[tuple[Column, str]] = []
        given = set()
        for column, value in stmt._values:
            given.add(column.name)
            label = f"column {stmt.table.name}.{column.name}"
            rendered = self.process(value, name_hint=column.name, label=label, exact=True)
            pairs.append((column, rendered))
        for name in self._param_names:
            if name in given or name not in stmt.table.c:
                continue
            given.add(name)
            column = stmt.table.c[name]
            label = f"column {stmt.table.name}.{column.name}"
            pairs.append((column, self._placeholder_mark(None, name, False, column.type, label)))
        pairs.extend(self._default_pairs(stmt, given))
        return pairs

    def _default_pairs(self, stmt: Any, given: set[str]) -> list[tuple[Column, str]]:
        attribute = "onupdate" if stmt.__visit_name__ == "update" else "default"
        if stmt.__visit_name__ == "delete":
            return []
        pairs = []
        for column in stmt.table.c:
            default = getattr(column, attribute)
            if default is None or column.name in given:
                continue
            if isinstance(default, ClauseElement):  # a SQL expression: inline
                pairs.append((column, self.process(default)))
                continue
            label = f"column {stmt.table.name}.{column.name}"
            mark = self._placeholder_mark(None, column.name, False, column.type, label)
            self._defaults[len(self._plan) - 1] = default
            pairs.append((column, mark))
        return pairs

    def visit_update(self, update: Any, **kw: Any) -> str:
        extra = self._extra_froms(update)
        # Subqueries in SET and WHERE correlate to the updated table (and FROM tables).
        self._from_stack.append({id(update.table), *(id(t) for t in extra)})
        try:
            pairs = self._dml_pairs(update)
            if not pairs:
                raise exc.ArgumentError(
                    "update() needs values: .values(name=...) or parameters at execute()"
                )
            sets = ", ".join(f"{self.quote(c.name)} = {v}" for c, v in pairs)
            text = f"UPDATE {self.table_name(update.table)} SET {sets}"
            if extra:
                text += " FROM " + ", ".join(self.process(t) for t in extra)
            if update._where:
                text += " WHERE " + self.process(and_(*update._where))
        finally:
            self._from_stack.pop()
        return text + self._returning(update)

    def _extra_froms(self, stmt: Any) -> list[Any]:
        """Other tables an UPDATE / DELETE refers to (outside subqueries)."""
        from ._selectable import _referenced_tables

        found: list[Any] = []
        elements = [*stmt._where, *(value for _, value in stmt._values)]
        for element in elements:
            for table in _referenced_tables(element):
                if table is not stmt.table and all(table is not f for f in found):
                    found.append(table)
        return found

    def visit_delete(self, delete: Any, **kw: Any) -> str:
        extra = self._extra_froms(delete)
        self._from_stack.append({id(delete.table), *(id(t) for t in extra)})
        try:
            text = f"DELETE FROM {self.table_name(delete.table)}"
            if extra:
                text += self.delete_using(extra)
            if delete._where:
                text += " WHERE " + self.process(and_(*delete._where))
        finally:
            self._from_stack.pop()
        return text + self._returning(delete)

    def delete_using(self, tables: list[Any]) -> str:
        return " USING " + ", ".join(self.process(t) for t in tables)

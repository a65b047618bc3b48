"""DDL: CREATE / DROP of tables, constraints, indexes."""

from __future__ import annotations

from typing import Any

from ._compiler_dml import DMLCompiler
from ._functions import Function
from ._schema import Column, Table
from ._types import Enum

__all__ = ["DDLCompiler"]


class DDLCompiler(DMLCompiler):
    """DDL: CREATE / DROP of tables, constraints, indexes."""

    # -- DDL --

    def visit_create_table(self, create: Any, **kw: Any) -> str:
        table = create.element
        lines = [self.column_ddl(column) for column in table.c]
        pk = table.primary_key.columns
        if pk and not self._inline_primary_key(table):
            from ._schema import constraint_name

            names = ", ".join(self.quote(c.name) for c in pk)
            pk_name = constraint_name(table.primary_key)
            prefix = f"CONSTRAINT {self.quote(pk_name)} " if pk_name else ""
            lines.append(f"{prefix}PRIMARY KEY ({names})")
        for constraint in table.constraints:
            line = self.constraint_ddl(constraint)
            if line:
                lines.append(line)
        for column in table.c:  # an enum without a native type: a CHECK keeps it honest
            if isinstance(column.type, Enum) and not self._native_enum(column.type):
                allowed = ", ".join(self.render_literal(v) for v in column.type.enums)
                lines.append(f"CHECK ({self.quote(column.name)} IN ({allowed}))")
        body = ",\n\t".join(lines)
        return f"CREATE TABLE {self.table_name(table)} (\n\t{body}\n)"

    def _native_enum(self, type_: Enum) -> bool:
        return bool(getattr(self.dialect, "supports_native_enum", False) and type_.native_enum)

    def _inline_primary_key(self, table: Table) -> bool:
        return False

    def column_ddl(self, column: Column) -> str:
        text = f"{self.quote(column.name)} {self.column_type(column)}"
        if column.server_default is not None:
            from ._schema import default_value

            saved, self.literal_binds = self.literal_binds, True
            default = default_value(column)
            rendered = self.process(default)
            if isinstance(default, Function):  # an expression default needs parentheses
                rendered = f"({rendered})"
            text += " DEFAULT " + rendered
            self.literal_binds = saved
        if not column.nullable:
            text += " NOT NULL"
        return text

    def column_type(self, column: Column) -> str:
        return column.type.ddl(self.dialect.name)

    def constraint_ddl(self, constraint: Any, in_alter: bool = False) -> str | None:
        from ._schema import (
            CheckConstraint,
            ForeignKeyConstraint,
            UniqueConstraint,
            constraint_name,
        )

        name = constraint_name(constraint)
        prefix = f"CONSTRAINT {self.quote(name)} " if name else ""
        if isinstance(constraint, UniqueConstraint):
            names = ", ".join(self.quote(c.name) for c in constraint.columns)
            return f"{prefix}UNIQUE ({names})"
        if isinstance(constraint, CheckConstraint):
            sqltext = constraint.sqltext
            rendered = sqltext if isinstance(sqltext, str) else self.process(sqltext)
            return f"{prefix}CHECK ({rendered})"
        if isinstance(constraint, ForeignKeyConstraint):
            if constraint.use_alter and not in_alter:
                return None  # added by ALTER TABLE once every table exists
            return prefix + self.foreign_key_ddl(constraint)
        return None

    def visit_add_constraint(self, add: Any, **kw: Any) -> str:
        constraint = add.element
        body = self.constraint_ddl(constraint, in_alter=True)
        return f"ALTER TABLE {self.table_name(constraint.table)} ADD {body}"

    def visit_drop_constraint(self, drop: Any, **kw: Any) -> str:
        from ._schema import constraint_name

        constraint = drop.element
        name = constraint_name(constraint)
        table = self.table_name(constraint.table)
        return f"ALTER TABLE {table} DROP CONSTRAINT {self.quote(name or '')}"

    def foreign_key_ddl(self, constraint: Any) -> str:
        local = ", ".join(self.quote(c.name) for c in constraint.columns)
        targets = [fk.column for fk in constraint.elements]
        remote = ", ".join(self.quote(c.name) for c in targets)
        text = f"FOREIGN KEY({local}) REFERENCES {self.table_name(targets[0].table)} ({remote})"
        if constraint.ondelete:
            text += f" ON DELETE {constraint.ondelete}"
        if constraint.onupdate:
            text += f" ON UPDATE {constraint.onupdate}"
        return text

    def visit_drop_table(self, drop: Any, **kw: Any) -> str:
        return f"DROP TABLE {self.table_name(drop.element)}"

    def visit_create_index(self, create: Any, **kw: Any) -> str:
        index = create.element
        unique = "UNIQUE " if index.unique else ""
        columns = ", ".join(self.quote(c.name) for c in index.columns)
        target = self.table_name(index.table)
        return f"CREATE {unique}INDEX {self.quote(index.name)} ON {target} ({columns})"

    def visit_drop_index(self, drop: Any, **kw: Any) -> str:
        index = drop.element
        name = self.quote(index.name)
        if index.table is not None and index.table.schema:
            name = f"{self.quote(index.table.schema)}.{name}"
        return f"DROP INDEX {name}"

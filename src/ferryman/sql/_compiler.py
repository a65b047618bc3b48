"""The compiler: an expression tree to SQL text plus a plan for its parameters.

``SQLCompiler`` walks a statement once, calling ``visit_<name>`` for each
node. Every bound parameter becomes a placeholder; the compiler records, for
each placeholder in order, where its value comes from: the statement's own
bind (by its position in the statement's ``_key()`` traversal, so that a new
statement of the same shape reuses this compiled form with its own values)
and/or a name in the parameters given to ``execute()``.

The compiler is split by statement family, each module a layer over the
previous: ``_compiler_base`` (placeholders, identifiers, values, operators,
functions), ``_compiler_select``, ``_compiler_dml``, ``_compiler_ddl``; this
module assembles ``SQLCompiler``. Dialects subclass it for their flavour
(``ILIKE`` on SQLite, ``SERIAL`` keys on PostgreSQL, ...). ``str(statement)``
uses the generic dialect below, with ``:name`` placeholders.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ._compiler_base import BaseCompiler, ExpressionCompiled
from ._compiler_ddl import DDLCompiler
from ._elements import BindParameter, ClauseElement

__all__ = [
    "BaseCompiler",
    "ExpressionCompiled",
    "GenericDialect",
    "SQLCompiler",
    "compile_element",
]


class SQLCompiler(DDLCompiler):
    """Renders statements for one dialect. One instance per compilation; dialects
    subclass it for their flavour."""


class GenericDialect:
    """What ``str(statement)`` compiles for: no database, ``:name`` placeholders."""

    name = "default"
    paramstyle = "named"

    @property
    def statement_compiler(self) -> type[SQLCompiler]:
        return SQLCompiler


def compile_element(
    element: ClauseElement,
    dialect: Any = None,
    *,
    literal_binds: bool = False,
    param_names: Sequence[str] = (),
    primary_key: bool = False,
) -> ExpressionCompiled:
    """Compile ``element`` for ``dialect`` (the generic one when None).

    ``primary_key``: a single-row INSERT also returns the new row's primary key
    (for ``result.inserted_primary_key``): with RETURNING where the dialect has it,
    else from the driver's last row id (a single-column key)."""
    dialect = dialect or GenericDialect()
    binds: list[BindParameter] = []
    element._key(binds)
    compiler_class = getattr(dialect, "statement_compiler", SQLCompiler)
    compiler = compiler_class(dialect, binds, param_names, literal_binds)
    compiler.want_primary_key = primary_key
    compiled = compiler.compile(element)
    if isinstance(dialect, GenericDialect) or literal_binds:
        compiled_params = {}
        for index, name, _ in compiled.plan:
            if index is not None:
                compiled_params[name] = binds[index].value
        compiled._params = compiled_params
    return compiled

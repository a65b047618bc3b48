"""Textual SQL: ``text()`` with ``:name`` bind parameters.

A ``TextClause`` is immutable: ``bindparams()`` and ``columns()`` return new
objects. Compiling one for a dialect turns each ``:name`` into the driver's
placeholder (``?``, ``$1``, ``%s``) and records the order in which values are
taken from the parameter dictionary. ``\\:`` writes a literal colon, and
``::`` (a PostgreSQL cast) is left alone.

Values never enter the SQL text: they travel as bound parameters.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from .. import exc
from ._elements import BindParameter, bindparam

__all__ = ["BindParameter", "Compiled", "TextClause", "bindparam", "text"]

# A name ends at the first non-word character; ":name::type" is a bind then a cast.
_BIND = re.compile(r"(?<![:\w\\]):(\w+)(?!\w)(?!:(?!:))")
_ESCAPED_COLON = re.compile(r"\\:")


class Compiled:
    """A statement compiled for one dialect: the SQL and how to order its parameters.

    Compiled objects are cached per engine and shared between connections and
    tasks, so they are never mutated after construction.
    """

    result_processors: Any = None  # text() results are not converted
    process_rows: Any = None
    primary_key: Any = None  # nor is a primary key asked back

    __slots__ = (
        "_getter",
        "_parts",
        "compile_time",
        "created_at",
        "expanding",
        "names",
        "paramstyle",
        "result_keys",
        "sql",
    )

    def __init__(
        self,
        sql: str,
        names: tuple[str, ...],
        paramstyle: str,
        parts: tuple[str, ...],
        expanding: frozenset[str],
        result_keys: tuple[str, ...] | None,
        compile_time: float,
    ) -> None:
        self.sql = sql
        self.names = names
        self.paramstyle = paramstyle
        self._parts = parts
        self.expanding = expanding
        self.result_keys = result_keys
        self.compile_time = compile_time
        self.created_at = time.monotonic()
        if len(names) > 1:
            self._getter: Any = itemgetter(*names)
        elif names:
            name = names[0]
            self._getter = lambda params: (params[name],)
        else:
            self._getter = lambda params: ()

    def positional(self, params: Mapping[str, Any]) -> Sequence[Any]:
        """The values in placeholder order; a missing value raises ``StatementError``."""
        try:
            return self._getter(params)  # type: ignore[no-any-return]
        except KeyError as err:
            raise self._missing(err.args[0], params) from None
        except TypeError:
            raise exc.ArgumentError(
                f"Parameters must be a mapping of bind names to values, not {params!r}"
            ) from None

    def render_expanding(self, params: Mapping[str, Any]) -> tuple[str, list[Any]]:
        """SQL and values for a statement with ``expanding`` binds (IN lists)."""
        sql: list[str] = []
        values: list[Any] = []
        for index, part in enumerate(self._parts):
            if index % 2 == 0:
                sql.append(part)
                continue
            if part not in params:
                raise self._missing(part, params)
            value = params[part]
            if part in self.expanding:
                if isinstance(value, (str, bytes)) or not isinstance(value, Sequence | set):
                    raise exc.ArgumentError(
                        f"Expanding bind parameter {part!r} needs a list or tuple of values, "
                        f"got {value!r}"
                    )
                items = list(value)
                if not items:
                    # An empty IN list: a subquery that returns no rows keeps the SQL valid.
                    sql.append("(SELECT 1 WHERE 1 = 0)")
                    continue
                marks = [self._placeholder(len(values) + i + 1) for i in range(len(items))]
                sql.append("(" + ", ".join(marks) + ")")
                values.extend(items)
            else:
                values.append(value)
                sql.append(self._placeholder(len(values)))
        return "".join(sql), values

    def _placeholder(self, position: int) -> str:
        return _placeholder(self.paramstyle, position)

    def _missing(self, name: str, params: Any) -> exc.StatementError:
        return exc.StatementError(
            f"A value is required for bind parameter {name!r}: pass it in the parameters "
            f"(conn.execute(stmt, {{{name!r}: ...}})) or with text(...).bindparams({name}=...)",
            self.sql,
            params,
        )


def _placeholder(paramstyle: str, position: int, name: str | None = None) -> str:
    """The driver's placeholder for parameter ``position`` (1-based) or ``name``."""
    if paramstyle == "qmark":
        return "?"
    if paramstyle == "numeric_dollar":
        return f"${position}"
    if paramstyle == "format":
        return "%s"
    if paramstyle == "named" and name is not None:
        return f":{name}"
    raise exc.ArgumentError(f"Unknown paramstyle {paramstyle!r}")


class TextClause:
    """Literal SQL with ``:name`` bind parameters. Build one with ``text()``."""

    __slots__ = (
        "_bind_defaults",
        "_bind_types",
        "_cache_key",
        "_column_names",
        "_expanding",
        "text",
    )

    _is_textual = True
    __visit_name__ = "textclause"

    def _compiler_dispatch(self, compiler: Any, **kw: Any) -> str:
        return compiler.visit_textclause(self, **kw)  # type: ignore[no-any-return]

    def _key(self, binds: list[BindParameter]) -> Any:
        return ("text", self.text)

    def __init__(self, sql: str) -> None:
        if not isinstance(sql, str):
            raise exc.ArgumentError(f"text() needs a SQL string, not {type(sql).__name__}")
        self.text = sql
        self._bind_defaults: dict[str, Any] = {}
        self._bind_types: dict[str, Any] = {}
        self._expanding: frozenset[str] = frozenset()
        self._column_names: tuple[str, ...] | None = None
        self._cache_key: tuple[Any, ...] = (sql,)

    def _copy(self) -> TextClause:
        new = TextClause.__new__(TextClause)
        new.text = self.text
        new._bind_defaults = dict(self._bind_defaults)
        new._bind_types = dict(self._bind_types)
        new._expanding = self._expanding
        new._column_names = self._column_names
        return new

    def _rekey(self) -> TextClause:
        self._cache_key = (self.text, self._expanding, self._column_names)
        return self

    @property
    def bind_names(self) -> tuple[str, ...]:
        """The bind parameter names, in order of first appearance."""
        seen: dict[str, None] = {}
        for match in _BIND.finditer(self.text):
            seen.setdefault(match.group(1))
        return tuple(seen)

    def bindparams(self, *binds: BindParameter, **values: Any) -> TextClause:
        """A copy with values (and types, ``expanding``) set for some bind parameters."""
        new = self._copy()
        known = set(self.bind_names)
        expanding = set(self._expanding)
        for bind in binds:
            if not isinstance(bind, BindParameter):
                raise exc.ArgumentError(f"bindparams() takes bindparam() objects, not {bind!r}")
            if bind.key not in known:
                raise exc.ArgumentError(
                    f"This text() construct has no bind parameter {bind.key!r}; "
                    f"its parameters are {sorted(known)}"
                )
            if bind.value is not None:
                new._bind_defaults[bind.key] = bind.value
            if bind.type is not None:
                new._bind_types[bind.key] = bind.type
            if bind.expanding:
                expanding.add(bind.key)
        for key, value in values.items():
            if key not in known:
                raise exc.ArgumentError(
                    f"This text() construct has no bind parameter {key!r}; "
                    f"its parameters are {sorted(known)}"
                )
            new._bind_defaults[key] = value
        new._expanding = frozenset(expanding)
        return new._rekey()

    def columns(self, *cols: Any, **types: Any) -> TextClause:
        """A copy whose result columns carry these names (positionally) and types."""
        names: list[str] = []
        for col in cols:
            name = col if isinstance(col, str) else getattr(col, "name", None)
            if not isinstance(name, str):
                raise exc.ArgumentError(f"columns() takes column names or columns, not {col!r}")
            names.append(name)
        names.extend(types)
        new = self._copy()
        new._column_names = tuple(names)
        return new._rekey()

    def _compile(self, paramstyle: str) -> Compiled:
        started = time.perf_counter()
        parts: list[str] = []
        names: list[str] = []
        position: dict[str, int] = {}
        last = 0
        for match in _BIND.finditer(self.text):
            parts.append(self.text[last : match.start()])
            name = match.group(1)
            parts.append(name)
            last = match.end()
        parts.append(self.text[last:])
        sql: list[str] = []
        for index, part in enumerate(parts):
            if index % 2 == 0:
                literal = _ESCAPED_COLON.sub(":", part)
                if paramstyle == "format":
                    literal = literal.replace("%", "%%")
                sql.append(literal)
                parts[index] = literal
            elif paramstyle == "numeric_dollar":
                if part not in position:
                    names.append(part)
                    position[part] = len(names)
                sql.append(f"${position[part]}")
            else:
                names.append(part)
                sql.append(_placeholder(paramstyle, len(names)))
        return Compiled(
            "".join(sql),
            tuple(names),
            paramstyle,
            tuple(parts),
            self._expanding,
            self._column_names,
            time.perf_counter() - started,
        )

    def __str__(self) -> str:
        return self.text

    def __repr__(self) -> str:
        return f"<TextClause {self.text!r}>"


def text(sql: str) -> TextClause:
    """Literal SQL, with ``:name`` bind parameters filled from ``execute()``'s parameters."""
    return TextClause(sql)

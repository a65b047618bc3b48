"""From a statement and its parameters to what the driver is sent (pure, no I/O).

Each engine keeps a ``StatementCache``: compiled SQL by statement cache key,
so a statement is compiled once per engine and then only looked up. The
cache is a bounded dict shared by every connection and task of the engine
(compiled objects are immutable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from .. import exc
from ..sql import BindParameter, ClauseElement, compile_element
from ..sql._text import Compiled

__all__ = ["Prepared", "StatementCache", "check_options"]

_CACHE_SIZE = 500
_EXECUTION_OPTIONS = frozenset(
    {"isolation_level", "stream_results", "yield_per", "logging_token", "max_row_buffer"}
)


def check_options(options: dict[str, Any]) -> None:
    """Raise ``ArgumentError`` for execution options ferryman does not know."""
    unknown = set(options) - _EXECUTION_OPTIONS
    if unknown:
        raise exc.ArgumentError(
            f"Unknown execution option(s) {sorted(unknown)}; known options are "
            + ", ".join(sorted(_EXECUTION_OPTIONS))
        )


class Prepared(tuple[Any, ...]):
    """One execution, ready to send: ``(compiled, fresh, sql, params, many, user_params)``.

    A tuple, so that making one is a single C-level call on the hot path;
    ``compiled`` is ``None`` for ``exec_driver_sql()``, ``params`` are in the
    driver's order, ``user_params`` as the caller gave them (for logs and errors).
    """

    __slots__ = ()

    compiled = property(itemgetter(0))
    fresh = property(itemgetter(1))
    sql = property(itemgetter(2))
    params = property(itemgetter(3))
    many = property(itemgetter(4))
    user_params = property(itemgetter(5))


def _evict_oldest(cache: dict[Any, Any]) -> None:
    """Drop the oldest entry; threads sharing a sync engine may race to do the same."""
    try:
        del cache[next(iter(cache))]
    except (KeyError, RuntimeError, StopIteration):
        pass


class StatementCache:
    __slots__ = ("_cache", "dialect", "paramstyle", "size")

    def __init__(self, dialect: Any, size: int = _CACHE_SIZE) -> None:
        self.dialect = dialect
        self.paramstyle = dialect.paramstyle
        self.size = size
        self._cache: dict[Any, Any] = {}

    def __len__(self) -> int:
        return len(self._cache)

    def clear(self) -> None:
        self._cache.clear()

    def prepare(self, statement: Any, parameters: Any) -> Prepared:
        try:
            key = statement._cache_key
        except AttributeError:
            raise exc.ObjectNotExecutableError(statement) from None
        if key is None:  # the expression language (see ClauseElement._cache_key)
            return self._prepare_expression(statement, parameters)
        cache = self._cache
        compiled = cache.get(key)
        fresh = compiled is None
        if compiled is None:
            compiled = statement._compile(self.paramstyle)
            if len(cache) >= self.size:
                _evict_oldest(cache)
            cache[key] = compiled
        defaults = statement._bind_defaults
        if type(parameters) is dict and not defaults and not compiled.expanding:
            # The common case, kept to one C-level parameter lookup.
            try:
                values = compiled._getter(parameters)
            except KeyError:
                values = compiled.positional(parameters)  # raises the helpful error
            return Prepared((compiled, fresh, compiled.sql, values, False, parameters))
        if parameters is None or (type(parameters) is list and not parameters):
            return self._single(compiled, fresh, defaults, None)
        if type(parameters) is dict or isinstance(parameters, Mapping):
            merged = {**defaults, **parameters} if defaults else parameters
            return self._single(compiled, fresh, merged, parameters)
        if isinstance(parameters, Sequence) and not isinstance(parameters, (str, bytes)):
            return self._many(compiled, fresh, defaults, parameters)
        raise exc.ArgumentError(
            "Parameters must be a dict of bind names to values, or a list of such dicts for "
            f"an executemany; got {type(parameters).__name__}: {parameters!r}"
        )

    def _prepare_expression(self, statement: ClauseElement, parameters: Any) -> Prepared:
        """A statement of the expression language: its structure is the cache key
        (with the parameter names, for INSERT / UPDATE columns), its values come from
        its own binds and the parameters."""
        if parameters is None and not statement._uses_parameter_names:
            memo = getattr(statement, "_memo", None)
            compiled = self._cache.get(memo[0]) if memo is not None else None
            if compiled is not None and compiled._bind_only is not None:
                # run before, and its values are its binds' (most selects): no checks
                own, indexes = memo[1], compiled._bind_only  # type: ignore[index]
                if len(indexes) == 1:
                    values = [own[indexes[0]].value]
                else:
                    values = [own[i].value for i in indexes]
                if compiled._procs is not None:
                    values = compiled._process(values)
                return Prepared((compiled, False, compiled.sql, values, False, tuple(values)))
        many = isinstance(parameters, (list, tuple)) and bool(parameters)
        first = parameters[0] if many else parameters
        if first is None or (isinstance(parameters, (list, tuple)) and not parameters):
            first = {}
        if type(first) is not dict and not isinstance(first, Mapping):
            raise exc.ArgumentError(
                "Parameters must be a dict of bind names to values, or a list of such dicts "
                f"for an executemany; got {type(first).__name__}: {first!r}"
            )
        memo = getattr(statement, "_memo", None)
        if memo is None:
            binds: list[BindParameter] = []
            key: Any = statement._key(binds)
            state = getattr(statement, "__dict__", None)
            if state is not None:  # statements are immutable: a second run skips this
                state["_memo"] = (key, binds)
        else:
            key, binds = memo
        names: tuple[str, ...] = ()
        if statement._uses_parameter_names:
            names = tuple(sorted(first)) if first else ()
            key = (key, names, many)
        cache = self._cache
        compiled = cache.get(key)
        fresh = compiled is None
        if compiled is None:
            compiled = compile_element(
                statement, self.dialect, param_names=names, primary_key=not many
            )
            if len(cache) >= self.size:
                _evict_oldest(cache)
            cache[key] = compiled
        if many:
            if compiled.expanding:
                raise exc.ArgumentError(
                    "A statement with an IN list can't run as an executemany; "
                    "execute it once per parameter set"
                )
            rows = compiled.many_values(binds, parameters)
            return Prepared((compiled, fresh, compiled.sql, rows, True, rows))
        in_order = getattr(statement, "_values_in_order", None)
        if in_order is not None and len(in_order) == len(compiled.plan) and not first:
            # a statement that brings its values in placeholder order (the ORM's
            # multi-row INSERT): no bind object per value
            values = compiled._process(list(in_order)) if compiled._procs else in_order
        else:
            values = compiled.values(binds, first)
            if compiled._bind_only is None and not first and not names:
                indexes = [index for index, _, _ in compiled.plan]
                if (
                    None not in indexes
                    and not compiled.expanding
                    and not compiled._defaults
                    # anonymous binds (col == value): every statement of this shape
                    # brings their values (a named one may have to come from the call)
                    and all(binds[i].key is None for i in indexes)
                ):
                    compiled._bind_only = tuple(indexes)
        sql = compiled.sql
        if compiled.expanding:
            sql, values = compiled.render(values)
        return Prepared((compiled, fresh, sql, values, False, tuple(values)))

    @staticmethod
    def _single(compiled: Compiled, fresh: bool, params: Any, given: Any) -> Prepared:
        if compiled.expanding:
            sql, expanded = compiled.render_expanding(params)
            return Prepared((compiled, fresh, sql, expanded, False, given))
        values = compiled.positional(params)
        return Prepared((compiled, fresh, compiled.sql, values, False, given))

    @staticmethod
    def _many(
        compiled: Compiled, fresh: bool, defaults: dict[str, Any], seq: Sequence[Any]
    ) -> Prepared:
        if compiled.expanding:
            raise exc.ArgumentError(
                "A statement with expanding (IN list) parameters can't run as an executemany; "
                "execute it once per parameter set"
            )
        try:
            if defaults:
                values = [compiled._getter({**defaults, **p}) for p in seq]
            else:
                values = list(map(compiled._getter, seq))
        except KeyError:
            for p in seq:  # find the parameter set at fault, for the error message
                compiled.positional({**defaults, **p})
            raise
        except TypeError:
            bad = next((p for p in seq if not isinstance(p, Mapping)), seq)
            raise exc.ArgumentError(
                "An executemany needs a list of dicts of bind names to values; "
                f"one item is {type(bad).__name__}: {bad!r}"
            ) from None
        return Prepared((compiled, fresh, compiled.sql, values, True, seq))

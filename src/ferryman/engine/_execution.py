"""From a statement and its parameters to what the driver is sent (pure, no I/O).

Each engine keeps a ``StatementCache``: compiled SQL by statement cache key,
so a statement is compiled once per engine and then only looked up. The
cache is a bounded dict shared by every connection and task of the engine
(compiled objects are immutable).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .. import exc
from ..sql._text import Compiled

__all__ = ["Prepared", "StatementCache"]

_CACHE_SIZE = 500


class Prepared:
    """One execution's SQL and driver parameters (positional), ready to send."""

    __slots__ = ("compiled", "fresh", "many", "params", "sql", "user_params")

    def __init__(
        self,
        compiled: Compiled | None,
        fresh: bool,
        sql: str,
        params: Any,
        many: bool,
        user_params: Any,
    ) -> None:
        self.compiled = compiled
        self.fresh = fresh
        self.sql = sql
        self.params = params
        self.many = many
        self.user_params = user_params


class StatementCache:
    __slots__ = ("_cache", "paramstyle", "size")

    def __init__(self, paramstyle: str, size: int = _CACHE_SIZE) -> None:
        self.paramstyle = paramstyle
        self.size = size
        self._cache: dict[Any, Compiled] = {}

    def __len__(self) -> int:
        return len(self._cache)

    def clear(self) -> None:
        self._cache.clear()

    def prepare(self, statement: Any, parameters: Any) -> Prepared:
        try:
            key = statement._cache_key
        except AttributeError:
            raise exc.ObjectNotExecutableError(statement) from None
        cache = self._cache
        compiled = cache.get(key)
        fresh = compiled is None
        if compiled is None:
            compiled = statement._compile(self.paramstyle)
            if len(cache) >= self.size:
                del cache[next(iter(cache))]
            cache[key] = compiled
        defaults = statement._bind_defaults
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

    @staticmethod
    def _single(compiled: Compiled, fresh: bool, params: Any, given: Any) -> Prepared:
        if compiled.expanding:
            sql, values = compiled.render_expanding(params)
            return Prepared(compiled, fresh, sql, values, False, given)
        return Prepared(compiled, fresh, compiled.sql, compiled.positional(params), False, given)

    @staticmethod
    def _many(
        compiled: Compiled, fresh: bool, defaults: dict[str, Any], seq: Sequence[Any]
    ) -> Prepared:
        if compiled.expanding:
            raise exc.ArgumentError(
                "A statement with expanding (IN list) parameters can't run as an executemany; "
                "execute it once per parameter set"
            )
        positional = compiled.positional
        try:
            if defaults:
                values = [positional({**defaults, **p}) for p in seq]
            else:
                values = [positional(p) for p in seq]
        except exc.ArgumentError:
            bad = next(p for p in seq if not isinstance(p, Mapping))
            raise exc.ArgumentError(
                "An executemany needs a list of dicts of bind names to values; "
                f"one item is {type(bad).__name__}: {bad!r}"
            ) from None
        return Prepared(compiled, fresh, compiled.sql, values, True, list(seq))

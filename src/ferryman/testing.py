"""Query counting and N+1 detection for your test suite.

``count_queries(bind)`` counts and records the statements a block runs::

    with count_queries(engine) as queries:
        session.scalars(select(User)).all()
    assert queries.count == 1, queries.report()     # or: queries.assert_count(1)

Each record has the SQL, its parameters and the place in your code that ran it, so
a failing count shows which statements ran and from where.

``detect_n_plus_one(bind, threshold=5)`` watches a block (one web request, one
test) for the same statement run again and again, the mark of a relationship
loaded lazily in a loop: past ``threshold`` runs it warns (``NPlusOneWarning``), or
raises (``raise_error=True``), naming the statement, the count, where it ran from,
and the loader option that loads the relationship with the query instead.

``bind`` is an engine (sync or async), a connection, or a session. With pytest,
``pytest_plugins = ["ferryman.testing"]`` in a ``conftest.py`` adds the
``query_counter`` fixture (``with query_counter(engine) as queries: ...``) and
the ``no_n_plus_one`` fixture.
"""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from . import exc
from .engine._echo import Echo
from .orm._loading import LOADING_ATTRIBUTE

__all__ = [
    "NPlusOneWarning",
    "QueryCounter",
    "QueryRecord",
    "count_queries",
    "detect_n_plus_one",
]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


class NPlusOneWarning(UserWarning):
    """The same statement ran many times in one block: a lazy load in a loop?"""


@dataclass(frozen=True)
class QueryRecord:
    sql: str
    params: Any
    many: bool
    where: str  # file:line of the code outside ferryman (and the standard library) that ran it
    loading: str | None = None  # "Class.attribute" when a lazy load ran it

    def __str__(self) -> str:
        kind = " (executemany)" if self.many else ""
        return f"{self.sql}{kind}  -- from {self.where}"


@dataclass
class QueryCounter:
    """The statements a ``count_queries()`` block ran (so far)."""

    statements: list[QueryRecord] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)

    def report(self) -> str:
        """The statements, numbered, each with where it ran from."""
        lines = [f"{self.count} statement(s):"]
        lines += [f"  {i}. {record}" for i, record in enumerate(self.statements, 1)]
        return "\n".join(lines)

    def assert_count(self, expected: int) -> None:
        """``AssertionError`` unless exactly ``expected`` statements ran; the message
        lists them."""
        if self.count != expected:
            raise AssertionError(
                f"expected {expected} statement(s), {self.count} ran\n{self.report()}"
            )


def _echo_of(bind: Any) -> Echo:
    """The engine's echo (where its connections report statements) for an engine or
    a connection (their own ``_echo``) or a session (its bind's), sync or async."""
    for candidate in (bind, getattr(bind, "bind", None)):
        echo = getattr(candidate, "_echo", None)
        if isinstance(echo, Echo):
            return echo
    raise exc.ArgumentError(
        f"count_queries() and detect_n_plus_one() watch an engine, a connection or a "
        f"session, not {bind!r}"
    )


def _caller() -> str:
    """file:line of the nearest frame outside ferryman and the standard library."""
    frame = sys._getframe(2)
    stdlib = os.path.dirname(os.path.abspath(os.__file__))
    while frame is not None:
        path = os.path.abspath(frame.f_code.co_filename)
        if not path.startswith((_PACKAGE, stdlib)) and "site-packages" not in path:
            return f"{os.path.relpath(path)}:{frame.f_lineno}"
        frame = frame.f_back  # type: ignore[assignment]
    return "?"


@contextlib.contextmanager
def _watching(bind: Any, observer: Callable[[str, Any, bool], None]) -> Iterator[None]:
    echo = _echo_of(bind)
    echo.observers.append(observer)
    try:
        yield
    finally:
        echo.observers.remove(observer)


@contextlib.contextmanager
def count_queries(bind: Any) -> Iterator[QueryCounter]:
    """Count and record the statements run through ``bind``'s engine in the block
    (from any task or thread using that engine)."""
    counter = QueryCounter()

    def record(sql: str, params: Any, many: bool) -> None:
        counter.statements.append(
            QueryRecord(sql, params, many, _caller(), LOADING_ATTRIBUTE.get())
        )

    with _watching(bind, record):
        yield counter


@contextlib.contextmanager
def detect_n_plus_one(
    bind: Any, threshold: int = 5, raise_error: bool = False
) -> Iterator[QueryCounter]:
    """Warn (or raise ``exc.InvalidRequestError``) when one statement runs more than
    ``threshold`` times in the block; yields the block's ``QueryCounter``."""
    if not isinstance(threshold, int) or threshold < 1:
        raise exc.ArgumentError(f"threshold must be a positive integer, not {threshold!r}")
    seen: dict[str, int] = {}

    def check(sql: str, params: Any, many: bool) -> None:
        runs = seen[sql] = seen.get(sql, 0) + 1
        if runs == threshold + 1:
            loading = LOADING_ATTRIBUTE.get()
            if loading is not None:
                why = (
                    f"It loads {loading} object by object (a lazy load in a loop): load it "
                    f"with the query instead: .options(selectinload({loading})) (one more "
                    f"SELECT for all of them) or .options(joinedload({loading})) (a JOIN)"
                )
            else:
                why = (
                    "A query in a loop? Run one for all of them (an IN list, a join), or "
                    "for a relationship load it with the query: .options(selectinload(...))"
                )
            message = (
                f"N+1 queries: this statement ran {runs} times in one block (threshold "
                f"{threshold}), the last time from {_caller()}: {sql}. {why}"
            )
            if raise_error:
                raise exc.InvalidRequestError(message)
            warnings.warn(NPlusOneWarning(message), stacklevel=2)

    with count_queries(bind) as counter, _watching(bind, check):
        yield counter


try:  # the pytest fixtures, for ``pytest_plugins = ["ferryman.testing"]``
    import pytest
except ImportError:  # pragma: no cover - pytest is not a dependency
    pass
else:

    @pytest.fixture
    def query_counter() -> Callable[[Any], Any]:
        """``with query_counter(engine) as queries: ...``: ``count_queries``."""
        return count_queries

    @pytest.fixture
    def no_n_plus_one() -> Callable[..., Any]:
        """``with no_n_plus_one(engine): ...``: ``detect_n_plus_one`` that raises."""

        def watch(bind: Any, threshold: int = 5) -> Any:
            return detect_n_plus_one(bind, threshold, raise_error=True)

        return watch

"""Plans and the two loops that run them.

The ORM's multi-statement work (a flush, a query with selectin loads, a lazy
load) is written once, as a *plan*: a generator that yields the statements it
needs and receives their results, without doing I/O itself. ``run_plan``
drives a plan with a sync session's step executor, ``run_plan_async`` with an
async one; they are the only place the two front ends differ. When a
statement fails, the error is thrown into the plan, which may clean up and
re-raise.

A plan yields ``Execute(statement, params)`` and receives the buffered
``Result`` (plans read its rows with ``rows_of()``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from typing import Any

__all__ = ["Execute", "Plan", "rows_of", "run_plan", "run_plan_async"]


class Execute:
    """A step: run ``statement`` with ``params`` (a dict, a list of dicts, or None).
    ``read``: the statement only reads (no locks either), so the session may run it
    before beginning a transaction."""

    __slots__ = ("params", "read", "statement")

    def __init__(self, statement: Any, params: Any = None, read: bool = False) -> None:
        self.statement = statement
        self.params = params
        self.read = read

    def __repr__(self) -> str:
        return f"Execute({self.statement})"


Plan = Generator[Execute, Any, Any]


def rows_of(result: Any) -> Any:
    """The rows of a buffered result, as the driver gave them (tuple-like)."""
    return result._core.rows


def run_plan(plan: Plan, execute: Callable[[Execute], Any], step: Execute | None = None) -> Any:
    """Run ``plan``, each step through ``execute(step)`` (a sync session's, which
    runs it on its connection); return what the plan returns. ``step``: the plan's
    first step, if the caller already took it."""
    try:
        if step is None:
            step = next(plan)
        while True:
            try:
                result = execute(step)
            except BaseException as err:
                step = plan.throw(err)
                continue
            step = plan.send(result)
    except StopIteration as stop:
        return stop.value


async def run_plan_async(
    plan: Plan, execute: Callable[[Execute], Awaitable[Any]], step: Execute | None = None
) -> Any:
    """Run ``plan`` with an async ``execute(step)``; return what the plan returns."""
    try:
        if step is None:
            step = next(plan)
        while True:
            try:
                result = await execute(step)
            except BaseException as err:
                step = plan.throw(err)
                continue
            step = plan.send(result)
    except StopIteration as stop:
        return stop.value

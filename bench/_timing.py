"""Timing helpers shared by the benchmarks (``core.py``, ``orm.py``)."""

from __future__ import annotations

import gc
import inspect
import time
from collections.abc import Callable
from typing import Any


async def call(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, awaited if it returned an awaitable (sync and async workloads)."""
    result = fn(*args)
    if inspect.isawaitable(result):
        result = await result
    return result


async def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    """Seconds taken by one workload call (sync or async), with the GC off."""
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        result = fn(*args)
        if inspect.isawaitable(result):
            result = await result
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    return elapsed, result

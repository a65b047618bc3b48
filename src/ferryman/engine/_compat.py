"""The few primitives whose sync and async forms differ in more than ``await``.

The async front ends use the ``A``-prefixed names; ``tools/async_to_sync.py``
renames them to the sync ones when it generates the sync modules, so each
pair below must offer the same methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

__all__ = [
    "NOTHING",
    "ALock",
    "AMutex",
    "AQueue",
    "Lock",
    "Mutex",
    "Queue",
    "abounded",
    "bounded",
]

T = TypeVar("T")
NOTHING: Any = object()  # what a queue get returns when it timed out / was empty


class AQueue(Generic[T]):
    """A LIFO (or FIFO) queue for one event loop; ``put`` never waits."""

    def __init__(self, lifo: bool = True) -> None:
        self._queue: asyncio.Queue[T] = asyncio.LifoQueue() if lifo else asyncio.Queue()

    def put(self, item: T) -> None:
        self._queue.put_nowait(item)

    def get_nowait(self) -> T:
        try:
            return self._queue.get_nowait()
        except asyncio.QueueEmpty:
            return NOTHING  # type: ignore[no-any-return]

    async def get(self, timeout: float | None) -> T:
        """The next item, or ``NOTHING`` after ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                return await self._queue.get()
        except TimeoutError:
            return NOTHING  # type: ignore[no-any-return]

    def qsize(self) -> int:
        return self._queue.qsize()


class Queue(Generic[T]):
    """A thread-safe LIFO (or FIFO) queue with the same methods as ``AQueue``.

    ``put`` and ``get_nowait`` are single deque operations (atomic in CPython), so
    checking a connection in and out takes no lock; only a ``get`` that has to wait
    uses the condition, and ``put`` notifies only when someone waits."""

    def __init__(self, lifo: bool = True) -> None:
        self._items: deque[T] = deque()
        self._take = self._items.pop if lifo else self._items.popleft
        self._ready = threading.Condition(threading.Lock())
        self._waiting = 0

    def put(self, item: T) -> None:
        self._items.append(item)
        if self._waiting:
            with self._ready:
                self._ready.notify()

    def get_nowait(self) -> T:
        try:
            return self._take()
        except IndexError:
            return NOTHING  # type: ignore[no-any-return]

    def get(self, timeout: float | None) -> T:
        item = self.get_nowait()
        if item is not NOTHING:
            return item
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._ready:
            self._waiting += 1
            try:
                while True:
                    item = self.get_nowait()  # checked under the lock: no missed put
                    if item is not NOTHING:
                        return item
                    remaining = None if deadline is None else deadline - time.monotonic()
                    if remaining is not None and remaining <= 0:
                        return NOTHING
                    self._ready.wait(remaining)
            finally:
                self._waiting -= 1

    def qsize(self) -> int:
        return len(self._items)


# No lock is needed between awaits on one event loop, but an uncontended C-level lock
# costs less than a Python-level no-op context manager (two Python calls per use).
AMutex: Callable[[], threading.Lock] = threading.Lock


Mutex: Callable[[], threading.Lock] = threading.Lock


ALock = asyncio.Lock
Lock = threading.Lock


def abounded(seconds: float) -> asyncio.Timeout:
    """Bound an await to ``seconds`` (raising ``TimeoutError`` past it)."""
    return asyncio.timeout(seconds)


def bounded(seconds: float) -> contextlib.nullcontext[None]:
    """A sync call cannot be interrupted from outside; it returns when it returns."""
    return contextlib.nullcontext()

"""The few primitives whose sync and async forms differ in more than ``await``.

The async front ends use the ``A``-prefixed names; ``tools/async_to_sync.py``
renames them to the sync ones when it generates the sync modules, so each
pair below must offer the same methods.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
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
    """A LIFO (or FIFO) queue for one event loop; ``put`` never waits.

    Fair: a ``put`` while tasks wait hands the item to the one that has waited
    longest, so a task that gives a connection back and asks again at once does not
    take it from under them (``asyncio.Queue`` lets it, and under load a waiter can
    starve until its timeout)."""

    def __init__(self, lifo: bool = True) -> None:
        self._items: deque[T] = deque()
        self._take = self._items.pop if lifo else self._items.popleft
        self._waiters: deque[asyncio.Future[T]] = deque()

    def put(self, item: T) -> None:
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(item)  # straight to the longest-waiting task
                return
        self._items.append(item)

    def get_nowait(self) -> T:
        try:
            return self._take()
        except IndexError:
            return NOTHING  # type: ignore[no-any-return]

    async def get(self, timeout: float | None) -> T:
        """The next item, or ``NOTHING`` after ``timeout`` seconds."""
        item = self.get_nowait()
        if item is not NOTHING:
            return item
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await waiter
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():
                return waiter.result()  # handed over just as the time ran out
            return NOTHING
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.put(waiter.result())  # cancelled after the handover: pass it on
            raise
        finally:
            if not waiter.done():
                waiter.cancel()
            with contextlib.suppress(ValueError):
                self._waiters.remove(waiter)

    def qsize(self) -> int:
        return len(self._items)


class _Waiter(Generic[T]):
    __slots__ = ("event", "gave_up", "item")

    def __init__(self) -> None:
        self.event = threading.Event()
        self.item: Any = NOTHING
        self.gave_up = False


class Queue(Generic[T]):
    """A thread-safe LIFO (or FIFO) queue with the same methods as ``AQueue``, fair
    the same way: a ``put`` while threads wait hands the item to the one that has
    waited longest. One short lock per operation."""

    def __init__(self, lifo: bool = True) -> None:
        self._items: deque[T] = deque()
        self._take = self._items.pop if lifo else self._items.popleft
        self._lock = threading.Lock()
        self._waiters: deque[_Waiter[T]] = deque()

    def put(self, item: T) -> None:
        with self._lock:
            waiters = self._waiters
            while waiters:
                waiter = waiters.popleft()
                if not waiter.gave_up:
                    waiter.item = item
                    waiter.event.set()
                    return
            self._items.append(item)

    def get_nowait(self) -> T:
        try:
            return self._take()  # a single deque operation: atomic in CPython
        except IndexError:
            return NOTHING  # type: ignore[no-any-return]

    def get(self, timeout: float | None) -> T:
        waiter: _Waiter[T] = _Waiter()
        with self._lock:
            item = self.get_nowait()
            if item is not NOTHING:
                return item
            self._waiters.append(waiter)
        if waiter.event.wait(timeout):
            return waiter.item  # type: ignore[no-any-return]
        with self._lock:
            if waiter.event.is_set():  # handed over just as the time ran out
                return waiter.item  # type: ignore[no-any-return]
            waiter.gave_up = True
        return NOTHING

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

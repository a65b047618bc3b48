"""What every backend provides: a ``Dialect`` (its SQL flavour) and drivers.

A driver adapter is a small class over one driver library that speaks one
narrow protocol, ``DriverConnection`` (sync) or ``AsyncDriverConnection``
(async): run a statement and return a ``RawResult``, run a batch, run a
control command (``BEGIN``, ``SAVEPOINT``), open a streaming cursor, ping,
close, terminate. Everything above (transactions, pooling, results, echo) is
written once in ``ferryman.engine`` against that protocol.

Adapters translate the driver's exceptions into ``ferryman.exc`` classes at
the boundary, so the engine only ever sees ferryman errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from operator import itemgetter
from typing import Any, ClassVar, Protocol

from .. import exc
from ..sql import SQLCompiler, TextClause
from ..sql._types import Enum, TypeDecorator, TypeEngine
from ._processors import Processor, check_for, compose, decorated

__all__ = [
    "AsyncDriverConnection",
    "AsyncRawStream",
    "Dialect",
    "DriverConnection",
    "DriverSpec",
    "RawResult",
    "RawStream",
]


class RawResult(tuple[Any, ...]):
    """What a driver returns from one execution, before ferryman builds rows:
    ``(keys, rows, rowcount, lastrowid)``; ``keys`` is ``None`` for a statement
    that returns no rows. A tuple, so that making one is a single C-level call.
    """

    __slots__ = ()

    keys = property(itemgetter(0))
    rows = property(itemgetter(1))
    rowcount = property(itemgetter(2))
    lastrowid = property(itemgetter(3))


class RawStream(Protocol):
    """A server-side (or lazily stepped) cursor for ``Connection.stream()``."""

    keys: tuple[str, ...] | None

    def fetchmany(self, size: int) -> Sequence[Sequence[Any]]: ...
    def close(self) -> None: ...


class AsyncRawStream(Protocol):
    keys: tuple[str, ...] | None

    async def fetchmany(self, size: int) -> Sequence[Sequence[Any]]: ...
    async def close(self) -> None: ...


class DriverConnection(Protocol):
    """One open connection of a sync driver.

    ``rows_ready`` is true when the driver builds result rows as ferryman
    ``Row`` objects itself (given the engine's ``row_class`` factory at connect).
    """

    driver_connection: Any
    rows_ready: bool

    def execute(self, sql: str, params: Any) -> RawResult: ...
    def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult: ...
    def command(self, sql: str) -> None: ...
    def stream(self, sql: str, params: Any, in_transaction: bool) -> RawStream: ...
    def ping(self) -> None: ...
    def close(self) -> None: ...
    def terminate(self) -> None: ...


class AsyncDriverConnection(Protocol):
    """One open connection of an async driver. ``terminate()`` is sync on purpose:
    it must work while a task is being cancelled."""

    driver_connection: Any
    rows_ready: bool

    async def execute(self, sql: str, params: Any) -> RawResult: ...
    async def executemany(self, sql: str, seq: Sequence[Any]) -> RawResult: ...
    async def command(self, sql: str) -> None: ...
    async def stream(self, sql: str, params: Any, in_transaction: bool) -> AsyncRawStream: ...
    async def ping(self) -> None: ...
    async def close(self) -> None: ...
    def terminate(self) -> None: ...


class Dialect:
    """A backend's SQL flavour, as far as the engine needs it."""

    name: ClassVar[str]
    default_isolation_level: ClassVar[str]
    isolation_levels: ClassVar[frozenset[str]]
    supports_savepoints: ClassVar[bool] = True
    supports_returning: ClassVar[bool] = True
    statement_compiler: ClassVar[type[SQLCompiler]] = SQLCompiler
    supports_native_enum: ClassVar[bool] = False
    # The default isolation level gives a transaction's reads one snapshot (MySQL's
    # REPEATABLE READ): a session then begins before its first read, not its first
    # write (see AsyncSession._defer_begin).
    default_level_holds_a_snapshot: ClassVar[bool] = False
    # The module reading the database's catalog (table_names(), columns() ...: see
    # sqlite/_reflection.py), or None where reflection is not written yet.
    reflection: ClassVar[Any] = None

    def __init__(self, paramstyle: str, driver: str) -> None:
        self.paramstyle = paramstyle
        self.driver = driver
        self._processors: dict[tuple[bool, Any], Any] = {}

    def bind_processor(self, type_: TypeEngine) -> Processor | None:
        """Check and convert a value of ``type_`` before it is sent (cached per type)."""
        return self._processor(type_, bind=True)

    def result_processor(self, type_: TypeEngine) -> Processor | None:
        """Convert a value of ``type_`` read back from the driver (cached per type)."""
        return self._processor(type_, bind=False)

    def _processor(self, type_: TypeEngine, bind: bool) -> Processor | None:
        key = (bind, type_)
        try:
            return self._processors[key]  # type: ignore[no-any-return]
        except KeyError:
            pass
        except TypeError:  # an unhashable user type: no caching
            return self._make_processor(type_, bind)
        made = self._make_processor(type_, bind)
        self._processors[key] = made
        return made

    def _make_processor(self, type_: TypeEngine, bind: bool) -> Processor | None:
        if isinstance(type_, TypeDecorator):
            processors = decorated(type_, self, self.bind_processor, self.result_processor)
            return processors[0] if bind else processors[1]  # type: ignore[no-any-return]
        if isinstance(type_, Enum):
            return type_.to_db if bind else type_.from_db
        if bind:
            return compose(check_for(type_), self.bind_converter(type_))
        return self.result_converter(type_)

    def bind_converter(self, type_: TypeEngine) -> Processor | None:
        """This dialect's conversion of a checked value (None: send it as it is)."""
        return None

    def result_converter(self, type_: TypeEngine) -> Processor | None:
        """This dialect's conversion of a value read back (None: keep it as it is)."""
        return None

    def normalize_isolation_level(self, level: str) -> str:
        """``"read committed"`` → ``"READ COMMITTED"``; unknown levels name the valid ones."""
        norm = level.replace("_", " ").upper() if isinstance(level, str) else level
        if norm not in self.isolation_levels:
            raise exc.ArgumentError(
                f"Invalid isolation level {level!r} for {self.name}; valid levels are "
                + ", ".join(sorted(self.isolation_levels))
            )
        return norm

    def begin_sql(self, isolation_level: str | None) -> str:
        return "BEGIN"

    def has_type_query(self, name: str) -> TextClause:
        """A query returning a row when the (enum) type exists."""
        raise exc.InvalidRequestError(f"The {self.name} dialect has no named types")

    def has_table_query(self, name: str, schema: str | None) -> TextClause:
        """A query returning a row when the table exists (for ``create_all``)."""
        raise exc.InvalidRequestError(f"The {self.name} dialect can't tell whether a table exists")

    def savepoint_sql(self, name: str) -> str:
        return f"SAVEPOINT {name}"

    def release_savepoint_sql(self, name: str) -> str:
        return f"RELEASE SAVEPOINT {name}"

    def rollback_to_savepoint_sql(self, name: str) -> str:
        return f"ROLLBACK TO SAVEPOINT {name}"

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}+{self.driver}>"


class DriverSpec(Protocol):
    """A driver adapter module's entry point: which dialect, sync or async, how to connect."""

    name: str
    is_async: bool
    dialect: Dialect

    def connect(self, params: dict[str, Any]) -> Any: ...

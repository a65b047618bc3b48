# Generated from src/ferryman/engine/_connection_async.py by tools/async_to_sync.py: do not edit.
# Change the async source and run the tool again.
"""Sync twin of ``_connection_async.py``, generated from it: see that module.

Connections and transactions: the async front end.

This module is the source of ``_connection.py`` (``Connection``,
``Transaction``), which ``tools/async_to_sync.py`` generates from it. The
two differ only where ``ASYNC`` says so.

Theory of operation:

* ``engine.connect()`` checks a driver connection out of the pool. The
  first statement begins a transaction ("autobegin", logged as
  ``BEGIN (implicit)``) unless the connection runs in ``AUTOCOMMIT``; it
  lasts until ``commit()`` / ``rollback()``. ``close()`` rolls back what is
  left and returns the connection to the pool.
* Statements are compiled once per engine (``StatementCache``) and sent as
  SQL plus positional parameters through the narrow driver protocol.
* A driver error arrives already translated (``exc.DBAPIError``); here it
  gets the statement and parameters. If the driver lost the connection the
  pool entry is discarded at once, and the transaction is marked inactive:
  ``rollback()`` clears it and the next statement checks out a fresh
  connection.
* Anything else that interrupts an operation (task cancellation, a timeout,
  a ``KeyboardInterrupt``) marks the connection *dirty*: its protocol state
  is unknown, so it is discarded when released, never handed to another user.
* Engine events (``before_execute``, ``after_execute``, ``handle_error``) cost
  one attribute check of the engine's ``dispatch`` when no listener is
  registered; firing them is in ``_conn_events.py``.
"""

from __future__ import annotations
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, TypeVar, overload
from .. import exc
from ..dialects._base import Dialect
from ..sql._compiler_base import LASTROWID
from ._conn_events import EventFiring
from ._echo import compile_note
from ._entry import PoolEntry
from ._execution import Prepared, check_options
from ._result import Result, ScalarResult
from ._result import Result, ScalarResult
from ._state import ACTIVE, ConnState, TxRecord
from ._transaction import Transaction

ASYNC = False
if TYPE_CHECKING:
    from ._engine import Engine
__all__ = ["Connection", "Transaction"]
T = TypeVar("T")


class Connection(EventFiring):
    """A connection from the pool, with its transaction.

    Use it as a context manager (``async with engine.connect() as conn:``) so
    that it goes back to the pool, rolled back, however the block ends.
    """

    def __init__(self, engine: Engine, state: ConnState | None = None) -> None:
        self.engine: Engine = engine
        self.dialect: Dialect = engine.dialect
        self._echo = engine._echo
        self._log, self._log_rows = engine._echo.modes()
        self._cache = engine._cache
        self._s = state or ConnState(engine._isolation_level, dict(engine._options))
        self._driver: Any = None
        self._dispatch = engine.dispatch

    _wraps = False

    def _wrap(self, driver: Any) -> Any:
        return driver

    def _set_entry(self, entry: PoolEntry | None) -> None:
        self._s.entry = entry
        if entry is None:
            self._driver = None
        else:
            driver = entry.dbapi_connection
            self._driver = self._wrap(driver) if self._wraps else driver

    def _connect_entry(self) -> PoolEntry:
        try:
            return self.engine.pool.connect()
        except exc.DBAPIError as err:
            if self._dispatch.handle_error:
                replacement = self._handle_error(err, None, None)
                if replacement is not None:
                    raise replacement from err
            raise

    def _release_entry(self, entry: PoolEntry, discard: bool) -> None:
        self.engine.pool.release(entry, discard=discard)

    def start(self) -> Connection:
        """Check a connection out of the pool (``async with`` and ``await`` call this)."""
        s = self._s
        if s.closed:
            raise exc.ResourceClosedError("This connection is closed; open a new one")
        if s.entry is None:
            self._set_entry(self._connect_entry())
        return self

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _ensure_ready(self) -> None:
        """Before a statement: open, connected, and inside a (possibly implicit) transaction."""
        s = self._s
        if s.closed:
            raise exc.ResourceClosedError(
                "This connection is closed; open a new one with engine.connect()"
            )
        if s.tx is not None and (not s.tx.is_active):
            raise exc.PendingRollbackError(
                "This connection's transaction was lost (the database connection failed inside it); call rollback() before running another statement"
            )
        if self._driver is None:
            self._reconnect()
        if s.tx is None:
            self._begin_root(implicit=True)

    def _reconnect(self) -> None:
        s = self._s
        self._set_entry(self._connect_entry())
        s.invalidated = False
        s.dirty = False

    def _entry(self) -> PoolEntry:
        entry = self._s.entry
        if entry is None:
            raise exc.ResourceClosedError("This connection has no database connection")
        return entry

    def _isolation(self) -> str | None:
        return self._s.isolation_level

    def execute(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> Result:
        """Run a statement; the rows are buffered in the returned ``Result``.

        ``parameters`` is a dict of bind values, or a list of dicts to run the
        statement once per dict (an executemany, on the driver's batch path).
        """
        if self._dispatch.execute_events:
            result: Result = self._with_events(
                statement,
                parameters,
                execution_options,
                lambda stmt, params: self._execute(stmt, params, execution_options),
            )
            return result
        return self._execute(statement, parameters, execution_options)

    def _execute(
        self, statement: Any, parameters: Any, execution_options: dict[str, Any] | None
    ) -> Result:
        prepared = self._cache.prepare(statement, parameters)
        if execution_options:
            check_options(execution_options)
            if execution_options.get("stream_results") or execution_options.get("yield_per"):
                return self._stream(prepared, execution_options)
        return self._run(prepared)

    def _execute_unbegun(
        self, statement: Any, parameters: Any = None, rows_only: bool = False, events: bool = True
    ) -> Any:
        """Run a statement without beginning a transaction when none is open: the
        driver runs it on its own (autocommit). The ORM uses this for reads before the
        first write, and for a unit of work that is a single statement, so that these
        cost one round trip instead of three (BEGIN, the statement, COMMIT/ROLLBACK).
        ``rows_only``: return the converted rows, not a ``Result`` (see ``_run``)."""
        if events and self._dispatch.execute_events:
            return self._with_events(
                statement,
                parameters,
                None,
                lambda stmt, params: self._execute_unbegun(stmt, params, False, False),
                rows_only,
            )
        cache = self._cache
        if statement._cache_key is None:
            prepared = cache._prepare_expression(statement, parameters)
        else:
            prepared = cache.prepare(statement, parameters)
        s = self._s
        if s.tx is None:
            if s.closed or self._driver is None:
                self._ensure_ready_no_tx()
            return self._run(prepared, False, rows_only)
        return self._run(prepared, True, rows_only)

    def exec_driver_sql(
        self,
        statement: str,
        parameters: Any = None,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> Result:
        """Run SQL as the driver takes it: its own placeholders (``?``, ``$1``, ``%s``)
        and parameters (a tuple, or a list of tuples for an executemany)."""
        if not isinstance(statement, str):
            raise exc.ArgumentError(
                f"exec_driver_sql() takes a SQL string, not {type(statement).__name__}"
            )
        if self._dispatch.execute_events:
            result: Result = self._with_events(
                statement, parameters, execution_options, self._exec_driver_sql
            )
            return result
        return self._exec_driver_sql(statement, parameters)

    def _exec_driver_sql(self, statement: str, parameters: Any) -> Result:
        many = (
            isinstance(parameters, list)
            and bool(parameters)
            and isinstance(parameters[0], (tuple, list, dict))
        )
        prepared = Prepared((None, False, statement, parameters, many, parameters))
        return self._run(prepared)

    def scalar(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> Any:
        """The first column of the first row (or ``None``)."""
        result = self.execute(statement, parameters, execution_options=execution_options)
        return result.scalar()

    def scalars(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> ScalarResult:
        result = self.execute(statement, parameters, execution_options=execution_options)
        return result.scalars()

    def _log_statement(self, prepared: Prepared) -> None:
        """Log the statement (echo), and show it to the query counters watching."""
        echo = self._echo
        if echo.observers:
            echo.observe(prepared.sql, prepared.user_params, prepared.many)
        if not self._log:
            return
        compiled = prepared.compiled
        if compiled is None:
            note = "raw sql"
        else:
            note = compile_note(prepared.fresh, compiled.compile_time, compiled.created_at)
        echo.statement(prepared.sql, note, prepared.user_params, prepared.many)

    @overload
    def _run(
        self, prepared: Prepared, autobegin: bool = ..., rows_only: Literal[False] = ...
    ) -> Result: ...

    @overload
    def _run(self, prepared: Prepared, autobegin: bool, rows_only: Literal[True]) -> list[Any]: ...

    @overload
    def _run(self, prepared: Prepared, autobegin: bool, rows_only: bool) -> Result | list[Any]: ...

    def _run(
        self, prepared: Prepared, autobegin: bool = True, rows_only: bool = False
    ) -> Result | list[Any]:
        """Run a prepared statement: its ``Result``, or with ``rows_only`` (the ORM's
        reads, which build their own result) the list of its converted rows."""
        s = self._s
        tx = s.tx
        if (
            tx is None
            and autobegin
            or self._driver is None
            or (tx is not None and tx.state is not ACTIVE)
        ):
            self._ensure_ready()
        driver = self._driver
        if self._log or self._echo.observers:
            self._log_statement(prepared)
        compiled, _, sql, params, many, user_params = prepared
        try:
            if many:
                raw = driver.executemany(sql, params)
            else:
                raw = driver.execute(sql, params)
        except exc.DBAPIError as err:
            self._failed(err, sql, user_params)
            raise
        except BaseException:
            s.dirty = True
            raise
        keys, rows, rowcount, lastrowid = raw
        if rows_only:
            process = compiled.process_rows if compiled is not None else None
            converted: list[Any] = process(rows) if process is not None and rows else rows
            return converted
        ready = driver.rows_ready
        if (
            compiled is not None
            and compiled.result_keys
            and (keys is not None)
            and (len(compiled.result_keys) == len(keys))
        ):
            keys = compiled.result_keys
            ready = False
        process = compiled.process_rows if compiled is not None else None
        if compiled is not None and compiled.primary_key:
            return _with_primary_key(compiled, rows, rowcount, lastrowid)
        if process is not None and keys is not None:
            return Result(keys, rows, None, rowcount, lastrowid, self._log_rows, False, process)
        return Result(keys, rows, None, rowcount, lastrowid, self._log_rows, ready)

    def stream(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> Result:
        """Run a statement and read its rows as they come, from a server-side cursor
        on PostgreSQL (memory stays flat however many rows there are)."""
        if execution_options:
            check_options(execution_options)
        if self._dispatch.execute_events:
            streamed: Result = self._with_events(
                statement,
                parameters,
                execution_options,
                lambda stmt, params: self._stream(
                    self._cache.prepare(stmt, params), execution_options or {}
                ),
            )
            return streamed
        prepared = self._cache.prepare(statement, parameters)
        return self._stream(prepared, execution_options or {})

    def stream_scalars(
        self,
        statement: Any,
        parameters: Any = None,
        *,
        execution_options: dict[str, Any] | None = None,
    ) -> ScalarResult:
        result = self.stream(statement, parameters, execution_options=execution_options)
        return result.scalars()

    def _stream(self, prepared: Prepared, options: dict[str, Any]) -> Result:
        if prepared.many:
            raise exc.ArgumentError(
                "stream() runs one statement with one set of parameters; use execute() for an executemany"
            )
        self._ensure_ready()
        if self._log or self._echo.observers:
            self._log_statement(prepared)
        in_tx = self._isolation() != "AUTOCOMMIT"
        try:
            raw = self._driver.stream(prepared.sql, prepared.params, in_tx)
        except exc.DBAPIError as err:
            self._failed(err, prepared.sql, prepared.user_params)
            raise
        except BaseException:
            self._s.dirty = True
            raise
        guarded = _GuardedStream(self, raw, prepared)
        process = prepared.compiled.process_rows if prepared.compiled else None
        ready = self._driver.rows_ready and process is None
        result = Result(raw.keys, (), guarded, -1, None, self._log_rows, ready, process)
        if options.get("yield_per"):
            result.yield_per(options["yield_per"])
        return result

    def _command(self, sql: str, shown: str | None = None) -> None:
        """Send a control statement (BEGIN, COMMIT, SAVEPOINT ...); logged as ``shown``
        or as it is."""
        if self._log:
            self._echo.info("%s", shown or sql)
        try:
            self._driver.command(sql)
        except exc.DBAPIError as err:
            self._failed(err, sql, None)
            raise
        except BaseException:
            self._s.dirty = True
            raise

    def _failed(self, err: exc.DBAPIError, sql: str, params: Any) -> None:
        """A statement failed: complete the error, fire ``handle_error`` (raising what
        a listener put in its place), drop a lost connection. The caller re-raises."""
        err.statement = sql
        err.params = params
        err.hide_parameters = self._echo.hide_parameters
        replacement = None
        try:
            if self._dispatch.handle_error:
                replacement = self._handle_error(err, sql, params)
        finally:
            if err.connection_invalidated:
                self._invalidate_entry()
        if replacement is not None:
            raise replacement from err

    def _invalidate_entry(self) -> None:
        """Drop the driver connection (it is broken); the transaction becomes inactive."""
        s = self._s
        entry = s.entry
        if s.tx is not None:
            s.tx.step("deactivate")
        for savepoint in s.savepoints:
            savepoint.step("deactivate")
        s.savepoints.clear()
        s.invalidated = True
        if entry is not None:
            self._set_entry(None)
            self._release_entry(entry, True)

    def begin(self) -> Transaction:
        """Begin a transaction: ``async with conn.begin():`` commits at the end of the
        block and rolls back if it raises."""
        self._refuse_second_begin()
        transaction = Transaction(self, nested=False)
        transaction.start()
        return transaction

    def begin_nested(self) -> Transaction:
        """Begin a savepoint (beginning the transaction first if there is none)."""
        transaction = Transaction(self, nested=True)
        transaction.start()
        return transaction

    def _begin_root(self, implicit: bool) -> TxRecord:
        s = self._s
        level = self._isolation()
        if level == "AUTOCOMMIT":
            if self._log:
                self._echo.info("BEGIN (implicit; autocommit mode: nothing is sent)")
        else:
            shown = "BEGIN (implicit)" if implicit else None
            self._command(self.dialect.begin_sql(level), shown)
        s.tx = TxRecord()
        return s.tx

    def _refuse_second_begin(self) -> None:
        if self._s.tx is not None:
            raise exc.InvalidRequestError(
                "A transaction is already begun on this connection (explicitly, or implicitly by a statement: autobegin). Call commit() or rollback() first, or use begin_nested() for a savepoint"
            )

    def _begin_explicit(self) -> TxRecord:
        self._refuse_second_begin()
        self._ensure_ready_no_tx()
        return self._begin_root(implicit=False)

    def _ensure_ready_no_tx(self) -> None:
        s = self._s
        if s.closed:
            raise exc.ResourceClosedError("This connection is closed; open a new one")
        if self._driver is None:
            self._reconnect()

    def _begin_savepoint(self) -> TxRecord:
        s = self._s
        self._ensure_ready()
        s.sp_counter += 1
        name = f"ferryman_sp_{s.sp_counter}"
        record = TxRecord(name)
        self._command(self.dialect.savepoint_sql(name))
        s.savepoints.append(record)
        return record

    def _end_root(self, record: TxRecord, event: str) -> None:
        s = self._s
        record.check(event)
        if record is not s.tx or not record.is_active:
            record.step(event)
            if record is s.tx:
                s.tx = None
            return
        for savepoint in s.savepoints:
            savepoint.step("deactivate")
        s.savepoints.clear()
        sql = "COMMIT" if event == "commit" else "ROLLBACK"
        try:
            if self._isolation() == "AUTOCOMMIT" or self._driver is None:
                if self._log:
                    self._echo.info("%s (autocommit mode: nothing is sent)", sql)
            else:
                self._command(sql)
        except exc.DBAPIError:
            if event == "commit" and self._driver is not None:
                try:
                    self._command("ROLLBACK")
                except exc.DBAPIError:
                    s.dirty = True
            record.step("rollback")
            s.tx = None
            raise
        except BaseException:
            record.step("deactivate")
            s.tx = None
            raise
        record.step(event)
        s.tx = None

    def _end_savepoint(self, record: TxRecord, event: str) -> None:
        s = self._s
        record.check(event)
        if not record.is_active or record not in s.savepoints:
            record.step(event)
            return
        index = s.savepoints.index(record)
        for inner in s.savepoints[index + 1 :]:
            inner.step("deactivate")
        del s.savepoints[index:]
        name = record.name or ""
        if event == "commit":
            sql = self.dialect.release_savepoint_sql(name)
        else:
            sql = self.dialect.rollback_to_savepoint_sql(name)
        try:
            self._command(sql)
        except BaseException:
            record.step("deactivate")
            raise
        record.step(event)

    def commit(self) -> None:
        """Commit the transaction (and every savepoint in it); nothing if there is none."""
        if self._s.tx is not None:
            self._end_root(self._s.tx, "commit")

    def rollback(self) -> None:
        """Roll back the transaction; also clears a transaction lost with its connection."""
        if self._s.tx is not None:
            self._end_root(self._s.tx, "rollback")

    def in_transaction(self) -> bool:
        return self._s.tx is not None

    def in_nested_transaction(self) -> bool:
        return bool(self._s.savepoints)

    def get_transaction(self) -> Transaction | None:
        """The current transaction (begun explicitly or by autobegin), or None."""
        return self._handle(self._s.tx, nested=False)

    def get_nested_transaction(self) -> Transaction | None:
        """The innermost savepoint, or None."""
        return self._handle(self._s.savepoints[-1] if self._s.savepoints else None, True)

    def _handle(self, record: TxRecord | None, nested: bool) -> Transaction | None:
        if record is None:
            return None
        handle = Transaction(self, nested=nested)
        handle._record = record
        return handle

    def execution_options(self, **options: Any) -> Connection:
        """Set options on this connection (in place): ``isolation_level`` ("AUTOCOMMIT",
        "SERIALIZABLE", ...), ``yield_per``, ``stream_results``."""
        check_options(options)
        s = self._s
        if "isolation_level" in options:
            if s.tx is not None:
                raise exc.InvalidRequestError(
                    "Can't change the isolation level inside a transaction; commit() or rollback() first, or set it right after engine.connect()"
                )
            s.isolation_level = self.dialect.normalize_isolation_level(options["isolation_level"])
        s.options.update(options)
        return self

    def get_execution_options(self) -> dict[str, Any]:
        return dict(self._s.options)

    def get_isolation_level(self) -> str:
        """The isolation level new transactions on this connection use."""
        return str(self._isolation() or self.dialect.default_isolation_level)

    @property
    def default_isolation_level(self) -> str:
        return self.dialect.default_isolation_level

    def get_raw_connection(self) -> PoolEntry:
        """The pooled connection: ``.driver_connection`` is the driver's own object."""
        self._ensure_ready_no_tx()
        return self._entry()

    @property
    def connection(self) -> PoolEntry:
        """The pooled connection: ``.driver_connection`` is the driver's own object."""
        self._ensure_ready_no_tx()
        return self._entry()

    @property
    def closed(self) -> bool:
        return self._s.closed

    @property
    def invalidated(self) -> bool:
        return self._s.invalidated

    def invalidate(self, exception: BaseException | None = None) -> None:
        """Discard the database connection (it is closed, not pooled). The next
        statement, after ``rollback()`` if a transaction was open, uses a new one."""
        if self._s.closed:
            raise exc.ResourceClosedError("This connection is closed")
        self._invalidate_entry()

    def close(self) -> None:
        """Roll back what is left and return the connection to the pool."""
        s = self._s
        if s.closed:
            return
        s.closed = True
        try:
            if s.entry is not None and (not s.dirty) and (s.tx is not None) and s.tx.is_active:
                self._end_root(s.tx, "rollback")
        except exc.DBAPIError:
            s.dirty = True
        finally:
            s.tx = None
            s.savepoints.clear()
            entry = s.entry
            if entry is not None:
                self._set_entry(None)
                self._release_entry(entry, s.dirty)

    def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """``fn(self, *args, **kwargs)``: the sync twin of ``Connection.run_sync``,
        so that code written for both front ends reads the same."""
        return fn(self, *args, **kwargs)

    def __repr__(self) -> str:
        state = "closed" if self._s.closed else "open"
        return f"<{type(self).__name__} {self.engine.url} {state}>"


def _with_primary_key(compiled: Any, rows: Any, rowcount: int, lastrowid: Any) -> Result:
    """The result of an INSERT whose primary key ferryman asked back: no rows for
    the caller, the key in ``inserted_primary_key`` (or the driver's last row id)."""
    result = Result(None, (), None, rowcount if rowcount >= 0 else len(rows), lastrowid)
    key: tuple[Any, ...] | None = None
    if compiled.primary_key is LASTROWID:
        key = (lastrowid,) if lastrowid is not None else None
    elif rows:
        values = list(rows[0])
        for i, processor in enumerate(compiled.result_processors or ()):
            if processor is not None and values[i] is not None:
                values[i] = processor(values[i])
        key = tuple(values)
    result._core.inserted_primary_key = key
    return result


class _GuardedStream:
    """A driver stream whose errors reach the connection (to discard a lost one)."""

    __slots__ = ("_conn", "_prepared", "_stream", "keys")

    def __init__(self, conn: Connection, stream: Any, prepared: Prepared) -> None:
        self._conn = conn
        self._stream = stream
        self._prepared = prepared
        self.keys = stream.keys

    def fetchmany(self, size: int) -> Any:
        try:
            return self._stream.fetchmany(size)
        except exc.DBAPIError as err:
            self._conn._failed(err, self._prepared.sql, self._prepared.user_params)
            raise
        except BaseException:
            self._conn._s.dirty = True
            raise

    def close(self) -> None:
        if self._conn._driver is None:
            return
        try:
            self._stream.close()
        except exc.DBAPIError as err:
            self._conn._failed(err, self._prepared.sql, self._prepared.user_params)
            raise

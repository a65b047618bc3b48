"""The session: the ORM's unit of work and identity map.

The async class is written here and the sync one generated from it
(``tools/async_to_sync.py``). Both are thin: the work is in plans
(``_loading``, ``_flush``) that the session runs on its connection, and in
the ``SessionCore`` the two kinds of session share.

A session holds one connection while a transaction is open (from the first
statement to ``commit()`` / ``rollback()`` / ``close()``), then gives it back to
the pool. ``begin()`` starts a transaction explicitly (``async with
session.begin():`` commits at the end, or rolls back on error); otherwise one
begins on first use.

In async code an attribute that is not loaded raises
``UnloadedAttributeError``; the sync ``Session`` loads it. A session is used by
one task at a time: a second task calling into it while the first is inside
an operation gets an ``InvalidRequestError`` at once.

Session events (``ferryman.event``: ``before_flush``, ``after_commit``, and the
mapper events a flush fires) are in ``_events``. They are sync functions; an
``AsyncSession`` with flush listeners runs its flush in a worker thread through
``run_sync``, so that they get a sync ``Session`` and ``Connection`` that work.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from collections.abc import Callable
from typing import Any, Generic, TypeVar, cast, overload

from .. import exc
from ..engine._result import Result
from ..engine._result_async import AsyncResult
from ..sql._selectable import FromStatement
from ._dml import (
    dml_by_primary_key,
    dml_insert,
    dml_synchronized,
    objects_from_rows,
    objects_result,
)
from ._events import (
    SESSION_DISPATCH,
    FlushContext,
    FlushEvents,
    SessionDispatch,
    flush_needs_events,
    persistence_listeners,
    session_dispatch_for,
)
from ._flush import flush_plan, single_statement_flush
from ._loading import (
    LOADING_ATTRIBUTE,
    MISSING,
    build_rows,
    get_plan,
    get_statement,
    identity_lookup,
    load_attribute_plan,
    orm_compiled,
    orm_result,
    populate_existing,
    query_plan,
    query_step,
    refresh_plan,
)
from ._plan import Execute, run_plan_async
from ._query import QueryContext
from ._session_core import IdentityMap, SessionCore
from ._state import DELETED, DETACHED, PENDING, PERSISTENT, TRANSIENT, instance_state
from ._streaming import AsyncObjectStream, ObjectBatches, check_streamable

__all__ = ["AsyncSession", "AsyncSessionTransaction", "async_sessionmaker"]

ASYNC = True
T = TypeVar("T")
S = TypeVar("S")

if ASYNC:
    from ._session import Session


# Who is running an operation: a task, or (sync sessions) a thread.
if ASYNC:
    _current: Callable[[], Any] = asyncio.current_task
else:
    _current = threading.get_ident


class _Operation:
    """Marks the session busy for the length of one operation (one task at a time)."""

    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def __aenter__(self) -> None:
        self._session._enter()

    async def __aexit__(self, *exc_info: object) -> None:
        self._session._leave()


class AsyncSessionTransaction:
    """What ``session.begin()`` / ``begin_nested()`` return: ``async with`` it to
    commit at the end (or roll back on an error)."""

    def __init__(self, session: AsyncSession, nested: bool) -> None:
        self.session = session
        self.nested = nested
        self._savepoint: Any = None
        self._marks = (0, 0)
        self._done = False

    async def _start(self) -> AsyncSessionTransaction:
        if self.nested and self._savepoint is None:
            session = self.session
            await session.flush()
            conn = await session._connection()
            self._savepoint = await conn.begin_nested()
            core = session._core
            self._marks = (len(core.flushed_new), len(core.flushed_deleted))
            session._savepoints.append(self)
        return self

    if ASYNC:

        def __await__(self) -> Any:
            return self._start().__await__()

    async def __aenter__(self) -> AsyncSessionTransaction:
        return await self._start()

    async def __aexit__(self, exc_type: Any, exc_value: Any, tb: Any) -> None:
        if self._done:
            return
        if exc_type is None:
            await self.commit()
        else:
            await self.rollback()

    @property
    def is_active(self) -> bool:
        return not self._done

    async def commit(self) -> None:
        if self.nested:
            session = self.session
            await session.flush()
            self._pop()
            await self._savepoint.commit()
        else:
            await self.session.commit()
        self._done = True

    async def rollback(self) -> None:
        if self._done:
            return
        self._done = True
        if self.nested:
            self._pop()
            if self._savepoint.is_active:
                await self._savepoint.rollback()
            self.session._core.after_rollback(*self._marks)
        else:
            await self.session.rollback()

    def _pop(self) -> None:
        stack = self.session._savepoints
        while stack:
            if stack.pop() is self:
                break


class AsyncSession:
    """An async unit of work over one engine: ``async with AsyncSession(engine) as
    session: ...``. See the module docstring."""

    if ASYNC:
        # the sync class of sync_session and run_sync(), whose event listeners apply
        sync_session_class: Any = Session

    def __init__(
        self,
        bind: Any = None,
        *,
        autoflush: bool = True,
        expire_on_commit: bool = True,
        autobegin: bool = True,
        info: dict[str, Any] | None = None,
        sync_session_class: Any = None,
        binds: Any = None,
        join_transaction_mode: Any = None,
        twophase: bool = False,
    ) -> None:
        self.bind = bind
        self.autoflush = autoflush
        self.expire_on_commit = expire_on_commit
        self.autobegin = autobegin
        self.info: dict[str, Any] = dict(info or {})
        if ASYNC:
            self.sync_session_class = sync_session_class or type(self).sync_session_class
            events_class = self.sync_session_class
            self._sync_session: Any = None
        else:
            self.sync_session_class = sync_session_class
            events_class = type(self)
        try:  # the listeners shared by the sessions of the class
            self.dispatch: SessionDispatch = SESSION_DISPATCH[events_class]
        except KeyError:
            self.dispatch = session_dispatch_for(events_class)
        self._core = SessionCore()
        if ASYNC:
            self._core.async_front = self
        else:
            self._core.sync_front = self
        self._conn: Any = None
        self._owns_conn = True
        self._begun: str | None = None  # None, "auto" or "explicit"
        self._savepoints: list[AsyncSessionTransaction] = []
        self._failed: BaseException | None = None
        self._owner: Any = None
        self._depth = 0
        self._no_autoflush = 0
        self._closed = False
        # Under READ COMMITTED (PostgreSQL's default; SQLite reads without a lock), a
        # read outside a transaction sees what it would see inside one, so BEGIN waits
        # for the first write: a session that only reads makes one round trip per
        # query, with no BEGIN and no ROLLBACK. Not under MySQL's REPEATABLE READ,
        # where the reads of a transaction share one snapshot.
        self._defer_begin = False
        # A unit of work that is one statement may run without BEGIN (it is atomic on
        # its own) when no transaction is open: at the default level or READ COMMITTED.
        self._write_alone = False
        self._single_write = False

    # -- context management --

    async def __aenter__(self) -> AsyncSession:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    def _op(self) -> _Operation:
        return _Operation(self)

    def _enter(self) -> None:
        """An operation starts (hot paths call this and ``_leave`` directly)."""
        me = _current()
        if self._owner is not None and self._owner != me:
            kind = "task" if ASYNC else "thread"
            raise exc.InvalidRequestError(
                f"This {type(self).__name__} is in use by another {kind} (an operation is "
                f"in progress there); a session belongs to one {kind} at a time: give each "
                f"{kind} its own session (async_sessionmaker() makes one per call)"
            )
        self._owner = me
        self._depth += 1

    def _leave(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            self._owner = None

    def _check_usable(self) -> None:
        if self._failed is not None:
            raise exc.PendingRollbackError(
                f"This {type(self).__name__}'s transaction was rolled back because of an "
                f"error during flush ({type(self._failed).__name__}: {self._failed}); call "
                "session.rollback() to begin a new transaction with this session"
            )

    def _autobegin(self) -> None:
        if self._begun is None:
            if not self.autobegin:
                raise exc.InvalidRequestError(
                    f"Autobegin is disabled on this {type(self).__name__}; call "
                    "session.begin() first"
                )
            self._begun = "auto"

    async def _connection(self) -> Any:
        if self._failed is not None:
            self._check_usable()
        if self._begun is None:
            self._autobegin()
        conn = self._conn
        if conn is None:
            if self.bind is None:
                raise exc.InvalidRequestError(
                    f"This {type(self).__name__} has no bind: make it with an engine, "
                    f"{type(self).__name__}(engine), or async_sessionmaker(engine)"
                )
            conn = self.bind.connect()
            if ASYNC:
                await conn.start()  # a sync engine's connect() has checked one out already
            self._conn = conn
            self._core.dialect = conn.engine.dialect
            # BEGIN may wait for the first write at the default isolation level (not when
            # REPEATABLE READ / SERIALIZABLE asks for one snapshot across reads).
            level = conn._s.isolation_level
            self._write_alone = level is None or level in ("READ COMMITTED", "AUTOCOMMIT")
            self._defer_begin = self._write_alone and (
                level is not None or not conn.dialect.default_level_holds_a_snapshot
            )
        return conn

    async def connection(self, **kwargs: Any) -> Any:
        """The connection of the current transaction (begun if needed)."""
        async with self._op():
            return await self._connection()

    def get_bind(self, *args: Any, **kwargs: Any) -> Any:
        return self.bind

    async def _run(self, plan: Any) -> Any:
        """Run a plan; a plan that needs no statement (an identity map hit) takes no
        connection."""
        try:
            step = next(plan)
        except StopIteration as stop:
            return stop.value
        await self._connection()
        return await run_plan_async(plan, self._execute_step, step)

    async def _execute_step(self, step: Execute, conn: Any = None) -> Result:
        """Run one step of a plan. Reads before the first write, and the one statement
        of a single-statement commit, run without BEGIN (see ``_defer_begin``)."""
        if conn is None:
            conn = self._conn
        if (step.read and self._defer_begin) or self._single_write:
            # inside a transaction already open, this runs in it
            result: Result = await conn._execute_unbegun(step.statement, step.params)
            return result
        result = await conn.execute(step.statement, step.params)
        return result

    def _ready_to_query(self) -> bool:
        """Before a query: raise if a failed flush waits for rollback(); True when
        autoflush has changes to write first."""
        if self._failed is not None:
            self._check_usable()
        return self.autoflush and self._core.has_changes()

    async def _autoflush(self) -> None:
        if self.autoflush and not self._no_autoflush and self._core.has_changes():
            await self._flush()

    # -- queries --

    async def execute(
        self,
        statement: Any,
        params: Any = None,
        *,
        execution_options: dict[str, Any] | None = None,
        bind_arguments: Any = None,
    ) -> Result:
        """Run a statement. ``select(Model)`` returns objects (``.scalars()``); other
        statements run as on a connection."""
        # _enter(), _ready_to_query() and _leave(), inline: every query runs this
        me = _current()
        if self._owner is not None and self._owner != me:
            self._enter()  # raises, naming the task that has the session
        self._owner = me
        self._depth += 1
        try:
            if self._failed is not None:
                self._check_usable()
            core = self._core
            if self.autoflush and (core.new or core.deleted or core.dirty_states):
                await self._autoflush()
            if type(statement) is FromStatement:
                return await self._from_statement(statement, params, execution_options or {})
            if getattr(statement, "_entities", None) is not None:
                options = execution_options or {}
                if (options or statement._execution_options) and (
                    options.get("yield_per") or statement._execution_options.get("yield_per")
                ):
                    if ASYNC:
                        raise exc.InvalidRequestError(
                            "AsyncSession.execute() buffers every row, so it doesn't take "
                            "yield_per; stream the objects batch by batch with "
                            "'await session.stream(stmt)' (or session.stream_scalars())"
                        )
                    return await self._stream_objects(statement, params, options)
                context, rows = await self._orm_rows(statement, params, options)
                return orm_result(context, rows)
            if getattr(statement, "_entity", None) is not None:  # insert/update/delete(User)
                return await self._orm_dml(statement, params, execution_options or {})
            conn = await self._connection()
            if (
                self._defer_begin
                and not execution_options
                and _is_read(statement)
                and not conn.in_transaction()
            ):
                result: Result = await conn._execute_unbegun(statement, params)
            else:
                result = await conn.execute(statement, params, execution_options=execution_options)
            return result
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None

    async def _from_statement(
        self, statement: Any, params: Any, options: dict[str, Any]
    ) -> Result:
        """``select(User).from_statement(text(...))``: objects from the rows of the given
        statement, by column name (see ``objects_from_rows``)."""
        conn = await self._connection()
        result = await conn.execute(statement.element, params)
        keys = list(result.keys())
        populate = bool(options.get("populate_existing"))
        return objects_from_rows(
            self._core, statement._from_entities, keys, result.all(), populate
        )

    async def _orm_dml(self, statement: Any, params: Any, options: dict[str, Any]) -> Result:
        """``insert`` / ``update`` / ``delete`` of a mapped class: ``returning(User)``
        gives objects; ``update`` with a list of dicts (no WHERE) updates rows by their
        primary keys; and the objects of the session that the statement changed are
        kept in step (``synchronize_session``: "auto", "fetch" or "evaluate", which
        all read back what the rows became, or False)."""
        options = {**statement._execution_options, **options}
        sync = options.pop("synchronize_session", "auto")
        if sync not in ("auto", "fetch", "evaluate", False):
            raise exc.ArgumentError(
                f"synchronize_session={sync!r}: use 'auto', 'fetch', 'evaluate' or False"
            )
        mapper = statement._entity.__mapper__
        core = self._core
        conn = await self._connection()
        run_options = options or None
        kind = statement.__visit_name__
        result: Result
        if kind == "update" and isinstance(params, list) and not statement._where:
            plan = dml_by_primary_key(core, mapper, statement, params, sync is not False)
            result = await run_plan_async(plan, self._execute_step)
            return result
        if kind == "insert" and isinstance(params, list) and len(params) > 1:
            result = await run_plan_async(
                dml_insert(core, mapper, statement, params), self._execute_step
            )
            return result
        if kind == "insert" or sync is False or not core.identity.get(mapper):
            result = await conn.execute(statement, params, execution_options=run_options)
            if statement._returning_entity is None:
                return result
            return objects_result(core, mapper, result.all())
        plan = dml_synchronized(core, mapper, statement, params, conn.dialect)
        result = await run_plan_async(plan, self._execute_step)
        return result

    async def _orm_rows(
        self, statement: Any, params: Any, options: dict[str, Any]
    ) -> tuple[QueryContext, list[Any]]:
        """Run an ORM select (``select(Model)``, ``select(Model.column)``): its context
        and result rows (tuples of objects and values)."""
        if options:
            query_step(statement, params, options)  # checks the options
        context, orm_statement = orm_compiled(statement)
        read = not statement._for_update
        if context.one_statement:  # the common case, without a plan to run
            conn = self._conn if self._conn is not None else await self._connection()
            if (read and self._defer_begin) or self._single_write:  # _execute_step's rule
                raw = await conn._execute_unbegun(orm_statement, params, True)
            elif conn._dispatch.execute_events:
                raw = await conn._with_events(
                    orm_statement, params, None, lambda s, p: conn._execute(s, p, None), True
                )
            else:
                raw = await conn._run(conn._cache.prepare(orm_statement, params), True, True)
            populate = populate_existing(statement, options)
            return context, build_rows(context, raw, self._core, populate)[0]
        result = await self._run(query_plan(self._core, statement, params, options))
        return context, result._core.rows

    async def _stream_objects(
        self, statement: Any, params: Any, options: dict[str, Any]
    ) -> AsyncResult:
        """An ORM select read batch by batch (``yield_per`` rows at a time) from a
        server-side cursor; the session keeps only the objects someone still holds
        (see ``_streaming``)."""
        yield_per = options.get("yield_per") or statement._execution_options.get("yield_per")
        context, step = query_step(statement, params, options)
        check_streamable(context)
        conn = await self._connection()
        inner = await conn.stream(step.statement, params)
        batches = ObjectBatches(context, self._core, populate_existing(statement, options))
        result = AsyncResult(context.keys, (), AsyncObjectStream(inner, batches))
        if yield_per:
            result.yield_per(yield_per)
        return result

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        result = await self.execute(statement, params, **kwargs)
        return result.scalars()

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        result = await self.execute(statement, params, **kwargs)
        return result.scalar()

    async def get(
        self,
        entity: Any,
        ident: Any,
        *,
        options: Any = (),
        populate_existing: bool = False,
        with_for_update: Any = None,
        execution_options: Any = None,
    ) -> Any:
        """The object with this primary key: from the identity map if it is there,
        else loaded (``None`` if there is no such row)."""
        mapper = _mapper_of(entity)
        self._enter()
        try:
            if self._ready_to_query():
                await self._autoflush()
            key = _ident_tuple(mapper, ident)
            if not options and not populate_existing and not with_for_update:
                obj = identity_lookup(self._core, mapper, key)
                if obj is not MISSING:
                    return obj
            stmt, params = get_statement(mapper, key, tuple(options), with_for_update)
            query_options = {"populate_existing": True} if populate_existing else {}
            rows = (await self._orm_rows(stmt, params, query_options))[1]
            return rows[0][0] if rows else None
        finally:
            self._leave()

    async def get_one(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        obj = await self.get(entity, ident, **kwargs)
        if obj is None:
            raise exc.NoResultFound(
                f"No {_mapper_of(entity).class_.__name__} with primary key {ident!r}"
            )
        return obj

    if ASYNC:

        async def stream(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
            """Rows as they come (a server-side cursor on PostgreSQL); ORM entities are
            built batch by batch."""
            async with self._op():
                self._check_usable()
                await self._autoflush()
                if getattr(statement, "_entities", None) is None:
                    conn = await self._connection()
                    return await conn.stream(statement, params, **kwargs)
                options = kwargs.get("execution_options") or {}
                return await self._stream_objects(statement, params, options)

        async def stream_scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
            result = await self.stream(statement, params, **kwargs)
            return result.scalars()

    # -- the unit of work --

    def add(self, instance: Any, _warn: bool = True) -> None:
        """Put ``instance`` (and what its relationships reach) in the session; it is
        INSERTed at the next flush."""
        self._check_owner()
        self._autobegin()
        self._core.add(instance)

    def add_all(self, instances: Any) -> None:
        self._check_owner()
        self._autobegin()
        self._core.add_all(instances)

    def _check_owner(self) -> None:
        if self._depth and self._owner != _current():
            raise exc.InvalidRequestError(
                f"This {type(self).__name__} is in use by another task; a session belongs to "
                "one task at a time"
            )

    async def delete(self, instance: Any) -> None:
        """Mark ``instance`` for deletion at the next flush."""
        async with self._op():
            self._autobegin()
            self._core.delete(instance)

    async def flush(self, objects: Any = None) -> None:
        """Write pending changes (INSERT, UPDATE, DELETE) in the current transaction."""
        async with self._op():
            self._check_usable()
            await self._flush()

    async def _flush(self) -> None:
        core = self._core
        if not core.has_changes():
            return
        conn = await self._connection()
        try:
            if (self.dispatch.before_flush or persistence_listeners[0]) and flush_needs_events(
                self
            ):
                await self._flush_with_events(conn)
            else:
                await run_plan_async(flush_plan(core), self._execute_step)
        except BaseException as err:
            if self._savepoints and isinstance(err, exc.DBAPIError):
                # Inside begin_nested(): only the savepoint is lost; the transaction
                # around it goes on (the objects stay as they were before the flush).
                await self._savepoints[-1].rollback()
                raise
            self._failed = err
            try:
                await conn.rollback()
            except exc.FerrymanError:
                pass
            raise

    async def _flush_with_events(self, conn: Any) -> None:
        """A flush with listeners: ``before_flush``, then the plan firing mapper events.
        The async front end runs it in a worker thread through ``run_sync`` (so the
        listeners get a sync session and connection over the async ones)."""
        if ASYNC:
            await self.run_sync(lambda session: session._flush_with_events(session._conn))
            return
        self._no_autoflush += 1  # a query in a listener must not flush again
        try:
            if self.dispatch.before_flush:
                context = FlushContext(self)
                for listener in self.dispatch.before_flush:
                    listener.call(self, context, None)
            if self._core.has_changes():
                await run_plan_async(
                    flush_plan(self._core, FlushEvents(self, conn)), self._execute_step
                )
        finally:
            self._no_autoflush -= 1

    def begin(self) -> AsyncSessionTransaction:
        """Begin a transaction explicitly: ``async with session.begin(): ...``."""
        if self._begun is not None:
            raise exc.InvalidRequestError(
                f"A transaction is already begun on this {type(self).__name__} (explicitly, "
                "or by an earlier statement or add()); commit() or rollback() it first, or "
                "use begin_nested() for a savepoint"
            )
        self._begun = "explicit"
        return AsyncSessionTransaction(self, nested=False)

    def begin_nested(self) -> AsyncSessionTransaction:
        """A SAVEPOINT: ``async with session.begin_nested(): ...`` (flushes first)."""
        self._autobegin()
        transaction = AsyncSessionTransaction(self, nested=True)
        if not ASYNC:
            transaction._start()  # sync code: the SAVEPOINT begins now; async awaits it
        return transaction

    async def commit(self) -> None:
        """Flush, commit the transaction, and expire every object (unless
        ``expire_on_commit=False``)."""
        async with self._op():
            self._check_usable()
            core = self._core
            if self._begun is None and not core.has_changes():
                self._autobegin()
            if core.has_changes():
                conn = await self._connection()
                # A unit of work that is one statement is atomic on its own: no BEGIN.
                self._single_write = (
                    self._write_alone
                    and not conn.in_transaction()
                    and not (  # listeners may write more
                        (self.dispatch.before_flush or persistence_listeners[0])
                        and flush_needs_events(self)
                    )
                    and single_statement_flush(core)
                )
            try:
                await self._flush()
            finally:
                self._single_write = False
            conn = self._conn
            if conn is not None:
                await conn.commit()
            self._core.after_commit(self.expire_on_commit)
            await self._end_transaction()
            if self.dispatch.after_commit:
                session = self.sync_session if ASYNC else self
                for listener in self.dispatch.after_commit:
                    listener.call(session)

    async def rollback(self) -> None:
        """Roll the transaction back: objects it inserted leave the session, objects it
        deleted come back, everything else is expired; pending objects stay pending."""
        async with self._op():
            conn = self._conn
            if conn is not None and conn.in_transaction():
                await conn.rollback()
            self._core.after_rollback()
            self._failed = None
            await self._end_transaction()

    async def run_transaction(
        self,
        fn: Callable[[Any], Any],
        *,
        retries: int = 10,
        backoff: float = 0.01,
        max_backoff: float = 1.0,
    ) -> Any:
        """Run ``fn(session)`` in a transaction of its own, commit, and return what
        ``fn`` returned. When the database says the transaction lost a race with
        another one (a serialization failure or a deadlock: ``error.retryable``), roll
        back and run the whole of ``fn`` again: up to ``retries`` more times, waiting
        ``backoff`` seconds, doubled after each failure up to ``max_backoff``, with
        jitter. Any other error rolls back and propagates.

        Each attempt starts clean: objects a failed attempt added are expunged (after
        the last one too, so the session is left without them), everything else is
        expired by the rollback. So ``fn`` must do all its work through the session
        it is given, and its effects outside the database must be safe to repeat. In
        an ``AsyncSession`` ``fn`` is a coroutine function.
        """
        if retries < 0 or backoff < 0 or max_backoff < 0:
            raise exc.ArgumentError(
                f"run_transaction() needs retries, backoff and max_backoff >= 0, not "
                f"{retries!r}, {backoff!r}, {max_backoff!r}"
            )
        if self.in_transaction() or self._core.has_changes():
            raise exc.InvalidRequestError(
                "run_transaction() runs a whole transaction, so that it can run it again; "
                f"this {type(self).__name__} has one in progress (or pending changes): "
                "commit() or rollback() first"
            )
        attempt = 0
        while True:
            try:
                await self._connection()
                self._defer_begin = self._write_alone = False  # all of fn in one transaction
                result = await fn(self)
                await self.commit()
                return result
            except BaseException as error:
                again = isinstance(error, exc.DBAPIError) and error.retryable
                await self.rollback()
                for state in list(self._core.new.values()):
                    self.expunge(state.obj)  # what the failed attempt added goes with it
                if not again or attempt >= retries:
                    raise
                attempt += 1
                delay = min(max_backoff, backoff * 2 ** (attempt - 1))
                delay *= 0.5 + random.random() / 2  # jitter: the two do not meet again
                if ASYNC:
                    await asyncio.sleep(delay)
                else:
                    time.sleep(delay)

    async def _end_transaction(self) -> None:
        self._savepoints.clear()
        self._begun = None
        conn = self._conn
        if conn is not None and self._owns_conn:
            self._conn = None
            await conn.close()

    async def close(self) -> None:
        """Roll back what is open, give the connection back, and detach every object."""
        self._enter()
        try:
            conn = self._conn
            if conn is not None and self._owns_conn:
                self._conn = None
                await conn.close()
            self._savepoints.clear()
            self._begun = None
            self._failed = None
            self._core.close()
        finally:
            self._leave()

    async def reset(self) -> None:
        await self.close()

    async def refresh(
        self, instance: Any, attribute_names: Any = None, with_for_update: Any = None
    ) -> None:
        """Load ``instance``'s columns (or the named attributes, relationships included)
        from the database now, discarding unflushed changes to them."""
        state = instance_state(instance)
        if state.session is not self._core or state.key is None:
            raise exc.InvalidRequestError(
                f"Can't refresh {state.describe()}: it is {state.status}, not persistent in "
                "this session"
            )
        async with self._op():
            self._check_usable()
            keys = list(attribute_names) if attribute_names is not None else None
            await self._run(refresh_plan(self._core, state, keys))

    def expire(self, instance: Any, attribute_names: Any = None) -> None:
        """Forget loaded values; they load again on next access (sync) or when asked for
        (async: refresh(), a query)."""
        state = instance_state(instance)
        if state.session is not self._core:
            raise exc.InvalidRequestError(f"{state.describe()} is not in this session")
        self._core.expire(state, list(attribute_names) if attribute_names else None)

    def expire_all(self) -> None:
        self._core.expire_all()

    def expunge(self, instance: Any) -> None:
        """Remove ``instance`` from the session (it becomes detached or transient)."""
        self._core.expunge(instance)

    def expunge_all(self) -> None:
        self._core.close()

    async def merge(self, instance: Any, load: bool = True, options: Any = None) -> Any:
        """The persistent object of this session with ``instance``'s identity, with
        ``instance``'s loaded values copied onto it (loaded by key if needed, a new
        pending object if there is no row); ``instance`` itself is not attached."""
        state = instance_state(instance)
        mapper = state.mapper
        async with self._op():
            self._check_usable()
            return await self._merge(instance, mapper, load, {})

    async def _merge(self, instance: Any, mapper: Any, load: bool, seen: dict[int, Any]) -> Any:
        if id(instance) in seen:
            return seen[id(instance)]
        core = self._core
        ident = mapper.identity_of(instance.__dict__)
        target = None
        if ident is not None:
            target = core.identity_get(mapper, ident)
            if target is None and load:
                key = ident if isinstance(ident, tuple) else (ident,)
                target = await self._run(get_plan(core, mapper, key))
            if target is None and not load:
                # trusted as it is (a cached result's object): a persistent copy, clean,
                # with no query
                target = core.adopt_copy(instance, mapper, ident)
                seen[id(instance)] = target
                d = instance.__dict__
                for rel in mapper.relationships.values():
                    if "merge" in rel.cascade and rel.key in d:
                        value = d[rel.key]
                        if rel.uselist:
                            items = [await self._merge(v, rel.mapper, load, seen) for v in value]
                            core.set_loaded_collection(target, rel, items)
                        else:
                            one = value
                            if value is not None:
                                one = await self._merge(value, rel.mapper, load, seen)
                            target.__dict__[rel.key] = one
                return target
        elif not load:
            raise exc.InvalidRequestError(
                f"merge(load=False) takes objects with a primary key (a cached row's); "
                f"{instance!r} has none: use merge() or add()"
            )
        if target is None:
            target = mapper.class_.__new__(mapper.class_)
            instance_state(target)
            core.add(target)
        seen[id(instance)] = target
        core.merge_values(instance, target)
        d = instance.__dict__
        for rel in mapper.relationships.values():
            if "merge" not in rel.cascade or rel.key not in d:
                continue
            value = d[rel.key]
            if rel.uselist:
                merged = [await self._merge(v, rel.mapper, load, seen) for v in value]
                setattr(target, rel.key, merged)
            else:
                merged_one = None
                if value is not None:
                    merged_one = await self._merge(value, rel.mapper, load, seen)
                setattr(target, rel.key, merged_one)
        return target

    async def _load_attribute(self, state: Any, key: str) -> None:
        """Load one attribute now: a lazy load on attribute access in a sync session,
        ``await obj.awaitable_attrs.key`` in an async one."""
        async with self._op():
            if self._ready_to_query():
                await self._autoflush()
            # what the statements are for, for ferryman.testing's N+1 messages
            origin = LOADING_ATTRIBUTE.set(f"{state.mapper.class_.__name__}.{key}")
            try:
                await self._run(load_attribute_plan(self._core, state, key))
            finally:
                LOADING_ATTRIBUTE.reset(origin)

    if not ASYNC:

        def query(self, *entities: Any) -> Any:
            """The 1.x query API: ``session.query(User).filter(User.name == "ann").all()``
            (a thin layer over ``select()``; see ``_legacy_query``). Sync sessions only,
            as in SQLAlchemy: async code calls it inside ``run_sync``."""
            from ._legacy_query import Query

            return Query(entities, self)

    if ASYNC:

        async def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
            """Call ``fn(session, *args, **kwargs)`` in a worker thread, where
            ``session`` is a sync ``Session`` on this session's connection and identity
            map (sync code inside it lazy-loads as in any sync session)."""
            async with self._op():
                self._check_usable()
                conn = await self._connection()
                core = self._core

                def call(view: Any) -> T:
                    sync = self._sync_view(view.engine)
                    sync._conn = view
                    sync._begun = self._begun
                    previous = core.sync_front, core.loader_thread
                    core.sync_front, core.loader_thread = sync, threading.get_ident()
                    try:
                        return fn(sync, *args, **kwargs)
                    finally:
                        core.sync_front, core.loader_thread = previous

                value: T = await conn.run_sync(call)
                return value

        def _sync_view(self, bind: Any) -> Any:
            """A sync session (of ``sync_session_class``) sharing this one's identity
            map, info and event listeners, with no connection of its own."""
            cls = self.sync_session_class
            sync = cls.__new__(cls)
            Session.__init__(
                sync, bind, autoflush=self.autoflush, expire_on_commit=self.expire_on_commit
            )
            sync._core = self._core
            sync._owns_conn = False
            sync.info = self.info
            sync.dispatch = self.dispatch
            return sync

        @property
        def sync_session(self) -> Any:
            """The sync ``Session`` this session's event listeners receive: it shares
            the identity map, ``new`` / ``dirty`` / ``deleted``, ``info`` and listeners
            (``event.listen(async_session.sync_session, ...)`` is listening on this
            session). It has no connection: work that needs the database goes through
            ``await session.run_sync(fn)``."""
            if self._sync_session is None:
                bind = getattr(self.bind, "sync_engine", self.bind)
                self._sync_session = self._sync_view(bind)
            return self._sync_session

    else:

        def run_sync(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
            """``fn(self, *args, **kwargs)``: the sync twin of ``AsyncSession.run_sync``."""
            return fn(self, *args, **kwargs)

    # -- what the session holds --

    @property
    def no_autoflush(self) -> Any:
        """``with session.no_autoflush: ...``: queries inside do not flush first."""
        return _NoAutoflush(self)

    def in_transaction(self) -> bool:
        return self._begun is not None

    def in_nested_transaction(self) -> bool:
        return bool(self._savepoints)

    @property
    def is_active(self) -> bool:
        return self._failed is None

    @property
    def new(self) -> list[Any]:
        return [s.obj for s in self._core.new.values()]

    @property
    def dirty(self) -> list[Any]:
        return [s.obj for s in self._core.dirty_states if s.status == PERSISTENT]

    @property
    def deleted(self) -> list[Any]:
        return [s.obj for s in self._core.deleted.values()]

    @property
    def identity_map(self) -> IdentityMap:
        return IdentityMap(self._core)

    def is_modified(self, instance: Any) -> bool:
        state = instance_state(instance)
        return state.modified or state.status == PENDING

    def __contains__(self, instance: Any) -> bool:
        state = instance_state(instance)
        return state.session is self._core and state.status not in (TRANSIENT, DETACHED, DELETED)

    def __iter__(self) -> Any:
        return iter([*self.new, *self._core.objects()])

    def __repr__(self) -> str:
        return f"<{type(self).__name__} bind={self.bind!r}>"


class _NoAutoflush:
    __slots__ = ("_session",)

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def __enter__(self) -> AsyncSession:
        self._session._no_autoflush += 1
        return self._session

    def __exit__(self, *exc_info: object) -> None:
        self._session._no_autoflush -= 1


def _is_read(statement: Any) -> bool:
    """A Core SELECT without FOR UPDATE: nothing written, nothing locked."""
    kind = type(statement).__name__
    if kind == "Select":
        return not statement._for_update
    return kind == "CompoundSelect"


def _mapper_of(entity: Any) -> Any:
    mapper = getattr(entity, "__mapper__", None)
    if mapper is None:
        raise exc.ArgumentError(f"Expected a mapped class, got {entity!r}")
    return mapper


def _ident_tuple(mapper: Any, ident: Any) -> tuple[Any, ...]:
    if isinstance(ident, dict):
        missing = [k for k in mapper.pk_keys if k not in ident]
        if missing:
            raise exc.InvalidRequestError(
                f"get() of {mapper.class_.__name__} by dict needs key(s) {missing}"
            )
        return tuple(ident[k] for k in mapper.pk_keys)
    if isinstance(ident, (tuple, list)):
        return tuple(ident)
    return (ident,)


class async_sessionmaker(Generic[S]):
    """A factory of sessions with fixed arguments: ``Session = async_sessionmaker(engine,
    expire_on_commit=False)``, then ``async with Session() as session: ...``."""

    @overload
    def __init__(
        self: async_sessionmaker[AsyncSession],
        bind: Any = None,
        *,
        class_: None = None,
        **kwargs: Any,
    ) -> None: ...

    @overload
    def __init__(self, bind: Any = None, *, class_: type[S], **kwargs: Any) -> None: ...

    def __init__(self, bind: Any = None, *, class_: Any = None, **kwargs: Any) -> None:
        self.bind = bind
        self.class_: Any = class_ or AsyncSession
        self.kw = kwargs
        if ASYNC:
            sync_class = kwargs.get("sync_session_class") or self.class_.sync_session_class
        else:
            sync_class = self.class_
        # listeners registered on this factory apply to the sessions it makes
        self.dispatch = SessionDispatch([(session_dispatch_for(sync_class), False)])

    def __call__(self, **local_kwargs: Any) -> S:
        kwargs = {**self.kw, **local_kwargs}
        bind = kwargs.pop("bind", self.bind)
        session: S = self.class_(bind, **kwargs)
        cast(Any, session).dispatch = self.dispatch
        return session

    def begin(self) -> Any:
        """``async with factory.begin() as session:`` a session in a transaction,
        committed at the end (rolled back on error) and closed."""
        return _SessionBegin(self())

    def configure(self, **kwargs: Any) -> None:
        if "bind" in kwargs:
            self.bind = kwargs.pop("bind")
        self.kw.update(kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(class_={self.class_.__name__}, bind={self.bind!r})"


class _SessionBegin:
    def __init__(self, session: Any) -> None:
        self.session = session
        self._tx: Any = None

    async def __aenter__(self) -> Any:
        self._tx = self.session.begin()
        await self._tx.__aenter__()
        return self.session

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await self._tx.__aexit__(*exc_info)
        finally:
            await self.session.close()

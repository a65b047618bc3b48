"""Every error ferryman raises, in one module.

The tree::

    FerrymanError                      root of everything ferryman raises
    ├── ArgumentError                  a bad argument: URL, option, parameter set
    │   ├── NoSuchModuleError          unknown backend or driver in a URL
    │   │   └── DriverNotInstalledError  known driver, its package is missing
    │   └── ObjectNotExecutableError   execute() given something not executable
    ├── InvalidRequestError            the call is not valid in the current state
    │   ├── ResourceClosedError        the connection / result is closed
    │   ├── PendingRollbackError       a failed transaction must be rolled back
    │   ├── NoResultFound              one() found no row
    │   ├── MultipleResultsFound       one() found more than one row
    │   ├── UnloadedAttributeError     async code touched an attribute not loaded
    │   ├── DetachedInstanceError      an object outside any session needs loading
    │   ├── UnmappedInstanceError      a session was given an object of no mapped class
    │   ├── ObjectDeletedError         a refreshed object's row is gone
    │   ├── NoInspectionAvailable      inspect() was given something it can't inspect
    │   ├── NoSuchTableError           reflection asked about a table that isn't there
    │   └── FlushError                 the unit of work cannot write the changes
    ├── TimeoutError                   no connection came free in pool_timeout
    ├── DisconnectionError             a checkout listener found the connection dead
    └── StatementError                 a statement could not be executed
        └── DBAPIError                 the driver / database refused it
            ├── InterfaceError         talking to the driver went wrong
            └── DatabaseError          the database reported an error
                ├── OperationalError   connection lost, timeouts, lock failures
                ├── IntegrityError     constraint violations
                ├── ProgrammingError   syntax errors, missing tables or columns
                ├── DataError          a value the column cannot take
                ├── InternalError      the database's internal state
                └── NotSupportedError  a feature the database does not have

Errors from the drivers are mapped by class (sqlite3, aiosqlite) or by
SQLSTATE (PostgreSQL, for psycopg and asyncpg alike), so one failure maps to
one class whatever the driver. On SQLite, a statement the database cannot
compile (a syntax error, a missing table or column) is a ``ProgrammingError``
as it is on PostgreSQL, not an ``OperationalError``.

Each class has a short stable ``code`` that the documentation explains.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ArgumentError",
    "CompileError",
    "DBAPIError",
    "DataError",
    "DatabaseError",
    "DetachedInstanceError",
    "DisconnectionError",
    "DriverNotInstalledError",
    "FerrymanError",
    "FlushError",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "InvalidRequestError",
    "MultipleResultsFound",
    "NoInspectionAvailable",
    "NoResultFound",
    "NoSuchModuleError",
    "NoSuchTableError",
    "NotSupportedError",
    "ObjectDeletedError",
    "ObjectNotExecutableError",
    "OperationalError",
    "PendingRollbackError",
    "ProgrammingError",
    "ResourceClosedError",
    "StaleDataError",
    "StatementError",
    "TimeoutError",
    "UnloadedAttributeError",
    "UnmappedInstanceError",
]


class FerrymanError(Exception):
    """Root of every error raised by ferryman."""

    code = "ferryman"


class ArgumentError(FerrymanError):
    """An argument (URL, option, parameter set) is not valid."""

    code = "argument"


class CompileError(ArgumentError):
    """A statement can't be written in this database's SQL (a construct it lacks,
    such as UPDATE ... RETURNING on MariaDB, or a VARCHAR without a length on MySQL)."""

    code = "compile"


class NoSuchModuleError(ArgumentError):
    """A URL names a backend or driver that ferryman does not know."""

    code = "no-such-module"


class DriverNotInstalledError(NoSuchModuleError, ImportError):
    """The driver a URL names is known, but its package is not installed."""

    code = "driver-not-installed"


class ObjectNotExecutableError(ArgumentError):
    """``execute()`` was given an object that is not a statement."""

    code = "not-executable"

    def __init__(self, target: object) -> None:
        hint = ""
        if isinstance(target, str):
            hint = (
                "; wrap the SQL string in text(...) to execute it with :name bind parameters,"
                " or use exec_driver_sql() to pass it to the driver as is"
            )
        super().__init__(f"Not an executable object: {target!r}{hint}")
        self.target = target


class InvalidRequestError(FerrymanError):
    """The call is not valid in the object's current state."""

    code = "invalid-request"


class ResourceClosedError(InvalidRequestError):
    """The connection, transaction or result was already closed."""

    code = "closed"


class PendingRollbackError(InvalidRequestError):
    """A transaction failed (or lost its connection) and must be rolled back first."""

    code = "pending-rollback"


class NoResultFound(InvalidRequestError):
    """``one()`` / ``scalar_one()`` found no row."""

    code = "no-result"


class MultipleResultsFound(InvalidRequestError):
    """``one()`` / ``one_or_none()`` / ``scalar_one()`` found more than one row."""

    code = "multiple-results"


class UnloadedAttributeError(InvalidRequestError):
    """Async code read an attribute that is not loaded (expired, deferred, or a lazy
    relationship). Async code never loads implicitly; the message names the fixes."""

    code = "unloaded-attribute"


class DetachedInstanceError(InvalidRequestError):
    """An attribute needs loading, but its object belongs to no session."""

    code = "detached"


class UnmappedInstanceError(InvalidRequestError):
    """A session was given an object whose class is not mapped."""

    code = "unmapped"


class ObjectDeletedError(InvalidRequestError):
    """Refreshing an object found its row deleted."""

    code = "object-deleted"


class NoInspectionAvailable(InvalidRequestError):
    """``inspect()`` was given an object it has no inspection for."""

    code = "no-inspection"


class NoSuchTableError(InvalidRequestError):
    """Reflection was asked about a table the database does not have."""

    code = "no-such-table"


class FlushError(InvalidRequestError):
    """The unit of work cannot write the session's changes as they are."""

    code = "flush"


class StaleDataError(FlushError):
    """An UPDATE or DELETE found a row other than the one the session loaded: another
    transaction changed it (its version counter moved, ``version_id_col``) or
    deleted it. Load the object again and redo the change."""

    code = "stale"


class TimeoutError(FerrymanError):
    """No connection came free in the pool within ``pool_timeout`` seconds."""

    code = "pool-timeout"


class DisconnectionError(FerrymanError):
    """Raised by a pool ``checkout`` listener that finds the connection unusable: the
    pool discards it and hands out another (up to three tries, then this error
    reaches the caller)."""

    code = "disconnection"


def _short(params: Any, limit: int = 300) -> str:
    text = repr(params)
    return text if len(text) <= limit else text[: limit - 5] + " ...]"


class StatementError(FerrymanError):
    """A statement could not be executed.

    ``statement`` is the SQL, ``params`` the parameters as given, ``orig`` the
    underlying exception if there is one.
    """

    code = "statement"

    def __init__(
        self,
        message: str,
        statement: str | None = None,
        params: Any = None,
        orig: BaseException | None = None,
        *,
        hide_parameters: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.statement = statement
        self.params = params
        self.orig = orig
        self.hide_parameters = hide_parameters

    def __str__(self) -> str:
        text = self.message
        if self.orig is not None and not isinstance(self, DBAPIError):
            text = f"({type(self.orig).__name__}) {text}"
        if self.statement is not None:
            text += f"\n[SQL: {self.statement}]"
            if self.hide_parameters:
                text += "\n[SQL parameters hidden due to hide_parameters=True]"
            elif self.params not in (None, (), {}, []):
                text += f"\n[parameters: {_short(self.params)}]"
        return text

    def __reduce__(self) -> Any:
        return (type(self), (self.message, self.statement, self.params, None))


# Errors a transaction may hit by losing a race with another one (serialization
# failure, deadlock): running it again is the fix.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})
# MySQL / MariaDB error numbers of the same kind: deadlock, lock wait timeout.
RETRYABLE_ERRNOS = frozenset({1205, 1213})


class DBAPIError(StatementError):
    """The driver or the database refused an operation.

    Beyond ``statement``/``params``/``orig``: ``sqlstate`` (the five-character
    SQLSTATE on PostgreSQL, the result code name such as ``SQLITE_CONSTRAINT_UNIQUE``
    on SQLite, or ``None``), ``errno`` (MySQL's error number, else ``None``) and
    ``connection_invalidated`` (true when the connection was lost and has been
    discarded; the next checkout gets a new one).
    """

    code = "dbapi"

    def __init__(
        self,
        message: str,
        statement: str | None = None,
        params: Any = None,
        orig: BaseException | None = None,
        *,
        sqlstate: str | None = None,
        connection_invalidated: bool = False,
        hide_parameters: bool = False,
        errno: int | None = None,
    ) -> None:
        super().__init__(message, statement, params, orig, hide_parameters=hide_parameters)
        self.sqlstate = sqlstate
        self.errno = errno
        self.connection_invalidated = connection_invalidated

    @property
    def retryable(self) -> bool:
        """The transaction lost a race, not a rule: a serialization failure (SQLSTATE
        40001), a deadlock (40P01; MySQL 1213) or a lock wait timeout (MySQL 1205).
        Running the whole transaction again can succeed (``session.run_transaction()``
        does)."""
        return self.sqlstate in RETRYABLE_SQLSTATES or self.errno in RETRYABLE_ERRNOS

    def __str__(self) -> str:
        head = f"({type(self.orig).__name__}) " if self.orig is not None else ""
        state = f" [SQLSTATE {self.sqlstate}]" if self.sqlstate else ""
        return head + super().__str__().replace(self.message, self.message + state, 1)


class InterfaceError(DBAPIError):
    code = "interface"


class DatabaseError(DBAPIError):
    code = "database"


class OperationalError(DatabaseError):
    code = "operational"


class IntegrityError(DatabaseError):
    code = "integrity"


class ProgrammingError(DatabaseError):
    code = "programming"


class DataError(DatabaseError):
    code = "data"


class InternalError(DatabaseError):
    code = "internal"


class NotSupportedError(DatabaseError):
    code = "not-supported"

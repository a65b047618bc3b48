"""Transaction lifecycle, as one table.

A transaction (the root one or a savepoint) is ``active`` until it is
committed, rolled back, or made ``inactive`` because something around it
ended (its enclosing transaction finished, or the connection was lost).
Every legal (state, event) pair is in ``_TRANSITIONS``; any other pair raises
one error that names the state and what to do. Front ends (sync and async)
consult the table and send SQL only for transitions out of ``active``.
"""

from __future__ import annotations

from typing import Final

from .. import exc
from ._entry import PoolEntry

__all__ = ["ACTIVE", "COMMITTED", "INACTIVE", "ROLLED_BACK", "ConnState", "TxRecord"]

ACTIVE: Final = "active"
COMMITTED: Final = "committed"
ROLLED_BACK: Final = "rolled back"
INACTIVE: Final = "inactive"

_TRANSITIONS: dict[tuple[str, str], str] = {
    (ACTIVE, "commit"): COMMITTED,
    (ACTIVE, "rollback"): ROLLED_BACK,
    (ACTIVE, "deactivate"): INACTIVE,
    # Rolling back what already ended is harmless: nothing is left to undo.
    (COMMITTED, "rollback"): COMMITTED,
    (ROLLED_BACK, "rollback"): ROLLED_BACK,
    (INACTIVE, "rollback"): ROLLED_BACK,
    (COMMITTED, "deactivate"): COMMITTED,
    (ROLLED_BACK, "deactivate"): ROLLED_BACK,
    (INACTIVE, "deactivate"): INACTIVE,
}

_FIX = {
    COMMITTED: "it was already committed; begin a new transaction",
    ROLLED_BACK: "it was already rolled back; begin a new transaction",
    INACTIVE: (
        "it is inactive because its enclosing transaction ended or the connection was "
        "lost; call rollback() and begin a new one"
    ),
}


class TxRecord:
    """The state of one transaction or savepoint on a connection."""

    __slots__ = ("name", "state")

    def __init__(self, name: str | None = None) -> None:
        self.name = name  # the savepoint name; None for the root transaction
        self.state: str = ACTIVE

    @property
    def is_active(self) -> bool:
        return self.state is ACTIVE

    def step(self, event: str) -> bool:
        """Apply ``event``; True when it ends an active transaction (SQL must be sent)."""
        new = _TRANSITIONS.get((self.state, event))
        if new is None:
            what = "savepoint" if self.name else "transaction"
            # An inactive one (its connection was lost) is waiting for a rollback().
            cls = exc.PendingRollbackError if self.state is INACTIVE else exc.InvalidRequestError
            raise cls(f"Can't {event} this {what}: {_FIX[self.state]}")
        was_active = self.state is ACTIVE
        self.state = new
        return was_active and new is not ACTIVE

    def check(self, event: str) -> None:
        """Raise now if ``event`` is not legal, without changing state."""
        if (self.state, event) not in _TRANSITIONS:
            self.step(event)

    def __repr__(self) -> str:
        return f"<TxRecord {self.name or 'root'} {self.state}>"


class ConnState:
    """Everything a connection knows about itself, apart from how it does I/O.

    Kept apart from the front-end objects so that ``AsyncConnection.run_sync``
    can hand a sync ``Connection`` the very same state: both front ends see
    one transaction, one set of savepoints, one pool entry.
    """

    __slots__ = (
        "closed",
        "dirty",
        "entry",
        "invalidated",
        "isolation_level",
        "options",
        "savepoints",
        "sp_counter",
        "tx",
    )

    def __init__(self, isolation_level: str | None, options: dict[str, object]) -> None:
        self.entry: PoolEntry | None = None  # the checked-out pool entry
        self.tx: TxRecord | None = None  # the root transaction, explicit or autobegun
        self.savepoints: list[TxRecord] = []
        self.closed = False
        # An operation was interrupted (cancelled, or failed outside the driver): the
        # driver connection's state is unknown, so it is discarded, never reused.
        self.dirty = False
        self.invalidated = False
        self.isolation_level = isolation_level
        self.options = options
        self.sp_counter = 0

"""Statement logging: ``create_engine(echo=True)``.

Lines go to the logger ``ferryman.engine``. An engine with ``echo=True``
(or ``"debug"``, which adds the rows) logs whatever the logger's level; one
without logs only when the application enabled INFO on that logger. When
echo is asked for and the logger has no handler, one that writes to standard
output is attached, so the lines show without any logging set-up.

The line after each statement says how its SQL was obtained:
``[generated in 0.00026s]`` the first time, ``[cached since 12.3s ago]``
after, ``[raw sql]`` for ``exec_driver_sql()``; then the parameters.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Any, TextIO

__all__ = ["Echo", "logger"]

logger = logging.getLogger("ferryman.engine")
_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"
_SHOWN_PARAMS = 10


class _StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time (test capture included)."""

    @property
    def stream(self) -> TextIO:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def _ensure_handler() -> None:
    if not logger.handlers:
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter(_FORMAT))
        logger.addHandler(handler)


class Echo:
    """One engine's echo setting: ``False``, ``True`` or ``"debug"``."""

    __slots__ = ("flag", "hide_parameters", "observers")

    def __init__(self, flag: bool | str, hide_parameters: bool = False) -> None:
        # Called with (sql, parameters, executemany?) for each statement the engine's
        # connections run: ``ferryman.testing``'s query counters.
        self.observers: list[Any] = []
        if flag not in (True, False, "debug", None):
            from .. import exc

            raise exc.ArgumentError(f"echo must be True, False or 'debug', not {flag!r}")
        self.flag = flag or False
        self.hide_parameters = hide_parameters
        if self.flag:
            _ensure_handler()

    def modes(self) -> tuple[bool, Echo | None]:
        """Whether statements are logged, and the echo to log rows with (None when rows
        are not logged): one logger check when logging is off (DEBUG enabled implies
        INFO enabled)."""
        if self.flag or logger.isEnabledFor(logging.INFO):
            return True, (self if self.rows_active() else None)
        return False, None

    def rows_active(self) -> bool:
        return self.flag == "debug" or logger.isEnabledFor(logging.DEBUG)

    def _emit(self, level: int, message: str, args: tuple[Any, ...]) -> None:
        if self.flag:
            if logger.disabled:
                return
            record = logger.makeRecord(logger.name, level, "(echo)", 0, message, args, None)
            logger.handle(record)
        elif logger.isEnabledFor(level):
            logger.log(level, message, *args)

    def info(self, message: str, *args: Any) -> None:
        self._emit(logging.INFO, message, args)

    def debug(self, message: str, *args: Any) -> None:
        self._emit(logging.DEBUG, message, args)

    def observe(self, sql: str, params: Any, many: bool) -> None:
        for observer in list(self.observers):
            observer(sql, params, many)

    def statement(self, sql: str, note: str, params: Any, many: bool = False) -> None:
        self.info("%s", sql)
        self.info("[%s] %s", note, self.describe_params(params, many))

    def describe_params(self, params: Any, many: bool) -> str:
        if self.hide_parameters:
            return "[SQL parameters hidden due to hide_parameters=True]"
        if params is None:
            return "()"
        if many:
            shown = ", ".join(repr(p) for p in params[:_SHOWN_PARAMS])
            more = len(params) - _SHOWN_PARAMS
            tail = f" ... {more} more" if more > 0 else ""
            return f"(batch of {len(params)}) [{shown}{tail}]"
        return repr(params)


def compile_note(fresh: bool, compile_time: float, created_at: float) -> str:
    if fresh:
        return f"generated in {compile_time:.5f}s"
    return f"cached since {time.monotonic() - created_at:.4g}s ago"

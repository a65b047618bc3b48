"""SQLite: the embedded default backend (``sqlite://``, ``sqlite+aiosqlite://``)."""

from ._dialect import SQLiteDialect

__all__ = ["SQLiteDialect"]

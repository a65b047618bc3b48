"""SQLite: the embedded default backend (``sqlite://``, ``sqlite+aiosqlite://``)."""

from ...sql._dml import UpsertInsert as Insert
from ...sql._dml import upsert_insert as insert
from ._dialect import SQLiteDialect

__all__ = ["Insert", "SQLiteDialect", "insert"]

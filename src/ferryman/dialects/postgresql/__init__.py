"""PostgreSQL: the primary server backend (psycopg 3 and asyncpg)."""

from ...sql._dml import UpsertInsert as Insert
from ...sql._dml import upsert_insert as insert
from ._dialect import PGDialect
from ._types import ARRAY, INET, JSONB, TSVECTOR, UUID

__all__ = ["ARRAY", "INET", "JSONB", "TSVECTOR", "UUID", "Insert", "PGDialect", "insert"]

"""PostgreSQL: the primary server backend (psycopg 3 and asyncpg)."""

from ._dialect import PGDialect

__all__ = ["PGDialect"]

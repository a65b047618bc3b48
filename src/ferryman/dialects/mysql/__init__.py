"""MySQL and MariaDB (pymysql and asyncmy)."""

from ._dialect import MySQLDialect
from ._dml import Insert, insert

__all__ = ["Insert", "MySQLDialect", "insert"]

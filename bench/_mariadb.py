"""MariaDB helpers shared by the benchmarks (``core.py``, ``orm.py``): the URL
option's default, its parts as driver arguments, and the side connection."""

from __future__ import annotations

import urllib.parse
from collections.abc import Sequence
from typing import Any

import pymysql

DEFAULT_MYSQL_URL = "mysql://root@127.0.0.1:3306/test"


def connect_args(url: str) -> dict[str, Any]:
    """``mysql://user:password@host:port/database`` as asyncmy / pymysql arguments."""
    parts = urllib.parse.urlsplit(url)
    return {
        "host": parts.hostname or "127.0.0.1",
        "port": parts.port or 3306,
        "user": urllib.parse.unquote(parts.username or "root"),
        "password": urllib.parse.unquote(parts.password or ""),
        "database": parts.path.lstrip("/") or "test",
    }


def with_driver(url: str, driver: str) -> str:
    """The same URL for ferryman and SQLAlchemy: ``mysql+<driver>://...``."""
    return f"mysql+{driver}://" + url.split("://", 1)[1]


class AdminConnection:
    """pymysql in autocommit mode, with the ``execute(sql, params)`` -> cursor of
    sqlite3 and psycopg connections, so that each script's ``Admin`` reads alike."""

    def __init__(self, url: str) -> None:
        self.conn = pymysql.connect(**connect_args(url), autocommit=True)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        cursor = self.conn.cursor()
        cursor.execute(sql, tuple(params) if params else None)
        return cursor

    def executemany(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        # pymysql sends an INSERT ... VALUES executemany as multi-row INSERTs.
        with self.conn.cursor() as cursor:
            cursor.executemany(sql, rows)

    def close(self) -> None:
        self.conn.close()

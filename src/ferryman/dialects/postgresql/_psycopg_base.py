"""What the sync and async psycopg adapters share: error translation, column names."""

from __future__ import annotations

import itertools
import re
from typing import Any

import psycopg
from psycopg.pq import ExecStatus

from ... import exc
from ._dialect import error_for_sqlstate

RETURNING = re.compile(r"\bRETURNING\b", re.I)
cursor_names = itertools.count(1)


def translate_error(err: BaseException, raw: Any = None) -> exc.DBAPIError:
    broken = raw is not None and (raw.broken or raw.closed)
    sqlstate = getattr(err, "sqlstate", None)
    if isinstance(err, psycopg.DatabaseError) and sqlstate:
        return error_for_sqlstate(str(err), sqlstate, err, disconnect=broken)
    if isinstance(err, psycopg.OperationalError) or broken:
        return exc.OperationalError(str(err), orig=err, connection_invalidated=True)
    if isinstance(err, psycopg.DataError):
        return exc.DataError(str(err), orig=err)
    if isinstance(err, psycopg.ProgrammingError):
        return exc.ProgrammingError(str(err), orig=err)
    return exc.InterfaceError(str(err), orig=err)


def description_keys(description: Any) -> tuple[str, ...] | None:
    return tuple([column.name for column in description]) if description else None


TUPLES_OK = ExecStatus.TUPLES_OK
KEYS_CACHE_SIZE = 512


def result_keys(
    cursor: Any, cache: dict[tuple[bytes | None, ...], tuple[str, ...]], encoding: str
) -> tuple[str, ...] | None:
    """The column names of a cursor's current result, read from libpq's result
    directly (``cursor.description`` builds a ``Column`` object per column on
    every call); ``None`` when the statement returns no rows."""
    result = cursor.pgresult
    if result is None or result.status != TUPLES_OK:
        return None
    raw_names = tuple([result.fname(i) for i in range(result.nfields)])
    keys = cache.get(raw_names)
    if keys is None:
        if len(cache) >= KEYS_CACHE_SIZE:
            cache.clear()
        keys = tuple([(name or b"?column?").decode(encoding) for name in raw_names])
        cache[raw_names] = keys
    return keys

"""Engines, connections, transactions, pools and results (the sync front end;
the async one is ``ferryman.asyncio``)."""

from ._connection import Connection
from ._create import create_engine
from ._dispatch import ExceptionContext
from ._engine import Engine
from ._entry import PoolEntry
from ._result import MappingResult, Result, ScalarResult
from ._row import ResultKeys, Row, RowMapping
from ._transaction import Transaction
from ._url import URL, make_url

__all__ = [
    "URL",
    "Connection",
    "Engine",
    "ExceptionContext",
    "MappingResult",
    "PoolEntry",
    "Result",
    "ResultKeys",
    "Row",
    "RowMapping",
    "ScalarResult",
    "Transaction",
    "create_engine",
    "make_url",
]

for _cls in (
    Connection,
    Engine,
    ExceptionContext,
    Transaction,
    Result,
    ScalarResult,
    MappingResult,
    Row,
    RowMapping,
):
    _cls.__module__ = "ferryman.engine"

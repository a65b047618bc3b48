"""ferryman: an async-first SQL toolkit and ORM.

``import ferryman as sqlalchemy`` is meant to work: the names SQLAlchemy
users reach for on the top-level package live here too.
"""

from . import exc
from .engine import (
    URL,
    Connection,
    Engine,
    Result,
    Row,
    RowMapping,
    ScalarResult,
    Transaction,
    create_engine,
    make_url,
)
from .pool import NullPool, QueuePool, StaticPool
from .sql import BindParameter, TextClause, bindparam, text

__version__ = "0.1.0"

__all__ = [
    "URL",
    "BindParameter",
    "Connection",
    "Engine",
    "NullPool",
    "QueuePool",
    "Result",
    "Row",
    "RowMapping",
    "ScalarResult",
    "StaticPool",
    "TextClause",
    "Transaction",
    "__version__",
    "bindparam",
    "create_engine",
    "exc",
    "make_url",
    "text",
]

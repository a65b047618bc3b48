"""``sqlalchemy.engine.base`` users import ``Engine``, ``Connection``, ``Transaction`` here."""

from ._connection import Connection
from ._engine import Engine
from ._transaction import Transaction

__all__ = ["Connection", "Engine", "Transaction"]

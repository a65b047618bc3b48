"""``sqlalchemy.engine.base`` users import ``Engine``, ``Connection``, ``Transaction`` here."""

from ._connection import Connection, Engine, Transaction

__all__ = ["Connection", "Engine", "Transaction"]

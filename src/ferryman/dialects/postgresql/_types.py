"""Types only PostgreSQL has: ``JSONB``, ``ARRAY``, ``INET``, ``UUID``, ``TSVECTOR``."""

from __future__ import annotations

import ipaddress
from typing import Any

from ...sql._types import JSON, TypeEngine, Uuid, to_instance

__all__ = ["ARRAY", "INET", "JSONB", "TSVECTOR", "UUID"]


class JSONB(JSON):
    """Binary JSON: indexable, compared by value."""

    def ddl(self, dialect: str) -> str:
        return "JSONB"


class ARRAY(TypeEngine):
    """``ARRAY(Integer)``: a Python list of the item type."""

    python_type = list

    def __init__(self, item_type: Any, dimensions: int = 1) -> None:
        self.item_type = to_instance(item_type)
        self.dimensions = dimensions

    def ddl(self, dialect: str) -> str:
        return self.item_type.ddl(dialect) + "[]" * self.dimensions


class INET(TypeEngine):
    """An IPv4 or IPv6 host address, with its optional subnet."""

    python_type = ipaddress.IPv4Address

    def ddl(self, dialect: str) -> str:
        return "INET"


class UUID(Uuid):
    pass


class TSVECTOR(TypeEngine):
    """A text-search document (``to_tsvector(...)``)."""

    python_type = str

    def ddl(self, dialect: str) -> str:
        return "TSVECTOR"

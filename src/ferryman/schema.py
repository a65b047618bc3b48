"""Schema objects and DDL (``sqlalchemy.schema`` users import from here)."""

from .sql._ddl import CreateIndex, CreateTable, DropIndex, DropTable
from .sql._schema import (
    CheckConstraint,
    Column,
    ForeignKey,
    ForeignKeyConstraint,
    Identity,
    Index,
    MetaData,
    PrimaryKeyConstraint,
    Sequence,
    Table,
    UniqueConstraint,
)

__all__ = [
    "CheckConstraint",
    "Column",
    "CreateIndex",
    "CreateTable",
    "DropIndex",
    "DropTable",
    "ForeignKey",
    "ForeignKeyConstraint",
    "Identity",
    "Index",
    "MetaData",
    "PrimaryKeyConstraint",
    "Sequence",
    "Table",
    "UniqueConstraint",
]

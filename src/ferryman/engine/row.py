"""``sqlalchemy.engine.row`` users import from here: ``Row``, ``RowMapping``."""

from ._row import Row, RowMapping

__all__ = ["Row", "RowMapping"]

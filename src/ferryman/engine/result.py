"""``sqlalchemy.engine.result`` users import from here."""

from ._result import MappingResult, Result, ScalarResult
from ._row import Row, RowMapping

__all__ = ["MappingResult", "Result", "Row", "RowMapping", "ScalarResult"]

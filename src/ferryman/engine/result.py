"""``sqlalchemy.engine.result`` users import from here."""

from ._frozen import FrozenResult
from ._result import MappingResult, Result, ScalarResult
from ._row import Row, RowMapping

__all__ = ["FrozenResult", "MappingResult", "Result", "Row", "RowMapping", "ScalarResult"]

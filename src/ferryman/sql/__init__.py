"""The SQL expression language (pure: no I/O)."""

from ._text import BindParameter, Compiled, TextClause, bindparam, text

__all__ = ["BindParameter", "Compiled", "TextClause", "bindparam", "text"]

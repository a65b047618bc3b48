"""``result.freeze()``: a result's rows kept, to be read again as many times as needed
(a cache of query results, for example)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._result import Result

__all__ = ["FrozenResult"]


class FrozenResult:
    """The keys and rows of a consumed result. Calling it gives a new ``Result`` over
    the same rows each time; ``data`` is the rows. An ORM result's objects are kept as
    they are: ``ferryman.orm.loading.merge_frozen_result()`` puts them into a session."""

    __slots__ = ("data", "keys")

    def __init__(self, keys: tuple[str, ...] | None, rows: Sequence[Any]) -> None:
        self.keys = keys
        self.data = [tuple(row) for row in rows]

    def __call__(self) -> Result:
        from ._result import Result  # (that module defines freeze(), which makes these)

        return Result(self.keys, list(self.data))

    def with_new_rows(self, rows: Sequence[Any]) -> FrozenResult:
        """The same keys, other rows (``merge_frozen_result`` uses it)."""
        return FrozenResult(self.keys, rows)

    def __repr__(self) -> str:
        return f"<FrozenResult {len(self.data)} row(s) {list(self.keys or ())}>"

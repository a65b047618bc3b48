"""``INSERT ... ON DUPLICATE KEY UPDATE``: the ``insert`` of ``ferryman.dialects.mysql``."""

from __future__ import annotations

from typing import Any

from ... import exc
from ...sql._derived import Alias
from ...sql._dml import Insert as _Insert
from ...sql._elements import BindParameter

__all__ = ["Insert", "Inserted", "insert"]


class Inserted(Alias):
    """The row an INSERT proposed, in ``ON DUPLICATE KEY UPDATE`` (``VALUES(col)``)."""

    is_inserted_row = True

    def __init__(self, table: Any) -> None:
        super().__init__(table, "inserted")

    def _identity(self) -> Any:
        return ("inserted", self.element)

    def _key(self, binds: list[BindParameter]) -> Any:
        return self._identity()


class Insert(_Insert):
    """``insert(t).values(...).on_duplicate_key_update(name=stmt.inserted.name)``."""

    _on_duplicate: tuple[Any, ...] = ()

    @property
    def inserted(self) -> Any:
        """The row that was proposed for insertion: ``stmt.inserted.name``."""
        return Inserted(self.table).c

    def on_duplicate_key_update(self, *args: Any, **kwargs: Any) -> Insert:
        """``ON DUPLICATE KEY UPDATE col = value, ...``: when the row's primary key or a
        unique key exists, update that row instead. Takes keyword arguments, a dict,
        or a list of ``(column, value)`` pairs (which keeps their order); values may
        be expressions such as ``stmt.inserted.name``."""
        if (args and kwargs) or len(args) > 1:
            raise exc.ArgumentError(
                "on_duplicate_key_update() takes keyword arguments, or one dict or list of "
                "(column, value) pairs"
            )
        values: Any = kwargs
        if args:
            values = args[0]
            if isinstance(values, list):
                values = dict(values)
            elif not isinstance(values, dict):
                raise exc.ArgumentError(
                    f"on_duplicate_key_update() takes a dict or a list of pairs, not {values!r}"
                )
        if not values:
            raise exc.ArgumentError("on_duplicate_key_update() needs at least one column")
        return self._copy(_on_duplicate=self._pairs(values))  # type: ignore[no-any-return]

    def _key(self, binds: list[BindParameter]) -> Any:
        key = super()._key(binds)
        if not self._on_duplicate:
            return key
        return (key, tuple((c, v._key(binds)) for c, v in self._on_duplicate))


def insert(table: Any) -> Insert:
    """An INSERT that can say what to do with a duplicate key (``on_duplicate_key_update``)."""
    return Insert(table)

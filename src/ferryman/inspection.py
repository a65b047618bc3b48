"""``ferryman.inspect(x)``: the ORM's view of a mapped class or object.

* a mapped class -> its ``Mapper`` (``.columns``, ``.relationships``, ``.attrs``)
* a mapped object -> its ``InstanceState`` (``.transient`` / ``.pending`` /
  ``.persistent`` / ``.deleted`` / ``.detached``, ``.unloaded``,
  ``.attrs["name"].history``)
* a sync Engine or Connection -> an ``Inspector`` (tables, columns, keys,
  indexes: ``engine/reflection.py``)
"""

from __future__ import annotations

from typing import Any

from . import exc

__all__ = ["inspect"]


def inspect(subject: Any, raiseerr: bool = True) -> Any:
    """The inspection object for ``subject`` (see the module docstring)."""
    from .orm._options import AliasedClass
    from .orm._state import InstanceState, instance_state

    if isinstance(subject, (InstanceState, AliasedClass)):
        return subject
    if isinstance(subject, type) and hasattr(subject, "__mapper__"):
        subject.__mapper__.registry.configure()
        return subject.__mapper__
    if hasattr(type(subject), "__mapper__"):
        return instance_state(subject)
    if type(subject).__name__ == "Mapper":
        return subject
    kind = type(subject).__name__
    if kind in ("AsyncEngine", "AsyncConnection"):
        raise exc.NoInspectionAvailable(
            f"inspect() reads the catalog with a sync connection, not an {kind}; in async "
            "code: await conn.run_sync(lambda sync_conn: inspect(sync_conn).get_table_names())"
        )
    if hasattr(subject, "dialect") and (
        hasattr(subject, "execute") or hasattr(subject, "connect")
    ):
        from .engine.reflection import Inspector  # an Engine or a Connection

        return Inspector(subject)
    if raiseerr:
        raise exc.NoInspectionAvailable(
            f"No inspection is available for {type(subject).__name__} objects; inspect() "
            "takes mapped classes and their instances, engines and connections"
        )
    return None

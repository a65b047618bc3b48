"""Collections too large to load: ``relationship(lazy="write_only")`` and, in sync
code, ``lazy="dynamic"``.

``user.posts`` is then never a loaded list:

* write-only: a ``WriteOnlyCollection``: ``add(post)``, ``add_all()``,
  ``remove(post)`` (written at the next flush through the post's many-to-one,
  which the relationship needs: ``back_populates``), and ``select()`` /
  ``insert()`` / ``update()`` / ``delete()`` statements for the related rows, to
  run with ``session.execute()`` / ``scalars()`` in pages or in bulk;
* dynamic: a 1.x ``Query`` of the related rows (``.filter()``, ``.count()``, ...)
  that also takes ``append()`` / ``remove()``; it runs queries when read, so it
  works in sync sessions only (async code uses write-only).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .. import exc
from ..sql import delete, insert, select, update
from ._state import instance_state

__all__ = ["AppenderQuery", "WriteOnlyCollection", "big_collection", "set_big_collection"]


def _reverse(prop: Any) -> Any:
    reverse = prop.reverse
    if reverse is None or reverse.uselist or prop.secondary is not None:
        raise exc.InvalidRequestError(
            f"{prop.parent.class_.__name__}.{prop.key} (lazy={prop.lazy!r}) writes through "
            "the other side's many-to-one: declare it with back_populates (a many-to-many "
            "or one-way relationship can't be write-only here)"
        )
    return reverse


class WriteOnlyCollection:
    """``user.posts`` of a ``lazy="write_only"`` relationship (see the module docs)."""

    def __init__(self, instance: Any, prop: Any) -> None:
        self.instance = instance
        self.prop = prop

    def _session(self) -> Any:
        return instance_state(self.instance).session

    def add(self, item: Any) -> None:
        """Relate ``item`` (it joins the session): written at the next flush."""
        from ._attributes import _check_target

        _check_target(self.prop, item)
        setattr(item, _reverse(self.prop).key, self.instance)
        if "save-update" not in self.prop.cascade:
            return
        core = self._session()
        if core is not None:
            core.cascade_add(item)
        else:  # it joins with this object, when this object joins a session
            self.instance.__dict__.setdefault("_fm_write_only_pending", []).append(item)

    def add_all(self, items: Iterable[Any]) -> None:
        for item in items:
            self.add(item)

    def remove(self, item: Any) -> None:
        """Unrelate ``item`` (its key becomes NULL; with delete-orphan, it is deleted)."""
        reverse = _reverse(self.prop)
        if not self._holds(item, reverse):
            raise exc.InvalidRequestError(
                f"{item!r} is not in {self.prop.parent.class_.__name__}.{self.prop.key}"
            )
        setattr(item, reverse.key, None)
        core = self._session()
        if core is not None and "delete-orphan" in self.prop.cascade:
            core.delete(item)

    def _holds(self, item: Any, reverse: Any) -> bool:
        """Whether ``item`` belongs to this object: by its loaded many-to-one, or by its
        foreign key (nothing is loaded to tell)."""
        d, mine = item.__dict__, self.instance.__dict__
        if reverse.key in d:
            return d[reverse.key] is self.instance
        prop = self.prop
        for parent_column, target_column in prop.pairs:
            own = mine.get(prop.parent.key_by_column[parent_column])
            theirs = d.get(prop.mapper.key_by_column[target_column])
            if own is None or own != theirs:
                return False
        return True

    def _criterion(self) -> Any:
        from ._options import relationship_criterion

        if instance_state(self.instance).key is None:
            raise exc.InvalidRequestError(
                f"{self.prop.parent.class_.__name__}.{self.prop.key} of an object with no row "
                "yet has no rows to select: flush it first"
            )
        return relationship_criterion(self.prop, self.instance.__dict__)

    def select(self) -> Any:
        """``select(Post)`` of the related rows: run it with ``session.scalars()``, add
        ``order_by()`` / ``limit()`` / ``where()`` as needed."""
        return select(self.prop.mapper.class_).where(self._criterion())

    def insert(self) -> Any:
        """``insert(Post)`` with the foreign key set to this object's key."""
        values = {}
        d = self.instance.__dict__
        for parent_column, target_column in self.prop.pairs:
            values[target_column.name] = d[self.prop.parent.key_by_column[parent_column]]
        return insert(self.prop.mapper.class_).values(values)

    def update(self) -> Any:
        return update(self.prop.mapper.class_).where(self._criterion())

    def delete(self) -> Any:
        return delete(self.prop.mapper.class_).where(self._criterion())

    def __iter__(self) -> Any:
        raise exc.InvalidRequestError(
            f"{self.prop.parent.class_.__name__}.{self.prop.key} is write-only: read it with "
            f"session.scalars(obj.{self.prop.key}.select())"
        )

    def __repr__(self) -> str:
        return f"<WriteOnlyCollection {self.prop.parent.class_.__name__}.{self.prop.key}>"


class AppenderQuery:
    """``user.posts`` of a ``lazy="dynamic"`` relationship: a ``Query`` of the related
    rows, with ``append()`` and ``remove()``."""

    def __init__(self, instance: Any, prop: Any) -> None:
        self._writer = WriteOnlyCollection(instance, prop)
        self.prop = prop
        self.instance = instance

    def _query(self) -> Any:
        from ._legacy_query import Query

        core = instance_state(self.instance).session
        front = core.sync_front if core is not None else None
        if front is None:
            raise exc.InvalidRequestError(
                f"{self.prop.parent.class_.__name__}.{self.prop.key} is lazy='dynamic', which "
                "runs queries when read: only in a sync Session (or run_sync); async code "
                "uses lazy='write_only' and session.scalars(obj.rel.select())"
            )
        query = Query((self.prop.mapper.class_,), front)
        return query.filter(self._writer._criterion()).order_by(*self.prop.order_by)

    def append(self, item: Any) -> None:
        self._writer.add(item)

    def extend(self, items: Iterable[Any]) -> None:
        self._writer.add_all(items)

    def remove(self, item: Any) -> None:
        self._writer.remove(item)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._query(), name)  # filter(), count(), all(), first() ...

    def __iter__(self) -> Any:
        return iter(self._query().all())

    def __len__(self) -> int:
        return int(self._query().count())

    def __getitem__(self, index: Any) -> Any:
        return self._query().all()[index]


def big_collection(obj: Any, prop: Any) -> Any:
    """What reading a write-only / dynamic relationship gives."""
    if prop.lazy == "dynamic":
        return AppenderQuery(obj, prop)
    return WriteOnlyCollection(obj, prop)


def set_big_collection(obj: Any, prop: Any, value: Any) -> None:
    """``user.posts = [...]``: for a new object, its first items; otherwise refused."""
    if instance_state(obj).key is not None:
        raise exc.InvalidRequestError(
            f"{prop.parent.class_.__name__}.{prop.key} is lazy={prop.lazy!r}: a loaded object's "
            f"collection can't be replaced; use .add() / .remove()"
        )
    WriteOnlyCollection(obj, prop).add_all(value)

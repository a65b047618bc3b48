"""``association_proxy``: an attribute of related objects, seen through a relationship.

::

    class User(Base):
        ...
        user_keywords: Mapped[list[UserKeyword]] = relationship(cascade="all, delete-orphan")
        keywords = association_proxy(
            "user_keywords", "keyword", creator=lambda word: UserKeyword(keyword=word)
        )

    user.keywords                  # ["cheese", "wine"]: the keyword of each UserKeyword
    user.keywords.append("bread")  # appends UserKeyword(keyword="bread")
    select(User).where(User.keywords.any(UserKeyword.keyword == "wine"))

On an object the proxy is a live view: reading it reads the collection (or the
related object, for a many-to-one), and changes go through the relationship, so
the unit of work sees them. Without ``creator``, new related objects are made as
``Target(**{attr: value})``. On the class it builds SQL through the relationship:
``any()``, ``has()``, ``contains()``, and comparisons for a scalar proxy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, MutableSequence
from typing import Any, overload

from .. import exc

__all__ = ["AssociationProxy", "association_proxy"]


def association_proxy(
    target_collection: str, attr: str, *, creator: Callable[[Any], Any] | None = None
) -> AssociationProxy:
    """The ``attr`` of the objects in relationship ``target_collection`` (see the
    module docstring)."""
    return AssociationProxy(target_collection, attr, creator)


class AssociationProxy:
    def __init__(self, target_collection: str, attr: str, creator: Any = None) -> None:
        self.target_collection = target_collection
        self.value_attr = attr
        self.creator = creator
        self.key = f"{target_collection}.{attr}"
        self.owner: type | None = None

    def __set_name__(self, owner: type, name: str) -> None:
        self.owner = owner
        self.key = name

    def _relationship(self, owner: type) -> Any:
        mapper = getattr(owner, "__mapper__", None)
        if mapper is None:
            raise exc.InvalidRequestError(
                f"association_proxy {self.key!r} is on an unmapped class"
            )
        if not mapper.configured:
            mapper.registry.configure()
        rel = mapper.relationships.get(self.target_collection)
        if rel is None:
            raise exc.InvalidRequestError(
                f"association_proxy {owner.__name__}.{self.key}: {owner.__name__} has no "
                f"relationship {self.target_collection!r}"
            )
        return rel

    def _create(self, owner: type, value: Any) -> Any:
        if self.creator is not None:
            return self.creator(value)
        target = self._relationship(owner).mapper.class_
        return target(**{self.value_attr: value})

    @overload
    def __get__(self, instance: None, owner: type) -> ProxyComparator: ...
    @overload
    def __get__(self, instance: object, owner: type) -> Any: ...

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        owner = owner or type(instance)
        if instance is None:
            return ProxyComparator(self, owner)
        rel = self._relationship(owner)
        if rel.uselist:
            return ProxiedList(self, instance)
        target = getattr(instance, self.target_collection)
        return None if target is None else getattr(target, self.value_attr)

    def __set__(self, instance: Any, value: Any) -> None:
        owner = type(instance)
        rel = self._relationship(owner)
        if rel.uselist:
            setattr(instance, self.target_collection, [self._create(owner, v) for v in value])
            return
        target = getattr(instance, self.target_collection)
        if value is None:
            setattr(instance, self.target_collection, None)
        elif target is None:
            setattr(instance, self.target_collection, self._create(owner, value))
        else:
            setattr(target, self.value_attr, value)

    def __delete__(self, instance: Any) -> None:
        delattr(instance, self.target_collection)


class ProxiedList(MutableSequence[Any]):
    """An object's proxied collection: the ``attr`` of each related object, live."""

    def __init__(self, proxy: AssociationProxy, instance: Any) -> None:
        self._proxy = proxy
        self._instance = instance

    @property
    def _collection(self) -> Any:
        return getattr(self._instance, self._proxy.target_collection)

    def _value(self, item: Any) -> Any:
        return getattr(item, self._proxy.value_attr)

    def _create(self, value: Any) -> Any:
        return self._proxy._create(type(self._instance), value)

    def __len__(self) -> int:
        return len(self._collection)

    def __iter__(self) -> Iterator[Any]:
        return (self._value(item) for item in self._collection)

    @overload
    def __getitem__(self, index: int) -> Any: ...
    @overload
    def __getitem__(self, index: slice) -> list[Any]: ...

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return [self._value(item) for item in self._collection[index]]
        return self._value(self._collection[index])

    def __setitem__(self, index: Any, value: Any) -> None:
        if isinstance(index, slice):
            self._collection[index] = [self._create(v) for v in value]
        else:
            setattr(self._collection[index], self._proxy.value_attr, value)

    def __delitem__(self, index: Any) -> None:
        del self._collection[index]

    def insert(self, index: int, value: Any) -> None:
        self._collection.insert(index, self._create(value))

    def append(self, value: Any) -> None:
        self._collection.append(self._create(value))

    def extend(self, values: Iterable[Any]) -> None:
        for value in values:
            self.append(value)

    def remove(self, value: Any) -> None:
        for item in self._collection:
            if self._value(item) == value:
                self._collection.remove(item)
                return
        raise ValueError(f"{value!r} is not in {self._proxy.key}")

    def __contains__(self, value: object) -> bool:
        return any(self._value(item) == value for item in self._collection)

    def __eq__(self, other: object) -> bool:
        return list(self) == other if isinstance(other, list | ProxiedList) else NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))


class ProxyComparator:
    """``User.keywords`` on the class: SQL through the relationship."""

    def __init__(self, proxy: AssociationProxy, owner: type) -> None:
        self.proxy = proxy
        self.owner = owner

    @property
    def _rel_attr(self) -> Any:
        return getattr(self.owner, self.proxy.target_collection)

    @property
    def _value_attr(self) -> Any:
        rel = self.proxy._relationship(self.owner)
        return getattr(rel.mapper.class_, self.proxy.value_attr)

    def any(self, criterion: Any = None, **kwargs: Any) -> Any:
        """Rows with a related object matching ``criterion`` (``attr == value``
        keywords too)."""
        conditions = [self._value_attr == v for v in kwargs.values()] if kwargs else []
        if kwargs and set(kwargs) != {self.proxy.value_attr}:
            raise exc.ArgumentError(
                f"{self.owner.__name__}.{self.proxy.key}.any() takes {self.proxy.value_attr}=..."
            )
        if criterion is not None:
            conditions.append(criterion)
        from ..sql._elements import and_

        combined = and_(*conditions) if conditions else None
        rel = self.proxy._relationship(self.owner)
        return self._rel_attr.any(combined) if rel.uselist else self._rel_attr.has(combined)

    has = any

    def contains(self, value: Any) -> Any:
        """Rows whose proxied collection holds ``value``."""
        return self.any(self._value_attr == value)

    def __eq__(self, value: Any) -> Any:
        rel = self.proxy._relationship(self.owner)
        if rel.uselist:
            raise exc.ArgumentError(
                f"{self.owner.__name__}.{self.proxy.key} is a collection: use .contains(value) "
                "or .any(...)"
            )
        return self._rel_attr.has(self._value_attr == value)

    def __ne__(self, value: Any) -> Any:
        from ..sql._elements import not_

        return not_(self.__eq__(value))

    __hash__ = None  # type: ignore[assignment]

"""Attributes that are Python on an object and SQL on its class.

::

    class User(Base):
        first: Mapped[str]
        last: Mapped[str]

        @hybrid_property
        def fullname(self) -> str:
            return self.first + " " + self.last

    user.fullname                                   # "Ann Lee", computed in Python
    select(User).where(User.fullname == "Ann Lee")  # the same formula, in SQL

The function runs once per access: with an object it gets the object, on the
class it gets the class, whose mapped attributes build SQL expressions. Where the
two must differ (a Python ``if`` has no SQL meaning), ``@fullname.expression``
gives the class-level form. Selected on its own, a hybrid's expression carries
the hybrid's name (``select(User.fullname)`` has a ``fullname`` column).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Generic, TypeVar

from .. import exc

__all__ = ["hybrid_method", "hybrid_property"]

T = TypeVar("T")


def _named(value: Any, name: str) -> Any:
    """A class-level value labelled with the hybrid's name when it is a plain SQL
    expression (not a condition: a label inside WHERE would change nothing anyway)."""
    label = getattr(value, "label", None)
    if label is None or type(value).__name__ in ("BooleanClauseList", "Label"):
        return value
    if getattr(value, "operator", None) in _COMPARISONS:
        return value
    return label(name)


_COMPARISONS = frozenset(
    {"=", "!=", "<", "<=", ">", ">=", "IS", "IS NOT", "IN", "NOT IN", "LIKE", "NOT LIKE"}
)


class hybrid_property(Generic[T]):
    """A property whose getter also builds SQL on the class (see the module
    docstring); ``.setter``, ``.deleter`` and ``.expression`` as decorators."""

    def __init__(
        self,
        fget: Callable[[Any], T],
        fset: Callable[[Any, Any], None] | None = None,
        fdel: Callable[[Any], None] | None = None,
        expr: Callable[[Any], Any] | None = None,
    ) -> None:
        self.fget = fget
        self.fset = fset
        self.fdel = fdel
        self.expr = expr
        self.__name__ = fget.__name__
        self.__doc__ = fget.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        # the first name it is bound to: an ``inplace`` function binds it again under
        # its own name
        if not getattr(self, "_bound", False):
            self.__name__ = name
            self._bound = True

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            if owner is None:
                return self
            build = self.expr if self.expr is not None else self.fget
            return _named(build(owner), self.__name__)
        return self.fget(instance)

    def __set__(self, instance: Any, value: Any) -> None:
        if self.fset is None:
            raise AttributeError(
                f"hybrid property {self.__name__!r} has no setter: add one with "
                f"@{self.__name__}.setter"
            )
        self.fset(instance, value)

    def __delete__(self, instance: Any) -> None:
        if self.fdel is None:
            raise AttributeError(
                f"hybrid property {self.__name__!r} has no deleter: add one with "
                f"@{self.__name__}.deleter"
            )
        self.fdel(instance)

    def _copy(self, **changes: Any) -> hybrid_property[T]:
        new: hybrid_property[T] = hybrid_property(self.fget, self.fset, self.fdel, self.expr)
        for key, value in changes.items():
            setattr(new, key, value)
        new.__name__ = self.__name__
        return new

    def getter(self, fget: Callable[[Any], T]) -> hybrid_property[T]:
        return self._copy(fget=fget)

    def setter(self, fset: Callable[[Any, Any], None]) -> hybrid_property[T]:
        """``@fullname.setter``: what assigning the attribute on an object does."""
        return self._copy(fset=fset)

    def deleter(self, fdel: Callable[[Any], None]) -> hybrid_property[T]:
        return self._copy(fdel=fdel)

    def expression(self, expr: Callable[[Any], Any]) -> hybrid_property[T]:
        """``@fullname.expression`` (on a ``classmethod``-style function taking the
        class): the SQL form, where it must differ from the Python one."""
        if isinstance(expr, classmethod):
            expr = expr.__func__
        return self._copy(expr=expr)

    @property
    def inplace(self) -> _InPlace[T]:
        """``@fullname.inplace.setter`` etc. change this hybrid instead of making a
        new one, so the decorated functions may have names of their own."""
        return _InPlace(self)


class _InPlace(Generic[T]):
    def __init__(self, hybrid: hybrid_property[T]) -> None:
        self._hybrid = hybrid

    def setter(self, fset: Callable[[Any, Any], None]) -> hybrid_property[T]:
        self._hybrid.fset = fset
        return self._hybrid

    def deleter(self, fdel: Callable[[Any], None]) -> hybrid_property[T]:
        self._hybrid.fdel = fdel
        return self._hybrid

    def expression(self, expr: Callable[[Any], Any]) -> hybrid_property[T]:
        self._hybrid.expr = expr.__func__ if isinstance(expr, classmethod) else expr
        return self._hybrid


class hybrid_method(Generic[T]):
    """A method that runs in Python on an object and builds SQL on the class:
    ``user.older_than(30)`` is a bool, ``select(User).where(User.older_than(30))`` a
    query; ``@older_than.expression`` for a different SQL form."""

    def __init__(self, func: Callable[..., T], expr: Callable[..., Any] | None = None) -> None:
        if not callable(func):
            raise exc.ArgumentError(f"hybrid_method() takes a function, not {func!r}")
        self.func = func
        self.expr = expr
        self.__name__ = func.__name__
        self.__doc__ = func.__doc__

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            build = self.expr if self.expr is not None else self.func
            return build.__get__(owner, type(owner))
        return self.func.__get__(instance, owner)

    def expression(self, expr: Callable[..., Any]) -> hybrid_method[T]:
        if isinstance(expr, classmethod):
            expr = expr.__func__
        return hybrid_method(self.func, expr)

    @property
    def inplace(self) -> hybrid_method[T]:
        return self

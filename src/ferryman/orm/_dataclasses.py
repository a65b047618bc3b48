"""``MappedAsDataclass``: mapped classes with a dataclass's ``__init__``, ``__repr__``
and ``__eq__``.

::

    class Base(MappedAsDataclass, DeclarativeBase):
        pass

    class User(Base):
        __tablename__ = "users"
        id: Mapped[int] = mapped_column(init=False, primary_key=True)
        name: Mapped[str]
        fullname: Mapped[str | None] = mapped_column(default=None)
        addresses: Mapped[list[Address]] = relationship(default_factory=list)

    User("ann")                      # User(id=<not loaded>, name='ann', ...)
    User("ann", fullname="Ann Lee")

The fields are the mapped attributes, in declaration order; ``mapped_column()``
and ``relationship()`` take the dataclass options ``init``, ``repr``,
``compare``, ``default``, ``default_factory`` and ``kw_only``; the class
takes ``init``, ``repr``, ``eq`` and ``kw_only``
(``class User(Base, kw_only=True)``). As dataclasses require, a field without a
default can't follow one with a default unless one of them is keyword-only.

Where a plain dataclass would differ: ``__repr__`` never loads anything (an
attribute that is not loaded shows as ``<not loaded>``), ``__eq__`` compares the
values the objects hold, and objects stay hashable by identity, as the session
needs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import exc
from ._state import NO_VALUE

__all__ = [
    "DATACLASS_OPTIONS",
    "NO_DEFAULT",
    "Field",
    "MappedAsDataclass",
    "add_dataclass_methods",
]

# What mapped_column() / relationship() take for the dataclass, beside their own.
DATACLASS_OPTIONS = ("init", "repr", "compare", "default_factory", "kw_only")
NO_DEFAULT = object()  # "no default": a field the caller must give


class Field:
    """One dataclass field: a mapped attribute and its options."""

    __slots__ = ("compare", "default", "factory", "init", "key", "kw_only", "repr")

    def __init__(self, key: str, options: dict[str, Any], default: Any, kw_only: bool) -> None:
        self.key = key
        self.init = options.get("init", True)
        self.repr = options.get("repr", True)
        self.compare = options.get("compare", True)
        self.factory = options.get("default_factory")
        self.default = default
        self.kw_only = options.get("kw_only", kw_only)
        if self.factory is not None and self.default is not NO_DEFAULT:
            raise exc.ArgumentError(f"field {key!r}: give default or default_factory, not both")

    @property
    def has_default(self) -> bool:
        return self.default is not NO_DEFAULT or self.factory is not None

    def initial(self) -> Any:
        return self.factory() if self.factory is not None else self.default


class MappedAsDataclass:
    """A mixin for a declarative base (``class Base(MappedAsDataclass,
    DeclarativeBase)``): its mapped classes get a dataclass's ``__init__``,
    ``__repr__`` and ``__eq__`` (see the module docstring)."""

    __fm_dataclass__: dict[str, Any] = {"init": True, "repr": True, "eq": True, "kw_only": False}

    def __init_subclass__(
        cls,
        init: bool | None = None,
        repr: bool | None = None,
        eq: bool | None = None,
        kw_only: bool | None = None,
        **kwargs: Any,
    ) -> None:
        options = dict(cls.__fm_dataclass__)
        given = {"init": init, "repr": repr, "eq": eq, "kw_only": kw_only}
        options.update({k: v for k, v in given.items() if v is not None})
        cls.__fm_dataclass__ = options
        super().__init_subclass__(**kwargs)


def add_dataclass_methods(cls: type, fields: list[Field]) -> None:
    """Give a mapped class its dataclass methods, from its fields."""
    options = cls.__fm_dataclass__  # type: ignore[attr-defined]
    if options["init"] and "__init__" not in vars(cls):
        cls.__init__ = _make_init(cls, fields)  # type: ignore[misc]
    if options["repr"] and "__repr__" not in vars(cls):
        cls.__repr__ = _make_repr([f.key for f in fields if f.repr])  # type: ignore[method-assign,assignment]
    if options["eq"] and "__eq__" not in vars(cls):
        cls.__eq__ = _make_eq([f.key for f in fields if f.compare])  # type: ignore[method-assign,assignment]
        cls.__hash__ = object.__hash__  # type: ignore[method-assign,assignment]


def _make_init(cls: type, fields: list[Field]) -> Callable[..., None]:
    positional = [f for f in fields if f.init and not f.kw_only]
    keyword = [f for f in fields if f.init and f.kw_only]
    seen_default = None
    for field in positional:
        if field.has_default:
            seen_default = field
        elif seen_default is not None:
            raise exc.ArgumentError(
                f"{cls.__name__}: the field {field.key!r} has no default but follows "
                f"{seen_default.key!r}, which has one; give {field.key!r} a default, or make "
                f"one of them keyword-only (mapped_column(kw_only=True), or "
                f"class {cls.__name__}(Base, kw_only=True))"
            )
    params = []
    for field in positional:
        params.append(f"{field.key}=_D" if field.has_default else field.key)
    if keyword:
        params.append("*")
        params.extend(f"{f.key}=_D" if f.has_default else f.key for f in keyword)
    body = []
    for field in [*positional, *keyword]:
        if field.has_default:
            body.append(f"    if {field.key} is _D: {field.key} = _F[{field.key!r}].initial()")
        body.append(f"    values[{field.key!r}] = {field.key}")
    for field in fields:
        if not field.init and field.has_default:
            body.append(f"    values[{field.key!r}] = _F[{field.key!r}].initial()")
    source = (
        f"def __init__(self, {', '.join(params)}):\n"
        "    values = {}\n" + "\n".join(body) + "\n    _setup(self, **values)\n"
    )
    from ._declarative import _default_init

    namespace: dict[str, Any] = {
        "_D": NO_DEFAULT,
        "_F": {f.key: f for f in fields},
        "_setup": _default_init,
    }
    exec(source, namespace)
    init: Callable[..., None] = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    return init


def _make_repr(keys: list[str]) -> Callable[[Any], str]:
    from ._declarative import _short

    def __repr__(self: Any) -> str:
        d = self.__dict__
        mapper = type(self).__mapper__
        parts = []
        for key in keys:
            if key not in d:
                parts.append(f"{key}=<not loaded>")
                continue
            value = d[key]
            rel = mapper.relationships.get(key)
            if rel is None:
                parts.append(f"{key}={value!r}")
            elif rel.uselist:
                parts.append(f"{key}=[{', '.join(_short(o) for o in value)}]")
            else:
                parts.append(f"{key}={_short(value)}")
        return f"{type(self).__name__}({', '.join(parts)})"

    return __repr__


def _make_eq(keys: list[str]) -> Callable[[Any, Any], Any]:
    def __eq__(self: Any, other: Any) -> Any:
        if other.__class__ is not self.__class__:
            return NotImplemented
        mine, theirs = self.__dict__, other.__dict__
        return all(mine.get(k, NO_VALUE) == theirs.get(k, NO_VALUE) for k in keys)

    return __eq__

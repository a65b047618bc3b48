"""Reading ``Mapped[...]`` annotations: the column type and nullability they give,
and the relationship target they name.

Annotations may be strings (``from __future__ import annotations``); they are
evaluated in the class's module, and a relationship target that is not defined
yet is read from the annotation's text (``Mapped[list["Traveler"]]``).
"""

from __future__ import annotations

import datetime
import decimal
import enum
import sys
import typing
import uuid
from typing import Any, Generic, TypeVar

from .. import exc
from ..sql import _types as types
from ._attributes import ColumnAttribute

__all__ = [
    "UNRESOLVED",
    "Mapped",
    "class_namespace",
    "evaluate",
    "relationship_target",
    "type_for",
    "unwrap_annotation",
]

T = TypeVar("T")


class Mapped(Generic[T]):
    """``name: Mapped[str]``: the type of a mapped attribute (for type checkers and for
    the column type and nullability)."""

    if typing.TYPE_CHECKING:

        @typing.overload
        def __get__(self, obj: None, cls: Any) -> ColumnAttribute[T]: ...
        @typing.overload
        def __get__(self, obj: object, cls: Any) -> T: ...
        def __get__(self, obj: Any, cls: Any) -> Any: ...
        def __set__(self, obj: Any, value: T) -> None: ...


class WriteOnlyMapped(Mapped[T]):
    """``posts: WriteOnlyMapped[Post] = relationship()``: a ``lazy="write_only"``
    collection (see ``orm._write_only``)."""


class DynamicMapped(Mapped[T]):
    """``posts: DynamicMapped[Post] = relationship()``: a ``lazy="dynamic"``
    collection, a query of the related rows (sync code)."""


# The lazy= an annotation implies, and the names its text may start with.
BIG_COLLECTIONS = {WriteOnlyMapped: "write_only", DynamicMapped: "dynamic"}
_PREFIXES = ("Mapped[", "WriteOnlyMapped[", "DynamicMapped[")


def mapped_origin(annotation: Any) -> Any:
    """``Mapped`` (or a subclass: WriteOnlyMapped ...) when ``annotation`` is one."""
    origin = typing.get_origin(annotation)
    return origin if isinstance(origin, type) and issubclass(origin, Mapped) else None


def big_collection_of(annotation: Any, raw: Any) -> str | None:
    """``"write_only"`` / ``"dynamic"`` for a WriteOnlyMapped / DynamicMapped one."""
    lazy = BIG_COLLECTIONS.get(mapped_origin(annotation))
    if lazy is None and isinstance(raw, str):
        for cls, strategy in BIG_COLLECTIONS.items():
            if raw.strip().startswith(cls.__name__ + "["):
                lazy = strategy
    return lazy


# -- types from annotations ----------------------------------------------------------

_DEFAULT_TYPES: dict[Any, Any] = {
    int: types.Integer,
    str: types.String,
    float: types.Float,
    bool: types.Boolean,
    bytes: types.LargeBinary,
    decimal.Decimal: types.Numeric,
    datetime.datetime: types.DateTime,
    datetime.date: types.Date,
    datetime.time: types.Time,
    datetime.timedelta: types.Interval,
    uuid.UUID: types.Uuid,
    dict: types.JSON,
}


def unwrap_annotation(annotation: Any) -> tuple[Any, bool | None]:
    """``Mapped[X | None]`` -> (X, True); ``Mapped[X]`` -> (X, False)."""
    if annotation is None:
        return None, None
    inner = annotation
    if mapped_origin(inner) is not None:
        inner = typing.get_args(inner)[0]
    nullable = False
    args = typing.get_args(inner)
    if typing.get_origin(inner) in (typing.Union, _UnionType) and type(None) in args:
        rest = [a for a in args if a is not type(None)]
        nullable = True
        inner = rest[0] if len(rest) == 1 else None
    return inner, nullable


_UnionType: Any = type(int | str)


def type_for(python_type: Any, type_map: dict[Any, Any], where: str) -> Any:
    for mapping in (type_map, _DEFAULT_TYPES):
        if python_type in mapping:
            found = mapping[python_type]
            return found() if isinstance(found, type) else found
    origin = typing.get_origin(python_type)
    if origin is not None:
        for mapping in (type_map, _DEFAULT_TYPES):
            if origin in mapping:
                found = mapping[origin]
                return found() if isinstance(found, type) else found
    if isinstance(python_type, type) and issubclass(python_type, enum.Enum):
        return types.Enum(python_type)
    if typing.get_origin(python_type) is typing.Literal:
        return types.Enum(*typing.get_args(python_type), native_enum=False)
    raise exc.ArgumentError(
        f"{where}: no column type for annotation {python_type!r}; give the type "
        "(mapped_column(MyType)) or add it to the base's type_annotation_map"
    )


def class_namespace(cls: type) -> dict[str, Any]:
    module = sys.modules.get(cls.__module__)
    namespace = dict(vars(module)) if module is not None else {}
    namespace.update({"Mapped": Mapped})
    for klass in reversed(cls.__mro__):
        namespace.update({k: v for k, v in vars(klass).items() if isinstance(v, type)})
    namespace[cls.__name__] = cls
    return namespace


def evaluate(annotation: Any, namespace: dict[str, Any]) -> Any:
    if not isinstance(annotation, str):
        return annotation
    try:
        return eval(annotation, namespace)
    except Exception:
        return UNRESOLVED


UNRESOLVED = object()


def _target_from_text(text: str) -> tuple[str | None, bool | None]:
    """``Mapped[list["Traveler"]]`` -> ("Traveler", True); ``Mapped[Country | None]`` ->
    ("Country", False)."""
    body = text.strip()
    for prefix in _PREFIXES:
        if body.startswith(prefix) and body.endswith("]"):
            body = body[len(prefix) : -1].strip()
            break
    uselist = False
    for prefix in ("list[", "List[", "typing.List[", "set[", "Set["):
        if body.startswith(prefix) and body.endswith("]"):
            body = body[len(prefix) : -1]
            uselist = True
    if body.startswith("Optional[") and body.endswith("]"):
        body = body[len("Optional[") : -1]
    parts = [p.strip() for p in body.split("|") if p.strip() != "None"]
    if len(parts) != 1:
        return None, None
    return parts[0].strip("'\""), uselist


def relationship_target(annotation: Any, raw: Any) -> tuple[Any, bool | None]:
    """The target class (or its name) and whether it is a list, from an annotation."""
    if annotation is UNRESOLVED or annotation is None:
        if isinstance(raw, str):
            return _target_from_text(raw)
        return None, None
    inner = annotation
    if mapped_origin(inner) is not None:
        inner = typing.get_args(inner)[0]
    if isinstance(inner, str):
        return _target_from_text(inner)
    origin = typing.get_origin(inner)
    if origin in (list, set):
        arg = typing.get_args(inner)[0]
        return (arg.__forward_arg__ if isinstance(arg, typing.ForwardRef) else arg), True
    inner, _ = unwrap_annotation(inner)
    if isinstance(inner, typing.ForwardRef):  # Mapped["Node | None"] in Node's own body
        return _target_from_text(inner.__forward_arg__)
    return inner, False

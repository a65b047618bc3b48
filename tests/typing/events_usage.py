"""User-style event listeners that must type-check under ``mypy --strict`` (checked
by tests/test_codebase.py): ``listens_for`` keeps the decorated function's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_type

from ferryman import String, create_engine, event
from ferryman.engine import Connection, ExceptionContext
from ferryman.orm import DeclarativeBase, Mapped, Mapper, mapped_column


class Base(DeclarativeBase):
    pass


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(100))


engine = create_engine("sqlite://")


@event.listens_for(Article, "before_insert")
def stamp(mapper: Mapper, connection: Connection, target: Article) -> None:
    target.title = target.title.strip()


@event.listens_for(engine, "handle_error")
def translate(context: ExceptionContext) -> BaseException | None:
    return None if context.is_disconnect else context.ferryman_exception


def strip(target: Article, value: str, oldvalue: Any, initiator: Any) -> str:
    return value.strip()


event.listen(Article.title, "set", strip, retval=True)
# still the functions they were (not Any): typed attributes, assignable signatures
assert_type(stamp.__name__, str)
assert_type(translate.__name__, str)
as_listener: Callable[[Mapper, Connection, Article], None] = stamp
as_handler: Callable[[ExceptionContext], BaseException | None] = translate
assert_type(event.contains(Article.title, "set", strip), bool)

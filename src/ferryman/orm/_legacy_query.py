"""``session.query(User).filter(...).all()``: the 1.x ``Query`` API, so that older
code bases port too.

A ``Query`` is a thin, generative layer over a ``select()``: each method returns a
new ``Query`` around a changed statement, and the methods that return results run
it through the session (``session.execute()``, ``session.get()``). It exists on
the sync ``Session`` only, as in SQLAlchemy; async code reaches it inside
``await session.run_sync(lambda s: s.query(User).all())``. New code should use
``select()``: every ``Query`` has one (``query.statement``).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .. import exc
from ..sql import delete, func, select, update
from ..sql._elements import and_

__all__ = ["Query"]


class Query:
    """The rows or objects of a query, built up by ``filter()``, ``join()``,
    ``order_by()`` ... and read with ``all()``, ``first()``, ``one()``, ``count()``."""

    def __init__(self, entities: tuple[Any, ...], session: Any) -> None:
        if not entities:
            raise exc.ArgumentError("query() needs at least one entity: session.query(User)")
        self.session = session
        self._entities = entities
        self._statement = select(*entities)
        # filter_by() names attributes of the last entity joined (or the first one)
        self._filter_entity = _entity_of(entities[0])

    def _with(self, statement: Any, filter_entity: Any = None) -> Query:
        new = object.__new__(Query)
        new.__dict__.update(self.__dict__)
        new._statement = statement
        if filter_entity is not None:
            new._filter_entity = filter_entity
        return new

    # -- building --

    @property
    def statement(self) -> Any:
        """The ``select()`` this query runs."""
        return self._statement

    def filter(self, *criteria: Any) -> Query:
        """``WHERE`` conditions, joined with AND: ``filter(User.name == "ann")``."""
        return self._with(self._statement.where(*criteria))

    where = filter

    def filter_by(self, **values: Any) -> Query:
        """``filter_by(name="ann")``: equality on attributes of the last joined entity
        (or the query's first entity)."""
        entity = self._filter_entity
        if entity is None:
            raise exc.InvalidRequestError(
                "filter_by() needs a mapped class to name attributes of; this query "
                "selects columns only: use filter(column == value)"
            )
        criteria = []
        for key, value in values.items():
            attribute = getattr(entity, key, None)
            if attribute is None or not hasattr(attribute, "__clause_element__"):
                name = getattr(entity, "__name__", repr(entity))
                raise exc.InvalidRequestError(
                    f"filter_by({key}=...): {name} has no mapped attribute {key!r}"
                )
            criteria.append(attribute == value)
        return self._with(self._statement.where(and_(*criteria)))

    def join(self, target: Any, onclause: Any = None, *, isouter: bool = False) -> Query:
        """``join(Address)``, ``join(User.addresses)``, ``join(Address, onclause)``."""
        if isouter:
            statement = self._statement.outerjoin(target, onclause)
        else:
            statement = self._statement.join(target, onclause)
        return self._with(statement, _entity_of(target))

    def outerjoin(self, target: Any, onclause: Any = None) -> Query:
        return self.join(target, onclause, isouter=True)

    def select_from(self, *froms: Any) -> Query:
        return self._with(self._statement.select_from(*froms))

    def order_by(self, *clauses: Any) -> Query:
        return self._with(self._statement.order_by(*clauses))

    def group_by(self, *clauses: Any) -> Query:
        return self._with(self._statement.group_by(*clauses))

    def having(self, *criteria: Any) -> Query:
        return self._with(self._statement.having(*criteria))

    def limit(self, limit: int | None) -> Query:
        return self._with(self._statement.limit(limit))

    def offset(self, offset: int | None) -> Query:
        return self._with(self._statement.offset(offset))

    def distinct(self) -> Query:
        return self._with(self._statement.distinct())

    def options(self, *options: Any) -> Query:
        """Loader options: ``options(selectinload(User.addresses))``."""
        return self._with(self._statement.options(*options))

    def execution_options(self, **options: Any) -> Query:
        return self._with(self._statement.execution_options(**options))

    def with_for_update(self, **kwargs: Any) -> Query:
        return self._with(self._statement.with_for_update(**kwargs))

    def with_entities(self, *entities: Any) -> Query:
        """The same FROM and conditions, other things selected."""
        new = self._with(self._statement.with_only_columns(*entities))
        new._entities = entities
        return new

    def subquery(self, name: str | None = None) -> Any:
        return self._statement.subquery(name)

    # -- running --

    def _single_entity(self) -> bool:
        """One mapped class selected: results are its objects, not rows."""
        return len(self._entities) == 1 and hasattr(self._entities[0], "__mapper__")

    def _result(self, statement: Any = None) -> Any:
        result = self.session.execute(self._statement if statement is None else statement)
        return result.scalars() if self._single_entity() else result

    def all(self) -> list[Any]:
        """Every object (one entity queried) or row."""
        return list(self._result().all())

    def __iter__(self) -> Iterator[Any]:
        return iter(self.all())

    def first(self) -> Any:
        """The first object or row (the query runs with LIMIT 1), or None."""
        return self._result(self._statement.limit(1)).first()

    def one(self) -> Any:
        """Exactly one object or row; ``NoResultFound`` / ``MultipleResultsFound``."""
        return self._result().one()

    def one_or_none(self) -> Any:
        return self._result().one_or_none()

    def scalar(self) -> Any:
        """The first column of the one row, or None when there is none."""
        row = self.session.execute(self._statement).one_or_none()
        return None if row is None else row[0]

    def count(self) -> int:
        """How many rows the query gives: ``SELECT count(*) FROM (the query)``."""
        counted = select(func.count()).select_from(self._statement.subquery())
        return int(self.session.execute(counted).scalar_one())

    def get(self, ident: Any) -> Any:
        """The object with this primary key (``session.get()``: the identity map first)."""
        if not self._single_entity():
            raise exc.InvalidRequestError(
                "Query.get() needs a query of one mapped class: session.query(User).get(5)"
            )
        return self.session.get(self._entities[0], ident)

    def exists(self) -> Any:
        """``EXISTS (the query)``, for ``session.query(query.exists()).scalar()``."""
        return self._statement.exists()

    def delete(self, synchronize_session: Any = "auto") -> int:
        """``DELETE`` the rows the query's conditions match; the row count. The
        session's objects follow (``synchronize_session``, as for ``delete(User)``)."""
        return self._bulk("delete", None, synchronize_session)

    def update(self, values: dict[Any, Any], synchronize_session: Any = "auto") -> int:
        """``UPDATE`` the rows the query's conditions match; the row count. The
        session's objects follow (``synchronize_session``, as for ``update(User)``)."""
        return self._bulk("update", values, synchronize_session)

    def _bulk(self, kind: str, values: dict[Any, Any] | None, synchronize_session: Any) -> int:
        if not self._single_entity():
            raise exc.InvalidRequestError(
                f"Query.{kind}() needs a query of one mapped class: "
                f"session.query(User).filter(...).{kind}(...)"
            )
        entity = self._entities[0]
        where = self._statement._where
        if kind == "delete":
            statement: Any = delete(entity).where(*where)
        else:
            statement = (
                update(entity)
                .where(*where)
                .values({getattr(k, "key", k): v for k, v in (values or {}).items()})
            )
        result = self.session.execute(
            statement, execution_options={"synchronize_session": synchronize_session}
        )
        return int(result.rowcount)

    def __str__(self) -> str:
        return str(self._statement)

    def __repr__(self) -> str:
        return f"<Query {self._statement}>"


def _entity_of(target: Any) -> Any:
    """The mapped class (or alias) a query item or join target belongs to."""
    if hasattr(target, "__mapper__") or type(target).__name__ == "AliasedClass":
        return target
    parent = getattr(target, "class_", None)  # an attribute: Address.user
    prop = getattr(target, "prop", None)
    if prop is not None and getattr(prop, "is_relationship", False):
        return prop.mapper.class_
    return parent

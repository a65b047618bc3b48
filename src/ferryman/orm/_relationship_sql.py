"""The SQL a relationship stands for: join conditions, ``any()`` / ``has()``,
``contains()``, ``==``, and the criterion that finds the rows related to one
object (a lazy load, ``with_parent()``).

A many-to-many goes through its secondary table: ``Post.tags`` joins
``posts -> post_tags -> tags`` (two joins), its ``any()`` is ``EXISTS (SELECT 1
FROM post_tags, tags WHERE posts.id = post_tags.post_id AND tags.id =
post_tags.tag_id AND ...)``, and the tags of one post are ``tags.id =
post_tags.tag_id AND post_tags.post_id = :id``.

A self-referential relationship joins a table to itself, so the far side needs
an alias: ``Node.children.any(Node.name == "x")`` becomes ``EXISTS (SELECT 1
FROM node AS anon_1 WHERE node.id = anon_1.parent_id AND anon_1.name = :x)``,
the criterion moved onto the alias (``adapt_to``).
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql import and_, exists, literal_column, select
from ..sql._derived import Alias, DerivedColumn
from ..sql._elements import ClauseElement
from ..sql._schema import Column, FromClause
from ..sql._selectable import Exists, ScalarSelect

__all__ = ["RelationshipSQL", "adapt_to"]


class RelationshipSQL:
    """The SQL half of ``RelationshipProperty`` (see the module docstring)."""

    # set by RelationshipProperty
    key: str
    parent: Any
    mapper: Any
    direction: str
    uselist: bool
    pairs: list[tuple[Column, Column]]
    secondary: Any
    parent_pairs: list[tuple[Column, Column]]
    target_pairs: list[tuple[Column, Column]]
    self_referential: bool
    _exists_alias: Any

    @property
    def name(self) -> str:
        """``Class.key``, for messages."""
        owner = self.parent.class_.__name__ if self.parent is not None else "?"
        return f"{owner}.{self.key}"

    def join_condition(self, parent: Any, target: Any) -> Any:
        """``parent.x = target.y AND ...`` with the columns taken from aliases when given
        (through the secondary table for a many-to-many)."""
        if self.secondary is not None:
            on_parent, on_target = self.secondary_conditions(parent, None, target)
            return and_(on_parent, on_target)
        conditions = []
        for parent_col, target_col in self.pairs:
            conditions.append(_adapt(parent, parent_col) == _adapt(target, target_col))
        return conditions[0] if len(conditions) == 1 else and_(*conditions)

    def secondary_conditions(self, parent: Any, secondary: Any, target: Any) -> tuple[Any, Any]:
        """A many-to-many's two ON clauses: parent to secondary, secondary to target."""
        on_parent = [_adapt(parent, p) == _adapt(secondary, s) for p, s in self.parent_pairs]
        on_target = [_adapt(target, t) == _adapt(secondary, s) for t, s in self.target_pairs]
        return and_(*on_parent), and_(*on_target)

    def join_steps(self, right: Any, parententity: Any) -> list[tuple[Any, Any]]:
        """``(FROM item, ON clause)`` for each join ``select(A).join(A.bs)`` makes: one,
        or two through a secondary table."""
        target = right
        if target is None:
            target = self.mapper.local_table
        target_from = (
            target.__clause_element__() if hasattr(target, "__clause_element__") else target
        )
        parent_from = parententity.__clause_element__() if parententity is not None else None
        source = parent_from if parent_from is not None else self.parent.local_table
        if self.self_referential and source is target_from:
            cls = self.mapper.class_.__name__
            raise exc.InvalidRequestError(
                f"join({self.name}) would join table {self.mapper.local_table.name!r} to "
                f"itself; join an alias of {cls}: other = aliased({cls}), then "
                f".join(other, {self.name})"
            )
        if self.secondary is None:
            return [(target, self.join_condition(parent_from, target_from))]
        on_parent, on_target = self.secondary_conditions(parent_from, None, target_from)
        return [(self.secondary, on_parent), (target, on_target)]

    def criterion(self, parent_dict: dict[str, Any]) -> Any:
        """The condition on the target's rows (and the secondary's) that finds those
        related to an object with these values (a lazy load, ``with_parent()``)."""
        keys = self.parent.key_by_column
        conditions = []
        if self.secondary is not None:
            pairs = self.parent_pairs
        else:
            pairs = self.pairs
        for parent_col, far_col in pairs:
            key = keys[parent_col]
            if key not in parent_dict:
                cls = self.parent.class_.__name__
                raise exc.InvalidRequestError(
                    f"{cls}.{key} is not loaded, so the rows of {self.name} can't be found; "
                    "refresh the object first"
                )
            conditions.append(far_col == parent_dict[key])
        if self.secondary is not None:
            conditions.extend(t == s for t, s in self.target_pairs)
        return conditions[0] if len(conditions) == 1 else and_(*conditions)

    def compare(self, other: Any, parententity: Any) -> Any:
        """``Traveler.destination == norway`` / ``== None``."""
        if self.uselist:
            raise exc.ArgumentError(
                f"{self.name} is a collection; compare with .any(...) or .contains(obj) "
                "instead of =="
            )
        parent_from = parententity.__clause_element__() if parententity is not None else None
        if other is None:
            if self.direction == "MANYTOONE":
                conditions = [_adapt(parent_from, p) == None for p, _ in self.pairs]  # noqa: E711
                return conditions[0] if len(conditions) == 1 else and_(*conditions)
            return ~self.exists_clause(None, {}, parententity)
        self._check_object(other)
        d = other.__dict__
        keys = self.mapper.key_by_column
        if self.direction == "MANYTOONE":
            conditions = [_adapt(parent_from, p) == d.get(keys[t]) for p, t in self.pairs]
            return conditions[0] if len(conditions) == 1 else and_(*conditions)
        if self.direction == "MANYTOMANY":
            identity = and_(*[c == d.get(keys[c]) for c in self.mapper.primary_key])
            return self.exists_clause(identity, {}, parententity)
        return self.exists_clause(
            and_(*[t == d.get(keys[t]) for _, t in self.pairs]), {}, parententity
        )

    def contains(self, other: Any, parententity: Any) -> Any:
        """``User.addresses.contains(address)``: the parent rows whose collection holds
        ``other`` (for a many-to-many, its secondary table joins the FROM list)."""
        if not self.uselist:
            raise exc.ArgumentError(
                f"{self.name} holds one object; compare it with == instead of .contains()"
            )
        self._check_object(other)
        d = other.__dict__
        keys = self.mapper.key_by_column
        parent_from = parententity.__clause_element__() if parententity is not None else None
        if self.secondary is not None:
            on_parent, _ = self.secondary_conditions(parent_from, None, None)
            values = [s == d.get(keys[t]) for t, s in self.target_pairs]
            return and_(on_parent, *values)
        conditions = [_adapt(parent_from, p) == d.get(keys[t]) for p, t in self.pairs]
        return conditions[0] if len(conditions) == 1 else and_(*conditions)

    def _check_object(self, other: Any) -> None:
        if not isinstance(other, self.mapper.class_):
            raise exc.ArgumentError(
                f"{self.name} compares with a {self.mapper.class_.__name__} object or None, "
                f"not {other!r}"
            )

    def exists_clause(
        self, criterion: Any, by_name: dict[str, Any], parententity: Any = None
    ) -> Any:
        """``EXISTS (SELECT 1 FROM target WHERE <join> AND criterion)``: any() / has()."""
        table = self.mapper.local_table
        target = table
        if self.self_referential:
            target = self._exists_alias
            if target is None:
                target = self._exists_alias = Alias(table, None)
        parent_from = parententity.__clause_element__() if parententity is not None else None
        conditions = [self.join_condition(parent_from, target)]
        if criterion is not None:
            conditions.append(criterion)
        for name, value in by_name.items():
            conditions.append(getattr(self.mapper.class_, name) == value)
        if target is not table:
            conditions[1:] = [adapt_to(c, table, target) for c in conditions[1:]]
        keep = (target,) if self.secondary is None else (target, self.secondary)
        inner = select(literal_column("1")).select_from(target).where(*conditions)
        return exists(inner.correlate_except(*keep))


def _adapt(from_: Any, column: Column) -> Any:
    if from_ is None or from_ is column.table:
        return column
    return from_.c[column.name]


def adapt_to(clause: Any, table: Any, alias: Any) -> Any:
    """``clause`` with the columns of ``table`` read from ``alias`` instead (a copy of
    each expression node on the way to a changed column; the rest is shared).
    Subqueries inside are left as they are."""
    if isinstance(clause, Column):
        return alias.c[clause.name] if clause.table is table else clause
    if hasattr(clause, "__clause_element__") and not isinstance(clause, ClauseElement):
        clause = clause.__clause_element__()
    if not isinstance(clause, ClauseElement) or isinstance(
        clause, (FromClause, Exists, ScalarSelect, DerivedColumn)
    ):
        return clause
    slots = [s for cls in type(clause).__mro__ for s in getattr(cls, "__slots__", ())]
    changes = {}
    for slot in slots:
        value = getattr(clause, slot, None)
        new = _adapt_value(value, table, alias)
        if new is not value:
            changes[slot] = new
    if not changes or not slots:
        return clause
    copy = object.__new__(type(clause))
    for slot in slots:
        if hasattr(clause, slot):
            object.__setattr__(copy, slot, changes.get(slot, getattr(clause, slot)))
    return copy


def _adapt_value(value: Any, table: Any, alias: Any) -> Any:
    if isinstance(value, ClauseElement):
        return adapt_to(value, table, alias)
    if isinstance(value, (tuple, list)):
        items = [_adapt_value(v, table, alias) for v in value]
        if all(a is b for a, b in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    return value

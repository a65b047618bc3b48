"""Relationships: what ``relationship()`` declares, resolved against the other mapper.

A relationship names its target lazily (a class, its name as a string, or a
callable), so classes can refer to each other in any order; ``configure()``
resolves it the first time the mappers are used, and works out its
*direction* from the foreign keys:

* ``MANYTOONE``: this table holds the foreign key (``Traveler.destination``);
  ``pairs`` are ``(foreign key column here, referenced column there)``;
* ``ONETOMANY``: the target's table holds it (``Country.travelers``);
  ``pairs`` are ``(referenced column here, foreign key column there)``;
* ``MANYTOMANY``: a ``secondary`` table holds foreign keys to both sides
  (``Post.tags`` through ``post_tags``); ``parent_pairs`` are ``(column here,
  secondary column)`` and ``target_pairs`` ``(column there, secondary
  column)``, and ``pairs`` is empty.

So in every case the first column of a pair is on this side and the second on
the far side of the join; the unit of work copies key values along them.

A table whose foreign key points at itself (a tree: ``node.parent_id``
references ``node.id``) is *self-referential*: the foreign key runs both ways
between the table and itself, and ``remote_side`` says which columns belong
to the target row. ``remote_side=[Node.id]`` (the referenced column) makes
the many-to-one ``parent``; without it the relationship is the one-to-many
``children``, as in SQLAlchemy.

The SQL a relationship stands for (joins, ``any()`` / ``has()``,
``contains()``, ``==``, the criterion of a lazy load and ``with_parent()``)
is built in ``_relationship_sql``.
"""

from __future__ import annotations

from typing import Any

from .. import exc
from ..sql import and_, asc, desc, or_
from ..sql._elements import BinaryExpression, BooleanClauseList
from ..sql._schema import Column, Table
from ._events import NO_ATTRIBUTE_LISTENERS, AttributeDispatch
from ._relationship_sql import RelationshipSQL

__all__ = ["RelationshipProperty"]

MANYTOONE = "MANYTOONE"
ONETOMANY = "ONETOMANY"
MANYTOMANY = "MANYTOMANY"
_READABLE = {MANYTOONE: "many-to-one", ONETOMANY: "one-to-many", MANYTOMANY: "many-to-many"}

_ALL_CASCADES = frozenset({"save-update", "merge", "refresh-expire", "expunge", "delete"})
_KNOWN_CASCADES = _ALL_CASCADES | {"delete-orphan", "all", "none"}
_LAZY = frozenset(
    {
        "select",
        "joined",
        "selectin",
        "subquery",
        "raise",
        "raise_on_sql",
        "noload",
        "write_only",
        "dynamic",
        True,
        False,
    }
)


class RelationshipProperty(RelationshipSQL):
    """What ``relationship()`` declares, resolved against the other mapper."""

    is_relationship = True
    validator: Any = None  # (function, include_removes, include_backrefs): @validates

    def __init__(
        self,
        argument: Any = None,
        secondary: Any = None,
        *,
        back_populates: str | None = None,
        backref: Any = None,
        uselist: bool | None = None,
        cascade: str | None = None,
        order_by: Any = None,
        lazy: Any = "select",
        foreign_keys: Any = None,
        remote_side: Any = None,
        primaryjoin: Any = None,
        secondaryjoin: Any = None,
        join_depth: int | None = None,
        innerjoin: bool = False,
        viewonly: bool = False,
        passive_deletes: bool = False,
        single_parent: bool = False,
        overlaps: str | None = None,
    ) -> None:
        if lazy not in _LAZY:
            raise exc.ArgumentError(
                f"relationship(lazy={lazy!r}): use one of 'select', 'joined', 'selectin', "
                "'subquery', 'raise', 'raise_on_sql', 'noload', 'write_only', 'dynamic'"
            )
        if back_populates is not None and backref is not None:
            raise exc.ArgumentError("relationship() takes back_populates or backref, not both")
        if join_depth is not None and (not isinstance(join_depth, int) or join_depth < 1):
            raise exc.ArgumentError(
                f"relationship(join_depth={join_depth!r}): give the number of levels to load "
                "eagerly, 1 or more"
            )
        self.argument = argument
        self.back_populates = back_populates
        self.backref = backref
        self._uselist = uselist
        self.cascade = _parse_cascade(cascade)
        if viewonly:
            writes = self.cascade - {"merge", "refresh-expire", "expunge"}
            if cascade is not None and writes:
                raise exc.ArgumentError(
                    f"relationship(viewonly=True, cascade={cascade!r}): a viewonly "
                    f"relationship writes nothing, so {', '.join(sorted(writes))} can't "
                    "cascade along it; drop cascade= (or viewonly=True)"
                )
            self.cascade = self.cascade - {"save-update"}
        self._order_by = order_by
        # "subquery" loads as "selectin" does: the same objects, by key, in one more query
        self.lazy = {True: "select", False: "joined", "subquery": "selectin"}.get(lazy, lazy)
        self._foreign_keys = foreign_keys
        self._secondary = secondary
        self._remote_side = remote_side
        self._primaryjoin = primaryjoin
        self._secondaryjoin = secondaryjoin
        self.join_depth = join_depth
        self.innerjoin = innerjoin
        self.viewonly = viewonly
        self.passive_deletes = passive_deletes
        self.single_parent = single_parent
        # SQLAlchemy's way to silence its warning about relationships writing the same
        # columns (an association class beside a viewonly secondary); ferryman does not
        # warn, so it is accepted and has no effect.
        self.overlaps = overlaps
        self.key = ""
        self.parent: Any = None  # the Mapper (set by the mapper)
        self.mapper: Any = None  # the target's Mapper (set by configure())
        self.reverse: RelationshipProperty | None = None
        self.direction = ""
        self.uselist = bool(uselist)
        self.pairs: list[tuple[Column, Column]] = []  # (column here, column there)
        self.secondary: Table | None = None
        self.parent_pairs: list[tuple[Column, Column]] = []  # (column here, secondary column)
        self.target_pairs: list[tuple[Column, Column]] = []  # (column there, secondary column)
        self.self_referential = False
        self.order_by: list[Any] = []
        self.annotation_target: str | None = None
        self.annotation_uselist: bool | None = None
        self._exists_alias: Any = None  # the target's alias in a self-referential EXISTS
        self.dispatch: AttributeDispatch = NO_ATTRIBUTE_LISTENERS  # its attribute events

    @property
    def entity(self) -> Any:
        return self.mapper

    @property
    def class_attribute(self) -> Any:
        return getattr(self.parent.class_, self.key)

    @property
    def local_columns(self) -> list[Column]:
        """The columns of this side whose values find the related rows."""
        if self.secondary is not None:
            return [p for p, _ in self.parent_pairs]
        return [p for p, _ in self.pairs]

    def __repr__(self) -> str:
        return f"RelationshipProperty({self.name})"

    # -- configuration --

    def _resolve_target(self) -> Any:
        argument = self.argument if self.argument is not None else self.annotation_target
        if argument is None:
            raise exc.ArgumentError(
                f"relationship {self.name} names no class: give it relationship('Target') or "
                "annotate Mapped['Target']"
            )
        if callable(argument) and not isinstance(argument, type):
            argument = argument()
        if isinstance(argument, str):
            argument = self.parent.registry.resolve(argument, self)
        mapper = getattr(argument, "__mapper__", None)
        if mapper is None:
            raise exc.ArgumentError(
                f"relationship {self.name} targets {argument!r}, which is not a mapped class"
            )
        return mapper

    def configure(self) -> None:
        try:
            self._configure()
        except BaseException:
            self.direction = ""  # configured again (and the error raised again) next time
            raise

    def _configure(self) -> None:
        self.mapper = self._resolve_target()
        self.self_referential = self.parent.local_table is self.mapper.local_table
        if self._secondary is not None:
            self._configure_secondary()
        else:
            if self._primaryjoin is not None or self._secondaryjoin is not None:
                raise exc.ArgumentError(
                    f"relationship {self.name}: primaryjoin= / secondaryjoin= are supported "
                    "with secondary= (a many-to-many); other relationships join on their "
                    "foreign keys (name them with foreign_keys=[...] when there are several)"
                )
            self._configure_foreign_keys()
        if self._uselist is not None:
            self.uselist = self._uselist
        elif self.annotation_uselist is not None:
            self.uselist = self.annotation_uselist
        else:
            self.uselist = self.direction != MANYTOONE
        if self.uselist and self.direction == MANYTOONE:
            raise exc.ArgumentError(
                f"relationship {self.name} is many-to-one (the foreign key is on this side), "
                "so it holds one object, not a list"
                + (
                    "; for the one-to-many side of a self-referential relationship, drop "
                    "remote_side="
                    if self.self_referential
                    else ""
                )
            )
        if (
            self.direction == MANYTOMANY
            and "delete-orphan" in self.cascade
            and not self.single_parent
        ):
            raise exc.ArgumentError(
                f"relationship {self.name} is many-to-many: its delete-orphan cascade needs "
                "single_parent=True (each target object then belongs to one parent at a "
                "time); set single_parent=True, or drop 'delete-orphan' from cascade="
            )
        self.order_by = _order_by(self._order_by, self.mapper)

    def _configure_foreign_keys(self) -> None:
        """Direction and pairs from the foreign keys between the two tables."""
        parent_table, target_table = self.parent.local_table, self.mapper.local_table
        chosen = _columns_of(self._foreign_keys, "foreign_keys", self.name)
        to_target = _fk_pairs(parent_table, target_table, chosen)
        to_parent = (
            to_target if self.self_referential else _fk_pairs(target_table, parent_table, chosen)
        )
        readings: list[tuple[str, list[tuple[Column, Column]]]] = []
        if to_target:
            readings.append((MANYTOONE, [(fk, ref) for fk, ref in to_target]))
        if to_parent:
            readings.append((ONETOMANY, [(ref, fk) for fk, ref in to_parent]))
        if not readings:
            raise exc.ArgumentError(
                f"relationship {self.name}: no foreign key links table {parent_table.name!r} "
                f"and table {target_table.name!r}; add a ForeignKey to one of them (or give "
                "secondary= for a many-to-many through an association table)"
            )
        remote = self._resolve_remote_side()
        if remote is not None:
            matching = [r for r in readings if remote <= {there for _, there in r[1]}]
            if len(matching) != 1:
                options = " or ".join(
                    f"{_names(sorted({t for _, t in pairs}, key=_order))} ({_READABLE[kind]})"
                    for kind, pairs in readings
                )
                raise exc.ArgumentError(
                    f"relationship {self.name}: remote_side={_names(remote)} must name the "
                    f"columns of the target's side of the foreign key: {options}"
                )
            readings = matching
        elif self.self_referential:
            readings = [r for r in readings if r[0] == ONETOMANY]
        elif len(readings) == 2:
            raise exc.ArgumentError(
                f"relationship {self.name}: foreign keys run both ways between "
                f"{parent_table.name!r} and {target_table.name!r}; name the ones to use with "
                "foreign_keys=[...]"
            )
        self.direction, self.pairs = readings[0]
        if self.direction == MANYTOONE:
            fks, refs = {p for p, _ in self.pairs}, {t for _, t in self.pairs}
        else:
            fks, refs = {t for _, t in self.pairs}, {p for p, _ in self.pairs}
        if len(fks) > len(refs):
            raise exc.ArgumentError(
                f"relationship {self.name}: more than one foreign key links "
                f"{parent_table.name!r} and {target_table.name!r} ({_names(fks)}); name the "
                "one to use with foreign_keys=[...]"
            )

    def _resolve_remote_side(self) -> set[Column] | None:
        spec = self._remote_side
        if spec is None:
            return None
        if isinstance(spec, str):
            spec = _evaluate_string(spec, self.mapper)
        elif callable(spec) and not _is_column_like(spec):
            spec = spec()
        columns = _columns_of(spec, "remote_side", self.name, self.mapper)
        assert columns is not None
        strays = [c for c in columns if c.table is not self.mapper.local_table]
        if strays or not columns:
            raise exc.ArgumentError(
                f"relationship {self.name}: remote_side= takes columns of the target table "
                f"{self.mapper.local_table.name!r} (remote_side=[{self.mapper.class_.__name__}"
                f".id]), not {_names(strays) if strays else 'nothing'}"
            )
        return columns

    def _resolve_secondary(self) -> Table:
        spec = self._secondary
        if callable(spec) and not isinstance(spec, Table):
            spec = spec()
        if isinstance(spec, str):
            tables = self.parent.registry.metadata.tables
            table = tables.get(spec)
            if table is None:
                table = next((t for t in tables.values() if t.name == spec), None)
            if table is None:
                raise exc.ArgumentError(
                    f"relationship {self.name}: secondary={spec!r} names no table of "
                    f"{self.parent.class_.__name__}'s MetaData; its tables are {sorted(tables)}"
                )
            spec = table
        if not isinstance(spec, Table):
            raise exc.ArgumentError(
                f"relationship {self.name}: secondary= takes the association Table (or its "
                f"name, or a callable returning it), not {spec!r}"
            )
        return spec

    def _configure_secondary(self) -> None:
        """A many-to-many: the secondary table's foreign keys (or primaryjoin /
        secondaryjoin) give the columns on each side."""
        secondary = self.secondary = self._resolve_secondary()
        parent_table, target_table = self.parent.local_table, self.mapper.local_table
        if secondary is parent_table or secondary is target_table:
            raise exc.ArgumentError(
                f"relationship {self.name}: secondary= is the table of a side itself; give "
                "the association table that links the two"
            )
        chosen = _columns_of(self._foreign_keys, "foreign_keys", self.name)
        if self._primaryjoin is not None:
            self.parent_pairs = self._pairs_from_join(
                self._primaryjoin, "primaryjoin", parent_table
            )
        if self._secondaryjoin is not None:
            self.target_pairs = self._pairs_from_join(
                self._secondaryjoin, "secondaryjoin", target_table
            )
        fk_hint = (
            f"primaryjoin={self.parent.class_.__name__}.id == {secondary.name}.c.<column>, "
            f"secondaryjoin={self.mapper.class_.__name__}.id == {secondary.name}.c.<column>"
        )
        if self.self_referential and not (self.parent_pairs and self.target_pairs):
            raise exc.ArgumentError(
                f"relationship {self.name}: the secondary table {secondary.name!r} links "
                f"{parent_table.name!r} to itself, so its foreign keys can't tell which "
                f"column stands for the parent: give {fk_hint}"
            )
        for side, table, attr in (
            ("parent", parent_table, "parent_pairs"),
            ("target", target_table, "target_pairs"),
        ):
            if getattr(self, attr):
                continue
            found = _fk_pairs(secondary, table, chosen)
            if not found:
                raise exc.ArgumentError(
                    f"relationship {self.name}: the secondary table {secondary.name!r} has no "
                    f"foreign key to {table.name!r} (the {side} side); add "
                    f"ForeignKey({table.name + '.' + _first_pk(table)!r}) to its column"
                )
            if len({fk for fk, _ in found}) > len({ref for _, ref in found}):
                raise exc.ArgumentError(
                    f"relationship {self.name}: the secondary table {secondary.name!r} has "
                    f"more than one foreign key to {table.name!r} "
                    f"({_names({fk for fk, _ in found})}); name the ones to use with "
                    f"foreign_keys=[...] or give {fk_hint}"
                )
            setattr(self, attr, [(ref, fk) for fk, ref in found])
        self.direction = MANYTOMANY
        self.pairs = []

    def _pairs_from_join(self, spec: Any, what: str, table: Table) -> list[tuple[Column, Column]]:
        """``(column of table, secondary column)`` from ``Node.id == links.c.left_id``
        (several joined with ``and_()``), a string of it, or a callable returning it."""
        if isinstance(spec, str):
            spec = _evaluate_string(spec, self.mapper)
        elif callable(spec) and not _is_column_like(spec):
            spec = spec()
        spec = spec.__clause_element__() if hasattr(spec, "__clause_element__") else spec
        comparisons = spec.clauses if isinstance(spec, BooleanClauseList) else (spec,)
        if isinstance(spec, BooleanClauseList) and spec.operator != "AND":
            comparisons = ()
        pairs: list[tuple[Column, Column]] = []
        secondary = self.secondary
        for comparison in comparisons:
            if (
                not isinstance(comparison, BinaryExpression)
                or comparison.operator != "="
                or not isinstance(comparison.left, Column)
                or not isinstance(comparison.right, Column)
            ):
                pairs = []
                break
            left, right = comparison.left, comparison.right
            if left.table is secondary and right.table is table:
                left, right = right, left
            if left.table is not table or right.table is not secondary:
                pairs = []
                break
            pairs.append((left, right))
        if not pairs:
            raise exc.ArgumentError(
                f"relationship {self.name}: {what}= must compare columns of {table.name!r} "
                f"with columns of {secondary.name if secondary is not None else '?'!r} for "
                f"equality (A.id == links.c.a_id, several joined with and_()), not {spec}"
            )
        return pairs

    def configure_reverse(self) -> None:
        if self.back_populates is None:
            return
        other = self.mapper.relationships.get(self.back_populates)
        if other is None:
            raise exc.ArgumentError(
                f"relationship {self.name} has back_populates={self.back_populates!r}, but "
                f"{self.mapper.class_.__name__} has no relationship by that name"
            )
        if other.mapper is None:
            other.configure()
        if other.mapper is not self.parent:
            raise exc.ArgumentError(
                f"{self.name} and {other.name} are declared as each other's back_populates "
                "but do not link the same two classes"
            )
        if other.secondary is not self.secondary:
            raise exc.ArgumentError(
                f"{self.name} and {other.name} are declared as each other's back_populates, "
                "but only one of them goes through secondary= (or they name different "
                "tables); give both the same secondary table"
            )
        if (
            self.self_referential
            and other is not self
            and other.direction == self.direction
            and self.direction != MANYTOMANY
        ):
            many_to_one = self if self.uselist is False else other
            cls = self.parent.class_.__name__
            raise exc.ArgumentError(
                f"{self.name} and {other.name} link {cls} to itself and both read as "
                f"{_READABLE[self.direction]}; mark the many-to-one side with remote_side: "
                f"{many_to_one.key} = relationship(..., remote_side=[{cls}.id])"
            )
        self.reverse = other

    # -- the fk / pk values this relationship syncs --

    @property
    def foreign_key_columns(self) -> list[Column]:
        if self.direction == MANYTOONE:
            return [p for p, _ in self.pairs]
        if self.direction == MANYTOMANY:
            return [s for _, s in self.parent_pairs] + [s for _, s in self.target_pairs]
        return [t for _, t in self.pairs]

    def foreign_ident(self, state: Any) -> Any:
        """For a many-to-one: the target's identity from the parent's foreign key values
        (``None`` if any is NULL or not loaded)."""
        return self.foreign_ident_of(state.obj.__dict__)

    def foreign_ident_of(self, d: dict[str, Any]) -> Any:
        """``foreign_ident`` from an object's ``__dict__``."""
        keys = self.parent.key_by_column
        values = []
        for parent_col, _ in self.pairs:
            value = d.get(keys[parent_col])
            if value is None:
                return None
            values.append(value)
        target_pk = self.mapper.primary_key
        if [t for _, t in self.pairs] != target_pk:
            return None  # references a non-primary unique key: no identity shortcut
        return values[0] if len(values) == 1 else tuple(values)


def _first_pk(table: Table) -> str:
    pk = list(table.primary_key.columns)
    return pk[0].name if pk else "id"


def _order(column: Column) -> tuple[str, str]:
    return (column.table.name if column.table is not None else "", column.name)


def _names(columns: Any) -> str:
    return "[" + ", ".join(f"{c.table.name}.{c.name}" for c in sorted(columns, key=_order)) + "]"


def _is_column_like(value: Any) -> bool:
    return isinstance(value, Column) or hasattr(value, "__clause_element__")


def _columns_of(spec: Any, what: str, owner: str, mapper: Any = None) -> set[Column] | None:
    """The columns named by ``foreign_keys=`` / ``remote_side=``: columns, class
    attributes, or (in a class body) the ``mapped_column()`` objects themselves."""
    if spec is None:
        return None
    items = spec if isinstance(spec, (list, tuple, set, frozenset)) else [spec]
    columns = set()
    for item in items:
        made = getattr(item, "columns_made", None)  # a mapped_column() of the class body
        if made is not None:
            tables = [mapper.local_table] if mapper is not None else []
            found = [c for c in made if c.table in tables] or made[-1:]
            if not found:
                raise exc.ArgumentError(
                    f"relationship {owner}: {what}= names {item!r}, which is not mapped yet"
                )
            columns.add(found[0])
            continue
        element = item.__clause_element__() if hasattr(item, "__clause_element__") else item
        if not isinstance(element, Column):
            raise exc.ArgumentError(
                f"relationship {owner}: {what}= takes columns (Class.column), not {item!r}"
            )
        columns.add(element)
    return columns


def _fk_pairs(table: Table, target: Table, chosen: set[Column] | None) -> list[tuple[Any, Any]]:
    """(foreign key column of ``table``, referenced column of ``target``) pairs."""
    pairs = []
    for column in table.c:
        if chosen is not None and column not in chosen:
            continue
        for fk in column.foreign_keys:
            ref = fk.column
            if ref.table is target:
                pairs.append((column, ref))
    return pairs


def _order_by(spec: Any, mapper: Any) -> list[Any]:
    if spec is None or spec is False:
        return []
    if (
        callable(spec)
        and not hasattr(spec, "__clause_element__")
        and not hasattr(spec, "_compiler_dispatch")
    ):
        spec = spec()
    items = spec if isinstance(spec, (list, tuple)) else [spec]
    out = []
    for item in items:
        if isinstance(item, str):
            item = _evaluate_string(item, mapper)
        out.append(item.__clause_element__() if hasattr(item, "__clause_element__") else item)
    return out


def _evaluate_string(text: str, mapper: Any) -> Any:
    """``order_by="Address.email"`` / ``"email"`` / ``"Address.email.desc()"``,
    ``remote_side="Node.id"``, ``primaryjoin="Node.id == links.c.left_id"``: Python
    expressions over the registry's class names and its MetaData's table names
    (SQLAlchemy's string form); a bare name is an attribute of ``mapper``'s class."""
    if text.isidentifier():
        return getattr(mapper.class_, text)
    namespace: dict[str, Any] = {"desc": desc, "asc": asc, "and_": and_, "or_": or_}
    registry = mapper.registry
    for table in registry.metadata.tables.values():
        if table.name.isidentifier():
            namespace.setdefault(table.name, table)
    for name, classes in registry._classes.items():
        if name.isidentifier() and len(classes) == 1:
            namespace[name] = classes[0]
    try:
        return eval(text, namespace)
    except Exception as err:
        raise exc.ArgumentError(
            f"Can't evaluate {text!r} for {mapper.class_.__name__}: {err}"
        ) from None


def _parse_cascade(spec: str | None) -> frozenset[str]:
    if spec is None:
        return frozenset({"save-update", "merge"})
    names = {part.strip() for part in spec.split(",") if part.strip()}
    unknown = names - _KNOWN_CASCADES
    if unknown:
        raise exc.ArgumentError(
            f"Unknown cascade option(s) {sorted(unknown)}; known: "
            + ", ".join(sorted(_KNOWN_CASCADES))
        )
    result = set(names) - {"all", "none"}
    if "all" in names:
        result |= _ALL_CASCADES
    return frozenset(result)

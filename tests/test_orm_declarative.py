"""Declarative mapping: both column styles, types and nullability from annotations,
table options, mixins and declared_attr, abstract bases, and errors."""

from __future__ import annotations

import datetime
import decimal
import enum
import uuid
from typing import Any, Optional

import pytest

from ferryman import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
    Uuid,
    exc,
    inspect,
    select,
)
from ferryman.orm import (
    DeclarativeBase,
    Mapped,
    configure_mappers,
    declarative_base,
    declared_attr,
    mapped_column,
    registry,
    relationship,
)


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


def test_types_and_nullability_from_annotations() -> None:
    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]
        note: Mapped[Optional[str]]
        size: Mapped[float | None]
        price: Mapped[decimal.Decimal]
        flag: Mapped[bool]
        blob: Mapped[bytes | None]
        at: Mapped[datetime.datetime]
        day: Mapped[datetime.date]
        token: Mapped[uuid.UUID]
        color: Mapped[Color]
        doc: Mapped[dict[str, Any]]
        explicit: Mapped[str] = mapped_column(Text, nullable=True)

    c = Thing.__table__.c
    assert isinstance(c.id.type, Integer) and c.id.primary_key
    assert isinstance(c.name.type, String) and not c.name.nullable
    assert c.note.nullable and c.size.nullable
    assert isinstance(c.price.type, Numeric)
    assert isinstance(c.flag.type, Boolean)
    assert isinstance(c.blob.type, LargeBinary) and c.blob.nullable
    assert isinstance(c.at.type, DateTime)
    assert isinstance(c.token.type, Uuid)
    assert isinstance(c.color.type, Enum)
    assert isinstance(c.doc.type, JSON)
    assert isinstance(c.explicit.type, Text) and c.explicit.nullable


def test_type_annotation_map_on_the_base() -> None:
    class Base(DeclarativeBase):
        type_annotation_map = {int: BigInteger, str: String(30)}

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str]

    assert isinstance(Thing.__table__.c.id.type, BigInteger)
    assert Thing.__table__.c.name.type.length == 30


def test_classic_columns_and_declarative_base() -> None:
    Base = declarative_base()

    class Thing(Base):
        __tablename__ = "things"
        id = Column(Integer, primary_key=True)
        label = Column("label_text", String(10))

    assert Thing.__table__.c.keys() == ["id", "label_text"]
    thing = Thing(id=1, label="x")
    assert thing.label == "x"
    assert str(select(Thing).where(Thing.label == "x")) == (
        "SELECT things.id, things.label_text FROM things WHERE things.label_text = :label_text_1"
    )
    assert Base.metadata.tables["things"] is Thing.__table__


def test_table_args_composite_key_and_explicit_table() -> None:
    class Base(DeclarativeBase):
        pass

    class Pair(Base):
        __tablename__ = "pairs"
        __table_args__ = (UniqueConstraint("b"), {"comment": "pairs of things"})
        a: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
        b: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)

    assert [c.name for c in Pair.__table__.primary_key.columns] == ["a", "b"]
    assert Pair.__table__.comment == "pairs of things"
    assert inspect(Pair).pk_keys == ["a", "b"]

    metadata = MetaData()
    table = Table("given", metadata, Column("id", Integer, primary_key=True), Column("x", String))

    class Given(DeclarativeBase):
        pass

    class G(Given):
        __table__ = table

    assert G.x.column is table.c.x


def test_mixins_and_declared_attr() -> None:
    class Base(DeclarativeBase):
        pass

    class HasId:
        id: Mapped[int] = mapped_column(primary_key=True)

        @declared_attr.directive
        def __tablename__(cls) -> str:
            return cls.__name__.lower() + "s"

    class HasOwner:
        @declared_attr
        def owner_id(cls) -> Mapped[int]:
            return mapped_column(ForeignKey("owners.id"))

        @declared_attr
        def owner(cls) -> Mapped[Owner]:
            return relationship("Owner")

    class Owner(HasId, Base):
        name: Mapped[str] = mapped_column(String(20))

    class Car(HasId, HasOwner, Base):
        plate: Mapped[str] = mapped_column(String(10))

    class Boat(HasId, HasOwner, Base):
        pass

    assert Car.__table__.name == "cars" and Boat.__table__.name == "boats"
    assert Car.__table__.c.id is not Boat.__table__.c.id
    configure_mappers()
    assert Car.__mapper__.relationships["owner"].direction == "MANYTOONE"
    car = Car(plate="AB", owner=Owner(name="o"))
    assert car.owner.name == "o"


def test_abstract_base() -> None:
    class Base(DeclarativeBase):
        pass

    class Timestamped(Base):
        __abstract__ = True
        created: Mapped[datetime.datetime | None]

    class Event(Timestamped):
        __tablename__ = "events"
        id: Mapped[int] = mapped_column(primary_key=True)

    assert "created" in Event.__table__.c
    assert not hasattr(Timestamped, "__table__") or Timestamped.__dict__.get("__table__") is None


def test_registry_and_mapper_inspection() -> None:
    reg = registry()
    Base = reg.generate_base()

    class Thing(Base):
        __tablename__ = "things"
        id: Mapped[int] = mapped_column(primary_key=True)

    mapper = inspect(Thing)
    assert mapper.class_ is Thing and mapper.local_table is Thing.__table__
    assert [c.name for c in mapper.columns] == ["id"]
    assert reg.metadata is Base.metadata


def test_errors_name_the_class() -> None:
    class Base(DeclarativeBase):
        pass

    with pytest.raises(exc.ArgumentError, match="no __tablename__"):

        class NoName(Base):
            id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(exc.ArgumentError, match="primary key"):

        class NoKey(Base):
            __tablename__ = "nokey"
            x: Mapped[int]

    with pytest.raises(exc.ArgumentError, match="no column type"):

        class Odd(Base):
            __tablename__ = "odd"
            id: Mapped[int] = mapped_column(primary_key=True)
            thing: Mapped[object]

    with pytest.raises(exc.ArgumentError, match="cascade"):
        relationship("X", cascade="save-update, explode")

    class Lonely(Base):
        __tablename__ = "lonely"
        id: Mapped[int] = mapped_column(primary_key=True)
        friend: Mapped[Any] = relationship("Nobody")

    with pytest.raises(exc.InvalidRequestError, match="Nobody"):
        configure_mappers(Base.registry)
    Base.registry.dispose()


def test_relationship_without_foreign_key() -> None:
    class Base(DeclarativeBase):
        pass

    class A(Base):
        __tablename__ = "a"
        id: Mapped[int] = mapped_column(primary_key=True)
        bs: Mapped[list[B]] = relationship()

    class B(Base):
        __tablename__ = "b"
        id: Mapped[int] = mapped_column(primary_key=True)

    with pytest.raises(exc.ArgumentError, match="no foreign key links"):
        configure_mappers(Base.registry)
    Base.registry.dispose()


def test_backref_makes_the_other_side() -> None:
    class Base(DeclarativeBase):
        pass

    class Parent(Base):
        __tablename__ = "parents"
        id: Mapped[int] = mapped_column(primary_key=True)
        children: Mapped[list[Child]] = relationship(backref="parent")

    class Child(Base):
        __tablename__ = "children"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("parents.id"))

    child = Child()
    parent = Parent(children=[child])
    assert child.parent is parent  # type: ignore[attr-defined]


def test_select_of_a_class_reuses_its_parts() -> None:
    class Base(DeclarativeBase):
        pass

    class Thing(Base):
        __tablename__ = "decl_things"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))

    class Other(DeclarativeBase):
        pass

    class Thing2(Other):  # the same table name, another class and metadata
        __tablename__ = "decl_things"
        id: Mapped[int] = mapped_column(primary_key=True)
        label: Mapped[str] = mapped_column(String(20))

    by_id = select(Thing).where(Thing.id == 1)
    by_name = select(Thing).where(Thing.name == "x")
    assert by_id._columns is by_name._columns  # made once for the class
    assert str(by_id).endswith("WHERE decl_things.id = :id_1")
    assert str(by_name).endswith("WHERE decl_things.name = :name_1")
    assert "decl_things.label" in str(select(Thing2))
    assert "decl_things.label" not in str(select(Thing))
    assert by_id.where(Thing.name == "y")._key([]) != by_id._key([])

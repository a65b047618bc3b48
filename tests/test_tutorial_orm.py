"""SQLAlchemy 2.0's ORM Quick Start, the Unified Tutorial's ORM chapters and the
asyncio extension's example, with ferryman imports, on every driver.

The code is what those pages teach (model declarations, sessions, queries,
relationship loading); only the imports change, and the results must be the same.
"""

from __future__ import annotations

import datetime
from typing import Any, Optional

import pytest

from ferryman import ForeignKey, String, exc, func, select
from ferryman.orm import (
    DeclarativeBase,
    Mapped,
    aliased,
    contains_eager,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
    with_parent,
)


class Base(DeclarativeBase):
    # The pages target SQLite; MySQL needs a VARCHAR length, given once here the
    # way their MySQL users do (no change for the other databases' results).
    type_annotation_map = {str: String(255)}


class User(Base):
    __tablename__ = "user_account"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(30))
    fullname: Mapped[Optional[str]]

    addresses: Mapped[list[Address]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"User(id={self.id!r}, name={self.name!r}, fullname={self.fullname!r})"


class Address(Base):
    __tablename__ = "address"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_address: Mapped[str]
    user_id: Mapped[int] = mapped_column(ForeignKey("user_account.id"))

    user: Mapped[User] = relationship(back_populates="addresses")

    def __repr__(self) -> str:
        return f"Address(id={self.id!r}, email_address={self.email_address!r})"


@pytest.fixture
async def quickstart(engine: Any, make_session: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    async with make_session() as session:
        spongebob = User(
            name="spongebob",
            fullname="Spongebob Squarepants",
            addresses=[Address(email_address="spongebob@sqlalchemy.org")],
        )
        sandy = User(
            name="sandy",
            fullname="Sandy Cheeks",
            addresses=[
                Address(email_address="sandy@sqlalchemy.org"),
                Address(email_address="sandy@squirrelpower.org"),
            ],
        )
        patrick = User(name="patrick", fullname="Patrick Star")
        session.add_all([spongebob, sandy, patrick])
        await session.commit()
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def test_quick_start(quickstart: Any, make_session: Any, is_async: bool) -> None:
    async with make_session() as session:
        stmt = select(User).where(User.name.in_(["spongebob", "sandy"])).order_by(User.id)
        users = (await session.scalars(stmt)).all()
        assert [repr(u) for u in users] == [
            "User(id=1, name='spongebob', fullname='Spongebob Squarepants')",
            "User(id=2, name='sandy', fullname='Sandy Cheeks')",
        ]

        stmt = (
            select(Address)
            .join(Address.user)
            .where(User.name == "sandy")
            .where(Address.email_address == "sandy@sqlalchemy.org")
        )
        sandy_address = (await session.scalars(stmt)).one()
        assert repr(sandy_address) == "Address(id=2, email_address='sandy@sqlalchemy.org')"

        stmt = select(User).where(User.name == "patrick")
        patrick = (await session.scalars(stmt)).one()
        if is_async:
            await session.refresh(patrick, ["addresses"])
        patrick.addresses.append(Address(email_address="patrickstar@sqlalchemy.org"))
        sandy_address.email_address = "sandy_cheeks@sqlalchemy.org"
        await session.commit()

        sandy = await session.get(User, 2)
        if is_async:
            await session.refresh(sandy, ["addresses"])
        sandy_address = (
            await session.scalars(
                select(Address).where(Address.email_address == "sandy_cheeks@sqlalchemy.org")
            )
        ).one()
        sandy.addresses.remove(sandy_address)
        await session.flush()  # delete-orphan: the row is gone

        patrick = (await session.scalars(select(User).where(User.name == "patrick"))).one()
        await session.delete(patrick)
        await session.commit()

        emails = (await session.scalars(select(Address.email_address).order_by(Address.id))).all()
        assert emails == ["spongebob@sqlalchemy.org", "sandy@squirrelpower.org"]
        names = (await session.scalars(select(User.name).order_by(User.id))).all()
        assert names == ["spongebob", "sandy"]


async def test_tutorial_selecting_orm_entities(quickstart: Any, make_session: Any) -> None:
    async with make_session() as session:
        row = (await session.execute(select(User).where(User.name == "spongebob"))).first()
        assert row is not None and row[0].name == "spongebob"
        user = (await session.scalars(select(User).where(User.name == "spongebob"))).first()
        assert user is row[0]
        row = (await session.execute(select(User.name, User.fullname))).first()
        assert tuple(row) == ("spongebob", "Spongebob Squarepants")
        rows = (
            await session.execute(
                select(User.name, Address).where(User.id == Address.user_id).order_by(Address.id)
            )
        ).all()
        assert [(name, a.email_address) for name, a in rows][:2] == [
            ("spongebob", "spongebob@sqlalchemy.org"),
            ("sandy", "sandy@sqlalchemy.org"),
        ]
        rows = (
            await session.execute(
                select(User.name.label("username"), Address.email_address)
                .select_from(User)
                .join(Address)
                .order_by(Address.email_address)
            )
        ).all()
        assert rows[0].username == "sandy"
        address_alias_1 = aliased(Address)
        address_alias_2 = aliased(Address)
        names = (
            await session.scalars(
                select(User.name)
                .join_from(User, address_alias_1)
                .where(address_alias_1.email_address == "sandy@sqlalchemy.org")
                .join_from(User, address_alias_2)
                .where(address_alias_2.email_address == "sandy@squirrelpower.org")
            )
        ).all()
        assert names == ["sandy"]
        count = await session.scalar(
            select(func.count(Address.id)).join(Address.user).where(User.name == "sandy")
        )
        assert count == 2


async def test_tutorial_data_manipulation(
    quickstart: Any, make_session: Any, is_async: bool
) -> None:
    async with make_session() as session:
        squidward = User(name="squidward", fullname="Squidward Tentacles")
        krabs = User(name="ehkrabs", fullname="Eugene H. Krabs")
        session.add(squidward)
        session.add(krabs)
        assert squidward in session.new and krabs in session.new
        await session.flush()
        assert (squidward.id, krabs.id) == (4, 5)
        some_squidward = await session.get(User, 4)
        assert some_squidward is squidward

        sandy = (await session.execute(select(User).filter_by(name="sandy"))).scalar_one()
        sandy.fullname = "Sandy Squirrel"
        assert sandy in session.dirty
        fullname = (await session.execute(select(User.fullname).where(User.id == 2))).scalar_one()
        assert fullname == "Sandy Squirrel"  # autoflushed
        assert sandy not in session.dirty

        patrick = await session.get(User, 3)
        await session.delete(patrick)
        found = (await session.execute(select(User).where(User.name == "patrick"))).first()
        assert found is None and patrick not in session

        await session.rollback()
        assert "fullname" not in sandy.__dict__  # expired
        if is_async:
            await session.refresh(sandy)
        assert sandy.fullname == "Sandy Cheeks"
        assert patrick in session
        assert squidward not in session  # its INSERT was rolled back
        await session.close()
        assert "name" not in squidward.__dict__ or squidward.name == "squidward"


async def test_tutorial_related_objects(
    quickstart: Any, make_session: Any, is_async: bool
) -> None:
    u1 = User(name="pkrabs", fullname="Pearl Krabs")
    assert u1.addresses == []
    a1 = Address(email_address="pearl.krabs@gmail.com")
    u1.addresses.append(a1)
    assert a1.user is u1
    a2 = Address(email_address="pearl@aol.com", user=u1)
    assert u1.addresses == [a1, a2]
    async with make_session() as session:
        session.add(u1)
        assert u1 in session and a1 in session and a2 in session  # cascade
        await session.commit()
        # expired on commit, but for the primary key: the object's identity stays
        assert "name" not in u1.__dict__ and u1.__dict__["id"] == u1.id
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError):
                u1.addresses  # noqa: B018
            await session.refresh(u1, ["id", "addresses"])
        assert u1.id == 4
        assert {a.email_address for a in u1.addresses} == {
            "pearl.krabs@gmail.com",
            "pearl@aol.com",
        }

        emails = (
            await session.scalars(
                select(Address.email_address)
                .select_from(User)
                .join(User.addresses)
                .where(User.name == "pkrabs")
                .order_by(Address.email_address)
            )
        ).all()
        assert emails == ["pearl.krabs@gmail.com", "pearl@aol.com"]
        stmt = select(Address.email_address).join(Address.user).where(User.name == "pkrabs")
        assert len((await session.scalars(stmt)).all()) == 2


async def test_tutorial_loader_strategies(quickstart: Any, make_session: Any) -> None:
    async with make_session() as session:
        users = (
            await session.scalars(
                select(User).options(selectinload(User.addresses)).order_by(User.id)
            )
        ).all()
        assert [a.email_address for a in users[0].addresses] == ["spongebob@sqlalchemy.org"]
    async with make_session() as session:
        addresses = (
            await session.scalars(
                select(Address)
                .options(joinedload(Address.user, innerjoin=True))
                .order_by(Address.id)
            )
        ).all()
        assert [a.user.name for a in addresses] == ["spongebob", "sandy", "sandy"]
    async with make_session() as session:
        stmt = (
            select(Address)
            .join(Address.user)
            .where(User.name == "spongebob")
            .options(contains_eager(Address.user))
            .order_by(Address.id)
        )
        addresses = (await session.scalars(stmt)).all()
        assert [(a.email_address, a.user.name) for a in addresses] == [
            ("spongebob@sqlalchemy.org", "spongebob")
        ]
        sandy = (await session.scalars(select(User).filter_by(name="sandy"))).one()
        emails = (
            await session.scalars(
                select(Address.email_address).where(with_parent(sandy, User.addresses))
            )
        ).all()
        assert sorted(emails) == ["sandy@sqlalchemy.org", "sandy@squirrelpower.org"]


# -- the asyncio extension's example ----------------------------------------------------

from ferryman.asyncio import AsyncAttrs, async_sessionmaker  # noqa: E402


class ABase(AsyncAttrs, DeclarativeBase):
    type_annotation_map = {str: String(255)}  # as Base above


class A(ABase):
    __tablename__ = "a"

    id: Mapped[int] = mapped_column(primary_key=True)
    data: Mapped[str]
    create_date: Mapped[datetime.datetime] = mapped_column(server_default=func.now())
    bs: Mapped[list[B]] = relationship()


class B(ABase):
    __tablename__ = "b"
    id: Mapped[int] = mapped_column(primary_key=True)
    a_id: Mapped[int] = mapped_column(ForeignKey("a.id"))
    data: Mapped[str]


@pytest.mark.async_only
async def test_asyncio_extension_example(engine: Any) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(ABase.metadata.drop_all)
        await conn.run_sync(ABase.metadata.create_all)
    async_session = async_sessionmaker(engine, expire_on_commit=False)
    try:
        async with async_session() as session, session.begin():
            session.add_all(
                [
                    A(bs=[B(data="b1"), B(data="b2")], data="a1"),
                    A(bs=[], data="a2"),
                    A(bs=[B(data="b3"), B(data="b4")], data="a3"),
                ]
            )
        async with async_session() as session:
            stmt = select(A).options(selectinload(A.bs)).order_by(A.id)
            result = await session.scalars(stmt)
            seen = []
            for a in result:
                assert isinstance(a.create_date, datetime.datetime)
                seen.append((a.data, [b.data for b in a.bs]))
            assert seen == [("a1", ["b1", "b2"]), ("a2", []), ("a3", ["b3", "b4"])]

            result = await session.execute(select(A).order_by(A.id).limit(1))
            a1 = result.scalars().one()
            a1.data = "new data"
            await session.commit()
            assert a1.data == "new data"  # expire_on_commit=False
            assert [b.data for b in await a1.awaitable_attrs.bs] == ["b1", "b2"]

        async with async_session() as session:
            result = await session.stream(select(A).order_by(A.id))
            names = [a.data async for a in result.scalars()]
            assert names == ["new data", "a2", "a3"]

            def fetch_and_update(sync_session: Any) -> int:
                a = sync_session.scalars(select(A).order_by(A.id).limit(1)).one()
                a.data = "updated in run_sync"
                return len(a.bs)  # a lazy load: fine in sync code

            assert await session.run_sync(fetch_and_update) == 2
            await session.commit()
            value = await session.scalar(select(A.data).order_by(A.id).limit(1))
            assert value == "updated in run_sync"
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(ABase.metadata.drop_all)

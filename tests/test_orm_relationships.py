"""Relationships: both sides kept in step in memory, cascades, loader strategies and
options, joins on relationships, on every driver, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import exc, func, inspect, select
from ferryman.orm import (
    aliased,
    contains_eager,
    joinedload,
    lazyload,
    noload,
    raiseload,
    selectinload,
    with_parent,
)

from .orm_models import Address, Profile, User, create_tables, drop_tables


@pytest.fixture
async def orm(engine: Any) -> Any:
    await create_tables(engine)
    yield engine
    await drop_tables(engine)


async def _seed(make_session: Any) -> None:
    async with make_session() as session:
        session.add_all(
            [
                User(
                    name="ann",
                    addresses=[Address(email="ann@b"), Address(email="ann@a")],
                    profile=Profile(bio="hi"),
                ),
                User(name="bob", addresses=[Address(email="bob@a")]),
                User(name="cat"),
            ]
        )
        await session.commit()


def test_back_populates_in_memory() -> None:
    user = User(name="u")
    address = Address(email="e")
    address.user = user
    assert user.addresses == [address]
    user.addresses.remove(address)
    assert address.user is None
    user.addresses.append(address)
    assert address.user is user
    other = User(name="v")
    address.user = other
    assert user.addresses == [] and other.addresses == [address]
    profile = Profile()
    user.profile = profile
    assert profile.user is user
    other.profile = profile
    assert user.profile is None and profile.user is other


def test_collection_assignment_and_type_checks() -> None:
    user = User(name="u")
    a, b = Address(email="a"), Address(email="b")
    user.addresses = [a, b]
    assert a.user is user and b.user is user
    user.addresses = [b]
    assert a.user is None
    with pytest.raises(exc.ArgumentError, match="takes Address objects"):
        user.addresses.append(User(name="x"))
    with pytest.raises(exc.ArgumentError, match="is a collection"):
        user.addresses = None  # type: ignore[assignment]


async def test_one_to_many_insert_and_load(orm: Any, make_session: Any, is_async: bool) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (
            await session.scalars(
                select(User).where(User.name == "ann").options(selectinload(User.addresses))
            )
        ).one()
        assert [a.email for a in ann.addresses] == ["ann@a", "ann@b"]  # order_by email
        assert all(a.user is ann for a in ann.addresses)  # the reverse side, no query
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError, match=r"User\.profile"):
                ann.profile  # noqa: B018
        else:
            assert ann.profile.bio == "hi"  # a lazy load


async def test_joinedload_collection_needs_unique(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        stmt = select(User).options(joinedload(User.addresses)).order_by(User.name)
        result = await session.execute(stmt)
        with pytest.raises(exc.InvalidRequestError, match=r"unique\(\)"):
            result.scalars().all()
        users = (await session.execute(stmt)).unique().scalars().all()
        assert [u.name for u in users] == ["ann", "bob", "cat"]
        assert [len(u.addresses) for u in users] == [2, 1, 0]


async def test_joinedload_innerjoin_and_chains(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        addresses = (
            await session.scalars(
                select(Address)
                .options(joinedload(Address.user, innerjoin=True).selectinload(User.addresses))
                .order_by(Address.email)
            )
        ).all()
        assert [a.email for a in addresses] == ["ann@a", "ann@b", "bob@a"]
        assert addresses[0].user.name == "ann"
        assert len(addresses[0].user.addresses) == 2
        users = (
            await session.scalars(
                select(User)
                .options(selectinload(User.addresses).joinedload(Address.user))
                .order_by(User.name)
            )
        ).all()
        assert users[0].addresses[0].user is users[0]


async def test_selectinload_many_to_one_and_one_to_one(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        addresses = (
            await session.scalars(select(Address).options(selectinload(Address.user)))
        ).all()
        assert {a.user.name for a in addresses} == {"ann", "bob"}
        users = (
            await session.scalars(
                select(User).options(selectinload(User.profile)).order_by(User.name)
            )
        ).all()
        assert [u.profile.bio if u.profile else None for u in users] == ["hi", None, None]


async def test_raiseload_noload_lazyload(orm: Any, make_session: Any, is_async: bool) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (
            await session.scalars(
                select(User).where(User.name == "ann").options(raiseload(User.addresses))
            )
        ).one()
        with pytest.raises(exc.InvalidRequestError, match="lazy='raise'"):
            ann.addresses  # noqa: B018
    async with make_session() as session:
        ann = (
            await session.scalars(
                select(User).where(User.name == "ann").options(noload(User.addresses))
            )
        ).one()
        assert ann.addresses == []
    async with make_session() as session:
        ann = (
            await session.scalars(select(User).where(User.name == "ann").options(raiseload("*")))
        ).one()
        with pytest.raises(exc.InvalidRequestError):
            ann.profile  # noqa: B018
    async with make_session() as session:
        stmt = select(User).where(User.name == "ann").options(lazyload(User.addresses))
        ann = (await session.scalars(stmt)).one()
        if not is_async:
            assert len(ann.addresses) == 2


async def test_contains_eager(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        stmt = (
            select(User)
            .join(User.addresses)
            .where(Address.email.like("%@a"))
            .options(contains_eager(User.addresses))
            .order_by(User.name)
        )
        users = (await session.execute(stmt)).unique().scalars().all()
        assert [(u.name, [a.email for a in u.addresses]) for u in users] == [
            ("ann", ["ann@a"]),
            ("bob", ["bob@a"]),
        ]


async def test_joins_on_relationships(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        rows = (
            await session.execute(
                select(User.name, func.count(Address.id))
                .join(User.addresses)
                .group_by(User.name)
                .order_by(User.name)
            )
        ).all()
        assert [tuple(r) for r in rows] == [("ann", 2), ("bob", 1)]
        names = (
            await session.scalars(
                select(User.name).join(Address, User.addresses).where(Address.email == "bob@a")
            )
        ).all()
        assert names == ["bob"]
        pairs = (
            await session.execute(
                select(User, Address).join(User.addresses).order_by(Address.email)
            )
        ).all()
        assert [(u.name, a.email) for u, a in pairs] == [
            ("ann", "ann@a"),
            ("ann", "ann@b"),
            ("bob", "bob@a"),
        ]
        assert pairs[0][0] is pairs[1][0]  # one object per row


async def test_aliased_and_with_parent(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        a1, a2 = aliased(Address), aliased(Address)
        rows = (
            await session.execute(
                select(User.name)
                .join(a1, User.addresses)
                .join(a2, User.addresses)
                .where(a1.email == "ann@a", a2.email == "ann@b")
            )
        ).all()
        assert [r[0] for r in rows] == ["ann"]
        ann = (await session.scalars(select(User).filter_by(name="ann"))).one()
        emails = (
            await session.scalars(
                select(Address.email)
                .where(with_parent(ann, User.addresses))
                .order_by(Address.email)
            )
        ).all()
        assert emails == ["ann@a", "ann@b"]
        other = aliased(User, name="other_user")
        found = (await session.scalars(select(other).where(other.name == "bob"))).one()
        assert isinstance(found, User) and found.name == "bob"


async def test_relationship_comparisons(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (await session.scalars(select(User).filter_by(name="ann"))).one()
        emails = (
            await session.scalars(
                select(Address.email).where(Address.user == ann).order_by(Address.email)
            )
        ).all()
        assert emails == ["ann@a", "ann@b"]
        with_addresses = (
            await session.scalars(
                select(User.name).where(User.addresses.any(Address.email == "bob@a"))
            )
        ).all()
        assert with_addresses == ["bob"]
        without = (await session.scalars(select(User.name).where(~User.addresses.any()))).all()
        assert without == ["cat"]


async def test_moving_a_child_updates_its_foreign_key(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        users = (
            await session.scalars(
                select(User).options(selectinload(User.addresses)).order_by(User.name)
            )
        ).all()
        ann, bob = users[0], users[1]
        moved = ann.addresses[0]
        bob.addresses.append(moved)
        assert moved.user is bob and moved not in ann.addresses
        await session.commit()
    async with make_session() as session:
        rows = (
            await session.execute(
                select(User.name, Address.email).join(User.addresses).order_by(Address.email)
            )
        ).all()
        assert [tuple(r) for r in rows] == [("bob", "ann@a"), ("ann", "ann@b"), ("bob", "bob@a")]


async def test_delete_cascade_and_orphans(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (
            await session.scalars(
                select(User).where(User.name == "ann").options(selectinload(User.addresses))
            )
        ).one()
        orphan = ann.addresses[0]
        ann.addresses.remove(orphan)  # delete-orphan: the row goes
        await session.commit()
        assert inspect(orphan).detached and inspect(orphan).was_deleted
    async with make_session() as session:
        emails = (await session.scalars(select(Address.email).order_by(Address.email))).all()
        assert emails == ["ann@b", "bob@a"]
        bob = (await session.scalars(select(User).filter_by(name="bob"))).one()
        await session.delete(bob)  # cascade="all, delete-orphan": its addresses too
        await session.commit()  # (not loaded: the flush loads them to delete them)
    async with make_session() as session:
        emails = (await session.scalars(select(Address.email))).all()
        assert emails == ["ann@b"]


async def test_deleting_parent_nulls_children_without_delete_cascade(
    orm: Any, make_session: Any
) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (await session.scalars(select(User).filter_by(name="ann"))).one()
        await session.delete(ann)  # Profile has no delete cascade: its user_id goes NULL
        await session.commit()
    async with make_session() as session:
        profile = (await session.scalars(select(Profile))).one()
        assert profile.user_id is None


async def test_replacing_many_to_one(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        addresses = (
            await session.scalars(select(Address).options(joinedload(Address.user)))
        ).all()
        cat = (await session.scalars(select(User).filter_by(name="cat"))).one()
        for address in addresses:
            address.user = cat
        await session.commit()
    async with make_session() as session:
        count = await session.scalar(
            select(func.count()).select_from(Address).join(Address.user).where(User.name == "cat")
        )
        assert count == 3


async def test_default_lazy_strategies_on_relationship(engine: Any, make_session: Any) -> None:
    from ferryman import ForeignKey, String
    from ferryman.orm import DeclarativeBase, Mapped, mapped_column, relationship

    class LBase(DeclarativeBase):
        pass

    class Team(LBase):
        __tablename__ = "orm_teams"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        members: Mapped[list[Member]] = relationship(lazy="selectin", back_populates="team")

    class Member(LBase):
        __tablename__ = "orm_members"
        id: Mapped[int] = mapped_column(primary_key=True)
        team_id: Mapped[int] = mapped_column(ForeignKey("orm_teams.id"))
        team: Mapped[Team] = relationship(lazy="joined", back_populates="members")

    async with engine.begin() as conn:
        await conn.run_sync(LBase.metadata.drop_all)
        await conn.run_sync(LBase.metadata.create_all)
    try:
        async with make_session() as session:
            session.add(Team(name="t", members=[Member(), Member()]))
            await session.commit()
        async with make_session() as session:
            team = (await session.scalars(select(Team))).one()
            assert len(team.members) == 2  # lazy="selectin": loaded with the query
            member = (await session.scalars(select(Member).limit(1))).one()
            assert member.team is team  # lazy="joined"
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(LBase.metadata.drop_all)


async def test_entity_and_column_rows(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        rows = (
            await session.execute(
                select(User, Address.email).join(User.addresses).order_by(Address.email)
            )
        ).all()
        assert [(r.User.name, r.email) for r in rows] == [
            ("ann", "ann@a"),
            ("ann", "ann@b"),
            ("bob", "bob@a"),
        ]
        mapping = (
            (await session.execute(select(User.name, User.fullname).order_by(User.name)))
            .mappings()
            .first()
        )
        assert mapping == {"name": "ann", "fullname": None}


async def test_raise_on_sql_allows_identity_map_hits(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        users = (await session.scalars(select(User))).all()
        addresses = (
            await session.scalars(select(Address).options(raiseload(Address.user, sql_only=True)))
        ).all()
        assert {a.user.name for a in addresses} <= {u.name for u in users}  # no SQL needed
    async with make_session() as session:
        address = (
            await session.scalars(
                select(Address).limit(1).options(raiseload(Address.user, sql_only=True))
            )
        ).one()
        with pytest.raises(exc.InvalidRequestError, match="raise_on_sql"):
            address.user  # noqa: B018


async def test_refresh_loads_relationships(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (await session.scalars(select(User).filter_by(name="ann"))).one()
        await session.refresh(ann, ["addresses", "profile"])
        assert [a.email for a in ann.addresses] == ["ann@a", "ann@b"]
        assert ann.profile.bio == "hi"


async def test_core_dml_on_a_mapped_class(orm: Any, make_session: Any) -> None:
    from ferryman import update

    await _seed(make_session)
    async with make_session() as session:
        result = await session.execute(
            update(User).where(User.name == "cat").values(fullname="Cat Stevens")
        )
        assert result.rowcount == 1
        cat = (await session.scalars(select(User).filter_by(name="cat"))).one()
        assert cat.fullname == "Cat Stevens"


async def test_get_with_options(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann_id = (await session.scalars(select(User.id).filter_by(name="ann"))).one()
        ann = await session.get(User, ann_id, options=[selectinload(User.addresses)])
        assert len(ann.addresses) == 2
        assert await session.get(User, {"id": ann_id}) is ann


async def test_joinedload_collection_with_limit(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        stmt = (
            select(User)
            .options(joinedload(User.addresses))
            .where(User.name != "zed")
            .order_by(User.name.desc())
            .limit(2)
        )
        users = (await session.execute(stmt)).unique().scalars().all()
        assert [u.name for u in users] == ["cat", "bob"]  # the limit counts users
        assert [len(u.addresses) for u in users] == [0, 1]
        first = (
            (
                await session.execute(
                    select(User)
                    .options(joinedload(User.addresses))
                    .order_by(User.name)
                    .offset(0)
                    .limit(1)
                )
            )
            .unique()
            .scalar_one()
        )
        assert first.name == "ann" and len(first.addresses) == 2


async def test_joined_collection_follows_relationship_order_by(
    orm: Any, make_session: Any
) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (
            (
                await session.execute(
                    select(User).where(User.name == "ann").options(joinedload(User.addresses))
                )
            )
            .unique()
            .scalar_one()
        )
        assert [a.email for a in ann.addresses] == ["ann@a", "ann@b"]


async def test_deleting_parent_nulls_children_whose_parent_is_loaded(
    orm: Any, make_session: Any
) -> None:
    await _seed(make_session)
    async with make_session() as session:
        profile = (await session.scalars(select(Profile).options(joinedload(Profile.user)))).one()
        await session.delete(profile.user)  # the profile still points at it in memory
        await session.commit()
    async with make_session() as session:
        profile = (await session.scalars(select(Profile))).one()
        assert profile.user_id is None


async def test_an_orphan_takes_its_own_children_along(engine: Any, make_session: Any) -> None:
    from ferryman import ForeignKey, String
    from ferryman.orm import DeclarativeBase, Mapped, mapped_column, relationship

    class OBase(DeclarativeBase):
        pass

    class Shelf(OBase):
        __tablename__ = "orm_shelves"
        id: Mapped[int] = mapped_column(primary_key=True)
        boxes: Mapped[list[Box]] = relationship(cascade="all, delete-orphan")

    class Box(OBase):
        __tablename__ = "orm_boxes"
        id: Mapped[int] = mapped_column(primary_key=True)
        shelf_id: Mapped[int | None] = mapped_column(ForeignKey("orm_shelves.id"))
        items: Mapped[list[Item]] = relationship(cascade="all")

    class Item(OBase):
        __tablename__ = "orm_items"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(20))
        box_id: Mapped[int] = mapped_column(ForeignKey("orm_boxes.id"))

    async with engine.begin() as conn:
        await conn.run_sync(OBase.metadata.drop_all)
        await conn.run_sync(OBase.metadata.create_all)
    try:
        async with make_session() as session:
            session.add(Shelf(boxes=[Box(items=[Item(name="a"), Item(name="b")])]))
            await session.commit()
        async with make_session() as session:
            shelf = (await session.scalars(select(Shelf).options(selectinload(Shelf.boxes)))).one()
            assert len(shelf.boxes) == 1  # its shelf_id went in (no Box.shelf side)
            shelf.boxes.clear()  # the box is an orphan; its items go with it (not loaded)
            await session.commit()
            assert (await session.scalars(select(func.count()).select_from(Item))).one() == 0
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(OBase.metadata.drop_all)

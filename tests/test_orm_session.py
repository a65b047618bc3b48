"""The ORM flow users learn async SQLAlchemy with, on every driver, sync and async:
declare, create_all through run_sync, add with cascade, query, load relationships,
and the no-implicit-I/O rule in async code."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import pytest

from ferryman import exc, func, inspect, select, text
from ferryman.asyncio import AsyncSession, async_sessionmaker
from ferryman.orm import Session, joinedload, selectinload, sessionmaker

from .conftest import AsAsync, unwrap
from .orm_models import (
    Address,
    Counter,
    Country,
    Note,
    Traveler,
    User,
    create_tables,
    drop_tables,
)


@pytest.fixture
async def orm(engine: Any) -> Any:
    await create_tables(engine)
    yield engine
    await drop_tables(engine)


async def test_the_issue_flow(orm: Any, make_session: Any, is_async: bool) -> None:
    async with make_session(expire_on_commit=False) as session, session.begin():
        session.add(Traveler(name="Ada", destination=Country(name="Norway")))
    async with make_session() as session:
        result = await session.execute(select(Traveler).where(Traveler.name == "Ada"))
        ada = result.scalar_one()
        assert isinstance(ada.created_at, datetime.datetime)
        assert ada.destination_id is not None
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError) as info:
                ada.destination  # noqa: B018
            message = str(info.value)
            assert "Traveler.destination" in message
            assert "selectinload(Traveler.destination)" in message
            assert "joinedload(Traveler.destination)" in message
            assert "awaitable_attrs.destination" in message
            assert isinstance(info.value, exc.InvalidRequestError)
        else:
            assert ada.destination.name == "Norway"
        loaded = (
            await session.scalars(select(Traveler).options(selectinload(Traveler.destination)))
        ).one()
        assert loaded is ada
        assert ada.destination.name == "Norway"
    async with make_session() as session:
        stmt = select(Traveler).options(joinedload(Traveler.destination))
        ada = (await session.execute(stmt)).scalar_one()
        assert ada.destination.name == "Norway"


async def test_cascade_inserts_parent_first(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        norway = Country(name="Norway")
        session.add_all([Traveler(name="Ada", destination=norway), Traveler(name="Bob")])
        assert norway in session  # reached through the relationship
        await session.commit()
    async with make_session() as session:
        rows = (
            await session.execute(
                select(Traveler.name, Country.name)
                .join(Traveler.destination, isouter=True)
                .order_by(Traveler.name)
            )
        ).all()
        assert [tuple(r) for r in rows] == [("Ada", "Norway"), ("Bob", None)]


async def test_eager_defaults_fetch_server_values_with_returning(
    make_engine: Any, make_session: Any, caplog: Any, is_async: bool
) -> None:
    engine = make_engine(echo=True)
    await create_tables(engine)
    session = AsyncSession(engine, expire_on_commit=False) if is_async else None
    session = session or AsAsync(Session(unwrap(engine), expire_on_commit=False))
    async with session:
        traveler = Traveler(name="Ada")
        session.add(traveler)
        await session.flush()
        inserts = [r.getMessage() for r in caplog.records if "INSERT" in r.getMessage()]
        assert len(inserts) == 1 and "RETURNING" in inserts[0]
        caplog.clear()
        assert isinstance(traveler.created_at, datetime.datetime)
        await session.commit()
    assert not [r for r in caplog.records if "SELECT" in r.getMessage()]
    assert isinstance(traveler.created_at, datetime.datetime)  # kept: expire_on_commit=False
    await drop_tables(engine)


async def test_server_default_without_eager_defaults(
    orm: Any, make_session: Any, is_async: bool
) -> None:
    async with make_session() as session:
        note = Note(body="hello")
        session.add(note)
        await session.commit()
        assert "created_at" in inspect(note).unloaded
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError) as info:
                note.created_at  # noqa: B018
            message = str(info.value)
            assert "Note.created_at" in message
            assert "await session.refresh(note, ['created_at'])" in message
            assert "expire_on_commit=False" in message
            assert "eager_defaults" in message
            await session.refresh(note)
        assert isinstance(note.created_at, datetime.datetime)  # sync: a SELECT loads it
        assert note.body == "hello"


async def test_awaitable_attrs(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(Traveler(name="Ada", destination=Country(name="Norway")))
        await session.commit()
    async with make_session() as session:
        ada = (await session.scalars(select(Traveler))).one()
        if isinstance(session, AsyncSession):
            country = await ada.awaitable_attrs.destination
            assert country.name == "Norway"
            assert [t.name for t in await country.awaitable_attrs.travelers] == ["Ada"]
            assert await ada.awaitable_attrs.name == "Ada"


async def test_repr_marks_unloaded(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(Traveler(name="Ada"))
        await session.commit()
        ada = (await session.scalars(select(Traveler))).one()
        text_ = repr(ada)
        assert text_.startswith("Traveler(id=")
        assert "name='Ada'" in text_
        assert "destination=<not loaded>" in text_
        session.expire(ada, ["created_at"])
        assert "created_at=<not loaded>" in repr(ada)


async def test_identity_map_one_object_per_row(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(User(name="u1"))
        await session.commit()
        a = (await session.scalars(select(User))).one()
        b = (await session.execute(select(User).where(User.name == "u1"))).scalar_one()
        c = await session.get(User, a.id)
        assert a is b is c
        assert await session.get(User, 999) is None
        with pytest.raises(exc.NoResultFound):
            await session.get_one(User, 999)
        assert len(session.identity_map) == 1
        assert (User, (a.id,), None) in session.identity_map


async def test_get_uses_identity_map_without_sql(orm: Any, make_session: Any) -> None:
    async with make_session(expire_on_commit=False) as session:
        user = User(name="u1")
        session.add(user)
        await session.commit()
        assert not session.in_transaction()
        assert await session.get(User, user.id) is user
        assert not session.in_transaction()  # no connection was needed


async def test_update_only_changed_columns(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(User(name="u1", fullname="One"))
        await session.commit()
        user = (await session.scalars(select(User))).one()
        user.fullname = "Uno"
        assert session.dirty == [user]
        history = inspect(user).attrs.fullname.history
        assert history.added == ["Uno"] and history.deleted == ["One"]
        await session.commit()
    async with make_session() as session:
        user = (await session.scalars(select(User))).one()
        assert (user.name, user.fullname) == ("u1", "Uno")


async def test_autoflush_before_query(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(User(name="u1"))
        count = await session.scalar(select(func.count()).select_from(User))
        assert count == 1
        with session.no_autoflush:
            session.add(User(name="u2"))
            assert await session.scalar(select(func.count()).select_from(User)) == 1
        await session.rollback()


async def test_object_states(orm: Any, make_session: Any) -> None:
    user = User(name="u1")
    assert inspect(user).transient
    async with make_session() as session:
        session.add(user)
        assert inspect(user).pending
        await session.flush()
        assert inspect(user).persistent
        await session.delete(user)
        await session.flush()
        assert inspect(user).was_deleted
        await session.commit()
        assert inspect(user).detached
    other = User(name="u2")
    async with make_session() as session:
        session.add(other)
        await session.commit()
    assert inspect(other).detached
    with pytest.raises(exc.DetachedInstanceError):
        other.name  # noqa: B018 - expired at commit, and no session now


async def test_rollback_keeps_pending_and_expires_persistent(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(User(name="u1"))
        await session.commit()
        user = (await session.scalars(select(User))).one()
        user.fullname = "changed"
        pending = User(name="u2")
        session.add(pending)
        await session.rollback()
        assert inspect(pending).pending
        assert "fullname" in inspect(user).unloaded
        await session.refresh(user)
        assert user.fullname is None


async def test_failed_flush_leaves_session_usable(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(User(name="dup"))
        await session.commit()
    async with make_session() as session:
        first = User(name="dup")  # violates the unique constraint
        second = User(name="fine", addresses=[Address(email="a@x")])
        session.add_all([second, first])
        with pytest.raises(exc.IntegrityError):
            await session.flush()
        assert inspect(first).pending and inspect(second).pending
        assert first.id is None and second.id is None  # nothing half-written
        assert second.addresses[0].user_id is None
        with pytest.raises(exc.PendingRollbackError):
            await session.execute(select(User))
        await session.rollback()
        session.expunge(first)
        await session.commit()
        assert inspect(second).identity is not None
    async with make_session() as session:
        names = (await session.scalars(select(User.name).order_by(User.name))).all()
        assert names == ["dup", "fine"]


async def test_begin_context_commits_and_rolls_back(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        async with session.begin():
            session.add(User(name="kept"))
        with pytest.raises(RuntimeError):
            async with session.begin():
                session.add(User(name="lost"))
                await session.flush()
                raise RuntimeError("boom")
        names = (await session.scalars(select(User.name))).all()
        assert names == ["kept"]


async def test_begin_twice_is_an_error(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(User(name="x"))
        with pytest.raises(exc.InvalidRequestError, match="already begun"):
            session.begin()


async def test_begin_nested_savepoint(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(User(name="outer"))
        await session.flush()
        async with session.begin_nested():
            session.add(User(name="inner"))
        nested = await session.begin_nested()
        doomed = User(name="doomed")
        session.add(doomed)
        await session.flush()
        await nested.rollback()
        assert inspect(doomed).transient
        await session.commit()
        names = (await session.scalars(select(User.name).order_by(User.name))).all()
        assert names == ["inner", "outer"]


async def test_refresh_and_expire(orm: Any, make_session: Any, is_async: bool) -> None:
    async with make_session() as session:
        session.add(User(name="u1", fullname="One"))
        await session.commit()
        user = (await session.scalars(select(User))).one()
        await session.execute(text("UPDATE orm_users SET fullname = 'Changed'"))
        assert user.fullname == "One"  # the identity map keeps what it loaded
        await session.refresh(user, ["fullname"])
        assert user.fullname == "Changed"
        session.expire(user)
        assert inspect(user).expired_attributes >= {"name", "fullname"}
        await session.refresh(user)
        assert user.name == "u1"
        populated = (
            await session.execute(select(User).execution_options(populate_existing=True))
        ).scalar_one()
        assert populated is user


async def test_expunge_and_merge(orm: Any, make_session: Any) -> None:
    async with make_session(expire_on_commit=False) as session:
        user = User(name="u1", addresses=[Address(email="a@x")])
        session.add(user)
        await session.commit()
        session.expunge(user)
        assert inspect(user).detached
    user.fullname = "Merged"
    async with make_session() as session:
        merged = await session.merge(user)
        assert merged is not user
        assert merged.fullname == "Merged"
        await session.commit()
    async with make_session() as session:
        again = (await session.scalars(select(User))).one()
        assert again.fullname == "Merged"


async def test_unknown_constructor_argument(orm: Any) -> None:
    with pytest.raises(TypeError, match="'nmae' is an invalid keyword argument for User"):
        User(nmae="x")


async def test_add_unmapped_object(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        with pytest.raises(exc.UnmappedInstanceError):
            session.add(object())


@pytest.mark.async_only
async def test_one_session_two_tasks(orm: Any, make_session: Any, backend: str) -> None:
    async with make_session() as session:
        sleep = "SELECT pg_sleep(0.2)" if backend == "postgresql" else "SELECT 1"
        started = asyncio.Event()

        async def first() -> None:
            started.set()
            await session.execute(text(sleep))

        task = asyncio.create_task(first())
        await started.wait()
        await asyncio.sleep(0)
        if backend == "postgresql":
            with pytest.raises(exc.InvalidRequestError, match="belongs to one task"):
                await session.execute(select(User))
        await task
        await session.execute(select(User))  # free again


@pytest.mark.async_only
async def test_run_sync_lazy_loads_in_sync_code(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(Traveler(name="Ada", destination=Country(name="Norway")))
        await session.commit()
    async with make_session() as session:
        ada = (await session.scalars(select(Traveler))).one()

        def sync_part(sync_session: Session) -> str:
            assert isinstance(sync_session, Session)
            same = sync_session.scalars(select(Traveler)).one()
            assert same is ada  # one identity map
            return same.destination.name  # a lazy load, in sync code

        assert await session.run_sync(sync_part) == "Norway"
        assert ada.destination.name == "Norway"  # loaded now, usable in async code


@pytest.mark.async_only
async def test_stream_objects(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add_all([User(name=f"u{i:03}") for i in range(250)])
        await session.commit()
        result = await session.stream_scalars(select(User).order_by(User.name))
        names = [user.name async for user in result]
        assert len(names) == 250 and names[0] == "u000"


async def _stream_users(session: Any, is_async: bool, stmt: Any, batch: int) -> Any:
    """The objects of ``stmt`` read ``batch`` rows at a time: ``AsyncSession.stream()``,
    or ``yield_per`` in a sync ``Session``."""
    if is_async:
        result = await session.stream_scalars(stmt.execution_options(yield_per=batch))
        async for obj in result:
            yield obj
    else:
        for obj in unwrap(session).scalars(stmt.execution_options(yield_per=batch)):
            yield obj


async def test_stream_keeps_only_the_objects_someone_holds(
    orm: Any, make_session: Any, is_async: bool
) -> None:
    async with make_session() as session:
        session.add_all([User(name=f"u{i:04}") for i in range(3000)])
        await session.commit()
    async with make_session() as session:
        kept, seen, largest_map = [], 0, 0
        async for user in _stream_users(session, is_async, select(User).order_by(User.id), 100):
            seen += 1
            largest_map = max(largest_map, len(session.identity_map))
            if seen % 250 == 0:
                kept.append(user)  # held by the caller: stays in the session
            if seen % 1000 == 0:
                user.fullname = f"changed {seen}"  # unflushed change: the session holds it
                del user
        assert seen == 3000
        assert largest_map <= 3 * 100 + len(kept)  # a few batches at most, not 3,000
        for user in kept:
            assert user in session
            assert await session.get(User, user.id) is user  # one object per identity
        again = (await session.scalars(select(User).where(User.name == "u2999"))).one()
        assert again.name == "u2999"
        await session.commit()
    async with make_session() as session:
        changed = await session.scalars(
            select(User.fullname).where(User.fullname.is_not(None)).order_by(User.id)
        )
        assert changed.all() == ["changed 1000", "changed 2000", "changed 3000"]


async def test_yield_per_in_execute(orm: Any, make_session: Any, is_async: bool) -> None:
    async with make_session() as session:
        session.add_all([User(name=f"u{i:03}") for i in range(25)])
        await session.commit()
        stmt = select(User).order_by(User.name).execution_options(yield_per=10)
        if is_async:
            with pytest.raises(exc.InvalidRequestError, match=r"session\.stream\(stmt\)"):
                await session.execute(stmt)
            return
        sync = unwrap(session)
        sizes = [len(part) for part in sync.scalars(stmt).partitions()]
        assert sizes == [10, 10, 5]
        rows = sync.execute(
            select(User.name, User).order_by(User.name), execution_options={"yield_per": 7}
        ).all()
        assert [name for name, _ in rows][:2] == ["u000", "u001"]
        assert all(user.name == name for name, user in rows)


async def test_stream_refuses_loads_it_cant_batch(orm: Any, make_session: Any, is_async: bool):
    stmt = select(User).options(selectinload(User.addresses))
    async with make_session() as session:
        with pytest.raises(exc.InvalidRequestError, match="selectin loads"):
            async for _ in _stream_users(session, is_async, stmt, 10):
                pass


async def test_sessionmakers(engine: Any, is_async: bool, orm: Any) -> None:
    if is_async:
        factory = async_sessionmaker(engine, expire_on_commit=False)
        same_shape = sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        for maker in (factory, same_shape):
            async with maker() as session:
                assert isinstance(session, AsyncSession)
                assert session.expire_on_commit is False
        async with factory.begin() as session:
            session.add(User(name="via-begin"))
        async with factory() as session:
            assert (await session.scalars(select(User.name))).all() == ["via-begin"]
    else:
        factory_sync = sessionmaker(unwrap(engine))
        with factory_sync.begin() as session:
            session.add(User(name="via-begin"))
        with factory_sync() as session:
            assert isinstance(session, Session)
            assert session.scalars(select(User.name)).all() == ["via-begin"]


async def test_many_objects_one_batch(orm: Any, make_session: Any) -> None:
    async with make_session(expire_on_commit=False) as session:
        users = [User(name=f"user{i}", fullname=None if i % 2 else "x") for i in range(1500)]
        session.add_all(users)
        await session.commit()
        ids = [u.id for u in users]
        assert len(set(ids)) == 1500 and None not in ids
    async with make_session() as session:
        rows = (await session.execute(select(User.id, User.name))).all()
        by_id = {r.id: r.name for r in rows}
        assert all(by_id[u.id] == u.name for u in users)  # keys matched to the right rows


async def test_failed_flush_in_savepoint_keeps_the_transaction(
    orm: Any, make_session: Any
) -> None:
    async with make_session() as session:
        session.add(User(name="dup"))
        await session.flush()
        duplicate = User(name="dup")
        with pytest.raises(exc.IntegrityError):
            async with session.begin_nested():
                session.add(duplicate)
        assert inspect(duplicate).pending  # the savepoint rolled back, nothing written
        session.expunge(duplicate)
        session.add(User(name="other"))
        await session.commit()
    async with make_session() as session:
        names = (await session.scalars(select(User.name).order_by(User.name))).all()
        assert names == ["dup", "other"]


@pytest.mark.async_only
async def test_sync_session_class_for_run_sync(orm: Any, engine: Any) -> None:
    class MySession(Session):
        pass

    factory = async_sessionmaker(engine, sync_session_class=MySession)
    async with factory() as session:
        kind = await session.run_sync(lambda sync_session: type(sync_session))
        assert kind is MySession

        def add_in_sync(sync_session: Session) -> None:
            sync_session.add(User(name="from-sync"))
            sync_session.flush()

        await session.run_sync(add_in_sync)
        await session.commit()
        assert (await session.scalars(select(User.name))).all() == ["from-sync"]


async def test_pickled_objects_come_back_detached(orm: Any, make_session: Any) -> None:
    import pickle

    async with make_session(expire_on_commit=False) as session:
        user = User(name="u1", addresses=[Address(email="a@x")])
        session.add(user)
        await session.commit()
        copy = pickle.loads(pickle.dumps(user))
        assert copy is not user and copy.name == "u1" and copy.addresses[0].email == "a@x"
        assert inspect(copy).detached and inspect(copy).identity == (user.id,)
        copy.addresses.append(Address(email="b@x"))  # still an instrumented collection
        assert copy.addresses[1].user is copy
    async with make_session() as session:
        copy.fullname = "Pickled"
        merged = await session.merge(copy)
        await session.commit()
        assert inspect(merged).identity == (user.id,)


async def test_unknown_execution_option(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        with pytest.raises(exc.ArgumentError, match="populate_existing"):
            await session.execute(select(User), execution_options={"populate_exisitng": True})


async def test_loaded_objects_keep_their_identity_through_the_lifecycle(
    orm: Any, make_session: Any
) -> None:
    """Loaded objects get their state on first need: after close they are detached
    with their key, and can be attached to, expunged from and merged into sessions."""
    async with make_session() as session:
        session.add_all([User(name="u1"), User(name="u2")])
        await session.commit()
    async with make_session(expire_on_commit=False) as session:
        first, second = (await session.scalars(select(User).order_by(User.name))).all()
        session.expunge(second)
        assert inspect(second).detached and inspect(first).persistent
    assert inspect(first).detached and inspect(first).identity == (first.id,)
    async with make_session() as session:
        session.add(first)
        assert inspect(first).persistent and first in session
        first.fullname = "again"
        await session.commit()
        merged = await session.merge(second)
        assert merged is not second and merged.name == "u2"
    async with make_session() as session:
        names = (await session.scalars(select(User.fullname).order_by(User.name))).all()
        assert names == ["again", None]


async def test_changed_primary_keys_update_the_rows_they_had(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add_all([User(id=i, name=f"u{i}") for i in (1, 2, 3, 4)])
        await session.commit()
    async with make_session() as session:
        users = (await session.scalars(select(User).order_by(User.id))).all()
        for user in users[:3]:  # one statement for these three (same columns changed)
            user.id += 100
            user.fullname = f"moved {user.name}"
        users[3].fullname = "stayed"
        await session.commit()
    async with make_session() as session:
        rows = (await session.execute(select(User.id, User.fullname).order_by(User.id))).all()
        assert [tuple(r) for r in rows] == [
            (4, "stayed"),
            (101, "moved u1"),
            (102, "moved u2"),
            (103, "moved u3"),
        ]
    async with make_session() as session:  # every object changes only its key: one UPDATE
        for user in (await session.scalars(select(User))).all():
            user.id += 1000
        await session.commit()
    async with make_session() as session:
        ids = (await session.scalars(select(User.id).order_by(User.id))).all()
        assert ids == [1004, 1101, 1102, 1103]


async def test_failed_flush_takes_back_keys_of_rows_written_before(
    orm: Any, make_session: Any
) -> None:
    async with make_session(expire_on_commit=False) as session:
        users = [User(name="first"), User(name="second")]
        orphan = Address(email="nobody@x")  # user_id is NOT NULL: its INSERT fails
        session.add_all([*users, orphan])
        with pytest.raises(exc.IntegrityError):
            await session.flush()  # the users' INSERT ran (and returned their ids) first
        assert [u.id for u in users] == [None, None]
        assert all(inspect(u).pending for u in users)
        await session.rollback()
        session.expunge(orphan)
        await session.commit()
        assert all(isinstance(u.id, int) for u in users)


async def test_onupdate_values_go_with_every_changed_object(orm: Any, make_session: Any) -> None:
    async with make_session(expire_on_commit=False) as session:
        counters = [Counter(id=i) for i in range(1, 5)]
        session.add_all(counters)
        await session.commit()
        assert [c.revision for c in counters] == ["new"] * 4
        for counter in counters[:3]:  # the same column changed: one UPDATE for the three
            counter.value += 1
        await session.commit()
        assert [c.revision for c in counters] == ["updated"] * 3 + ["new"]
    async with make_session() as session:
        rows = (
            await session.execute(select(Counter.value, Counter.revision).order_by(Counter.id))
        ).all()
        assert [tuple(r) for r in rows] == [(1, "updated")] * 3 + [(0, "new")]


async def test_objects_giving_different_columns_insert_in_batches(
    orm: Any, make_session: Any
) -> None:
    async with make_session(expire_on_commit=False) as session:
        counters = [
            Counter(id=10, step=None),  # None for a plain column: sent as NULL
            Counter(step=5),  # the key left to the database
            Counter(id=None, step=None),  # a None key: the database makes it too
            Counter(id=11, step=7),
            Counter(),
        ]
        session.add_all(counters)
        await session.commit()
        assert counters[0].id == 10 and counters[3].id == 11
        assert len({c.id for c in counters}) == 5 and None not in {c.id for c in counters}
    async with make_session() as session:
        rows = await session.execute(select(Counter.id, Counter.step, Counter.value))
        got = {r.id: (r.step, r.value) for r in rows}
        assert [got[c.id] for c in counters] == [(None, 0), (5, 0), (None, 0), (7, 0), (None, 0)]


async def test_change_after_commit_expired_everything(orm: Any, make_session: Any) -> None:
    """commit() expires every attribute but the primary key (the object's identity):
    a change after it, a delete after it and a second commit find the row by it."""
    async with make_session() as session:
        ann, bob = User(name="ann"), User(name="bob")
        session.add_all([ann, bob])
        await session.commit()
        assert ann.id is not None  # the key stays: no load, also in async code
        ann.fullname = "Ann A"  # one changed object: one UPDATE
        await session.commit()
        ann.fullname, bob.fullname = "Ann B", "Bob B"  # several: one batch
        await session.commit()
        session.expire(bob, ["id", "name"])  # an explicit expiry keeps the key too
        assert bob.id is not None
        await session.delete(bob)
        await session.commit()
    async with make_session() as session:
        rows = await session.execute(select(User.name, User.fullname).order_by(User.name))
        assert rows.all() == [("ann", "Ann B")]


async def test_a_foreign_key_without_a_relationship_orders_the_flush(
    engine: Any, make_session: Any
) -> None:
    """Rows of classes linked by a foreign key alone go in parents first (and out
    children first), as the key needs, whatever order they were added in."""
    from ferryman import ForeignKey
    from ferryman.orm import DeclarativeBase, Mapped, mapped_column

    class Base(DeclarativeBase):
        pass

    class Line(Base):
        __tablename__ = "fk_lines"
        id: Mapped[int] = mapped_column(primary_key=True)
        invoice_id: Mapped[int] = mapped_column(ForeignKey("fk_invoices.id"))

    class Invoice(Base):
        __tablename__ = "fk_invoices"
        id: Mapped[int] = mapped_column(primary_key=True)

    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    try:
        async with make_session() as session:
            session.add_all([Line(id=1, invoice_id=7), Invoice(id=7)])  # child first
            await session.commit()
            invoice, line = await session.get(Invoice, 7), await session.get(Line, 1)
            await session.delete(invoice)
            await session.delete(line)
            await session.commit()  # the line goes before its invoice
            assert await session.scalar(select(func.count()).select_from(Line)) == 0
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(Base.metadata.drop_all)

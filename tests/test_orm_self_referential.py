"""Self-referential relationships: a table whose rows refer to rows of the same table
(an adjacency list, a tree), ``remote_side`` for the many-to-one side, loading a
tree level by level (``recursion_depth``, chained options, ``join_depth``), queries
through aliases, INSERTs ordered parents first and DELETEs children first within
one table; and a self-referential many-to-many (followers), on every driver, sync
and async."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import Column, ForeignKey, String, Table, exc, func, select
from ferryman.orm import (
    AsyncAttrs,
    DeclarativeBase,
    Mapped,
    aliased,
    backref,
    inspect,
    joinedload,
    mapped_column,
    relationship,
    selectinload,
    with_parent,
)

from .conftest import unwrap


class Base(AsyncAttrs, DeclarativeBase):
    pass


class Node(Base):
    """remote_side=[id]: the mapped_column() of the class body itself."""

    __tablename__ = "sr_nodes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sr_nodes.id"))
    children: Mapped[list[Node]] = relationship(
        back_populates="parent", cascade="all, delete-orphan", order_by="Node.name"
    )
    parent: Mapped[Node | None] = relationship(back_populates="children", remote_side=[id])


class Category(Base):
    """remote_side as a string; the one-to-many side made by backref=, joined eagerly
    two levels deep by default (join_depth)."""

    __tablename__ = "sr_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("sr_categories.id"))
    parent: Mapped[Category | None] = relationship(
        remote_side="Category.id",
        backref=backref("children", order_by="Category.name", lazy="joined", join_depth=2),
    )


class Employee(Base):
    """remote_side as a lambda; no delete cascade (reports lose their manager); the
    reports loaded by selectin two levels deep by default."""

    __tablename__ = "sr_employees"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("sr_employees.id"))
    manager: Mapped[Employee | None] = relationship(
        remote_side=lambda: [Employee.id], back_populates="reports"
    )
    reports: Mapped[list[Employee]] = relationship(
        back_populates="manager", lazy="selectin", join_depth=2, order_by="Employee.name"
    )


follows = Table(
    "sr_follows",
    Base.metadata,
    Column("follower_id", ForeignKey("sr_people.id"), primary_key=True),
    Column("followed_id", ForeignKey("sr_people.id"), primary_key=True),
)


class Person(Base):
    """A self-referential many-to-many: both foreign keys of the secondary table point
    at the same table, so primaryjoin / secondaryjoin say which is which."""

    __tablename__ = "sr_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    following: Mapped[list[Person]] = relationship(
        secondary=follows,
        primaryjoin=lambda: Person.id == follows.c.follower_id,
        secondaryjoin="Person.id == sr_follows.c.followed_id",
        backref=backref("followers", order_by="Person.name"),
        order_by="Person.name",
    )


@pytest.fixture
async def orm(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


def _chain(depth: int) -> Node:
    """root -> n1 -> n2 -> ... (depth levels below the root), plus a leaf "x" on root."""
    root = Node(name="root", children=[Node(name="x")])
    node = root
    for level in range(1, depth + 1):
        child = Node(name=f"n{level}")
        node.children.append(child)
        node = child
    return root


async def _root(session: Any, *options: Any) -> Node:
    stmt = select(Node).where(Node.parent_id.is_(None)).options(*options)
    return (await session.scalars(stmt)).one()  # type: ignore[no-any-return]


# -- mapping and memory --------------------------------------------------------------------


def test_directions_from_remote_side() -> None:
    Base.registry.configure()
    assert Node.children.prop.direction == "ONETOMANY" and Node.children.prop.uselist
    assert Node.parent.prop.direction == "MANYTOONE" and not Node.parent.prop.uselist
    assert [(a.name, b.name) for a, b in Node.parent.prop.pairs] == [("parent_id", "id")]
    assert Node.parent.prop.reverse is Node.children.prop
    assert Category.parent.prop.direction == "MANYTOONE"
    children = Category.children.prop  # type: ignore[attr-defined]
    assert children.direction == "ONETOMANY" and children.reverse is Category.parent.prop
    assert Employee.manager.prop.direction == "MANYTOONE"
    assert Person.following.prop.direction == "MANYTOMANY"
    followers = Person.followers.prop  # type: ignore[attr-defined]
    assert [s.name for _, s in followers.parent_pairs] == ["followed_id"]


def test_configuration_errors() -> None:
    class EBase(DeclarativeBase):
        pass

    class Twig(EBase):
        __tablename__ = "sr_twigs"
        id: Mapped[int] = mapped_column(primary_key=True)
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("sr_twigs.id"))
        parent: Mapped[Twig | None] = relationship(back_populates="children")  # no remote_side
        children: Mapped[list[Twig]] = relationship(back_populates="parent")

    with pytest.raises(exc.ArgumentError, match=r"both read as one-to-many.*remote_side"):
        EBase.registry.configure()

    class FBase(DeclarativeBase):
        pass

    class Leaf(FBase):
        __tablename__ = "sr_leaves"
        id: Mapped[int] = mapped_column(primary_key=True)
        name: Mapped[str] = mapped_column(String(10))
        parent_id: Mapped[int | None] = mapped_column(ForeignKey("sr_leaves.id"))
        parent: Mapped[Leaf | None] = relationship(remote_side=[name])

    with pytest.raises(exc.ArgumentError, match=r"Leaf\.parent: remote_side=\[sr_leaves\.name\]"):
        FBase.registry.configure()

    class GBase(DeclarativeBase):
        pass

    links = Table(
        "sr_g_links",
        GBase.metadata,
        Column("a", ForeignKey("sr_g.id")),
        Column("b", ForeignKey("sr_g.id")),
    )

    class G(GBase):
        __tablename__ = "sr_g"
        id: Mapped[int] = mapped_column(primary_key=True)
        friends: Mapped[list[G]] = relationship(secondary=links)

    with pytest.raises(
        exc.ArgumentError, match=r"G\.friends.*links 'sr_g' to itself.*primaryjoin"
    ):
        GBase.registry.configure()


def test_both_sides_in_step_in_memory() -> None:
    root, other = Node(name="root"), Node(name="other")
    a = Node(name="a", parent=root)
    assert root.children == [a]
    b = Node(name="b")
    root.children.append(b)
    assert b.parent is root
    other.children.append(a)  # moves a
    assert a.parent is other and root.children == [b]
    b.parent = None
    assert root.children == []


# -- the unit of work --------------------------------------------------------------------------


async def test_a_tree_goes_in_one_flush_parents_first(
    orm: Any, make_session: Any, query_counter: Any
) -> None:
    async with make_session() as session:
        root = Node(name="root", children=[Node(name="a", children=[Node(name="a1")])])
        b = Node(name="b", parent=root)  # the other side
        Node(name="b1", parent=b)
        session.add(root)
        with query_counter(unwrap(orm)) as queries:
            await session.flush()
        inserts = [q for q in queries.statements if q.sql.startswith("INSERT")]
        # one INSERT per level (MySQL without RETURNING: one per row)
        assert len(inserts) in (3, 5)
        assert root.parent_id is None and b.parent_id == root.id
        assert {c.name: c.parent_id for c in root.children} == {"a": root.id, "b": root.id}
        assert root.children[0].children[0].parent_id == root.children[0].id
        await session.commit()
    async with make_session() as session:
        rows = await session.execute(
            select(Node.name, func.count(Node.id)).group_by(Node.name).order_by(Node.name)
        )
        assert [r[0] for r in rows.all()] == ["a", "a1", "b", "b1", "root"]
        root = await _root(session)
        a = (await session.scalars(select(Node).filter_by(name="a"))).one()
        # a new parent for an old child, a new child for an old parent: one flush
        middle = Node(name="m", parent=root)
        a.parent = middle  # (middle joins the session through a)
        session.add(Node(name="a2", parent=a))
        await session.commit()
    async with make_session() as session:
        parent = aliased(Node)
        pairs = await session.execute(
            select(Node.name, parent.name).join(parent, Node.parent).order_by(Node.name)
        )
        assert [tuple(p) for p in pairs.all()] == [
            ("a", "m"),
            ("a1", "a"),
            ("a2", "a"),
            ("b", "root"),
            ("b1", "b"),
            ("m", "root"),
        ]


async def test_a_cycle_of_new_objects_is_refused(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        a, b = Node(name="a"), Node(name="b")
        a.parent = b
        b.parent = a
        session.add(a)
        with pytest.raises(exc.FlushError, match="refer to each other in a cycle"):
            await session.flush()
        await session.rollback()
        b.parent = None  # broken: it goes in
        await session.flush()
        assert a.parent_id == b.id and b.parent_id is None
        await session.commit()


async def test_deletes_run_children_first(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(_chain(4))
        await session.commit()
    async with make_session() as session:
        root = await _root(session)
        await session.delete(root)  # the cascade loads each level to delete it
        await session.commit()
        assert (await session.scalars(select(func.count()).select_from(Node))).one() == 0
    async with make_session() as session:
        session.add(_chain(3))
        await session.commit()
    async with make_session() as session:
        root = await _root(session, selectinload(Node.children, recursion_depth=-1))
        n1 = next(c for c in root.children if c.name == "n1")
        root.children.remove(n1)  # delete-orphan: n1 and what hangs below it
        await session.commit()
        names = await session.scalars(select(Node.name).order_by(Node.name))
        assert names.all() == ["root", "x"]


async def test_deleting_without_cascade_lets_go_of_the_children(
    orm: Any, make_session: Any
) -> None:
    async with make_session() as session:
        boss = Employee(name="boss", reports=[Employee(name="ann"), Employee(name="bob")])
        session.add(boss)
        await session.commit()
    async with make_session() as session:
        boss = (await session.scalars(select(Employee).filter_by(name="boss"))).one()
        await session.delete(boss)
        await session.commit()
        left = await session.execute(select(Employee.name, Employee.manager_id))
        assert sorted(tuple(r) for r in left.all()) == [("ann", None), ("bob", None)]


# -- loading --------------------------------------------------------------------------------------


async def test_selectinload_recursion_depth(
    orm: Any, make_session: Any, is_async: bool, query_counter: Any
) -> None:
    async with make_session() as session:
        session.add(_chain(4))
        await session.commit()
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            root = await _root(session, selectinload(Node.children, recursion_depth=2))
        queries.assert_count(3)  # the root, then two levels in one SELECT each
        assert [c.name for c in root.children] == ["n1", "x"]
        n1 = root.children[0]
        assert [c.name for c in n1.children] == ["n2"]
        assert n1.parent is root and n1.children[0].parent is n1  # from the rows
        n2 = n1.children[0]
        assert "children" in inspect(n2).unloaded
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError, match=r"Node\.children"):
                n2.children  # noqa: B018
        else:
            assert [c.name for c in n2.children] == ["n3"]  # lazily, past the depth
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            root = await _root(session, selectinload(Node.children, recursion_depth=-1))
        queries.assert_count(6)  # the root, four levels, then one that comes back empty
        node, names = root, []
        while node.children:
            node = node.children[0]
            names.append(node.name)
        assert names == ["n1", "n2", "n3", "n4"]


async def test_chained_selectinload_and_joinedload(
    orm: Any, make_session: Any, query_counter: Any
) -> None:
    async with make_session() as session:
        session.add(_chain(3))
        await session.commit()
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            root = await _root(session, selectinload(Node.children).selectinload(Node.children))
        queries.assert_count(3)
        assert [c.name for c in root.children[0].children] == ["n2"]
        assert "children" in inspect(root.children[0].children[0]).unloaded
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            result = await session.execute(
                select(Node)
                .where(Node.parent_id.is_(None))
                .options(joinedload(Node.children).joinedload(Node.children))
            )
            root = result.unique().scalar_one()
        queries.assert_count(1)
        assert [c.name for c in root.children] == ["n1", "x"]
        assert [c.name for c in root.children[0].children] == ["n2"]
    async with make_session() as session:
        n2 = (
            await session.scalars(
                select(Node).filter_by(name="n2").options(joinedload(Node.parent))
            )
        ).one()
        assert n2.parent is not None and n2.parent.name == "n1"
    async with make_session() as session:
        n1 = (await session.scalars(select(Node).filter_by(name="n1"))).one()
        session.add(Node(name="n2b", parent=n1))  # n1 has two children now
        await session.commit()
    async with make_session() as session:
        # the children's children joined in the second query: n1's row comes twice,
        # n1 once in root.children
        root = await _root(session, selectinload(Node.children).joinedload(Node.children))
        assert [c.name for c in root.children] == ["n1", "x"]
        assert [c.name for c in root.children[0].children] == ["n2", "n2b"]


async def test_join_depth_on_the_relationship(
    orm: Any, make_session: Any, query_counter: Any, is_async: bool
) -> None:
    async with make_session() as session:
        top = Category(name="top")
        mid = Category(name="mid", parent=top)
        low = Category(name="low", parent=mid)
        Category(name="bottom", parent=low)
        boss = Employee(name="boss")
        lead = Employee(name="lead", manager=boss)
        dev = Employee(name="dev", manager=lead)
        Employee(name="intern", manager=dev)
        session.add_all([top, boss])
        await session.commit()
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            result = await session.execute(select(Category).filter_by(name="top"))
            top = result.unique().scalar_one()
        queries.assert_count(1)  # lazy="joined", join_depth=2: two levels joined
        mid = top.children[0]  # type: ignore[attr-defined]
        assert mid.name == "mid" and [c.name for c in mid.children] == ["low"]
        assert "children" in inspect(mid.children[0]).unloaded
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            boss = (await session.scalars(select(Employee).filter_by(name="boss"))).one()
        queries.assert_count(3)  # lazy="selectin", join_depth=2: two more SELECTs
        assert [r.name for r in boss.reports[0].reports] == ["dev"]
        assert "reports" in inspect(boss.reports[0].reports[0]).unloaded


async def test_lazy_loads(orm: Any, make_session: Any, is_async: bool, query_counter: Any) -> None:
    async with make_session() as session:
        session.add(_chain(2))
        await session.commit()
    async with make_session() as session:
        nodes = (await session.scalars(select(Node).order_by(Node.name))).all()
        by_name = {n.name: n for n in nodes}
        n2 = by_name["n2"]
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError, match=r"Node\.parent"):
                n2.parent  # noqa: B018
            assert await n2.awaitable_attrs.parent is by_name["n1"]
        else:
            with query_counter(unwrap(orm)) as queries:
                assert n2.parent is by_name["n1"]  # in the identity map: no SELECT
            queries.assert_count(0)
            assert [c.name for c in by_name["root"].children] == ["n1", "x"]
        await session.refresh(by_name["n1"], ["children"])
        assert by_name["n1"].children == [n2]


async def test_queries(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add(_chain(2))
        await session.commit()
    async with make_session() as session:
        root = await _root(session)
        names = await session.scalars(
            select(Node.name).where(with_parent(root, Node.children)).order_by(Node.name)
        )
        assert names.all() == ["n1", "x"]
        names = await session.scalars(select(Node.name).where(Node.parent == root))
        assert sorted(names.all()) == ["n1", "x"]
        names = await session.scalars(select(Node.name).where(Node.parent == None))  # noqa: E711
        assert names.all() == ["root"]
        names = await session.scalars(
            select(Node.name).where(Node.children.any(Node.name == "n2"))
        )
        assert names.all() == ["n1"]
        leaves = await session.scalars(
            select(Node.name).where(~Node.children.any()).order_by(Node.name)
        )
        assert leaves.all() == ["n2", "x"]
        names = await session.scalars(
            select(Node.name).where(Node.parent.has(Node.name == "root")).order_by(Node.name)
        )
        assert names.all() == ["n1", "x"]
        child = aliased(Node)
        counts = await session.execute(
            select(Node.name, func.count(child.id))
            .outerjoin(child, Node.children)
            .group_by(Node.name)
            .order_by(Node.name)
        )
        assert [tuple(r) for r in counts.all()] == [("n1", 1), ("n2", 0), ("root", 2), ("x", 0)]
        names = await session.scalars(select(Node.name).where(Node.children.contains(root)))
        assert names.all() == []
        with pytest.raises(exc.InvalidRequestError, match=r"aliased\(Node\)"):
            select(Node).join(Node.children)


async def test_self_referential_many_to_many(
    orm: Any, make_session: Any, query_counter: Any
) -> None:
    async with make_session() as session:
        ann, bob, cat = Person(name="ann"), Person(name="bob"), Person(name="cat")
        ann.following = [bob, cat]
        cat.following.append(ann)
        assert bob.followers == [ann]  # type: ignore[attr-defined]
        session.add_all([ann, bob, cat])
        await session.commit()
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            people = (
                await session.scalars(
                    select(Person)
                    .options(selectinload(Person.following), selectinload(Person.followers))  # type: ignore[attr-defined]
                    .order_by(Person.name)
                )
            ).all()
        queries.assert_count(3)
        assert [(p.name, [f.name for f in p.following]) for p in people] == [
            ("ann", ["bob", "cat"]),
            ("bob", []),
            ("cat", ["ann"]),
        ]
        assert [(p.name, [f.name for f in p.followers]) for p in people] == [  # type: ignore[attr-defined]
            ("ann", ["cat"]),
            ("bob", ["ann"]),
            ("cat", ["ann"]),
        ]
        ann, bob, cat = people
        ann.following.remove(cat)
        bob.following.append(cat)
        await session.commit()
    async with make_session() as session:
        followed = aliased(Person)
        pairs = await session.execute(
            select(Person.name, followed.name)
            .join(followed, Person.following)
            .order_by(Person.name, followed.name)
        )
        assert [tuple(p) for p in pairs.all()] == [("ann", "bob"), ("bob", "cat"), ("cat", "ann")]
        popular = await session.scalars(
            select(Person.name).where(Person.followers.any(Person.name == "bob"))  # type: ignore[attr-defined]
        )
        assert popular.all() == ["cat"]
        cat = (await session.scalars(select(Person).filter_by(name="cat"))).one()
        await session.delete(cat)  # both sides' rows go
        await session.commit()
        rows = await session.execute(select(follows))
        assert len(rows.all()) == 1

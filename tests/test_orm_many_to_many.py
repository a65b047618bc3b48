"""Many-to-many relationships through a ``secondary`` table: both sides kept in step
in memory, every loader strategy, joins and EXISTS through the secondary, the
association rows the flush writes and deletes, cascades, ``viewonly``, the
association object pattern, and the errors, on every driver, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from ferryman import Column, ForeignKey, Integer, String, Table, exc, func, insert, select
from ferryman.orm import (
    AsyncAttrs,
    DeclarativeBase,
    Mapped,
    aliased,
    backref,
    inspect,
    joinedload,
    mapped_column,
    noload,
    raiseload,
    relationship,
    selectinload,
    with_parent,
)

from .conftest import unwrap


class Base(AsyncAttrs, DeclarativeBase):
    pass


post_tags = Table(
    "m2m_post_tags",
    Base.metadata,
    Column("post_id", ForeignKey("m2m_posts.id"), primary_key=True),
    Column("tag_id", ForeignKey("m2m_tags.id"), primary_key=True),
)


class Post(Base):
    __tablename__ = "m2m_posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tags, back_populates="posts", order_by="Tag.name"
    )


class Tag(Base):
    __tablename__ = "m2m_tags"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    # the secondary by name, the order by a callable
    posts: Mapped[list[Post]] = relationship(
        secondary="m2m_post_tags", back_populates="tags", order_by=lambda: Post.title
    )


# ON DELETE CASCADE in the database, passive_deletes=True in the mapping; the reverse
# side made by backref=
article_labels = Table(
    "m2m_article_labels",
    Base.metadata,
    Column("article_id", ForeignKey("m2m_articles.id", ondelete="CASCADE"), primary_key=True),
    Column("label_id", ForeignKey("m2m_labels.id", ondelete="CASCADE"), primary_key=True),
)


class Article(Base):
    __tablename__ = "m2m_articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    labels: Mapped[list[Label]] = relationship(
        secondary=lambda: article_labels, passive_deletes=True, backref="articles"
    )


class Label(Base):
    __tablename__ = "m2m_labels"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))


# cascade="all, delete-orphan" on a many-to-many: each song in one playlist at a time
playlist_songs = Table(
    "m2m_playlist_songs",
    Base.metadata,
    Column("playlist_id", ForeignKey("m2m_playlists.id"), primary_key=True),
    Column("song_id", ForeignKey("m2m_songs.id"), primary_key=True),
)


class Playlist(Base):
    __tablename__ = "m2m_playlists"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    songs: Mapped[list[Song]] = relationship(
        secondary=playlist_songs,
        cascade="all, delete-orphan",
        single_parent=True,
        back_populates="playlists",
    )


class Song(Base):
    __tablename__ = "m2m_songs"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(50))
    playlists: Mapped[list[Playlist]] = relationship(
        secondary=playlist_songs, back_populates="songs"
    )


# The association object pattern: a class for the association table, with extra
# columns, and a viewonly many-to-many beside it.
class Recipe(Base):
    __tablename__ = "m2m_recipes"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    links: Mapped[list[RecipeIngredient]] = relationship(
        back_populates="recipe",
        cascade="all, delete-orphan",
        order_by="RecipeIngredient.position",
    )
    ingredients: Mapped[list[Ingredient]] = relationship(
        secondary="m2m_recipe_ingredients", viewonly=True, order_by="Ingredient.name"
    )


class Ingredient(Base):
    __tablename__ = "m2m_ingredients"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    links: Mapped[list[RecipeIngredient]] = relationship(back_populates="ingredient")


class RecipeIngredient(Base):
    __tablename__ = "m2m_recipe_ingredients"
    recipe_id: Mapped[int] = mapped_column(ForeignKey("m2m_recipes.id"), primary_key=True)
    ingredient_id: Mapped[int] = mapped_column(ForeignKey("m2m_ingredients.id"), primary_key=True)
    amount: Mapped[str] = mapped_column(String(20))
    position: Mapped[int] = mapped_column(Integer, default=0)
    recipe: Mapped[Recipe] = relationship(back_populates="links")
    ingredient: Mapped[Ingredient] = relationship(back_populates="links")


@pytest.fixture
async def orm(engine: Any) -> Any:
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.run_sync(Base.metadata.create_all)
    yield engine
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)


async def _seed(make_session: Any) -> None:
    """ann: [db, py]; bob: [py]; cat: no tags; the tag "go" is on no post."""
    async with make_session() as session:
        db, py, go = Tag(name="db"), Tag(name="py"), Tag(name="go")
        session.add_all(
            [
                Post(title="ann", tags=[py, db]),
                Post(title="bob", tags=[py]),
                Post(title="cat"),
                go,
            ]
        )
        await session.commit()


async def _links(make_session: Any) -> list[tuple[str, str]]:
    """The association rows, as (post title, tag name)."""
    async with make_session() as session:
        rows = await session.execute(
            select(Post.title, Tag.name).join(Post.tags).order_by(Post.title, Tag.name)
        )
        return [tuple(r) for r in rows.all()]


async def _one(session: Any, cls: Any, **by: Any) -> Any:
    return (await session.scalars(select(cls).filter_by(**by))).one()


# -- mapping and memory ------------------------------------------------------------------


def test_configuration() -> None:
    Base.registry.configure()
    prop = Post.tags.prop
    assert prop.direction == "MANYTOMANY" and prop.uselist and prop.secondary is post_tags
    assert [(p.name, s.name) for p, s in prop.parent_pairs] == [("id", "post_id")]
    assert [(t.name, s.name) for t, s in prop.target_pairs] == [("id", "tag_id")]
    assert prop.reverse is Tag.posts.prop and Tag.posts.prop.secondary is post_tags
    made = Label.articles.prop  # by backref=: the same secondary, the other way round
    assert made.direction == "MANYTOMANY" and made.secondary is article_labels
    assert [s.name for _, s in made.parent_pairs] == ["label_id"]


def test_both_sides_in_step_in_memory() -> None:
    post, other = Post(title="p"), Post(title="q")
    db, py = Tag(name="db"), Tag(name="py")
    post.tags.append(db)
    assert db.posts == [post]
    py.posts.append(post)
    assert post.tags == [db, py]
    post.tags.remove(db)
    assert db.posts == []
    other.tags = [py]
    assert py.posts == [post, other]
    py.posts.remove(other)
    assert other.tags == []
    with pytest.raises(exc.ArgumentError, match="takes Tag objects"):
        post.tags.append(other)  # type: ignore[arg-type]
    with pytest.raises(exc.ArgumentError, match="is a collection"):
        post.tags = None  # type: ignore[assignment]


def test_single_parent_is_enforced_in_memory() -> None:
    rock, jazz = Playlist(name="rock"), Playlist(name="jazz")
    song = Song(title="s")
    rock.songs.append(song)
    with pytest.raises(exc.InvalidRequestError, match="single_parent=True"):
        jazz.songs.append(song)
    assert jazz.songs == [] and song.playlists == [rock]
    rock.songs.remove(song)
    jazz.songs.append(song)  # free again
    assert song.playlists == [jazz]


# -- loading -------------------------------------------------------------------------------


async def test_selectinload_both_sides(orm: Any, make_session: Any, query_counter: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            posts = (
                await session.scalars(
                    select(Post).options(selectinload(Post.tags)).order_by(Post.title)
                )
            ).all()
        queries.assert_count(2)  # the posts, then every tag of them in one SELECT
        assert "m2m_post_tags" in queries.statements[1].sql
        assert [(p.title, [t.name for t in p.tags]) for p in posts] == [
            ("ann", ["db", "py"]),  # order_by="Tag.name"
            ("bob", ["py"]),
            ("cat", []),
        ]
        assert posts[0].tags[1] is posts[1].tags[0]  # one object per row
        with query_counter(unwrap(orm)) as queries:
            tags = (
                await session.scalars(
                    select(Tag).options(selectinload(Tag.posts)).order_by(Tag.name)
                )
            ).all()
        queries.assert_count(2)
        assert [(t.name, [p.title for p in t.posts]) for t in tags] == [
            ("db", ["ann"]),
            ("go", []),
            ("py", ["ann", "bob"]),  # order_by=lambda: Post.title
        ]
        assert tags[0].posts[0] is posts[0]


async def test_selectinload_chained_and_populate_existing(
    orm: Any, make_session: Any, query_counter: Any
) -> None:
    await _seed(make_session)
    async with make_session() as session:
        with query_counter(unwrap(orm)) as queries:
            ann = (
                await session.scalars(
                    select(Post)
                    .where(Post.title == "ann")
                    .options(selectinload(Post.tags).selectinload(Tag.posts))
                )
            ).one()
        queries.assert_count(3)
        assert {p.title for t in ann.tags for p in t.posts} == {"ann", "bob"}
    async with make_session() as session:
        # a joined collection in the second query repeats its rows: each tag comes once
        stmt = select(Post).options(selectinload(Post.tags).joinedload(Tag.posts))
        posts = (await session.scalars(stmt.order_by(Post.title))).all()
        assert [[t.name for t in p.tags] for p in posts] == [["db", "py"], ["py"], []]
        assert [p.title for p in posts[1].tags[0].posts] == ["ann", "bob"]
        ann = posts[0]
        await session.execute(post_tags.delete().where(post_tags.c.post_id == ann.id))
        stmt = select(Post).where(Post.id == ann.id).options(selectinload(Post.tags))
        await session.scalars(stmt)
        assert len(ann.tags) == 2  # loaded already: kept
        await session.scalars(stmt.execution_options(populate_existing=True))
        assert ann.tags == []


async def test_joinedload(orm: Any, make_session: Any, query_counter: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        stmt = select(Post).options(joinedload(Post.tags)).order_by(Post.title)
        with query_counter(unwrap(orm)) as queries:
            posts = (await session.execute(stmt)).unique().scalars().all()
        queries.assert_count(1)
        assert "LEFT OUTER JOIN m2m_post_tags" in queries.statements[0].sql
        assert [(p.title, [t.name for t in p.tags]) for p in posts] == [
            ("ann", ["db", "py"]),
            ("bob", ["py"]),
            ("cat", []),
        ]
    async with make_session() as session:
        stmt = select(Post).options(joinedload(Post.tags, innerjoin=True)).order_by(Post.title)
        posts = (await session.execute(stmt)).unique().scalars().all()
        assert [p.title for p in posts] == ["ann", "bob"]  # cat has no tag
    async with make_session() as session:
        stmt = (
            select(Tag)
            .options(joinedload(Tag.posts).selectinload(Post.tags))
            .order_by(Tag.name.desc())
            .limit(1)
        )
        (py,) = (await session.execute(stmt)).unique().scalars().all()
        assert py.name == "py" and [p.title for p in py.posts] == ["ann", "bob"]
        assert [t.name for t in py.posts[0].tags] == ["db", "py"]


async def test_lazy_load_and_the_async_error(orm: Any, make_session: Any, is_async: bool) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = await _one(session, Post, title="ann")
        if is_async:
            with pytest.raises(exc.UnloadedAttributeError) as caught:
                ann.tags  # noqa: B018
            message = str(caught.value)
            assert "Post.tags is not loaded" in message
            assert ".options(selectinload(Post.tags))" in message
            assert "await post.awaitable_attrs.tags" in message
        else:
            assert [t.name for t in ann.tags] == ["db", "py"]  # a lazy load
            assert [p.title for p in ann.tags[1].posts] == ["ann", "bob"]
    async with make_session() as session:
        ann = await _one(session, Post, title="ann")
        tags = await ann.awaitable_attrs.tags
        assert [t.name for t in tags] == ["db", "py"]
        py = tags[1]
        await session.refresh(py, ["posts"])
        assert [p.title for p in py.posts] == ["ann", "bob"]


async def test_raise_and_noload(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = (
            await session.scalars(
                select(Post).where(Post.title == "ann").options(raiseload(Post.tags))
            )
        ).one()
        with pytest.raises(exc.InvalidRequestError, match=r"lazy='raise'.*selectinload"):
            ann.tags  # noqa: B018
    async with make_session() as session:
        ann = (
            await session.scalars(
                select(Post).where(Post.title == "ann").options(noload(Post.tags))
            )
        ).one()
        assert ann.tags == []


async def test_default_lazy_strategies(engine: Any, make_session: Any) -> None:
    class LBase(DeclarativeBase):
        pass

    links = Table(
        "m2m_lazy_links",
        LBase.metadata,
        Column("a_id", ForeignKey("m2m_lazy_a.id"), primary_key=True),
        Column("b_id", ForeignKey("m2m_lazy_b.id"), primary_key=True),
    )

    class A(LBase):
        __tablename__ = "m2m_lazy_a"
        id: Mapped[int] = mapped_column(primary_key=True)
        bs: Mapped[list[B]] = relationship(secondary=links, lazy="selectin")
        joined_bs: Mapped[list[B]] = relationship(secondary=links, lazy="joined", viewonly=True)
        raising_bs: Mapped[list[B]] = relationship(secondary=links, lazy="raise", viewonly=True)

    class B(LBase):
        __tablename__ = "m2m_lazy_b"
        id: Mapped[int] = mapped_column(primary_key=True)

    async with engine.begin() as conn:
        await conn.run_sync(LBase.metadata.drop_all)
        await conn.run_sync(LBase.metadata.create_all)
    try:
        async with make_session() as session:
            session.add(A(bs=[B(), B()]))
            await session.commit()
        async with make_session() as session:
            a = (await session.execute(select(A))).unique().scalar_one()
            assert len(a.bs) == 2 and len(a.joined_bs) == 2
            with pytest.raises(exc.InvalidRequestError, match="lazy='raise'"):
                a.raising_bs  # noqa: B018
    finally:
        async with engine.begin() as conn:
            await conn.run_sync(LBase.metadata.drop_all)


# -- querying ----------------------------------------------------------------------------


async def test_joins_any_contains_with_parent(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        counts = await session.execute(
            select(Post.title, func.count(Tag.id))
            .outerjoin(Post.tags)
            .group_by(Post.title)
            .order_by(Post.title)
        )
        assert [tuple(r) for r in counts.all()] == [("ann", 2), ("bob", 1), ("cat", 0)]
        titles = await session.scalars(
            select(Post.title).join(Tag, Post.tags).where(Tag.name == "db")
        )
        assert titles.all() == ["ann"]
        titles = await session.scalars(
            select(Post.title).where(Post.tags.any(Tag.name == "py")).order_by(Post.title)
        )
        assert titles.all() == ["ann", "bob"]
        untagged = await session.scalars(select(Post.title).where(~Post.tags.any()))
        assert untagged.all() == ["cat"]
        with pytest.raises(exc.InvalidRequestError, match="recursion_depth option on"):
            await session.scalars(select(Post).options(selectinload(Post.tags, recursion_depth=2)))
        unused = await session.scalars(select(Tag.name).where(~Tag.posts.any()))
        assert unused.all() == ["go"]
        by_name = await session.scalars(select(Tag.name).where(Tag.posts.any(title="bob")))
        assert by_name.all() == ["py"]
        py = await _one(session, Tag, name="py")
        titles = await session.scalars(
            select(Post.title).where(with_parent(py, Tag.posts)).order_by(Post.title)
        )
        assert titles.all() == ["ann", "bob"]
        titles = await session.scalars(select(Post.title).where(Post.tags.contains(py)))
        assert sorted(titles.all()) == ["ann", "bob"]
        # joined already, the EXISTS still has its own secondary and tags rows
        both = await session.scalars(
            select(Post.title)
            .join(Post.tags)
            .where(Tag.name == "db", Post.tags.any(Tag.name == "py"))
        )
        assert both.all() == ["ann"]
        first, second = aliased(Tag), aliased(Tag)
        titles = await session.scalars(
            select(Post.title)
            .join(first, Post.tags)
            .where(first.name == "db")
            .where(Post.id.in_(select(Post.id).join(second, Post.tags).where(second.name == "py")))
        )
        assert titles.all() == ["ann"]
        pairs = await session.execute(
            select(Post, Tag).join(Post.tags).order_by(Post.title, Tag.name)
        )
        assert [(p.title, t.name) for p, t in pairs.all()] == [
            ("ann", "db"),
            ("ann", "py"),
            ("bob", "py"),
        ]


# -- the unit of work ------------------------------------------------------------------------


async def test_new_objects_insert_their_links_once(
    orm: Any, make_session: Any, query_counter: Any
) -> None:
    async with make_session() as session:
        db, py = Tag(name="db"), Tag(name="py")
        ann = Post(title="ann", tags=[db, py])
        bob = Post(title="bob")
        py.posts.append(bob)  # the other side
        session.add_all([ann, bob])
        with query_counter(unwrap(orm)) as queries:
            await session.flush()
        inserts = [q for q in queries.statements if "m2m_post_tags" in q.sql]
        assert len(inserts) == 1 and inserts[0].sql.startswith("INSERT")  # one executemany
        assert len(inserts[0].params) == 3  # each link once, though both sides hold it
        last = queries.statements[-1]
        assert last is inserts[0]  # after both sides are in
        await session.commit()
    assert await _links(make_session) == [("ann", "db"), ("ann", "py"), ("bob", "py")]


async def test_changes_add_and_remove_links(
    orm: Any, make_session: Any, query_counter: Any
) -> None:
    await _seed(make_session)
    async with make_session() as session:
        posts = (
            await session.scalars(
                select(Post).options(selectinload(Post.tags)).order_by(Post.title)
            )
        ).all()
        ann, bob, cat = posts
        db, py = ann.tags
        go = await _one(session, Tag, name="go")
        ann.tags.remove(py)
        ann.tags.append(go)
        cat.tags.extend([db, Tag(name="rust")])
        history = inspect(ann).attrs.tags.history
        assert history.added == [go] and history.deleted == [py]
        with query_counter(unwrap(orm)) as queries:
            await session.commit()
        writes = [q.sql.split()[0] for q in queries.statements if "m2m_post_tags" in q.sql]
        assert writes == ["DELETE", "INSERT"]  # one statement each
    assert await _links(make_session) == [
        ("ann", "db"),
        ("ann", "go"),
        ("bob", "py"),
        ("cat", "db"),
        ("cat", "rust"),
    ]
    async with make_session() as session:
        py = (
            await session.scalars(
                select(Tag).options(selectinload(Tag.posts)).filter_by(name="py")
            )
        ).one()
        bob = py.posts[0]
        ann = await _one(session, Post, title="ann")
        py.posts.remove(bob)  # from the other side, with only this side loaded
        py.posts.append(ann)
        await session.commit()
    assert ("ann", "py") in await _links(make_session)
    assert ("bob", "py") not in await _links(make_session)


async def test_assigning_an_unloaded_collection_replaces_the_links(
    orm: Any, make_session: Any
) -> None:
    await _seed(make_session)
    async with make_session() as session:
        ann = await _one(session, Post, title="ann")
        go = await _one(session, Tag, name="go")
        ann.tags = [go]  # ann's links were never loaded: they all go
        await session.commit()
    assert await _links(make_session) == [("ann", "go"), ("bob", "py")]


async def test_deleting_an_object_deletes_its_links(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        py = await _one(session, Tag, name="py")
        await session.delete(py)  # its links are not loaded: deleted by its key
        await session.commit()
    assert await _links(make_session) == [("ann", "db")]
    async with make_session() as session:
        ann = await _one(session, Post, title="ann")
        await session.delete(ann)
        await session.commit()
        tags = await session.scalars(select(Tag.name).order_by(Tag.name))
        assert tags.all() == ["db", "go"]  # no delete cascade: the tags stay
    assert await _links(make_session) == []


async def test_passive_deletes_leave_it_to_the_database(
    orm: Any, make_session: Any, query_counter: Any
) -> None:
    async with make_session() as session:
        news = Label(name="news")
        session.add_all([Article(title="a", labels=[news]), Article(title="b", labels=[news])])
        await session.commit()
    async with make_session() as session:
        a = await _one(session, Article, title="a")
        await session.delete(a)
        with query_counter(unwrap(orm)) as queries:
            await session.commit()
        assert not any("m2m_article_labels" in q.sql for q in queries.statements)
    async with make_session() as session:
        rows = await session.execute(select(article_labels))
        assert len(rows.all()) == 1  # ON DELETE CASCADE took a's link
        news = await _one(session, Label, name="news")
        assert [x.title for x in await news.awaitable_attrs.articles] == ["b"]
        await session.delete(news)  # Label.articles (the backref) deletes its links
        await session.commit()
        assert (await session.execute(select(article_labels))).all() == []


async def test_delete_cascade_and_orphans(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        session.add_all(
            [
                Playlist(name="rock", songs=[Song(title="r1"), Song(title="r2")]),
                Playlist(name="jazz", songs=[Song(title="j1")]),
            ]
        )
        await session.commit()
    async with make_session() as session:
        rock = (
            await session.scalars(
                select(Playlist).filter_by(name="rock").options(selectinload(Playlist.songs))
            )
        ).one()
        r1 = next(s for s in rock.songs if s.title == "r1")
        rock.songs.remove(r1)  # delete-orphan (single_parent=True): the song goes
        await session.commit()
        assert inspect(r1).was_deleted
    async with make_session() as session:
        jazz = await _one(session, Playlist, name="jazz")
        await session.delete(jazz)  # cascade delete, the songs not loaded: loaded first
        await session.commit()
        songs = await session.scalars(select(Song.title))
        assert songs.all() == ["r2"]
        links = await session.execute(select(playlist_songs))
        assert len(links.all()) == 1


async def test_viewonly_writes_nothing(orm: Any, make_session: Any, query_counter: Any) -> None:
    async with make_session() as session:
        flour, egg = Ingredient(name="flour"), Ingredient(name="egg")
        cake = Recipe(
            name="cake",
            links=[
                RecipeIngredient(ingredient=flour, amount="200g", position=1),
                RecipeIngredient(ingredient=egg, amount="2", position=2),
            ],
        )
        session.add(cake)
        await session.commit()
    async with make_session() as session:
        cake = (
            await session.scalars(
                select(Recipe).options(
                    selectinload(Recipe.ingredients),
                    selectinload(Recipe.links).joinedload(RecipeIngredient.ingredient),
                )
            )
        ).one()
        assert [i.name for i in cake.ingredients] == ["egg", "flour"]
        assert [(x.ingredient.name, x.amount) for x in cake.links] == [
            ("flour", "200g"),
            ("egg", "2"),
        ]
        cake.ingredients.append(Ingredient(name="sugar"))  # viewonly: no link written
        cake.ingredients.pop(0)
        with query_counter(unwrap(orm)) as queries:
            await session.commit()
        assert not any("m2m_recipe_ingredients" in q.sql for q in queries.statements)
    async with make_session() as session:
        rows = await session.execute(
            select(Ingredient.name)
            .select_from(Recipe)
            .join(Recipe.ingredients)
            .where(Recipe.name == "cake")
            .order_by(Ingredient.name)
        )
        assert rows.scalars().all() == ["egg", "flour"]


async def test_association_object_pattern(orm: Any, make_session: Any) -> None:
    async with make_session() as session:
        flour, egg, milk = (
            Ingredient(name="flour"),
            Ingredient(name="egg"),
            Ingredient(name="milk"),
        )
        session.add_all(
            [
                Recipe(
                    name="cake",
                    links=[
                        RecipeIngredient(ingredient=flour, amount="200g", position=1),
                        RecipeIngredient(ingredient=egg, amount="2", position=2),
                    ],
                ),
                Recipe(
                    name="pancake",
                    links=[
                        RecipeIngredient(ingredient=milk, amount="1l", position=1),
                        RecipeIngredient(ingredient=flour, amount="100g", position=2),
                    ],
                ),
            ]
        )
        await session.commit()
    async with make_session() as session:
        flour = (
            await session.scalars(
                select(Ingredient)
                .filter_by(name="flour")
                .options(selectinload(Ingredient.links).joinedload(RecipeIngredient.recipe))
            )
        ).one()
        assert sorted((x.recipe.name, x.amount) for x in flour.links) == [
            ("cake", "200g"),
            ("pancake", "100g"),
        ]
        cake = next(x.recipe for x in flour.links if x.recipe.name == "cake")
        link = await session.get(RecipeIngredient, (cake.id, flour.id))
        assert link is not None and link.amount == "200g"
        link.amount = "250g"  # an extra column of the association row
        cake_links = await cake.awaitable_attrs.links
        egg_link = next(x for x in cake_links if x.ingredient_id != flour.id)
        cake_links.remove(egg_link)  # delete-orphan on the association class
        await session.commit()
    async with make_session() as session:
        names = await session.scalars(
            select(Ingredient.name).where(Ingredient.links.any(RecipeIngredient.amount == "250g"))
        )
        assert names.all() == ["flour"]
        rows = await session.execute(
            select(Recipe.name, Ingredient.name)
            .join(Recipe.ingredients)  # the viewonly secondary, in a join
            .order_by(Recipe.name, Ingredient.name)
        )
        assert [tuple(r) for r in rows.all()] == [
            ("cake", "flour"),
            ("pancake", "flour"),
            ("pancake", "milk"),
        ]


async def test_failed_flush_keeps_the_collections(orm: Any, make_session: Any) -> None:
    await _seed(make_session)
    async with make_session() as session:
        duplicate = Tag(name="py")  # the name is taken: the INSERT fails
        post = Post(title="dan", tags=[duplicate])
        session.add(post)
        with pytest.raises(exc.IntegrityError):
            await session.flush()
        assert post.tags == [duplicate] and duplicate.posts == [post]
        await session.rollback()
        assert inspect(post).pending and post.tags == [duplicate]
        post.tags.remove(duplicate)
        session.expunge(duplicate)
        post.tags.append(await _one(session, Tag, name="py"))
        await session.commit()
    assert ("dan", "py") in await _links(make_session)
    async with make_session() as session:
        bob = (
            await session.scalars(
                select(Post).filter_by(title="bob").options(selectinload(Post.tags))
            )
        ).one()
        db = await _one(session, Tag, name="db")
        # the link is made behind the session's back: the flush's INSERT conflicts
        await session.execute(insert(post_tags).values(post_id=bob.id, tag_id=db.id))
        bob.tags.append(db)
        with pytest.raises(exc.IntegrityError):
            await session.flush()
        history = inspect(bob).attrs.tags.history
        assert history.added == [db] and [t.name for t in bob.tags] == ["py", "db"]
        await session.rollback()  # usable again; the link was rolled back too
        bob = (
            await session.scalars(
                select(Post).filter_by(title="bob").options(selectinload(Post.tags))
            )
        ).one()
        assert [t.name for t in bob.tags] == ["py"]
        bob.tags.append(await _one(session, Tag, name="db"))
        await session.commit()
    assert ("bob", "db") in await _links(make_session)


# -- configuration errors ----------------------------------------------------------------------


def _declare(**rel: Any) -> Any:
    """A fresh base with a Left / Right pair linked by ``rel`` (and the links table)."""

    class EBase(DeclarativeBase):
        pass

    Table(
        "e_links",
        EBase.metadata,
        Column("left_id", ForeignKey("e_left.id")),
        Column("other_left_id", ForeignKey("e_left.id")),
        Column("right_id", ForeignKey("e_right.id")),
        Column("note", String(10)),
    )
    Table("e_plain", EBase.metadata, Column("id", Integer, primary_key=True))

    class Left(EBase):
        __tablename__ = "e_left"
        id: Mapped[int] = mapped_column(primary_key=True)
        rights = relationship("Right", **rel)

    class Right(EBase):
        __tablename__ = "e_right"
        id: Mapped[int] = mapped_column(primary_key=True)

    return EBase


def test_configuration_errors() -> None:
    with pytest.raises(exc.ArgumentError, match=r"Left\.rights.*more than one foreign key"):
        _declare(secondary="e_links").registry.configure()
    ok = _declare(secondary="e_links", primaryjoin="Left.id == e_links.c.left_id")
    ok.registry.configure()
    left = ok.registry._classes["Left"][0]
    assert [s.name for _, s in left.rights.prop.parent_pairs] == ["left_id"]
    with pytest.raises(exc.ArgumentError, match=r"Left\.rights.*no foreign key to 'e_left'"):
        _declare(secondary="e_plain").registry.configure()
    with pytest.raises(exc.ArgumentError, match=r"Left\.rights: secondary='nope' names no table"):
        _declare(secondary="nope").registry.configure()
    with pytest.raises(exc.ArgumentError, match="secondary= takes the association Table"):
        _declare(secondary=42).registry.configure()
    with pytest.raises(exc.ArgumentError, match="must compare columns"):
        _declare(
            secondary="e_links", primaryjoin="Left.id > e_links.c.left_id"
        ).registry.configure()
    with pytest.raises(exc.ArgumentError, match="delete-orphan cascade needs single_parent=True"):
        _declare(
            secondary="e_links",
            primaryjoin="Left.id == e_links.c.left_id",
            cascade="all, delete-orphan",
        ).registry.configure()
    with pytest.raises(exc.ArgumentError, match="only one of them goes through secondary="):

        class MBase(DeclarativeBase):
            pass

        links = Table(
            "m_links",
            MBase.metadata,
            Column("a_id", ForeignKey("m_a.id")),
            Column("b_id", ForeignKey("m_b.id")),
        )

        class A(MBase):
            __tablename__ = "m_a"
            id: Mapped[int] = mapped_column(primary_key=True)
            b_id: Mapped[int | None] = mapped_column(ForeignKey("m_b.id"))
            bs = relationship("B", secondary=links, back_populates="a")

        class B(MBase):
            __tablename__ = "m_b"
            id: Mapped[int] = mapped_column(primary_key=True)
            a = relationship("A", back_populates="bs", uselist=True)

        MBase.registry.configure()


def test_backref_keywords_reach_the_reverse() -> None:
    class BBase(DeclarativeBase):
        pass

    links = Table(
        "b_links",
        BBase.metadata,
        Column("a_id", ForeignKey("b_a.id"), primary_key=True),
        Column("b_id", ForeignKey("b_b.id"), primary_key=True),
    )

    class A(BBase):
        __tablename__ = "b_a"
        id: Mapped[int] = mapped_column(primary_key=True)
        bs = relationship("B", links, backref=backref("as_", lazy="selectin"))  # positional

    class B(BBase):
        __tablename__ = "b_b"
        id: Mapped[int] = mapped_column(primary_key=True)

    BBase.registry.configure()
    reverse = B.as_.prop  # type: ignore[attr-defined]
    assert reverse.secondary is links and reverse.lazy == "selectin"
    assert reverse.reverse is A.bs.prop
    a, b = A(), B()
    a.bs.append(b)
    assert b.as_ == [a]  # type: ignore[attr-defined]

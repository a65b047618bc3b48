"""The expression language compiled to SQL text, per dialect (no database)."""

from __future__ import annotations

import pytest

from ferryman import (
    CheckConstraint,
    Column,
    CreateIndex,
    CreateTable,
    DateTime,
    DropTable,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    Numeric,
    String,
    Table,
    UniqueConstraint,
    and_,
    bindparam,
    cast,
    delete,
    exc,
    func,
    insert,
    literal_column,
    not_,
    or_,
    select,
    text,
    update,
)
from ferryman.dialects.postgresql import PGDialect
from ferryman.dialects.sqlite import SQLiteDialect

SQLITE = SQLiteDialect("pysqlite")
PG = PGDialect("numeric_dollar", "asyncpg")
PSYCOPG = PGDialect("format", "psycopg")

metadata = MetaData()
users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(50), nullable=False),
    Column("age", Integer),
)
posts = Table(
    "posts",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(100)),
)


def sql(statement: object, dialect: object = None) -> str:
    return statement.compile(dialect=dialect).string  # type: ignore[attr-defined]


def test_select_where_order_limit() -> None:
    stmt = (
        select(users.c.id, users.c.name)
        .where(users.c.name == "ada")
        .where(users.c.age > 30)
        .order_by(users.c.id.desc())
        .limit(10)
        .offset(5)
    )
    assert str(stmt) == (
        "SELECT users.id, users.name FROM users WHERE users.name = :name_1 AND users.age > "
        ":age_1 ORDER BY users.id DESC LIMIT :limit OFFSET :offset"
    )
    assert stmt.compile().params == {"name_1": "ada", "age_1": 30, "limit": 10, "offset": 5}
    assert sql(stmt, PG).endswith(
        "WHERE users.name = $1 AND users.age > $2 ORDER BY users.id DESC LIMIT $3 OFFSET $4"
    )
    assert "users.name = ? AND users.age > ?" in sql(stmt, SQLITE)
    assert "users.name = %s AND users.age > %s" in sql(stmt, PSYCOPG)


def test_select_whole_table_and_functions() -> None:
    assert str(select(users)) == "SELECT users.id, users.name, users.age FROM users"
    assert str(select(func.count()).select_from(users)) == "SELECT count(*) FROM users"
    stmt = select(func.max(users.c.age).label("oldest"), func.lower(users.c.name))
    assert str(stmt) == "SELECT max(users.age) AS oldest, lower(users.name) FROM users"
    assert isinstance(func.count().type, Integer)
    assert isinstance(func.now().type, DateTime)


def test_joins_infer_the_on_clause() -> None:
    stmt = select(users.c.name, posts.c.title).join(posts)
    assert str(stmt) == (
        "SELECT users.name, posts.title FROM users JOIN posts ON posts.user_id = users.id"
    )
    outer = select(users.c.name).outerjoin(posts, users.c.id == posts.c.user_id)
    assert "FROM users LEFT OUTER JOIN posts ON users.id = posts.user_id" in str(outer)
    joined = select(posts.c.title).join_from(users, posts, full=True)
    assert "FROM users FULL OUTER JOIN posts ON posts.user_id = users.id" in str(joined)
    other = Table("other", MetaData(), Column("id", Integer, primary_key=True))
    with pytest.raises(exc.ArgumentError, match="foreign key"):
        select(users).join(other)


def test_correlation_and_correlate_except() -> None:
    inner = select(literal_column("1")).select_from(posts).where(posts.c.user_id == users.c.id)
    outer = select(users.c.name).where(inner.exists())
    assert str(outer) == (
        "SELECT users.name FROM users WHERE EXISTS (SELECT 1 FROM posts WHERE posts.user_id"
        " = users.id)"
    )
    # the enclosing statement has posts too: the subquery keeps its own only when told
    joined = select(users.c.name).join(posts).where(posts.c.title == "x")
    plain = joined.where(inner.exists())
    assert "EXISTS (SELECT 1 FROM posts, users WHERE" in str(plain)  # nothing left to share
    own = joined.where(inner.correlate_except(posts).exists())
    assert "EXISTS (SELECT 1 FROM posts WHERE posts.user_id = users.id)" in str(own)
    assert inner.correlate_except(posts)._key([]) != inner._key([])


def test_group_by_having_distinct() -> None:
    stmt = (
        select(users.c.name, func.count(posts.c.id))
        .join(posts)
        .group_by(users.c.name)
        .having(func.count(posts.c.id) > 1)
        .distinct()
    )
    assert str(stmt) == (
        "SELECT DISTINCT users.name, count(posts.id) FROM users JOIN posts ON posts.user_id = "
        "users.id GROUP BY users.name HAVING count(posts.id) > :count_1"
    )


def test_operators() -> None:
    c = users.c
    assert str(c.age + 1 > 5) == "users.age + :age_1 > :param_1"
    assert str((c.age + 1) * 2) == "(users.age + :age_1) * :param_1"
    assert str(c.name == None) == "users.name IS NULL"  # noqa: E711
    assert str(c.name != None) == "users.name IS NOT NULL"  # noqa: E711
    assert str(c.age.between(1, 9)) == "users.age BETWEEN :age_1 AND :age_2"
    assert str(or_(c.id == 1, and_(c.age < 3, c.name.is_not(None)))) == (
        "users.id = :id_1 OR users.age < :age_1 AND users.name IS NOT NULL"
    )
    assert str(and_(or_(c.id == 1, c.id == 2), c.age < 3)) == (
        "(users.id = :id_1 OR users.id = :id_2) AND users.age < :age_1"
    )
    assert str(not_(c.id == 1)) == "NOT (users.id = :id_1)"
    assert str(~(c.id == 1) & (c.age > 2)) == "NOT (users.id = :id_1) AND users.age > :age_1"
    assert str(c.name + "x") == "users.name || :name_1"
    assert str(c.age.desc().nulls_last()) == "users.age DESC NULLS LAST"
    assert str(cast(c.age, Numeric(10, 2))) == "CAST(users.age AS NUMERIC(10, 2))"
    assert str(literal_column("1") + 1) == "1 + :param_1"
    with pytest.raises(exc.ArgumentError, match="Boolean value"):
        bool(c.id > 1)


def test_like_family_and_escaping() -> None:
    c = users.c
    assert str(c.name.like("a%")) == "users.name LIKE :name_1"
    assert str(c.name.like("a/%", escape="/")) == "users.name LIKE :name_1 ESCAPE '/'"
    stmt = c.name.contains("50%_off", autoescape=True)
    assert str(stmt) == "users.name LIKE :name_1 ESCAPE '/'"
    compiled = select(users.c.id).where(stmt).compile()
    assert compiled.params == {"name_1": "%50/%/_off%"}
    assert compiled.string.endswith("ESCAPE '/'")
    assert sql(c.name.ilike("ADA"), SQLITE) == "lower(users.name) LIKE lower(?)"
    assert sql(c.name.ilike("ADA"), PG) == "users.name ILIKE $1"
    assert str(c.name.startswith("a")) == "users.name LIKE :name_1"
    assert select(c.id).where(c.name.endswith("z")).compile().params == {"name_1": "%z"}


def test_in_lists_share_one_compiled_form() -> None:
    stmt = select(users.c.id).where(users.c.id.in_([1, 2, 3]))
    assert str(stmt) == "SELECT users.id FROM users WHERE users.id IN :id_1"
    compiled = stmt.compile(dialect=PG)
    assert compiled.render([[1, 2, 3]]) == (
        "SELECT users.id FROM users WHERE users.id IN ($1, $2, $3)",
        [1, 2, 3],
    )
    empty_sql, values = compiled.render([[]])
    assert empty_sql.endswith("IN (SELECT CAST(NULL AS INTEGER) WHERE 1 = 0)") and values == []
    not_in = select(users.c.id).where(users.c.name.not_in(["a"])).compile(dialect=SQLITE)
    assert not_in.render([["a", "b"]])[0].endswith("users.name NOT IN (?, ?)")
    with pytest.raises(exc.ArgumentError, match="list"):
        users.c.id.in_(5)


def test_named_bindparam_and_text_in_expressions() -> None:
    stmt = select(users.c.id).where(users.c.name == bindparam("who"))
    assert str(stmt) == "SELECT users.id FROM users WHERE users.name = :who"
    where_text = select(users.c.id).where(text("users.age > :min_age"))
    assert sql(where_text, PG) == "SELECT users.id FROM users WHERE users.age > $1"


def test_insert_update_delete() -> None:
    assert str(insert(users).values(name="ada", age=3)) == (
        "INSERT INTO users (name, age) VALUES (:name, :age)"
    )
    rows = insert(users).values([{"name": "a"}, {"name": "b"}])
    assert str(rows) == "INSERT INTO users (name) VALUES (:name_1), (:name_2)"
    returning = insert(users).values(name="x").returning(users.c.id, users.c.name)
    assert (
        sql(returning, PG) == "INSERT INTO users (name) VALUES ($1) RETURNING users.id, users.name"
    )
    assert str(insert(users)) == "INSERT INTO users DEFAULT VALUES"
    upd = update(users).where(users.c.id == 5).values(age=users.c.age + 1)
    assert str(upd) == "UPDATE users SET age = users.age + :age_1 WHERE users.id = :id_1"
    assert (
        str(delete(users).where(users.c.age < 18)) == "DELETE FROM users WHERE users.age < :age_1"
    )
    with pytest.raises(exc.ArgumentError, match="no column"):
        insert(users).values(nope=1)
    with pytest.raises(exc.ArgumentError, match="no WHERE"):
        insert(users).where(users.c.id == 1)


def test_insert_columns_from_execute_parameters() -> None:
    from ferryman.sql import compile_element

    compiled = compile_element(insert(users), SQLITE, param_names=("age", "name"))
    assert compiled.string == "INSERT INTO users (age, name) VALUES (?, ?)"
    assert compiled.values([], {"name": "a", "age": 1}) == [1, "a"]
    with pytest.raises(exc.StatementError, match="value is required"):
        compiled.values([], {"name": "a"})


def test_quoting_of_identifiers() -> None:
    weird = Table(
        "User Data",
        MetaData(),
        Column("order", Integer, primary_key=True),
        Column("camelCase", String(10)),
        Column('say "hi"', String(10)),
    )
    assert str(select(weird)) == (
        'SELECT "User Data"."order", "User Data"."camelCase", "User Data"."say ""hi""" '
        'FROM "User Data"'
    )


def test_create_table_ddl() -> None:
    meta = MetaData()
    items = Table(
        "items",
        meta,
        Column("id", Integer, primary_key=True),
        Column("code", String(20), nullable=False, unique=True),
        Column("price", Numeric(10, 2), server_default="0"),
        Column("created_at", DateTime(timezone=True), server_default=func.now()),
        Column("owner_id", ForeignKey("owners.id", ondelete="SET NULL")),
        CheckConstraint("price >= 0", name="price_positive"),
        UniqueConstraint("code", "owner_id", name="uq_code_owner"),
        Index("ix_items_price", "price"),
    )
    Table("owners", meta, Column("id", Integer, primary_key=True))
    sqlite = sql(CreateTable(items), SQLITE)
    assert sqlite == (
        "CREATE TABLE items (\n\tid INTEGER NOT NULL,\n\tcode VARCHAR(20) NOT NULL,\n"
        "\tprice NUMERIC(10, 2) DEFAULT '0',\n\tcreated_at DATETIME DEFAULT (CURRENT_TIMESTAMP),"
        "\n\towner_id INTEGER,\n\tPRIMARY KEY (id),\n\tUNIQUE (code),\n"
        "\tFOREIGN KEY(owner_id) REFERENCES owners (id) ON DELETE SET NULL,\n"
        "\tCONSTRAINT price_positive CHECK (price >= 0),\n"
        "\tCONSTRAINT uq_code_owner UNIQUE (code, owner_id)\n)"
    )
    pg = sql(CreateTable(items), PG)
    assert "\tid SERIAL NOT NULL," in pg
    assert "created_at TIMESTAMP WITH TIME ZONE DEFAULT (now())" in pg
    assert sql(CreateIndex(items.indexes[0]), PG) == "CREATE INDEX ix_items_price ON items (price)"
    assert sql(DropTable(items), SQLITE) == "DROP TABLE items"
    assert "CREATE TABLE users (" in str(CreateTable(users))


def test_literal_binds_render_values_safely() -> None:
    stmt = select(users.c.id).where(users.c.name == "O'Brien; DROP TABLE users --")
    rendered = stmt.compile(compile_kwargs={"literal_binds": True}).string
    assert rendered == (
        "SELECT users.id FROM users WHERE users.name = 'O''Brien; DROP TABLE users --'"
    )


def test_cache_key_ignores_values_but_not_structure() -> None:
    one: list[object] = []
    two: list[object] = []
    key_a = select(users.c.id).where(users.c.id == 1)._key(one)
    key_b = select(users.c.id).where(users.c.id == 2)._key(two)
    assert key_a == key_b and hash(key_a) == hash(key_b)
    assert [b.value for b in one] == [1] and [b.value for b in two] == [2]  # type: ignore[attr-defined]
    other = select(users.c.id).where(users.c.age == 1)._key([])
    assert other != key_a


def test_bad_select_arguments() -> None:
    with pytest.raises(exc.ArgumentError, match="text"):
        select("id")
    with pytest.raises(exc.ArgumentError, match="non-negative"):
        select(users).limit(-1)


def test_naming_conventions_name_constraints_and_indexes() -> None:
    meta = MetaData(
        naming_convention={
            "pk": "pk_%(table_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "uq": "uq_%(table_name)s_%(column_0N_name)s",
            "ck": "ck_%(table_name)s_%(constraint_name)s",
            "ix": "ix_%(column_0_label)s",
        }
    )
    Table("parents", meta, Column("id", Integer, primary_key=True))
    kids = Table(
        "kids",
        meta,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("parents.id")),
        Column("code", String(5), unique=True, index=True),
        CheckConstraint("id > 0", name="positive"),
    )
    ddl = sql(CreateTable(kids), SQLITE)
    assert "CONSTRAINT pk_kids PRIMARY KEY (id)" in ddl
    assert "CONSTRAINT fk_kids_parent_id_parents FOREIGN KEY(parent_id)" in ddl
    assert "CONSTRAINT uq_kids_code UNIQUE (code)" in ddl
    assert "CONSTRAINT ck_kids_positive CHECK (id > 0)" in ddl
    assert kids.indexes[0].name == "ix_kids_code"
    unnamed = Table("t2", meta, Column("id", Integer, primary_key=True), CheckConstraint("id > 1"))
    with pytest.raises(exc.InvalidRequestError, match="give the CheckConstraint a name"):
        sql(CreateTable(unnamed), SQLITE)


def test_foreign_key_cycles() -> None:
    from ferryman.sql._ddl import sort_tables

    meta = MetaData()
    a = Table(
        "a", meta, Column("id", Integer, primary_key=True), Column("b_id", ForeignKey("b.id"))
    )
    b = Table(
        "b", meta, Column("id", Integer, primary_key=True), Column("a_id", ForeignKey("a.id"))
    )
    with pytest.raises(exc.InvalidRequestError, match="cycle"):
        sort_tables([a, b])
    meta2 = MetaData()
    a2 = Table(
        "a",
        meta2,
        Column("id", Integer, primary_key=True),
        Column("b_id", ForeignKey("b.id", use_alter=True, name="fk_a_b")),
    )
    b2 = Table(
        "b", meta2, Column("id", Integer, primary_key=True), Column("a_id", ForeignKey("a.id"))
    )
    assert [t.name for t in sort_tables([a2, b2])] == ["a", "b"]
    assert "FOREIGN KEY" not in sql(CreateTable(a2), PG)
    from ferryman.sql._ddl import AddConstraint

    assert sql(AddConstraint(a2.foreign_key_constraints[0]), PG) == (
        "ALTER TABLE a ADD CONSTRAINT fk_a_b FOREIGN KEY(b_id) REFERENCES b (id)"
    )


def test_python_side_defaults_become_parameters() -> None:
    meta = MetaData()
    counter = iter(range(100))
    t = Table(
        "d",
        meta,
        Column("id", Integer, primary_key=True),
        Column("kind", String(10), default="plain"),
        Column("seq", Integer, default=lambda: next(counter)),
        Column("touched", Integer, onupdate=lambda: 7),
    )
    compiled = insert(t).values(id=1).compile(dialect=SQLITE)
    assert compiled.string == "INSERT INTO d (id, kind, seq) VALUES (?, ?, ?)"
    binds: list[object] = []
    insert(t).values(id=1)._key(binds)
    assert compiled.values(binds, {}) == [1, "plain", 0]
    assert compiled.values(binds, {}) == [1, "plain", 1]  # callables run per execution
    assert compiled.values(binds, {"kind": "given"}) == [1, "given", 2]
    upd = update(t).values(kind="x").compile(dialect=SQLITE)
    assert upd.string == "UPDATE d SET kind = ?, touched = ?"


def test_a_named_bindparam_without_a_value_must_be_given() -> None:
    from ferryman.sql import compile_element

    stmt = select(users.c.id).where(users.c.name == bindparam("who"))
    compiled = compile_element(stmt, SQLITE)
    binds: list[object] = []
    stmt._key(binds)  # type: ignore[arg-type]
    assert compiled.values(binds, {"who": "ada"}) == ["ada"]
    with pytest.raises(exc.StatementError, match="value is required for bind parameter 'who'"):
        compiled.values(binds, {})
    given = select(users.c.id).where(users.c.name == bindparam("who", None))
    binds = []
    given._key(binds)  # type: ignore[arg-type]
    assert compile_element(given, SQLITE).values(binds, {}) == [None]  # None given: NULL


def test_labels_in_order_by_and_inside_functions() -> None:
    """ORDER BY a label names the selected column (its expression's values are not
    sent again); a label inside a function's argument is its expression alone."""
    shout = (users.c.name + "!").label("shout")
    again = (users.c.name + "!").label("shout")  # another object, same label
    compiled = select(shout).order_by(again).compile(dialect=SQLITE)
    assert compiled.string == "SELECT users.name || ? AS shout FROM users ORDER BY shout"
    assert len(compiled.plan) == 1
    assert sql(select(func.max(users.c.age.label("years")))) == (
        "SELECT max(users.age) FROM users"
    )


def test_a_column_typed_by_its_foreign_key() -> None:
    """A column given only a ForeignKey takes the referenced column's type; its repr
    shows that type (it used to recurse without end)."""
    meta = MetaData()
    Table("fk_parents", meta, Column("id", Integer, primary_key=True))
    kids = Table(
        "fk_kids",
        meta,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("fk_parents.id")),
        Column("other_id", ForeignKey("fk_nowhere.id")),
    )
    assert repr(kids.c.parent_id) == "Column(fk_kids.parent_id, Integer())"
    assert "fk_nowhere.id" in repr(kids.c.other_id)
    assert kids.c.parent_id.type == kids.c.parent_id.type
    assert kids.c.parent_id.type != kids.c.other_id.type

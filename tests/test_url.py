"""Database URLs (pure: no database) and the URL errors of create_engine()."""

from __future__ import annotations

import os
import pickle
import sys

import pytest

from ferryman import URL, create_engine, exc, make_url
from ferryman.asyncio import create_async_engine

PG = os.environ.get("FERRYMAN_TEST_PG", "root@127.0.0.1:5432/test")

SECRET = "p@ss:w/rd?#&=% +x"
ENCODED = "p%40ss%3Aw%2Frd%3F%23%26%3D%25%20%2Bx"


# -- parsing ---------------------------------------------------------------------------


def test_every_part() -> None:
    url = make_url(
        "postgresql+asyncpg://scott:tiger@db.example.com:5433/inventory?sslmode=require"
    )
    assert url.drivername == "postgresql+asyncpg"
    assert url.get_backend_name() == "postgresql"
    assert url.get_driver_name() == "asyncpg"
    assert url.username == "scott"
    assert url.password == "tiger"
    assert url.host == "db.example.com"
    assert url.port == 5433
    assert isinstance(url.port, int)
    assert url.database == "inventory"
    assert dict(url.query) == {"sslmode": "require"}


def test_backend_without_driver() -> None:
    url = make_url("postgresql://localhost/test")
    assert url.get_backend_name() == "postgresql"
    assert url.get_driver_name() is None
    assert url.username is None
    assert url.password is None
    assert url.port is None
    assert dict(url.query) == {}


def test_percent_encoded_password_and_username() -> None:
    url = make_url(f"postgresql://us%40er%3Aname:{ENCODED}@localhost/db")
    assert url.username == "us@er:name"
    assert url.password == SECRET
    assert url.host == "localhost"
    assert url.database == "db"


def test_password_special_chars_round_trip() -> None:
    url = URL.create("postgresql", username="a:b@c", password=SECRET, host="h", database="d")
    text = url.render_as_string(hide_password=False)
    assert SECRET not in text
    again = make_url(text)
    assert again.username == "a:b@c"
    assert again.password == SECRET
    assert again == url


def test_empty_password_and_empty_username() -> None:
    url = make_url("postgresql://user:@host/db")
    assert url.username == "user"
    assert url.password == ""
    url = make_url("postgresql://:pw@host/db")
    assert url.username == ""
    assert url.password == "pw"


def test_user_without_password() -> None:
    url = make_url("postgresql://root@127.0.0.1:5432/test")
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "root",
        None,
        "127.0.0.1",
        5432,
        "test",
    )


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("postgresql://u:p@[::1]:5433/db", "::1", 5433),
        ("postgresql://[2001:db8::7]/db", "2001:db8::7", None),
        ("postgresql://u@[fe80::1:2:3]:6000/db", "fe80::1:2:3", 6000),
    ],
)
def test_ipv6_host(text: str, host: str, port: int | None) -> None:
    url = make_url(text)
    assert url.host == host
    assert url.port == port
    assert url.database == "db"
    # Rendering puts the brackets back, and the result parses to the same URL.
    rendered = url.render_as_string(hide_password=False)
    assert f"[{host}]" in rendered
    assert make_url(rendered) == url


def test_empty_port_is_none() -> None:
    assert make_url("postgresql://host:/db").port is None


def test_query_repeated_keys_and_encoding() -> None:
    url = make_url("postgresql://h/db?opt=a&opt=b&opt=c&name=x%20y%26z&flag=")
    assert url.query["opt"] == ("a", "b", "c")
    assert url.query["name"] == "x y&z"
    assert url.query["flag"] == ""
    again = make_url(url.render_as_string(hide_password=False))
    assert dict(again.query) == dict(url.query)


def test_query_without_database() -> None:
    url = make_url("postgresql://host?application_name=app")
    assert url.database is None
    assert url.host == "host"
    assert dict(url.query) == {"application_name": "app"}


def test_percent_encoded_database() -> None:
    assert make_url("postgresql://h/my%20db").database == "my db"


@pytest.mark.parametrize(
    ("text", "database"),
    [
        ("sqlite://", None),
        ("sqlite:///rel.db", "rel.db"),
        ("sqlite:///sub/dir/rel.db", "sub/dir/rel.db"),
        ("sqlite:////abs/path/app.db", "/abs/path/app.db"),
        ("sqlite:///:memory:", ":memory:"),
        ("sqlite+aiosqlite:///:memory:", ":memory:"),
        ("sqlite+pysqlite:////tmp/x.db", "/tmp/x.db"),
    ],
)
def test_sqlite_forms(text: str, database: str | None) -> None:
    url = make_url(text)
    assert url.get_backend_name() == "sqlite"
    assert url.host is None
    assert url.username is None
    assert url.port is None
    assert url.database == database
    assert url.render_as_string(hide_password=False) == text
    assert make_url(str(url)) == url


def test_sqlite_query() -> None:
    url = make_url("sqlite:///file.db?mode=ro&timeout=5")
    assert url.database == "file.db"
    assert dict(url.query) == {"mode": "ro", "timeout": "5"}


def test_make_url_returns_url_unchanged() -> None:
    url = make_url("sqlite://")
    assert make_url(url) is url


def test_surrounding_whitespace_is_ignored() -> None:
    assert make_url("  postgresql://h/db \n") == make_url("postgresql://h/db")


# -- rendering: the password never leaks -----------------------------------------------


def test_render_as_string() -> None:
    text = "postgresql+psycopg://scott:tiger@localhost:5432/test?a=1&a=2"
    url = make_url(text)
    assert url.render_as_string(hide_password=False) == text
    assert url.render_as_string() == "postgresql+psycopg://scott:***@localhost:5432/test?a=1&a=2"
    assert url.render_as_string(hide_password=True) == url.render_as_string()


def test_render_without_password_has_no_mask() -> None:
    url = make_url("postgresql://root@localhost/test")
    assert url.render_as_string() == "postgresql://root@localhost/test"
    assert "***" not in str(url)


@pytest.mark.parametrize("secret", ["tiger", SECRET, "x"])
def test_repr_and_str_hide_the_password(secret: str) -> None:
    url = URL.create("postgresql", username="scott", password=secret, host="h", database="d")
    for shown in (repr(url), str(url), f"{url}", f"{url!r}", repr([url]), repr({"u": url})):
        assert secret not in shown
        assert "***" in shown
        assert "scott" in shown
    encoded = make_url(url.render_as_string(hide_password=False))
    assert encoded.password == secret


def test_engine_repr_hides_the_password() -> None:
    engine = create_engine("sqlite:///x.db")
    assert "sqlite:///x.db" in repr(engine)
    pg = create_engine("postgresql+psycopg://scott:tiger@localhost/test")
    assert "tiger" not in repr(pg)
    assert "tiger" not in str(pg.url)
    assert pg.url.password == "tiger"


def test_parse_error_does_not_show_the_password() -> None:
    with pytest.raises(exc.ArgumentError) as info:
        make_url("postgresql://scott:tiger@host:notaport/db")
    assert "tiger" not in str(info.value)
    assert "notaport" in str(info.value)


# -- building and changing URLs --------------------------------------------------------


def test_create() -> None:
    url = URL.create(
        "postgresql+asyncpg",
        username="scott",
        password="tiger",
        host="localhost",
        port=5432,
        database="test",
        query={"ssl": "disable"},
    )
    assert url == make_url("postgresql+asyncpg://scott:tiger@localhost:5432/test?ssl=disable")
    assert URL.create("sqlite") == make_url("sqlite://")
    assert dict(URL.create("sqlite").query) == {}


@pytest.mark.parametrize(
    "kwargs",
    [
        {"drivername": ""},
        {"drivername": None},
        {"drivername": "postgresql", "port": "5432"},
        {"drivername": "postgresql", "port": 54.5},
    ],
)
def test_create_rejects_bad_parts(kwargs: dict[str, object]) -> None:
    with pytest.raises(exc.ArgumentError):
        URL.create(**kwargs)  # type: ignore[arg-type]


def test_set_returns_a_new_url() -> None:
    url = make_url("postgresql://scott:tiger@localhost/test")
    other = url.set(host="db2", port=6543, database="prod", password="secret")
    assert other.render_as_string(hide_password=False) == (
        "postgresql://scott:secret@db2:6543/prod"
    )
    assert url.render_as_string(hide_password=False) == "postgresql://scott:tiger@localhost/test"
    assert url.set(drivername="postgresql+asyncpg").get_driver_name() == "asyncpg"
    assert url.set(password=None).render_as_string(hide_password=False) == (
        "postgresql://scott@localhost/test"
    )
    assert dict(url.set(query={"a": "1"}).query) == {"a": "1"}
    assert dict(url.set(query=None).query) == {}


def test_set_rejects_unknown_parts() -> None:
    url = make_url("sqlite://")
    with pytest.raises(exc.ArgumentError, match="hostname"):
        url.set(hostname="x")


def test_set_validates_like_create() -> None:
    url = make_url("postgresql://localhost/test")
    with pytest.raises(exc.ArgumentError, match="port"):
        url.set(port="not a port")
    with pytest.raises(exc.ArgumentError, match="drivername"):
        url.set(drivername="")


def test_update_query_dict() -> None:
    url = make_url("postgresql://h/db?a=1&b=2")
    other = url.update_query_dict({"b": "3", "c": "4"})
    assert dict(other.query) == {"a": "1", "b": "3", "c": "4"}
    assert dict(url.query) == {"a": "1", "b": "2"}
    assert other.render_as_string() == "postgresql://h/db?a=1&b=3&c=4"


def test_url_is_immutable_and_hashable() -> None:
    url = make_url("postgresql://scott:tiger@h/db?a=1")
    with pytest.raises(AttributeError):
        url.host = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        url.query["b"] = "2"  # type: ignore[index]
    assert dict(url.query) == {"a": "1"}
    same = make_url("postgresql://scott:tiger@h/db?a=1")
    assert url == same
    assert hash(url) == hash(same)
    assert len({url, same, make_url("postgresql://scott:tiger@h/db")}) == 2
    assert url != make_url("postgresql://scott:other@h/db?a=1")


def test_url_pickles() -> None:
    url = make_url("postgresql://scott:tiger@h:1/db?a=1&a=2")
    assert pickle.loads(pickle.dumps(url)) == url


# -- bad input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "postgresql://host:abc/db",
        "postgresql://user:pw@host:54x2/db",
        "postgresql://[::1]:port/db",
    ],
)
def test_non_numeric_port(text: str) -> None:
    with pytest.raises(exc.ArgumentError, match="not a number"):
        make_url(text)


@pytest.mark.parametrize("text", ["garbage", "", "://host/db", "post gres://h/db", "sqlite:"])
def test_garbage_string(text: str) -> None:
    with pytest.raises(exc.ArgumentError, match="Could not parse database URL"):
        make_url(text)


@pytest.mark.parametrize("value", [None, 42, b"sqlite://", ["sqlite://"]])
def test_non_string(value: object) -> None:
    with pytest.raises(exc.ArgumentError, match=type(value).__name__):
        make_url(value)  # type: ignore[arg-type]


def test_errors_are_ferryman_errors() -> None:
    with pytest.raises(exc.FerrymanError):
        make_url("nonsense")


# -- create_engine() / create_async_engine() URL errors --------------------------------


@pytest.mark.parametrize("factory", [create_engine, create_async_engine])
def test_unknown_backend(factory: object) -> None:
    with pytest.raises(exc.NoSuchModuleError) as info:
        factory("oracle://scott:tiger@h/db")  # type: ignore[operator]
    message = str(info.value)
    assert "'oracle'" in message
    assert "postgresql" in message
    assert "sqlite" in message
    assert "tiger" not in message
    assert isinstance(info.value, exc.ArgumentError)


@pytest.mark.parametrize("factory", [create_engine, create_async_engine])
def test_unknown_driver(factory: object) -> None:
    with pytest.raises(exc.NoSuchModuleError) as info:
        factory("postgresql+pg8000://h/db")  # type: ignore[operator]
    message = str(info.value)
    assert "'pg8000'" in message
    for known in ("postgresql+asyncpg", "postgresql+psycopg", "postgresql+psycopg_async"):
        assert known in message
    with pytest.raises(exc.NoSuchModuleError, match="sqlite\\+aiosqlite"):
        factory("sqlite+nosuch://")  # type: ignore[operator]


@pytest.mark.parametrize(
    "text", ["sqlite://", "sqlite:///app.db", "sqlite+pysqlite://", "sqlite+sqlite3://"]
)
def test_sync_driver_given_to_create_async_engine(text: str) -> None:
    with pytest.raises(exc.ArgumentError, match="sync driver") as info:
        create_async_engine(text)
    assert "create_async_engine" in str(info.value)
    assert "sqlite+aiosqlite://" in str(info.value)
    assert not isinstance(info.value, exc.NoSuchModuleError)


async def test_psycopg_is_fine_for_create_async_engine() -> None:
    engine = create_async_engine("postgresql+psycopg://h/db")
    assert engine.driver == "psycopg"
    assert engine.name == "postgresql"
    await engine.dispose()
    engine = create_async_engine("postgresql://h/db")
    assert engine.name == "postgresql"
    await engine.dispose()


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("sqlite+aiosqlite://", "sqlite://"),
        ("sqlite+aiosqlite:///app.db", "sqlite://"),
        ("postgresql+asyncpg://h/db", "postgresql+psycopg://"),
        ("postgresql+psycopg_async://h/db", "postgresql+psycopg://"),
    ],
)
def test_async_driver_given_to_create_engine(text: str, hint: str) -> None:
    with pytest.raises(exc.ArgumentError, match="async driver") as info:
        create_engine(text)
    assert "create_async_engine" in str(info.value)
    assert hint in str(info.value)


def _forget(monkeypatch: pytest.MonkeyPatch, package: str, *modules: str) -> None:
    """Make ``import package`` fail, and make ferryman import its adapter modules anew."""
    monkeypatch.setitem(sys.modules, package, None)  # type: ignore[arg-type]
    for name in modules:
        monkeypatch.delitem(sys.modules, name, raising=False)


def test_asyncpg_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget(monkeypatch, "asyncpg", "ferryman.dialects.postgresql._asyncpg")
    with pytest.raises(exc.DriverNotInstalledError) as info:
        create_async_engine("postgresql+asyncpg://h/db")
    message = str(info.value)
    assert "asyncpg" in message
    assert "pip install 'ferryman[postgresql]'" in message
    assert isinstance(info.value, exc.NoSuchModuleError)
    assert isinstance(info.value, ImportError)


@pytest.mark.parametrize(
    ("factory", "text"),
    [
        (create_engine, "postgresql://h/db"),
        (create_engine, "postgresql+psycopg://h/db"),
        (create_async_engine, "postgresql+psycopg_async://h/db"),
    ],
)
def test_psycopg_not_installed(
    monkeypatch: pytest.MonkeyPatch, factory: object, text: str
) -> None:
    _forget(
        monkeypatch,
        "psycopg",
        "ferryman.dialects.postgresql._psycopg",
        "ferryman.dialects.postgresql._psycopg_async",
    )
    with pytest.raises(exc.DriverNotInstalledError, match=r"ferryman\[postgresql\]") as info:
        factory(text)  # type: ignore[operator]
    assert "psycopg" in str(info.value)


def test_aiosqlite_not_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    _forget(monkeypatch, "aiosqlite", "ferryman.dialects.sqlite._aiosqlite")
    with pytest.raises(exc.DriverNotInstalledError, match=r"pip install 'ferryman\[aiosqlite\]'"):
        create_async_engine("sqlite+aiosqlite://")


def test_driver_importable_again_afterwards() -> None:
    # The monkeypatched tests above restored sys.modules: the real drivers load again.
    engine = create_async_engine("postgresql+asyncpg://h/db")
    assert engine.driver == "asyncpg"


@pytest.mark.parametrize("factory", [create_engine, create_async_engine])
def test_unknown_keyword(factory: object) -> None:
    url = "sqlite://" if factory is create_engine else "sqlite+aiosqlite://"
    with pytest.raises(exc.ArgumentError) as info:
        factory(url, pool_sise=5)  # type: ignore[operator]
    message = str(info.value)
    assert "pool_sise" in message
    assert "pool_size" in message
    assert factory.__name__ in message  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("text", "levels"),
    [
        ("sqlite://", ["AUTOCOMMIT", "SERIALIZABLE"]),
        (
            "postgresql+psycopg://h/db",
            [
                "AUTOCOMMIT",
                "READ COMMITTED",
                "READ UNCOMMITTED",
                "REPEATABLE READ",
                "SERIALIZABLE",
            ],
        ),
    ],
)
def test_bad_isolation_level(text: str, levels: list[str]) -> None:
    with pytest.raises(exc.ArgumentError, match="Invalid isolation level 'SNAPSHOT'") as info:
        create_engine(text, isolation_level="SNAPSHOT")
    for level in levels:
        assert level in str(info.value)


def test_isolation_level_is_normalized() -> None:
    engine = create_engine(f"postgresql+psycopg://{PG}", isolation_level="repeatable_read")
    try:
        with engine.connect() as conn:
            assert conn.get_isolation_level() == "REPEATABLE READ"
            assert conn.exec_driver_sql("SHOW transaction_isolation").scalar() == (
                "repeatable read"
            )
    finally:
        engine.dispose()


def test_url_object_accepted() -> None:
    url = URL.create("sqlite", database=":memory:")
    engine = create_engine(url)
    assert engine.url is url
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    engine.dispose()

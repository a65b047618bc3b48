"""Database URLs: ``backend[+driver]://user:password@host:port/database?key=value``.

A ``URL`` is immutable; ``set()`` and ``update_query_dict()`` return new ones.
The password never appears in ``repr()`` or ``str()``; only
``render_as_string(hide_password=False)`` shows it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple
from urllib.parse import quote, unquote

from .. import exc

__all__ = ["URL", "make_url"]

_PATTERN = re.compile(
    r"""
    ^(?P<name>[\w+\-.]+)://
    (?:
        (?P<username>[^:/@]*)
        (?::(?P<password>[^@]*))?
    @)?
    (?:
        \[(?P<ipv6>[^/?]+)\] |
        (?P<host>[^/?:]+)
    )?
    (?::(?P<port>[^/?]*))?
    (?:/(?P<database>[^?]*))?
    (?:\?(?P<query>.*))?$
    """,
    re.X | re.S,
)


class URL(NamedTuple):
    """The parts of a database URL. Build one with ``make_url()`` or ``URL.create()``."""

    drivername: str
    username: str | None
    password: str | None
    host: str | None
    port: int | None
    database: str | None
    query: Mapping[str, str | tuple[str, ...]]

    @classmethod
    def create(
        cls,
        drivername: str,
        username: str | None = None,
        password: str | None = None,
        host: str | None = None,
        port: int | None = None,
        database: str | None = None,
        query: Mapping[str, str | tuple[str, ...]] | None = None,
    ) -> URL:
        if not isinstance(drivername, str) or not drivername:
            raise exc.ArgumentError(f"drivername must be a non-empty string, not {drivername!r}")
        if port is not None and not isinstance(port, int):
            raise exc.ArgumentError(f"port must be an integer, not {port!r}")
        return cls(drivername, username, password, host, port, database, _Query(query or {}))

    def get_backend_name(self) -> str:
        """``"postgresql"`` for ``postgresql+asyncpg://``."""
        return self.drivername.split("+", 1)[0]

    def get_driver_name(self) -> str | None:
        """``"asyncpg"`` for ``postgresql+asyncpg://``; ``None`` when the URL names none."""
        parts = self.drivername.split("+", 1)
        return parts[1] if len(parts) == 2 else None

    def set(self, **changes: Any) -> URL:
        """A copy with the given parts replaced."""
        unknown = set(changes) - set(self._fields)
        if unknown:
            raise exc.ArgumentError(f"URL has no part(s) {sorted(unknown)}")
        return URL.create(**{**self._asdict(), **changes})

    def update_query_dict(self, values: Mapping[str, str]) -> URL:
        return self._replace(query=_Query({**self.query, **values}))

    def render_as_string(self, hide_password: bool = True) -> str:
        """The URL as text; the password is ``***`` unless ``hide_password=False``."""
        text = self.drivername + "://"
        if self.username is not None:
            text += quote(self.username, safe=" +")
            if self.password is not None:
                pw = "***" if hide_password else quote(str(self.password), safe=" +")
                text += ":" + pw
            text += "@"
        if self.host is not None:
            text += f"[{self.host}]" if ":" in self.host else self.host
        if self.port is not None:
            text += f":{self.port}"
        if self.database is not None:
            text += "/" + self.database
        if self.query:
            pairs = []
            for key, value in self.query.items():
                for item in (value,) if isinstance(value, str) else value:
                    pairs.append(f"{quote(key)}={quote(item)}")
            text += "?" + "&".join(pairs)
        return text

    def __str__(self) -> str:
        return self.render_as_string(hide_password=True)

    def __repr__(self) -> str:
        return f"URL({self.render_as_string(hide_password=True)!r})"


class _Query(Mapping[str, "str | tuple[str, ...]"]):
    """A URL's query options: read-only and hashable, so that the URL is too."""

    __slots__ = ("_items",)

    def __init__(self, values: Mapping[str, Any]) -> None:
        self._items = {
            key: value if isinstance(value, str) else tuple(value) for key, value in values.items()
        }

    def __getitem__(self, key: str) -> str | tuple[str, ...]:
        return self._items[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __hash__(self) -> int:
        return hash(frozenset(self._items.items()))

    def __reduce__(self) -> Any:
        return (_Query, (self._items,))

    def __repr__(self) -> str:
        return repr(self._items)


def _parse_query(text: str) -> dict[str, str | tuple[str, ...]]:
    query: dict[str, str | tuple[str, ...]] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        key, _, value = pair.partition("=")
        key, value = unquote(key), unquote(value)
        if key in query:
            old = query[key]
            query[key] = (*((old,) if isinstance(old, str) else old), value)
        else:
            query[key] = value
    return query


def make_url(name_or_url: str | URL) -> URL:
    """Parse a URL string (a ``URL`` is returned as it is)."""
    if isinstance(name_or_url, URL):
        return name_or_url
    if not isinstance(name_or_url, str):
        raise exc.ArgumentError(
            f"Expected a database URL string or URL object, got {type(name_or_url).__name__}"
        )
    match = _PATTERN.match(name_or_url.strip())
    if match is None:
        raise exc.ArgumentError(
            f"Could not parse database URL {_masked(name_or_url)!r}; expected the form "
            "backend[+driver]://user:password@host:port/database"
        )
    parts = match.groupdict()
    port: int | None = None
    if parts["port"]:
        try:
            port = int(parts["port"])
        except ValueError:
            raise exc.ArgumentError(
                f"Port {parts['port']!r} in database URL {_masked(name_or_url)!r} is not a number"
            ) from None
    username = unquote(parts["username"]) if parts["username"] is not None else None
    password = unquote(parts["password"]) if parts["password"] is not None else None
    return URL(
        drivername=parts["name"],
        username=username,
        password=password,
        host=parts["ipv6"] or parts["host"],
        port=port,
        database=unquote(parts["database"]) if parts["database"] else None,
        query=_Query(_parse_query(parts["query"]) if parts["query"] else {}),
    )


def _masked(text: str) -> str:
    """The URL text with any password replaced, for error messages."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", text)

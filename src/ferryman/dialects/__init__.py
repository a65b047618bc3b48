"""Backends and their drivers, found by the name in a URL (``backend+driver://``).

The table below is the whole registry. Driver modules are imported only
when a URL asks for them, so a missing optional driver costs nothing until
it is used, and then says which extra to install.
"""

from __future__ import annotations

import importlib
from typing import Any

from .. import exc
from ._base import Dialect, RawResult

__all__ = ["Dialect", "RawResult", "load_driver"]

# backend -> driver -> (module for sync use, module for async use, package, extra)
_DRIVERS: dict[str, dict[str, tuple[str | None, str | None, str, str | None]]] = {
    "sqlite": {
        "pysqlite": (".sqlite._sqlite3", None, "sqlite3", None),
        "aiosqlite": (None, ".sqlite._aiosqlite", "aiosqlite", "aiosqlite"),
    },
    "postgresql": {
        "psycopg": (".postgresql._psycopg", ".postgresql._psycopg_async", "psycopg", "postgresql"),
        "psycopg_async": (None, ".postgresql._psycopg_async", "psycopg", "postgresql"),
        "asyncpg": (None, ".postgresql._asyncpg", "asyncpg", "postgresql"),
    },
    "mysql": {
        "pymysql": (".mysql._pymysql", None, "pymysql", "mysql"),
        "asyncmy": (None, ".mysql._asyncmy", "asyncmy", "mysql"),
    },
}
_DRIVERS["mariadb"] = _DRIVERS["mysql"]  # one dialect; it reads which server it talks to
_DEFAULT = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}
_ALIASES = {("sqlite", "sqlite3"): "pysqlite", ("postgresql", "psycopg3"): "psycopg"}
_ASYNC_HINT = {
    "sqlite": "sqlite+aiosqlite://",
    "postgresql": "postgresql+asyncpg://",
    "mysql": "mysql+asyncmy://",
    "mariadb": "mariadb+asyncmy://",
}
_SYNC_HINT = {
    "sqlite": "sqlite://",
    "postgresql": "postgresql+psycopg://",
    "mysql": "mysql+pymysql://",
    "mariadb": "mariadb+pymysql://",
}


def load_driver(backend: str, driver: str | None, is_async: bool) -> Any:
    """The driver adapter for ``backend+driver``, for sync or async use."""
    drivers = _DRIVERS.get(backend)
    if drivers is None:
        raise exc.NoSuchModuleError(
            f"Unknown database backend {backend!r}; known backends: {', '.join(sorted(_DRIVERS))}"
        )
    name = _ALIASES.get((backend, driver or ""), driver or _DEFAULT[backend])
    entry = drivers.get(name)
    if entry is None:
        raise exc.NoSuchModuleError(
            f"Unknown driver {driver!r} for {backend}; known drivers: "
            + ", ".join(f"{backend}+{known}" for known in sorted(drivers))
        )
    sync_module, async_module, package, extra = entry
    module_name = async_module if is_async else sync_module
    if module_name is None:
        if is_async:
            raise exc.ArgumentError(
                f"{backend}+{name} is a sync driver and create_async_engine() needs an async "
                f"one: use a URL such as {_ASYNC_HINT[backend]}, or create_engine() for "
                f"{backend}+{name}"
            )
        raise exc.ArgumentError(
            f"{backend}+{name} is an async driver: use create_async_engine() from "
            f"ferryman.asyncio, or create_engine() with a sync URL such as {_SYNC_HINT[backend]}"
        )
    try:
        module = importlib.import_module(module_name, __name__)
    except ImportError as err:
        if err.name is not None and err.name.split(".")[0] == package:
            how = f"pip install 'ferryman[{extra}]'" if extra else f"install {package}"
            raise exc.DriverNotInstalledError(
                f"The {package} driver for {backend}+{name} is not installed: {how}"
            ) from err
        raise
    return module.driver

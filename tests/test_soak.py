"""A short run of ``bench/soak.py`` (the soak itself runs 60 s per driver): mixed ORM
reads and writes from many tasks on a small pool, with no error, no connection
left checked out and no memory growth."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import DRIVERS

pytestmark = [pytest.mark.backends("postgresql"), pytest.mark.async_only]

_path = Path(__file__).resolve().parent.parent / "bench" / "soak.py"
_spec = importlib.util.spec_from_file_location("ferryman_bench_soak", _path)
assert _spec is not None and _spec.loader is not None
soak_module: Any = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = soak_module  # dataclasses look their module up there
_spec.loader.exec_module(soak_module)


@pytest.mark.timeout(60)
async def test_a_short_soak(driver: str, tmp_path: Path) -> None:
    url = DRIVERS[driver][2](tmp_path)
    outcome = await soak_module.soak(url, driver, seconds=4, tasks=30, pool=5)
    assert outcome.errors == []
    assert outcome.leaked == 0
    assert outcome.units > 100
    assert outcome.growth < soak_module.GROWTH_LIMIT

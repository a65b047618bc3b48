"""The docs: the site builds without warnings, and every Python code block in it
runs (the blocks of a page in order, in one namespace, in a temporary folder),
so an example cannot drift from the code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.DOTALL | re.MULTILINE)
PAGES = sorted(DOCS.glob("*.md"))


def test_every_page_is_in_the_site() -> None:
    nav = (ROOT / "mkdocs.yml").read_text()
    assert PAGES and all(page.name in nav for page in PAGES)


def test_the_site_builds_without_warnings(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "porting" / "index.html").exists()


@pytest.mark.parametrize("page", PAGES, ids=[page.stem for page in PAGES])
def test_code_blocks_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocks = BLOCK.findall(page.read_text())
    monkeypatch.chdir(tmp_path)
    # a module of its own, as a reader's code would be (annotations resolve in it)
    module = types.ModuleType(f"docs_{page.stem}")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    for number, code in enumerate(blocks, 1):
        try:
            exec(compile(code, f"{page.name}, block {number}", "exec"), module.__dict__)
        except Exception as error:  # pragma: no cover - the failure message
            pytest.fail(f"{page.name}, code block {number} failed: {error!r}\n{code}")
    assert os.getcwd() == str(tmp_path)

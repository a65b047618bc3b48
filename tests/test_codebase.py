"""The codebase's own rules: layers, generated files, lint, types, CI = README."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "ferryman"

# Each layer may import only the layers listed before it (DESIGN.md).
LAYERS = [
    "exc",
    "sql",
    "dialects",
    "engine",
    "pool",
    "orm",
    "event",
    "ext",
    "testing",
    "asyncio",
    "cli",
]


def _layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path, module: str) -> list[str]:
    tree = ast.parse(path.read_text())
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
                if node.module is None:
                    found += [f"{target}.{alias.name}" for alias in node.names]
                else:
                    found.append(target)
            elif node.module:
                found.append(node.module)
    return [name for name in found if name.startswith("ferryman")]


def test_no_upward_imports() -> None:
    problems = []
    for path in PKG.rglob("*.py"):
        rel = path.relative_to(PKG.parent).with_suffix("")
        module = ".".join(rel.parts).removesuffix(".__init__")
        layer = _layer(module)
        if layer not in LAYERS:
            continue
        allowed = set(LAYERS[: LAYERS.index(layer) + 1])
        for target in _imports(path, module):
            target_layer = _layer(target)
            if target_layer in LAYERS and target_layer not in allowed:
                problems.append(f"{module} imports {target} (layer {target_layer})")
    assert not problems, "upward imports:\n" + "\n".join(problems)


def test_no_comparison_libraries_imported() -> None:
    banned = ("sqlalchemy", "tortoise", "greenlet", "piccolo")
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            for name in names:
                assert not name.startswith(banned), f"{path} imports {name}"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_generated_sync_modules_are_fresh() -> None:
    done = _run(sys.executable, "tools/async_to_sync.py", "--check")
    assert done.returncode == 0, done.stderr


def test_ruff() -> None:
    folders = [name for name in ("src", "tests", "tools", "bench") if (ROOT / name).is_dir()]
    lint = _run(sys.executable, "-m", "ruff", "check", *folders)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    fmt = _run(sys.executable, "-m", "ruff", "format", "--check", *folders)
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr


def test_mypy_strict() -> None:
    done = _run(sys.executable, "-m", "mypy", "--strict", "src/ferryman")
    assert done.returncode == 0, done.stdout + done.stderr


def test_user_code_is_typed() -> None:
    """tests/typing holds user-style code with assert_type(): Mapped[...] attributes,
    statements and sessions must type-check for users under --strict."""
    done = _run(sys.executable, "-m", "mypy", "--strict", "tests/typing")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    command = next(line for line in ci.splitlines() if line.startswith("python3 -m venv"))
    assert command in readme

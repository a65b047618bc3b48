"""Generate ferryman's sync modules from their async sources.

The async front ends (connection, engine, pool, results, the psycopg
adapter) are the source; their sync twins are derived by rewriting the
syntax tree:

* ``async def`` / ``async with`` / ``async for`` lose ``async``; ``await x``
  becomes ``x``;
* names in ``NAMES`` are renamed (``AsyncConnection`` -> ``Connection``),
  in code, imports and docstrings;
* ``ASYNC`` is the constant ``False``: ``if ASYNC: ... else: ...`` keeps only
  the ``else`` branch and ``x if ASYNC else y`` becomes ``y``.

Usage::

    python tools/async_to_sync.py          # rewrite the generated files
    python tools/async_to_sync.py --check  # exit 1 if any is stale (CI)
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "src" / "ferryman"

PAIRS = [
    (PKG / "engine" / "_result_async.py", PKG / "engine" / "_result.py"),
    (PKG / "engine" / "_pool_async.py", PKG / "engine" / "_pool.py"),
    (PKG / "engine" / "_connection_async.py", PKG / "engine" / "_connection.py"),
    (PKG / "engine" / "_engine_async.py", PKG / "engine" / "_engine.py"),
    (PKG / "engine" / "_transaction_async.py", PKG / "engine" / "_transaction.py"),
    (PKG / "engine" / "_conn_events_async.py", PKG / "engine" / "_conn_events.py"),
    (PKG / "orm" / "_session_async.py", PKG / "orm" / "_session.py"),
    (
        PKG / "dialects" / "postgresql" / "_psycopg_async.py",
        PKG / "dialects" / "postgresql" / "_psycopg.py",
    ),
    (PKG / "dialects" / "mysql" / "_asyncmy.py", PKG / "dialects" / "mysql" / "_pymysql.py"),
]

NAMES = {
    "ALock": "Lock",
    "AMutex": "Mutex",
    "AQueue": "Queue",
    "asynccontextmanager": "contextmanager",
    "AsyncConnection": "Connection",
    "AsyncDriverConnection": "DriverConnection",
    "AsyncEventFiring": "EventFiring",
    "AsyncEngine": "Engine",
    "AsyncGenerator": "Generator",
    "AsyncIterator": "Iterator",
    "AsyncMappingResult": "MappingResult",
    "AsyncObjectStream": "ObjectStream",
    "AsyncNullPool": "NullPool",
    "AsyncAdaptedQueuePool": "QueuePool",
    "AsyncPool": "Pool",
    "AsyncRawStream": "RawStream",
    "AsyncResult": "Result",
    "AsyncScalarResult": "ScalarResult",
    "AsyncSession": "Session",
    "AsyncSessionTransaction": "SessionTransaction",
    "async_sessionmaker": "sessionmaker",
    "run_plan_async": "run_plan",
    "_session_async": "_session",
    "AsyncStaticPool": "StaticPool",
    "AsyncTransaction": "Transaction",
    "AsyncNestedTransaction": "NestedTransaction",
    "PsycopgAsyncConnection": "PsycopgConnection",
    "PsycopgAsyncDriver": "PsycopgDriver",
    "PsycopgAsyncStream": "PsycopgStream",
    "AsyncmyConnection": "PyMySQLConnection",
    "AsyncmyDriver": "PyMySQLDriver",
    "AsyncmyStream": "PyMySQLStream",
    "_asyncmy": "_pymysql",
    "StopAsyncIteration": "StopIteration",
    "__aenter__": "__enter__",
    "__aexit__": "__exit__",
    "__aiter__": "__iter__",
    "__anext__": "__next__",
    "_connection_async": "_connection",
    "_conn_events_async": "_conn_events",
    "_engine_async": "_engine",
    "_transaction_async": "_transaction",
    "_pool_async": "_pool",
    "_psycopg_async": "_psycopg",
    "_result_async": "_result",
    "abounded": "bounded",
    "a_pool_timeout": "pool_timeout",
}
_WORDS = re.compile(r"\b(" + "|".join(sorted(NAMES, key=len, reverse=True)) + r")\b")


def _rename(text: str) -> str:
    return _WORDS.sub(lambda m: NAMES[m.group(1)], text)


def _is_async_flag(node: ast.expr) -> bool | None:
    """True for ``ASYNC``, False for ``not ASYNC``, None for anything else."""
    if isinstance(node, ast.Name) and node.id == "ASYNC":
        return True
    if (
        isinstance(node, ast.UnaryOp)
        and isinstance(node.op, ast.Not)
        and isinstance(node.operand, ast.Name)
        and node.operand.id == "ASYNC"
    ):
        return False
    return None


class Unasync(ast.NodeTransformer):
    def _body(self, stmts: list[ast.stmt]) -> list[ast.stmt]:
        out: list[ast.stmt] = []
        for stmt in stmts:
            if isinstance(stmt, ast.If) and (flag := _is_async_flag(stmt.test)) is not None:
                kept = stmt.orelse if flag else stmt.body
                out.extend(self._body(kept))
                continue
            new = self.visit(stmt)
            if new is None:
                continue
            out.extend(new if isinstance(new, list) else [new])
        return out

    def generic_visit(self, node: ast.AST) -> ast.AST:
        for field, value in ast.iter_fields(node):
            if isinstance(value, list) and value and isinstance(value[0], ast.stmt):
                new_body = self._body(value)
                setattr(node, field, new_body or [ast.Pass()])
        return super().generic_visit(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> ast.AST:
        new = ast.FunctionDef(**{f: getattr(node, f) for f in node._fields})
        new.name = _rename(node.name)
        return self.generic_visit(ast.copy_location(new, node))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> ast.AST:
        node.name = _rename(node.name)
        return self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        node.name = _rename(node.name)
        return self.generic_visit(node)

    def visit_AsyncWith(self, node: ast.AsyncWith) -> ast.AST:
        new = ast.With(items=node.items, body=node.body, type_comment=None)
        return self.generic_visit(ast.copy_location(new, node))

    def visit_AsyncFor(self, node: ast.AsyncFor) -> ast.AST:
        new = ast.For(
            target=node.target,
            iter=node.iter,
            body=node.body,
            orelse=node.orelse,
            type_comment=None,
        )
        return self.generic_visit(ast.copy_location(new, node))

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        node.is_async = 0
        return self.generic_visit(node)

    def visit_Await(self, node: ast.Await) -> ast.AST:
        return self.visit(node.value)

    def visit_IfExp(self, node: ast.IfExp) -> ast.AST:
        flag = _is_async_flag(node.test)
        if flag is not None:
            return self.visit(node.orelse if flag else node.body)
        return self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> ast.AST:
        node.id = _rename(node.id)
        return node

    def visit_Attribute(self, node: ast.Attribute) -> ast.AST:
        node.attr = _rename(node.attr)
        return self.generic_visit(node)

    def visit_alias(self, node: ast.alias) -> ast.AST:
        node.name = _rename(node.name)
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        if node.module:
            node.module = _rename(node.module)
        return self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> ast.AST:
        targets = node.targets
        if len(targets) == 1 and isinstance(targets[0], ast.Name) and targets[0].id == "ASYNC":
            node.value = ast.Constant(False)
            return node
        return self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> ast.AST:
        if isinstance(node.value, str):
            node.value = _rename(node.value)
        return node


def generate(source: Path) -> str:
    tree = ast.parse(source.read_text())
    tree = Unasync().visit(tree)
    docstring = ast.get_docstring(tree, clean=False)
    if docstring is not None:  # say what this file is before what its source says
        first = tree.body[0]
        assert isinstance(first, ast.Expr)
        first.value = ast.Constant(
            f"Sync twin of ``{source.name}``, generated from it: see that module.\n\n" + docstring
        )
    ast.fix_missing_locations(tree)
    rel = source.relative_to(ROOT)
    header = (
        f"# Generated from {rel.as_posix()} by tools/async_to_sync.py: do not edit.\n"
        "# Change the async source and run the tool again.\n"
    )
    code = header + ast.unparse(tree) + "\n"
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--quiet", "--stdin-filename", str(source), "-"],
        input=code,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"ruff format failed on the code generated from {rel}:\n{done.stderr}")
    return done.stdout


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for source, target in PAIRS:
        code = generate(source)
        if target.exists() and target.read_text() == code:
            continue
        if check:
            stale.append(target.relative_to(ROOT).as_posix())
        else:
            target.write_text(code)
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(
            "stale generated files (run python tools/async_to_sync.py): " + ", ".join(stale),
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))

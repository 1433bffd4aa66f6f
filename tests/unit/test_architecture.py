"""core/ stays pure: no database, web, CLI, settings or clock."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[2] / "src" / "scalegate" / "core"
FORBIDDEN_MODULES = (
    "sqlalchemy",
    "fastapi",
    "starlette",
    "typer",
    "click",
    "rich",
    "httpx",
    "uvicorn",
    "alembic",
    "psycopg",
    "jinja2",
    "requests",
    "os",
    "pathlib",
    "subprocess",
    "socket",
)
FORBIDDEN_SCALEGATE = (
    "scalegate.db",
    "scalegate.settings",
    "scalegate.app",
    "scalegate.cli",
    "scalegate.deps",
    "scalegate.workspace",
    "scalegate.web",
    "scalegate.access",
    "scalegate.audit",
    "scalegate.portfolio",
    "scalegate.manifests",
)
CLOCK_CALLS = {"now", "utcnow", "today", "time"}


def _imports(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_core_imports_no_io_layer() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for name in _imports(ast.parse(path.read_text())):
            root = name.split(".")[0]
            if root in FORBIDDEN_MODULES or name.startswith(FORBIDDEN_SCALEGATE):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []


def test_core_never_reads_the_clock() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in CLOCK_CALLS
            ):
                offenders.append(f"{path.name}:{node.lineno}")
    assert offenders == []


def test_the_check_sees_the_core_modules() -> None:
    """Guard against the scan silently finding nothing."""
    assert {"rubric.py", "audit_chain.py", "lifecycle.py"} <= {p.name for p in CORE.rglob("*.py")}

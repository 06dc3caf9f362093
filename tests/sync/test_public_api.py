"""Plugins see one module of the engine: ``sync.api`` (their tests may also use
``sync.testing``); and every name ``sync.api`` promises is there."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import sync.api

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = {"sync.api"}
ALLOWED_IN_TESTS = {"sync.api", "sync.testing"}


def sync_imports(path: Path) -> list[tuple[int, str]]:
    """Every ``sync`` module a file imports, with its line (relative imports never
    reach ``sync``: they stay inside the file's own package)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "sync":  # from sync import store
                names = [f"sync.{alias.name}" for alias in node.names]
        else:
            continue
        found += [(node.lineno, n) for n in names if n == "sync" or n.startswith("sync.")]
    return found


def plugin_files() -> list[Path]:
    return sorted(p for folder in ("plugins", "examples") for p in (ROOT / folder).rglob("*.py"))


def test_there_are_plugin_files_to_check() -> None:
    files = plugin_files()
    assert ROOT / "plugins" / "manual" / "__init__.py" in files
    assert any("examples" in p.parts for p in files)


@pytest.mark.parametrize("path", plugin_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_plugin_imports_only_the_public_api(path: Path) -> None:
    allowed = ALLOWED_IN_TESTS if "tests" in path.relative_to(ROOT).parts else ALLOWED
    wrong = [f"line {line}: {name}" for line, name in sync_imports(path) if name not in allowed]
    assert not wrong, f"{path.relative_to(ROOT)} imports more of sync than sync.api: {wrong}"


def test_the_check_sees_every_way_of_importing_sync(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text(
        "import sync.model\nfrom sync import store\nfrom sync.app import App\n"
        "from sync.api import Roster\nfrom . import sibling\n"
        "def f():\n    from sync.run import Engine\n"
    )
    assert [name for _, name in sync_imports(probe)] == [
        "sync.model",
        "sync.store",
        "sync.app",
        "sync.api",
        "sync.run",
    ]


def test_every_public_name_is_importable() -> None:
    module = importlib.reload(sync.api)
    assert len(module.__all__) == len(set(module.__all__))
    missing = [name for name in module.__all__ if not hasattr(module, name)]
    assert not missing
    for name in module.__all__:
        exec(f"from sync.api import {name}", {})


def test_each_name_is_imported_from_the_module_mypy_sees() -> None:
    """``sync.api`` imports each name when first used (``_HOMES``); the imports that mypy
    checks (under ``TYPE_CHECKING``) must name the same module for each."""
    tree = ast.parse((ROOT / "sync" / "api.py").read_text())
    checked = {
        alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sync.")
        for alias in node.names
    }
    assert checked == sync.api._HOMES
    assert sorted(sync.api.__all__) == sorted(sync.api._HOMES)


def test_registering_a_plugin_imports_no_heavy_library() -> None:
    probe = (
        "import sys\n"
        "from sync.api import DeferredCommand, SourceType, TargetType, hookimpl\n"
        "heavy = ('pydantic', 'requests', 'sqlalchemy', 'alembic', 'tenacity')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["[]"]

"""What the quick commands import, pinned where it is deterministic (their timing goals
live in ``benchmarks/startup.py``): ``--help`` and ``plugins`` import no database, HTTP,
LDAP, validation, scheduler or web library; ``status`` on a migrated database imports
no Alembic, no SQLModel or ORM, no plugin's own package, and neither the engine, the
scheduler nor the console."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT

#: Libraries that cost a start a tenth of a second or more, each.
HEAVY = (
    "alembic",
    "apscheduler",
    "fastapi",
    "jinja2",
    "ldap3",
    "pydantic",
    "requests",
    "sqlalchemy",
    "sqlmodel",
    "starlette",
    "tenacity",
    "urllib3",
)


#: ``python -m sync ARGS``, then the names of every module it imported, one a line.
PROBE = """
import runpy, sys
sys.argv = ["rostersync", *sys.argv[1:]]
try:
    runpy.run_module("sync", run_name="__main__", alter_sys=True)
except SystemExit:
    pass
print("--- modules ---")
print("\\n".join(sorted(sys.modules)))
"""


def imported(folder: Path, *args: str) -> set[str]:
    """Every module ``rostersync ARGS`` imports, run in ``folder`` as an admin types it
    (``python -X importtime`` would miss those imported with ``importlib``)."""
    process = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=folder,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    assert "--- modules ---" in process.stdout, process.stderr
    return set(process.stdout.split("--- modules ---\n", 1)[1].split())


def own_packages(modules: set[str]) -> list[str]:
    """The built-in plugins' modules imported, apart from their ``plugins.hooks``."""
    return sorted(m for m in modules if m.startswith("plugins.") and ".hooks" not in m)


def packages(modules: set[str]) -> set[str]:
    return {name.split(".")[0] for name in modules}


@pytest.mark.parametrize("args", [["--help"], ["plugins"], ["plugins", "--json"]])
def test_help_and_plugins_import_none_of_the_heavy_libraries(
    tmp_path: Path, args: list[str]
) -> None:
    modules = imported(tmp_path, *args)
    assert "click" in modules and "sync.cli" in modules
    assert sorted(packages(modules) & set(HEAVY)) == []


def test_a_plugin_command_imports_its_plugin_when_it_runs(tmp_path: Path) -> None:
    modules = imported(tmp_path, "manual", "--help")
    assert "plugins.manual" in modules  # its own help comes from the command itself
    assert sorted(packages(modules) & {"sqlalchemy", "alembic", "requests", "ldap3"}) == []


def test_help_imports_no_built_in_plugins_package(tmp_path: Path) -> None:
    """Only the small ``plugins.hooks`` modules: the plugins' own code loads when used."""
    modules = imported(tmp_path, "--help")
    assert "plugins.hooks.clever" in modules and "plugins.hooks.directory" in modules
    own = sorted(
        m for m in modules if m.startswith("plugins.") and not m.startswith("plugins.hooks")
    )
    assert own == []


@pytest.fixture(scope="module")
def synced(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example, synced once (as ``benchmarks/startup.py`` does)."""
    folder = tmp_path_factory.mktemp("example")
    shutil.copytree(ROOT / "examples" / "impero", folder / "examples" / "impero")
    shutil.copy(ROOT / "config.toml", folder / "config.toml")
    subprocess.run(
        [sys.executable, "-m", "sync", "sync"],
        cwd=folder,
        check=True,
        capture_output=True,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )
    return folder


def test_status_on_a_migrated_database_imports_no_alembic(synced: Path) -> None:
    modules = imported(synced, "status")
    assert "sqlalchemy" in modules and "sync.store" in modules  # it did read the store
    assert "alembic" not in packages(modules)
    assert sorted(packages(modules) & {"sqlmodel", "requests", "ldap3", "tenacity"}) == []
    assert "sqlalchemy.orm" not in modules
    own = sorted(
        m for m in modules if m.startswith("plugins.") and not m.startswith("plugins.hooks")
    )
    assert own == []


def test_status_imports_neither_the_engine_nor_the_scheduler_nor_the_console(
    synced: Path,
) -> None:
    """``status`` reads the store: it runs nothing, schedules nothing, serves nothing (the
    example has no ``[sync.schedule]``, whose trigger is checked with APScheduler)."""
    modules = imported(synced, "status")
    assert "sync.views" in modules  # it did build the status the console shows too
    engine = {"sync.run", "sync.plan", "sync.apply", "sync.guard", "sync.merge", "sync.schedule"}
    assert sorted(modules & engine) == []
    assert sorted(m for m in modules if m.startswith("sync.web.") or m == "sync.web") == []
    web = {"apscheduler", "fastapi", "starlette", "jinja2", "uvicorn", "multipart"}
    assert sorted(packages(modules) & web) == []

"""Shared fixtures: state databases (SQLite, and PostgreSQL when reachable), a
configured working folder, and the command line as a user types it."""

from __future__ import annotations

import os
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from sync.cli import make_cli
from sync.storage import dispose_all

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
PG_ADMIN_URL = os.environ.get(
    "ROSTERSYNC_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("ROSTERSYNC_REQUIRE_POSTGRES") == "1"


def pytest_configure(config: pytest.Config) -> None:
    # Plugins under test are registered explicitly; installed entry points are not scanned.
    sys._called_from_test = True  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _fresh_engines() -> Iterator[None]:
    yield
    dispose_all()


def _postgres_available() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect() as c:
            c.execute(sa.text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


_PG_PROBLEM: list[str | None] = []


def require_postgres() -> None:
    """Skip when PostgreSQL is absent, except in CI where that is a failure."""
    if not _PG_PROBLEM:
        _PG_PROBLEM.append(_postgres_available())
    problem = _PG_PROBLEM[0]
    if problem:
        if REQUIRE_PG:
            pytest.fail(f"PostgreSQL is required (ROSTERSYNC_REQUIRE_POSTGRES=1): {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    yield f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}"
    dispose_all()
    with admin.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def state_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every storage test runs on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    return str(request.getfixturevalue("pg_url"))


CONFIG = """\
[state]
url = "{state_url}"

[sync]
sources = ["school"]
target = "console"
retry_wait_seconds = 0

[sources.school]
plugin = "impero_csv"
path = "impero"

[targets.console]
plugin = "directory"
"""


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A folder with the seed's Impero example and a config.toml syncing it (SQLite)."""
    shutil.copytree(EXAMPLES / "impero", tmp_path / "impero")
    (tmp_path / "config.toml").write_text(
        CONFIG.format(state_url=f"sqlite:///{tmp_path / 'state.db'}")
    )
    return tmp_path


CliRun = Callable[..., Result]


@pytest.fixture
def rostersync(workdir: Path) -> CliRun:
    """``rostersync --config workdir/config.toml ARGS`` through click's runner."""
    command = make_cli()

    def run(*args: str, config: Path | None = None) -> Result:
        path = config or workdir / "config.toml"
        return CliRunner().invoke(command, ["--config", str(path), *args], catch_exceptions=False)

    return run


def write_csv(path: Path, *lines: str, encoding: str = "utf-8", bom: bool = False) -> Path:
    data = "\n".join(lines) + "\n"
    raw = data.encode(encoding)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + raw)
    settled(path)
    return path


def settled(path: Path) -> Path:
    """Date the file a minute back, so a source's ``settle_seconds`` does not wait for it."""
    then = time.time() - 60
    os.utime(path, (then, then))
    return path

"""Issue 14: a migration killed (SIGKILL) at any statement leaves the state database as it
was, and the next start migrates it, on SQLite and on PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from plugins.directory.target import MIGRATIONS as DIRECTORY
from plugins.directory.target import VERSION_TABLE as DIRECTORY_TABLE
from sync.storage import dispose_all, migrate, open_database
from sync.store import MIGRATIONS as ENGINE
from sync.store import VERSION_TABLE as ENGINE_TABLE
from tests.conftest import PG_ADMIN_URL, ROOT, require_postgres

# Migrates as a fresh start does, killing itself just before its Nth statement.
CHILD = """
import os, signal, sys
from pathlib import Path
import sqlalchemy as sa
from sync.storage import migrate, open_database
url, location, table, kill_at = sys.argv[1:]
engine = open_database(url)
seen = 0
@sa.event.listens_for(engine, "before_cursor_execute")
def kill(*_args):
    global seen
    seen += 1
    if seen == int(kill_at):
        os.kill(os.getpid(), signal.SIGKILL)
migrate(engine, Path(location), table)
"""


def migrate_killed_at(url: str, location: Path, table: str, kill_at: int) -> bool:
    """Whether the child was killed (False: it finished before its ``kill_at``th statement)."""
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, str(location), table, str(kill_at)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode == -9:
        return True
    assert done.returncode == 0, done.stderr
    return False


def schema(url: str) -> dict[str, list[str]]:
    engine = open_database(url)
    inspector = sa.inspect(engine)
    return {
        name: sorted(c["name"] for c in inspector.get_columns(name))
        for name in sorted(inspector.get_table_names())
    }


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A function that makes a fresh, empty state database and returns its URL."""
    schemas: list[str] = []
    if request.param == "postgres":
        require_postgres()
    admin = sa.create_engine(PG_ADMIN_URL) if request.param == "postgres" else None

    def make() -> str:
        if admin is None:
            return f"sqlite:///{tmp_path / f'state-{uuid.uuid4().hex[:8]}.db'}"
        name = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as c:
            c.execute(sa.text(f'CREATE SCHEMA "{name}"'))
        schemas.append(name)
        return f"{PG_ADMIN_URL}?options=-csearch_path%3D{name}"

    yield make
    dispose_all()
    if admin is not None:
        with admin.begin() as c:
            for name in schemas:
                c.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


def _every_kill_point(
    new_database: Callable[[], str],
    location: Path,
    table: str,
    prepare: Callable[[str], None] = lambda _url: None,
) -> int:
    reference = new_database()
    prepare(reference)
    migrate(open_database(reference), location, table)
    expected = schema(reference)
    kill_at = 1
    while True:
        url = new_database()
        prepare(url)
        before = schema(url)
        dispose_all()
        if not migrate_killed_at(url, location, table, kill_at):
            return kill_at
        assert schema(url) == before, f"killed at statement {kill_at}: half a migration left"
        migrate(open_database(url), location, table)  # the next start
        assert schema(url) == expected, f"killed at statement {kill_at}"
        dispose_all()
        kill_at += 1


def test_the_first_migration_survives_a_kill_at_every_statement(
    new_database: Callable[[], str],
) -> None:
    # Reproduction: a kill at 9 of 13 statements left 'table rs_run already exists' for good.
    statements = _every_kill_point(new_database, ENGINE, ENGINE_TABLE)
    assert statements > 10  # (it was killed at every one of them)


def test_an_upgrade_survives_a_kill_at_every_statement(new_database: Callable[[], str]) -> None:
    # Reproduction: 9 of 20 kill points of dir 0002 -> 0003 left 'duplicate column name'.
    def at_0002(url: str) -> None:
        migrate(open_database(url), DIRECTORY, DIRECTORY_TABLE, revision="dir0002")

    statements = _every_kill_point(new_database, DIRECTORY, DIRECTORY_TABLE, at_0002)
    assert statements > 3

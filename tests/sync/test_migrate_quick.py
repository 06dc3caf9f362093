"""A state database already at its newest revision opens without importing Alembic (about
0.15 s of CPU on every run and command), and an older one is still migrated."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from plugins.directory.target import MIGRATIONS as DIRECTORY
from plugins.directory.target import VERSION_TABLE as DIRECTORY_TABLE
from sync.storage import dispose_all, migrate, open_database
from sync.store import MIGRATIONS as ENGINE
from sync.store import VERSION_TABLE as ENGINE_TABLE
from tests.conftest import ROOT

OPEN_TWICE = """
import sys
from pathlib import Path
from sync.storage import migrate, open_database
url, location, table = sys.argv[1:]
migrate(open_database(url), Path(location), table)
print("alembic" in sys.modules)
"""


def _alembic_heads(location: Path) -> frozenset[str]:
    config = Config()
    config.set_main_option("script_location", str(location))
    return frozenset(ScriptDirectory.from_config(config).get_heads())


def _open_in_child(url: str, location: Path, table: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", OPEN_TWICE, url, str(location), table],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


@pytest.mark.parametrize(
    ("location", "table"), [(ENGINE, ENGINE_TABLE), (DIRECTORY, DIRECTORY_TABLE)], ids=str
)
def test_a_database_at_head_opens_without_alembic(
    tmp_path: Path, location: Path, table: str
) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    assert _open_in_child(url, location, table) == "True"  # a fresh database: migrated
    assert _open_in_child(url, location, table) == "False"  # at head: Alembic not needed


def test_an_older_revision_is_still_migrated(tmp_path: Path) -> None:
    """The quick check never says "at head" for a database an older release left."""
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = open_database(url)
    try:
        migrate(engine, DIRECTORY, DIRECTORY_TABLE, revision="dir0002")
        migrate(engine, DIRECTORY, DIRECTORY_TABLE)
        with engine.connect() as connection:
            current = connection.exec_driver_sql(f"SELECT version_num FROM {DIRECTORY_TABLE}")
            assert [row[0] for row in current] == sorted(_alembic_heads(DIRECTORY))
    finally:
        dispose_all()

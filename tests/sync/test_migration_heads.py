"""``migrate``'s usual start reads the head revisions from the scripts without Alembic;
they must be the heads Alembic itself finds."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from sync.storage import _read_heads
from tests.conftest import ROOT

FOLDERS = sorted(p.parent for p in ROOT.glob("**/migrations/versions") if ".venv" not in p.parts)


def test_every_migrations_folder_is_checked() -> None:
    names = {str(folder.relative_to(ROOT)) for folder in FOLDERS}
    assert {"sync/migrations", "plugins/directory/migrations"} <= names


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_heads_read_without_alembic_are_alembics(folder: Path) -> None:
    config = Config()
    config.set_main_option("script_location", str(folder))
    assert _read_heads(folder / "versions") == set(ScriptDirectory.from_config(config).get_heads())


def write(folder: Path, name: str, body: str) -> None:
    folder.mkdir(exist_ok=True)
    (folder / name).write_text(body)


def test_a_merge_and_annotated_assignments(tmp_path: Path) -> None:
    write(tmp_path, "a.py", 'revision = "a"\ndown_revision = None\n')
    write(tmp_path, "b.py", 'revision: str = "b"\ndown_revision: str | None = "a"\n')
    write(tmp_path, "c.py", 'revision = "c"\ndown_revision = "a"\n')
    assert _read_heads(tmp_path) == {"b", "c"}
    write(tmp_path, "d.py", 'revision = "d"\ndown_revision = ("b", "c")\n')
    assert _read_heads(tmp_path) == {"d"}


def test_a_script_not_stating_its_revision_plainly_leaves_it_to_alembic(tmp_path: Path) -> None:
    write(tmp_path, "a.py", 'revision = "a"\ndown_revision = None\n')
    write(tmp_path, "b.py", 'revision = make_id()\ndown_revision = "a"\n')
    assert _read_heads(tmp_path) is None
    (tmp_path / "b.py").write_text('down_revision = "a"\n')
    assert _read_heads(tmp_path) is None

"""How a ``rostersync`` process ends: the state database closed by the program itself
(the exit collects no reference cycles, ``sync.gc_tuning.exiting_process``), and the
collector's thresholds left raised rather than restored for a last pass."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT
from tests.fakes.entry_points import rostersync_env, run_rostersync


def python_m_sync(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = run_rostersync(*args, env=rostersync_env(), cwd=folder)
    assert done.returncode == 0, done.stderr
    return done


def test_a_command_closes_the_state_database_before_the_process_exits(tmp_path: Path) -> None:
    """SQLite removes its write-ahead log when the last connection closes: left behind,
    the connection was never closed."""
    shutil.copytree(ROOT / "examples" / "impero", tmp_path / "examples" / "impero")
    shutil.copy(ROOT / "config.toml", tmp_path / "config.toml")
    python_m_sync(tmp_path, "sync")
    assert (tmp_path / "rostersync.db").exists()
    for args in (["sync"], ["status"], ["runs"]):
        python_m_sync(tmp_path, *args)
        left = sorted(p.name for p in tmp_path.glob("rostersync.db-*"))
        assert left == [], (args, left)


PROBE = """
import gc, sys
from sync.cli import main
from sync.gc_tuning import RELAXED
sys.argv = ["rostersync", "--help"]
try:
    main()
except SystemExit:
    pass
print(gc.get_threshold() == RELAXED, gc.get_freeze_count() > 0)
"""


def test_the_program_ends_with_the_collector_relaxed_and_its_objects_frozen() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "True True"

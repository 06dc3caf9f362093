"""Issue 14: a state database that cannot be used says why in one line, never a traceback."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from sync.errors import ConfigError, StateDatabaseError
from sync.storage import _sqlite_pragmas as sqlite_pragmas
from sync.storage import migrate, open_database
from sync.store import MIGRATIONS, VERSION_TABLE, Store
from tests.conftest import ROOT, CliRun


def test_a_database_from_a_newer_rostersync_says_so(state_url: str) -> None:
    Store(state_url)
    with open_database(state_url).begin() as c:
        c.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = '0099_from_the_future'"))
    with pytest.raises(
        StateDatabaseError, match=r"^the state database was made by a newer rostersync"
    ):
        Store(state_url)


def test_a_damaged_file_says_restore_from_backup(rostersync: CliRun, workdir: Path) -> None:
    (workdir / "state.db").write_bytes(b"this is not a database, it was overwritten" * 200)
    result = rostersync("status")
    assert result.exit_code != 0
    assert "the file is damaged, restore it from backup (see docs/operations.md)" in result.output
    assert "Traceback" not in result.output and "OK" not in result.output


def test_a_full_disk_says_no_space_left(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'state.db'}"
    engine = open_database(url)

    def a_tiny_disk(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA max_page_count = 3")

    sa.event.listen(engine, "connect", a_tiny_disk)
    with pytest.raises(StateDatabaseError, match=r"^no space left on the disk of the state"):
        migrate(engine, MIGRATIONS, VERSION_TABLE)


@pytest.mark.parametrize("url", ["sqlite:///", "sqlite://"])
def test_a_sqlite_url_with_no_path_is_refused(url: str) -> None:
    # Reproduction: 'sqlite:///${UNSET}' synced into memory, forgetting every run.
    with pytest.raises(ConfigError, match=r"names no database file \(an unset variable\?\)"):
        open_database(url)


def test_two_first_runs_on_a_new_sqlite_file_never_race(tmp_path: Path) -> None:
    # Reproduction: 7 of 12 pairs failed with 'table ... already exists'.
    child = "import sys; from sync.store import Store; Store(sys.argv[1])"
    for pair in range(6):
        url = f"sqlite:///{tmp_path / f'state{pair}.db'}"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        both = [
            subprocess.Popen(
                [sys.executable, "-c", child, url], env=env, stderr=subprocess.PIPE, text=True
            )
            for _ in range(2)
        ]
        for process in both:
            _, err = process.communicate(timeout=120)
            assert process.returncode == 0, err


def test_connections_opening_a_new_file_at_once_all_get_wal(tmp_path: Path) -> None:
    # Reproduction (CI: 'cannot open the state database ...: database is locked', 1 pair in
    # 6): connections turning on WAL on a new file at the same moment; SQLite refuses the
    # switch at once, never waiting on the busy timeout (7 of 800 connections here).
    failures: list[str] = []
    for attempt in range(200):
        path = tmp_path / f"state{attempt}.db"
        start = threading.Barrier(4)

        def first_open(path: Path = path, start: threading.Barrier = start) -> None:
            connection = sqlite3.connect(path, timeout=30, check_same_thread=False)
            start.wait()
            try:
                sqlite_pragmas(30.0, connection, None)
            except sqlite3.OperationalError as exc:
                failures.append(str(exc))
            finally:
                connection.close()

        threads = [threading.Thread(target=first_open) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert failures == []

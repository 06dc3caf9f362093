"""The directory's passing database faults are ``RetriableError``: a locked SQLite file,
a PostgreSQL serialization failure, a connection lost. Each on a real database."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from plugins.directory.target import DirectoryOptions, DirectoryTarget
from sync.config import load_config
from sync.errors import RetriableError
from sync.model import Change, ChangeKind, RunStatus
from sync.plugins import load_plugins
from sync.run import Engine
from sync.testing import make_context, sample_roster, sync_into

RENAME = Change(ChangeKind.RENAME_GROUP, "Potions", name="Potions (Year 2)")


@pytest.fixture
def locked_sqlite(tmp_path: Path) -> Iterator[tuple[Path, Callable[[], None]]]:
    """A directory file, and a function that takes its write lock as another process
    would (``BEGIN EXCLUSIVE``) until the test ends."""
    path = tmp_path / "directory.db"
    holders: list[sqlite3.Connection] = []

    def lock() -> None:
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        holders.append(holder)

    yield path, lock
    for holder in holders:
        holder.rollback()
        holder.close()


def test_a_locked_sqlite_file_is_retriable(
    tmp_path: Path, locked_sqlite: tuple[Path, Callable[[], None]]
) -> None:
    path, lock = locked_sqlite
    options = DirectoryOptions(url=f"sqlite:///{path}?timeout=0.05")
    target = DirectoryTarget(options, make_context(tmp_path))
    assert sync_into(target, sample_roster()) == []
    lock()
    with pytest.raises(RetriableError, match="the directory database: database is locked"):
        target.apply([RENAME])


def test_a_run_against_a_locked_directory_retries_then_fails_and_the_next_converges(
    workdir: Path, locked_sqlite: tuple[Path, Callable[[], None]]
) -> None:
    path, lock = locked_sqlite
    config = workdir / "config.toml"
    text = config.read_text().replace(
        "retry_wait_seconds = 0", "retry_wait_seconds = 0\napply_attempts = 3"
    )
    config.write_text(text + f'url = "sqlite:///{path}?timeout=0.05"\n')
    engine = Engine(load_config(config), load_plugins(entry_points=False))
    DirectoryTarget(DirectoryOptions(url=f"sqlite:///{path}"), make_context(workdir)).close()
    lock()
    outcome = engine.run()
    assert outcome.status is RunStatus.FAILED and outcome.retries == 2
    assert "gave up after retries" in outcome.error and "database is locked" in outcome.error


def _pg_serializable(pg_url: str) -> str:
    return pg_url + "%20-cdefault_transaction_isolation%3Dserializable"


def _wait_until_blocked(admin: sa.Engine, holder: sa.Connection) -> int:
    """The pid of the backend waiting on a lock ``holder`` holds (the target's), once it
    waits. (Other test runs share the server: only ``holder``'s waiters count.)"""
    holder_pid = holder.execute(sa.text("SELECT pg_backend_pid()")).scalar()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with admin.connect() as c:
            pid = c.execute(
                sa.text(
                    "SELECT pid FROM pg_stat_activity WHERE :holder = ANY(pg_blocking_pids(pid))"
                ),
                {"holder": holder_pid},
            ).scalar()
        if pid is not None:
            return int(pid)
        time.sleep(0.02)
    raise AssertionError("the target's update never waited on the lock")


def _apply_while_a_row_is_locked(
    pg_url: str, tmp_path: Path, then: Callable[[sa.Connection, sa.Engine, int], None]
) -> BaseException | None:
    """Apply ``RENAME`` while another transaction holds Potions' row, and ``then`` do
    something to that transaction (commit it, or kill the target's connection)."""
    url = _pg_serializable(pg_url)
    target = DirectoryTarget(DirectoryOptions(url=url), make_context(tmp_path))
    assert sync_into(target, sample_roster()) == []
    other = sa.create_engine(pg_url)
    errors: list[BaseException] = []
    try:
        with other.connect() as holder:
            holder.execute(sa.text("UPDATE dir_group SET name = 'Potions!' WHERE key = 'Potions'"))

            def apply() -> None:
                try:
                    target.apply([RENAME])
                except BaseException as exc:
                    errors.append(exc)

            worker = threading.Thread(target=apply)
            worker.start()
            then(holder, other, _wait_until_blocked(other, holder))
            worker.join()
    finally:
        other.dispose()
    assert target.apply([RENAME]) == []  # and the retry goes through
    assert target.read().roster.groups["Potions"].name == "Potions (Year 2)"
    return errors[0] if errors else None


@pytest.mark.postgres
def test_a_postgresql_serialization_failure_is_retriable(pg_url: str, tmp_path: Path) -> None:
    def commit(holder: sa.Connection, admin: sa.Engine, pid: int) -> None:
        holder.commit()

    error = _apply_while_a_row_is_locked(pg_url, tmp_path, commit)
    assert isinstance(error, RetriableError), error
    assert "could not serialize access" in str(error)


@pytest.mark.postgres
def test_a_lost_postgresql_connection_is_retriable(pg_url: str, tmp_path: Path) -> None:
    def kill(holder: sa.Connection, admin: sa.Engine, pid: int) -> None:
        with admin.connect() as c:
            c.execute(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        holder.rollback()

    error = _apply_while_a_row_is_locked(pg_url, tmp_path, kill)
    assert isinstance(error, RetriableError), error
    assert "terminating connection" in str(error)


@pytest.mark.postgres
def test_a_postgresql_deadlock_is_retriable(pg_url: str, tmp_path: Path) -> None:
    """The target renames Potions then Flying while another transaction holds Flying and
    then asks for Potions; the target's session notices the deadlock first."""
    url = pg_url + "%20-cdeadlock_timeout%3D50ms"
    target = DirectoryTarget(DirectoryOptions(url=url), make_context(tmp_path))
    assert sync_into(target, sample_roster()) == []
    renames = [
        Change(ChangeKind.RENAME_GROUP, key, name=f"{key} (Year 2)")
        for key in ("Potions", "Flying")
    ]
    other = sa.create_engine(pg_url + "%20-cdeadlock_timeout%3D10s")
    errors: list[BaseException] = []

    def apply() -> None:
        try:
            target.apply(renames)
        except BaseException as exc:
            errors.append(exc)

    try:
        with other.connect() as holder:
            holder.execute(sa.text("UPDATE dir_group SET name = 'F!' WHERE key = 'Flying'"))
            worker = threading.Thread(target=apply)
            worker.start()
            _wait_until_blocked(other, holder)
            holder.execute(sa.text("UPDATE dir_group SET name = 'P!' WHERE key = 'Potions'"))
            holder.rollback()
            worker.join()
    finally:
        other.dispose()
    assert len(errors) == 1 and isinstance(errors[0], RetriableError), errors
    assert "deadlock detected" in str(errors[0])
    assert target.apply(renames) == []

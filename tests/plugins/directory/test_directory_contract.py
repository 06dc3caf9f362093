"""The directory target passes the target contract on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from plugins.directory.target import (
    DirectoryOptions,
    DirectoryTarget,
    add_hand_made_group,
    open_directory,
)
from sync.testing import HandMadeGroup, PluginKit, TargetContract, TargetFault, make_context


class TestDirectoryContract(TargetContract):
    """On SQLite; the subclass below runs the same contract on PostgreSQL."""

    not_applicable = {
        "test_a_fatal_fault_raises_fatal_and_fails_the_run": "the directory has no fatal fault "
        "to make: every database error it can meet is passing or a bug",
    }

    @pytest.fixture
    def state_url(self, tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'state.db'}"

    @pytest.fixture
    def directory_url(self, tmp_path: Path, state_url: str) -> str:
        """On SQLite its own file, so that a lock held on it leaves the state store free,
        and a busy timeout that gives up at once."""
        if state_url.startswith("sqlite"):
            return f"sqlite:///{tmp_path / 'directory.db'}?timeout=0.05"
        return state_url

    @pytest.fixture
    def target_kit(self, tmp_path: Path, state_url: str, directory_url: str) -> PluginKit:
        table = {"plugin": "directory", "url": directory_url}
        return PluginKit.for_target(tmp_path, table, state_url=state_url)

    @pytest.fixture
    def hand_made_group(self, directory_url: str) -> HandMadeGroup:
        def make(key: str, name: str, members: Sequence[str]) -> None:
            add_hand_made_group(open_directory(directory_url), key, name, members)

        return make

    @pytest.fixture
    def target_fault(self, tmp_path: Path, directory_url: str) -> Iterator[TargetFault]:
        """Another process holding the SQLite file's write lock. (PostgreSQL's passing
        faults, each made for real, are in test_transient_errors.py.)"""
        held: list[sqlite3.Connection] = []

        def fault(kind: str) -> None:
            assert kind == "retriable" and directory_url.startswith("sqlite"), kind
            holder = sqlite3.connect(tmp_path / "directory.db", isolation_level=None)
            holder.execute("BEGIN EXCLUSIVE")
            held.append(holder)

        yield fault
        for holder in held:
            holder.rollback()
            holder.close()


def test_two_syncs_into_one_directory_own_their_groups_separately(tmp_path: Path) -> None:
    from sync.model import Change, ChangeKind

    url = f"sqlite:///{tmp_path / 'dir.db'}"
    first = DirectoryTarget(DirectoryOptions(), make_context(tmp_path, sync="first", state_url=url))
    second = DirectoryTarget(
        DirectoryOptions(), make_context(tmp_path, sync="second", state_url=url)
    )
    assert first.apply([Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions")]) == []
    refused = second.apply([Change(ChangeKind.ADD_MEMBER, "Potions", person="Draco_Malfoy")])
    assert len(refused) == 1 and "belongs to 'first'" in refused[0].reason
    assert second.read().managed == frozenset() and first.read().managed == {"Potions"}


@pytest.mark.postgres
class TestDirectoryContractOnPostgres(TestDirectoryContract):
    not_applicable = {
        "test_a_passing_fault_raises_retriable_and_the_run_retries": "PostgreSQL's passing "
        "faults (serialization failure, deadlock, a lost connection) are each made for real in "
        "test_transient_errors.py",
    }

    @pytest.fixture
    def state_url(self, pg_url: str) -> str:
        return pg_url

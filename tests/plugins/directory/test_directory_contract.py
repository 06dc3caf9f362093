"""The directory target passes the target contract on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from plugins.directory.target import (
    DirectoryOptions,
    DirectoryTarget,
    add_hand_made_group,
    open_directory,
)
from sync.testing import TargetContract, make_context


class TestDirectoryContract(TargetContract):
    @pytest.fixture
    def target(self, tmp_path: Path, state_url: str) -> DirectoryTarget:
        return DirectoryTarget(DirectoryOptions(), make_context(tmp_path, state_url=state_url))

    @pytest.fixture
    def hand_made_group(self, state_url: str) -> Callable[[str, str, Sequence[str]], None]:
        def make(key: str, name: str, members: Sequence[str]) -> None:
            add_hand_made_group(open_directory(state_url), key, name, members)

        return make


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

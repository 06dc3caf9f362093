"""The scim target passes the target contract against a real SCIM server, built from its
``[targets.NAME]`` table as a run builds it (the token through ``{ env = ... }``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from sync.testing import HandMadeGroup, PluginKit, TargetContract, TargetFault
from tests.plugins.scim.server import TOKEN, ScimServer


class TestScimContract(TargetContract):
    """Access rights as companion groups (the default)."""

    not_applicable = {
        "test_staff_profiles_are_set_and_cleared": "SCIM groups carry no staff user groups or "
        "permissions (the target does not claim staff_profiles)",
        "test_blocks_are_added_and_lifted": "SCIM cannot hide one member of a group from one "
        "viewer (the target does not claim hide_members; the planner withholds those grants)",
    }

    options: dict[str, Any] = {}

    @pytest.fixture
    def target_kit(
        self, scim: ScimServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> PluginKit:
        monkeypatch.setenv("KIT_SCIM_TOKEN", TOKEN)
        table = {
            "plugin": "scim",
            "url": scim.url,
            "token": {"env": "KIT_SCIM_TOKEN"},
            "create_users": True,
            "backoff_seconds": 0,
            "max_attempts": 2,
            **self.options,
        }
        return PluginKit.for_target(tmp_path, table, name="idp")

    @pytest.fixture
    def hand_made_group(self, scim: ScimServer) -> HandMadeGroup:
        def make(key: str, name: str, members: Sequence[str]) -> None:
            scim.hand_made_group(name, members)

        return make

    @pytest.fixture
    def target_fault(self, scim: ScimServer) -> TargetFault:
        def fault(kind: str) -> None:
            if kind == "retriable":
                scim.recorder.fail_every = 1  # every request: 503, Retry-After: 0
            else:
                scim.recorder.refuse = lambda method, path, body: (401, "the token was revoked")

        return fault


class TestScimContractWithoutAccessRights(TestScimContract):
    """``access_rights = "none"``: groups and members only."""

    options = {"access_rights": "none"}

    def test_claims_no_capability(self, target_kit: PluginKit) -> None:
        assert target_kit.target().capabilities == frozenset()

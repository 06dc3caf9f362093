"""The scim target passes the target contract against a real SCIM server."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from plugins.scim.target import ScimTarget
from sync.testing import TargetContract
from tests.plugins.scim.conftest import MakeTarget
from tests.plugins.scim.server import ScimServer


class TestScimContract(TargetContract):
    """Access rights as companion groups (the default)."""

    @pytest.fixture
    def target(self, make_target: MakeTarget) -> ScimTarget:
        return make_target()

    @pytest.fixture
    def hand_made_group(self, scim: ScimServer) -> Callable[[str, str, Sequence[str]], None]:
        def make(key: str, name: str, members: Sequence[str]) -> None:
            scim.hand_made_group(name, members)

        return make


class TestScimContractWithoutAccessRights(TestScimContract):
    """``access_rights = "none"``: groups and members only."""

    @pytest.fixture
    def target(self, make_target: MakeTarget) -> ScimTarget:
        target = make_target(access_rights="none")
        assert target.capabilities == frozenset()
        return target

"""Fixtures: one slapd per test session, a fresh tree per test, and targets on it.

Without slapd the tests are skipped, except in CI (``CI=true`` or
``ROSTERSYNC_REQUIRE_LDAP=1``), where that is a failure.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from plugins.ldap.options import LdapOptions
from plugins.ldap.target import LdapTarget
from sync.testing import MemoryState, make_context, sample_roster
from tests.fakes.slapd import (
    SERVICE_DN,
    SERVICE_PASSWORD,
    Slapd,
    Tree,
    add_people,
    make_tree,
    running_slapd,
    slapd_missing,
)

REQUIRE_LDAP = (
    os.environ.get("ROSTERSYNC_REQUIRE_LDAP") == "1" or os.environ.get("CI", "") == "true"
)
HOGWARTS = sorted(sample_roster().people)


@pytest.fixture(scope="session")
def slapd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Slapd]:
    problem = slapd_missing()
    if problem:
        if REQUIRE_LDAP:
            pytest.fail(f"slapd is required (ROSTERSYNC_REQUIRE_LDAP=1 or CI): {problem}")
        pytest.skip(problem)
    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        yield server


@pytest.fixture
def tree(slapd: Slapd) -> Tree:
    """A fresh tree with an entry (``uid``) for each person of the Hogwarts sample."""
    made = make_tree(slapd)
    add_people(slapd, made, HOGWARTS)
    return made


@pytest.fixture
def ad_tree(slapd: Slapd) -> Tree:
    """A fresh tree with AD-style users (``user``, ``sAMAccountName``) for Hogwarts."""
    made = make_tree(slapd)
    add_people(slapd, made, HOGWARTS, active_directory=True)
    return made


MakeTarget = Callable[..., LdapTarget]


def options_for(slapd: Slapd, tree: Tree, **options: Any) -> LdapOptions:
    values: dict[str, Any] = {
        "url": slapd.url,
        "start_tls": False,
        "bind_dn": SERVICE_DN,
        "password": SERVICE_PASSWORD,
        "groups_dn": tree.groups_dn,
        "users_dn": tree.users_dn,
        "page_size": 3,  # several pages even for the sample
        **options,
    }
    return LdapOptions.model_validate(values)


@pytest.fixture
def make_target(slapd: Slapd, tree: Tree, tmp_path: Path) -> Iterator[MakeTarget]:
    """``make_target(**options)``: an LdapTarget on this test's tree (closed afterwards);
    a new one per run, as the engine makes, with the plugin state the sync's earlier
    targets left (``state=``: another one)."""
    made: list[LdapTarget] = []
    states: dict[str, MemoryState] = {}

    def make(
        *,
        sync: str = "default",
        on: Tree | None = None,
        state: MemoryState | None = None,
        **options: Any,
    ) -> LdapTarget:
        kept = state if state is not None else states.setdefault(sync, MemoryState())
        target = LdapTarget(
            options_for(slapd, on or tree, **options),
            make_context(tmp_path, name="directory", sync=sync, state=kept),
        )
        made.append(target)
        return target

    yield make
    for target in made:
        target.close()

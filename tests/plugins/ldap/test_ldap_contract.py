"""The ldap target passes the target contract against a real slapd, in both flavours."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from plugins.ldap.target import LdapTarget
from sync.testing import TargetContract
from tests.fakes.slapd import Slapd, Tree, add_people, people_in
from tests.plugins.ldap.conftest import MakeTarget

pytestmark = pytest.mark.ldap

HandMade = Callable[[str, str, Sequence[str]], None]


def hand_made_in(slapd: Slapd, tree: Tree, *, active_directory: bool = False) -> HandMade:
    """A group made the way an admin would: no marker, members by DN."""

    def make(key: str, name: str, members: Sequence[str]) -> None:
        known = people_in(slapd, tree, active_directory=active_directory)
        new = [p for p in members if p not in known]
        known.update(add_people(slapd, tree, new, active_directory=active_directory))
        dns = [known[p] for p in members]
        admin = slapd.admin()
        dn = f"cn={name},{tree.groups_dn}"
        if active_directory:
            members = {"member": dns} if dns else {}
            admin.add(dn, ["group"], {"groupType": -2147483646, **members})
        else:
            admin.add(dn, ["groupOfNames"], {"member": dns or [f"cn=admin,{tree.base}"]})
        admin.unbind()

    return make


class TestLdapContract(TargetContract):
    """OpenLDAP: ``groupOfNames``, the marker in ``description``, people by ``uid``."""

    @pytest.fixture
    def target(self, make_target: MakeTarget) -> LdapTarget:
        return make_target()

    @pytest.fixture
    def hand_made_group(self, slapd: Slapd, tree: Tree) -> HandMade:
        return hand_made_in(slapd, tree)


class TestActiveDirectoryContract(TargetContract):
    """AD: ``group`` with ``sAMAccountName`` and ``groupType``, the marker in ``info``,
    people by ``sAMAccountName`` (against slapd with tests/fakes/ad.schema)."""

    @pytest.fixture
    def target(self, make_target: MakeTarget, ad_tree: Tree) -> LdapTarget:
        return make_target(on=ad_tree, flavour="active_directory")

    @pytest.fixture
    def hand_made_group(self, slapd: Slapd, ad_tree: Tree) -> HandMade:
        return hand_made_in(slapd, ad_tree, active_directory=True)


class TestLdapContractWithoutAccessRights(TestLdapContract):
    """``access_rights = "none"``: groups and members only."""

    @pytest.fixture
    def target(self, make_target: MakeTarget) -> LdapTarget:
        target = make_target(access_rights="none")
        assert target.capabilities == frozenset()
        return target

"""The ldap target passes the target contract against a real slapd, in both flavours,
built from its ``[targets.NAME]`` table as a run builds it (the password through
``{ env = ... }``)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from sync.api import CAPABILITY_MEMBER_DIGESTS
from sync.testing import HandMadeGroup, PluginKit, TargetContract, TargetFault
from tests.fakes.slapd import SERVICE_DN, SERVICE_PASSWORD, Slapd, Tree, add_people, people_in
from tests.fakes.tcp_proxy import Proxy, proxy_to

pytestmark = pytest.mark.ldap


def hand_made_in(slapd: Slapd, tree: Tree, *, active_directory: bool = False) -> HandMadeGroup:
    """A group made the way an admin would: no marker, members by DN."""

    def make(key: str, name: str, members: Sequence[str]) -> None:
        known = people_in(slapd, tree, active_directory=active_directory)
        new = [p for p in members if p not in known]
        known.update(add_people(slapd, tree, new, active_directory=active_directory))
        dns = [known[p] for p in members]
        admin = slapd.admin()
        dn = f"cn={name},{tree.groups_dn}"
        if active_directory:
            members_of = {"member": dns} if dns else {}
            admin.add(dn, ["group"], {"groupType": -2147483646, **members_of})
        else:
            admin.add(dn, ["groupOfNames"], {"member": dns or [f"cn=admin,{tree.base}"]})
        admin.unbind()

    return make


class TestLdapContract(TargetContract):
    """OpenLDAP: ``groupOfNames``, the marker in ``description``, people by ``uid``; the
    server reached through a proxy that the fault fixture can make refuse connections."""

    not_applicable = {
        "test_staff_profiles_are_set_and_cleared": "a directory group carries no staff user "
        "groups or permissions (the target does not claim staff_profiles)",
        "test_blocks_are_added_and_lifted": "LDAP cannot hide one member of a group from one "
        "viewer (the target does not claim hide_members; the planner withholds those grants)",
    }

    options: dict[str, Any] = {}
    active_directory = False

    @pytest.fixture
    def people(self, tree: Tree, ad_tree: Tree) -> Tree:
        return ad_tree if self.active_directory else tree

    @pytest.fixture
    def proxy(self, slapd: Slapd) -> Iterator[Proxy]:
        with proxy_to("127.0.0.1", slapd.port) as proxy:
            yield proxy

    @pytest.fixture
    def target_kit(
        self, proxy: Proxy, people: Tree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> PluginKit:
        monkeypatch.setenv("KIT_LDAP_PASSWORD", SERVICE_PASSWORD)
        table = {
            "plugin": "ldap",
            "url": f"ldap://127.0.0.1:{proxy.port}",
            "start_tls": False,
            "bind_dn": SERVICE_DN,
            "password": {"env": "KIT_LDAP_PASSWORD"},
            "groups_dn": people.groups_dn,
            "users_dn": people.users_dn,
            "flavour": "active_directory" if self.active_directory else "openldap",
            "page_size": 3,
            **self.options,
        }
        return PluginKit.for_target(tmp_path, table, name="directory")

    @pytest.fixture
    def hand_made_group(self, slapd: Slapd, people: Tree) -> HandMadeGroup:
        return hand_made_in(slapd, people, active_directory=self.active_directory)

    @pytest.fixture
    def target_fault(self, slapd: Slapd, people: Tree, proxy: Proxy) -> TargetFault:
        def fault(kind: str) -> None:
            if kind == "retriable":
                proxy.refuse()  # the server is unreachable from now on
            else:  # groups_dn is gone: every read is refused (noSuchObject)
                admin = slapd.admin()
                admin.modify_dn(people.groups_dn, "ou=moved")
                admin.unbind()

        return fault


class TestActiveDirectoryContract(TestLdapContract):
    """AD: ``group`` with ``sAMAccountName`` and ``groupType``, the marker in ``info``,
    people by ``sAMAccountName`` (against slapd with tests/fakes/ad.schema)."""

    active_directory = True


class TestLdapContractWithoutAccessRights(TestLdapContract):
    """``access_rights = "none"``: groups and members only."""

    options = {"access_rights": "none"}

    def test_claims_no_access_capability(self, target_kit: PluginKit) -> None:
        assert target_kit.target().capabilities == frozenset({CAPABILITY_MEMBER_DIGESTS})

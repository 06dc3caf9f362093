"""The ldap target against a real slapd: cheap reruns, one modify per group, moves and
renames, ownership, missing people, names that need escaping, and errors."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from ldap3.core.exceptions import LDAPBusyResult, LDAPInsufficientAccessRightsResult

from plugins.ldap.connection import LdapConnection, Refused
from plugins.ldap.target import LdapTarget
from sync.errors import RetriableError, TargetError
from sync.model import (
    AccessGrant,
    Change,
    ChangeKind,
    Group,
    Membership,
    Person,
    Role,
    Roster,
)
from sync.plan import make_plan
from sync.testing import sample_roster, sync_into
from tests.fakes.slapd import (
    READER_DN,
    READER_PASSWORD,
    SERVICE_PASSWORD,
    Slapd,
    Tree,
    add_people,
    make_tree,
)
from tests.fakes.tcp_proxy import proxy_to
from tests.plugins.ldap.conftest import MakeTarget, options_for

pytestmark = pytest.mark.ldap


def groups_in(slapd: Slapd, base: str, *attributes: str) -> dict[str, dict[str, Any]]:
    """Every group entry under ``base`` by ``cn``: its DN and the attributes asked for."""
    admin = slapd.admin()
    admin.search(
        base,
        "(|(objectClass=groupOfNames)(objectClass=group))",
        attributes=["cn", "member", *attributes],
    )
    found = {
        str(e["attributes"]["cn"][0]): {"dn": str(e["dn"]), **dict(e["attributes"])}
        for e in admin.response
        if e["type"] == "searchResEntry"
    }
    admin.unbind()
    return found


def member_ids(slapd: Slapd, tree: Tree, name: str) -> set[str]:
    """The people (``uid``) in the group named ``name``."""
    members = groups_in(slapd, tree.groups_dn)[name]["member"]
    return {str(dn).split(",")[0].split("=", 1)[1] for dn in members if "ou=people" in str(dn)}


def moved_roster() -> Roster:
    roster = sample_roster()
    return Roster.build(
        roster.people.values(),
        roster.groups.values(),
        [m for m in roster.memberships if m != Membership("Potions", "Ron_Weasley")]
        + [Membership("Flying", "Ron_Weasley")],
        roster.grants,
    )


def potions_renamed(roster: Roster, name: str) -> Roster:
    """``roster`` with the Potions class (key ``Potions``) renamed to ``name``."""
    return Roster.build(
        roster.people.values(),
        [Group(k, name if k == "Potions" else g.name) for k, g in roster.groups.items()],
        roster.memberships,
        roster.grants,
    )


def test_a_rerun_with_nothing_changed_sends_no_modify(
    make_target: MakeTarget, slapd: Slapd
) -> None:
    roster = sample_roster()
    first = make_target()
    assert sync_into(first, roster) == []
    assert first.directory.usage.modify_operations > 0
    mark = slapd.log_mark()
    rerun = make_target()  # a new run: a new target object, as the engine makes one
    assert sync_into(rerun, roster) == []
    usage = rerun.directory.usage
    writes = (usage.modify_operations, usage.add_operations, usage.delete_operations)
    assert writes == (0, 0, 0) and usage.modify_dn_operations == 0
    assert usage.search_operations > 0
    assert slapd.operations(mark, "MOD") == [] and slapd.operations(mark, "ADD") == []


def test_reading_is_one_paged_search_of_groups_and_one_of_users(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    sync_into(make_target(), sample_roster())  # 4 groups and 4 companions: 3 pages of 3
    mark = slapd.log_mark()
    make_target().read()
    searches = slapd.operations(mark, "SRCH")
    assert len([s for s in searches if tree.groups_dn in s]) == 3
    assert len([s for s in searches if tree.users_dn in s]) == 2  # 6 people, pages of 3
    assert all("1.2.840.113556.1.4.319" not in s for s in searches)  # (not logged by slapd)


def test_a_moved_student_is_one_modify_on_each_of_the_two_groups(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    sync_into(make_target(), sample_roster())
    mark = slapd.log_mark()
    assert sync_into(make_target(), moved_roster()) == []
    modified = slapd.operations(mark, "MOD")
    assert len(modified) == 2
    assert any("cn=Potions," in line for line in modified)
    assert any("cn=Flying," in line for line in modified)
    assert member_ids(slapd, tree, "Potions") == {"Harry_Potter"}
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter", "Ron_Weasley"}


def test_adds_and_deletes_of_a_group_go_in_one_modify(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    sync_into(make_target(), roster)
    swapped = Roster.build(
        roster.people.values(),
        roster.groups.values(),
        [m for m in roster.memberships if m != Membership("Flying", "Harry_Potter")]
        + [Membership("Flying", "Ron_Weasley")],
        roster.grants,
    )
    target = make_target()
    plan = make_plan(swapped, target.read(), capabilities=target.capabilities)
    assert {c.kind for c in plan.changes} == {ChangeKind.ADD_MEMBER, ChangeKind.REMOVE_MEMBER}
    assert target.apply(plan.changes) == []  # both kinds in one batch
    assert target.directory.usage.modify_operations == 1
    assert member_ids(slapd, tree, "Flying") == {"Ron_Weasley"}


def test_a_large_group_is_modified_in_chunks_within_the_size_limit(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    people = [f"s{n:03d}" for n in range(250)]
    add_people(slapd, tree, people)
    roster = Roster.build(
        [Person(p, Role.STUDENT) for p in people],
        [Group("Big", "Big")],
        [Membership("Big", p) for p in people],
    )
    target = make_target(max_values_per_modify=100)
    assert sync_into(target, roster) == []
    assert target.directory.usage.modify_operations == 3
    assert member_ids(slapd, tree, "Big") == set(people)
    one = make_target()
    assert sync_into(one, Roster.build(roster.people.values(), roster.groups.values())) == []
    assert one.directory.usage.modify_operations == 1
    assert member_ids(slapd, tree, "Big") == set()


def test_a_renamed_class_keeps_its_entry(make_target: MakeTarget, slapd: Slapd, tree: Tree) -> None:
    roster = sample_roster()
    sync_into(make_target(), roster)
    before = groups_in(slapd, tree.groups_dn, "entryUUID", "description")
    renamed = potions_renamed(roster, "Potions, Advanced")
    target = make_target()
    plan = make_plan(renamed, target.read(), capabilities=target.capabilities)
    assert [c.kind for c in plan.changes] == [ChangeKind.RENAME_GROUP]
    assert sync_into(target, renamed) == []
    after = groups_in(slapd, tree.groups_dn, "entryUUID", "description")
    assert "Potions" not in after and "Potions - staff" not in after
    moved = after["Potions, Advanced"]
    assert moved["dn"].endswith(f",{tree.groups_dn}")
    assert moved["entryUUID"] == before["Potions"]["entryUUID"]
    assert moved["description"] == ["rostersync:default:Potions"]
    staff = after["Potions, Advanced - staff"]
    assert staff["entryUUID"] == before["Potions - staff"]["entryUUID"]
    assert member_ids(slapd, tree, "Potions, Advanced") == {"Harry_Potter", "Ron_Weasley"}
    assert make_plan(renamed, make_target().read(), capabilities=target.capabilities).changes == ()


def test_a_hand_made_group_of_the_same_name_is_reported_and_left_alone(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    admin = slapd.admin()
    potions = f"cn=Potions,{tree.groups_dn}"
    admin.add(potions, ["groupOfNames"], {"member": [f"uid=Severus_Snape,{tree.users_dn}"]})
    admin.unbind()
    target = make_target()
    plan = make_plan(sample_roster(), target.read(), capabilities=target.capabilities)
    assert any(
        "Potions" in i.message and "not created by rostersync" in i.message for i in plan.issues
    )
    assert not [c for c in plan.changes if c.group == "Potions"]
    assert sync_into(target, sample_roster()) == []
    entry = groups_in(slapd, tree.groups_dn, "description")["Potions"]
    assert entry["member"] == [f"uid=Severus_Snape,{tree.users_dn}"]
    assert entry["description"] == []
    sync_into(make_target(), Roster.build())  # deletes everything the sync owns
    left = groups_in(slapd, tree.groups_dn)
    assert set(left) == {"Potions"}


def test_a_marked_group_outside_groups_dn_is_never_read_or_changed(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    elsewhere = f"cn=Flying,{tree.base}"
    admin = slapd.admin()
    admin.add(
        elsewhere,
        ["groupOfNames"],
        {
            "member": [f"uid=Ron_Weasley,{tree.users_dn}"],
            "description": "rostersync:default:Flying",
        },
    )
    admin.unbind()
    target = make_target()
    assert "Flying" not in target.read().managed
    sync_into(target, sample_roster())
    sync_into(make_target(), Roster.build())
    outside = groups_in(slapd, tree.base)
    assert outside["Flying"]["dn"] == elsewhere
    assert outside["Flying"]["member"] == [f"uid=Ron_Weasley,{tree.users_dn}"]


def test_a_person_with_no_entry_is_reported_and_never_created(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    with_neville = Roster.build(
        [*roster.people.values(), Person("Neville_Longbottom", Role.STUDENT)],
        roster.groups.values(),
        [*roster.memberships, Membership("Flying", "Neville_Longbottom")],
        roster.grants,
    )
    failures = sync_into(make_target(), with_neville)
    assert [(f.change.kind, f.change.person) for f in failures] == [
        (ChangeKind.ADD_MEMBER, "Neville_Longbottom")
    ]
    assert f"no entry under '{tree.users_dn}' has uid='Neville_Longbottom'" in failures[0].reason
    assert "does not create accounts" in failures[0].reason
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter"}
    admin = slapd.admin()
    admin.search(tree.users_dn, "(uid=Neville_Longbottom)", attributes=[])
    assert [e for e in admin.response if e["type"] == "searchResEntry"] == []
    admin.unbind()


def test_names_are_escaped_in_dns_and_filters(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    odd = '#7, "Set A" + B <b>; \\ done '
    add_people(slapd, tree, ["o'brien*(x)"])
    people = [Person("o'brien*(x)", Role.STUDENT), Person("*", Role.STUDENT)]
    roster = Roster.build(
        people,
        [Group("odd", odd)],
        [Membership("odd", "o'brien*(x)"), Membership("odd", "*")],
    )
    target = make_target()
    failures = sync_into(target, roster)
    # "*" has no entry: an unescaped (uid=*) would have matched everyone.
    assert [f.change.person for f in failures] == ["*"]
    entry = groups_in(slapd, tree.groups_dn)[odd]
    assert entry["member"] == [f"uid=o'brien*(x),{tree.users_dn}"]
    assert make_plan(roster, make_target().read()).changes == tuple(f.change for f in failures)


def test_a_person_added_to_the_directory_during_the_run_is_found_by_an_escaped_filter(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    target = make_target()
    sync_into(target, roster)  # the run's search of users_dn is done
    add_people(slapd, tree, ["luna(lovegood)*"])
    change = Change(ChangeKind.ADD_MEMBER, "Flying", name="Flying", person="luna(lovegood)*")
    assert target.apply([change]) == []
    assert "luna(lovegood)*" in member_ids(slapd, tree, "Flying")


def test_an_empty_group_of_names_holds_the_stand_in_member(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    empty = Roster.build(roster.people.values(), [Group("Empty", "Empty")])
    assert sync_into(make_target(), empty) == []
    assert groups_in(slapd, tree.groups_dn)["Empty"]["member"] == ["cn=nobody"]
    one = Roster.build(
        roster.people.values(), [Group("Empty", "Empty")], [Membership("Empty", "Harry_Potter")]
    )
    assert sync_into(make_target(), one) == []
    assert groups_in(slapd, tree.groups_dn)["Empty"]["member"] == [
        f"uid=Harry_Potter,{tree.users_dn}"
    ]
    assert sync_into(make_target(), empty) == []
    assert groups_in(slapd, tree.groups_dn)["Empty"]["member"] == ["cn=nobody"]
    assert make_plan(empty, make_target().read()).changes == ()


def test_access_rights_are_companion_groups_with_their_options(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    basic = frozenset({"basic_console_only"})
    optioned = Roster.build(
        roster.people.values(),
        roster.groups.values(),
        roster.memberships,
        [
            AccessGrant(
                g.group, g.principal, basic if g.principal == "Severus_Snape" else g.options
            )
            for g in roster.grants
        ],
    )
    assert sync_into(make_target(), optioned) == []
    found = groups_in(slapd, tree.groups_dn, "description")
    assert member_ids(slapd, tree, "Dark Arts - staff") == {"Amycus_Carrow"}
    assert member_ids(slapd, tree, "Dark Arts - staff (basic_console_only)") == {"Severus_Snape"}
    assert found["Potions - staff (basic_console_only)"]["description"] == [
        "rostersync:default:Potions#access:basic_console_only"
    ]
    state = make_target().read()
    assert AccessGrant("Potions", "Severus_Snape", basic) in state.roster.grants
    assert sync_into(make_target(), roster) == []  # the option dropped: an update
    assert member_ids(slapd, tree, "Potions - staff") == {"Severus_Snape"}
    assert member_ids(slapd, tree, "Potions - staff (basic_console_only)") == set()


def test_two_syncs_own_their_groups_apart(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    sync_into(make_target(sync="default"), roster)
    other = make_target(sync="other")
    assert other.read().managed == frozenset()
    brooms = Roster.build(
        roster.people.values(), [Group("Brooms", "Brooms")], [Membership("Brooms", "Harry_Potter")]
    )
    assert sync_into(other, brooms) == []
    refused = other.apply([Change(ChangeKind.ADD_MEMBER, "Flying", person="Ron_Weasley")])
    assert [f.change.person for f in refused] == ["Ron_Weasley"]
    assert "rostersync:other:Flying" in refused[0].reason
    assert sync_into(make_target(sync="other"), Roster.build()) == []
    names = set(groups_in(slapd, tree.groups_dn))
    assert "Brooms" not in names and set(roster.groups) <= names
    assert member_ids(slapd, tree, "Flying") == {"Harry_Potter"}


def test_the_active_directory_flavour_writes_ad_groups(
    make_target: MakeTarget, slapd: Slapd, ad_tree: Tree
) -> None:
    roster = sample_roster()
    target = make_target(on=ad_tree, flavour="active_directory")
    assert sync_into(target, roster) == []
    found = groups_in(
        slapd,
        ad_tree.groups_dn,
        "objectClass",
        "sAMAccountName",
        "groupType",
        "info",
        "description",
    )
    potions = found["Potions"]
    assert set(potions["objectClass"]) == {"top", "group"}
    assert potions["sAMAccountName"] == ["Potions"]
    assert potions["groupType"] == ["-2147483646"]  # (slapd sends no schema: text)
    assert potions["info"] == ["rostersync:default:Potions"] and potions["description"] == []
    assert found["Dark Arts - staff"]["sAMAccountName"] == ["Dark Arts - staff"]
    assert {str(m).split(",")[0] for m in potions["member"]} == {
        "cn=Harry_Potter",
        "cn=Ron_Weasley",
    }
    renamed = potions_renamed(roster, "Potions: Year 7")
    assert sync_into(make_target(on=ad_tree, flavour="active_directory"), renamed) == []
    after = groups_in(slapd, ad_tree.groups_dn, "sAMAccountName")
    assert after["Potions: Year 7"]["sAMAccountName"] == ["Potions_ Year 7"]
    empty = Roster.build(roster.people.values(), renamed.groups.values())
    assert sync_into(make_target(on=ad_tree, flavour="active_directory"), empty) == []
    assert groups_in(slapd, ad_tree.groups_dn)["Flying"]["member"] == []  # AD groups may be empty


def test_users_by_another_attribute(make_target: MakeTarget, slapd: Slapd, ad_tree: Tree) -> None:
    people = [Person(f"{p}@school.example", Role.STUDENT) for p in ("Harry_Potter", "Ron_Weasley")]
    roster = Roster.build(
        people, [Group("Flying", "Flying")], [Membership("Flying", p.id) for p in people]
    )
    target = make_target(on=ad_tree, flavour="active_directory", user_attribute="userPrincipalName")
    assert sync_into(target, roster) == []
    assert (
        make_plan(
            roster,
            make_target(
                on=ad_tree, flavour="active_directory", user_attribute="userPrincipalName"
            ).read(),
        ).changes
        == ()
    )


# -- errors --------------------------------------------------------------------------------


def test_a_wrong_password_fails_clearly_and_never_shows_the_password(
    slapd: Slapd, tree: Tree, make_target: MakeTarget
) -> None:
    wrong = "Wr0ng-" + SERVICE_PASSWORD
    target = make_target(password=wrong)
    with pytest.raises(TargetError) as caught:
        target.read()
    message = str(caught.value)
    assert "refused the bind as 'cn=rostersync,dc=school,dc=example'" in message
    assert "invalidCredentials (49)" in message and "check bind_dn and password" in message
    assert wrong not in message and SERVICE_PASSWORD not in message


def test_a_bind_account_without_write_access_fails_each_change_with_its_dn(
    make_target: MakeTarget, tree: Tree
) -> None:
    reader = make_target(bind_dn=READER_DN, password=READER_PASSWORD)
    assert reader.read().managed == frozenset()
    failures = reader.apply([Change(ChangeKind.CREATE_GROUP, "Flying", name="Flying")])
    assert len(failures) == 1
    reason = failures[0].reason
    assert f"add 'cn=Flying,{tree.groups_dn}'" in reason
    assert "insufficientAccessRights (50)" in reason and READER_PASSWORD not in reason


def test_a_schema_violation_is_refused_for_good(make_target: MakeTarget, tree: Tree) -> None:
    target = make_target(owner_attribute="sAMAccountName")  # not allowed in groupOfNames
    failures = target.apply([Change(ChangeKind.CREATE_GROUP, "Flying", name="Flying")])
    assert len(failures) == 1 and "objectClassViolation (65)" in failures[0].reason
    assert f"cn=Flying,{tree.groups_dn}" in failures[0].reason


def test_a_missing_groups_dn_fails_the_read(make_target: MakeTarget, tree: Tree) -> None:
    target = make_target(groups_dn=f"ou=nowhere,{tree.base}")
    with pytest.raises(TargetError, match=r"noSuchObject \(32\).*check that the DN exists"):
        target.read()


def test_an_unreachable_server_is_a_passing_fault(tree: Tree, slapd: Slapd, tmp_path: Any) -> None:
    from tests.fakes.slapd import free_port

    options = options_for(
        slapd, tree, url=f"ldap://127.0.0.1:{free_port()}", connect_timeout_seconds=2
    )
    target = LdapTarget(
        options, __import__("sync.testing", fromlist=["make_context"]).make_context(tmp_path)
    )
    with pytest.raises(RetriableError, match="cannot reach"):
        target.read()


@pytest.fixture
def silent_server() -> Iterator[int]:
    """A port that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join(timeout=5)
    for s in held:
        s.close()
    listener.close()


def test_a_server_that_does_not_answer_is_a_passing_fault(
    make_target: MakeTarget, silent_server: int
) -> None:
    target = make_target(url=f"ldap://127.0.0.1:{silent_server}", timeout_seconds=1)
    with pytest.raises(RetriableError):
        target.read()


@pytest.mark.parametrize(
    ("error", "retriable"),
    [
        (LDAPBusyResult(result=51, description="busy", message="server is busy"), True),
        (
            LDAPInsufficientAccessRightsResult(result=50, description="insufficientAccessRights"),
            False,
        ),
    ],
)
def test_result_codes_map_to_passing_faults_or_refusals(
    slapd: Slapd, tree: Tree, error: Exception, retriable: bool
) -> None:
    connection = LdapConnection(options_for(slapd, tree), "[targets.directory]")
    fault = connection._fault("modify 'cn=x'", error)  # type: ignore[arg-type]
    assert isinstance(fault, RetriableError if retriable else Refused)
    assert "modify 'cn=x'" in str(fault)


def test_a_fresh_tree_is_empty(make_target: MakeTarget, slapd: Slapd) -> None:
    other = make_tree(slapd)
    assert make_target(on=other).read().roster.groups == {}


def test_an_id_that_matches_an_entry_only_without_case_is_reported_not_flapped(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    # uid matches without case on the server; rostersync's ids are exact, so "harry_potter"
    # must not become the member Harry_Potter, to be removed by the next run as unwanted.
    roster = Roster.build(
        [Person("harry_potter", Role.STUDENT), Person("Harry_Potter", Role.STUDENT)],
        [Group("Flying", "Flying")],
        [Membership("Flying", "harry_potter")],
    )
    target = make_target()
    target.read()  # the run's user search is done: "harry_potter" is a miss
    plan = make_plan(roster, target.read(), capabilities=target.capabilities)
    failures = target.apply([c for c in plan.changes if c.kind is ChangeKind.CREATE_GROUP])
    failures = target.apply([c for c in plan.changes if c.kind is ChangeKind.ADD_MEMBER])
    assert [f.change.person for f in failures] == ["harry_potter"]
    assert member_ids(slapd, tree, "Flying") == set()


def test_a_connection_lost_mid_apply_is_retried_on_a_new_one_and_converges(
    make_target: MakeTarget, slapd: Slapd, tree: Tree
) -> None:
    roster = sample_roster()
    with proxy_to("127.0.0.1", slapd.port) as proxy:
        target = make_target(url=f"ldap://127.0.0.1:{proxy.port}")
        plan = make_plan(roster, target.read(), capabilities=target.capabilities)
        creates = [c for c in plan.changes if c.kind is ChangeKind.CREATE_GROUP]
        assert target.apply(creates) == []
        proxy.cut()
        adds = [c for c in plan.changes if c.kind is ChangeKind.ADD_MEMBER]
        with pytest.raises(RetriableError):
            target.apply(adds)
        assert target.apply(adds) == []  # the engine's retry: a new connection, a new read
        assert target.directory.usage.open_sockets == 1  # (counted per connection)
    assert member_ids(slapd, tree, "Potions") == {"Harry_Potter", "Ron_Weasley"}
    done = (ChangeKind.CREATE_GROUP, ChangeKind.ADD_MEMBER)
    rest = [c for c in plan.changes if c.kind not in done]
    assert make_target().apply(rest) == []
    assert make_plan(roster, make_target().read(), capabilities=target.capabilities).changes == ()

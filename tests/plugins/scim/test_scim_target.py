"""The scim target against a real SCIM server: same result as the directory target,
reads only when nothing changed, ownership, faults and refusals."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from plugins.directory.target import DirectoryOptions, DirectoryTarget
from plugins.scim.target import ScimOptions, ScimTarget
from sync.contract import Target
from sync.errors import TargetError
from sync.model import (
    AccessGrant,
    Change,
    ChangeKind,
    Group,
    Membership,
    Person,
    Role,
    Roster,
    TargetState,
)
from sync.plan import make_plan
from sync.testing import make_context, sample_roster, sync_into
from tests.plugins.scim.conftest import MakeTarget
from tests.plugins.scim.server import ScimServer


def district(students: int = 300, seed: int = 7) -> Roster:
    """A generated district: ``students`` students in 4 of 24 classes each, 12 teachers."""
    rng = random.Random(seed)
    classes = [
        f"Year {y} {s}"
        for y in (7, 8, 9, 10)
        for s in ("Maths", "English", "Art", "PE", "Music", "Latin")
    ]
    teachers = [f"teacher_{n:02d}" for n in range(12)]
    people = [Person(f"student_{n:03d}", Role.STUDENT) for n in range(students)]
    people += [Person(t, Role.TEACHER) for t in teachers]
    memberships = [
        Membership(c, f"student_{n:03d}") for n in range(students) for c in rng.sample(classes, 4)
    ]
    grants = [AccessGrant(c, teachers[i % len(teachers)]) for i, c in enumerate(classes)]
    grants += [
        AccessGrant(c, "teacher_00", frozenset({"basic_console_only"})) for c in classes[6:9]
    ]
    return Roster.build(people, [Group(c, c) for c in classes], memberships, grants)


def managed_view(
    state: TargetState,
) -> tuple[dict[str, str], set[Membership], set[tuple[str, str, frozenset[str]]]]:
    groups = {k: g.name for k, g in state.roster.groups.items() if k in state.managed}
    members = {m for m in state.roster.memberships if m.group in state.managed}
    grants = {
        (g.group, g.principal, g.options) for g in state.roster.grants if state.is_managed_grant(g)
    }
    return groups, members, grants


@pytest.mark.parametrize("roster", [sample_roster(), district()], ids=["seed", "district"])
def test_same_groups_members_and_access_as_the_directory_target(
    make_target: MakeTarget, tmp_path: Path, roster: Roster
) -> None:
    directory: Target = DirectoryTarget(DirectoryOptions(), make_context(tmp_path))
    scim = make_target()
    assert sync_into(directory, roster) == []
    assert sync_into(scim, roster) == []
    assert managed_view(scim.read()) == managed_view(directory.read())
    assert managed_view(scim.read())[1] == set(roster.memberships)


def test_a_rerun_with_no_changes_sends_only_reads(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    roster = district(students=120)
    assert sync_into(make_target(), roster) == []
    scim.recorder.reset()
    rerun = make_target()  # a new run: a new target object, as the engine makes one
    assert sync_into(rerun, roster) == []
    assert scim.recorder.writes() == []
    assert set(scim.recorder.methods()) == {"GET"}


def test_members_are_patched_in_batches_per_group(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    people = [Person(f"s{n:03d}", Role.STUDENT) for n in range(250)]
    scim.add_users(p.id for p in people)
    roster = Roster.build(people, [Group("Big", "Big")], [Membership("Big", p.id) for p in people])
    target = make_target(max_patch_members=100, create_users=False)
    scim.recorder.reset()
    assert sync_into(target, roster) == []
    patches = [path for method, path in scim.recorder.calls if method == "PATCH"]
    assert len(patches) == 3 and len(set(patches)) == 1
    assert scim.groups()["Big"] == {p.id for p in people}


def test_moving_students_changes_only_their_memberships(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    roster = sample_roster()
    sync_into(make_target(), roster)
    moved = Roster.build(
        roster.people.values(),
        roster.groups.values(),
        [m for m in roster.memberships if m != Membership("Potions", "Ron_Weasley")]
        + [Membership("Flying", "Ron_Weasley")],
        roster.grants,
    )
    scim.recorder.reset()
    target = make_target()
    assert sync_into(target, moved) == []
    assert [m for m, _ in scim.recorder.writes()] == ["PATCH", "PATCH"]
    groups = scim.groups()
    assert groups["Potions"] == {"Harry_Potter"}
    assert groups["Flying"] == {"Harry_Potter", "Ron_Weasley"}
    assert make_plan(moved, target.read(), capabilities=target.capabilities).changes == ()


def test_hand_made_groups_survive_and_are_never_written(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    staff_id = scim.hand_made_group("Staff Room", ["Minerva_McGonagall"])
    clash_id = scim.hand_made_group("Potions", ["Draco_Malfoy"])  # same name as a class
    target = make_target()
    plan = make_plan(sample_roster(), target.read(), capabilities=target.capabilities)
    assert any("'Potions' already exists" in issue.message for issue in plan.issues)
    sync_into(target, sample_roster())
    sync_into(make_target(), Roster.build())  # deletes everything the sync owns
    for method, path in scim.recorder.writes():
        assert staff_id not in path and clash_id not in path, (method, path)
    groups = scim.groups()
    assert groups == {"Staff Room": {"Minerva_McGonagall"}, "Potions": {"Draco_Malfoy"}}


def test_two_syncs_own_their_groups_separately(make_target: MakeTarget, scim: ScimServer) -> None:
    first, second = make_target(sync="first"), make_target(sync="second")
    assert first.apply([Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions")]) == []
    refused = second.apply([Change(ChangeKind.ADD_MEMBER, "Potions", person="Harry_Potter")])
    assert len(refused) == 1 and "rostersync:second:Potions" in refused[0].reason
    assert second.read().managed == frozenset() and first.read().managed == {"Potions"}


def test_creating_a_group_that_exists_with_our_external_id_adopts_it(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    slow = make_target()
    slow.read()  # sees nothing
    assert make_target().apply([Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions")]) == []
    assert slow.apply([Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions")]) == []
    assert [g["externalId"] for g in scim.all("Groups")] == ["rostersync:default:Potions"]


def test_a_missing_user_is_reported_unless_users_are_created(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    roster = sample_roster()
    scim.add_users(p for p in roster.people if p != "Ron_Weasley")
    failures = sync_into(make_target(create_users=False), roster)
    assert sorted(f.change.kind.value for f in failures) == ["add_member", "add_member"]
    assert all("no SCIM user with userName 'Ron_Weasley'" in f.reason for f in failures)
    assert "create_users = true in [targets.idp]" in failures[0].reason
    assert scim.groups()["Potions"] == {"Harry_Potter"}
    assert sync_into(make_target(create_users=True), roster) == []
    assert scim.groups()["Potions"] == {"Harry_Potter", "Ron_Weasley"}
    ron = [u for u in scim.all("Users") if u["userName"] == "Ron_Weasley"]
    assert len(ron) == 1 and ron[0]["active"] is True


def test_access_rights_are_companion_groups_with_their_options(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    roster = sample_roster()
    limited = Roster.build(
        roster.people.values(),
        roster.groups.values(),
        roster.memberships,
        [g for g in roster.grants if g.principal != "Severus_Snape"]
        + [AccessGrant("Potions", "Severus_Snape", frozenset({"basic_console_only"}))],
    )
    sync_into(make_target(), roster)
    groups = scim.groups()
    assert groups["Potions - staff"] == {"Severus_Snape"}
    assert groups["Dark Arts - staff"] == {"Amycus_Carrow", "Severus_Snape"}
    target = make_target()
    assert sync_into(target, limited) == []  # one update, one revoke
    groups = scim.groups()
    assert groups["Potions - staff"] == set()
    assert groups["Potions - staff (basic_console_only)"] == {"Severus_Snape"}
    assert groups["Dark Arts - staff"] == {"Amycus_Carrow"}
    state = target.read()
    assert (
        AccessGrant("Potions", "Severus_Snape", frozenset({"basic_console_only"}))
        in state.roster.grants
    )
    assert make_plan(limited, state, capabilities=target.capabilities).changes == ()
    renamed = Roster.build(
        limited.people.values(),
        [
            Group(g.key, "Potions II" if g.key == "Potions" else g.name)
            for g in limited.groups.values()
        ],
        limited.memberships,
        limited.grants,
    )
    assert sync_into(make_target(), renamed) == []
    assert {"Potions II", "Potions II - staff (basic_console_only)"} <= set(scim.groups())


def test_without_access_rights_no_companion_groups_are_made(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    target = make_target(access_rights="none")
    assert sync_into(target, sample_roster()) == []
    plan = make_plan(sample_roster(), target.read(), capabilities=target.capabilities)
    assert plan.changes == ()
    assert any("does not carry access rights" in issue.message for issue in plan.issues)
    assert not any(name.endswith(" - staff") for name in scim.groups())


def test_a_server_that_fails_now_and_then_still_converges(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    roster = district(students=80)
    scim.recorder.fail_every = 7
    target = make_target()
    assert sync_into(target, roster) == []
    assert scim.recorder.faults > 0
    assert target.client.retries == scim.recorder.faults
    scim.recorder.fail_every = 0
    check = make_target()
    assert make_plan(roster, check.read(), capabilities=check.capabilities).changes == ()
    assert len(scim.all("Groups")) == len(roster.groups) + len({g.group for g in roster.grants}) + 3


def test_a_refused_change_is_reported_and_the_others_are_applied(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    def refuse(method: str, path: str, body: object) -> tuple[int, str] | None:
        if method == "POST" and isinstance(body, dict) and body.get("displayName") == "Flying":
            return 409, "a group named Flying is reserved"
        return None

    scim.recorder.refuse = refuse
    failures = sync_into(make_target(), sample_roster())
    assert [(f.change.kind, f.change.group) for f in failures] == [
        (ChangeKind.CREATE_GROUP, "Flying"),
        (ChangeKind.ADD_MEMBER, "Flying"),
        (ChangeKind.GRANT_ACCESS, "Flying"),
    ]
    assert "a group named Flying is reserved" in failures[0].reason
    assert set(scim.groups()) >= {"Potions", "Dark Arts", "Muggle Studies"}


def test_one_refused_member_does_not_sink_its_batch(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    roster = sample_roster()
    sync_into(make_target(), Roster.build(roster.people.values(), roster.groups.values()))
    ron = scim.user_id("Ron_Weasley")

    def refuse(method: str, path: str, body: object) -> tuple[int, str] | None:
        if method == "PATCH" and ron in str(body):
            return 400, "member Ron_Weasley is suspended"
        return None

    scim.recorder.refuse = refuse
    failures = make_target().apply(
        [
            c
            for c in make_plan(roster, make_target().read()).changes
            if c.kind is ChangeKind.ADD_MEMBER
        ]
    )
    assert sorted(f.change.group for f in failures) == ["Muggle Studies", "Potions"]
    assert all("suspended" in f.reason for f in failures)
    assert scim.groups()["Potions"] == {"Harry_Potter"}


def test_a_wrong_token_fails_the_read_without_showing_the_token(
    scim: ScimServer, tmp_path: Path
) -> None:
    secret = "not-the-right-token-9c1"
    target = ScimTarget(ScimOptions(url=scim.url, token=secret), make_context(tmp_path, name="idp"))
    with pytest.raises(TargetError) as caught:
        target.read()
    message = str(caught.value)
    assert "refused the token (401)" in message and "[targets.idp]" in message
    assert secret not in message
    target.close()


def test_ignoring_unowned_groups_reads_only_owned_ones_through_a_filter(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    scim.hand_made_group("Staff Room", ["Minerva_McGonagall"])
    target = make_target(unowned_groups="ignore")
    assert sync_into(target, sample_roster()) == []
    scim.recorder.reset()
    state = make_target(unowned_groups="ignore").read()
    assert "Staff Room" not in state.roster.groups
    assert state.managed == frozenset(sample_roster().groups)
    assert ("GET", "/v2/ServiceProviderConfig") in scim.recorder.calls
    assert "Staff Room" in scim.groups()


def test_a_token_revoked_during_apply_fails_the_run_not_each_change(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    target = make_target()
    target.read()
    scim.recorder.refuse = lambda method, path, body: (401, "token revoked")
    with pytest.raises(TargetError, match=r"\[targets.idp\]: the SCIM server refused the token"):
        target.apply([Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions")])


class CannotFilterOrRename(list[str]):
    """A server without filtered ``remove`` paths or a ``displayName`` replace: it answers
    501 to those and records each refusal."""

    def __call__(self, method: str, path: str, body: object) -> tuple[int, str] | None:
        if method != "PATCH" or not isinstance(body, dict):
            return None
        for operation in body.get("Operations") or []:
            op, where = operation.get("op"), str(operation.get("path") or "")
            if (op == "remove" and "[" in where) or (op == "replace" and where == "displayName"):
                self.append(f"{op} {where.split('[')[0]}")
                return 501, "not implemented"
        return None


def test_a_501_is_refused_at_once_and_the_target_falls_back(
    make_target: MakeTarget, scim: ScimServer
) -> None:
    # Regression: a 501 PATCH used to be retried as a passing fault (25 sends over ~90 s).
    roster = sample_roster()
    sync_into(make_target(), roster)
    refusals = CannotFilterOrRename()
    scim.recorder.refuse = refusals
    moved = Roster.build(
        roster.people.values(),
        [
            Group(k, "Advanced " + g.name if k == "Potions" else g.name)
            for k, g in roster.groups.items()
        ],
        [m for m in roster.memberships if m.person != "Harry_Potter"],
        roster.grants,
    )
    assert sum(m.person == "Harry_Potter" for m in roster.memberships) >= 2
    target = make_target()
    assert sync_into(target, moved) == []
    # each refusal is learnt from once; the fallback is then used from the start
    assert sorted(refusals) == ["remove members", "replace displayName"]
    assert scim.recorder.methods()["PUT"] >= 2  # the group and its access group renamed
    groups = scim.groups()
    assert "Advanced Potions" in groups and "Potions" not in groups
    assert "Advanced Potions - staff" in groups
    assert all("Harry_Potter" not in members for members in groups.values())
    assert groups["Advanced Potions"] == {
        m.person for m in moved.memberships if m.group == "Potions"
    }
    messages = [issue.message for issue in target.run_issues()]
    assert len(messages) == 2
    assert any("replaces the whole member list" in m for m in messages)
    assert any("PUTs the whole group" in m for m in messages)
    assert make_plan(moved, make_target().read()).changes == ()


def test_the_old_retry_option_names_still_work(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level("WARNING"):
        options = ScimOptions.model_validate(
            {"url": "http://127.0.0.1:9", "token": "t", "attempts": 2, "retry_wait_seconds": 0}
        )
    assert (options.max_attempts, options.backoff_seconds) == (2, 0)
    assert "'attempts' is deprecated; call it 'max_attempts'" in caplog.text
    assert "'retry_wait_seconds' is deprecated; call it 'backoff_seconds'" in caplog.text

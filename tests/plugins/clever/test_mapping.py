"""Clever records -> roster: identities, names, and the data Clever really sends."""

from __future__ import annotations

from typing import Any

import pytest

from plugins.clever import CleverOptions
from plugins.clever.events import apply_event, empty_snapshot
from plugins.clever.mapping import Identity, build_roster, compact_section, compact_user
from sync.model import AccessGrant, Group, Membership, Role, Severity

ROLES = ("student", "teacher")


def user(uid: str, role: str, username: str | None, email: str | None, **role_data: Any) -> Any:
    data: dict[str, Any] = {"credentials": {"district_username": username}, **role_data}
    return {"id": uid, "email": email, "name": {"first": "F", "last": uid}, "roles": {role: data}}


def snapshot(users: list[Any], sections: list[Any], schools: Any = None) -> dict[str, Any]:
    snap = empty_snapshot()
    for u in users:
        record = compact_user(u, ROLES)
        if record is not None:
            snap["users"][u["id"]] = record
    for s in sections:
        snap["sections"][s["id"]] = compact_section(s)
    snap["schools"] = schools or {}
    return snap


def build(snap: dict[str, Any], identity: Identity = "district_username", template: str = "{name}"):  # type: ignore[no-untyped-def]
    return build_roster(snap, identity=identity, template=template, roles=ROLES, source="district")


SECTION = {
    "id": "sec1",
    "name": "Algebra",
    "period": "3",
    "school": "sch1",
    "students": ["s1", "s2"],
    "teacher": "t1",
    "teachers": ["t1", "t2"],
    "grade": "Ungraded",
    "subject": "a subject Clever added later",
}


def test_a_section_becomes_a_group_with_members_and_teachers_with_access() -> None:
    snap = snapshot(
        [
            user("s1", "student", "amy", "amy@x.org"),
            user("s2", "student", "bob", "bob@x.org"),
            user("t1", "teacher", "mr.t", "t@x.org"),
            user("t2", "teacher", "co.t", "co@x.org"),
        ],
        [SECTION],
    )
    mapped = build(snap)
    roster = mapped.roster
    assert roster.groups == {"sec1": Group("sec1", "Algebra")}
    assert roster.memberships == {Membership("sec1", "amy"), Membership("sec1", "bob")}
    assert roster.grants == {AccessGrant("sec1", "mr.t"), AccessGrant("sec1", "co.t")}
    assert roster.people["amy"].role is Role.STUDENT
    assert roster.people["mr.t"].attributes["clever_id"] == "t1"
    assert mapped.issues == [] and mapped.rejected == 0


@pytest.mark.parametrize(
    ("identity", "expected"),
    [("district_username", "amy"), ("email", "Amy.Lee@x.org"), ("email_local_part", "Amy.Lee")],
)
def test_identity_choices(identity: Identity, expected: str) -> None:
    snap = snapshot([user("s1", "student", "amy", " Amy.Lee@x.org ")], [])
    assert list(build(snap, identity).roster.people) == [expected]


@pytest.mark.parametrize(
    ("identity", "username", "email", "why"),
    [
        ("district_username", None, "a@x.org", "no district username"),
        ("district_username", "", "a@x.org", "no district username"),
        ("email", "amy", None, "no e-mail address"),
        ("email_local_part", "amy", None, "no e-mail address"),
        ("email_local_part", "amy", "@x.org", "nothing before '@'"),
    ],
)
def test_users_without_the_identity_are_skipped_and_reported(
    identity: Identity, username: str | None, email: str | None, why: str
) -> None:
    lone = {**SECTION, "students": ["s1"], "teacher": None, "teachers": []}
    snap = snapshot([user("s1", "student", username, email)], [lone])
    mapped = build(snap, identity)
    assert mapped.roster.people == {} and mapped.roster.memberships == frozenset()
    assert mapped.rejected == 1
    (issue,) = mapped.issues
    assert issue.severity is Severity.ERROR and why in issue.message
    assert issue.file == "users/s1" and issue.field == identity


def test_an_email_without_at_is_used_as_written_with_a_warning() -> None:
    mapped = build(snapshot([user("s1", "student", "amy", "amylee")], []), "email")
    assert list(mapped.roster.people) == ["amylee"]
    assert [i.severity for i in mapped.issues] == [Severity.WARNING]
    local = build(snapshot([user("s1", "student", "amy", "amylee")], []), "email_local_part")
    assert list(local.roster.people) == ["amylee"] and local.issues == []


def test_unexpected_values_and_unknown_fields_are_tolerated() -> None:
    quirky = user("s1", "student", "amy", "amy@x.org", gender="X", grade="13", new_thing=[1])
    quirky["roles"]["student"]["credentials"]["extra"] = {"a": 1}
    quirky["unknown_top_level"] = {"nested": True}
    other = user("s2", "student", "bob", "bob@x.org", gender="", grade="Ungraded")
    snap = snapshot([quirky, other], [SECTION])
    roster = build(snap).roster
    assert roster.people["amy"].attributes["grade"] == "13"
    assert roster.people["bob"].attributes["grade"] == "Ungraded"


def test_the_same_identity_twice_keeps_the_first_user() -> None:
    snap = snapshot(
        [user("u1", "teacher", "pat", "p@x.org"), user("u2", "teacher", "pat", "p2@x.org")], []
    )
    mapped = build(snap)
    assert mapped.roster.people["pat"].attributes["clever_id"] == "u1"
    assert mapped.rejected == 1 and "u1" in mapped.issues[0].message


def test_a_teacher_who_is_also_staff_is_a_teacher_once() -> None:
    both = user("t1", "teacher", "pat", "p@x.org")
    both["roles"]["staff"] = {"credentials": {"district_username": "pat"}}
    record = compact_user(both, ("student", "teacher", "staff"))
    assert record is not None and set(record["roles"]) == {"teacher", "staff"}
    snap = {"users": {"t1": record}, "sections": {}, "schools": {}}
    roster = build_roster(
        snap,
        identity="district_username",
        template="{name}",
        roles=("teacher", "staff"),
        source="d",
    ).roster
    assert roster.people["pat"].role is Role.TEACHER


def test_users_of_other_roles_are_not_kept() -> None:
    contact = {"id": "c1", "email": "c@x.org", "roles": {"contact": {}}}
    assert compact_user(contact, ROLES) is None


def test_section_members_clever_did_not_return_are_reported_once() -> None:
    snap = snapshot([user("s1", "student", "amy", "a@x.org")], [SECTION, {**SECTION, "id": "sec2"}])
    mapped = build(snap)
    unknown = sorted(i.value for i in mapped.issues)
    assert unknown == ["s2", "t1", "t2"]
    assert all(i.severity is Severity.WARNING for i in mapped.issues)


@pytest.mark.parametrize(
    ("template", "section", "expected"),
    [
        ("{name} ({period})", {}, "Algebra (3)"),
        ("{name} ({period})", {"period": ""}, "Algebra"),
        ("{name} ({period})", {"period": None}, "Algebra"),
        ("{school}: {name}", {}, "North High: Algebra"),
        ("{school}: {name}", {"school": "elsewhere"}, "elsewhere: Algebra"),
        ("{name} {{literal}}", {}, "Algebra {literal}"),
        ("{sis_id}", {"sis_id": ""}, "sec1"),
    ],
)
def test_group_names_from_a_template(template: str, section: Any, expected: str) -> None:
    snap = snapshot([], [{**SECTION, **section}], {"sch1": {"name": "North High"}})
    assert build(snap, template=template).roster.groups["sec1"].name == expected


@pytest.mark.parametrize("template", ["{name.__class__}", "{nope}", "{name", "{0}", "{}"])
def test_unsafe_or_unknown_templates_are_refused(template: str) -> None:
    with pytest.raises(ValueError, match="group_name"):
        CleverOptions(token="t", group_name=template)  # type: ignore[arg-type]


def test_events_update_and_delete_records_idempotently() -> None:
    snap = snapshot([user("s1", "student", "amy", "a@x.org")], [SECTION])
    renamed = {"id": "s1", "type": "users.updated"}
    renamed["data"] = {"object": user("s1", "student", "amy2", "a@x.org")}
    for _ in range(2):
        assert apply_event(snap, renamed, ROLES)
    assert snap["users"]["s1"]["roles"]["student"]["username"] == "amy2"
    gone = {"type": "sections.deleted", "data": {"object": SECTION}}
    assert apply_event(snap, gone, ROLES) and apply_event(snap, gone, ROLES)
    assert snap["sections"] == {}
    assert not apply_event(snap, {"type": "terms.created", "data": {"object": {"id": "x"}}}, ROLES)
    assert not apply_event(snap, {"type": "users.renamed", "data": {"object": {"id": "s1"}}}, ROLES)
    now_contact = {
        "type": "users.updated",
        "data": {"object": {"id": "s1", "roles": {"contact": {}}}},
    }
    assert apply_event(snap, now_contact, ROLES) and snap["users"] == {}

"""Clever users and sections -> people, groups, memberships and access grants.

The source first reduces every Clever object to a small record (``compact_user``,
``compact_section``, ``compact_school``); the snapshot of those records is what a full
sync reads and what events update, and ``build_roster`` is the one way both become a
roster, so a full and an incremental sync over the same data give the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

from plugins.names import template_fields, tidy
from sync.api import AccessGrant, Group, Issue, Memberships, Person, Role, Roster, Severity

Identity = Literal["district_username", "email", "email_local_part"]
JSON = dict[str, Any]

#: Which role wins when one Clever user holds several (a teacher who is also staff).
ROLE_ORDER: tuple[str, ...] = ("student", "teacher", "staff")
ROLE_OF = {"student": Role.STUDENT, "teacher": Role.TEACHER, "staff": Role.STAFF}

#: Fields a group name template may use.
TEMPLATE_FIELDS = frozenset(
    {"id", "name", "period", "section_number", "sis_id", "subject", "grade", "school", "school_id"}
)
MAX_UNKNOWN_REPORTED = 50


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str:
    """A string field as Clever may send it: null, a number, or text with stray spaces."""
    if type(value) is str:  # nearly always: the quickest test first
        return value.strip()
    if value is None or isinstance(value, dict | list):
        return ""
    return str(value).strip()


def compact_user(user: Mapping[str, Any], roles: Iterable[str]) -> JSON | None:
    """The parts of a Clever user rostersync uses, or None if it holds none of ``roles``."""
    all_roles = _dict(user.get("roles"))
    kept: dict[str, JSON] = {}
    for role in roles:
        data = all_roles.get(role)
        if not isinstance(data, dict):
            continue
        credentials = _dict(data.get("credentials"))
        kept[role] = {
            "username": _text(credentials.get("district_username")),
            "sis_id": _text(data.get("sis_id")),
            "grade": _text(data.get("grade")),
        }
    if not kept:
        return None
    name = _dict(user.get("name"))
    return {
        "email": _text(user.get("email")),
        "first": _text(name.get("first")),
        "last": _text(name.get("last")),
        "roles": kept,
    }


def compact_section(section: Mapping[str, Any]) -> JSON:
    """The parts of a Clever section rostersync uses; teachers keep the primary first."""
    teachers: list[str] = []
    primary = _text(section.get("teacher"))
    listed = _items(section.get("teachers"))
    for teacher in [primary, *(_text(t) for t in listed)]:
        if teacher and teacher not in teachers:
            teachers.append(teacher)
    fields = {k: _text(section.get(k)) for k in _SECTION_FIELDS}
    return {
        **fields,
        "school": _text(section.get("school")),
        "students": _ids(_items(section.get("students"))),
        "teachers": teachers,
    }


_SECTION_FIELDS = TEMPLATE_FIELDS - {"id", "school_id", "school"}


def _ids(values: list[Any]) -> list[str]:
    """Distinct non-empty ids, sorted: stripped in one pass when all are strings, as
    Clever sends them."""
    try:
        found = set(map(str.strip, values))
    except TypeError:  # a null or a number among them
        found = {_text(value) for value in values}
    found.discard("")
    return sorted(found)


def compact_school(school: Mapping[str, Any]) -> JSON:
    return {"name": _text(school.get("name"))}


def group_name(template: str, section_id: str, section: Mapping[str, Any], school: str) -> str:
    """The template filled in; empty brackets and doubled spaces are tidied away."""
    values = {k: _text(section.get(k)) for k in _fields_of(template)}
    values.update(id=section_id, school=school, school_id=_text(section.get("school")))
    name = template.format_map(values)
    return tidy(name)


@lru_cache(maxsize=16)
def _fields_of(template: str) -> frozenset[str]:
    """The section fields ``template`` names (parsed once per template)."""
    return frozenset(template_fields(template) & TEMPLATE_FIELDS)


@dataclass
class Mapped:
    roster: Roster
    issues: list[Issue] = field(default_factory=list)
    records: int = 0
    rejected: int = 0


def _identity(user: JSON, role: str, identity: Identity) -> tuple[str, str]:
    """The login for a user and, when it cannot be used, why (empty when fine)."""
    if identity == "district_username":
        found = user["roles"][role]["username"] or next(
            (r["username"] for r in user["roles"].values() if r["username"]), ""
        )
        return found, "" if found else "has no district username (credentials.district_username)"
    email = user["email"]
    if not email:
        return "", "has no e-mail address"
    if identity == "email":
        return email, ""
    local = email.split("@", 1)[0].strip()
    return local, "" if local else "has nothing before '@' in the e-mail address"


def build_roster(
    snapshot: Mapping[str, Any],
    *,
    identity: Identity,
    template: str,
    roles: Iterable[str],
    source: str,
) -> Mapped:
    """The roster a snapshot of Clever records describes, with an issue for each user skipped."""
    users: Mapping[str, JSON] = snapshot.get("users", {})
    sections: Mapping[str, JSON] = snapshot.get("sections", {})
    schools: Mapping[str, JSON] = snapshot.get("schools", {})
    wanted = [r for r in ROLE_ORDER if r in set(roles)]
    out = Mapped(Roster())
    people: dict[str, Person] = {}
    login: dict[str, str] = {}
    owner: dict[str, str] = {}

    def issue(severity: Severity, message: str, field: str, value: str, uid: str) -> None:
        out.issues.append(
            Issue(severity, message, source=source, file=f"users/{uid}", field=field, value=value)
        )

    out.records += len(users)
    for uid in sorted(users):
        user = users[uid]
        held = user["roles"]
        for role in wanted:
            if role in held:
                break
        else:
            continue
        person_id, problem = _identity(user, role, identity)
        if problem:
            issue(
                Severity.ERROR,
                f"{role} {user['first']} {user['last']} {problem}; skipped "
                f"(identity = {identity!r})",
                identity,
                "",
                uid,
            )
            out.rejected += 1
            continue
        if identity == "email" and "@" not in person_id:
            issue(
                Severity.WARNING, "the e-mail has no '@'; used as written", "email", person_id, uid
            )
        if person_id in owner:
            issue(
                Severity.WARNING,
                f"the same {identity} as Clever user {owner[person_id]}; skipped, the first "
                "user keeps it",
                identity,
                person_id,
                uid,
            )
            out.rejected += 1
            continue
        owner[person_id] = uid
        login[uid] = person_id
        data = user["roles"][role]
        attributes = {"clever_id": uid}
        if data["sis_id"]:
            attributes["sis_id"] = data["sis_id"]
        if data["grade"]:
            attributes["grade"] = data["grade"]
        people[person_id] = Person(
            person_id,
            ROLE_OF[role],
            given_name=user["first"],
            family_name=user["last"],
            email=user["email"],
            attributes=attributes,
        )

    groups: list[Group] = []
    members_of: dict[str, list[str]] = {}
    grants: list[AccessGrant] = []
    unknown: dict[str, str] = {}
    with_students = "student" in wanted
    for sid in sorted(sections):
        section = sections[sid]
        out.records += 1
        school = schools.get(section["school"], {}).get("name") or section["school"]
        name = group_name(template, sid, section, school)
        if not name:
            out.issues.append(
                Issue(
                    Severity.WARNING,
                    "the group name template gives an empty name; the section id is used",
                    source=source,
                    file=f"sections/{sid}",
                    field="group_name",
                )
            )
            name = sid
        groups.append(Group(sid, name))
        students = section["students"] if with_students else ()
        members = list(filter(None, map(login.get, students)))
        if len(members) < len(students):  # users skipped above, or not returned by Clever
            for uid in students:
                if uid not in login and uid not in users:
                    unknown.setdefault(uid, sid)
        if members:
            members_of[sid] = members
        for uid in section["teachers"]:
            if uid in login:
                grants.append(AccessGrant(sid, login[uid]))
            elif uid not in users and "teacher" in wanted:
                unknown.setdefault(uid, sid)
    for uid, sid in sorted(unknown.items())[:MAX_UNKNOWN_REPORTED]:
        out.issues.append(
            Issue(
                Severity.WARNING,
                f"section {sid} lists user {uid}, whom Clever did not return as a "
                f"{' or '.join(wanted)}; left out",
                source=source,
                file=f"sections/{sid}",
                value=uid,
            )
        )
    if len(unknown) > MAX_UNKNOWN_REPORTED:
        out.issues.append(
            Issue(
                Severity.WARNING,
                f"{len(unknown) - MAX_UNKNOWN_REPORTED} more unknown users in sections left out",
                source=source,
            )
        )
    out.roster = Roster.build(people.values(), groups, Memberships.of_groups(members_of), grants)
    return out

"""OneRoster tables -> people, groups, memberships and access grants: the one mapping.

The CSV package reader, the SDS reader and the REST reader all give ``Tables``; this
module alone decides what they mean, so a class read from a file or from the API makes
the same group. One group per class (key: its ``sourcedId``), named by a template;
``student`` enrolments make members, ``teacher`` enrolments (and ``aide``, ``proctor``,
``administrator`` when listed in ``access_roles``) make access grants.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

from plugins.dates import DateOrder, InvalidDate, read_date
from plugins.names import template_fields, tidy
from plugins.oneroster.rows import Row, Tables
from plugins.oneroster.spec import (
    ACTIVE_STATUSES,
    FAMILY_ROLES,
    REQUIRED,
    is_false,
    is_true,
    split_list,
    user_ids,
)
from sync.api import AccessGrant, Group, Issue, Memberships, Person, Role, Roster, Severity

#: Fields a group name template may use.
TEMPLATE_FIELDS = frozenset(
    {"title", "classCode", "course", "school", "term", "periods", "sourcedId"}
)
#: Enrolment roles that may be given access (``teacher`` by default).
AccessRole = Literal["teacher", "aide", "proctor", "administrator"]
ACCESS_ROLES: tuple[AccessRole, ...] = ("teacher", "aide", "proctor", "administrator")
#: The grant option a primary teacher's access carries.
PRIMARY = "primary"
IDENTITIES = ("username", "email", "email_local_part", "sourced_id")
USER_ID_PREFIX = "user_id:"
#: At most this many issues of one kind in one file are listed; the rest are counted.
MAX_ISSUES_PER_KIND = 100

ROLE_OF = {"student": Role.STUDENT, "teacher": Role.TEACHER}


def check_identity(value: str) -> str:
    """``value`` when it is a known identity option; else ``ValueError`` (for a validator)."""
    if value in IDENTITIES:
        return value
    if value.startswith(USER_ID_PREFIX) and value[len(USER_ID_PREFIX) :].strip():
        return value
    raise ValueError(
        f"{value!r} is not an identity; use {', '.join(IDENTITIES)} or user_id:TYPE "
        "(a type of userIds, e.g. user_id:LDAP)"
    )


@dataclass(frozen=True)
class Settings:
    """How the tables are read: the source's mapping options."""

    identity: str = "username"
    group_name: str = "{title}"
    access_roles: frozenset[str] = frozenset({"teacher"})
    schools: tuple[str, ...] = ()
    sessions: Literal["all", "current"] | tuple[str, ...] = "all"
    date_order: DateOrder = "month_first"
    today: date = field(default_factory=date.today)


@dataclass
class Mapped:
    roster: Roster
    issues: list[Issue] = field(default_factory=list)
    records: int = 0
    rejected: int = 0


class _Issues:
    """Issues with a cap per (file, kind), so that a broken column gives a page, not a flood."""

    def __init__(self, source: str, out: list[Issue]) -> None:
        self.source = source
        self.out = out
        self.counts: dict[tuple[str, str], int] = {}

    def add(
        self,
        kind: str,
        message: str,
        row: Row | None = None,
        *,
        column: str = "",
        value: str = "",
        severity: Severity = Severity.ERROR,
    ) -> None:
        file = row.file if row is not None else ""
        key = (file, kind)
        seen = self.counts[key] = self.counts.get(key, 0) + 1
        if seen > MAX_ISSUES_PER_KIND:
            return
        self.out.append(
            Issue(
                severity,
                message,
                source=self.source,
                file=file,
                line=row.line if row is not None else None,
                field=column,
                value=value,
            )
        )

    def close(self) -> None:
        for (file, kind), seen in self.counts.items():
            if seen > MAX_ISSUES_PER_KIND:
                self.out.append(
                    Issue(
                        Severity.WARNING,
                        f"{seen - MAX_ISSUES_PER_KIND} more issues like these ({kind}) not listed",
                        source=self.source,
                        file=file,
                    )
                )


def _index(table: str, rows: Sequence[Row], log: _Issues, out: Mapped) -> dict[str, Row]:
    """The active rows of a table by sourcedId; rows lacking a required value, and repeats
    of a sourcedId, are reported and left out (the first row keeps the id)."""
    kept: dict[str, Row] = {}
    required = REQUIRED.get(table, ("sourcedId",))
    for row in rows:
        out.records += 1
        values = row.values
        if values.get("status", "").casefold() not in ACTIVE_STATUSES:
            continue  # tobedeleted (or 1.0's inactive): not part of the roster
        blank = next((c for c in required if not values.get(c)), None)
        if blank is not None:
            log.add(
                "blank", f"the required field {blank!r} is blank; row left out", row, column=blank
            )
            out.rejected += 1
            continue
        sid = values["sourcedId"]
        first = kept.get(sid)
        if first is not None:
            log.add(
                "duplicate",
                f"sourcedId already used on line {first.line}; this row is left out",
                row,
                column="sourcedId",
                value=sid,
            )
            out.rejected += 1
            continue
        kept[sid] = row
    return kept


def _with_children(chosen: set[str], rows: Mapping[str, Row]) -> set[str]:
    """``chosen`` and everything whose ``parentSourcedId`` chain leads into it."""
    result = set(chosen)
    changed = True
    while changed:
        changed = False
        for sid, row in rows.items():
            if sid not in result and row.get("parentSourcedId") in result:
                result.add(sid)
                changed = True
    return result


def _schools(settings: Settings, orgs: Mapping[str, Row], log: _Issues) -> set[str] | None:
    """The org sourcedIds kept (None: every org), from ``schools`` ids or names."""
    if not settings.schools:
        return None
    by_name: dict[str, set[str]] = {}
    for sid, row in orgs.items():
        by_name.setdefault(row.get("name").casefold(), set()).add(sid)
    chosen: set[str] = set()
    for wanted in settings.schools:
        found = ({wanted} if wanted in orgs else set()) | by_name.get(wanted.casefold(), set())
        if not found:
            log.add(
                "schools",
                f"schools names {wanted!r}, which is neither the sourcedId nor the name of an "
                "org in orgs; no users or classes of it are kept",
                column="schools",
                value=wanted,
                severity=Severity.WARNING,
            )
            found = {wanted}  # (a class may still name it by sourcedId)
        chosen |= found
    return _with_children(chosen, orgs)


def _date(row: Row, column: str, settings: Settings, log: _Issues) -> date | None:
    try:
        return read_date(row.get(column), settings.date_order)
    except InvalidDate as exc:
        log.add(
            "date",
            f"{exc}; the session is not taken as current",
            row,
            column=column,
            value=row.get(column),
            severity=Severity.WARNING,
        )
        return None


def _sessions(settings: Settings, sessions: Mapping[str, Row], log: _Issues) -> set[str] | None:
    """The session sourcedIds whose classes are kept (None: every class)."""
    if settings.sessions == "all":
        return None
    if settings.sessions == "current":
        today = settings.today
        chosen = set()
        for sid, row in sessions.items():
            start = _date(row, "startDate", settings, log)
            end = _date(row, "endDate", settings, log)
            if start is not None and end is not None and start <= today <= end:
                chosen.add(sid)
        return chosen
    return _with_children(set(settings.sessions), sessions)


def _identity(row: Row, identity: str) -> tuple[str, str]:
    """The login of a user, or '' and the column it should have come from."""
    if identity == "username":
        return row.get("username"), "username"
    if identity == "sourced_id":
        return row.get("sourcedId"), "sourcedId"
    if identity.startswith(USER_ID_PREFIX):
        kind = identity[len(USER_ID_PREFIX) :].strip().casefold()
        return user_ids(row.get("userIds")).get(kind, ""), "userIds"
    email = row.get("email")
    if identity == "email":
        return email, "email"
    return email.split("@", 1)[0].strip() if email else "", "email"


@lru_cache(maxsize=16)
def _fields_of(template: str) -> frozenset[str]:
    return frozenset(template_fields(template) & TEMPLATE_FIELDS)


def _user_roles(users: Mapping[str, Row], roles: Mapping[str, Row]) -> dict[str, str]:
    """Each user's role: ``users.role`` (1.0, 1.1), else their primary role in ``roles`` (1.2)."""
    found = {sid: row.get("role").casefold() for sid, row in users.items() if row.get("role")}
    ordered = sorted(roles.values(), key=lambda r: r.get("roleType").casefold() != "primary")
    for row in ordered:
        found.setdefault(row.get("userSourcedId"), row.get("role").casefold())
    return found


def _user_orgs(users: Mapping[str, Row], roles: Mapping[str, Row]) -> dict[str, set[str]]:
    orgs = {
        sid: {*split_list(row.get("orgSourcedIds")), *split_list(row.get("primaryOrgSourcedId"))}
        for sid, row in users.items()
    }
    for row in roles.values():
        org = row.get("orgSourcedId")
        if org and row.get("userSourcedId") in orgs:
            orgs[row.get("userSourcedId")].add(org)
    return orgs


def build_roster(tables: Tables, settings: Settings, *, source: str) -> Mapped:
    """The roster ``tables`` describe, with an issue for every row left out and why."""
    out = Mapped(Roster())
    log = _Issues(source, out.issues)
    index = {name: _index(name, rows, log, out) for name, rows in tables.items()}
    orgs, sessions = index.get("orgs", {}), index.get("academicSessions", {})
    courses, classes = index.get("courses", {}), index.get("classes", {})
    users, roles = index.get("users", {}), index.get("roles", {})
    schools = _schools(settings, orgs, log)
    terms = _sessions(settings, sessions, log)

    # Classes kept and their names.
    fields = _fields_of(settings.group_name)
    groups: dict[str, Group] = {}
    for sid, row in classes.items():
        if schools is not None and row.get("schoolSourcedId") not in schools:
            continue
        class_terms = split_list(row.get("termSourcedIds"))
        if terms is not None and not terms.intersection(class_terms):
            continue
        values = {name: row.get(name) for name in fields}
        if "course" in fields:
            course = courses.get(row.get("courseSourcedId"))
            values["course"] = course.get("title") if course else ""
        if "school" in fields:
            org = orgs.get(row.get("schoolSourcedId"))
            values["school"] = org.get("name") if org else ""
        if "term" in fields:
            values["term"] = ", ".join(
                sessions[t].get("title") for t in class_terms if t in sessions
            )
        name = tidy(settings.group_name.format_map(values)) or sid
        groups[sid] = Group(sid, name)

    # Users who may appear: enabled, not family, of a kept school.
    role_of = _user_roles(users, roles)
    orgs_of = _user_orgs(users, roles) if schools is not None else {}
    allowed: set[str] = set()
    for sid, row in users.items():
        if is_false(row.get("enabledUser")) or role_of.get(sid, "") in FAMILY_ROLES:
            continue
        if schools is not None and not schools.intersection(orgs_of.get(sid, ())):
            continue
        allowed.add(sid)

    # Enrolments: members and grants by user sourcedId.
    members: list[tuple[str, str]] = []
    grants: dict[tuple[str, str], bool] = {}
    access = settings.access_roles
    for row in index.get("enrollments", {}).values():
        cells = row.values
        class_id, user_id = cells["classSourcedId"], cells["userSourcedId"]
        if class_id not in groups:
            if class_id not in classes:
                log.add(
                    "unknown class",
                    "names a class that is not among the classes read; row left out",
                    row,
                    column="classSourcedId",
                    value=class_id,
                )
                out.rejected += 1
            continue
        if user_id not in allowed:
            if user_id not in users:
                log.add(
                    "unknown user",
                    "names a user who is not among the users read; row left out",
                    row,
                    column="userSourcedId",
                    value=user_id,
                )
                out.rejected += 1
            continue
        role = cells["role"].casefold()
        if role == "student":
            members.append((class_id, user_id))
        elif role in access:
            key = (class_id, user_id)
            grants[key] = grants.get(key, False) or is_true(cells.get("primary", ""))

    # People: the users enrolled, by the chosen identity.
    needed = {u for _, u in members} | {u for _, u in grants}
    login: dict[str, str] = {}
    owners: dict[str, list[str]] = {}
    for uid in sorted(needed):
        row = users[uid]
        person_id, column = _identity(row, settings.identity)
        if not person_id:
            log.add(
                "identity",
                f"user {uid} has no {column} for identity = {settings.identity!r}; skipped",
                row,
                column=column,
                value=uid,
            )
            out.rejected += 1
            continue
        owners.setdefault(person_id, []).append(uid)
    people: list[Person] = []
    granted = {u for _, u in grants}
    for person_id, uids in owners.items():
        if len(uids) > 1:
            for uid in uids:
                others = ", ".join(u for u in uids if u != uid)
                log.add(
                    "same identity",
                    f"user {uid} has the same {settings.identity} as {others}; all of them "
                    "are skipped until the SIS tells them apart",
                    users[uid],
                    column=_identity(users[uid], settings.identity)[1],
                    value=person_id,
                )
                out.rejected += 1
            continue
        uid = uids[0]
        row = users[uid]
        login[uid] = person_id
        people.append(
            Person(
                person_id,
                _role(role_of.get(uid, ""), uid in granted),
                given_name=row.get("givenName"),
                family_name=row.get("familyName"),
                email=row.get("email"),
                attributes={"sourced_id": uid},
            )
        )
    log.close()
    memberships = Memberships((c, login[u]) for c, u in members if u in login)
    access_grants = [
        AccessGrant(c, login[u], frozenset({PRIMARY}) if primary else frozenset())
        for (c, u), primary in grants.items()
        if u in login
    ]
    out.roster = Roster.build(people, groups.values(), memberships, access_grants)
    return out


def _role(role: str, granted: bool) -> Role:
    """A person's role from their OneRoster role, or from their enrolments without one."""
    if not role:
        return Role.TEACHER if granted else Role.STUDENT
    return ROLE_OF.get(role, Role.STAFF)

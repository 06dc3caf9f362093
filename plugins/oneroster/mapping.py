"""OneRoster tables -> people, groups, memberships and access grants: the one mapping.

The CSV package reader, the SDS reader and the REST reader all give ``Tables``; this
module alone decides what they mean, so a class read from a file or from the API makes
the same group. One group per class (key: its ``sourcedId``), named by a template;
``student`` enrolments make members, ``teacher`` enrolments (and ``aide``, ``proctor``,
``administrator`` when listed in ``access_roles``) make access grants.
"""

from __future__ import annotations

from collections.abc import Iterable, KeysView, Mapping, Sequence, Set
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import compress, islice, repeat
from operator import eq, ne, not_
from typing import Literal

from plugins.dates import DateOrder, InvalidDate, read_date
from plugins.names import template_fields, tidy
from plugins.oneroster.rows import Row, Tables, column, distinct, laid_out, value_set
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
PRIMARY_OPTIONS, NO_OPTIONS = frozenset({PRIMARY}), frozenset[str]()
STUDENT = "student"
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
    today: date | None = None  # (None: the day the roster is built)


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


class _Index:
    """A table's usable rows by sourcedId (their positions), read column by column."""

    def __init__(self, rows: Sequence[Row]) -> None:
        self.rows = rows
        self._pos: dict[str, int] | None = {}
        #: Every row is usable, in order: columns can be read whole, without ``pos``.
        self.complete = False
        self._columns: dict[str, Sequence[str]] = {}

    @property
    def pos(self) -> dict[str, int]:
        """Each usable row's position by sourcedId (made on first use for a complete table:
        the biggest, enrolments, is read whole and never needs it)."""
        if self._pos is None:
            self._pos = dict(zip(self.col("sourcedId"), range(len(self.rows)), strict=True))
        return self._pos

    def col(self, name: str) -> Sequence[str]:
        found = self._columns.get(name)
        if found is None:
            found = self._columns[name] = column(self.rows, name)
        return found

    def __contains__(self, sid: object) -> bool:
        return sid in self.pos

    def __getitem__(self, sid: str) -> Row:
        return self.rows[self.pos[sid]]

    def value(self, sid: str, name: str) -> str:
        index = self.pos.get(sid)
        return "" if index is None else self.col(name)[index]

    def items(self) -> list[tuple[str, Row]]:
        return [(sid, self.rows[i]) for sid, i in self.pos.items()]


def _index(table: str, rows: Sequence[Row], log: _Issues, out: Mapped) -> _Index:
    """The active rows of a table by sourcedId; rows lacking a required value, and repeats
    of a sourcedId, are reported and left out (the first row keeps the id)."""
    index = _Index(rows)
    out.records += len(rows)
    required = REQUIRED.get(table, ("sourcedId",))
    sids = index.col("sourcedId")
    statuses = index.col("status")
    if (
        all(s.casefold() in ACTIVE_STATUSES for s in value_set(rows, "status"))
        and "" not in index.col("sourcedId")  # (each distinct: no set of them kept)
        and not any("" in value_set(rows, c) for c in required if c != "sourcedId")
        and distinct(rows, "sourcedId")
    ):
        index._pos = None  # (nearly always: every row usable; see ``pos``)
        index.complete = True
        return index
    needed = [index.col(c) for c in required]
    for i, (sid, status) in enumerate(zip(sids, statuses, strict=True)):
        if status.casefold() not in ACTIVE_STATUSES:
            continue  # tobedeleted (or 1.0's inactive): not part of the roster
        blank = next((c for c, values in zip(required, needed, strict=True) if not values[i]), None)
        if blank is not None:
            row = rows[i]
            log.add(
                "blank", f"the required field {blank!r} is blank; row left out", row, column=blank
            )
            out.rejected += 1
            continue
        first = index.pos.get(sid)
        if first is not None:
            log.add(
                "duplicate",
                f"sourcedId already used on line {rows[first].line}; this row is left out",
                rows[i],
                column="sourcedId",
                value=sid,
            )
            out.rejected += 1
            continue
        index.pos[sid] = i
    return index


def _with_children(chosen: set[str], rows: _Index) -> set[str]:
    """``chosen`` and everything whose ``parentSourcedId`` chain leads into it."""
    result = set(chosen)
    parents = rows.col("parentSourcedId")
    changed = True
    while changed:
        changed = False
        for sid, i in rows.pos.items():
            if sid not in result and parents[i] in result:
                result.add(sid)
                changed = True
    return result


def _schools(settings: Settings, orgs: _Index, log: _Issues) -> set[str] | None:
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


def _sessions(settings: Settings, sessions: _Index, log: _Issues) -> set[str] | None:
    """The session sourcedIds whose classes are kept (None: every class)."""
    if settings.sessions == "all":
        return None
    if settings.sessions == "current":
        today = settings.today or date.today()
        chosen = set()
        for sid, row in sessions.items():
            start = _date(row, "startDate", settings, log)
            end = _date(row, "endDate", settings, log)
            if start is not None and end is not None and start <= today <= end:
                chosen.add(sid)
        return chosen
    return _with_children(set(settings.sessions), sessions)


def _identity_column(identity: str) -> str:
    if identity == "sourced_id":
        return "sourcedId"
    if identity.startswith(USER_ID_PREFIX):
        return "userIds"
    return "username" if identity == "username" else "email"


def _identity(value: str, identity: str) -> str:
    """The login of a user from their ``_identity_column`` value ('' when it has none)."""
    if identity in ("username", "sourced_id", "email"):
        return value
    if identity.startswith(USER_ID_PREFIX):
        kind = identity[len(USER_ID_PREFIX) :].strip().casefold()
        return user_ids(value).get(kind, "")
    return value.split("@", 1)[0].strip() if value else ""


@lru_cache(maxsize=16)
def _fields_of(template: str) -> frozenset[str]:
    return frozenset(template_fields(template) & TEMPLATE_FIELDS)


def _user_roles(users: _Index, roles: _Index) -> dict[str, str]:
    """Each user's role: ``users.role`` (1.0, 1.1), else their primary role in ``roles`` (1.2)."""
    role = users.col("role")
    folded = {value: value.casefold() for value in value_set(users.rows, "role")}
    if users.complete and "" not in folded:  # (every row, every one with a role: at C speed)
        found = dict(zip(users.col("sourcedId"), map(folded.__getitem__, role), strict=True))
    else:
        found = {sid: folded[role[i]] for sid, i in users.pos.items() if role[i]}
    user, kind, given = roles.col("userSourcedId"), roles.col("roleType"), roles.col("role")
    for i in sorted(roles.pos.values(), key=lambda i: kind[i].casefold() != "primary"):
        found.setdefault(user[i], given[i].casefold())
    return found


def _user_orgs(users: _Index, roles: _Index) -> dict[str, set[str]]:
    listed, primary = users.col("orgSourcedIds"), users.col("primaryOrgSourcedId")
    orgs = {sid: {*split_list(listed[i]), *split_list(primary[i])} for sid, i in users.pos.items()}
    user, org = roles.col("userSourcedId"), roles.col("orgSourcedId")
    for i in roles.pos.values():
        if org[i] and user[i] in orgs:
            orgs[user[i]].add(org[i])
    return orgs


def build_roster(tables: Tables, settings: Settings, *, source: str) -> Mapped:
    """The roster ``tables`` describe, with an issue for every row left out and why."""
    out = Mapped(Roster())
    log = _Issues(source, out.issues)
    empty = _Index(())
    index = {name: _index(name, rows, log, out) for name, rows in tables.items()}
    orgs, sessions = index.get("orgs", empty), index.get("academicSessions", empty)
    courses, classes = index.get("courses", empty), index.get("classes", empty)
    users, roles = index.get("users", empty), index.get("roles", empty)
    enrollments = index.get("enrollments", empty)
    schools = _schools(settings, orgs, log)
    terms = _sessions(settings, sessions, log)

    # Classes kept and their names.
    fields = _fields_of(settings.group_name)
    class_keys: list[str] = []
    class_names: list[str] = []
    school_of, terms_of = classes.col("schoolSourcedId"), classes.col("termSourcedIds")
    wanted = {name: classes.col(name) for name in fields}
    for sid, i in classes.pos.items():
        if schools is not None and school_of[i] not in schools:
            continue
        class_terms = split_list(terms_of[i]) if terms is not None or "term" in fields else []
        if terms is not None and not terms.intersection(class_terms):
            continue
        values = {name: wanted[name][i] for name in fields}
        if "course" in fields:
            values["course"] = courses.value(classes.col("courseSourcedId")[i], "title")
        if "school" in fields:
            values["school"] = orgs.value(school_of[i], "name")
        if "term" in fields:
            values["term"] = ", ".join(
                sessions.value(t, "title") for t in class_terms if t in sessions
            )
        class_keys.append(sid)
        class_names.append(tidy(settings.group_name.format_map(values)) or sid)
    groups = dict(zip(class_keys, Group.many(class_keys, class_names), strict=True))

    # Users who may appear: enabled, not family, of a kept school.
    role_of = _user_roles(users, roles)
    orgs_of = _user_orgs(users, roles) if schools is not None else {}
    enabled = users.col("enabledUser")
    allowed: set[str] | KeysView[str]
    if (
        schools is None
        and not any(is_false(value) for value in value_set(users.rows, "enabledUser"))
        and not FAMILY_ROLES.intersection(role_of.values())
    ):
        allowed = users.pos.keys()  # (nearly always: every user may appear)
    else:
        allowed = set()
        for sid, i in users.pos.items():
            if is_false(enabled[i]) or role_of.get(sid, "") in FAMILY_ROLES:
                continue
            if schools is not None and not schools.intersection(orgs_of.get(sid, ())):
                continue
            allowed.add(sid)

    # Enrolments: members and grants by user sourcedId. Nearly every row is a student of a
    # kept class: those are taken in one pass, the others looked at one by one.
    grants: dict[tuple[str, str], bool] = {}
    access = settings.access_roles
    class_ids, user_ids_ = enrollments.col("classSourcedId"), enrollments.col("userSourcedId")
    roles_in, primaries = enrollments.col("role"), enrollments.col("primary")
    positions: Sequence[int]
    enrolled: Set[str] = set()
    every_row = False
    if enrollments.complete:  # (the sets _index made already)
        enrolled = value_set(enrollments.rows, "userSourcedId")
        taught = value_set(enrollments.rows, "classSourcedId")
        every_row = groups.keys() >= taught and allowed >= enrolled
    if every_row:
        # (nearly always: every row names a kept class and user; whole columns at C speed)
        positions = range(len(class_ids))
        plain = list(map(eq, roles_in, repeat(STUDENT)))  # (operator.eq: the quickest call)
        member_classes = list(compress(class_ids, plain))
        member_users = list(compress(user_ids_, plain))
        others: Iterable[int] = compress(positions, map(not_, plain))
    else:
        if enrollments.complete:
            positions = range(len(class_ids))
            triples: Iterable[tuple[str, str, str]] = zip(
                class_ids, user_ids_, roles_in, strict=True
            )
        else:
            positions = list(enrollments.pos.values())
            triples = ((class_ids[i], user_ids_[i], roles_in[i]) for i in positions)
        plain = [r == STUDENT and c in groups and u in allowed for c, u, r in triples]
        member_classes = [class_ids[i] for i, yes in zip(positions, plain, strict=True) if yes]
        member_users = [user_ids_[i] for i, yes in zip(positions, plain, strict=True) if yes]
        others = [i for i, yes in zip(positions, plain, strict=True) if not yes]
    kept_all = every_row  # (every class and user of the rows is known and kept)
    if kept_all:
        others = list(others)
        folded = {role: role.casefold() for role in set(map(roles_in.__getitem__, others))}
        if access.issuperset(folded.values()) and STUDENT not in folded.values():
            # (nearly always: every other row gives access, a teacher's; at C speed)
            taught_by = map(class_ids.__getitem__, others), map(user_ids_.__getitem__, others)
            keys = list(zip(*taught_by, strict=True))
            given_primary = list(map(primaries.__getitem__, others))
            truth = {value: is_true(value) for value in set(given_primary)}
            grants = _access(keys, list(map(truth.__getitem__, given_primary)))
            others = ()
    for i in others:
        class_id, user_id = class_ids[i], user_ids_[i]
        if not kept_all:
            unknown = [
                (what, name, value)
                for what, name, value, kept, known in (
                    ("class", "classSourcedId", class_id, groups, classes),
                    ("user", "userSourcedId", user_id, allowed, users),
                )
                if value not in kept and value not in known
            ]
            for what, name, value in unknown:
                log.add(
                    f"unknown {what}",
                    f"names a {what} that is not among the {what}s read; row left out",
                    enrollments.rows[i],
                    column=name,
                    value=value,
                )
            if unknown:
                out.rejected += 1
            if class_id not in groups or user_id not in allowed:
                every_row = False
                continue  # (a class or user left out by the options, or unknown)
        role = roles_in[i].casefold()
        if role == "student":
            member_classes.append(class_id)
            member_users.append(user_id)
        elif role in access:
            key = (class_id, user_id)
            grants[key] = grants.get(key, False) or is_true(primaries[i])
        else:
            every_row = False  # (an aide, say, without access: not needed for this row)

    # People: the users enrolled, by the chosen identity (when every row was taken, the
    # users of the enrolments, already gathered).
    needed = enrolled if every_row else set(member_users) | {u for _, u in grants}
    login: dict[str, str] = {}
    owners: dict[str, list[str]] = {}
    identity = settings.identity
    column_name = _identity_column(identity)
    identities = users.col(column_name)
    pos = users.pos
    # Their rows in the file's order, read straight down (no sort of tens of thousands of
    # ids, no lookup of each), when every one has a login of its own (nearly always).
    user_sids = users.col("sourcedId")
    if users.complete:
        at = list(compress(range(len(user_sids)), map(needed.__contains__, user_sids)))
    else:
        at = sorted(map(pos.__getitem__, needed))
    found = _identities(identities, at, identity)
    one_each = "" not in found and len(set(found)) == len(found)
    if one_each:
        login = dict(zip(map(user_sids.__getitem__, at), found, strict=True))
    else:
        ordered = sorted(needed)  # (the issues name users in the order of their ids)
        found = _identities(identities, list(map(pos.__getitem__, ordered)), identity)
        for uid, person_id in zip(ordered, found, strict=True):
            if not person_id:
                log.add(
                    "identity",
                    f"user {uid} has no {column_name} for identity = {identity!r}; skipped",
                    users[uid],
                    column=column_name,
                    value=uid,
                )
                out.rejected += 1
                continue
            owners.setdefault(person_id, []).append(uid)
    granted = {u for _, u in grants}
    given, family, email = users.col("givenName"), users.col("familyName"), users.col("email")
    for person_id, uids in owners.items():
        if len(uids) > 1:
            for uid in uids:
                same = ", ".join(u for u in uids if u != uid)
                log.add(
                    "same identity",
                    f"user {uid} has the same {identity} as {same}; all of them "
                    "are skipped until the SIS tells them apart",
                    users[uid],
                    column=column_name,
                    value=person_id,
                )
                out.rejected += 1
            continue
        login[uids[0]] = person_id
    uids = list(login)
    if not one_each:  # (some were skipped: the rows of those left)
        at = list(map(pos.__getitem__, uids))
    people = Person.many(
        login.values(),
        _roles(uids, role_of, granted),
        given_name=map(given.__getitem__, at),
        family_name=map(family.__getitem__, at),
        email=map(email.__getitem__, at),
        attributes=[{"sourced_id": uid} for uid in uids],
    )
    log.close()
    if len(login) != len(needed):  # (some user enrolled has no login: rarely)
        kept = [u in login for u in member_users]
        member_classes = list(compress(member_classes, kept))
        member_users = list(compress(member_users, kept))
    memberships = Memberships.of_groups(
        _by_class(member_classes, laid_out(list(map(login.__getitem__, member_users))))
    )
    access_grants = [
        AccessGrant(c, login[u], PRIMARY_OPTIONS if primary else NO_OPTIONS)
        for (c, u), primary in grants.items()
        if u in login
    ]
    out.roster = Roster.build(people, groups.values(), memberships, access_grants)
    return out


def _access(keys: list[tuple[str, str]], primary: list[bool]) -> dict[tuple[str, str], bool]:
    """Each (class, user) given access, and whether any of its rows says primary."""
    grants = dict(zip(keys, primary, strict=True))
    if len(grants) != len(keys):  # (a user listed twice in one class: any row may say so)
        grants = dict.fromkeys(keys, False)
        grants.update(dict.fromkeys(compress(keys, primary), True))
    return grants


def _identities(identities: Sequence[str], at: Sequence[int], identity: str) -> list[str]:
    """The chosen identity of the users in rows ``at`` ('' for a user without one)."""
    if identity in ("username", "sourced_id", "email"):
        return list(map(identities.__getitem__, at))
    return [_identity(identities[i], identity) for i in at]


def _by_class(classes: Sequence[str], people: list[str]) -> dict[str, list[str]]:
    """Each class's people, in the order met. An enrolments file lists a class's rows
    together, so its runs of one class are found at C speed and taken as slices: no step
    per membership (a class met again further on has its next run added)."""
    size = len(classes)
    starts = [0, *compress(range(1, size), map(ne, islice(classes, 1, None), classes))]
    by_class: dict[str, list[str]] = {}
    for begin, end in zip(starts, [*starts[1:], size], strict=True):
        if begin == size:
            break  # (no memberships at all)
        members = by_class.get(classes[begin])
        if members is None:
            by_class[classes[begin]] = people[begin:end]
        else:
            members.extend(people[begin:end])
    return by_class


def _roles(uids: Sequence[str], role_of: Mapping[str, str], granted: Set[str]) -> list[Role]:
    """Each user's ``_role``: worked out once per (OneRoster role, granted) pair met, the
    users looked up at C speed (a district has tens of thousands of them)."""
    found = list(map(role_of.get, uids, repeat("")))
    if "" not in found:  # (every one has a role: whether granted does not matter)
        of_role = {role: _role(role, False) for role in set(found)}
        return list(map(of_role.__getitem__, found))
    pairs = list(zip(found, map(granted.__contains__, uids), strict=True))
    made = {pair: _role(*pair) for pair in set(pairs)}
    return list(map(made.__getitem__, pairs))


def _role(role: str, granted: bool) -> Role:
    """A person's role from their OneRoster role, or from their enrolments without one."""
    if not role:
        return Role.TEACHER if granted else Role.STUDENT
    return ROLE_OF.get(role, Role.STAFF)

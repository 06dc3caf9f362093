"""What rostersync takes from each OneRoster table, in the CSV binding's column names.

Only these columns are kept when a file is read: every other column (``metadata.*``,
``ext_*``, ``password``, ``phone``, ``sms``, ``agentSourcedIds``, demographics' details)
is dropped there, so it can never reach the state database, a log or a run record.
"""

from __future__ import annotations

from typing import Literal

Version = Literal["1.0", "1.1", "1.2"]
VERSIONS: tuple[Version, ...] = ("1.0", "1.1", "1.2")
Mode = Literal["bulk", "delta", "absent"]

#: Columns kept per table (status and sourcedId first).
KEPT: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId", "status", "name", "parentSourcedId"),
    "academicSessions": (
        "sourcedId",
        "status",
        "title",
        "startDate",
        "endDate",
        "parentSourcedId",
    ),
    "courses": ("sourcedId", "status", "title"),
    "classes": (
        "sourcedId",
        "status",
        "title",
        "classCode",
        "courseSourcedId",
        "schoolSourcedId",
        "termSourcedIds",
        "periods",
    ),
    "users": (
        "sourcedId",
        "status",
        "enabledUser",
        "orgSourcedIds",
        "primaryOrgSourcedId",
        "role",
        "username",
        "userIds",
        "givenName",
        "familyName",
        "email",
    ),
    "enrollments": (
        "sourcedId",
        "status",
        "classSourcedId",
        "userSourcedId",
        "role",
        "primary",
    ),
    "roles": ("sourcedId", "status", "userSourcedId", "roleType", "role", "orgSourcedId"),
    "demographics": ("sourcedId", "status"),
    "userProfiles": ("sourcedId", "status", "userSourcedId"),
}
TABLES: tuple[str, ...] = tuple(KEPT)

#: Columns whose values are mostly distinct: not worth keeping one copy of each value.
#: (An enrolment's ``userSourcedId`` and ``classSourcedId`` repeat, but they name rows
#: read before them: see ``REFERENCES``.)
DISTINCT = frozenset(
    {"sourcedId", "userSourcedId", "username", "userIds", "givenName", "familyName", "email"}
)

#: Columns that name a row of a table read before them (``TABLES`` order): the reader
#: keeps, for each cell naming a known row, that row's own ``sourcedId`` string. An
#: enrolment names a user and a class met hundreds of thousands of times; one copy of
#: each id, the one the mapping looks its rows up by, keeps 17 MB less at N = 50,000
#: than a copy per cell, measured no slower (the look-up here spares the mapping's
#: later ones), and needs no global table as interning does.
REFERENCES: dict[str, dict[str, str]] = {
    "enrollments": {"classSourcedId": "classes", "userSourcedId": "users"},
    "roles": {"userSourcedId": "users"},
}
#: Columns the reader lays out in memory (see ``rows.laid_out``): the ids of rows other
#: tables name, met at random for every enrolment, and what each person is made of.
LAID_OUT: dict[str, frozenset[str]] = {
    "classes": frozenset({"sourcedId"}),
    "users": frozenset({"sourcedId", "username", "userIds", "givenName", "familyName", "email"}),
}

#: Columns a file must have (and rows must fill) to be used at all.
REQUIRED: dict[str, tuple[str, ...]] = {
    "orgs": ("sourcedId",),
    "academicSessions": ("sourcedId",),
    "courses": ("sourcedId",),
    "classes": ("sourcedId",),
    "users": ("sourcedId",),
    "enrollments": ("sourcedId", "classSourcedId", "userSourcedId", "role"),
    "roles": ("sourcedId", "userSourcedId", "role"),
    "demographics": ("sourcedId",),
    "userProfiles": ("sourcedId",),
}

#: OneRoster 1.0's singular names for what later versions call by the plural.
ALIASES: dict[str, str] = {"termSourcedId": "termSourcedIds", "userId": "userIds"}

#: Tables the mapping never reads: checked for structure, never kept between runs.
NOT_KEPT = frozenset({"demographics", "userProfiles"})

#: User roles (users.role, roles.role) of people who never join or see a class.
FAMILY_ROLES = frozenset({"parent", "guardian", "relative"})

ACTIVE_STATUSES = frozenset({"", "active"})
DELETED = "tobedeleted"


def column_lookup(table: str) -> dict[str, str]:
    """Header text (case-folded) -> the spec's column name, for one table."""
    lookup = {name.casefold(): name for name in KEPT[table]}
    for alias, name in ALIASES.items():
        if name in KEPT[table]:
            lookup[alias.casefold()] = name
    return lookup


def is_true(value: str) -> bool:
    return value.strip().casefold() in {"true", "1", "yes", "y"}


def is_false(value: str) -> bool:
    return value.strip().casefold() in {"false", "0", "no", "n"}


def split_list(value: str) -> list[str]:
    """A OneRoster list field (``a,b`` in one cell) as its items, blanks dropped."""
    if "," not in value:
        return [value.strip()] if value.strip() else []
    return [item.strip() for item in value.split(",") if item.strip()]


def user_ids(value: str) -> dict[str, str]:
    """``{LDAP:jsmith},{Fed:123}`` -> {'ldap': 'jsmith', 'fed': '123'} (types case-folded);
    a 1.0 ``userId`` without braces or type is kept under the type ''."""
    found: dict[str, str] = {}
    for item in split_list(value):
        text = item.strip("{}").strip()
        kind, sep, identifier = text.partition(":")
        if not sep:
            found.setdefault("", text)
        elif identifier.strip():
            found.setdefault(kind.strip().casefold(), identifier.strip())
    return found

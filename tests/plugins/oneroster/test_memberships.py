"""The mapping's memberships: each class's students, however the enrolment rows are ordered."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from plugins.oneroster.mapping import Settings, build_roster
from plugins.oneroster.rows import Columns
from sync.api import Membership

CLASSES = ("c1", "c2", "c3")
USERS = ("u1", "u2", "u3", "u4")


def _tables(enrolments: list[tuple[str, str, str]]) -> dict[str, Columns]:
    def table(name: str, columns: dict[str, list[str]]) -> Columns:
        size = len(next(iter(columns.values())))
        return Columns(name, f"{name}.csv", range(2, 2 + size), columns)

    return {
        "classes": table("classes", {"sourcedId": list(CLASSES), "title": list(CLASSES)}),
        "users": table("users", {"sourcedId": list(USERS), "username": [u.upper() for u in USERS]}),
        "enrollments": table(
            "enrollments",
            {
                "sourcedId": [f"e{i}" for i in range(len(enrolments))],
                "classSourcedId": [c for c, _, _ in enrolments],
                "userSourcedId": [u for _, u, _ in enrolments],
                "role": [r for _, _, r in enrolments],
            },
        ),
    }


@given(
    st.lists(
        st.tuples(
            st.sampled_from(CLASSES),
            st.sampled_from(USERS),
            st.sampled_from(("student", "teacher")),
        ),
        max_size=30,
    )
)
def test_memberships_are_the_students_of_each_class(
    enrolments: list[tuple[str, str, str]],
) -> None:
    roster = build_roster(_tables(enrolments), Settings(), source="s").roster
    expected = {Membership(c, u.upper()) for c, u, r in enrolments if r == "student"}
    assert set(roster.memberships) == expected
    by_group = roster.memberships.by_group()
    for group, members in by_group.items():  # (in the order the rows name them)
        met = [u.upper() for c, u, r in enrolments if c == group and r == "student"]
        assert list(members) == list(dict.fromkeys(met))


def test_a_class_met_again_further_on_keeps_all_its_students() -> None:
    enrolments = [
        ("c1", "u1", "student"),
        ("c2", "u2", "student"),
        ("c1", "u3", "student"),
        ("c1", "u1", "student"),
    ]
    roster = build_roster(_tables(enrolments), Settings(), source="s").roster
    assert dict(roster.memberships.by_group()) == {"c1": ("U1", "U3"), "c2": ("U2",)}


@given(
    st.lists(
        st.tuples(
            st.sampled_from(CLASSES),
            st.sampled_from(USERS),
            st.sampled_from(("student", "teacher", "aide")),
        ),
        max_size=30,
    ),
    st.booleans(),
)
def test_the_people_are_the_users_enrolled_as_students_or_with_access(
    enrolments: list[tuple[str, str, str]], aides_get_access: bool
) -> None:
    """Whether or not every row is taken (an aide without access is not), the people are
    exactly the users of the rows that make a membership or a grant."""
    access = ("teacher", "aide") if aides_get_access else ("teacher",)
    settings = Settings(access_roles=frozenset(access))
    roster = build_roster(_tables(enrolments), settings, source="s").roster
    taken = {u.upper() for _, u, r in enrolments if r == "student" or r in access}
    assert set(roster.people) == taken


def test_when_no_user_enrolled_has_a_login_each_is_reported_and_none_is_a_person() -> None:
    tables = _tables([("c1", "u1", "student"), ("c2", "u2", "student")])
    users = tables["users"]
    tables["users"] = Columns(
        "users", "users.csv", users.lines, {"sourcedId": list(USERS), "username": [""] * 4}
    )
    mapped = build_roster(tables, Settings(), source="s")
    assert not mapped.roster.people and not mapped.roster.memberships
    assert [(i.field, i.value) for i in mapped.issues] == [
        ("username", "u1"),
        ("username", "u2"),
    ]


@given(
    st.lists(
        st.tuples(
            st.sampled_from(CLASSES),
            st.sampled_from(USERS),
            st.sampled_from(["teacher", "Teacher", "aide"]),
            st.sampled_from(["true", "false", "", "TRUE"]),
        ),
        max_size=12,
    ),
    st.booleans(),
)
def test_access_is_granted_primary_when_any_row_of_it_says_so(
    rows: list[tuple[str, str, str, str]], aides_get_access: bool
) -> None:
    """However many rows name one teacher of one class, in any case and order: one
    grant, primary when any of those rows says primary (the rows at C speed or one by
    one, as an aide without access makes them)."""
    tables = _tables([(c, u, r) for c, u, r, _ in rows])
    enrolments = tables["enrollments"]
    tables["enrollments"] = Columns(
        "enrollments",
        "enrollments.csv",
        enrolments.lines,
        {
            **{name: enrolments.column(name) for name in enrolments.names},
            "primary": [p for *_, p in rows],
        },
    )
    access = ("teacher", "aide") if aides_get_access else ("teacher",)
    roster = build_roster(tables, Settings(access_roles=frozenset(access)), source="s").roster
    expected: dict[tuple[str, str], bool] = {}
    for c, u, r, p in rows:
        if r.casefold() in access:
            key = (c, u.upper())
            expected[key] = expected.get(key, False) or p.casefold() == "true"
    assert {(g.group, g.principal): "primary" in g.options for g in roster.grants} == expected

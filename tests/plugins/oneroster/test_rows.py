"""The tables every OneRoster reader yields: values laid out in memory, not changed."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from plugins.oneroster.package import Package, read_package, read_rows
from plugins.oneroster.rows import laid_out
from plugins.oneroster.spec import KEPT, REQUIRED, column_lookup


@given(st.lists(st.text(alphabet="ab\n", max_size=3), max_size=8))
def test_laid_out_values_are_equal_copies(values: list[str]) -> None:
    people = [f"{value}" for value in values]
    copies = laid_out(people)
    assert copies == people
    if any("\n" in value for value in values):
        assert copies is people  # (a line feed in a value: kept as it was)


def test_the_users_columns_laid_out_are_the_cells_read(tmp_path: Path) -> None:
    """The users' ids, logins and names are laid out when read (enrolments look them up
    at random); their values are the file's, and an enrolment still names its user by
    the very string of the users' row."""
    (tmp_path / "users.csv").write_text(
        "sourcedId,status,enabledUser,role,username,givenName,familyName,email\r\n"
        "u1,active,true,student,jo,Jo,Park,jo@example.org\r\n"
        "u2,,true,teacher,ann,Ann,Lee,\r\n"
    )
    (tmp_path / "enrollments.csv").write_text(
        "sourcedId,classSourcedId,userSourcedId,role\nE1,c1,u2,teacher\nE2,c1,u1,student\n"
    )
    tables = read_package(tmp_path, source="s").tables
    users, enrolled = tables["users"], tables["enrollments"]
    assert list(users.column("sourcedId")) == ["u1", "u2"]
    assert list(users.column("username")) == ["jo", "ann"]
    assert list(users.column("givenName")) == ["Jo", "Ann"]
    assert list(users.column("email")) == ["jo@example.org", ""]
    assert list(enrolled.column("userSourcedId")) == ["u2", "u1"]
    ids = users.column("sourcedId")
    assert all(u is ids[1 - i] for i, u in enumerate(enrolled.column("userSourcedId")))


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", " a", "c ", "d"]), st.sampled_from(["x", "y"])),
        max_size=12,
    ),
    st.sampled_from(["\n", "\r\n"]),
    st.booleans(),
)
def test_whether_the_sourced_ids_are_distinct_is_told_as_the_values_read_say(
    rows: list[tuple[str, str]], ending: str, quoted: bool
) -> None:
    """The reader notes, while it reads, whether a file's sourcedIds are distinct; that is
    what the values read say, padded cells (stripped) and quoted files (read row by row,
    their spaces kept) included."""
    cell = '"{}"' if quoted else "{}"
    text = f"sourcedId,title{ending}" + "".join(
        f"{cell.format(sid)},{title}{ending}" for sid, title in rows
    )
    tally = Package("1.1", {}, {}, "")
    read = read_rows(
        "classes.csv",
        text,
        table="classes",
        lookup=column_lookup("classes"),
        kept=KEPT["classes"],
        required=REQUIRED["classes"],
        tally=tally,
        source="s",
    )
    sids = [sid if quoted else sid.strip() for sid, _ in rows]  # (quotes keep spaces)
    assert list(read.column("sourcedId")) == sids
    assert read.distinct("sourcedId") == (len(set(sids)) == len(sids))

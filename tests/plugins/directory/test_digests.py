"""Member digests in the directory: kept with every member change, trusted only while
the member table agrees, and computed for directories made before they existed."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from plugins.directory.target import MIGRATIONS, VERSION_TABLE, DirectoryOptions, DirectoryTarget
from sync.digest import digest_members, member_digests, read_target
from sync.model import Group, Membership, Roster
from sync.plan import make_plan
from sync.storage import migrate, open_database
from sync.testing import make_context, sample_roster, sync_into
from tests.conftest import CliRun


def target(state_url: str, tmp_path: Path) -> DirectoryTarget:
    return DirectoryTarget(DirectoryOptions(url=state_url), make_context(tmp_path))


def test_a_no_change_read_reads_no_members(state_url: str, tmp_path: Path) -> None:
    directory = target(state_url, tmp_path)
    desired = sample_roster()
    sync_into(directory, desired)
    state = read_target(directory, desired)
    assert state.members_matched == frozenset(desired.groups)
    assert state.roster.memberships == frozenset()
    plan = make_plan(desired, state, capabilities=directory.capabilities)
    assert plan.changes == ()
    assert plan.managed_counts["memberships"] == len(desired.memberships)


def test_one_move_reads_and_changes_only_the_two_groups(state_url: str, tmp_path: Path) -> None:
    directory = target(state_url, tmp_path)
    desired = sample_roster()
    sync_into(directory, desired)
    moved = Roster.build(
        desired.people.values(),
        desired.groups.values(),
        [m for m in desired.memberships if m != Membership("Potions", "Ron_Weasley")]
        + [Membership("Flying", "Ron_Weasley")],
        desired.grants,
    )
    state = read_target(directory, moved)
    assert {m.group for m in state.roster.memberships} == {"Potions", "Flying"}
    plan = make_plan(moved, state, capabilities=directory.capabilities)
    assert [c.describe() for c in plan.changes] == [
        "add Ron_Weasley to 'Flying'",
        "remove Ron_Weasley from 'Potions'",
    ]
    assert sync_into(directory, moved) == []
    assert directory.member_digests() == member_digests(moved.groups, moved.memberships)


def test_rows_changed_behind_rostersyncs_back_are_put_right(state_url: str, tmp_path: Path) -> None:
    directory = target(state_url, tmp_path)
    desired = sample_roster()
    sync_into(directory, desired)
    with directory.engine.begin() as c:  # an admin deletes a member row in SQL
        c.execute(
            sa.text("DELETE FROM dir_member WHERE group_key = 'Potions' AND person = 'Ron_Weasley'")
        )
    assert "Potions" not in directory.member_digests()
    plan = make_plan(desired, read_target(directory, desired), capabilities=directory.capabilities)
    assert [c.describe() for c in plan.changes] == ["add Ron_Weasley to 'Potions'"]
    assert sync_into(directory, desired) == []
    assert directory.member_digests()["Potions"] == digest_members(["Harry_Potter", "Ron_Weasley"])


def test_a_member_id_holding_the_separator_gives_no_digest(state_url: str, tmp_path: Path) -> None:
    directory = target(state_url, tmp_path)
    odd = Roster.build(
        groups=[Group("7A", "7A"), Group("7B", "7B")],
        memberships=[Membership("7A", "a\nb"), Membership("7B", "a"), Membership("7B", "b")],
    )
    assert sync_into(directory, odd) == []
    assert set(directory.member_digests()) == {"7B"}
    # {"a", "b"} must never pass for {"a\nb"}: the one-member group is compared in full.
    swapped = Roster.build(
        groups=odd.groups.values(),
        memberships=[Membership("7A", "a"), Membership("7A", "b"), *odd.memberships],
    )
    state = read_target(directory, swapped)
    assert "7A" not in state.members_matched
    assert sync_into(directory, swapped) == []
    assert Membership("7A", "a") in directory.read().roster.memberships
    assert Membership("7A", "a\nb") in directory.read().roster.memberships  # read exactly


def test_ids_with_characters_copy_escapes_are_stored_as_they_are(
    state_url: str, tmp_path: Path
) -> None:
    directory = target(state_url, tmp_path)
    odd = ["tab\there", "back\\slash", "carriage\rreturn", "new\nline", r"\.", "plain"]
    roster = Roster.build(
        groups=[Group("7A", "7A"), Group("7B", "7B")],
        memberships=[Membership("7A", odd[0]), *(Membership("7B", p) for p in odd)],
    )
    assert sync_into(directory, roster) == []
    assert directory.read().roster.memberships == roster.memberships


def stored_equal_rows(directory: DirectoryTarget, desired: Roster) -> bool:
    """Whether every stored digest is the digest of the member rows as they are."""
    rows = directory.read().roster.memberships
    return directory.member_digests() == member_digests(desired.groups, rows)


def test_a_first_sync_writes_the_digests_of_what_it_inserted(
    state_url: str, tmp_path: Path
) -> None:
    """Groups that had no member rows get digests of the rows inserted, unread."""
    directory = target(state_url, tmp_path)
    desired = sample_roster()
    assert sync_into(directory, desired) == []
    assert directory.member_digests() == member_digests(desired.groups, desired.memberships)
    assert stored_equal_rows(directory, desired)


@pytest.mark.parametrize(
    "rows",
    [
        "('Potions', 'Mallory')",
        "('Flying', 'Harry_Potter')",  # a row the sync inserts too
        "('Potions', 'Mallory'), ('Flying', 'Harry_Potter')",
    ],
)
def test_member_rows_left_under_a_new_groups_key_are_put_right_at_once(
    state_url: str, tmp_path: Path, rows: str
) -> None:
    """Rows made by hand under a key before the sync created that group: the first sync
    leaves exactly the desired members in it, and digests that describe the rows."""
    directory = target(state_url, tmp_path)
    with directory.engine.begin() as c:
        c.execute(sa.text(f"INSERT INTO dir_member VALUES {rows}"))
    desired = sample_roster()
    assert sync_into(directory, desired) == []
    assert stored_equal_rows(directory, desired)
    assert Membership("Potions", "Mallory") not in directory.read().roster.memberships
    state = read_target(directory, desired)
    assert state.members_matched == frozenset(desired.groups)
    assert make_plan(desired, state, capabilities=directory.capabilities).changes == ()


def test_a_directory_from_before_digests_gets_them_on_upgrade(
    state_url: str, tmp_path: Path
) -> None:
    engine = open_database(state_url)
    migrate(engine, MIGRATIONS, VERSION_TABLE, revision="dir0002")
    with engine.begin() as c:  # a managed group, as that version stored it
        c.execute(
            sa.text(
                "INSERT INTO dir_group (key, name, managed_by, created_at) "
                "VALUES ('7A', '7A', 'default', CURRENT_TIMESTAMP)"
            )
        )
        c.execute(sa.text("INSERT INTO dir_member VALUES ('7A', 'ron'), ('7A', 'harry')"))
    directory = target(state_url, tmp_path)
    assert directory.member_digests() == {"7A": digest_members(["harry", "ron"])}


def test_an_edit_that_keeps_the_count_is_put_right_by_comparing_all(
    rostersync: CliRun, workdir: Path
) -> None:
    """Digests cannot see a person renamed in place in SQL; a run that compares every
    member can, and one does at least every compare_all_hours, or when asked."""
    with (workdir / "config.toml").open("a") as f:  # (in a five-member school one removal
        f.write("\n[sync.guards.memberships]\npercent = 100\n")  # is over the guard's 20 %)
    assert rostersync("sync").exit_code == 0
    directory = sa.create_engine(f"sqlite:///{workdir / 'state.db'}")

    def potions() -> list[str]:
        with directory.connect() as c:
            rows = c.execute(
                sa.text("SELECT person FROM dir_member WHERE group_key = 'Potions' ORDER BY 1")
            )
            return [person for (person,) in rows]

    with directory.begin() as c:
        c.execute(sa.text("UPDATE dir_member SET person = 'Mallory' WHERE person = 'Ron_Weasley'"))
    assert rostersync("sync").exit_code == 0
    assert "Mallory" in potions()  # within compare_all_hours, the digest is trusted
    assert rostersync("sync", "--compare-all").exit_code == 0
    assert potions() == ["Harry_Potter", "Ron_Weasley"]

    with directory.begin() as c:
        c.execute(sa.text("UPDATE dir_member SET person = 'Mallory' WHERE person = 'Ron_Weasley'"))
        c.execute(  # as if the last run that compared everything were a day old
            sa.text(
                "UPDATE rs_plugin_state SET value = '\"2000-01-01T00:00:00+00:00\"' "
                "WHERE plugin = 'engine' AND key = 'compared_all_at'"
            )
        )
    assert rostersync("sync").exit_code == 0
    assert potions() == ["Harry_Potter", "Ron_Weasley"]

"""Issue 14: the deletion guards hold at any school size above a handful, staff profiles
are guarded like members, and a source that shrinks holds the run whatever the plan."""

from __future__ import annotations

from pathlib import Path

from sync.config import GuardsConfig
from sync.guard import check_guards, shrunk_sources
from sync.model import Change, ChangeKind, Plan
from tests.conftest import CliRun, write_csv
from tests.plugins.school import STAFF_HEADER, school

HEAD = ("version,1", "username,class")
CLASSES = ["Potions", "Charms", "Flying", "Herbology", "Transfiguration", "Astronomy", "History"]
# A Hogwarts-sized school: 91 memberships, 7 classes, 7 teachers.
PUPILS = [
    f"{name}_{n},{klass}" for n in range(13) for name, klass in [("Pupil", k) for k in CLASSES]
]
TEACHERS = [f"Teacher_{n},{klass}" for n, klass in enumerate(CLASSES)]


def hogwarts(workdir: Path) -> None:
    write_csv(workdir / "impero" / "students.csv", *HEAD, *PUPILS)
    write_csv(workdir / "impero" / "teachers.csv", *HEAD, *TEACHERS)


def plan_guard_holds(rostersync: CliRun, workdir: Path, file: str, *rows: str) -> str:
    """Sync Hogwarts, replace ``file`` with ``rows`` and sync again with the shrink guard off
    (to see the plan's guards); the second run's output, which must be held."""
    hogwarts(workdir)
    assert rostersync("sync").exit_code == 0
    write_csv(workdir / "impero" / file, *HEAD, *rows)
    with (workdir / "config.toml").open("a") as f:
        f.write("\n[sync.guards]\nmax_shrink_percent = 100\n")
    result = rostersync("sync")
    assert result.exit_code == 4, result.output
    return result.output


def test_a_small_school_losing_most_memberships_is_held(rostersync: CliRun, workdir: Path) -> None:
    # Reproduction: 52 of 91 memberships removed in a Hogwarts-sized school, run ok.
    output = plan_guard_holds(rostersync, workdir, "students.csv", *PUPILS[:39])
    assert "it would remove 52 of 91 managed memberships (57%)" in output


def test_an_empty_teachers_file_revoking_every_grant_is_held(
    rostersync: CliRun, workdir: Path
) -> None:
    output = plan_guard_holds(rostersync, workdir, "teachers.csv")
    assert "it would remove 7 of 7 managed grants (100%)" in output


def test_a_file_cut_at_a_row_boundary_holds_on_the_shrink_guard(
    rostersync: CliRun, workdir: Path
) -> None:
    # Reproduction (scaled down): a 95 % cut removed memberships with exit 0.
    hogwarts(workdir)
    assert rostersync("sync").exit_code == 0
    write_csv(workdir / "impero" / "students.csv", *HEAD, *PUPILS[: len(PUPILS) * 95 // 100])
    result = rostersync("sync")
    assert result.exit_code == 4, result.output
    assert (
        "source 'school' read 93 records, 5 (5%) fewer than the 98 of its last good read"
        in result.output
    )


def test_clearing_staff_profiles_is_held_like_removing_members(
    rostersync: CliRun, tmp_path: Path
) -> None:
    # Reproduction: staff.csv replaced by its header cleared every staff profile, run ok.
    staff = tuple(f"First{n},Last{n},Teacher,Teachers,t{n}@hogwarts.sch.uk," for n in range(10))
    config = school(tmp_path, staff=(STAFF_HEADER, *staff), sources=("school",))
    assert rostersync("sync", config=config).exit_code == 0
    school(tmp_path, staff=(STAFF_HEADER,), sources=("school",), extra="settle_seconds = 0")
    result = rostersync("sync", config=config)
    assert result.exit_code == 4, result.output
    assert "it would remove 10 of 10 managed profiles (100%)" in result.output


def _removing(kind: ChangeKind, count: int, managed: dict[str, int]) -> Plan:
    changes = tuple(Change(kind, f"g{n}", person=f"p{n}") for n in range(count))
    return Plan(changes=changes, managed_counts=managed)


def test_the_percentages_hold_from_a_handful_and_not_below() -> None:
    guards = GuardsConfig()
    for kind, name, minimum in [
        (ChangeKind.REMOVE_MEMBER, "memberships", 5),
        (ChangeKind.REVOKE_ACCESS, "grants", 2),
        (ChangeKind.DELETE_GROUP, "groups", 5),
        (ChangeKind.CLEAR_PROFILE, "profiles", 5),
    ]:
        held = check_guards(
            _removing(kind, minimum, {name: minimum}),
            guards,
            desired_empty=False,
            allow_deletes=False,
        )
        assert held.held, (name, held)
        below = check_guards(
            _removing(kind, minimum - 1, {name: minimum - 1}),
            guards,
            desired_empty=False,
            allow_deletes=False,
        )
        assert not below.held, (name, below)


def test_the_shrink_guard_compares_with_the_last_good_read() -> None:
    guards = GuardsConfig()
    assert shrunk_sources({"s": 94}, {"s": 100}, guards) != []
    assert shrunk_sources({"s": 95}, {"s": 100}, guards) == []  # 5 % is not more than 5 %
    assert shrunk_sources({"s": 6}, {"s": 10}, guards) == []  # fewer than 5 records gone
    assert shrunk_sources({"s": 5}, {"s": 10}, guards) != []
    assert shrunk_sources({"s": 50}, {}, guards) == []  # no good read yet
    assert shrunk_sources({"s": 200}, {"s": 100}, guards) == []
    assert shrunk_sources({"s": 0}, {"s": 100}, guards) != []
    off = GuardsConfig(max_shrink_percent=100)
    assert shrunk_sources({"s": 0}, {"s": 100}, off) == []
    verdict = check_guards(
        Plan(), guards, desired_empty=False, allow_deletes=False, shrunk=["source 's' read 0"]
    )
    assert verdict.held and verdict.reason == "source 's' read 0"
    assert not check_guards(
        Plan(), guards, desired_empty=False, allow_deletes=True, shrunk=["x"]
    ).held


def test_approving_a_run_held_for_a_shrink_accepts_the_new_size(
    rostersync: CliRun, workdir: Path
) -> None:
    hogwarts(workdir)
    assert rostersync("sync").exit_code == 0
    write_csv(workdir / "impero" / "students.csv", *HEAD, *PUPILS[:80])
    assert rostersync("sync").exit_code == 4
    assert rostersync("approve", "2").exit_code == 0
    result = rostersync("sync")  # the same files: nothing shrank since the approved read
    assert result.exit_code == 0, result.output

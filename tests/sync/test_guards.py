"""Guards: a plan that removes too much, or an empty read, is held until an admin decides."""

from __future__ import annotations

import json
from collections.abc import Set as AbstractSet
from pathlib import Path

import pytest
import sqlalchemy as sa

from sync.model import ChangeKind, RunStatus, TargetState
from sync.store import Store
from sync.testing import MemoryTarget
from tests.conftest import CliRun, write_csv

HEAD = ("version,1", "username,class")


def shown(rostersync: CliRun) -> dict[str, list[str]]:
    groups = json.loads(rostersync("show", "--json").output)["groups"]
    return {g["name"]: g["members"] for g in groups}


def low_thresholds(workdir: Path) -> None:
    with (workdir / "config.toml").open("a") as f:
        f.write("\n[sync.guards.groups]\ncount = 1\n")


def shrink_to_potions(workdir: Path) -> None:
    write_csv(workdir / "impero" / "students.csv", *HEAD, "Harry_Potter,Potions")


def test_a_header_only_file_never_empties_the_target(rostersync: CliRun, workdir: Path) -> None:
    assert rostersync("sync").exit_code == 0
    before = shown(rostersync)
    write_csv(workdir / "impero" / "students.csv", *HEAD)
    result = rostersync("sync")
    assert result.exit_code == 4, result.output
    assert "held" in result.output and "returned no groups" in result.output
    assert shown(rostersync) == before


def test_an_intended_empty_roster_is_applied_when_configured(
    rostersync: CliRun, workdir: Path
) -> None:
    assert rostersync("sync").exit_code == 0
    with (workdir / "config.toml").open("a") as f:
        f.write("\n[sync.guards]\nallow_empty = true\n")
        # (and, this school being above the guards' handful, their limits off)
        f.write("max_shrink_percent = 100\n")
        for kind in ("groups", "memberships", "grants"):
            f.write(f"\n[sync.guards.{kind}]\npercent = 100\n")
    write_csv(workdir / "impero" / "students.csv", *HEAD)
    assert rostersync("sync").exit_code == 0
    assert shown(rostersync) == {}


def test_a_source_that_comes_back_empty_holds_even_beside_others(
    rostersync: CliRun, workdir: Path
) -> None:
    extra = workdir / "extra"
    extra.mkdir()
    write_csv(extra / "students.csv", *HEAD, "Neville,Herbology")
    write_csv(extra / "teachers.csv", *HEAD)
    config = workdir / "config.toml"
    text = config.read_text().replace('sources = ["school"]', 'sources = ["school", "extra"]')
    config.write_text(text + '\n[sources.extra]\nplugin = "impero_csv"\npath = "extra"\n')
    assert rostersync("sync").exit_code == 0
    write_csv(extra / "students.csv", *HEAD)
    result = rostersync("sync")
    assert result.exit_code == 4
    assert "source 'extra' returned no groups, but 1 last time" in result.output
    assert "Herbology" in shown(rostersync)


def test_over_the_threshold_the_run_is_held_and_its_plan_kept(
    rostersync: CliRun, workdir: Path
) -> None:
    low_thresholds(workdir)
    assert rostersync("sync").exit_code == 0
    before = shown(rostersync)
    shrink_to_potions(workdir)
    result = rostersync("sync")
    assert result.exit_code == 4, result.output
    assert "it would remove 3 groups, more than the limit of 1" in result.output
    assert shown(rostersync) == before
    status = json.loads(rostersync("status", "--json").output)
    assert status["state"] == "held"
    held = rostersync("runs", "show", "2")
    assert "held plan (not applied)" in held.output
    assert "delete group 'Flying'" in held.output


def test_approve_applies_exactly_the_held_plan(rostersync: CliRun, workdir: Path) -> None:
    low_thresholds(workdir)
    rostersync("sync")
    shrink_to_potions(workdir)
    assert rostersync("sync").exit_code == 4
    held_changes = json.loads(rostersync("runs", "show", "2", "--json").output)["changes"]
    # The files change again after the hold: approval applies the plan that was shown.
    write_csv(workdir / "impero" / "students.csv", *HEAD, "Harry_Potter,Flying")
    result = rostersync("approve", "2")
    assert result.exit_code == 0, result.output
    assert "applying the plan held by run 2" in result.output
    assert shown(rostersync) == {"Potions": ["Harry_Potter"]}
    applied = json.loads(rostersync("runs", "show", "3", "--json").output)
    assert applied["trigger"] == "approval" and applied["changes"] == held_changes
    assert json.loads(rostersync("runs", "show", "2", "--json").output)["status"] == "approved"
    again = rostersync("approve", "2")
    assert again.exit_code == 1 and "run 2 is approved, not held" in again.output


def test_approve_replans_when_the_target_changed(rostersync: CliRun, workdir: Path) -> None:
    low_thresholds(workdir)
    rostersync("sync")
    shrink_to_potions(workdir)
    assert rostersync("sync").exit_code == 4
    # Someone edits a managed group in the console while the plan waits.
    engine = sa.create_engine(f"sqlite:///{workdir / 'state.db'}")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO dir_member VALUES ('Potions', 'Neville')"))
    engine.dispose()
    result = rostersync("approve", "2")
    assert result.exit_code == 4, result.output  # planned afresh, and held again
    assert "the target changed since run 2 was held" in result.output
    assert json.loads(rostersync("runs", "show", "2", "--json").output)["status"] == "rejected"
    assert set(shown(rostersync)) == {"Potions", "Dark Arts", "Flying", "Muggle Studies"}


def test_reject_drops_the_plan(rostersync: CliRun, workdir: Path) -> None:
    low_thresholds(workdir)
    rostersync("sync")
    before = shown(rostersync)
    shrink_to_potions(workdir)
    rostersync("sync")
    result = rostersync("reject", "2")
    assert result.exit_code == 0 and "plan rejected" in result.output
    assert shown(rostersync) == before
    assert rostersync("approve", "2").exit_code == 1


def test_allow_deletes_overrides_once(rostersync: CliRun, workdir: Path) -> None:
    low_thresholds(workdir)
    rostersync("sync")
    shrink_to_potions(workdir)
    assert rostersync("sync", "--allow-deletes").exit_code == 0
    assert shown(rostersync) == {"Potions": ["Harry_Potter"]}


def test_plan_writes_nothing_at_all(rostersync: CliRun, workdir: Path) -> None:
    result = rostersync("plan", "--json")
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["run_id"] is None and len(data["changes"]) == 14
    assert json.loads(rostersync("runs", "--json").output) == []
    assert shown(rostersync) == {}

    assert Store(f"sqlite:///{workdir / 'state.db'}").current_lock("default") is None


def test_percentages_apply_only_above_the_minimum(rostersync: CliRun, workdir: Path) -> None:
    with (workdir / "config.toml").open("a") as f:
        f.write("\n[sync.guards.memberships]\npercent = 10\nminimum = 5\n")
    rostersync("sync")
    write_csv(
        workdir / "impero" / "students.csv",
        *HEAD,
        "Harry_Potter,Potions",
        "Harry_Potter,Dark Arts",
        "Harry_Potter,Flying",
        "Ron_Weasley,Muggle Studies",
    )
    result = rostersync("sync")
    assert result.exit_code == 4
    assert "it would remove 1 of 5 managed memberships (20%), more than the limit of 10%" in (
        result.output
    )


def test_lifting_many_blocks_at_once_is_held() -> None:
    from sync.config import GuardsConfig
    from sync.guard import check_guards
    from sync.model import Change, Plan

    lifts = tuple(
        Change(ChangeKind.REMOVE_BLOCK, "", person=f"staff{n}", student="Harry") for n in range(6)
    )
    verdict = check_guards(
        Plan(changes=lifts), GuardsConfig(), desired_empty=False, allow_deletes=False
    )
    assert verdict.held and "it would remove 6 blocks, more than the limit of 5" in verdict.reason
    few = check_guards(
        Plan(changes=lifts[:5]), GuardsConfig(), desired_empty=False, allow_deletes=False
    )
    assert not few.held


def test_approve_replans_when_the_target_changed_just_after_planning(
    rostersync: CliRun, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The held fingerprint is of the state the plan was made from, even when member
    digests let the plan skip reading unchanged groups."""
    from plugins.directory.target import DirectoryTarget

    low_thresholds(workdir)
    assert rostersync("sync").exit_code == 0
    write_csv(
        workdir / "impero" / "students.csv", *HEAD, "Harry_Potter,Potions", "Ron_Weasley,Potions"
    )
    original = DirectoryTarget.read_changed

    def edited_right_after(self: DirectoryTarget, matched: AbstractSet[str]) -> TargetState:
        state = original(self, matched)
        assert "Potions" in state.members_matched
        with self.engine.begin() as c:  # an admin's edit lands between planning and holding
            c.execute(sa.text("INSERT INTO dir_member VALUES ('Potions', 'Neville')"))
        return state

    monkeypatch.setattr(DirectoryTarget, "read_changed", edited_right_after)
    assert rostersync("sync").exit_code == 4
    monkeypatch.setattr(DirectoryTarget, "read_changed", original)
    result = rostersync("approve", "2")
    assert "the target changed since run 2 was held" in result.output, result.output
    assert result.exit_code == 4  # planned afresh, and held again: nothing was applied
    plan = json.loads(rostersync("runs", "show", "3", "--json").output)
    assert {
        "kind": "remove_member",
        "group": "Potions",
        "name": "Potions",
        "person": "Neville",
    } in plan["changes"]


def test_blocks_lost_by_the_sources_hold_the_run_on_any_target() -> None:
    from sync.config import GuardsConfig
    from sync.guard import check_guards
    from sync.model import Plan

    verdict = check_guards(
        Plan(), GuardsConfig(), desired_empty=False, allow_deletes=False, lifted_blocks=10
    )
    assert verdict.held and "remove 10 blocks" in verdict.reason


def test_blocks_dropped_by_a_source_hold_the_run_through_the_engine(workdir: Path) -> None:
    from collections.abc import Callable
    from typing import Any

    from sync.config import load_config
    from sync.contract import PluginOptions, SourceRead, SourceType
    from sync.hookspecs import hookimpl
    from sync.model import Block, Roster
    from sync.plugins import load_plugins
    from sync.run import Engine
    from tests.sync.run.test_faults import MemoryPlugin

    blocks = [Block(f"teacher{n}", "Harry_Potter", "relative") for n in range(6)]

    class BlockSource:
        @hookimpl
        def register_sources(self, register: Callable[[SourceType[Any]], None]) -> None:
            register(SourceType(name="blocks", options=PluginOptions, factory=self._make))

        def _make(self, options: object, context: object) -> Any:
            return self

        def read(self) -> SourceRead:
            return SourceRead(roster=Roster.build(blocks=blocks))

    config = workdir / "config.toml"
    text = config.read_text().replace('plugin = "directory"', 'plugin = "memory"')
    text = text.replace('sources = ["school"]', 'sources = ["school", "extra"]')
    config.write_text(text + '\n[sources.extra]\nplugin = "blocks"\n')
    target = MemoryTarget()
    extra = [MemoryPlugin(target), BlockSource()]
    engine = Engine(load_config(config), load_plugins(entry_points=False, extra=extra))
    assert engine.run().status is RunStatus.OK
    blocks.clear()  # the manual store lost its blocks
    outcome = engine.run()
    assert outcome.status is RunStatus.HELD
    assert "it would remove 6 blocks, more than the limit of 5" in outcome.error

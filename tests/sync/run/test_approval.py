"""Approving and rejecting a held run: its plan applied once, or never."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CliRun
from tests.sync.test_guards import low_thresholds, shown, shrink_to_potions


def test_a_stale_held_plan_can_never_be_approved(rostersync: CliRun, workdir: Path) -> None:
    low_thresholds(workdir)
    rostersync("sync")
    original = (workdir / "impero" / "students.csv").read_bytes()
    shrink_to_potions(workdir)  # a truncated upload: held
    assert rostersync("sync").exit_code == 4
    (workdir / "impero" / "students.csv").write_bytes(original)  # fixed, synced fine
    assert rostersync("sync").exit_code == 0
    result = rostersync("approve", "2")
    assert result.exit_code == 1 and "run 2 is rejected, not held" in result.output
    run2 = json.loads(rostersync("runs", "show", "2", "--json").output)
    assert run2["status"] == "rejected" and "superseded by run 3" in run2["error"]
    assert len(shown(rostersync)) == 4

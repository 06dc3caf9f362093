"""What ``apply_plan`` does with each kind of error a target raises, and what the run
record then says."""

from __future__ import annotations

from pathlib import Path

from sync.apply import apply_plan
from sync.errors import RetriableError, SkippableError
from sync.model import Change, ChangeKind, RunStatus
from sync.testing import MemoryTarget
from tests.sync.run.test_faults import SEED_MEMBERS, engine_for


def _suspended(person: str) -> object:
    def raise_for(change: Change) -> Exception | None:
        if change.kind is ChangeKind.ADD_MEMBER and change.person == person:
            return SkippableError(f"{person} is suspended in the directory")
        return None

    return raise_for


def test_an_unexpected_target_error_fails_the_run_and_keeps_what_was_applied(
    workdir: Path,
) -> None:
    target = MemoryTarget(fail_calls={3: KeyError("Flying")})
    engine = engine_for(workdir, target)
    outcome = engine.run()
    assert outcome.status is RunStatus.FAILED
    assert "KeyError" in outcome.error and "Flying" in outcome.error
    recorded = engine.store.run(outcome.run_id or 0)
    assert recorded is not None and recorded.summary.status is RunStatus.FAILED
    assert recorded.summary.counts == {"create_group": 4}  # the two batches before it
    assert len(engine.store.run_changes(outcome.run_id or 0)) == 4


def test_a_skippable_change_is_reported_and_the_rest_go_on(workdir: Path) -> None:
    target = MemoryTarget(raise_for=_suspended("Ron_Weasley"))  # type: ignore[arg-type]
    engine = engine_for(workdir, target)
    outcome = engine.run()
    assert outcome.status is RunStatus.PARTIAL and outcome.failed == 2
    assert target.members == {m for m in SEED_MEMBERS if m[1] != "Ron_Weasley"}
    issues = engine.store.run_issues(outcome.run_id or 0)
    skipped = [i for i in issues if "Ron_Weasley is suspended" in i.message]
    assert len(skipped) == 2 and all("skipped" in i.message for i in skipped)
    assert sorted(i.value for i in skipped) == ["Ron_Weasley", "Ron_Weasley"]


def test_a_skippable_batch_is_applied_change_by_change() -> None:
    changes = [
        Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions"),
        *(Change(ChangeKind.ADD_MEMBER, "Potions", person=p) for p in ("Ann", "Bob", "Cy")),
    ]
    target = MemoryTarget(raise_for=_suspended("Bob"))  # type: ignore[arg-type]
    result = apply_plan(target, changes, batch_size=10, attempts=3, retry_wait=0)
    assert result.complete
    assert [c.person for c in result.applied] == ["", "Ann", "Cy"]
    assert [(f.change.person, f.reason) for f in result.failures] == [
        ("Bob", "skipped: Bob is suspended in the directory")
    ]
    assert [[c.person for c in call] for call in target.calls[1:]] == [
        ["Ann", "Bob", "Cy"],
        ["Ann"],
        ["Bob"],
        ["Cy"],
    ]
    assert target.members == {("Potions", "Ann"), ("Potions", "Cy")}


def test_a_change_applied_alone_is_still_retried_and_an_error_keeps_the_ones_before() -> None:
    changes = [
        Change(ChangeKind.CREATE_GROUP, "Potions", name="Potions"),
        *(Change(ChangeKind.ADD_MEMBER, "Potions", person=p) for p in ("Ann", "Bob", "Cy")),
    ]
    # call 2 is the batch (skippable: Bob), 3 is Ann alone (a passing fault, retried as 4),
    # 5 is Bob (skipped), 6 is Cy: the target's connection is gone for good.
    target = MemoryTarget(
        raise_for=_suspended("Bob"),  # type: ignore[arg-type]
        fail_calls={3: RetriableError("503"), 6: ConnectionError("reset by peer")},
    )
    result = apply_plan(target, changes, batch_size=10, attempts=3, retry_wait=0)
    assert not result.complete and isinstance(result.error, ConnectionError)
    assert result.retries == 1
    assert [c.person for c in result.applied] == ["", "Ann"]
    assert [f.change.person for f in result.failures] == ["Bob"]

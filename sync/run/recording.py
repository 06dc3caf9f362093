"""Recording a run: its issues, its outcome, and the plugin states it may keep."""

from __future__ import annotations

from sync.model import RunStatus
from sync.run.request import RunOutcome
from sync.store import StagedState, Store, utcnow
from sync.undo import previous_values


def save_plugin_states(
    store: Store, outcome: RunOutcome, states: list[tuple[str, StagedState]]
) -> None:
    """Keep what the plugins staged (``states``: ``source:NAME`` or ``target:NAME``, and
    the state) and what the engine remembers between runs."""
    for key, state in states:
        store.save_plugin_state(outcome.sync, key, state.staged)
    for name in {**outcome.source_groups, **outcome.source_records}:
        last_good: dict[str, int] = {}
        if name in outcome.source_groups:
            last_good["groups"] = outcome.source_groups[name]
        if name in outcome.source_records:
            last_good["records"] = outcome.source_records[name]
        store.save_plugin_state(outcome.sync, f"engine:{name}", last_good)
    if outcome.desired_blocks is not None:
        store.save_plugin_state(outcome.sync, "engine", {"blocks": outcome.desired_blocks})
    if outcome.compared_all:
        store.save_plugin_state(outcome.sync, "engine", {"compared_all_at": utcnow().isoformat()})


def record(
    store: Store, run_id: int, outcome: RunOutcome, states: list[tuple[str, StagedState]]
) -> None:
    """Write the run's issues and outcome; plugin states only if the run succeeded."""
    store.add_issues(run_id, outcome.issues)
    if outcome.status in (RunStatus.OK, RunStatus.PARTIAL):
        save_plugin_states(store, outcome, states)
    elif outcome.status is RunStatus.HELD:
        # What an approval of this plan accepts as the sources' new size (shrink guard).
        for name, records in outcome.source_records.items():
            store.save_plugin_state(outcome.sync, f"engine:{name}", {"held_records": records})
    if outcome.status in (RunStatus.OK, RunStatus.PARTIAL, RunStatus.HELD):
        # This run planned from newer input: older held plans are stale now.
        store.supersede_held(outcome.sync, newer=run_id)
    store.finish_run(
        run_id,
        outcome.status,
        counts=outcome.applied,
        planned=outcome.plan.counts() if outcome.plan else {},
        retries=outcome.retries,
        error=outcome.error,
        changes=(
            outcome.plan.changes if outcome.status is RunStatus.HELD else outcome.applied_changes
        ),
        target_fingerprint=outcome.target_fingerprint,
        approved_run=outcome.approved_run,
        undo_values=(
            previous_values(outcome.applied_changes, outcome.before)
            if outcome.before is not None and outcome.status is not RunStatus.HELD
            else None
        ),
        undoes=outcome.undoes,
    )

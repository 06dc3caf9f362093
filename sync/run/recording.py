"""Recording a run: its issues, its outcome, and the plugin states it may keep."""

from __future__ import annotations

from sync.model import RunStatus
from sync.run.request import RunOutcome
from sync.store import StagedState, Store, utcnow


def save_plugin_states(
    store: Store, outcome: RunOutcome, states: list[tuple[str, StagedState]]
) -> None:
    """Keep what the plugins staged (``states``: ``source:NAME`` or ``target:NAME``, and
    the state) and what the engine remembers between runs."""
    for key, state in states:
        store.save_plugin_state(outcome.sync, key, state.staged)
    for name, groups in outcome.source_groups.items():
        store.save_plugin_state(outcome.sync, f"engine:{name}", {"groups": groups})
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
    )

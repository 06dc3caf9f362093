"""Approving a held run: the target's fingerprint, and loading the plan it holds."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from sync.contract import Target
from sync.errors import RostersyncError
from sync.model import Issue, Plan, RunStatus, Severity, TargetState
from sync.run.request import RunFailed, RunOutcome, RunRequest
from sync.store import RunDetail, Store


def fingerprint(state: TargetState) -> str:
    """A digest of what the sync manages in the target, to tell whether it changed."""
    digest = hashlib.sha256()
    roster = state.roster
    for key in sorted(state.managed):
        group = roster.groups.get(key)
        digest.update(f"g\0{key}\0{group.name if group else ''}\n".encode())
    for m in sorted(m for m in roster.memberships if m.group in state.managed):
        digest.update(f"m\0{m.group}\0{m.person}\n".encode())
    for g in sorted(g for g in roster.grants if state.is_managed_grant(g)):
        digest.update(f"a\0{g.group}\0{g.principal}\0{','.join(sorted(g.options))}\n".encode())
    for person in sorted(state.managed_profiles):
        profile = roster.profiles.get(person)
        if profile is not None:
            permissions = ",".join(sorted(profile.permissions))
            digest.update(f"p\0{person}\0{profile.user_group}\0{permissions}\n".encode())
    for staff, student in sorted(state.managed_blocks):
        digest.update(f"b\0{staff}\0{student}\n".encode())
    return digest.hexdigest()


def held_run(store: Store, run_id: int) -> RunDetail:
    """The run ``run_id``, which must be held (only a held run can be decided)."""
    detail = store.run(run_id)
    if detail is None:
        raise RostersyncError(f"there is no run {run_id}")
    if detail.summary.status is not RunStatus.HELD:
        raise RostersyncError(
            f"run {run_id} is {detail.summary.status.value}, not held; only a held run "
            "can be approved or rejected"
        )
    return detail


def approved_plan(
    store: Store,
    target: Target,
    request: RunRequest,
    outcome: RunOutcome,
    run_id: int | None,
    step: Callable[[str], None],
) -> Plan | None:
    """The held plan to apply as it is, or None to plan afresh (the target changed)."""
    if request.approve is None:
        return None
    held = held_run(store, request.approve)
    step("checking the held plan")
    state = target.read()
    if fingerprint(state) == held.target_fingerprint:
        outcome.before = state
        plan = Plan(changes=tuple(store.run_changes(held.summary.id)))
        if not store.decide_held(
            held.summary.id, RunStatus.APPROVED, f"approved; applied by run {run_id}"
        ):
            raise RunFailed(f"run {held.summary.id} was rejected meanwhile; nothing applied")
        outcome.plan = plan
        outcome.approved_run = held.summary.id
        return plan
    outcome.issues.append(
        Issue(
            Severity.WARNING,
            f"the target changed since run {held.summary.id} was held, so its plan was "
            "not applied; this run planned afresh",
            field="approve",
            value=str(held.summary.id),
        )
    )
    if not store.decide_held(
        held.summary.id,
        RunStatus.REJECTED,
        f"superseded: the target changed since; run {run_id} planned afresh",
    ):
        raise RunFailed(f"run {held.summary.id} was rejected meanwhile; nothing applied")
    return None

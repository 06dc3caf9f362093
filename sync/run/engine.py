"""One run of a sync: lock, read sources, merge, plan, guard, apply, record.

The engine knows sources and targets only through ``sync.contract``. A failed read
never reaches the target; a dry run takes no lock, records nothing and applies nothing.
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sync.apply import ApplyResult, StopSignal, apply_plan
from sync.config import Config, PluginTable, SyncConfig
from sync.contract import PluginContext, ReportsIssues, Source, SourceRead, Target
from sync.digest import read_target, with_matched_members
from sync.errors import FatalError, RetriableError, RostersyncError, SkippableError
from sync.guard import check_guards, shrunk_sources
from sync.merge import merge
from sync.model import (
    CHANGE_KIND,
    GRANT_GROUP,
    Change,
    ChangeKind,
    Issue,
    Memberships,
    Plan,
    Roster,
    RunStatus,
    Severity,
    TargetState,
    Trigger,
)
from sync.plan import make_plan
from sync.plugins import PluginSystem
from sync.redact import redact
from sync.run import building
from sync.run.approval import approved_plan, fingerprint, held_run
from sync.run.known import known_roster
from sync.run.recording import record
from sync.run.request import RunFailed, RunOutcome, RunRequest
from sync.run.runlock import DEFAULT_LEASE, AnyOf, Heartbeat
from sync.store import RunDetail, StagedState, Store, new_holder, utcnow
from sync.undo import CannotUndo, undo_plan

log = logging.getLogger(__name__)


def _may_use_digests(
    sync_config: SyncConfig, request: RunRequest, engine_state: dict[str, Any]
) -> bool:
    """Whether this run may trust the target's member digests: not when asked to compare
    everything, nor when the last run that did is ``compare_all_hours`` old (a digest
    cannot see every edit made behind rostersync's back)."""
    hours = sync_config.compare_all_hours
    last = engine_state.get("compared_all_at")
    if request.compare_all or hours == 0 or not isinstance(last, str):
        return False
    return utcnow() - datetime.fromisoformat(last) < timedelta(hours=hours)


def _check_references(name: str, roster: Roster) -> tuple[Roster, list[Issue]]:
    """Drop memberships and grants that name a group the source did not define."""
    groups = roster.groups
    by_group = roster.members_by_group()
    used = by_group.keys() | set(map(GRANT_GROUP, roster.grants))
    if used.issubset(groups):
        return roster, []
    bad_members = [m for m in roster.memberships if m.group not in groups]
    bad_grants = [g for g in roster.grants if g.group not in groups]
    issues = [
        Issue(
            Severity.ERROR,
            f"{what} names a group the source did not define",
            source=name,
            field="group",
            value=group,
        )
        for what, group in [
            *(("membership", m.group) for m in bad_members),
            *(("access grant", g.group) for g in bad_grants),
        ][:100]
    ]
    fixed = dataclasses.replace(
        roster,
        memberships=Memberships.of_groups(
            {key: people for key, people in by_group.items() if key in groups}
        ),
        grants=frozenset(g for g in roster.grants if g.group in groups),
    )
    return fixed, issues


def _managed(state: TargetState) -> dict[str, int]:
    """How much the sync manages in a target read whole, as the guards' percentages need."""
    return {
        "groups": len(state.managed),
        "memberships": sum(1 for m in state.roster.memberships if m.group in state.managed),
        "grants": len(state.managed_grants),
        "blocks": len(state.managed_blocks),
    }


class Engine:
    """Runs syncs as configured, recording each run in the store."""

    def __init__(
        self,
        config: Config,
        plugins: PluginSystem,
        store: Store | None = None,
        *,
        lease: timedelta = DEFAULT_LEASE,
    ) -> None:
        self.config = config
        self.plugins = plugins
        self.store = store if store is not None else Store(config.state_url)
        self.lease = lease

    # -- building plugins ---------------------------------------------------
    def plugin_options(self, table: PluginTable, model: type[Any]) -> Any:
        """A plugin table's options, secrets resolved and validated against ``model``."""
        return building.plugin_options(self.config, table, model)

    def context(
        self, sync: str, table: PluginTable, state: StagedState, request: RunRequest
    ) -> PluginContext:
        return building.plugin_context(self.config, sync, table, state, request)

    def open_target(self, sync: str, request: RunRequest | None = None) -> Target:
        return building.open_target(
            self.config, self.plugins, self.store, sync, request or RunRequest()
        )

    def known(self, sync: str) -> Roster:
        """The people and groups ``sync`` knows now (``sync.run.known``); records nothing."""
        return known_roster(self.config, self.plugins, self.store, sync)

    def _sources(
        self, sync: str, sync_config: SyncConfig, request: RunRequest
    ) -> list[tuple[str, Source, StagedState]]:
        return building.open_sources(
            self.config, self.plugins, self.store, sync, sync_config, request
        )

    # -- one run ------------------------------------------------------------
    def run(self, sync: str | None = None, request: RunRequest | None = None) -> RunOutcome:
        """Run the sync once. Raises ``RunInProgressError`` if another run holds the lock,
        and ``ConfigError`` before anything is recorded if the configuration is wrong."""
        request = request or RunRequest()
        if request.approve is not None:
            sync = self._held(request.approve).summary.sync
        if request.undo is not None:
            sync = self._undone(request.undo).summary.sync
        sync_name, sync_config = self.config.sync(sync)
        building.check_options(self.config, self.plugins, sync_config)  # before the lock
        return self._run_locked(sync_name, sync_config, request)

    def _run_locked(
        self, sync_name: str, sync_config: SyncConfig, request: RunRequest
    ) -> RunOutcome:
        if request.dry_run:
            return self._execute(sync_name, sync_config, request, run_id=None)
        holder = new_holder()
        self.store.acquire_lock(sync_name, holder, self.lease)
        heartbeat = Heartbeat(self.store, sync_name, holder, self.lease)
        try:
            run_id = self.store.start_run(sync_name, request.trigger, holder=holder)
            self.store.attach_run(sync_name, holder, run_id)
            heartbeat.start()
            stop = AnyOf(request.stop, heartbeat.lost)
            try:
                outcome = self._execute(sync_name, sync_config, request, run_id=run_id, stop=stop)
            except BaseException:  # Ctrl-C, or the store failing while recording
                self.store.finish_run(
                    run_id,
                    RunStatus.INTERRUPTED,
                    error="stopped by an interrupt or an internal error; the next run completes it",
                )
                raise
        finally:
            heartbeat.stop()
            self.store.release_lock(sync_name, holder)
        self._announce(outcome)
        return outcome

    def _held(self, run_id: int) -> RunDetail:
        return held_run(self.store, run_id)

    def _undone(self, run_id: int) -> RunDetail:
        """The run to undo: one that applied changes (not a held plan)."""
        detail = self.store.run(run_id)
        if detail is None:
            raise RostersyncError(
                f"there is no run {run_id} (see 'rostersync runs'; old runs may be pruned)"
            )
        status = detail.summary.status
        if status in (RunStatus.HELD, RunStatus.REJECTED, RunStatus.APPROVED):
            also = "; undo the run that applied it" if status is RunStatus.APPROVED else ""
            raise RostersyncError(
                f"run {run_id} is {status.value}: its plan was not applied by it{also}"
            )
        if status is RunStatus.RUNNING:
            raise RostersyncError(f"run {run_id} is still running")
        return detail

    def undo(self, run_id: int, request: RunRequest | None = None) -> RunOutcome:
        """Take back exactly what ``run_id`` applied, where the target still shows it, as
        a new run (trigger ``undo``) that passes the guards; dry first to show it."""
        base = request or RunRequest()
        return self.run(None, dataclasses.replace(base, trigger=Trigger.UNDO, undo=run_id))

    def _undo_plan(
        self,
        target: Target,
        sync_config: SyncConfig,
        request: RunRequest,
        outcome: RunOutcome,
        run_id: int | None,
    ) -> Plan:
        """The plan that undoes ``request.undo``, guarded; a held one ends the run held."""
        assert request.undo is not None
        self._step(run_id, "planning the undo", request)
        undone = request.undo
        now = target.read()
        outcome.before = now
        outcome.undoes = undone
        try:
            found = undo_plan(
                undone,
                self.store.run_changes(undone),
                self.store.run_undo_record(undone).values,
                now,
            )
        except CannotUndo as exc:
            raise RunFailed(str(exc)) from None
        plan = Plan(changes=found.changes, issues=found.skipped, managed_counts=_managed(now))
        outcome.plan = plan
        outcome.issues.extend(found.skipped)
        verdict = check_guards(
            plan,
            sync_config.guards,
            desired_empty=False,
            allow_deletes=request.allow_deletes,
            emptied_sources=[],
            lifted_blocks=plan.counts()[ChangeKind.REMOVE_BLOCK.value],
        )
        outcome.verdict = verdict
        if request.dry_run:
            outcome.status = RunStatus.HELD if verdict.held else RunStatus.OK
        elif verdict.held:
            outcome.target_fingerprint = fingerprint(now)
            raise RunFailed(f"held: {verdict.reason}", RunStatus.HELD)
        return plan

    def approve(self, run_id: int, request: RunRequest | None = None) -> RunOutcome:
        """Apply exactly the plan held by ``run_id`` if the target has not changed since;
        otherwise re-plan (the new plan passes the guards again, or is held again)."""
        base = request or RunRequest()
        return self.run(
            None,
            RunRequest(
                trigger=Trigger.APPROVAL,
                stop=base.stop,
                progress=base.progress,
                approve=run_id,
            ),
        )

    def reject(self, run_id: int) -> None:
        """Drop the plan a held run keeps; nothing is applied."""
        self._held(run_id)
        if not self.store.decide_held(
            run_id, RunStatus.REJECTED, "rejected by an admin; nothing applied"
        ):
            raise RostersyncError(f"run {run_id} was decided by someone else meanwhile")

    def _announce(self, outcome: RunOutcome) -> None:
        if outcome.run_id is None:
            return
        detail = self.store.run(outcome.run_id)
        if detail is None:
            return
        # Each implementation on its own: one that raises is logged, the others still hear.
        summary = detail.summary
        self.plugins.call_each(
            "sync_finished",
            summary=summary,
            notify=self.config.notify.model_dump(),
            rejected_rows=self.store.rejected_rows(summary.id) if summary.issues else 0,
        )

    def _step(self, run_id: int | None, step: str, request: RunRequest) -> None:
        log.info("%s", step)
        request.progress(step)
        if run_id is not None:
            self.store.set_step(run_id, step)

    def _execute(
        self,
        sync: str,
        sync_config: SyncConfig,
        request: RunRequest,
        *,
        run_id: int | None,
        stop: StopSignal | None = None,
    ) -> RunOutcome:
        outcome = RunOutcome(sync=sync, status=RunStatus.RUNNING, run_id=run_id)
        states: list[tuple[str, StagedState]] = []
        opened: list[tuple[str, Source | Target]] = []  # closed in every case
        target: Target | None = None
        try:
            target, target_state = building.build_target(
                self.config, self.plugins, self.store, sync, request
            )
            opened.append(("the target", target))
            states.append((f"target:{sync_config.target}", target_state))
            plan = self._approved_plan(target, request, outcome, run_id)
            if plan is not None:
                self._accept_held_sizes(sync, sync_config, outcome)
            elif request.undo is not None:
                plan = self._undo_plan(target, sync_config, request, outcome, run_id)
                if request.dry_run:
                    return outcome
            else:
                self._step(run_id, "fetching", request)
                desired = self._read_sources(sync, sync_config, request, outcome, states, opened)
                self._step(run_id, "planning", request)
                engine_state = self.store.plugin_state(sync, "engine")
                use_digests = _may_use_digests(sync_config, request, engine_state)
                current = read_target(target, desired, use_digests=use_digests)
                outcome.before = current
                outcome.compared_all = not current.members_matched
                plan = make_plan(desired, current, capabilities=target.capabilities)
                outcome.plan = plan
                outcome.issues.extend(plan.issues)
                outcome.desired_blocks = len(desired.blocks)
                blocks_before = engine_state.get("blocks") or 0
                verdict = check_guards(
                    plan,
                    sync_config.guards,
                    desired_empty=desired.is_empty(),
                    allow_deletes=request.allow_deletes,
                    emptied_sources=self._emptied_sources(sync, outcome.source_groups),
                    lifted_blocks=max(0, int(blocks_before) - len(desired.blocks)),
                    shrunk=shrunk_sources(
                        outcome.source_records,
                        self._last_good(sync, outcome.source_records, "records"),
                        sync_config.guards,
                    ),
                )
                outcome.verdict = verdict
                if request.dry_run:
                    outcome.status = RunStatus.HELD if verdict.held else RunStatus.OK
                    return outcome
                if verdict.held:
                    # Of the state the plan was made from; approval compares a whole read.
                    whole = with_matched_members(current, desired)
                    outcome.target_fingerprint = fingerprint(whole)
                    raise RunFailed(f"held: {verdict.reason}", RunStatus.HELD)
            self._step(run_id, "applying", request)
            result = self._apply(target, plan.changes, sync_config, request, stop)
            self._finish_apply(outcome, result)
        except RunFailed as stop:
            outcome.status = stop.status
            outcome.error = redact(str(stop))
        except RetriableError as exc:
            outcome.status = RunStatus.FAILED
            outcome.error = redact(f"gave up after retries: {exc}")
        except RostersyncError as exc:  # fatal, configuration, and every other error of ours
            outcome.status = RunStatus.FAILED
            outcome.error = redact(str(exc))
        except Exception as exc:  # a plugin's bug: record it, never leave a run "running"
            log.exception("run failed with an unexpected error")
            outcome.status = RunStatus.FAILED
            outcome.error = redact(f"unexpected error: {type(exc).__name__}: {exc}")
        finally:
            if target is not None and isinstance(target, ReportsIssues):
                outcome.issues.extend(target.run_issues())
            for what, plugin in opened:
                building.close_plugin(what, plugin)
        if run_id is not None:
            record(self.store, run_id, outcome, states)
        return outcome

    def _approved_plan(
        self, target: Target, request: RunRequest, outcome: RunOutcome, run_id: int | None
    ) -> Plan | None:
        """The held plan to apply as it is, or None to plan afresh (the target changed)."""
        return approved_plan(
            self.store,
            target,
            request,
            outcome,
            run_id,
            lambda step: self._step(run_id, step, request),
        )

    def _last_good(self, sync: str, sources: dict[str, int], key: str) -> dict[str, int]:
        """``key`` of each source's last successful read, where one was recorded."""
        found = {}
        for name in sources:
            value = self.store.plugin_state(sync, f"engine:{name}").get(key)
            if value is not None:
                found[name] = int(value)
        return found

    def _accept_held_sizes(self, sync: str, sync_config: SyncConfig, outcome: RunOutcome) -> None:
        """Approving a held plan accepts the sizes its sources read (a shrink was meant)."""
        held = self._last_good(sync, dict.fromkeys(sync_config.sources, 0), "held_records")
        outcome.source_records.update(held)

    def _emptied_sources(self, sync: str, groups: dict[str, int]) -> list[tuple[str, int]]:
        emptied = []
        for name, count in groups.items():
            before = self.store.plugin_state(sync, f"engine:{name}").get("groups") or 0
            if count == 0 and before > 0:
                emptied.append((name, int(before)))
        return emptied

    def _read_sources(
        self,
        sync: str,
        sync_config: SyncConfig,
        request: RunRequest,
        outcome: RunOutcome,
        states: list[tuple[str, StagedState]],
        opened: list[tuple[str, Source | Target]],
    ) -> Roster:
        reads: list[tuple[str, Roster]] = []
        guards = sync_config.guards
        sources = self._sources(sync, sync_config, request)
        opened.extend((f"source {name!r}", source) for name, source, _ in sources)
        for name, source, state in sources:
            states.append((f"source:{name}", state))
            try:
                read: SourceRead = source.read()
            except RetriableError as exc:
                raise RunFailed(f"source {name!r} failed after retries: {exc}") from None
            except (FatalError, SkippableError) as exc:  # a source is never skipped whole
                raise RunFailed(f"source {name!r} failed: {exc}") from None
            outcome.retries += read.retries
            outcome.issues.extend(read.issues)
            roster, bad_refs = _check_references(name, read.roster)
            outcome.issues.extend(bad_refs)
            outcome.source_groups[name] = len(roster.groups)
            outcome.source_records[name] = read.records
            if read.records and read.rejected:
                share = 100.0 * read.rejected / read.records
                if share > guards.max_rejected_percent:
                    raise RunFailed(
                        f"source {name!r}: {read.rejected} of {read.records} records were "
                        f"rejected ({share:.0f}%), more than the {guards.max_rejected_percent:g}% "
                        "allowed ([sync.guards] max_rejected_percent); nothing was changed"
                    )
            log.info(
                "source %s: %d groups, %d memberships, %d grants, %d issues",
                name,
                len(roster.groups),
                len(roster.memberships),
                len(roster.grants),
                len(read.issues),
            )
            reads.append((name, roster))
        desired, conflicts = merge(reads)
        outcome.issues.extend(conflicts)
        return desired

    def _apply(
        self,
        target: Target,
        changes: Iterable[Change],
        sync_config: SyncConfig,
        request: RunRequest,
        stop: StopSignal | None,
    ) -> ApplyResult:
        ordered = list(changes)
        total = len(ordered)

        def on_batch(result: ApplyResult) -> None:
            request.progress(f"applied {len(result.applied) + len(result.failures)}/{total}")

        return apply_plan(
            target,
            ordered,
            batch_size=sync_config.batch_size,
            attempts=sync_config.apply_attempts,
            retry_wait=sync_config.retry_wait_seconds,
            stop=stop,
            on_batch=on_batch,
        )

    def _finish_apply(self, outcome: RunOutcome, result: ApplyResult) -> None:
        applied = Counter(map(CHANGE_KIND, result.applied))
        outcome.applied = {kind.value: n for kind, n in applied.items()}
        outcome.failed = len(result.failures)
        outcome.retries += result.retries
        for failure in result.failures:
            outcome.issues.append(
                Issue(
                    Severity.ERROR,
                    redact(f"target rejected: {failure.change.describe()}: {failure.reason}"),
                    source="target",
                    field=failure.change.kind.value,
                    value=failure.change.person or failure.change.group,
                )
            )
        outcome.applied_changes = result.applied
        if result.interrupted:
            outcome.status = RunStatus.INTERRUPTED
            outcome.error = (
                "stopped on request after the batch in flight; the next run completes it"
            )
        elif isinstance(result.error, RetriableError):
            outcome.status = RunStatus.FAILED
            outcome.error = redact(
                f"the target kept failing, gave up after retries: {result.error}"
            )
        elif isinstance(result.error, RostersyncError):
            outcome.status = RunStatus.FAILED
            outcome.error = redact(f"the target refused a batch: {result.error}")
        elif result.error is not None:  # a driver's error, or a bug in the target
            outcome.status = RunStatus.FAILED
            error = result.error
            outcome.error = redact(f"the target failed: {type(error).__name__}: {error}")
        elif result.failures:
            outcome.status = RunStatus.PARTIAL
        else:
            outcome.status = RunStatus.OK

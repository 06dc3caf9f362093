"""What the command line and the admin console both show: a sync's status, one run's
page of changes and issues, a staff member's access, the rejected rows of a run.

Each answer is computed here once; ``sync.cli`` prints it and ``sync.web`` renders it.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import IO, Any
from zoneinfo import ZoneInfo

from sync.config import Config
from sync.model import Change, ChangeKind, Issue, RunStatus, Severity, TargetState
from sync.schedule import next_fire, scheduled_triggers
from sync.store import RunDetail, Store

REJECTED_COLUMNS = ("file", "line", "field", "value", "message")


def sync_status(store: Store, sync: str) -> dict[str, Any]:
    """One sync's import status, as ``rostersync status --json`` prints it."""
    last = store.last_run(sync)
    success = store.last_success(sync)
    pause = store.pause_state(sync)
    state = last.summary.status.value if last else "never run"
    rejected = store.rejected_rows(last.summary.id) if last and last.summary.issues else 0
    return {
        "sync": sync,
        "state": state,
        "step": last.step if last and last.summary.status is RunStatus.RUNNING else "",
        "last_run": last.summary.to_dict() if last else None,
        "last_import_at": success.summary.finished_at if success else None,
        "paused": pause.active(),
        "paused_until": pause.until.isoformat() if pause.active() and pause.until else None,
        "pause_reason": pause.reason if pause.active() else "",
        "rejected_rows": rejected,
    }


def next_runs(config: Config, now: datetime | None = None) -> dict[str, str | None]:
    """When each scheduled sync runs next (ISO time), None for a sync with no schedule."""
    moment = now or datetime.now(UTC)
    triggers = scheduled_triggers(config)
    out: dict[str, str | None] = {}
    for sync in config.syncs:
        trigger = triggers.get(sync)
        fire = next_fire(trigger, moment) if trigger is not None else None
        out[sync] = fire.astimezone(UTC).isoformat(timespec="seconds") if fire else None
    return out


def last_runs(store: Store, sync: str | None, count: int = 30) -> list[RunDetail]:
    """The last ``count`` finished runs, oldest first (for the overview's chart)."""
    found = [
        d
        for d in store.find_runs(sync=sync, limit=count + 5)
        if d.summary.status is not RunStatus.RUNNING
    ]
    return list(reversed(found[:count]))


def parse_until(text: str, zone: str, now: datetime | None = None) -> datetime:
    """An ISO date or date-time to pause until; without an offset it is read in ``zone``.
    Raises ``ValueError`` with a message for people."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is not a date; write e.g. 2026-09-01 or 2026-09-01T07:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    if moment <= (now or datetime.now(UTC)):
        raise ValueError(f"{text} is in the past")
    return moment


def schedule_zone(config: Config, sync: str) -> str:
    """The time zone a sync's schedule (and its pause dates) are written in."""
    schedule = config.syncs[sync].schedule
    return schedule.timezone if schedule else "UTC"


@dataclass(frozen=True)
class RunPage:
    """One run with a page of its changes (filtered by ``query``) and all its issues."""

    detail: RunDetail
    changes: list[Change]
    matching: int
    total_changes: int
    issues: list[Issue]
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + self.limit < self.matching


def run_page(
    store: Store, run_id: int, *, query: str = "", offset: int = 0, limit: int = 50
) -> RunPage | None:
    """``runs show ID``: the run, its changes whose description holds ``query``, paged."""
    detail = store.run(run_id)
    if detail is None:
        return None
    offset = max(offset, 0)
    needle = query.strip().casefold()
    if not needle:
        page, total = store.run_changes_page(run_id, offset, limit)
        return RunPage(detail, page, total, total, store.run_issues(run_id), offset, limit)
    changes = store.run_changes(run_id)
    matching = [c for c in changes if needle in c.describe().casefold()]
    return RunPage(
        detail=detail,
        changes=matching[offset : offset + limit],
        matching=len(matching),
        total_changes=len(changes),
        issues=store.run_issues(run_id),
        offset=offset,
        limit=limit,
    )


@dataclass(frozen=True)
class IssueGroup:
    """A run's issues from one file with one severity."""

    file: str
    severity: Severity
    issues: list[Issue] = field(default_factory=list)


def issues_by_file(issues: Iterable[Issue]) -> list[IssueGroup]:
    """Issues grouped by (source and file, severity), errors first."""
    groups: dict[tuple[str, Severity], IssueGroup] = {}
    for issue in issues:
        where = ": ".join(p for p in (issue.source, issue.file) if p) or "(the run)"
        key = (where, issue.severity)
        if key not in groups:
            groups[key] = IssueGroup(where, issue.severity)
        groups[key].issues.append(issue)
    order = {Severity.ERROR: 0, Severity.WARNING: 1}
    return sorted(groups.values(), key=lambda g: (order[g.severity], g.file))


def rejected_rows(issues: Iterable[Issue]) -> list[Issue]:
    """The issues that rejected a record (errors), in the order they were found."""
    return [issue for issue in issues if issue.severity is Severity.ERROR]


def write_rejected_csv(issues: Iterable[Issue], out: IO[str]) -> int:
    """Write file, line, field, value and message of every rejected row; returns the count.

    A value that a spreadsheet would run as a formula is prefixed with a quote.
    """
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(REJECTED_COLUMNS)
    count = 0
    for issue in rejected_rows(issues):
        writer.writerow(
            [
                _cell(issue.file),
                "" if issue.line is None else issue.line,
                _cell(issue.field),
                _cell(issue.value),
                _cell(issue.message),
            ]
        )
        count += 1
    return count


def _cell(text: str) -> str:
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class GroupAccess:
    key: str
    name: str
    visible: list[str]
    hidden: int


@dataclass(frozen=True)
class StaffAccess:
    """What one staff member can see in the target, and why (``access show``)."""

    user: str
    user_group: str | None
    permissions: dict[str, str]
    """Each permission with the reason the profile gives for it."""
    groups: list[GroupAccess]
    blocked: dict[str, str]
    """Each child hidden from the user, with the reason."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "user": self.user,
            "user_group": self.user_group,
            "permissions": dict(self.permissions),
            "groups": [
                {"key": g.key, "name": g.name, "visible": g.visible, "hidden": g.hidden}
                for g in self.groups
            ],
            "blocked": dict(self.blocked),
        }


def staff_access(state: TargetState, user: str) -> StaffAccess:
    """The user's profile, the groups granted to them with the members they may see
    (never a child blocked from them), and the children blocked from them."""
    roster = state.roster
    profile = roster.profiles.get(user)
    blocked = {b.student: b.reason for b in sorted(roster.blocks) if b.staff == user}
    groups = []
    for key in sorted({g.group for g in roster.grants if g.principal == user}):
        members = roster.members_of(key)
        visible = sorted(p for p in members if p not in blocked)
        group = roster.groups.get(key)
        groups.append(
            GroupAccess(key, group.name if group else key, visible, len(members) - len(visible))
        )
    return StaffAccess(
        user=user,
        user_group=profile.user_group if profile else None,
        permissions={p: profile.reason for p in sorted(profile.permissions)} if profile else {},
        groups=groups,
        blocked=blocked,
    )


def staff_ids(state: TargetState) -> list[str]:
    """Everyone the target gives access or a user group to, sorted."""
    roster = state.roster
    return sorted({g.principal for g in roster.grants} | set(roster.profiles))


def removals(changes: Sequence[Change]) -> list[Change]:
    """The changes of a plan that take something away (what a held plan is held for)."""
    taking = {
        ChangeKind.REMOVE_MEMBER,
        ChangeKind.DELETE_GROUP,
        ChangeKind.REVOKE_ACCESS,
        ChangeKind.CLEAR_PROFILE,
        ChangeKind.REMOVE_BLOCK,
    }
    return [c for c in changes if c.kind in taking]


@dataclass
class GroupRemovals:
    """What a plan takes away from one group: the group itself, members, access."""

    group: str
    name: str
    deleted: bool = False
    members: list[str] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)


def removals_by_group(changes: Sequence[Change]) -> tuple[list[GroupRemovals], list[Change]]:
    """A plan's removals grouped by group (biggest first), and the rest of its removals
    (profiles cleared, blocks lifted) as they are."""
    groups: dict[str, GroupRemovals] = {}
    others: list[Change] = []
    for change in removals(changes):
        if not change.group:
            others.append(change)
            continue
        entry = groups.setdefault(change.group, GroupRemovals(change.group, change.group))
        if change.name:
            entry.name = change.name
        if change.kind is ChangeKind.DELETE_GROUP:
            entry.deleted = True
        elif change.kind is ChangeKind.REMOVE_MEMBER:
            entry.members.append(change.person)
        elif change.kind is ChangeKind.REVOKE_ACCESS:
            entry.revoked.append(change.person)
        else:
            others.append(change)
    ordered = sorted(groups.values(), key=lambda g: (-len(g.members), g.name))
    return ordered, others

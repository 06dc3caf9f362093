"""Turning runs, plans and target state into text and JSON for people and scripts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sync.model import Change, ChangeKind, Issue, Severity, TargetState

_PHRASES = {
    ChangeKind.CREATE_GROUP: ("created", "create", "group", "groups"),
    ChangeKind.RENAME_GROUP: ("renamed", "rename", "group", "groups"),
    ChangeKind.ADD_BLOCK: ("blocked", "block", "child", "children"),
    ChangeKind.CLEAR_PROFILE: ("cleared", "clear", "staff profile", "staff profiles"),
    ChangeKind.SET_PROFILE: ("set", "set", "staff profile", "staff profiles"),
    ChangeKind.ADD_MEMBER: ("added", "add", "member", "members"),
    ChangeKind.GRANT_ACCESS: ("granted", "grant", "access right", "access rights"),
    ChangeKind.UPDATE_ACCESS: ("updated", "update", "access right", "access rights"),
    ChangeKind.REVOKE_ACCESS: ("revoked", "revoke", "access right", "access rights"),
    ChangeKind.REMOVE_MEMBER: ("removed", "remove", "member", "members"),
    ChangeKind.DELETE_GROUP: ("deleted", "delete", "group", "groups"),
    ChangeKind.REMOVE_BLOCK: ("unblocked", "unblock", "child", "children"),
}


def plural(n: int, one: str, many: str = "") -> str:
    """``1 warning``, ``2 warnings`` (``many`` when adding an s is wrong)."""
    return f"{n} {one if n == 1 else many or one + 's'}"


def describe_counts(counts: Mapping[str, int], *, future: bool = False) -> str:
    """``created 4 groups, added 5 members`` (or ``create 4 groups, ...`` for a plan)."""
    parts = []
    for kind, (done, to_do, one, many) in _PHRASES.items():
        n = counts.get(kind.value, 0)
        if n:
            parts.append(f"{to_do if future else done} {n} {one if n == 1 else many}")
    return ", ".join(parts) if parts else "no changes"


def issue_counts(issues: Iterable[Issue]) -> tuple[int, int]:
    errors = warnings = 0
    for issue in issues:
        if issue.severity is Severity.ERROR:
            errors += 1
        else:
            warnings += 1
    return errors, warnings


def issue_lines(issues: Sequence[Issue], limit: int = 20) -> list[str]:
    lines = [f"  {issue.severity.value}: {issue}" for issue in issues[:limit]]
    if len(issues) > limit:
        lines.append(f"  ... and {len(issues) - limit} more")
    return lines


def change_lines(changes: Sequence[Change], limit: int = 50) -> list[str]:
    lines = [f"  {change.describe()}" for change in changes[:limit]]
    if len(changes) > limit:
        lines.append(f"  ... and {len(changes) - limit} more (use --json for all)")
    return lines


def issue_dict(issue: Issue) -> dict[str, Any]:
    return {
        "severity": issue.severity.value,
        "message": issue.message,
        "source": issue.source,
        "file": issue.file,
        "line": issue.line,
        "field": issue.field,
        "value": issue.value,
    }


def target_groups(state: TargetState) -> list[dict[str, Any]]:
    """Every group in the target with its members, who has access, and whether it is managed."""
    roster = state.roster
    members: dict[str, list[str]] = {key: [] for key in roster.groups}
    access: dict[str, list[str]] = {key: [] for key in roster.groups}
    options: dict[str, dict[str, list[str]]] = {key: {} for key in roster.groups}
    for m in roster.memberships:
        members.setdefault(m.group, []).append(m.person)
    for g in roster.grants:
        access.setdefault(g.group, []).append(g.principal)
        if g.options:
            options.setdefault(g.group, {})[g.principal] = sorted(g.options)
    out = []
    for key, group in sorted(roster.groups.items(), key=lambda kv: (kv[1].name, kv[0])):
        entry: dict[str, Any] = {
            "name": group.name,
            "key": key,
            "members": sorted(members[key]),
            "access": sorted(access[key]),
            "managed": key in state.managed,
        }
        if options[key]:
            entry["access_options"] = options[key]
        out.append(entry)
    return out

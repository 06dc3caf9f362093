"""The ``scim`` target: groups, members and (as companion groups) access rights in a
SCIM 2.0 service provider such as Entra ID, Okta or any RFC 7644 server.

Ownership lives in the server: a group belongs to this sync when its ``externalId``
starts with the configured prefix (``rostersync:<sync>:`` by default). Groups without
that prefix are read, so that the planner reports clashes, and are never changed.
People map to SCIM users by ``userName``.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator

from plugins.scim.client import (
    GROUP_SCHEMA,
    USER_SCHEMA,
    ScimClient,
    ScimRefused,
    quote,
)
from sync.api import (
    APPLY_ORDER,
    CAPABILITY_ACCESS,
    AccessGrant,
    Change,
    ChangeFailure,
    ChangeKind,
    Group,
    Issue,
    Membership,
    PluginContext,
    PluginOptions,
    RetriableError,
    RetryPolicy,
    Roster,
    Severity,
    TargetError,
    TargetState,
    register_secret,
)

log = logging.getLogger(__name__)

#: Changes that become member operations on a group or on its companion groups.
MEMBER_KINDS = frozenset(
    {
        ChangeKind.ADD_MEMBER,
        ChangeKind.REMOVE_MEMBER,
        ChangeKind.GRANT_ACCESS,
        ChangeKind.UPDATE_ACCESS,
        ChangeKind.REVOKE_ACCESS,
    }
)

#: What follows a group's key in the ``externalId`` of its companion (access) groups.
ACCESS_MARK = "#access"


class ScimOptions(PluginOptions):
    renamed = {"attempts": "max_attempts", "retry_wait_seconds": "backoff_seconds"}

    url: str
    """Base URL of the SCIM endpoints, e.g. ``https://idp.example.org/scim/v2``."""
    token: SecretStr
    """Bearer token; give it as ``{ env = "NAME" }``."""
    create_users: bool = False
    """Create a missing user (``userName``, ``active``) instead of reporting it."""
    external_id_prefix: str | None = None
    """``externalId`` prefix that marks owned groups; ``rostersync:<sync>:`` by default."""
    unowned_groups: Literal["report", "ignore"] = "report"
    """``report``: read every group so same-name clashes are reported; ``ignore``: read only
    owned groups (filtered on the server)."""
    access_rights: Literal["companion", "none"] = "companion"
    """``companion``: each group's access list is an owned group "<name><suffix>";
    ``none``: this target does not carry access rights."""
    companion_suffix: str = " - staff"
    page_size: int = Field(default=100, ge=1, le=1000)
    max_patch_members: int = Field(default=100, ge=1, le=10_000)
    """At most this many member values in one PATCH request."""
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_wait_seconds: float = Field(default=120.0, ge=0)
    timeout_seconds: float = Field(default=30.0, gt=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL of the SCIM endpoints")
        return value.rstrip("/")


@dataclass
class ScimGroup:
    """A group as read from the server: its id, name and member user ids."""

    id: str
    display_name: str
    external_id: str
    members: set[str] = field(default_factory=set)


@dataclass
class Snapshot:
    """What the last read found; kept up to date while applying."""

    users: dict[str, str] = field(default_factory=dict)  # userName -> id
    names: dict[str, str] = field(default_factory=dict)  # id -> userName
    main: dict[str, ScimGroup] = field(default_factory=dict)  # key -> owned group
    companions: dict[str, dict[frozenset[str], ScimGroup]] = field(default_factory=dict)
    unowned: list[ScimGroup] = field(default_factory=list)

    def add_user(self, user_name: str, user_id: str) -> None:
        self.users[user_name] = user_id
        self.names[user_id] = user_name


def _group_from(resource: dict[str, Any]) -> ScimGroup:
    members = {
        str(m["value"])
        for m in resource.get("members") or []
        if m.get("value") and str(m.get("type") or "User") == "User"
    }
    return ScimGroup(
        id=str(resource["id"]),
        display_name=str(resource.get("displayName") or ""),
        external_id=str(resource.get("externalId") or ""),
        members=members,
    )


@dataclass
class _Delta:
    """Member changes for one SCIM group, each tied to the change that asked for it."""

    group: ScimGroup
    adds: list[tuple[Change, str]] = field(default_factory=list)
    removes: list[tuple[Change, str]] = field(default_factory=list)


class ScimTarget:
    """Applies plans to a SCIM service provider, touching only groups it owns."""

    def __init__(self, options: ScimOptions, context: PluginContext) -> None:
        self.options = options
        self.where = f"[targets.{context.name}]"
        token = options.token.get_secret_value()
        if not token:
            raise TargetError(f'{self.where} token: is empty; give it as {{ env = "NAME" }}')
        register_secret(token)
        self.prefix = (
            options.external_id_prefix
            if options.external_id_prefix is not None
            else f"rostersync:{context.sync}:"
        )
        self.capabilities = (
            frozenset({CAPABILITY_ACCESS}) if options.access_rights == "companion" else frozenset()
        )
        self.client = ScimClient(
            options.url,
            token,
            timeout=options.timeout_seconds,
            policy=RetryPolicy(
                options.max_attempts, options.backoff_seconds, options.max_wait_seconds
            ),
            where=self.where,
        )
        self._snapshot: Snapshot | None = None
        self._filter_supported: bool | None = None
        # Set once the server answered that it cannot do a filtered member ``remove``
        # or a ``displayName`` replace; the fallbacks are then used from the start.
        self._replace_members = False
        self._put_names = False
        self._issues: list[Issue] = []

    def run_issues(self) -> list[Issue]:
        """The fallbacks this target had to use, each said once (``ReportsIssues``)."""
        return list(self._issues)

    def _fall_back(self, what: str, instead: str, exc: ScimRefused) -> None:
        log.warning(
            "%s: the SCIM server cannot %s (%s); %s instead", self.where, what, exc, instead
        )
        self._issues.append(
            Issue(
                Severity.WARNING,
                f"the SCIM server cannot {what} ({exc}); rostersync {instead} instead",
                source=self.where,
            )
        )

    # -- reading -----------------------------------------------------------------------

    def read(self) -> TargetState:
        snap = self._load()
        groups = [Group(key, g.display_name or key) for key, g in snap.main.items()]
        memberships = [
            Membership(key, snap.names[uid])
            for key, g in snap.main.items()
            for uid in g.members
            if uid in snap.names
        ]
        for g in snap.unowned:
            # An unowned group is known by its displayName, which is what a source's
            # group key usually is: a same-name group is then reported as a clash.
            if g.display_name and g.display_name not in snap.main:
                groups.append(Group(g.display_name, g.display_name))
                memberships.extend(
                    Membership(g.display_name, snap.names[uid])
                    for uid in g.members
                    if uid in snap.names
                )
        grants = [
            AccessGrant(key, snap.names[uid], options)
            for key, by_options in snap.companions.items()
            for options, g in by_options.items()
            for uid in g.members
            if uid in snap.names
        ]
        return TargetState(
            roster=Roster.build(groups=groups, memberships=memberships, grants=grants),
            managed=frozenset(snap.main),
            managed_grants=frozenset((g.group, g.principal) for g in grants),
        )

    def _load(self) -> Snapshot:
        snap = Snapshot()
        try:
            for user in self.client.search(
                "Users", page_size=self.options.page_size, attributes="userName"
            ):
                if user.get("userName") and user.get("id"):
                    snap.add_user(str(user["userName"]), str(user["id"]))
            group_filter = None
            if self.options.unowned_groups == "ignore" and self._supports_filter():
                group_filter = f"externalId sw {quote(self.prefix)}"
            for resource in self.client.search(
                "Groups",
                page_size=self.options.page_size,
                filter=group_filter,
                attributes="displayName,externalId,members",
            ):
                self._classify(snap, _group_from(resource))
        except ScimRefused as exc:
            raise TargetError(
                f"{self.where}: could not read users and groups from {self.options.url}: {exc}; "
                "check that url names the SCIM endpoints (they answer /Users and /Groups)"
            ) from None
        self._snapshot = snap
        return snap

    def _classify(self, snap: Snapshot, group: ScimGroup) -> None:
        ext = group.external_id
        if not ext.startswith(self.prefix):
            if self.options.unowned_groups == "report":
                snap.unowned.append(group)
            return
        rest = ext[len(self.prefix) :]
        key, mark, tail = rest.rpartition(ACCESS_MARK)
        if mark and key and (tail == "" or tail.startswith(":")):
            if self.options.access_rights == "companion":
                options = frozenset(o for o in tail[1:].split(",") if o)
                snap.companions.setdefault(key, {}).setdefault(options, group)
            return
        if rest in snap.main:
            log.warning(
                "two SCIM groups carry the externalId %r (ids %s and %s); using the first",
                ext,
                snap.main[rest].id,
                group.id,
            )
            return
        snap.main[rest] = group

    def _supports_filter(self) -> bool:
        if self._filter_supported is None:
            config = self.client.service_provider_config()
            self._filter_supported = bool((config.get("filter") or {}).get("supported"))
        return self._filter_supported

    def _find(self, resource: str, attribute: str, value: str) -> dict[str, Any] | None:
        """The one resource whose ``attribute`` equals ``value``, via a server-side filter."""
        try:
            page = self.client.request(
                "GET",
                resource,
                params={"filter": f"{attribute} eq {quote(value)}", "count": 2},
            )
        except ScimRefused:
            return None
        found = (page or {}).get("Resources") or []
        return found[0] if found else None

    # -- applying ----------------------------------------------------------------------

    def apply(self, changes: Sequence[Change]) -> list[ChangeFailure]:
        snap = self._snapshot or self._load()
        failures: dict[Change, str] = {}
        try:
            for kind in APPLY_ORDER:
                batch = [c for c in changes if c.kind is kind]
                if batch:
                    self._apply_kind(snap, kind, batch, failures)
        except RetriableError:
            self._snapshot = None  # what reached the server is unknown: read it again
            raise
        return [ChangeFailure(change, reason) for change, reason in failures.items()]

    def _apply_kind(
        self, snap: Snapshot, kind: ChangeKind, batch: list[Change], failures: dict[Change, str]
    ) -> None:
        if kind is ChangeKind.CREATE_GROUP:
            for change in batch:
                self._create(snap, change, failures)
            return
        owned = [c for c in batch if self._owns(snap, c)]
        mine = set(owned)
        for change in batch:
            if change not in mine:
                failures[change] = (
                    f"the SCIM server has no group with externalId "
                    f"{self.prefix + change.group!r}; rostersync only changes groups it created"
                )
        if kind is ChangeKind.RENAME_GROUP:
            for change in owned:
                self._rename(snap, change, failures)
        elif kind is ChangeKind.DELETE_GROUP:
            for change in owned:
                self._delete(snap, change, failures)
        elif kind in MEMBER_KINDS:
            deltas: dict[str, _Delta] = {}
            for change in owned:
                self._plan_members(snap, change, deltas, failures)
            for delta in deltas.values():
                self._patch_members(snap, delta, failures)
        else:  # a kind added to the engine later, never planned for this target
            for change in owned:
                failures[change] = f"the scim target does not support {kind.value} changes"

    def _owns(self, snap: Snapshot, change: Change) -> bool:
        if change.group in snap.main:
            return True
        return change.kind is ChangeKind.REVOKE_ACCESS and change.group in snap.companions

    def _refusal(self, what: str, exc: ScimRefused) -> str:
        return f"the SCIM server refused to {what}: {exc.detail or exc.status}"

    # groups

    def _external_id(self, key: str, options: frozenset[str] | None = None) -> str:
        if options is None:
            return self.prefix + key
        tail = ":" + ",".join(sorted(options)) if options else ""
        return f"{self.prefix}{key}{ACCESS_MARK}{tail}"

    def _companion_name(self, name: str, options: frozenset[str]) -> str:
        extra = f" ({', '.join(sorted(options))})" if options else ""
        return f"{name}{self.options.companion_suffix}{extra}"

    def _post_group(self, display_name: str, external_id: str) -> ScimGroup:
        def existing() -> dict[str, Any] | None:
            return self._find("Groups", "externalId", external_id)

        resource = self.client.request(
            "POST",
            "Groups",
            body={
                "schemas": [GROUP_SCHEMA],
                "displayName": display_name,
                "externalId": external_id,
            },
            before_retry=existing,
        )
        return _group_from(resource)

    def _ensure_group(self, display_name: str, external_id: str) -> ScimGroup:
        """Our group with this ``externalId``: adopted when it exists (made since the read,
        e.g. by an interrupted run), created otherwise."""
        found = self._find("Groups", "externalId", external_id)
        if found is not None:
            group = _group_from(found)
            self._set_name(group, display_name)
            return group
        return self._post_group(display_name, external_id)

    def _set_name(self, group: ScimGroup, display_name: str) -> None:
        if group.display_name == display_name:
            return
        if not self._put_names:
            try:
                self.client.patch(
                    f"Groups/{group.id}",
                    [{"op": "replace", "path": "displayName", "value": display_name}],
                )
            except ScimRefused as exc:
                if not _cannot(exc):
                    raise
                self._put_names = True
                self._fall_back("replace a group's displayName", "PUTs the whole group", exc)
            else:
                group.display_name = display_name
                return
        self._put(group, display_name, group.members)
        group.display_name = display_name

    def _put(self, group: ScimGroup, display_name: str, members: set[str]) -> None:
        """Replace the whole group (RFC 7644 §3.5.1): its name, externalId and members."""
        self.client.request(
            "PUT",
            f"Groups/{group.id}",
            body={
                "schemas": [GROUP_SCHEMA],
                "id": group.id,
                "displayName": display_name,
                "externalId": group.external_id,
                "members": [{"value": uid} for uid in sorted(members)],
            },
        )

    def _create(self, snap: Snapshot, change: Change, failures: dict[Change, str]) -> None:
        try:
            existing = snap.main.get(change.group)
            if existing is None:
                existing = self._ensure_group(change.name, self._external_id(change.group))
            self._set_name(existing, change.name)
            snap.main[change.group] = existing
        except ScimRefused as exc:
            failures[change] = self._refusal(f"create group {change.name!r}", exc)

    def _rename(self, snap: Snapshot, change: Change, failures: dict[Change, str]) -> None:
        try:
            self._set_name(snap.main[change.group], change.name)
            for options, companion in snap.companions.get(change.group, {}).items():
                self._set_name(companion, self._companion_name(change.name, options))
        except ScimRefused as exc:
            failures[change] = self._refusal(f"rename group to {change.name!r}", exc)

    def _delete(self, snap: Snapshot, change: Change, failures: dict[Change, str]) -> None:
        doomed = [*snap.companions.get(change.group, {}).values(), snap.main[change.group]]
        try:
            for group in doomed:
                try:
                    self.client.request("DELETE", f"Groups/{group.id}")
                except ScimRefused as exc:
                    if exc.status != 404:  # already gone is what we wanted
                        raise
        except ScimRefused as exc:
            failures[change] = self._refusal(f"delete group {change.name or change.group!r}", exc)
            return
        snap.main.pop(change.group, None)
        snap.companions.pop(change.group, None)

    def _companion(
        self, snap: Snapshot, change: Change, failures: dict[Change, str]
    ) -> ScimGroup | None:
        by_options = snap.companions.setdefault(change.group, {})
        found = by_options.get(change.options)
        if found is not None:
            return found
        main = snap.main[change.group]
        name = self._companion_name(main.display_name or change.name, change.options)
        try:
            created = self._ensure_group(name, self._external_id(change.group, change.options))
        except ScimRefused as exc:
            failures[change] = self._refusal(f"create access group {name!r}", exc)
            return None
        by_options[change.options] = created
        return created

    # members

    def _user_id(self, snap: Snapshot, user_name: str) -> str | None:
        if user_name in snap.users:
            return snap.users[user_name]
        # The read listed every user, so a miss is a new user: with create_users, POST
        # at once (a 409 means it appeared since the read); otherwise look once more.
        found = None if self.options.create_users else self._find("Users", "userName", user_name)
        if found is None and self.options.create_users:
            body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True}
            try:
                found = self.client.request(
                    "POST",
                    "Users",
                    body=body,
                    before_retry=lambda: self._find("Users", "userName", user_name),
                )
            except ScimRefused as exc:
                found = self._find("Users", "userName", user_name) if exc.status == 409 else None
                if found is None:
                    raise
        if found is None:
            return None
        snap.add_user(user_name, str(found["id"]))
        return snap.users[user_name]

    def _no_user(self, user_name: str) -> str:
        return (
            f"no SCIM user with userName {user_name!r}; create the user in the identity "
            f"system, or set create_users = true in {self.where}"
        )

    def _plan_members(
        self,
        snap: Snapshot,
        change: Change,
        deltas: dict[str, _Delta],
        failures: dict[Change, str],
    ) -> None:
        def delta(group: ScimGroup) -> _Delta:
            return deltas.setdefault(group.id, _Delta(group))

        kind = change.kind
        if kind in (ChangeKind.REMOVE_MEMBER, ChangeKind.REVOKE_ACCESS):
            uid = snap.users.get(change.person)
            if uid is None:
                return  # not a user here, so not a member either: nothing to remove
            if kind is ChangeKind.REMOVE_MEMBER:
                delta(snap.main[change.group]).removes.append((change, uid))
            else:
                for group in snap.companions.get(change.group, {}).values():
                    delta(group).removes.append((change, uid))
            return
        try:
            uid = self._user_id(snap, change.person)
        except ScimRefused as exc:
            failures[change] = self._refusal(f"create user {change.person!r}", exc)
            return
        if uid is None:
            failures[change] = self._no_user(change.person)
            return
        if kind is ChangeKind.ADD_MEMBER:
            delta(snap.main[change.group]).adds.append((change, uid))
            return
        target = self._companion(snap, change, failures)
        if target is None:
            return
        delta(target).adds.append((change, uid))
        if kind is ChangeKind.UPDATE_ACCESS:
            for options, group in snap.companions.get(change.group, {}).items():
                if options != change.options:
                    delta(group).removes.append((change, uid))

    def _patch_members(self, snap: Snapshot, delta: _Delta, failures: dict[Change, str]) -> None:
        group = delta.group
        # Idempotent: only what would change the group is sent.
        adds = [(c, uid) for c, uid in delta.adds if uid not in group.members]
        removes = [(c, uid) for c, uid in delta.removes if uid in group.members]
        items: list[tuple[str, Change, str]] = [("add", c, u) for c, u in adds] + [
            ("remove", c, u) for c, u in removes
        ]
        size = self.options.max_patch_members
        for start in range(0, len(items), size):
            self._send_members(group, items[start : start + size], failures)

    def _send_members(
        self, group: ScimGroup, items: list[tuple[str, Change, str]], failures: dict[Change, str]
    ) -> None:
        if not items:
            return
        added = sorted({uid for op, _, uid in items if op == "add"})
        removed = sorted({uid for op, _, uid in items if op == "remove"})
        try:
            if removed and self._replace_members:
                self._replace(group, (group.members | set(added)) - set(removed))
            else:
                self._patch_delta(group, added, removed)
        except ScimRefused as exc:
            if len(items) > 1 and exc.status != 404:
                for item in items:  # find the one the server objects to
                    self._send_members(group, [item], failures)
                return
            for op, change, _ in items:
                what = "add" if op == "add" else "remove"
                failures.setdefault(
                    change,
                    self._refusal(f"{what} {change.person!r} in group {group.display_name!r}", exc),
                )
            return
        for op, _, uid in items:
            if op == "add":
                group.members.add(uid)
            else:
                group.members.discard(uid)

    def _patch_delta(self, group: ScimGroup, added: list[str], removed: list[str]) -> None:
        operations: list[dict[str, Any]] = []
        if added:
            operations.append(
                {"op": "add", "path": "members", "value": [{"value": uid} for uid in added]}
            )
        for uid in removed:
            operations.append({"op": "remove", "path": f"members[value eq {quote(uid)}]"})
        try:
            self.client.patch(f"Groups/{group.id}", operations)
        except ScimRefused as exc:
            if not removed or not _cannot(exc):
                raise
            self._replace_members = True
            self._fall_back(
                'remove a member by a filtered path (members[value eq "..."])',
                "replaces the whole member list",
                exc,
            )
            self._replace(group, (group.members | set(added)) - set(removed))

    def _replace(self, group: ScimGroup, members: set[str]) -> None:
        """Set the group's members to ``members``: a PATCH ``replace``, else a PUT."""
        try:
            self.client.patch(
                f"Groups/{group.id}",
                [
                    {
                        "op": "replace",
                        "path": "members",
                        "value": [{"value": uid} for uid in sorted(members)],
                    }
                ],
            )
        except ScimRefused as exc:
            if not _cannot(exc):
                raise
            self._put(group, group.display_name, members)

    def close(self) -> None:
        self.client.close()


#: ``scimType`` values of a 400 that mean "this server cannot do that operation".
_UNSUPPORTED_SCIM_TYPES = frozenset({"invalidPath", "invalidFilter"})


def _cannot(exc: ScimRefused) -> bool:
    """True when the server refused the kind of operation, not its content."""
    return exc.status == 501 or (exc.status == 400 and exc.scim_type in _UNSUPPORTED_SCIM_TYPES)

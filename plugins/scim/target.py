"""The ``scim`` target: groups, members and (as companion groups) access rights in a
SCIM 2.0 service provider such as Entra ID, Okta or any RFC 7644 server.

Ownership lives in the server: a group belongs to this sync when its ``externalId``
starts with the configured prefix (``rostersync:<sync>:`` by default). Groups without
that prefix are read, so that the planner reports clashes, and are never changed.
People map to SCIM users by ``userName``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import Field, SecretStr, StrictBool, field_validator

from plugins.companions import (
    CompanionTarget,
    Delta,
    Owned,
    default_prefix,
    parse_marker,
)
from plugins.scim.client import (
    GROUP_SCHEMA,
    USER_SCHEMA,
    ScimClient,
    ScimRefused,
    quote,
)
from sync.api import (
    CAPABILITY_ACCESS,
    Change,
    Issue,
    PluginContext,
    PluginOptions,
    RetryPolicy,
    Severity,
    TargetError,
    register_secret,
)

log = logging.getLogger(__name__)


class ScimOptions(PluginOptions):
    renamed = {"attempts": "max_attempts", "retry_wait_seconds": "backoff_seconds"}

    url: str
    """Base URL of the SCIM endpoints, e.g. ``https://idp.example.org/scim/v2``."""
    token: SecretStr
    """Bearer token; give it as ``{ env = "NAME" }``."""
    create_users: StrictBool = False
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

    @property
    def name(self) -> str:
        return self.display_name


@dataclass
class Snapshot(Owned[ScimGroup]):
    """What the last read found, users too; kept up to date while applying."""

    users: dict[str, str] = field(default_factory=dict)  # userName -> id
    names: dict[str, str] = field(default_factory=dict)  # id -> userName

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


class ScimTarget(CompanionTarget[ScimGroup]):
    """Applies plans to a SCIM service provider, touching only groups it owns."""

    refusal = ScimRefused

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
            else default_prefix(context.sync)
        )
        self.companion_suffix = options.companion_suffix
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
                group = _group_from(resource)
                marked = parse_marker(self.prefix, group.external_id)
                if marked is None and self.options.unowned_groups != "report":
                    continue
                access = self.options.access_rights == "companion"
                snap.classify(group, marked, access=access, where=f"id {group.id}")
        except ScimRefused as exc:
            raise TargetError(
                f"{self.where}: could not read users and groups from {self.options.url}: {exc}; "
                "check that url names the SCIM endpoints (they answer /Users and /Groups)"
            ) from None
        self._snapshot = snap
        return snap

    def _snap(self) -> Snapshot:
        snap = self._snapshot
        return snap if isinstance(snap, Snapshot) else self._load()

    def _person_ids(self, group: ScimGroup) -> list[str]:
        names = self._snap().names
        return [names[uid] for uid in group.members if uid in names]

    def _known_member_id(self, person: str) -> str | None:
        return self._snap().users.get(person)

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

    def _refused(self, what: str, exc: Exception) -> str:
        detail = exc.detail or exc.status if isinstance(exc, ScimRefused) else exc
        return f"the SCIM server refused to {what}: {detail}"

    def _not_owned(self, change: Change) -> str:
        return (
            f"the SCIM server has no group with externalId "
            f"{self.prefix + change.group!r}; rostersync only changes groups it created"
        )

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

    def _ensure_group(self, name: str, mark: str) -> ScimGroup:
        """Our group with this ``externalId``: adopted when it exists (made since the read,
        e.g. by an interrupted run), created otherwise."""
        found = self._find("Groups", "externalId", mark)
        if found is not None:
            group = _group_from(found)
            self._set_name(group, name)
            return group
        return self._post_group(name, mark)

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

    def _delete_group(self, group: ScimGroup) -> None:
        try:
            self.client.request("DELETE", f"Groups/{group.id}")
        except ScimRefused as exc:
            if exc.status != 404:  # already gone is what we wanted
                raise

    # members

    def _member_id(self, user_name: str) -> str | None:
        snap = self._snap()
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

    def _send(self, delta: Delta[ScimGroup], failures: dict[Change, str]) -> None:
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
                    self._refused(f"{what} {change.person!r} in group {group.display_name!r}", exc),
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

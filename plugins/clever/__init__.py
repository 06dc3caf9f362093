"""The ``clever`` source: sections, students and teachers from Clever's v3.0 Data API.

A full sync reads ``/schools``, ``/users?role=...`` and ``/sections``; an incremental
sync applies ``/events`` to the snapshot the last successful run kept in the state
store. Each section becomes a group (key: the Clever section id), its students its
members, its teachers (primary and co-teachers) get access.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import requests
from pydantic import Field, SecretStr, StrictBool, field_validator

from plugins.clever.client import CleverClient, CleverHTTPError
from plugins.clever.events import apply_event, empty_snapshot
from plugins.clever.mapping import (
    TEMPLATE_FIELDS,
    Identity,
    build_roster,
    compact_school,
    compact_section,
    compact_user,
)
from plugins.names import check_template
from sync.api import (
    Issue,
    PluginContext,
    PluginOptions,
    Severity,
    SourceRead,
    register_secret,
)

log = logging.getLogger(__name__)

#: Clever keeps events for 30 days; a cursor last confirmed longer ago than this is not trusted.
MAX_CURSOR_AGE_SECONDS = 29 * 24 * 3600
#: Codes ``/events`` answers when events are not enabled for the district.
EVENTS_UNAVAILABLE = frozenset({403, 404})
#: Codes ``/events?starting_after=`` answers for a cursor it no longer knows.
CURSOR_REJECTED = frozenset({400, 404})

KEY_SNAPSHOT = "snapshot"
KEY_CURSOR = "cursor"
KEY_SCOPE = "scope"
KEY_FULL_AT = "full_sync_at"


RoleName = Literal["student", "teacher", "staff"]


def _default_roles() -> list[RoleName]:
    return ["student", "teacher"]


class CleverOptions(PluginOptions):
    renamed = {"base_url": "url"}

    url: str = Field(
        default="https://api.clever.com", description="the API's address, without /v3.0"
    )
    token: SecretStr = Field(description='a district token, normally { env = "CLEVER_TOKEN" }')
    page_size: int = Field(default=1000, ge=1, le=10000, description="records per request")
    roles: list[RoleName] = Field(default_factory=_default_roles, min_length=1)
    identity: Identity = Field(
        default="district_username",
        description="'district_username', 'email', or 'email_local_part' (before '@')",
    )
    group_name: str = Field(default="{name}", description='e.g. "{name} ({period})"')
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_wait_seconds: float = Field(default=120.0, ge=0)
    incremental: StrictBool = True
    full_sync_every_hours: float = Field(default=24.0, ge=0)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local test server)")
        return value.rstrip("/")

    @field_validator("group_name")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, TEMPLATE_FIELDS)


@dataclass
class Pull:
    """What one read fetched: the snapshot, the new cursor, and how it got them."""

    snapshot: dict[str, Any]
    cursor: str | None
    full: bool
    issues: list[Issue] = field(default_factory=list)
    events: int = 0


class CleverSource:
    """Reads one Clever district, fully or through events."""

    def __init__(
        self,
        options: CleverOptions,
        context: PluginContext,
        *,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.options = options
        self.context = context
        self.key = f"sources.{context.name}"
        self._session = session
        self._sleep = sleep
        self._clock = clock
        register_secret(options.token.get_secret_value())

    def _client(self) -> CleverClient:
        o = self.options
        return CleverClient(
            o.url,
            o.token.get_secret_value(),
            key=self.key,
            timeout=o.timeout_seconds,
            max_attempts=o.max_attempts,
            backoff_seconds=o.backoff_seconds,
            max_wait_seconds=o.max_wait_seconds,
            session=self._session,
            sleep=self._sleep,
            clock=self._clock,
        )

    @property
    def scope(self) -> dict[str, Any]:
        """What the snapshot depends on: a change here makes the next sync a full one."""
        # "base_url" is the key earlier versions stored: renaming it would force a full sync.
        return {"base_url": self.options.url, "roles": sorted(self.options.roles)}

    def close(self) -> None:
        """Each read opens and closes its own client; nothing is held between reads."""

    def read(self) -> SourceRead:
        now = self._clock()
        client = self._client()
        try:
            pull = self._pull(client, now)
        finally:
            if self._session is None:
                client.close()
        state = self.context.state
        if not self.options.incremental:
            state.put(KEY_SNAPSHOT, None)
        elif pull.full or pull.events:  # (else the stored one is still right)
            state.put(KEY_SNAPSHOT, pull.snapshot)
        state.put(KEY_SCOPE, self.scope)
        state.put(KEY_CURSOR, {"id": pull.cursor, "checked_at": now} if pull.cursor else None)
        if pull.full:
            state.put(KEY_FULL_AT, now)
        mapped = build_roster(
            pull.snapshot,
            identity=self.options.identity,
            template=self.options.group_name,
            roles=self.options.roles,
            source=self.context.name,
        )
        log.info(
            "%s: %s sync, %d requests, %d retries, %d events applied",
            self.context.name,
            "full" if pull.full else "incremental",
            client.requests,
            client.retries,
            pull.events,
        )
        return SourceRead(
            roster=mapped.roster,
            issues=(*pull.issues, *mapped.issues),
            records=mapped.records,
            rejected=mapped.rejected,
            retries=client.retries,
        )

    # -- deciding ------------------------------------------------------------
    def _full_reason(self, now: float) -> str | None:
        """Why this run must be a full sync, or None when events can be used."""
        state = self.context.state
        if not self.options.incremental:
            return "incremental sync is off"
        if not isinstance(state.get(KEY_SNAPSHOT), dict):
            return "no snapshot from an earlier run"
        if state.get(KEY_SCOPE) != self.scope:
            return "url or roles changed since the last run"
        cursor = state.get(KEY_CURSOR)
        if not isinstance(cursor, dict) or not cursor.get("id"):
            return "no event cursor (events not enabled, or none yet)"
        if now - float(cursor.get("checked_at", 0)) > MAX_CURSOR_AGE_SECONDS:
            return "the event cursor is older than Clever keeps events (30 days)"
        every = self.options.full_sync_every_hours
        if now - float(state.get(KEY_FULL_AT) or 0) >= every * 3600:
            return f"a full sync is due (full_sync_every_hours = {every:g})"
        return None

    def _pull(self, client: CleverClient, now: float) -> Pull:
        reason = self._full_reason(now)
        if reason is None:
            pull = self._incremental(client)
            if pull is not None:
                return pull
            reason = "Clever no longer accepts the event cursor"
            issues = [
                Issue(
                    Severity.WARNING,
                    "Clever refused the stored event cursor (older than 30 days, or events "
                    "were turned off); a full sync was done instead",
                    source=self.context.name,
                    field="events",
                )
            ]
        else:
            issues = []
        log.info("%s: full sync: %s", self.context.name, reason)
        pull = self._full(client)
        pull.issues.extend(issues)
        return pull

    # -- reading -------------------------------------------------------------
    def _records(
        self, client: CleverClient, path: str, params: dict[str, str | int], label: str
    ) -> Iterator[dict[str, Any]]:
        total = 0
        for number, page in enumerate(client.pages(path, params), start=1):
            total += len(page.records)
            message = f"{label}: page {number}, {total} records"
            log.info("%s: %s", self.context.name, message)
            self.context.progress(message)
            yield from page.records

    def _head(self, client: CleverClient) -> str | None:
        """The id of the newest event, or None when events are unavailable or none exist."""
        try:
            body = client.get("/v3.0/events", {"ending_before": "last", "limit": 1})
        except CleverHTTPError as exc:
            if exc.status in EVENTS_UNAVAILABLE | {400}:
                log.info(
                    "%s: events are not available (%s); full syncs only", self.context.name, exc
                )
                return None
            raise
        data = body.get("data") or []
        if not isinstance(data, list) or not data:
            log.info("%s: Clever has no events yet; the next run is a full sync", self.context.name)
            return None
        newest = data[-1].get("data") if isinstance(data[-1], dict) else None
        return str(newest["id"]) if isinstance(newest, dict) and newest.get("id") else None

    def _full(self, client: CleverClient) -> Pull:
        # The event head is read first: events during the pull are applied again next time,
        # which is harmless (events carry whole objects), and none is ever missed.
        head = self._head(client) if self.options.incremental else None
        page_size = self.options.page_size
        snapshot = empty_snapshot()
        for school in self._records(client, "/schools", {"limit": page_size}, "schools"):
            snapshot["schools"][str(school.get("id"))] = compact_school(school)
        for role in self.options.roles:
            params: dict[str, str | int] = {"role": role, "limit": page_size}
            for user in self._records(client, "/users", params, f"{role}s"):
                record = compact_user(user, self.options.roles)
                if record is not None and user.get("id"):
                    snapshot["users"][str(user["id"])] = record
        for section in self._records(client, "/sections", {"limit": page_size}, "sections"):
            if section.get("id"):
                snapshot["sections"][str(section["id"])] = compact_section(section)
        return Pull(snapshot, head, full=True)

    def _incremental(self, client: CleverClient) -> Pull | None:
        """The stored snapshot with every new event applied; None if the cursor is refused."""
        state = self.context.state
        snapshot = state.get(KEY_SNAPSHOT)  # this run's own copy (see StateBag)
        cursor = str(state.get(KEY_CURSOR)["id"])
        params: dict[str, str | int] = {"starting_after": cursor, "limit": self.options.page_size}
        applied = 0
        try:
            for event in self._records(client, "/events", params, "events"):
                if apply_event(snapshot, event, self.options.roles):
                    applied += 1
                if event.get("id"):
                    cursor = str(event["id"])
        except CleverHTTPError as exc:
            if exc.status in CURSOR_REJECTED | EVENTS_UNAVAILABLE:
                log.warning("%s: %s", self.context.name, exc)
                return None
            raise
        log.info("%s: incremental sync, %d events applied", self.context.name, applied)
        return Pull(snapshot, cursor, full=False, events=applied)

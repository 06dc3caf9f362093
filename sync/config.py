"""Reading ``config.toml``: every error names the file and the key.

Secrets are indirections (``{ env = "NAME" }`` or ``{ file = "/path" }``), resolved
here at the edge; their values never appear in an error message.
"""

from __future__ import annotations

import ipaddress
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, ValidationError, field_validator

from sync.errors import ConfigError
from sync.redact import register_secret
from sync.storage import database_url

DEFAULT_CONFIG = "config.toml"
CONFIG_ENV = "ROSTERSYNC_CONFIG"
STATE_URL_ENV = "ROSTERSYNC_STATE_URL"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class StateConfig(_Strict):
    url: str = "sqlite:///rostersync.db"


class Thresholds(_Strict):
    """Deletions above ``count`` or above ``percent`` of what the sync manages hold a run.

    The percentage applies once the sync manages at least ``minimum`` objects of that
    kind: a handful, so that a small school is guarded too, but not a school's first
    few objects (there, one ordinary change is a large share).
    """

    count: int | None = Field(default=None, ge=0)
    percent: float | None = Field(default=None, ge=0, le=100)
    minimum: int = Field(default=5, ge=0)


class GuardsConfig(_Strict):
    groups: Thresholds = Thresholds(count=500, percent=20, minimum=5)
    memberships: Thresholds = Thresholds(percent=20, minimum=5)
    grants: Thresholds = Thresholds(count=500, percent=20, minimum=2)
    profiles: Thresholds = Thresholds(percent=20, minimum=5)
    blocks: Thresholds = Thresholds(count=5)
    allow_empty: StrictBool = False
    max_rejected_percent: float = Field(default=20, ge=0, le=100)
    max_shrink_percent: float = Field(default=5, ge=0, le=100)
    """A source that reads more than this share fewer records than at its last successful
    read holds the run, whatever the plan (a cut or half-written file); 100: off."""
    shrink_minimum: int = Field(default=5, ge=0)
    """The shrink guard holds only when at least this many records went missing."""


class ScheduleConfig(_Strict):
    cron: str | None = None
    interval_minutes: float | None = Field(default=None, gt=0)
    """At least ``sync.schedule.MIN_INTERVAL_SECONDS``; checked with the trigger."""
    timezone: str = "UTC"
    misfire_grace_seconds: int = Field(default=600, ge=1)


class SyncConfig(_Strict):
    sources: list[str] = Field(min_length=1)
    target: str
    batch_size: int = Field(default=5000, ge=1, le=100_000)
    apply_attempts: int = Field(default=5, ge=1, le=50)
    retry_wait_seconds: float = Field(default=1.0, ge=0)
    compare_all_hours: float = Field(default=24.0, ge=0)
    """A run reads and compares every member at least this often, even from a target
    with member digests; 0 means every run."""
    guards: GuardsConfig = GuardsConfig()
    schedule: ScheduleConfig | None = None
    fail_on_rejected: StrictBool = False
    """A run that rejected input rows exits 7 instead of 0 (as ``sync --strict`` does)."""


class EmailConfig(_Strict):
    """``[notify.email]``: alerts by e-mail, sent by the built-in ``mail`` plugin."""

    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str = ""
    password: str = ""
    sender: str
    to: list[str] = Field(min_length=1)
    on_failed: StrictBool = True
    on_held: StrictBool = True
    on_rejected: StrictBool = True
    console_url: str = ""
    ca_file: str = ""
    timeout_seconds: float = Field(default=10.0, gt=0)
    attempts: int = Field(default=3, ge=1, le=10)
    retry_wait_seconds: float = Field(default=2.0, ge=0)


class NotifyConfig(_Strict):
    email: EmailConfig | None = None
    webhook_url: str | None = None
    on: list[Literal["ok", "partial", "failed", "held", "interrupted"]] = [
        "partial",
        "failed",
        "held",
        "interrupted",
    ]


class HttpConfig(_Strict):
    enabled: StrictBool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)


class WebConfig(_Strict):
    """The admin console (``rostersync web``, and the daemon when ``enabled``)."""

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8787, ge=0, le=65535)
    secret_key: str | None = None
    """Signs session cookies; by default a random key kept in the state database."""
    session_minutes: int = Field(default=480, ge=1, le=60 * 24 * 30)
    trusted_proxies: list[str] = []
    """Addresses of reverse proxies whose ``X-Forwarded-For`` names the client."""
    login_attempts: int = Field(default=5, ge=1, le=100)
    login_lockout_seconds: int = Field(default=300, ge=1)
    read_timeout_seconds: float = Field(default=10.0, gt=0, le=600)
    max_connections: int = Field(default=100, ge=1, le=10_000)
    max_header_bytes: int = Field(default=16_384, ge=1024, le=1_048_576)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(f"{entry!r} is not an address or a network") from None
        return value


class _Root(_Strict):
    state: StateConfig = StateConfig()
    sync: SyncConfig | None = None
    syncs: dict[str, SyncConfig] = {}
    sources: dict[str, dict[str, Any]] = {}
    targets: dict[str, dict[str, Any]] = {}
    notify: NotifyConfig = NotifyConfig()
    http: HttpConfig = HttpConfig()
    web: WebConfig | None = None
    log_level: str = "INFO"


@dataclass(frozen=True)
class PluginTable:
    """One ``[sources.NAME]`` or ``[targets.NAME]`` table: which plugin, with what options."""

    section: str
    name: str
    plugin: str
    options: Mapping[str, Any]

    @property
    def where(self) -> str:
        return f"[{self.section}.{self.name}]"


@dataclass(frozen=True)
class Config:
    """The whole configuration, validated."""

    path: Path
    state_url: str
    syncs: Mapping[str, SyncConfig]
    sources: Mapping[str, PluginTable]
    targets: Mapping[str, PluginTable]
    notify: NotifyConfig = field(default_factory=NotifyConfig)
    http: HttpConfig = field(default_factory=HttpConfig)
    web: WebConfig = field(default_factory=WebConfig)
    log_level: str = "INFO"
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def directory(self) -> Path:
        return self.path.parent

    def sync(self, name: str | None = None) -> tuple[str, SyncConfig]:
        """The sync called ``name``, or the only one there is."""
        if name is None:
            if len(self.syncs) == 1:
                return next(iter(self.syncs.items()))
            raise ConfigError(
                f"{self.path}: several syncs are configured ({', '.join(self.syncs)}); "
                "choose one with --sync NAME"
            )
        try:
            return name, self.syncs[name]
        except KeyError:
            raise ConfigError(
                f"{self.path}: no sync called {name!r}; configured: {', '.join(self.syncs)}"
            ) from None


def config_path(explicit: str | Path | None) -> Path:
    """``--config``, else ``$ROSTERSYNC_CONFIG``, else ``./config.toml``."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)


def config_key(table: str, loc: tuple[int | str, ...]) -> str:
    """A key as config.toml writes it, the one style of every error: ``[sources.school]
    path``, ``[sync.guards.groups] count``, ``[sync] sources[0]``; ``table`` is the
    table ``loc`` starts in (empty for the top level)."""
    parts = [str(p) for p in loc]
    indices = ""
    while parts and parts[-1].isdigit():
        indices = f"[{parts.pop()}]" + indices
    tables = [t for t in (table.strip("[]"), *parts[:-1]) if t]
    key = (parts[-1] if parts else "") + indices
    where = f"[{'.'.join(tables)}]" if tables else ""
    return f"{where} {key}".strip()


def describe_validation_error(exc: ValidationError, *, table: str = "") -> str:
    """Key and reason for each error, never the offending value (it may be a secret)."""
    lines = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        elif error["type"] == "missing":
            message = "required key is missing"
        elif error["type"] == "bool_type":
            message = "write true or false (without quotes)"
        lines.append(f"{config_key(table, loc)}: {message}")
    return "; ".join(lines)


def resolve_secrets(value: Any, *, table: str, path: Path, loc: tuple[int | str, ...] = ()) -> Any:
    """Replace ``{ env = "NAME" }`` and ``{ file = "PATH" }`` tables with their values."""
    key = config_key(table, loc)
    if isinstance(value, dict):
        if set(value) == {"env"}:
            name = value["env"]
            if name not in os.environ:
                raise ConfigError(f"{path}: {key}: environment variable {name} is not set")
            register_secret(os.environ[name])
            return os.environ[name]
        if set(value) == {"file"}:
            secret_path = Path(os.path.expandvars(str(value["file"])))
            try:
                secret = secret_path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"{path}: {key}: cannot read secret file {secret_path}: {exc.strerror}"
                ) from None
            register_secret(secret)
            return secret
        return {
            k: resolve_secrets(v, table=table, path=path, loc=(*loc, k)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [
            resolve_secrets(v, table=table, path=path, loc=(*loc, i)) for i, v in enumerate(value)
        ]
    return value


def _plugin_tables(path: Path, section: str, tables: Mapping[str, Any]) -> dict[str, PluginTable]:
    out = {}
    for name, table in tables.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: [{section}.{name}] must be a table")
        if "plugin" not in table or not isinstance(table["plugin"], str):
            raise ConfigError(f"{path}: [{section}.{name}] plugin: required key is missing")
        options = {k: v for k, v in table.items() if k != "plugin"}
        out[name] = PluginTable(section, name, table["plugin"], options)
    return out


def parse_config(text: str, path: Path) -> Config:
    """Validate a configuration's text; ``path`` is where it came from."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if isinstance(raw.get("notify"), dict):  # the webhook URL may carry a token
        raw = {**raw, "notify": resolve_secrets(raw["notify"], table="notify", path=path)}
    if isinstance(raw.get("web"), dict):  # the session key is a secret
        raw = {**raw, "web": resolve_secrets(raw["web"], table="web", path=path)}
    try:
        root = _Root.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {describe_validation_error(exc)}") from None
    syncs = dict(root.syncs)
    if root.sync is not None:
        if "default" in syncs:
            raise ConfigError(f"{path}: [sync] and [syncs.default] both define the sync 'default'")
        syncs = {"default": root.sync, **syncs}
    if not syncs:
        raise ConfigError(f"{path}: [sync]: required table is missing")
    sources = _plugin_tables(path, "sources", root.sources)
    targets = _plugin_tables(path, "targets", root.targets)
    for sync_name, sync in syncs.items():
        table = "[sync]" if sync_name == "default" and root.sync is sync else f"[syncs.{sync_name}]"
        for source in sync.sources:
            if source not in sources:
                raise ConfigError(
                    f"{path}: {table} sources: no [sources.{source}] table "
                    f"(defined: {', '.join(sources) or 'none'})"
                )
        if len(set(sync.sources)) != len(sync.sources):
            raise ConfigError(f"{path}: {table} sources: a source is listed twice")
        if sync.target not in targets:
            raise ConfigError(
                f"{path}: {table} target: no [targets.{sync.target}] table "
                f"(defined: {', '.join(targets) or 'none'})"
            )
        if sync.schedule is not None:  # checked now, not first when the daemon starts
            from sync.schedule import make_trigger

            make_trigger(sync.schedule, where=f"{path}: {table[:-1]}.schedule]")
    url = os.environ.get(STATE_URL_ENV) or root.state.url
    return Config(
        path=path,
        state_url=database_url(url, path.parent.resolve()),
        syncs=syncs,
        sources=sources,
        targets=targets,
        notify=root.notify,
        http=root.http,
        web=_web_config(root),
        log_level=root.log_level,
        raw=raw,
    )


def _web_config(root: _Root) -> WebConfig:
    """``[web]``, or the deprecated ``[http]`` read as ``[web]`` when only it is there."""
    if root.web is not None:
        return root.web
    if root.http.enabled:
        return WebConfig(enabled=True, host=root.http.host, port=root.http.port)
    return WebConfig()


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the configuration file."""
    resolved = config_path(path)
    try:
        text = resolved.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(
            f"{resolved}: configuration file not found (use --config PATH or ${CONFIG_ENV})"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{resolved}: cannot read the configuration: {exc}") from None
    return parse_config(text, resolved.resolve())

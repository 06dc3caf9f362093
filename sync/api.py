"""The public API for plugin authors: everything a source, a target or a command needs.

Plugins import from this module only (``from sync.api import ...``); every other module of
``sync`` is the engine's own and may change without notice. A test keeps ``plugins/`` to
this rule. Plugin tests may also use ``sync.testing``, the plugin test kit.
"""

from __future__ import annotations

from sync.app import App
from sync.contract import (
    CAPABILITY_ACCESS,
    CAPABILITY_HIDE_MEMBERS,
    CAPABILITY_MEMBER_DIGESTS,
    CAPABILITY_PROFILES,
    DigestTarget,
    PluginContext,
    PluginOptions,
    SkippedRecords,
    Source,
    SourceRead,
    SourceType,
    StateBag,
    Target,
    TargetType,
)
from sync.digest import digest_members
from sync.errors import (
    ConfigError,
    FatalError,
    RetriableError,
    RostersyncError,
    SkippableError,
    SourceError,
    TargetError,
)
from sync.hookspecs import hookimpl
from sync.model import (
    APPLY_ORDER,
    AccessGrant,
    Block,
    Change,
    ChangeFailure,
    ChangeKind,
    Group,
    Issue,
    Membership,
    Memberships,
    Person,
    Role,
    Roster,
    RunStatus,
    RunSummary,
    Severity,
    StaffProfile,
    TargetState,
    group_members,
)
from sync.redact import redact, register_secret
from sync.storage import (
    database_url,
    migrate,
    open_database,
    retriable_database_errors,
    run_migrations_online,
)

__all__ = [
    "APPLY_ORDER",
    "CAPABILITY_ACCESS",
    "CAPABILITY_HIDE_MEMBERS",
    "CAPABILITY_MEMBER_DIGESTS",
    "CAPABILITY_PROFILES",
    "AccessGrant",
    "App",
    "Block",
    "Change",
    "ChangeFailure",
    "ChangeKind",
    "ConfigError",
    "DigestTarget",
    "FatalError",
    "Group",
    "Issue",
    "Membership",
    "Memberships",
    "Person",
    "PluginContext",
    "PluginOptions",
    "RetriableError",
    "Role",
    "Roster",
    "RostersyncError",
    "RunStatus",
    "RunSummary",
    "Severity",
    "SkippableError",
    "SkippedRecords",
    "Source",
    "SourceError",
    "SourceRead",
    "SourceType",
    "StaffProfile",
    "StateBag",
    "Target",
    "TargetError",
    "TargetState",
    "TargetType",
    "database_url",
    "digest_members",
    "group_members",
    "hookimpl",
    "migrate",
    "open_database",
    "redact",
    "register_secret",
    "retriable_database_errors",
    "run_migrations_online",
]

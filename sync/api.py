"""The public API for plugin authors: everything a source, a target or a command needs.

Plugins import from this module only (``from sync.api import ...``); every other module of
``sync`` is the engine's own and may change without notice. A test keeps ``plugins/`` to
this rule. Plugin tests may also use ``sync.testing``, the plugin test kit.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from sync.command_context import CommandContext, PluginKind
from sync.config import PluginTable
from sync.contract import (
    CAPABILITY_ACCESS,
    CAPABILITY_HIDE_MEMBERS,
    CAPABILITY_MEMBER_DIGESTS,
    CAPABILITY_PROFILES,
    DigestTarget,
    PluginContext,
    PluginOptions,
    ReportsIssues,
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
from sync.http_client import (
    Authenticator,
    BearerToken,
    ClientCredentials,
    HttpClient,
    HttpRefused,
    TokenRefused,
    decode_json,
    describe_body,
    next_link,
    redact_url,
)
from sync.model import (
    APPLY_ORDER,
    CHANGE_ALL_BUT_PERSON,
    CHANGE_GROUP,
    CHANGE_GROUP_PERSON,
    CHANGE_KIND,
    CHANGE_PERSON,
    GRANT_GROUP,
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
    changes_of_fields,
    group_members,
    memberships_of_pairs,
)
from sync.redact import redact, register_secret
from sync.report import describe_counts
from sync.retry import RetryPolicy
from sync.storage import (
    database_url,
    migrate,
    open_database,
    retriable_database_errors,
    run_migrations_online,
)
from sync.terminal import printable
from sync.views import StaffAccess, staff_access
from sync.web_pages import WebLink, WebPages

if TYPE_CHECKING:  # the console's side, imported when first used: the CLI starts fast
    from sync.web.plugin_pages import WebContext, WebUser, web_context, web_form, web_user

#: Names of the console's side of ``register_web_pages``, loaded on first use (PEP 562).
_WEB = {
    name: "sync.web.plugin_pages"
    for name in ("WebContext", "WebUser", "web_context", "web_form", "web_user")
}

__all__ = [
    "APPLY_ORDER",
    "CAPABILITY_ACCESS",
    "CAPABILITY_HIDE_MEMBERS",
    "CAPABILITY_MEMBER_DIGESTS",
    "CAPABILITY_PROFILES",
    "CHANGE_ALL_BUT_PERSON",
    "CHANGE_GROUP",
    "CHANGE_GROUP_PERSON",
    "CHANGE_KIND",
    "CHANGE_PERSON",
    "GRANT_GROUP",
    "AccessGrant",
    "Authenticator",
    "BearerToken",
    "Block",
    "Change",
    "ChangeFailure",
    "ChangeKind",
    "ClientCredentials",
    "CommandContext",
    "ConfigError",
    "DigestTarget",
    "FatalError",
    "Group",
    "HttpClient",
    "HttpRefused",
    "Issue",
    "Membership",
    "Memberships",
    "Person",
    "PluginContext",
    "PluginKind",
    "PluginOptions",
    "PluginTable",
    "ReportsIssues",
    "RetriableError",
    "RetryPolicy",
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
    "StaffAccess",
    "StaffProfile",
    "StateBag",
    "Target",
    "TargetError",
    "TargetState",
    "TargetType",
    "TokenRefused",
    "WebContext",
    "WebLink",
    "WebPages",
    "WebUser",
    "changes_of_fields",
    "database_url",
    "decode_json",
    "describe_body",
    "describe_counts",
    "digest_members",
    "group_members",
    "hookimpl",
    "memberships_of_pairs",
    "migrate",
    "next_link",
    "open_database",
    "printable",
    "redact",
    "redact_url",
    "register_secret",
    "retriable_database_errors",
    "run_migrations_online",
    "staff_access",
    "web_context",
    "web_form",
    "web_user",
]


def __getattr__(name: str) -> Any:
    home = _WEB.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(home), name)

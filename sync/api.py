"""The public API for plugin authors: everything a source, a target or a command needs.

Plugins import from this module only (``from sync.api import ...``); every other module of
``sync`` is the engine's own and may change without notice. A test keeps ``plugins/`` to
this rule. Plugin tests may also use ``sync.testing``, the plugin test kit.

Each name is imported from its module when it is first used (``__getattr__``): a plugin
module that only registers its kinds and commands (``SourceType``, ``DeferredCommand``,
``hookimpl``) imports neither pydantic, nor requests, nor SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sync.command_context import (
        CommandContext,
        PluginKind,
    )
    from sync.config import (
        PluginTable,
    )
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
        StateBag,
        Target,
    )
    from sync.deferred import (
        DeferredCommand,
    )
    from sync.digest import (
        digest_members,
    )
    from sync.errors import (
        ConfigError,
        FatalError,
        RetriableError,
        RostersyncError,
        SkippableError,
        SourceError,
        TargetError,
    )
    from sync.hookspecs import (
        hookimpl,
    )
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
    from sync.kinds import (
        SourceType,
        TargetType,
        import_ref,
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
    from sync.redact import (
        redact,
        register_secret,
    )
    from sync.report import (
        describe_counts,
    )
    from sync.retry import (
        RetryPolicy,
    )
    from sync.storage import (
        database_url,
        migrate,
        open_database,
        retriable_database_errors,
        run_migrations_online,
    )
    from sync.terminal import (
        printable,
    )
    from sync.views import (
        StaffAccess,
        staff_access,
    )
    from sync.web.plugin_pages import (  # the console's side: imported when first used
        WebContext,
        WebUser,
        web_context,
        web_form,
        web_user,
    )
    from sync.web_pages import (
        WebLink,
        WebPages,
    )

#: Where each public name is defined: imported from there when first used.
_HOMES: dict[str, str] = {
    "CommandContext": "sync.command_context",
    "PluginKind": "sync.command_context",
    "PluginTable": "sync.config",
    "CAPABILITY_ACCESS": "sync.contract",
    "CAPABILITY_HIDE_MEMBERS": "sync.contract",
    "CAPABILITY_MEMBER_DIGESTS": "sync.contract",
    "CAPABILITY_PROFILES": "sync.contract",
    "DigestTarget": "sync.contract",
    "PluginContext": "sync.contract",
    "PluginOptions": "sync.contract",
    "ReportsIssues": "sync.contract",
    "SkippedRecords": "sync.contract",
    "Source": "sync.contract",
    "SourceRead": "sync.contract",
    "StateBag": "sync.contract",
    "Target": "sync.contract",
    "DeferredCommand": "sync.deferred",
    "digest_members": "sync.digest",
    "ConfigError": "sync.errors",
    "FatalError": "sync.errors",
    "RetriableError": "sync.errors",
    "RostersyncError": "sync.errors",
    "SkippableError": "sync.errors",
    "SourceError": "sync.errors",
    "TargetError": "sync.errors",
    "hookimpl": "sync.hookspecs",
    "Authenticator": "sync.http_client",
    "BearerToken": "sync.http_client",
    "ClientCredentials": "sync.http_client",
    "HttpClient": "sync.http_client",
    "HttpRefused": "sync.http_client",
    "TokenRefused": "sync.http_client",
    "decode_json": "sync.http_client",
    "describe_body": "sync.http_client",
    "next_link": "sync.http_client",
    "redact_url": "sync.http_client",
    "SourceType": "sync.kinds",
    "TargetType": "sync.kinds",
    "import_ref": "sync.kinds",
    "APPLY_ORDER": "sync.model",
    "CHANGE_ALL_BUT_PERSON": "sync.model",
    "CHANGE_GROUP": "sync.model",
    "CHANGE_GROUP_PERSON": "sync.model",
    "CHANGE_KIND": "sync.model",
    "CHANGE_PERSON": "sync.model",
    "GRANT_GROUP": "sync.model",
    "AccessGrant": "sync.model",
    "Block": "sync.model",
    "Change": "sync.model",
    "ChangeFailure": "sync.model",
    "ChangeKind": "sync.model",
    "Group": "sync.model",
    "Issue": "sync.model",
    "Membership": "sync.model",
    "Memberships": "sync.model",
    "Person": "sync.model",
    "Role": "sync.model",
    "Roster": "sync.model",
    "RunStatus": "sync.model",
    "RunSummary": "sync.model",
    "Severity": "sync.model",
    "StaffProfile": "sync.model",
    "TargetState": "sync.model",
    "changes_of_fields": "sync.model",
    "group_members": "sync.model",
    "memberships_of_pairs": "sync.model",
    "redact": "sync.redact",
    "register_secret": "sync.redact",
    "describe_counts": "sync.report",
    "RetryPolicy": "sync.retry",
    "database_url": "sync.storage",
    "migrate": "sync.storage",
    "open_database": "sync.storage",
    "retriable_database_errors": "sync.storage",
    "run_migrations_online": "sync.storage",
    "printable": "sync.terminal",
    "StaffAccess": "sync.views",
    "staff_access": "sync.views",
    "WebContext": "sync.web.plugin_pages",
    "WebUser": "sync.web.plugin_pages",
    "web_context": "sync.web.plugin_pages",
    "web_form": "sync.web.plugin_pages",
    "web_user": "sync.web.plugin_pages",
    "WebLink": "sync.web_pages",
    "WebPages": "sync.web_pages",
}


if not TYPE_CHECKING:  # mypy sees the imports above; a typo stays an error there

    def __getattr__(name: str) -> Any:
        try:
            module = _HOMES[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(module), name)
        globals()[name] = value  # once: the next use is an ordinary global
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


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
    "DeferredCommand",
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
    "import_ref",
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

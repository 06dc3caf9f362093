"""Staff user groups and their permissions, shared by the sources that produce staff.

Permission names are stable snake_case strings (documented in docs/permissions.md).
The defaults follow the Impero Backdrop recommendations: only DSLs view child
protection and receive its alerts (immediate e-mail), viewing child protection always
requires two-factor authentication, nobody manages allegations against staff (that
is reserved for the head, who is given it explicitly), and administration is for the
School Business Manager and the DSLs. A user group that is not defined gets the
fallback group's (Teachers') rights, with a warning.
"""

from __future__ import annotations

from collections.abc import Mapping

from pydantic import Field, field_validator, model_validator

from sync.api import PluginOptions, StaffProfile

LOG_CONCERNS = "log_concerns"
VIEW_BEHAVIOUR = "view_behaviour"
VIEW_PASTORAL = "view_pastoral"
VIEW_FIRST_AID = "view_first_aid"
RECEIVE_FIRST_AID_IMMEDIATE_EMAILS = "receive_first_aid_immediate_emails"
VIEW_CHILD_PROTECTION = "view_child_protection"
RECEIVE_CHILD_PROTECTION_ALERTS = "receive_child_protection_alerts"
RECEIVE_CHILD_PROTECTION_IMMEDIATE_EMAILS = "receive_child_protection_immediate_emails"
RECEIVE_CHILD_PROTECTION_DIGEST_EMAILS = "receive_child_protection_digest_emails"
REQUIRE_2FA_FOR_CHILD_PROTECTION = "require_2fa_for_child_protection"
MANAGE_ALLEGATIONS_AGAINST_STAFF = "manage_allegations_against_staff"
ADMINISTRATION = "administration"

#: Every permission rostersync knows, with what it allows.
PERMISSIONS: Mapping[str, str] = {
    LOG_CONCERNS: "log concerns about students",
    VIEW_BEHAVIOUR: "view behaviour concerns",
    VIEW_PASTORAL: "view pastoral concerns",
    VIEW_FIRST_AID: "view first aid logs",
    RECEIVE_FIRST_AID_IMMEDIATE_EMAILS: "receive an immediate e-mail for each first aid log",
    VIEW_CHILD_PROTECTION: "view child protection concerns",
    RECEIVE_CHILD_PROTECTION_ALERTS: "receive alerts about child protection",
    RECEIVE_CHILD_PROTECTION_IMMEDIATE_EMAILS: "receive immediate e-mails about child protection",
    RECEIVE_CHILD_PROTECTION_DIGEST_EMAILS: "receive digest e-mails about child protection",
    REQUIRE_2FA_FOR_CHILD_PROTECTION: "must use two-factor authentication to view child protection",
    MANAGE_ALLEGATIONS_AGAINST_STAFF: "manage allegations against staff (legally protected)",
    ADMINISTRATION: "use the Administration panel (settings, staff, user groups)",
}

#: Permissions that only make sense together with view_child_protection.
CHILD_PROTECTION_ALERTS = frozenset(
    {
        RECEIVE_CHILD_PROTECTION_ALERTS,
        RECEIVE_CHILD_PROTECTION_IMMEDIATE_EMAILS,
        RECEIVE_CHILD_PROTECTION_DIGEST_EMAILS,
    }
)

_STAFF = (LOG_CONCERNS, VIEW_BEHAVIOUR, VIEW_FIRST_AID)

#: The seeds' standard user groups and recommended permissions.
DEFAULT_USER_GROUPS: Mapping[str, frozenset[str]] = {
    "DSLs": frozenset(
        {
            *_STAFF,
            VIEW_PASTORAL,
            VIEW_CHILD_PROTECTION,
            RECEIVE_CHILD_PROTECTION_ALERTS,
            RECEIVE_CHILD_PROTECTION_IMMEDIATE_EMAILS,
            REQUIRE_2FA_FOR_CHILD_PROTECTION,
            ADMINISTRATION,
        }
    ),
    "School Business Manager": frozenset({*_STAFF, VIEW_PASTORAL, ADMINISTRATION}),
    "Admin Team": frozenset({LOG_CONCERNS, VIEW_FIRST_AID, RECEIVE_FIRST_AID_IMMEDIATE_EMAILS}),
    "SLTs": frozenset({*_STAFF, VIEW_PASTORAL}),
    "Teachers": frozenset(_STAFF),
    "TAs": frozenset({LOG_CONCERNS, VIEW_BEHAVIOUR}),
    "Governors": frozenset(),
}

FALLBACK_USER_GROUP = "Teachers"


class UserGroupOptions(PluginOptions):
    """``[sources.NAME.user_groups."GROUP"]``: the permissions of one user group."""

    permissions: list[str] = Field(description="permission names, see docs/permissions.md")

    @field_validator("permissions")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - PERMISSIONS.keys())
        if unknown:
            raise ValueError(
                f"unknown permission {', '.join(map(repr, unknown))}; "
                f"known permissions: {', '.join(sorted(PERMISSIONS))}"
            )
        return value


class StaffOptions(PluginOptions):
    """Options of a source that produces staff: their user groups and the fallback."""

    user_groups: dict[str, UserGroupOptions] = Field(
        default_factory=dict,
        description="user group name -> permissions; overrides the default of that name",
    )
    fallback_user_group: str = Field(
        default=FALLBACK_USER_GROUP,
        description="the rights given to staff whose user group is not defined",
    )

    @model_validator(mode="after")
    def _fallback_exists(self) -> StaffOptions:
        known = {_fold(n) for n in DEFAULT_USER_GROUPS} | {_fold(n) for n in self.user_groups}
        if _fold(self.fallback_user_group) not in known:
            raise ValueError(
                f"fallback_user_group {self.fallback_user_group!r} is not a user group; "
                "define it under user_groups or use a standard group"
            )
        return self

    def user_groups_for(self, source: str) -> UserGroups:
        return UserGroups(
            self.user_groups, where=f"[sources.{source}]", fallback=self.fallback_user_group
        )


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


class UserGroups:
    """The user groups a source knows: the defaults, overridden per group by config.

    ``where`` is the config table the groups come from, named in every reason.
    """

    def __init__(
        self,
        configured: Mapping[str, UserGroupOptions],
        *,
        where: str,
        fallback: str = FALLBACK_USER_GROUP,
    ) -> None:
        self.where = where
        self.groups: dict[str, tuple[str, frozenset[str], str]] = {}
        for name, perms in DEFAULT_USER_GROUPS.items():
            self.groups[_fold(name)] = (name, perms, "rostersync's default for this group")
        for name, options in configured.items():
            self.groups[_fold(name)] = (
                name,
                frozenset(options.permissions),
                f"configured in {where[:-1]}.user_groups]",
            )
        if _fold(fallback) not in self.groups:
            raise ValueError(f"{where} fallback_user_group: {fallback!r} is not a user group")
        self.fallback = fallback

    def profile(self, person: str, user_group: str) -> tuple[StaffProfile, str]:
        """The profile of ``person`` in ``user_group``, and a warning ('' if none)."""
        found = self.groups.get(_fold(user_group))
        warning = ""
        if found is None:
            name, perms, origin = self.groups[_fold(self.fallback)]
            shown = user_group.strip() or "(blank)"
            reason = (
                f"user group {shown!r} is not defined, so it has the {name!r} rights ({origin})"
            )
            warning = (
                f"user group {shown!r} is not defined; {person!r} gets the {name!r} rights. "
                f"Define it under {self.where[:-1]}.user_groups] or use a standard group"
            )
            group = user_group.strip() or name
        else:
            group, perms, origin = found
            reason = f"user group {group!r} ({origin})"
        return StaffProfile(person, group, effective(perms), reason), warning


def effective(permissions: frozenset[str]) -> frozenset[str]:
    """The permissions as applied: viewing child protection always requires 2FA, and its
    alerts and e-mails are never given to someone who cannot view child protection."""
    perms = set(permissions)
    if VIEW_CHILD_PROTECTION in perms:
        perms.add(REQUIRE_2FA_FOR_CHILD_PROTECTION)
    else:
        perms -= CHILD_PROTECTION_ALERTS
    return frozenset(perms)


def explain(permission: str, profile: StaffProfile) -> str:
    """Why ``profile`` has ``permission``, in one line."""
    if permission == REQUIRE_2FA_FOR_CHILD_PROTECTION:
        return "always required with view_child_protection; " + profile.reason
    return profile.reason

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

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from pydantic import Field, field_validator, model_validator

from plugins.permissions.values import Edits, GroupEdit, StaffEdit
from plugins.suggest import did_you_mean
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

    def user_groups_for(self, source: str, edits: Edits | None = None) -> UserGroups:
        return UserGroups(
            self.user_groups,
            where=f"[sources.{source}]",
            fallback=self.fallback_user_group,
            edits=edits,
        )


def _fold(name: str) -> str:
    return " ".join(name.split()).casefold()


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@dataclass(frozen=True)
class UserGroupRow:
    """One user group as the console shows it: its permissions now, what config (or the
    default) gives, where that comes from, and the console's edit if any."""

    name: str
    permissions: frozenset[str]
    configured: frozenset[str]
    origin: str
    edit: GroupEdit | None


class UserGroups:
    """The user groups a source knows: the defaults, overridden per group by config, and
    config overridden by the edits made in the console (``edits``).

    ``where`` is the config table the groups come from, named in every reason.
    """

    def __init__(
        self,
        configured: Mapping[str, UserGroupOptions],
        *,
        where: str,
        fallback: str = FALLBACK_USER_GROUP,
        edits: Edits | None = None,
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
        self.configured = dict(self.groups)
        self.edits = edits or Edits()
        for key, edit in self.edits.groups.items():
            if key in self.groups:  # an edit of a group config no longer has is not applied
                name = self.groups[key][0]
                self.groups[key] = (
                    name,
                    edit.permissions & PERMISSIONS.keys(),
                    f"edited in the console by {edit.by} at {_when(edit.at)}",
                )

    def names(self) -> list[str]:
        return [name for name, _, _ in self.groups.values()]

    def find(self, user_group: str) -> str | None:
        """The group's name as defined, or None if it is not a user group."""
        found = self.groups.get(_fold(user_group))
        return found[0] if found else None

    def rows(self) -> list[UserGroupRow]:
        return [
            UserGroupRow(
                name, perms, self.configured[key][1], self.configured[key][2],
                self.edits.groups.get(key),
            )
            for key, (name, perms, _) in self.groups.items()
        ]  # fmt: skip

    def chosen(self, person: str) -> StaffEdit | None:
        """The user group chosen for ``person`` in the console, if it is still a group."""
        edit = self.edits.staff.get(person)
        return edit if edit is not None and _fold(edit.user_group) in self.groups else None

    def profile(self, person: str, user_group: str) -> tuple[StaffProfile, str]:
        """The profile of ``person`` in ``user_group`` (or in the group chosen for them in
        the console, which wins), and a warning ('' if none)."""
        chosen = self.chosen(person)
        if chosen is not None:
            group, perms, origin = self.groups[_fold(chosen.user_group)]
            reason = (
                f"user group {group!r} ({origin}), chosen in the console by {chosen.by} "
                f"at {_when(chosen.at)}"
            )
            return StaffProfile(person, group, effective(perms), reason), ""
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


class EditRefused(ValueError):
    """An edit the rules refuse; ``field`` names the form field to highlight."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class GroupChange:
    """A user group's permissions as they will be saved, and what the rules changed."""

    name: str
    permissions: frozenset[str]
    added: frozenset[str]
    dropped: frozenset[str]


def check_group_edit(
    groups: UserGroups, name: str, ticked: Collection[str], *, confirm_allegations: bool
) -> GroupChange:
    """The permissions ``ticked`` for ``name``, under the rules config cannot break either:
    viewing child protection brings 2FA, its alerts need the view, and
    ``manage_allegations_against_staff`` is only newly given with an explicit confirmation."""
    found = groups.find(name)
    if found is None:
        raise EditRefused(f"{name!r} is not a user group; user groups: {', '.join(groups.names())}")
    unknown = sorted(set(ticked) - PERMISSIONS.keys())
    if unknown:
        raise EditRefused(f"unknown permission {', '.join(map(repr, unknown))}", unknown[0])
    current = groups.groups[_fold(found)][1]
    if (
        MANAGE_ALLEGATIONS_AGAINST_STAFF in ticked
        and MANAGE_ALLEGATIONS_AGAINST_STAFF not in current
        and not confirm_allegations
    ):
        raise EditRefused(
            f"{MANAGE_ALLEGATIONS_AGAINST_STAFF} is legally protected and reserved for the head "
            f"teacher: tick the confirmation to give it to {found!r}",
            MANAGE_ALLEGATIONS_AGAINST_STAFF,
        )
    wanted = frozenset(ticked)
    result = effective(wanted)
    return GroupChange(found, result, result - wanted, wanted - result)


def check_staff_edit(groups: UserGroups, user_group: str) -> str:
    """The user group's name as defined; refused with the closest names if it is none."""
    found = groups.find(user_group)
    if found is None:
        hint = did_you_mean(user_group, groups.names())
        raise EditRefused(f"{user_group!r} is not a user group{hint}", "user_group")
    return found


def load_edits(state_url: str, source: str) -> Edits:
    """The console's edits for ``source`` from the state database; read only: a database
    the console never edited in has none, and gets no tables made by a read."""
    from plugins.permissions.edits import read_edits

    return read_edits(state_url, source)


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

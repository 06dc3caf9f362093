"""The mapping options every OneRoster-shaped source shares (``oneroster``, ``sds``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from plugins.names import check_template
from plugins.oneroster.mapping import TEMPLATE_FIELDS, AccessRole, Settings, check_identity
from sync.api import PluginOptions


def _teachers() -> list[AccessRole]:
    return ["teacher"]


class MappingOptions(PluginOptions):
    identity: str = Field(
        default="username",
        description="'username', 'email', 'email_local_part' (before '@'), 'sourced_id', "
        "or 'user_id:TYPE' (one entry of userIds, e.g. user_id:LDAP)",
    )
    group_name: str = Field(
        default="{title}",
        description='e.g. "{title} ({periods})"; fields: ' + ", ".join(sorted(TEMPLATE_FIELDS)),
    )
    access_roles: list[AccessRole] = Field(
        default_factory=_teachers,
        description="enrolment roles given access: teacher, aide, proctor, administrator",
    )
    schools: list[str] = Field(
        default_factory=list, description="keep only these orgs (sourcedId or name); [] = all"
    )
    sessions: Literal["all", "current"] | list[str] = Field(
        default="all",
        description="'all', 'current' (a term on today), or a list of session sourcedIds",
    )
    date_order: Literal["month_first", "day_first"] = Field(
        default="month_first", description="how an ambiguous date such as 03/04/2026 is read"
    )

    @field_validator("identity")
    @classmethod
    def _identity(cls, value: str) -> str:
        return check_identity(value)

    @field_validator("group_name")
    @classmethod
    def _template(cls, value: str) -> str:
        return check_template(value, TEMPLATE_FIELDS)

    def settings(self) -> Settings:
        sessions = self.sessions if isinstance(self.sessions, str) else tuple(self.sessions)
        return Settings(
            identity=self.identity,
            group_name=self.group_name,
            access_roles=frozenset(self.access_roles),
            schools=tuple(self.schools),
            sessions=sessions,
            date_order=self.date_order,
        )

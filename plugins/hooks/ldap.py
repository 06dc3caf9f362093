"""The ``ldap`` target's hooks (the target itself: ``plugins.ldap``; ldap3 is imported
when a run builds the target)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.api import TargetType, hookimpl


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(
        TargetType(
            name="ldap",
            options="plugins.ldap.options:LdapOptions",
            factory="plugins.ldap.target:LdapTarget",
            description="groups and members in Active Directory or an OpenLDAP directory",
        )
    )

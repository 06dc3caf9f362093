"""The ``ldap`` target: class groups in Active Directory or an OpenLDAP directory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.ldap.options import LdapOptions
from plugins.ldap.target import LdapTarget
from sync.api import TargetType, hookimpl


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(
        TargetType(
            name="ldap",
            options=LdapOptions,
            factory=LdapTarget,
            description="groups and members in Active Directory or an OpenLDAP directory",
        )
    )

"""The ``scim`` target: provisions groups into a SCIM 2.0 service provider."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from plugins.scim.target import ScimOptions, ScimTarget
from sync.api import TargetType, hookimpl


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(
        TargetType(
            name="scim",
            options=ScimOptions,
            factory=ScimTarget,
            description="groups and members in a SCIM 2.0 service provider (Entra ID, Okta ...)",
        )
    )

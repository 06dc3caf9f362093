"""The ``scim`` target's hooks (the target itself: ``plugins.scim``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sync.api import TargetType, hookimpl


@hookimpl
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    register(
        TargetType(
            name="scim",
            options="plugins.scim.target:ScimOptions",
            factory="plugins.scim.target:ScimTarget",
            description="groups and members in a SCIM 2.0 service provider (Entra ID, Okta ...)",
        )
    )

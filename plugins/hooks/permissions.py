"""The console's Staff members and User groups pages, for every source that produces staff
(the pages themselves: ``plugins.permissions.web``; the rules: ``plugins.permissions``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sync.api import WebLink, WebPages, hookimpl


@hookimpl
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    register(
        WebPages(
            plugin="permissions",
            router="plugins.permissions.web:router",
            templates=Path(__file__).parents[1] / "permissions" / "templates",
            links=(WebLink("Staff members", "/staff", "admin"),),
        )
    )

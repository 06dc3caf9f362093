"""The console's Staff members and User groups pages, for every source that produces staff
(the pages themselves: ``plugins.permissions.web``; the rules: ``plugins.permissions``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sync.api import WebLink, WebPages, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter


def _router() -> APIRouter:
    from plugins.permissions.web import router

    return router


@hookimpl
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    register(
        WebPages(
            plugin="permissions",
            router=_router,
            templates=Path(__file__).parents[1] / "permissions" / "templates",
            links=(WebLink("Staff members", "/staff", "admin"),),
        )
    )

"""A third-party plugin's console pages, for the ``register_web_pages`` tests: a page for
viewers, a page and an action for admins, with a template extending the console's."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sync.api import WebLink, WebPages, hookimpl

if TYPE_CHECKING:
    from fastapi import APIRouter


def _router() -> APIRouter:
    from tests.sync.pages_plugin.routes import router

    return router


@hookimpl
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    register(
        WebPages(
            plugin="hello",
            router=_router,
            templates=Path(__file__).parent / "templates",
            links=(WebLink("Hello", "/", "viewer"), WebLink("Hello admin", "/admin", "admin")),
        )
    )

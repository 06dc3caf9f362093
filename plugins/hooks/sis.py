"""The SIS integration settings pages as ``WebPages``, for the hooks of ``impero_csv`` and
``clever`` (the page's settings: ``plugins.sis_settings``; its routes: ``plugins.sis_web``).
Light: it names the plugin's ``describe`` as ``"module:name"``, imported when the console
starts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sync.api import WebLink, WebPages, import_ref

if TYPE_CHECKING:
    from fastapi import APIRouter

    from plugins.sis_settings import Describe

TEMPLATES = Path(__file__).parents[1] / "sis_templates"


def sis_pages(plugin: str, title: str, describe: str) -> WebPages:
    """The settings pages of every ``plugin`` source, under ``/p/PLUGIN``; ``describe`` is
    the ``"module:name"`` of its ``Describe``."""

    def make() -> APIRouter:
        from plugins.sis_web import settings_router

        found: Describe = import_ref(describe)
        return settings_router(plugin, title, found)

    return WebPages(
        plugin=plugin,
        router=make,
        templates=TEMPLATES,
        links=(WebLink(f"{title} SIS", "/", "viewer"),),
    )

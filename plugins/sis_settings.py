"""The console's SIS integration settings page, shared by the ``impero_csv`` and ``clever``
sources: what Impero's Settings > SIS Integration tab shows (where it imports from, the
global-access users, "Basic Console Only", "restrict customisation", the identity option),
each with the config key it comes from, and **Import Groups** (a sync now of the syncs
that read the source). Each plugin registers its own pages with its own ``describe``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sync.api import WebLink, WebPages

if TYPE_CHECKING:
    from fastapi import APIRouter

    from sync.api import CommandContext

TEMPLATES = Path(__file__).parent / "sis_templates"


@dataclass(frozen=True)
class Setting:
    """One line of the tab: its label as Impero names it, the value, and its config key
    (``""`` when the source has no such option)."""

    label: str
    value: str
    key: str
    note: str = ""


Describe = Callable[[CommandContext, str, Any], list[Setting]]
"""A source's settings from its options; named to ``sis_pages`` as ``"module:name"`` so that
the plugin's package is imported when the console starts, not by every command."""


def yes_no(value: bool) -> str:
    return "on" if value else "off"


def sis_pages(plugin: str, title: str, describe: str) -> WebPages:
    """The settings pages of every ``plugin`` source, under ``/p/PLUGIN``; ``describe`` is
    the ``"module:name"`` of its ``Describe``."""

    def make() -> APIRouter:
        import importlib

        from plugins.sis_web import settings_router

        module, name = describe.split(":")
        found: Describe = getattr(importlib.import_module(module), name)
        return settings_router(plugin, title, found)

    return WebPages(
        plugin=plugin,
        router=make,
        templates=TEMPLATES,
        links=(WebLink(f"{title} SIS", "/", "viewer"),),
    )

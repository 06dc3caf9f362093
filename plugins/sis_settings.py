"""The console's SIS integration settings page, shared by the ``impero_csv`` and ``clever``
sources: what Impero's Settings > SIS Integration tab shows (where it imports from, the
global-access users, "Basic Console Only", "restrict customisation", the identity option),
each with the config key it comes from, and **Import Groups** (a sync now of the syncs
that read the source). Each plugin registers its own pages (``plugins.hooks.sis``) with its
own ``describe``; the routes are in ``plugins.sis_web``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from collections.abc import Callable

    from sync.api import CommandContext


@dataclass(frozen=True)
class Setting:
    """One line of the tab: its label as Impero names it, the value, and its config key
    (``""`` when the source has no such option)."""

    label: str
    value: str
    key: str
    note: str = ""


Describe: TypeAlias = "Callable[[CommandContext, str, Any], list[Setting]]"
"""A source's settings from its options; named to ``sis_pages`` as ``"module:name"`` so that
the plugin's package is imported when the console starts, not by every command."""


def yes_no(value: bool) -> str:
    return "on" if value else "off"

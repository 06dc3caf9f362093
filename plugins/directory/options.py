"""The ``directory`` target's options: light to import, for a fast command line."""

from __future__ import annotations

from sync.api import PluginOptions


class DirectoryOptions(PluginOptions):
    url: str | None = None
    """Database URL; by default the state database."""

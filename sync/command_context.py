"""What a plugin's command is handed as click's ``obj``: the configuration it may read,
its plugins' validated options and database URLs, and nothing of the engine's inside.

Commands take it with ``@click.pass_obj`` and annotate it as ``CommandContext``; the
object behind it is the command line's ``sync.app.App``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:  # annotations only: importing this module stays cheap
    from sync.config import PluginTable
    from sync.model import Roster

PluginKind = Literal["source", "target"]


class CommandContext(Protocol):
    """The public view of a command's configuration, for plugin commands."""

    @property
    def config_file(self) -> Path:
        """The configuration file (``--config``, ``$ROSTERSYNC_CONFIG`` or ./config.toml)."""
        ...

    @property
    def sync(self) -> str:
        """The sync chosen with ``--sync``, or the only one configured."""
        ...

    def plugin_tables(self, kind: PluginKind, plugin: str) -> dict[str, PluginTable]:
        """The ``[sources.NAME]`` (or ``[targets.NAME]``) tables that use ``plugin``."""
        ...

    def target_table(self) -> PluginTable:
        """The ``[targets.NAME]`` table of the chosen sync."""
        ...

    def plugin_options(self, kind: PluginKind, table_name: str) -> Any:
        """A table's options, secrets resolved, validated by its plugin's options model."""
        ...

    def database(self, url: str | None) -> str:
        """A plugin's database URL made absolute beside the configuration, or the state
        database's when ``url`` is empty."""
        ...

    def known(self) -> Roster:
        """The people (with names) and groups the chosen sync knows: its sources read
        now and merged, plus the ids and groups its target holds. Records nothing."""
        ...

    def syncs_reading(self, source_table: str) -> list[str]:
        """The syncs whose ``sources`` list the ``[sources.NAME]`` table ``source_table``."""
        ...

"""The ``oneroster`` source plugin: OneRoster 1.0, 1.1 and 1.2 CSV packages (bulk and delta).

Readers (``package``: a .zip or a folder) give ``Tables``; ``delta`` keeps the tables
between runs; ``mapping`` turns them into groups, members and access grants. Registered
by ``plugins.hooks.oneroster``, which names the source without importing it.
"""

from __future__ import annotations

from plugins.oneroster.source import OneRosterOptions, OneRosterSource

__all__ = ["OneRosterOptions", "OneRosterSource"]

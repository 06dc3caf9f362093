"""The ``sds`` source plugin: Microsoft School Data Sync CSV (v1 US/UK, v2, v2.1).

The folder's files are translated into OneRoster tables (``formats``) and read by the
OneRoster mapping, so the same rules make groups, members and access.
"""

from __future__ import annotations

import logging
from typing import Literal

from pydantic import Field

from plugins.csvfile import settle_field, settled_files, still_unchanged
from plugins.oneroster.mapping import build_roster
from plugins.oneroster.options import MappingOptions
from plugins.oneroster.package import package_files
from plugins.sds.formats import read_sds
from sync.api import PluginContext, SourceRead

log = logging.getLogger(__name__)


class SdsOptions(MappingOptions):
    path: str = Field(description="the folder of SDS CSV files (v1, or v2/v2.1)")
    settle_seconds: float = settle_field()
    date_order: Literal["month_first", "day_first"] = Field(
        default="month_first",
        description="SDS writes dates month-first (US), in both header styles",
    )


class SdsSource:
    """Reads one School Data Sync folder."""

    def __init__(self, options: SdsOptions, context: PluginContext) -> None:
        self.options = options
        self.context = context
        self.path = context.resolve_path(options.path)

    def read(self) -> SourceRead:
        self.context.progress(f"reading {self.path}")
        display = self.path.name
        stamps = settled_files(
            package_files(self.path), display=display, settle_seconds=self.options.settle_seconds
        )
        read = read_sds(self.path, source=self.context.name)
        still_unchanged(package_files(self.path), stamps, display=display)
        mapped = build_roster(read.tables, self.options.settings(), source=self.context.name)
        log.info(
            "%s: SDS %s folder, %d groups, %d people",
            self.context.name,
            read.format,
            len(mapped.roster.groups),
            len(mapped.roster.people),
        )
        return SourceRead(
            roster=mapped.roster,
            issues=(*read.issues, *mapped.issues),
            records=mapped.records + read.rejected,
            rejected=mapped.rejected + read.rejected,
        )

    def close(self) -> None:
        """Nothing to close: every file is read whole and closed within ``read``."""

"""The ``oneroster`` source: a OneRoster CSV package, bulk or delta, through the one mapping.

A bulk package is the whole truth. A delta package changes the tables the last run kept
in the source's plugin state (staged: saved only when the run succeeds). The reader is
one step (``read_package``); the delta and mapping steps do not know which transport fed
them, so another reader (the REST API) can feed the same ``_apply``.
"""

from __future__ import annotations

import logging

from pydantic import Field

from plugins.oneroster.delta import apply_delta, current_tables, decode, encode
from plugins.oneroster.mapping import build_roster
from plugins.oneroster.options import MappingOptions
from plugins.oneroster.package import Package, read_package
from plugins.oneroster.rows import Tables
from sync.api import Issue, PluginContext, SourceError, SourceRead

log = logging.getLogger(__name__)

KEY_SNAPSHOT = "snapshot"
KEY_DIGEST = "package_digest"


class OneRosterOptions(MappingOptions):
    path: str = Field(description="the package: a .zip as the spec ships it, or a folder")


class OneRosterSource:
    """Reads one OneRoster CSV package (a .zip or a folder)."""

    def __init__(self, options: OneRosterOptions, context: PluginContext) -> None:
        self.options = options
        self.context = context
        self.path = context.resolve_path(options.path)

    def read(self) -> SourceRead:
        self.context.progress(f"reading {self.path}")
        package = read_package(self.path, source=self.context.name)
        tables, issues = self._apply(package)
        mapped = build_roster(tables, self.options.settings(), source=self.context.name)
        log.info(
            "%s: OneRoster %s %s package, %d groups, %d people",
            self.context.name,
            package.version,
            "delta" if package.is_delta else "bulk",
            len(mapped.roster.groups),
            len(mapped.roster.people),
        )
        return SourceRead(
            roster=mapped.roster,
            issues=(*package.issues, *issues, *mapped.issues),
            records=mapped.records + package.rejected,
            rejected=mapped.rejected + package.rejected,
        )

    def close(self) -> None:
        """Nothing to close: every file is read whole and closed within ``read``."""

    def _apply(self, package: Package) -> tuple[Tables, list[Issue]]:
        """The tables after this package, staged in the plugin state for the next one."""
        state = self.context.state
        again = state.get(KEY_DIGEST) == package.digest  # (the last run applied this one)
        if not package.is_delta:
            bulk = current_tables(package.tables, source=self.context.name)
            if not again:
                state.put(KEY_SNAPSHOT, encode(bulk.tables))
                state.put(KEY_DIGEST, package.digest)
            return bulk.tables, bulk.issues
        stored = state.get(KEY_SNAPSHOT)
        if not stored:
            deltas = ", ".join(sorted(t for t, m in package.modes.items() if m == "delta"))
            raise SourceError(
                f"{self.path.name}: a delta package (manifest.csv: {deltas} delta) but no "
                "bulk package was read before, so there is nothing to apply it to; give the "
                "source a bulk package first"
            )
        if again:
            return decode(stored), []
        applied = apply_delta(
            decode(stored), package.tables, package.modes, source=self.context.name
        )
        log.info(
            "%s: delta applied: %d added, %d updated, %d removed",
            self.context.name,
            applied.added,
            applied.updated,
            applied.removed,
        )
        state.put(KEY_SNAPSHOT, encode(applied.tables))
        state.put(KEY_DIGEST, package.digest)
        return applied.tables, applied.issues

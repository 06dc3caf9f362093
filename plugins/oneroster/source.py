"""The ``oneroster`` source: a OneRoster CSV package, bulk or delta, through the one mapping.

A bulk package is the whole truth. A delta package changes the tables the last run kept
in the source's plugin state (staged: saved only when the run succeeds). The reader is
one step (``read_package``); the delta and mapping steps do not know which transport fed
them, so another reader (the REST API) can feed the same ``_apply``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

from pydantic import Field, SecretStr, model_validator

from plugins.csvfile import settle_field, settled_files, still_unchanged
from plugins.oneroster.delta import apply_delta, current_tables, decode, encode
from plugins.oneroster.mapping import build_roster
from plugins.oneroster.options import MappingOptions
from plugins.oneroster.package import Package, package_digest, package_files, read_package
from plugins.oneroster.rest import RestOptions, RestSettings
from plugins.oneroster.rest_sync import RestSync
from plugins.oneroster.rows import Tables
from sync.api import Issue, PluginContext, Severity, SourceError, SourceRead

log = logging.getLogger(__name__)

KEY_SNAPSHOT = "snapshot"
KEY_DIGEST = "package_digest"
#: What reading the kept package reported (its issues, rejected rows), for a rerun that
#: finds the files byte-identical and so maps the kept tables instead of parsing them again.
KEY_READ = "package_read"


def _issues_to_json(issues: Sequence[Issue]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(issue) for issue in issues]


def _issues_from_json(stored: Sequence[dict[str, Any]]) -> list[Issue]:
    return [Issue(**{**item, "severity": Severity(item["severity"])}) for item in stored]


#: The keys only a REST source has (``url`` mode); a package source gives none of them.
REST_REQUIRED = ("token_url", "client_id", "client_secret")


class OneRosterOptions(MappingOptions, RestSettings):
    """A package (``path``) or a REST server (``url`` and its keys): exactly one of the two."""

    renamed = {"base_url": "url"}

    path: str | None = Field(
        default=None, description="the package: a .zip as the spec ships it, or a folder"
    )
    url: str | None = Field(default=None, description="a OneRoster REST server instead of path")
    token_url: str | None = Field(default=None, description="the OAuth 2.0 token endpoint")
    client_id: SecretStr | None = Field(default=None, description='{ env = "..." }')
    client_secret: SecretStr | None = Field(default=None, description='{ env = "..." }')
    settle_seconds: float = settle_field()

    @model_validator(mode="after")
    def _one_transport(self) -> OneRosterOptions:
        if (self.path is None) == (self.url is None):
            raise ValueError(
                "give exactly one of path (a OneRoster CSV package) and url (a OneRoster "
                "REST server)"
            )
        if self.url is not None:
            missing = [key for key in REST_REQUIRED if getattr(self, key) is None]
            if missing:
                raise ValueError(f"url needs {', '.join(missing)} too")
        else:
            given = [key for key in (*REST_REQUIRED, "scope") if getattr(self, key) is not None]
            if given:
                raise ValueError(f"{', '.join(given)} only apply with url, not with path")
        return self

    def rest(self) -> RestOptions:
        """The REST reader's options (only when ``url`` is given)."""
        return RestOptions.model_validate(
            {key: getattr(self, key) for key in RestOptions.model_fields}
        )


class OneRosterSource:
    """Reads one OneRoster CSV package (a .zip or a folder) or one OneRoster REST server."""

    def __init__(self, options: OneRosterOptions, context: PluginContext) -> None:
        self.options = options
        self.context = context
        self.path = context.resolve_path(options.path) if options.path is not None else None
        self.rest = RestSync(options.rest(), context) if options.url is not None else None

    def read(self) -> SourceRead:
        if self.rest is not None:
            return self._read_rest(self.rest)
        assert self.path is not None  # (the options give path or url)
        self.context.progress(f"reading {self.path}")
        files = package_files(self.path)
        display = self.path.name
        stamps = settled_files(files, display=display, settle_seconds=self.options.settle_seconds)
        kept: dict[str, bytes] = {}  # (a folder's files, read once: for the digest and the parse)
        digest = package_digest(self.path, keep=kept)
        unchanged = self._unchanged(digest)
        if unchanged is not None:
            kept.clear()
            tables, issues, rejected = unchanged
            log.info("%s: the package is byte-identical to the last one read", self.context.name)
        else:
            package = read_package(self.path, source=self.context.name, digest=digest, kept=kept)
            tables, applied = self._apply(package)
            issues = [*package.issues, *applied]
            rejected = package.rejected
            self.context.state.put(
                KEY_READ, {"issues": _issues_to_json(issues), "rejected": rejected}
            )
            log.info(
                "%s: OneRoster %s %s package",
                self.context.name,
                package.version,
                "delta" if package.is_delta else "bulk",
            )
        still_unchanged(package_files(self.path), stamps, display=display)
        mapped = build_roster(tables, self.options.settings(), source=self.context.name)
        log.info(
            "%s: %d groups, %d people",
            self.context.name,
            len(mapped.roster.groups),
            len(mapped.roster.people),
        )
        return SourceRead(
            roster=mapped.roster,
            issues=(*issues, *mapped.issues),
            records=mapped.records + rejected,
            rejected=mapped.rejected + rejected,
        )

    def _unchanged(self, digest: str) -> tuple[Tables, list[Issue], int] | None:
        """The kept tables and what their read reported, when the files are byte-identical
        to the package that left them (else None: the package is read)."""
        state = self.context.state
        stored, read = state.get(KEY_SNAPSHOT), state.get(KEY_READ)
        if state.get(KEY_DIGEST) != digest or not stored or not isinstance(read, dict):
            return None
        return decode(stored, earlier=False), _issues_from_json(read["issues"]), read["rejected"]

    def _read_rest(self, rest: RestSync) -> SourceRead:
        self.context.progress(f"reading {self.options.url}")
        read = rest.read()
        mapped = build_roster(read.tables, self.options.settings(), source=self.context.name)
        log.info(
            "%s: OneRoster %s REST, %s read, %d groups, %d people",
            self.context.name,
            self.options.version,
            "full" if read.full else "incremental",
            len(mapped.roster.groups),
            len(mapped.roster.people),
        )
        return SourceRead(
            roster=mapped.roster,
            issues=(*read.issues, *mapped.issues),
            records=mapped.records,
            rejected=mapped.rejected,
            retries=read.retries,
        )

    def close(self) -> None:
        """Nothing to close: files are read whole and each REST read closes its client."""

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
            assert self.path is not None
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

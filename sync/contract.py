"""The contract between the engine and its plugins: what a source and a target are.

A plugin registers a ``SourceType`` or ``TargetType`` (see ``sync.hookspecs``). The
engine validates the plugin's table in ``config.toml`` against ``options`` (a
pydantic model), then calls ``factory(options, context)`` once per run. The kinds
themselves (``SourceType``, ``TargetType``) live in ``sync.kinds``, which needs no pydantic.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, model_validator

from sync.errors import SkippableError
from sync.kinds import OptionsT as OptionsT
from sync.kinds import SourceType as SourceType
from sync.kinds import TargetType as TargetType
from sync.model import Change, ChangeFailure, Issue, Roster, Severity, TargetState
from sync.storage import database_url

log = logging.getLogger(__name__)


class PluginOptions(BaseModel):
    """Base for a plugin's options: unknown keys are errors, values are immutable.

    ``renamed`` maps an option's old name to its new one: the old name is still
    accepted, with a warning, as long as the new one is not given too.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)
    renamed: ClassVar[Mapping[str, str]] = {}

    @model_validator(mode="before")
    @classmethod
    def _renamed_options(cls, data: Any) -> Any:
        if not isinstance(data, Mapping) or not cls.renamed:
            return data
        values = dict(data)
        for old, new in cls.renamed.items():
            if old not in values:
                continue
            if new in values:
                raise ValueError(f"give {new!r} only; {old!r} is its old name")
            log.warning("option %r is deprecated; call it %r", old, new)
            values[new] = values.pop(old)
        return values


class StateBag(Protocol):
    """Small JSON values a plugin keeps between runs (cursors, snapshots).

    ``put`` is staged: it is written only when the run ends without failure, so a
    failed or dry run never moves a cursor. ``get`` gives this run its own copy of a
    value: changing it changes nothing stored until it is ``put``.
    """

    def get(self, key: str) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


@dataclass(frozen=True)
class PluginContext:
    """What the engine tells a plugin about where it runs."""

    name: str
    sync: str
    config_dir: Path
    state_url: str
    state: StateBag
    dry_run: bool = False
    progress: Callable[[str], None] = field(default=lambda message: None)

    @property
    def log(self) -> logging.Logger:
        return logging.getLogger(f"rostersync.plugin.{self.name}")

    def database(self, url: str | None) -> str:
        """A plugin's own database URL option, or the state database when it has none;
        a relative SQLite path is relative to the config file's folder."""
        return database_url(url, self.config_dir) if url else self.state_url

    def resolve_path(self, path: str | Path) -> Path:
        """A path from config: relative paths are relative to the config file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.config_dir / candidate


@dataclass(frozen=True)
class SourceRead:
    """What one source read: the roster, the issues found, and how many records it saw."""

    roster: Roster
    issues: tuple[Issue, ...] = ()
    records: int = 0
    rejected: int = 0
    retries: int = 0


@dataclass
class SkippedRecords:
    """The records a source skipped, each one an ``Issue``: wrap the handling of each
    record in ``record()`` and raise ``SkippableError`` in it to skip that record::

        skipped = SkippedRecords(context.name)
        for line, row in enumerate(rows, start=2):
            with skipped.record(file=str(path), line=line):
                people.append(person_from(row))  # may raise SkippableError
        return SourceRead(roster, issues=tuple(skipped.issues), records=len(rows),
                          rejected=skipped.rejected)
    """

    source: str
    issues: list[Issue] = field(default_factory=list)

    @contextmanager
    def record(self, *, file: str = "", line: int | None = None) -> Iterator[None]:
        """Run the handling of one record; a ``SkippableError`` in it skips the record."""
        try:
            yield
        except SkippableError as exc:
            self.issues.append(
                Issue(
                    Severity.ERROR,
                    f"record skipped: {exc}",
                    source=self.source,
                    file=file,
                    line=line,
                    field=exc.field,
                    value=exc.value,
                )
            )

    @property
    def rejected(self) -> int:
        return len(self.issues)


class Source(Protocol):
    """Reads a roster. Raise ``SourceError`` (or ``RetriableError`` once retries ran out)
    when the read cannot be trusted: the run then fails and the target is left alone.
    Skip a bad record with ``SkippedRecords``; a ``SkippableError`` that escapes ``read``
    fails the run like a ``SourceError`` (a source is never skipped whole).

    ``close`` is called once the run is done with the source, whatever happened (after
    a failed read too): close sessions and files there.
    """

    def read(self) -> SourceRead: ...

    def close(self) -> None: ...


class Target(Protocol):
    """Holds groups, members and access grants and changes them on request.

    ``read`` returns what exists now, marking which groups the sync manages. ``apply``
    makes a batch of changes; it must be idempotent (adding a member who is already
    there succeeds) and returns the changes it rejected for good. A whole batch that
    failed for a passing reason raises ``RetriableError`` and is retried.
    """

    capabilities: frozenset[str]

    def read(self) -> TargetState: ...

    def apply(self, changes: Sequence[Change]) -> Sequence[ChangeFailure]: ...

    def close(self) -> None: ...


@runtime_checkable
class ReportsIssues(Protocol):
    """A target that found something the run record should say outside any one change
    (a server feature missing and worked around, say). Sources say it in ``SourceRead``.

    The engine calls ``run_issues`` once, after the apply (also when it failed), and adds
    what it returns to the run's issues.
    """

    def run_issues(self) -> Sequence[Issue]: ...


class DigestTarget(Target, Protocol):
    """A target with ``CAPABILITY_MEMBER_DIGESTS``: it keeps a digest of each managed
    group's member set (``sync.digest.digest_members`` over what it stores), refreshed
    in the same transaction as every change to those members.

    ``member_digests`` returns the digest of each managed group it can vouch for: a
    group whose members may have changed in another way must be left out.
    ``read_changed`` is ``read`` without the members of the groups in ``matched``
    (those whose digest the engine found equal to the desired one); it names them in
    ``TargetState.members_matched`` and counts their members in ``matched_memberships``.
    """

    def member_digests(self) -> Mapping[str, str]: ...

    def read_changed(self, matched: AbstractSet[str]) -> TargetState: ...


#: A target that stores access grants (not only groups and members).
CAPABILITY_ACCESS = "access_grants"

#: A target that stores each staff member's user group and permissions
#: (``SET_PROFILE`` / ``CLEAR_PROFILE`` changes).
CAPABILITY_PROFILES = "staff_profiles"

#: A target that keeps member digests and reads only the groups whose members changed
#: (see ``DigestTarget``).
CAPABILITY_MEMBER_DIGESTS = "member_digests"

#: A target that can hide one child from one staff member inside a group that staff
#: member can see (``ADD_BLOCK`` / ``REMOVE_BLOCK`` changes). A target without it gets
#: no block changes, and the planner withholds every grant that would show a blocked
#: child (fail closed).
CAPABILITY_HIDE_MEMBERS = "hide_members"

"""The check step of the console's import: the staged file read by the source itself
(the same matching, the same row rules, the same corrections), row by row."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from plugins.roster_csv.columns import FIELDS, Kind, Matching, layout_key
from plugins.roster_csv.source import RosterCsvOptions, RosterCsvSource, load, read_table
from plugins.roster_csv.store import Correction, Saved, read_saved, row_key
from sync.api import Issue, PluginContext, Severity, SourceError


@dataclass(frozen=True)
class CheckedRow:
    """One data row: its values (as corrected), and what the source says about it."""

    line: int
    key: str
    values: Mapping[str, str]
    raw: tuple[str, ...]
    errors: tuple[Issue, ...] = ()
    warnings: tuple[Issue, ...] = ()
    corrected: str = ""
    """``""``; ``"here"`` (fixed in this import); ``"saved"`` (by an earlier import)."""

    @property
    def rejected(self) -> bool:
        return bool(self.errors)

    def bad_fields(self, matching: Matching) -> dict[str, str]:
        """Field -> reason, for the cells to highlight."""
        labels = {matching.label(name): name for name in matching.columns}
        out: dict[str, str] = {}
        for issue in self.errors:
            name = labels.get(issue.field, issue.field)
            out[name] = issue.message.removeprefix("row rejected: ")
        return out


@dataclass(frozen=True)
class Checked:
    matching: Matching
    rows: list[CheckedRow]
    issues: list[Issue] = field(default_factory=list)
    """Issues of the file not tied to one row (decoding, look-alike names)."""

    @property
    def rejected(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.rejected]

    @property
    def corrected(self) -> list[CheckedRow]:
        return [row for row in self.rows if row.corrected]


class _Scratch:
    """State for a check: read from nothing, kept nowhere."""

    def get(self, key: str) -> Any:
        return None

    def put(self, key: str, value: Any) -> None:
        """A check is not a run: nothing is kept."""


def context_for(source: str, sync: str, config_dir: Path, state_url: str) -> PluginContext:
    return PluginContext(
        name=source, sync=sync, config_dir=config_dir, state_url=state_url, state=_Scratch()
    )


def headers_of(path: Path, options: RosterCsvOptions) -> list[str]:
    """The header row of a staged file (``SourceError`` if it cannot be read)."""
    header, _, _ = read_table(path, path.name, source="import", cp1252=options.allow_windows_1252)
    return [h.strip() for h in header.fields]


def saved_for(context: PluginContext, kind: Kind) -> Saved:
    return read_saved(context.database(None), context.name, kind)


def check(
    options: RosterCsvOptions,
    context: PluginContext,
    kind: Kind,
    path: Path,
    *,
    mapping: Mapping[str, str],
    fixes: Mapping[str, Correction],
) -> Checked:
    """Read the staged ``path`` as the source would read it as its ``kind`` file, with
    this import's ``mapping`` and ``fixes`` on top of what is saved."""
    display = str(path)
    header = headers_of(path, options)
    saved = saved_for(context, kind).overlaid({layout_key(header): dict(mapping)}, fixes)
    other: Kind = "staff" if kind == "students" else "students"
    # The staged file is whole (written before the check), so nothing waits for it to settle.
    update: dict[str, Any] = {f"{kind}_file": display, "settle_seconds": 0.0}
    if kind == "students":
        update["staff_file"] = None
    elif options.students_file and not context.resolve_path(options.students_file).is_file():
        update["students_file"] = None
    checking = options.model_copy(update=update)
    source = RosterCsvSource(
        checking,
        context,
        saved=lambda wanted: saved if wanted == kind else saved_for(context, other),
    )
    try:
        read = source.read()
    finally:
        source.close()
    columns = checking.student_columns if kind == "students" else checking.staff_columns
    matching, rows, _ = load(
        path,
        display,
        kind,
        columns,
        source=context.name,
        cp1252=options.allow_windows_1252,
        layouts=saved.layouts,
        corrections=saved.corrections,
    )
    by_line: dict[int, list[Issue]] = {}
    loose: list[Issue] = []
    for issue in read.issues:
        if issue.file != display:
            continue
        if issue.line is None:
            loose.append(issue)
        else:
            by_line.setdefault(issue.line, []).append(issue)
    checked = []
    for row in rows:
        key = row_key(row.raw)
        found = by_line.get(row.line, [])
        checked.append(
            CheckedRow(
                row.line,
                key,
                {name: row.values.get(name, "") for name in FIELDS[kind]},
                row.raw,
                tuple(i for i in found if i.severity is Severity.ERROR),
                tuple(
                    i
                    for i in found
                    if i.severity is Severity.WARNING and not i.message.startswith("corrected by")
                ),
                "here" if key in fixes else "saved" if row.corrected is not None else "",
            )
        )
    return Checked(matching, checked, loose)


__all__ = ["Checked", "CheckedRow", "SourceError", "check", "context_for", "headers_of"]

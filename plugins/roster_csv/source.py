"""The ``roster_csv`` source: Impero Backdrop's student and staff spreadsheets.

Students become people (id: UPN, or a stable generated id) and members of the groups
their registration group and/or year group make. Staff become people with a user
group and permissions, and get access to the registration groups the staff file's
``Registration Group`` column lists for them. A bad row is reported with its file,
line, column, value and reason; the good rows still import.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, StrictBool, ValidationInfo, field_validator, model_validator

from plugins import people as rules
from plugins.csvfile import Row, decode, rows, settle_field, sniff_delimiter
from plugins.lookalike import case_variants
from plugins.permissions import StaffOptions, UserGroups, load_edits
from plugins.roster_csv.columns import FIELDS, Kind, Matching, layout_key, match
from sync.api import (
    AccessGrant,
    Group,
    Issue,
    Membership,
    Person,
    PluginContext,
    Role,
    Roster,
    Severity,
    SourceError,
    SourceRead,
    StaffProfile,
)

if TYPE_CHECKING:  # SQLAlchemy is imported when a source reads, not by the command line
    from plugins.roster_csv.store import Correction, Saved


class RosterCsvOptions(StaffOptions):
    students_file: str | None = Field(default=None, description="the students CSV file")
    staff_file: str | None = Field(default=None, description="the staff CSV file")
    student_columns: dict[str, str] = Field(
        default_factory=dict, description="file header -> field, for the students file"
    )
    staff_columns: dict[str, str] = Field(
        default_factory=dict, description="file header -> field, for the staff file"
    )
    date_order: rules.DateOrder = "day_first"
    groups: list[rules.GroupField] = Field(
        default_factory=rules.default_groups,
        description="which student fields make groups",
    )
    identity: Literal["auto", "username", "email", "email_local_part"] = Field(
        default="auto",
        description="staff login: 'auto' uses Username when the file has it, else Email",
    )
    teaching_job_roles: list[str] | None = Field(
        default=None,
        description="job roles that get access to registration groups; None: any job role",
    )
    allow_windows_1252: StrictBool = True
    settle_seconds: float = settle_field()
    upload_max_mb: float = Field(
        default=20,
        gt=0,
        le=1024,
        description="the biggest file the console's import accepts for this source, in MB",
    )

    @field_validator("student_columns", "staff_columns")
    @classmethod
    def _known_fields(cls, value: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        known = set(FIELDS["students" if info.field_name == "student_columns" else "staff"])
        bad = sorted({v for v in value.values() if v not in known})
        if bad:
            raise ValueError(
                f"unknown field {', '.join(map(repr, bad))}; fields: {', '.join(sorted(known))}"
            )
        return value

    @model_validator(mode="after")
    def _a_file(self) -> RosterCsvOptions:
        if not self.students_file and not self.staff_file:
            raise ValueError("give students_file, staff_file or both")
        return self


@dataclass
class _Read:
    people: dict[str, Person] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    memberships: set[Membership] = field(default_factory=set)
    grants: set[AccessGrant] = field(default_factory=set)
    profiles: list[StaffProfile] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    rejected_people: set[str] = field(default_factory=set)
    records: int = 0
    rejected: int = 0


@dataclass(frozen=True)
class _Row:
    line: int
    values: dict[str, str]
    raw: tuple[str, ...]
    corrected: Correction | None = None
    """The fix made by hand in the console that ``values`` hold instead of the file's."""


_SHORT = (
    "fewer fields than the header has columns: a separator is missing or the file was cut "
    "short; end the row with one separator per empty cell"
)


class _Reject(Exception):
    def __init__(self, column: str, value: str, reason: str) -> None:
        super().__init__(reason)
        self.column, self.value, self.reason = column, value, reason


def read_table(
    path: Path, display: str, *, source: str, cp1252: bool, settle_seconds: float = 0.0
) -> tuple[Row, list[Row], list[Issue]]:
    """The header row, the non-blank data rows and the decoding warnings of one file."""
    decoded = decode(
        path,
        source=source,
        display=display,
        allow_windows_1252=cp1252,
        settle_seconds=settle_seconds,
    )
    text = decoded.text
    records = [r for r in rows(text, display=display, delimiter=sniff_delimiter(text))]
    data = [r for r in records if not r.blank]
    if not data:
        raise SourceError(f"{display}: the file is empty; it needs a header row")
    return data[0], data[1:], list(decoded.issues)


def load(
    path: Path,
    display: str,
    kind: Kind,
    mapping: dict[str, str],
    *,
    source: str,
    cp1252: bool,
    settle_seconds: float = 0.0,
    layouts: Mapping[str, Mapping[str, str]] | None = None,
    corrections: Mapping[str, Correction] | None = None,
) -> tuple[Matching, list[_Row], list[Issue]]:
    """The file's column matching and its data rows; raises ``SourceError`` if unusable.

    ``layouts`` are mappings saved in the console for a file layout (see ``layout_key``),
    used on top of ``mapping`` for a file with those headers; ``corrections`` replace the
    values of the rows they were made for (by ``row_key``)."""
    header, records, issues = read_table(
        path, display, source=source, cp1252=cp1252, settle_seconds=settle_seconds
    )
    saved = (layouts or {}).get(layout_key(header.fields))
    matching = match(header.fields, kind, {**mapping, **saved} if saved else mapping)
    if not matching.complete:
        problems = [*matching.clashes]
        if matching.missing:
            problems.append(f"no column for {', '.join(map(repr, matching.missing))}")
        table = "student_columns" if kind == "students" else "staff_columns"
        raise SourceError(
            f"{display} line {header.line}: {'; '.join(problems)}. Found the headers "
            f"{', '.join(repr(h.strip()) for h in header.fields)}; rename them or map them "
            f"under [sources.{source}.{table}] (see 'rostersync columns FILE')"
        )
    out = []
    width = len(header.fields)
    for row in records:
        values = {
            name: row.fields[i] if i < len(row.fields) else ""
            for name, i in matching.columns.items()
        }
        extra = [f for f in row.fields[width:] if f.strip()]
        if extra:
            values["__extra__"] = ",".join(extra)
        elif len(row.fields) < width:
            values["__short__"] = row.fields[-1] if row.fields else ""
        raw = tuple(f.strip() for f in row.fields)
        fix = corrections.get(_row_key(raw)) if corrections else None
        if fix is not None:
            values = {k: v for k, v in values.items() if not k.startswith("__")}
            values.update((k, v) for k, v in fix.fields.items() if k in FIELDS[kind])
        out.append(_Row(row.line, values, raw, fix))
    return matching, out, issues


def _row_key(raw: tuple[str, ...]) -> str:
    from plugins.roster_csv.store import row_key

    return row_key(raw)


class RosterCsvSource:
    """Reads a Backdrop students file, staff file, or both."""

    def __init__(
        self,
        options: RosterCsvOptions,
        context: PluginContext,
        *,
        saved: Callable[[Kind], Saved] | None = None,
    ) -> None:
        self.options = options
        self.context = context
        self.user_groups: UserGroups = options.user_groups_for(
            context.name, load_edits(context.state_url, context.name)
        )
        self._saved = saved or self._saved_in_state

    def _saved_in_state(self, kind: Kind) -> Saved:
        """The mappings and corrections the console's import saved for this source."""
        from plugins.roster_csv.store import read_saved

        return read_saved(self.context.database(None), self.context.name, kind)

    def close(self) -> None:
        """Each read opens and closes its files; nothing is held between reads."""

    def read(self) -> SourceRead:
        out = _Read()
        if self.options.students_file:
            self._students(out, self.options.students_file)
        if self.options.staff_file:
            self._staff(out, self.options.staff_file)
        name = self.context.name
        out.issues.extend(
            case_variants(out.groups, what="groups", source=name, file="", field="group")
        )
        out.issues.extend(
            case_variants(out.people, what="people", source=name, file="", field="id")
        )
        return SourceRead(
            roster=Roster.build(
                out.people.values(),
                out.groups.values(),
                out.memberships,
                out.grants,
                out.profiles,
                rejected_people=out.rejected_people - out.people.keys(),
            ),
            issues=tuple(out.issues),
            records=out.records,
            rejected=out.rejected,
        )

    def _rows(self, out: _Read, filename: str, kind: Kind) -> Iterator[tuple[Matching, _Row]]:
        path = self.context.resolve_path(filename)
        self.context.progress(f"reading {path}")
        mapping = self.options.student_columns if kind == "students" else self.options.staff_columns
        saved = self._saved(kind)
        matching, data, issues = load(
            path,
            filename,
            kind,
            mapping,
            source=self.context.name,
            cp1252=self.options.allow_windows_1252,
            settle_seconds=self.options.settle_seconds,
            layouts=saved.layouts,
            corrections=saved.corrections,
        )
        out.issues.extend(issues)
        for row in data:
            out.records += 1
            if row.corrected is not None:
                by = f" by {row.corrected.saved_by}" if row.corrected.saved_by else ""
                self._issue(
                    out,
                    Severity.WARNING,
                    filename,
                    row.line,
                    "",
                    "",
                    f"corrected by hand in the console{by}; the file still has the old values",
                )
            yield matching, row

    def _issue(
        self,
        out: _Read,
        severity: Severity,
        file: str,
        line: int,
        column: str,
        value: str,
        message: str,
    ) -> None:
        out.issues.append(
            Issue(
                severity,
                message,
                source=self.context.name,
                file=file,
                line=line,
                field=column,
                value=value,
            )
        )

    def _reject(self, out: _Read, file: str, m: Matching, row: _Row, exc: _Reject) -> None:
        out.rejected += 1
        column = m.label(exc.column) if exc.column in m.columns else exc.column
        self._issue(
            out, Severity.ERROR, file, row.line, column, exc.value, f"row rejected: {exc.reason}"
        )

    def _repeated(
        self,
        out: _Read,
        file: str,
        m: Matching,
        row: _Row,
        person_id: str,
        seen: dict[str, tuple[int, tuple[str, ...]]],
        clash: Callable[[int], _Reject],
    ) -> bool:
        """Whether an earlier row already gave ``person_id``: the very same row again is a
        duplicate (a warning); different details are rejected with ``clash(first line)``."""
        first = seen.get(person_id)
        if first is None:
            return False
        if first[1] == row.raw:
            self._issue(
                out,
                Severity.WARNING,
                file,
                row.line,
                "",
                person_id,
                f"duplicate of line {first[0]}; ignored",
            )
        else:
            self._reject(out, file, m, row, clash(first[0]))
        return True

    # -- students -----------------------------------------------------------
    def _students(self, out: _Read, file: str) -> None:
        seen: dict[str, tuple[int, tuple[str, ...]]] = {}
        for m, row in self._rows(out, file, "students"):
            try:
                person, identity = self._student(m, row)
            except _Reject as exc:
                self._reject(out, file, m, row, exc)
                guess = self._identity_guess(row)
                if guess:
                    out.rejected_people.add(guess)
                continue

            def clash(line: int, person_id: str = person.id, identity: str = identity) -> _Reject:
                what = (
                    f"UPN {person_id} is also on line {line} with different details"
                    if identity == "upn"
                    else f"same name and date of birth as line {line} but different details, "
                    "so both would get the same generated id; they are not merged. Give them "
                    "their UPNs"
                )
                return _Reject(identity, person_id, what)

            if self._repeated(out, file, m, row, person.id, seen, clash):
                continue
            seen[person.id] = (row.line, row.raw)
            out.people[person.id] = person
            for kind in self.options.groups:
                group = rules.group_for(kind, row.values.get(kind, ""))
                if group is None:
                    self._issue(
                        out,
                        Severity.WARNING,
                        file,
                        row.line,
                        m.label(kind),
                        "",
                        f"{FIELDS['students'][kind]} is empty; the student is in no such group",
                    )
                    continue
                out.groups.setdefault(group.key, group)
                out.memberships.add(Membership(group.key, person.id))

    def _student(self, m: Matching, row: _Row) -> tuple[Person, str]:
        v = row.values
        if "__extra__" in v:
            raise _Reject("", v["__extra__"], "more fields than the header has columns")
        if "__short__" in v:
            raise _Reject("", v["__short__"], _SHORT)
        first, surname = v["first_name"].strip(), v["surname"].strip()
        if not first:
            raise _Reject("first_name", "", "the first name is empty")
        if not surname:
            raise _Reject("surname", "", "the surname is empty")
        try:
            born = rules.date_of_birth(v["date_of_birth"], self.options.date_order)
        except rules.InvalidValue as exc:
            raise _Reject("date_of_birth", v["date_of_birth"], str(exc)) from None
        try:
            gender = rules.gender(v.get("gender", ""))
        except rules.InvalidValue as exc:
            raise _Reject("gender", v.get("gender", ""), str(exc)) from None
        try:
            upn = rules.upn(v.get("upn", ""))
        except rules.InvalidValue as exc:
            raise _Reject("upn", v.get("upn", ""), str(exc)) from None
        person = Person(
            rules.student_id(first, surname, born, upn),
            Role.STUDENT,
            given_name=first,
            family_name=surname,
            attributes={
                "date_of_birth": born.isoformat(),
                "gender": gender,
                "year_group": " ".join(v["year_group"].split()),
                "registration_group": " ".join(v["registration_group"].split()),
                "upn": upn,
            },
        )
        return person, "upn" if upn else "date_of_birth"

    def _identity_guess(self, row: _Row) -> str:
        """The id a rejected student row would have had, when that much is readable."""
        v = row.values
        try:
            upn = rules.upn(v.get("upn", ""))
            if upn:
                return upn
            born: date = rules.date_of_birth(v.get("date_of_birth", ""), self.options.date_order)
        except rules.InvalidValue:
            return ""
        first, surname = v.get("first_name", "").strip(), v.get("surname", "").strip()
        return rules.student_id(first, surname, born) if first and surname else ""

    # -- staff --------------------------------------------------------------
    def _staff(self, out: _Read, file: str) -> None:
        seen: dict[str, tuple[int, tuple[str, ...]]] = {}
        for m, row in self._rows(out, file, "staff"):
            try:
                person, groups = self._staff_member(m, row)
            except _Reject as exc:
                self._reject(out, file, m, row, exc)
                continue

            def clash(
                line: int, person_id: str = person.id, column: str = self._login_field(m)
            ) -> _Reject:
                return _Reject(
                    column,
                    person_id,
                    f"login {person_id!r} is also on line {line} with different details",
                )

            if self._repeated(out, file, m, row, person.id, seen, clash):
                continue
            if person.id in out.people:
                self._reject(
                    out,
                    file,
                    m,
                    row,
                    _Reject(
                        self._login_field(m),
                        person.id,
                        f"login {person.id!r} is also a student's id in "
                        f"{self.options.students_file}",
                    ),
                )
                continue
            seen[person.id] = (row.line, row.raw)
            out.people[person.id] = person
            profile, warning = self.user_groups.profile(person.id, row.values["user_group"])
            out.profiles.append(profile)
            if warning:
                self._issue(
                    out,
                    Severity.WARNING,
                    file,
                    row.line,
                    m.label("user_group"),
                    row.values["user_group"].strip(),
                    warning,
                )
            self._grant_registration_groups(out, file, m, row, person, groups)

    def _login_field(self, m: Matching) -> str:
        wanted = self.options.identity
        if wanted == "auto":
            return "username" if "username" in m.columns else "email"
        return "username" if wanted == "username" else "email"

    def _staff_member(self, m: Matching, row: _Row) -> tuple[Person, list[str]]:
        v = row.values
        if "__extra__" in v:
            raise _Reject("", v["__extra__"], "more fields than the header has columns")
        if "__short__" in v:
            raise _Reject("", v["__short__"], _SHORT)
        column = self._login_field(m)
        if column not in m.columns:
            raise SourceError(
                f"{self.options.staff_file}: identity = {self.options.identity!r} needs a "
                f"{FIELDS['staff'][column]!r} column; add it or map it under "
                f"[sources.{self.context.name}.staff_columns]"
            )
        login = v[column].strip()
        email = v.get("email", "").strip()
        if not login:
            raise _Reject(column, "", f"the {FIELDS['staff'][column]} is empty")
        if column == "email":
            if "@" not in login or login.startswith("@"):
                raise _Reject(column, login, "not an e-mail address")
            if self.options.identity == "email_local_part":
                login = login.split("@", 1)[0]
        first, surname = v["first_name"].strip(), v["surname"].strip()
        if not first:
            raise _Reject("first_name", "", "the first name is empty")
        if not surname:
            raise _Reject("surname", "", "the surname is empty")
        groups = [
            " ".join(part.split())
            for part in v.get("registration_group", "").replace(";", ",").split(",")
            if part.strip()
        ]
        person = Person(
            login,
            Role.TEACHER if groups else Role.STAFF,
            given_name=first,
            family_name=surname,
            email=email,
            attributes={
                "job_role": " ".join(v["job_role"].split()),
                "user_group": " ".join(v["user_group"].split()),
            },
        )
        return person, groups

    def _grant_registration_groups(
        self, out: _Read, file: str, m: Matching, row: _Row, person: Person, groups: list[str]
    ) -> None:
        if not groups:
            return
        column = m.label("registration_group")
        teaching = self.options.teaching_job_roles
        role = person.attributes["job_role"]
        if teaching is not None and role.casefold() not in {r.casefold() for r in teaching}:
            self._issue(
                out,
                Severity.WARNING,
                file,
                row.line,
                m.label("job_role"),
                role,
                f"job role {role!r} is not one of teaching_job_roles; no access is "
                f"given to {', '.join(groups)}",
            )
            return
        for name in groups:
            group = rules.group_for("registration_group", name)
            if group is None:  # pragma: no cover - blank parts are dropped above
                continue
            if group.key not in out.groups:
                self._issue(
                    out,
                    Severity.WARNING,
                    file,
                    row.line,
                    column,
                    name,
                    f"registration group {name!r} has no students"
                    + (
                        ""
                        if "registration_group" in self.options.groups
                        else " (registration groups do not make groups: see 'groups')"
                    )
                    + "; no access is given",
                )
                continue
            out.grants.add(AccessGrant(group.key, person.id))

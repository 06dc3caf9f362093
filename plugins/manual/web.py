"""The console's pages of the manual store: Enter by hand (students, staff and groups,
checked exactly as ``rostersync manual add-*`` checks them) for operators, and Blocked
children for admins. Entries are applied by the next sync of every sync that reads the
source."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import Response

from plugins.manual.entries import (
    Entry,
    FieldError,
    check_new,
    require_known,
    staff_entry,
    student_entry,
)
from plugins.manual.options import ManualOptions
from plugins.manual.store import ManualStore
from plugins.permissions import load_edits
from plugins.suggest import did_you_mean
from sync.api import (
    Person,
    Role,
    RostersyncError,
    WebContext,
    WebUser,
    web_context,
    web_form,
    web_user,
)

router = APIRouter()
Ctx = Annotated[WebContext, Depends(web_context)]
OperatorPage = Annotated[WebUser, Depends(web_user("operator"))]
OperatorForm = Annotated[WebUser, Depends(web_form("operator"))]
AdminPage = Annotated[WebUser, Depends(web_user("admin"))]
AdminForm = Annotated[WebUser, Depends(web_form("admin"))]
Text = Annotated[str, Form(max_length=200)]
PREFIX = "/p/manual"
STUDENT_FIELDS = (
    "first_name",
    "surname",
    "dob",
    "gender",
    "year_group",
    "registration_group",
    "upn",
)
STAFF_FIELDS = ("login", "first_name", "surname", "user_group", "job_role", "email")


@dataclass(frozen=True)
class Chosen:
    """The manual source a page is about, its options and its store."""

    name: str
    names: list[str]
    options: ManualOptions
    store: ManualStore

    def query(self) -> str:
        return f"?source={quote(self.name)}" if len(self.names) > 1 else ""


class NoManualSource(HTTPException):
    """No manual source is configured: the pages say so."""


NONE = (
    'No [sources.NAME] table with plugin = "manual" is configured, so nothing can be entered '
    "by hand; add one and list it in a sync's sources."
)


def _chosen(ctx: WebContext, source: str) -> Chosen:
    tables = sorted(ctx.config.plugin_tables("source", "manual"))
    if not tables:
        raise NoManualSource(404, "no manual source is configured")
    name = source or tables[0]
    if name not in tables:
        raise HTTPException(404, f"no manual source named {source!r}")
    options: ManualOptions = ctx.config.plugin_options("source", name)
    return Chosen(name, tables, options, ManualStore(ctx.config.database(options.url)))


def _entered(chosen: Chosen) -> dict[str, Entry]:
    return {e.id: e for e in chosen.store.contents().people}


@router.get("/entries")
def entered(request: Request, ctx: Ctx, user: OperatorPage, source: str = "") -> Response:
    try:
        chosen = _chosen(ctx, source)
    except NoManualSource:
        return ctx.render(request, "manual/none.html", title="Entered by hand", message=NONE)
    contents = chosen.store.contents()
    return ctx.render(
        request,
        "manual/entered.html",
        chosen=chosen,
        students=[e for e in contents.people if e.role is Role.STUDENT],
        staff=[e for e in contents.people if e.role is not Role.STUDENT],
        groups=contents.groups,
        members=contents.members,
        syncs=ctx.config.syncs_reading(chosen.name),
    )


# -- students and staff ---------------------------------------------------------
def _form_page(
    request: Request,
    ctx: WebContext,
    chosen: Chosen,
    kind: str,
    values: dict[str, str],
    *,
    original: str = "",
    error: FieldError | None = None,
) -> Response:
    groups = chosen.options.user_groups_for(chosen.name).names()
    return ctx.render(
        request,
        "manual/person_form.html",
        status_code=422 if error else 200,
        chosen=chosen,
        kind=kind,
        values=values,
        original=original,
        error=error,
        user_groups=groups,
    )


def _values(entry: Entry) -> dict[str, str]:
    a = entry.attributes
    if entry.role is Role.STUDENT:
        return {
            "first_name": entry.given_name,
            "surname": entry.family_name,
            "dob": a.get("date_of_birth", ""),
            "gender": {"M": "Male", "F": "Female"}.get(a.get("gender", ""), ""),
            "year_group": a.get("year_group", ""),
            "registration_group": a.get("registration_group", ""),
            "upn": a.get("upn", ""),
        }
    return {
        "login": entry.id,
        "first_name": entry.given_name,
        "surname": entry.family_name,
        "user_group": entry.user_group,
        "job_role": a.get("job_role", ""),
        "email": entry.email,
    }


def _by_ref(ctx: WebContext, chosen: Chosen, ref: str) -> Entry:
    found = next((e for e in _entered(chosen).values() if ctx.ref(e.id) == ref), None)
    if found is None:
        raise HTTPException(404, "no such manual entry")
    return found


@router.get("/{kind}/new")
def new_person(
    request: Request, ctx: Ctx, user: OperatorPage, kind: str, source: str = ""
) -> Response:
    if kind not in ("students", "staff"):
        raise HTTPException(404, "no such page")
    return _form_page(request, ctx, _chosen(ctx, source), kind, {})


@router.get("/{kind}/{ref}/edit")
def edit_person(
    request: Request, ctx: Ctx, user: OperatorPage, kind: str, ref: str, source: str = ""
) -> Response:
    chosen = _chosen(ctx, source)
    entry = _by_ref(ctx, chosen, ref)
    if kind != ("students" if entry.role is Role.STUDENT else "staff"):
        raise HTTPException(404, "no such manual entry")
    return _form_page(request, ctx, chosen, kind, _values(entry), original=ref)


@router.post("/students")
async def save_student(request: Request, ctx: Ctx, user: OperatorForm) -> Response:
    return await _save_person(request, ctx, user, "students")


@router.post("/staff")
async def save_staff(request: Request, ctx: Ctx, user: OperatorForm) -> Response:
    return await _save_person(request, ctx, user, "staff")


async def _save_person(request: Request, ctx: WebContext, user: WebUser, kind: str) -> Response:
    form = await request.form()
    chosen = _chosen(ctx, str(form.get("source", "")))
    fields = STUDENT_FIELDS if kind == "students" else STAFF_FIELDS
    values = {f: str(form.get(f, ""))[:200] for f in fields}
    ref = str(form.get("original", ""))
    entered = _entered(chosen)
    replacing = next((i for i in entered if ctx.ref(i) == ref), None) if ref else None
    try:
        if kind == "students":
            entry = student_entry(**values)
        else:
            groups = chosen.options.user_groups_for(
                chosen.name, load_edits(ctx.config.database(None), chosen.name)
            )
            entry = staff_entry(groups, **values)
        check_new(entry, entered, replacing=replacing)
    except FieldError as exc:
        return _form_page(request, ctx, chosen, kind, values, original=ref, error=exc)
    what = "student" if kind == "students" else "staff member"
    if replacing is None:
        chosen.store.put_person(entry)
        ctx.record(user, f"add {what}", detail=f"{chosen.name}: {entry.id}")
        done = f"Added {what} {entry.name} ({entry.id})."
    else:
        chosen.store.replace_person(replacing, entry)
        moved = f" (was {replacing})" if replacing != entry.id else ""
        ctx.record(user, f"edit {what}", detail=f"{chosen.name}: {entry.id}{moved}")
        done = f"Saved {what} {entry.name} ({entry.id}){moved}."
    return ctx.redirect(f"{PREFIX}/entries{chosen.query()}", done + " The next sync applies it.")


# -- groups and removal -----------------------------------------------------------
@router.post("/groups")
def add_group(
    ctx: Ctx, user: OperatorForm, key: Text = "", name: Text = "", source: Text = ""
) -> Response:
    chosen = _chosen(ctx, source)
    back = f"{PREFIX}/entries{chosen.query()}"
    key = " ".join(key.split())
    if not key:
        return ctx.redirect(back, "give the group a key (e.g. chess-club)", error=True)
    chosen.store.put_group(key, " ".join(name.split()) or key)
    ctx.record(user, "add group", detail=f"{chosen.name}: {key}")
    return ctx.redirect(back, f"Group {key} saved. The next sync applies it.")


@router.post("/members")
def add_member(
    ctx: Ctx, user: OperatorForm, group: Text = "", person: Text = "", source: Text = ""
) -> Response:
    chosen = _chosen(ctx, source)
    back = f"{PREFIX}/entries{chosen.query()}"
    contents = chosen.store.contents()
    people = {e.id: e for e in contents.people}
    known_groups = set(contents.groups)
    if group not in known_groups:  # a group of a source, or reg:FORM / year:N in use
        with suppress(RostersyncError):  # unreadable sources: only manual groups are known
            known_groups |= set(ctx.config.known().groups)
    if group not in known_groups:
        return ctx.redirect(
            back, f"unknown group {group!r}{did_you_mean(group, known_groups)}", error=True
        )
    if person not in people:
        return ctx.redirect(
            back, f"{person!r} is not entered here{did_you_mean(person, people)}", error=True
        )
    access = people[person].role is not Role.STUDENT
    chosen.store.put_member(group, person, access)
    ctx.record(user, "add member", detail=f"{chosen.name}: {person} to {group}")
    return ctx.redirect(
        back, f"{'Gave' if access else 'Added'} {person} {'access to' if access else 'to'} {group}."
    )


@router.post("/remove")
def remove(ctx: Ctx, user: OperatorForm, ref: Text = "", source: Text = "") -> Response:
    chosen = _chosen(ctx, source)
    contents = chosen.store.contents()
    keys = [e.id for e in contents.people] + list(contents.groups)
    key = next((k for k in keys if ctx.ref(k) == ref), None)
    back = f"{PREFIX}/entries{chosen.query()}"
    if key is None:
        return ctx.redirect(back, "nothing to remove", error=True)
    what = chosen.store.remove(key)
    ctx.record(user, f"remove {what}", detail=f"{chosen.name}: {key}")
    return ctx.redirect(back, f"Removed {what} {key}. The next sync applies it.")


# -- blocked children ------------------------------------------------------------
def _people(ctx: WebContext, chosen: Chosen) -> tuple[dict[str, Person], str]:
    """Everyone the sync knows (its sources now, and its target) plus the manual entries,
    and a note if the sync's people could not be read."""
    note = ""
    try:
        people = dict(ctx.config.known().people)
    except RostersyncError as exc:
        people = {}
        note = f"the sources could not be read ({exc}); only manual entries are offered"
    for entry in chosen.store.contents().people:
        people.setdefault(
            entry.id, Person(entry.id, entry.role, entry.given_name, entry.family_name)
        )
    return people, note


def _blocks_page(
    request: Request,
    ctx: WebContext,
    chosen: Chosen,
    *,
    values: dict[str, str] | None = None,
    error: FieldError | None = None,
) -> Response:
    people, note = _people(ctx, chosen)

    def name(person: str) -> str:
        found = people.get(person)
        full = f"{found.given_name} {found.family_name}".strip() if found else ""
        return full or person

    return ctx.render(
        request,
        "manual/blocks.html",
        status_code=422 if error else 200,
        chosen=chosen,
        blocks=chosen.store.contents().blocks,
        students=sorted(p for p, x in people.items() if x.role is Role.STUDENT),
        staff=sorted(p for p, x in people.items() if x.role is not Role.STUDENT),
        name=name,
        values=values or {},
        error=error,
        note=note,
    )


@router.get("/blocks")
def blocks(request: Request, ctx: Ctx, user: AdminPage, source: str = "") -> Response:
    try:
        chosen = _chosen(ctx, source)
    except NoManualSource:
        return ctx.render(request, "manual/none.html", title="Blocked children", message=NONE)
    return _blocks_page(request, ctx, chosen)


@router.post("/blocks")
def block(
    request: Request,
    ctx: Ctx,
    user: AdminForm,
    staff: Text = "",
    student: Text = "",
    reason: Text = "",
    source: Text = "",
) -> Response:
    chosen = _chosen(ctx, source)
    values = {"staff": staff.strip(), "student": student.strip(), "reason": reason.strip()}
    people, _ = _people(ctx, chosen)
    students = [p for p, x in people.items() if x.role is Role.STUDENT]
    staff_ids = [p for p, x in people.items() if x.role is not Role.STUDENT]
    try:
        require_known("staff member", "staff", values["staff"], staff_ids)
        require_known(
            "student", "student", values["student"], students,
            " (a typo would leave the child visible)",
        )  # fmt: skip
        if not values["reason"]:
            raise FieldError("reason", "give a reason, e.g. 'parent of the child'")
    except FieldError as exc:
        return _blocks_page(request, ctx, chosen, values=values, error=exc)
    chosen.store.put_block(values["staff"], values["student"], values["reason"])
    ctx.record(
        user,
        "block",
        detail=f"{chosen.name}: {values['student']} from {values['staff']} ({values['reason']})",
    )
    return ctx.redirect(
        f"{PREFIX}/blocks{chosen.query()}",
        f"Blocked {values['student']} from {values['staff']}; the next sync applies it.",
    )


@router.post("/blocks/lift")
def unblock(
    ctx: Ctx, user: AdminForm, staff: Text = "", student: Text = "", source: Text = ""
) -> Response:
    chosen = _chosen(ctx, source)
    back = f"{PREFIX}/blocks{chosen.query()}"
    if not chosen.store.remove_block(staff, student):
        return ctx.redirect(back, f"{student} is not blocked from {staff}", error=True)
    ctx.record(user, "unblock", detail=f"{chosen.name}: {student} for {staff}")
    return ctx.redirect(
        back, f"Lifted the block of {student} for {staff}; the next sync applies it."
    )

"""The spreadsheet import (the Backdrop flow) as console pages, under ``/p/roster_csv``:
download a template, upload a CSV, match its columns, check its rows and fix the rejected
ones in place, complete (install the file and sync). Imported only by the console."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, UploadFile
from fastapi.responses import Response
from fastapi.routing import APIRoute

from plugins.roster_csv.check import Checked, check, context_for, headers_of, saved_for
from plugins.roster_csv.columns import (
    FIELDS,
    STAFF_ONE_OF,
    STAFF_REQUIRED,
    STUDENT_REQUIRED,
    Kind,
    fold,
    layout_key,
    match,
    suggest,
    template_bytes,
)
from plugins.roster_csv.imports import Fix, Imports, Refused, Staged
from plugins.roster_csv.source import RosterCsvOptions, read_table
from plugins.roster_csv.store import Correction, ImportStore
from sync.api import (
    ConfigError,
    PluginContext,
    SourceError,
    WebContext,
    WebUser,
    web_context,
    web_form,
    web_user,
)

PREFIX = "/p/roster_csv"
KINDS: tuple[Kind, ...] = ("students", "staff")
SHOWN_GOOD_ROWS = 50
FORM_SLACK = 64 * 1024
"""Bytes a multipart upload carries besides the file (boundaries, the other fields)."""

Ctx = Annotated[WebContext, Depends(web_context)]
Viewer = Annotated[WebUser, Depends(web_user("viewer"))]
Operator = Annotated[WebUser, Depends(web_user("operator"))]
OperatorForm = Annotated[WebUser, Depends(web_form("operator"))]


# -- the configuration ---------------------------------------------------------------
def sources(ctx: WebContext) -> dict[str, RosterCsvOptions]:
    """The configured roster_csv sources and their validated options."""
    out = {}
    for name in ctx.config.plugin_tables("source", "roster_csv"):
        options = ctx.config.plugin_options("source", name)
        if isinstance(options, RosterCsvOptions):
            out[name] = options
    return out


def kinds_of(options: RosterCsvOptions) -> list[Kind]:
    return [
        kind
        for kind in KINDS
        if (options.students_file if kind == "students" else options.staff_file)
    ]


def file_of(options: RosterCsvOptions, kind: Kind) -> str:
    found = options.students_file if kind == "students" else options.staff_file
    if not found:
        raise HTTPException(404, f"this source has no {kind} file")
    return found


def imports(ctx: WebContext) -> Imports:
    """Imports are staged in a private folder beside the configuration."""
    return Imports(Path(ctx.config.config_file).parent / ".rostersync" / "imports")


def plugin_context(ctx: WebContext, source: str) -> PluginContext:
    syncs = ctx.config.syncs_reading(source)
    return context_for(
        source,
        syncs[0] if syncs else "",
        Path(ctx.config.config_file).parent,
        ctx.config.database(None),
    )


def _staged(ctx: WebContext, import_id: str, user: WebUser) -> tuple[Staged, RosterCsvOptions]:
    staged = imports(ctx).get(import_id, user.name)
    if staged is None:
        raise HTTPException(404, "no such import (an import belongs to who uploaded it)")
    options = sources(ctx).get(staged.source)
    if options is None:
        raise HTTPException(404, f"the source {staged.source!r} is no longer configured")
    return staged, options


def _columns(options: RosterCsvOptions, kind: Kind) -> dict[str, str]:
    return dict(options.student_columns if kind == "students" else options.staff_columns)


def _upload_limit(ctx: WebContext) -> int:
    found = [o.upload_max_mb for o in sources(ctx).values()]
    return int(max(found, default=20) * 1_000_000) + FORM_SLACK


class _LimitedUpload(APIRoute):
    """A route whose request body may not be bigger than the biggest upload a roster_csv
    source accepts: refused from its Content-Length before anything is read, and cut off
    while it is read when it has none (so a huge upload never fills the disk)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = _upload_limit(web_context(request))
            too_big = HTTPException(
                413, f"the file is bigger than the limit of {limit // 1_000_000} MB"
            )
            length = request.headers.get("content-length", "")
            if length.isdigit() and int(length) > limit:
                raise too_big
            received = 0
            receive = request.receive

            async def counted() -> Any:
                nonlocal received
                message = await receive()
                received += len(message.get("body", b""))
                if received > limit:
                    raise too_big
                return message

            return await handler(Request(request.scope, counted))

        return limited


router = APIRouter(tags=["import a spreadsheet"])
uploads = APIRouter(route_class=_LimitedUpload)


# -- step 1: the templates and the upload --------------------------------------------
@router.get("/template/{kind}.csv")
def template(ctx: Ctx, user: Viewer, kind: str) -> Response:
    if kind not in KINDS:
        raise HTTPException(404, "templates: students or staff")
    return Response(
        template_bytes(kind),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{kind}.csv"'},
    )


@router.get("/import")
def start(request: Request, ctx: Ctx, user: Operator, source: str = "", kind: str = "") -> Response:
    found = sources(ctx)
    chosen = source if source in found else next(iter(found), "")
    options = found.get(chosen)
    available = kinds_of(options) if options else []
    wanted: Kind | None = next((k for k in available if k == kind), None)
    return ctx.render(
        request,
        "roster_csv/upload.html",
        sources=found,
        source=chosen,
        kinds=available,
        kind=wanted or (available[0] if available else "students"),
        limit_mb=f"{options.upload_max_mb:g}" if options else "20",
        syncs=ctx.config.syncs_reading(chosen) if chosen else [],
        pending=imports(ctx).mine(user.name),
        step="upload",
    )


@uploads.post("/import")
def upload(
    ctx: Ctx,
    user: OperatorForm,
    file: UploadFile,
    source: Annotated[str, Form(max_length=200)],
    kind: Annotated[str, Form(max_length=20)],
) -> Response:
    back = f"{PREFIX}/import?source={source}&kind={kind}"
    options = sources(ctx).get(source)
    if options is None or kind not in kinds_of(options):
        raise HTTPException(404, "no such roster_csv source or file")
    chosen: Kind = "students" if kind == "students" else "staff"
    store = imports(ctx)
    try:
        staged = store.create(
            source=source,
            kind=chosen,
            user=user.name,
            filename=file.filename or "",
            data=file.file,
            limit=int(options.upload_max_mb * 1_000_000),
        )
    except Refused as exc:
        return ctx.redirect(back, str(exc), error=True)
    try:
        headers = headers_of(store.upload_path(staged), options)
    except SourceError as exc:
        store.discard(staged)
        message = str(exc).replace(str(store.upload_path(staged)), staged.filename)
        return ctx.redirect(back, message, error=True)
    ctx.record(user, "import upload", detail=f"{source} {kind}: {staged.filename}")
    saved = saved_for(plugin_context(ctx, source), chosen).layouts.get(layout_key(headers))
    if saved is not None:
        mapping = {**_columns(options, chosen), **saved}
        if match(headers, chosen, mapping).complete:
            full = {h: _field_of(h, headers, chosen, mapping) for h in headers}
            store.save(replace(staged, mapping=full))
            return ctx.redirect(
                f"{PREFIX}/import/{staged.id}/check",
                "these columns were matched as the last import with the same headers; "
                "change them under Match columns",
            )
    return ctx.redirect(f"{PREFIX}/import/{staged.id}/columns")


def _field_of(header: str, headers: list[str], kind: Kind, mapping: dict[str, str]) -> str:
    matching = match(headers, kind, mapping)
    index = headers.index(header)
    return next((name for name, i in matching.columns.items() if i == index), "")


# -- step 2: match the columns -------------------------------------------------------
def _samples(path: Path, options: RosterCsvOptions, width: int) -> list[list[str]]:
    """The first three values of each column, to recognise it by."""
    _, records, _ = read_table(path, path.name, source="import", cp1252=options.allow_windows_1252)
    out: list[list[str]] = [[] for _ in range(width)]
    for row in records[:3]:
        for i in range(width):
            if i < len(row.fields) and row.fields[i].strip():
                out[i].append(row.fields[i].strip())
    return out


def _columns_page(
    request: Request,
    ctx: WebContext,
    staged: Staged,
    options: RosterCsvOptions,
    chosen: dict[int, str] | None = None,
    problems: list[str] | None = None,
) -> Response:
    path = imports(ctx).upload_path(staged)
    headers = headers_of(path, options)
    kind = staged.kind
    mapping = {**_columns(options, kind), **(staged.mapping or {})}
    saved = saved_for(plugin_context(ctx, staged.source), kind).layouts.get(layout_key(headers))
    if saved and staged.mapping is None:
        mapping.update(saved)
    matching = match(headers, kind, mapping)
    by_index = {i: name for name, i in matching.columns.items()}
    taken = set(by_index.values())
    columns = []
    for i, header in enumerate(headers):
        field = by_index.get(i, "")
        suggestion = ""
        if not field and header.casefold() not in {h.casefold() for h in mapping}:
            guess = suggest(header, kind)
            if guess and guess not in taken:
                suggestion = field = guess
                taken.add(guess)
        if chosen is not None:
            field = chosen.get(i, "")
        columns.append({"index": i, "header": header, "field": field, "suggested": suggestion})
    required = STUDENT_REQUIRED if kind == "students" else STAFF_REQUIRED
    return ctx.render(
        request,
        "roster_csv/columns.html",
        status_code=400 if problems else 200,
        staged=staged,
        columns=columns,
        samples=_samples(path, options, len(headers)),
        fields=FIELDS[kind],
        required=[FIELDS[kind][name] for name in required],
        one_of=[FIELDS[kind][name] for name in STAFF_ONE_OF] if kind == "staff" else [],
        problems=problems or [],
        step="columns",
    )


@router.get("/import/{import_id}/columns")
def columns(request: Request, ctx: Ctx, user: Operator, import_id: str) -> Response:
    staged, options = _staged(ctx, import_id, user)
    if staged.completed is not None:
        return ctx.redirect(f"{PREFIX}/import/{staged.id}/done")
    return _columns_page(request, ctx, staged, options)


async def _form(request: Request) -> dict[str, str]:
    """A form whose field names depend on the file (``col-3``, ``f-surname``)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


Fields = Annotated[dict[str, str], Depends(_form)]


@router.post("/import/{import_id}/columns")
def choose_columns(
    request: Request, ctx: Ctx, user: OperatorForm, import_id: str, form: Fields
) -> Response:
    staged, options = _staged(ctx, import_id, user)
    if staged.completed is not None:
        return ctx.redirect(f"{PREFIX}/import/{staged.id}/done")
    headers = headers_of(imports(ctx).upload_path(staged), options)
    fields = FIELDS[staged.kind]
    chosen: dict[int, str] = {}
    for i in range(len(headers)):
        value = str(form.get(f"col-{i}", ""))
        chosen[i] = value if value in fields else ""
    problems = []
    mapping: dict[str, str] = {}
    for i, header in enumerate(headers):
        if fold(header) in {fold(h) for h in mapping}:
            problems.append(f"two columns are headed {header!r}; rename one in the file")
        mapping[header] = chosen[i]
    for name in fields:
        picked = [headers[i] for i, f in chosen.items() if f == name]
        if len(picked) > 1:
            problems.append(
                f"{fields[name]} is chosen for {len(picked)} columns "
                f"({', '.join(map(repr, picked))}); choose it for one"
            )
    matching = match(headers, staged.kind, mapping)
    if matching.missing:
        problems.append(f"choose a column for {', '.join(matching.missing)}")
    if problems:
        return _columns_page(request, ctx, staged, options, chosen, problems)
    imports(ctx).save(replace(staged, mapping=mapping))
    return ctx.redirect(f"{PREFIX}/import/{staged.id}/check")


# -- step 3: check, and fix rows in place -----------------------------------------------
def _checked(ctx: WebContext, staged: Staged, options: RosterCsvOptions) -> Checked:
    fixes = {
        key: Correction(fix.fields, fix.line, staged.user) for key, fix in staged.fixes.items()
    }
    return check(
        options,
        plugin_context(ctx, staged.source),
        staged.kind,
        imports(ctx).upload_path(staged),
        mapping=staged.mapping or {},
        fixes=fixes,
    )


@router.get("/import/{import_id}/check")
def check_page(request: Request, ctx: Ctx, user: Operator, import_id: str) -> Response:
    staged, options = _staged(ctx, import_id, user)
    if staged.completed is not None:
        return ctx.redirect(f"{PREFIX}/import/{staged.id}/done")
    if staged.mapping is None:
        return ctx.redirect(f"{PREFIX}/import/{staged.id}/columns")
    try:
        checked = _checked(ctx, staged, options)
    except (SourceError, ConfigError) as exc:
        return ctx.redirect(f"{PREFIX}/import/{staged.id}/columns", str(exc), error=True)
    to_fix = [row for row in checked.rows if row.rejected or row.corrected]
    good = [row for row in checked.rows if not row.rejected and not row.corrected]
    fields = [name for name in FIELDS[staged.kind] if name in checked.matching.columns]
    return ctx.render(
        request,
        "roster_csv/check.html",
        staged=staged,
        checked=checked,
        to_fix=to_fix,
        good=good[:SHOWN_GOOD_ROWS],
        more=max(len(good) - SHOWN_GOOD_ROWS, 0),
        fields=fields,
        labels=FIELDS[staged.kind],
        matching=checked.matching,
        syncs=ctx.config.syncs_reading(staged.source),
        step="check",
    )


@router.post("/import/{import_id}/rows/{line}")
def fix_row(ctx: Ctx, user: OperatorForm, import_id: str, line: int, form: Fields) -> Response:
    """The pencil: the row's corrected values, kept with the import (and saved for the
    source when it completes, so the next upload of the same row gets them too)."""
    staged, options = _staged(ctx, import_id, user)
    if staged.completed is not None or staged.mapping is None:
        raise HTTPException(409, "this import is not at its check step")
    checked = _checked(ctx, staged, options)
    row = next((r for r in checked.rows if r.line == line), None)
    if row is None:
        raise HTTPException(404, f"no row on line {line}")
    fields = {
        name: " ".join(str(form.get(f"f-{name}", "")).split())[:200]
        for name in FIELDS[staged.kind]
        if name in checked.matching.columns
    }
    fixes = {**staged.fixes, row.key: Fix(fields, line)}
    imports(ctx).save(replace(staged, fixes=fixes))
    return ctx.redirect(
        f"{PREFIX}/import/{staged.id}/check#line-{line}",
        f"line {line} corrected by hand; Complete keeps the correction for this source",
    )


@router.post("/import/{import_id}/rows/{line}/undo")
def undo_fix(ctx: Ctx, user: OperatorForm, import_id: str, line: int) -> Response:
    staged, _ = _staged(ctx, import_id, user)
    fixes = {key: fix for key, fix in staged.fixes.items() if fix.line != line}
    imports(ctx).save(replace(staged, fixes=fixes))
    return ctx.redirect(
        f"{PREFIX}/import/{staged.id}/check#line-{line}", f"line {line}: as in the file again"
    )


@router.post("/import/{import_id}/cancel")
def cancel(ctx: Ctx, user: OperatorForm, import_id: str) -> Response:
    staged, _ = _staged(ctx, import_id, user)
    if staged.completed is None:
        imports(ctx).discard(staged)
    return ctx.redirect(
        f"{PREFIX}/import?source={staged.source}&kind={staged.kind}",
        "import cancelled; nothing was changed",
    )


# -- step 4: complete -------------------------------------------------------------------
@router.post("/import/{import_id}/complete")
def complete(ctx: Ctx, user: OperatorForm, import_id: str) -> Response:
    """Install the file where the source reads it (whole), keep the mapping and the
    corrections, and sync every sync that reads the source (through its guards)."""
    staged, options = _staged(ctx, import_id, user)
    here = f"{PREFIX}/import/{staged.id}"
    if staged.completed is not None:
        return ctx.redirect(f"{here}/done")
    if staged.mapping is None:
        return ctx.redirect(f"{here}/columns")
    store = imports(ctx)
    context = plugin_context(ctx, staged.source)
    syncs = ctx.config.syncs_reading(staged.source)
    try:
        with store.completing(staged.source):
            busy = [sync for sync in syncs if ctx.busy(sync)]
            if busy:
                raise Refused(
                    f"a run of sync {busy[0]!r} is in progress; your import is kept: "
                    "complete it again when the run has finished"
                )
            headers = headers_of(store.upload_path(staged), options)
            ImportStore(context.database(None)).save(
                staged.source,
                staged.kind,
                layout=layout_key(headers),
                mapping=staged.mapping,
                corrections={
                    key: Correction(fix.fields, fix.line, user.name)
                    for key, fix in staged.fixes.items()
                },
                user=user.name,
            )
            target = context.resolve_path(file_of(options, staged.kind))
            store.install(staged, target)
            runs: dict[str, int | None] = {}
            messages, notes = [], []
            for sync in syncs:
                started = ctx.start_sync(sync, user)
                runs[sync] = started.run_id if started.started else None
                messages.append(started.message)
                if not started.started:
                    notes.append(f"sync {sync!r}: {started.message}; the next run reads the file")
    except Refused as exc:
        return ctx.redirect(f"{here}/check", str(exc), error=True)
    if not syncs:
        notes.append(
            f"no sync lists the source {staged.source!r} in its sources, so nothing was "
            "synced; the file is in place for when one does"
        )
    store.completed(staged, runs, "; ".join(notes))
    ctx.record(
        user,
        "import complete",
        sync=", ".join(syncs),
        detail=f"{staged.source} {staged.kind}: {staged.filename}, {len(staged.fixes)} fixed",
    )
    return ctx.redirect(f"{here}/done", "; ".join(messages + notes))


def _results(ctx: WebContext, staged: Staged) -> list[dict[str, Any]]:
    out = []
    for sync, run_id in staged.runs.items():
        progress = ctx.progress(sync)
        running = (
            run_id is not None
            and progress is not None
            and progress.run_id == run_id
            and ctx.busy(sync)
        )
        out.append(
            {
                "sync": sync,
                "run_id": run_id,
                "running": running,
                "percent": round(100 * progress.fraction) if running and progress else None,
                "step": progress.step if running and progress else "",
                "summary": ctx.run(run_id) if run_id is not None and not running else None,
            }
        )
    return out


@router.get("/import/{import_id}/done")
def done(request: Request, ctx: Ctx, user: Operator, import_id: str) -> Response:
    staged, options = _staged(ctx, import_id, user)
    if staged.completed is None:
        return ctx.redirect(f"{PREFIX}/import/{staged.id}/check")
    return ctx.render(
        request,
        "roster_csv/done.html",
        staged=staged,
        results=_results(ctx, staged),
        staff_next=staged.kind == "students" and "staff" in kinds_of(options),
        step="done",
    )


@router.get("/import/{import_id}/progress")
def progress(request: Request, ctx: Ctx, user: Operator, import_id: str) -> Response:
    """The result cards alone, polled by the done page while a run is in progress."""
    staged, _ = _staged(ctx, import_id, user)
    return ctx.render(request, "roster_csv/_results.html", results=_results(ctx, staged))


router.include_router(uploads)

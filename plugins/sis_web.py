"""The routes of the SIS integration settings pages (``plugins.sis_settings``), made once
per plugin when the console starts."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Request
from fastapi.responses import Response

from plugins.sis_settings import Describe
from sync.api import WebContext, WebUser, web_context, web_form, web_user

Ctx = Annotated[WebContext, Depends(web_context)]
Viewer = Annotated[WebUser, Depends(web_user("viewer"))]
Operator = Annotated[WebUser, Depends(web_form("operator"))]


def settings_router(plugin: str, title: str, describe: Describe) -> APIRouter:
    router = APIRouter()

    def tables(ctx: WebContext) -> list[str]:
        return sorted(ctx.config.plugin_tables("source", plugin))

    def page(request: Request, ctx: WebContext, source: str) -> Response:
        names = tables(ctx)
        if not names:
            return ctx.render(
                request, f"{plugin}/sis.html", plugin=plugin, title=title, names=[], source=""
            )
        if source not in names:
            raise HTTPException(404, f"no {plugin} source named {source!r}")
        options = ctx.config.plugin_options("source", source)
        syncs = ctx.config.syncs_reading(source)
        return ctx.render(
            request,
            f"{plugin}/sis.html",
            plugin=plugin,
            title=title,
            names=names,
            source=source,
            settings=describe(ctx.config, source, options),
            syncs=syncs,
            busy={s: ctx.busy(s) for s in syncs},
        )

    @router.get("/")
    def first(request: Request, ctx: Ctx, user: Viewer) -> Response:
        names = tables(ctx)
        return page(request, ctx, names[0] if names else "")

    @router.get("/{source}")
    def one(request: Request, ctx: Ctx, user: Viewer, source: str) -> Response:
        return page(request, ctx, source)

    @router.post("/{source}/import")
    def import_groups(ctx: Ctx, user: Operator, source: str) -> Response:
        if source not in tables(ctx):
            raise HTTPException(404, f"no {plugin} source named {source!r}")
        back = f"/p/{plugin}/{quote(source)}"
        syncs = ctx.config.syncs_reading(source)
        if not syncs:
            return ctx.redirect(back, f"no sync lists {source!r} in its sources", error=True)
        messages = []
        last = None
        for sync in syncs:
            started = ctx.start_sync(sync, user)
            messages.append(started.message)
            last = started.run_id if started.started else last
        failed = not last
        target = f"/runs/{last}" if last and len(syncs) == 1 else back
        return ctx.redirect(target, " ".join(messages), error=failed)

    return router

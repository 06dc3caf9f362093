"""The test plugin's routes, written only against ``sync.api``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from sync.api import WebContext, WebUser, web_context, web_form, web_user

router = APIRouter()
Ctx = Annotated[WebContext, Depends(web_context)]


@router.get("/")
def hello(request: Request, ctx: Ctx, user: Annotated[WebUser, Depends(web_user())]) -> Response:
    return ctx.render(request, "hello/hello.html", who=user.name, syncs=ctx.syncs)


@router.get("/admin")
def admin(
    request: Request, ctx: Ctx, user: Annotated[WebUser, Depends(web_user("admin"))]
) -> Response:
    return ctx.render(request, "hello/hello.html", who=f"admin {user.name}", syncs=[])


@router.post("/admin/note")
def note(
    ctx: Ctx,
    user: Annotated[WebUser, Depends(web_form("admin"))],
    text: Annotated[str, Form(max_length=100)] = "",
) -> Response:
    ctx.record(user, "hello note", detail=text)
    return ctx.redirect("/p/hello/admin", f"noted {text}")

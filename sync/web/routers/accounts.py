"""Accounts (admins only): add one, change a role, remove one; and the record of who
did what in the console."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from sync.web.accounts import AccountError, WebRole
from sync.web.deps import Admin, AdminAction, ConsoleDep, redirect

router = APIRouter(tags=["accounts"])


@router.get("/accounts")
def accounts(request: Request, ctx: ConsoleDep, user: Admin) -> Response:
    return ctx.render(
        request,
        "accounts.html",
        accounts=ctx.accounts.all(),
        roles=[r.value for r in WebRole],
        audit=ctx.accounts.audit(100),
    )


@router.post("/accounts")
def add_account(
    ctx: ConsoleDep,
    user: AdminAction,
    name: Annotated[str, Form(max_length=64)] = "",
    role: Annotated[str, Form(max_length=20)] = "viewer",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    try:
        ctx.accounts.add(name, role, password)
    except AccountError as exc:
        return redirect(ctx, "/accounts", str(exc), error=True)
    ctx.accounts.record(user.name, "add account", detail=f"{name} as {role}")
    return redirect(ctx, "/accounts", f"Account {name} added as {role}.")


@router.post("/accounts/{name}/role")
def change_role(
    ctx: ConsoleDep,
    user: AdminAction,
    name: str,
    role: Annotated[str, Form(max_length=20)] = "viewer",
) -> Response:
    if name == user.name:
        return redirect(ctx, "/accounts", "You cannot change your own role.", error=True)
    try:
        ctx.accounts.set_role(name, role)
    except AccountError as exc:
        return redirect(ctx, "/accounts", str(exc), error=True)
    ctx.accounts.record(user.name, "change role", detail=f"{name} to {role}")
    return redirect(ctx, "/accounts", f"{name} is now {role}.")


@router.post("/accounts/{name}/remove")
def remove_account(ctx: ConsoleDep, user: AdminAction, name: str) -> Response:
    if name == user.name:
        return redirect(ctx, "/accounts", "You cannot remove your own account.", error=True)
    ctx.accounts.remove(name)
    ctx.accounts.record(user.name, "remove account", detail=name)
    return redirect(ctx, "/accounts", f"Account {name} removed.")

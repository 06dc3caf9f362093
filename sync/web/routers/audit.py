"""The audit page (admins only): who did what in the console and when, filterable by
account, action, sync and words of the detail, newest first, a page at a time."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from sync.web.accounts import AuditQuery
from sync.web.deps import Admin, ConsoleDep

router = APIRouter(tags=["audit"])
PAGE = 50


@router.get("/audit")
def audit(
    request: Request,
    ctx: ConsoleDep,
    user: Admin,
    who: Annotated[str, Query(max_length=64)] = "",
    action: Annotated[str, Query(max_length=100)] = "",
    sync: Annotated[str, Query(max_length=200)] = "",
    q: Annotated[str, Query(max_length=200)] = "",
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    query = AuditQuery(user=who, action=action, sync=sync, text=q.strip())
    entries, total = ctx.accounts.audit_page(query, page=page, per_page=PAGE)
    pages = max(1, -(-total // PAGE))
    filters = {"who": who, "action": action, "sync": sync, "q": q}
    return ctx.render(
        request,
        "audit.html",
        entries=entries,
        total=total,
        page=page,
        pages=pages,
        choices=ctx.accounts.audit_choices(),
        filters=filters,
        link=lambda n: (
            "/audit?" + urlencode({**{k: v for k, v in filters.items() if v}, "page": n})
        ),
    )

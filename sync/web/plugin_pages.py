"""Plugins' console pages (``register_web_pages``): their routers mounted under their
prefixes, their templates beside the console's, their nav links; and what their route
handlers are handed, through ``sync.api``: ``WebContext``, ``WebUser`` and the
dependencies ``web_context``, ``web_user(role)`` and ``web_form(role)``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, PrefixLoader

from sync.command_context import CommandContext
from sync.model import RunSummary
from sync.plugins import PluginSystem
from sync.web.accounts import WebRole
from sync.web.deps import Console, SignedIn, acting, redirect, require
from sync.web.runner import Progress, Started
from sync.web_pages import WebPages

log = logging.getLogger(__name__)

WebUser = SignedIn
"""The signed-in user: ``name``, ``role`` and ``can("operator")``."""


@dataclass(frozen=True)
class NavLink:
    """A plugin's link in the top bar, its path made absolute."""

    title: str
    href: str
    role: str


@dataclass(frozen=True)
class Mounted:
    """The plugins' pages whose routers were made: to mount, with their templates and links."""

    routers: tuple[tuple[str, APIRouter], ...] = ()
    templates: tuple[tuple[str, Path], ...] = ()
    links: tuple[NavLink, ...] = ()


def make_routers(plugins: PluginSystem) -> Mounted:
    """Call each plugin's router factory; one that raises (or returns no ``APIRouter``) is
    recorded as a plugin failure and left out, and the console starts without it."""
    routers: list[tuple[str, APIRouter]] = []
    templates: list[tuple[str, Path]] = []
    links: list[NavLink] = []
    for prefix, pages in plugins.web_pages.items():
        try:
            router = _router(pages)
            if pages.templates is not None and not pages.templates.is_dir():
                raise FileNotFoundError(f"no templates folder {pages.templates}")
        except Exception as exc:
            plugins.web_failure(prefix, exc)
            continue
        routers.append((prefix, router))
        if pages.templates is not None:
            templates.append((pages.plugin, pages.templates))
        links += [NavLink(link.title, prefix + link.path, link.role) for link in pages.links]
    return Mounted(tuple(routers), tuple(templates), tuple(links))


def _router(pages: WebPages) -> APIRouter:
    """The pages' router (``WebPages.make_router``); anything but an ``APIRouter`` is
    refused."""
    router = pages.make_router()
    if not isinstance(router, APIRouter):
        made = f"{pages.router} is a" if isinstance(pages.router, str) else "router() returned"
        raise TypeError(f"{made} {type(router).__name__}, not an APIRouter")
    return router


def template_loader(console_dir: Path, mounted: Mounted) -> BaseLoader:
    """The console's templates, then each plugin's under ``PLUGIN/``."""
    prefixed: dict[str, BaseLoader] = {
        name: FileSystemLoader(str(folder)) for name, folder in mounted.templates
    }
    return ChoiceLoader([FileSystemLoader(str(console_dir)), PrefixLoader(prefixed)])


def mount(api: FastAPI, mounted: Mounted) -> None:
    for prefix, router in mounted.routers:
        api.include_router(router, prefix=prefix)


class WebContext:
    """What a plugin's page is handed: the configuration, the console's runner, templates,
    messages and audit record. Take it with ``Annotated[WebContext, Depends(web_context)]``."""

    def __init__(self, console: Console) -> None:
        self._console = console

    @property
    def config(self) -> CommandContext:
        """The configuration as plugin commands see it (``plugin_tables``,
        ``plugin_options``, ``database``, ``syncs_reading``, ...), re-read by a daemon."""
        return self._console.app()

    @property
    def syncs(self) -> list[str]:
        """The configured syncs' names."""
        return list(self._console.app().config.syncs)

    def render(
        self, request: Request, template: str, status_code: int = 200, **context: Any
    ) -> Response:
        """A page from ``template`` (``PLUGIN/NAME.html``; ``base.html`` to extend), with
        ``user``, ``csrf_field`` and the one-time message in its context."""
        return self._console.render(request, template, status_code, **context)

    def redirect(self, url: str, message: str = "", *, error: bool = False) -> Response:
        """A 303 to ``url``, with a message shown once by the next page."""
        return redirect(self._console, url, message, error=error)

    def start_sync(self, sync: str, user: WebUser) -> Started:
        """Start a run of ``sync`` now, as **Sync now** does (the run lock, the guards, which
        may hold it); ``started``, ``message`` and ``run_id`` say what happened."""
        if sync not in self.syncs:
            return Started(False, f"no sync named {sync!r}")
        return self._console.runner.start(sync, user.name)

    def progress(self, sync: str) -> Progress | None:
        """The live step and ``fraction`` (0 to 1) of a run started here, if any."""
        return self._console.runner.progress(sync)

    def run(self, run_id: int) -> RunSummary | None:
        """A recorded run's summary (status, counts, issues, error), to show a result."""
        found = self._console.app().store.run(run_id)
        return found.summary if found is not None else None

    def busy(self, sync: str) -> bool:
        """Whether a run of ``sync`` started here is still going."""
        return self._console.runner.busy(sync)

    def record(self, user: WebUser | str, action: str, *, sync: str = "", detail: str = "") -> None:
        """Add to the console's audit record: who did what (and to which sync)."""
        name = user if isinstance(user, str) else user.name
        self._console.accounts.record(name, action, sync=sync, detail=detail)

    def ref(self, value: str) -> str:
        """An opaque reference to an id for a URL, so that no name lands in one."""
        return self._console.ref(value)


def web_context(request: Request) -> WebContext:
    """The dependency giving a page its ``WebContext``."""
    console: Console = request.app.state.console
    return WebContext(console)


def _role(role: str) -> WebRole:
    try:
        return WebRole(role)
    except ValueError:
        raise ValueError(f"role must be viewer, operator or admin, not {role!r}") from None


def web_user(role: str = "viewer") -> Callable[..., WebUser]:
    """A dependency for a page, ``Annotated[WebUser, Depends(web_user("operator"))]``:
    the signed-in user, who must have at least ``role``
    (else 403); not signed in: to the sign-in page."""
    return require(_role(role))


def web_form(role: str = "viewer") -> Callable[..., WebUser]:
    """A dependency for an action (a POST), ``Depends(web_form("admin"))``: as
    ``web_user``, and the form must carry the session's CSRF token
    (``{% include "_csrf.html" %}`` in the form), else 403."""
    return acting(_role(role))

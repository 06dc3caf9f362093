"""What a plugin offers the admin console: pages (a router made when the console starts),
their templates and nav links. Light on purpose: importing it loads no web framework, so
``register_web_pages`` costs the command line nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sync.kinds import import_ref

if TYPE_CHECKING:
    from fastapi import APIRouter

ROLES = ("viewer", "operator", "admin")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,62}$")
_PREFIX = re.compile(r"^/p/[a-z0-9][a-z0-9_/-]{0,120}$")


@dataclass(frozen=True)
class WebLink:
    """A link in the console's top bar, shown to users with at least ``role``."""

    title: str
    path: str = ""
    """Below the pages' prefix: ``"/import"`` is ``/p/PLUGIN/import``; ``""`` the prefix."""
    role: str = "viewer"

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"web link {self.title!r}: role must be one of {', '.join(ROLES)}")
        if self.path and not self.path.startswith("/"):
            raise ValueError(f"web link {self.title!r}: path must start with '/' (or be empty)")


@dataclass(frozen=True)
class WebPages:
    """One plugin's console pages, mounted under ``prefix`` (default ``/p/PLUGIN``)."""

    plugin: str
    """A short name, ``[a-z0-9_-]``: the default prefix and the templates' folder name."""
    router: Callable[[], APIRouter] | str
    """The ``APIRouter`` named as ``"package.module:name"`` (imported when the console
    starts), or a function returning it, called then: the web framework is imported when
    the console starts, never when the plugins are registered."""
    templates: Path | None = None
    """A folder of Jinja2 templates, named ``PLUGIN/NAME.html`` when rendered; they may
    extend the console's ``base.html``."""
    links: tuple[WebLink, ...] = ()
    prefix: str = ""
    """Where the routes are mounted; must start with ``/p/``; empty: ``/p/PLUGIN``."""

    def __post_init__(self) -> None:
        if not _NAME.match(self.plugin):
            raise ValueError(f"web pages: plugin name {self.plugin!r} must match [a-z0-9_-]+")
        if self.prefix and not _PREFIX.match(self.prefix.rstrip("/")):
            raise ValueError(
                f"web pages of {self.plugin}: prefix {self.prefix!r} must start with '/p/'"
            )

    def make_router(self) -> object:
        """What ``router`` gives: the object it names, imported now, or what it returns
        (the console checks that it is an ``APIRouter``)."""
        return import_ref(self.router) if isinstance(self.router, str) else self.router()

    @property
    def mount(self) -> str:
        """The prefix the routes are mounted under, with no trailing slash."""
        return (self.prefix or f"/p/{self.plugin}").rstrip("/")

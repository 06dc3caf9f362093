"""The plugin contract: every hook rostersync calls, one spec each.

Hooks are called with keyword arguments only; a spec evolves by adding arguments.
Registration hooks take a ``register`` callback so that the host validates names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:  # annotations only: ``from sync.api import hookimpl`` stays cheap
    import click

    from sync.kinds import SourceType, TargetType
    from sync.model import RunSummary
    from sync.web_pages import WebPages

PROJECT = "rostersync"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_sources(register: Callable[[SourceType[Any]], None]) -> None:
    """Offer kinds of source.

    :param register: call once per kind with a ``SourceType``; its ``name`` is what
        ``plugin = "..."`` names in a ``[sources.NAME]`` table, and must be unique.
    """


@hookspec
def register_targets(register: Callable[[TargetType[Any]], None]) -> None:
    """Offer kinds of target.

    :param register: call once per kind with a ``TargetType``; its ``name`` is what
        ``plugin = "..."`` names in a ``[targets.NAME]`` table, and must be unique.
    """


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add commands to the ``rostersync`` command line.

    :param cli: the top-level click group; add commands or groups with ``cli.add_command``.
        Commands receive the ``sync.app.App`` (configuration, store, engine) through
        ``click.pass_obj``.
    """


@hookspec
def sync_finished(summary: RunSummary, notify: Mapping[str, Any], rejected_rows: int) -> None:
    """Hear about every finished run (ok, partial, failed, held or interrupted), e.g. to
    notify someone.

    :param summary: the run's id, status, change counts and error, as recorded.
    :param notify: the validated ``[notify]`` table of config.toml as a plain mapping
        (``webhook_url``, ``on``: the statuses to notify about; ``email``). Added after
        ``summary``: an implementation that does not name it is called without it.
    :param rejected_rows: how many input records the run rejected (its error issues).
        Added later still; an implementation may leave it out.
    :return: nothing; an exception here is logged and never changes the run's status.
    """


@hookspec
def register_web_pages(register: Callable[[WebPages], None]) -> None:
    """Offer pages for the admin console (``rostersync web``).

    :param register: call once per set of pages with a ``WebPages``: a name, a function
        that returns a FastAPI ``APIRouter`` (called when the console starts, so the web
        framework is imported only there), a templates folder and nav links. The routes are
        mounted under ``/p/NAME`` (or the declared ``prefix``), which must be unique.
    """

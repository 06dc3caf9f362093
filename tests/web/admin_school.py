"""A Backdrop school (roster CSV files, the manual store, the directory) served by the
console, for the admin pages' tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from sync.app import App
from sync.plugins import load_plugins
from tests.plugins.school import school
from tests.web.conftest import Running, serve


def school_app(folder: Path, **kwargs: object) -> App:
    config = school(folder, **kwargs)  # type: ignore[arg-type]
    return App(config_path=str(config), plugins=load_plugins(entry_points=False))


def served_school(folder: Path) -> Iterator[Running]:
    """The school synced once, and the console serving it; for a test module's fixture."""
    app = school_app(folder)
    app.engine.run()
    yield from serve(app, folder)

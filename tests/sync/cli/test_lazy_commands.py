"""Built-in commands are imported when used; ``--help`` lists them from ``LAZY`` alone."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sync.cli import LAZY
from tests.conftest import ROOT


@pytest.mark.parametrize("lazy", LAZY, ids=[c.name for c in LAZY])
def test_the_listed_help_is_the_commands_own(lazy: object) -> None:
    import click

    from sync.cli.root import LazyCommand

    assert isinstance(lazy, LazyCommand)
    real = lazy.load()
    assert real.name == lazy.name
    listed = click.Command(lazy.name, help=lazy.help).get_short_help_str(200)
    assert listed == real.get_short_help_str(200)


def test_help_and_plugins_import_no_database_or_scheduler_library() -> None:
    probe = (
        "import sys\n"
        "from sync.cli import main\n"
        "for args in (['--help'], ['plugins']):\n"
        "    sys.argv = ['rostersync', *args]\n"
        "    try:\n"
        "        main()\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('sqlalchemy', 'alembic', 'sqlmodel', 'apscheduler')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "[]"
    assert "Commands:" in out and "undo" in out

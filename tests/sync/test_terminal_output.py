"""Issue 14: a class named with terminal escapes is shown escaped, never sent raw."""

from __future__ import annotations

import json
from pathlib import Path

import sqlalchemy as sa

from tests.conftest import CliRun

PWNED = "\x1b[2J\x1b[31mPWNED"


def test_show_escapes_control_characters_in_names(rostersync: CliRun, workdir: Path) -> None:
    assert rostersync("sync").exit_code == 0
    directory = sa.create_engine(f"sqlite:///{workdir / 'state.db'}")
    with directory.begin() as c:  # a hand-made group in the target, named by anyone
        c.execute(
            sa.text(
                "INSERT INTO dir_group (key, name, managed_by, created_at) "
                "VALUES (:name, :name, '', '2026-01-01 00:00:00')"
            ),
            {"name": PWNED},
        )
        c.execute(
            sa.text("INSERT INTO dir_member VALUES (:name, :person)"),
            {"name": PWNED, "person": "Harry\r_Potter"},
        )
    directory.dispose()
    shown = rostersync("show").output
    assert "\x1b" not in shown and "\r" not in shown
    assert "\\x1b[2J\\x1b[31mPWNED" in shown and "Harry\\x0d_Potter" in shown
    groups = json.loads(rostersync("show", "--json").output)["groups"]
    assert PWNED in {g["name"] for g in groups}  # JSON carries the name exactly (escaped)

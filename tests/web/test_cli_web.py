"""``rostersync web``, ``web add-user`` and ``runs show ID --rejected FILE.csv`` as a user
types them."""

from __future__ import annotations

import csv
import io
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
from click.testing import CliRunner

from sync.cli import make_cli
from sync.web.accounts import Accounts
from tests.conftest import CliRun
from tests.web.conftest import sign_in
from tests.web.school_data import write_school

ROSTERSYNC = str(Path(sys.executable).parent / "rostersync")


def run(workdir: Path, *args: str, stdin: str = "") -> tuple[int, str]:
    result = CliRunner().invoke(
        make_cli(), ["--config", str(workdir / "config.toml"), *args], input=stdin
    )
    return result.exit_code, result.output


def accounts(workdir: Path) -> Accounts:
    return Accounts(f"sqlite:///{workdir / 'state.db'}")


def test_add_user_asks_for_the_password_twice(workdir: Path) -> None:
    code, out = run(
        workdir,
        "web",
        "add-user",
        "alice",
        "--role",
        "admin",
        stdin="correct-horse-1\ncorrect-horse-1\n",
    )
    assert code == 0 and "account alice added as admin" in out
    assert "correct-horse-1" not in out
    account = accounts(workdir).verify("alice", "correct-horse-1")
    assert account is not None and account.role.value == "admin"
    code, out = run(
        workdir,
        "web",
        "add-user",
        "bob",
        "--role",
        "viewer",
        stdin="first-password\nsecond-password\nagain-and-again\nagain-and-again\n",
    )
    assert code == 0 and "do not match" in out.lower()
    assert accounts(workdir).verify("bob", "again-and-again") is not None


def test_add_user_from_stdin_refuses_bad_input(workdir: Path) -> None:
    code, _ = run(
        workdir,
        "web",
        "add-user",
        "ci",
        "--role",
        "operator",
        "--password-stdin",
        stdin="a-scripted-password\n",
    )
    assert code == 0 and accounts(workdir).verify("ci", "a-scripted-password") is not None
    code, out = run(
        workdir,
        "web",
        "add-user",
        "ci",
        "--role",
        "viewer",
        "--password-stdin",
        stdin="another-password\n",
    )
    assert code == 2 and "already an account 'ci'" in out
    code, out = run(
        workdir, "web", "add-user", "short", "--role", "viewer", "--password-stdin", stdin="tiny\n"
    )
    assert code == 2 and "at least 10 characters" in out
    code, out = run(
        workdir,
        "web",
        "add-user",
        "x",
        "--role",
        "root",
        "--password-stdin",
        stdin="a-scripted-password\n",
    )
    assert code == 2 and "root" in out


def test_runs_show_rejected_writes_the_consoles_csv(rostersync: CliRun, workdir: Path) -> None:
    write_school(workdir / "impero", bad_rows=True)
    assert rostersync("sync").exit_code == 0
    target = workdir / "rejected.csv"
    result = rostersync("runs", "show", "1", "--rejected", str(target))
    assert result.exit_code == 0 and "2 rejected rows written" in result.output
    rows = list(csv.reader(io.StringIO(target.read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["file", "line", "field", "value", "message"]
    assert [r[:3] for r in rows[1:]] == [
        ["students.csv", "153", "username"],
        ["students.csv", "154", "class"],
    ]
    assert rostersync("runs", "show", "9", "--rejected", str(target)).exit_code == 1


def test_rostersync_web_serves_the_console_until_interrupted(workdir: Path) -> None:
    assert (
        run(
            workdir,
            "web",
            "add-user",
            "alice",
            "--role",
            "admin",
            "--password-stdin",
            stdin="alice-admin-pass\n",
        )[0]
        == 0
    )
    process = subprocess.Popen(
        [ROSTERSYNC, "--config", str(workdir / "config.toml"), "web", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ROSTERSYNC_CONFIG": ""},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()
        found = re.search(r"console on (http://127\.0\.0\.1:\d+)", line)
        assert found, line
        with httpx.Client(base_url=found.group(1), timeout=30) as client:
            assert client.get("/healthz").text == "ok\n"
            assert sign_in(client, "alice", "alice-admin-pass").status_code == 303
            assert "Overview" in client.get("/").text
    finally:
        process.send_signal(signal.SIGINT)
        assert process.wait(30) == 0

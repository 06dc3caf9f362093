"""The webhook notifier against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from plugins.webhook import send
from tests.conftest import CliRun, write_csv

TOKEN = "s3cr3t-T0KEN-abc"


@dataclass
class Hook:
    """A webhook receiver answering with scripted status codes (then 204)."""

    url: str
    answers: list[int] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    state = Hook(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            state.received.append(json.loads(body))
            state.paths.append(self.path)
            self.send_response(state.answers.pop(0) if state.answers else 204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/{TOKEN}"
    yield state
    server.shutdown()
    server.server_close()


def configure(workdir: Path, url: str, on: list[str]) -> None:
    config = workdir / "config.toml"
    text = config.read_text() + f'\n[notify]\nwebhook_url = "{url}"\non = {json.dumps(on)}\n'
    config.write_text(text)


def test_a_finished_run_is_posted_as_json(rostersync: CliRun, workdir: Path, hook: Hook) -> None:
    configure(workdir, hook.url, ["ok", "failed"])
    result = rostersync("sync")
    assert result.exit_code == 0, result.output
    [posted] = hook.received
    assert hook.paths == [f"/hooks/{TOKEN}"]
    assert posted["id"] == 1 and posted["status"] == "ok" and posted["trigger"] == "manual"
    assert posted["counts"] == {"create_group": 4, "add_member": 5, "grant_access": 5}
    assert posted["text"] == "rostersync: run 1 of sync 'default' ok"


def test_only_the_statuses_listed_in_on_are_posted(
    rostersync: CliRun, workdir: Path, hook: Hook
) -> None:
    configure(workdir, hook.url, ["failed"])
    assert rostersync("sync").exit_code == 0
    assert hook.received == []
    write_csv(workdir / "impero" / "students.csv", "username,class", "Harry_Potter,Potions")
    assert rostersync("sync").exit_code == 1
    [posted] = hook.received
    assert posted["status"] == "failed" and "students.csv line 1" in posted["error"]


def test_a_failing_webhook_is_retried_logged_and_never_changes_the_run(
    rostersync: CliRun, workdir: Path, hook: Hook
) -> None:
    hook.answers = [503, 500, 502]
    configure(workdir, hook.url, ["ok"])
    result = rostersync("-v", "sync", "--json")
    assert result.exit_code == 0
    assert len(hook.received) == 3  # three attempts, all refused
    assert "could not notify about run 1" in result.stderr
    assert "answered HTTP 502" in result.stderr
    assert TOKEN not in result.output and TOKEN not in result.stderr
    status = json.loads(rostersync("status", "--json").output)
    assert status["state"] == "ok"


def test_a_4xx_is_not_retried(hook: Hook) -> None:
    hook.answers = [404]
    assert send(hook.url, {"id": 7}, wait=0) is False
    assert len(hook.received) == 1


def test_an_unreachable_webhook_does_not_leak_its_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = f"http://127.0.0.1:9/hooks/{TOKEN}"  # the discard port: nothing listens
    assert send(url, {"id": 8}, wait=0) is False
    assert "cannot connect to 127.0.0.1" in caplog.text and TOKEN not in caplog.text

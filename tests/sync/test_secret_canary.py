"""A canary secret in every secret slot at once, searched for in every output: the Clever token,
the SCIM bearer token, a token in the [notify] webhook URL and the database password in the
[state] URL. Runs succeed, fail (Clever 401 and 500, SCIM 401, webhook 404) and are refused (a
config error next to the secrets); none of it may carry a secret anywhere an admin can see."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner, Result
from pydantic import SecretStr

from plugins.clever import CleverOptions, CleverSource
from plugins.scim.target import ScimOptions, ScimTarget
from sync.app import App
from sync.cli import make_cli
from sync.cli import root as cli_module
from sync.errors import ConfigError, RostersyncError
from sync.plugins import load_plugins
from sync.redact import redact, register_secret
from sync.storage import dispose_all
from sync.testing import make_context
from tests.conftest import PG_ADMIN_URL, require_postgres
from tests.fakes.clever_server import CleverServer, generate_district
from tests.plugins.scim.server import TOKEN as SCIM_TOKEN
from tests.plugins.scim.server import ScimServer, running_scim_server
from tests.sync.daemon_support import ROSTERSYNC
from tests.web.conftest import serve

CLEVER_TOKEN = "clv-CANARY-3f9a17c2e4"
HOOK_TOKEN = "hook-CANARY-b81d40e6f5"
DB_PASSWORD = "dbpw-CANARY-52ce09a7d1"
CANARIES = {"clever": CLEVER_TOKEN, "scim": SCIM_TOKEN, "hook": HOOK_TOKEN, "db": DB_PASSWORD}

CONFIG = """\
[state]
url = "{state_url}"

[sync]
sources = ["district"]
target = "idp"
retry_wait_seconds = 0

[sources.district]
plugin = "clever"
url = "{clever_url}"
token = {{ env = "CANARY_CLEVER_TOKEN" }}
page_size = 50
max_attempts = 2
backoff_seconds = 0
max_wait_seconds = 0
{extra}
[targets.idp]
plugin = "scim"
url = "{scim_url}"
token = {{ env = "CANARY_SCIM_TOKEN" }}
create_users = true
retry_wait_seconds = 0

[notify]
webhook_url = {{ env = "CANARY_HOOK_URL" }}
on = ["ok", "partial", "failed", "held", "interrupted"]
"""


@dataclass
class Hook:
    """A webhook receiver on loopback that refuses its first post (404), then takes them."""

    url: str
    bodies: list[str] = field(default_factory=list)


@pytest.fixture
def hook() -> Iterator[Hook]:
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            received.append(body.decode("utf-8", "replace"))
            self.send_response(404 if len(received) == 1 else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    host, port = httpd.server_address[:2]
    yield Hook(f"http://{host!s}:{port}/notify/{HOOK_TOKEN}", received)
    httpd.shutdown()
    httpd.server_close()
    thread.join()


@pytest.fixture
def state_schema() -> Iterator[tuple[str, str]]:
    """A fresh schema and a state URL into it that carries the canary password (PostgreSQL on
    127.0.0.1 trusts local connections, so any password works)."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL)
    with admin.begin() as c:
        c.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    assert "postgres@" in PG_ADMIN_URL
    url = PG_ADMIN_URL.replace("postgres@", f"postgres:{DB_PASSWORD}@", 1)
    yield schema, f"{url}?options=-csearch_path%3D{schema}"
    dispose_all()
    with admin.begin() as c:
        c.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture
def clever(monkeypatch: pytest.MonkeyPatch) -> Iterator[CleverServer]:
    with CleverServer(generate_district(), token=CLEVER_TOKEN) as server:
        yield server


@pytest.fixture
def scim() -> Iterator[ScimServer]:
    with running_scim_server() as server:
        yield server


@dataclass
class World:
    folder: Path
    config: Path
    schema: str
    env: dict[str, str]
    outputs: list[tuple[str, str]] = field(default_factory=list)

    def saw(self, what: str, text: str) -> str:
        self.outputs.append((what, text))
        return text

    def cli(self, *args: str, config: Path | None = None) -> Result:
        path = config or self.config
        result = CliRunner().invoke(
            make_cli(), ["--config", str(path), *args], catch_exceptions=False
        )
        self.saw(f"stdout of {' '.join(args)}", result.stdout)
        self.saw(f"stderr of {' '.join(args)}", result.stderr)
        return result

    def subprocess(self, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [ROSTERSYNC, "--config", str(self.config), *args],
            env={**os.environ, **self.env},
            cwd=self.folder,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.saw(f"subprocess stdout of {' '.join(args)}", done.stdout)
        self.saw(f"subprocess stderr of {' '.join(args)}", done.stderr)
        return done


@pytest.fixture
def world(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clever: CleverServer,
    scim: ScimServer,
    hook: Hook,
    state_schema: tuple[str, str],
) -> World:
    schema, state_url = state_schema
    env = {
        "CANARY_CLEVER_TOKEN": CLEVER_TOKEN,
        "CANARY_SCIM_TOKEN": SCIM_TOKEN,
        "CANARY_HOOK_URL": hook.url,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "config.toml"
    config.write_text(
        CONFIG.format(state_url=state_url, clever_url=clever.url, scim_url=scim.url, extra="")
    )
    return World(tmp_path, config, schema, env)


def leaks(text: str) -> list[str]:
    return [slot for slot, secret in CANARIES.items() if secret in text]


def assert_no_canary(outputs: list[tuple[str, str]]) -> None:
    found = [(what, slots) for what, text in outputs if (slots := leaks(text))]
    assert not found, f"secrets leaked: {found}"


def dump_state(schema: str) -> str:
    """Every row of every table in the state database, as text."""
    engine = sa.create_engine(f"{PG_ADMIN_URL}?options=-csearch_path%3D{schema}")
    texts = []
    try:
        with engine.connect() as c:
            tables = sa.inspect(c).get_table_names(schema=schema)
            assert tables
            for table in tables:
                for row in c.execute(sa.text(f'SELECT * FROM "{schema}"."{table}"')):
                    texts.append(f"{table}: " + " | ".join(map(str, row)))
    finally:
        engine.dispose()
    return "\n".join(texts)


@pytest.mark.postgres
def test_no_output_carries_a_secret(
    world: World,
    clever: CleverServer,
    scim: ScimServer,
    hook: Hook,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The CLI replaces the root logger's handlers with its own redacting one; put caplog's back
    # after it, at DEBUG, so that it sees every record as any other handler would.
    configure = cli_module.configure_logging

    def configure_and_capture(level: str) -> None:
        configure("DEBUG")
        logging.getLogger().addHandler(caplog.handler)

    monkeypatch.setattr(cli_module, "configure_logging", configure_and_capture)
    caplog.set_level(logging.DEBUG)
    ok = world.cli("sync", "--json")
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["status"] == "ok"

    clever.fail("/v3.0/users", [401])
    assert world.cli("sync").exit_code != 0
    clever.fail("/v3.0/users", [500, 500, 500])
    failed = world.cli("sync", "--json")
    assert failed.exit_code != 0 and json.loads(failed.stdout)["status"] == "failed"

    scim.recorder.refuse = lambda method, path, body: (401, "bad token")
    assert world.cli("sync").exit_code != 0
    scim.recorder.refuse = None

    for args in (
        ("status",),
        ("status", "--json"),
        ("runs",),
        ("runs", "--json"),
        ("show", "--json"),
        ("plan", "--json"),
        ("plan",),
        ("plugins",),
    ):
        world.cli(*args)
    runs = json.loads(world.cli("runs", "--json").stdout)
    assert len(runs) >= 4
    for run in runs:
        assert world.cli("runs", "show", str(run["id"]), "--json", "--all").exit_code == 0
        world.cli("runs", "show", str(run["id"]))

    clever.fail("/v3.0/users", [401])
    verbose = world.subprocess("-vv", "sync")
    assert verbose.returncode != 0 and "DEBUG" in verbose.stderr
    assert world.subprocess("-vv", "sync").returncode == 0

    app = App(config_path=str(world.config), plugins=load_plugins())
    for console in serve(app, world.folder):  # the console, open endpoints and pages
        for path in ("/status", "/metrics"):
            response = requests.get(f"{console.url}{path}", timeout=10)
            assert response.status_code == 200
            world.saw(f"GET {path}", response.text)
        admin = console.signed_in("alice")
        for path in ("/", "/runs", "/held", "/groups", "/access", "/accounts"):
            response = admin.get(path)
            assert response.status_code == 200, path
            world.saw(f"console {path}", response.text)
        for run in runs:
            for path in (f"/runs/{run['id']}", f"/runs/{run['id']}/rejected.csv"):
                world.saw(f"console {path}", admin.get(path).text)
        admin.close()

    world.saw("state database", dump_state(world.schema))
    world.saw("webhook bodies", "\n".join(hook.bodies))
    assert len(hook.bodies) >= 4
    assert caplog.records
    world.saw("log records", "\n".join(r.getMessage() for r in caplog.records))
    world.saw("log exceptions", "\n".join(r.exc_text or "" for r in caplog.records))
    world.saw("log text", caplog.text)
    assert_no_canary(world.outputs)


@pytest.mark.postgres
def test_a_config_error_next_to_the_secrets_shows_none_of_them(
    world: World, clever: CleverServer, scim: ScimServer, hook: Hook
) -> None:
    text = world.config.read_text()
    bad = world.folder / "bad.toml"
    bad.write_text(text.replace("page_size = 50", f'page_size = "{CLEVER_TOKEN}"\ntokn = 1'))
    result = world.cli("sync", config=bad)
    assert result.exit_code != 0 and "tokn" in result.output
    app = App(config_path=str(bad), plugins=load_plugins())
    with pytest.raises(ConfigError) as raised:
        app.engine.plugin_options(app.config.sources["district"], CleverOptions)
    world.saw("ConfigError", str(raised.value))
    # A [state] URL the driver cannot parse, and one whose server refuses.
    state = world.config.read_text().split('url = "', 1)[1].split('"', 1)[0]
    for url in (
        state.replace("postgresql+psycopg", "postgresql+nodriver"),
        state.replace("5432", "1"),
    ):
        broken = world.folder / "broken.toml"
        broken.write_text(text.replace(state, url))
        for command in ("status", "sync"):
            result = world.cli(command, config=broken)
            assert result.exit_code != 0 and "[state] url" in result.stderr, result.output
    assert_no_canary(world.outputs)


def test_plugin_errors_carry_no_token(tmp_path: Path) -> None:
    """The text of the errors the Clever source and the SCIM target raise, before any
    redaction: the tokens are never put in them."""
    with CleverServer(generate_district(), token=CLEVER_TOKEN) as server:
        options = CleverOptions(
            url=server.url,
            token=SecretStr("not-the-token-" + CLEVER_TOKEN),
            max_attempts=1,
            backoff_seconds=0,
        )
        with pytest.raises(RostersyncError) as unauthorised:
            CleverSource(options, make_context(tmp_path, name="district")).read()
        server.fail("/v3.0/users", [500])
        options = options.model_copy(update={"token": SecretStr(CLEVER_TOKEN)})
        with pytest.raises(RostersyncError) as broken:
            CleverSource(options, make_context(tmp_path, name="district")).read()
    with running_scim_server() as scim:
        scim.recorder.refuse = lambda method, path, body: (401, "bad token")
        target = ScimTarget(
            ScimOptions(url=scim.url, token=SCIM_TOKEN, retry_wait_seconds=0),
            make_context(tmp_path, name="idp"),
        )
        try:
            with pytest.raises(RostersyncError) as refused:
                target.read()
        finally:
            target.close()
    texts = [repr(e.value) + str(e.value) for e in (unauthorised, broken, refused)]
    assert all(texts)
    assert_no_canary([("exception", t) for t in texts])


def test_a_secret_url_is_hidden_in_the_pieces_http_clients_log() -> None:
    """urllib3 logs ``"POST /notify/TOKEN?key=K HTTP/1.1" 200`` without the host: the request
    target, the query and a password of a secret URL are secrets too."""
    register_secret("https://user:pw-CANARY-77@hooks.example.org/notify/tk-CANARY-55?key=k-CANARY")
    logged = '"POST /notify/tk-CANARY-55?key=k-CANARY HTTP/1.1" 200; key=k-CANARY; pw-CANARY-77'
    assert "CANARY" not in redact(logged)
    assert redact("POST /notify failed; see https://hooks.example.org/") == (
        "POST /notify failed; see https://hooks.example.org/"
    )

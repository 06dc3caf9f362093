"""The console served by a real uvicorn on 127.0.0.1, with an account of each role."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, sync_playwright

from sync.app import App
from sync.config import WebConfig
from sync.plugins import load_plugins
from sync.web import ConsoleServer, create_app
from sync.web.accounts import Accounts
from tests.conftest import ROOT

PASSWORDS = {
    "alice": "alice-admin-pass",
    "oscar": "oscar-operator-pass",
    "vera": "vera-viewer-pass",
}
ROLES = {"alice": "admin", "oscar": "operator", "vera": "viewer"}


@dataclass
class Running:
    url: str
    app: App
    server: ConsoleServer
    workdir: Path
    asgi: FastAPI

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, follow_redirects=False, timeout=30)

    def signed_in(self, name: str) -> httpx.Client:
        client = self.client()
        sign_in(client, name, PASSWORDS[name])
        return client


def login_token(client: httpx.Client) -> str:
    page = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def sign_in(client: httpx.Client, name: str, password: str) -> httpx.Response:
    return client.post(
        "/login",
        data={"username": name, "password": password, "csrf_token": login_token(client)},
    )


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text
    return found.group(1)


def add_accounts(state_url: str) -> None:
    accounts = Accounts(state_url)
    for name, role in ROLES.items():
        if accounts.get(name) is None:
            accounts.add(name, role, PASSWORDS[name])


def serve(app: App, workdir: Path, web: WebConfig | None = None) -> Iterator[Running]:
    web = web or WebConfig(enabled=True, port=0)
    add_accounts(app.config.state_url)
    asgi = create_app(lambda: app, web=web)
    server = ConsoleServer(asgi, web)
    server.start()
    try:
        yield Running(server.url, app, server, workdir, asgi)
    finally:
        server.close()
        asgi.state.console.runner.join(60)
        asgi.state.console.names.join(60)


@pytest.fixture
def console_app(workdir: Path) -> App:
    return App(config_path=str(workdir / "config.toml"), plugins=load_plugins(entry_points=False))


@pytest.fixture
def console(console_app: App, workdir: Path) -> Iterator[Running]:
    yield from serve(console_app, workdir)


ConsoleFactory = Callable[..., Running]


def chromium_path() -> str:
    """Debian's chromium, which the browser tests drive through Playwright."""
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is required in CI (scripts/test-packages installs it)")
        pytest.skip("chromium is not installed (scripts/test-packages installs it)")
    return found


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless chromium per test module."""
    path = chromium_path()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=path, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a browser test saves its screenshots: docs/img/ with ROSTERSYNC_SCREENSHOTS=1."""
    wanted = os.environ.get("ROSTERSYNC_SCREENSHOTS") == "1"
    folder = ROOT / "docs" / "img" if wanted else tmp_path / "img"
    folder.mkdir(parents=True, exist_ok=True)
    return folder

"""``register_web_pages``: a plugin's pages served by the console under ``/p/NAME``,
signed-in, role-checked and CSRF-checked through ``sync.api``; a broken or clashing
registration reported and the console still up; the command line loads no web framework."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from sync.api import WebLink, WebPages, hookimpl
from sync.app import App
from sync.cli import make_cli
from sync.plugins import load_plugins
from tests.conftest import ROOT
from tests.sync import pages_plugin
from tests.web.conftest import Running, csrf_of, serve


def _app(workdir: Path, *extra: object) -> App:
    plugins = load_plugins(entry_points=False, extra=[pages_plugin, *extra])
    return App(config_path=str(workdir / "config.toml"), plugins=plugins)


@pytest.fixture
def hello(workdir: Path) -> Iterator[Running]:
    yield from serve(_app(workdir), workdir)


def test_a_plugins_page_is_served_to_a_signed_in_user_with_its_nav_link(hello: Running) -> None:
    with hello.client() as anonymous:
        assert (
            anonymous.get("/p/hello/", headers={"Accept": "text/html"}).headers["location"]
            == "/login"
        )
        assert anonymous.get("/p/hello/").status_code == 401
    with closing(hello.signed_in("vera")) as vera:
        page = vera.get("/p/hello/")
        assert page.status_code == 200
        assert "<h1>Hello vera</h1>" in page.text and '<p class="syncs">default</p>' in page.text
        assert '<a href="/p/hello/" class="active">Hello</a>' in page.text
        assert "Hello admin" not in page.text  # the admin's link is not offered to a viewer
        assert "Content-Security-Policy" in page.headers
    with closing(hello.signed_in("alice")) as alice:
        assert '<a href="/p/hello/admin" class="">Hello admin</a>' in alice.get("/").text


def test_a_role_is_required_and_every_form_needs_its_csrf_token(hello: Running) -> None:
    with closing(hello.signed_in("vera")) as vera:
        assert vera.get("/p/hello/admin").status_code == 403
        token = csrf_of(vera, "/p/hello/")
        assert vera.post("/p/hello/admin/note", data={"csrf_token": token}).status_code == 403
    with closing(hello.signed_in("alice")) as alice:
        assert alice.get("/p/hello/admin").status_code == 200
        refused = alice.post("/p/hello/admin/note", data={"text": "no token"})
        assert refused.status_code == 403
        token = csrf_of(alice, "/p/hello/admin")
        noted = alice.post("/p/hello/admin/note", data={"text": "hi", "csrf_token": token})
        assert noted.status_code == 303 and noted.headers["location"] == "/p/hello/admin"
        assert "noted hi" in alice.get("/p/hello/admin").text
    audit = hello.asgi.state.console.accounts.audit()
    assert [(a.user, a.action, a.detail) for a in audit if a.action == "hello note"] == [
        ("alice", "hello note", "hi")
    ]


class RaisesInHook:
    @hookimpl
    def register_web_pages(self, register: Any) -> None:
        raise RuntimeError("no pages today")


def _broken_router() -> Any:
    raise ImportError("cannot import name 'gone' from 'fastapi'")


class RouterFails:
    @hookimpl
    def register_web_pages(self, register: Any) -> None:
        register(WebPages("broken", _broken_router, links=(WebLink("Broken"),)))


class NamedWrongly:
    """Pages whose router is named as "module:name": one names no module, one no router."""

    @hookimpl
    def register_web_pages(self, register: Any) -> None:
        register(WebPages("missing", "tests.sync.no_such_pages:router"))
        register(WebPages("notrouter", "tests.sync.pages_plugin:register_web_pages"))


class SamePrefix:
    @hookimpl
    def register_web_pages(self, register: Any) -> None:
        register(WebPages("other", pages_plugin._router, prefix="/p/hello"))


def test_broken_and_clashing_pages_are_reported_and_the_console_stays_up(
    workdir: Path,
) -> None:
    app = _app(workdir, RaisesInHook(), RouterFails(), SamePrefix())
    assert [str(f) for f in app.plugins.failures] == [
        "RaisesInHook (built-in): register_web_pages: RuntimeError: no pages today",
        "SamePrefix (built-in): register_web_pages: two plugins register console pages at "
        "/p/hello: tests.sync.pages_plugin (built-in) and SamePrefix (built-in); the second "
        "is refused",
    ]
    for running in serve(app, workdir):
        with closing(running.signed_in("vera")) as vera:
            overview = vera.get("/")
            assert overview.status_code == 200
            assert "Broken" not in overview.text and ">Hello</a>" in overview.text
            assert vera.get("/p/broken/").status_code == 404
            assert "<h1>Hello vera</h1>" in vera.get("/p/hello/").text
    assert [f.stage for f in app.plugins.failures][-1] == "web pages"
    assert str(app.plugins.failures[-1]) == (
        "RouterFails (built-in): web pages: ImportError: cannot import name 'gone' from 'fastapi'"
    )


def test_rostersync_plugins_lists_the_pages_and_a_failed_registration(workdir: Path) -> None:
    plugins = load_plugins(entry_points=False, extra=[pages_plugin, RaisesInHook()])
    result = CliRunner().invoke(
        make_cli(plugins), ["--config", str(workdir / "config.toml"), "plugins"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    hello = [line for line in lines if line.split()[:2] == ["pages", "/p/hello"]]
    assert hello and hello[0].endswith("console pages: Hello, Hello admin"), result.output
    assert any(line.startswith("pages   /p/roster_csv") for line in lines)
    assert (
        "failed  RaisesInHook (built-in): register_web_pages: RuntimeError: no pages today" in lines
    )


def test_pages_names_and_prefixes_are_checked() -> None:
    with pytest.raises(ValueError, match="must match"):
        WebPages("Hello World", pages_plugin._router)
    with pytest.raises(ValueError, match="must start with '/p/'"):
        WebPages("hello", pages_plugin._router, prefix="/runs")
    with pytest.raises(ValueError, match="role must be"):
        WebLink("Hello", "/", "root")
    assert WebPages("hello", pages_plugin._router, prefix="/p/school/").mount == "/p/school"


def test_the_command_line_and_the_hook_load_no_web_framework() -> None:
    probe = (
        "import sys\n"
        "import sync.api\n"
        "from sync.plugins import load_plugins\n"
        "system = load_plugins(entry_points=False)\n"
        "from sync.cli import main\n"
        "sys.argv = ['rostersync', '--help']\n"
        "try:\n"
        "    main()\n"
        "except SystemExit:\n"
        "    pass\n"
        "print(sorted(system.web_pages))\n"
        "print(sorted(m for m in ('fastapi', 'starlette', 'jinja2') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "[]"
    assert "Commands:" in out


def test_a_router_named_wrongly_is_reported_and_the_console_stays_up(workdir: Path) -> None:
    app = _app(workdir, NamedWrongly())
    for running in serve(app, workdir):
        with closing(running.signed_in("vera")) as vera:
            assert vera.get("/p/missing/").status_code == 404
            assert vera.get("/p/notrouter/").status_code == 404
            assert "<h1>Hello vera</h1>" in vera.get("/p/hello/").text
    assert [str(f) for f in app.plugins.failures if f.stage == "web pages"] == [
        "NamedWrongly (built-in): web pages: ModuleNotFoundError: No module named "
        "'tests.sync.no_such_pages'",
        "NamedWrongly (built-in): web pages: TypeError: tests.sync.pages_plugin:"
        "register_web_pages is a function, not an APIRouter",
    ]

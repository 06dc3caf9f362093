"""The console's safety: nothing without a session, roles enforced, CSRF on every form,
throttled sign-in, signed expiring cookies, no secret and no student's name where it
must not be. Every request goes to a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import itsdangerous.timed
import pytest
from itsdangerous import URLSafeTimedSerializer

from sync.app import App
from sync.config import WebConfig
from sync.plugins import load_plugins
from tests.conftest import CliRun, write_csv
from tests.web.conftest import PASSWORDS, Running, csrf_of, serve, sign_in
from tests.web.school_data import students, write_school

OPEN = {"/healthz", "/status", "/metrics", "/login"}
SAMPLE = {"sync": "default", "run_id": "1", "ref": "0" * 20, "name": "vera"}


def console_routes(running: Running) -> list[tuple[str, str]]:
    """Every (method, path) the console serves but the open ones, with sample parameters."""
    out = []
    from sync.web.app import ROUTERS

    for route in [r for router in ROUTERS for r in router.routes]:
        methods = getattr(route, "methods", None)
        path = getattr(route, "path", "")
        if not methods or path in OPEN or path.startswith("/static"):
            continue
        sample = re.sub(r"\{(\w+)\}", lambda m: SAMPLE[m.group(1)], path)
        out += [(method, sample) for method in sorted(methods) if method != "HEAD"]
    return out


def test_every_page_and_action_without_a_session_is_refused(
    console: Running, rostersync: CliRun
) -> None:
    assert rostersync("sync").exit_code == 0
    routes = console_routes(console)
    assert len(routes) >= 20
    with console.client() as client:
        for method, path in routes:
            if method == "GET":
                page = client.get(path, headers={"Accept": "text/html"})
                assert page.status_code == 303 and page.headers["location"] == "/login", path
                assert client.get(path, headers={"Accept": "*/*"}).status_code == 401, path
            else:
                assert client.request(method, path, data={}).status_code == 401, path
    assert console.app.store.runs("default", limit=10)[0].summary.id == 1  # nothing started


def test_a_viewer_can_read_but_cannot_sync_pause_or_approve(
    console: Running, rostersync: CliRun, workdir: Path
) -> None:
    held = _held_run(rostersync, workdir)
    vera = console.signed_in("vera")
    token = csrf_of(vera)
    assert vera.get("/").status_code == 200
    assert vera.get(f"/held/{held}").status_code == 200
    for path in ("/syncs/default/run", "/syncs/default/pause", f"/held/{held}/approve"):
        answer = vera.post(path, data={"csrf_token": token, "confirm": "yes"})
        assert answer.status_code == 403, path
    assert vera.get("/accounts").status_code == 403
    store = console.app.store
    assert store.last_run("default").summary.id == held  # type: ignore[union-attr]
    assert store.run(held).summary.status.value == "held"  # type: ignore[union-attr]
    assert not store.pause_state("default").active()


def test_an_operator_can_sync_and_pause_but_not_approve_or_reject(
    console: Running, rostersync: CliRun, workdir: Path
) -> None:
    held = _held_run(rostersync, workdir)
    oscar = console.signed_in("oscar")
    token = csrf_of(oscar)
    for path in (f"/held/{held}/approve", f"/held/{held}/reject"):
        assert oscar.post(path, data={"csrf_token": token, "confirm": "yes"}).status_code == 403
    assert oscar.post("/syncs/default/pause", data={"csrf_token": token}).status_code == 303
    assert console.app.store.pause_state("default").active()
    assert console.app.store.run(held).summary.status.value == "held"  # type: ignore[union-attr]


def test_a_form_without_its_csrf_token_is_refused(console: Running) -> None:
    alice = console.signed_in("alice")
    other = console.signed_in("oscar")
    stolen = csrf_of(other)  # a real token, but of another session
    for data in ({}, {"csrf_token": ""}, {"csrf_token": "forged"}, {"csrf_token": stolen}):
        assert alice.post("/syncs/default/run", data=data).status_code == 403
        assert alice.post("/syncs/default/pause", data=data).status_code == 403
        assert (
            alice.post(
                "/accounts", data={**data, "name": "mallory", "role": "admin", "password": "x" * 12}
            ).status_code
            == 403
        )
    assert console.app.store.last_run("default") is None
    assert not console.app.store.pause_state("default").active()
    from sync.web.accounts import Accounts

    assert Accounts(console.app.config.state_url).get("mallory") is None
    # and a sign-in form must come from this console too
    with console.client() as client:
        refused = client.post("/login", data={"username": "alice", "password": PASSWORDS["alice"]})
        assert refused.status_code == 403 and "rostersync_session" not in refused.cookies


def test_ten_wrong_passwords_are_throttled_even_for_the_right_one_after(
    console: Running,
) -> None:
    with console.client() as client:
        codes = [sign_in(client, "alice", f"wrong-{i}").status_code for i in range(10)]
        assert codes[:5] == [401] * 5
        assert codes[5:] == [429] * 5
        right = sign_in(client, "alice", PASSWORDS["alice"])
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
        assert "rostersync_session" not in client.cookies
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 303
    # another account from the same address is throttled too (per address)
    with console.client() as client:
        assert sign_in(client, "vera", PASSWORDS["vera"]).status_code == 429


def test_the_session_cookie_is_signed_httponly_lax_and_expires(console: Running) -> None:
    with console.client() as client:
        answer = sign_in(client, "alice", PASSWORDS["alice"])
        assert answer.status_code == 303
        header = answer.headers["set-cookie"]
        assert "HttpOnly" in header and "SameSite=lax" in header and "Max-Age=28800" in header
        cookie = client.cookies["rostersync_session"]
    forged = cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB")
    with console.client() as client:
        client.cookies.set("rostersync_session", forged)
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 303
    # the same signature made nine hours ago has expired
    from sync.web.accounts import Accounts

    key = Accounts(console.app.config.state_url).session_key()

    serializer = URLSafeTimedSerializer(key, salt="rostersync-session")
    nine_hours_ago = time.time() - 9 * 3600
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(itsdangerous.timed.time, "time", lambda: nine_hours_ago)
        old = serializer.dumps({"u": "alice", "c": "x"})
    fresh = URLSafeTimedSerializer(key, salt="rostersync-session").dumps({"u": "alice", "c": "x"})
    with console.client() as client:
        client.cookies.set("rostersync_session", old)
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 303
        client.cookies.set("rostersync_session", fresh)
        assert client.get("/", headers={"Accept": "text/html"}).status_code == 200


def test_a_removed_account_is_signed_out_at_once(console: Running) -> None:
    vera = console.signed_in("vera")
    assert vera.get("/").status_code == 200
    alice = console.signed_in("alice")
    assert (
        alice.post("/accounts/vera/remove", data={"csrf_token": csrf_of(alice)}).status_code == 303
    )
    assert vera.get("/", headers={"Accept": "text/html"}).status_code == 303


@pytest.fixture
def secret_console(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Running]:
    monkeypatch.setenv("CANARY_SESSION_KEY", "web-CANARY-7d2f0b9e51")
    monkeypatch.setenv("CANARY_HOOK", "http://127.0.0.1:9/hook/hook-CANARY-91ac3e")
    config = workdir / "config.toml"
    config.write_text(
        config.read_text()
        + '\n[notify]\nwebhook_url = { env = "CANARY_HOOK" }\n'
        + '\n[web]\nsecret_key = { env = "CANARY_SESSION_KEY" }\n'
    )
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    yield from serve(app, workdir, app.config.web.model_copy(update={"port": 0}))


def crawl(client: httpx.Client) -> dict[str, str]:
    """Every page reachable by a link from the overview, and each form's action."""
    seen: dict[str, str] = {}
    todo = ["/"]
    while todo:
        path = todo.pop()
        if path in seen or not path.startswith("/") or path.startswith("/static"):
            continue
        page = client.get(path)
        assert page.status_code == 200, path
        seen[path] = page.text
        for link in re.findall(r'(?:href|action)="([^"#]+)"', page.text):
            if link.startswith("/") and link not in seen and link != "/logout":
                if 'action="' + link + '"' in page.text and f'href="{link}"' not in page.text:
                    seen.setdefault("form:" + link, "")
                    continue
                todo.append(link.replace("&amp;", "&"))
    return seen


def test_no_page_or_log_carries_a_secret_and_no_url_a_students_name(
    secret_console: Running, workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    write_school(workdir / "impero", bad_rows=True)
    alice = secret_console.signed_in("alice")
    token = csrf_of(alice)
    assert alice.post("/syncs/default/run", data={"csrf_token": token}).status_code == 303
    for _ in range(300):
        if not alice.get("/fragments/syncs").text.count('data-running="1"'):
            break
        time.sleep(0.1)
    write_school(workdir / "impero", drop=("Potions", "Charms", "Herbology"))
    alice.post("/syncs/default/run", data={"csrf_token": token})
    for _ in range(300):
        if not alice.get("/fragments/syncs").text.count('data-running="1"'):
            break
        time.sleep(0.1)
    alice.post("/syncs/default/preview", data={"csrf_token": token})
    alice.post("/groups", data={"csrf_token": token, "q": "Harry_Potter00"})
    pages = crawl(alice)
    assert any(p.startswith("/groups/") for p in pages)
    assert any(p.startswith("/access/") for p in pages)
    assert any(p.startswith("/held/") for p in pages)
    texts = [*pages.values(), caplog.text]
    texts += [alice.get(p).text for p in ("/status", "/metrics", "/runs/1/rejected.csv")]
    for secret in ("web-CANARY-7d2f0b9e51", "hook-CANARY-91ac3e"):
        assert not any(secret in text for text in texts), secret
    names = {row.split(",")[0] for row in students()}
    assert len(names) == 60
    for url in pages:
        for name in names:
            assert name not in url, url


def test_status_carries_no_name_from_a_broken_file(
    console: Running, rostersync: CliRun, workdir: Path
) -> None:
    # issue 14: a broken preamble put "found 'Harry_Potter,Potions'" into /status
    write_csv(workdir / "impero" / "students.csv", "Harry_Potter,Potions", "Ron_Weasley,Flying")
    assert rostersync("sync").exit_code == 1
    assert "Harry_Potter" in console.app.store.last_run("default").summary.error  # type: ignore[union-attr]
    with console.client() as client:
        status = client.get("/status")
        assert status.status_code == 200
        assert status.json()["state"] == "failed"
        assert status.json()["last_run"]["error"] is True
        for path in ("/status", "/metrics", "/healthz"):
            assert "Harry_Potter" not in client.get(path).text


def test_x_forwarded_for_counts_only_from_a_trusted_proxy(workdir: Path, console_app: App) -> None:
    from starlette.requests import Request

    from sync.web.sessions import client_address

    def request(peer: str, forwarded: str) -> Request:
        return Request(
            {
                "type": "http",
                "client": (peer, 1234),
                "headers": [(b"x-forwarded-for", forwarded.encode())],
            }
        )

    assert client_address(request("10.0.0.5", "203.0.113.9"), []) == "10.0.0.5"
    assert client_address(request("10.0.0.5", "203.0.113.9"), ["10.0.0.0/8"]) == "203.0.113.9"
    spoofed = request("10.0.0.5", "198.51.100.1, 203.0.113.9")
    assert client_address(spoofed, ["10.0.0.0/8"]) == "203.0.113.9"
    assert client_address(request("192.0.2.7", "203.0.113.9"), ["10.0.0.0/8"]) == "192.0.2.7"


def _held_run(rostersync: CliRun, workdir: Path) -> int:
    config = workdir / "config.toml"
    config.write_text(
        config.read_text().replace(
            "retry_wait_seconds = 0\n",
            "retry_wait_seconds = 0\n\n[sync.guards]\n"
            "memberships = { percent = 20, minimum = 5 }\n",
            1,
        )
    )
    write_school(workdir / "impero")
    assert rostersync("sync").exit_code == 0
    write_school(workdir / "impero", drop=("Potions", "Charms", "Herbology"))
    assert rostersync("sync").exit_code == 4
    return 2


def test_the_cookie_is_secure_when_a_trusted_proxy_says_https(
    console_app: App, workdir: Path
) -> None:
    web = WebConfig(enabled=True, port=0, trusted_proxies=["127.0.0.1"])
    for running in serve(console_app, workdir, web):
        with running.client() as client:
            client.headers["X-Forwarded-Proto"] = "https"
            answer = sign_in(client, "alice", PASSWORDS["alice"])
            assert answer.status_code == 303 and "Secure" in answer.headers["set-cookie"]
    for running in serve(console_app, workdir):  # not trusted: the header means nothing
        with running.client() as client:
            client.headers["X-Forwarded-Proto"] = "https"
            answer = sign_in(client, "alice", PASSWORDS["alice"])
            assert answer.status_code == 303 and "Secure" not in answer.headers["set-cookie"]


def test_an_unexpected_error_shows_and_logs_no_personal_data(
    console: Running,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    assert console.app.engine.run(None).run_id == 1  # not the CLI: it sets up its own logging
    from sync.web.routers import runs

    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("row 'Harry_Potter,Potions' broke it")

    monkeypatch.setattr(runs, "run_page", broken)
    caplog.set_level(logging.DEBUG)
    alice = console.signed_in("alice")
    page = alice.get("/runs/1")
    assert page.status_code == 500 and "something went wrong" in page.text
    assert "Harry_Potter" not in page.text
    assert "GET /runs/1 failed: ValueError" in caplog.text
    assert "Harry_Potter" not in caplog.text

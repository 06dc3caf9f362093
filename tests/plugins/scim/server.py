"""A real SCIM 2.0 server (PyPI's scim2-server) on 127.0.0.1, in-process, for the tests.

``Recorder`` wraps it as WSGI middleware: it records every request and can answer 503
every Nth request, or refuse chosen requests, before the server sees them.
"""

from __future__ import annotations

import functools
import io
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import requests
from scim2_models import ScimProvider
from scim2_server.memory import InMemoryStorage
from scim2_server.service import ScimService
from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
from scim2_server.testserver.cli import ThreadingWSGIServer
from scim2_server.utils import (
    load_default_resource_types,
    load_default_schemas,
    load_default_service_provider_config,
)

TOKEN = "scim-test-token-5f2c1e"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"

Refuse = Callable[[str, str, Any], "tuple[int, str] | None"]


@dataclass
class Recorder:
    """WSGI middleware: a history of (method, path) and a script of faults."""

    app: Any
    calls: list[tuple[str, str]] = field(default_factory=list)
    fail_every: int = 0
    faults: int = 0
    refuse: Refuse | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ.get("PATH_INFO", "")
        raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(raw)
        with self.lock:
            self.calls.append((method, path))
            number = len(self.calls)
            if self.fail_every and number % self.fail_every == 0:
                self.faults += 1
                return _error(start_response, 503, "try again", {"Retry-After": "0"})
        if self.refuse is not None:
            answer = self.refuse(method, path, json.loads(raw) if raw else None)
            if answer is not None:
                return _error(start_response, answer[0], answer[1])
        return self.app(environ, start_response)  # type: ignore[no-any-return]

    def methods(self) -> Counter[str]:
        return Counter(method for method, _ in self.calls)

    def writes(self) -> list[tuple[str, str]]:
        return [call for call in self.calls if call[0] != "GET"]

    def reset(self) -> None:
        self.calls.clear()


def _error(
    start_response: Any, status: int, detail: str, headers: dict[str, str] | None = None
) -> list[bytes]:
    body = json.dumps({"schemas": [ERROR_SCHEMA], "status": str(status), "detail": detail})
    phrase = {
        400: "Bad Request",
        409: "Conflict",
        501: "Not Implemented",
        503: "Service Unavailable",
    }.get(status, "X")
    start_response(
        f"{status} {phrase}",
        [("Content-Type", "application/scim+json"), *(headers or {}).items()],
    )
    return [body.encode()]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class ScimServer:
    """A running server: its base URL, token, request recorder, and a plain admin client."""

    url: str
    recorder: Recorder
    admin: requests.Session

    def get(self, path: str, **params: Any) -> Any:
        response = self.admin.get(f"{self.url}/{path}", params=params)
        response.raise_for_status()
        return response.json()

    def all(self, resource: str) -> list[dict[str, Any]]:
        return list(self.get(resource, count=10_000).get("Resources", []))

    def _post_user(self, user_name: str) -> str:
        response = self.admin.post(
            f"{self.url}/Users",
            json={
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
                "active": True,
            },
        )
        response.raise_for_status()
        return str(response.json()["id"])

    def user_id(self, user_name: str) -> str:
        """The id of the user with this userName, made as an admin would when missing."""
        for user in self.all("Users"):
            if user["userName"] == user_name:
                return str(user["id"])
        return self._post_user(user_name)

    def add_users(self, user_names: Iterable[str]) -> None:
        known = {u["userName"] for u in self.all("Users")}
        for name in user_names:
            if name not in known:
                self._post_user(name)

    def hand_made_group(self, display_name: str, members: Sequence[str] = ()) -> str:
        """A group an admin made in the identity system: no rostersync externalId."""
        body = {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": display_name,
            "members": [{"value": self.user_id(m)} for m in members],
        }
        response = self.admin.post(f"{self.url}/Groups", json=body)
        response.raise_for_status()
        return str(response.json()["id"])

    def groups(self) -> dict[str, set[str]]:
        """displayName -> member userNames, as the server holds them."""
        names = {u["id"]: u["userName"] for u in self.all("Users")}
        return {
            g["displayName"]: {names[m["value"]] for m in g.get("members") or []}
            for g in self.all("Groups")
        }


@functools.cache
def _provider() -> Any:
    """The server's description (RFC 7643 schemas, User and Group); slow to build, so once."""
    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    return ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )


@contextmanager
def running_scim_server() -> Iterator[ScimServer]:
    provider = _provider()
    app = BearerTokenApplication(
        InMemoryStorage(),
        provider,
        service=ScimService(provider, secret="test-cursor-secret"),
        bearer_tokens=[TOKEN],
    )
    recorder = Recorder(app)
    httpd = make_server(
        "127.0.0.1", 0, recorder, server_class=ThreadingWSGIServer, handler_class=_Quiet
    )
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    admin = requests.Session()
    admin.headers.update(
        {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"}
    )
    try:
        yield ScimServer(f"http://127.0.0.1:{httpd.server_port}/v2", recorder, admin)
    finally:
        admin.close()
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)

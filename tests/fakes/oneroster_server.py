"""A fake OneRoster 1.1 / 1.2 REST server on loopback, written from the REST binding.

It serves the rostering collections (``orgs``, ``academicSessions``, ``courses``,
``classes``, ``users``, ``enrollments``) under ``/ims/oneroster/v1p1`` or
``/ims/oneroster/rostering/v1p2`` as ``{"<collection>": [...]}``, sorted by ``sourcedId``,
paged by ``limit``/``offset`` with ``X-Total-Count`` and ``Link`` (``next``, ``last``)
headers, filtered by ``filter=dateLastModified>'ISO'`` (any other filter: 400). Tokens
come from ``POST /oauth/token`` (client credentials, HTTP Basic); a token past its
``expires_in`` (or revoked by ``expire_tokens``) gets 401. Faults are scripted::

    with OneRosterServer(school("1.2"), client_id="c", client_secret="s") as server:
        server.fail("classes", [429], headers={"Retry-After": "2"})
        server.between_pages("users", lambda s: s.insert("users", record))

``history`` records every request as ``(method, path_with_query, status)``.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

JSON = dict[str, Any]
PREFIXES = {"1.1": "/ims/oneroster/v1p1", "1.2": "/ims/oneroster/rostering/v1p2"}
COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
TOKEN_PATH = "/oauth/token"
MAX_LIMIT = 1000
OLD = "2026-09-01T08:00:00.000Z"


def guid_ref(kind: str, sourced_id: str, version: str) -> JSON:
    return {
        "href": f"{PREFIXES[version]}/{kind}s/{sourced_id}",
        "sourcedId": sourced_id,
        "type": kind,
    }


def school(version: str, students: int = 8) -> dict[str, list[JSON]]:
    """A small district as the API serves it: one district, two schools, a year and a term,
    three courses, four classes, ``students`` students, three teachers, an aide; with the
    quirks real servers send (a disabled user, extra ``metadata``, a ``password``)."""
    ref = lambda kind, sid: guid_ref(kind, sid, version)  # noqa: E731
    base = {"status": "active", "dateLastModified": OLD}
    orgs = [
        {**base, "sourcedId": "d1", "name": "Hogsmeade District", "type": "district"},
        *(
            {
                **base,
                "sourcedId": sid,
                "name": name,
                "type": "school",
                "identifier": f"URN-{sid}",
                "parent": ref("org", "d1"),
            }
            for sid, name in (("s1", "Hogwarts"), ("s2", "Beauxbatons"))
        ),
    ]
    sessions = [
        {
            **base,
            "sourcedId": "y2026",
            "title": "2026-27",
            "type": "schoolYear",
            "startDate": "2026-09-01",
            "endDate": "2027-07-15",
            "schoolYear": "2027",
        },
        {
            **base,
            "sourcedId": "t1",
            "title": "Autumn 2026",
            "type": "term",
            "startDate": "2026-09-01",
            "endDate": "2026-12-18",
            "parent": ref("academicSession", "y2026"),
            "schoolYear": "2027",
        },
    ]
    courses = [
        {
            **base,
            "sourcedId": f"c{n}",
            "title": title,
            "courseCode": code,
            "grades": ["09", "10"],
            "subjects": [subject],
            "org": ref("org", "s1"),
            "schoolYear": ref("academicSession", "y2026"),
        }
        for n, (title, code, subject) in enumerate(
            [("Potions", "POT", "science"), ("Charms", "CHA", "science"), ("Flying", "FLY", "pe")],
            start=1,
        )
    ]
    classes = [
        {
            **base,
            "sourcedId": f"k{n}",
            "title": title,
            "classCode": f"{title[:3].upper()}-{n}",
            "classType": "scheduled",
            "location": f"Room {n}",
            "grades": ["09"],
            "subjects": ["science"],
            "course": ref("course", course),
            "school": ref("org", org),
            "terms": [ref("academicSession", "t1"), ref("academicSession", "y2026")],
            "periods": ["1", "2"] if n == 1 else ["3"],
            "metadata": {"ext_room_capacity": "30"},
        }
        for n, (title, course, org) in enumerate(
            [
                ("Potions 9A", "c1", "s1"),
                ("Potions 9B", "c1", "s1"),
                ("Charms 9", "c2", "s1"),
                ("Flying 9", "c3", "s2"),
            ],
            start=1,
        )
    ]
    people = [
        (f"u{n:03d}", "student", f"Pupil{n}", "s1" if n % 4 else "s2") for n in range(students)
    ]
    people += [("t01", "teacher", "Severus", "s1"), ("t02", "teacher", "Filius", "s1")]
    people += [("t03", "teacher", "Rolanda", "s2"), ("a01", "aide", "Argus", "s1")]
    users = [user(version, sid, role, given, org) for sid, role, given, org in people]
    users[1]["enabledUser"] = False if version == "1.2" else "false"
    enrollments = []
    for n in range(students):
        for k in ("k1", "k3") if n % 2 else ("k2", "k4"):
            enrollments.append(enrollment(version, f"e{n:03d}{k}", f"u{n:03d}", k, "student"))
    for teacher, k in (("t01", "k1"), ("t01", "k2"), ("t02", "k3"), ("t03", "k4"), ("a01", "k1")):
        role = "aide" if teacher.startswith("a") else "teacher"
        enrollments.append(enrollment(version, f"e{teacher}{k}", teacher, k, role, primary=True))
    return {
        "orgs": orgs,
        "academicSessions": sessions,
        "courses": courses,
        "classes": classes,
        "users": users,
        "enrollments": enrollments,
    }


def user(version: str, sourced_id: str, role: str, given: str, org: str) -> JSON:
    record: JSON = {
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": OLD,
        "username": f"{given.lower()}.{sourced_id}",
        "userIds": [
            {"type": "LDAP", "identifier": f"{given.lower()}{sourced_id}"},
            {"type": "SIS", "identifier": sourced_id.upper()},
        ],
        "enabledUser": True if version == "1.2" else "true",
        "givenName": given,
        "familyName": "Smith",
        "email": f"{given.lower()}.{sourced_id}@hogwarts.example",
        "identifier": sourced_id.upper(),
        "grades": ["09"] if role == "student" else [],
        "password": "Sup3r-s3cret!",
        "agents": [],
    }
    if version == "1.1":
        record["role"] = role
        record["orgs"] = [guid_ref("org", org, version)]
    else:
        record["roles"] = [
            {"roleType": "primary", "role": role, "org": guid_ref("org", org, version)}
        ]
        record["primaryOrg"] = guid_ref("org", org, version)
        record["preferredFirstName"] = given
    return record


def enrollment(
    version: str, sourced_id: str, user_id: str, class_id: str, role: str, primary: bool = False
) -> JSON:
    return {
        "sourcedId": sourced_id,
        "status": "active",
        "dateLastModified": OLD,
        "user": guid_ref("user", user_id, version),
        "class": guid_ref("class", class_id, version),
        "school": guid_ref("org", "s1", version),
        "role": role,
        "primary": primary if version == "1.2" else ("true" if primary else "false"),
        "beginDate": "2026-09-01",
    }


@dataclass
class Fault:
    statuses: list[int]
    headers: dict[str, str]


@dataclass
class OneRosterServer:
    """The running server: its ``url``, ``token_url``, data, script and history."""

    data: dict[str, list[JSON]]
    version: str = "1.2"
    client_id: str = "rostersync-client"
    client_secret: str = "or-secret-CANARY-9a7b"
    expires_in: int = 3600
    link_header: bool = True
    total_header: bool = True
    refuse_filter: bool = False
    history: list[tuple[str, str, int]] = field(default_factory=list)
    tokens: dict[str, float] = field(default_factory=dict)  # token -> expiry (time.time)
    faults: dict[str, Fault] = field(default_factory=dict)
    hooks: dict[str, Callable[[OneRosterServer], None]] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    url: str = ""

    @property
    def prefix(self) -> str:
        return PREFIXES[self.version]

    @property
    def token_url(self) -> str:
        return self.url + TOKEN_PATH

    # -- script ---------------------------------------------------------------------
    def fail(self, collection: str, statuses: list[int], **headers: str) -> None:
        """The next requests for ``collection`` (or ``"token"``) answer ``statuses``."""
        self.faults[collection] = Fault(
            list(statuses), {k.replace("_", "-"): v for k, v in headers.items()}
        )

    def between_pages(self, collection: str, hook: Callable[[OneRosterServer], None]) -> None:
        """Run ``hook`` after each page of ``collection`` is served (data changing mid-read)."""
        self.hooks[collection] = hook

    def expire_tokens(self) -> None:
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0

    def insert(self, collection: str, record: JSON) -> None:
        with self.lock:
            self.data[collection].append(record)

    def update(self, collection: str, sourced_id: str, **values: Any) -> None:
        with self.lock:
            for record in self.data[collection]:
                if record["sourcedId"] == sourced_id:
                    record.update(values)

    def requests_for(self, collection: str) -> list[str]:
        path = f"{self.prefix}/{collection}"
        return [p for _, p, _ in self.history if urlsplit(p).path == path]

    # -- serving --------------------------------------------------------------------
    def _fault(self, key: str) -> tuple[int, dict[str, str]] | None:
        with self.lock:
            fault = self.faults.get(key)
            if fault is None or not fault.statuses:
                return None
            return fault.statuses.pop(0), fault.headers

    def token(self, authorization: str, body: str) -> tuple[int, JSON, dict[str, str]]:
        fault = self._fault("token")
        if fault is not None:
            return fault[0], {"error": "temporarily_unavailable"}, fault[1]
        expected = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        form = parse_qs(body)
        if authorization != f"Basic {expected}":
            return 401, {"error": "invalid_client"}, {}
        if form.get("grant_type") != ["client_credentials"]:
            return 400, {"error": "unsupported_grant_type"}, {}
        token = secrets.token_urlsafe(16)
        with self.lock:
            self.tokens[token] = time.time() + self.expires_in
        return (
            200,
            {"access_token": token, "token_type": "bearer", "expires_in": self.expires_in},
            {},
        )

    def collection(
        self, authorization: str, path: str, query: str
    ) -> tuple[int, JSON, dict[str, str]]:
        token = authorization.removeprefix("Bearer ")
        with self.lock:
            expiry = self.tokens.get(token)
        if expiry is None or expiry <= time.time():
            return 401, {"imsx_codeMajor": "failure", "imsx_description": "token expired"}, {}
        name = path.removeprefix(self.prefix + "/")
        if name not in COLLECTIONS:
            return 404, {"imsx_codeMajor": "failure", "imsx_description": "unknown"}, {}
        fault = self._fault(name)
        if fault is not None:
            return fault[0], {"imsx_description": "scripted fault"}, fault[1]
        params = {k: v[0] for k, v in parse_qs(query).items()}
        try:
            limit = min(int(params.get("limit", 100)), MAX_LIMIT)
            offset = int(params.get("offset", 0))
        except ValueError:
            return 400, {"imsx_description": "limit and offset are numbers"}, {}
        with self.lock:
            records = sorted(self.data[name], key=lambda r: str(r["sourcedId"]))
        if "filter" in params:
            since = _since(params["filter"])
            if since is None or self.refuse_filter:
                return 400, {"imsx_codeMajor": "failure", "imsx_description": "invalid filter"}, {}
            records = [r for r in records if str(r.get("dateLastModified", "")) > since]
        page = copy.deepcopy(records[offset : offset + limit])
        headers: dict[str, str] = {}
        if self.total_header:
            headers["X-Total-Count"] = str(len(records))
        if self.link_header:
            links = []
            base = f"{self.url}{path}"
            if offset + limit < len(records):
                links.append(
                    f'<{base}?{urlencode({**params, "offset": offset + limit})}>; rel="next"'
                )
            last = max(0, (len(records) - 1) // limit * limit)
            links.append(f'<{base}?{urlencode({**params, "offset": last})}>; rel="last"')
            headers["Link"] = ", ".join(links)
        hook = self.hooks.get(name)
        if hook is not None:
            hook(self)
        return 200, {name: page}, headers

    def __enter__(self) -> OneRosterServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int, body: JSON, headers: dict[str, str]) -> None:
                data = json.dumps(body).encode()
                with server.lock:
                    server.history.append((self.command, self.path, status))
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                if urlsplit(self.path).path != TOKEN_PATH:
                    self._answer(404, {"error": "not found"}, {})
                    return
                self._answer(*server.token(self.headers.get("Authorization", ""), body))

            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                auth = self.headers.get("Authorization", "")
                self._answer(*server.collection(auth, parts.path, parts.query))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


def _since(expression: str) -> str | None:
    """The ISO time of ``dateLastModified>'...'``; None for any other filter."""
    field_name, op, value = expression.partition(">")
    if field_name.strip() != "dateLastModified" or not op:
        return None
    value = value.strip()
    if len(value) < 2 or value[0] != "'" or value[-1] != "'":
        return None
    return value[1:-1]

"""A fake Clever v3.0 Data API on loopback, written from Clever's own spec.

It serves ``/v3.0/users``, ``/sections``, ``/schools`` and ``/events`` with the list
envelope (``data`` items of ``{"data": ..., "uri": ...}`` and ``links``), paginates by
ascending id with ``starting_after`` (the last page is an empty one), sends the
rate-limit headers (``rate_limit`` requests per ``window_seconds``, then 429 with an
empty body until the window resets), answers a bad token with 401, an unknown path
with an HTML page, ``limit`` over 10000 with 413, and keeps a mutable event log.
Faults are scripted::

    with CleverServer(generate_district(), token="t") as server:
        server.fail("/v3.0/sections", [502, 502], after=1)
        server.update_user(user_id, email="new@example.org")   # changes data and logs an event

``history`` records every request as ``(path_with_query, status)``.
"""

from __future__ import annotations

import copy
import json
import math
import random
import threading
import time
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

JSON = dict[str, Any]
PREFIX = "/v3.0"
MAX_LIMIT = 10000
DEFAULT_LIMIT = 100
RATE_LIMIT = 1200
HTML_PAGE = (
    "<!DOCTYPE html><html><head><title>{status}</title></head>"
    "<body><h1>{status}</h1><p>Something went wrong.</p></body></html>"
)
FIRST = ["Ada", "Ben", "Cleo", "Dev", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jun", "Kai", "Lea"]
LAST = ["Ng", "Okafor", "Patel", "Quinn", "Rossi", "Sato", "Tran", "Ueda", "Vega", "Wong"]
SUBJECTS = ["math", "science", "english/language arts", "social studies", "arts and music"]


def object_id(kind: int, number: int) -> str:
    """A 24-hex-digit id, ascending with ``number`` (Clever ids are ObjectIDs)."""
    return f"5f{kind:02x}{number:020x}"


@dataclass
class District:
    """Everything the server serves, keyed by id."""

    users: dict[str, JSON] = field(default_factory=dict)
    sections: dict[str, JSON] = field(default_factory=dict)
    schools: dict[str, JSON] = field(default_factory=dict)

    def role_of(self, user: JSON) -> list[str]:
        return sorted(user.get("roles") or {})

    def username(self, uid: str) -> str:
        user = self.users[uid]
        role = next(iter(user["roles"]))
        return str(user["roles"][role]["credentials"]["district_username"])

    def write_impero_csv(self, folder: Path) -> None:
        """The same roster as Impero CSV files (class = section name, user = district username)."""
        folder.mkdir(parents=True, exist_ok=True)
        students, teachers = ["version,1", "username,class"], ["version,1", "username,class"]
        for section in sorted(self.sections.values(), key=lambda s: s["id"]):
            for uid in section["students"]:
                students.append(f"{self.username(uid)},{section['name']}")
            for uid in section["teachers"]:
                teachers.append(f"{self.username(uid)},{section['name']}")
        (folder / "students.csv").write_text("\n".join(students) + "\n", encoding="utf-8")
        (folder / "teachers.csv").write_text("\n".join(teachers) + "\n", encoding="utf-8")


def make_user(number: int, role: str, school: str, *, kind: int) -> JSON:
    rng = random.Random(number * 31 + kind)
    first, last = rng.choice(FIRST), rng.choice(LAST)
    username = f"{first[0].lower()}{last.lower()}{number}"
    role_data: JSON = {
        "credentials": {"district_username": username},
        "sis_id": f"{role[0].upper()}{number:05d}",
        "school": school,
        "schools": [school],
        "ext": {"house": rng.choice(["red", "blue"])},
    }
    if role == "student":
        role_data.update(
            grade=rng.choice(["6", "7", "8", "13", "Ungraded", ""]),
            gender=rng.choice(["M", "F", "X", ""]),
            dob=f"{rng.randint(1, 12)}/{rng.randint(1, 28)}/2012",
        )
    return {
        "id": object_id(kind, number),
        "district": "5d0000000000000000000001",
        "email": f"{username}@district.example",
        "name": {"first": first, "last": last, "middle": ""},
        "roles": {role: role_data},
        "created": "2025-08-01T00:00:00.000Z",
        "last_modified": "2025-08-01T00:00:00.000Z",
        "some_future_field": {"unknown": True},
    }


def generate_district(
    students: int = 320, *, section_size: int = 25, per_student: int = 4, seed: int = 7
) -> District:
    """A deterministic district: ``students`` students, ``students // 16`` teachers, two
    schools, and sections of about ``section_size`` students (each student in
    ``per_student`` of them); every fifth section has a co-teacher."""
    rng = random.Random(seed)
    district = District()
    for n in range(2):
        sid = object_id(1, n)
        district.schools[sid] = {"id": sid, "name": f"School {n + 1}", "sis_id": f"SCH{n}"}
    school_ids = sorted(district.schools)
    teacher_ids = []
    for n in range(max(1, students // 16)):
        user = make_user(n, "teacher", school_ids[n % 2], kind=3)
        district.users[user["id"]] = user
        teacher_ids.append(user["id"])
    student_ids = []
    for n in range(students):
        user = make_user(n, "student", school_ids[n % 2], kind=2)
        district.users[user["id"]] = user
        student_ids.append(user["id"])
    count = max(1, students * per_student // section_size)
    enrolled: dict[int, set[str]] = {i: set() for i in range(count)}
    for uid in student_ids:
        for i in rng.sample(range(count), min(per_student, count)):
            enrolled[i].add(uid)
    for i in range(count):
        if not enrolled[i]:
            enrolled[i].add(student_ids[i % len(student_ids)])
        primary = teacher_ids[i % len(teacher_ids)]
        teachers = [primary]
        if i % 5 == 0 and len(teacher_ids) > 1:
            teachers.append(teacher_ids[(i + 1) % len(teacher_ids)])
        sid = object_id(4, i)
        district.sections[sid] = {
            "id": sid,
            "name": f"{SUBJECTS[i % len(SUBJECTS)].split('/')[0].title()} {i + 1}",
            "period": str(i % 7 + 1),
            "section_number": str(i),
            "sis_id": f"SEC{i:04d}",
            "subject": SUBJECTS[i % len(SUBJECTS)],
            "grade": rng.choice(["6", "7", "8", "Ungraded"]),
            "school": school_ids[i % 2],
            "students": sorted(enrolled[i]),
            "teacher": primary,
            "teachers": teachers,
            "term_id": "t1",
            "district": "5d0000000000000000000001",
        }
    return district


@dataclass
class Fault:
    prefix: str
    statuses: list[int]
    after: int
    retry_after: float | None
    seen: int = 0


class CleverServer:
    """The fake API in a thread on 127.0.0.1 (an ephemeral port); use as a context manager."""

    def __init__(
        self, district: District | None = None, *, token: str = "test-token", events: bool = True
    ) -> None:
        self.district = district if district is not None else generate_district()
        self.token = token
        self.events_enabled = events
        self.events: list[JSON] = []
        self.history: list[tuple[str, int]] = []
        self.faults: list[Fault] = []
        self.rate_limit = RATE_LIMIT
        self.window_seconds = 60.0
        self.window_start = time.time()
        self.window_used = 0
        self.lock = threading.Lock()
        self._event_number = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------
    def __enter__(self) -> CleverServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.handle(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._httpd is not None and self._thread is not None
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join()

    @property
    def url(self) -> str:
        assert self._httpd is not None
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # -- scripting ---------------------------------------------------------------
    def fail(
        self, prefix: str, statuses: list[int], *, after: int = 0, retry_after: float | None = None
    ) -> None:
        """After ``after`` requests whose path starts with ``prefix`` pass, answer the next
        ones with ``statuses`` in turn (429: empty body; 502, 504 and 1000 + code: an HTML
        page; else a JSON ``message``)."""
        with self.lock:
            self.faults.append(Fault(prefix, list(statuses), after, retry_after))

    def requests_to(self, prefix: str) -> list[tuple[str, int]]:
        with self.lock:
            return [h for h in self.history if h[0].startswith(prefix)]

    # -- the event log -------------------------------------------------------------
    def _emit(self, kind: str, action: str, obj: JSON) -> str:
        self._event_number += 1
        eid = object_id(9, self._event_number)
        self.events.append(
            {
                "id": eid,
                "type": f"{kind}.{action}",
                "created": "2026-01-01T00:00:00.000Z",
                "data": {"object": copy.deepcopy(obj)},
            }
        )
        return eid

    def upsert_user(self, user: JSON) -> str:
        with self.lock:
            action = "updated" if user["id"] in self.district.users else "created"
            self.district.users[user["id"]] = copy.deepcopy(user)
            return self._emit("users", action, user)

    def update_user(self, uid: str, **changes: Any) -> str:
        user = copy.deepcopy(self.district.users[uid])
        user.update(changes)
        return self.upsert_user(user)

    def delete_user(self, uid: str) -> str:
        with self.lock:
            user = self.district.users.pop(uid)
            eid = self._emit("users", "deleted", user)
            for section in self.district.sections.values():
                if uid in section["students"] or uid in section["teachers"]:
                    section["students"] = [s for s in section["students"] if s != uid]
                    section["teachers"] = [t for t in section["teachers"] if t != uid]
                    eid = self._emit("sections", "updated", section)
            return eid

    def upsert_section(self, section: JSON) -> str:
        with self.lock:
            action = "updated" if section["id"] in self.district.sections else "created"
            self.district.sections[section["id"]] = copy.deepcopy(section)
            return self._emit("sections", action, section)

    def update_section(self, sid: str, **changes: Any) -> str:
        section = copy.deepcopy(self.district.sections[sid])
        section.update(changes)
        return self.upsert_section(section)

    def delete_section(self, sid: str) -> str:
        with self.lock:
            return self._emit("sections", "deleted", self.district.sections.pop(sid))

    def emit_other(self, event_type: str, obj: JSON) -> str:
        """An event of a kind the source does not use (terms, courses...)."""
        kind, _, action = event_type.partition(".")
        with self.lock:
            return self._emit(kind, action, obj)

    def expire_events(self) -> None:
        """Forget every event, as Clever does after 30 days."""
        with self.lock:
            self.events.clear()

    # -- serving -------------------------------------------------------------------
    def _fault(self, path: str) -> Fault | None:
        for fault in self.faults:
            if path.startswith(fault.prefix) and fault.statuses:
                if fault.seen < fault.after:
                    fault.seen += 1
                    return None
                return fault
        return None

    def new_window(self) -> None:
        """Start a fresh rate-limit window now (as if its reset time had come)."""
        with self.lock:
            self.window_start = time.time()
            self.window_used = 0

    def handle(self, request: BaseHTTPRequestHandler) -> None:
        split = urlsplit(request.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        with self.lock:
            now = time.time()
            if now >= self.window_start + self.window_seconds:
                self.window_start, self.window_used = now, 0
            if self.window_used >= self.rate_limit:
                status, body, headers = 429, "", {}
            else:
                self.window_used += 1
                status, body, headers = self._answer(split.path, query, request)
            self.history.append((request.path, status))
            base = {
                "X-RateLimit-Limit": str(self.rate_limit),
                "X-RateLimit-Remaining": str(max(0, self.rate_limit - self.window_used)),
                "X-RateLimit-Reset": str(math.ceil(self.window_start + self.window_seconds)),
                "X-RateLimit-Bucket": "district-token",
            }
            # Serialized under the lock: the data cannot change while it is written out.
            payload = (
                b""
                if body == ""
                else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
            )
        request.send_response(status)
        for key, value in {**base, **headers}.items():
            request.send_header(key, value)
        request.send_header("Content-Length", str(len(payload)))
        request.end_headers()
        request.wfile.write(payload)

    def _answer(
        self, path: str, query: dict[str, str], request: BaseHTTPRequestHandler
    ) -> tuple[int, JSON | str, dict[str, str]]:
        json_type = {"Content-Type": "application/json"}
        html_type = {"Content-Type": "text/html; charset=utf-8"}
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return 401, {"message": "Unauthorized"}, json_type
        fault = self._fault(path)
        if fault is not None:
            status = fault.statuses.pop(0)
            if status == 429:
                extra = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after}"}
                return 429, "", extra
            if status in (502, 504) or status >= 1000:
                return status % 1000, HTML_PAGE.format(status=status), html_type
            return status, {"message": f"scripted error {status}"}, json_type
        lists: dict[str, Iterator[JSON] | list[JSON]] = {
            f"{PREFIX}/schools": list(self.district.schools.values()),
            f"{PREFIX}/sections": list(self.district.sections.values()),
        }
        if path == f"{PREFIX}/users":
            role = query.get("role")
            users = [u for u in self.district.users.values() if not role or role in u["roles"]]
            return self._page(path, users, query, "users")
        if path in lists:
            return self._page(path, list(lists[path]), query, path.rsplit("/", 1)[1])
        if path == f"{PREFIX}/events":
            return self._events(path, query)
        return 404, HTML_PAGE.format(status="404 Not Found"), html_type

    def _page(
        self, path: str, items: list[JSON], query: dict[str, str], kind: str
    ) -> tuple[int, JSON | str, dict[str, str]]:
        json_type = {"Content-Type": "application/json"}
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
        except ValueError:
            return 400, {"message": "limit must be an integer"}, json_type
        if limit > MAX_LIMIT:
            return 413, {"message": f"limit cannot exceed {MAX_LIMIT}"}, json_type
        ordered = sorted(items, key=lambda item: item["id"])
        after = query.get("starting_after")
        before = query.get("ending_before")
        if after:
            start = bisect_right(ordered, after, key=lambda item: item["id"])
            chunk = ordered[start : start + limit]
        elif before:
            if before != "last":
                ordered = [i for i in ordered if i["id"] < before]
            chunk = ordered[-limit:] if limit else []
        else:
            chunk = ordered[:limit]
        base = {k: v for k, v in query.items() if k not in ("starting_after", "ending_before")}
        links = [{"rel": "self", "uri": f"{path}?{urlencode(query)}"}]
        if chunk:
            nxt = urlencode({**base, "starting_after": chunk[-1]["id"]})
            links.append({"rel": "next", "uri": f"{path}?{nxt}"})
            prv = urlencode({**base, "ending_before": chunk[0]["id"]})
            links.append({"rel": "prev", "uri": f"{path}?{prv}"})
        data = [{"data": i, "uri": f"{PREFIX}/{kind}/{i['id']}"} for i in chunk]
        return 200, {"data": data, "links": links}, json_type

    def _events(self, path: str, query: dict[str, str]) -> tuple[int, JSON | str, dict[str, str]]:
        json_type = {"Content-Type": "application/json"}
        if not self.events_enabled:
            return 403, {"message": "Events are not enabled for this district"}, json_type
        after = query.get("starting_after")
        if after and after not in {e["id"] for e in self.events}:
            return 400, {"message": f"starting_after: no event {after}"}, json_type
        return self._page(path, self.events, query, "events")

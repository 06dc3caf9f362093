"""The OneRoster REST reader against a fake OneRoster server on 127.0.0.1."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest

from plugins.oneroster.rest import FilterRefused, RestOptions, RestReader
from plugins.oneroster.rows import Tables
from sync.api import RetriableError, SourceError
from tests.fakes.oneroster_server import OLD, OneRosterServer, enrollment, school, user


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(params=["1.1", "1.2"])
def server(request: pytest.FixtureRequest) -> Iterator[OneRosterServer]:
    with OneRosterServer(school(request.param), version=request.param) as running:
        yield running


def reader(server: OneRosterServer, sleeps: Sleeps | None = None, **options: Any) -> RestReader:
    settings: dict[str, Any] = {"page_size": 5, "max_attempts": 4, **options}
    backoff = settings.pop("backoff_seconds", 0.5)
    return RestReader(
        server.url,
        server.version,  # type: ignore[arg-type]
        server.token_url,
        server.client_id,
        settings.pop("client_secret", server.client_secret),
        backoff_seconds=backoff,
        key="sources.district",
        sleep=sleeps if sleeps is not None else Sleeps(),
        **settings,
    )


def ids(tables: Tables, table: str) -> list[str]:
    return sorted(row.get("sourcedId") for row in tables[table])


def test_read_all_pages_through_every_collection(server: OneRosterServer) -> None:
    tables = reader(server).read_all()
    for name, records in server.data.items():
        assert ids(tables, name) == sorted(r["sourcedId"] for r in records), name
    enrolment_pages = server.requests_for("enrollments")
    assert len(enrolment_pages) == -(-len(server.data["enrollments"]) // 5)  # ceil
    assert enrolment_pages[0].endswith("limit=5&offset=0")
    row = next(r for r in tables["classes"] if r.get("sourcedId") == "k1")
    assert row.file == f"{server.prefix}/classes" and row.line == 1


@pytest.mark.parametrize(("link", "total"), [(False, True), (False, False)])
def test_paging_without_a_link_header(link: bool, total: bool) -> None:
    with OneRosterServer(school("1.1"), version="1.1") as server:
        server.link_header, server.total_header = link, total
        tables = reader(server).read_all()
        assert ids(tables, "users") == sorted(r["sourcedId"] for r in server.data["users"])
        pages = server.requests_for("users")
        users = len(server.data["users"])
        # with the total: exactly the pages needed; without: one more, found short or empty
        assert len(pages) == -(-users // 5) + (0 if total or users % 5 else 1)


def test_a_class_is_flattened_into_the_csv_columns(server: OneRosterServer) -> None:
    tables = reader(server).read_all()
    row = next(r for r in tables["classes"] if r.get("sourcedId") == "k1")
    assert dict(row.values) == {
        "sourcedId": "k1",
        "status": "active",
        "dateLastModified": OLD,
        "title": "Potions 9A",
        "grades": "09",
        "courseSourcedId": "c1",
        "classCode": "POT-1",
        "classType": "scheduled",
        "location": "Room 1",
        "schoolSourcedId": "s1",
        "termSourcedIds": "t1,y2026",
        "subjects": "science",
        "subjectCodes": "",
        "periods": "1,2",
    }
    course = next(r for r in tables["courses"] if r.get("sourcedId") == "c1")
    assert course.get("orgSourcedId") == "s1" and course.get("schoolYearSourcedId") == "y2026"
    assert course.get("grades") == "09,10"
    term = next(r for r in tables["academicSessions"] if r.get("sourcedId") == "t1")
    assert term.get("parentSourcedId") == "y2026" and term.get("startDate") == "2026-09-01"
    enrolment = next(r for r in tables["enrollments"] if r.get("sourcedId") == "et01k1")
    assert (enrolment.get("classSourcedId"), enrolment.get("userSourcedId")) == ("k1", "t01")
    assert enrolment.get("role") == "teacher" and enrolment.get("primary") == "true"


def test_users_are_flattened_per_version_and_passwords_are_dropped(
    server: OneRosterServer,
) -> None:
    tables = reader(server).read_all()
    users = {r.get("sourcedId"): r for r in tables["users"]}
    teacher = users["t01"]
    assert teacher.get("username") == "severus.t01"
    assert teacher.get("userIds") == "{LDAP:severust01},{SIS:T01}"
    assert teacher.get("enabledUser") == "true" and users["u001"].get("enabledUser") == "false"
    assert all("password" not in r.values for r in tables["users"])
    if server.version == "1.1":
        assert teacher.get("role") == "teacher" and teacher.get("orgSourcedIds") == "s1"
        assert "roles" not in tables
    else:
        assert "role" not in teacher.values and teacher.get("primaryOrgSourcedId") == "s1"
        assert teacher.get("preferredGivenName") == "Severus"
        [role] = [r for r in tables["roles"] if r.get("userSourcedId") == "t01"]
        assert dict(role.values) == {
            "sourcedId": "t01:role:1",
            "status": "active",
            "dateLastModified": OLD,
            "userSourcedId": "t01",
            "roleType": "primary",
            "role": "teacher",
            "beginDate": "",
            "endDate": "",
            "orgSourcedId": "s1",
            "userProfileSourcedId": "",
        }


def test_an_expired_token_is_fetched_again_once(server: OneRosterServer) -> None:
    rest = reader(server)
    rest.read_all()
    server.expire_tokens()
    tables = rest.read_all()
    assert ids(tables, "orgs") == ["d1", "s1", "s2"]
    statuses = [
        status for _, path, status in server.history if path.endswith("/orgs?limit=5&offset=0")
    ]
    assert statuses == [200, 401, 200]
    assert [m for m, path, _ in server.history if path == "/oauth/token"] == ["POST", "POST"]


def test_a_token_is_refreshed_when_it_expires_by_its_lifetime() -> None:
    with OneRosterServer(school("1.2"), expires_in=60) as server:
        now = [1_000.0]
        rest = reader(server, clock=lambda: now[0])
        rest.read_all()
        now[0] += 45  # within 30 s of the 60 s lifetime: fetched again before it is sent
        rest.read_all()
        assert [s for _, p, s in server.history if p == "/oauth/token"] == [200, 200]
        assert all(status == 200 for _, _, status in server.history)


def test_429_waits_for_retry_after(server: OneRosterServer) -> None:
    server.fail("classes", [429, 429], Retry_After="2")
    sleeps = Sleeps()
    rest = reader(server, sleeps)
    tables = rest.read_all()
    assert ids(tables, "classes") == ["k1", "k2", "k3", "k4"]
    assert sleeps == [2.0, 2.0] and rest.retries == 2


def test_5xx_backs_off_then_gives_up(server: OneRosterServer) -> None:
    server.fail("users", [503, 502])
    sleeps = Sleeps()
    reader(server, sleeps).read_all()
    assert sleeps == [0.5, 1.0]
    server.fail("users", [500, 500, 500, 500])
    with pytest.raises(RetriableError, match="HTTP 500"):
        reader(server, Sleeps()).read_all()


@pytest.mark.parametrize(
    ("status", "advice"),
    [(401, "refused the token"), (403, "may not read enrollments"), (404, "check url and version")],
)
def test_refusals_fail_clearly(server: OneRosterServer, status: int, advice: str) -> None:
    server.fail("enrollments", [status, status])
    with pytest.raises(SourceError, match=advice) as caught:
        reader(server).read_all()
    assert "sources.district" in str(caught.value)
    assert not isinstance(caught.value, FilterRefused)


def test_a_wrong_secret_fails_and_the_secret_is_never_shown(
    server: OneRosterServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "wrong-secret-CANARY-4e4e"
    with caplog.at_level(logging.DEBUG), pytest.raises(SourceError) as caught:
        reader(server, client_secret=wrong).read_all()
    message = str(caught.value)
    assert "could not get a token" in message and "HTTP 401" in message
    assert "token_url, client_id and client_secret" in message
    with caplog.at_level(logging.DEBUG):
        server.fail("users", [503, 401, 401])
        with pytest.raises(SourceError):
            reader(server).read_all()
    for secret in (wrong, server.client_secret):
        assert secret not in message and secret not in caplog.text
    assert caplog.text  # the retries and token fetches were logged


def test_read_changed_returns_the_changes_including_deletions(server: OneRosterServer) -> None:
    late = "2026-11-30T10:00:00.000Z"
    server.update("classes", "k2", title="Potions 9B (moved)", dateLastModified=late)
    server.update("enrollments", "e000k2", status="tobedeleted", dateLastModified=late)
    server.insert(
        "users",
        {**user(server.version, "u900", "student", "Neville", "s1"), "dateLastModified": late},
    )
    server.insert(
        "enrollments",
        {**enrollment(server.version, "e900k2", "u900", "k2", "student"), "dateLastModified": late},
    )
    changed = reader(server).read_changed("2026-11-01T00:00:00Z")
    assert ids(changed, "classes") == ["k2"] and ids(changed, "orgs") == []
    assert ids(changed, "users") == ["u900"]
    assert {r.get("sourcedId"): r.get("status") for r in changed["enrollments"]} == {
        "e000k2": "tobedeleted",
        "e900k2": "active",
    }
    sent = server.requests_for("classes")[-1]
    assert "filter=dateLastModified%3E%272026-11-01T00%3A00%3A00Z%27" in sent


def test_a_refused_filter_says_so_for_a_full_read() -> None:
    with OneRosterServer(school("1.2"), refuse_filter=True) as server:
        rest = reader(server)
        with pytest.raises(FilterRefused, match="refused the filter"):
            rest.read_changed("2026-11-01T00:00:00Z")
        assert ids(rest.read_all(), "orgs") == ["d1", "s1", "s2"]  # the fallback works


def test_records_inserted_between_pages_are_read_again_not_missed(server: OneRosterServer) -> None:
    added: list[str] = []

    def insert_once(s: OneRosterServer) -> None:
        if not added:  # an early sourcedId: every later record shifts by one
            added.append("a00")
            s.insert("users", user(s.version, "a00", "student", "Luna", "s1"))

    server.between_pages("users", insert_once)
    tables = reader(server).read_all()
    assert ids(tables, "users") == sorted(r["sourcedId"] for r in server.data["users"])
    assert "a00" in ids(tables, "users")
    assert len(tables["users"]) == len({r.get("sourcedId") for r in tables["users"]})
    assert server.requests_for("users").count(f"{server.prefix}/users?limit=5&offset=0") == 2


def test_a_collection_that_never_settles_fails_the_read() -> None:
    with OneRosterServer(school("1.1"), version="1.1") as server:
        count = [0]

        def insert_always(s: OneRosterServer) -> None:
            count[0] += 1
            s.insert("users", user(s.version, f"a{count[0]:02d}", "student", "Luna", "s1"))

        server.between_pages("users", insert_always)
        with pytest.raises(SourceError, match="users kept changing while it was read"):
            reader(server).read_all()


def test_options_take_secrets_and_the_shared_names(server: OneRosterServer) -> None:
    options = RestOptions.model_validate(
        {
            "url": server.url + "/",
            "version": server.version,
            "token_url": server.token_url,
            "client_id": server.client_id,
            "client_secret": server.client_secret,
            "page_size": 3,
            "max_attempts": 2,
            "max_wait_seconds": 5,
        }
    )
    assert server.client_secret not in repr(options)
    rest = RestReader.from_options(options, key="sources.district", sleep=Sleeps())
    try:
        assert ids(rest.read_all(), "classes") == ["k1", "k2", "k3", "k4"]
    finally:
        rest.close()
    with pytest.raises(ValueError, match="https://"):
        RestOptions.model_validate({**options.model_dump(), "url": "ftp://x"})

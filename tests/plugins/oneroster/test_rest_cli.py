"""The oneroster source reading a REST server, end to end through the command line.

Every test runs the CLI against the fake OneRoster server (tests/fakes) on 127.0.0.1:
a full first read, incremental reruns by ``dateLastModified``, the filter refused, 429/5xx
recovered, 401 failing clearly, and the same district from a CSV package and from the API
making the same groups.
"""

from __future__ import annotations

import csv
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import CliRun
from tests.fakes.oneroster_server import OneRosterServer, enrollment, school, user
from tests.plugins.oneroster.cli import configure, configure_keys, run_json

LATE = "2026-11-30T10:00:00.000Z"
SECRET_ENV = "ONEROSTER_TEST_SECRET"

KEYS = """\
url = "{url}"
version = "{version}"
token_url = "{token_url}"
client_id = "{client_id}"
client_secret = {{ env = "{env}" }}
backoff_seconds = 0
{extra}
"""

#: school("1.1", students=4): u001 is disabled, odd pupils take k1 and k3, even k2 and k4;
#: the aide a01 gets no access by default.
GROUPS = {
    "k1": ("Potions 9A", ["pupil3.u003"], ["severus.t01"]),
    "k2": ("Potions 9B", ["pupil0.u000", "pupil2.u002"], ["severus.t01"]),
    "k3": ("Charms 9", ["pupil3.u003"], ["filius.t02"]),
    "k4": ("Flying 9", ["pupil0.u000", "pupil2.u002"], ["rolanda.t03"]),
}


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[OneRosterServer]:
    with OneRosterServer(school("1.1", students=4), version="1.1") as running:
        monkeypatch.setenv(SECRET_ENV, running.client_secret)
        yield running


def configure_rest(folder: Path, server: OneRosterServer, extra: str = "") -> Path:
    keys = KEYS.format(
        url=server.url,
        version=server.version,
        token_url=server.token_url,
        client_id=server.client_id,
        env=SECRET_ENV,
        extra=extra,
    )
    return configure_keys(folder, "oneroster", keys)


def shown(rostersync: CliRun, config: Path) -> list[dict[str, Any]]:
    """The target's groups (``--no-names``: show would read the server for people's names)."""
    return list(run_json(rostersync, config, "show", "--no-names")["groups"])


def groups(rostersync: CliRun, config: Path) -> dict[str, Any]:
    return {
        g["key"]: (g["name"], sorted(g["members"]), sorted(g["access"]))
        for g in shown(rostersync, config)
    }


def filtered(server: OneRosterServer) -> list[bool]:
    """For each request for orgs (the first collection read), whether it asked for changes."""
    return ["filter=" in path for path in server.requests_for("orgs")]


def test_first_sync_reads_everything_and_a_rerun_reads_only_changes(
    rostersync: CliRun, tmp_path: Path, server: OneRosterServer
) -> None:
    config = configure_rest(tmp_path, server)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    assert groups(rostersync, config) == GROUPS
    assert filtered(server) == [False]
    again = run_json(rostersync, config, "sync")
    assert again["status"] == "ok" and again["changes"] == [] and again["issues"] == []
    assert filtered(server) == [False, True]
    since = "filter=dateLastModified%3E%272026-09-01T08%3A00%3A00.000Z%27"
    assert since in server.requests_for("classes")[-1]  # the newest dateLastModified seen
    assert groups(rostersync, config) == GROUPS


def test_a_moved_student_and_a_tobedeleted_enrolment_change_exactly_that(
    rostersync: CliRun, tmp_path: Path, server: OneRosterServer
) -> None:
    config = configure_rest(tmp_path, server)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    # pupil 3 moves from k1 to k2 (the enrolment now names another class)...
    server.update(
        "enrollments",
        "e003k1",
        dateLastModified=LATE,
        **{"class": {"sourcedId": "k2", "type": "class", "href": "/classes/k2"}},
    )
    # ...and pupil 0 leaves Flying 9.
    server.update("enrollments", "e000k4", status="tobedeleted", dateLastModified=LATE)
    data = run_json(rostersync, config, "sync", "--allow-deletes")  # (2 of 6: over 20 %)
    assert data["status"] == "ok", data
    assert filtered(server) == [False, True]
    assert sorted(data["changes"], key=str) == sorted(
        [
            {"kind": "add_member", "group": "k2", "name": "Potions 9B", "person": "pupil3.u003"},
            {"kind": "remove_member", "group": "k1", "name": "Potions 9A", "person": "pupil3.u003"},
            {"kind": "remove_member", "group": "k4", "name": "Flying 9", "person": "pupil0.u000"},
        ],
        key=str,
    )
    assert run_json(rostersync, config, "sync")["changes"] == []
    # the since moved on to the newest change seen
    assert "2026-11-30T10%3A00%3A00.000Z" in server.requests_for("classes")[-1]


def test_a_new_student_arrives_incrementally_and_matches_a_full_read(
    rostersync: CliRun, tmp_path: Path, server: OneRosterServer
) -> None:
    config = configure_rest(tmp_path, server)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    server.insert(
        "users", {**user("1.1", "u900", "student", "Neville", "s1"), "dateLastModified": LATE}
    )
    server.insert(
        "enrollments",
        {**enrollment("1.1", "e900k3", "u900", "k3", "student"), "dateLastModified": LATE},
    )
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    incremental = groups(rostersync, config)
    assert incremental["k3"][1] == ["neville.u900", "pupil3.u003"]
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    full = configure_rest(fresh, server)
    assert run_json(rostersync, full, "sync")["status"] == "ok"
    assert groups(rostersync, full) == incremental


def test_a_refused_filter_falls_back_to_a_full_read_and_says_so(
    rostersync: CliRun, tmp_path: Path, server: OneRosterServer
) -> None:
    config = configure_rest(tmp_path, server)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    server.refuse_filter = True
    server.update("classes", "k3", title="Charms 9 (moved)", dateLastModified=LATE)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    assert filtered(server) == [False, True, False]
    refused = [i for i in data["issues"] if i["field"] == "filter"]
    assert len(refused) == 1 and refused[0]["severity"] == "warning"
    assert "refused the filter" in refused[0]["message"] and "full read" in refused[0]["message"]
    assert groups(rostersync, config)["k3"][0] == "Charms 9 (moved)"


def test_full_sync_every_hours_zero_reads_everything_every_run(
    rostersync: CliRun, tmp_path: Path, server: OneRosterServer
) -> None:
    config = configure_rest(tmp_path, server, "full_sync_every_hours = 0")
    for _ in range(2):
        assert run_json(rostersync, config, "sync")["status"] == "ok"
    assert filtered(server) == [False, False]


def test_429_and_5xx_are_recovered(
    rostersync: CliRun, tmp_path: Path, server: OneRosterServer
) -> None:
    server.fail("users", [429], Retry_After="0")
    server.fail("classes", [503, 502])
    config = configure_rest(tmp_path, server)
    data = run_json(rostersync, config, "sync")
    assert data["status"] == "ok", data
    assert groups(rostersync, config) == GROUPS
    statuses = [status for _, _, status in server.history]
    assert statuses.count(429) == 1 and statuses.count(503) == 1 and statuses.count(502) == 1


def test_401_fails_clearly_changes_nothing_and_no_secret_is_shown_or_stored(
    rostersync: CliRun,
    tmp_path: Path,
    server: OneRosterServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    config = configure_rest(tmp_path, server)
    first = rostersync("sync", "--json", config=config)
    assert '"status": "ok"' in first.stdout
    wrong = "wrong-secret-CANARY-77aa"
    monkeypatch.setenv(SECRET_ENV, wrong)
    result = rostersync("sync", "--json", config=config)
    data = run_json(rostersync, config, "runs", "show", "2")
    assert data["status"] == "failed"
    assert "could not get a token" in data["error"] and "client_secret" in data["error"]
    assert groups(rostersync, config) == GROUPS
    shown = rostersync("runs", "show", "1", "--json", "--all", config=config).output
    dump = "\n".join(sqlite3.connect(tmp_path / "state.db").iterdump())
    database = (tmp_path / "state.db").read_bytes()
    for secret in (server.client_secret, wrong):
        assert secret not in first.output and secret not in result.output and secret not in shown
        assert secret not in dump and secret.encode() not in database
        assert secret not in caplog.text
    assert "Sup3r-s3cret!" not in dump  # (users' passwords are never kept either)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ('path = "x"\nurl = "http://127.0.0.1:1"', "exactly one of path"),
        ("", "exactly one of path"),
        ('url = "http://127.0.0.1:1"', "url needs token_url, client_id, client_secret"),
        ('path = "x"\ntoken_url = "http://127.0.0.1:1/t"', "only apply with url"),
        (
            'url = "ftp://x"\ntoken_url = "http://a"\nclient_id = "i"\nclient_secret = "s"',
            "must start with https://",
        ),
    ],
)
def test_path_or_url_is_a_clear_config_error(
    rostersync: CliRun, tmp_path: Path, keys: str, expected: str
) -> None:
    config = configure_keys(tmp_path, "oneroster", keys)
    result = rostersync("plan", config=config)
    assert result.exit_code != 0
    assert expected in result.output


# -- the same district from a CSV package and from the API ------------------------------


def _ids(value: Any) -> str:
    items = value if isinstance(value, list) else [value]
    return ",".join(item["sourcedId"] for item in items if item)


def write_package(data: dict[str, list[dict[str, Any]]], folder: Path) -> None:
    """The server's 1.1 records as a OneRoster 1.1 CSV package, from the CSV binding's
    columns (written here from the spec, independently of the REST reader's flattening)."""
    folder.mkdir()
    common = ("sourcedId", "status", "dateLastModified")
    columns: dict[str, dict[str, Any]] = {
        "orgs": {"name": "name", "type": "type", "identifier": "identifier"},
        "academicSessions": {
            "title": "title",
            "type": "type",
            "startDate": "startDate",
            "endDate": "endDate",
            "schoolYear": "schoolYear",
        },
        "courses": {"title": "title", "courseCode": "courseCode"},
        "classes": {"title": "title", "classCode": "classCode", "classType": "classType"},
        "users": {"username": "username", "givenName": "givenName", "role": "role"},
        "enrollments": {"role": "role", "primary": "primary"},
    }
    refs = {
        "orgs": {"parentSourcedId": "parent"},
        "academicSessions": {"parentSourcedId": "parent"},
        "courses": {"orgSourcedId": "org", "schoolYearSourcedId": "schoolYear"},
        "classes": {
            "courseSourcedId": "course",
            "schoolSourcedId": "school",
            "termSourcedIds": "terms",
        },
        "users": {"orgSourcedIds": "orgs"},
        "enrollments": {
            "classSourcedId": "class",
            "schoolSourcedId": "school",
            "userSourcedId": "user",
        },
    }
    for table, records in data.items():
        header = [*common, *columns[table], *refs[table]]
        if table == "classes":
            header.append("periods")
        if table == "users":
            header += ["enabledUser", "userIds", "email", "familyName"]
        with (folder / f"{table}.csv").open("w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(header)
            for record in records:
                row = []
                for name in header:
                    if name in refs[table]:
                        value = record.get(refs[table][name])
                        row.append(_ids(value) if isinstance(value, dict | list) else "")
                    elif name == "periods":
                        row.append(",".join(record["periods"]))
                    elif name == "userIds":
                        row.append(
                            ",".join(f"{{{i['type']}:{i['identifier']}}}" for i in record[name])
                        )
                    else:
                        value = record.get(columns[table].get(name, name), "")
                        row.append(str(value))
                out.writerow(row)


def test_a_class_read_from_a_file_and_from_the_api_make_the_same_group(
    rostersync: CliRun, tmp_path: Path, server: OneRosterServer
) -> None:
    extra = 'group_name = "{title} {classCode} ({periods}) {course} {school} {term}"\n'
    extra += 'access_roles = ["teacher", "aide"]'
    api = tmp_path / "api"
    api.mkdir()
    from_api = configure_rest(api, server, extra)
    assert run_json(rostersync, from_api, "sync")["status"] == "ok"
    files = tmp_path / "files"
    files.mkdir()
    write_package(server.data, files / "package")
    from_files = configure(files, "oneroster", files / "package", extra)
    assert run_json(rostersync, from_files, "sync")["status"] == "ok"
    api_groups = shown(rostersync, from_api)
    assert api_groups == shown(rostersync, from_files)
    assert {g["name"] for g in api_groups} == {
        "Potions 9A POT-1 (1,2) Potions Hogwarts Autumn 2026, 2026-27",
        "Potions 9B POT-2 (3) Potions Hogwarts Autumn 2026, 2026-27",
        "Charms 9 CHA-3 (3) Charms Hogwarts Autumn 2026, 2026-27",
        "Flying 9 FLY-4 (3) Flying Beauxbatons Autumn 2026, 2026-27",
    }
    k1 = next(g for g in api_groups if g["key"] == "k1")
    assert sorted(k1["access"]) == ["argus.a01", "severus.t01"]

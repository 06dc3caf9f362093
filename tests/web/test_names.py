"""People by name in the console: one names map per sync, read by ``Engine.known`` off the
request path and again only after a newer run; a read that fails gives ids and a note."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from sync.app import App
from sync.errors import SourceError
from sync.model import Person, Role
from sync.plugins import load_plugins
from sync.web.names import NamesCache
from tests.conftest import CliRun, write_csv
from tests.plugins.school import STUDENTS, run_json, school
from tests.web.conftest import Running, csrf_of, serve

HARRY = "A123456789012"


class FakeSources:
    """``newest`` and ``read`` for a ``NamesCache``, with a script and a history."""

    def __init__(self) -> None:
        self.run_id: int | None = 1
        self.people = {HARRY: Person(HARRY, Role.STUDENT, "Harry", "Potter")}
        self.reads: list[str] = []
        self.fail: Exception | None = None
        self.gate: threading.Event | None = None

    def newest(self, sync: str) -> int | None:
        return self.run_id

    def read(self, sync: str) -> Mapping[str, Person]:
        self.reads.append(sync)
        if self.gate is not None:
            assert self.gate.wait(60), "the test never opened the gate"
        if self.fail is not None:
            raise self.fail
        return dict(self.people)


def test_names_are_read_once_per_finished_run() -> None:
    fake = FakeSources()
    cache = NamesCache(fake.newest, fake.read)
    assert cache.get("default").label(HARRY) == f"Harry Potter ({HARRY})"
    assert cache.get("default").name("snape") == "snape"
    assert fake.reads == ["default"]
    fake.people[HARRY] = Person(HARRY, Role.STUDENT, "Harold", "Potter")
    fake.run_id = 2
    cache.get("default")
    cache.join(60)
    assert cache.get("default").name(HARRY) == "Harold Potter"
    assert fake.reads == ["default", "default"]


def test_a_person_who_left_the_sources_keeps_their_name() -> None:
    fake = FakeSources()
    cache = NamesCache(fake.newest, fake.read)
    cache.get("default")
    fake.people = {}
    fake.run_id = 2
    cache.get("default")
    cache.join(60)
    assert cache.get("default").name(HARRY) == "Harry Potter"


def test_while_newer_names_are_read_a_page_gets_the_older_ones_at_once() -> None:
    fake = FakeSources()
    cache = NamesCache(fake.newest, fake.read)
    cache.get("default")
    fake.gate = threading.Event()
    fake.run_id = 2
    stale = cache.get("default")
    assert stale.name(HARRY) == "Harry Potter"
    assert stale.note == "names as of run 1; newer names are being read"
    fake.gate.set()
    cache.join(60)
    assert cache.get("default").note == "" and len(fake.reads) == 2


def test_a_read_that_fails_gives_ids_and_a_note_and_is_tried_again() -> None:
    fake = FakeSources()
    fake.fail = SourceError("students.csv: no such file")
    cache = NamesCache(fake.newest, fake.read)
    failed = cache.get("default")
    assert failed.name(HARRY) == HARRY
    assert failed.note == "names not shown: students.csv: no such file"
    fake.fail = None
    cache.get("default")
    cache.join(60)
    assert cache.get("default").name(HARRY) == "Harry Potter"


def test_a_read_that_crashes_gives_ids_and_a_note_not_an_error() -> None:
    fake = FakeSources()
    fake.fail = KeyError("Potter")
    names = NamesCache(fake.newest, fake.read).get("default")
    assert names.name(HARRY) == HARRY and "see the log" in names.note


GUARD = "[sync.guards]\nmemberships = { percent = 20, minimum = 1 }\n"


@pytest.fixture
def named(rostersync: CliRun, tmp_path: Path) -> Iterator[Running]:
    """The roster CSV school (names in its files), synced, behind a console."""
    config = school(tmp_path)
    config.write_text(config.read_text().replace("[sync.guards]\n", GUARD))
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    yield from serve(app, tmp_path)


def _hrefs(html: str) -> list[str]:
    return re.findall(r'href="([^"]*)"', html)


def group_page(client: object, name: str) -> str:
    groups = client.get("/groups")  # type: ignore[attr-defined]
    link = re.search(rf'href="(/groups/[0-9a-f]+\?sync=default)">{name}<', groups.text)
    assert link, groups.text
    page = client.get(link.group(1))  # type: ignore[attr-defined]
    assert page.status_code == 200
    return str(page.text)


def test_a_group_page_shows_members_and_access_by_name(named: Running) -> None:
    client = named.signed_in("vera")
    page = group_page(client, "7A")
    assert "Harry Potter" in page and HARRY in page
    assert "Ron Weasley" in page and "Severus Snape" in page
    assert "shown by id" not in page
    for href in _hrefs(page) + _hrefs(client.get("/groups").text):
        assert not re.search("harry|potter|severus|snape", href, re.IGNORECASE), href


def test_searching_groups_matches_peoples_names(named: Running) -> None:
    client = named.signed_in("vera")
    found = client.post("/groups", data={"q": "hermione", "csrf_token": csrf_of(client)})
    assert found.status_code == 200
    assert ">7B</a>" in found.text and ">7A</a>" not in found.text
    staff = client.post("/access", data={"q": "severus", "csrf_token": csrf_of(client)})
    assert ">Severus Snape</a>" in staff.text and "Minerva" not in staff.text


def test_a_staff_members_access_page_names_them(named: Running) -> None:
    client = named.signed_in("vera")
    staff = client.get("/access")
    link = re.search(r'href="(/access/[0-9a-f]+\?sync=default)">Severus Snape<', staff.text)
    assert link, staff.text
    page = client.get(link.group(1))
    assert "<h1>Severus Snape</h1>" in page.text


def test_names_follow_a_newer_run(rostersync: CliRun, named: Running) -> None:
    client = named.signed_in("vera")
    assert "Harry Potter" in group_page(client, "7A")
    folder = named.workdir
    write_csv(folder / "students.csv", *[r.replace("Harry,", "Harold,") for r in STUDENTS])
    config = folder / "school.toml"
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    group_page(client, "7A")  # sees run 2 is newer: its names are read
    named.asgi.state.console.names.join(60)
    page = group_page(client, "7A")
    assert "Harold Potter" in page and "Harry Potter" not in page


def test_an_unreadable_source_shows_ids_with_a_note(rostersync: CliRun, tmp_path: Path) -> None:
    config = school(tmp_path)
    assert run_json(rostersync, config, "sync")["status"] == "ok"
    (tmp_path / "students.csv").unlink()
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    for running in serve(app, tmp_path):
        page = group_page(running.signed_in("vera"), "7A")
        assert HARRY in page and "snape" in page
        assert "Harry Potter" not in page and "Severus Snape" not in page
        assert "people shown by id: no source names them now" in page


def test_a_held_runs_removals_are_listed_with_names(rostersync: CliRun, named: Running) -> None:
    folder = named.workdir
    named.asgi.state.console.names.join(60)  # the names the console read as it started
    write_csv(folder / "students.csv", *[r for r in STUDENTS if not r.startswith("Harry,")])
    result = run_json(rostersync, folder / "school.toml", "sync")
    assert result["status"] == "held", result
    client = named.signed_in("vera")
    for _ in range(2):  # before and after the names are read again after the held run
        page = client.get(f"/held/{result['run_id']}")
        assert page.status_code == 200
        # Harry is gone from the source: the name read before still names him.
        assert f"Harry Potter ({HARRY})" in page.text
        named.asgi.state.console.names.join(60)

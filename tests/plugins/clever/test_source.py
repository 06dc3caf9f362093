"""The clever source against the fake Clever server: full reads, events and fallbacks."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from plugins.clever import CleverOptions, CleverSource
from sync.errors import RetriableError, SourceError
from sync.model import Severity
from sync.testing import MemoryState, PluginKit, SourceContract, SourceFault, make_context
from tests.fakes.clever_server import CleverServer, generate_district, make_user

TOKEN = "tok-CANARY-source-77"
DAY = 24 * 3600.0


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def server() -> Iterator[CleverServer]:
    with CleverServer(generate_district(160), token=TOKEN) as fake:
        fake.emit_other("terms.created", {"id": "term1"})  # so the event log has a head
        yield fake


def make_source(
    server: CleverServer,
    tmp_path: Path,
    state: MemoryState | None = None,
    clock: Clock | None = None,
    **options: object,
) -> CleverSource:
    opts = CleverOptions(
        url=server.url,
        token=TOKEN,  # type: ignore[arg-type]
        page_size=40,
        backoff_seconds=0,
        max_wait_seconds=0,
        **options,  # type: ignore[arg-type]
    )
    context = make_context(tmp_path, name="district", state=state or MemoryState())
    return CleverSource(opts, context, sleep=lambda s: None, clock=clock or Clock())


class TestCleverContract(SourceContract):
    @pytest.fixture
    def source_kit(
        self, server: CleverServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> PluginKit:
        monkeypatch.setenv("KIT_CLEVER_TOKEN", TOKEN)
        table = {
            "plugin": "clever",
            "url": server.url,
            "token": {"env": "KIT_CLEVER_TOKEN"},
            "page_size": 40,
            "max_attempts": 2,
            "backoff_seconds": 0,
            "max_wait_seconds": 0,
        }
        return PluginKit.for_source(tmp_path, table, name="district")

    @pytest.fixture
    def source_fault(self, server: CleverServer) -> SourceFault:
        def fault(kind: str) -> None:
            server.fail("/v3.0", [503 if kind == "retriable" else 401] * 1000)

        return fault

    @pytest.fixture
    def bad_record(self, server: CleverServer) -> Callable[[], None]:
        def spoil() -> None:
            """A student with neither a district username nor an e-mail: no login."""
            uid, user = next(
                (uid, user)
                for uid, user in server.district.users.items()
                if "student" in user["roles"]
            )
            roles = copy.deepcopy(user["roles"])
            roles["student"]["credentials"] = {}
            server.update_user(uid, roles=roles, email="")

        return spoil


def full_reads(server: CleverServer) -> int:
    return len(server.requests_to("/v3.0/users?"))


def test_a_full_read_follows_pages_and_never_asks_per_section(
    server: CleverServer, tmp_path: Path
) -> None:
    read = make_source(server, tmp_path).read()
    district = server.district
    assert set(read.roster.groups) == set(district.sections)
    assert len(read.roster.people) == len(district.users)
    assert read.issues == () and read.retries == 0
    paths = [p for p, _ in server.history]
    assert not [p for p in paths if p.startswith("/v3.0/sections/")]
    # 160 students in pages of 40: four full pages, then the empty last page.
    assert len(server.requests_to("/v3.0/users?role=student")) == 5
    assert "/v3.0/events?ending_before=last&limit=1" in paths


def apply_a_handful_of_events(server: CleverServer) -> None:
    district = server.district
    students = sorted(u for u in district.users if "student" in district.users[u]["roles"])
    sections = sorted(district.sections)
    renamed = copy.deepcopy(district.users[students[0]])
    renamed["roles"]["student"]["credentials"]["district_username"] = "renamed.student"
    server.upsert_user(renamed)
    server.delete_user(students[1])
    newcomer = make_user(900, "student", sorted(district.schools)[0], kind=2)
    server.upsert_user(newcomer)
    first = district.sections[sections[0]]
    server.update_section(
        sections[0],
        name="Renamed Section",
        students=[*first["students"][2:], newcomer["id"]],
        teachers=[first["teacher"]],
    )
    server.delete_section(sections[1])
    created = copy.deepcopy(district.sections[sections[2]])
    created.update(id="5f04ffffffffffffffffffff", name="Brand New", students=students[5:9])
    server.upsert_section(created)
    server.emit_other("courses.updated", {"id": "course1"})


def test_incremental_after_events_equals_a_full_sync(server: CleverServer, tmp_path: Path) -> None:
    state = MemoryState()
    source = make_source(server, tmp_path, state)
    before = source.read().roster
    reads = full_reads(server)
    apply_a_handful_of_events(server)
    incremental = source.read()
    assert full_reads(server) == reads, "the second read must use events only"
    assert incremental.roster != before
    fresh = make_source(server, tmp_path / "fresh").read()
    assert incremental.roster == fresh.roster
    assert incremental.issues == fresh.issues
    assert "renamed.student" in incremental.roster.people
    assert incremental.roster.groups["5f04ffffffffffffffffffff"].name == "Brand New"
    assert state.get("cursor")["id"] == server.events[-1]["id"]


class RecordingState(MemoryState):
    """A ``MemoryState`` that remembers which keys were put."""

    def __init__(self) -> None:
        super().__init__()
        self.put_keys: list[str] = []

    def put(self, key: str, value: object) -> None:
        self.put_keys.append(key)
        super().put(key, value)


def test_no_new_events_reads_nothing_but_events(server: CleverServer, tmp_path: Path) -> None:
    state = RecordingState()
    source = make_source(server, tmp_path, state)
    first = source.read().roster
    reads = full_reads(server)
    assert "snapshot" in state.put_keys
    state.put_keys.clear()
    server.emit_other("courses.updated", {"id": "course1"})  # an event it does not use
    assert source.read().roster == first
    assert full_reads(server) == reads
    assert "snapshot" not in state.put_keys  # unchanged, so not written again
    assert state.get("cursor")["id"] == server.events[-1]["id"]


def test_events_not_enabled_means_a_full_sync_every_time(tmp_path: Path) -> None:
    with CleverServer(generate_district(48), token=TOKEN, events=False) as fake:
        state = MemoryState()
        source = make_source(fake, tmp_path, state)
        first = source.read()
        second = source.read()
        assert first.roster == second.roster and second.issues == ()
        assert state.get("cursor") is None
        assert len(fake.requests_to("/v3.0/sections")) == 4


def test_a_district_with_no_events_yet_is_read_in_full(tmp_path: Path) -> None:
    with CleverServer(generate_district(48), token=TOKEN) as fake:
        state = MemoryState()
        source = make_source(fake, tmp_path, state)
        source.read()
        assert state.get("cursor") is None
        source.read()
        assert len(fake.requests_to("/v3.0/sections")) == 4


def test_a_refused_cursor_falls_back_to_a_full_sync(server: CleverServer, tmp_path: Path) -> None:
    source = make_source(server, tmp_path)
    source.read()
    server.expire_events()
    apply_a_handful_of_events(server)
    read = source.read()
    assert [status for path, status in server.history if "starting_after=5f09" in path] == [400]
    assert read.roster == make_source(server, tmp_path / "fresh").read().roster
    assert [i.severity for i in read.issues] == [Severity.WARNING]
    assert "full sync" in read.issues[0].message


@pytest.mark.parametrize(
    ("elapsed", "options", "incremental"),
    [
        (23 * 3600.0, {}, True),
        (25 * 3600.0, {}, False),
        (10 * 3600.0, {"full_sync_every_hours": 6}, False),
        (31 * DAY, {"full_sync_every_hours": 1000}, False),
        (60.0, {"incremental": False}, False),
    ],
)
def test_full_sync_schedule_and_cursor_age(
    server: CleverServer,
    tmp_path: Path,
    elapsed: float,
    options: dict[str, object],
    incremental: bool,
) -> None:
    clock = Clock()
    source = make_source(server, tmp_path, clock=clock, **options)
    source.read()
    reads = full_reads(server)
    clock.now += elapsed
    source.read()
    assert (full_reads(server) == reads) is incremental


def test_changing_roles_forces_a_full_sync(server: CleverServer, tmp_path: Path) -> None:
    state = MemoryState()
    make_source(server, tmp_path, state).read()
    reads = full_reads(server)
    make_source(server, tmp_path, state, roles=["student", "teacher", "staff"]).read()
    assert full_reads(server) > reads


def test_retries_are_reported(server: CleverServer, tmp_path: Path) -> None:
    server.fail("/v3.0/users", [429, 502, 503], after=2)
    read = make_source(server, tmp_path).read()
    assert read.retries == 3
    assert set(read.roster.groups) == set(server.district.sections)


def test_exhausted_retries_fail_the_read(server: CleverServer, tmp_path: Path) -> None:
    server.fail("/v3.0/sections", [503] * 3)
    with pytest.raises(RetriableError, match="HTTP 503"):
        make_source(server, tmp_path, max_attempts=3).read()


def test_a_failed_read_puts_no_state(server: CleverServer, tmp_path: Path) -> None:
    state = MemoryState()
    server.fail("/v3.0/sections", [1404])
    with pytest.raises(SourceError, match="HTML page"):
        make_source(server, tmp_path, state).read()
    assert state.values == {}


def test_a_wrong_token_is_fatal(server: CleverServer, tmp_path: Path) -> None:
    source = make_source(server, tmp_path)
    server.token = "another"
    with pytest.raises(SourceError, match=r"sources\.district\.token") as caught:
        source.read()
    assert TOKEN not in str(caught.value)


def test_hitting_the_rate_limit_waits_for_the_reset_and_carries_on(
    server: CleverServer, tmp_path: Path
) -> None:
    server.rate_limit = 4
    server.window_seconds = 3600.0
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # time passes: the server starts a new window
        waits.append(seconds)
        server.new_window()

    options = CleverOptions(
        url=server.url,
        token=TOKEN,  # type: ignore[arg-type]
        page_size=40,
        max_wait_seconds=7200,
    )
    source = CleverSource(options, make_context(tmp_path, name="district"), sleep=sleep)
    read = source.read()
    assert set(read.roster.groups) == set(server.district.sections)
    limited = [p for p, status in server.history if status == 429]
    assert len(limited) == len(waits) == read.retries >= 2
    assert all(3500 < wait <= 3601 for wait in waits), waits  # until X-RateLimit-Reset


def test_a_wrong_url_reports_the_html_page(server: CleverServer, tmp_path: Path) -> None:
    source = make_source(server, tmp_path)
    options = source.options.model_copy(update={"url": f"{server.url}/api"})
    wrong = CleverSource(options, source.context, sleep=lambda s: None)
    with pytest.raises(SourceError) as caught:
        wrong.read()
    message = str(caught.value)
    assert "HTTP 404" in message and "an HTML page instead of JSON" in message
    assert "sources.district.url" in message and "<html" not in message


def test_base_url_is_a_deprecated_alias_of_url(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        options = CleverOptions.model_validate({"base_url": "http://127.0.0.1:9", "token": "t"})
    assert options.url == "http://127.0.0.1:9"
    assert "'base_url' is deprecated; call it 'url'" in caplog.text
    with pytest.raises(ValueError, match="give 'url' only"):
        CleverOptions.model_validate({"base_url": "http://a", "url": "http://b", "token": "t"})

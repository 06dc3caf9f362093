"""The console in a real headless Chromium (Debian's package, driven by Playwright):
what an admin does, page by page. Screenshots go to docs/img/ when
ROSTERSYNC_SCREENSHOTS=1, else to the test's temporary folder."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from playwright.sync_api import Browser, Page, expect

from sync.app import App
from sync.cli import make_cli
from sync.plugins import load_plugins
from tests.plugins.school import school as roster_school
from tests.web.conftest import PASSWORDS, Running, serve
from tests.web.pages import (
    AccessPage,
    GroupPage,
    GroupsPage,
    HeldPage,
    LoginPage,
    OverviewPage,
    RunPage,
    RunsPage,
    StaffPage,
    run_id_in,
)
from tests.web.school_data import write_school

CONFIG = """\
[state]
url = "sqlite:///{folder}/state.db"

[sync]
sources = ["school"]
target = "console"
retry_wait_seconds = 0

[sync.guards]
memberships = {{ percent = 20, minimum = 5 }}

[sync.schedule]
cron = "0 6 * * 1-5"
timezone = "Europe/London"

[sources.school]
plugin = "impero_csv"
path = "impero"

[targets.console]
plugin = "directory"
"""


@pytest.fixture
def school(tmp_path: Path) -> Path:
    write_school(tmp_path / "impero")
    (tmp_path / "config.toml").write_text(CONFIG.format(folder=tmp_path))
    return tmp_path


def cli(school: Path, *args: str) -> int:
    result = CliRunner().invoke(
        make_cli(), ["--config", str(school / "config.toml"), *args], catch_exceptions=False
    )
    return result.exit_code


@pytest.fixture
def running(school: Path) -> Iterator[Running]:
    app = App(config_path=str(school / "config.toml"), plugins=load_plugins(entry_points=False))
    yield from serve(app, school)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": 1280, "height": 860}, accept_downloads=True, timezone_id="UTC"
    )
    opened = context.new_page()
    yield opened
    context.close()


def signed_in(page: Page, running: Running, shots: Path, name: str = "alice") -> OverviewPage:
    LoginPage(page, running.url, shots).sign_in(name, PASSWORDS[name])
    overview = OverviewPage(page, running.url, shots)
    expect(page.locator("h1")).to_have_text("Overview")
    return overview


def test_sign_in_refuses_a_wrong_password_then_shows_the_overview(
    page: Page, running: Running, shots: Path
) -> None:
    login = LoginPage(page, running.url, shots)
    login.open()
    login.screenshot("login")
    login.sign_in("alice", "not-her-password")
    expect(login.error()).to_contain_text("Wrong account name or password")
    signed_in(page, running, shots)
    overview = OverviewPage(page, running.url, shots)
    expect(overview.badge()).to_have_text("never run")
    expect(overview.card()).to_contain_text("Next scheduled run")


def test_start_a_sync_and_watch_it_finish(page: Page, running: Running, shots: Path) -> None:
    overview = signed_in(page, running, shots)
    overview.sync_now()
    overview.wait_finished("ok")
    expect(overview.card()).to_contain_text("added 150 members")
    runs = RunsPage(page, running.url, shots)
    runs.open()
    expect(runs.rows().first).to_contain_text("web · alice")
    # More history for the chart, then the overview as the docs show it.
    write_school(running.workdir / "impero", drop=("Astronomy",), bad_rows=True)
    assert cli(running.workdir, "sync", "--allow-deletes") == 0  # a class ends: a deliberate cut
    write_school(running.workdir / "impero", bad_rows=True)
    cli(running.workdir, "sync")
    overview.open()
    expect(overview.page.locator("svg.chart rect").first).to_be_visible()
    overview.screenshot("overview")
    runs.open()
    runs.screenshot("runs")


def test_open_a_run_and_download_its_rejected_rows(
    page: Page, running: Running, shots: Path
) -> None:
    write_school(running.workdir / "impero", bad_rows=True)
    assert cli(running.workdir, "sync") == 0
    signed_in(page, running, shots)
    runs = RunsPage(page, running.url, shots)
    runs.open()
    runs.open_run(1)
    run = RunPage(page, running.url, shots)
    expect(run.title()).to_contain_text("Run 1")
    run.search("Potions")
    expect(run.changes().first).to_contain_text("Potions")
    run.screenshot("run")
    download = run.download_rejected()
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["file"], r["line"], r["field"]) for r in rows] == [
        ("students.csv", "153", "username"),
        ("students.csv", "154", "class"),
    ]
    assert rows[1]["value"] == "Draco_Malfoy" or "empty" in rows[1]["message"]
    assert "/runs/1" in page.url and "Potions" not in page.url


def _held_run(running: Running) -> int:
    assert cli(running.workdir, "sync") == 0
    write_school(running.workdir / "impero", drop=("Potions", "Charms", "Herbology"))
    assert cli(running.workdir, "sync") == 4
    return running.app.store.last_run("default").summary.id  # type: ignore[union-attr]


def test_approve_a_held_run(page: Page, running: Running, shots: Path) -> None:
    held_id = _held_run(running)
    signed_in(page, running, shots)
    held = HeldPage(page, running.url, shots)
    held.open()
    held.screenshot("held-list")
    page.get_by_role("link", name=f"#{held_id}", exact=True).click()
    expect(page.locator(".notice")).to_contain_text("memberships")
    expect(held.removals("Potions")).to_contain_text("Harry_Potter00")
    held.screenshot("held")
    held.approve()
    expect(page.locator("h1")).to_contain_text("Run")
    new_run = run_id_in(page.url)
    assert new_run > held_id
    store = running.app.store
    for _ in range(600):
        detail = store.run(new_run)
        if detail and detail.summary.status.value != "running":
            break
        page.wait_for_timeout(100)
    assert store.run(held_id).summary.status.value == "approved"  # type: ignore[union-attr]
    assert store.run(new_run).summary.status.value == "ok"  # type: ignore[union-attr]
    page.reload()
    expect(page.locator(".sub")).to_contain_text("approve by alice")


def test_reject_a_held_run(page: Page, running: Running, shots: Path) -> None:
    held_id = _held_run(running)
    signed_in(page, running, shots)
    held = HeldPage(page, running.url, shots)
    held.open_held(held_id)
    held.reject()
    expect(held.flash()).to_contain_text(f"Run {held_id}: plan rejected")
    assert running.app.store.run(held_id).summary.status.value == "rejected"  # type: ignore[union-attr]


def test_pause_and_resume(page: Page, running: Running, shots: Path) -> None:
    overview = signed_in(page, running, shots)
    until = (date.today() + timedelta(days=30)).isoformat()
    overview.pause(until, "exam week")
    expect(overview.card()).to_contain_text("exam week")
    expect(overview.card().locator(".badge.paused")).to_be_visible()
    assert running.app.store.pause_state("default").active()
    overview.resume()
    expect(overview.flash()).to_contain_text("resumed")
    expect(overview.card().locator(".badge.paused")).to_have_count(0)
    assert not running.app.store.pause_state("default").active()


def test_search_a_group_and_open_a_staff_members_access(
    page: Page, running: Running, shots: Path
) -> None:
    assert cli(running.workdir, "sync") == 0
    signed_in(page, running, shots)
    groups = GroupsPage(page, running.url, shots)
    groups.open()
    groups.screenshot("groups")
    groups.search("potions")
    expect(groups.group_links()).to_have_count(1)
    expect(groups.group_links().first).to_have_text("Potions")
    assert "potions" not in page.url.casefold()
    groups.open_group("Potions")
    group = GroupPage(page, running.url, shots)
    expect(group.members().first).to_be_visible()
    group.screenshot("group")
    staff = StaffPage(page, running.url, shots)
    staff.open()
    staff.screenshot("staff")
    staff.open_staff("Severus_Snape")
    access = AccessPage(page, running.url, shots)
    expect(access.heading()).to_have_text("Severus_Snape")
    expect(access.groups()).to_have_count(2)
    expect(page.locator("body")).to_contain_text("Dark Arts")
    assert "Severus" not in page.url


def test_preview_and_accounts_pages(page: Page, running: Running, shots: Path) -> None:
    assert cli(running.workdir, "sync") == 0
    write_school(running.workdir / "impero", drop=("Potions", "Charms", "Herbology"))
    overview = signed_in(page, running, shots)
    overview.preview()
    expect(page.locator("h1")).to_contain_text("Preview")
    expect(page.locator(".notice")).to_contain_text("would be held")
    overview.screenshot("preview")
    page.goto(running.url + "/accounts")
    expect(page.locator("table").first).to_contain_text("oscar")
    overview.screenshot("accounts")


def synced_roster_console(config: Path, folder: Path) -> Iterator[Running]:
    """The roster CSV school (with people's names) synced once, behind a console."""
    result = CliRunner().invoke(make_cli(), ["--config", str(config), "sync"])
    assert result.exit_code in (0, 3), result.output
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    yield from serve(app, folder)


def test_a_staff_members_access_shows_permissions_and_blocked_children(
    page: Page, tmp_path: Path, shots: Path
) -> None:
    config = roster_school(tmp_path)
    harry = "A123456789012"
    result = CliRunner().invoke(
        make_cli(),
        [
            "--config",
            str(config),
            "manual",
            "block",
            "snape",
            harry,
            "--reason",
            "a relative of the family",
        ],
    )
    assert result.exit_code == 0, result.output
    for running in synced_roster_console(config, tmp_path):
        signed_in(page, running, shots)
        staff = StaffPage(page, running.url, shots)
        staff.open()
        staff.search("snape")
        staff.open_staff("Severus Snape")
        access = AccessPage(page, running.url, shots)
        expect(access.heading()).to_have_text("Severus Snape")
        expect(page.locator("body")).to_contain_text("Teachers")
        expect(page.locator("body")).to_contain_text("a relative of the family")
        expect(access.groups().filter(has_text="7A")).to_contain_text("1 blocked child hidden")
        assert harry not in page.url and "snape" not in page.url
        access.screenshot("access")


def test_a_group_page_shows_people_by_name(page: Page, tmp_path: Path, shots: Path) -> None:
    for running in synced_roster_console(roster_school(tmp_path), tmp_path):
        signed_in(page, running, shots)
        groups = GroupsPage(page, running.url, shots)
        groups.open()
        groups.search("harry")
        expect(groups.group_links()).to_have_count(1)
        expect(groups.group_links().first).to_have_text("7A")
        groups.open_group("7A")
        group = GroupPage(page, running.url, shots)
        expect(group.members().filter(has_text="Harry Potter")).to_contain_text("A123456789012")
        expect(page.locator(".columns .card").nth(1)).to_contain_text("Severus Snape")
        assert "harry" not in page.url.casefold() and "potter" not in page.url.casefold()
        group.screenshot("group-names")

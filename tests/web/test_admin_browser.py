"""The admin pages plugins contribute, in a real headless Chromium (Debian's package,
driven by Playwright): a user group chosen and a permission unticked reach the directory
after a sync; a block hides the child from that staff member's access page; a bad value in
a form is highlighted with the reason. Screenshots go to docs/img/ when
ROSTERSYNC_SCREENSHOTS=1, else to the test's temporary folder."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, expect

from tests.web.admin_pages import BlocksPage, PersonForm, StaffMembersPage, UserGroupsPage
from tests.web.admin_school import served_school
from tests.web.conftest import PASSWORDS, Running
from tests.web.pages import AccessPage, LoginPage, StaffPage


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860}, timezone_id="UTC")
    opened = context.new_page()

    def accept(dialog: Dialog) -> None:
        dialog.accept()

    opened.on("dialog", accept)
    yield opened
    context.close()


@pytest.fixture
def school(tmp_path: Path) -> Iterator[Running]:
    yield from served_school(tmp_path)


def sign_in(page: Page, running: Running, shots: Path, name: str = "alice") -> None:
    LoginPage(page, running.url, shots).sign_in(name, PASSWORDS[name])
    expect(page.locator("h1")).to_have_text("Overview")


def synced(running: Running) -> None:
    running.asgi.state.console.runner.join(60)


def open_access(page: Page, running: Running, shots: Path, name: str) -> AccessPage:
    staff = StaffPage(page, running.url, shots)
    staff.open()
    staff.open_staff(name)
    access = AccessPage(page, running.url, shots)
    expect(access.heading()).to_have_text(name)
    return access


def test_a_user_group_change_and_an_untick_reach_the_directory(
    page: Page, school: Running, shots: Path
) -> None:
    sign_in(page, school, shots)
    staff = StaffMembersPage(page, school.url, shots)
    staff.nav("Staff members")
    staff.choose("snape", "DSLs")
    expect(staff.flash()).to_contain_text("Severus Snape is now in 'DSLs'")
    expect(page.locator("tr[data-person='snape'] .badge.edited")).to_be_visible()
    staff.screenshot("staff-members")
    groups = UserGroupsPage(page, school.url, shots)
    page.get_by_role("link", name="User groups and their permissions").click()
    expect(groups.box("SLTs", "view_pastoral")).to_be_checked()
    groups.box("SLTs", "view_pastoral").uncheck()
    groups.save()
    expect(groups.flash()).to_contain_text("Saved: SLTs.")
    expect(groups.box("SLTs", "view_pastoral")).not_to_be_checked()
    expect(page.locator("th[data-group='SLTs'] .badge.edited")).to_be_visible()
    groups.screenshot("user-groups")
    staff.open()
    staff.sync_now()
    synced(school)
    access = open_access(page, school, shots, "Severus Snape")
    expect(page.locator("dl.facts")).to_contain_text("DSLs")
    expect(page.get_by_role("cell", name="view_child_protection", exact=True)).to_be_visible()
    open_access(page, school, shots, "Minerva McGonagall")
    expect(page.locator("dl.facts")).to_contain_text("SLTs")
    expect(page.get_by_role("cell", name="log_concerns", exact=True)).to_be_visible()
    expect(page.get_by_role("cell", name="view_pastoral", exact=True)).to_have_count(0)
    assert access.page is page


def test_a_block_hides_the_child_from_the_access_page(
    page: Page, school: Running, shots: Path
) -> None:
    sign_in(page, school, shots)
    open_access(page, school, shots, "Severus Snape")
    expect(page.get_by_text("No child is blocked from this staff member.")).to_be_visible()
    blocks = BlocksPage(page, school.url, shots)
    blocks.nav("Blocked children")
    blocks.block("snape", "A123456789013", "parent of the child")
    expect(page.locator(".form-row.invalid")).to_have_count(1)
    expect(page.locator(".form-row.invalid #f-student")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#err-student")).to_contain_text("did you mean A123456789012?")
    blocks.screenshot("blocked-children-refused")
    blocks.block("snape", "A123456789012", "parent of the child")
    expect(blocks.flash()).to_contain_text("Blocked A123456789012 from snape")
    expect(blocks.rows().first).to_contain_text("Harry Potter")
    blocks.screenshot("blocked-children")
    school.app.engine.run()
    open_access(page, school, shots, "Severus Snape")
    blocked = page.locator("h2", has_text="Blocked children").locator("..")
    expect(blocked).to_contain_text("Harry Potter")
    expect(blocked).to_contain_text("parent of the child")
    expect(page.get_by_text("1 blocked child hidden")).to_be_visible()
    page.screenshot(path=str(shots / "access-blocked.png"))
    blocks.open()
    blocks.rows().first.get_by_role("button", name="Lift").click()
    expect(blocks.flash()).to_contain_text("Lifted the block")
    school.app.engine.run()
    open_access(page, school, shots, "Severus Snape")
    expect(page.get_by_text("No child is blocked from this staff member.")).to_be_visible()


def test_a_bad_date_is_highlighted_with_the_reason(
    page: Page, school: Running, shots: Path
) -> None:
    sign_in(page, school, shots, "oscar")
    page.locator("header.top nav").get_by_role("link", name="Enter by hand").click()
    page.get_by_role("link", name="Add a student").click()
    form = PersonForm(page, school.url, shots)
    form.fill(
        first_name="Luna", surname="Lovegood", dob="31/02/2011", gender="F",
        year_group="7", registration_group="7B",
    )  # fmt: skip
    form.save()
    expect(form.invalid()).to_have_count(1)
    expect(form.invalid().locator("label")).to_have_text("Date Of Birth")
    expect(page.locator("#err-dob")).to_contain_text("no such date (day 31, month 2, year 2011)")
    expect(page.locator("#f-first_name")).to_have_value("Luna")
    form.screenshot("enter-by-hand-refused")
    form.fill(dob="13/02/2011", gender="Unknown")
    form.save()
    expect(form.invalid().locator("label")).to_have_text("Gender")
    form.fill(gender="Female")
    form.save()
    expect(form.flash()).to_contain_text("Added student Luna Lovegood")
    expect(page.locator("#manual-students")).to_contain_text("2011-02-13")
    form.screenshot("enter-by-hand")


def test_import_groups_from_the_sis_settings_then_the_audit(
    page: Page, console: Running, shots: Path
) -> None:
    sign_in(page, console, shots)
    page.locator("header.top nav").get_by_role("link", name="Impero SIS").click()
    expect(page.locator("#sis-settings")).to_contain_text("[sources.school] basic_console_only")
    page.screenshot(path=str(shots / "sis-settings.png"))
    page.get_by_role("button", name="Import Groups").click()
    expect(page).to_have_url(re.compile(r"/runs/\d+$"))
    console.asgi.state.console.runner.join(60)
    page.locator("header.top nav").get_by_role("link", name="Audit").click()
    first = page.locator("#audit tbody tr").first
    expect(first).to_contain_text("alice")
    expect(first).to_contain_text("sync")
    page.get_by_label("Who").select_option("alice")
    page.get_by_role("button", name="Filter").click()
    expect(page.get_by_text("page 1 of 1")).to_be_visible()
    page.screenshot(path=str(shots / "audit.png"))

"""The spreadsheet import in a real headless Chromium (Debian's, driven by Playwright),
as a school does it: a file of its own with other column names and five bad rows. Screenshots
go to docs/img/ when ROSTERSYNC_SCREENSHOTS=1, else to the test's temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from sync.app import App
from sync.plugins import load_plugins
from tests.web import import_school as school
from tests.web.conftest import PASSWORDS, Running, serve
from tests.web.import_pages import CheckPage, ColumnsPage, DonePage, UploadPage
from tests.web.pages import LoginPage

STAFF = (
    "Forename,Surname,Role,Group,Login,Form\r\n"
    "Sam,Teacher,Teacher,Teachers,s.teacher,7A\r\n"
    "Dana,Lead,DSL,DSLs,d.lead,\r\n"
)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="UTC")
    opened = context.new_page()
    yield opened
    context.close()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Running]:
    school.write_school(tmp_path / "school")
    config = tmp_path / "school" / "config.toml"
    app = App(config_path=str(config), plugins=load_plugins(entry_points=False))
    yield from serve(app, tmp_path / "school")


def _files(tmp_path: Path) -> dict[str, Path]:
    files = {
        "pupils.csv": school.spreadsheet(),
        "pupils.xlsx": b"PK\x03\x04\x14\x00\x06\x00 a workbook",
        "staff list.csv": STAFF.encode(),
    }
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    return {name: tmp_path / name for name in files}


def test_import_a_spreadsheet_fix_two_rows_and_complete(
    page: Page, running: Running, shots: Path, tmp_path: Path
) -> None:
    files = _files(tmp_path)
    LoginPage(page, running.url, shots).sign_in("alice", PASSWORDS["alice"])
    upload = UploadPage(page, running.url, shots)
    upload.nav("Import")
    expect(page.locator("h1")).to_have_text("Import a spreadsheet")
    upload.screenshot("import-upload")

    # Anything but a CSV is refused, with Backdrop's advice.
    upload.upload(files["pupils.xlsx"])
    expect(upload.flash()).to_have_text(
        "Only .CSV files can be uploaded. Save the spreadsheet as a *.CSV file (in Excel: "
        "File > Save As > CSV UTF-8) and upload that."
    )

    # Match the columns: pre-filled, with suggestions for the headers Backdrop does not use.
    upload.upload(files["pupils.csv"])
    columns = ColumnsPage(page, running.url, shots)
    expect(page.locator("h1")).to_have_text("Match the columns")
    expect(columns.field_of("Forename")).to_have_value("first_name")
    expect(columns.field_of("Surname")).to_have_value("surname")
    expect(columns.field_of("DOB")).to_have_value("date_of_birth")
    expect(columns.field_of("Reg")).to_have_value("registration_group")
    expect(columns.field_of("Notes")).to_have_value("")
    expect(columns.suggested()).to_have_count(6)
    columns.screenshot("import-columns")
    columns.import_data()

    # Check: the five bad rows highlighted, each with its field and reason.
    check = CheckPage(page, running.url, shots)
    expect(page.locator("h1")).to_have_text("Check the rows")
    expect(check.rejected()).to_have_count(5)
    date, gender = school.line_of("date"), school.line_of("gender")
    expect(check.row(date).locator("td.bad")).to_have_text("31/02/2012")
    expect(check.row(date)).to_contain_text("DOB: no such date")
    expect(check.row(gender)).to_contain_text("Sex: gender must be Male, Female, M, F or blank")
    expect(check.row(school.line_of("duplicate"))).to_contain_text(
        "UPN M100000000001 is also on line 2 with different details"
    )
    check.screenshot("import-check")

    # Fix two rows in place with the pencil.
    form = check.open_pencil(date)
    form.get_by_label("Date Of Birth").fill("28/02/2012")
    check.row(date).scroll_into_view_if_needed()
    check.screenshot("import-fix")
    form.get_by_role("button", name="Save").click()
    expect(check.flash()).to_contain_text(f"line {date} corrected by hand")
    check.fix(gender, "Gender", "F")
    expect(check.rejected()).to_have_count(3)
    expect(check.corrected()).to_have_count(2)
    expect(check.row(gender)).to_contain_text("corrected by hand")

    # Complete: the file is installed, the sync runs, the result is shown.
    check.complete()
    done = DonePage(page, running.url, shots)
    expect(page.locator("h1")).to_have_text("Import complete")
    done.wait_finished("ok")
    expect(done.result()).to_contain_text("added")
    done.screenshot("import-done")
    assert school.target_groups(running.app) == school.expected_groups()
    assert (running.workdir / "data" / "students.csv").read_bytes() == school.spreadsheet()

    # Then staff (which could be skipped), with their own headers.
    page.get_by_role("link", name="Next: import staff").click()
    upload.upload(files["staff list.csv"])
    expect(columns.field_of("Group")).to_have_value("user_group")
    expect(columns.field_of("Login")).to_have_value("username")
    columns.import_data()
    expect(check.rejected()).to_have_count(0)
    check.complete()
    done.wait_finished("ok")
    expect(page.get_by_role("link", name="Go to the overview")).to_be_visible()
    people = running.app.engine.known("default").people
    assert {"s.teacher", "d.lead"} <= set(people)

    # The next upload of the same uncorrected file: no matching, and the two fixes kept.
    upload.open()
    upload.tab("1. Students")
    upload.upload(files["pupils.csv"])
    expect(page.locator("h1")).to_have_text("Check the rows")
    expect(check.flash()).to_contain_text("matched as the last import with the same headers")
    expect(check.rejected()).to_have_count(3)
    expect(check.corrected()).to_have_count(2)
    expect(check.row(date)).to_contain_text("corrected by hand (earlier)")
    expect(check.row(date).locator("td").nth(3)).to_have_text("28/02/2012")
    check.screenshot("import-check-again")

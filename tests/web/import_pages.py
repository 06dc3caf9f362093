"""Page objects for the spreadsheet import's pages (the roster_csv plugin's)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Locator, expect

from tests.web.pages import ConsolePage


class UploadPage(ConsolePage):
    path = "/p/roster_csv/import"

    def tab(self, name: str) -> None:
        self.page.locator(".import-tabs").get_by_role("link", name=name).click()

    def upload(self, file: Path) -> None:
        self.page.get_by_label("A .csv file").set_input_files(str(file))
        self.page.get_by_role("button", name="Upload").click()


class ColumnsPage(ConsolePage):
    def field_of(self, header: str) -> Locator:
        return self.page.get_by_label(f"field for {header}")

    def suggested(self) -> Locator:
        return self.page.locator(".match-table .pill.suggested")

    def import_data(self) -> None:
        self.page.get_by_role("button", name="Import data").click()


class CheckPage(ConsolePage):
    def row(self, line: int) -> Locator:
        return self.page.locator(f"tr#line-{line}")

    def rejected(self) -> Locator:
        return self.page.locator("tr.rejected")

    def corrected(self) -> Locator:
        return self.page.locator("tr.corrected")

    def open_pencil(self, line: int) -> Locator:
        """Open the row's pencil; its form."""
        self.row(line).get_by_label(f"correct line {line}").click()
        form = self.row(line).locator("form.fix-form")
        expect(form).to_be_visible()
        return form

    def fix(self, line: int, label: str, value: str) -> None:
        form = self.open_pencil(line)
        form.get_by_label(label).fill(value)
        form.get_by_role("button", name="Save").click()

    def complete(self) -> None:
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.page.get_by_role("button", name="Complete").click()


class DonePage(ConsolePage):
    def result(self, sync: str = "default") -> Locator:
        return self.page.locator(".import-result").filter(has_text=f"Sync {sync}")

    def wait_finished(self, status: str) -> None:
        expect(self.result().locator(".badge")).to_have_text(status, timeout=60_000)

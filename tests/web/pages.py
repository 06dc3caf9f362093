"""Page objects for the console's browser tests: one per page, each knowing its own
selectors so that the tests read as what a person does."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Download, Locator, Page, expect


class ConsolePage:
    path = "/"

    def __init__(self, page: Page, base_url: str, shots: Path) -> None:
        self.page = page
        self.base_url = base_url
        self.shots = shots

    def open(self, path: str | None = None) -> None:
        self.page.goto(self.base_url + (path or self.path))

    def screenshot(self, name: str) -> None:
        self.page.screenshot(path=str(self.shots / f"{name}.png"))

    def flash(self) -> Locator:
        return self.page.locator(".flash")

    def nav(self, label: str) -> None:
        self.page.locator("header.top nav").get_by_role("link", name=label).click()


class LoginPage(ConsolePage):
    path = "/login"

    def sign_in(self, name: str, password: str) -> None:
        self.open()
        self.page.get_by_label("Account").fill(name)
        self.page.get_by_label("Password").fill(password)
        self.page.get_by_role("button", name="Sign in").click()

    def error(self) -> Locator:
        return self.page.locator(".flash.error")


class OverviewPage(ConsolePage):
    path = "/"

    def card(self, sync: str = "default") -> Locator:
        return self.page.locator(f".sync-card[data-sync='{sync}']")

    def badge(self, sync: str = "default") -> Locator:
        return self.card(sync).locator(".sync-head .badge")

    def sync_now(self, sync: str = "default") -> None:
        self.card(sync).get_by_role("button", name="Sync now").click()

    def preview(self, sync: str = "default") -> None:
        self.card(sync).get_by_role("button", name="Preview").click()

    def pause(self, until: str, reason: str, sync: str = "default") -> None:
        card = self.card(sync)
        card.get_by_label("pause until").fill(until)
        card.get_by_label("reason").fill(reason)
        card.get_by_role("button", name="Pause").click()

    def resume(self, sync: str = "default") -> None:
        self.card(sync).get_by_role("button", name="Resume").click()

    def wait_finished(self, status: str, sync: str = "default") -> None:
        expect(self.card(sync)).to_have_attribute("data-running", "0", timeout=60_000)
        expect(self.badge(sync)).to_have_text(status, timeout=60_000)


class RunsPage(ConsolePage):
    path = "/runs"

    def open_run(self, run_id: int) -> None:
        self.page.get_by_role("link", name=f"#{run_id}", exact=True).click()

    def rows(self) -> Locator:
        return self.page.locator("table tbody tr")


class RunPage(ConsolePage):
    def open_run(self, run_id: int) -> None:
        self.open(f"/runs/{run_id}")

    def title(self) -> Locator:
        return self.page.locator("h1")

    def download_rejected(self) -> Download:
        with self.page.expect_download() as info:
            self.page.get_by_role("link", name="Download rejected rows (CSV)").click()
        return info.value

    def search(self, text: str) -> None:
        self.page.get_by_label("search changes").fill(text)
        self.page.get_by_role("button", name="Search").click()

    def changes(self) -> Locator:
        return self.page.locator("table").first.locator("tbody tr")


class HeldPage(ConsolePage):
    path = "/held"

    def open_held(self, run_id: int) -> None:
        self.open(f"/held/{run_id}")

    def approve(self) -> None:
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.page.get_by_label("I have checked the removals").check()
        self.page.get_by_role("button", name="Approve and apply").click()

    def reject(self) -> None:
        self.page.once("dialog", lambda dialog: dialog.accept())
        self.page.get_by_role("button", name="Reject").click()

    def removals(self, group: str) -> Locator:
        return self.page.locator(".removal-group", has_text=group)


class GroupsPage(ConsolePage):
    path = "/groups"

    def search(self, text: str) -> None:
        self.page.get_by_label("search groups").fill(text)
        self.page.get_by_role("button", name="Search").click()

    def group_links(self) -> Locator:
        return self.page.locator("table tbody tr td:first-child a")

    def open_group(self, name: str) -> None:
        self.page.get_by_role("link", name=name, exact=True).click()


class GroupPage(ConsolePage):
    def members(self) -> Locator:
        return self.page.locator(".columns .card").first.locator("tbody tr")

    def open_staff(self, name: str) -> None:
        self.page.locator(".columns .card").nth(1).get_by_role("link", name=name).click()


class StaffPage(ConsolePage):
    path = "/access"

    def search(self, text: str) -> None:
        self.page.get_by_label("search staff").fill(text)
        self.page.get_by_role("button", name="Search").click()

    def open_staff(self, name: str) -> None:
        self.page.get_by_role("link", name=name, exact=True).click()


class AccessPage(ConsolePage):
    def groups(self) -> Locator:
        return (
            self.page.locator("h2", has_text="Groups they can see")
            .locator("..")
            .locator("tbody tr")
        )

    def heading(self) -> Locator:
        return self.page.locator("h1")


class AccountsPage(ConsolePage):
    path = "/accounts"


def run_id_in(url: str) -> int:
    found = re.search(r"/runs/(\d+)", url)
    assert found, url
    return int(found.group(1))

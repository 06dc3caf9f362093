"""Page objects for the admin pages plugins contribute (manual, permissions, SIS settings)."""

from __future__ import annotations

from playwright.sync_api import Locator

from tests.web.pages import ConsolePage


class StaffMembersPage(ConsolePage):
    path = "/p/permissions/staff"

    def choose(self, person: str, group: str) -> None:
        row = self.page.locator(f"tr[data-person='{person}']")
        row.locator("select[name=user_group]").select_option(group)
        row.get_by_role("button", name="Change").click()

    def sync_now(self) -> None:
        self.page.get_by_role("button", name="Sync now").click()


class UserGroupsPage(ConsolePage):
    path = "/p/permissions/user-groups"

    def box(self, group: str, permission: str) -> Locator:
        return self.page.get_by_label(f"{group}: {permission}", exact=True)

    def save(self) -> None:
        self.page.get_by_role("button", name="Save").click()


class PersonForm(ConsolePage):
    path = "/p/manual/students/new"

    def fill(self, **values: str) -> None:
        for field, value in values.items():
            self.page.locator(f"#f-{field}").fill(value)

    def save(self) -> None:
        self.page.get_by_role("button", name="Save").click()

    def invalid(self) -> Locator:
        return self.page.locator(".form-row.invalid")


class BlocksPage(ConsolePage):
    path = "/p/manual/blocks"

    def block(self, staff: str, student: str, reason: str) -> None:
        self.page.locator("#f-staff").fill(staff)
        self.page.locator("#f-student").fill(student)
        self.page.locator("#f-reason").fill(reason)
        self.page.get_by_role("button", name="Block").click()

    def rows(self) -> Locator:
        return self.page.locator("#blocks tbody tr")

"""The Staff members and User groups pages (plugins/permissions through register_web_pages):
admins only, edits kept and applied by the next sync, the rules held, every change audited.
Requests go to a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.web.admin_school import served_school
from tests.web.conftest import Running, csrf_of

STAFF = "/p/permissions/staff"
GROUPS = "/p/permissions/user-groups"


@pytest.fixture
def school_console(tmp_path: Path) -> Iterator[Running]:
    yield from served_school(tmp_path)


def access_page(console: Running, client: httpx.Client, person: str) -> str:
    ref = console.asgi.state.console.ref(person)
    page = client.get(f"/access/{ref}")
    assert page.status_code == 200, page.text
    return page.text


def ticks(page: str) -> set[str]:
    """The ticked boxes of the user groups form, as 'GROUP\tpermission'."""
    return {
        m.group(1).replace("&#9;", "\t")
        for m in re.finditer(r'name="perm" value="([^"]+)"[^>]*\bchecked\b', page)
    }


def test_viewers_and_operators_are_refused(school_console: Running) -> None:
    for name in ("vera", "oscar"):
        client = school_console.signed_in(name)
        token = csrf_of(client)
        assert client.get(STAFF).status_code == 403
        assert client.get(GROUPS).status_code == 403
        changed = client.post(
            f"{STAFF}/school", data={"person": "snape", "user_group": "DSLs", "csrf_token": token}
        )
        assert changed.status_code == 403
        saved = client.post(
            f"{GROUPS}/school", data={"perm": "DSLs\tlog_concerns", "csrf_token": token}
        )
        assert saved.status_code == 403
        assert f'href="{STAFF}"' not in client.get("/").text


def test_a_user_group_change_reaches_the_directory_at_the_next_sync(
    school_console: Running,
) -> None:
    alice = school_console.signed_in("alice")
    page = alice.get(STAFF, params={"source": "school"})
    assert page.status_code == 200
    assert re.search(r'data-person="snape">\s*<td>Severus Snape</td>', page.text)
    token = csrf_of(alice, STAFF)
    changed = alice.post(
        f"{STAFF}/school", data={"person": "snape", "user_group": "dsls", "csrf_token": token}
    )
    assert changed.status_code == 303
    assert "<dd>Teachers</dd>" in access_page(school_console, alice, "snape")  # not yet synced
    page = alice.get(STAFF, params={"source": "school"}).text
    assert 'class="badge edited"' in page and '<option value="DSLs" selected>' in page
    school_console.app.engine.run()
    after = access_page(school_console, alice, "snape")
    assert "<dd>DSLs</dd>" in after and "chosen in the console by alice" in after
    audit = alice.get("/audit", params={"action": "change user group"}).text
    assert "school: snape from &#39;Teachers&#39; to &#39;DSLs&#39;" in audit
    refused = alice.post(
        f"{STAFF}/school", data={"person": "snape", "user_group": "Cooks", "csrf_token": token}
    )
    assert refused.status_code == 303
    assert "not a user group" in alice.get(STAFF).text


def test_an_unticked_permission_reaches_the_directory(school_console: Running) -> None:
    alice = school_console.signed_in("alice")
    page = alice.get(GROUPS, params={"source": "school"}).text
    boxes = ticks(page)
    assert "Teachers\tview_behaviour" in boxes
    boxes.discard("Teachers\tview_behaviour")
    token = csrf_of(alice, GROUPS)
    saved = alice.post(f"{GROUPS}/school", data={"perm": sorted(boxes), "csrf_token": token})
    assert saved.status_code == 303, saved.text
    page = alice.get(GROUPS, params={"source": "school"}).text
    assert "Saved: Teachers." in page
    assert "Teachers\tview_behaviour" not in ticks(page)
    assert re.search(r'data-group="Teachers">Teachers<br><span class="badge edited"', page)
    assert not re.search(r'data-group="TAs">TAs<br><span class="badge edited"', page)
    school_console.app.engine.run()
    snape = access_page(school_console, alice, "snape")
    assert "view_behaviour" not in snape and "log_concerns" in snape
    audit = alice.get("/audit", params={"action": "save user group"}).text
    assert "school: Teachers: -view_behaviour" in audit


def test_the_rules_hold_in_the_console(school_console: Running) -> None:
    alice = school_console.signed_in("alice")
    boxes = ticks(alice.get(GROUPS).text)
    token = csrf_of(alice, GROUPS)
    refused = alice.post(
        f"{GROUPS}/school",
        data={
            "perm": sorted(boxes | {"SLTs\tmanage_allegations_against_staff"}),
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert "Nothing was saved" in refused.text and "legally protected" in refused.text
    assert re.search(
        r'<td class="invalid"><input type="checkbox" name="perm" value="SLTs&#9;'
        r'manage_allegations_against_staff"[^>]*checked aria-invalid="true"',
        refused.text,
    )
    assert "SLTs\tmanage_allegations_against_staff" not in ticks(alice.get(GROUPS).text)
    wanted = (boxes | {"SLTs\tmanage_allegations_against_staff", "TAs\tview_child_protection"}) - {
        "DSLs\tview_child_protection"
    }
    saved = alice.post(
        f"{GROUPS}/school",
        data={"perm": sorted(wanted), "confirm_allegations": "yes", "csrf_token": token},
    )
    assert saved.status_code == 303
    page = alice.get(GROUPS).text
    now = ticks(page)
    assert {
        "SLTs\tmanage_allegations_against_staff",
        "TAs\trequire_2fa_for_child_protection",
    } <= now
    assert "DSLs\treceive_child_protection_alerts" not in now  # alerts need the view
    assert "TAs also gets require_2fa_for_child_protection" in page
    reset = alice.post(f"{GROUPS}/school/reset", data={"group": "DSLs", "csrf_token": token})
    assert reset.status_code == 303
    assert "DSLs\treceive_child_protection_alerts" in ticks(alice.get(GROUPS).text)

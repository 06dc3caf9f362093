"""Enter by hand and Blocked children (plugins/manual through register_web_pages): the
CLI's checks with the field highlighted, operators enter, only admins block, and a block
hides the child from the staff member's access page after a sync."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.admin_school import served_school
from tests.web.conftest import Running, csrf_of

ENTRIES = "/p/manual/entries"
BLOCKS = "/p/manual/blocks"


@pytest.fixture
def school_console(tmp_path: Path) -> Iterator[Running]:
    yield from served_school(tmp_path)


def student(**values: str) -> dict[str, str]:
    return {
        "first_name": "Luna", "surname": "Lovegood", "dob": "13/02/2011", "gender": "F",
        "year_group": "7", "registration_group": "7B", "upn": "", **values,
    }  # fmt: skip


def highlighted(page: str) -> list[str]:
    return re.findall(r'<div class="form-row invalid">\s*<label for="f-(\w+)"', page)


def test_roles(school_console: Running) -> None:
    vera = school_console.signed_in("vera")
    token = csrf_of(vera)
    assert vera.get(ENTRIES).status_code == 403
    assert (
        vera.post("/p/manual/students", data={**student(), "csrf_token": token}).status_code == 403
    )
    oscar = school_console.signed_in("oscar")
    token = csrf_of(oscar)
    assert oscar.get(ENTRIES).status_code == 200
    assert oscar.get(BLOCKS).status_code == 403
    block = {"staff": "snape", "student": "A123456789012", "reason": "parent", "csrf_token": token}
    assert oscar.post(BLOCKS, data=block).status_code == 403
    assert oscar.post(f"{BLOCKS}/lift", data=block).status_code == 403
    nav = oscar.get("/").text
    assert f'href="{ENTRIES}"' in nav and f'href="{BLOCKS}"' not in nav


@pytest.mark.parametrize(
    ("values", "field", "reason"),
    [
        ({"dob": "31/02/2011"}, "dob", "no such date (day 31, month 2, year 2011)"),
        ({"gender": "Unknown"}, "gender", "gender must be Male, Female, M, F or blank"),
        ({"upn": "A123-4"}, "upn", "a UPN has only letters and digits"),
        ({"surname": " "}, "surname", "the surname is empty"),
    ],
)
def test_a_bad_value_is_highlighted_with_the_reason(
    school_console: Running, values: dict[str, str], field: str, reason: str
) -> None:
    oscar = school_console.signed_in("oscar")
    page = oscar.post(
        "/p/manual/students", data={**student(**values), "csrf_token": csrf_of(oscar, ENTRIES)}
    )
    assert page.status_code == 422
    assert highlighted(page.text) == [field]
    error = re.search(
        rf'<p class="field-error" id="err-{field}" role="alert">([^<]+)</p>', page.text
    )
    assert error and reason in error.group(1).replace("&#39;", "'")
    assert 'value="Luna"' in page.text  # what was typed is kept
    assert "No student entered by hand." in oscar.get(ENTRIES).text


def test_a_duplicate_upn_is_refused_and_an_edit_is_kept(school_console: Running) -> None:
    oscar = school_console.signed_in("oscar")
    token = csrf_of(oscar, ENTRIES)
    first = oscar.post("/p/manual/students", data={**student(upn="L111"), "csrf_token": token})
    assert first.status_code == 303
    again = oscar.post(
        "/p/manual/students",
        data={**student(first_name="Lorna", upn="l111"), "csrf_token": token},
    )
    assert again.status_code == 422 and highlighted(again.text) == ["upn"]
    assert "UPN L111 is already entered, for Luna Lovegood" in again.text
    ref = school_console.asgi.state.console.ref("L111")
    form = oscar.get(f"/p/manual/students/{ref}/edit")
    assert 'value="2011-02-13"' in form.text
    edited = oscar.post(
        "/p/manual/students",
        data={**student(upn="L222", registration_group="7A"), "original": ref, "csrf_token": token},
    )
    assert edited.status_code == 303
    listed = oscar.get(ENTRIES).text
    assert "<td>L222</td>" in listed and "<td>L111</td>" not in listed
    audit = school_console.signed_in("alice").get("/audit").text
    assert "manual: L222 (was L111)" in audit and "oscar" in audit


def test_an_unknown_user_group_is_highlighted(school_console: Running) -> None:
    oscar = school_console.signed_in("oscar")
    page = oscar.post(
        "/p/manual/staff",
        data={
            "login": "hooch", "first_name": "Rolanda", "surname": "Hooch",
            "user_group": "Teacher", "csrf_token": csrf_of(oscar, ENTRIES),
        },
    )  # fmt: skip
    assert page.status_code == 422 and highlighted(page.text) == ["user_group"]
    assert "did you mean Teachers?" in page.text


def test_a_block_hides_the_child_from_the_access_page(school_console: Running) -> None:
    alice = school_console.signed_in("alice")
    token = csrf_of(alice, BLOCKS)
    mistyped = alice.post(
        BLOCKS,
        data={
            "staff": "snape",
            "student": "A123456789013",
            "reason": "parent",
            "csrf_token": token,
        },
    )
    assert mistyped.status_code == 422 and highlighted(mistyped.text) == ["student"]
    assert "unknown student &#39;A123456789013&#39;" in mistyped.text
    assert "did you mean A123456789012?" in mistyped.text
    ref = school_console.asgi.state.console.ref("snape")
    assert "No child is blocked from this staff member." in alice.get(f"/access/{ref}").text
    done = alice.post(
        BLOCKS,
        data={
            "staff": "snape",
            "student": "A123456789012",
            "reason": "parent",
            "csrf_token": token,
        },
    )
    assert done.status_code == 303
    listed = alice.get(BLOCKS).text
    assert re.search(r"<td>Harry Potter <span class=\"muted\">A123456789012</span></td>", listed)
    school_console.app.engine.run()
    page = alice.get(f"/access/{ref}").text
    assert 'Harry Potter</td><td class="muted">parent</td>' in page
    lifted = alice.post(
        f"{BLOCKS}/lift", data={"staff": "snape", "student": "A123456789012", "csrf_token": token}
    )
    assert lifted.status_code == 303
    school_console.app.engine.run()
    assert "No child is blocked from this staff member." in alice.get(f"/access/{ref}").text
    audit = alice.get("/audit", params={"q": "A123456789012"}).text
    assert "<td>block</td>" in audit and "<td>unblock</td>" in audit


def test_groups_and_members_as_the_cli_checks_them(school_console: Running) -> None:
    oscar = school_console.signed_in("oscar")
    token = csrf_of(oscar, ENTRIES)
    assert (
        oscar.post(
            "/p/manual/groups", data={"key": "chess", "name": "Chess Club", "csrf_token": token}
        ).status_code
        == 303
    )
    luna = {**student(upn="L111"), "csrf_token": token}
    assert oscar.post("/p/manual/students", data=luna).status_code == 303
    member = {"group": "chess", "person": "L111", "csrf_token": token}
    assert oscar.post("/p/manual/members", data=member).status_code == 303
    typo = oscar.post(
        "/p/manual/members", data={**member, "group": "reg:7Z"}, follow_redirects=True
    )
    assert "unknown group &#39;reg:7Z&#39;; did you mean reg:7B, reg:7A" in typo.text
    form = oscar.post(
        "/p/manual/members", data={**member, "group": "reg:7A"}, follow_redirects=True
    )
    assert "Added L111 to reg:7A." in form.text
    listed = oscar.get(ENTRIES).text
    assert re.search(r"<td>Chess Club</td><td>chess</td>\s*<td>L111</td>", listed)

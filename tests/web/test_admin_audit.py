"""The audit page: admins only, every console change with who and when, filterable and
paged. Requests go to a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import re

from tests.web.conftest import Running, csrf_of


def rows(html: str) -> list[str]:
    body = html.split('<table id="audit">', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr><td>.*?</tr>", body, flags=re.S)


def test_only_admins_see_the_audit_page(console: Running) -> None:
    for name in ("vera", "oscar"):
        client = console.signed_in(name)
        assert client.get("/audit").status_code == 403
        assert 'href="/audit"' not in client.get("/").text
    client = console.signed_in("alice")
    assert client.get("/audit").status_code == 200
    assert 'href="/audit"' in client.get("/").text
    anonymous = console.client()
    assert anonymous.get("/audit").status_code == 401


def test_a_change_is_recorded_with_who_and_when(console: Running) -> None:
    client = console.signed_in("alice")
    token = csrf_of(client, "/accounts")
    added = client.post(
        "/accounts",
        data={
            "name": "nina",
            "role": "viewer",
            "password": "nina-viewer-pass",
            "csrf_token": token,
        },
    )
    assert added.status_code == 303
    page = client.get("/audit", params={"action": "add account"})
    found = rows(page.text)
    assert len(found) == 1
    assert "<td>alice</td><td>add account</td><td>nina as viewer</td>" in found[0]
    assert re.search(r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td>", found[0])


def test_the_record_is_filtered_and_paged(console: Running) -> None:
    accounts = console.asgi.state.console.accounts
    for i in range(120):
        accounts.record(
            "alice" if i % 2 else "bob", "block", sync="default", detail=f"child {i:03d}"
        )
    accounts.record("carol", "save user group", detail="Teachers: 100% of staff")
    client = console.signed_in("alice")
    first = client.get("/audit", params={"who": "bob"})
    assert len(rows(first.text)) == 50 and "child 118" in rows(first.text)[0]
    assert "page 1 of 2 · 60 entries" in first.text
    assert 'href="/audit?who=bob&amp;page=2"' in first.text
    second = client.get("/audit", params={"who": "bob", "page": 2})
    assert len(rows(second.text)) == 10 and "child 000" in rows(second.text)[-1]
    assert "Older" not in second.text.split('class="pager"')[1]
    words = client.get("/audit", params={"q": "child 07"})
    assert [r.count("child 07") for r in rows(words.text)] == [1] * 10
    percent = client.get("/audit", params={"q": "100%"})
    assert len(rows(percent.text)) == 1 and "carol" in rows(percent.text)[0]
    nothing = client.get("/audit", params={"q": "_"})
    assert "Nothing matches." in nothing.text
    assert '<option value="carol"' in first.text

"""Every action of the admin pages plugins contribute needs the session's CSRF token, and
every one of their pages needs a session. Requests go to a real uvicorn on 127.0.0.1."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.web.admin_school import served_school
from tests.web.conftest import Running

PREFIXES = ("/p/manual", "/p/permissions", "/p/impero_csv", "/p/clever")


@pytest.fixture
def school_console(tmp_path: Path) -> Iterator[Running]:
    yield from served_school(tmp_path)


def routes(running: Running) -> list[tuple[str, str]]:
    """The (method, path) of every route the admin plugins mount, with sample parameters."""
    found = []
    for prefix, pages in running.app.plugins.web_pages.items():
        if prefix not in PREFIXES:
            continue
        for route in pages.make_router().routes:  # type: ignore[attr-defined]
            path = prefix + getattr(route, "path", "")
            sample = re.sub(
                r"\{(\w+)\}", lambda m: {"kind": "students"}.get(m.group(1), "school"), path
            )
            found += [(m, sample) for m in sorted(getattr(route, "methods", ())) if m != "HEAD"]
    return found


def test_every_action_needs_the_csrf_token_and_every_page_a_session(
    school_console: Running,
) -> None:
    found = routes(school_console)
    posts = [path for method, path in found if method == "POST"]
    assert len(posts) >= 12, found  # manual 8, permissions 4, impero and clever 1 each
    alice = school_console.signed_in("alice")
    for path in posts:
        answer = alice.post(path, data={"person": "snape", "user_group": "DSLs"})
        assert answer.status_code == 403, path
        assert "did not come from this console" in answer.text, path
    anonymous = school_console.client()
    for method, path in found:
        assert anonymous.request(method, path).status_code == 401, path

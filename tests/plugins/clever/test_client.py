"""The Clever client at the HTTP level: pages, retries, waits and error messages."""

from __future__ import annotations

import pytest
import requests
import responses
from responses.registries import OrderedRegistry

from plugins.clever.client import CleverClient, CleverHTTPError
from sync.errors import RetriableError, SourceError

BASE = "https://api.clever.test"
USERS = f"{BASE}/v3.0/users"
TOKEN = "tok-CANARY-3f9a1c"
NOW = 1_700_000_000.0


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(sleeps: Sleeps, **kwargs: object) -> CleverClient:
    options: dict[str, object] = {"key": "sources.district", "max_attempts": 4}
    options.update(kwargs)
    return CleverClient(BASE, TOKEN, sleep=sleeps, clock=lambda: NOW, **options)  # type: ignore[arg-type]


def page(*ids: str, next_after: str | None = None) -> dict[str, object]:
    links = [{"rel": "self", "uri": "/v3.0/users"}]
    if next_after:
        links.append({"rel": "next", "uri": f"/v3.0/users?limit=2&starting_after={next_after}"})
    return {"data": [{"data": {"id": i}, "uri": f"/v3.0/users/{i}"} for i in ids], "links": links}


@responses.activate
def test_pages_follow_next_links_and_stop_at_the_empty_page() -> None:
    responses.get(USERS, json=page("a", "b", next_after="b"))
    responses.get(f"{USERS}?limit=2&starting_after=b", json=page("c", next_after="c"))
    responses.get(f"{USERS}?limit=2&starting_after=c", json=page())
    pages = list(client(Sleeps()).pages("/users", {"limit": 2}))
    assert [[r["id"] for r in p.records] for p in pages] == [["a", "b"], ["c"], []]
    assert len(responses.calls) == 3
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {TOKEN}"


@responses.activate
def test_a_page_without_a_next_link_is_the_last() -> None:
    responses.get(USERS, json=page("a"))
    assert [p.records for p in client(Sleeps()).pages("/users")] == [[{"id": "a"}]]
    assert len(responses.calls) == 1


@responses.activate(registry=OrderedRegistry)
def test_429_waits_until_the_rate_limit_resets() -> None:
    responses.get(USERS, status=429, body="", headers={"X-RateLimit-Reset": str(int(NOW) + 7)})
    responses.get(USERS, json=page("a"))
    sleeps = Sleeps()
    c = client(sleeps)
    assert c.get("/v3.0/users")["data"]
    assert sleeps == [7.0] and c.retries == 1 and len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_retry_after_wins_over_the_reset_time() -> None:
    headers = {"Retry-After": "3", "X-RateLimit-Reset": str(int(NOW) + 50)}
    responses.get(USERS, status=429, body="", headers=headers)
    responses.get(USERS, json=page())
    sleeps = Sleeps()
    client(sleeps).get("/v3.0/users")
    assert sleeps == [3.0]


@responses.activate(registry=OrderedRegistry)
def test_a_long_wait_is_capped() -> None:
    responses.get(USERS, status=429, body="", headers={"Retry-After": "3600"})
    responses.get(USERS, json=page())
    sleeps = Sleeps()
    client(sleeps, max_wait_seconds=60.0).get("/v3.0/users")
    assert sleeps == [60.0]


@responses.activate(registry=OrderedRegistry)
def test_502_502_200_backs_off_and_counts_the_retries() -> None:
    responses.get(USERS, status=502, body="<html><body>Bad Gateway</body></html>")
    responses.get(USERS, status=502, body="<html><body>Bad Gateway</body></html>")
    responses.get(USERS, json=page("a"))
    sleeps = Sleeps()
    c = client(sleeps, backoff_seconds=0.5)
    assert c.get("/v3.0/users")["data"][0]["data"] == {"id": "a"}
    assert sleeps == [0.5, 1.0] and c.retries == 2 and len(responses.calls) == 3


@responses.activate(registry=OrderedRegistry)
def test_exhausted_retries_raise_the_retriable_error() -> None:
    for _ in range(3):
        responses.get(USERS, status=503, json={"message": "maintenance"})
    sleeps = Sleeps()
    with pytest.raises(RetriableError, match="HTTP 503") as caught:
        client(sleeps, max_attempts=3).get("/v3.0/users")
    assert len(responses.calls) == 3 and len(sleeps) == 2
    assert TOKEN not in str(caught.value)


@responses.activate(registry=OrderedRegistry)
def test_connection_errors_are_retried() -> None:
    responses.get(USERS, body=requests.ConnectionError("refused"))
    responses.get(USERS, json=page())
    c = client(Sleeps())
    c.get("/v3.0/users")
    assert c.retries == 1 and len(responses.calls) == 2


@responses.activate
def test_401_is_fatal_at_once_with_advice_and_without_the_token() -> None:
    responses.get(USERS, status=401, json={"message": "Unauthorized"})
    with pytest.raises(CleverHTTPError) as caught:
        client(Sleeps()).get("/v3.0/users")
    message = str(caught.value)
    assert caught.value.status == 401 and len(responses.calls) == 1
    assert "sources.district.token" in message and "'Unauthorized'" in message
    assert TOKEN not in message


@pytest.mark.parametrize(
    ("status", "advice"),
    [
        (400, "malformed"),
        (403, "data sharing"),
        (404, "sources.district.url"),
        (413, "sources.district.page_size"),
        (501, "does not implement"),
    ],
)
@responses.activate
def test_other_refusals_are_fatal_and_say_what_to_do(status: int, advice: str) -> None:
    responses.get(USERS, status=status, json={"message": "nope"})
    with pytest.raises(SourceError, match=advice):
        client(Sleeps()).get("/v3.0/users")
    assert len(responses.calls) == 1


@responses.activate
def test_an_html_error_page_is_named_not_quoted() -> None:
    html = "<!DOCTYPE html><html><head><title>404</title></head><body>Not Found</body></html>"
    responses.get(USERS, status=404, body=html, content_type="text/html")
    with pytest.raises(SourceError) as caught:
        client(Sleeps()).get("/v3.0/users")
    assert "an HTML page instead of JSON" in str(caught.value)
    assert "<html" not in str(caught.value) and "Traceback" not in str(caught.value)


@responses.activate
def test_an_html_page_with_status_200_is_refused_clearly() -> None:
    responses.get(
        USERS, status=200, body="<html><body>login</body></html>", content_type="text/html"
    )
    with pytest.raises(SourceError, match="answered 200 with an HTML page"):
        client(Sleeps()).get("/v3.0/users")

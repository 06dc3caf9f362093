"""The SCIM client's retry, refusal and paging rules, scripted with ``responses``."""

from __future__ import annotations

import pytest
import requests
import responses
from responses import matchers
from responses.registries import OrderedRegistry

from plugins.scim.client import ScimClient, ScimRefused
from sync.api import RetriableError, RetryPolicy, TargetError, register_secret

BASE = "https://idp.example.org/scim/v2"
TOKEN = "client-test-token-77aa"


def client(sleeps: list[float] | None = None, attempts: int = 4) -> ScimClient:
    return ScimClient(
        BASE,
        TOKEN,
        policy=RetryPolicy(max_attempts=attempts, backoff_seconds=0.5),
        sleep=(sleeps.append if sleeps is not None else lambda seconds: None),
    )


def error(status: int, detail: str) -> dict[str, object]:
    return {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
        "status": str(status),
        "detail": detail,
    }


@responses.activate(registry=OrderedRegistry)
def test_503_then_success_is_retried_and_counted() -> None:
    url = f"{BASE}/Groups/g1"
    first = responses.get(url, status=503, json=error(503, "busy"))
    second = responses.get(url, status=502)
    third = responses.get(url, json={"id": "g1"})
    scim = client()
    assert scim.request("GET", "Groups/g1") == {"id": "g1"}
    assert (first.call_count, second.call_count, third.call_count) == (1, 1, 1)
    assert scim.retries == 2


@responses.activate(registry=OrderedRegistry)
def test_retry_after_is_honoured() -> None:
    url = f"{BASE}/Users"
    responses.get(url, status=429, headers={"Retry-After": "7"})
    responses.get(url, status=503)  # no Retry-After: exponential backoff
    responses.get(url, json={"Resources": [], "totalResults": 0})
    sleeps: list[float] = []
    client(sleeps).request("GET", "Users")
    assert sleeps == [7.0, 1.0]


@responses.activate(registry=OrderedRegistry)
def test_attempts_are_bounded_then_the_retriable_error_is_raised() -> None:
    url = f"{BASE}/Users"
    calls = [responses.get(url, status=503, json=error(503, "down")) for _ in range(3)]
    scim = client(attempts=3)
    with pytest.raises(RetriableError, match="answered HTTP 503 \\(detail 'down'\\)"):
        scim.request("GET", "Users")
    assert [c.call_count for c in calls] == [1, 1, 1]
    assert scim.retries == 2


@responses.activate(registry=OrderedRegistry)
def test_a_refused_connection_is_retried() -> None:
    url = f"{BASE}/Users"
    broken = responses.get(url, body=requests.ConnectionError("refused"))
    fine = responses.get(url, json={"totalResults": 0})
    assert client().request("GET", "Users") == {"totalResults": 0}
    assert (broken.call_count, fine.call_count) == (1, 1)


@pytest.mark.parametrize("status", [400, 404, 409, 501])
@responses.activate(registry=OrderedRegistry)
def test_4xx_is_refused_at_once_with_the_server_detail(status: int) -> None:
    call = responses.post(f"{BASE}/Groups", status=status, json=error(status, "name taken"))
    with pytest.raises(ScimRefused) as caught:
        client().request("POST", "Groups", body={"displayName": "X"})
    assert caught.value.status == status and caught.value.detail == "name taken"
    assert call.call_count == 1


@responses.activate(registry=OrderedRegistry)
def test_a_post_retried_after_a_fault_finds_what_it_created() -> None:
    post = responses.post(f"{BASE}/Groups", status=503)
    scim = client()
    found = scim.request(
        "POST", "Groups", body={"displayName": "X"}, before_retry=lambda: {"id": "made"}
    )
    assert found == {"id": "made"} and post.call_count == 1


@responses.activate(registry=OrderedRegistry)
def test_search_pages_with_start_index_and_count() -> None:
    def page(start: int, ids: list[str]) -> None:
        responses.get(
            f"{BASE}/Users",
            match=[matchers.query_param_matcher({"startIndex": str(start), "count": "2"})],
            json={"totalResults": 5, "startIndex": start, "Resources": [{"id": i} for i in ids]},
        )

    page(1, ["a", "b"])
    page(3, ["c", "d"])
    page(5, ["e"])
    found = [u["id"] for u in client().search("Users", page_size=2)]
    assert found == ["a", "b", "c", "d", "e"]
    assert len(responses.calls) == 3


@responses.activate(registry=OrderedRegistry)
def test_the_token_is_sent_as_a_bearer_header_and_never_shown() -> None:
    register_secret(TOKEN)
    call = responses.get(f"{BASE}/Users", status=500, json=error(500, f"bad token {TOKEN}"))
    with pytest.raises(RetriableError) as caught:
        client(attempts=1).request("GET", "Users")
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)
    sent = call.calls[0].request
    assert sent.headers["Authorization"] == f"Bearer {TOKEN}"
    assert sent.headers["Content-Type"] == "application/scim+json"


@pytest.mark.parametrize("status", [401, 403])
@responses.activate(registry=OrderedRegistry)
def test_a_refused_token_stops_the_run(status: int) -> None:
    call = responses.get(f"{BASE}/Users", status=status, json=error(status, "no"))
    with pytest.raises(TargetError, match=f"refused the token \\({status}\\)"):
        client().request("GET", "Users")
    assert call.call_count == 1

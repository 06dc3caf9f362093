"""The one HTTP layer: status -> error, retries and waits, authenticators, redaction.

Each retry test scripts the exact sequence of answers with ``responses``' OrderedRegistry
and asserts how many requests were made and how long the client slept.
"""

from __future__ import annotations

import logging
from email.utils import formatdate

import pytest
import requests
import responses
from responses import matchers
from responses.registries import OrderedRegistry
from tenacity import RetryCallState, Retrying

from sync.api import (
    BearerToken,
    ClientCredentials,
    FatalError,
    HttpClient,
    HttpRefused,
    RetriableError,
    RetryPolicy,
    next_link,
    redact_url,
)

BASE = "https://api.example.test/v1"
THINGS = f"{BASE}/things"
TOKEN_URL = "https://auth.example.test/oauth/token"
NOW = 1_700_000_000.0
SECRET = "client-secret-CANARY-81d2"


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def client(sleeps: Sleeps | None = None, **policy: float) -> HttpClient:
    settings: dict[str, float] = {"max_attempts": 4, "backoff_seconds": 0.5, **policy}
    return HttpClient(
        BASE,
        service="the test API",
        auth=BearerToken("bearer-token-5a5a"),
        policy=RetryPolicy(
            max_attempts=int(settings["max_attempts"]),
            backoff_seconds=settings["backoff_seconds"],
            max_wait_seconds=settings.get("max_wait_seconds", 120.0),
        ),
        sleep=sleeps if sleeps is not None else Sleeps(),
        clock=lambda: NOW,
    )


@responses.activate(registry=OrderedRegistry)
def test_429_waits_as_retry_after_says() -> None:
    limited = responses.get(THINGS, status=429, headers={"Retry-After": "7"})
    fine = responses.get(THINGS, json={"ok": True})
    sleeps = Sleeps()
    http = client(sleeps)
    assert http.request("GET", "things").json() == {"ok": True}
    assert (limited.call_count, fine.call_count) == (1, 1)
    assert sleeps == [7.0] and http.retries == 1 and http.requests == 2


@responses.activate(registry=OrderedRegistry)
def test_retry_after_as_an_http_date() -> None:
    when = formatdate(NOW + 12, usegmt=True)
    responses.get(THINGS, status=503, headers={"Retry-After": when})
    responses.get(THINGS, json={})
    sleeps = Sleeps()
    client(sleeps).request("GET", "things")
    assert sleeps == [12.0]


@responses.activate(registry=OrderedRegistry)
def test_429_without_retry_after_waits_for_the_rate_limit_reset() -> None:
    responses.get(THINGS, status=429, headers={"X-RateLimit-Reset": str(int(NOW) + 9)})
    responses.get(THINGS, status=429, headers={"X-RateLimit-Reset": "4"})  # seconds from now
    responses.get(THINGS, json={})
    sleeps = Sleeps()
    client(sleeps).request("GET", "things")
    assert sleeps == [9.0, 4.0]


@responses.activate(registry=OrderedRegistry)
def test_503_then_200_backs_off_once() -> None:
    busy = responses.get(THINGS, status=503, json={"message": "busy"})
    fine = responses.get(THINGS, json={"n": 1})
    sleeps = Sleeps()
    http = client(sleeps)
    assert http.request("GET", "things").json() == {"n": 1}
    assert (busy.call_count, fine.call_count) == (1, 1) and sleeps == [0.5]


@responses.activate(registry=OrderedRegistry)
def test_backoff_doubles_and_attempts_are_bounded() -> None:
    calls = [responses.get(THINGS, status=502, body="<html>Bad Gateway</html>") for _ in range(4)]
    sleeps = Sleeps()
    with pytest.raises(RetriableError, match="HTTP 502 \\(an HTML page instead of JSON\\)"):
        client(sleeps).request("GET", "things")
    assert [c.call_count for c in calls] == [1, 1, 1, 1]
    assert sleeps == [0.5, 1.0, 2.0]


@responses.activate(registry=OrderedRegistry)
def test_every_wait_is_capped() -> None:
    responses.get(THINGS, status=429, headers={"Retry-After": "86400"})
    responses.get(THINGS, status=500)
    responses.get(THINGS, json={})
    sleeps = Sleeps()
    client(sleeps, backoff_seconds=100.0, max_wait_seconds=30.0).request("GET", "things")
    assert sleeps == [30.0, 30.0]


@responses.activate(registry=OrderedRegistry)
def test_501_fails_at_once_with_one_call() -> None:
    call = responses.patch(THINGS, status=501, json={"detail": "PATCH is not implemented"})
    sleeps = Sleeps()
    with pytest.raises(HttpRefused) as caught:
        client(sleeps).request("PATCH", "things", json={})
    assert call.call_count == 1 and sleeps == []
    assert caught.value.status == 501
    assert caught.value.description == "detail 'PATCH is not implemented'"
    assert caught.value.body == {"detail": "PATCH is not implemented"}
    assert isinstance(caught.value, FatalError)


@pytest.mark.parametrize("status", [400, 403, 404, 409, 422])
@responses.activate(registry=OrderedRegistry)
def test_4xx_is_fatal_for_the_request(status: int) -> None:
    call = responses.get(THINGS, status=status, json={"message": "nope\n  at all"})
    with pytest.raises(HttpRefused, match=f"answered HTTP {status}: message 'nope at all'"):
        client().request("GET", "things")
    assert call.call_count == 1


@responses.activate(registry=OrderedRegistry)
def test_a_timeout_is_retriable() -> None:
    slow = responses.get(THINGS, body=requests.ReadTimeout("slow"))
    fine = responses.get(THINGS, json={})
    http = client()
    http.request("GET", "things")
    assert (slow.call_count, fine.call_count) == (1, 1) and http.retries == 1


@responses.activate(registry=OrderedRegistry)
def test_timeouts_to_the_end_raise_the_retriable_error() -> None:
    for _ in range(2):
        responses.get(THINGS, body=requests.ConnectTimeout("slow"))
    with pytest.raises(RetriableError, match="did not answer in time"):
        client(max_attempts=2).request("GET", "things")
    assert len(responses.calls) == 2


@responses.activate(registry=OrderedRegistry)
def test_before_retry_can_answer_instead_of_resending() -> None:
    post = responses.post(THINGS, status=503)
    found = client().request("POST", "things", json={}, before_retry=lambda: {"id": "made"})
    assert found == {"id": "made"} and post.call_count == 1


@responses.activate(registry=OrderedRegistry)
def test_each_retry_is_logged_with_its_wait(caplog: pytest.LogCaptureFixture) -> None:
    responses.get(THINGS, status=503)
    responses.get(THINGS, json={})
    with caplog.at_level(logging.WARNING):
        client().request("GET", "things")
    [record] = [r for r in caplog.records if r.name == "sync.retry"]
    assert "attempt 1 of 4" in record.getMessage() and "retrying in 0.5s" in record.getMessage()


def test_redact_url_hides_userinfo_and_token_like_parameters() -> None:
    shown = redact_url("https://bob:pa55word@api.example.test:8443/x?token=abc&limit=5&Key=k1")
    assert shown == "https://***@api.example.test:8443/x?token=***&limit=5&Key=***"
    assert redact_url("not a url") == "not a url"


@responses.activate(registry=OrderedRegistry)
def test_urls_in_messages_are_redacted() -> None:
    responses.get(f"{THINGS}?api_key=key-77&page=2", status=400)
    with pytest.raises(HttpRefused) as caught:
        client().request("GET", "things", params={"api_key": "key-77", "page": 2})
    assert "key-77" not in str(caught.value)
    down = HttpClient("https://u:pw-123@down.example.test/", service="x", sleep=Sleeps())
    with pytest.raises(RetriableError) as retried:
        down.request("GET", "things")
    assert "pw-123" not in str(retried.value) and "cannot connect" in str(retried.value)


@responses.activate
def test_a_link_to_another_host_is_not_followed_with_the_credentials() -> None:
    with pytest.raises(FatalError, match="another host"):
        client().request("GET", "https://elsewhere.example.test/v1/things?offset=5")
    assert len(responses.calls) == 0
    responses.get(f"{THINGS}?offset=5", json={})
    client().request("GET", f"{THINGS}?offset=5")  # the same origin is followed
    assert len(responses.calls) == 1


@responses.activate
def test_next_link_reads_the_link_header() -> None:
    responses.get(
        THINGS, headers={"Link": f'<{THINGS}?offset=2>; rel="next", <{THINGS}>; rel="first"'}
    )
    assert next_link(requests.get(THINGS)) == f"{THINGS}?offset=2"
    responses.replace(responses.GET, THINGS, json={})
    assert next_link(requests.get(THINGS)) is None


# -- OAuth 2.0 client credentials -------------------------------------------------------


def token_answer(token: str, expires_in: int = 3600) -> responses.BaseResponse:
    return responses.post(
        TOKEN_URL,
        json={"access_token": token, "token_type": "bearer", "expires_in": expires_in},
        match=[matchers.urlencoded_params_matcher({"grant_type": "client_credentials"})],
    )


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


def oauth_client(clock: Clock) -> tuple[HttpClient, ClientCredentials]:
    auth = ClientCredentials(TOKEN_URL, "client-1", SECRET, clock=clock)
    http = HttpClient(BASE, service="the test API", auth=auth, clock=clock, sleep=Sleeps())
    return http, auth


@responses.activate(registry=OrderedRegistry)
def test_client_credentials_token_is_kept_until_it_expires() -> None:
    token_answer("tok-1", expires_in=600)
    first = responses.get(THINGS, json={})
    second = responses.get(THINGS, json={})
    token_answer("tok-2")
    third = responses.get(THINGS, json={})
    clock = Clock()
    http, auth = oauth_client(clock)
    http.request("GET", "things")
    clock.now += 300
    http.request("GET", "things")
    clock.now += 300  # past expires_in less the margin: a new token first
    http.request("GET", "things")
    assert [
        c.request.headers["Authorization"] for c in (first, second, third) for c in c.calls
    ] == [
        "Bearer tok-1",
        "Bearer tok-1",
        "Bearer tok-2",
    ]
    assert auth.fetched == 2
    basic = responses.calls[0].request.headers["Authorization"]
    assert basic.startswith("Basic ") and SECRET not in basic  # base64, in a header only


@responses.activate(registry=OrderedRegistry)
def test_a_401_refreshes_the_token_once() -> None:
    token_answer("tok-old")
    refused = responses.get(THINGS, status=401, json={"error": "invalid_token"})
    token_answer("tok-new")
    fine = responses.get(THINGS, json={"ok": 1})
    http, auth = oauth_client(Clock())
    assert http.request("GET", "things").json() == {"ok": 1}
    assert refused.calls[0].request.headers["Authorization"] == "Bearer tok-old"
    assert fine.calls[0].request.headers["Authorization"] == "Bearer tok-new"
    assert auth.fetched == 2


@responses.activate(registry=OrderedRegistry)
def test_a_second_401_is_fatal() -> None:
    token_answer("tok-a")
    responses.get(THINGS, status=401)
    token_answer("tok-b")
    responses.get(THINGS, status=401)
    with pytest.raises(HttpRefused) as caught:
        oauth_client(Clock())[0].request("GET", "things")
    assert caught.value.status == 401 and len(responses.calls) == 4


@responses.activate(registry=OrderedRegistry)
def test_a_refused_token_request_is_fatal_and_keeps_the_secret(
    caplog: pytest.LogCaptureFixture,
) -> None:
    responses.post(TOKEN_URL, status=401, json={"error_description": f"bad secret {SECRET}"})
    with caplog.at_level(logging.DEBUG), pytest.raises(HttpRefused) as caught:
        oauth_client(Clock())[0].request("GET", "things")
    assert "the token endpoint answered HTTP 401" in str(caught.value)
    assert SECRET not in str(caught.value) and SECRET not in caplog.text
    assert len(responses.calls) == 1


def failed_attempt(number: int, error: Exception) -> RetryCallState:
    state = RetryCallState(Retrying(), fn=None, args=(), kwargs={})
    state.attempt_number = number
    state.set_exception((type(error), error, None))
    return state


def test_retry_policy_backoff_and_retry_after_have_their_own_caps() -> None:
    # sync.apply's policy: backoff up to 60 s, a target's Retry-After honoured up to 300 s
    policy = RetryPolicy(backoff_seconds=1, max_backoff_seconds=60, max_wait_seconds=300)
    assert policy.wait(failed_attempt(1, RetriableError("x"))) == 1.0
    assert policy.wait(failed_attempt(3, RetriableError("x"))) == 4.0
    assert policy.wait(failed_attempt(9, RetriableError("x"))) == 60.0
    assert policy.wait(failed_attempt(1, RetriableError("x", retry_after=90))) == 90.0
    assert policy.wait(failed_attempt(1, RetriableError("x", retry_after=1e4))) == 300.0

"""The OneRoster REST reader: the six rostering collections of a 1.1 or 1.2 server, as rows.

Interface (for the ``oneroster`` source, which embeds ``RestOptions``)::

    reader = RestReader.from_options(options, key="sources.district")
    try:
        tables = reader.read_all()                    # a full read
        changed = reader.read_changed("2026-11-30T06:00:00Z")   # rows modified since then
    except FilterRefused:
        tables = reader.read_all()                    # the server cannot filter: read it all
    finally:
        reader.close()
    reader.retries                                    # for SourceRead.retries

Both reads return ``plugins.oneroster.rows.Tables``: ``orgs``, ``academicSessions``,
``courses``, ``classes``, ``users``, ``enrollments`` (and, for 1.2, ``roles`` from each
user's ``roles``), each value flattened into the CSV binding's column of that version, so a
class read here and from a file map to the same group (see ``FLATTEN``). ``Row.file`` is the
collection's path, ``Row.line`` the record's 1-based position across its pages. A user's
``password`` is never kept. ``read_changed`` asks each collection for
``filter=dateLastModified>'SINCE'`` and returns what changed, ``status`` ``tobedeleted``
included; a server that refuses the filter (400, 422 or 501) raises ``FilterRefused``.

Paging is ``limit``/``offset``: the reader follows ``Link: <...>; rel="next"`` when the
server sends it, else counts up to ``X-Total-Count``, else stops at a short page.
**Records that change under a read**: offset paging shifts when a record is inserted or
removed between two pages, repeating or skipping one. A collection whose ``X-Total-Count``
changes between its pages, or whose pages repeat a ``sourcedId``, is read again from the
start (up to ``REREADS`` times; then ``SourceError``), so a read never silently misses a
record the server held throughout. (A server that sends neither the count nor stable pages
cannot be checked this way.)

Authentication is OAuth 2.0 client credentials (``token_url``, ``client_id``,
``client_secret``), the token kept until it expires and fetched again once on a 401.
Retries, waits and the status -> error mapping are ``sync.api.HttpClient``'s: 429 waits for
``Retry-After``, 5xx backs off, 401 (after one new token), 403 and every other 4xx raise
``SourceError`` with advice. The client secret is registered with ``sync.redact`` and is in
no message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import requests
from pydantic import Field, SecretStr, field_validator

from plugins.oneroster.rows import Row, Tables
from sync.api import (
    ClientCredentials,
    HttpClient,
    HttpRefused,
    PluginOptions,
    RetryPolicy,
    SourceError,
    TokenRefused,
    decode_json,
    next_link,
    redact_url,
    register_secret,
)

log = logging.getLogger(__name__)

Version = Literal["1.1", "1.2"]
JSON = Mapping[str, Any]

PREFIXES: dict[str, str] = {"1.1": "/ims/oneroster/v1p1", "1.2": "/ims/oneroster/rostering/v1p2"}
#: The collections read, in the order read (what a class or an enrolment names comes first).
COLLECTIONS = ("orgs", "academicSessions", "courses", "classes", "users", "enrollments")
#: The OAuth scope OneRoster 1.2 asks for to read rostering data (1.1 defines none).
SCOPE_1P2 = "https://purl.imsglobal.org/spec/or/v1p2/scope/roster-core.readonly"
#: Answers to a ``filter`` the server cannot evaluate.
FILTER_REFUSED = frozenset({400, 422, 501})
#: How often a collection that changed under a read is read again before giving up.
REREADS = 3


class RestSettings(PluginOptions):
    """The REST keys that have defaults (shared with the ``oneroster`` source's options)."""

    version: Version = Field(default="1.2", description='"1.1" or "1.2"')
    scope: str | None = Field(
        default=None, description="OAuth scope; default: 1.2's roster-core.readonly, none for 1.1"
    )
    page_size: int = Field(default=100, ge=1, le=10_000, description="records per request")
    timeout_seconds: float = Field(default=30.0, gt=0)
    max_attempts: int = Field(default=5, ge=1, le=20)
    backoff_seconds: float = Field(default=1.0, ge=0)
    max_wait_seconds: float = Field(default=120.0, ge=0)
    full_sync_every_hours: float = Field(default=24.0, ge=0)

    @field_validator("url", "token_url", check_fields=False)
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local test server)")
        return value.rstrip("/")


class RestOptions(RestSettings):
    """The keys of a OneRoster REST source (``url = ...`` instead of ``path``)."""

    renamed = {"base_url": "url"}

    url: str = Field(description="the server's address; /ims/oneroster/... is appended")
    token_url: str = Field(description="the OAuth 2.0 token endpoint")
    client_id: SecretStr = Field(description='{ env = "ONEROSTER_CLIENT_ID" }')
    client_secret: SecretStr = Field(description='{ env = "ONEROSTER_CLIENT_SECRET" }')


class FilterRefused(SourceError):
    """The server cannot filter by ``dateLastModified``: read everything instead."""


# -- flattening: JSON -> the CSV binding's columns --------------------------------------

Flatten = Callable[[JSON], str]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return ""


def field(name: str) -> Flatten:
    return lambda record: _text(record.get(name))


def ref(name: str) -> Flatten:
    """The ``sourcedId`` of a GUIDRef (``{"href", "sourcedId", "type"}``)."""

    def flatten(record: JSON) -> str:
        value = record.get(name)
        if isinstance(value, Mapping):
            return _text(value.get("sourcedId"))
        return _text(value)  # some servers send the bare id

    return flatten


def refs(name: str) -> Flatten:
    """The ``sourcedId``s of a list of GUIDRefs, comma-joined as the CSV binding lists them."""

    def flatten(record: JSON) -> str:
        return ",".join(
            _text(item.get("sourcedId") if isinstance(item, Mapping) else item)
            for item in _items(record.get(name))
        )

    return flatten


def joined(name: str) -> Flatten:
    """A list of strings (``grades``, ``subjects``, ``periods``), comma-joined."""
    return lambda record: ",".join(_text(item) for item in _items(record.get(name)))


def user_ids(record: JSON) -> str:
    """``userIds`` in the CSV's form: ``{type:identifier},{type:identifier}``."""
    return ",".join(
        f"{{{_text(item.get('type'))}:{_text(item.get('identifier'))}}}"
        for item in _items(record.get("userIds"))
        if isinstance(item, Mapping)
    )


def _items(value: Any) -> list[Any]:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value:
        return [part.strip() for part in value.split(",")]
    return []


_COMMON: dict[str, Flatten] = {
    "sourcedId": field("sourcedId"),
    "status": field("status"),
    "dateLastModified": field("dateLastModified"),
}
_ORGS = {
    "name": field("name"),
    "type": field("type"),
    "identifier": field("identifier"),
    "parentSourcedId": ref("parent"),
}
_SESSIONS = {
    "title": field("title"),
    "type": field("type"),
    "startDate": field("startDate"),
    "endDate": field("endDate"),
    "parentSourcedId": ref("parent"),
    "schoolYear": field("schoolYear"),
}
_COURSES = {
    "schoolYearSourcedId": ref("schoolYear"),
    "title": field("title"),
    "courseCode": field("courseCode"),
    "grades": joined("grades"),
    "orgSourcedId": ref("org"),
    "subjects": joined("subjects"),
    "subjectCodes": joined("subjectCodes"),
}
_CLASSES = {
    "title": field("title"),
    "grades": joined("grades"),
    "courseSourcedId": ref("course"),
    "classCode": field("classCode"),
    "classType": field("classType"),
    "location": field("location"),
    "schoolSourcedId": ref("school"),
    "termSourcedIds": refs("terms"),
    "subjects": joined("subjects"),
    "subjectCodes": joined("subjectCodes"),
    "periods": joined("periods"),
}
_ENROLLMENTS = {
    "classSourcedId": ref("class"),
    "schoolSourcedId": ref("school"),
    "userSourcedId": ref("user"),
    "role": field("role"),
    "primary": field("primary"),
    "beginDate": field("beginDate"),
    "endDate": field("endDate"),
}
_USERS_COMMON = {
    "enabledUser": field("enabledUser"),
    "username": field("username"),
    "userIds": user_ids,
    "givenName": field("givenName"),
    "familyName": field("familyName"),
    "middleName": field("middleName"),
    "identifier": field("identifier"),
    "email": field("email"),
    "sms": field("sms"),
    "phone": field("phone"),
    "agentSourcedIds": refs("agents"),
    "grades": joined("grades"),
}
_USERS_1P1 = {**_USERS_COMMON, "orgSourcedIds": refs("orgs"), "role": field("role")}
_USERS_1P2 = {
    **_USERS_COMMON,
    "userMasterIdentifier": field("userMasterIdentifier"),
    "preferredGivenName": field("preferredFirstName"),
    "preferredMiddleName": field("preferredMiddleName"),
    "preferredFamilyName": field("preferredLastName"),
    "primaryOrgSourcedId": ref("primaryOrg"),
    "pronouns": field("pronouns"),
}
_ROLES_1P2 = {
    "roleType": field("roleType"),
    "role": field("role"),
    "beginDate": field("beginDate"),
    "endDate": field("endDate"),
    "orgSourcedId": ref("org"),
    "userProfileSourcedId": ref("userProfile"),
}

#: Per version and collection, each CSV column and how it is read from the JSON record.
FLATTEN: dict[str, dict[str, dict[str, Flatten]]] = {
    version: {
        "orgs": {**_COMMON, **_ORGS},
        "academicSessions": {**_COMMON, **_SESSIONS},
        "courses": {**_COMMON, **_COURSES},
        "classes": {**_COMMON, **_CLASSES},
        "users": {**_COMMON, **(_USERS_1P1 if version == "1.1" else _USERS_1P2)},
        "enrollments": {**_COMMON, **_ENROLLMENTS},
    }
    for version in PREFIXES
}


def flatten(version: str, collection: str, record: JSON) -> dict[str, str]:
    """One JSON record as the CSV binding's columns of ``version`` (unknown keys dropped)."""
    return {column: read(record) for column, read in FLATTEN[version][collection].items()}


def roles_of(user: JSON) -> Iterator[dict[str, str]]:
    """A 1.2 user's ``roles`` as ``roles.csv`` rows; each gets a ``sourcedId`` made from the
    user, role, org and position (the JSON binding gives roles none)."""
    user_id = _text(user.get("sourcedId"))
    for number, role in enumerate(_items(user.get("roles")), start=1):
        if not isinstance(role, Mapping):
            continue
        values = {column: read(role) for column, read in _ROLES_1P2.items()}
        values = {
            "sourcedId": f"{user_id}:role:{number}",
            "status": _text(user.get("status")),
            "dateLastModified": _text(user.get("dateLastModified")),
            "userSourcedId": user_id,
            **values,
        }
        yield values


# -- the reader ---------------------------------------------------------------------------


class RestReader:
    """Reads the rostering collections of one OneRoster 1.1 or 1.2 REST server."""

    def __init__(
        self,
        url: str,
        version: Version,
        token_url: str,
        client_id: str,
        client_secret: str,
        page_size: int = 100,
        timeout: float = 30.0,
        max_attempts: int = 5,
        max_wait_seconds: float = 120.0,
        *,
        backoff_seconds: float = 1.0,
        scope: str | None = None,
        key: str = "the oneroster source",
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if version not in PREFIXES:
            raise ValueError(f"version must be one of {', '.join(PREFIXES)}, not {version!r}")
        register_secret(client_secret)
        self.version = version
        self.page_size = page_size
        self.key = key
        self.prefix = PREFIXES[version]
        root = url.rstrip("/")
        if root.endswith(self.prefix):
            root = root[: -len(self.prefix)]
        self.auth = ClientCredentials(
            token_url,
            client_id,
            client_secret,
            scope=(SCOPE_1P2 if version == "1.2" else None) if scope is None else (scope or None),
            timeout=timeout,
            clock=clock,
        )
        self.http = HttpClient(
            root + self.prefix,
            service="the OneRoster server",
            auth=self.auth,
            policy=RetryPolicy(max_attempts, backoff_seconds, max_wait_seconds),
            timeout=timeout,
            session=session,
            sleep=sleep,
            clock=clock,
        )

    @classmethod
    def from_options(cls, options: RestOptions, *, key: str, **kwargs: Any) -> RestReader:
        return cls(
            options.url,
            options.version,
            options.token_url,
            options.client_id.get_secret_value(),
            options.client_secret.get_secret_value(),
            options.page_size,
            options.timeout_seconds,
            options.max_attempts,
            options.max_wait_seconds,
            backoff_seconds=options.backoff_seconds,
            scope=options.scope,
            key=key,
            **kwargs,
        )

    @property
    def retries(self) -> int:
        return self.http.retries

    def close(self) -> None:
        self.http.close()
        self.auth.close()

    # -- reads ----------------------------------------------------------------------

    def read_all(self) -> Tables:
        """Every record of every collection (``tobedeleted`` ones included, as served)."""
        return self._read({})

    def read_changed(self, since: str) -> Tables:
        """The records modified after ``since`` (ISO 8601); ``FilterRefused`` if the server
        cannot filter, so the caller reads everything instead."""
        return self._read({"filter": f"dateLastModified>'{since}'"})

    def _read(self, params: Mapping[str, str]) -> Tables:
        tables: dict[str, list[Row]] = {}
        for collection in COLLECTIONS:
            records = self._collection(collection, params)
            path = f"{self.prefix}/{collection}"
            tables[collection] = [
                Row(collection, path, line, flatten(self.version, collection, record))
                for line, record in enumerate(records, start=1)
            ]
            if collection == "users" and self.version == "1.2":
                tables["roles"] = [
                    Row("roles", path, line, values)
                    for line, record in enumerate(records, start=1)
                    for values in roles_of(record)
                ]
        return tables

    def _collection(self, collection: str, params: Mapping[str, str]) -> list[JSON]:
        for attempt in range(1, REREADS + 1):
            records, change = self._pages(collection, params)
            if change is None:
                log.info("%s: %d %s read", self.key, len(records), collection)
                return records
            log.warning(
                "%s: %s changed while it was read (%s); reading it again (%d of %d)",
                self.key,
                collection,
                change,
                attempt,
                REREADS,
            )
        raise SourceError(
            f"{self.key}: {collection} kept changing while it was read ({REREADS} times); "
            "try again when the SIS is not being updated"
        )

    def _pages(self, collection: str, params: Mapping[str, str]) -> tuple[list[JSON], str | None]:
        """All pages of one collection, and why they cannot be trusted (None if they can)."""
        records: list[JSON] = []
        pages: dict[str, int] = {}  # sourcedId -> the page it came on
        totals: set[int] = set()
        change: str | None = None
        url: str | None = collection
        query: dict[str, Any] | None = {"limit": self.page_size, "offset": 0, **params}
        seen: set[str] = set()
        number = 0
        while url is not None:
            number += 1
            response = self._get(url, query, collection, params)
            if response.url in seen:
                raise SourceError(f"{self._what(response.url)}: the server sent a page twice")
            seen.add(response.url)
            page = _page(decode_json(response, self._what(url), "check url", error=SourceError))
            page_records = _records(page, collection, self._what(url))
            total = _total(response)
            if total is not None:
                totals.add(total)
            for record in page_records:
                sourced_id = _text(record.get("sourcedId"))
                first = pages.setdefault(sourced_id, number)
                if first != number and change is None:
                    change = f"{sourced_id!r} came on pages {first} and {number}"
            records.extend(page_records)
            if len(totals) > 1 and change is None:
                change = f"X-Total-Count went {' -> '.join(map(str, sorted(totals)))}"
            url, query = self._next(response, page_records, query, total)
        unique = {_text(r.get("sourcedId")): r for r in records}  # the later copy wins
        return list(unique.values()), change

    def _next(
        self,
        response: requests.Response,
        page: Sequence[JSON],
        query: dict[str, Any] | None,
        total: int | None,
    ) -> tuple[str | None, dict[str, Any] | None]:
        """Where the next page is: the ``Link`` header, else the next offset while short of
        ``X-Total-Count``, else the next offset after a full page."""
        if not page:
            return None, None
        link = next_link(response)
        if link is not None:
            return link, None
        current = dict(query) if query is not None else _query_of(response.url)
        offset = int(current.get("offset") or 0) + len(page)
        if total is not None:
            more = offset < total
        else:
            more = len(page) >= int(current.get("limit") or self.page_size)
        if not more:
            return None, None
        return response.url.split("?", 1)[0], {**current, "offset": offset}

    def _get(
        self,
        url: str,
        query: Mapping[str, Any] | None,
        collection: str,
        params: Mapping[str, str],
    ) -> requests.Response:
        try:
            response: requests.Response = self.http.request("GET", url, params=query)
        except HttpRefused as exc:
            raise self._refusal(exc, collection, params) from None
        return response

    def _refusal(self, exc: HttpRefused, collection: str, params: Mapping[str, str]) -> SourceError:
        what = str(exc)
        if isinstance(exc, TokenRefused):
            return SourceError(
                f"{self.key}: could not get a token: {what}; check token_url, client_id and "
                "client_secret"
            )
        if exc.status == 401:
            return SourceError(
                f"{self.key}: the OneRoster server refused the token: {what}; check "
                "client_id and client_secret, and that the token endpoint is this server's"
            )
        if exc.status == 403:
            return SourceError(
                f"{self.key}: the client may not read {collection}: {what}; check the "
                "application's scopes on the SIS (roster-core.readonly)"
            )
        if "filter" in params and exc.status in FILTER_REFUSED:
            return FilterRefused(f"{self.key}: the server refused the filter: {what}")
        if exc.status == 404:
            return SourceError(
                f"{self.key}: {what}; check url and version ({self.version} serves "
                f"{self.prefix}/{collection})"
            )
        return SourceError(f"{self.key}: {what}")

    def _what(self, url: str) -> str:
        return f"GET {redact_url(self.http.url(url))}"


def _page(body: Any) -> JSON:
    if not isinstance(body, Mapping):
        raise SourceError(f"expected a JSON object, got {type(body).__name__}")
    return body


def _records(page: JSON, collection: str, what: str) -> list[JSON]:
    records = page.get(collection)
    if records is None:
        return []
    if not isinstance(records, list) or not all(isinstance(r, Mapping) for r in records):
        raise SourceError(f"{what}: {collection!r} is not a list of objects")
    return records


def _total(response: requests.Response) -> int | None:
    value = response.headers.get("X-Total-Count", "").strip()
    return int(value) if value.isdigit() else None


def _query_of(url: str) -> dict[str, Any]:
    return dict(parse_qsl(urlsplit(url).query))
